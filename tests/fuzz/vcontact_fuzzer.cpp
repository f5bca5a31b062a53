// Fuzzes the C ABI where a host, a script or an add-in hands the runtime a string: the vContact
// of InstantMessage / Page / the scripting entry point, GetContact's name and service id, the
// sign-in name and password, a draft and a sent message (which the loopback echo sends back).
// Each input runs against a fresh runtime, and the documented result codes are checked.
//
// Input: one selector byte, then two strings separated by the first NUL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "fuzz_check.hpp"
#include "msgr/msgr.h"
#include "msgr/ui.h"
#include "text.hpp"

namespace {

constexpr const char *kMe = "me@loopback";

msgr_variant by_name(const char *name) {
    msgr_variant v{};
    v.vt = MSGR_VT_BSTR;
    v.bstr = name;
    return v;
}

msgr_variant by_contact(msgr_contact *c) {
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c;
    return v;
}

bool valid_name(const std::string &s) {
    return msgr::core::check_signin_name(s.c_str(), nullptr) == MSGR_S_OK;
}

bool is_me(const std::string &s) {
    return msgr::core::fold_case(s) == kMe;
}

std::string contact_name(msgr_window *w) {
    msgr_contact *c = nullptr;
    FUZZ_CHECK(msgr_window_contact(w, &c) == MSGR_S_OK && c != nullptr);
    const char *name = nullptr;
    FUZZ_CHECK(msgr_contact_signin_name(c, &name) == MSGR_S_OK && name != nullptr);
    std::string out = name;
    msgr_contact_release(c);
    return out;
}

void signin(msgr_runtime *rt, const char *name, const char *password) {
    FUZZ_CHECK(msgr_signin(rt, name, password) == MSGR_S_OK);
    msgr_runtime_tick(rt);
    const char *me = nullptr;
    FUZZ_CHECK(msgr_my_signin_name(rt, &me) == MSGR_S_OK && std::strcmp(me, name) == 0);
    // Each input starts from an empty history (the account's database is shared by every input).
    FUZZ_CHECK(msgr_history_forget_all(rt) == MSGR_S_OK);
}

// InstantMessage or Page with a string vContact: the documented result, and the same window
// for the same contact.
void open_by_name(msgr_runtime *rt, const std::string &s, bool page) {
    auto call = page ? msgr_page : msgr_instant_message;
    msgr_window *w = nullptr;
    const msgr_hresult hr = call(rt, by_name(s.c_str()), &w);
    FUZZ_CHECK(MSGR_SUCCEEDED(hr) == (w != nullptr));
    if (!valid_name(s)) {
        FUZZ_CHECK(hr == MSGR_E_INVALIDARG);
    } else if (page) {
        FUZZ_CHECK(hr == MSGR_E_NOTIMPL);  // the embedded default has no paging add-in
    } else if (is_me(s)) {
        FUZZ_CHECK(hr == MSGR_E_FAIL);
    } else {
        FUZZ_CHECK(hr == MSGR_S_OK || hr == MSGR_S_FALSE);
        FUZZ_CHECK(msgr::core::fold_case(contact_name(w)) == msgr::core::fold_case(s));
        msgr_window *again = nullptr;
        FUZZ_CHECK(MSGR_SUCCEEDED(call(rt, by_name(s.c_str()), &again)) && again == w);
        msgr_window_release(again);
        FUZZ_CHECK(msgr_window_close(w) == MSGR_S_OK);
    }
    msgr_window_release(w);
}

void get_contact(msgr_runtime *rt, const std::string &s, const std::string &service) {
    msgr_contact *c = nullptr;
    const char *service_id = service.empty() ? nullptr : service.c_str();
    const msgr_hresult hr = msgr_get_contact(rt, s.c_str(), service_id, &c);
    FUZZ_CHECK(MSGR_SUCCEEDED(hr) == (c != nullptr));
    if (!valid_name(s) || (service_id != nullptr && service != "loopback")) {
        FUZZ_CHECK(hr == MSGR_E_INVALIDARG);
        return;
    }
    FUZZ_CHECK(hr == MSGR_S_OK);
    msgr_contact *same = nullptr;
    FUZZ_CHECK(msgr_get_contact(rt, s.c_str(), nullptr, &same) == MSGR_S_OK && same == c);
    msgr_contact_release(same);
    int self = -1;
    FUZZ_CHECK(msgr_contact_is_self(c, &self) == MSGR_S_OK && self == (is_me(s) ? 1 : 0));
    msgr_window *w = nullptr;
    const msgr_hresult im = msgr_instant_message(rt, by_contact(c), &w);
    FUZZ_CHECK(is_me(s) ? im == MSGR_E_FAIL : MSGR_SUCCEEDED(im));
    msgr_window_release(w);
    msgr_contact_release(c);
}

void script(msgr_runtime *rt, const std::string &method, const std::string &s) {
    msgr_window *w = nullptr;
    const msgr_hresult hr = msgr_script_invoke(rt, method.c_str(), by_name(s.c_str()), &w);
    FUZZ_CHECK(MSGR_SUCCEEDED(hr) == (w != nullptr));
    if (method != "InstantMessage") FUZZ_CHECK(hr == MSGR_E_NOTIMPL);
    msgr_window_release(w);
}

void signin_as(const std::string &name, const std::string &password) {
    msgr_runtime *rt = nullptr;
    FUZZ_CHECK(msgr_runtime_create(nullptr, &rt) == MSGR_S_OK);
    const msgr_hresult hr = msgr_signin(rt, name.c_str(), password.c_str());
    const bool ok = valid_name(name) && msgr::core::is_valid_utf8(password);
    FUZZ_CHECK(hr == (ok ? MSGR_S_OK : MSGR_E_INVALIDARG));
    msgr_runtime_tick(rt);
    const char *me = nullptr;
    const msgr_hresult who = msgr_my_signin_name(rt, &me);
    FUZZ_CHECK(ok ? who == MSGR_S_OK && name == me : who == MSGR_E_NOT_LOGGED_ON);
    msgr_runtime_destroy(rt);
}

// The user drafts and sends to the echo contact; the echo comes back sanitized.
void send_to_echo(msgr_runtime *rt, const std::string &draft, const std::string &text) {
    msgr_window *w = nullptr;
    FUZZ_CHECK(MSGR_SUCCEEDED(msgr_instant_message(rt, by_name("echo@loopback"), &w)));
    const msgr_hresult dr = msgr_window_set_draft(w, draft.c_str());
    FUZZ_CHECK(dr == (msgr::core::is_valid_utf8(draft) ? MSGR_S_OK : MSGR_E_INVALIDARG));
    std::size_t index = 99;
    const msgr_hresult hr = msgr_ui_send(w, text.c_str(), &index);
    const bool ok = !text.empty() && msgr::core::is_valid_utf8(text);
    FUZZ_CHECK(hr == (ok ? MSGR_S_OK : MSGR_E_INVALIDARG));
    msgr_runtime_tick(rt);
    std::size_t count = 0;
    FUZZ_CHECK(msgr_window_history_count(w, &count) == MSGR_S_OK);
    FUZZ_CHECK(count == (ok ? 2u : 0u));
    if (ok) {
        FUZZ_CHECK(index == 0);
        msgr_message m{};
        m.struct_size = sizeof m;
        FUZZ_CHECK(msgr_window_history_get(w, 1, &m) == MSGR_S_OK);
        FUZZ_CHECK(m.direction == MSGR_MESSAGE_INCOMING && m.text_size == text.size());
        FUZZ_CHECK(std::memcmp(m.text, text.data(), text.size()) == 0);
    }
    msgr_window_release(w);
}

}  // namespace

// The default service is the loopback add-in: the runtime finds it in the test folder. It runs
// in-process here: the fuzzer creates a runtime per input, and what it fuzzes is the runtime's
// argument checks, not the add-in process (fuzz_protocol fuzzes that boundary).
// The histories go to a directory of the fuzzer's own (removed at exit), never the user's.
namespace {
char g_data_home[] = "/tmp/msgr-fuzz-vcontact-XXXXXX";
void remove_data_home() {
    std::error_code ec;
    std::filesystem::remove_all(g_data_home, ec);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    FUZZ_CHECK(mkdtemp(g_data_home) != nullptr);
    FUZZ_CHECK(std::atexit(remove_data_home) == 0);
    FUZZ_CHECK(setenv("XDG_DATA_HOME", g_data_home, 1) == 0);
    FUZZ_CHECK(setenv("MSGR_ADDIN_PATH", MSGR_LOOPBACK_ONLY_DIR, 1) == 0);
    FUZZ_CHECK(setenv("MSGR_ADDIN_ISOLATION", "in_process", 1) == 0);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned op = data[0];
    const std::string rest(reinterpret_cast<const char *>(data) + 1, size - 1);
    const std::size_t nul = rest.find('\0');
    const std::string first = rest.substr(0, nul);
    const std::string second = nul == std::string::npos ? std::string() : rest.substr(nul + 1);
    const std::string second_cstr = second.substr(0, second.find('\0'));

    if ((op & 7) == 4) {
        signin_as(first, second_cstr);
        return 0;
    }
    msgr_runtime *rt = nullptr;
    FUZZ_CHECK(msgr_runtime_create(nullptr, &rt) == MSGR_S_OK);
    FUZZ_CHECK(msgr_set_focus_allowed(rt, (op & 8) ? 0 : 1) == MSGR_S_OK);
    signin(rt, kMe, "");
    switch (op & 7) {
        case 0:
            open_by_name(rt, first, false);
            break;
        case 1:
            open_by_name(rt, first, true);
            break;
        case 2:
            get_contact(rt, first, second_cstr);
            break;
        case 3:
            script(rt, first, second_cstr);
            break;
        default:
            send_to_echo(rt, first, second_cstr);
            break;
    }
    if (op & 16) FUZZ_CHECK(msgr_signout(rt) == MSGR_S_OK);
    msgr_runtime_tick(rt);
    msgr_runtime_destroy(rt);
    return 0;
}

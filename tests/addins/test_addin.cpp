// Add-ins for the tests, good and bad, built from this one file with different definitions:
//   TEST_NAME        the descriptor's name (and its configuration table)
//   TEST_MAJOR/MINOR the ABI it claims (default: the SDK's)
//   TEST_SIZE        the descriptor's struct_size (default: sizeof)
//   TEST_NO_ENTRY    exports no entry point
//   TEST_NULL_ENTRY  the entry point returns NULL
//   TEST_FUNCTION_ENTRY  exports msgr_addin_entry as a function, not as the alias
//   TEST_BOOST_ALIAS exports the entry with BOOST_DLL_ALIAS itself
//   TEST_DEPENDS     the name of an add-in it depends on
// At run time it reads its table: throw = [...] and fail = [...] name the calls that throw or
// return E_FAIL ("load", "knows_mobile", "submit", "event"); paging = true registers a paging
// provider (delivering every page at once); events = true subscribes to every event;
// service = true registers a contact service whose id is TEST_NAME (or service_id) (sign-in always
// succeeds, every message is delivered; "signin", "signout", "set_status", "describe",
// "send_message" can throw or fail), and post_bad = true makes its sign-in also try reports the
// host must refuse (logged as "refused: <call> <hr>").
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "msgr/addin.h"
#ifdef TEST_BOOST_ALIAS
#include <boost/dll/alias.hpp>
#endif

#ifndef TEST_MAJOR
#define TEST_MAJOR MSGR_ADDIN_ABI_MAJOR
#endif
#ifndef TEST_MINOR
#define TEST_MINOR MSGR_ADDIN_ABI_MINOR
#endif
#ifndef TEST_SIZE
#define TEST_SIZE sizeof(msgr_addin_descriptor)
#endif

namespace {

struct State {
    msgr_host_ctx *ctx = nullptr;
    msgr_host_post_delivery_fn post = nullptr;
    msgr_host_log_fn log = nullptr;
    std::vector<std::string> throws, fails;
    unsigned long events = 0;
    bool post_bad = false;
    std::string service_id = TEST_NAME;
    msgr_host_post_signin_fn post_signin = nullptr;
    msgr_host_post_message_fn post_message = nullptr;
    msgr_host_post_contact_fn post_contact = nullptr;
    msgr_host_post_status_fn post_status = nullptr;
};

bool listed(const std::vector<std::string> &v, const char *what) {
    for (const auto &s : v)
        if (s == what) return true;
    return false;
}

// Throws or fails as configured.
msgr_hresult misbehave(const State &s, const char *call) {
    if (listed(s.throws, call)) throw std::runtime_error(std::string("boom in ") + call);
    if (listed(s.fails, call)) return MSGR_E_FAIL;
    return MSGR_S_OK;
}

msgr_hresult knows_mobile(void *state, const char *, const char *, int *out) {
    *out = 0;
    return misbehave(*static_cast<State *>(state), "knows_mobile");
}

msgr_hresult submit(void *state, const msgr_page_request *page) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "submit");
    if (MSGR_FAILED(hr)) return hr;
    return s->post(s->ctx, page->message_id, MSGR_DELIVERY_SENT, MSGR_S_OK);
}

msgr_hresult on_event(const msgr_event *ev, void *user) {
    auto *s = static_cast<State *>(user);
    ++s->events;
    if (ev->type == MSGR_EVENT_MESSAGE_RECEIVED && s->log != nullptr) {
        s->log(s->ctx, MSGR_LOG_INFO, (std::string("event seen: ") + ev->text).c_str());
    }
    return misbehave(*s, "event");
}

void log_refused(State &s, const char *call, msgr_hresult hr) {
    char buf[96];
    (void)std::snprintf(buf, sizeof buf, "refused: %s 0x%08X", call, static_cast<unsigned>(hr));
    s.log(s.ctx, MSGR_LOG_INFO, buf);
}

msgr_hresult svc_signin(void *state, std::uint64_t session, const char *, const char *) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "signin");
    if (MSGR_FAILED(hr)) return hr;
    if (s->post_bad) {
        log_refused(*s, "other-service", s->post_signin(s->ctx, "not-mine", session, MSGR_S_OK));
        log_refused(*s, "bad-contact",
                    s->post_contact(s->ctx, s->service_id.c_str(), session, " leading@space", 1));
        log_refused(*s, "bad-status",
                    s->post_status(s->ctx, s->service_id.c_str(), session, "a@b", 0x7777));
        log_refused(*s, "null-text",
                    s->post_message(s->ctx, s->service_id.c_str(), session, "a@b", nullptr, 0));
    }
    return s->post_signin(s->ctx, s->service_id.c_str(), session, MSGR_S_OK);
}
msgr_hresult svc_signout(void *state) {
    return misbehave(*static_cast<State *>(state), "signout");
}
msgr_hresult svc_set_status(void *state, std::int32_t) {
    return misbehave(*static_cast<State *>(state), "set_status");
}
msgr_hresult svc_describe(void *state, const char *, msgr_contact_info *out) {
    out->status = MSGR_STATUS_ONLINE;
    return misbehave(*static_cast<State *>(state), "describe");
}
msgr_hresult svc_send(void *state, std::uint64_t id, const char *, const char *, std::size_t) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "send_message");
    if (MSGR_FAILED(hr)) return hr;
    return s->post(s->ctx, id, MSGR_DELIVERY_SENT, MSGR_S_OK);
}

std::vector<std::string> strings(const msgr_host *host, const char *key) {
    auto size = reinterpret_cast<msgr_host_config_array_size_fn>(
        host->get_proc(MSGR_HOST_CONFIG_ARRAY_SIZE));
    auto get = reinterpret_cast<msgr_host_config_array_string_fn>(
        host->get_proc(MSGR_HOST_CONFIG_ARRAY_STRING));
    std::vector<std::string> out;
    std::size_t n = 0;
    if (size(host->ctx, key, &n) != MSGR_S_OK) return out;
    for (std::size_t i = 0; i < n; ++i) {
        const char *v = nullptr;
        if (get(host->ctx, key, i, &v) == MSGR_S_OK) out.emplace_back(v);
    }
    return out;
}

msgr_hresult load(const msgr_host *host, void **state) {
    auto *s = new State;
    s->ctx = host->ctx;
    s->post = reinterpret_cast<msgr_host_post_delivery_fn>(host->get_proc(MSGR_HOST_POST_DELIVERY));
    s->log = reinterpret_cast<msgr_host_log_fn>(host->get_proc(MSGR_HOST_LOG));
    s->throws = strings(host, "throw");
    s->fails = strings(host, "fail");
    auto get_bool =
        reinterpret_cast<msgr_host_config_bool_fn>(host->get_proc(MSGR_HOST_CONFIG_BOOL));
    auto set_error = reinterpret_cast<msgr_host_set_error_fn>(host->get_proc(MSGR_HOST_SET_ERROR));
    int paging = 0, events = 0, service = 0, post_bad = 0;
    get_bool(host->ctx, "paging", &paging);
    get_bool(host->ctx, "events", &events);
    get_bool(host->ctx, "service", &service);
    get_bool(host->ctx, "post_bad", &post_bad);
    s->post_bad = post_bad != 0;
    msgr_hresult hr = MSGR_S_OK;
    try {
        hr = misbehave(*s, "load");
    } catch (...) {
        delete s;
        throw;
    }
    if (MSGR_SUCCEEDED(hr) && paging) {
        msgr_paging_provider p{};
        p.struct_size = sizeof p;
        p.state = s;
        p.max_page_utf16 = 100;
        p.knows_mobile = &knows_mobile;
        p.submit = &submit;
        hr = reinterpret_cast<msgr_host_register_paging_fn>(
            host->get_proc(MSGR_HOST_REGISTER_PAGING))(host->ctx, &p);
    }
    if (MSGR_SUCCEEDED(hr) && service) {
        s->post_signin =
            reinterpret_cast<msgr_host_post_signin_fn>(host->get_proc(MSGR_HOST_POST_SIGNIN));
        s->post_message =
            reinterpret_cast<msgr_host_post_message_fn>(host->get_proc(MSGR_HOST_POST_MESSAGE));
        s->post_contact =
            reinterpret_cast<msgr_host_post_contact_fn>(host->get_proc(MSGR_HOST_POST_CONTACT));
        s->post_status =
            reinterpret_cast<msgr_host_post_status_fn>(host->get_proc(MSGR_HOST_POST_STATUS));
        msgr_contact_service t{};
        t.struct_size = sizeof t;
        t.state = s;
        auto get_string =
            reinterpret_cast<msgr_host_config_string_fn>(host->get_proc(MSGR_HOST_CONFIG_STRING));
        const char *id = nullptr;
        if (get_string(host->ctx, "service_id", &id) == MSGR_S_OK) s->service_id = id;
        t.id = s->service_id.c_str();
        t.max_message_bytes = 1000;
        t.signin = &svc_signin;
        t.signout = &svc_signout;
        t.set_status = &svc_set_status;
        t.describe = &svc_describe;
        t.send_message = &svc_send;
        hr = reinterpret_cast<msgr_host_register_service_fn>(
            host->get_proc(MSGR_HOST_REGISTER_SERVICE))(host->ctx, &t);
    }
    if (MSGR_SUCCEEDED(hr) && events) {
        hr = reinterpret_cast<msgr_host_subscribe_fn>(host->get_proc(MSGR_HOST_SUBSCRIBE))(
            host->ctx, static_cast<msgr_event_type>(0), &on_event, s);
    }
    if (MSGR_FAILED(hr)) {
        if (listed(s->fails, "load")) set_error(host->ctx, "configured to fail");
        delete s;
        return hr;
    }
    *state = s;
    return MSGR_S_OK;
}

void unload(void *state) {
    delete static_cast<State *>(state);
}

#ifdef TEST_DEPENDS
const char *const depends[] = {TEST_DEPENDS, nullptr};
#else
const char *const *const depends = nullptr;
#endif

// Unused in the TEST_NULL_ENTRY and TEST_NO_ENTRY variants (clang warns).
[[maybe_unused]] const msgr_addin_descriptor descriptor = {
    static_cast<std::uint32_t>(TEST_SIZE),
    MSGR_ADDIN_MAGIC,
    TEST_MAJOR,
    TEST_MINOR,
    TEST_NAME,
    "0.0.1",
    "a test add-in",
    TEST_NAME,
    depends,
    &load,
    &unload,
};

}  // namespace

#if defined(TEST_NO_ENTRY)
extern "C" __attribute__((visibility("default"))) int msgr_something_else() {
    return 1;
}
#elif defined(TEST_NULL_ENTRY)
namespace {
const msgr_addin_descriptor *entry() {
    return nullptr;
}
}  // namespace
MSGR_ADDIN_ENTRY(entry);
#elif defined(TEST_FUNCTION_ENTRY)
extern "C" __attribute__((visibility("default"))) const msgr_addin_descriptor *msgr_addin_entry() {
    return &descriptor;
}
#elif defined(TEST_BOOST_ALIAS)
namespace testaddin {
const msgr_addin_descriptor *entry() {
    return &descriptor;
}
}  // namespace testaddin
BOOST_DLL_ALIAS(testaddin::entry, msgr_addin_entry)
#else
namespace {
const msgr_addin_descriptor *entry() {
    return &descriptor;
}
}  // namespace
MSGR_ADDIN_ENTRY(entry);
#endif

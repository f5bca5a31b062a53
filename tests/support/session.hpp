// Test support: a runtime driven through the C ABI, with every event it raises recorded.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "c_api_internal.hpp"
#include "msgr/msgr.h"
#include "msgr/ui.h"
#include "runtime.hpp"

namespace msgr::test {

struct Recorded {
    msgr_event_type type;
    msgr_hresult hr;
    std::int32_t status;
    msgr_contact *contact;  // identity only: not a reference
    msgr_window *window;    // identity only: not a reference
    std::string text;
    std::size_t index;
};

inline msgr_variant by_name(const char *name) {
    msgr_variant v{};
    v.vt = MSGR_VT_BSTR;
    v.bstr = name;
    return v;
}

inline msgr_variant by_contact(msgr_contact *c) {
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c;
    return v;
}

// Every vContact the return-value tables call E_INVALIDARG (both pages have the same row).
inline std::vector<std::pair<std::string, msgr_variant>> invalid_contacts() {
    static const std::string long130(130, 'a');
    static const std::string crlf_mid = "bob\r@loopback";
    static const std::string lf_end = "bob@loopback\n";
    static std::string emoji65;  // 65 code points, 130 UTF-16 units, 260 bytes
    if (emoji65.empty()) {
        for (int i = 0; i < 65; ++i)
            emoji65 += "\xF0\x9F\x98\x80";
    }
    msgr_variant empty{};
    empty.vt = MSGR_VT_EMPTY;
    msgr_variant null_string{};
    null_string.vt = MSGR_VT_BSTR;
    null_string.bstr = nullptr;
    msgr_variant null_contact{};
    null_contact.vt = MSGR_VT_DISPATCH;
    msgr_variant bad_type{};
    bad_type.vt = static_cast<msgr_vartype>(3);  // VT_I4
    bad_type.bstr = "bob@loopback";
    return {
        {"VT_EMPTY", empty},
        {"NULL string", null_string},
        {"empty string", by_name("")},
        {"leading space", by_name(" bob@loopback")},
        {"130 ASCII characters", by_name(long130.c_str())},
        {"130 UTF-16 units in 65 code points", by_name(emoji65.c_str())},
        {"carriage return", by_name(crlf_mid.c_str())},
        {"line feed", by_name(lf_end.c_str())},
        {"NULL contact", null_contact},
        {"invalid UTF-8", by_name("bob\xC0\xAF@loopback")},
        {"unsupported VARIANT type", bad_type},
    };
}

// A configuration file in a fresh temporary directory, removed with the object.
class TempConfig {
  public:
    explicit TempConfig(const std::string &text) {
        char tmpl[] = "/tmp/msgr-test-XXXXXX";
        dir_ = mkdtemp(tmpl);
        path_ = dir_ + "/msgr.toml";
        std::ofstream(path_) << text;
    }
    ~TempConfig() { std::filesystem::remove_all(dir_); }
    TempConfig(const TempConfig &) = delete;
    TempConfig &operator=(const TempConfig &) = delete;
    const char *path() const { return path_.c_str(); }
    const std::string &dir() const { return dir_; }

  private:
    std::string dir_;
    std::string path_;
};

class Session : public ::testing::Test {
  protected:
    void TearDown() override { destroy(); }

    // Creates the runtime (NULL: embedded defaults) and records every event.
    void create(const char *config = nullptr) {
        destroy();
        ASSERT_EQ(msgr_runtime_create(config, &rt), MSGR_S_OK) << msgr_last_error();
        msgr_subscription id = 0;
        ASSERT_EQ(msgr_subscribe(rt, static_cast<msgr_event_type>(0), &Session::record, this, &id),
                  MSGR_S_OK);
    }

    void destroy() {
        msgr_runtime_destroy(rt);
        rt = nullptr;
    }

    // Signs in and ticks until OnSignin arrives; returns its result.
    msgr_hresult signin(const char *name = "player@loopback", const char *password = "") {
        if (rt == nullptr) create();
        const msgr_hresult hr = msgr_signin(rt, name, password);
        if (MSGR_FAILED(hr)) return hr;
        for (int i = 0; i < 10; ++i) {
            tick();
            for (const auto &e : events) {
                if (e.type == MSGR_EVENT_SIGNIN) return e.hr;
            }
        }
        ADD_FAILURE() << "no OnSignin after 10 ticks";
        return MSGR_E_UNEXPECTED;
    }

    void tick(int n = 1) {
        for (int i = 0; i < n; ++i)
            msgr_runtime_tick(rt);
    }

    int count(msgr_event_type type) const {
        int n = 0;
        for (const auto &e : events)
            n += e.type == type;
        return n;
    }

    const Recorded *last(msgr_event_type type) const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) {
            if (it->type == type) return &*it;
        }
        return nullptr;
    }

    msgr::core::Runtime &core() { return *msgr::core::runtime_of(rt); }

    // A message as the primary service of this session posts it (from, text and the rest for
    // the caller to set): pushed into core().inbox(), it is applied by the next tick, past the
    // add-in boundary's checks.
    msgr::core::MessageArrived arriving() {
        msgr::core::MessageArrived m;
        m.service = core().primary_service_id();
        m.session = core().session();
        return m;
    }

    // Makes the loopback "network" act, through the loopback add-in's control contact (see
    // plugins/loopback-service): "drop", "say <from> <text>", "flood <from> <n>", ... The user
    // sends the command to control@loopback in a window that is closed again at once; events
    // about the control contact are the test's instrument, not its subject, and are not
    // recorded. Returns the add-in's answer ("ok..." or "error: ...") once it arrives.
    std::string loopback_control(const std::string &command) {
        msgr_window *w = nullptr;
        EXPECT_EQ(msgr_instant_message(rt, by_name(kControl), &w), MSGR_S_OK) << msgr_last_error();
        if (w == nullptr) return "error: no control window";
        std::size_t index = 0;
        EXPECT_EQ(msgr_ui_send(w, command.c_str(), &index), MSGR_S_OK) << msgr_last_error();
        std::string answer;
        for (int i = 0; i < 10 && answer.empty(); ++i) {
            // The answer is the first incoming entry after the command (a drop answers from
            // a session that has already ended, so it is never shown: that is an answer too).
            int closed = 0;
            if (msgr_window_is_closed(w, &closed) != MSGR_S_OK) {
                answer = "ok: offline";
                break;
            }
            std::size_t n = 0;
            msgr_window_history_count(w, &n);
            for (std::size_t k = index + 1; k < n && answer.empty(); ++k) {
                msgr_message m{};
                m.struct_size = sizeof m;
                if (msgr_window_history_get(w, k, &m) == MSGR_S_OK &&
                    m.direction == MSGR_MESSAGE_INCOMING)
                    answer = m.text;
            }
            if (answer.empty()) tick();
        }
        msgr_window_close(w);  // RPC_E_DISCONNECTED after a drop: nothing to close then
        msgr_window_release(w);
        return answer;
    }
    static constexpr const char *kControl = "control@loopback";

    static void record(const msgr_event *ev, void *user) {
        auto *self = static_cast<Session *>(user);
        if (ev->contact != nullptr && ev->contact->key == kControl) return;
        self->events.push_back({ev->type, ev->hr, ev->status, ev->contact, ev->window,
                                ev->text ? std::string(ev->text, ev->text_size) : std::string(),
                                ev->index});
    }

    msgr_runtime *rt = nullptr;
    std::vector<Recorded> events;
};

// Owns one reference to a window or contact for the length of a test.
template <typename T, void (*Release)(T *)>
struct Held {
    T *p = nullptr;
    Held() = default;
    Held(const Held &) = delete;
    Held &operator=(const Held &) = delete;
    ~Held() { Release(p); }
    T **out() {
        Release(p);
        p = nullptr;
        return &p;
    }
    T *get() const { return p; }
    operator T *() const { return p; }
};
using HeldWindow = Held<msgr_window, msgr_window_release>;
using HeldContact = Held<msgr_contact, msgr_contact_release>;

// The index of the contact with this sign-in name in rt's contact list; npos when not on it.
inline std::size_t contact_list_index(msgr_runtime *rt, const char *signin) {
    std::size_t n = 0;
    EXPECT_EQ(msgr_my_contacts_count(rt, &n), MSGR_S_OK);
    for (std::size_t i = 0; i < n; ++i) {
        HeldContact c;
        const char *name = nullptr;
        if (msgr_my_contacts_get(rt, i, c.out()) == MSGR_S_OK &&
            msgr_contact_signin_name(c, &name) == MSGR_S_OK && std::strcmp(name, signin) == 0)
            return i;
    }
    return std::string::npos;
}

}  // namespace msgr::test

// Test support for the C ABI tests: a runtime driven through libmsgr.so exactly as a host drives
// it (no core internals), its events recorded with their text's size, and the log lines.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "msgr/addin.h"
#include "msgr/msgr.h"
#include "msgr/ui.h"
#include "support/log_capture.hpp"

namespace msgr::test {

inline msgr_variant by_name(const char *name) {
    msgr_variant v{};
    v.vt = MSGR_VT_BSTR;
    v.bstr = name;
    return v;
}

struct Event {
    msgr_event_type type;
    msgr_hresult hr;
    msgr_window *window;  // identity only
    std::string text;     // text_size bytes of it
    std::size_t index;
};

// A runtime with the embedded defaults, as a C host has it.
class Host {
  public:
    Host() {
        EXPECT_EQ(msgr_runtime_create(nullptr, &rt), MSGR_S_OK) << msgr_last_error();
        msgr_subscription sub = 0;
        EXPECT_EQ(msgr_subscribe(rt, static_cast<msgr_event_type>(0), &Host::record, this, &sub),
                  MSGR_S_OK);
    }
    ~Host() { destroy(); }
    Host(const Host &) = delete;
    Host &operator=(const Host &) = delete;

    void destroy() {
        msgr_runtime_destroy(rt);
        rt = nullptr;
    }
    void tick(int n = 1) {
        for (int i = 0; i < n; ++i)
            (void)msgr_runtime_tick(rt);
    }
    void signin(const char *name = "player@loopback") {
        ASSERT_EQ(msgr_signin(rt, name, ""), MSGR_S_OK) << msgr_last_error();
        for (int i = 0; i < 10 && last(MSGR_EVENT_SIGNIN) == nullptr; ++i)
            tick();
        ASSERT_NE(last(MSGR_EVENT_SIGNIN), nullptr);
        ASSERT_EQ(last(MSGR_EVENT_SIGNIN)->hr, MSGR_S_OK);
    }
    const Event *last(msgr_event_type type) const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) {
            if (it->type == type) return &*it;
        }
        return nullptr;
    }
    // Sends a command to the loopback add-in's control contact (plugins/loopback-service) and
    // ticks until its answer arrives; returns the answer ("ok..." or "error: ...").
    std::string control(const std::string &command) {
        msgr_window *w = nullptr;
        EXPECT_EQ(msgr_instant_message(rt, by_name("control@loopback"), &w), MSGR_S_OK)
            << msgr_last_error();
        std::size_t index = 0;
        EXPECT_EQ(msgr_ui_send(w, command.c_str(), &index), MSGR_S_OK) << msgr_last_error();
        std::string answer;
        for (int i = 0; i < 10 && answer.empty(); ++i) {
            tick();
            std::size_t n = 0;
            (void)msgr_window_history_count(w, &n);
            for (std::size_t k = index + 1; k < n && answer.empty(); ++k) {
                msgr_message m{};
                m.struct_size = sizeof m;
                if (msgr_window_history_get(w, k, &m) == MSGR_S_OK &&
                    m.direction == MSGR_MESSAGE_INCOMING)
                    answer.assign(m.text, m.text_size);
            }
        }
        (void)msgr_window_close(w);
        msgr_window_release(w);
        tick();  // the control window's own events
        return answer;
    }

    msgr_runtime *rt = nullptr;
    std::vector<Event> events;

  private:
    static void record(const msgr_event *ev, void *user) {
        auto *self = static_cast<Host *>(user);
        std::string text;
        if (ev->text != nullptr) text.assign(ev->text, ev->text_size);
        self->events.push_back({ev->type, ev->hr, ev->window, std::move(text), ev->index});
    }
};

}  // namespace msgr::test

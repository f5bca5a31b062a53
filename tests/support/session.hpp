// Test support: a runtime driven through the C ABI, with every event it raises recorded.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "c_api_internal.hpp"
#include "loopback_service.hpp"
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

    msgr::core::LoopbackService &loopback(const char *id = "loopback") {
        return dynamic_cast<msgr::core::LoopbackService &>(*core().find_service(id));
    }

    static void record(const msgr_event *ev, void *user) {
        auto *self = static_cast<Session *>(user);
        self->events.push_back({ev->type, ev->hr, ev->status, ev->contact, ev->window,
                                ev->text ? ev->text : "", ev->index});
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

}  // namespace msgr::test

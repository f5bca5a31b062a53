// The XMPP tests' runtime: a `Client` is one runtime whose primary service is the XMPP add-in
// on a test server (tests/support/prosody_fixture or ejabberd_fixture), with every event it raised
// recorded. Shared by xmpp_service_test.cpp and conversation_e2e_test.cpp. Waiting is bounded (hang
// guards only; nothing asserts time).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../support/addin_fixture.hpp"
#include "../support/wait.hpp"
#include "prosody_fixture.hpp"
#include "xmpp_server.hpp"

namespace msgr::test {

inline const fs::path kAddins = MSGR_ADDIN_OUTPUT_DIR;  // loopback.so, paging.so, xmpp.so

struct Seen {
    msgr_event_type type;
    msgr_hresult hr;
    std::int32_t status;
    std::string contact;
    std::string text;
    msgr_window *window;
    std::size_t index;
};

// One runtime whose primary service is the XMPP add-in, with every event recorded.
class Client {
  public:
    // xmpp_more: more keys of [xmpp]; tables: more tables after it ([paging], ...).
    Client(const XmppServer &server, const std::string &xmpp_more = "", bool tls = false,
           const std::string &tables = "") {
        std::string cfg =
            "[runtime]\nprimary_service = \"xmpp\"\naddin_default_paths = false\n"
            "addin_paths = [" +
            toml_string(kAddins) + "]\n\n[xmpp]\nhost = \"" + server.host() +
            "\"\nport = " + std::to_string(server.port()) + "\n" +
            (tls ? "" : "tls = \"disabled\"\n") +
            "reconnect_backoff_ms = 50\nreconnect_backoff_max_ms = 400\n" + xmpp_more + "\n" +
            tables;
        host_ = std::make_unique<Host>(cfg);
        EXPECT_EQ(host_->create_hr, MSGR_S_OK) << msgr_last_error();
        rt = host_->rt;
        if (rt == nullptr) return;
        msgr_subscription sub = 0;
        msgr_subscribe(
            rt, static_cast<msgr_event_type>(0),
            [](const msgr_event *ev, void *u) {
                auto *self = static_cast<Client *>(u);
                const char *name = "";
                if (ev->contact != nullptr) msgr_contact_signin_name(ev->contact, &name);
                self->events.push_back({ev->type, ev->hr, ev->status, name,
                                        ev->text != nullptr ? ev->text : "", ev->window,
                                        ev->index});
                // An event lends its window until the next tick: kept, so the tests may call
                // through Seen::window later.
                if (ev->window != nullptr) {
                    msgr_window_add_ref(ev->window);
                    self->kept_.push_back(ev->window);
                }
            },
            this, &sub);
    }

    ~Client() {
        host_.reset();  // the runtime first: its last event lands in `events`
        for (auto *w : kept_)
            msgr_window_release(w);
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    void tick() { msgr_runtime_tick(rt); }

    // Ticks (sleeping a little between) until pred holds; a hang guard of `limit` (wall clock).
    template <typename P>
    bool until(P pred, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
        return step_until([&] { tick(); }, pred, limit, std::chrono::milliseconds(5));
    }

    const Seen *last(msgr_event_type t, const std::string &contact = "") const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) {
            if (it->type == t && (contact.empty() || it->contact == contact)) return &*it;
        }
        return nullptr;
    }

    // Every event so far, one a line (for failure messages).
    std::string dump() const {
        std::string out;
        for (const auto &e : events) {
            out += std::string(msgr_event_type_name(e.type)) + " " + msgr_hresult_name(e.hr) +
                   " status=" + std::to_string(e.status) + " contact=" + e.contact + " " + e.text +
                   "\n";
        }
        return out;
    }

    // Signs in and waits for its OnSignin; returns its result.
    msgr_hresult signin(const std::string &jid, const std::string &password) {
        events.clear();
        const msgr_hresult hr = msgr_signin(rt, jid.c_str(), password.c_str());
        if (MSGR_FAILED(hr)) return hr;
        if (!until([&] { return last(MSGR_EVENT_SIGNIN) != nullptr; })) return MSGR_E_UNEXPECTED;
        return last(MSGR_EVENT_SIGNIN)->hr;
    }

    // A property of the contact `who` read with `get` (-1: no such contact).
    template <typename T>
    T property(const std::string &who, msgr_hresult (*get)(msgr_contact *, T *)) {
        msgr_contact *c = nullptr;
        if (msgr_get_contact(rt, who.c_str(), nullptr, &c) != MSGR_S_OK) return -1;
        T out = -1;
        get(c, &out);
        msgr_contact_release(c);
        return out;
    }
    std::int32_t status_of(const std::string &who) { return property(who, &msgr_contact_status); }
    // Whether the contact can be paged now.
    int can_page(const std::string &who) { return property(who, &msgr_contact_can_page); }

    bool got_message(const std::string &from, const std::string &text) const {
        for (const auto &e : events) {
            if (e.type == MSGR_EVENT_MESSAGE_RECEIVED && e.contact == from && e.text == text)
                return true;
        }
        return false;
    }

    std::unique_ptr<Host> host_;
    std::vector<msgr_window *> kept_;  // every window an event lent, add_ref'd
    msgr_runtime *rt = nullptr;
    std::vector<Seen> events;
};

inline msgr_message history(msgr_window *w, std::size_t i) {
    msgr_message m{};
    m.struct_size = sizeof m;
    EXPECT_EQ(msgr_window_history_get(w, i, &m), MSGR_S_OK);
    return m;
}

}  // namespace msgr::test

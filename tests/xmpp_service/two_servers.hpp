// The suite TwoServers: each test against both XMPP server implementations, prosody and ejabberd
// (issue 14: "two server implementations, so the behaviour is the protocol's"). One server per
// implementation for the whole test program (ejabberd takes seconds to start), started on first
// use; each test signs in users of its own (alice<n> and bob<n>, contacts of each other, and
// carol<n>, a stranger to both). The tests are in two_servers_test.cpp (conversations) and
// contact_list_two_servers_test.cpp (the contact list). Every wait is bounded.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "bare_client.hpp"
#include "ejabberd_fixture.hpp"
#include "msgr/ui.h"
#include "xmpp_client.hpp"

namespace msgr::test::two_servers {

using namespace std::chrono_literals;

// The suite's servers, started on first use, stopped by TearDownTestSuite.
inline std::map<std::string, std::unique_ptr<XmppServer>> servers;

// Each test's own pair of users, alice<n> and bob<n> (contacts of each other). The first
// kPairs are made before the server starts: ejabberd's fixture then makes them all with one
// ejabberd_ctl run (a couple of seconds each) instead of three runs per test.
constexpr int kPairs = 8;
inline void add_pair(XmppServer &s, int n) {
    const std::string tag = std::to_string(n);
    s.add_user("alice" + tag, "alice-pw");
    s.add_user("bob" + tag, "bob-pw");
    s.make_contacts("alice" + tag, "bob" + tag, "Alice", "Bob");
    s.add_user("carol" + tag, "carol-pw");  // on nobody's list
}

inline XmppServer &server_for(const std::string &implementation) {
    auto &s = servers[implementation];
    if (!s) {
        if (implementation == "prosody") {
            ProsodyOptions o;
            o.scram = false;  // libstrophe 0.12's SHA-1 is not thread-safe (see the fixture)
            o.mam = true;
            o.carbons = true;
            s = std::make_unique<ProsodyFixture>(o);
        } else {
            EjabberdOptions o;
            o.scram = false;
            s = std::make_unique<EjabberdFixture>(o);
        }
        for (int n = 1; n <= kPairs; ++n)
            add_pair(*s, n);
        s->start();
    }
    return *s;
}

// How many times each text is in a window's history, in one direction.
inline std::map<std::string, int> texts(msgr_window *w, msgr_message_direction d) {
    std::map<std::string, int> out;
    std::size_t n = 0;
    EXPECT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
    for (std::size_t i = 0; i < n; ++i) {
        const msgr_message m = history(w, i);
        if (m.direction == d) ++out[std::string(m.text, m.text_size)];
    }
    return out;
}

class Window {
  public:
    Window(Client &c, const std::string &who) {
        const msgr_variant v{MSGR_VT_BSTR, who.c_str(), nullptr};
        EXPECT_EQ(msgr_instant_message(c.rt, v, &w_), MSGR_S_OK) << msgr_last_error();
    }
    ~Window() {
        if (w_ != nullptr) msgr_window_release(w_);
    }
    Window(const Window &) = delete;
    Window &operator=(const Window &) = delete;
    msgr_window *get() const { return w_; }
    std::size_t send(const std::string &text) const {
        std::size_t index = 0;
        EXPECT_EQ(msgr_ui_send(w_, text.c_str(), &index), MSGR_S_OK) << msgr_last_error();
        return index;
    }

  private:
    msgr_window *w_ = nullptr;
};

class TwoServers : public ::testing::TestWithParam<std::string> {
  protected:
    static void TearDownTestSuite() { servers.clear(); }

    void SetUp() override {
        const char *was = std::getenv("XDG_DATA_HOME");
        if (was != nullptr) saved_data_home_ = was;
        ::setenv("XDG_DATA_HOME", data_home_.path().c_str(), 1);
        server = &server_for(GetParam());
        // Users of this test's own: the server is shared with the suite's other tests.
        static std::map<std::string, int> used;  // pairs taken, per server
        const int n = ++used[GetParam()];
        if (n > kPairs) add_pair(*server, n);
        alice_user = "alice" + std::to_string(n);
        bob_user = "bob" + std::to_string(n);
        carol_user = "carol" + std::to_string(n);
        alice = server->jid(alice_user);
        bob = server->jid(bob_user);
        carol = server->jid(carol_user);
    }
    void TearDown() override {
        if (!saved_data_home_.empty()) ::setenv("XDG_DATA_HOME", saved_data_home_.c_str(), 1);
    }

    // A bare libstrophe client of `user`, online; resource names the device.
    std::unique_ptr<BareClient> bare(const std::string &user, const std::string &password,
                                     const std::string &resource, bool all_messages = false) {
        BareClientOptions o;
        o.jid = server->jid(user) + "/" + resource;
        o.password = password;
        o.port = server->port();
        o.all_messages = all_messages;
        auto c = std::make_unique<BareClient>(o);
        EXPECT_TRUE(c->connect(15s)) << c->last_error();
        return c;
    }
    // Waits until the server has handled everything `c` sent before (a message to its own full
    // JID comes back only after the stanzas before it on the same stream).
    static bool drained(BareClient &c, const std::string &tag) {
        c.send_message(c.bound_jid(), tag);
        const auto end = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < end) {
            const auto m = c.wait_message(1s);
            if (m && m->body == tag) return true;
        }
        return false;
    }

    TempDir data_home_;
    std::string saved_data_home_;
    XmppServer *server = nullptr;
    std::string alice_user, bob_user, carol_user, alice, bob, carol;
};

}  // namespace msgr::test::two_servers

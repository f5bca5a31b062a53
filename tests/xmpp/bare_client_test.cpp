// Bare libstrophe clients against a real prosody: sign-in, messages both ways, presence between
// contacts, wrong password, server down, TLS verified with the fixture's CA and refused with
// another, the server killed under a connected client and restarted.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bare_client.hpp"
#include "prosody_fixture.hpp"

using namespace msgr::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kConnect = 5s;
constexpr auto kDeliver = 3s;

BareClientOptions client_for(const ProsodyFixture &s, const std::string &user,
                             const std::string &password) {
    BareClientOptions o;
    o.jid = s.jid(user);
    o.password = password;
    o.host = s.host();
    o.port = s.port();
    if (s.tls()) {
        o.tls = TlsMode::Required;
        o.ca_file = s.ca_file().string();
    }
    return o;
}

std::string bare(const std::string &jid) {
    return jid.substr(0, jid.find('/'));
}

// One plaintext server for the suite: starting prosody is the slow part.
class BareClientTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new ProsodyFixture();
        for (const char *u : {"alice", "bob", "carol", "dave"})
            server_->add_user(u, "pw-" + std::string(u));
        server_->make_contacts("carol", "dave", "Carol", "Dave");
        server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void TearDown() override {
        if (HasFailure()) server_->print_log(std::cerr);
    }
    static BareClientOptions opts(const std::string &user) {
        return client_for(*server_, user, "pw-" + user);
    }
    static ProsodyFixture *server_;
};
ProsodyFixture *BareClientTest::server_ = nullptr;

}  // namespace

TEST_F(BareClientTest, TwoClientsSignInAndExchangeMessagesBothWays) {
    BareClient alice(opts("alice")), bob(opts("bob"));
    const auto t0 = Clock::now();
    alice.start_connect();
    bob.start_connect();
    ASSERT_TRUE(alice.wait_online(kConnect)) << alice.last_error() << alice.log_tail();
    ASSERT_TRUE(bob.wait_online(kConnect)) << bob.last_error() << bob.log_tail();
    std::cerr << "two plaintext sign-ins: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms\n";
    EXPECT_FALSE(alice.secured());
    EXPECT_EQ(bare(alice.bound_jid()), "alice@localhost");

    alice.send_message(server_->jid("bob"), "hello bob");
    auto m = bob.wait_message(kDeliver);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "hello bob");
    EXPECT_EQ(bare(m->from), "alice@localhost");
    EXPECT_EQ(m->type, "chat");

    bob.send_message(alice.bound_jid(), "hi alice, ünïcödé ✓ <&>");
    m = alice.wait_message(kDeliver);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "hi alice, ünïcödé ✓ <&>");
    EXPECT_EQ(bare(m->from), "bob@localhost");

    // Order is kept for a burst.
    for (int i = 0; i < 50; ++i)
        alice.send_message(server_->jid("bob"), std::to_string(i));
    for (int i = 0; i < 50; ++i) {
        m = bob.wait_message(kDeliver);
        ASSERT_TRUE(m.has_value()) << "message " << i;
        EXPECT_EQ(m->body, std::to_string(i));
    }
}

TEST_F(BareClientTest, ContactsSeeEachOthersPresence) {
    BareClient carol(opts("carol")), dave(opts("dave"));
    ASSERT_TRUE(carol.connect(kConnect)) << carol.last_error();
    ASSERT_TRUE(dave.connect(kConnect)) << dave.last_error();
    // Carol sees Dave come online (and Dave sees Carol, who was there first).
    auto saw = [](BareClient &c, const std::string &who, const std::string &type,
                  const std::string &show) {
        const auto deadline = Clock::now() + kDeliver;
        while (Clock::now() < deadline) {
            auto p = c.wait_presence(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            if (p && bare(p->from) == who && p->type == type && p->show == show) return true;
        }
        return false;
    };
    EXPECT_TRUE(saw(carol, "dave@localhost", "", ""));
    EXPECT_TRUE(saw(dave, "carol@localhost", "", ""));
    dave.send_presence("away", "lunch");
    EXPECT_TRUE(saw(carol, "dave@localhost", "", "away"));
    dave.disconnect();
    EXPECT_TRUE(dave.wait_disconnected(kDeliver));
    EXPECT_TRUE(saw(carol, "dave@localhost", "unavailable", ""));
}

// Several clients signing in at the same moment (SCRAM-SHA-1 on separate threads): see
// libstrophe_process_mutex() for why this needs care.
TEST_F(BareClientTest, ConcurrentSignInsAllSucceed) {
    for (int round = 0; round < 3; ++round) {
        std::vector<std::unique_ptr<BareClient>> clients;
        for (const char *u : {"alice", "bob", "carol", "dave"})
            clients.push_back(std::make_unique<BareClient>(opts(u)));
        for (auto &c : clients)
            c->start_connect();
        for (auto &c : clients)
            EXPECT_TRUE(c->wait_online(kConnect))
                << c->options().jid << ": " << c->last_error() << "\n"
                << c->log_tail();
    }
}

TEST(BareClientPlainOnly, ServerWithoutScramSignsInWithPlain) {
    ProsodyOptions o;
    o.scram = false;
    ProsodyFixture server(o);
    server.add_user("alice", "pw");
    server.add_user("bob", "pw");
    server.start();
    auto opt = client_for(server, "alice", "pw");
    opt.debug_log = false;
    BareClient alice(opt), bob(client_for(server, "bob", "pw"));
    alice.start_connect();
    bob.start_connect();
    ASSERT_TRUE(alice.wait_online(kConnect)) << alice.last_error() << alice.log_tail();
    ASSERT_TRUE(bob.wait_online(kConnect)) << bob.last_error();
    BareClient wrong(client_for(server, "alice", "nope"));
    EXPECT_FALSE(wrong.connect(kConnect));
    EXPECT_TRUE(wrong.auth_failed()) << wrong.last_error() << wrong.log_tail();
}

TEST_F(BareClientTest, WrongPasswordFails) {
    BareClient alice(client_for(*server_, "alice", "not-the-password"));
    const auto t0 = Clock::now();
    EXPECT_FALSE(alice.connect(kConnect));
    EXPECT_LT(Clock::now() - t0, kConnect) << "failed by timeout, not by the server's answer";
    EXPECT_TRUE(alice.auth_failed()) << alice.last_error() << "\n" << alice.log_tail();
    EXPECT_EQ(alice.connects(), 0);
    EXPECT_EQ(alice.state(), ClientState::Disconnected);
}

TEST_F(BareClientTest, UnknownUserFails) {
    BareClient nobody(client_for(*server_, "nobody", "x"));
    EXPECT_FALSE(nobody.connect(kConnect));
    EXPECT_TRUE(nobody.auth_failed()) << nobody.last_error();
}

TEST(BareClientNoServer, ServerDownAtSignInFailsFast) {
    BareClientOptions o;
    o.jid = "alice@localhost";
    o.password = "x";
    o.port = pick_free_port();  // nothing listens there
    BareClient alice(o);
    const auto t0 = Clock::now();
    EXPECT_FALSE(alice.connect(kConnect));
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_FALSE(alice.auth_failed());
    EXPECT_FALSE(alice.last_error().empty());
}

// ---- TLS with the fixture's self-signed CA ----

class BareClientTlsTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        ProsodyOptions o;
        o.tls = true;
        o.require_tls = true;
        server_ = new ProsodyFixture(o);
        server_->add_user("alice", "pw-alice");
        server_->add_user("bob", "pw-bob");
        server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void TearDown() override {
        if (HasFailure()) server_->print_log(std::cerr);
    }
    static ProsodyFixture *server_;
};
ProsodyFixture *BareClientTlsTest::server_ = nullptr;

TEST_F(BareClientTlsTest, VerifiesWithTheFixturesCaAndExchangesMessages) {
    BareClient alice(client_for(*server_, "alice", "pw-alice"));
    BareClient bob(client_for(*server_, "bob", "pw-bob"));
    const auto t0 = Clock::now();
    ASSERT_TRUE(alice.connect(kConnect)) << alice.last_error() << alice.log_tail();
    std::cerr << "one TLS sign-in: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms\n";
    ASSERT_TRUE(bob.connect(kConnect)) << bob.last_error();
    EXPECT_TRUE(alice.secured());
    EXPECT_FALSE(alice.tls_failed());
    alice.send_message(server_->jid("bob"), "over TLS");
    auto m = bob.wait_message(kDeliver);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "over TLS");
    bob.send_message(server_->jid("alice"), "back");
    m = alice.wait_message(kDeliver);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "back");
}

TEST_F(BareClientTlsTest, AWrongCaIsRefused) {
    auto o = client_for(*server_, "alice", "pw-alice");
    o.ca_file = server_->wrong_ca_file().string();
    BareClient alice(o);
    EXPECT_FALSE(alice.connect(kConnect));
    EXPECT_TRUE(alice.tls_failed()) << alice.last_error() << "\n" << alice.log_tail();
    EXPECT_FALSE(alice.auth_failed());
    EXPECT_EQ(alice.connects(), 0);
}

TEST_F(BareClientTlsTest, NoCaAtAllIsRefused) {
    auto o = client_for(*server_, "alice", "pw-alice");
    o.ca_file.clear();  // the system store does not know our CA
    BareClient alice(o);
    EXPECT_FALSE(alice.connect(kConnect));
    EXPECT_TRUE(alice.tls_failed()) << alice.last_error();
}

TEST_F(BareClientTlsTest, PlaintextIsRefusedWhenTheServerRequiresTls) {
    auto o = client_for(*server_, "alice", "pw-alice");
    o.tls = TlsMode::Disabled;
    BareClient alice(o);
    EXPECT_FALSE(alice.connect(kConnect));
    EXPECT_EQ(alice.connects(), 0);
}

// ---- the server killed under connected clients, then restarted ----

TEST(BareClientServerLoss, KilledServerIsNoticedAndRestartAllowsReconnect) {
    ProsodyFixture server;
    server.add_user("alice", "pw");
    server.add_user("bob", "pw");
    server.start();
    BareClient alice(client_for(server, "alice", "pw")), bob(client_for(server, "bob", "pw"));
    ASSERT_TRUE(alice.connect(kConnect)) << alice.last_error();
    ASSERT_TRUE(bob.connect(kConnect)) << bob.last_error();

    const auto t0 = Clock::now();
    server.kill();
    ASSERT_TRUE(alice.wait_disconnected(2s)) << "a killed server went unnoticed";
    ASSERT_TRUE(bob.wait_disconnected(2s));
    std::cerr << "disconnect noticed after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms\n";
    EXPECT_EQ(alice.disconnects(), 1);

    // While it is down, sign-in fails fast.
    EXPECT_FALSE(alice.connect(2s));

    server.restart();  // same port, same accounts
    ASSERT_TRUE(alice.connect(kConnect)) << alice.last_error() << alice.log_tail();
    ASSERT_TRUE(bob.connect(kConnect)) << bob.last_error();
    EXPECT_EQ(alice.connects(), 2);
    alice.send_message(server.jid("bob"), "after restart");
    // bob may first get messages libstrophe resent from the lost session; find ours.
    bool found = false;
    while (auto m = bob.wait_message(kDeliver)) {
        if (m->body == "after restart") {
            found = true;
            break;
        }
    }
    EXPECT_TRUE(found);
}

TEST(BareClientServerLoss, DroppedLinkIsNoticedAndReconnectWorks) {
    ProsodyFixture server;
    server.add_user("alice", "pw");
    server.add_user("bob", "pw");
    server.start();
    BareClient alice(client_for(server, "alice", "pw")), bob(client_for(server, "bob", "pw"));
    ASSERT_TRUE(alice.connect(kConnect));
    ASSERT_TRUE(bob.connect(kConnect));
    alice.drop_connection();
    ASSERT_TRUE(alice.wait_disconnected(2s));
    ASSERT_TRUE(alice.connect(kConnect)) << alice.last_error() << alice.log_tail();
    bob.send_message(server.jid("alice"), "still there?");
    auto m = alice.wait_message(kDeliver);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "still there?");
}

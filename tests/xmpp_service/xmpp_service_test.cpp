// The XMPP service add-in against a real prosody (tests/support/prosody_fixture): two runtimes
// in this process sign in as two users and chat; sign-in failures map to the documented codes;
// TLS with the fixture's CA and with a wrong one; the server killed and restarted mid-way.
// Waiting is bounded by tick counts with short sleeps (hang guards only; nothing asserts time).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "xmpp_client.hpp"

using namespace msgr::test;

namespace {

// A host program's configuration: the XMPP add-in as the primary service, on the test server,
// and no other service signing in (the README's XMPP example).
std::string host_config(const ProsodyFixture &server) {
    return "[runtime]\nprimary_service = \"xmpp\"\nsecondary_services = []\n"
           "addin_default_paths = false\n"
           "addin_paths = [" +
           toml_string(kAddins) + "]\n\n[xmpp]\nhost = \"" + server.host() +
           "\"\nport = " + std::to_string(server.port()) + "\ntls = \"disabled\"\n";
}

// A shell command run on a thread of its own, so that a runtime in this process can keep
// ticking meanwhile: its output (stdout and stderr) and exit status once finished.
class Program {
  public:
    explicit Program(std::string cmd)
        : thread_([this, cmd = std::move(cmd)] {
              FILE *p = ::popen((cmd + " 2>&1").c_str(), "r");
              if (p != nullptr) {
                  char buf[512];
                  while (std::fgets(buf, sizeof buf, p) != nullptr)
                      out_ += buf;
                  rc_ = ::pclose(p);
              }
              done_ = true;
          }) {}
    ~Program() { wait(); }
    Program(const Program &) = delete;
    Program &operator=(const Program &) = delete;

    bool done() const { return done_.load(); }
    // Waits for it to finish; its output.
    const std::string &wait() {
        if (thread_.joinable()) thread_.join();
        return out_;
    }
    int exit_status() {
        wait();
        return rc_;
    }

  private:
    std::string out_;
    int rc_ = -1;
    std::atomic<bool> done_{false};
    std::thread thread_;  // last: it starts once the rest is ready
};

class Xmpp : public ::testing::Test {
  protected:
    void SetUp() override { start(ProsodyOptions{}); }
    void start(ProsodyOptions o) {
        o.scram = false;  // libstrophe 0.12's SHA-1 is not thread-safe (see the fixture)
        server = std::make_unique<ProsodyFixture>(o);
        server->start();
        server->add_user("alice", "alice-pw");
        server->add_user("bob", "bob-pw");
        server->make_contacts("alice", "bob", "Alice", "Bob");
    }
    // A server that requires STARTTLS, with a certificate from the fixture's own CA.
    void start_with_tls() {
        ProsodyOptions o;
        o.tls = true;
        o.require_tls = true;
        start(o);
    }
    std::unique_ptr<ProsodyFixture> server;
};

}  // namespace

TEST_F(Xmpp, TwoRuntimesSeeEachOtherAndChatBothWays) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_S_OK);
    const std::string bob = server->jid("bob"), alice = server->jid("alice");
    // The roster is the contact list, with the roster's name as the friendly name.
    ASSERT_TRUE(a.until([&] { return a.last(MSGR_EVENT_CONTACT_LIST_ADD, bob) != nullptr; }))
        << a.dump();
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    // Presence: each sees the other come online.
    ASSERT_TRUE(a.until([&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_STATUS_CHANGE, bob);
        return s != nullptr && s->status == MSGR_STATUS_ONLINE;
    })) << a.dump();
    // Bob's runtime may learn Alice's presence before it first describes her: then her contact
    // starts out online and there is no change to report. Either way she shows as online.
    ASSERT_TRUE(b.until([&] { return b.status_of(alice) == MSGR_STATUS_ONLINE; })) << b.dump();
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_get_contact(a.rt, bob.c_str(), nullptr, &c), MSGR_S_OK);
    const char *friendly = nullptr;
    ASSERT_EQ(msgr_contact_friendly_name(c, &friendly), MSGR_S_OK);
    EXPECT_STREQ(friendly, "Bob");
    msgr_contact_release(c);

    // Alice -> Bob: Bob's runtime opens a window for it, as Messenger did.
    msgr_variant v{MSGR_VT_BSTR, bob.c_str(), nullptr};
    msgr_window *wa = nullptr;
    ASSERT_EQ(msgr_instant_message(a.rt, v, &wa), MSGR_S_OK);
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(wa, "hello bob", &index), MSGR_S_OK);
    ASSERT_TRUE(b.until([&] { return b.got_message(alice, "hello bob"); }));
    // Bob's client answered with a receipt (XEP-0184): past SENT to DELIVERED.
    ASSERT_TRUE(a.until([&] { return history(wa, index).delivery == MSGR_DELIVERY_DELIVERED; }))
        << history(wa, index).delivery;
    EXPECT_EQ(history(wa, index).flags, 0u);  // a chat line
    const Seen *created = b.last(MSGR_EVENT_IM_WINDOW_CREATED, alice);
    ASSERT_NE(created, nullptr);
    EXPECT_EQ(created->window, b.last(MSGR_EVENT_MESSAGE_RECEIVED, alice)->window);

    // Bob -> Alice, in the window the message opened.
    ASSERT_EQ(msgr_ui_send(created->window, "hi alice \xF0\x9F\x98\x80", nullptr), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] { return a.got_message(bob, "hi alice \xF0\x9F\x98\x80"); }));
    EXPECT_EQ(a.last(MSGR_EVENT_MESSAGE_RECEIVED, bob)->window, wa);

    // My status -> presence -> the other's MISTATUS.
    ASSERT_EQ(msgr_set_my_status(b.rt, MSGR_STATUS_BUSY), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_STATUS_CHANGE, bob);
        return s != nullptr && s->status == MSGR_STATUS_BUSY;
    }));
    // Signing out is unavailable presence.
    ASSERT_EQ(msgr_signout(b.rt), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_STATUS_CHANGE, bob);
        return s != nullptr && s->status == MSGR_STATUS_OFFLINE;
    }));
    msgr_window_release(wa);
}

// Paging over XMPP. Bob's client accepts pages ([xmpp] accept_pages = true): it lists
// urn:msgr:paging:0 in its disco#info and announces it with XEP-0115 caps. Alice's runtime learns
// it from his presence and a disco#info query, so Bob "has mobile services"; her paging add-in
// hands the page to the XMPP service (msgr_host_page_via_service), which sends it to Bob's
// client: it arrives in Bob's runtime, is reported sent in Alice's page window, and never
// reaches her paging add-in's own gateway (the outbox stays empty). Alice's client does not
// accept pages: Bob cannot page her. Once Bob signs out, he cannot be paged either.
TEST_F(Xmpp, APageReachesAContactWhoseClientAcceptsPages) {
    TempDir dir;
    const fs::path outbox_a = dir.path() / "a" / "outbox.jsonl";
    const fs::path outbox_b = dir.path() / "b" / "outbox.jsonl";
    Client a(*server, "", false, "[paging]\noutbox = " + toml_string(outbox_a) + "\n");
    Client b(*server, "accept_pages = true\n", false,
             "[paging]\noutbox = " + toml_string(outbox_b) + "\n");
    const std::string bob = server->jid("bob"), alice = server->jid("alice");
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] { return a.status_of(bob) == MSGR_STATUS_ONLINE; })) << a.dump();
    ASSERT_TRUE(b.until([&] { return b.status_of(alice) == MSGR_STATUS_ONLINE; })) << b.dump();
    ASSERT_TRUE(a.until([&] { return a.can_page(bob) == 1; })) << a.dump();

    msgr_variant to_bob{MSGR_VT_BSTR, bob.c_str(), nullptr};
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_page(a.rt, to_bob, &w), MSGR_S_OK) << msgr_last_error();
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(w, "call me \xE2\x98\x8E", &index), MSGR_S_OK) << msgr_last_error();
    ASSERT_TRUE(b.until([&] { return b.got_message(alice, "call me \xE2\x98\x8E"); })) << b.dump();
    ASSERT_TRUE(a.until([&] { return history(w, index).delivery != MSGR_DELIVERY_PENDING; }));
    EXPECT_EQ(history(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(history(w, index).flags, MSGR_MESSAGE_PAGE);
    // In Bob's conversation window it is marked as a page (msgr_host_post_page), not a chat line.
    const Seen *arrived = b.last(MSGR_EVENT_MESSAGE_RECEIVED, alice);
    ASSERT_NE(arrived, nullptr);
    std::size_t n = 0;
    ASSERT_EQ(msgr_window_history_count(arrived->window, &n), MSGR_S_OK);
    ASSERT_GE(n, 1u);
    EXPECT_EQ(history(arrived->window, n - 1).flags, MSGR_MESSAGE_PAGE);
    EXPECT_FALSE(fs::exists(outbox_a)) << "the page went to the outbox, not over XMPP";

    // Alice's client does not accept pages: the contact service can page (it is XMPP), but
    // Alice has no mobile services.
    EXPECT_EQ(b.can_page(alice), 0);
    msgr_variant to_alice{MSGR_VT_BSTR, alice.c_str(), nullptr};
    msgr_window *wb = nullptr;
    EXPECT_EQ(msgr_page(b.rt, to_alice, &wb), MSGR_E_PAGING_UNAVAILABLE);
    EXPECT_EQ(wb, nullptr);

    // Bob goes away: no client of his accepts pages any more.
    ASSERT_EQ(msgr_signout(b.rt), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] { return a.can_page(bob) == 0; })) << a.dump();
    msgr_window *again = nullptr;
    EXPECT_EQ(msgr_page(a.rt, to_bob, &again), MSGR_E_PAGING_UNAVAILABLE);
    msgr_window_release(w);
}

TEST_F(Xmpp, AWrongPasswordIsInvalidPassword) {
    Client a(*server);
    EXPECT_EQ(a.signin(server->jid("alice"), "not-the-password"), MSGR_E_INVALID_PASSWORD);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(a.rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    // And it can try again.
    EXPECT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_S_OK);
}

TEST_F(Xmpp, AServerThatIsDownIsConnect) {
    Client a(*server);
    server->stop();
    EXPECT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_E_CONNECT);
}

TEST_F(Xmpp, PlaintextIsRefusedAwayFromLoopback) {
    Host h("[runtime]\nprimary_service = \"xmpp\"\naddin_default_paths = false\naddin_paths = [" +
           toml_string(kAddins) + "]\n[xmpp]\nhost = \"xmpp.example.com\"\ntls = \"disabled\"\n");
    EXPECT_EQ(h.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_NE(std::string(msgr_last_error()).find("xmpp.tls"), std::string::npos)
        << msgr_last_error();
}

TEST_F(Xmpp, TlsRequiredAgainstAServerWithoutACertificateIsRefused) {
    Client a(*server, "",
             /*tls=*/true);  // tls = "required" (the default); this server has no certificate
    EXPECT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_E_CONNECT);
}

TEST_F(Xmpp, TlsWithTheServersCaSignsIn) {
    start_with_tls();
    Client a(*server, "ca_file = " + toml_string(server->ca_file()) + "\n", true);
    EXPECT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_S_OK);
}

TEST_F(Xmpp, TlsWithAWrongCaIsRefused) {
    start_with_tls();
    Client a(*server, "ca_file = " + toml_string(server->wrong_ca_file()) + "\n", true);
    EXPECT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_E_CONNECT);
}

TEST_F(Xmpp, AServerRestartMidConversationLosesNothing) {
    Client a(*server), b(*server);
    const std::string bob = server->jid("bob"), alice = server->jid("alice");
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    msgr_variant v{MSGR_VT_BSTR, bob.c_str(), nullptr};
    msgr_window *wa = nullptr;
    ASSERT_EQ(msgr_instant_message(a.rt, v, &wa), MSGR_S_OK);
    ASSERT_EQ(msgr_ui_send(wa, "before", nullptr), MSGR_S_OK);
    ASSERT_TRUE(b.until([&] { return b.got_message(alice, "before"); }));

    server->kill();
    // Give both clients a few ticks to notice; they stay signed in while reconnecting.
    for (int i = 0; i < 40; ++i) {
        a.tick();
        b.tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(wa, "while down", &index), MSGR_S_OK);
    EXPECT_EQ(a.last(MSGR_EVENT_SIGNOUT), nullptr) << "a short outage is not going offline";
    server->restart();
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.got_message(alice, "while down");
    })) << "the message sent while the server was down arrives after the restart";
    // The server acknowledges it (SENT; its <a/> may come after Bob has the message), and Bob's
    // receipt may already have made it DELIVERED.
    EXPECT_TRUE(a.until([&] {
        const msgr_delivery_state d = history(wa, index).delivery;
        return d == MSGR_DELIVERY_SENT || d == MSGR_DELIVERY_DELIVERED;
    })) << history(wa, index).delivery;
    EXPECT_EQ(a.last(MSGR_EVENT_SIGNOUT), nullptr);
    EXPECT_EQ(b.last(MSGR_EVENT_SIGNOUT), nullptr);
    msgr_window_release(wa);
}

TEST_F(Xmpp, AServerThatStaysDownIsGoingOfflineAndWaitingMessagesFail) {
    Client a(*server, "reconnect_grace_ms = 300\n");
    const std::string bob = server->jid("bob");
    ASSERT_EQ(a.signin(server->jid("alice"), "alice-pw"), MSGR_S_OK);
    msgr_variant v{MSGR_VT_BSTR, bob.c_str(), nullptr};
    msgr_window *wa = nullptr;
    ASSERT_EQ(msgr_instant_message(a.rt, v, &wa), MSGR_S_OK);
    server->kill();
    for (int i = 0; i < 20; ++i) {
        a.tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(wa, "nobody hears", &index), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] { return a.last(MSGR_EVENT_SIGNOUT) != nullptr; }));
    EXPECT_EQ(a.last(MSGR_EVENT_SIGNOUT)->hr, MSGR_E_DISCONNECTED);
    int closed = 0;
    EXPECT_EQ(msgr_window_is_closed(wa, &closed), MSGR_RPC_E_DISCONNECTED);  // dereferenced
    // The message that waited was reported failed, not dropped.
    bool failed = false;
    for (const auto &e : a.events) {
        failed = failed || (e.type == MSGR_EVENT_DELIVERY_CHANGE && e.hr == MSGR_E_DISCONNECTED);
    }
    EXPECT_TRUE(failed);
    msgr_window_release(wa);
}

// The README's promise: the headless host pointed at an XMPP account by configuration, chatting
// with a second instance (here a runtime in this process).
TEST_F(Xmpp, TheHeadlessHostSignsInToAnXmppAccountAndChats) {
    Client b(*server);
    const std::string bob = server->jid("bob"), alice = server->jid("alice");
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    TempDir dir;
    const fs::path cfg = dir / "headless.toml";
    write_file(cfg, host_config(*server));
    Program host("MSGR_PASSWORD=alice-pw MSGR_HEADLESS_SECONDS=1 timeout 60 '" +
                 std::string(MSGR_HEADLESS) + "' '" + cfg.string() + "' '" + alice + "' '" + bob +
                 "'");
    // Bob's runtime keeps ticking while the host runs; it receives the greeting.
    const bool got = b.until([&] { return b.got_message(alice, "hello from msgr-headless"); });
    const std::string &out = host.wait();
    EXPECT_TRUE(got) << out;
    EXPECT_EQ(host.exit_status(), 0) << out;
    EXPECT_NE(out.find("OnSignin"), std::string::npos) << out;
    // Sent, or further already (bob's runtime answers with a receipt).
    EXPECT_TRUE(out.find("delivery: MSGR_DELIVERY_SENT") != std::string::npos ||
                out.find("delivery: MSGR_DELIVERY_DELIVERED") != std::string::npos ||
                out.find("delivery: MSGR_DELIVERY_READ") != std::string::npos)
        << out;
}

// The SDL2 demo host pointed at an XMPP account by configuration (--config), chatting with a
// second instance: the demo, offscreen, signs in through its dialog (typing the password), opens
// a conversation with Bob from its contact list and says hello; Bob's runtime here answers in the
// window the message opened, and the demo waits for that answer and shows it.
TEST_F(Xmpp, TheSdlDemoSignsInToAnXmppAccountAndChats) {
    Client b(*server);
    const std::string bob = server->jid("bob"), alice = server->jid("alice");
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    TempDir dir;
    const fs::path cfg = dir / "demo.toml";
    write_file(cfg, host_config(*server));
    const fs::path out_dir = dir / "shots";
    // Mesa's GL driver leaks and is unloaded before an ASan leak check could name it (see the
    // demo's own test in tests/CMakeLists.txt).
    Program demo(
        "SDL_VIDEODRIVER=offscreen ASAN_OPTIONS=detect_leaks=0 "
        "MSGR_PASSWORD=alice-pw timeout 120 '" +
        std::string(MSGR_SDL_DEMO) + "' --config '" + cfg.string() + "' --signin '" + alice +
        "' --script --peer '" + bob + "' --out '" + out_dir.string() + "'");
    // Bob answers the demo's hello in the window it opened.
    const std::string hello = "Hello over XMPP from the msgr demo!";
    const bool got = b.until([&] { return b.got_message(alice, hello); });
    if (got) {
        const Seen *created = b.last(MSGR_EVENT_IM_WINDOW_CREATED, alice);
        EXPECT_NE(created, nullptr);
        if (created != nullptr) {
            EXPECT_EQ(msgr_ui_send(created->window, "hi demo, bob here", nullptr), MSGR_S_OK);
        }
    }
    // Bob's runtime keeps ticking until the demo has finished.
    b.until([&] { return demo.done(); });
    const std::string &out = demo.wait();
    const std::string transcript = read_file(out_dir / "transcript.txt");
    EXPECT_TRUE(got) << out << transcript;
    EXPECT_EQ(demo.exit_status(), 0) << out << transcript;
    EXPECT_NE(transcript.find("in: hi demo, bob here"), std::string::npos) << transcript;
    EXPECT_NE(transcript.find("PASSED: 0 check(s) failed"), std::string::npos) << transcript;
    EXPECT_TRUE(fs::exists(out_dir / "02-xmpp-chat.png"));
}

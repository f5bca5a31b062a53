// The ejabberd fixture itself: it starts a real ejabberd on free loopback ports with a private
// Erlang node, accounts and contacts made with ejabberd_ctl sign in with the bare libstrophe
// client, two fixtures run at once, kill + restart keep the port and the data, and no process
// is left behind: not by stop, not by a test process that dies without destructors.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "bare_client.hpp"
#include "ejabberd_fixture.hpp"
#include "process_probe.hpp"

using namespace msgr::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

BareClientOptions client_for(const EjabberdFixture &s, const std::string &user,
                             const std::string &password) {
    BareClientOptions o;
    o.jid = s.jid(user);
    o.password = password;
    o.host = s.host();
    o.port = s.port();
    return o;
}

// Nothing is left in the server's process group (erl_child_setup, inet_gethost, ...).
bool group_gone(pid_t pgid) {
    return ::kill(-pgid, 0) != 0 && errno == ESRCH;
}

}  // namespace

TEST(EjabberdFixture, StartsOnLoopbackWithItsOwnNodeAndUsersSignIn) {
    EjabberdFixture server;
    server.add_user("alice", "pw-alice");  // queued: ejabberd_ctl needs the node running
    server.add_user("bob", "pw-bob");
    server.make_contacts("alice", "bob", "Alice", "Bob");
    server.start();
    std::cerr << "ejabberd start (with 3 ctl commands after): "
              << server.last_start_duration().count() << " ms\n";
    EXPECT_TRUE(server.running());
    EXPECT_EQ(server.host(), "127.0.0.1");
    EXPECT_NE(server.port(), server.distribution_port());
    EXPECT_EQ(server.jid("alice"), "alice@localhost");
    const std::string log = server.log();
    EXPECT_NE(log.find("is started in the node " + server.node()), std::string::npos) << log;
    EXPECT_EQ(server.node().rfind("msgr_ej_", 0), 0u) << server.node();
    // The node's distribution listens on its own loopback port (no epmd).
    EXPECT_TRUE(tcp_connects("127.0.0.1", server.distribution_port()));

    std::string out;
    ASSERT_EQ(server.ctl({"registered_users", "localhost"}, &out), 0) << out;
    EXPECT_NE(out.find("alice"), std::string::npos) << out;
    EXPECT_NE(out.find("bob"), std::string::npos) << out;
    ASSERT_EQ(server.ctl({"get_roster", "alice", "localhost"}, &out), 0) << out;
    EXPECT_NE(out.find("bob@localhost"), std::string::npos) << out;
    EXPECT_NE(out.find("both"), std::string::npos) << out;

    BareClient alice(client_for(server, "alice", "pw-alice"));
    BareClient bob(client_for(server, "bob", "pw-bob"));
    ASSERT_TRUE(alice.connect(15s)) << alice.last_error() << alice.log_tail();
    ASSERT_TRUE(bob.connect(15s)) << bob.last_error();
    alice.send_message(server.jid("bob"), "hello from alice");
    auto m = bob.wait_message(5s);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "hello from alice");
    bob.send_message(server.jid("alice"), "hi alice");
    m = alice.wait_message(5s);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->body, "hi alice");

    // A wrong password fails at SASL; an account added while running signs in.
    BareClient wrong(client_for(server, "alice", "nope"));
    EXPECT_FALSE(wrong.connect(15s));
    EXPECT_TRUE(wrong.auth_failed()) << wrong.last_error();
    server.add_user("carol", "pw-carol");
    BareClient carol(client_for(server, "carol", "pw-carol"));
    EXPECT_TRUE(carol.connect(15s)) << carol.last_error();

    const pid_t pid = server.pid();
    const auto t0 = Clock::now();
    server.stop();
    std::cerr << "ejabberd stop: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms\n";
    EXPECT_FALSE(server.running());
    EXPECT_FALSE(process_exists(pid));
    EXPECT_TRUE(group_gone(pid));
}

TEST(EjabberdFixture, TwoAtOnceThenKillAndRestartKeepThePortAndTheData) {
    EjabberdFixture a, b;
    a.add_user("alice", "pw");
    b.add_user("alice", "pw");
    a.start();
    b.start();
    EXPECT_NE(a.port(), b.port());
    EXPECT_NE(a.node(), b.node());
    EXPECT_NE(a.distribution_port(), b.distribution_port());
    {
        BareClient ca(client_for(a, "alice", "pw")), cb(client_for(b, "alice", "pw"));
        ASSERT_TRUE(ca.connect(15s)) << ca.last_error();
        ASSERT_TRUE(cb.connect(15s)) << cb.last_error();
    }
    const auto port = a.port();
    const pid_t first = a.pid();
    a.kill();
    EXPECT_FALSE(a.running());
    EXPECT_FALSE(process_exists(first));
    EXPECT_TRUE(group_gone(first));
    EXPECT_TRUE(b.running());  // the other one is not touched
    a.start();
    EXPECT_EQ(a.port(), port);
    EXPECT_NE(a.pid(), first);
    BareClient again(client_for(a, "alice", "pw"));  // the account survived (Mnesia on disk)
    EXPECT_TRUE(again.connect(15s)) << again.last_error();
}

// STARTTLS required, with a certificate from the fixture's CA: verified with that CA, refused
// with the other.
TEST(EjabberdFixture, TlsWithTheFixturesCa) {
    EjabberdOptions o;
    o.tls = true;
    o.require_tls = true;
    EjabberdFixture server(o);
    server.add_user("alice", "pw");
    server.start();
    BareClientOptions c = client_for(server, "alice", "pw");
    c.tls = TlsMode::Required;
    c.ca_file = server.ca_file().string();
    BareClient good(c);
    ASSERT_TRUE(good.connect(15s)) << good.last_error() << good.log_tail();
    EXPECT_TRUE(good.secured());
    c.ca_file = server.wrong_ca_file().string();
    BareClient bad(c);
    EXPECT_FALSE(bad.connect(15s));
    EXPECT_TRUE(bad.tls_failed()) << bad.last_error();
}

TEST(EjabberdFixture, ABadConfigFailsInBoundedTimeWithTheLog) {
    EjabberdOptions o;
    o.extra_modules = "  mod_no_such_module: {}\n";
    o.start_timeout = 30s;
    EjabberdFixture server(o);
    const auto t0 = Clock::now();
    EXPECT_THROW(server.start(), EjabberdError);
    EXPECT_LT(Clock::now() - t0, 31s);
    EXPECT_FALSE(server.running());
    EXPECT_NE(server.log().find("mod_no_such_module"), std::string::npos);
}

// A test process that dies without destructors takes its ejabberd with it (PR_SET_PDEATHSIG
// survives env's and erl's execs into beam.smp).
TEST(EjabberdFixture, ServerDiesWithTheTestProcess) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        pid_t server_pid = -1;
        try {
            auto *server = new EjabberdFixture();  // leaked on purpose: no destructor runs
            server->start();
            server_pid = server->pid();
        } catch (...) {
        }
        [[maybe_unused]] auto n = ::write(fds[1], &server_pid, sizeof server_pid);
        ::_exit(0);
    }
    ::close(fds[1]);
    pid_t server_pid = -1;
    ASSERT_EQ(::read(fds[0], &server_pid, sizeof server_pid),
              static_cast<ssize_t>(sizeof server_pid));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_GT(server_pid, 0) << "the child could not start ejabberd";
    EXPECT_TRUE(gone_within(server_pid, 5s)) << "ejabberd " << server_pid << " outlived its test";
    if (process_exists(server_pid)) ::kill(-server_pid, SIGKILL);
    sweep_stale_fixture_dirs("msgr-ejabberd-");  // the child's directory
}

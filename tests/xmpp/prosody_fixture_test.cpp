// The prosody fixture itself: it starts a real server on a free loopback port, stops and kills
// it by pid, restarts on the same port, fails in bounded time on a bad config, and never leaves
// a prosody behind, even when the test process dies without running destructors.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "process_probe.hpp"
#include "prosody_fixture.hpp"

using namespace msgr::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ProsodyFixture, StartsListensOnLoopbackAndStops) {
    ProsodyFixture server;
    server.start();
    EXPECT_TRUE(server.running());
    EXPECT_GT(server.pid(), 0);
    EXPECT_GT(server.port(), 0);
    EXPECT_EQ(server.host(), "127.0.0.1");
    EXPECT_EQ(server.jid("alice"), "alice@localhost");
    std::cerr << "prosody start: " << server.last_start_duration().count() << " ms\n";
    EXPECT_LT(server.last_start_duration(), 10s);
    const std::string log = server.log();
    EXPECT_NE(log.find("Activated service 'c2s' on [127.0.0.1]:" + std::to_string(server.port())),
              std::string::npos)
        << log;
    // Nothing but c2s on loopback: no s2s, no HTTP.
    EXPECT_EQ(log.find("Activated service 's2s'"), std::string::npos);
    EXPECT_EQ(log.find("Activated service 'http"), std::string::npos);

    const pid_t pid = server.pid();
    const auto t0 = Clock::now();
    server.stop();
    std::cerr << "prosody stop: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms\n";
    EXPECT_FALSE(server.running());
    EXPECT_FALSE(process_exists(pid));
}

TEST(ProsodyFixture, KillIsImmediateAndRestartKeepsThePort) {
    ProsodyFixture server;
    server.start();
    const auto port = server.port();
    const pid_t first = server.pid();
    server.kill();
    EXPECT_FALSE(server.running());
    EXPECT_FALSE(process_exists(first));
    server.start();
    EXPECT_EQ(server.port(), port);
    EXPECT_NE(server.pid(), first);
    server.restart();
    EXPECT_EQ(server.port(), port);
    EXPECT_TRUE(server.running());
}

TEST(ProsodyFixture, TwoServersGetDifferentPorts) {
    ProsodyFixture a, b;
    a.start();
    b.start();
    EXPECT_NE(a.port(), b.port());
    EXPECT_TRUE(a.running());
    EXPECT_TRUE(b.running());
}

TEST(ProsodyFixture, AccountsAreCreatedWithProsodyctl) {
    ProsodyFixture server;
    const auto t0 = Clock::now();
    server.add_user("alice", "secret");  // before start: prosodyctl writes the data directory
    std::cerr << "prosodyctl register: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms\n";
    EXPECT_TRUE(
        std::filesystem::exists(server.data_dir() / "localhost" / "accounts" / "alice.dat"));
    server.start();
    server.add_user("bob", "secret");  // and while running
    EXPECT_TRUE(std::filesystem::exists(server.data_dir() / "localhost" / "accounts" / "bob.dat"));
    server.remove_user("bob");
    EXPECT_FALSE(std::filesystem::exists(server.data_dir() / "localhost" / "accounts" / "bob.dat"));
}

TEST(ProsodyFixture, BadConfigFailsInBoundedTimeWithTheLog) {
    ProsodyOptions o;
    o.extra_config = "this is not Lua (";
    o.start_timeout = 5s;
    ProsodyFixture server(o);
    const auto t0 = Clock::now();
    EXPECT_THROW(server.start(), ProsodyError);
    EXPECT_LT(Clock::now() - t0, 6s);
    EXPECT_FALSE(server.running());
}

TEST(ProsodyFixture, TlsCertificatesAreGenerated) {
    ProsodyOptions o;
    o.tls = true;
    ProsodyFixture server(o);
    ASSERT_FALSE(server.ca_file().empty());
    EXPECT_TRUE(std::filesystem::exists(server.ca_file()));
    EXPECT_TRUE(std::filesystem::exists(server.wrong_ca_file()));
    std::string out;
    // The server certificate verifies against the CA for the domain, and not against the other.
    const auto cert = (server.dir() / "tls" / "server.pem").string();
    EXPECT_EQ(run_command({"openssl", "verify", "-CAfile", server.ca_file().string(),
                           "-verify_hostname", "localhost", cert},
                          5s, &out),
              0)
        << out;
    EXPECT_NE(run_command({"openssl", "verify", "-CAfile", server.wrong_ca_file().string(), cert},
                          5s, &out),
              0)
        << out;
    server.start();
    EXPECT_TRUE(server.running());
}

TEST(ProsodyFixture, RunCommandKillsWhatRunsTooLong) {
    const auto t0 = Clock::now();
    EXPECT_EQ(run_command({"sleep", "10"}, 200ms), -1);
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(run_command({"true"}, 5s), 0);
    EXPECT_EQ(run_command({"false"}, 5s), 1);
}

TEST(ProsodyFixture, DestructorLeavesNoServer) {
    pid_t pid;
    {
        ProsodyFixture server;
        server.start();
        pid = server.pid();
    }
    EXPECT_FALSE(process_exists(pid));
}

TEST(ProsodyFixture, StaleDirectoriesOfDeadOwnersAreSwept) {
    namespace fs = std::filesystem;
    const fs::path dead = fs::temp_directory_path() / "msgr-prosody-sweeptest-dead";
    const fs::path alive = fs::temp_directory_path() / "msgr-prosody-sweeptest-alive";
    const fs::path unclaimed = fs::temp_directory_path() / "msgr-prosody-sweeptest-unclaimed";
    for (const auto &d : {dead, alive, unclaimed})
        fs::create_directories(d / "data");
    // A pid that cannot exist (above pid_max), and this very process with a wrong start time
    // (a reused pid) count as dead; this process as itself counts as alive.
    std::ofstream(dead / "owner") << "2147483646 1\n";
    ProsodyFixture mine;  // its own directory carries this process's real owner line
    fs::copy_file(mine.dir() / "owner", alive / "owner");
    sweep_stale_prosody_dirs();
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_TRUE(fs::exists(alive));
    EXPECT_TRUE(fs::exists(unclaimed));  // no owner file: perhaps being created; left alone
    EXPECT_TRUE(fs::exists(mine.dir()));
    std::error_code ec;
    fs::remove_all(alive, ec);
    fs::remove_all(unclaimed, ec);
}

// A test process that dies without destructors (a crash, _exit, a ctest timeout's SIGKILL)
// takes its prosody with it (PR_SET_PDEATHSIG); one that calls exit() kills it in atexit.
class ProsodyFixtureOrphan : public ::testing::TestWithParam<bool> {};

TEST_P(ProsodyFixtureOrphan, ServerDiesWithTheTestProcess) {
    const bool use_exit = GetParam();
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        pid_t server_pid = -1;
        char dir[256] = {};
        try {
            auto *server = new ProsodyFixture();  // leaked on purpose: no destructor runs
            (void)std::snprintf(dir, sizeof dir, "%s", server->dir().c_str());
            server->start();
            server_pid = server->pid();
        } catch (...) {
        }
        [[maybe_unused]] auto n = ::write(fds[1], &server_pid, sizeof server_pid);
        n = ::write(fds[1], dir, sizeof dir);
        if (use_exit) std::exit(0);
        ::_exit(0);
    }
    ::close(fds[1]);
    pid_t server_pid = -1;
    ASSERT_EQ(::read(fds[0], &server_pid, sizeof server_pid),
              static_cast<ssize_t>(sizeof server_pid));
    char dir[256] = {};
    ASSERT_EQ(::read(fds[0], dir, sizeof dir), static_cast<ssize_t>(sizeof dir));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    // exit() ran the fixture's atexit cleanup; _exit() left the directory to us.
    EXPECT_EQ(std::filesystem::exists(dir), !use_exit) << dir;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    ASSERT_GT(server_pid, 0) << "the child could not start prosody";
    EXPECT_TRUE(gone_within(server_pid, 3s)) << "prosody " << server_pid << " outlived its test";
    if (process_exists(server_pid)) ::kill(server_pid, SIGKILL);
}

INSTANTIATE_TEST_SUITE_P(ExitPaths, ProsodyFixtureOrphan, ::testing::Values(false, true),
                         [](const auto &info) { return info.param ? "exit" : "_exit"; });

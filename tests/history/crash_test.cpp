// Nothing accepted is lost (DESIGN.md rule 7), for real: a host process (crash_peer, the
// runtime with the loopback add-in, isolated as by default) sends in a loop and is killed with
// SIGKILL at random points, again and again, over one data home; then a last run signs in,
// resends what was left PENDING, and every message any run accepted (msgr_ui_send said S_OK) is
// in the history exactly once, ending SENT, DELIVERED, READ or FAILED.
//
// MSGR_CRASH_ROUNDS and MSGR_CRASH_SECONDS bound it (default 40 rounds or 45 s of killing,
// whichever comes first: labelled `slow`).
//
// The XMPP variant runs the same peer with the XMPP add-in as its primary service, signed in to
// a real prosody (tests/support/prosody_fixture, with mod_mam and carbons): SENT only on the
// server's ack, resent after a restart under the same id, and the archive's catch-up brings the
// account's own messages back at each sign-in; still each exactly once. 10 rounds or 12 s.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "msgr/msgr.h"

#ifdef MSGR_ADDIN_OUTPUT_DIR
#include <filesystem>
#include <fstream>

#include "bare_client.hpp"
#include "prosody_fixture.hpp"
#endif

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Peer {
    pid_t pid = -1;
    int out = -1;  // its stdout
};

// Who the peer is: its configuration ("-": the default, the loopback add-in), its sign-in name
// and the contact it sends to.
struct PeerArgs {
    std::string config = "-";
    std::string signin = "player@loopback";
    std::string contact = "bob@loopback";
};

Peer start(const PeerArgs &who, const std::string &mode, const std::string &prefix) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::execl(MSGR_CRASH_PEER, MSGR_CRASH_PEER, who.config.c_str(), who.signin.c_str(),
                who.contact.c_str(), mode.c_str(), prefix.c_str(), static_cast<char *>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    return {pid, fds[0]};
}

// Reads what is there (or, with wait_ms < 0, everything until the writer is gone).
void read_some(int fd, std::string &into, int wait_ms) {
    char buf[4096];
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
        int timeout = -1;
        if (wait_ms >= 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return;
            timeout = static_cast<int>(left.count());
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout) <= 0) return;
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return;
        into.append(buf, static_cast<std::size_t>(n));
    }
}

int env_int(const char *name, int fallback) {
    const char *v = std::getenv(name);
    return v != nullptr && *v != '\0' ? static_cast<int>(std::strtol(v, nullptr, 10)) : fallback;
}

// The peer `who` killed with SIGKILL at random points of its send loop, up to max_rounds times
// or for budget; then settled and its history checked.
void sigkill_rounds(const PeerArgs &who, int max_rounds, std::chrono::seconds budget) {
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> run_ms(5, 400);
    std::set<std::string> accepted;
    const auto began = std::chrono::steady_clock::now();
    int rounds = 0;
    for (; rounds < max_rounds && std::chrono::steady_clock::now() - began < budget; ++rounds) {
        const std::string prefix = "r" + std::to_string(rounds);
        const Peer p = start(who, "send", prefix);
        ASSERT_GT(p.pid, 0);
        std::string out;
        // Until it accepts its first message (it signed in), then a random while more.
        for (int i = 0; i < 300 && out.empty(); ++i)
            read_some(p.out, out, 100);
        ASSERT_FALSE(out.empty()) << "round " << rounds << ": the peer accepted nothing";
        read_some(p.out, out, run_ms(rng));
        ASSERT_EQ(::kill(p.pid, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(p.pid, &status, 0), p.pid);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        read_some(p.out, out, -1);  // what it wrote before it died
        ::close(p.out);
        std::istringstream lines(out);
        std::string line;
        while (std::getline(lines, line)) {
            if (line.empty()) continue;
            std::string text = prefix;
            text += '-';
            text += line;
            accepted.insert(text);
        }
    }
    std::printf("%d rounds killed, %zu messages accepted\n", rounds, accepted.size());
    // The last run: sign in (recovery), settle, list.
    const Peer p = start(who, "settle", "-");
    ASSERT_GT(p.pid, 0);
    std::string out;
    read_some(p.out, out, -1);
    ::close(p.out);
    int status = 0;
    ASSERT_EQ(::waitpid(p.pid, &status, 0), p.pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    std::map<std::string, int> seen;
    std::istringstream lines(out);
    std::string line;
    std::size_t failed = 0;
    while (std::getline(lines, line)) {
        const std::size_t sp = line.find(' ');
        ASSERT_NE(sp, std::string::npos) << line;
        const auto state = static_cast<int>(std::strtol(line.substr(0, sp).c_str(), nullptr, 10));
        EXPECT_TRUE(state == MSGR_DELIVERY_SENT || state == MSGR_DELIVERY_DELIVERED ||
                    state == MSGR_DELIVERY_READ || state == MSGR_DELIVERY_FAILED)
            << line;
        failed += state == MSGR_DELIVERY_FAILED;
        ++seen[line.substr(sp + 1)];
    }
    for (const auto &[text, n] : seen)
        EXPECT_EQ(n, 1) << text << " is in the history " << n << " times";
    std::size_t lost = 0;
    for (const auto &text : accepted) {
        if (seen.count(text) == 0) ++lost;
    }
    EXPECT_EQ(lost, 0u) << "of " << accepted.size() << " accepted messages";
    EXPECT_GE(seen.size(), accepted.size());
    std::printf("%zu in the history (%zu accepted before a kill was not reported), %zu failed\n",
                seen.size(), seen.size() - accepted.size(), failed);
}

TEST(HistoryCrash, EveryAcceptedMessageIsInTheHistoryExactlyOnceAfterSigkills) {
    const char *config = std::getenv("MSGR_CRASH_CONFIG");
    PeerArgs who;
    if (config != nullptr) who.config = config;
    sigkill_rounds(who, env_int("MSGR_CRASH_ROUNDS", 40),
                   std::chrono::seconds(env_int("MSGR_CRASH_SECONDS", 45)));
}

#ifdef MSGR_ADDIN_OUTPUT_DIR
TEST(HistoryCrash, OverXmppEveryAcceptedMessageIsInTheHistoryExactlyOnceAfterSigkills) {
    msgr::test::ProsodyOptions o;
    o.mam = true;
    o.carbons = true;
    msgr::test::ProsodyFixture server(o);
    server.start();
    server.add_user("alice", "alice-pw");
    server.add_user("bob", "bob-pw");
    server.make_contacts("alice", "bob");
    // Bob is online (a bare client): the messages are delivered live, not piled up in his
    // offline storage (which makes prosody slower with every message stored).
    msgr::test::BareClientOptions bob_options;
    bob_options.jid = server.jid("bob") + "/laptop";
    bob_options.password = "bob-pw";
    bob_options.port = server.port();
    msgr::test::BareClient bob(bob_options);
    ASSERT_TRUE(bob.connect(std::chrono::seconds(10))) << bob.last_error();
    const std::filesystem::path password = server.dir() / "alice.pw";
    const std::filesystem::path config = server.dir() / "peer.toml";
    {
        std::ofstream(password) << "alice-pw\n";
        std::ofstream(config) << "[runtime]\nprimary_service = \"xmpp\"\nsecondary_services = []\n"
                                 "addin_default_paths = false\naddin_paths = [\""
                              << MSGR_ADDIN_OUTPUT_DIR << "\"]\n\n[xmpp]\nhost = \""
                              << server.host() << "\"\nport = " << server.port()
                              << "\ntls = \"disabled\"\npassword_file = \"" << password.string()
                              << "\"\nreconnect_backoff_ms = 50\n";
    }
    PeerArgs who;
    who.config = config.string();
    who.signin = server.jid("alice");
    who.contact = server.jid("bob");
    sigkill_rounds(who, env_int("MSGR_CRASH_ROUNDS", 10),
                   std::chrono::seconds(env_int("MSGR_CRASH_SECONDS", 12)));
}
#endif

}  // namespace

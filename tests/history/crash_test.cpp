// Nothing accepted is lost (DESIGN.md rule 7), for real: a host process (crash_peer, the
// runtime with the loopback add-in, isolated as by default) sends in a loop and is killed with
// SIGKILL at random points, again and again, over one data home; then a last run signs in,
// resends what was left PENDING, and every message any run accepted (msgr_ui_send said S_OK) is
// in the history exactly once, ending SENT, DELIVERED, READ or FAILED.
//
// MSGR_CRASH_ROUNDS and MSGR_CRASH_SECONDS bound it (default 40 rounds or 45 s of killing,
// whichever comes first: labelled `slow`).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "msgr/msgr.h"

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

Peer start(const std::string &mode, const std::string &prefix) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], 1);
        const char *config = std::getenv("MSGR_CRASH_CONFIG");
        ::execl(MSGR_CRASH_PEER, MSGR_CRASH_PEER, config != nullptr ? config : "-",
                "player@loopback", "bob@loopback", mode.c_str(), prefix.c_str(),
                static_cast<char *>(nullptr));
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
    return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

TEST(HistoryCrash, EveryAcceptedMessageIsInTheHistoryExactlyOnceAfterSigkills) {
    const int max_rounds = env_int("MSGR_CRASH_ROUNDS", 40);
    const auto budget = std::chrono::seconds(env_int("MSGR_CRASH_SECONDS", 45));
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> run_ms(5, 400);
    std::set<std::string> accepted;
    const auto began = std::chrono::steady_clock::now();
    int rounds = 0;
    for (; rounds < max_rounds && std::chrono::steady_clock::now() - began < budget; ++rounds) {
        const std::string prefix = "r" + std::to_string(rounds);
        const Peer p = start("send", prefix);
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
            if (!line.empty()) accepted.insert(prefix + "-" + line);
        }
    }
    std::printf("%d rounds killed, %zu messages accepted\n", rounds, accepted.size());
    // The last run: sign in (recovery), settle, list.
    const Peer p = start("settle", "-");
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
        const int state = std::atoi(line.substr(0, sp).c_str());
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

}  // namespace

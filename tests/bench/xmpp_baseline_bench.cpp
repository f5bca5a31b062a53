// The baseline the XMPP service add-in is measured against: two bare libstrophe clients
// exchanging chat messages through a real prosody on loopback.
//
//   BM_Xmpp_RoundTrip: alice sends, bob's handler echoes on its network thread, alice's handler
//     sends the next one: one iteration = one round trip (alice -> prosody -> bob -> prosody ->
//     alice). The time per iteration is the round-trip latency.
//   BM_Xmpp_Throughput: alice sends a window of messages to bob and waits until bob has them
//     all: items_per_second is messages per second one way.
//
// Both run plaintext and TLS (arg 0/1). `--smoke` runs each briefly (the ctest entry); the
// real numbers come from running the binary by hand (build/bin/xmpp_baseline_bench).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bare_client.hpp"
#include "prosody_fixture.hpp"

using namespace msgr::test;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> g_failed{false};

void fail(benchmark::State &state, const std::string &why) {
    g_failed = true;
    state.SkipWithError(why.c_str());
}

// One server per TLS mode for the whole run, and a pair of signed-in clients on it.
struct Pair {
    std::unique_ptr<ProsodyFixture> server;
    std::unique_ptr<BareClient> alice, bob;
    std::string alice_jid, bob_jid;
};

BareClientOptions opts(const ProsodyFixture &s, const std::string &user) {
    BareClientOptions o;
    o.jid = s.jid(user);
    o.password = "pw";
    o.port = s.port();
    if (s.tls()) {
        o.tls = TlsMode::Required;
        o.ca_file = s.ca_file().string();
    }
    return o;
}

Pair &pair(bool tls) {
    static std::unique_ptr<Pair> pairs[2];
    auto &p = pairs[tls ? 1 : 0];
    if (!p) {
        p = std::make_unique<Pair>();
        ProsodyOptions o;
        o.tls = tls;
        o.require_tls = tls;
        o.offline_messages = false;
        p->server = std::make_unique<ProsodyFixture>(o);
        p->server->add_user("alice", "pw");
        p->server->add_user("bob", "pw");
        p->server->start();
        p->alice = std::make_unique<BareClient>(opts(*p->server, "alice"));
        p->bob = std::make_unique<BareClient>(opts(*p->server, "bob"));
        if (!p->alice->connect(5s) || !p->bob->connect(5s))
            throw std::runtime_error("sign-in failed: " + p->alice->last_error() + " / " +
                                     p->bob->last_error());
        p->alice_jid = p->alice->bound_jid();
        p->bob_jid = p->bob->bound_jid();
    }
    return *p;
}

// Waits for a counter to reach `target`, bounded.
bool wait_count(std::mutex &m, std::condition_variable &cv, const std::uint64_t &count,
                std::uint64_t target, std::chrono::milliseconds timeout) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, timeout, [&] { return count >= target; });
}

void BM_Xmpp_RoundTrip(benchmark::State &state) {
    Pair *p;
    try {
        p = &pair(state.range(0) != 0);
    } catch (const std::exception &e) {
        fail(state, e.what());
        return;
    }
    const std::string body(static_cast<std::size_t>(state.range(1)), 'x');
    std::mutex m;
    std::condition_variable cv;
    std::uint64_t returned = 0;
    std::uint64_t wanted = 0;
    // bob echoes on his network thread; alice counts and wakes the benchmark thread.
    p->bob->set_message_handler([&](BareClient &self, const BareClient::Message &msg) {
        self.send_message(p->alice_jid, msg.body);
        return false;
    });
    p->alice->set_message_handler([&](BareClient &, const BareClient::Message &) {
        {
            std::lock_guard lock(m);
            ++returned;
        }
        cv.notify_all();
        return false;
    });
    for (auto _ : state) {
        ++wanted;
        p->alice->send_message(p->bob_jid, body);
        if (!wait_count(m, cv, returned, wanted, 5s)) {
            fail(state, "a round trip took more than 5 s");
            break;
        }
    }
    p->alice->set_message_handler({});
    p->bob->set_message_handler({});
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(state.range(0) ? "TLS" : "plaintext");
}
BENCHMARK(BM_Xmpp_RoundTrip)
    ->ArgsProduct({{0, 1}, {16, 1024}})
    ->ArgNames({"tls", "bytes"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_Xmpp_Throughput(benchmark::State &state) {
    Pair *p;
    try {
        p = &pair(state.range(0) != 0);
    } catch (const std::exception &e) {
        fail(state, e.what());
        return;
    }
    const int window = static_cast<int>(state.range(1));
    const std::string body(64, 'y');
    std::mutex m;
    std::condition_variable cv;
    std::uint64_t received = 0;
    std::uint64_t wanted = 0;
    p->bob->set_message_handler([&](BareClient &, const BareClient::Message &) {
        {
            std::lock_guard lock(m);
            ++received;
        }
        cv.notify_all();
        return false;
    });
    for (auto _ : state) {
        wanted += static_cast<std::uint64_t>(window);
        for (int i = 0; i < window; ++i)
            p->alice->send_message(p->bob_jid, body);
        if (!wait_count(m, cv, received, wanted, 10s)) {
            fail(state, "messages did not arrive within 10 s");
            break;
        }
    }
    p->bob->set_message_handler({});
    state.SetItemsProcessed(state.iterations() * window);
    state.SetLabel(state.range(0) ? "TLS" : "plaintext");
}
BENCHMARK(BM_Xmpp_Throughput)
    ->ArgsProduct({{0, 1}, {100}})
    ->ArgNames({"tls", "window"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char **argv) {
    // --smoke: a quick pass that proves the benchmark works (the ctest entry).
    std::vector<char *> args;
    bool smoke = false;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--smoke") == 0)
            smoke = true;
        else
            args.push_back(argv[i]);
    }
    static char min_time[] = "--benchmark_min_time=0.01";
    if (smoke) args.push_back(min_time);
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    const std::size_t ran = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return ran > 0 && !g_failed ? 0 : 1;
}

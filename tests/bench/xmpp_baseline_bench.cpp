// The baseline the XMPP service add-in is measured against: two bare libstrophe clients
// exchanging chat messages through a real prosody on loopback.
//
//   BM_Xmpp_RoundTrip: the benchmark thread queues a message on alice, bob's handler echoes it
//     on his network thread, alice's handler wakes the benchmark thread: one iteration = one
//     round trip through prosody and back. Time per iteration = mean latency; p50_us/p99_us.
//   BM_Xmpp_RoundTrip_ServerNagle: the same against prosody's stock nagle=true.
//   BM_Xmpp_Throughput: alice queues a window of messages to bob and waits until bob has them
//     all: items_per_second is messages per second one way.
//   BM_Xmpp_SignIn: connect until online, plaintext and STARTTLS.
//
// Next to them, the same through two runtimes and the XMPP service add-in (one in each runtime,
// ticked by the benchmark thread as a host would; tests/bench/xmpp_runtime_pair.hpp), with the
// add-in in a process of its own (isolated:1) or in the host's process (isolated:0):
//   BM_XmppRuntime_RoundTrip: as BM_Xmpp_RoundTrip/tls:0/bytes:16 (p50_us/p99_us too), but bob's
//     user answers from the window his runtime opened.
//   BM_XmppRuntime_Throughput: as BM_Xmpp_Throughput/tls:0/window:1000 (64-byte messages).
// Each pair is on a prosody of its own with the baseline's settings (plaintext, Nagle off).
//
// tls:0/1 = plaintext / STARTTLS with certificate verification. ctest runs each briefly
// (--benchmark_min_time=0.01; a benchmark that cannot measure fails the program, bench_main.hpp);
// the real numbers come from running the binary by hand (build/bin/xmpp_baseline_bench).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bare_client.hpp"
#include "bench_main.hpp"
#include "isolation.hpp"
#include "prosody_fixture.hpp"
#include "xmpp_runtime_pair.hpp"

using namespace msgr::test;
using namespace std::chrono_literals;

namespace {

using msgr::bench::fail;
using msgr::bench::percentile;

// One server per (TLS, Nagle) for the whole run, and a pair of signed-in clients on it.
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

ProsodyFixture &server(bool tls, bool nagle) {
    static std::unique_ptr<ProsodyFixture> servers[2][2];
    auto &s = servers[tls][nagle];
    if (!s) {
        ProsodyOptions o;
        o.tls = tls;
        o.require_tls = tls;
        o.nagle = nagle;
        o.offline_messages = false;
        s = std::make_unique<ProsodyFixture>(o);
        s->add_user("alice", "pw");
        s->add_user("bob", "pw");
        s->start();
    }
    return *s;
}

Pair &pair(bool tls, bool nagle = false) {
    static std::unique_ptr<Pair> pairs[2][2];
    auto &p = pairs[tls][nagle];
    if (!p) {
        p = std::make_unique<Pair>();
        ProsodyFixture &s = server(tls, nagle);
        p->alice = std::make_unique<BareClient>(opts(s, "alice"));
        p->bob = std::make_unique<BareClient>(opts(s, "bob"));
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

void round_trips(benchmark::State &state, Pair &p, std::size_t bytes) {
    const std::string body(bytes, 'x');
    std::mutex m;
    std::condition_variable cv;
    std::uint64_t returned = 0;
    std::uint64_t wanted = 0;
    std::chrono::steady_clock::time_point back;
    std::vector<double> rtt_us;
    rtt_us.reserve(100000);
    // bob echoes on his network thread; alice notes the time and wakes the benchmark thread.
    p.bob->set_message_handler([&](BareClient &self, const BareClient::Message &msg) {
        self.send_message(p.alice_jid, msg.body);
        return false;
    });
    p.alice->set_message_handler([&](BareClient &, const BareClient::Message &msg) {
        {
            std::lock_guard lock(m);
            back = msg.received_at;
            ++returned;
        }
        cv.notify_all();
        return false;
    });
    for (auto _ : state) {
        ++wanted;
        const auto sent = std::chrono::steady_clock::now();
        p.alice->send_message(p.bob_jid, body);
        if (!wait_count(m, cv, returned, wanted, 5s)) {
            fail(state, "a round trip took more than 5 s");
            break;
        }
        std::lock_guard lock(m);
        rtt_us.push_back(std::chrono::duration<double, std::micro>(back - sent).count());
    }
    p.alice->set_message_handler({});
    p.bob->set_message_handler({});
    state.SetItemsProcessed(state.iterations());
    state.counters["p50_us"] = percentile(rtt_us, 0.50);
    state.counters["p99_us"] = percentile(rtt_us, 0.99);
}

// One iteration = one round trip: alice -> prosody -> bob (echo) -> prosody -> alice.
void BM_Xmpp_RoundTrip(benchmark::State &state) {
    try {
        round_trips(state, pair(state.range(0) != 0), static_cast<std::size_t>(state.range(1)));
    } catch (const std::exception &e) {
        fail(state, e.what());
    }
    state.SetLabel(state.range(0) ? "TLS" : "plaintext");
}
BENCHMARK(BM_Xmpp_RoundTrip)
    ->ArgsProduct({{0, 1}, {16, 1024}})
    ->ArgNames({"tls", "bytes"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// The same against prosody's stock Nagle setting, to show what a default server adds.
void BM_Xmpp_RoundTrip_ServerNagle(benchmark::State &state) {
    try {
        round_trips(state, pair(false, true), 16);
    } catch (const std::exception &e) {
        fail(state, e.what());
    }
    state.SetLabel("plaintext, prosody nagle=true");
}
BENCHMARK(BM_Xmpp_RoundTrip_ServerNagle)->Unit(benchmark::kMicrosecond)->UseRealTime();

// One iteration = a window of messages alice -> bob, until bob has them all.
// items_per_second is one-way messages per second.
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
    ->ArgsProduct({{0, 1}, {1000}})
    ->ArgNames({"tls", "window"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One iteration = a new client connecting until online (stream, SASL SCRAM-SHA-1, bind, SM
// enable; with STARTTLS and certificate verification for tls:1), then closing.
void BM_Xmpp_SignIn(benchmark::State &state) {
    const bool tls = state.range(0) != 0;
    try {
        ProsodyFixture &s = server(tls, false);
        for (auto _ : state) {
            BareClient c(opts(s, "alice"));
            if (!c.connect(5s)) {
                fail(state, "sign-in failed: " + c.last_error());
                break;
            }
            state.PauseTiming();
            c.disconnect();
            c.wait_disconnected(2s);
            state.ResumeTiming();
        }
    } catch (const std::exception &e) {
        fail(state, e.what());
    }
    state.SetLabel(tls ? "STARTTLS + verify" : "plaintext");
}
BENCHMARK(BM_Xmpp_SignIn)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("tls")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Only the XMPP add-in's isolation differs between isolated:0 and :1; the loopback and paging
// add-ins, loaded but not on the message path, stay in-process.
bool runtime_pair(benchmark::State &state, msgr::bench::XmppPair &p) {
    const bool isolated = state.range(0) != 0;
    msgr::bench::label(state, isolated);
    p.check = [isolated](benchmark::State &s, msgr_runtime *rt) {
        return msgr::bench::runs_as(s, rt, "xmpp", isolated);
    };
    try {
        return p.setup(state, false, false,
                       msgr::bench::isolation("xmpp", isolated) +
                           msgr::bench::isolation("loopback", false) +
                           msgr::bench::isolation("paging", false));
    } catch (const std::exception &e) {
        fail(state, e.what());
        return false;
    }
}

void BM_XmppRuntime_RoundTrip(benchmark::State &state) {
    msgr::bench::XmppPair p;
    if (!runtime_pair(state, p)) return;
    msgr::bench::runtime_round_trips(state, p, std::string(16, 'x'));
}
BENCHMARK(BM_XmppRuntime_RoundTrip)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_XmppRuntime_Throughput(benchmark::State &state) {
    msgr::bench::XmppPair p;
    if (!runtime_pair(state, p)) return;
    msgr::bench::runtime_throughput(state, p, 1000, std::string(64, 'y'));
}
BENCHMARK(BM_XmppRuntime_Throughput)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char **argv) {
    return msgr::bench::run(argc, argv);
}

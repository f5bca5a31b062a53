// What add-ins cost: finding, verifying and loading them, an event delivered into an add-in,
// and a call into an add-in's contact service -- each with the add-in in a process of its own
// (isolated:1, [addin.<stem>] isolation = "process") next to the same add-in in the host's
// process (isolated:0) in the same run.
//
//   BM_RuntimeCreate_*: msgr_runtime_create (the time) + destroy (counter destroy_us). NoAddins
//     has only the loopback service (the primary; isolated:N applies to it); TestAddin and
//     PagingAddin add one add-in (loopback in-process), so their difference to
//     NoAddins/isolated:0 is what one add-in costs: with isolated:1, its process started, the
//     handshake and its load (destroy_us: its unload, exit and reaping). Default is the
//     embedded default (loopback and paging, both isolated or both in-process): isolated, the
//     two processes start at once.
//   BM_AddinEvent_Latency: one MY_STATUS_CHANGE per tick into the test add-in, whose event
//     callback logs a CLOCK_MONOTONIC stamp on entry (tests/addins/test_addin.cpp, stamp =
//     true). p50_us/p99_us = stamp - the time just before the tick that dispatched the event.
//     The time per iteration is what raising it cost the host thread (manual time: set_my_status
//     + tick); the host never waits for the event's answer, but the next event is raised only
//     when the last one's stamp has arrived, so that the latency is that of an idle add-in, not
//     of a queue (the Rate benchmark measures the queue).
//   BM_AddinEvent_Rate: windows of 1000 events (per_tick of them raised per tick), each done
//     when the add-in has stamped its last one (the host ticking on meanwhile, which sends what
//     did not fit into the socket): items_per_second = events per second through the add-in.
//     every:1 stamps every event (a log line back for each: a lower bound), and p50_us/p99_us
//     are the latency under that load; every:0 stamps only the last event of a window.
//   BM_ServiceDescribe: one describe call into the test add-in's contact service, through the
//     runtime's own Service interface (as the runtime calls it): a provider call round trip.
//
// Isolated variants whose add-in did not load isolated fail with its reason (and the program
// exits 1, tests/bench/bench_main.hpp), never a number.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
// Boost 1.74's library_info headers use std::vector without including it.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/dll/library_info.hpp>

#include "../support/addin_fixture.hpp"
#include "bench_main.hpp"
#include "c_api_internal.hpp"
#include "elf_check.hpp"
#include "isolation.hpp"
#include "runtime.hpp"

using namespace msgr::test;
using msgr::bench::fail;
using msgr::bench::isolation;
using msgr::bench::label;
using msgr::bench::percentile;
using msgr::bench::runs_as;

namespace {

const fs::path kAddins = MSGR_ADDIN_OUTPUT_DIR;
const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

// The loopback service (the primary every runtime here loads) stays in-process, so that only
// the add-in under test differs between isolated:0 and isolated:1.
std::string with_loopback_in_process(const std::string &more) {
    return isolation("loopback", false) + more;
}

// Signs in as player@loopback and ticks until online.
bool sign_in(benchmark::State &state, msgr_runtime *rt) {
    if (msgr_signin(rt, "player@loopback", "") != MSGR_S_OK) {
        fail(state, std::string("signin: ") + msgr_last_error());
        return false;
    }
    for (int i = 0; i < 1000; ++i) {
        msgr_runtime_tick(rt);
        std::int32_t status = 0;
        msgr_my_status(rt, &status);
        if (status == MSGR_STATUS_ONLINE) return true;
    }
    fail(state, "did not sign in");
    return false;
}

std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// ---- creating a runtime -------------------------------------------------------------------------

// msgr_runtime_create + destroy of the configuration `text`, once the add-ins `names` were seen
// to load as asked.
void create_destroy(benchmark::State &state, const std::string &text,
                    const std::vector<std::string> &names, bool isolated) {
    TempDir d;
    write_file(d / "msgr.toml", text);
    const std::string path = (d / "msgr.toml").string();
    {
        msgr_runtime *rt = nullptr;
        msgr_runtime_create(path.c_str(), &rt);
        bool ok = true;
        for (const auto &name : names)
            ok = ok && runs_as(state, rt, name, isolated);
        msgr_runtime_destroy(rt);
        if (!ok) return;
    }
    // The time is the create (for an isolated add-in: its process started, the handshake, its
    // load); destroy_us is the destroy (its unload, the process's exit and reaping).
    double destroy_s = 0;
    for (auto _ : state) {
        msgr_runtime *rt = nullptr;
        const auto t0 = std::chrono::steady_clock::now();
        if (msgr_runtime_create(path.c_str(), &rt) != MSGR_S_OK) {
            fail(state, std::string("create: ") + msgr_last_error());
            break;
        }
        const auto t1 = std::chrono::steady_clock::now();
        msgr_runtime_destroy(rt);
        const auto t2 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
        destroy_s += std::chrono::duration<double>(t2 - t1).count();
    }
    state.counters["destroy_us"] =
        state.iterations() > 0 ? destroy_s * 1e6 / static_cast<double>(state.iterations()) : 0;
    label(state, isolated);
}

// The baseline: only the loopback service (an empty add-in directory before it).
void BM_RuntimeCreate_NoAddins(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    TempDir empty;
    create_destroy(state, addin_config({empty.path()}, isolation("loopback", isolated)),
                   {"loopback"}, isolated);
}
BENCHMARK(BM_RuntimeCreate_NoAddins)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// One more add-in that registers nothing: its start (and with isolation, its process and
// handshake), load and unload.
void BM_RuntimeCreate_TestAddin(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    create_destroy(state,
                   addin_config({kTestAddins / "misbehave"},
                                with_loopback_in_process(isolation("misbehave", isolated))),
                   {"misbehave"}, isolated);
}
BENCHMARK(BM_RuntimeCreate_TestAddin)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The paging add-in found, verified, loaded (its thread started), then unloaded.
void BM_RuntimeCreate_PagingAddin(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    TempDir d;
    const std::string more = "[paging]\noutbox = " + toml_string(d / "outbox.jsonl") + "\n" +
                             with_loopback_in_process(isolation("paging", isolated));
    TempDir only;  // the paging add-in alone (the add-in directory holds the others too)
    copy_addin(kAddins / "paging.so", only.path(), "paging.so");
    create_destroy(state, addin_config({only.path()}, more), {"paging"}, isolated);
}
BENCHMARK(BM_RuntimeCreate_PagingAddin)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The embedded default: the loopback service and the paging add-in, both isolated or both
// in-process. Isolated, their two processes start at once (every process is spawned before any
// Hello is waited for), so the create costs less than the sum of NoAddins and PagingAddin.
void BM_RuntimeCreate_Default(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    TempDir d;
    const std::string more = "[paging]\noutbox = " + toml_string(d / "outbox.jsonl") + "\n" +
                             isolation("loopback", isolated) + isolation("paging", isolated);
    TempDir only;
    copy_addin(kAddins / "paging.so", only.path(), "paging.so");
    create_destroy(state, addin_config({only.path()}, more), {"loopback", "paging"}, isolated);
}
BENCHMARK(BM_RuntimeCreate_Default)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The verification alone (no code of the add-in runs): the bounds-checked ELF reading plus
// Boost.DLL's library_info.
void BM_VerifyPagingAddin(benchmark::State &state) {
    const std::string path = (kAddins / "paging.so").string();
    for (auto _ : state) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        ::fstat(fd, &st);
        const auto r = msgr::core::check_elf(fd, static_cast<std::uint64_t>(st.st_size),
                                             MSGR_ADDIN_ENTRY_SYMBOL);
        boost::dll::library_info info(path);
        benchmark::DoNotOptimize(info.symbols("boostdll"));
        benchmark::DoNotOptimize(r.ok);
        ::close(fd);
    }
}
BENCHMARK(BM_VerifyPagingAddin)->Unit(benchmark::kMicrosecond);

// The SHA-256 of the paging add-in (what runtime.addin_sha256 adds to a load).
void BM_HashPagingAddin(benchmark::State &state) {
    const std::string path = (kAddins / "paging.so").string();
    for (auto _ : state) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        benchmark::DoNotOptimize(msgr::core::sha256_file(fd));
        ::close(fd);
    }
}
BENCHMARK(BM_HashPagingAddin)->Unit(benchmark::kMicrosecond);

// ---- events ------------------------------------------------------------------------------------

// One event (MY_STATUS_CHANGE, raised by a status change and dispatched by the tick) with
// nobody listening, with a host slot (msgr_subscribe), and with an add-in's slot (isolated:N):
// what it costs the host thread, which does not wait for the add-in.
enum class Listener { none, host, addin };

void event_bench(benchmark::State &state, Listener who, bool isolated = false) {
    const std::string more = who == Listener::addin
                                 ? with_loopback_in_process("[misbehave]\nevents = true\n" +
                                                            isolation("misbehave", isolated))
                                 : with_loopback_in_process("");
    Host h(addin_config({who == Listener::addin ? kTestAddins / "misbehave" : fs::path("/none")},
                        more));
    if (who == Listener::addin && !runs_as(state, h.rt, "misbehave", isolated)) return;
    if (!sign_in(state, h.rt)) return;
    h.tick();
    unsigned long seen = 0;
    msgr_subscription sub = 0;
    if (who == Listener::host) {
        msgr_subscribe(
            h.rt, static_cast<msgr_event_type>(0),
            [](const msgr_event *, void *u) { ++*static_cast<unsigned long *>(u); }, &seen, &sub);
    }
    std::int64_t i = 0;
    for (auto _ : state) {
        msgr_set_my_status(h.rt, (i++ & 1) ? MSGR_STATUS_AWAY : MSGR_STATUS_BUSY);
        msgr_runtime_tick(h.rt);
    }
    if (who == Listener::host && seen < static_cast<unsigned long>(state.iterations()))
        fail(state, "the host slot missed events");
    // An add-in that fell behind by more than its call_timeout_ms is HUNG: no number then.
    if (who == Listener::addin) {
        h.tick();
        runs_as(state, h.rt, "misbehave", isolated);
        label(state, isolated);
    }
}
void BM_StatusEvent_NoListener(benchmark::State &s) {
    event_bench(s, Listener::none);
}
void BM_StatusEvent_HostSlot(benchmark::State &s) {
    event_bench(s, Listener::host);
}
void BM_StatusEvent_AddinSlot(benchmark::State &s) {
    event_bench(s, Listener::addin, s.range(0) != 0);
}
BENCHMARK(BM_StatusEvent_NoListener);
BENCHMARK(BM_StatusEvent_HostSlot);
BENCHMARK(BM_StatusEvent_AddinSlot)->Arg(0)->Arg(1)->ArgName("isolated");

// The test add-in's stamps of MY_STATUS_CHANGE ("stamp 3 <ns>"), from the log handler on
// whichever thread logs them: the host thread in-process, the runtime's reader of the add-in's
// process isolated.
class Stamps {
  public:
    Stamps() { msgr_set_log_handler(&Stamps::on_log, this); }
    ~Stamps() { msgr_set_log_handler(nullptr, nullptr); }
    Stamps(const Stamps &) = delete;
    Stamps &operator=(const Stamps &) = delete;

    // Forgets what came so far (the events of signing in).
    void clear() {
        const std::lock_guard<std::mutex> lock(mutex_);
        ns_.clear();
    }
    // Waits until there are n stamps; false when they did not come within the timeout.
    bool wait(std::size_t n, std::chrono::microseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return ns_.size() >= n; });
    }
    std::size_t count() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return ns_.size();
    }
    std::int64_t at(std::size_t i) {
        const std::lock_guard<std::mutex> lock(mutex_);
        return ns_.at(i);
    }

  private:
    static void on_log(msgr_log_level, const char *m, void *user) {
        static const std::string needle =
            "stamp " + std::to_string(static_cast<int>(MSGR_EVENT_MY_STATUS_CHANGE)) + " ";
        const char *p = std::strstr(m, needle.c_str());
        if (p == nullptr) return;
        const std::int64_t ns = std::strtoll(p + needle.size(), nullptr, 10);
        auto *self = static_cast<Stamps *>(user);
        {
            const std::lock_guard<std::mutex> lock(self->mutex_);
            self->ns_.push_back(ns);
        }
        self->cv_.notify_one();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::int64_t> ns_;
};

// A signed-in runtime with the stamping test add-in, isolated or not; ok is false (and the
// benchmark failed) when it could not be set up.
struct StampingHost {
    Stamps stamps;
    Host host;
    bool ok = false;
    std::int64_t next = 0;  // which status the next event sets

    // stamp: the test add-in's setting (true: every event; a status: only a change to it).
    StampingHost(benchmark::State &state, bool isolated, const std::string &stamp = "true")
        : host(
              addin_config({kTestAddins / "misbehave"},
                           with_loopback_in_process("[misbehave]\nevents = true\nstamp = " + stamp +
                                                    "\n" + isolation("misbehave", isolated)))) {
        label(state, isolated);
        ok = runs_as(state, host.rt, "misbehave", isolated) && sign_in(state, host.rt);
        if (!ok) return;
        // The events of signing in reach the add-in first; then only the benchmark's.
        host.tick(5);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        stamps.clear();
    }
    // Ticks until there are n stamps (false after the timeout): events that did not fit into
    // the socket to an isolated add-in's process wait in the runtime for its next tick, as
    // they would for a host's next frame.
    bool drain(std::size_t n, std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!stamps.wait(n, std::chrono::microseconds(100))) {
            if (std::chrono::steady_clock::now() >= until) return false;
            msgr_runtime_tick(host.rt);
        }
        return true;
    }
    // Queues one MY_STATUS_CHANGE (dispatched by the next tick).
    void raise() {
        msgr_set_my_status(host.rt, (next++ & 1) ? MSGR_STATUS_AWAY : MSGR_STATUS_BUSY);
    }
    // The same to kLast, which neither of raise()'s statuses is.
    static constexpr std::int32_t kLast = MSGR_STATUS_BE_RIGHT_BACK;
    void raise_last() { msgr_set_my_status(host.rt, kLast); }
};

void BM_AddinEvent_Latency(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    StampingHost h(state, isolated);
    if (!h.ok) return;
    std::vector<double> latency_us;
    std::size_t sent = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        h.raise();
        const std::int64_t raised = monotonic_ns();
        msgr_runtime_tick(h.host.rt);
        const auto t1 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
        ++sent;
        // Not part of the time: the stamp of this event, before the next one is raised.
        if (!h.stamps.wait(sent, std::chrono::seconds(2))) {
            fail(state, "the add-in did not stamp an event within 2 s (" +
                            msgr::bench::addin_state(h.host.rt, "misbehave") + ")");
            break;
        }
        latency_us.push_back(static_cast<double>(h.stamps.at(sent - 1) - raised) / 1e3);
    }
    state.counters["p50_us"] = percentile(latency_us, 0.50);
    state.counters["p99_us"] = percentile(latency_us, 0.99);
}
BENCHMARK(BM_AddinEvent_Latency)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("isolated")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_AddinEvent_Rate(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    const auto per_tick = static_cast<std::size_t>(state.range(1));
    const bool every = state.range(2) != 0;
    constexpr std::size_t kWindow = 1000;
    StampingHost h(state, isolated, every ? "true" : std::to_string(StampingHost::kLast));
    if (!h.ok) return;
    std::vector<std::int64_t> raised;  // when each event to be stamped was dispatched
    raised.reserve(kWindow * 64);
    for (auto _ : state) {
        for (std::size_t i = 0; i < kWindow; i += per_tick) {
            const bool last_tick = i + per_tick >= kWindow;
            for (std::size_t k = 0; k < per_tick; ++k) {
                if (last_tick && k + 1 == per_tick)
                    h.raise_last();
                else
                    h.raise();
            }
            const std::int64_t t = monotonic_ns();
            if (every)
                raised.insert(raised.end(), per_tick, t);
            else if (last_tick)
                raised.push_back(t);
            msgr_runtime_tick(h.host.rt);
        }
        if (!h.drain(raised.size(), std::chrono::seconds(10))) {
            fail(state, "the add-in stamped " + std::to_string(h.stamps.count()) + " of " +
                            std::to_string(raised.size()) + " events within 10 s (" +
                            msgr::bench::addin_state(h.host.rt, "misbehave") + ")");
            break;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kWindow));
    if (!every) return;  // one stamp a window: no latency of single events
    std::vector<double> latency_us;
    latency_us.reserve(raised.size());
    for (std::size_t i = 0; i < raised.size() && i < h.stamps.count(); ++i)
        latency_us.push_back(static_cast<double>(h.stamps.at(i) - raised[i]) / 1e3);
    state.counters["p50_us"] = percentile(latency_us, 0.50);
    state.counters["p99_us"] = percentile(latency_us, 0.99);
}
BENCHMARK(BM_AddinEvent_Rate)
    ->ArgsProduct({{0, 1}, {1, 50}, {1, 0}})
    ->ArgNames({"isolated", "per_tick", "every"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- a provider call ---------------------------------------------------------------------------

void BM_ServiceDescribe(benchmark::State &state) {
    const bool isolated = state.range(0) != 0;
    label(state, isolated);
    Host h(addin_config({kTestAddins / "misbehave"},
                        with_loopback_in_process("[misbehave]\nservice = true\nservice_id = "
                                                 "\"bench\"\n" +
                                                 isolation("misbehave", isolated))));
    if (!runs_as(state, h.rt, "misbehave", isolated)) return;
    msgr::core::Service *service = msgr::core::runtime_of(h.rt)->find_service("bench");
    if (service == nullptr) {
        fail(state, "the test add-in's service is not offered");
        return;
    }
    for (auto _ : state) {
        const msgr::core::ContactInfo info = service->describe("someone@bench");
        benchmark::DoNotOptimize(info);
    }
    if (service->describe("someone@bench").status != MSGR_STATUS_ONLINE)
        fail(state, "describe did not answer as the test add-in does");
}
BENCHMARK(BM_ServiceDescribe)->Arg(0)->Arg(1)->ArgName("isolated")->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char **argv) {
    return msgr::bench::run(argc, argv);
}

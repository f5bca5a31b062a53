// What the history store costs the host thread (issue 12), against the real loopback add-in
// (MSGR_ADDIN_PATH, isolation as configured) and real SQLite files in a fresh data home:
//
//   UiSend/history:0|1      msgr_ui_send, history off and on in the same run (on: the append)
//   TickIncomingFlood       one tick applying 1,000 incoming messages (one store batch)
//   OpenConversation        opening a window on a conversation of 1,000,000 stored messages
//                           (count, the newest entry, and one of the oldest, read from the store)
//   Million                 1,000,000 incoming messages through ticks: RSS growth (rss_growth_mb,
//                           target <= 10) and the longest single tick (max_stall_us, target
//                           <= 1000 us with 1,000 messages a tick)
//
// Run build/bin/history_runtime_bench; ctest smoke-runs the small ones only.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "c_api_internal.hpp"
#include "msgr/msgr.h"
#include "msgr/ui.h"
#include "runtime.hpp"

namespace {

struct Config {
    std::string dir;
    std::string path;
    explicit Config(const std::string &text) {
        char tmpl[] = "/tmp/msgr-bench-XXXXXX";
        dir = ::mkdtemp(tmpl);
        path = dir + "/msgr.toml";
        std::ofstream(path) << text;
    }
};

struct Session {
    msgr_runtime *rt = nullptr;
    msgr_window *w = nullptr;
    explicit Session(const char *config, const char *who = "bob@loopback",
                     const char *name = "bench@loopback") {
        if (msgr_runtime_create(config, &rt) != MSGR_S_OK) return;
        (void)msgr_signin(rt, name, "");
        for (int i = 0; i < 100 && !core().signed_in(); ++i)
            (void)msgr_runtime_tick(rt);
        msgr_variant v{};
        v.vt = MSGR_VT_BSTR;
        v.bstr = who;
        (void)msgr_instant_message(rt, v, &w);
    }
    ~Session() {
        msgr_window_release(w);
        msgr_runtime_destroy(rt);
    }
    msgr::core::Runtime &core() { return *msgr::core::runtime_of(rt); }
    bool ok() const { return rt != nullptr && w != nullptr; }
};

long rss_kb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

void push_incoming(msgr::core::Runtime &rt, std::size_t n, std::size_t &serial) {
    for (std::size_t i = 0; i < n; ++i) {
        msgr::core::MessageArrived m;
        m.service = "loopback";
        m.session = rt.session();
        m.from = "flood@loopback";
        m.text = "message number " + std::to_string(serial);
        m.origin_id = "o" + std::to_string(serial++);
        (void)rt.inbox().push(std::move(m));
    }
}

void BM_UiSend(benchmark::State &state) {
    Config cfg(state.range(0) != 0 ? "[history]\nenabled = true\n"
                                   : "[history]\nenabled = false\n");
    Session s(cfg.path.c_str());
    if (!s.ok()) return state.SkipWithError("session setup failed");
    std::size_t i = 0;
    double max_us = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        if (msgr_ui_send(s.w, "a message of ordinary length, typed by a player", nullptr) !=
            MSGR_S_OK)
            return state.SkipWithError(msgr_last_error());
        const double us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count();
        if (us > max_us) max_us = us;
        if (++i % 64 == 0) {
            state.PauseTiming();
            (void)msgr_runtime_tick(s.rt);
            state.ResumeTiming();
        }
    }
    state.counters["max_send_us"] = max_us;  // the longest single call: the host's stall
}
BENCHMARK(BM_UiSend)->ArgName("history")->Arg(0)->Arg(1);

void BM_TickIncomingFlood(benchmark::State &state) {
    Session s(nullptr);
    if (!s.ok()) return state.SkipWithError("session setup failed");
    std::size_t serial = 0;
    for (auto _ : state) {
        state.PauseTiming();
        push_incoming(s.core(), 1000, serial);
        state.ResumeTiming();
        (void)msgr_runtime_tick(s.rt);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(serial));
}
BENCHMARK(BM_TickIncomingFlood)->Unit(benchmark::kMicrosecond);

// Fills the store of account `name` with n messages with bob (straight through the store, in
// batches: the cost of getting there is not what is measured).
void fill(const char *name, std::size_t n) {
    Session s(nullptr, "bob@loopback", name);
    msgr::core::history::Store *store = s.core().store();
    if (store == nullptr) return;
    std::size_t have = 0;
    (void)msgr_window_history_count(s.w, &have);
    const std::int64_t cid = s.w->conversation;
    for (std::size_t i = have; i < n;) {
        store->begin_batch();
        for (std::size_t k = 0; k < 10000 && i < n; ++k, ++i) {
            msgr::core::history::Record r;
            r.direction = i % 2 ? MSGR_MESSAGE_INCOMING : MSGR_MESSAGE_OUTGOING;
            r.delivery = i % 2 ? MSGR_DELIVERY_NONE : MSGR_DELIVERY_SENT;
            r.time_unix_ms = 1700000000000 + static_cast<std::int64_t>(i);
            r.text = "stored message " + std::to_string(i);
            (void)store->append(cid, r);
        }
        (void)store->end_batch();
    }
}

void BM_OpenConversation(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string name = "open" + std::to_string(n) + "@loopback";
    fill(name.c_str(), n);
    Session s(nullptr, "alice@loopback", name.c_str());  // a window open elsewhere
    if (!s.ok()) return state.SkipWithError("session setup failed");
    msgr_variant v{};
    v.vt = MSGR_VT_BSTR;
    v.bstr = "bob@loopback";
    for (auto _ : state) {
        msgr_window *w = nullptr;
        if (msgr_instant_message(s.rt, v, &w) != MSGR_S_OK) return state.SkipWithError("open");
        std::size_t count = 0;
        (void)msgr_window_history_count(w, &count);
        msgr_message m{};
        m.struct_size = sizeof m;
        (void)msgr_window_history_get(w, count - 1, &m);
        (void)msgr_window_history_get(w, 0, &m);
        benchmark::DoNotOptimize(m.text);
        state.PauseTiming();
        (void)msgr_window_close(w);
        msgr_window_release(w);
        (void)msgr_runtime_tick(s.rt);
        state.ResumeTiming();
        state.counters["messages"] = static_cast<double>(count);
    }
}
BENCHMARK(BM_OpenConversation)
    ->Arg(1000)
    ->Arg(1000000)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(20);

void BM_Million(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        Session s(nullptr, "flood@loopback", "million@loopback");
        if (!s.ok()) return state.SkipWithError("session setup failed");
        std::size_t serial = 0;
        push_incoming(s.core(), 2000, serial);  // warm: the window's memory fills first
        (void)msgr_runtime_tick(s.rt);
        const long before = rss_kb();
        double max_us = 0;
        while (serial < n) {
            push_incoming(s.core(), 1000, serial);
            const auto t0 = std::chrono::steady_clock::now();
            (void)msgr_runtime_tick(s.rt);
            const double us =
                std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                    .count();
            if (us > max_us) max_us = us;
        }
        state.counters["rss_growth_mb"] = static_cast<double>(rss_kb() - before) / 1024.0;
        state.counters["max_tick_us_per_1000"] = max_us;
        std::size_t count = 0;
        (void)msgr_window_history_count(s.w, &count);
        state.counters["messages"] = static_cast<double>(count);
    }
}
BENCHMARK(BM_Million)->Arg(20000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();

// What add-ins cost: finding, verifying and loading the paging add-in, and an event delivered
// into an add-in compared with one delivered to a host's own slot.
#include <fcntl.h>
#include <unistd.h>

// Boost 1.74's library_info headers use std::vector without including it.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/dll/library_info.hpp>

#include "../support/addin_fixture.hpp"
#include "elf_check.hpp"

using namespace msgr::test;

namespace {

const fs::path kAddins = MSGR_ADDIN_OUTPUT_DIR;
const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

// msgr_runtime_create + destroy with no add-in directory content: the baseline.
void BM_RuntimeCreate_NoAddins(benchmark::State &state) {
    TempDir empty;
    TempDir d;
    write_file(d / "msgr.toml", addin_config({empty.path()}));
    const std::string path = (d / "msgr.toml").string();
    for (auto _ : state) {
        msgr_runtime *rt = nullptr;
        if (msgr_runtime_create(path.c_str(), &rt) != MSGR_S_OK) state.SkipWithError("create");
        msgr_runtime_destroy(rt);
    }
}
BENCHMARK(BM_RuntimeCreate_NoAddins)->Unit(benchmark::kMicrosecond);

// The same with the paging add-in found, verified, loaded (its thread started), then unloaded.
void BM_RuntimeCreate_PagingAddin(benchmark::State &state) {
    TempDir d;
    write_file(
        d / "msgr.toml",
        addin_config({kAddins}, "[paging]\noutbox = " + toml_string(d / "outbox.jsonl") + "\n"));
    const std::string path = (d / "msgr.toml").string();
    for (auto _ : state) {
        msgr_runtime *rt = nullptr;
        if (msgr_runtime_create(path.c_str(), &rt) != MSGR_S_OK) state.SkipWithError("create");
        msgr_runtime_destroy(rt);
    }
}
BENCHMARK(BM_RuntimeCreate_PagingAddin)->Unit(benchmark::kMicrosecond);

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

// One event (MY_STATUS_CHANGE, raised by a status change and dispatched by the tick) with
// nobody listening, with a host slot (msgr_subscribe), and with an add-in's slot.
enum class Listener { none, host, addin };

void event_bench(benchmark::State &state, Listener who) {
    const std::string more =
        who == Listener::addin ? "[misbehave]\nevents = true\n" : std::string();
    Host h(addin_config({who == Listener::addin ? kTestAddins / "misbehave" : fs::path("/none")},
                        more));
    h.signin();
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
        state.SkipWithError("the host slot missed events");
}
void BM_StatusEvent_NoListener(benchmark::State &s) {
    event_bench(s, Listener::none);
}
void BM_StatusEvent_HostSlot(benchmark::State &s) {
    event_bench(s, Listener::host);
}
void BM_StatusEvent_AddinSlot(benchmark::State &s) {
    event_bench(s, Listener::addin);
}
BENCHMARK(BM_StatusEvent_NoListener);
BENCHMARK(BM_StatusEvent_HostSlot);
BENCHMARK(BM_StatusEvent_AddinSlot);

}  // namespace

BENCHMARK_MAIN();

// What the benchmark programs that can fail share: a benchmark that cannot measure (a server
// that did not start, a message that never arrived) fails the whole program, not only its row,
// so that the short runs in ctest (--benchmark_min_time=0.01) can fail. Google Benchmark itself
// only marks the row (SkipWithError) and exits 0.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace msgr::bench {

inline std::atomic<bool> &any_failed() {
    static std::atomic<bool> failed{false};
    return failed;
}

// Skips the running benchmark with `why`, and makes the program exit 1.
inline void fail(benchmark::State &state, const std::string &why) {
    any_failed() = true;
    state.SkipWithError(why.c_str());
}

// The q-quantile (0..1) of samples, 0 for none: the p50_us/p99_us counters.
inline double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

// Runs the benchmarks the arguments select: 0, or 1 for an unknown argument, when none ran or
// when one failed.
inline int run(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    const std::size_t ran = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return ran > 0 && !any_failed() ? 0 : 1;
}

}  // namespace msgr::bench

// What the benchmarks that compare an isolated add-in (in a process of its own) with the same
// add-in in the host's process share: the configuration that asks for either, and the check that
// the add-in runs as asked -- a row that would measure the wrong thing fails instead, with the
// add-in's own reason (tests/bench/bench_main.hpp: the program then exits 1).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"
#include "msgr/addin.h"
#include "msgr/msgr.h"

namespace msgr::bench {

// The configuration that runs the add-in `stem` (its file name without ".so") isolated or
// in-process.
inline std::string isolation(const std::string &stem, bool isolated) {
    return "[addin." + stem + "]\nisolation = \"" + (isolated ? "process" : "in_process") + "\"\n";
}

// "process" or "in_process", the row's label.
inline void label(benchmark::State &state, bool isolated) {
    state.SetLabel(isolated ? "process" : "in_process");
}

// Whether the add-in `name` (its file's stem) is loaded and runs as asked; otherwise fails the
// benchmark with why (the add-in's own reason when it is not loaded).
inline bool runs_as(benchmark::State &state, msgr_runtime *rt, const std::string &name,
                    bool isolated) {
    std::size_t n = 0;
    if (rt == nullptr || msgr_addin_count(rt, &n) != MSGR_S_OK) {
        fail(state, "no runtime: " + std::string(msgr_last_error()));
        return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
        msgr_addin_info in{};
        in.struct_size = sizeof in;
        // By its file's stem: a refused add-in's name can be its file name.
        if (msgr_addin_get_info(rt, i, &in) != MSGR_S_OK ||
            std::filesystem::path(in.path).stem() != name)
            continue;
        if (in.state != MSGR_ADDIN_LOADED) {
            fail(state,
                 name + " is not loaded (state " + std::to_string(in.state) + "): " + in.reason);
            return false;
        }
        const msgr_addin_isolation want =
            isolated ? MSGR_ADDIN_ISOLATION_PROCESS : MSGR_ADDIN_ISOLATION_IN_PROCESS;
        if (in.isolation != want) {
            fail(state, name + " is loaded with isolation " + std::to_string(in.isolation) +
                            ", not " + std::to_string(want) + " as configured");
            return false;
        }
        return true;
    }
    fail(state, "the runtime found no add-in named " + name);
    return false;
}

}  // namespace msgr::bench

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

// The info of the add-in `name` (its file's stem); false when the runtime has none.
inline bool find_addin(msgr_runtime *rt, const std::string &name, msgr_addin_info &out) {
    std::size_t n = 0;
    if (rt == nullptr || msgr_addin_count(rt, &n) != MSGR_S_OK) return false;
    for (std::size_t i = 0; i < n; ++i) {
        out = msgr_addin_info{};
        out.struct_size = sizeof out;
        // By its file's stem: a refused add-in's name can be its file name.
        if (msgr_addin_get_info(rt, i, &out) == MSGR_S_OK &&
            std::filesystem::path(out.path).stem() == name)
            return true;
    }
    return false;
}

// "state N: reason" of the add-in `name`, for a failure's message.
inline std::string addin_state(msgr_runtime *rt, const std::string &name) {
    msgr_addin_info in{};
    if (!find_addin(rt, name, in)) return "no add-in named " + name;
    return name + " in state " + std::to_string(in.state) + ": " + in.reason;
}

// Whether the add-in `name` (its file's stem) is loaded and runs as asked; otherwise fails the
// benchmark with why (the add-in's own reason when it is not loaded).
inline bool runs_as(benchmark::State &state, msgr_runtime *rt, const std::string &name,
                    bool isolated) {
    if (rt == nullptr) {
        fail(state, "no runtime: " + std::string(msgr_last_error()));
        return false;
    }
    msgr_addin_info in{};
    if (!find_addin(rt, name, in)) {
        fail(state, "the runtime found no add-in named " + name);
        return false;
    }
    if (in.state != MSGR_ADDIN_LOADED) {
        fail(state, name + " is not loaded (state " + std::to_string(in.state) + "): " + in.reason);
        return false;
    }
    const msgr_addin_isolation want =
        isolated ? MSGR_ADDIN_ISOLATION_PROCESS : MSGR_ADDIN_ISOLATION_IN_PROCESS;
    if (in.isolation != want) {
        fail(state, name + " is loaded with isolation " + std::to_string(in.isolation) + ", not " +
                        std::to_string(want) + " as configured");
        return false;
    }
    return true;
}

}  // namespace msgr::bench

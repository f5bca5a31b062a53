// Waiting in tests: one bounded loop for every "step until it holds" wait. The limit is a hang
// guard in wall-clock time (what another thread or process does takes time, not steps, and a
// loaded machine gives it less); nothing asserts how long the wait took.
#pragma once

#include <chrono>
#include <thread>

namespace msgr::test {

// Calls step() and then done(), sleeping `pause` between rounds, until done() holds (true) or
// `limit` has passed (false).
template <typename Step, typename Done>
bool step_until(Step step, Done done, std::chrono::milliseconds limit,
                std::chrono::milliseconds pause) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        step();
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace msgr::test

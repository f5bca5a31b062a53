// Whether a process (a test server) still exists, for the fixtures' tests.
#pragma once

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace msgr::test {

// A zombie counts as gone: it is dead, only not yet reaped (by init, for an orphan).
inline bool process_exists(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto paren = line.rfind(')');
    return !(paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
}

// Waits (bounded) until `pid` is gone; a killed server that is not our child is reaped by init.
inline bool gone_within(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process_exists(pid)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return !process_exists(pid);
}

}  // namespace msgr::test

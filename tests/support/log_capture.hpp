// Every line the library logs while a LogCapture lives, with its level (process-wide:
// msgr_set_log_handler). One header so that tests with their own host (tests/c_abi) and the
// add-in fixture share it.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "msgr/msgr.h"

namespace msgr::test {

struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::vector<msgr_log_level> levels;
    LogCapture() { msgr_set_log_handler(&LogCapture::on_log, this); }
    ~LogCapture() { msgr_set_log_handler(nullptr, nullptr); }
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;
    static void on_log(msgr_log_level level, const char *m, void *user) {
        auto *self = static_cast<LogCapture *>(user);
        const std::lock_guard<std::mutex> lock(self->mutex);
        self->lines.emplace_back(m);
        self->levels.push_back(level);
    }
    std::size_t count(const std::string &needle) { return count_at(MSGR_LOG_DEBUG, needle); }
    // Lines that contain needle, logged at `least` or above.
    std::size_t count_at(msgr_log_level least, const std::string &needle) {
        const std::lock_guard<std::mutex> lock(mutex);
        std::size_t n = 0;
        for (std::size_t i = 0; i < lines.size(); ++i)
            n += levels[i] >= least && lines[i].find(needle) != std::string::npos ? 1 : 0;
        return n;
    }
    // Every line, one a line: for a failing expectation's message.
    std::string all() {
        const std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto &line : lines)
            out += line + "\n";
        return out;
    }
};

}  // namespace msgr::test

#include "error.hpp"

#include <mutex>

namespace msgr::core {

namespace {

thread_local std::string t_last_error;

std::mutex g_log_mutex;
msgr_log_fn g_log_fn = nullptr;
void *g_log_user = nullptr;

}  // namespace

msgr_hresult fail(msgr_hresult hr, std::string reason) {
    log(MSGR_LOG_DEBUG, std::string(msgr_hresult_name(hr)) + ": " + reason);
    t_last_error = std::move(reason);
    return hr;
}

const char *last_error() noexcept {
    return t_last_error.c_str();
}

void log(msgr_log_level level, const std::string &message) noexcept {
    // The handler runs under the lock so that replacing it never races a call into it.
    const std::lock_guard<std::mutex> lock(g_log_mutex);
    if (g_log_fn != nullptr) g_log_fn(level, message.c_str(), g_log_user);
}

void set_log_handler(msgr_log_fn fn, void *user) noexcept {
    const std::lock_guard<std::mutex> lock(g_log_mutex);
    g_log_fn = fn;
    g_log_user = user;
}

}  // namespace msgr::core

// The one error convention: a result code plus a reason kept per thread (msgr_last_error)
// and handed to the log handler.
#pragma once

#include <string>

#include "msgr/msgr.h"

namespace msgr::core {

// Records why a call failed and returns hr, so a failure reads `return fail(hr, "...")`.
msgr_hresult fail(msgr_hresult hr, std::string reason);

// This thread's last failure reason (a call that succeeds leaves it as it was, like errno).
const char *last_error() noexcept;

void log(msgr_log_level level, const std::string &message) noexcept;
void set_log_handler(msgr_log_fn fn, void *user) noexcept;

}  // namespace msgr::core

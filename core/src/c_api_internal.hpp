// For tests and in-tree code that hold a C handle and need the runtime behind it.
#pragma once

#include "msgr/msgr.h"

namespace msgr::core {
class Runtime;
// The runtime behind a C handle (NULL for NULL).
Runtime *runtime_of(msgr_runtime *rt) noexcept;
}  // namespace msgr::core

// The runtime's side of the drawing layer's window surface (msgr_ui_window_* in ui.h): the
// z-order of the open windows. Kept apart from runtime.cpp so that it merges cleanly.
#include <algorithm>

#include "runtime.hpp"

namespace msgr::core {

void Runtime::bring_to_front(msgr_window &w) {
    auto it = std::find(z_order_.begin(), z_order_.end(), &w);
    if (it == z_order_.end()) return;  // not open
    // A rotation, not an erase + push_back: the vector never reallocates here.
    std::rotate(it, it + 1, z_order_.end());
}

}  // namespace msgr::core

// The post channel: the add-in's log lines and reports, from any of its threads.
#include "addin.hpp"

namespace msgr::addin_host {

bool Posts::send(const core::wire::Frame &f) {
    std::string bytes;
    try {
        bytes = core::wire::encode(f);  // the callers bound what they put in
    } catch (...) {
        return false;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (broken_) return false;
    std::string why;
    // Blocking: while the runtime's inbox is full its reader does not read, and the add-in's
    // thread waits here, as it would in the runtime's own process.
    if (channel_.send_raw(bytes, -1, why) != core::wire::Channel::Status::ok) {
        broken_ = true;  // the runtime is gone (or stopped reading this add-in): nothing more
        return false;
    }
    ++count_;
    return true;
}

std::uint64_t Posts::count() {
    return count_.load();  // a frame still being written is not counted: nothing waits for it
}

}  // namespace msgr::addin_host

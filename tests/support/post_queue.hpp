// What the runtime's inbox is to the history store (Options::post), for its tests and
// benchmark: functions posted from any thread (the store's), run on the thread that pumps.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

namespace msgr::test {

class PostQueue {
  public:
    // Queues fn to run at the next pump(). Any thread.
    void post(std::function<void()> fn) {
        const std::lock_guard<std::mutex> lock(mu_);
        posted_.push_back(std::move(fn));
    }
    // Runs what was posted so far, on the calling thread (what fn posts runs at the next pump).
    void pump() {
        std::deque<std::function<void()>> now;
        {
            const std::lock_guard<std::mutex> lock(mu_);
            now.swap(posted_);
        }
        for (auto &fn : now)
            fn();
    }

  private:
    std::mutex mu_;
    std::deque<std::function<void()>> posted_;
};

}  // namespace msgr::test

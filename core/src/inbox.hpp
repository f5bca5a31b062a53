// The runtime's inbox: the only way from a service's or gateway's own thread to the core.
//
// Producers on other threads block while the inbox is full (backpressure reaches the network
// instead of memory growing without bound); the owner thread never blocks, because it is the
// one that drains. The owner drains in batches from tick, a bounded number per tick.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace msgr::core {

template <typename Item>
class Inbox {
  public:
    Inbox(std::size_t capacity, std::thread::id owner) : capacity_(capacity), owner_(owner) {}

    // Queues an item. Off the owner thread this waits while the inbox is full; returns false
    // (and drops nothing the caller still owns) once the inbox is closed.
    bool push(Item item) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (std::this_thread::get_id() != owner_) {
            not_full_.wait(lock, [&] { return closed_ || !bounded_ || items_.size() < capacity_; });
        }
        if (closed_) return false;
        items_.push_back(std::move(item));
        return true;
    }

    // While not bounded, producers do not wait for room, and those waiting go on: for the short
    // while the owner thread waits for a producer itself and cannot drain (the runtime's destroy
    // unloading the paging add-in). The inbox may grow past its capacity meanwhile.
    void set_bounded(bool bounded) {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            bounded_ = bounded;
        }
        not_full_.notify_all();
    }

    // Moves up to max items, oldest first, into out (cleared first). Returns how many remain.
    std::size_t drain(std::vector<Item> &out, std::size_t max) {
        out.clear();
        std::size_t left = 0;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            const std::size_t n = items_.size() < max ? items_.size() : max;
            for (std::size_t i = 0; i < n; ++i) {
                out.push_back(std::move(items_.front()));
                items_.pop_front();
            }
            left = items_.size();
        }
        not_full_.notify_all();
        return left;
    }

    std::size_t size() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return items_.size();
    }

    // Wakes every waiting producer and refuses further items. Used when the runtime stops.
    void close() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            closed_ = true;
        }
        not_full_.notify_all();
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable not_full_;
    std::deque<Item> items_;
    const std::size_t capacity_;
    const std::thread::id owner_;
    bool closed_ = false;
    bool bounded_ = true;
};

}  // namespace msgr::core

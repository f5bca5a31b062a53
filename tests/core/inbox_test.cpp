// The inbox under contention: several producer threads against the owner thread that drains.
// Labelled `threaded`: `make tsan` runs these under ThreadSanitizer. No timing assertions: every
// expectation holds for any interleaving.
#include <gtest/gtest.h>

#include <cstddef>
#include <thread>
#include <vector>

#include "inbox.hpp"

using msgr::core::Inbox;

namespace {

struct Item {
    int producer;
    int seq;
};

}  // namespace

// Producers flood a small inbox (so they block on it over and over) while the owner drains in
// batches: every item arrives exactly once, each producer's items in the order it pushed them,
// and the inbox never holds more than its capacity.
TEST(InboxStress, ManyProducersOneDrainingOwner) {
    constexpr int kProducers = 4;
    constexpr int kPerProducer = 20000;
    constexpr std::size_t kCapacity = 64;
    constexpr std::size_t kBatch = 48;
    Inbox<Item> inbox(kCapacity, std::this_thread::get_id());

    std::vector<std::thread> producers;
    producers.reserve(kProducers);
    std::vector<int> refused(kProducers, 0);
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&inbox, &refused, p] {
            for (int i = 0; i < kPerProducer; ++i) {
                if (!inbox.push(Item{p, i})) ++refused[p];
            }
        });
    }

    std::vector<int> next(kProducers, 0);
    std::vector<Item> batch;
    std::size_t received = 0;
    bool in_order = true;
    bool within_capacity = true;
    while (received < static_cast<std::size_t>(kProducers) * kPerProducer) {
        const std::size_t left = inbox.drain(batch, kBatch);
        within_capacity = within_capacity && left <= kCapacity && batch.size() <= kBatch;
        for (const Item &item : batch) {
            in_order = in_order && item.seq == next[item.producer];
            next[item.producer] = item.seq + 1;
        }
        received += batch.size();
        if (batch.empty()) std::this_thread::yield();
    }
    for (auto &t : producers)
        t.join();

    EXPECT_TRUE(in_order);
    EXPECT_TRUE(within_capacity);
    EXPECT_EQ(inbox.size(), 0u);
    for (int p = 0; p < kProducers; ++p) {
        EXPECT_EQ(next[p], kPerProducer) << "producer " << p;
        EXPECT_EQ(refused[p], 0) << "producer " << p;
    }
}

// close() wakes producers waiting on a full inbox, and they give up (push returns false)
// instead of waiting forever; nothing is queued after close.
TEST(InboxStress, CloseReleasesBlockedProducers) {
    constexpr int kProducers = 3;
    Inbox<int> inbox(1, std::this_thread::get_id());
    ASSERT_TRUE(inbox.push(0));  // the owner fills it

    std::vector<std::thread> producers;
    producers.reserve(kProducers);
    std::vector<int> accepted(kProducers, -1);
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&inbox, &accepted, p] { accepted[p] = inbox.push(p + 1) ? 1 : 0; });
    }
    inbox.close();
    for (auto &t : producers)
        t.join();

    for (int p = 0; p < kProducers; ++p)
        EXPECT_EQ(accepted[p], 0) << "producer " << p;
    std::vector<int> out;
    EXPECT_EQ(inbox.drain(out, 10), 0u);
    EXPECT_EQ(out, std::vector<int>{0});
    EXPECT_FALSE(inbox.push(7));
}

// size() is safe from any thread while producers push and the owner drains.
TEST(InboxStress, SizeFromAnyThread) {
    constexpr int kProducers = 2;
    constexpr int kPerProducer = 5000;
    Inbox<int> inbox(16, std::this_thread::get_id());
    std::vector<std::thread> producers;
    producers.reserve(kProducers);
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&inbox] {
            for (int i = 0; i < kPerProducer; ++i) {
                inbox.push(i);
                EXPECT_LE(inbox.size(), 16u);
            }
        });
    }
    std::vector<int> out;
    std::size_t received = 0;
    while (received < static_cast<std::size_t>(kProducers) * kPerProducer) {
        inbox.drain(out, 5);
        received += out.size();
        if (out.empty()) std::this_thread::yield();
    }
    for (auto &t : producers)
        t.join();
    EXPECT_EQ(received, static_cast<std::size_t>(kProducers) * kPerProducer);
}

// The owner thread never blocks, even on a full inbox (it is the one that drains).
TEST(InboxStress, OwnerPushNeverBlocks) {
    Inbox<int> inbox(2, std::this_thread::get_id());
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(inbox.push(i));
    EXPECT_EQ(inbox.size(), 10u);
}

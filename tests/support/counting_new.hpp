// Replaces the program's operator new and delete with ones that count the allocations made
// while g_counting is set (g_news): for the tests that a steady frame allocates nothing.
// Include it in exactly one source file of a test program (replacement operators are
// definitions, and may not be inline).
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

// (Not in an unnamed namespace: a header; the one program that includes it owns them.)
inline std::atomic<bool> g_counting{false};
inline std::atomic<long> g_news{0};

void *operator new(std::size_t n) {
    if (g_counting.load(std::memory_order_relaxed)) g_news.fetch_add(1);
    if (void *p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void *operator new[](std::size_t n) {
    return operator new(n);
}
void operator delete(void *p) noexcept {
    std::free(p);
}
void operator delete[](void *p) noexcept {
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void *p, std::size_t) noexcept {
    std::free(p);
}

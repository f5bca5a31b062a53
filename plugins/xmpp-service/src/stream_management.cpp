#include "stream_management.hpp"

namespace msgr_xmpp {

bool parse_h(std::string_view text, std::uint32_t &out) {
    if (text.empty() || text.size() > 10) return false;
    std::uint64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > 0xFFFFFFFFull) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
}

void StreamCounter::enable_sent() {
    counting_ = true;
    enabled_ = false;
    sent_ = acked_ = received_ = 0;
}

void StreamCounter::enabled() {
    enabled_ = counting_;
    received_ = 0;
}

void StreamCounter::failed() {
    counting_ = enabled_ = false;
}

std::uint64_t StreamCounter::sent() {
    if (!counting_) return 0;
    return ++sent_;
}

void StreamCounter::received() {
    if (enabled_) ++received_;
}

bool StreamCounter::ack(std::uint32_t h, std::uint64_t *upto) {
    // h counts modulo 2^32: the acknowledged count is the one at or after the last that has
    // those low 32 bits.
    const std::uint64_t step = static_cast<std::uint32_t>(h - static_cast<std::uint32_t>(acked_));
    const std::uint64_t now = acked_ + step;
    if (!counting_ || now > sent_) return false;
    acked_ = now;
    *upto = now;
    return true;
}

}  // namespace msgr_xmpp

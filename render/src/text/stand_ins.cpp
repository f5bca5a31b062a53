#include "stand_ins.hpp"

namespace msgr::render::text {

StandIns::StandIns()
    : keys_(new char32_t[kSlots]()),
      index_(new std::uint16_t[kSlots]()),
      originals_(new char32_t[kCapacity]()) {}

char32_t StandIns::find(char32_t cp) const noexcept {
    for (std::size_t s = slot_of(cp);; s = (s + 1) & (kSlots - 1)) {
        if (keys_[s] == cp) return kFirst + index_[s];
        if (keys_[s] == 0) return 0;
    }
}

char32_t StandIns::stand_in(char32_t cp) noexcept {
    std::size_t s = slot_of(cp);
    for (;; s = (s + 1) & (kSlots - 1)) {
        if (keys_[s] == cp) return kFirst + index_[s];
        if (keys_[s] == 0) break;
    }
    if (used_ == kCapacity) return 0;
    keys_[s] = cp;
    index_[s] = static_cast<std::uint16_t>(used_);
    originals_[used_] = cp;
    return kFirst + static_cast<char32_t>(used_++);
}

std::size_t StandIns::to_exact(const char *b, const char *e, char *out,
                               std::size_t cap) const noexcept {
    std::size_t n = 0;
    if (cap == 0) return 0;
    while (b < e) {
        std::size_t len = 0;
        const char32_t cp = decode_utf8(b, e, len);
        const char32_t orig = original(cp);
        char enc[4];
        const std::size_t k = orig != 0 ? encode_utf8(orig, enc) : len;
        if (n + k >= cap) break;  // no room for it and the NUL
        for (std::size_t i = 0; i < k; ++i)
            out[n++] = orig != 0 ? enc[i] : b[i];
        b += len;
    }
    out[n] = '\0';
    return n;
}

}  // namespace msgr::render::text

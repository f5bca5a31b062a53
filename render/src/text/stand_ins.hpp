// Stand-ins: how code points that Dear ImGui 1.86 cannot carry (16-bit ImWchar: nothing above
// U+FFFF) pass through it, at the overlay's boundary.
//
// Every code point above U+FFFF (emoji, CJK extension B, ...) that the overlay meets gets a
// stand-in, a Private Use Area code point (U+E000..U+F8FF) handed out in order, whose glyph in
// the font atlas is the real glyph. So that a stand-in is never confused with a PUA character
// the player or the network really used, every real PUA code point met gets a stand-in as well:
// in the drawn form (what ImGui sees) every PUA code point is one of ours, and mapping back
// (to_exact) gives the exact UTF-8 again. What the network and the store hold is always the
// exact text; only ImGui's copies (the input buffer, what is drawn) hold stand-ins.
//
// The tables are allocated once, at construction: mapping never allocates. When all 6,400
// stand-ins are handed out (a session that met 6,400 distinct such code points), to_drawn
// draws U+FFFD for a new one, and for typed text (drop_unmappable) leaves it out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "utf8.hpp"

namespace msgr::render::text {

class StandIns {
  public:
    static constexpr char32_t kFirst = 0xE000;
    static constexpr char32_t kLast = 0xF8FF;
    static constexpr std::size_t kCapacity = kLast - kFirst + 1;

    StandIns();

    // Whether cp needs a stand-in to pass through ImGui.
    static bool needs_stand_in(char32_t cp) noexcept {
        return cp > 0xFFFF || (cp >= kFirst && cp <= kLast);
    }
    static bool is_stand_in_range(char32_t cp) noexcept { return cp >= kFirst && cp <= kLast; }

    // cp's stand-in, handed out now if it has none yet; 0 when none is left.
    char32_t stand_in(char32_t cp) noexcept;
    // cp's stand-in if it has one, else 0 (never hands one out).
    char32_t find(char32_t cp) const noexcept;
    // The code point a stand-in stands for; 0 when `pua` was not handed out.
    char32_t original(char32_t pua) const noexcept {
        return is_stand_in_range(pua) ? originals_[pua - kFirst] : 0;
    }
    std::size_t size() const noexcept { return used_; }
    // Changes every time a stand-in is handed out.
    std::size_t generation() const noexcept { return used_; }

    // Writes the drawn form of [b, e) to out (NUL-terminated) and returns its length. `cap`
    // must be at least max_drawn_size(e - b). Ill-formed UTF-8 becomes U+FFFD. `each(cp)` is
    // called with every code point written (for the atlas: which glyphs the text needs).
    // Returns through `unmapped` how many code points had no stand-in left.
    static constexpr std::size_t max_drawn_size(std::size_t n) noexcept { return 3 * n + 1; }
    template <typename Each>
    std::size_t to_drawn(const char *b, const char *e, char *out, std::size_t cap, Each &&each,
                         bool drop_unmappable = false, std::size_t *unmapped = nullptr) noexcept;
    std::size_t to_drawn(const char *b, const char *e, char *out, std::size_t cap) noexcept {
        return to_drawn(b, e, out, cap, [](char32_t) {});
    }

    // Writes the exact form of drawn text [b, e) to out (NUL-terminated), our stand-ins mapped
    // back, every other byte copied as it is; returns its length. `cap` must be at least
    // max_exact_size(e - b).
    static constexpr std::size_t max_exact_size(std::size_t n) noexcept { return 2 * n + 1; }
    std::size_t to_exact(const char *b, const char *e, char *out, std::size_t cap) const noexcept;

  private:
    static constexpr std::size_t kSlots = 8192;  // open addressing, a power of two > capacity
    static std::size_t slot_of(char32_t cp) noexcept {
        return (static_cast<std::size_t>(cp) * 2654435761u) & (kSlots - 1);
    }
    std::unique_ptr<char32_t[]> keys_;        // kSlots; 0: empty
    std::unique_ptr<std::uint16_t[]> index_;  // kSlots: the stand-in's offset from kFirst
    std::unique_ptr<char32_t[]> originals_;   // kCapacity
    std::size_t used_ = 0;
};

template <typename Each>
std::size_t StandIns::to_drawn(const char *b, const char *e, char *out, std::size_t cap,
                               Each &&each, bool drop_unmappable, std::size_t *unmapped) noexcept {
    std::size_t n = 0;
    std::size_t missed = 0;
    if (cap == 0) return 0;
    while (b < e) {
        std::size_t len = 0;
        char32_t cp = decode_utf8(b, e, len);
        if (needs_stand_in(cp)) {
            const char32_t s = stand_in(cp);
            if (s == 0) {
                ++missed;
                if (drop_unmappable) {
                    b += len;
                    continue;
                }
                cp = kReplacement;
            } else {
                cp = s;
            }
        }
        char enc[4];
        const std::size_t k = encode_utf8(cp, enc);
        if (n + k >= cap) break;  // no room for it and the NUL
        for (std::size_t i = 0; i < k; ++i)
            out[n++] = enc[i];
        each(cp);
        b += len;
    }
    out[n] = '\0';
    if (unmapped != nullptr) *unmapped = missed;
    return n;
}

}  // namespace msgr::render::text

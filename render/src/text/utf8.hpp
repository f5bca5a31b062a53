// UTF-8 decoding and encoding for the overlay's text boundary. Strict: an ill-formed sequence
// (a stray continuation byte, a truncated or overlong sequence, a surrogate, a value above
// U+10FFFF) decodes as U+FFFD and consumes one byte, so any input, however broken, makes
// progress and never reads past `end`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace msgr::render::text {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at p (p < end); sets `len` to the bytes it took (1 to 4).
inline char32_t decode_utf8(const char *p, const char *end, std::size_t &len) noexcept {
    const auto b0 = static_cast<unsigned char>(p[0]);
    len = 1;
    if (b0 < 0x80) return b0;
    std::size_t need = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        need = 1, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        need = 2, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        need = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
        return kReplacement;
    }
    if (static_cast<std::size_t>(end - p) <= need) return kReplacement;
    for (std::size_t i = 1; i <= need; ++i) {
        const auto b = static_cast<unsigned char>(p[i]);
        if ((b & 0xC0) != 0x80) return kReplacement;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kReplacement;
    len = need + 1;
    return cp;
}

// Writes cp (a valid scalar value) at out; returns the bytes written (1 to 4).
inline std::size_t encode_utf8(char32_t cp, char *out) noexcept {
    if (cp < 0x80) {
        out[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (cp >> 12));
        out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = static_cast<char>(0xF0 | (cp >> 18));
    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
}

// How many bytes of src (src_len long) fit in cap - 1 without cutting a UTF-8 sequence.
inline std::size_t fitting_prefix(const char *src, std::size_t src_len, std::size_t cap) noexcept {
    if (cap == 0) return 0;
    std::size_t n = src_len < cap - 1 ? src_len : cap - 1;
    if (n < src_len) {
        while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80)
            --n;
    }
    return n;
}

// Copies the C string src (NULL: "") into dst as far as it fits (never cutting a UTF-8
// sequence), NUL-terminated: what snprintf(dst, cap, "%s", src) does, without its formatting
// machinery (a tenth of the cost, on labels copied every frame).
inline void copy_cstr(char *dst, std::size_t cap, const char *src) noexcept {
    if (cap == 0) return;
    std::size_t len = 0;
    if (src != nullptr) {
        while (len < cap && src[len] != '\0')
            ++len;
    }
    const std::size_t n = fitting_prefix(src, len, cap);
    for (std::size_t i = 0; i < n; ++i)
        dst[i] = src[i];
    dst[n] = '\0';
}

inline bool all_ascii(const char *b, const char *e) noexcept {
    for (; b < e; ++b) {
        if ((static_cast<unsigned char>(*b) & 0x80) != 0) return false;
    }
    return true;
}

}  // namespace msgr::render::text

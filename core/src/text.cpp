#include "text.hpp"

#include <cstdint>
#include <cstring>

namespace msgr::core {

namespace {

// Length of the sequence that starts with lead byte b, or 0 if b cannot start one.
std::size_t sequence_length(unsigned char b) noexcept {
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 0;  // continuation byte, overlong 2-byte lead (C0, C1) or past U+10FFFF (F5..FF)
}

bool is_continuation(unsigned char b) noexcept {
    return (b & 0xC0) == 0x80;
}

// The length of the well-formed sequence at p[0..n), or 0 if there is none.
std::size_t valid_sequence_at(const unsigned char *p, std::size_t n) noexcept {
    const std::size_t len = sequence_length(p[0]);
    if (len == 0 || len > n) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if (!is_continuation(p[k])) return 0;
    }
    if (len == 1) return 1;
    const unsigned char b = p[0], b1 = p[1];
    // The second byte's range rules out overlong forms, surrogates and > U+10FFFF.
    if (b == 0xE0 && b1 < 0xA0) return 0;
    if (b == 0xED && b1 > 0x9F) return 0;
    if (b == 0xF0 && b1 < 0x90) return 0;
    if (b == 0xF4 && b1 > 0x8F) return 0;
    return len;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = valid_sequence_at(p + i, s.size() - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::string sanitize_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = valid_sequence_at(p + i, s.size() - i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(s.data() + i, len);
            i += len;
        }
    }
    return out;
}

std::string clean_status_text(std::string_view s, std::size_t max_utf16) {
    const std::string valid = sanitize_utf8(s);
    std::string out;
    out.reserve(valid.size());
    std::size_t units = 0;
    const auto *p = reinterpret_cast<const unsigned char *>(valid.data());
    for (std::size_t i = 0; i < valid.size();) {
        const std::size_t len = sequence_length(p[i]);  // valid: every lead is whole
        std::uint32_t cp = 0;
        if (len == 1) {
            cp = p[i];
        } else if (len == 2) {
            cp = ((p[i] & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
        } else if (len == 3) {
            cp = ((p[i] & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
        } else {
            cp = 0x10000;  // past the BMP: no control among them
        }
        const std::string_view seq(valid.data() + i, len);
        i += len;
        const bool blank = cp == '\t' || cp == '\r' || cp == '\n';
        if (!blank && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))) continue;
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) continue;
        const std::size_t u = len == 4 ? 2 : 1;
        if (units + u > max_utf16) break;
        units += u;
        if (blank) {
            out += ' ';
        } else {
            out.append(seq);
        }
    }
    return out;
}

std::size_t utf16_length(std::string_view s) noexcept {
    std::size_t units = 0;
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (is_continuation(b)) continue;
        units += (b >= 0xF0) ? 2 : 1;  // a 4-byte sequence is a surrogate pair in UTF-16
    }
    return units;
}

std::string fold_case(std::string_view s) {
    std::string out(s);
    for (char &c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

msgr_hresult check_signin_name(const char *name, const char **why) noexcept {
    const char *reason = nullptr;
    if (name == nullptr) {
        reason = "the sign-in name is a NULL string";
    } else {
        const std::string_view s(name, std::strlen(name));
        if (s.empty()) {
            reason = "the sign-in name is empty";
        } else if (s.front() == ' ') {
            reason = "the sign-in name starts with a space";
        } else if (!is_valid_utf8(s)) {
            reason = "the sign-in name is not valid UTF-8";
        } else if (s.find_first_of("\r\n") != std::string_view::npos) {
            reason = "the sign-in name contains a carriage return or line feed";
        } else if (utf16_length(s) > MSGR_MAX_SIGNIN_NAME_UTF16) {
            reason = "the sign-in name is longer than 129 UTF-16 code units";
        }
    }
    if (why != nullptr) *why = reason;
    return reason == nullptr ? MSGR_S_OK : MSGR_E_INVALIDARG;
}

}  // namespace msgr::core

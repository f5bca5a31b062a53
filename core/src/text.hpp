// Text rules shared by every entry point: UTF-8 validity, BSTR-style length, sign-in names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "msgr/msgr.h"

namespace msgr::core {

// True when s is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// The length a BSTR holding s would report: UTF-16 code units. s must be valid UTF-8.
std::size_t utf16_length(std::string_view s) noexcept;

// s with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, for text that
// arrives from the network: what the runtime hands out is always UTF-8.
std::string sanitize_utf8(std::string_view s);

// A one-line status text from the network (a contact's activity), as the runtime keeps it:
// sanitize_utf8's, then tab, CR and LF as a space, every other C0 and C1 control (and DEL)
// and the bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) dropped,
// and cut at a character boundary to at most max_utf16 UTF-16 units.
std::string clean_status_text(std::string_view s, std::size_t max_utf16);

// ASCII case folding, for comparing sign-in names ("Alice@Example.com" is "alice@example.com").
std::string fold_case(std::string_view s);

// Checks a sign-in name as vContact's documented rules check a VT_BSTR: not NULL, not empty,
// no leading space, at most 129 UTF-16 units, no CR or LF, valid UTF-8. Returns S_OK or
// E_INVALIDARG; on failure *why says which rule (a static string).
msgr_hresult check_signin_name(const char *name, const char **why) noexcept;

}  // namespace msgr::core

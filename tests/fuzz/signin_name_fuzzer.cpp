// Fuzzes the text rules every entry point applies to untrusted strings (core/src/text.hpp):
// UTF-8 validation and repair, the BSTR length, case folding and the sign-in name / vContact
// checks. Beyond memory errors, each function is compared with an independent reference.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "text.hpp"

namespace {

// Reference decoder after the Unicode Standard's table of well-formed UTF-8 byte sequences
// (Table 3-7). Returns false on ill-formed input; counts UTF-16 code units otherwise.
bool reference_decode(std::string_view s, std::size_t &units) {
    units = 0;
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    auto in = [&](std::size_t k, unsigned lo, unsigned hi) {
        return i + k < n && p[i + k] >= lo && p[i + k] <= hi;
    };
    while (i < n) {
        const unsigned b = p[i];
        std::size_t len = 0;
        if (b <= 0x7F) {
            len = 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            len = in(1, 0x80, 0xBF) ? 2 : 0;
        } else if (b == 0xE0) {
            len = in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
        } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
            len = in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
        } else if (b == 0xED) {
            len = in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
        } else if (b == 0xF0) {
            len = in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
        } else if (b >= 0xF1 && b <= 0xF3) {
            len = in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
        } else if (b == 0xF4) {
            len = in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
        }
        if (len == 0) return false;
        units += len == 4 ? 2 : 1;
        i += len;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view s(reinterpret_cast<const char *>(data), size);
    using namespace msgr::core;

    std::size_t units = 0;
    const bool valid = is_valid_utf8(s);
    FUZZ_CHECK(valid == reference_decode(s, units));
    if (valid) FUZZ_CHECK(utf16_length(s) == units);

    // Repair: the result is always valid, and valid text passes through unchanged.
    const std::string repaired = sanitize_utf8(s);
    FUZZ_CHECK(is_valid_utf8(repaired));
    if (valid) FUZZ_CHECK(repaired == s);

    const std::string folded = fold_case(s);
    FUZZ_CHECK(folded.size() == s.size());
    FUZZ_CHECK(fold_case(folded) == folded);
    FUZZ_CHECK(is_valid_utf8(folded) == valid);

    // The sign-in name / vContact rules, as a C string (the C ABI cuts at the first NUL).
    const std::string name(s.substr(0, s.find('\0')));
    const char *why = nullptr;
    const msgr_hresult hr = check_signin_name(name.c_str(), &why);
    std::size_t name_units = 0;
    const bool expect_ok =
        !name.empty() && name.front() != ' ' && reference_decode(name, name_units) &&
        name.find_first_of("\r\n") == std::string::npos && name_units <= MSGR_MAX_SIGNIN_NAME_UTF16;
    FUZZ_CHECK(hr == (expect_ok ? MSGR_S_OK : MSGR_E_INVALIDARG));
    FUZZ_CHECK((why == nullptr) == expect_ok);
    FUZZ_CHECK(check_signin_name(nullptr, nullptr) == MSGR_E_INVALIDARG);
    return 0;
}

// Fuzzes the configuration file parser (core/src/config.cpp, over toml++): a configuration
// file is untrusted input (written by hand, shipped with a game, edited by players). Beyond
// memory errors: a failure leaves the caller's Config untouched, and an accepted file yields a
// configuration the runtime can rely on. The nesting pre-scan (scan_toml_nesting) runs first on
// every input; what it lets through, toml++ builds no deeper than it counted.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.hpp"
#include "fuzz_check.hpp"
#include "text.hpp"
#include "toml.hpp"

namespace {

// The depth of the tree toml++ built (the root table is 0); bounded by kMaxConfigDepth here.
std::size_t depth_of(const toml::node &n) {
    std::size_t deepest = 0;
    if (const auto *t = n.as_table()) {
        for (const auto &[key, child] : *t)
            deepest = std::max(deepest, 1 + depth_of(child));
    } else if (const auto *a = n.as_array()) {
        for (const auto &child : *a)
            deepest = std::max(deepest, 1 + depth_of(child));
    }
    return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace msgr::core;
    const std::string_view text(reinterpret_cast<const char *>(data), size);

    Config config;
    config.max_windows = 12345;  // sentinels: parse_config must not touch `config` on failure
    config.addin_paths = {"sentinel"};
    const msgr_hresult hr = parse_config(text, "fuzz.toml", config);
    FUZZ_CHECK(hr == MSGR_S_OK || hr == MSGR_E_INVALID_DATA);
    const TomlNesting nesting = scan_toml_nesting(text, kMaxConfigDepth);
    if (nesting.depth > kMaxConfigDepth) FUZZ_CHECK(hr == MSGR_E_INVALID_DATA);
    if (hr != MSGR_S_OK) {
        FUZZ_CHECK(config.max_windows == 12345 && config.addin_paths.size() == 1);
        return 0;
    }

    FUZZ_CHECK(config.max_windows >= 1 && config.max_items_per_tick >= 1);
    FUZZ_CHECK(config.inbox_capacity >= 1);
    FUZZ_CHECK(is_valid_utf8(config.primary_service));
    FUZZ_CHECK(config.source_text == text);
    // The pre-scan never counts less than the tree has (else deep input could reach toml++).
    FUZZ_CHECK(depth_of(toml::parse(text)) <= nesting.depth);
    for (const auto &n : config.disabled_addins)
        FUZZ_CHECK(valid_addin_name(n));
    // The add-in allow-list holds SHA-256 digests in lowercase hex, whatever case the file used.
    for (const auto &h : config.addin_sha256) {
        FUZZ_CHECK(h.size() == 64);
        for (const char ch : h)
            FUZZ_CHECK((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
    }
    return 0;
}

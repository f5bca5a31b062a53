// Fuzzes the configuration file parser (core/src/config.cpp, over toml++): a configuration
// file is untrusted input (written by hand, shipped with a game, edited by players). Beyond
// memory errors: a failure leaves the caller's Config untouched, and an accepted file yields a
// configuration the runtime can rely on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.hpp"
#include "fuzz_check.hpp"
#include "text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace msgr::core;
    const std::string_view text(reinterpret_cast<const char *>(data), size);

    Config config;
    config.max_windows = 12345;  // a sentinel: parse_config must not touch `config` on failure
    config.loopback_services.clear();
    const msgr_hresult hr = parse_config(text, "fuzz.toml", config);
    FUZZ_CHECK(hr == MSGR_S_OK || hr == MSGR_E_INVALID_DATA);
    if (hr != MSGR_S_OK) {
        FUZZ_CHECK(config.max_windows == 12345 && config.loopback_services.empty());
        return 0;
    }

    FUZZ_CHECK(config.max_windows >= 1 && config.max_items_per_tick >= 1);
    FUZZ_CHECK(config.inbox_capacity >= 1);
    FUZZ_CHECK(is_valid_utf8(config.primary_service));
    FUZZ_CHECK(!config.loopback_services.empty() && config.loopback_services[0].id == "loopback");
    for (std::size_t i = 0; i < config.loopback_services.size(); ++i) {
        FUZZ_CHECK(!config.loopback_services[i].id.empty());
        for (std::size_t j = 0; j < i; ++j) {
            FUZZ_CHECK(config.loopback_services[i].id != config.loopback_services[j].id);
        }
    }
    for (const auto &c : config.loopback_contacts) {
        FUZZ_CHECK(check_signin_name(c.signin.c_str(), nullptr) == MSGR_S_OK);
        FUZZ_CHECK(is_valid_utf8(c.friendly));
        bool known = false;
        for (const auto &s : config.loopback_services)
            known = known || s.id == c.service;
        FUZZ_CHECK(known);
    }
    return 0;
}

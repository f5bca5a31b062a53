// The runtime's configuration: embedded defaults, optionally overridden by a TOML file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "msgr/msgr.h"

namespace msgr::core {

struct Config {
    // [runtime]
    // The contact service InstantMessage and Page sign in to. Services come from add-ins; the
    // default, "loopback", is the loopback add-in shipped in lib/msgr/addins.
    std::string primary_service = "loopback";
    // The other services that sign in with it (same session and name, their own credentials).
    // Unset (the key absent): every service the add-ins provide; [] : the primary alone.
    std::optional<std::vector<std::string>> secondary_services;
    std::uint32_t max_windows = 32;           // open conversation + page windows
    std::uint32_t max_items_per_tick = 4096;  // inbox items drained by one tick
    std::uint32_t inbox_capacity = 65536;     // items queued before producers wait
    std::vector<std::string> addin_paths;     // searched before the installed add-in folder
    // Whether MSGR_ADDIN_PATH and the installed add-in folder (<dir of libmsgr.so>/msgr/addins)
    // are searched after addin_paths.
    bool addin_default_paths = true;
    // When not empty, only add-ins whose SHA-256 (lowercase hex) is listed are loaded.
    std::vector<std::string> addin_sha256;

    // The configuration text and where it came from (add-ins read their own tables from it).
    std::string source_text;
    std::string source_origin;  // the file's path; empty for the embedded defaults
};

// Reads a configuration file over the defaults. Returns S_OK, MSGR_E_FILE_NOT_FOUND or
// MSGR_E_INVALID_DATA; a failure's reason (with line and column) is in msgr_last_error().
msgr_hresult load_config(const char *path, Config &out);

// Parses configuration text (what load_config reads); `origin` names it in error messages.
msgr_hresult parse_config(std::string_view text, const std::string &origin, Config &out);

}  // namespace msgr::core

// The runtime's configuration: embedded defaults, optionally overridden by a TOML file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "msgr/msgr.h"

namespace msgr::core {

struct LoopbackContact {
    std::string signin;
    std::string friendly;
    std::string service = "loopback";
    std::int32_t status = MSGR_STATUS_ONLINE;
    bool mobile = false;
};

struct LoopbackServiceConfig {
    std::string id;
    bool paging = true;
};

struct Config {
    // [runtime]
    std::string primary_service = "loopback";
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

    // [loopback]: the embedded default service. It always provides `primary_id`; each entry
    // of [[loopback.services]] adds a secondary loopback service.
    std::vector<LoopbackServiceConfig> loopback_services = {{"loopback", true}};
    std::string loopback_echo = "echo@loopback";  // answers every message; "" for none
    std::string loopback_password;                // when set, sign-in must give it
    std::vector<LoopbackContact> loopback_contacts = {
        {"echo@loopback", "Echo", "loopback", MSGR_STATUS_ONLINE, false},
        {"mobile@loopback", "Pat (mobile)", "loopback", MSGR_STATUS_AWAY, true},
    };
};

// Reads a configuration file over the defaults. Returns S_OK, MSGR_E_FILE_NOT_FOUND or
// MSGR_E_INVALID_DATA; a failure's reason (with line and column) is in msgr_last_error().
msgr_hresult load_config(const char *path, Config &out);

// Parses configuration text (what load_config reads); `origin` names it in error messages.
msgr_hresult parse_config(std::string_view text, const std::string &origin, Config &out);

}  // namespace msgr::core

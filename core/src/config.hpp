// The runtime's configuration: embedded defaults, optionally overridden by a TOML file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "addins/descriptor.hpp"  // valid_addin_name
#include "msgr/addin.h"
#include "msgr/msgr.h"

namespace msgr::core {

// How an add-in runs when neither its [addin.<stem>] isolation nor MSGR_ADDIN_ISOLATION says:
// in a process of its own (a bug in an add-in, the XMPP service's parser included, must not
// become a bug in the game).
constexpr msgr_addin_isolation kDefaultIsolation = MSGR_ADDIN_ISOLATION_PROCESS;

// [addin.<stem>]: how the runtime runs one add-in, named by its file's name without ".so"
// (paging.so: "paging"), as runtime.disabled_addins names them.
struct AddinSettings {
    std::optional<msgr_addin_isolation> isolation;  // absent: the default (resolve_isolation)
    std::uint32_t call_timeout_ms = 2000;           // each call into an isolated add-in
    std::uint32_t load_timeout_ms = 5000;           // its start and its load
    std::uint32_t max_restarts = 3;                 // restarts after a crash or hang
    std::uint32_t restart_backoff_ms = 200;         // before the first; doubles, at most 30 s
    std::uint64_t address_space_mb = 0;             // RLIMIT_AS of its process; 0: none
    std::uint64_t open_files = 256;                 // RLIMIT_NOFILE of its process
};
constexpr std::uint32_t kMaxRestartBackoffMs = 30000;

// [history]: the history store (core/src/history/store.hpp).
struct HistorySettings {
    bool enabled = true;
    // The directory of the databases; "" = $XDG_DATA_HOME/msgr/history. A relative path is made
    // relative to the configuration file's directory when the file is read (absolute here).
    std::string path;
    std::uint32_t retain_days = 0;      // 0: forever
    std::uint64_t retain_messages = 0;  // per conversation; 0: all
    // The recent part of a conversation a window keeps in memory; older entries are read from
    // the store when asked for.
    std::uint32_t memory_messages = 256;
    // A message a previous run left PENDING is sent again at sign-in (false: marked FAILED).
    bool resend_after_restart = true;
};
constexpr std::uint32_t kMinMemoryMessages = 16;
constexpr std::uint32_t kMaxMemoryMessages = 1000000;

struct Config {
    // [runtime]
    // The contact service InstantMessage and Page sign in to. Services come from add-ins; the
    // default, "loopback", is the loopback add-in shipped in lib/msgr/addins.
    std::string primary_service = "loopback";
    // The other services that sign in with it (same session and name, their own credentials).
    // Unset (the key absent): every service the add-ins provide; [] : the primary alone.
    std::optional<std::vector<std::string>> secondary_services;
    std::uint32_t max_windows = 32;  // open conversation + page windows
    // A conversation's contacts at most (msgr_window_add_contact: MSGR_E_SESSION_FULL past it)
    std::uint32_t max_conversation_contacts = 8;
    std::uint32_t max_items_per_tick = 4096;  // inbox items drained by one tick
    std::uint32_t inbox_capacity = 65536;     // items queued before producers wait
    std::vector<std::string> addin_paths;     // searched before the installed add-in folder
    // Whether MSGR_ADDIN_PATH and the installed add-in folder (<dir of libmsgr.so>/msgr/addins)
    // are searched after addin_paths.
    bool addin_default_paths = true;
    // When not empty, only add-ins whose SHA-256 (lowercase hex) is listed are loaded.
    std::vector<std::string> addin_sha256;
    // Add-ins switched off by name: the add-in file's name without ".so" (paging.so: "paging"),
    // matched before the file is opened, so nothing of it runs. Lets a third-party add-in
    // replace a shipped one (two paging providers: the second is refused).
    std::vector<std::string> disabled_addins;
    // Where the add-in host program (msgr-addin-host) is; empty: looked for (MSGR_ADDIN_HOST,
    // then next to libmsgr.so). A relative path is relative to the configuration file.
    std::string addin_host;

    HistorySettings history;

    // [addin.<stem>] tables, by stem. The top-level table [addin] is the runtime's.
    std::map<std::string, AddinSettings, std::less<>> addins;
    // The settings of the add-in file with this stem (the defaults when it has no table).
    const AddinSettings &addin(std::string_view stem) const;

    // The configuration text and where it came from (add-ins read their own tables from it).
    std::string source_text;
    std::string source_origin;  // the file's path; empty for the embedded defaults
};

// The largest configuration file read (bytes): a configuration is a few KiB; anything near
// this is a mistake (a log, a disk image), refused before it is read whole.
constexpr std::size_t kMaxConfigBytes = 1u << 20;
// The deepest nesting a configuration may have (see scan_toml_nesting). toml++ parses nested
// arrays, inline tables and dotted keys recursively, so the depth a file may reach is what
// bounds the stack it takes: at this limit toml++ needs well under 64 KiB (about 28 KiB for
// inline tables in an optimized build, the costliest kind), so a runtime can be created on a
// small thread; without it an 8 KB line of dotted keys overflows such a thread's stack.
constexpr std::size_t kMaxConfigDepth = 16;

// Reads a configuration file over the defaults. Returns S_OK, MSGR_E_FILE_NOT_FOUND (the path
// cannot be opened) or MSGR_E_INVALID_DATA (it is not a regular file -- a directory, FIFO,
// device or socket --, it is larger than kMaxConfigBytes, it cannot be read, or its text is not
// a valid configuration); a failure's reason (with line and column) is in msgr_last_error().
msgr_hresult load_config(const char *path, Config &out);

// Parses configuration text (what load_config reads); `origin` names it in error messages.
msgr_hresult parse_config(std::string_view text, const std::string &origin, Config &out);

// A lexical pre-scan of TOML text, run before toml++ sees it: how deep the tree it describes
// can be, counted from the text alone (strings of the four kinds, comments, table headers,
// dotted keys, arrays and inline tables). The count never falls below the depth of the tree
// toml++ builds (a table header's part counts two, as it may pass through an array of
// tables), and the scan uses no recursion. It stops at the first point deeper than `limit`.
struct TomlNesting {
    std::size_t depth = 0;  // the deepest point seen (> limit: where the scan stopped)
    std::size_t line = 0;   // where that point is (1-based; column in code points)
    std::size_t column = 0;
};
TomlNesting scan_toml_nesting(std::string_view text, std::size_t limit);

// How an add-in with these settings runs: its isolation, else MSGR_ADDIN_ISOLATION
// ("process" or "in_process"), else kDefaultIsolation. An unknown MSGR_ADDIN_ISOLATION is
// ignored, with a warning in `warning` (else left empty).
msgr_addin_isolation resolve_isolation(const AddinSettings &s, std::string &warning);

}  // namespace msgr::core

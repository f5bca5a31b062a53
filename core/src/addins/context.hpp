// Room: the add-in host's record of one add-in (msgr_host_ctx, the context its host functions
// get) and the small helpers every room of core/src/addins/ shares. Data only: no behaviour
// beyond naming and guarding. Included by the add-in host's own .cpp files, never by the rest
// of the runtime (which sees class AddinHost alone).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <boost/signals2/connection.hpp>

#include "abi_rules.hpp"
#include "addin_host.hpp"
#include "capabilities.hpp"
#include "code_running.hpp"
#include "msgr/addin.h"
#include "process.hpp"
#include "toml.hpp"

namespace msgr::core {

// Where an add-in is in its life: the one state of the record. What the listing shows
// (msgr_addin_state) follows from it (public_state).
enum class Stage : std::uint8_t {
    found,                 // listed; not verified yet
    verified,              // verified and its descriptor read; its load not called yet
    loading,               // inside its load: registration is open
    loaded,                // its load succeeded: it runs, and its unload is owed
    disabled_unload_owed,  // it ran, then a call failed or threw: cut off, its unload still owed
    disabled,              // cut off and nothing of it is called again (load threw, or unloaded)
    refused,               // never ran (or its load failed and cleaned up)
    unloaded,              // unloaded on request (or at the runtime's destroy)
    disabled_by_config,    // runtime.disabled_addins: the file was not opened
    crashed,               // isolated: its process died (a signal, an exit, a protocol breach)
    hung,                  // isolated: its process did not answer in time and was killed
};

inline msgr_addin_state public_state(Stage s) noexcept {
    switch (s) {
        case Stage::loaded:
            return MSGR_ADDIN_LOADED;
        case Stage::disabled_unload_owed:
        case Stage::disabled:
            return MSGR_ADDIN_DISABLED;
        case Stage::unloaded:
            return MSGR_ADDIN_UNLOADED;
        case Stage::disabled_by_config:
            return MSGR_ADDIN_DISABLED_BY_CONFIG;
        case Stage::crashed:
            return MSGR_ADDIN_CRASHED;
        case Stage::hung:
            return MSGR_ADDIN_HUNG;
        case Stage::found:
        case Stage::verified:
        case Stage::loading:
        case Stage::refused:
            break;
    }
    return MSGR_ADDIN_REFUSED;
}

inline const char *state_name(msgr_addin_state s) noexcept {
    switch (s) {
        case MSGR_ADDIN_LOADED:
            return "loaded";
        case MSGR_ADDIN_REFUSED:
            return "refused";
        case MSGR_ADDIN_DISABLED:
            return "disabled";
        case MSGR_ADDIN_UNLOADED:
            return "unloaded";
        case MSGR_ADDIN_DISABLED_BY_CONFIG:
            return "disabled by configuration";
        case MSGR_ADDIN_CRASHED:
            return "crashed";
        case MSGR_ADDIN_HUNG:
            return "hung";
    }
    return "?";
}

inline const char *state_name(Stage s) noexcept {
    return state_name(public_state(s));
}

// Runs a call into add-in code (owner thread); on an exception, says what it was. While it
// runs, add-in code is marked running (code_running.hpp): the UI functions refuse it.
template <typename F>
msgr_hresult guard(F &&f, std::string &threw) noexcept {
    const AddinCodeScope running;
    try {
        return f();
    } catch (const std::exception &e) {
        try {
            threw = std::string("threw an exception: ") + e.what();
        } catch (...) {
        }
    } catch (...) {
        threw = "threw an exception";
    }
    return MSGR_E_UNEXPECTED;
}

// The parsed configuration, for add-ins' tables.
struct AddinHost::ConfigTree {
    toml::table root;
};

// The problem kind of a call into add-in code that failed: threw (guard's) says which.
inline msgr_addin_problem call_problem(const std::string &threw) noexcept {
    return threw.empty() ? MSGR_ADDIN_PROBLEM_CALL_FAILED : MSGR_ADDIN_PROBLEM_THREW;
}

// The host functions (host_functions.cpp): what msgr_host.get_proc returns.
msgr_proc host_get_proc(const char *name);

// The runtime's view of what an add-in registered (adapters.cpp).
std::unique_ptr<PagingProvider> make_paging_adapter(msgr_host_ctx &ctx);
std::unique_ptr<Service> make_service_adapter(msgr_host_ctx &ctx, std::size_t index);

}  // namespace msgr::core

// One per add-in found: what the listing shows, what the add-in registered, and its library (or
// its process). Named in the global namespace: msgr/addin.h declares it as the opaque context of
// the host functions.
struct msgr_host_ctx {
    msgr::core::AddinHost *host = nullptr;
    std::size_t index = 0;
    std::string path;
    std::string stem;  // the file's name without ".so": its [addin.<stem>] settings

    msgr::core::Stage stage = msgr::core::Stage::found;
    msgr_hresult result = MSGR_S_OK;
    msgr_addin_problem problem = MSGR_ADDIN_PROBLEM_NONE;  // the kind behind result and reason
    std::string reason;
    msgr_addin_isolation isolation = MSGR_ADDIN_ISOLATION_IN_PROCESS;
    int signal = 0;              // MSGR_ADDIN_PROBLEM_CRASHED: the signal that killed its process
    int exit_status = 0;         // MSGR_ADDIN_PROBLEM_EXITED: its process's exit status
    std::uint32_t restarts = 0;  // how often its process was started again after a fault
    std::string load_error;

    std::string name, version, description, config_table;
    std::vector<std::string> depends;
    std::uint16_t abi_major = 0, abi_minor = 0;
    std::uint32_t provides = 0;

    std::unique_ptr<boost::dll::shared_library> lib;    // in-process: its library
    std::unique_ptr<msgr::core::AddinProcess> process;  // isolated: its process
    // Crashed or hung with restarts left: when collect() starts it again.
    std::optional<std::chrono::steady_clock::time_point> restart_at;
    msgr_addin_descriptor desc{};
    void *state_ptr = nullptr;

    bool has_paging = false;
    msgr_paging_provider paging{};
    msgr::core::PagingProvider *adapter = nullptr;  // installed in the runtime while loaded
    // The page its submit is running for (owner thread; NULL outside submit): the one page that
    // msgr_host_page_via_service accepts from it.
    const msgr::core::PageRequest *submitting = nullptr;

    struct Sub {
        msgr_event_type type;
        msgr_addin_event_fn fn;
        void *user;
    };
    std::vector<Sub> subs;
    std::vector<boost::signals2::connection> connections;

    const toml::table *config = nullptr;
    msgr::core::RuntimeInbox *inbox = nullptr;

    // Contact services it registered (during load; fixed afterwards).
    struct ServiceReg {
        std::string id;
        msgr_contact_service table{};
        msgr::core::Service *adapter = nullptr;  // installed in the runtime while loaded
    };
    std::vector<ServiceReg> services;

    // Drawers it registered (during load; fixed afterwards). ABI 1.2.
    std::vector<msgr_drawer> drawers;

    std::mutex owed_mutex;  // pages and messages handed over whose outcome the add-in owes
    std::unordered_set<std::uint64_t> owed;
    // The id being handed to one of its services (send_message, send_page) that it did not owe
    // before (owner thread; 0 when none). If that call fails, whoever handed it over reports it,
    // so disabling the add-in inside the call does not report it a second time.
    std::uint64_t handing_over = 0;
    // Whether the add-in's reports are taken (false once it is disabled or unloaded).
    std::atomic<bool> accepting{true};
    // In-process: its code ran in the runtime's process, so a thread of its may outlive its
    // unload and still call host functions with this context (the library stays mapped:
    // RTLD_NODELETE). Such a context outlives the runtime, retired: every host function then
    // answers as to a stopped add-in without touching the runtime.
    bool code_ran = false;
    std::atomic<bool> retired{false};
    // Service ids the add-in may report for (read by its threads; guarded by owed_mutex).
    std::vector<std::string> service_ids;

    int pid() const noexcept { return process ? process->pid() : 0; }
    bool loaded() const noexcept { return stage == msgr::core::Stage::loaded; }
    msgr_addin_state state() const noexcept { return msgr::core::public_state(stage); }
};

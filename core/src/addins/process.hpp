// The process transport: an isolated add-in runs in a process of its own (msgr-addin-host), and
// this is the runtime's side of it. The add-in host (lifecycle) treats an isolated add-in as it
// treats one in its own process: what the add-in registers in its process is registered here
// through the very same host functions (msgr_host.get_proc), with tables whose functions call
// into the process and wait for the answer within the call deadline; events are sent one-way;
// the add-in's reports arrive on a reader thread that calls the very same post functions.
//
// A fault (the process died, did not answer in time, or sent a malformed frame) makes the call
// that met it fail, and is kept in fault(): the add-in host then records the add-in as CRASHED or
// HUNG (not DISABLED) with that reason. Faults found between calls are taken in by poll().
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "msgr/addin.h"
#include "protocol.hpp"

namespace msgr::core {

struct ProcessOptions {
    std::string program;  // the add-in host program (msgr-addin-host), an absolute path
    int call_timeout_ms = 2000;
    int load_timeout_ms = 5000;
    std::uint64_t address_space_bytes = 0;  // RLIMIT_AS in the process; 0: not limited
    std::uint64_t open_files = 256;         // RLIMIT_NOFILE in the process
};

// Why the process could not be used, or why it ended.
struct ProcessFault {
    msgr_addin_state state = MSGR_ADDIN_LOADED;  // CRASHED or HUNG; REFUSED for a refusal
    msgr_addin_problem problem = MSGR_ADDIN_PROBLEM_NONE;
    msgr_hresult hr = MSGR_S_OK;
    int signal = 0;       // MSGR_ADDIN_PROBLEM_CRASHED
    int exit_status = 0;  // MSGR_ADDIN_PROBLEM_EXITED
    std::string reason;
    explicit operator bool() const noexcept { return problem != MSGR_ADDIN_PROBLEM_NONE; }
};

class AddinProcess {
  public:
    // Starts `options.program` for the verified add-in file `path` (st: what the runtime's
    // verification saw; the process refuses a file that is no longer that one), and waits for
    // its Hello (load_timeout_ms): the process has then loaded the library and checked and read
    // its descriptor. nullptr on failure, with why (a refusal the process reported, with its
    // problem kind, or the fault that ended it, or MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST).
    static std::unique_ptr<AddinProcess> start(const std::string &path, const struct stat &st,
                                               const ProcessOptions &options, ProcessFault &why);
    // start() in two steps, so that several processes start at once (each one's exec, dynamic
    // linking and library load overlap the others'): spawn starts the program and does not wait
    // (nullptr, with why, when it cannot be started); hello then waits for its Hello until
    // load_timeout_ms after the spawn. false with why: the process is killed and reaped, and
    // the object is only to be destroyed.
    static std::unique_ptr<AddinProcess> spawn(const std::string &path, const struct stat &st,
                                               const ProcessOptions &options, ProcessFault &why);
    bool hello(ProcessFault &why);
    ~AddinProcess();  // kills the process group if the process still runs, joins, reaps
    AddinProcess(const AddinProcess &) = delete;
    AddinProcess &operator=(const AddinProcess &) = delete;

    const wire::Descriptor &descriptor() const noexcept;  // after hello()

    // Runs the add-in's load in the process with its configuration table (TOML text, "" for
    // none) and registers what it registered there through host (host->ctx is the add-in's
    // context in the runtime; registration functions are called from inside this call, as an
    // in-process load calls them). Returns load's result; threw says if it threw; what it said
    // with msgr_host_set_error is passed on through host. A fault: a failure, and fault() says.
    msgr_hresult load(const msgr_host *host, std::string_view config_toml,
                      std::string_view config_origin, std::string &threw);
    // Runs the add-in's unload in the process, waits until its reports up to then are handled,
    // and lets the process exit. reports_taken: the runtime still takes its reports meanwhile
    // (else the process refuses them, MSGR_E_DISCONNECTED, as the runtime would). Never throws;
    // a fault is kept in fault().
    void unload(std::string &threw, bool reports_taken);

    // Owner thread, at the start of a tick: takes in what the reader thread saw (the post channel
    // closed: the process died; a malformed report) and whether an event went unanswered past
    // the call deadline; kills and reaps a faulted process. True when fault() became set since
    // the last poll, by this poll or by a call.
    bool poll();

    // Owner thread, at the end of a tick: writes the events queued during it, in as few writes
    // as the socket takes (events are one-way: the tick does not wait for the add-in). What the
    // socket does not take goes at the next call or poll.
    void flush_events();

    // A failure of an event slot in the process (its SlotFailed frame): the add-in host disables
    // the add-in as it would an in-process one whose slot failed. Taken once.
    struct SlotFailure {
        msgr_hresult hr = MSGR_S_OK;
        std::string reason;  // "its MSGR_EVENT_... callback returned ..." / "... threw ..."
        bool threw = false;
    };
    bool take_slot_failure(SlotFailure &out);

    const ProcessFault &fault() const noexcept;
    int pid() const noexcept;                        // 0 once reaped
    std::uint32_t drawers_refused() const noexcept;  // drawers the add-in tried to register

    struct Impl;

  private:
    explicit AddinProcess(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace msgr::core

// Room: the add-in host's face to the runtime (class AddinHost). It finds add-ins, checks them
// without running them, loads them with Boost.DLL, adapts what they register (msgr/addin.h, all
// C) to the runtime's C++ interfaces, guards every call into them, and unloads them. One per
// runtime; everything here runs on the owner thread except the host functions an add-in may
// call from its own threads (log, post_delivery). Its rooms, in the order data flows:
// discovery.cpp, descriptor.cpp, config_view.cpp, host_functions.cpp, adapters.cpp,
// process.cpp, lifecycle.cpp; context.hpp is the record of one add-in they share.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msgr/addin.h"
#include "msgr/msgr.h"

struct stat;

namespace msgr::core {

class Runtime;
class PagingProvider;
class Service;
struct ProcessFault;
class AddinProcess;
namespace wire {
struct Descriptor;
}

class AddinHost {
  public:
    explicit AddinHost(Runtime &rt);
    ~AddinHost();  // disconnects, unloads and unmaps every add-in
    AddinHost(const AddinHost &) = delete;
    AddinHost &operator=(const AddinHost &) = delete;

    // The directories searched, in order: runtime.addin_paths, then (unless
    // runtime.addin_default_paths = false) MSGR_ADDIN_PATH and <dir of libmsgr.so>/msgr/addins.
    std::vector<std::string> search_directories() const;

    // Finds, verifies and loads every add-in in the search directories.
    void load_all();

    std::size_t count() const noexcept { return addins_.size(); }
    msgr_hresult info(std::size_t index, msgr_addin_info &out) const;
    msgr_hresult unload(const char *name);

    // Frees what add-ins withdrew while they were being called. Call where no add-in call is on
    // the stack (the start of a tick).
    void collect();

    // At the end of a tick: writes the events the tick raised to the isolated add-ins' processes
    // (one write per process, not one per event).
    void flush_events();

    // Disables an add-in (called by the guards): reported, callbacks disconnected, capabilities
    // withdrawn, pages it owed reported as failed.
    void disable(msgr_host_ctx &ctx, msgr_hresult hr, msgr_addin_problem problem,
                 const std::string &reason);

    // At the runtime's destroy, before APP_SHUTDOWN: unloads the add-in that provides paging
    // (and no contact service) while it may still report, so that a page it cannot keep for its
    // next start (its journal) is reported failed, with its cause, before APP_SHUTDOWN; what it
    // still owes after its unload it kept. Returns whether one was unloaded (the runtime then
    // dispatches its reports).
    bool settle_paging();

    Runtime &runtime() noexcept { return rt_; }

    // The drawers of the loaded add-ins (msgr_addin_draw, msgr_addin_has_drawers).
    msgr_hresult draw(const msgr_draw_context &ctx, const msgr_draw_guard *guard);
    bool has_drawers() const noexcept;

    // Why no loaded add-in provides the service `id`, which `setting` names ("runtime.primary_
    // service is"): the search directories and every add-in that was refused or disabled, with
    // its reason.
    std::string explain_missing_service(const std::string &setting, const std::string &id) const;

  private:
    // A search directory and the setting it comes from ("" for the installed add-in folder).
    struct SearchDirectory {
        std::string path;
        std::string from;
    };
    std::vector<SearchDirectory> search_list() const;
    void discover();  // lists the search directories and verifies what they hold
    void verify_and_open(msgr_host_ctx &ctx);  // verify, then open
    // The checks of the file before any code of it runs (refused: false); st is what they saw.
    bool verify(msgr_host_ctx &ctx, struct stat &st);
    // Opens a verified file: in this process (open_here), or an isolated one's spawned process
    // (spawn_process, earlier) is waited for (open_in_process_of_its_own).
    void open(msgr_host_ctx &ctx, const struct stat &st);
    void open_here(msgr_host_ctx &ctx);  // in-process: dlopen and read_descriptor
    void spawn_process(msgr_host_ctx &ctx, const struct stat &st);  // isolated: started
    void open_in_process_of_its_own(msgr_host_ctx &ctx);  // isolated: its Hello, its descriptor
    // Its process could not be started, or died, hung or refused before its Hello.
    void refuse_start(msgr_host_ctx &ctx, const ProcessFault &fault);
    void accept_descriptor(msgr_host_ctx &ctx, const wire::Descriptor &d);
    std::string addin_host_program() const;  // where msgr-addin-host is (runtime.addin_host, ...)
    void start(msgr_host_ctx &ctx);
    // An isolated add-in's process faulted: CRASHED or HUNG with the fault's words, withdrawn,
    // reported, and a restart scheduled while restarts remain.
    void record_fault(msgr_host_ctx &ctx, const ProcessFault &fault, bool may_restart = true);
    void restart(msgr_host_ctx &ctx);  // a scheduled restart that is due (collect())
    void refuse(msgr_host_ctx &ctx, msgr_hresult hr, msgr_addin_problem problem,
                const std::string &reason);
    void report(msgr_host_ctx &ctx);
    void withdraw(msgr_host_ctx &ctx);
    void stop(msgr_host_ctx &ctx);
    void run_unload(msgr_host_ctx &ctx);  // calls its unload function (once), guarded
    msgr_host_ctx &add(const std::string &path);

    Runtime &rt_;

  public:
    struct ConfigTree;  // context.hpp

  private:
    std::unique_ptr<ConfigTree> config_;  // the parsed configuration, for add-ins' tables
    std::vector<std::unique_ptr<msgr_host_ctx>> addins_;
    std::vector<std::unique_ptr<PagingProvider>> graveyard_;
    std::vector<std::unique_ptr<Service>> service_graveyard_;
    // Processes of faulted add-ins: a call into one may be on the stack (a nested PageVia).
    std::vector<std::unique_ptr<AddinProcess>> process_graveyard_;
    bool drawing_ = false;
};

}  // namespace msgr::core

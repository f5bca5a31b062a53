// Room: the lifecycle, what happens to a verified add-in: load order, start (its load and what
// it registered offered to the runtime), refusal, disabling, withdrawal, unload, the listing
// (info) and the drawers. The only room that changes an add-in's stage after discovery.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "addins/context.hpp"
#include "config.hpp"
#include "error.hpp"
#include "runtime.hpp"

namespace msgr::core {

namespace {

constexpr std::size_t kDrawContextV1Size =
    offsetof(msgr_draw_context, frame) + sizeof(msgr_draw_context::frame);
constexpr std::size_t kDrawGuardV1Size =
    offsetof(msgr_draw_guard, after) + sizeof(msgr_draw_guard::after);

// Libraries that cannot be unmapped safely (their load or unload threw, so their threads may
// still run): kept mapped until the process exits.
std::vector<std::unique_ptr<boost::dll::shared_library>> &never_unmapped() {
    static std::vector<std::unique_ptr<boost::dll::shared_library>> libs;
    return libs;
}
std::mutex g_never_unmapped_mutex;

// What an add-in registered in a load that did not succeed: forgotten, and its reports refused.
void drop_registration(msgr_host_ctx &ctx) {
    ctx.has_paging = false;
    ctx.subs.clear();
    ctx.services.clear();
    ctx.accepting = false;
}

}  // namespace

AddinHost::AddinHost(Runtime &rt) : rt_(rt) {
    const Config &c = rt_.config();
    if (!c.source_text.empty()) {
        try {
            config_ = std::make_unique<ConfigTree>(ConfigTree{toml::parse(c.source_text)});
        } catch (const std::exception &e) {
            // load_config already accepted this text; this cannot happen, but must not throw.
            log(MSGR_LOG_ERROR, std::string("add-ins get no configuration: ") + e.what());
        }
    }
}

AddinHost::~AddinHost() {
    graveyard_.clear();
    service_graveyard_.clear();
    for (auto it = addins_.rbegin(); it != addins_.rend(); ++it)
        stop(**it);
    // The contexts of in-process add-ins whose code ran outlive the runtime, retired (see
    // msgr_host_ctx::retired): a thread one left running may still call a host function with
    // its context. Kept where the leak checker sees them reachable, never freed.
    // (Out of memory, one is let go unreferenced instead: leaked, never freed under a thread.)
    static auto *const retired = []() -> std::vector<std::unique_ptr<msgr_host_ctx>> * {
        try {
            return new std::vector<std::unique_ptr<msgr_host_ctx>>();
        } catch (...) {
            return nullptr;
        }
    }();
    static std::mutex retired_mutex;
    const std::lock_guard<std::mutex> lock(retired_mutex);
    for (auto &ctx : addins_) {
        if (!ctx->code_ran) continue;
        ctx->accepting = false;
        ctx->retired = true;
        try {
            if (retired == nullptr) throw std::bad_alloc();
            retired->push_back(std::move(ctx));
        } catch (...) {
            (void)ctx.release();
        }
    }
}

void AddinHost::load_all() {
    discover();
    // Load in dependency order: an add-in starts once everything it depends on is loaded.
    for (bool progress = true; progress;) {
        progress = false;
        for (auto &ctx : addins_) {
            if (ctx->stage != Stage::verified) continue;
            bool ready = true;
            for (const auto &dep : ctx->depends) {
                bool loaded = false;
                for (const auto &o : addins_)
                    loaded = loaded || (o->name == dep && o->loaded());
                ready = ready && loaded;
            }
            if (!ready) continue;
            start(*ctx);
            progress = true;
        }
    }
    for (auto &ctx : addins_) {
        if (ctx->stage != Stage::verified) continue;
        std::string missing;
        for (const auto &dep : ctx->depends) {
            bool loaded = false;
            for (const auto &o : addins_)
                loaded = loaded || (o->name == dep && o->loaded());
            if (!loaded) missing += (missing.empty() ? "\"" : ", \"") + dep + "\"";
        }
        refuse(*ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_MISSING_DEPENDENCY,
               "depends on " + missing +
                   ", which is not loaded (missing, refused, disabled or a cycle)");
    }
    // A configuration table nobody reads is most likely a typo.
    if (config_) {
        for (const auto &[key, node] : config_->root) {
            if (key == "runtime" || key == "addin") continue;  // the runtime's own
            bool claimed = false;
            for (const auto &ctx : addins_)
                claimed = claimed || (ctx->loaded() && ctx->config_table == key);
            if (!claimed) {
                log(MSGR_LOG_WARNING, "configuration table [" + std::string(key.str()) +
                                          "] is not read by any loaded add-in");
            }
        }
    }
    // So is [addin.<stem>] for a file that is not there.
    for (const auto &[stem, settings] : rt_.config().addins) {
        bool found = false;
        for (const auto &ctx : addins_)
            found = found || ctx->stem == stem;
        if (!found) {
            std::string why = "[addin." + stem;
            why += "] in " + rt_.config().source_origin;
            why += ": no add-in file is named \"" + stem;
            why += ".so\"";
            log(MSGR_LOG_WARNING, why);
        }
    }
}

void AddinHost::start(msgr_host_ctx &ctx) {
    const msgr_host host{sizeof(msgr_host), MSGR_ADDIN_ABI_MAJOR, MSGR_ADDIN_ABI_MINOR, &ctx,
                         &host_get_proc};
    ctx.stage = Stage::loading;
    std::string threw;
    msgr_hresult hr = MSGR_S_OK;
    if (ctx.process) {
        // Its load runs in its process, with its table as TOML text; what it registers there
        // comes back through the very same host functions (process.hpp).
        std::string toml_text;
        if (ctx.config != nullptr) {
            std::ostringstream os;
            os << *ctx.config;
            toml_text = os.str();
        }
        std::string process_threw;
        hr = guard(
            [&] {
                return ctx.process->load(&host, toml_text, rt_.config().source_origin,
                                         process_threw);
            },
            threw);
        if (threw.empty()) threw = process_threw;
        if (ctx.process->fault()) {
            record_fault(ctx, ctx.process->fault());
            return;
        }
    } else {
        hr = guard([&] { return ctx.desc.load(&host, &ctx.state_ptr); }, threw);
    }
    if (!threw.empty()) {
        drop_registration(ctx);
        ctx.stage = Stage::disabled;  // no unload: its load did not finish
        ctx.result = MSGR_FAILED(hr) ? hr : MSGR_E_UNEXPECTED;
        ctx.problem = MSGR_ADDIN_PROBLEM_THREW;
        ctx.reason = "load " + threw;
        if (ctx.process) {
            ctx.process.reset();  // its process ends, and whatever it started with it
        } else {
            // It ran and broke: whatever it started may still run, so its code stays mapped.
            const std::lock_guard<std::mutex> lock(g_never_unmapped_mutex);
            never_unmapped().push_back(std::move(ctx.lib));
        }
        report(ctx);
        return;
    }
    if (MSGR_FAILED(hr)) {
        drop_registration(ctx);
        refuse(ctx, hr, MSGR_ADDIN_PROBLEM_LOAD_FAILED,
               "load failed with " + hr_text(hr) +
                   (ctx.load_error.empty() ? std::string() : ": " + ctx.load_error));
        return;
    }
    ctx.stage = Stage::loaded;
    ctx.result = MSGR_S_OK;
    ctx.problem = MSGR_ADDIN_PROBLEM_NONE;
    ctx.reason.clear();
    ctx.signal = 0;
    ctx.exit_status = 0;
    if (ctx.process && ctx.process->drawers_refused() > 0) {
        // Loaded all the same: what it draws is missing, the rest of it runs (L documents that
        // reason is not always "" while loaded).
        ctx.reason = "its drawer was refused: drawers run in the host's process: set [addin." +
                     ctx.stem + "] isolation = \"in_process\" to draw";
    }
    for (std::size_t i = 0; i < ctx.services.size(); ++i) {
        auto adapter = make_service_adapter(ctx, i);
        ctx.services[i].adapter = adapter.get();
        rt_.add_service(std::move(adapter));
        ctx.provides |= MSGR_ADDIN_PROVIDES_SERVICE;
    }
    if (ctx.has_paging) {
        auto adapter = make_paging_adapter(ctx);
        ctx.adapter = adapter.get();
        rt_.set_paging_provider(std::move(adapter));
        ctx.provides |= MSGR_ADDIN_PROVIDES_PAGING;
    }
    if (!ctx.drawers.empty()) ctx.provides |= MSGR_ADDIN_PROVIDES_DRAWING;
    for (const auto &sub : ctx.subs) {
        msgr_host_ctx *c = &ctx;
        const auto fn = sub.fn;
        void *user = sub.user;
        ctx.connections.push_back(rt_.connect(sub.type, [c, fn, user](const msgr_event &ev) {
            if (!c->loaded()) return;
            std::string threw;
            const msgr_hresult hr = guard([&] { return fn(&ev, user); }, threw);
            if (MSGR_FAILED(hr)) {
                c->host->disable(*c, hr, call_problem(threw),
                                 std::string("its ") + msgr_event_type_name(ev.type) +
                                     " callback " +
                                     (threw.empty() ? "returned " + hr_text(hr) : threw));
            }
        }));
        ctx.provides |= MSGR_ADDIN_PROVIDES_EVENTS;
    }
    report(ctx);
}

void AddinHost::refuse(msgr_host_ctx &ctx, msgr_hresult hr, msgr_addin_problem problem,
                       const std::string &reason) {
    ctx.stage = Stage::refused;
    ctx.result = hr;
    ctx.problem = problem;
    ctx.reason = reason;
    ctx.lib.reset();  // nothing of it runs any more (its load, if called, cleaned up)
    ctx.process.reset();
    report(ctx);
}

void AddinHost::report(msgr_host_ctx &ctx) {
    std::string text = ctx.name + ": " + state_name(ctx.stage);
    if (!ctx.reason.empty()) text += ": " + ctx.reason;
    const msgr_addin_state state = ctx.state();
    const bool bad = state != MSGR_ADDIN_LOADED && state != MSGR_ADDIN_UNLOADED &&
                     state != MSGR_ADDIN_DISABLED_BY_CONFIG;
    log(bad ? MSGR_LOG_WARNING : MSGR_LOG_INFO, "add-in " + ctx.path + ": " + text);
    rt_.raise_addin_event(ctx.index, ctx.result, std::move(text));
}

void AddinHost::withdraw(msgr_host_ctx &ctx) {
    ctx.accepting = false;
    for (auto &c : ctx.connections)
        c.disconnect();
    ctx.connections.clear();
    // Its services leave the runtime (which signs out of a primary service that vanishes). The
    // adapters may be on the stack (the add-in failed inside a call): freed in collect().
    for (auto &reg : ctx.services) {
        if (reg.adapter == nullptr) continue;
        const char *became = ctx.loaded() ? "unloaded" : state_name(ctx.stage);
        auto gone = rt_.remove_service(
            reg.adapter, "the service \"" + reg.id + "\" of add-in \"" + ctx.name + "\" was " +
                             became + (ctx.reason.empty() ? std::string() : ": " + ctx.reason));
        if (gone) service_graveyard_.push_back(std::move(gone));
        reg.adapter = nullptr;
    }
    if (ctx.adapter != nullptr) {
        if (rt_.paging_provider() == ctx.adapter) {
            // It may be on the stack (the add-in failed inside a call): freed in collect().
            graveyard_.push_back(rt_.release_paging_provider());
        }
        ctx.adapter = nullptr;
    }
    // Pages it still owed: reported as failed, never silently dropped.
    std::unordered_set<std::uint64_t> owed;
    {
        const std::lock_guard<std::mutex> lock(ctx.owed_mutex);
        owed.swap(ctx.owed);
    }
    // Except the one whose hand-over failed just now (disabling it): its caller reports it, or
    // (a page) the paging provider may still deliver it through its own gateway.
    if (ctx.handing_over != 0) owed.erase(ctx.handing_over);
    if (owed.empty()) return;
    const std::string why =
        "add-in \"" + ctx.name + "\" was " + (ctx.loaded() ? "unloaded" : state_name(ctx.stage)) +
        (ctx.loaded() || ctx.reason.empty() ? std::string() : ": " + ctx.reason);
    for (const auto id : owed)
        ctx.inbox->push(DeliveryDone{id, MSGR_DELIVERY_FAILED, MSGR_E_FAIL, why});
}

void AddinHost::disable(msgr_host_ctx &ctx, msgr_hresult hr, msgr_addin_problem problem,
                        const std::string &reason) {
    if (!ctx.loaded()) return;
    if (ctx.process && ctx.process->fault()) {
        // The call failed because its process did: that, not the failure, is what happened.
        record_fault(ctx, ctx.process->fault());
        return;
    }
    ctx.stage = Stage::disabled_unload_owed;
    ctx.result = MSGR_SUCCEEDED(hr) ? MSGR_E_FAIL : hr;
    ctx.problem = problem;
    ctx.reason = reason;
    withdraw(ctx);
    report(ctx);
}

void AddinHost::record_fault(msgr_host_ctx &ctx, const ProcessFault &fault, bool may_restart) {
    const bool was_loaded = ctx.loaded();
    ctx.stage = fault.state == MSGR_ADDIN_HUNG ? Stage::hung : Stage::crashed;
    ctx.result = MSGR_FAILED(fault.hr) ? fault.hr : MSGR_E_FAIL;
    ctx.problem = fault.problem;
    ctx.signal = fault.signal;
    ctx.exit_status = fault.exit_status;
    ctx.reason = fault.reason;
    if (was_loaded) {
        withdraw(ctx);  // services removed (a primary's user signed out), owed ids failed
    } else {
        drop_registration(ctx);  // it faulted in its load: nothing of it reached the runtime
    }
    // Killed (if it still ran) and reaped when freed, in collect(): this may run inside a
    // call into it (a nested page handed to a service).
    if (ctx.process) process_graveyard_.push_back(std::move(ctx.process));
    const AddinSettings &s = rt_.config().addin(ctx.stem);
    if (!may_restart) {
        ctx.restart_at.reset();
        ctx.reason += "; not restarted: the runtime is stopping";
    } else if (ctx.restarts < s.max_restarts) {
        // restart_backoff_ms, doubled per restart so far, at most kMaxRestartBackoffMs.
        std::uint64_t backoff = s.restart_backoff_ms;
        for (std::uint32_t i = 0; i < ctx.restarts && backoff < kMaxRestartBackoffMs; ++i)
            backoff *= 2;
        backoff = std::min<std::uint64_t>(backoff, kMaxRestartBackoffMs);
        ctx.restart_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
        ctx.reason += "; restarting in " + std::to_string(backoff) + " ms (restart " +
                      std::to_string(ctx.restarts + 1) + " of " + std::to_string(s.max_restarts) +
                      ")";
    } else {
        ctx.restart_at.reset();
        ctx.reason += "; not restarted: " + std::to_string(ctx.restarts) +
                      " restart(s) already ([addin." + ctx.stem +
                      "] max_restarts = " + std::to_string(s.max_restarts) + ")";
    }
    report(ctx);
}

void AddinHost::restart(msgr_host_ctx &ctx) {
    ctx.restart_at.reset();
    const std::string name = ctx.name;
    // One that died before its descriptor was read is still listed under its file's name
    // (add()): it has no name of its own to keep yet.
    const bool named = name != std::filesystem::path(ctx.path).filename().string();
    // What it registered last time is gone with its process (withdraw): it registers anew.
    ctx.has_paging = false;
    ctx.paging = msgr_paging_provider{};
    ctx.adapter = nullptr;
    ctx.subs.clear();
    ctx.connections.clear();
    ctx.services.clear();
    ctx.drawers.clear();
    ctx.provides = 0;
    ctx.load_error.clear();
    ctx.handing_over = 0;
    {
        const std::lock_guard<std::mutex> lock(ctx.owed_mutex);
        ctx.owed.clear();
        ctx.service_ids.clear();
    }
    ctx.accepting = true;
    ++ctx.restarts;
    ctx.stage = Stage::found;
    verify_and_open(ctx);  // the same checks as the first time: the file may have changed
    if (ctx.stage != Stage::verified) return;  // refused (reported) or faulted again
    if (named && ctx.name != name) {
        refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
               "restarted, it names itself \"" + ctx.name + "\" instead of \"" + name + "\"");
        ctx.name = name;
        return;
    }
    start(ctx);
}

void AddinHost::stop(msgr_host_ctx &ctx) {
    withdraw(ctx);
    run_unload(ctx);
    ctx.lib.reset();
    ctx.process.reset();
}

bool AddinHost::settle_paging() {
    for (auto &c : addins_) {
        msgr_host_ctx &ctx = *c;
        // Only an add-in that provides paging and no contact service: a service must leave the
        // runtime (withdraw) before its code is unloaded.
        if (!ctx.loaded() || ctx.adapter == nullptr || rt_.paging_provider() != ctx.adapter ||
            !ctx.services.empty()) {
            continue;
        }
        graveyard_.push_back(rt_.release_paging_provider());  // no page reaches it from now on
        ctx.adapter = nullptr;
        // Still accepting: it reports the pages it cannot keep. Its threads, which this one
        // waits for in the unload, must not wait for room in the inbox meanwhile.
        ctx.inbox->set_bounded(false);
        run_unload(ctx);
        ctx.inbox->set_bounded(true);
        if (ctx.process && ctx.process->fault()) {
            // Its process died or hung in its unload: what it still owed it may not have kept
            // for its next start. Reported failed with why (withdraw), not counted as kept.
            ctx.stage = Stage::loaded;
            record_fault(ctx, ctx.process->fault(), false);
            return true;
        }
        std::size_t kept = 0;
        {
            const std::lock_guard<std::mutex> lock(ctx.owed_mutex);
            kept = ctx.owed.size();
            ctx.owed.clear();
        }
        if (kept > 0) {
            log(MSGR_LOG_INFO, "add-in " + ctx.name + " kept " + std::to_string(kept) +
                                   " page(s) it still owed for its next start");
        }
        stop(ctx);  // disconnects and unmaps it
        ctx.stage = Stage::unloaded;
        return true;
    }
    return false;
}

void AddinHost::run_unload(msgr_host_ctx &ctx) {
    // Called once: afterwards nothing of it is called again.
    if ((ctx.stage == Stage::loaded || ctx.stage == Stage::disabled_unload_owed) && ctx.process) {
        ctx.stage = ctx.loaded() ? Stage::unloaded : Stage::disabled;
        std::string threw;
        guard(
            [&] {
                // Waits until its reports up to then are handled; they count where it is still
                // accepting (settle_paging), as in-process.
                ctx.process->unload(threw, ctx.accepting.load());
                return MSGR_S_OK;
            },
            threw);
        if (!threw.empty()) log(MSGR_LOG_ERROR, "add-in " + ctx.name + ": unload " + threw);
        return;
    }
    if (ctx.stage == Stage::loaded || ctx.stage == Stage::disabled_unload_owed) {
        ctx.stage = ctx.loaded() ? Stage::unloaded : Stage::disabled;
        std::string threw;
        guard(
            [&] {
                ctx.desc.unload(ctx.state_ptr);
                return MSGR_S_OK;
            },
            threw);
        if (!threw.empty()) {
            log(MSGR_LOG_ERROR, "add-in " + ctx.name + ": unload " + threw +
                                    "; its code stays mapped until the process exits");
            const std::lock_guard<std::mutex> lock(g_never_unmapped_mutex);
            never_unmapped().push_back(std::move(ctx.lib));
        }
    }
}

std::string AddinHost::explain_missing_service(const std::string &setting,
                                               const std::string &id) const {
    std::string why;
    for (const auto &c : addins_) {
        const msgr_addin_state state = c->state();
        if (state == MSGR_ADDIN_LOADED || state == MSGR_ADDIN_UNLOADED) continue;
        why += "; add-in " + c->path + " was " + state_name(c->stage) + ": " + c->reason;
    }
    std::string dirs;
    for (const auto &d : search_directories())
        dirs += (dirs.empty() ? "" : ", ") + d;
    return setting + " \"" + id +
           "\", which no loaded service provides (contact services come from add-ins; the "
           "loopback service is the add-in loopback.so in lib/msgr/addins; searched: " +
           (dirs.empty() ? std::string("no directories") : dirs) + ")" + why;
}

bool AddinHost::has_drawers() const noexcept {
    for (const auto &c : addins_) {
        if (c->loaded() && !c->drawers.empty()) return true;
    }
    return false;
}

msgr_hresult AddinHost::draw(const msgr_draw_context &dc, const msgr_draw_guard *g) {
    if (drawing_) return fail(MSGR_E_UNEXPECTED, "msgr_addin_draw called from a drawer");
    if (dc.struct_size < kDrawContextV1Size) {
        return fail(MSGR_E_INVALIDARG, "msgr_draw_context.struct_size is too small");
    }
    if (g != nullptr && g->struct_size < kDrawGuardV1Size) {
        return fail(MSGR_E_INVALIDARG, "msgr_draw_guard.struct_size is too small");
    }
    drawing_ = true;
    for (const auto &cp : addins_) {
        msgr_host_ctx &ctx = *cp;
        for (std::size_t i = 0; i < ctx.drawers.size() && ctx.loaded(); ++i) {
            const msgr_drawer &d = ctx.drawers[i];
            if (g != nullptr && g->before != nullptr) g->before(g->user, ctx.name.c_str());
            std::string threw;
            const msgr_hresult hr = guard([&] { return d.draw(d.state, &dc); }, threw);
            char why[256] = "";
            const msgr_hresult checked = (g != nullptr && g->after != nullptr)
                                             ? g->after(g->user, why, sizeof why)
                                             : MSGR_S_OK;
            if (MSGR_FAILED(hr)) {
                std::string reason =
                    "its draw callback " + (threw.empty() ? "returned " + hr_text(hr) : threw);
                if (!ctx.load_error.empty()) reason += ": " + ctx.load_error;
                if (MSGR_FAILED(checked)) reason += "; " + bounded(why, sizeof why);
                disable(ctx, hr, call_problem(threw), reason);
            } else if (MSGR_FAILED(checked)) {
                disable(ctx, checked, MSGR_ADDIN_PROBLEM_CALL_FAILED,
                        "its draw callback " + bounded(why, sizeof why));
            }
        }
    }
    drawing_ = false;
    return MSGR_S_OK;
}

void AddinHost::flush_events() {
    for (auto &c : addins_) {
        if (c->process) c->process->flush_events();
    }
}

void AddinHost::collect() {
    graveyard_.clear();
    service_graveyard_.clear();
    process_graveyard_.clear();
    // Isolated add-ins: what their processes did since the last tick (died, hung, a slot that
    // failed), then the restarts that are due. Never inside a call: this is the tick's start.
    const auto now = std::chrono::steady_clock::now();
    for (auto &c : addins_) {
        msgr_host_ctx &ctx = *c;
        if (ctx.process && ctx.loaded()) {
            ctx.process->poll();
            if (ctx.process->fault()) {
                record_fault(ctx, ctx.process->fault());
            } else if (AddinProcess::SlotFailure f; ctx.process->take_slot_failure(f)) {
                disable(ctx, f.hr,
                        f.threw ? MSGR_ADDIN_PROBLEM_THREW : MSGR_ADDIN_PROBLEM_CALL_FAILED,
                        f.reason);
            }
        }
        if (ctx.process && ctx.stage == Stage::disabled_unload_owed) {
            // Disabled (a call or slot failed): nothing of it is called again but its unload,
            // which runs now, outside any call into it, so that its process ends (pid 0) rather
            // than idle until the runtime is destroyed.
            run_unload(ctx);
            ctx.process.reset();
        }
        if (ctx.restart_at && now >= *ctx.restart_at) restart(ctx);
    }
}

msgr_hresult AddinHost::info(std::size_t index, msgr_addin_info &out) const {
    if (index >= addins_.size()) {
        return fail(MSGR_E_INVALIDARG, "add-in index " + std::to_string(index) +
                                           " is out of range (" + std::to_string(addins_.size()) +
                                           " add-ins)");
    }
    const std::uint32_t caller_size = out.struct_size;
    if (caller_size < offsetof(msgr_addin_info, abi_major)) {
        return fail(MSGR_E_INVALIDARG, "msgr_addin_info.struct_size is " +
                                           std::to_string(caller_size) + "; set it to sizeof");
    }
    const msgr_host_ctx &c = *addins_[index];
    msgr_addin_info full{};
    full.struct_size = caller_size;
    full.state = c.state();
    full.result = c.result;
    full.provides = c.provides;
    full.name = c.name.c_str();
    full.version = c.version.c_str();
    full.description = c.description.c_str();
    full.path = c.path.c_str();
    full.reason = c.reason.c_str();
    full.abi_major = c.abi_major;
    full.abi_minor = c.abi_minor;
    full.problem = c.problem;
    full.isolation = c.isolation;
    full.signal = c.signal;
    full.exit_status = c.exit_status;
    full.restarts = c.restarts;
    full.pid = c.pid();
    std::memcpy(&out, &full, std::min<std::size_t>(caller_size, sizeof full));
    return MSGR_S_OK;
}

msgr_hresult AddinHost::unload(const char *name) {
    if (name == nullptr) return fail(MSGR_E_INVALIDARG, "the add-in name is NULL");
    msgr_host_ctx *target = nullptr;
    for (auto &c : addins_) {
        if (c->name == name && (target == nullptr || c->loaded())) target = c.get();
    }
    if (target == nullptr)
        return fail(MSGR_E_INVALIDARG, std::string("no add-in is named \"") + name + "\"");
    if (!target->loaded()) return MSGR_S_FALSE;
    if (rt_.in_callback()) {
        return fail(MSGR_E_BUSY,
                    "cannot unload an add-in from inside an event callback; do it after the tick");
    }
    for (auto &c : addins_) {
        if (!c->loaded()) continue;
        for (const auto &dep : c->depends) {
            if (dep == target->name) {
                return fail(MSGR_E_BUSY, "add-in \"" + c->name + "\" depends on \"" + target->name +
                                             "\"; unload it first");
            }
        }
    }
    if (!target->services.empty() && rt_.session_active()) {
        return fail(MSGR_E_BUSY, "add-in \"" + target->name +
                                     "\" provides a contact service and the user is signed in "
                                     "(or signing in); sign out first");
    }
    if (target->adapter != nullptr && rt_.paging_in_use()) {
        return fail(MSGR_E_BUSY, "add-in \"" + target->name +
                                     "\" provides paging and a page window is open or a page "
                                     "is being delivered");
    }
    stop(*target);
    target->stage = Stage::unloaded;
    target->result = MSGR_S_OK;
    target->problem = MSGR_ADDIN_PROBLEM_NONE;
    target->reason.clear();
    target->provides = 0;
    report(*target);
    return MSGR_S_OK;
}

}  // namespace msgr::core

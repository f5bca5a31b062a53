// The runtime's side of the process transport (see process.hpp and protocol.hpp).
//
// Threads: everything but the post channel belongs to the owner thread (start, load, the proxy
// functions the runtime calls, poll, unload, the destructor). The reader thread owns the post
// channel and calls the runtime's host functions; what it learns (frames handled, events
// acknowledged, a malformed frame, the end of the channel, a slot failure) it leaves under
// `mutex` for the owner thread, which alone decides on faults and kills.
//
// Nothing here trusts the process: every frame is decoded with its bounds, an unexpected frame
// is a protocol fault, every wait has a deadline, and a process that does not answer in time is
// killed with its whole process group.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "abi_rules.hpp"
#include "c_enum.hpp"

extern char **environ;

namespace msgr::core {

namespace {

using Clock = std::chrono::steady_clock;
using wire::Channel;

// Events queued in memory while the call channel's socket is full; past this the process is
// not reading them: hung.
constexpr std::size_t kMaxQueuedEvents = 4u << 20;
// Events of one tick are written together at its end (flush_events); a tick that raises more
// than this writes as it goes, so that the process can start on them.
constexpr std::size_t kEventBatchBytes = 64u << 10;
// How long a process that closed its channels gets to become reapable before it is killed.
constexpr int kExitGraceMs = 200;
// How long a malformed frame waits to be explained by the process's death by a signal.
constexpr int kCrashGraceMs = 20;
// A wait status no process has (waitpid never reports a stopped child without WUNTRACED).
constexpr int kStatusUnknown = 0x7f;
// How long the owner thread waits for the reader thread when it lets go of a process.
constexpr int kReaderJoinMs = 1000;
// How long a dead process's post channel gets to be read to its end (what it wrote before it
// died: its last log lines and reports), bounded in case the reader waits for a full inbox.
constexpr int kDrainMs = 200;
// How long the reader thread waits for a frame before it looks at its stop flag.
constexpr int kReaderPollMs = 250;
constexpr const char *kThrewPrefix = "threw an exception: ";

std::string signal_text(int sig) {
    const char *abbrev = ::sigabbrev_np(sig);
    return std::to_string(sig) + (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : "");
}

// What is left of a deadline, in whole milliseconds rounded up (a wait never ends before it).
int ms_left(Clock::time_point deadline) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<long long>(ms, 600000));
}

const char *method_name(wire::Method m) {
    switch (m) {
        case wire::Method::KnowsMobile:
            return "knows_mobile";
        case wire::Method::Submit:
            return "submit";
        case wire::Method::Signin:
            return "signin";
        case wire::Method::Signout:
            return "signout";
        case wire::Method::SetStatus:
            return "set_status";
        case wire::Method::Describe:
            return "describe";
        case wire::Method::SendMessage:
            return "send_message";
        case wire::Method::SendPage:
            return "send_page";
        case wire::Method::SendMessageEx:
            return "send_message_ex";
        case wire::Method::SendChatState:
            return "send_chat_state";
        case wire::Method::SendDisplayed:
            return "send_displayed";
        case wire::Method::FetchOlder:
            return "fetch_older";
        case wire::Method::AddContact:
            return "add_contact";
        case wire::Method::RemoveContact:
            return "remove_contact";
        case wire::Method::Authorize:
            return "authorize";
        case wire::Method::SetBlocked:
            return "set_blocked";
        case wire::Method::SetFriendlyName:
            return "set_friendly_name";
        case wire::Method::SetActivity:
            return "set_activity";
    }
    return "?";
}

// A failed result from a guarded call in the process, as the runtime's guard would have seen it:
// an exception is thrown again here (with the same words), so that the runtime's reason for
// disabling the add-in reads as it does in-process.
struct NotStdException {};
[[noreturn]] void rethrow(const std::string &threw) {
    const std::size_t n = std::strlen(kThrewPrefix);
    if (threw.compare(0, n, kThrewPrefix) == 0) throw std::runtime_error(threw.substr(n));
    // The guard says "threw an exception" for anything that is not a std::exception.
    throw NotStdException{};
}

}  // namespace

struct AddinProcess::Impl {
    ProcessOptions options;
    std::string path;
    pid_t pid = 0;   // 0 once reaped
    pid_t pgid = 0;  // its process group (its pid); 0 once killed after the reap
    Channel call;    // owner thread only
    Channel post;    // the reader thread only (once it runs)
    wire::Descriptor descriptor;
    Clock::time_point hello_deadline{};  // spawned: when its Hello is due (load_timeout_ms)
    wire::Registration registration;

    msgr_host host{};  // the add-in's host functions in the runtime (set by load)
    bool have_host = false;

    ProcessFault fault;
    bool fault_told = false;  // poll() returned true for it
    bool unloaded = false;    // unload ran: nothing more is sent

    // ---- calls (owner thread) ----
    std::uint64_t next_call = 1;
    std::string friendly;  // describe's answer, valid until the next call

    // ---- events (owner thread) ----
    std::uint64_t last_event = 0;  // the seq of the last event sent or queued
    std::string queued;            // encoded events the socket did not take yet
    struct Pending {
        std::uint64_t seq;
        std::int32_t type;
        Clock::time_point at;
    };
    std::deque<Pending> unanswered;             // events not known to be handled, oldest first
    std::atomic<std::uint64_t> events_sent{0};  // read by the reader to check EventsDone
    // When the reader entered the runtime host function it is in (steady clock ticks; 0 when
    // in none): one that stays there waits for room in a full inbox (see wait_posts).
    std::atomic<Clock::rep> in_host_fn_since{0};

    // ---- what the reader thread saw (under mutex) ----
    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t posts_handled = 0;
    std::uint64_t events_done = 0;
    bool post_closed = false;
    std::string post_fault;  // a malformed or unexpected frame on the post channel
    std::deque<SlotFailure> slot_failures;
    std::atomic<bool> stopping{false};
    bool reader_done = false;  // read_posts returned
    bool orphaned = false;     // retire() left the reader to delete this
    std::thread reader;

    // ---- the proxies registered in the runtime; their state pointers point here ----
    struct ServiceProxy {
        Impl *impl;
        std::uint32_t index;
        std::string id;
    };
    std::vector<std::unique_ptr<ServiceProxy>> services;
    struct SubProxy {
        Impl *impl;
        std::uint32_t index;
    };
    std::vector<std::unique_ptr<SubProxy>> subs;

    ~Impl();
    void end();
    void reap_killed();
    bool retire();

    template <typename Fn>
    Fn proc(const char *name) const {
        return have_host ? reinterpret_cast<Fn>(host.get_proc(name)) : nullptr;
    }
    void log(msgr_log_level level, const std::string &text) const {
        if (const auto fn = proc<msgr_host_log_fn>(MSGR_HOST_LOG))
            fn(host.ctx, level, text.c_str());
    }

    // ---- faults ----
    bool alive() const { return !fault; }
    void set_fault(msgr_addin_state state, msgr_addin_problem problem, std::string reason) {
        if (fault) return;  // the first fault is what happened
        fault.state = state;
        fault.problem = problem;
        fault.hr = MSGR_E_UNEXPECTED;
        fault.reason = std::move(reason);
    }
    // Kills its whole process group: what it forked dies with it. Once the leader is reaped the
    // group is killed one last time and forgotten (its number may be reused once it is empty).
    void kill_group() {
        if (pgid > 0) (void)::kill(-pgid, SIGKILL);
        if (pid == 0) pgid = 0;
    }
    // Reaps the process if it has ended (waiting at most wait_ms); true when reaped.
    bool reap(int wait_ms, int &status) {
        if (pid <= 0) return false;
        const auto until = Clock::now() + std::chrono::milliseconds(wait_ms);
        for (;;) {
            const pid_t r = ::waitpid(pid, &status, WNOHANG);
            if (r == pid) {
                pid = 0;
                return true;
            }
            if (r < 0 && errno != EINTR) {
                // ECHILD: it is gone, and its wait status with it (the host ignores SIGCHLD, or
                // reaps every child itself with waitpid(-1)).
                status = kStatusUnknown;
                pid = 0;
                pgid = 0;  // its group may be gone and its number reused: never killed blind
                return true;
            }
            if (Clock::now() >= until) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    // The fault for a process that ended on its own, from its wait status.
    void ended(int status, const std::string &when) {
        if (status == kStatusUnknown) {
            set_fault(MSGR_ADDIN_CRASHED, MSGR_ADDIN_PROBLEM_EXITED,
                      "its process ended" + when +
                          " (how is unknown: its wait status was taken elsewhere -- SIGCHLD "
                          "ignored, or waitpid(-1) in the host)");
        } else if (WIFSIGNALED(status)) {
            set_fault(MSGR_ADDIN_CRASHED, MSGR_ADDIN_PROBLEM_CRASHED,
                      "its process was killed by signal " + signal_text(WTERMSIG(status)) + when);
            fault.signal = WTERMSIG(status);
        } else {
            const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
            set_fault(MSGR_ADDIN_CRASHED, MSGR_ADDIN_PROBLEM_EXITED,
                      "its process exited with status " + std::to_string(code) + when);
            fault.exit_status = code;
        }
    }
    // Once the process is reaped and its group killed, nothing holds the other end of the post
    // channel: lets the reader handle what is left in it (bounded), so that what the add-in
    // wrote before it died is not lost with the fault the owner records next.
    void drain_posts() {
        if (!reader.joinable()) return;  // not started yet (before load), or retired
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait_for(lock, std::chrono::milliseconds(kDrainMs),
                         [&] { return post_closed || reader_done; });
    }
    // Kills the group and reaps the leader (SIGKILL takes effect at once, even on a stopped
    // process; the wait is bounded all the same, and the destructor reaps what is left).
    void kill_and_reap() {
        kill_group();
        int status = 0;
        (void)reap(1000, status);
    }
    void hung(const std::string &what, int ms, const char *setting) {
        set_fault(MSGR_ADDIN_HUNG, MSGR_ADDIN_PROBLEM_HUNG,
                  "hung: no answer to " + what + " within " + std::to_string(ms) + " ms (" +
                      setting + "); killed");
        kill_and_reap();
    }
    void protocol(const std::string &why) {
        set_fault(MSGR_ADDIN_CRASHED, MSGR_ADDIN_PROBLEM_PROTOCOL,
                  "its process broke the protocol: " + why + "; killed");
        kill_and_reap();
    }
    // A malformed frame: a protocol fault, unless the process was killed by a signal in the
    // middle of writing it (then it crashed, and the cut frame is a symptom).
    void broke(const std::string &why) {
        int status = 0;
        if (reap(kCrashGraceMs, status)) {
            if (status != kStatusUnknown && WIFSIGNALED(status)) {
                ended(status, "");
                kill_group();
                drain_posts();
                return;
            }
            kill_group();
        }
        protocol(why);
    }
    // The call channel closed or failed: the process is ending (or pretends to).
    void gone(const std::string &when) {
        int status = 0;
        if (reap(kExitGraceMs, status)) {
            ended(status, when);
            kill_group();  // what it left behind in its group
            drain_posts();
        } else {
            protocol("it closed its call channel" + when + " but did not exit");
        }
    }
    // Handles a receive/send status other than ok for `what`.
    void failed(Channel::Status st, const std::string &why, const std::string &what, int ms,
                const char *setting) {
        switch (st) {
            case Channel::Status::ok:
                return;
            case Channel::Status::timeout:
                hung(what, ms, setting);
                return;
            case Channel::Status::malformed:
                broke("a malformed frame (" + why + ") in answer to " + what);
                return;
            case Channel::Status::closed:
            case Channel::Status::error:
                gone(" during " + what);
                return;
        }
    }

    // ---- the reader thread ----
    void start_reader();
    void read_posts();
    void handle_post(const wire::Post &p);

    // ---- events ----
    Channel::Status flush_events(Clock::time_point deadline);
    msgr_hresult send_event(const SubProxy &sub, const msgr_event &ev);
    void events_answered_by_call(std::uint64_t upto);
    void check_events();

    // ---- calls ----
    bool wait_posts(std::uint64_t posts, Clock::time_point deadline);
    bool run_call(wire::Call &c, wire::Reply &out);
    msgr_hresult page_via(const wire::PageVia &pv);
    msgr_hresult service_call(const ServiceProxy &svc, wire::Call c, wire::Reply *reply = nullptr);
    bool register_proxies(msgr_hresult &hr);
    void unload(std::string &threw, bool reports_taken);
    msgr_hresult load(const msgr_host &with, std::string_view config_toml,
                      std::string_view config_origin, std::string &threw);

    // the proxy functions (C function pointers in the runtime's tables)
    static msgr_hresult svc_signin(void *state, std::uint64_t session, const char *name,
                                   const char *password);
    static msgr_hresult svc_signout(void *state);
    static msgr_hresult svc_set_status(void *state, std::int32_t status);
    static msgr_hresult svc_describe(void *state, const char *signin, msgr_contact_info *out);
    static msgr_hresult svc_send_message(void *state, std::uint64_t id, const char *to,
                                         const char *text, std::size_t text_size);
    static msgr_hresult svc_send_page(void *state, std::uint64_t id, const char *to,
                                      const char *text, std::size_t text_size);
    static msgr_hresult svc_send_message_ex(void *state, const msgr_outgoing_message *m);
    static msgr_hresult svc_send_chat_state(void *state, const char *to, msgr_chat_state s);
    static msgr_hresult svc_send_displayed(void *state, const char *to, const char *receipt_id);
    // ABI 1.6: one name (and an int) to the service.
    static msgr_hresult svc_name_call(void *state, wire::Method m, const char *name, int i32);
    static msgr_hresult svc_add_contact(void *state, const char *signin) {
        return svc_name_call(state, wire::Method::AddContact, signin, 0);
    }
    static msgr_hresult svc_remove_contact(void *state, const char *signin) {
        return svc_name_call(state, wire::Method::RemoveContact, signin, 0);
    }
    static msgr_hresult svc_authorize(void *state, const char *signin, int accept) {
        return svc_name_call(state, wire::Method::Authorize, signin, accept != 0 ? 1 : 0);
    }
    static msgr_hresult svc_set_blocked(void *state, const char *signin, int blocked) {
        return svc_name_call(state, wire::Method::SetBlocked, signin, blocked != 0 ? 1 : 0);
    }
    static msgr_hresult svc_set_friendly_name(void *state, const char *name) {
        return svc_name_call(state, wire::Method::SetFriendlyName, name, 0);
    }
    // ABI 1.7
    static msgr_hresult svc_set_activity(void *state, const char *text) {
        return svc_name_call(state, wire::Method::SetActivity, text, 0);
    }
    static msgr_hresult svc_fetch_older(void *state, const char *peer, const char *archive_id,
                                        std::uint32_t max);
    static msgr_hresult paging_knows_mobile(void *state, const char *service, const char *signin,
                                            int *out);
    static msgr_hresult paging_submit(void *state, const msgr_page_request *page);
    static msgr_hresult on_event(const msgr_event *ev, void *user);
};

// Ends the process: closing our ends tells a live process to exit (EOF on its call channel);
// it is killed anyway, since it owes us nothing more and must not outlive its AddinProcess.
void AddinProcess::Impl::end() {
    stopping = true;
    call.close();
    if (post.fd() >= 0) (void)::shutdown(post.fd(), SHUT_RDWR);  // wakes the reader
    kill_group();
}

// Reaps the killed process, bounded: one stuck in the kernel is left to whoever reaps children
// rather than blocking the owner thread without limit.
void AddinProcess::Impl::reap_killed() {
    int status = 0;
    if (pid > 0 && reap(5000, status)) kill_group();
    pid = 0;
}

AddinProcess::Impl::~Impl() {
    if (reader.joinable()) {  // not retire()d: a failed start
        end();
        reader.join();
    }
    if (pid > 0) {
        end();
        reap_killed();
    }
}

// The owner thread lets go of the process. The reader may be stuck in a runtime host function
// that waits for the owner thread (a full inbox): then it is left to finish on its own, and
// deletes this when it does. True when the caller deletes this.
bool AddinProcess::Impl::retire() {
    end();
    bool finished = true;
    if (reader.joinable()) {
        {
            std::unique_lock<std::mutex> lock(mutex);
            finished = changed.wait_for(lock, std::chrono::milliseconds(kReaderJoinMs),
                                        [&] { return reader_done; });
        }
        if (finished) {
            reader.join();
        } else {
            reader.detach();
            const std::lock_guard<std::mutex> lock(mutex);
            finished = reader_done;  // it may have ended since
            orphaned = !finished;
        }
    }
    reap_killed();
    return finished;
}

// ---- the reader thread -------------------------------------------------------------------------

void AddinProcess::Impl::start_reader() {
    reader = std::thread([this] {
        read_posts();
        bool delete_me = false;
        {
            const std::lock_guard<std::mutex> lock(mutex);
            reader_done = true;
            delete_me = orphaned;
            changed.notify_all();
        }
        if (delete_me) delete this;  // retire() let go of it
    });
}

void AddinProcess::Impl::read_posts() {
    for (;;) {
        if (stopping.load()) return;
        wire::Frame f;
        std::string why;
        const Channel::Status st = post.receive(f, kReaderPollMs, why);
        if (st == Channel::Status::timeout) continue;
        if (st != Channel::Status::ok) {
            const std::lock_guard<std::mutex> lock(mutex);
            if (st == Channel::Status::malformed && post_fault.empty())
                post_fault = "a malformed frame on its post channel (" + why + ")";
            post_closed = true;
            changed.notify_all();
            return;
        }
        std::string bad;
        struct InHostFunction {  // marks the reader inside a runtime host function
            std::atomic<Clock::rep> &since;
            explicit InHostFunction(std::atomic<Clock::rep> &s) : since(s) {
                since = Clock::now().time_since_epoch().count();
            }
            ~InHostFunction() { since = 0; }
            InHostFunction(const InHostFunction &) = delete;
            InHostFunction &operator=(const InHostFunction &) = delete;
        };
        if (const auto *log_frame = std::get_if<wire::Log>(&f)) {
            // Clamped into the enumeration before the cast (any int comes off the wire).
            const int raw = log_frame->level;
            const msgr_log_level level = raw <= MSGR_LOG_DEBUG   ? MSGR_LOG_DEBUG
                                         : raw >= MSGR_LOG_ERROR ? MSGR_LOG_ERROR
                                                                 : static_cast<msgr_log_level>(raw);
            if (const auto fn = proc<msgr_host_log_fn>(MSGR_HOST_LOG)) {
                const InHostFunction mark(in_host_fn_since);
                fn(host.ctx, level, log_frame->text.c_str());
            }
        } else if (const auto *p = std::get_if<wire::Post>(&f)) {
            const InHostFunction mark(in_host_fn_since);
            handle_post(*p);
        } else if (const auto *done = std::get_if<wire::EventsDone>(&f)) {
            if (done->seq > events_sent.load()) {
                bad = "it acknowledged event " + std::to_string(done->seq) + ", which was not sent";
            } else {
                const std::lock_guard<std::mutex> lock(mutex);
                events_done = std::max(events_done, done->seq);
            }
        } else if (const auto *sf = std::get_if<wire::SlotFailed>(&f)) {
            SlotFailure failure;
            failure.hr = sf->threw.empty() ? sf->hr : MSGR_E_UNEXPECTED;
            failure.threw = !sf->threw.empty();
            if (sf->type <= 0 || sf->type >= MSGR_EVENT_TYPE_COUNT_) {  // before the cast
                bad = "it reported a slot failure for event type " + std::to_string(sf->type) +
                      ", which is none";
            } else if (failure.threw || MSGR_FAILED(failure.hr)) {
                failure.reason = std::string("its ") +
                                 msgr_event_type_name(static_cast<msgr_event_type>(sf->type)) +
                                 " callback " +
                                 (failure.threw ? sf->threw : "returned " + hr_text(failure.hr));
                const std::lock_guard<std::mutex> lock(mutex);
                slot_failures.push_back(std::move(failure));
            } else {
                bad = "it reported a slot failure with a success code";
            }
        } else {
            bad = std::string("an unexpected frame (type ") +
                  std::to_string(static_cast<unsigned>(wire::type_of(f))) + ") on its post channel";
        }
        const std::lock_guard<std::mutex> lock(mutex);
        if (!bad.empty()) {
            post_fault = bad;
            post_closed = true;  // nothing after a malformed frame is read
            changed.notify_all();
            return;
        }
        ++posts_handled;
        changed.notify_all();
    }
}

// A report of the add-in: handed to the runtime's own host function, which checks it as it
// checks an in-process add-in's and waits while the inbox is full. What it refuses is dropped
// (the process checked it already and told the add-in; a difference is logged).
void AddinProcess::Impl::handle_post(const wire::Post &p) {
    // A C string cannot hold a NUL: a name with one is not the name the runtime would check.
    const auto has_nul = [](const std::string &x) { return x.find('\0') != std::string::npos; };
    if (has_nul(p.service) || has_nul(p.who) || has_nul(p.origin_id) || has_nul(p.archive_id) ||
        has_nul(p.receipt_id) ||
        ((p.kind == wire::PostKind::FriendlyName || p.kind == wire::PostKind::Activity) &&
         has_nul(p.text))) {
        log(MSGR_LOG_WARNING, "its process sent a report with a NUL in a name; dropped");
        return;
    }
    const char *service = p.service.c_str();
    const char *who = p.who.c_str();
    msgr_hresult hr = MSGR_E_INVALIDARG;
    const char *what = "?";
    switch (p.kind) {
        case wire::PostKind::Signin:
            what = "post_signin";
            if (const auto fn = proc<msgr_host_post_signin_fn>(MSGR_HOST_POST_SIGNIN))
                hr = fn(host.ctx, service, p.session, p.hr);
            break;
        case wire::PostKind::Offline:
            what = "post_offline";
            if (const auto fn = proc<msgr_host_post_offline_fn>(MSGR_HOST_POST_OFFLINE))
                hr = fn(host.ctx, service, p.session, p.hr);
            break;
        case wire::PostKind::Contact:
            what = "post_contact";
            if (const auto fn = proc<msgr_host_post_contact_fn>(MSGR_HOST_POST_CONTACT))
                hr = fn(host.ctx, service, p.session, who, p.i32);
            break;
        case wire::PostKind::Status:
            what = "post_status";
            if (const auto fn = proc<msgr_host_post_status_fn>(MSGR_HOST_POST_STATUS))
                hr = fn(host.ctx, service, p.session, who, p.i32);
            break;
        case wire::PostKind::Message:
            what = "post_message";
            if (const auto fn = proc<msgr_host_post_message_fn>(MSGR_HOST_POST_MESSAGE))
                hr = fn(host.ctx, service, p.session, who, p.text.c_str(), p.text.size());
            break;
        case wire::PostKind::Page:
            what = "post_page";
            if (const auto fn = proc<msgr_host_post_page_fn>(MSGR_HOST_POST_PAGE))
                hr = fn(host.ctx, service, p.session, who, p.text.c_str(), p.text.size());
            break;
        case wire::PostKind::Delivery:
            what = "post_delivery";
            // Only the two states a report may carry are cast into the enumeration.
            if (p.i32 != MSGR_DELIVERY_SENT && p.i32 != MSGR_DELIVERY_FAILED) break;
            if (const auto fn = proc<msgr_host_post_delivery_fn>(MSGR_HOST_POST_DELIVERY))
                hr = fn(host.ctx, p.id, static_cast<msgr_delivery_state>(p.i32), p.hr);
            break;
        case wire::PostKind::MessageEx: {
            what = "post_message_ex";
            msgr_incoming_message m{};
            m.struct_size = sizeof m;
            m.service = service;
            m.session = p.session;
            m.peer = who;
            m.text = p.text.c_str();
            m.text_size = p.text.size();
            m.flags = static_cast<std::uint32_t>(p.i32);
            m.time_unix_ms = p.i64;
            m.origin_id = p.origin_id.c_str();
            m.archive_id = p.archive_id.c_str();
            m.receipt_id = p.receipt_id.c_str();
            m.group = p.group.c_str();
            if (const auto fn = proc<msgr_host_post_message_ex_fn>(MSGR_HOST_POST_MESSAGE_EX))
                hr = fn(host.ctx, &m);
            break;
        }
        case wire::PostKind::Receipt:
            what = "post_receipt";
            if (!receipt_state(p.i32)) break;  // only a state a receipt may carry is cast
            if (const auto fn = proc<msgr_host_post_receipt_fn>(MSGR_HOST_POST_RECEIPT)) {
                hr = fn(host.ctx, service, p.session, who, p.origin_id.c_str(),
                        static_cast<msgr_delivery_state>(p.i32));
            }
            break;
        case wire::PostKind::ChatState:
            what = "post_chat_state";
            if (!known_chat_state(p.i32)) break;
            if (const auto fn = proc<msgr_host_post_chat_state_fn>(MSGR_HOST_POST_CHAT_STATE))
                hr = fn(host.ctx, service, p.session, who, static_cast<msgr_chat_state>(p.i32));
            break;
        case wire::PostKind::HistoryEnd:
            what = "post_history_end";
            if (const auto fn = proc<msgr_host_post_history_end_fn>(MSGR_HOST_POST_HISTORY_END))
                hr = fn(host.ctx, service, p.session, who, p.i32);
            break;
        case wire::PostKind::AddResult:
            what = "post_add_result";
            if (const auto fn = proc<msgr_host_post_add_result_fn>(MSGR_HOST_POST_ADD_RESULT))
                hr = fn(host.ctx, service, p.session, who, p.hr);
            break;
        case wire::PostKind::AuthorizationRequest:
            what = "post_authorization_request";
            if (const auto fn = proc<msgr_host_post_authorization_request_fn>(
                    MSGR_HOST_POST_AUTHORIZATION_REQUEST))
                hr = fn(host.ctx, service, p.session, who);
            break;
        case wire::PostKind::Blocked:
            what = "post_blocked";
            if (const auto fn = proc<msgr_host_post_blocked_fn>(MSGR_HOST_POST_BLOCKED))
                hr = fn(host.ctx, service, p.session, who, p.i32);
            break;
        case wire::PostKind::FriendlyName:
            what = "post_friendly_name";
            if (const auto fn = proc<msgr_host_post_friendly_name_fn>(MSGR_HOST_POST_FRIENDLY_NAME))
                hr = fn(host.ctx, service, p.session, who, p.text.c_str());
            break;
        case wire::PostKind::Activity:
            what = "post_activity";
            if (const auto fn = proc<msgr_host_post_activity_fn>(MSGR_HOST_POST_ACTIVITY))
                hr = fn(host.ctx, service, p.session, who, p.text.c_str());
            break;
    }
    if (hr != MSGR_S_OK && hr != MSGR_E_DISCONNECTED && !stopping.load())
        log(MSGR_LOG_WARNING, std::string("the runtime refused its ") + what + ": " + hr_text(hr));
}

// ---- events ------------------------------------------------------------------------------------

// Writes queued events without blocking past the deadline: ok, timeout (they do not all fit in
// time: the process is not reading its call channel) or closed (the socket failed).
Channel::Status AddinProcess::Impl::flush_events(Clock::time_point deadline) {
    while (!queued.empty()) {
        const ssize_t n =
            ::send(call.fd(), queued.data(), queued.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            queued.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const int left = ms_left(deadline);
            if (left == 0) return Channel::Status::timeout;
            pollfd pfd{call.fd(), POLLOUT, 0};
            (void)::poll(&pfd, 1, left);
            continue;
        }
        return Channel::Status::closed;  // EPIPE, ECONNRESET: it is gone
    }
    return Channel::Status::ok;
}

msgr_hresult AddinProcess::Impl::send_event(const SubProxy &sub, const msgr_event &ev) {
    if (!alive() || unloaded) return MSGR_E_UNEXPECTED;
    wire::Event e;
    e.seq = last_event + 1;
    e.sub = sub.index;
    e.type = static_cast<std::int32_t>(ev.type);
    e.hr = ev.hr;
    e.status = ev.status;
    e.index = ev.index;
    if (ev.text != nullptr) {
        const std::size_t size =
            ev.struct_size >= offsetof(msgr_event, text_size) + sizeof ev.text_size
                ? ev.text_size
                : std::strlen(ev.text);
        e.text.assign(ev.text, std::min(size, wire::kMaxText));
    }
    const std::string bytes = wire::encode(e);
    if (queued.size() + bytes.size() > kMaxQueuedEvents) {
        set_fault(MSGR_ADDIN_HUNG, MSGR_ADDIN_PROBLEM_HUNG,
                  "hung: its process does not read its events (" +
                      std::to_string(kMaxQueuedEvents >> 20) + " MiB queued); killed");
        kill_and_reap();
        return MSGR_E_UNEXPECTED;
    }
    queued += bytes;
    last_event = e.seq;
    events_sent = e.seq;
    unanswered.push_back({e.seq, e.type, Clock::now()});
    // Written at the end of the tick (AddinProcess::flush_events), or now past a batch; when the
    // socket is full the rest goes at the next call or poll; a failed socket shows itself there
    // (and in the reader: the process ended).
    if (queued.size() >= kEventBatchBytes) (void)flush_events(Clock::now());
    return MSGR_S_OK;
}

// The process answers the call channel in order: a Reply to a call sent after an event means
// that event was handled.
void AddinProcess::Impl::events_answered_by_call(std::uint64_t upto) {
    while (!unanswered.empty() && unanswered.front().seq <= upto)
        unanswered.pop_front();
}

// Owner thread: an event unanswered past the call deadline is a hang.
void AddinProcess::Impl::check_events() {
    std::uint64_t done = 0;
    {
        const std::lock_guard<std::mutex> lock(mutex);
        done = events_done;
    }
    events_answered_by_call(done);
    // Still full: the age check below decides.
    if (flush_events(Clock::now()) == Channel::Status::closed) {
        gone(" (its call channel)");
        return;
    }
    if (unanswered.empty()) return;
    const Pending &oldest = unanswered.front();
    if (Clock::now() - oldest.at >= std::chrono::milliseconds(options.call_timeout_ms)) {
        hung(std::string("the event ") +
                 msgr_event_type_name(static_cast<msgr_event_type>(oldest.type)),
             options.call_timeout_ms, "call_timeout_ms");
    }
}

// ---- calls -------------------------------------------------------------------------------------

// Waits until the reader has handled `posts` frames, so that what the add-in reported before it
// answered is in the runtime when the call returns. A process that claims more than it sent
// costs only the rest of the deadline. False when the post channel broke meanwhile.
bool AddinProcess::Impl::wait_posts(std::uint64_t posts, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
        if (posts_handled >= posts || post_closed) return post_fault.empty();
        // The reader waits in a host function for room in a full inbox, which only this thread
        // drains: the rest arrives after the call returns, as backpressure has it (an in-process
        // add-in's thread would wait the same way).
        const Clock::rep since = in_host_fn_since.load();
        const auto now = Clock::now();
        if (since != 0 &&
            now - Clock::time_point(Clock::duration(since)) >= std::chrono::milliseconds(5)) {
            return true;
        }
        if (now >= deadline) {
            if (since != 0) return true;
            // Not waiting anywhere, and the reports it counted never came: a false count.
            post_fault = "it answered having sent " + std::to_string(posts) +
                         " report(s), but only " + std::to_string(posts_handled) + " arrived";
            return false;
        }
        changed.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(1)));
    }
}

msgr_hresult AddinProcess::Impl::page_via(const wire::PageVia &pv) {
    const auto fn = proc<msgr_host_page_via_service_fn>(MSGR_HOST_PAGE_VIA_SERVICE);
    if (fn == nullptr) return MSGR_E_UNEXPECTED;
    const msgr_page_request req{
        sizeof(msgr_page_request), pv.id,           pv.from.c_str(), pv.to.c_str(),
        pv.to_service.c_str(),     pv.text.c_str(), pv.text.size()};
    return fn(host.ctx, &req);  // the runtime checks it is the page being submitted
}

// Sends a call and reads its answer within call_timeout_ms (the time the runtime spends on a
// nested PageVia does not count). False on a fault (kept in `fault`).
bool AddinProcess::Impl::run_call(wire::Call &c, wire::Reply &out) {
    if (!alive() || unloaded) return false;
    const std::string what = method_name(c.method);
    const int timeout = options.call_timeout_ms;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout);
    const Channel::Status flushed = flush_events(deadline);
    if (flushed != Channel::Status::ok) {
        failed(flushed, "", std::string("the events before ") + what, timeout, "call_timeout_ms");
        return false;
    }
    const std::uint64_t events_before = last_event;
    c.seq = next_call++;
    std::string why;
    Channel::Status st = call.send(c, ms_left(deadline), why);
    if (st != Channel::Status::ok) {
        failed(st, why, what, timeout, "call_timeout_ms");
        return false;
    }
    for (;;) {
        wire::Frame f;
        st = call.receive(f, ms_left(deadline), why);
        if (st != Channel::Status::ok) {
            failed(st, why, what, timeout, "call_timeout_ms");
            return false;
        }
        if (auto *reply = std::get_if<wire::Reply>(&f)) {
            if (reply->seq != c.seq) {
                protocol("a Reply for call " + std::to_string(reply->seq) + " in answer to " +
                         what + " (call " + std::to_string(c.seq) + ")");
                return false;
            }
            out = std::move(*reply);
            break;
        }
        const auto *pv = std::get_if<wire::PageVia>(&f);
        if (pv == nullptr || c.method != wire::Method::Submit) {
            protocol(std::string("an unexpected frame (type ") +
                     std::to_string(static_cast<unsigned>(wire::type_of(f))) + ") in answer to " +
                     what);
            return false;
        }
        // The clock stops while the runtime answers: a service it calls has its own deadline.
        const auto left = deadline - Clock::now();
        const msgr_hresult hr = page_via(*pv);
        if (!alive()) return false;  // a nested call to this same process met a fault
        deadline = Clock::now() + std::max(left, Clock::duration::zero());
        st = call.send(wire::PageViaReply{hr}, ms_left(deadline), why);
        if (st != Channel::Status::ok) {
            failed(st, why, what, timeout, "call_timeout_ms");
            return false;
        }
    }
    events_answered_by_call(events_before);
    if (!wait_posts(out.posts, deadline)) {
        std::string bad;
        {
            const std::lock_guard<std::mutex> lock(mutex);
            bad = post_fault;
        }
        protocol(bad);
        return false;
    }
    return true;
}

// One call for a contact service: its result, as the add-in's function returned it there (an
// exception there is thrown again here, for the runtime's guard).
msgr_hresult AddinProcess::Impl::service_call(const ServiceProxy &svc, wire::Call c,
                                              wire::Reply *reply) {
    c.target = svc.index;
    wire::Reply r;
    if (!run_call(c, r)) return MSGR_E_UNEXPECTED;
    if (!r.threw.empty()) rethrow(r.threw);
    const msgr_hresult hr = r.hr;
    if (reply != nullptr) *reply = std::move(r);
    return hr;
}

msgr_hresult AddinProcess::Impl::svc_signin(void *state, std::uint64_t session, const char *name,
                                            const char *password) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::Signin;
    c.id = session;
    c.a = name;
    c.b = password;
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_signout(void *state) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::Signout;
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_set_status(void *state, std::int32_t status) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::SetStatus;
    c.i32 = status;
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_describe(void *state, const char *signin,
                                              msgr_contact_info *out) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::Describe;
    c.a = signin;
    wire::Reply r;
    const msgr_hresult hr = svc.impl->service_call(svc, std::move(c), &r);
    if (MSGR_SUCCEEDED(hr) && out != nullptr) {
        Impl &impl = *svc.impl;
        impl.friendly = std::move(r.friendly);  // borrowed by the runtime until we return
        out->friendly = impl.friendly.empty() ? nullptr : impl.friendly.c_str();
        out->status = r.out;
        out->mobile = r.mobile != 0 ? 1 : 0;
    }
    return hr;
}

msgr_hresult AddinProcess::Impl::svc_send_message(void *state, std::uint64_t id, const char *to,
                                                  const char *text, std::size_t text_size) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::SendMessage;
    c.id = id;
    c.a = to;
    c.b.assign(text, text_size);
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_send_page(void *state, std::uint64_t id, const char *to,
                                               const char *text, std::size_t text_size) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::SendPage;
    c.id = id;
    c.a = to;
    c.b.assign(text, text_size);
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_send_message_ex(void *state, const msgr_outgoing_message *m) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::SendMessageEx;
    c.id = m->message_id;
    c.a = m->to;
    c.b.assign(m->text, m->text_size);
    c.c = m->origin_id;
    c.i32 = m->resend != 0 ? 1 : 0;
    c.i64 = m->time_unix_ms;
    if (m->group != nullptr) c.group = m->group;  // the runtime's own struct: it covers them
    if (m->members != nullptr) c.members = m->members;
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_send_chat_state(void *state, const char *to,
                                                     msgr_chat_state s) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::SendChatState;
    c.a = to;
    c.i32 = raw_enum(s);
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_send_displayed(void *state, const char *to,
                                                    const char *receipt_id) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::SendDisplayed;
    c.a = to;
    c.c = receipt_id;
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_fetch_older(void *state, const char *peer,
                                                 const char *archive_id, std::uint32_t max) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = wire::Method::FetchOlder;
    c.a = peer;
    c.c = archive_id;
    c.i32 = static_cast<std::int32_t>(std::min(max, kMaxFetchOlder));
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::svc_name_call(void *state, wire::Method m, const char *name,
                                               int i32) {
    const auto &svc = *static_cast<ServiceProxy *>(state);
    wire::Call c;
    c.method = m;
    c.a = name;
    c.i32 = i32;
    return svc.impl->service_call(svc, std::move(c));
}

msgr_hresult AddinProcess::Impl::paging_knows_mobile(void *state, const char *service,
                                                     const char *signin, int *out) {
    Impl &impl = *static_cast<Impl *>(state);
    wire::Call c;
    c.method = wire::Method::KnowsMobile;
    c.a = service;
    c.b = signin;
    wire::Reply r;
    if (!impl.run_call(c, r)) return MSGR_E_UNEXPECTED;
    if (!r.threw.empty()) rethrow(r.threw);
    if (MSGR_SUCCEEDED(r.hr) && out != nullptr) *out = r.out != 0 ? 1 : 0;
    return r.hr;
}

msgr_hresult AddinProcess::Impl::paging_submit(void *state, const msgr_page_request *page) {
    Impl &impl = *static_cast<Impl *>(state);
    wire::Call c;
    c.method = wire::Method::Submit;
    c.id = page->message_id;
    c.a = page->from;
    c.b = page->to;
    c.c = page->to_service;
    c.d.assign(page->text, page->text_size);
    wire::Reply r;
    if (!impl.run_call(c, r)) return MSGR_E_UNEXPECTED;
    if (!r.threw.empty()) rethrow(r.threw);
    return r.hr;
}

msgr_hresult AddinProcess::Impl::on_event(const msgr_event *ev, void *user) {
    const auto &sub = *static_cast<SubProxy *>(user);
    if (ev == nullptr) return MSGR_E_INVALIDARG;
    return sub.impl->send_event(sub, *ev);
}

// Registers in the runtime, through the add-in's own host functions, what the add-in registered
// in its process. False (hr: why) when the runtime refuses one: its reason is in load_error.
bool AddinProcess::Impl::register_proxies(msgr_hresult &hr) {
    const wire::Registration &reg = registration;
    if (reg.paging) {
        msgr_paging_provider p{};
        p.struct_size = sizeof p;
        p.state = this;
        // What a frame can carry bounds the page (a UTF-16 unit is at most 3 bytes of UTF-8).
        p.max_page_utf16 = std::min<std::uint32_t>(reg.max_page_utf16,
                                                   static_cast<std::uint32_t>(wire::kMaxText / 3));
        p.knows_mobile = reg.has_knows_mobile ? &paging_knows_mobile : nullptr;
        p.submit = &paging_submit;
        const auto fn = proc<msgr_host_register_paging_fn>(MSGR_HOST_REGISTER_PAGING);
        hr = fn != nullptr ? fn(host.ctx, &p) : MSGR_E_NOTIMPL;
        if (MSGR_FAILED(hr)) return false;
    }
    for (std::size_t i = 0; i < reg.services.size(); ++i) {
        const wire::ServiceRegistration &s = reg.services[i];
        services.push_back(std::make_unique<ServiceProxy>(
            ServiceProxy{this, static_cast<std::uint32_t>(i), s.id}));
        msgr_contact_service t{};
        t.struct_size = sizeof t;
        t.state = services.back().get();
        t.id = services.back()->id.c_str();
        t.flags = s.flags;
        // What a frame can carry bounds the message.
        t.max_message_bytes = std::min<std::uint32_t>(s.max_message_bytes,
                                                      static_cast<std::uint32_t>(wire::kMaxText));
        t.signin = &svc_signin;
        t.signout = &svc_signout;
        t.set_status = &svc_set_status;
        t.describe = &svc_describe;
        t.send_message = &svc_send_message;
        t.send_page = s.has_send_page ? &svc_send_page : nullptr;
        t.send_message_ex = s.has_send_message_ex ? &svc_send_message_ex : nullptr;
        t.send_chat_state = s.has_send_chat_state ? &svc_send_chat_state : nullptr;
        t.send_displayed = s.has_send_displayed ? &svc_send_displayed : nullptr;
        t.fetch_older = s.has_fetch_older ? &svc_fetch_older : nullptr;
        t.add_contact = s.has_add_contact ? &svc_add_contact : nullptr;
        t.remove_contact = s.has_remove_contact ? &svc_remove_contact : nullptr;
        t.authorize = s.has_authorize ? &svc_authorize : nullptr;
        t.set_blocked = s.has_set_blocked ? &svc_set_blocked : nullptr;
        t.set_friendly_name = s.has_set_friendly_name ? &svc_set_friendly_name : nullptr;
        t.set_activity = s.has_set_activity ? &svc_set_activity : nullptr;
        const auto fn = proc<msgr_host_register_service_fn>(MSGR_HOST_REGISTER_SERVICE);
        hr = fn != nullptr ? fn(host.ctx, &t) : MSGR_E_NOTIMPL;
        if (MSGR_FAILED(hr)) return false;
    }
    for (std::size_t i = 0; i < reg.subscriptions.size(); ++i) {
        subs.push_back(std::make_unique<SubProxy>(SubProxy{this, static_cast<std::uint32_t>(i)}));
        const auto fn = proc<msgr_host_subscribe_fn>(MSGR_HOST_SUBSCRIBE);
        hr = fn != nullptr ? fn(host.ctx, static_cast<msgr_event_type>(reg.subscriptions[i]),
                                &on_event, subs.back().get())
                           : MSGR_E_NOTIMPL;
        if (MSGR_FAILED(hr)) return false;
    }
    hr = MSGR_S_OK;
    return true;
}

// ---- AddinProcess ------------------------------------------------------------------------------

AddinProcess::AddinProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AddinProcess::~AddinProcess() {
    if (impl_ && !impl_->retire()) (void)impl_.release();  // the reader thread deletes it
}

namespace {

// A socket end above fd 4 (so that the dup2 to 3 and 4 in the child never meets itself and
// always clears close-on-exec), close-on-exec here.
int above_four(int fd) {
    if (fd > 4) return fd;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 5);
    ::close(fd);
    return moved;
}

bool set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

struct Fds {
    int fd[4] = {-1, -1, -1, -1};  // call: ours, theirs; post: ours, theirs
    ~Fds() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
};

}  // namespace

std::unique_ptr<AddinProcess> AddinProcess::start(const std::string &path, const struct stat &st,
                                                  const ProcessOptions &options,
                                                  ProcessFault &why) {
    auto p = spawn(path, st, options, why);
    if (p == nullptr || !p->hello(why)) return nullptr;
    return p;
}

std::unique_ptr<AddinProcess> AddinProcess::spawn(const std::string &path, const struct stat &st,
                                                  const ProcessOptions &options,
                                                  ProcessFault &why) {
    why = ProcessFault{};
    auto no_host = [&](const std::string &reason) {
        why.state = MSGR_ADDIN_REFUSED;
        why.problem = MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST;
        why.hr = MSGR_E_FAIL;
        why.reason = "the add-in host program " + options.program + " cannot be started: " + reason;
        return nullptr;
    };
    if (options.program.empty()) return no_host("no path");
    if (::access(options.program.c_str(), X_OK) != 0) return no_host(errno_text(errno));

    Fds fds;
    for (std::size_t i = 0; i < 2; ++i) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            return no_host("socketpair: " + errno_text(errno));
        fds.fd[2 * i] = pair[0];
        fds.fd[2 * i + 1] = above_four(pair[1]);
        if (fds.fd[2 * i + 1] < 0) return no_host("fcntl: " + errno_text(errno));
    }
    if (!set_nonblocking(fds.fd[0]) || !set_nonblocking(fds.fd[2]))
        return no_host("fcntl: " + errno_text(errno));

    std::vector<std::string> args = {
        options.program,
        "--addin",
        path,
        "--dev",
        std::to_string(st.st_dev),
        "--ino",
        std::to_string(st.st_ino),
        "--size",
        std::to_string(st.st_size),
        "--mtime-ns",
        std::to_string(static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                       st.st_mtim.tv_nsec),
        "--parent",
        std::to_string(::getpid())};
    if (options.address_space_bytes != 0) {
        args.emplace_back("--as-bytes");
        args.push_back(std::to_string(options.address_space_bytes));
    }
    if (options.open_files != 0) {
        args.emplace_back("--open-files");
        args.push_back(std::to_string(options.open_files));
    }
    std::vector<char *> argv;
    argv.reserve(args.size() + 1);
    for (auto &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, fds.fd[1], 3);
    posix_spawn_file_actions_adddup2(&actions, fds.fd[3], 4);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 5);
    // Its own process group (so that a kill reaches what it forks), no blocked signals, and
    // every signal at its default (a SIG_IGN of the host's, SIGPIPE say, would survive exec).
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    // The host's environment, but for the secrets the host keeps there for itself: the user's
    // password reaches only the primary service's signin, never an add-in's environment.
    std::vector<char *> env;
    for (char **e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, "MSGR_PASSWORD=", 14) != 0) env.push_back(*e);
    }
    env.push_back(nullptr);
    pid_t pid = 0;
    const int err =
        ::posix_spawn(&pid, options.program.c_str(), &actions, &attr, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0) return no_host(errno_text(err));

    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->path = path;
    impl->pid = pid;
    impl->pgid = pid;
    ::close(fds.fd[1]);
    ::close(fds.fd[3]);
    fds.fd[1] = fds.fd[3] = -1;
    impl->call = Channel(fds.fd[0]);
    impl->post = Channel(fds.fd[2]);
    fds.fd[0] = fds.fd[2] = -1;
    impl->hello_deadline = Clock::now() + std::chrono::milliseconds(options.load_timeout_ms);
    return std::unique_ptr<AddinProcess>(new AddinProcess(std::move(impl)));
}

bool AddinProcess::hello(ProcessFault &why) {
    why = ProcessFault{};
    Impl *impl = impl_.get();
    const ProcessOptions &options = impl->options;
    const pid_t pid = impl->pid;
    // Its Hello: it has loaded the library and read the descriptor, or says why it could not.
    auto fail = [&] {
        why = impl->fault;
        impl->kill_and_reap();
        return false;
    };
    wire::Frame f;
    std::string whyr;
    const Channel::Status rs = impl->call.receive(f, ms_left(impl->hello_deadline), whyr);
    if (rs != Channel::Status::ok) {
        impl->failed(rs, whyr, "its start (the Hello)", options.load_timeout_ms, "load_timeout_ms");
        return fail();
    }
    const auto *hello = std::get_if<wire::Hello>(&f);
    if (hello == nullptr) {
        impl->protocol("its first frame is not a Hello (type " +
                       std::to_string(static_cast<unsigned>(wire::type_of(f))) + ")");
        return fail();
    }
    if (hello->version != wire::kVersion) {
        impl->protocol("it speaks protocol version " + std::to_string(hello->version) + ", not " +
                       std::to_string(wire::kVersion));
        return fail();
    }
    if (hello->pid != pid) {
        impl->protocol("its Hello names pid " + std::to_string(hello->pid) + ", not " +
                       std::to_string(pid));
        return fail();
    }
    if (hello->hr != MSGR_S_OK) {
        if (MSGR_SUCCEEDED(hello->hr) || hello->problem == MSGR_ADDIN_PROBLEM_NONE ||
            hello->problem > MSGR_ADDIN_PROBLEM_DISABLED_BY_CONFIG) {
            impl->protocol("its Hello refuses with result " + hr_text(hello->hr) + " and problem " +
                           std::to_string(hello->problem));
            return fail();
        }
        why.state = MSGR_ADDIN_REFUSED;
        why.problem = static_cast<msgr_addin_problem>(hello->problem);
        why.hr = hello->hr;
        why.reason = hello->reason;
        impl->kill_and_reap();
        return false;
    }
    impl->descriptor = hello->descriptor;
    return true;
}

const wire::Descriptor &AddinProcess::descriptor() const noexcept {
    return impl_->descriptor;
}

msgr_hresult AddinProcess::load(const msgr_host *host, std::string_view config_toml,
                                std::string_view config_origin, std::string &threw) {
    threw.clear();
    if (host == nullptr || host->get_proc == nullptr) return MSGR_E_INVALIDARG;
    try {
        return impl_->load(*host, config_toml, config_origin, threw);
    } catch (...) {  // out of memory (or no thread for the reader): the load fails
        return MSGR_E_OUTOFMEMORY;
    }
}

msgr_hresult AddinProcess::Impl::load(const msgr_host &with, std::string_view config_toml,
                                      std::string_view config_origin, std::string &threw) {
    Impl &m = *this;
    if (!m.alive() || m.have_host) return MSGR_E_UNEXPECTED;  // load runs once
    m.host = with;
    m.have_host = true;
    if (config_toml.size() > wire::kMaxText || config_origin.size() > wire::kMaxShort) {
        if (const auto fn = m.proc<msgr_host_set_error_fn>(MSGR_HOST_SET_ERROR))
            fn(m.host.ctx,
               "its configuration table is larger than an add-in process takes (1 MiB)");
        return MSGR_E_INVALIDARG;
    }
    m.start_reader();  // its log lines and reports may come from load on

    const int timeout = m.options.load_timeout_ms;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout);
    wire::Load l;
    l.config_toml = std::string(config_toml);
    l.config_origin = std::string(config_origin);
    std::string why;
    Channel::Status st = m.call.send(l, ms_left(deadline), why);
    wire::Frame f;
    if (st == Channel::Status::ok) st = m.call.receive(f, ms_left(deadline), why);
    if (st != Channel::Status::ok) {
        m.failed(st, why, "load", timeout, "load_timeout_ms");
        return MSGR_E_UNEXPECTED;
    }
    auto *reply = std::get_if<wire::LoadReply>(&f);
    if (reply == nullptr) {
        m.protocol("an unexpected frame (type " +
                   std::to_string(static_cast<unsigned>(wire::type_of(f))) + ") in answer to load");
        return MSGR_E_UNEXPECTED;
    }
    m.registration = std::move(reply->registration);
    msgr_hresult hr = reply->hr;
    if (!reply->threw.empty()) {
        threw = reply->threw;
        hr = MSGR_FAILED(hr) ? hr : MSGR_E_UNEXPECTED;
    } else if (MSGR_SUCCEEDED(hr)) {
        if (!m.register_proxies(hr)) {
            // The runtime refused what it registered there (another add-in has the service id,
            // paging is taken): the load fails here as it would have in-process.
        }
    }
    if (!reply->load_error.empty()) {
        if (const auto fn = m.proc<msgr_host_set_error_fn>(MSGR_HOST_SET_ERROR))
            fn(m.host.ctx, reply->load_error.c_str());
    }
    if (!m.wait_posts(reply->posts, deadline)) {
        std::string bad;
        {
            const std::lock_guard<std::mutex> lock(m.mutex);
            bad = m.post_fault;
        }
        m.protocol(bad);
        return MSGR_E_UNEXPECTED;
    }
    return hr;
}

void AddinProcess::unload(std::string &threw, bool reports_taken) {
    try {
        impl_->unload(threw, reports_taken);
    } catch (...) {  // out of memory: the destructor kills what is left
        impl_->kill_and_reap();
    }
}

void AddinProcess::Impl::unload(std::string &threw, bool reports_taken) {
    Impl &m = *this;
    threw.clear();
    if (!m.alive() || m.unloaded) return;
    m.unloaded = true;
    const int timeout = m.options.call_timeout_ms;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout);
    std::string why;
    Channel::Status st = Channel::Status::ok;
    if (m.flush_events(deadline) != Channel::Status::ok)
        m.queued.clear();  // it is going away: what it did not read does not matter
    st = m.call.send(wire::Unload{reports_taken}, ms_left(deadline), why);
    wire::Frame f;
    if (st == Channel::Status::ok) {
        // Events sent before Unload may be answered only on the post channel; on the call
        // channel only UnloadReply may come.
        st = m.call.receive(f, ms_left(deadline), why);
    }
    if (st != Channel::Status::ok) {
        m.failed(st, why, "unload", timeout, "call_timeout_ms");
        return;
    }
    auto *reply = std::get_if<wire::UnloadReply>(&f);
    if (reply == nullptr) {
        m.protocol("an unexpected frame (type " +
                   std::to_string(static_cast<unsigned>(wire::type_of(f))) +
                   ") in answer to unload");
        return;
    }
    threw = reply->threw;
    m.unanswered.clear();
    if (!m.wait_posts(reply->posts, deadline)) {
        std::string bad;
        {
            const std::lock_guard<std::mutex> lock(m.mutex);
            bad = m.post_fault;
        }
        m.protocol(bad);
        return;
    }
    // It exits now; reaping it is bounded by the rest of the deadline, then it is killed.
    int status = 0;
    if (!m.reap(ms_left(deadline), status)) m.kill_and_reap();
    m.kill_group();  // stray processes it forked
}

void AddinProcess::flush_events() {
    if (!impl_->queued.empty()) (void)impl_->flush_events(Clock::now());
}

bool AddinProcess::poll() {
    Impl &m = *impl_;
    if (m.alive() && m.pid > 0 && !m.unloaded) {
        std::string bad;
        bool closed = false;
        {
            const std::lock_guard<std::mutex> lock(m.mutex);
            bad = m.post_fault;
            closed = m.post_closed;
        }
        int status = 0;
        if (!bad.empty()) {
            m.broke(bad);
        } else if (m.reap(0, status)) {
            m.ended(status, "");
            m.kill_group();
            m.drain_posts();
        } else if (closed) {
            m.gone(" (its post channel)");
        } else {
            m.check_events();
        }
    }
    if (m.fault && !m.fault_told) {
        m.fault_told = true;
        return true;
    }
    return false;
}

bool AddinProcess::take_slot_failure(SlotFailure &out) {
    Impl &m = *impl_;
    const std::lock_guard<std::mutex> lock(m.mutex);
    if (m.slot_failures.empty()) return false;
    out = std::move(m.slot_failures.front());
    m.slot_failures.clear();  // one is enough: the add-in is disabled
    return true;
}

const ProcessFault &AddinProcess::fault() const noexcept {
    return impl_->fault;
}

int AddinProcess::pid() const noexcept {
    return impl_->pid;
}

std::uint32_t AddinProcess::drawers_refused() const noexcept {
    return impl_->registration.drawers_refused;
}

}  // namespace msgr::core

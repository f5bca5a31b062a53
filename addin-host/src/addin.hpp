// The one add-in this process runs, as its host functions see it (msgr_host_ctx), and the pieces
// of the program: the post channel (posts.cpp), the host table (host_table.cpp) and the call
// loop (main.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "addins/protocol.hpp"
#include "msgr/addin.h"
#include "toml.hpp"

namespace msgr::addin_host {

// The post channel (fd 4): one-way to the runtime, written by any thread of the add-in under one
// mutex, blocking (the runtime's reader waits while its inbox is full: backpressure).
class Posts {
  public:
    explicit Posts(int fd) : channel_(fd) {}
    // false when the runtime's end is gone.
    bool send(const core::wire::Frame &f);
    // How many frames were written so far (every answer on the call channel carries it).
    std::uint64_t count();

  private:
    std::mutex mutex_;
    core::wire::Channel channel_;
    // Frames written, read without the mutex: an answer on the call channel says how many, and
    // must not wait for a thread that holds the mutex while the runtime does not read (its inbox
    // is full until the owner thread, which waits for that answer, drains it).
    std::atomic<std::uint64_t> count_{0};
    bool broken_ = false;
};

}  // namespace msgr::addin_host

struct msgr_host_ctx {
    enum class Phase { before_load, loading, running, load_failed, unloading };

    std::string stem;  // the file's name without ".so": [addin.<stem>]
    std::thread::id main_thread;
    msgr::addin_host::Posts *posts = nullptr;
    msgr::core::wire::Channel *call = nullptr;  // main thread only (PageVia)

    msgr_addin_descriptor desc{};  // its load and unload
    void *state = nullptr;         // what its load gave back

    std::atomic<Phase> phase{Phase::before_load};
    // Whether the add-in's reports are taken: false once unload began or a slot failed (the
    // runtime disables it then, as it would have in its own process).
    std::atomic<bool> accepting{true};

    // Configuration, fixed before load.
    std::unique_ptr<toml::table> config;  // nullptr: the add-in has no table
    std::string origin;

    std::mutex mutex;        // load_error, owed, service_ids (the add-in's threads read them)
    std::string load_error;  // what msgr_host_set_error said
    std::unordered_set<std::uint64_t> owed;
    std::vector<std::string> service_ids;

    // What it registered during load (main thread; fixed afterwards).
    msgr::core::wire::Registration registration;
    msgr_paging_provider paging{};
    std::vector<msgr_contact_service> services;  // index = Call.target
    struct Sub {
        msgr_addin_event_fn fn;
        void *user;
    };
    std::vector<Sub> subs;   // index = Event.sub
    bool slots_off = false;  // a slot failed: no more slots are called

    // The Submit call running now (main thread; nullptr outside submit): the one page that
    // msgr_host_page_via_service hands on.
    const msgr::core::wire::Call *submitting = nullptr;
    // Whether, during the PageVia wait, the runtime handed this page to a service of this same
    // add-in (the debt then stays here, as in-process).
    bool handed_to_own = false;
};

namespace msgr::addin_host {

// The host table the add-in's load is given (host_table.cpp).
msgr_host make_host(msgr_host_ctx &ctx);
// A log line of the program itself, sent as the add-in's would be.
void log_line(msgr_host_ctx &ctx, msgr_log_level level, const std::string &text);
// "threw an exception: ..." as the runtime's guard words it; "" when f returned. f's result, or
// MSGR_E_UNEXPECTED when it threw.
template <typename F>
msgr_hresult guard(F &&f, std::string &threw) noexcept {
    try {
        return f();
    } catch (const std::exception &e) {
        try {
            threw = std::string("threw an exception: ") + e.what();
            if (threw.size() > core::wire::kMaxShort) threw.resize(core::wire::kMaxShort);
        } catch (...) {
        }
    } catch (...) {
        threw = "threw an exception";
    }
    return MSGR_E_UNEXPECTED;
}

// Serves one Call (main thread) and returns its Reply (posts not yet set).
// A Call that arrives while a PageVia waits for its answer (the runtime handing the page to a
// service of this same add-in) is served the same way.
core::wire::Reply serve_call(msgr_host_ctx &ctx, const core::wire::Call &c);
// Ends the process when the call channel is gone (closed: the runtime let go, exit 0) or the
// runtime spoke out of turn (exit 3, with why on stderr).
[[noreturn]] void call_channel_lost(core::wire::Channel::Status st, const std::string &why);
// Sends an answer (with posts) on the call channel; a broken channel ends the process.
void send_answer(msgr_host_ctx &ctx, core::wire::Frame answer);

}  // namespace msgr::addin_host

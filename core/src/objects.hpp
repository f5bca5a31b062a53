// The objects behind the C handles: contacts and windows. Both are reference-counted. `refs`
// counts the library's own references (boost::intrusive_ptr: the runtime's on each object it
// tracks, events, deliveries in flight) plus exactly one that stands for all of the host's;
// `host_refs` counts the host's (each handle an out-pointer returned, each msgr_*_add_ref).
// Keeping them apart is what lets a release the host does not own be refused instead of
// dropping a reference the runtime still relies on (c_api.cpp, "handles", says the rest).
// `rt` is non-null exactly while the runtime tracks the object, so a handle that outlived its
// window or its runtime can tell, and answer as the documentation says.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include <boost/intrusive_ptr.hpp>

#include "msgr/msgr.h"

namespace msgr::core {
class Runtime;

// Every contact and window is registered from its construction until its memory is given back
// (c_api.cpp): the C ABI checks a handle against the registry before it dereferences it.
enum class HandleKind : std::uint8_t { contact, window };
// Registers a new object at p; returns its generation (a serial, never reused).
std::uint64_t register_handle(const void *p, HandleKind kind);
// Unregisters p, then frees it (the objects' operator delete).
void retire_handle(void *p) noexcept;
// Counts the ticks of every runtime in the process. What the runtime lends the host without a
// reference (an event's window and contact, msgr_ui_window_get's) stays usable until the next
// tick; a handle whose host references are all given back is refused after that.
std::uint64_t tick_serial() noexcept;
void next_tick() noexcept;
template <typename T>
void lend(T *p) noexcept {
    if (p != nullptr) p->lent_at = tick_serial();
}
}  // namespace msgr::core

struct msgr_contact {
    msgr_contact()
        : generation(msgr::core::register_handle(this, msgr::core::HandleKind::contact)) {}
    // The global allocator; delete unregisters the address before the memory goes back.
    static void *operator new(std::size_t n) { return ::operator new(n); }
    static void operator delete(void *p) noexcept { msgr::core::retire_handle(p); }

    std::atomic<std::uint32_t> refs{0};       // the library's, plus one for all of the host's
    std::atomic<std::uint32_t> host_refs{0};  // the host's
    const std::uint64_t generation;
    // The tick (msgr::core::tick_serial) in which the runtime last lent it to the host without a
    // reference (an event, msgr_ui_window_get): owner thread only.
    std::uint64_t lent_at = 0;
    std::thread::id owner;
    msgr::core::Runtime *rt = nullptr;  // null once the runtime is gone

    std::string service;  // service id
    std::string signin;   // as first given
    std::string key;      // case-folded sign-in name: the identity within the service
    std::string friendly;
    std::int32_t status = MSGR_STATUS_UNKNOWN;
    bool in_list = false;  // on the user's contact list
    bool blocked = false;  // IMessengerContact.Blocked: what it sends is dropped
    std::string activity;  // rich presence: what its service says it is doing (cleaned)
};

struct msgr_window {
    enum class State { open, closed, disconnected };

    struct Entry {
        msgr_message_direction direction;
        msgr_delivery_state delivery;
        msgr_hresult delivery_result;
        std::uint64_t message_id;  // 0 for incoming messages (and those of an earlier run)
        std::int64_t time_unix_ms;
        std::string text;
        std::uint32_t flags = 0;        // MSGR_MESSAGE_*
        std::string delivery_reason{};  // why it failed, in words; "" when not known
        // Its position in the conversation (history index = seq - first_seq) and its id in the
        // store (0 while history is off or the store could not be opened).
        std::int64_t seq = 0;
        std::int64_t stored_id = 0;
        std::string origin_id{};   // the dedup key; ours for outgoing (receipts name it)
        std::string archive_id{};  // the server's archive id (dedup, fetch_older's anchor)
        std::string receipt_id{};  // what a read marker names
        // Who wrote it (a sign-in name); "" when not recorded (then windows/window_manager.hpp's
        // sender_of says what it can).
        std::string sender{};
    };
    msgr_window() : generation(msgr::core::register_handle(this, msgr::core::HandleKind::window)) {}
    // The global allocator; delete unregisters the address before the memory goes back.
    static void *operator new(std::size_t n) { return ::operator new(n); }
    static void operator delete(void *p) noexcept { msgr::core::retire_handle(p); }

    std::atomic<std::uint32_t> refs{0};       // the library's, plus one for all of the host's
    std::atomic<std::uint32_t> host_refs{0};  // the host's
    const std::uint64_t generation;
    std::uint64_t lent_at = 0;  // as msgr_contact's
    std::thread::id owner;
    msgr::core::Runtime *rt = nullptr;  // null once closed or disconnected

    std::uint64_t id = 0;
    msgr_window_kind kind = MSGR_WINDOW_CONVERSATION;
    State state = State::open;
    boost::intrusive_ptr<msgr_contact> contact;  // the initial contact (InstantMessage's)
    // Everyone the conversation is with, the initial contact first while it stays; never empty
    // (windows/window_manager.hpp). More than one, or once it had more: a group window.
    std::vector<boost::intrusive_ptr<msgr_contact>> contacts;
    // A group window's id ("" for a one-to-one window): stable for the conversation's life,
    // what the service and the history store know the group by.
    std::string group;
    std::uint64_t contacts_serial = 0;  // raised when contacts changes
    std::int32_t left = 0, top = 0, width = 0, height = 0;
    std::uint64_t focus_serial = 0;  // raised by every successful Show / InstantMessage focus
    std::string draft;

    // ---- the conversation's history (runtime_history.cpp) ----
    // The conversation is [first_seq, end_seq). With the store (conversation != 0) `recent` holds
    // its last entries, at most history.memory_messages, and `page` the last page read from the
    // store; without it `recent` holds every entry. A deque: growing never moves the whole.
    std::int64_t conversation = 0;  // the store's conversation id; 0: memory only
    std::int64_t first_seq = 0;
    std::int64_t end_seq = 0;
    std::deque<Entry> recent;
    std::vector<Entry> page;
    std::int64_t page_seq = 0;  // the seq of page.front()
    std::size_t unseen_count = 0;
    std::string displayed_receipt;  // the last receipt id send_displayed was given
    std::uint64_t prepended = 0;    // older entries added since the last HistoryEnd
    bool archive_start = false;     // the service said its archive holds nothing older
    msgr_chat_state peer_chat_state = MSGR_CHAT_STATE_NONE;
    msgr_chat_state my_chat_state = MSGR_CHAT_STATE_NONE;

    // ---- for the drawing layer (msgr_ui_window_get in ui.h) ----
    std::uint64_t geometry_serial = 0;  // raised when automation sets Left/Top/Width/Height
    std::uint64_t draft_serial = 0;     // raised when the draft changes
    std::uint64_t history_serial = 0;   // raised when the history gains or changes an entry
    std::uint64_t scroll_serial = 0;    // raised when something asks to show entry scroll_index
    std::size_t scroll_index = 0;
};

// boost::intrusive_ptr hooks: an intrusive_ptr holds one reference.
void intrusive_ptr_add_ref(msgr_contact *c) noexcept;
void intrusive_ptr_release(msgr_contact *c) noexcept;
void intrusive_ptr_add_ref(msgr_window *w) noexcept;
void intrusive_ptr_release(msgr_window *w) noexcept;

namespace msgr::core {
using ContactRef = boost::intrusive_ptr<msgr_contact>;
using WindowRef = boost::intrusive_ptr<msgr_window>;
}  // namespace msgr::core

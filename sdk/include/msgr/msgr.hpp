// msgr.hpp — the C++ API of the msgr runtime.
//
// A header-only layer over the C ABI (msgr/msgr.h, msgr/ui.h). Nothing here is compiled into
// libmsgr.so: every class, every std::string and every Boost.Signals2 signal lives in the host's
// own binary, so a host built with any compiler or standard library links against the same
// libmsgr.so as a C host does. Needs C++17 and Boost.Signals2 (header-only).
//
// At a glance:
//
//     #include <msgr/msgr.hpp>
//
//     auto created = msgr::Runtime::create();          // embedded defaults (loopback service)
//     if (!created) return 1;                          // created.hr() says why
//     msgr::Runtime rt = std::move(*created);
//
//     rt.events().on_signin.connect([](msgr_hresult hr) { ... });
//     rt.events().on_message_received.connect(
//         [](const msgr::Window &w, const msgr::Contact &from, std::string_view text) { ... });
//
//     rt.signin("player@loopback");                    // OnSignin fires from a later tick
//     while (running) { rt.tick(); ... }               // once a frame, on the owner thread
//     msgr::Result<msgr::Window> w = rt.instant_message("echo@loopback");
//
// Conventions, applied everywhere:
//
//  - Results. Every call that can fail returns a msgr::Result<T> (msgr::Result<> when there is no
//    value): the msgr_hresult of the C call, exactly as documented in msgr.h, plus the value when
//    it succeeded. Test it with `if (r)` / r.ok() (S_FALSE is a success, as in COM), read the code
//    with r.hr(), the value with *r or r.value(). Nothing in this API throws on a failed call;
//    Result::value() throws msgr::Error when the call failed, for hosts that prefer exceptions.
//    The reason of the last failure on this thread is msgr::last_error().
//  - Handles. msgr::Contact and msgr::Window own one reference to a C handle: copying adds a
//    reference, moving transfers it, destruction releases it. A handle outlives what it stands
//    for (a closed window answers is_closed(); after the account goes offline, calls return
//    MSGR_RPC_E_DISCONNECTED). operator== compares identity: the runtime returns the same object
//    for the same contact or for a window that is still open.
//  - Strings. Arguments take const char*, std::string or std::string_view (copied once to add
//    the terminating NUL); a string with an embedded NUL is refused with MSGR_E_INVALIDARG
//    before the runtime is called (last_error() says which argument). Strings the runtime
//    returns are copied into std::string; text from the network (history, events) with its
//    size, because it may hold NULs.
//  - Threads. The C rules hold: every call and every event happens on the thread that created
//    the runtime (others get MSGR_RPC_E_WRONG_THREAD). Handles may be copied and destroyed on
//    any thread.
//  - Events. msgr::Events holds one boost::signals2::signal per DMessengerEvents event, fed by a
//    single C subscription. Slots run from Runtime::tick() (and on_app_shutdown from the
//    Runtime's destruction). An exception a slot throws never reaches the C runtime: it is caught
//    per slot (the other slots still run) and reported through Events::on_handler_error.
#ifndef MSGR_MSGR_HPP
#define MSGR_MSGR_HPP

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wuninitialized inside Boost.Function (1.74) when a captureless
// lambda becomes a slot; silence it for Boost's own lines only, so hosts building with
// -Werror are not broken by it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/signals2/signal.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "msgr/addin.h"
#include "msgr/msgr.h"
#include "msgr/ui.h"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define MSGR_HPP_EXCEPTIONS 1
#else
#define MSGR_HPP_EXCEPTIONS 0
#endif

namespace msgr {

// ---- Result codes ---------------------------------------------------------------------------

/// The symbolic name of a result code ("MSGR_E_NOT_LOGGED_ON"), or "UNKNOWN_HRESULT".
inline const char *hresult_name(msgr_hresult hr) noexcept {
    return msgr_hresult_name(hr);
}
/// The symbolic name of a MISTATUS value ("MSGR_STATUS_ONLINE"), or "UNKNOWN_STATUS".
inline const char *status_name(std::int32_t status) noexcept {
    return msgr_status_name(status);
}
/// The symbolic name of an event type ("MSGR_EVENT_SIGNIN").
inline const char *event_type_name(msgr_event_type type) noexcept {
    return msgr_event_type_name(type);
}
/// The symbolic name of a delivery state ("MSGR_DELIVERY_READ"), or "UNKNOWN_DELIVERY".
inline const char *delivery_state_name(msgr_delivery_state state) noexcept {
    return msgr_delivery_state_name(state);
}
/// Why the last failing call on this thread failed ("" if none did). Valid until the next
/// failing call on this thread: copy it to keep it.
inline const char *last_error() noexcept {
    return msgr_last_error();
}
/// "major.minor.patch" of the loaded libmsgr.
inline const char *version() noexcept {
    return msgr_version();
}
inline constexpr bool succeeded(msgr_hresult hr) noexcept {
    return hr >= 0;
}
inline constexpr bool failed(msgr_hresult hr) noexcept {
    return hr < 0;
}

/// "MSGR_E_NOT_LOGGED_ON (0x8100031E)": a result code for logs and messages.
inline std::string describe(msgr_hresult hr) {
    char hex[16];
    (void)std::snprintf(hex, sizeof hex, "0x%08X",
                        static_cast<unsigned>(static_cast<std::uint32_t>(hr)));
    return std::string(hresult_name(hr)) + " (" + hex + ")";
}

/// Thrown by Result::value() when the call failed. Nothing else in this API throws it.
class Error : public std::runtime_error {
  public:
    explicit Error(msgr_hresult hr) : std::runtime_error(describe(hr)), hr_(hr) {}
    msgr_hresult hr() const noexcept { return hr_; }

  private:
    msgr_hresult hr_;
};

namespace detail {
/// A call this layer refuses itself, before the runtime sees it: the reason is recorded as the
/// runtime records its own (msgr_set_last_error), so last_error() says why.
inline msgr_hresult refuse(msgr_hresult hr, const char *reason) noexcept {
    return msgr_set_last_error(hr, reason);
}
[[noreturn]] inline void throw_error(msgr_hresult hr) {
#if MSGR_HPP_EXCEPTIONS
    throw Error(hr);
#else
    std::fprintf(stderr, "msgr: Result::value() on a failed call: %s\n", describe(hr).c_str());
    std::abort();
#endif
}
}  // namespace detail

/// The outcome of a call: its msgr_hresult and, when it succeeded, its value.
///
///     msgr::Result<msgr::Window> w = rt.instant_message("echo@loopback");
///     if (!w) log("InstantMessage failed: %s", msgr::describe(w.hr()).c_str());
///     else if (w.hr() == MSGR_S_FALSE) ...;   // opened, but focus could not be given
///     w->show();
///
/// The value of a failed call is default-constructed (an empty handle, 0, ""). value() checks
/// and throws msgr::Error; operator* and operator-> do not check. A Result with a value is
/// [[nodiscard]]; a Result<> may be ignored (tick() every frame), at the caller's own risk.
template <typename T = void>
class [[nodiscard]] Result {
  public:
    using value_type = T;

    Result(msgr_hresult hr, T value) noexcept(std::is_nothrow_move_constructible_v<T>)
        : hr_(hr), value_(std::move(value)) {}
    explicit Result(msgr_hresult hr) noexcept(std::is_nothrow_default_constructible_v<T>)
        : hr_(hr), value_() {}

    msgr_hresult hr() const noexcept { return hr_; }
    bool ok() const noexcept { return succeeded(hr_); }
    explicit operator bool() const noexcept { return ok(); }
    /// The symbolic name of hr().
    const char *name() const noexcept { return hresult_name(hr_); }

    T &value() & {
        if (!ok()) detail::throw_error(hr_);
        return value_;
    }
    const T &value() const & {
        if (!ok()) detail::throw_error(hr_);
        return value_;
    }
    // By value from a temporary Result: `for (auto &x : call().value())` then iterates a value
    // whose life the loop extends, not a reference into the Result that died.
    T value() && {
        if (!ok()) detail::throw_error(hr_);
        return std::move(value_);
    }
    /// The value, or `fallback` when the call failed.
    template <typename U>
    T value_or(U &&fallback) const & {
        return ok() ? value_ : static_cast<T>(std::forward<U>(fallback));
    }
    template <typename U>
    T value_or(U &&fallback) && {
        return ok() ? std::move(value_) : static_cast<T>(std::forward<U>(fallback));
    }

    T &operator*() &noexcept { return value_; }
    const T &operator*() const &noexcept { return value_; }
    T operator*() &&noexcept(std::is_nothrow_move_constructible_v<T>) { return std::move(value_); }
    T *operator->() noexcept { return &value_; }
    const T *operator->() const noexcept { return &value_; }

  private:
    msgr_hresult hr_;
    T value_;
};

/// A call with no value: just its result code.
template <>
class Result<void> {
  public:
    using value_type = void;

    constexpr Result(msgr_hresult hr) noexcept : hr_(hr) {}  // NOLINT: implicit on purpose

    msgr_hresult hr() const noexcept { return hr_; }
    bool ok() const noexcept { return succeeded(hr_); }
    explicit operator bool() const noexcept { return ok(); }
    const char *name() const noexcept { return hresult_name(hr_); }
    /// Throws msgr::Error when the call failed.
    void value() const {
        if (!ok()) detail::throw_error(hr_);
    }

  private:
    msgr_hresult hr_;
};

// ---- String arguments -------------------------------------------------------------------------

/// A string argument: const char* (NULL allowed where the C call allows it), std::string (no
/// copy) or std::string_view (copied once to add the terminating NUL). A string_view holding an
/// embedded NUL is not valid() and the call answers MSGR_E_INVALIDARG without reaching the
/// runtime. Meant for parameters only: it may point into the caller's string.
class StringArg {
  public:
    StringArg() noexcept = default;
    StringArg(std::nullptr_t) noexcept {}                         // NOLINT: implicit on purpose
    StringArg(const char *s) noexcept : ptr_(s) {}                // NOLINT
    StringArg(const std::string &s) noexcept : ptr_(s.c_str()) {  // NOLINT
        valid_ = s.find('\0') == std::string::npos;
    }
    StringArg(std::string_view s) : copy_(s), ptr_(copy_.c_str()) {  // NOLINT
        valid_ = s.find('\0') == std::string_view::npos;
    }
    StringArg(const StringArg &) = delete;
    StringArg &operator=(const StringArg &) = delete;

    const char *c_str() const noexcept { return ptr_; }
    bool valid() const noexcept { return valid_; }

  private:
    std::string copy_;
    const char *ptr_ = nullptr;
    bool valid_ = true;
};

// ---- Handles --------------------------------------------------------------------------------

/// A contact (IMessengerContact). Owns one reference to an msgr_contact.
class Contact {
  public:
    /// An empty handle; every call on it answers MSGR_E_INVALIDARG.
    Contact() noexcept = default;
    /// Takes over the reference the caller owns (as a C out-pointer returns it).
    static Contact adopt(msgr_contact *c) noexcept { return Contact(c); }
    /// Adds a reference of its own (for a borrowed pointer, as an msgr_event carries).
    static Contact borrow(msgr_contact *c) noexcept {
        msgr_contact_add_ref(c);
        return Contact(c);
    }

    Contact(const Contact &o) noexcept : c_(o.c_) { msgr_contact_add_ref(c_); }
    Contact(Contact &&o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    // Self-assignment is safe: the new reference is taken before the old one is given back.
    // NOLINTNEXTLINE(bugprone-unhandled-self-assignment,cert-oop54-cpp)
    Contact &operator=(const Contact &o) noexcept {
        msgr_contact_add_ref(o.c_);  // first: o may be *this
        msgr_contact_release(std::exchange(c_, o.c_));
        return *this;
    }
    Contact &operator=(Contact &&o) noexcept {
        if (this != &o) msgr_contact_release(std::exchange(c_, std::exchange(o.c_, nullptr)));
        return *this;
    }
    ~Contact() { msgr_contact_release(c_); }

    msgr_contact *get() const noexcept { return c_; }
    explicit operator bool() const noexcept { return c_ != nullptr; }
    /// Gives up ownership: the caller now owns the reference (and calls msgr_contact_release).
    [[nodiscard]] msgr_contact *release() noexcept { return std::exchange(c_, nullptr); }
    void reset() noexcept { msgr_contact_release(std::exchange(c_, nullptr)); }

    Result<std::string> signin_name() const { return string_(msgr_contact_signin_name); }
    Result<std::string> friendly_name() const { return string_(msgr_contact_friendly_name); }
    /// What its service says it is doing (rich presence, 0.4); "" when nothing.
    Result<std::string> activity() const { return string_(msgr_contact_activity); }
    /// The id of the service the contact belongs to ("loopback").
    Result<std::string> service_id() const { return string_(msgr_contact_service_id); }
    /// A MISTATUS value (MSGR_STATUS_ONLINE, ...).
    Result<std::int32_t> status() const {
        std::int32_t s = MSGR_STATUS_UNKNOWN;
        const msgr_hresult hr = msgr_contact_status(c_, &s);
        return {hr, s};
    }
    /// Whether this is the signed-in user.
    Result<bool> is_self() const { return flag_(msgr_contact_is_self); }
    /// Whether the contact can be paged (paging add-in installed, mobile services enabled).
    Result<bool> can_page() const { return flag_(msgr_contact_can_page); }
    /// Forgets every stored message with this contact (chat and pages), in the store and in
    /// open windows. Signed in.
    Result<> forget_history() const noexcept { return msgr_history_forget_contact(c_); }
    /// IMessengerContact.Blocked (0.4): a blocked contact's messages and requests are dropped.
    Result<bool> blocked() const { return flag_(msgr_contact_blocked); }
    /// Blocks or unblocks the contact: MSGR_S_FALSE when it already is as asked, MSGR_E_FAIL
    /// for the local user, MSGR_E_NOTIMPL when its service cannot (msgr.h has the order).
    Result<> set_blocked(bool blocked) const noexcept {
        return msgr_contact_set_blocked(c_, blocked ? 1 : 0);
    }

    friend bool operator==(const Contact &a, const Contact &b) noexcept { return a.c_ == b.c_; }
    friend bool operator!=(const Contact &a, const Contact &b) noexcept { return a.c_ != b.c_; }

  private:
    explicit Contact(msgr_contact *c) noexcept : c_(c) {}
    Result<std::string> string_(msgr_hresult (*fn)(msgr_contact *, const char **)) const {
        const char *s = nullptr;
        const msgr_hresult hr = fn(c_, &s);
        return {hr, succeeded(hr) && s != nullptr ? std::string(s) : std::string()};
    }
    Result<bool> flag_(msgr_hresult (*fn)(msgr_contact *, int *)) const {
        int v = 0;
        const msgr_hresult hr = fn(c_, &v);
        return {hr, v != 0};
    }

    msgr_contact *c_ = nullptr;
};

/// One entry of a conversation's history (msgr_message, with its text copied).
struct Message {
    msgr_message_direction direction = MSGR_MESSAGE_INCOMING;
    /// PENDING -> SENT -> DELIVERED -> READ, or FAILED (outgoing); NONE for incoming messages.
    msgr_delivery_state delivery = MSGR_DELIVERY_NONE;
    msgr_hresult delivery_result = MSGR_S_OK;  // why it failed, when delivery is FAILED
    std::string delivery_reason;               // the same in words; empty when none is known
    std::string text;  // every byte: network text may hold NULs (msgr_message.text_size)
    std::int64_t time_unix_ms = 0;
    /// MSGR_MESSAGE_*: PAGE, SEEN (the user saw it), OTHER_DEVICE (sent from another client of
    /// the user's), ARCHIVED (from the service's archive).
    std::uint32_t flags = 0;
    std::int64_t stored_id = 0;  // the message's id in the history store; 0 with history off
    /// Who wrote it (a sign-in name): the contact, or in a group window the one of its contacts
    /// who did; the user's own for outgoing messages. Empty when not known (0.3).
    std::string sender;
};

/// One add-in the runtime found, loaded or not (msgr_addin_info, with its strings copied).
struct AddinInfo {
    msgr_addin_state state = MSGR_ADDIN_REFUSED;
    msgr_hresult result = MSGR_S_OK;  // the result behind a refusal or disabling
    std::uint32_t provides = 0;       // MSGR_ADDIN_PROVIDES_* bits
    std::string name;
    std::string version;
    std::string description;
    std::string path;
    std::string reason;  // why it is refused or disabled; empty when loaded
    std::uint16_t abi_major = 0;
    std::uint16_t abi_minor = 0;
};

class ContactArg;

/// A conversation or page window (IMessengerWindow, IMessengerConversationWnd). Owns one
/// reference to an msgr_window; the handle stays valid after the window closes.
class Window {
  public:
    /// An empty handle; every call on it answers MSGR_E_INVALIDARG.
    Window() noexcept = default;
    /// Takes over the reference the caller owns (as a C out-pointer returns it).
    static Window adopt(msgr_window *w) noexcept { return Window(w); }
    /// Adds a reference of its own (for a borrowed pointer, as an msgr_event carries).
    static Window borrow(msgr_window *w) noexcept {
        msgr_window_add_ref(w);
        return Window(w);
    }

    Window(const Window &o) noexcept : w_(o.w_) { msgr_window_add_ref(w_); }
    Window(Window &&o) noexcept : w_(std::exchange(o.w_, nullptr)) {}
    // Self-assignment is safe: the new reference is taken before the old one is given back.
    // NOLINTNEXTLINE(bugprone-unhandled-self-assignment,cert-oop54-cpp)
    Window &operator=(const Window &o) noexcept {
        msgr_window_add_ref(o.w_);  // first: o may be *this
        msgr_window_release(std::exchange(w_, o.w_));
        return *this;
    }
    Window &operator=(Window &&o) noexcept {
        if (this != &o) msgr_window_release(std::exchange(w_, std::exchange(o.w_, nullptr)));
        return *this;
    }
    ~Window() { msgr_window_release(w_); }

    msgr_window *get() const noexcept { return w_; }
    explicit operator bool() const noexcept { return w_ != nullptr; }
    /// Gives up ownership: the caller now owns the reference (and calls msgr_window_release).
    [[nodiscard]] msgr_window *release() noexcept { return std::exchange(w_, nullptr); }
    void reset() noexcept { msgr_window_release(std::exchange(w_, nullptr)); }

    /// MSGR_WINDOW_CONVERSATION or MSGR_WINDOW_PAGE.
    Result<msgr_window_kind> kind() const {
        msgr_window_kind k = MSGR_WINDOW_CONVERSATION;
        const msgr_hresult hr = msgr_window_kind_of(w_, &k);
        return {hr, k};
    }
    /// Whether the window was closed (by the user, close() or sign-out). After the account went
    /// offline this answers MSGR_RPC_E_DISCONNECTED instead.
    Result<bool> is_closed() const {
        int v = 0;
        const msgr_hresult hr = msgr_window_is_closed(w_, &v);
        return {hr, v != 0};
    }
    /// Brings the window to the front with focus; MSGR_S_FALSE when focus is not allowed.
    Result<> show() const noexcept { return msgr_window_show(w_); }
    /// Closes the window (OnIMWindowDestroyed); MSGR_S_FALSE if it was closed already.
    Result<> close() const noexcept { return msgr_window_close(w_); }

    /// Geometry in pixels of the host's overlay.
    Result<std::int32_t> left() const { return get_(msgr_window_get_left); }
    Result<std::int32_t> top() const { return get_(msgr_window_get_top); }
    Result<std::int32_t> width() const { return get_(msgr_window_get_width); }
    Result<std::int32_t> height() const { return get_(msgr_window_get_height); }
    Result<> set_left(std::int32_t v) const noexcept { return msgr_window_set_left(w_, v); }
    Result<> set_top(std::int32_t v) const noexcept { return msgr_window_set_top(w_, v); }
    /// Width and height must be positive (MSGR_E_INVALIDARG otherwise).
    Result<> set_width(std::int32_t v) const noexcept { return msgr_window_set_width(w_, v); }
    Result<> set_height(std::int32_t v) const noexcept { return msgr_window_set_height(w_, v); }

    /// The contact the window talks to.
    Result<Contact> contact() const {
        msgr_contact *c = nullptr;
        const msgr_hresult hr = msgr_window_contact(w_, &c);
        return {hr, Contact::adopt(c)};
    }
    /// The conversation's contacts (IMessengerConversationWnd::Contacts), in the order they
    /// joined: one for a one-to-one window, several for a group window.
    Result<std::vector<Contact>> contacts() const {
        std::size_t n = 0;
        msgr_hresult hr = msgr_window_contacts_count(w_, &n);
        std::vector<Contact> out;
        for (std::size_t i = 0; succeeded(hr) && i < n; ++i) {
            msgr_contact *c = nullptr;
            hr = msgr_window_contacts_get(w_, i, &c);
            if (succeeded(hr)) out.push_back(Contact::adopt(c));
        }
        if (failed(hr)) out.clear();
        return {hr, std::move(out)};
    }
    /// Adds a contact (AddContact; the checks and codes of msgr_window_add_contact): the window
    /// becomes a group window. MSGR_S_FALSE when the contact is in it already,
    /// MSGR_E_SESSION_FULL past runtime.max_conversation_contacts.
    Result<> add_contact(const ContactArg &contact) const;
    /// Takes a contact out: MSGR_S_FALSE when it is not in the conversation.
    Result<> remove_contact(const ContactArg &contact) const;
    /// Prefills the window's input. Automation may draft; only the user sends (see msgr::ui).
    Result<> set_draft(const StringArg &text) const {
        if (!text.valid())
            return detail::refuse(MSGR_E_INVALIDARG, "the draft holds an embedded NUL");
        return msgr_window_set_draft(w_, text.c_str());
    }
    Result<std::string> draft() const {
        const char *s = nullptr;
        const msgr_hresult hr = msgr_window_get_draft(w_, &s);
        return {hr, succeeded(hr) && s != nullptr ? std::string(s) : std::string()};
    }

    /// The number of messages in the conversation's history.
    Result<std::size_t> history_size() const {
        std::size_t n = 0;
        const msgr_hresult hr = msgr_window_history_count(w_, &n);
        return {hr, n};
    }
    /// One message of the history, oldest first (MSGR_E_INVALIDARG past the end).
    Result<Message> history(std::size_t index) const {
        msgr_message m{};
        m.struct_size = sizeof m;
        const msgr_hresult hr = msgr_window_history_get(w_, index, &m);
        Message out;
        if (succeeded(hr)) {
            out.direction = m.direction;
            out.delivery = m.delivery;
            out.delivery_result = m.delivery_result;
            if (m.delivery_reason != nullptr) out.delivery_reason = m.delivery_reason;
            if (m.text != nullptr) out.text.assign(m.text, m.text_size);
            out.time_unix_ms = m.time_unix_ms;
            out.flags = m.flags;
            out.stored_id = m.stored_id;
            if (m.sender != nullptr) out.sender = m.sender;
        }
        return {hr, std::move(out)};
    }
    /// Asks the contact's service for messages older than the oldest stored: MSGR_S_OK when
    /// asked (Events::on_history_prepended reports them), MSGR_S_FALSE when there is nothing
    /// older to fetch.
    Result<> fetch_older() const noexcept { return msgr_window_fetch_older(w_); }

    friend bool operator==(const Window &a, const Window &b) noexcept { return a.w_ == b.w_; }
    friend bool operator!=(const Window &a, const Window &b) noexcept { return a.w_ != b.w_; }

  private:
    explicit Window(msgr_window *w) noexcept : w_(w) {}
    Result<std::int32_t> get_(msgr_hresult (*fn)(msgr_window *, std::int32_t *)) const {
        std::int32_t v = 0;
        const msgr_hresult hr = fn(w_, &v);
        return {hr, v};
    }

    msgr_window *w_ = nullptr;
};

/// The vContact argument of InstantMessage and Page (a VARIANT in the original API): a sign-in
/// name (VT_BSTR: a contact on the primary service, created on demand) or a Contact
/// (VT_DISPATCH: used as it is, on its own service). Default-constructed it is VT_EMPTY, which
/// the runtime refuses with MSGR_E_INVALIDARG, as the original did.
class ContactArg {
  public:
    ContactArg() noexcept = default;
    ContactArg(const char *signin_name) noexcept
        : name_(signin_name), vt_(MSGR_VT_BSTR) {}       // NOLINT
    ContactArg(const std::string &signin_name) noexcept  // NOLINT: implicit on purpose
        : name_(signin_name), vt_(MSGR_VT_BSTR) {}
    ContactArg(std::string_view signin_name) : name_(signin_name), vt_(MSGR_VT_BSTR) {}  // NOLINT
    ContactArg(const Contact &contact) noexcept  // NOLINT: implicit on purpose
        : contact_(contact.get()), vt_(MSGR_VT_DISPATCH) {}
    ContactArg(const ContactArg &) = delete;
    ContactArg &operator=(const ContactArg &) = delete;

    /// False for a string with an embedded NUL (refused with MSGR_E_INVALIDARG).
    bool valid() const noexcept { return name_.valid(); }
    /// The C VARIANT; the contact is borrowed, the string points into this object.
    msgr_variant variant() const noexcept {
        msgr_variant v{};
        v.vt = vt_;
        v.bstr = vt_ == MSGR_VT_BSTR ? name_.c_str() : nullptr;
        v.contact = vt_ == MSGR_VT_DISPATCH ? contact_ : nullptr;
        return v;
    }

  private:
    StringArg name_;
    msgr_contact *contact_ = nullptr;
    msgr_vartype vt_ = MSGR_VT_EMPTY;
};

inline Result<> Window::add_contact(const ContactArg &contact) const {
    if (!contact.valid())
        return detail::refuse(MSGR_E_INVALIDARG,
                              "vContact: the sign-in name holds an embedded NUL");
    return msgr_window_add_contact(w_, contact.variant());
}
inline Result<> Window::remove_contact(const ContactArg &contact) const {
    if (!contact.valid())
        return detail::refuse(MSGR_E_INVALIDARG,
                              "vContact: the sign-in name holds an embedded NUL");
    return msgr_window_remove_contact(w_, contact.variant());
}

// ---- Events ---------------------------------------------------------------------------------

// ---- History search -------------------------------------------------------------------------

/// One hit of a history search (msgr_search_result, with its strings copied).
struct SearchHit {
    Contact contact;  // the conversation's contact
    msgr_window_kind kind = MSGR_WINDOW_CONVERSATION;
    msgr_message_direction direction = MSGR_MESSAGE_INCOMING;
    std::int64_t stored_id = 0;  // as Message::stored_id
    std::int64_t time_unix_ms = 0;
    std::string text;  // the whole message
    /// The text around the match, the matched words between "\x02" and "\x03" (STX / ETX).
    std::string snippet;
};

/// A history search (msgr_history_search), made by Runtime::search. It runs on the store's
/// thread; Events::on_search_done(id(), hr) says when its hits can be read (before that,
/// size() answers MSGR_E_BUSY). Owns the runtime's results: destroying the Search (or reset())
/// gives them back (msgr_search_release), cancelling a search still running. Movable, not
/// copyable; safe to destroy after its Runtime (then there is nothing left to give back).
class Search {
  public:
    Search() noexcept = default;
    Search(const Search &) = delete;
    Search &operator=(const Search &) = delete;
    Search(Search &&o) noexcept : live_(std::move(o.live_)), id_(std::exchange(o.id_, 0)) {}
    Search &operator=(Search &&o) noexcept {
        if (this != &o) {
            reset();
            live_ = std::move(o.live_);
            id_ = std::exchange(o.id_, 0);
        }
        return *this;
    }
    ~Search() { reset(); }

    /// The search's id, as on_search_done names it (0 for an empty Search).
    std::uint64_t id() const noexcept { return id_; }
    explicit operator bool() const noexcept { return id_ != 0; }

    /// How many hits; MSGR_E_BUSY while it runs; MSGR_E_INVALIDARG once released.
    Result<std::size_t> size() const {
        std::size_t n = 0;
        const msgr_hresult hr = msgr_search_result_count(rt_(), id_, &n);
        return {hr, n};
    }
    /// Hit `index`, newest first.
    Result<SearchHit> hit(std::size_t index) const {
        msgr_search_result r{};
        r.struct_size = sizeof r;
        const msgr_hresult hr = msgr_search_result_get(rt_(), id_, index, &r);
        SearchHit out;
        if (succeeded(hr)) {
            out.contact = Contact::borrow(r.contact);
            out.kind = r.kind;
            out.direction = r.direction;
            out.stored_id = r.stored_id;
            out.time_unix_ms = r.time_unix_ms;
            if (r.text != nullptr) out.text.assign(r.text, r.text_size);
            if (r.snippet != nullptr) out.snippet.assign(r.snippet, r.snippet_size);
        }
        return {hr, std::move(out)};
    }
    /// Every hit (MSGR_E_BUSY while it runs).
    Result<std::vector<SearchHit>> hits() const {
        const Result<std::size_t> n = size();
        std::vector<SearchHit> out;
        if (!n) return {n.hr(), std::move(out)};
        out.reserve(*n);
        for (std::size_t i = 0; i < *n; ++i) {
            Result<SearchHit> h = hit(i);
            if (!h) return {h.hr(), std::vector<SearchHit>()};
            out.push_back(std::move(*h));
        }
        return {MSGR_S_OK, std::move(out)};
    }
    /// Opens hit `index`'s conversation scrolled to it, with InstantMessage's (or Page's)
    /// results.
    Result<Window> open(std::size_t index) const {
        msgr_window *w = nullptr;
        const msgr_hresult hr = msgr_search_open(rt_(), id_, index, &w);
        return {hr, Window::adopt(w)};
    }
    /// Gives the results back now; the Search is empty afterwards.
    void reset() noexcept {
        const std::uint64_t id = std::exchange(id_, 0);
        msgr_runtime *const rt = rt_();
        live_.reset();
        if (id != 0 && rt != nullptr) (void)msgr_search_release(rt, id);
    }

  private:
    friend class Runtime;
    Search(std::shared_ptr<msgr_runtime *> live, std::uint64_t id) noexcept
        : live_(std::move(live)), id_(id) {}
    // NULL once the Runtime is gone (then every call answers MSGR_E_INVALIDARG).
    msgr_runtime *rt_() const noexcept { return live_ ? *live_ : nullptr; }

    std::shared_ptr<msgr_runtime *> live_;  // the Runtime's handle, cleared when it goes
    std::uint64_t id_ = 0;
};

class Runtime;
class Events;

namespace detail {
// Calls each slot in turn; an exception one slot throws is reported and the next slot runs.
struct GuardedCombiner {
    using result_type = void;
    Events *events = nullptr;
    template <typename It>
    void operator()(It first, It last) const;
};
}  // namespace detail

/// The runtime's events (DMessengerEvents) as Boost.Signals2 signals. Reach it through
/// Runtime::events(); connect any callable with the signal's signature:
///
///     boost::signals2::scoped_connection c = rt.events().on_signin.connect(
///         [](msgr_hresult hr) { std::printf("signed in: %s\n", msgr::hresult_name(hr)); });
///
/// Slots run on the owner thread from Runtime::tick(), in the order the runtime raised the
/// events. Handles and text passed to a slot are valid for the call; copy a Contact or Window
/// to keep it (that adds a reference), copy the string_view's text to keep it. A slot may call
/// back into the runtime (open windows, sign out, ...); events that causes are raised later in
/// the same tick. A slot may even destroy the Runtime: destruction then completes when the tick
/// returns (and on_app_shutdown still fires). Don't call Runtime::tick() from a slot.
///
/// on_event and on_app_shutdown also run from the Runtime's destructor: whatever their slots
/// capture must outlive the Runtime (declare it before the Runtime), or hold the connection in
/// a boost::signals2::scoped_connection declared after the Runtime.
class Events {
  public:
    template <typename Signature>
    using signal = boost::signals2::signal<Signature, detail::GuardedCombiner>;

    /// Every event, raw, before its typed signal (including event types newer than this
    /// header). The pointers in it are borrowed for the call.
    signal<void(const msgr_event &)> on_event;

    /// OnSignin: S_OK, or why signing in failed (MSGR_E_CANCEL when a sign-in in progress was
    /// cancelled by signout).
    signal<void(msgr_hresult)> on_signin;
    /// OnSignout: S_OK after Runtime::signout(), else why the account went offline.
    signal<void(msgr_hresult)> on_signout;
    /// OnMyStatusChange(hr, the new MISTATUS).
    signal<void(msgr_hresult, std::int32_t)> on_my_status_change;
    /// OnContactStatusChange(contact, its new MISTATUS).
    signal<void(const Contact &, std::int32_t)> on_contact_status_change;
    /// OnContactListAdd / OnContactListRemove(hr, contact).
    signal<void(msgr_hresult, const Contact &)> on_contact_list_add;
    signal<void(msgr_hresult, const Contact &)> on_contact_list_remove;
    /// A contact asks to add the user to their list (0.4): answer with Runtime::authorize.
    signal<void(const Contact &)> on_authorization_request;
    /// OnContactBlockChange (0.4): the contact was blocked (true) or unblocked.
    signal<void(const Contact &, bool)> on_contact_block_change;
    /// OnContactFriendlyNameChange (0.4): the contact's new friendly name (valid for the call).
    signal<void(const Contact &, std::string_view)> on_contact_friendly_name_change;
    /// OnMyFriendlyNameChange (0.4): hr and the user's new friendly name (valid for the call).
    signal<void(msgr_hresult, std::string_view)> on_my_friendly_name_change;
    /// Rich presence (0.4): the contact's new activity ("" when cleared; valid for the call).
    signal<void(const Contact &, std::string_view)> on_contact_activity_change;
    /// Rich presence (0.4): hr and the user's new activity ("" when cleared; valid for the call).
    signal<void(msgr_hresult, std::string_view)> on_my_activity_change;
    /// OnIMWindowCreated / OnIMWindowDestroyed: conversation and page windows.
    signal<void(const Window &)> on_im_window_created;
    signal<void(const Window &)> on_im_window_destroyed;
    /// OnIMWindowContactAdded / Removed: a contact joined or left the window's conversation.
    signal<void(const Window &, const Contact &)> on_im_window_contact_added;
    signal<void(const Window &, const Contact &)> on_im_window_contact_removed;
    /// A message arrived in `window` from `from`. The text is valid for the call only; it is every
    /// byte the network sent (its size is the event's text_size: it may hold NULs).
    signal<void(const Window &, const Contact &, std::string_view)> on_message_received;
    /// The fate of a sent message changed: `index` is its entry in window.history(), `state`
    /// the new one (SENT, DELIVERED, READ or FAILED: only forward), hr why it failed.
    signal<void(const Window &, msgr_hresult, std::size_t, msgr_delivery_state)> on_delivery_change;
    /// A contact's chat state changed (COMPOSING: typing). The window is their conversation
    /// window, or an empty handle when none is open.
    signal<void(const Contact &, const Window &, msgr_chat_state)> on_typing;
    /// A Search finished (Search::id()); hr says whether its hits can be read.
    signal<void(std::uint64_t, msgr_hresult)> on_search_done;
    /// `count` older messages were added in front of the window's history (fetch_older
    /// answered; every index moved up by count); hr is MSGR_S_FALSE when that was the start.
    signal<void(const Window &, std::size_t, msgr_hresult)> on_history_prepended;
    /// OnAppShutdown: the Runtime is being destroyed. Its handles still work for the call.
    signal<void()> on_app_shutdown;
    /// An add-in was refused, disabled, loaded or unloaded: its index for Runtime::addins(),
    /// the result behind it, and "name: reason".
    signal<void(std::size_t, msgr_hresult, std::string_view)> on_addin_state_change;

    /// A slot threw. Receives the event type and the exception; the event's other slots still
    /// ran. With no slot connected here the exception is written to stderr. An exception thrown
    /// by a slot of this signal is ignored.
    boost::signals2::signal<void(msgr_event_type, std::exception_ptr)> on_handler_error;

    Events(const Events &) = delete;
    Events &operator=(const Events &) = delete;

  private:
    friend class Runtime;
    friend struct detail::GuardedCombiner;

    Events()
        : on_event(guard()),
          on_signin(guard()),
          on_signout(guard()),
          on_my_status_change(guard()),
          on_contact_status_change(guard()),
          on_contact_list_add(guard()),
          on_contact_list_remove(guard()),
          on_authorization_request(guard()),
          on_contact_block_change(guard()),
          on_contact_friendly_name_change(guard()),
          on_my_friendly_name_change(guard()),
          on_contact_activity_change(guard()),
          on_my_activity_change(guard()),
          on_im_window_created(guard()),
          on_im_window_destroyed(guard()),
          on_im_window_contact_added(guard()),
          on_im_window_contact_removed(guard()),
          on_message_received(guard()),
          on_delivery_change(guard()),
          on_typing(guard()),
          on_search_done(guard()),
          on_history_prepended(guard()),
          on_app_shutdown(guard()),
          on_addin_state_change(guard()) {}
    ~Events() = default;

    detail::GuardedCombiner guard() noexcept { return detail::GuardedCombiner{this}; }

    // Never throws: whatever a slot throws stops here.
    void report(const std::exception_ptr &e) noexcept {
#if MSGR_HPP_EXCEPTIONS
        try {
            if (!on_handler_error.empty()) {
                on_handler_error(current_type_, e);
                return;
            }
        } catch (...) {
            return;  // the error handler itself threw: nowhere left to report to
        }
        try {
            std::rethrow_exception(e);
        } catch (const std::exception &x) {
            (void)std::fprintf(stderr, "msgr: a handler of %s threw: %s\n",
                               event_type_name(current_type_), x.what());
        } catch (...) {
            (void)std::fprintf(stderr, "msgr: a handler of %s threw\n",
                               event_type_name(current_type_));
        }
#else
        (void)e;
#endif
    }

    // The state a DELIVERY_CHANGE reports (its status, 0.2); a runtime that leaves status 0
    // has the entry's current state.
    static msgr_delivery_state delivery_state(msgr_window *w, std::size_t index,
                                              std::int32_t status) noexcept {
        if (status != 0) return static_cast<msgr_delivery_state>(status);
        msgr_message m{};
        m.struct_size = sizeof m;
        return msgr_window_history_get(w, index, &m) == MSGR_S_OK ? m.delivery : MSGR_DELIVERY_NONE;
    }

    void dispatch(const msgr_event &ev) {
        // Fields past the end of an older runtime's msgr_event read as zero.
        const auto has = [&](std::size_t end) { return ev.struct_size >= end; };
        const msgr_hresult hr = has(offsetof(msgr_event, hr) + sizeof ev.hr) ? ev.hr : MSGR_S_OK;
        const std::int32_t status =
            has(offsetof(msgr_event, status) + sizeof ev.status) ? ev.status : 0;
        // The size of the pointer fields themselves: what an older runtime's struct ends after.
        msgr_contact *const c =  // NOLINTNEXTLINE(bugprone-sizeof-expression)
            has(offsetof(msgr_event, contact) + sizeof ev.contact) ? ev.contact : nullptr;
        msgr_window *const w =  // NOLINTNEXTLINE(bugprone-sizeof-expression)
            has(offsetof(msgr_event, window) + sizeof ev.window) ? ev.window : nullptr;
        const char *const text =
            has(offsetof(msgr_event, text) + sizeof ev.text) ? ev.text : nullptr;
        const std::size_t index = has(offsetof(msgr_event, index) + sizeof ev.index) ? ev.index : 0;
        // The text with its size (it may hold NULs); an older runtime's has no size: strlen.
        std::string_view text_view;
        if (text != nullptr) {
            text_view = has(offsetof(msgr_event, text_size) + sizeof ev.text_size)
                            ? std::string_view(text, ev.text_size)
                            : std::string_view(text);
        }

        on_event(ev);
        switch (ev.type) {
            case MSGR_EVENT_SIGNIN:
                on_signin(hr);
                break;
            case MSGR_EVENT_SIGNOUT:
                on_signout(hr);
                break;
            case MSGR_EVENT_MY_STATUS_CHANGE:
                on_my_status_change(hr, status);
                break;
            case MSGR_EVENT_CONTACT_STATUS_CHANGE:
                on_contact_status_change(Contact::borrow(c), status);
                break;
            case MSGR_EVENT_CONTACT_LIST_ADD:
                on_contact_list_add(hr, Contact::borrow(c));
                break;
            case MSGR_EVENT_CONTACT_LIST_REMOVE:
                on_contact_list_remove(hr, Contact::borrow(c));
                break;
            case MSGR_EVENT_IM_WINDOW_CREATED:
                on_im_window_created(Window::borrow(w));
                break;
            case MSGR_EVENT_IM_WINDOW_DESTROYED:
                on_im_window_destroyed(Window::borrow(w));
                break;
            case MSGR_EVENT_MESSAGE_RECEIVED:
                on_message_received(Window::borrow(w), Contact::borrow(c), text_view);
                break;
            case MSGR_EVENT_DELIVERY_CHANGE:
                on_delivery_change(Window::borrow(w), hr, index, delivery_state(w, index, status));
                break;
            case MSGR_EVENT_APP_SHUTDOWN:
                on_app_shutdown();
                break;
            case MSGR_EVENT_ADDIN_STATE_CHANGE:
                on_addin_state_change(index, hr, text_view);
                break;
            case MSGR_EVENT_TYPING:
                on_typing(Contact::borrow(c), w != nullptr ? Window::borrow(w) : Window(),
                          static_cast<msgr_chat_state>(status));
                break;
            case MSGR_EVENT_SEARCH_DONE:
                on_search_done(static_cast<std::uint64_t>(index), hr);
                break;
            case MSGR_EVENT_HISTORY_PREPENDED:
                on_history_prepended(Window::borrow(w), index, hr);
                break;
            case MSGR_EVENT_IM_WINDOW_CONTACT_ADDED:
                on_im_window_contact_added(Window::borrow(w), Contact::borrow(c));
                break;
            case MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED:
                on_im_window_contact_removed(Window::borrow(w), Contact::borrow(c));
                break;
            case MSGR_EVENT_AUTHORIZATION_REQUEST:
                on_authorization_request(Contact::borrow(c));
                break;
            case MSGR_EVENT_CONTACT_BLOCK_CHANGE:
                on_contact_block_change(Contact::borrow(c), status != 0);
                break;
            case MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE:
                on_contact_friendly_name_change(Contact::borrow(c), text_view);
                break;
            case MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE:
                on_my_friendly_name_change(hr, text_view);
                break;
            case MSGR_EVENT_CONTACT_ACTIVITY_CHANGE:
                on_contact_activity_change(Contact::borrow(c), text_view);
                break;
            case MSGR_EVENT_MY_ACTIVITY_CHANGE:
                on_my_activity_change(hr, text_view);
                break;
            case MSGR_EVENT_TYPE_COUNT_:
            default:
                break;  // a newer runtime's event: on_event saw it
        }
    }

    // The msgr_event_fn of the one C subscription; `user` is this Events. Never throws.
    static void c_callback(const msgr_event *ev, void *user) noexcept {
        auto *self = static_cast<Events *>(user);
        if (ev == nullptr || self == nullptr) return;
        const msgr_event_type outer = self->current_type_;
        self->current_type_ = ev->type;
        ++self->depth_;
#if MSGR_HPP_EXCEPTIONS
        try {
            self->dispatch(*ev);
        } catch (...) {
            self->report(std::current_exception());  // e.g. std::bad_alloc outside any slot
        }
#else
        self->dispatch(*ev);
#endif
        --self->depth_;
        self->current_type_ = outer;
        if (ev->type == MSGR_EVENT_APP_SHUTDOWN) self->shut_down_ = true;
        // A Runtime destroyed from one of its own slots left its Events to us: the last event
        // (AppShutdown, raised when the deferred destruction completes) frees it.
        if (self->orphaned_ && self->shut_down_ && self->depth_ == 0) delete self;
    }

    int depth_ = 0;          // nesting of c_callback
    bool orphaned_ = false;  // the Runtime is gone; this frees itself after AppShutdown
    bool shut_down_ = false;
    msgr_event_type current_type_ = static_cast<msgr_event_type>(0);
};

template <typename It>
void detail::GuardedCombiner::operator()(It first, It last) const {
    for (; first != last; ++first) {
#if MSGR_HPP_EXCEPTIONS
        try {
            *first;
        } catch (const boost::signals2::expired_slot &) {
            // a tracked object died during the call: the slot is skipped, as Signals2 does
        } catch (...) {
            if (events != nullptr) events->report(std::current_exception());
        }
#else
        *first;
#endif
    }
}

// ---- The runtime ----------------------------------------------------------------------------

/// A runtime instance: owns an msgr_runtime and the signals its events feed. Movable (the
/// signals and the connections to them move along), not copyable. Destroying it raises
/// on_app_shutdown, stops its services and disconnects every handle still held.
class Runtime {
  public:
    /// An empty Runtime (as a moved-from one is): only destruction, assignment and
    /// operator bool may be used.
    Runtime() noexcept = default;

    /// Creates a runtime owned by the calling thread. config_path is a TOML file, or NULL for
    /// the embedded defaults (the loopback service). MSGR_E_FILE_NOT_FOUND / MSGR_E_INVALID_DATA
    /// for a missing or malformed file; msgr::last_error() says where.
    static Result<Runtime> create(const StringArg &config_path = nullptr) {
        if (!config_path.valid()) {
            return Result<Runtime>(
                detail::refuse(MSGR_E_INVALIDARG, "the configuration path holds an embedded NUL"));
        }
        msgr_runtime *raw = nullptr;
        msgr_hresult hr = msgr_runtime_create(config_path.c_str(), &raw);
        if (failed(hr)) return Result<Runtime>(hr);
        Runtime rt;
        rt.rt_ = raw;
        rt.live_ = std::make_shared<msgr_runtime *>(raw);
        rt.events_ = new Events();
        msgr_subscription sub = 0;
        hr = msgr_subscribe(raw, static_cast<msgr_event_type>(0), &Events::c_callback, rt.events_,
                            &sub);
        if (failed(hr)) return Result<Runtime>(hr);  // rt's destructor cleans up
        return {MSGR_S_OK, std::move(rt)};
    }

    Runtime(const Runtime &) = delete;
    Runtime &operator=(const Runtime &) = delete;
    Runtime(Runtime &&o) noexcept
        : rt_(std::exchange(o.rt_, nullptr)),
          live_(std::move(o.live_)),
          events_(std::exchange(o.events_, nullptr)) {}
    Runtime &operator=(Runtime &&o) noexcept {
        if (this != &o) {
            reset();
            rt_ = std::exchange(o.rt_, nullptr);
            live_ = std::move(o.live_);
            events_ = std::exchange(o.events_, nullptr);
        }
        return *this;
    }
    ~Runtime() { reset(); }

    /// Destroys the runtime now (as the destructor does); the Runtime is empty afterwards.
    void reset() noexcept {
        if (rt_ == nullptr) return;
        msgr_runtime *const rt = std::exchange(rt_, nullptr);
        Events *const events = std::exchange(events_, nullptr);
        if (live_) *live_ = nullptr;  // a Search that outlives us has nothing to give back
        live_.reset();
        if (events->depth_ > 0) {
            // Inside one of our own slots: the C runtime defers the destruction until the
            // tick returns and raises AppShutdown then, so the signals must outlive us.
            events->orphaned_ = true;
            msgr_runtime_destroy(rt);
            return;
        }
        msgr_runtime_destroy(rt);  // raises AppShutdown through `events`
        delete events;
    }

    explicit operator bool() const noexcept { return rt_ != nullptr; }
    /// The C handle, for calls this API does not wrap. Still owned by this Runtime.
    msgr_runtime *native_handle() const noexcept { return rt_; }

    /// The event signals. Precondition: the Runtime is not empty.
    Events &events() const noexcept {
        assert(events_ != nullptr && "msgr::Runtime::events() on an empty Runtime");
        return *events_;
    }

    /// Drains the work services posted and raises the events. Call once a frame, on the owner
    /// thread. S_OK, or S_FALSE when work is left for the next tick.
    Result<> tick() noexcept { return msgr_runtime_tick(rt_); }

    /// Whether windows may take keyboard focus (default: yes). When they may not,
    /// instant_message and page still open the window and answer MSGR_S_FALSE.
    Result<> set_focus_allowed(bool allowed) noexcept {
        return msgr_set_focus_allowed(rt_, allowed);
    }

    /// Starts signing in; on_signin reports the result from a later tick.
    Result<> signin(const StringArg &signin_name, const StringArg &password = "") {
        if (!signin_name.valid() || !password.valid()) {
            return detail::refuse(MSGR_E_INVALIDARG,
                                  "the sign-in name or the password holds an embedded NUL");
        }
        return msgr_signin(rt_, signin_name.c_str(), password.c_str());
    }
    /// Signs out: closes every window; on_signout reports it.
    Result<> signout() noexcept { return msgr_signout(rt_); }
    /// The user's MISTATUS.
    Result<std::int32_t> my_status() const {
        std::int32_t s = MSGR_STATUS_UNKNOWN;
        const msgr_hresult hr = msgr_my_status(rt_, &s);
        return {hr, s};
    }
    /// MSGR_S_ALREADY_IN_THE_MODE when unchanged.
    Result<> set_my_status(std::int32_t status) noexcept { return msgr_set_my_status(rt_, status); }
    /// MSGR_E_NOT_LOGGED_ON when not signed in.
    Result<std::string> my_signin_name() const { return string_(msgr_my_signin_name); }
    /// The primary service's id ("loopback" in the embedded defaults).
    Result<std::string> my_service_id() const { return string_(msgr_my_service_id); }

    /// The sign-in dialog's visibility, set by the UI layer (Page fails while it shows).
    Result<> set_signin_dialog_visible(bool visible) noexcept {
        return msgr_set_signin_dialog_visible(rt_, visible);
    }
    Result<bool> signin_dialog_visible() const {
        int v = 0;
        const msgr_hresult hr = msgr_signin_dialog_visible(rt_, &v);
        return {hr, v != 0};
    }

    /// The contact with this sign-in name on a service (nullptr: the primary service), created
    /// on demand; the same name always gives the same contact.
    Result<Contact> get_contact(const StringArg &signin_name,
                                const StringArg &service_id = nullptr) {
        if (!signin_name.valid() || !service_id.valid()) {
            return Result<Contact>(detail::refuse(
                MSGR_E_INVALIDARG, "the sign-in name or the service id holds an embedded NUL"));
        }
        msgr_contact *c = nullptr;
        const msgr_hresult hr = msgr_get_contact(rt_, signin_name.c_str(), service_id.c_str(), &c);
        return {hr, Contact::adopt(c)};
    }
    /// The user's contact list (IMessenger::MyContacts).
    Result<std::vector<Contact>> my_contacts() const {
        return contacts(&msgr_my_contacts_count, &msgr_my_contacts_get);
    }
    /// The requests waiting for authorize (0.4), oldest first: until answered, dropped by a
    /// block, or the sign-out.
    Result<std::vector<Contact>> authorization_requests() const {
        return contacts(&msgr_authorization_requests_count, &msgr_authorization_requests_get);
    }

    /// IMessenger::AddContact (0.4): asks the service (nullptr: the primary) to add the contact
    /// to the user's list; on_contact_list_add answers with its hr. MSGR_E_ALREADY_IN_LIST,
    /// MSGR_E_FAIL for the local user, MSGR_S_FALSE while asked already (msgr.h has the order).
    Result<> add_contact(const StringArg &signin_name, const StringArg &service_id = nullptr) {
        if (!signin_name.valid() || !service_id.valid()) {
            return detail::refuse(MSGR_E_INVALIDARG,
                                  "the sign-in name or the service id holds an embedded NUL");
        }
        return msgr_add_contact(rt_, signin_name.c_str(), service_id.c_str());
    }
    /// Takes the contact off the list (on_contact_list_remove); MSGR_S_FALSE when not on it.
    Result<> remove_contact(const Contact &contact) noexcept {
        return msgr_remove_contact(rt_, contact.get());
    }
    /// Answers the contact's request (on_authorization_request): accept or decline.
    Result<> authorize(const Contact &contact, bool accept) noexcept {
        return msgr_authorize(rt_, contact.get(), accept ? 1 : 0);
    }
    /// IMessenger::MyFriendlyName (0.4): the name the user's contacts see.
    Result<std::string> my_friendly_name() const { return string_(msgr_my_friendly_name); }
    /// Sets it (on_my_friendly_name_change); MSGR_S_FALSE when unchanged.
    Result<> set_my_friendly_name(const StringArg &name) {
        if (!name.valid())
            return detail::refuse(MSGR_E_INVALIDARG, "the name holds an embedded NUL");
        return msgr_set_my_friendly_name(rt_, name.c_str());
    }
    /// Rich presence (0.4): what the user is doing in the game ("" when nothing).
    Result<std::string> my_activity() const { return string_(msgr_my_activity); }
    /// Sets it for every service that carries it (on_my_activity_change); an empty text (or
    /// nullptr) clears it; MSGR_S_FALSE when unchanged.
    Result<> set_my_activity(const StringArg &text) {
        if (!text.valid())
            return detail::refuse(MSGR_E_INVALIDARG, "the activity holds an embedded NUL");
        return msgr_set_my_activity(rt_, text.c_str());
    }

    /// Every add-in the runtime found, in discovery order, with its state and the reason for it.
    Result<std::vector<AddinInfo>> addins() const {
        std::size_t n = 0;
        msgr_hresult hr = msgr_addin_count(rt_, &n);
        std::vector<AddinInfo> out;
        if (failed(hr)) return {hr, std::move(out)};
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            msgr_addin_info info{};
            info.struct_size = sizeof info;
            hr = msgr_addin_get_info(rt_, i, &info);
            if (failed(hr)) return {hr, std::vector<AddinInfo>()};
            auto str = [](const char *p) { return std::string(p != nullptr ? p : ""); };
            out.push_back({info.state, info.result, info.provides, str(info.name),
                           str(info.version), str(info.description), str(info.path),
                           str(info.reason), info.abi_major, info.abi_minor});
        }
        return {MSGR_S_OK, std::move(out)};
    }
    /// Unloads a loaded add-in by name; MSGR_E_BUSY while it is in use or depended on.
    Result<> unload_addin(const StringArg &name) noexcept {
        if (!name.valid())
            return detail::refuse(MSGR_E_INVALIDARG, "the add-in name holds an embedded NUL");
        return msgr_addin_unload(rt_, name.c_str());
    }

    /// IMessenger::InstantMessage: opens (or returns the open) conversation window with a
    /// contact, given by sign-in name or as a Contact. Result codes as in msgr.h, among them
    /// MSGR_E_INVALIDARG, MSGR_E_NOT_LOGGED_ON, MSGR_E_FAIL (the local user, the window cap) and
    /// MSGR_S_FALSE (opened without focus).
    Result<Window> instant_message(const ContactArg &contact) {
        return window_(msgr_instant_message, contact);
    }
    /// IMessenger::Page: opens (or returns the open) page window to a mobile-enabled contact.
    /// MSGR_E_NOTIMPL without a paging add-in, MSGR_E_PAGING_UNAVAILABLE for a contact without
    /// mobile services, and the rest as msgr.h lists.
    Result<Window> page(const ContactArg &contact) { return window_(msgr_page, contact); }
    /// The late-bound entry point scripting languages use ("InstantMessage"; "Page" answers
    /// MSGR_E_NOTIMPL there, as documented).
    Result<Window> script_invoke(const StringArg &method, const ContactArg &contact) {
        if (!method.valid() || !contact.valid()) {
            return Result<Window>(detail::refuse(
                MSGR_E_INVALIDARG, "the method name or vContact holds an embedded NUL"));
        }
        msgr_window *w = nullptr;
        const msgr_hresult hr = msgr_script_invoke(rt_, method.c_str(), contact.variant(), &w);
        return {hr, Window::adopt(w)};
    }

    /// Starts a full-text search of the account's history (every word must occur; the last
    /// one as a prefix; case- and accent-insensitive), at most max_results hits (1..1000),
    /// newest first. Its hits can be read after Events::on_search_done(search.id(), hr).
    /// MSGR_E_INVALIDARG for an empty query, MSGR_E_NOT_LOGGED_ON, MSGR_E_FAIL with history off.
    Result<Search> search(const StringArg &query, std::size_t max_results = 100) {
        if (!query.valid()) {
            return Result<Search>(
                detail::refuse(MSGR_E_INVALIDARG, "the search query holds an embedded NUL"));
        }
        std::uint64_t id = 0;
        const msgr_hresult hr = msgr_history_search(rt_, query.c_str(), max_results, &id);
        if (failed(hr)) return Result<Search>(hr);
        return {hr, Search(live_, id)};
    }
    /// Forgets the signed-in account's whole history (every conversation, store and windows).
    Result<> forget_all_history() noexcept { return msgr_history_forget_all(rt_); }

  private:
    Result<std::string> string_(msgr_hresult (*fn)(msgr_runtime *, const char **)) const {
        const char *s = nullptr;
        const msgr_hresult hr = fn(rt_, &s);
        return {hr, succeeded(hr) && s != nullptr ? std::string(s) : std::string()};
    }
    Result<Window> window_(msgr_hresult (*fn)(msgr_runtime *, msgr_variant, msgr_window **),
                           const ContactArg &contact) {
        if (!contact.valid()) {
            return Result<Window>(detail::refuse(
                MSGR_E_INVALIDARG, "vContact: the sign-in name holds an embedded NUL"));
        }
        msgr_window *w = nullptr;
        const msgr_hresult hr = fn(rt_, contact.variant(), &w);
        return {hr, Window::adopt(w)};
    }
    // A list of the runtime's contacts, through its count and get functions.
    Result<std::vector<Contact>> contacts(msgr_hresult (*count)(msgr_runtime *, std::size_t *),
                                          msgr_hresult (*get)(msgr_runtime *, std::size_t,
                                                              msgr_contact **)) const {
        std::size_t n = 0;
        msgr_hresult hr = count(rt_, &n);
        std::vector<Contact> out;
        if (failed(hr)) return {hr, std::move(out)};
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            msgr_contact *c = nullptr;
            hr = get(rt_, i, &c);
            if (failed(hr)) return {hr, std::vector<Contact>()};
            out.push_back(Contact::adopt(c));
        }
        return {MSGR_S_OK, std::move(out)};
    }

    msgr_runtime *rt_ = nullptr;
    std::shared_ptr<msgr_runtime *> live_;  // shared with every Search; cleared at reset()
    Events *events_ = nullptr;              // heap: the C subscription's user pointer must not move
};

// ---- Logging --------------------------------------------------------------------------------

/// A process-wide log handler (msgr_set_log_handler). It may be called from any thread, and
/// concurrently with the host's own threads; an exception it throws is swallowed. An empty
/// function restores the default, which is silent.
using LogHandler = std::function<void(msgr_log_level, std::string_view)>;

namespace detail {
struct LogState {
    std::mutex mutex;
    std::unique_ptr<LogHandler> handler;
    static LogState &get() {
        static LogState state;
        return state;
    }
};
inline void log_callback(msgr_log_level level, const char *message, void *user) noexcept {
#if MSGR_HPP_EXCEPTIONS
    try {
        (*static_cast<LogHandler *>(user))(level, message != nullptr ? message : "");
    } catch (...) {
    }
#else
    (*static_cast<LogHandler *>(user))(level, message != nullptr ? message : "");
#endif
}
}  // namespace detail

inline void set_log_handler(LogHandler handler) {
    auto &state = detail::LogState::get();
    const std::lock_guard<std::mutex> lock(state.mutex);
    std::unique_ptr<LogHandler> next;
    if (handler) next = std::make_unique<LogHandler>(std::move(handler));
    if (next) {
        msgr_set_log_handler(&detail::log_callback, next.get());
    } else {
        msgr_set_log_handler(nullptr, nullptr);
    }
    // The runtime calls its handler under its own lock, which msgr_set_log_handler takes too:
    // once it returned, nobody is inside the old handler any more.
    state.handler = std::move(next);
}

// ---- The UI surface -------------------------------------------------------------------------

/// What only the user's own input may do (msgr/ui.h): for the layer that draws the windows,
/// never for automation. "Clicking the Send button ... cannot be automated."
namespace ui {
/// The user pressed Send in `window`: appends the message to its history and hands it to the
/// service; on_delivery_change reports its fate. The value is the message's history index.
inline Result<std::size_t> send(const Window &window, const StringArg &text) {
    if (!text.valid()) {
        return Result<std::size_t>(
            detail::refuse(MSGR_E_INVALIDARG, "the message holds an embedded NUL"));
    }
    std::size_t index = 0;
    const msgr_hresult hr = msgr_ui_send(window.get(), text.c_str(), &index);
    return {hr, index};
}
/// The user saw the window's history up to entry last_index (the drawing layer drew it while
/// the window was visible): incoming entries up to it become MSGR_MESSAGE_SEEN and the contact
/// is told they were read.
inline Result<> history_seen(const Window &window, std::size_t last_index) noexcept {
    return msgr_ui_history_seen(window.get(), last_index);
}
/// The user's own chat state in the window (COMPOSING while typing, PAUSED, ACTIVE, INACTIVE,
/// GONE); the contact is told when it changed.
inline Result<> set_chat_state(const Window &window, msgr_chat_state state) noexcept {
    return msgr_ui_set_chat_state(window.get(), state);
}
/// The longest page the paging add-in accepts, in UTF-16 units; MSGR_E_NOTIMPL without one.
inline Result<std::size_t> max_page_length(const Runtime &rt) {
    std::size_t n = 0;
    const msgr_hresult hr = msgr_ui_max_page_length(rt.native_handle(), &n);
    return {hr, n};
}
}  // namespace ui

}  // namespace msgr

/// Contacts and windows hash by identity, so they can key unordered containers.
namespace std {
template <>
struct hash<msgr::Contact> {
    std::size_t operator()(const msgr::Contact &c) const noexcept {
        return std::hash<const void *>()(c.get());
    }
};
template <>
struct hash<msgr::Window> {
    std::size_t operator()(const msgr::Window &w) const noexcept {
        return std::hash<const void *>()(w.get());
    }
};
}  // namespace std

#endif  // MSGR_MSGR_HPP

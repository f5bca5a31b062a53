// The C ABI: pointer and thread checks, exception barriers, and the handles' reference counts.
// Everything semantic is in Runtime.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>

#include "addins/code_running.hpp"
#include "c_api_internal.hpp"
#include "c_enum.hpp"
#include "error.hpp"
#include "msgr/addin.h"
#include "msgr/msgr.h"
#include "msgr/ui.h"
#include "runtime.hpp"
#include "text.hpp"

using msgr::core::ContactRef;
using msgr::core::fail;
using msgr::core::HandleKind;
using msgr::core::Runtime;
using msgr::core::WindowManager;
using msgr::core::WindowRef;

struct msgr_runtime {
    std::unique_ptr<Runtime> impl;
    bool destroy_requested = false;  // msgr_runtime_destroy was called from a callback
    bool destroying = false;         // inside msgr_runtime_destroy (AppShutdown is being raised)
};

msgr::core::Runtime *msgr::core::runtime_of(msgr_runtime *rt) noexcept {
    return rt == nullptr ? nullptr : rt->impl.get();
}

void intrusive_ptr_add_ref(msgr_contact *c) noexcept {
    c->refs.fetch_add(1, std::memory_order_relaxed);
}
void intrusive_ptr_release(msgr_contact *c) noexcept {
    if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
}
void intrusive_ptr_add_ref(msgr_window *w) noexcept {
    w->refs.fetch_add(1, std::memory_order_relaxed);
}
void intrusive_ptr_release(msgr_window *w) noexcept {
    if (w->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete w;
}

// ---- handles ----------------------------------------------------------------------------------
//
// A handle is the address of its object (in-tree code reads the object behind it), so a host
// that releases a handle twice, or calls through one after its last release, hands the library
// an address it may have freed already -- and a second release of an open window used to drop
// the runtime's own reference, freeing the window under the runtime. Two things turn every such
// misuse into a refused call and a log line (msgr_set_log_handler, level ERROR):
//
//  1. The host's references are counted apart from the library's (host_refs, objects.hpp); all
//     of them together hold one library reference. A release when the host holds none is
//     refused, so it can never take a reference the runtime, an event or a delivery relies on.
//  2. Every address that comes from the host is looked up in this registry of live objects,
//     under its lock, before it is dereferenced, and pinned (one more reference) for the length
//     of the call, so a release on another thread cannot free it under the call. An address
//     that is not there (its object is gone) or holds the other kind of object is refused
//     without being read.
//
// Each object has a generation (a serial, never reused) that the log lines name. A pointer
// cannot carry a generation of its own, so an address the allocator has already given to a new
// object of the same kind is that object's: memory-safe, but not detectable. Retaining freed
// addresses to rule that out would keep memory that a host's leak accounting sees as leaked.
namespace msgr::core {
namespace {

struct HandleRegistry {
    std::mutex mutex;
    std::unordered_map<const void *, HandleKind> live;
    std::uint64_t next_generation = 1;
};

// Never destroyed: a host may release handles from its own static destructors.
HandleRegistry &registry() {
    static auto *r = new HandleRegistry;
    return *r;
}

const char *kind_name(HandleKind kind) noexcept {
    return kind == HandleKind::window ? "window" : "contact";
}

}  // namespace

namespace {
std::atomic<std::uint64_t> g_tick_serial{1};
}  // namespace

std::uint64_t tick_serial() noexcept {
    return g_tick_serial.load(std::memory_order_relaxed);
}

void next_tick() noexcept {
    g_tick_serial.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t register_handle(const void *p, HandleKind kind) {
    HandleRegistry &r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    const std::uint64_t generation = r.next_generation++;
    r.live.insert_or_assign(p, kind);
    return generation;
}

void retire_handle(void *p) noexcept {
    HandleRegistry &r = registry();
    {
        const std::lock_guard<std::mutex> lock(r.mutex);
        r.live.erase(p);  // from here on the address is refused
    }
    ::operator delete(p);
}

}  // namespace msgr::core

namespace {

using msgr::core::kind_name;
using msgr::core::registry;

// Logs a misuse of the API by the host (at ERROR: it is a bug in the host) and refuses it.
msgr_hresult misuse(const std::string &what) {
    msgr::core::log(MSGR_LOG_ERROR, what);
    return fail(MSGR_E_INVALIDARG, what);
}

// The object behind a handle the host passed, pinned for the call; null (and why) when the
// address is not a live object of that kind.
template <typename T>
boost::intrusive_ptr<T> pin(T *p, HandleKind kind, std::string &why) {
    auto &r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.live.find(p);
    // Built only on a refusal: a call that succeeds allocates nothing (a steady frame).
    const auto gone = [&] {
        return std::string("is not a live ") + kind_name(kind) +
               " handle: its last reference was given back, or it never was one";
    };
    if (it == r.live.end() || it->second != kind) {
        why = gone();
        return nullptr;
    }
    // Registered: the memory is there (retire_handle waits for this lock). refs is 0 only on
    // the way to retire_handle: the object is dying, not to be revived.
    std::uint32_t n = p->refs.load(std::memory_order_relaxed);
    do {
        if (n == 0) {
            why = gone();
            return nullptr;
        }
    } while (!p->refs.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
    return boost::intrusive_ptr<T>(p, false);  // adopts the reference just taken
}

// A handle whose host references were all given back, and that the runtime has not lent since
// the last tick: the host released it, so a call through it is refused (though the runtime may
// still keep the object, an open window for one). Owner thread only.
template <typename T>
bool released_by_host(const T *p) noexcept {
    return p->host_refs.load(std::memory_order_acquire) == 0 &&
           p->lent_at != msgr::core::tick_serial();
}

std::string released_text(HandleKind kind) {
    return std::string("the ") + kind_name(kind) +
           " was released: the host gave its last reference back (a pointer an event or "
           "msgr_ui_window_get lends stays usable until the next tick; add_ref to keep one)";
}

// msgr_*_add_ref and msgr_*_release return nothing, so nothing may escape them: a refusal that
// cannot even allocate its reason is dropped silently.
template <typename T>
void add_host_ref(T *p, HandleKind kind, const char *fn) noexcept try {
    std::string why;
    const boost::intrusive_ptr<T> pinned = pin(p, kind, why);
    if (!pinned) {
        (void)misuse(std::string(fn) + ": the " + kind_name(kind) + " " + why + "; refused");
        return;
    }
    if (std::this_thread::get_id() == p->owner && released_by_host(p)) {
        (void)misuse(std::string(fn) + ": " + released_text(kind) + "; refused");
        return;
    }
    if (p->host_refs.fetch_add(1, std::memory_order_acq_rel) == 0)
        intrusive_ptr_add_ref(p);  // the reference that stands for all of the host's
} catch (...) {
}

template <typename T>
void release_host_ref(T *p, HandleKind kind, const char *fn) noexcept try {
    std::string why;
    const boost::intrusive_ptr<T> pinned = pin(p, kind, why);
    if (!pinned) {
        (void)misuse(std::string(fn) + ": the " + kind_name(kind) + " " + why +
                     "; nothing released");
        return;
    }
    std::uint32_t n = p->host_refs.load(std::memory_order_relaxed);
    do {
        if (n == 0) {
            (void)misuse(std::string(fn) + ": " + kind_name(kind) + " #" +
                         std::to_string(p->generation) +
                         " was released more times than it was handed out or add_ref'd; "
                         "refused (the runtime's own reference is kept)");
            return;
        }
    } while (!p->host_refs.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel));
    if (n == 1) intrusive_ptr_release(p);  // the host's last: its share goes
    // the pin goes last, and may free the object
} catch (...) {
}

// Gives the caller a reference of its own (what every handle an out-pointer returns carries).
template <typename T>
T *hand_out(boost::intrusive_ptr<T> p) {
    T *raw = p.get();
    if (raw != nullptr && raw->host_refs.fetch_add(1, std::memory_order_acq_rel) == 0)
        (void)p.detach();  // the first: this reference becomes the host's share
    return raw;            // otherwise p gives its reference back here
}

// Runs f, turning any exception into a result code: nothing C++ crosses the C boundary.
template <typename F>
msgr_hresult guarded(F &&f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return fail(MSGR_E_OUTOFMEMORY, "out of memory");
    } catch (const std::exception &e) {
        return fail(MSGR_E_UNEXPECTED, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail(MSGR_E_UNEXPECTED, "internal error");
    }
}

msgr_hresult wrong_thread() {
    return fail(MSGR_RPC_E_WRONG_THREAD,
                "called from a thread other than the runtime's owner thread");
}

template <typename F>
msgr_hresult with_runtime(msgr_runtime *rt, F &&f) noexcept {
    if (rt == nullptr || !rt->impl) return fail(MSGR_E_INVALIDARG, "the runtime is NULL");
    if (!rt->impl->on_owner_thread()) return wrong_thread();
    return guarded([&] { return f(*rt->impl); });
}

// f(msgr_window&, Runtime*): the runtime is NULL when the window is closed.
template <typename F>
msgr_hresult with_window(msgr_window *w, F &&f) noexcept {
    if (w == nullptr) return fail(MSGR_E_INVALIDARG, "the window is NULL");
    return guarded([&] {
        std::string why;
        const WindowRef pinned = pin(w, HandleKind::window, why);
        if (!pinned) return misuse("the window " + why);
        if (std::this_thread::get_id() != w->owner) return wrong_thread();
        if (released_by_host(w)) return misuse(released_text(HandleKind::window));
        if (w->state == msgr_window::State::disconnected) {
            return fail(MSGR_RPC_E_DISCONNECTED,
                        "the window was dereferenced when the client went offline; release it");
        }
        return f(*w, w->rt);
    });
}

template <typename F>
msgr_hresult with_open_window(msgr_window *w, F &&f) noexcept {
    return with_window(w, [&](msgr_window &win, Runtime *rt) -> msgr_hresult {
        if (rt == nullptr) return fail(MSGR_E_FAIL, "the window is closed");
        return f(win, *rt);
    });
}

template <typename F>
msgr_hresult with_contact(msgr_contact *c, F &&f) noexcept {
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "the contact is NULL");
    return guarded([&] {
        std::string why;
        const ContactRef pinned = pin(c, HandleKind::contact, why);
        if (!pinned) return misuse("the contact " + why);
        if (std::this_thread::get_id() != c->owner) return wrong_thread();
        if (released_by_host(c)) return misuse(released_text(HandleKind::contact));
        if (c->rt == nullptr) return fail(MSGR_RPC_E_DISCONNECTED, "the contact's runtime is gone");
        return f(*c, *c->rt);
    });
}

// A vContact that names a contact object: checked against the registry (and pinned in `pinned`
// for the call) before the runtime reads it. S_OK for every other variant: the runtime checks it.
msgr_hresult pin_variant(const msgr_variant &v, ContactRef &pinned) {
    if (msgr::core::raw_enum(v.vt) != MSGR_VT_DISPATCH || v.contact == nullptr) return MSGR_S_OK;
    std::string why;
    pinned = pin(v.contact, HandleKind::contact, why);
    if (!pinned) return misuse("vContact: the contact " + why);
    if (std::this_thread::get_id() == v.contact->owner && released_by_host(v.contact))
        return misuse("vContact: " + released_text(HandleKind::contact));
    return MSGR_S_OK;
}

msgr_hresult null_out() {
    return fail(MSGR_RPC_X_NULL_REF_POINTER, "the out-pointer is NULL");
}

// Out-pointers are cleared before any check, so that every failure leaves them NULL or 0.
template <typename T>
void clear_out(T *out) noexcept {
    if (out != nullptr) *out = T{};
}
// A struct the library fills (msgr.h, "struct_size"): zeroes the fields the caller's struct_size
// covers, and leaves struct_size itself as the caller set it.
template <typename T>
void clear_struct(T *out) noexcept {
    if (out == nullptr) return;
    const std::size_t n = std::min<std::size_t>(out->struct_size, sizeof(T));
    const std::size_t at = sizeof out->struct_size;
    if (n > at) std::memset(reinterpret_cast<unsigned char *>(out) + at, 0, n - at);
}
// Copies the fields of `full` that the caller's struct_size covers into *out, keeping the
// caller's struct_size; E_INVALIDARG when struct_size does not cover the first version's fields
// (up to `min_size`).
template <typename T>
msgr_hresult fill_struct(T *out, const T &full, std::size_t min_size, const char *name) {
    const std::uint32_t n = out->struct_size;
    if (n < min_size) {
        return fail(MSGR_E_INVALIDARG, std::string(name) + ".struct_size is " + std::to_string(n) +
                                           ", smaller than its first version (" +
                                           std::to_string(min_size) + "); set it to sizeof(" +
                                           name + ")");
    }
    const std::size_t at = sizeof out->struct_size;
    std::memcpy(reinterpret_cast<unsigned char *>(out) + at,
                reinterpret_cast<const unsigned char *>(&full) + at,
                std::min<std::size_t>(n, sizeof(T)) - at);
    return MSGR_S_OK;
}

// The first version of msgr_ui_window_info ended with history_count: a caller built against that
// header keeps working when the struct grows (sizeof would refuse every such caller then).
constexpr std::size_t kUiWindowInfoV1Size =
    offsetof(msgr_ui_window_info, history_count) + sizeof(msgr_ui_window_info::history_count);

}  // namespace

// The definitions take C linkage from their declarations in msgr.h and ui.h.

#define MSGR_STRINGIFY_(x) #x
#define MSGR_STRINGIFY(x) MSGR_STRINGIFY_(x)

const char *msgr_version(void) {
    // From msgr.h's macros, the one source of the version (CMake reads them too).
    return MSGR_STRINGIFY(MSGR_VERSION_MAJOR) "." MSGR_STRINGIFY(
        MSGR_VERSION_MINOR) "." MSGR_STRINGIFY(MSGR_VERSION_PATCH);
}

const char *msgr_last_error(void) {
    return msgr::core::last_error();
}

msgr_hresult msgr_set_last_error(msgr_hresult hr, const char *reason) {
    try {
        return fail(hr, reason != nullptr ? reason : "");
    } catch (...) {
        return hr;  // no memory for the reason: the code still says what happened
    }
}

void msgr_set_log_handler(msgr_log_fn fn, void *user) {
    msgr::core::set_log_handler(fn, user);
}

// ---- the runtime ----

msgr_hresult msgr_runtime_create(const char *config_path, msgr_runtime **out) {
    if (out == nullptr) return null_out();
    *out = nullptr;
    return guarded([&] {
        std::unique_ptr<Runtime> impl;
        const msgr_hresult hr = Runtime::create(config_path, impl);
        if (MSGR_FAILED(hr)) return hr;
        *out = new msgr_runtime{std::move(impl)};
        return MSGR_S_OK;
    });
}

void msgr_runtime_destroy(msgr_runtime *rt) {
    if (rt == nullptr) return;
    // Called again from an AppShutdown callback: the destruction under way finishes the job.
    if (rt->destroying) return;
    if (rt->impl && !rt->impl->on_owner_thread()) {
        (void)wrong_thread();
        msgr::core::log(MSGR_LOG_ERROR,
                        "msgr_runtime_destroy called off the owner thread: refused");
        return;
    }
    if (rt->impl && rt->impl->in_callback()) {
        rt->destroy_requested = true;  // finished when the tick that called back returns
        return;
    }
    rt->destroying = true;
    try {
        // AppShutdown's handlers see a whole runtime: they may still read state or release.
        if (rt->impl) rt->impl->announce_shutdown();
        rt->impl.reset();
    } catch (...) {
        msgr::core::log(MSGR_LOG_ERROR, "error while destroying the runtime");
    }
    delete rt;
}

msgr_hresult msgr_runtime_tick(msgr_runtime *rt) {
    const msgr_hresult hr = with_runtime(rt, [](Runtime &r) { return r.tick(); });
    if (rt != nullptr && rt->destroy_requested && rt->impl && !rt->impl->in_callback()) {
        rt->destroy_requested = false;
        msgr_runtime_destroy(rt);
    }
    return hr;
}

msgr_hresult msgr_set_focus_allowed(msgr_runtime *rt, int allowed) {
    return with_runtime(rt, [&](Runtime &r) {
        r.set_focus_allowed(allowed != 0);
        return MSGR_S_OK;
    });
}

// ---- sign-in ----

msgr_hresult msgr_signin(msgr_runtime *rt, const char *signin_name, const char *password) {
    return with_runtime(rt, [&](Runtime &r) { return r.signin(signin_name, password); });
}

msgr_hresult msgr_signout(msgr_runtime *rt) {
    return with_runtime(rt, [&](Runtime &r) { return r.signout(); });
}

msgr_hresult msgr_my_status(msgr_runtime *rt, int32_t *out_status) {
    clear_out(out_status);
    return with_runtime(rt, [&](Runtime &r) {
        if (out_status == nullptr) return null_out();
        *out_status = r.my_status();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_set_my_status(msgr_runtime *rt, int32_t status) {
    return with_runtime(rt, [&](Runtime &r) { return r.set_my_status(status); });
}

msgr_hresult msgr_my_signin_name(msgr_runtime *rt, const char **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        if (!r.signed_in()) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
        *out = r.my_signin_name().c_str();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_my_service_id(msgr_runtime *rt, const char **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        *out = r.primary_service_id().c_str();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_set_signin_dialog_visible(msgr_runtime *rt, int visible) {
    return with_runtime(rt, [&](Runtime &r) {
        r.set_signin_dialog_visible(visible != 0);
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_signin_dialog_visible(msgr_runtime *rt, int *out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        *out = r.signin_dialog_visible() ? 1 : 0;
        return MSGR_S_OK;
    });
}

// ---- contacts ----

msgr_hresult msgr_get_contact(msgr_runtime *rt, const char *signin_name, const char *service_id,
                              msgr_contact **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        ContactRef c;
        const msgr_hresult hr = r.get_contact(signin_name, service_id, c);
        if (MSGR_SUCCEEDED(hr)) *out = hand_out(std::move(c));
        return hr;
    });
}

namespace {
// msgr_my_contacts_count/_get and msgr_authorization_requests_count/_get: a list of the runtime's
// contacts, counted and handed out by index.
template <typename List>
msgr_hresult contacts_count(msgr_runtime *rt, size_t *out, List &&list) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        *out = list(r).size();
        return MSGR_S_OK;
    });
}
template <typename List>
msgr_hresult contacts_get(msgr_runtime *rt, size_t index, msgr_contact **out, List &&list) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        const auto &contacts = list(r);
        if (index >= contacts.size()) return fail(MSGR_E_INVALIDARG, "index out of range");
        *out = hand_out(contacts[index]);
        return MSGR_S_OK;
    });
}
const std::vector<ContactRef> &listed(const Runtime &r) {
    return r.contact_list();
}
const std::vector<ContactRef> &asking(const Runtime &r) {
    return r.authorization_requests();
}
}  // namespace

msgr_hresult msgr_my_contacts_count(msgr_runtime *rt, size_t *out) {
    return contacts_count(rt, out, listed);
}

msgr_hresult msgr_my_contacts_get(msgr_runtime *rt, size_t index, msgr_contact **out) {
    return contacts_get(rt, index, out, listed);
}

msgr_hresult msgr_authorization_requests_count(msgr_runtime *rt, size_t *out) {
    return contacts_count(rt, out, asking);
}

msgr_hresult msgr_authorization_requests_get(msgr_runtime *rt, size_t index, msgr_contact **out) {
    return contacts_get(rt, index, out, asking);
}

namespace {
template <typename F>
msgr_hresult contact_string(msgr_contact *c, const char **out, F &&field) {
    clear_out(out);
    return with_contact(c, [&](msgr_contact &contact, Runtime &) {
        if (out == nullptr) return null_out();
        *out = field(contact).c_str();
        return MSGR_S_OK;
    });
}
}  // namespace

msgr_hresult msgr_contact_signin_name(msgr_contact *c, const char **out) {
    return contact_string(c, out, [](msgr_contact &x) -> std::string & { return x.signin; });
}
msgr_hresult msgr_contact_friendly_name(msgr_contact *c, const char **out) {
    return contact_string(c, out, [](msgr_contact &x) -> std::string & { return x.friendly; });
}
msgr_hresult msgr_contact_service_id(msgr_contact *c, const char **out) {
    return contact_string(c, out, [](msgr_contact &x) -> std::string & { return x.service; });
}

msgr_hresult msgr_contact_status(msgr_contact *c, int32_t *out) {
    clear_out(out);
    return with_contact(c, [&](msgr_contact &contact, Runtime &) {
        if (out == nullptr) return null_out();
        *out = contact.status;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_contact_is_self(msgr_contact *c, int *out) {
    clear_out(out);
    return with_contact(c, [&](msgr_contact &contact, Runtime &r) {
        if (out == nullptr) return null_out();
        *out = r.is_self(contact) ? 1 : 0;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_contact_can_page(msgr_contact *c, int *out) {
    clear_out(out);
    return with_contact(c, [&](msgr_contact &contact, Runtime &r) {
        if (out == nullptr) return null_out();
        *out = r.can_page(contact) ? 1 : 0;
        return MSGR_S_OK;
    });
}

// ---- the contact list (the checks are Runtime::list_add's and its neighbours') ----

namespace {
// A call on the runtime about one of its contacts: the handle checked against the registry
// (E_INVALIDARG), its runtime there (RPC_E_DISCONNECTED), then f(runtime, contact).
template <typename F>
msgr_hresult with_runtime_contact(msgr_runtime *rt, msgr_contact *c, F &&f) noexcept {
    return with_runtime(rt, [&](Runtime &r) {
        if (c == nullptr) return fail(MSGR_E_INVALIDARG, "the contact is NULL");
        std::string why;
        const ContactRef pinned = pin(c, HandleKind::contact, why);
        if (!pinned) return misuse("the contact " + why);
        if (released_by_host(c)) return misuse(released_text(HandleKind::contact));
        if (c->rt == nullptr) return fail(MSGR_RPC_E_DISCONNECTED, "the contact's runtime is gone");
        return f(r, *c);
    });
}
}  // namespace

msgr_hresult msgr_add_contact(msgr_runtime *rt, const char *signin_name, const char *service_id) {
    return with_runtime(rt, [&](Runtime &r) { return r.list_add(signin_name, service_id); });
}

msgr_hresult msgr_remove_contact(msgr_runtime *rt, msgr_contact *c) {
    return with_runtime_contact(
        rt, c, [&](Runtime &r, msgr_contact &contact) { return r.list_remove(contact); });
}

msgr_hresult msgr_authorize(msgr_runtime *rt, msgr_contact *c, int accept) {
    return with_runtime_contact(rt, c, [&](Runtime &r, msgr_contact &contact) {
        return r.authorize(contact, accept != 0);
    });
}

msgr_hresult msgr_contact_set_blocked(msgr_contact *c, int blocked) {
    return with_contact(
        c, [&](msgr_contact &contact, Runtime &r) { return r.set_blocked(contact, blocked != 0); });
}

msgr_hresult msgr_contact_blocked(msgr_contact *c, int *out) {
    clear_out(out);
    return with_contact(c, [&](msgr_contact &contact, Runtime &) {
        if (out == nullptr) return null_out();
        *out = contact.blocked ? 1 : 0;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_set_my_friendly_name(msgr_runtime *rt, const char *name) {
    return with_runtime(rt, [&](Runtime &r) { return r.set_my_friendly_name(name); });
}

msgr_hresult msgr_my_friendly_name(msgr_runtime *rt, const char **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        if (!r.signed_in()) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
        *out = r.my_friendly_name().c_str();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_set_my_activity(msgr_runtime *rt, const char *text) {
    return with_runtime(rt, [&](Runtime &r) { return r.set_my_activity(text); });
}

msgr_hresult msgr_my_activity(msgr_runtime *rt, const char **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        if (!r.signed_in()) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
        *out = r.my_activity().c_str();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_contact_activity(msgr_contact *c, const char **out) {
    return contact_string(c, out, [](msgr_contact &x) -> std::string & { return x.activity; });
}

void msgr_contact_add_ref(msgr_contact *c) {
    if (c != nullptr) add_host_ref(c, HandleKind::contact, "msgr_contact_add_ref");
}
void msgr_contact_release(msgr_contact *c) {
    if (c != nullptr) release_host_ref(c, HandleKind::contact, "msgr_contact_release");
}

// ---- InstantMessage and Page ----

namespace {
// InstantMessage and Page: out first, then a contact object is checked against the registry
// (an invalid vContact is E_INVALIDARG, the second check), then the runtime's own checks.
template <typename F>
msgr_hresult open_window(msgr_runtime *rt, const msgr_variant &contact, msgr_window **out, F &&f) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        ContactRef pinned;
        msgr_hresult hr = pin_variant(contact, pinned);
        if (MSGR_FAILED(hr)) return hr;
        WindowRef w;
        hr = f(r, w);
        if (MSGR_SUCCEEDED(hr)) *out = hand_out(std::move(w));
        return hr;
    });
}
}  // namespace

msgr_hresult msgr_instant_message(msgr_runtime *rt, msgr_variant contact, msgr_window **out) {
    return open_window(rt, contact, out,
                       [&](Runtime &r, WindowRef &w) { return r.instant_message(contact, w); });
}

msgr_hresult msgr_page(msgr_runtime *rt, msgr_variant contact, msgr_window **out) {
    return open_window(rt, contact, out,
                       [&](Runtime &r, WindowRef &w) { return r.page(contact, w); });
}

msgr_hresult msgr_script_invoke(msgr_runtime *rt, const char *method, msgr_variant contact,
                                msgr_window **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &) {
        if (method == nullptr) return fail(MSGR_E_INVALIDARG, "the method name is NULL");
        if (std::strcmp(method, "InstantMessage") == 0)
            return msgr_instant_message(rt, contact, out);
        if (std::strcmp(method, "Page") == 0) {
            return fail(MSGR_E_NOTIMPL, "Page is not available to scripting languages");
        }
        return fail(MSGR_E_NOTIMPL, std::string("no scriptable method named ") + method);
    });
}

// ---- windows ----

msgr_hresult msgr_window_kind_of(msgr_window *w, msgr_window_kind *out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = win.kind;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_window_is_closed(msgr_window *w, int *out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = win.state == msgr_window::State::closed ? 1 : 0;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_window_show(msgr_window *w) {
    return with_open_window(w, [&](msgr_window &win, Runtime &r) { return r.show(win); });
}

msgr_hresult msgr_window_close(msgr_window *w) {
    return with_window(w, [&](msgr_window &win, Runtime *r) {
        return r == nullptr ? MSGR_S_FALSE : r->close(win);
    });
}

namespace {
template <typename Field>
msgr_hresult get_geometry(msgr_window *w, int32_t *out, Field field) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = win.*field;
        return MSGR_S_OK;
    });
}
template <typename Field>
msgr_hresult set_geometry(msgr_window *w, int32_t value, Field field, bool size) {
    return with_open_window(w, [&](msgr_window &win, Runtime &) {
        return WindowManager::set_geometry(win, field, value, size);
    });
}
}  // namespace

msgr_hresult msgr_window_get_left(msgr_window *w, int32_t *out) {
    return get_geometry(w, out, &msgr_window::left);
}
msgr_hresult msgr_window_get_top(msgr_window *w, int32_t *out) {
    return get_geometry(w, out, &msgr_window::top);
}
msgr_hresult msgr_window_get_width(msgr_window *w, int32_t *out) {
    return get_geometry(w, out, &msgr_window::width);
}
msgr_hresult msgr_window_get_height(msgr_window *w, int32_t *out) {
    return get_geometry(w, out, &msgr_window::height);
}
msgr_hresult msgr_window_set_left(msgr_window *w, int32_t v) {
    return set_geometry(w, v, &msgr_window::left, false);
}
msgr_hresult msgr_window_set_top(msgr_window *w, int32_t v) {
    return set_geometry(w, v, &msgr_window::top, false);
}
msgr_hresult msgr_window_set_width(msgr_window *w, int32_t v) {
    return set_geometry(w, v, &msgr_window::width, true);
}
msgr_hresult msgr_window_set_height(msgr_window *w, int32_t v) {
    return set_geometry(w, v, &msgr_window::height, true);
}

msgr_hresult msgr_window_contact(msgr_window *w, msgr_contact **out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = hand_out(win.contact);
        return MSGR_S_OK;
    });
}

// ---- a conversation's contacts (the checks are Runtime::add_contact's) ----

namespace {
template <typename F>
msgr_hresult with_member(msgr_window *w, const msgr_variant &contact, F &&f) noexcept {
    return with_window(w, [&](msgr_window &win, Runtime *r) {
        ContactRef pinned;
        const msgr_hresult hr = pin_variant(contact, pinned);
        if (MSGR_FAILED(hr)) return hr;
        if (r == nullptr) return fail(MSGR_E_FAIL, "the window is closed");
        return f(*r, win);
    });
}
}  // namespace

msgr_hresult msgr_window_add_contact(msgr_window *w, msgr_variant contact) {
    return with_member(w, contact,
                       [&](Runtime &r, msgr_window &win) { return r.add_contact(win, contact); });
}

msgr_hresult msgr_window_remove_contact(msgr_window *w, msgr_variant contact) {
    return with_member(
        w, contact, [&](Runtime &r, msgr_window &win) { return r.remove_contact(win, contact); });
}

msgr_hresult msgr_window_contacts_count(msgr_window *w, size_t *out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = win.contacts.size();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_window_contacts_get(msgr_window *w, size_t index, msgr_contact **out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        if (index >= win.contacts.size()) return fail(MSGR_E_INVALIDARG, "index out of range");
        *out = hand_out(win.contacts[index]);
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_window_set_draft(msgr_window *w, const char *text) {
    return with_open_window(w, [&](msgr_window &win, Runtime &) {
        if (text == nullptr) text = "";
        if (!msgr::core::is_valid_utf8(text))
            return fail(MSGR_E_INVALIDARG, "the draft is not valid UTF-8");
        win.draft = text;
        ++win.draft_serial;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_window_get_draft(msgr_window *w, const char **out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = win.draft.c_str();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_window_history_count(msgr_window *w, size_t *out) {
    clear_out(out);
    return with_window(w, [&](msgr_window &win, Runtime *) {
        if (out == nullptr) return null_out();
        *out = Runtime::history_count(win);
        return MSGR_S_OK;
    });
}

namespace {
// The first version of msgr_message ended before stored_id (0.2): a caller built against it
// never meets the delivery states added with it, DELIVERED and READ, and is told SENT.
constexpr std::size_t kMessageV2Size =
    offsetof(msgr_message, stored_id) + sizeof(msgr_message::stored_id);
}  // namespace

msgr_hresult msgr_window_history_get(msgr_window *w, size_t index, msgr_message *out) {
    clear_struct(out);
    return with_window(w, [&](msgr_window &win, Runtime *r) {
        if (out == nullptr) return null_out();
        const msgr_window::Entry *e = nullptr;
        if (r == nullptr) {
            // A closed window: what it still holds in memory (the store is the next window's).
            if (index >= Runtime::history_count(win))
                return fail(MSGR_E_INVALIDARG, "index out of range");
            const std::int64_t seq = win.first_seq + static_cast<std::int64_t>(index);
            if (win.recent.empty() || seq < win.recent.front().seq)
                return fail(MSGR_E_FAIL,
                            "the window is closed and this entry is in the store: open the "
                            "conversation again to read it");
            e = &win.recent[static_cast<std::size_t>(seq - win.recent.front().seq)];
        } else {
            const msgr_hresult hr = r->history_entry(win, index, e);
            if (MSGR_FAILED(hr)) return hr;
        }
        msgr_message m{};
        m.direction = e->direction;
        m.delivery = e->delivery;
        if (out->struct_size < kMessageV2Size &&
            (m.delivery == MSGR_DELIVERY_DELIVERED || m.delivery == MSGR_DELIVERY_READ))
            m.delivery = MSGR_DELIVERY_SENT;
        m.delivery_result = e->delivery_result;
        m.text = e->text.c_str();
        m.text_size = e->text.size();
        m.time_unix_ms = e->time_unix_ms;
        m.flags = e->flags;
        m.delivery_reason = e->delivery_reason.c_str();
        m.stored_id = e->stored_id;
        static const std::string kNoOne;
        m.sender =
            WindowManager::sender_of(win, *e, r != nullptr ? r->my_signin_name() : kNoOne).c_str();
        return fill_struct(out, m, offsetof(msgr_message, flags), "msgr_message");
    });
}

msgr_hresult msgr_window_fetch_older(msgr_window *w) {
    return with_open_window(w, [&](msgr_window &win, Runtime &r) { return r.fetch_older(win); });
}

// ---- history: search and forgetting ----

msgr_hresult msgr_history_search(msgr_runtime *rt, const char *query, size_t max_results,
                                 uint64_t *out_search) {
    clear_out(out_search);
    return with_runtime(rt, [&](Runtime &r) {
        if (out_search == nullptr) return null_out();
        std::uint64_t id = 0;
        const msgr_hresult hr = r.search(query, max_results, id);
        if (MSGR_SUCCEEDED(hr)) *out_search = id;
        return hr;
    });
}

msgr_hresult msgr_search_result_count(msgr_runtime *rt, uint64_t search, size_t *out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        std::size_t n = 0;
        const msgr_hresult hr = r.search_count(search, n);
        if (MSGR_SUCCEEDED(hr)) *out = n;
        return hr;
    });
}

msgr_hresult msgr_search_result_get(msgr_runtime *rt, uint64_t search, size_t index,
                                    msgr_search_result *out) {
    clear_struct(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        msgr_search_result full{};
        full.struct_size = sizeof full;
        msgr_hresult hr = r.search_get(search, index, full);
        if (MSGR_SUCCEEDED(hr))
            hr = fill_struct(out, full, sizeof(msgr_search_result), "msgr_search_result");
        if (MSGR_FAILED(hr)) clear_struct(out);
        return hr;
    });
}

msgr_hresult msgr_search_open(msgr_runtime *rt, uint64_t search, size_t index, msgr_window **out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        WindowRef w;
        const msgr_hresult hr = r.search_open(search, index, w);
        if (MSGR_SUCCEEDED(hr)) *out = hand_out(std::move(w));
        return hr;
    });
}

msgr_hresult msgr_search_release(msgr_runtime *rt, uint64_t search) {
    return with_runtime(rt, [&](Runtime &r) { return r.search_release(search); });
}

msgr_hresult msgr_history_forget_contact(msgr_contact *c) {
    return with_contact(
        c, [&](msgr_contact &contact, Runtime &r) { return r.forget_contact(contact); });
}

msgr_hresult msgr_history_forget_all(msgr_runtime *rt) {
    return with_runtime(rt, [&](Runtime &r) { return r.forget_all(); });
}

void msgr_window_add_ref(msgr_window *w) {
    if (w != nullptr) add_host_ref(w, HandleKind::window, "msgr_window_add_ref");
}
void msgr_window_release(msgr_window *w) {
    if (w != nullptr) release_host_ref(w, HandleKind::window, "msgr_window_release");
}

// ---- the UI surface ----

namespace {

// The UI functions are the user's: add-in code running in the host's process (a guarded call
// on this thread's stack) is refused, so that no add-in sends, moves or raises a window.
msgr_hresult refuse_addin_code(const char *fn, const char *why) {
    return fail(MSGR_E_ACCESSDENIED, std::string(fn) + " called from add-in code: " + why);
}

constexpr const char *kOnlyTheUserSends = "only the user sends";
constexpr const char *kTheUserInterfaceIsTheHosts = "the user interface is the host's";

}  // namespace

msgr_hresult msgr_ui_send(msgr_window *w, const char *text, size_t *out_index) {
    clear_out(out_index);
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_send", kOnlyTheUserSends);
    return with_open_window(w, [&](msgr_window &win, Runtime &r) {
        const msgr_hresult hr = r.send(win, text, out_index);
        // 0 on every failure, as everywhere: the index of a message the service refused comes
        // with its MSGR_EVENT_DELIVERY_CHANGE.
        if (MSGR_FAILED(hr)) clear_out(out_index);
        return hr;
    });
}

msgr_hresult msgr_ui_history_seen(msgr_window *w, size_t last_index) {
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_history_seen", "only the user reads");
    return with_open_window(
        w, [&](msgr_window &win, Runtime &r) { return r.history_seen(win, last_index); });
}

msgr_hresult msgr_ui_set_chat_state(msgr_window *w, msgr_chat_state state) {
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_set_chat_state", kTheUserInterfaceIsTheHosts);
    const int s = msgr::core::raw_enum(state);  // from C: any int
    if (s < MSGR_CHAT_STATE_NONE || s > MSGR_CHAT_STATE_GONE)
        return fail(MSGR_E_INVALIDARG, "unknown chat state " + std::to_string(s));
    return with_open_window(w, [&](msgr_window &win, Runtime &r) {
        return r.set_chat_state(win, static_cast<msgr_chat_state>(s));
    });
}

msgr_hresult msgr_ui_max_page_length(msgr_runtime *rt, size_t *out) {
    clear_out(out);
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_max_page_length", kTheUserInterfaceIsTheHosts);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        if (!r.has_paging())
            return fail(MSGR_E_NOTIMPL, "no add-in that supports paging is installed");
        *out = r.max_page_utf16();
        return MSGR_S_OK;
    });
}

// ---- events ----

msgr_hresult msgr_subscribe(msgr_runtime *rt, msgr_event_type type, msgr_event_fn fn, void *user,
                            msgr_subscription *out) {
    clear_out(out);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        if (!msgr::core::valid_event_type(type)) {
            return fail(MSGR_E_INVALIDARG,
                        "unknown event type " + std::to_string(msgr::core::raw_enum(type)));
        }
        return r.subscribe(type, fn, user, *out);
    });
}

msgr_hresult msgr_unsubscribe(msgr_runtime *rt, msgr_subscription id) {
    return with_runtime(rt, [&](Runtime &r) { return r.unsubscribe(id); });
}

// ---- add-ins (msgr/addin.h) ----

msgr_hresult msgr_addin_count(msgr_runtime *rt, size_t *out) {
    clear_out(out);
    if (out == nullptr) return null_out();
    return with_runtime(rt, [&](Runtime &r) {
        *out = r.addins() ? r.addins()->count() : 0;
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_addin_get_info(msgr_runtime *rt, size_t index, msgr_addin_info *out) {
    clear_struct(out);
    if (out == nullptr) return null_out();
    return with_runtime(rt, [&](Runtime &r) {
        if (r.addins() == nullptr) return fail(MSGR_E_INVALIDARG, "no add-ins");
        const msgr_hresult hr = r.addins()->info(index, *out);
        if (MSGR_FAILED(hr)) clear_struct(out);
        return hr;
    });
}

msgr_hresult msgr_addin_unload(msgr_runtime *rt, const char *name) {
    return with_runtime(rt, [&](Runtime &r) {
        if (r.addins() == nullptr) return fail(MSGR_E_INVALIDARG, "no add-ins");
        return r.addins()->unload(name);
    });
}

msgr_hresult msgr_addin_draw(msgr_runtime *rt, const msgr_draw_context *ctx,
                             const msgr_draw_guard *guard) {
    return with_runtime(rt, [&](Runtime &r) {
        if (ctx == nullptr) return fail(MSGR_E_INVALIDARG, "ctx is NULL");
        if (r.addins() == nullptr) return MSGR_S_OK;
        return r.addins()->draw(*ctx, guard);
    });
}

msgr_hresult msgr_addin_has_drawers(msgr_runtime *rt, int *out) {
    clear_out(out);
    if (out == nullptr) return null_out();
    return with_runtime(rt, [&](Runtime &r) {
        *out = r.addins() != nullptr && r.addins()->has_drawers() ? 1 : 0;
        return MSGR_S_OK;
    });
}

// ---- the drawing layer's window surface (ui.h: msgr_ui_window_*) ----

msgr_hresult msgr_ui_window_count(msgr_runtime *rt, size_t *out) {
    clear_out(out);
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_window_count", kTheUserInterfaceIsTheHosts);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        *out = r.z_order().size();
        return MSGR_S_OK;
    });
}

msgr_hresult msgr_ui_window_get(msgr_runtime *rt, size_t z_index, msgr_ui_window_info *out) {
    clear_struct(out);
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_window_get", kTheUserInterfaceIsTheHosts);
    return with_runtime(rt, [&](Runtime &r) {
        if (out == nullptr) return null_out();
        if (z_index >= r.z_order().size()) return fail(MSGR_E_INVALIDARG, "index out of range");
        msgr_window &w = *r.z_order()[z_index];
        msgr_ui_window_info info{};
        info.window = &w;
        info.contact = w.contact.get();
        msgr::core::lend(info.window);  // borrowed until the next tick
        msgr::core::lend(info.contact);
        info.kind = w.kind;
        info.left = w.left;
        info.top = w.top;
        info.width = w.width;
        info.height = w.height;
        info.geometry_serial = w.geometry_serial;
        info.focus_serial = w.focus_serial;
        info.draft_serial = w.draft_serial;
        info.history_serial = w.history_serial;
        info.history_count = Runtime::history_count(w);
        info.scroll_serial = w.scroll_serial;
        info.scroll_index = w.scroll_index;
        info.peer_chat_state = w.peer_chat_state;
        info.unseen_count = w.unseen_count;
        return fill_struct(out, info, kUiWindowInfoV1Size, "msgr_ui_window_info");
    });
}

msgr_hresult msgr_ui_window_moved(msgr_window *w, int32_t left, int32_t top, int32_t width,
                                  int32_t height) {
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_window_moved", kTheUserInterfaceIsTheHosts);
    return with_open_window(w, [&](msgr_window &win, Runtime &) {
        return WindowManager::moved(win, left, top, width, height);
    });
}

msgr_hresult msgr_ui_window_activated(msgr_window *w) {
    if (msgr::core::addin_code_running())
        return refuse_addin_code("msgr_ui_window_activated", kTheUserInterfaceIsTheHosts);
    return with_open_window(w, [&](msgr_window &win, Runtime &r) {
        r.windows().bring_to_front(win);
        return MSGR_S_OK;
    });
}

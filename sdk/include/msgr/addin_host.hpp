// addin_host.hpp — the host functions of the add-in ABI, bound once. C++17, header only.
//
// An add-in gets every host function by name from msgr_host::get_proc and casts it to the
// function's typedef (msgr/addin.h). This header does that once, for every function the runtime
// has, so that an add-in written in C++ needs no cast and no list of its own:
//
//     msgr_hresult load(const msgr_host *host, void **state) {
//         const msgr::addin::HostFunctions h(*host);
//         if (!h.has_config_functions() || !h.has_service_functions()) {
//             if (h.set_error != nullptr) h.set_error(h.ctx, "this runtime is too old");
//             return MSGR_E_NOTIMPL;
//         }
//         const char *name = nullptr;
//         h.config_string(h.ctx, "name", &name);
//         h.say(MSGR_LOG_INFO, "loaded");
//         ...
//     }
//
// It is a convenience, not the ABI: nothing of it crosses the boundary (it holds the plain C
// function pointers get_proc returns), and an add-in in C binds with get_proc as before. It
// needs only msgr/addin.h and the standard library, and throws nothing.
//
// A HostFunctions is a plain value: copy it where it is needed (an add-in's state, a thread).
// The functions it points to stay valid until the add-in is unloaded, and each may be called
// from the threads addin.h says.
#ifndef MSGR_ADDIN_HOST_HPP
#define MSGR_ADDIN_HOST_HPP

#include <string>

#include "msgr/addin.h"

namespace msgr {
namespace addin {

/// Every host function of the add-in ABI, as typed pointers, with the context they take. A
/// pointer is null when the runtime does not have that function (an older runtime; see the
/// ABI minor each function came with in addin.h), so test the ones a newer ABI added before
/// calling them -- or ask once with the has_*_functions() checks below.
struct HostFunctions {
    /// Passed back as the first argument of every host function.
    msgr_host_ctx *ctx = nullptr;

    // The functions, grouped by the ABI minor that added them; addin.h documents each one.

    // ---- ABI 1.0: every runtime has these -------------------------------------------------
    /// Logs through the runtime's log handler. Any thread. say() calls it only when present.
    msgr_host_log_fn log = nullptr;
    /// Records why load fails (the add-in's state reason). Any thread.
    msgr_host_set_error_fn set_error = nullptr;
    /// The add-in's own configuration table: a string, an integer, a boolean, an array of
    /// strings (its size, then each element), the table's keys (so that unknown keys can be
    /// refused), and the file that relative paths and error messages point to.
    msgr_host_config_string_fn config_string = nullptr;
    msgr_host_config_int_fn config_int = nullptr;
    msgr_host_config_bool_fn config_bool = nullptr;
    msgr_host_config_array_size_fn config_array_size = nullptr;
    msgr_host_config_array_string_fn config_array_string = nullptr;
    msgr_host_config_key_fn config_key = nullptr;
    msgr_host_config_origin_fn config_origin = nullptr;
    /// Registers the paging provider (there is one per runtime). During load only.
    msgr_host_register_paging_fn register_paging = nullptr;
    /// Reports the fate of a page or a message the add-in was handed. Any thread.
    msgr_host_post_delivery_fn post_delivery = nullptr;
    /// Subscribes an event callback. During load only.
    msgr_host_subscribe_fn subscribe = nullptr;

    // ---- ABI 1.1: contact services --------------------------------------------------------
    /// The keys of a table inside the add-in's table ("contacts[0]": an array of tables).
    msgr_host_config_key_at_fn config_key_at = nullptr;
    /// Registers a contact service. During load only.
    msgr_host_register_service_fn register_service = nullptr;
    /// A contact service's reports: the outcome of a sign-in, a lost connection, the contact
    /// list, a contact's presence, an arriving message. Any thread.
    msgr_host_post_signin_fn post_signin = nullptr;
    msgr_host_post_offline_fn post_offline = nullptr;
    msgr_host_post_contact_fn post_contact = nullptr;
    msgr_host_post_status_fn post_status = nullptr;
    msgr_host_post_message_fn post_message = nullptr;

    // ---- ABI 1.2: drawing -----------------------------------------------------------------
    /// Registers a drawer (Dear ImGui in the host's overlay; see msgr/addin_imgui.hpp).
    msgr_host_register_drawer_fn register_drawer = nullptr;

    // ---- ABI 1.3: services that carry pages -----------------------------------------------
    /// Hands a page to the contact's own service: the paging provider, inside submit only.
    msgr_host_page_via_service_fn page_via_service = nullptr;
    /// A page arrived from a contact (a service's report, like post_message).
    msgr_host_post_page_fn post_page = nullptr;

    // ---- ABI 1.4: conversations that last -------------------------------------------------
    /// A message with its time, ids and flags (carbons, archive, older history); a receipt
    /// (DELIVERED, READ) for a message the runtime sent; the contact's chat state; the end of
    /// an answer to fetch_older. A service's reports, like post_message. Any thread.
    msgr_host_post_message_ex_fn post_message_ex = nullptr;
    msgr_host_post_receipt_fn post_receipt = nullptr;
    msgr_host_post_chat_state_fn post_chat_state = nullptr;
    msgr_host_post_history_end_fn post_history_end = nullptr;

    // ---- ABI 1.6: the contact list ------------------------------------------------------
    /// The answer to add_contact; a contact's subscription request; a block the network
    /// reports; a contact's friendly name. A service's reports, like post_contact. Any thread.
    msgr_host_post_add_result_fn post_add_result = nullptr;
    msgr_host_post_authorization_request_fn post_authorization_request = nullptr;
    msgr_host_post_blocked_fn post_blocked = nullptr;
    msgr_host_post_friendly_name_fn post_friendly_name = nullptr;

    // ---- ABI 1.7: rich presence ---------------------------------------------------------
    /// What a contact is doing (its presence's status message). A service's report. Any thread.
    msgr_host_post_activity_fn post_activity = nullptr;

    /// Nothing bound (every pointer null), to be assigned later.
    HostFunctions() = default;

    /// Binds every function of host (the table load is given). The table itself need not
    /// outlive this object: only its ctx and the functions are kept.
    explicit HostFunctions(const msgr_host &host) noexcept : ctx(host.ctx) {
        if (host.get_proc == nullptr) return;
        bind(host, MSGR_HOST_LOG, log);
        bind(host, MSGR_HOST_SET_ERROR, set_error);
        bind(host, MSGR_HOST_CONFIG_STRING, config_string);
        bind(host, MSGR_HOST_CONFIG_INT, config_int);
        bind(host, MSGR_HOST_CONFIG_BOOL, config_bool);
        bind(host, MSGR_HOST_CONFIG_ARRAY_SIZE, config_array_size);
        bind(host, MSGR_HOST_CONFIG_ARRAY_STRING, config_array_string);
        bind(host, MSGR_HOST_CONFIG_KEY, config_key);
        bind(host, MSGR_HOST_CONFIG_ORIGIN, config_origin);
        bind(host, MSGR_HOST_REGISTER_PAGING, register_paging);
        bind(host, MSGR_HOST_POST_DELIVERY, post_delivery);
        bind(host, MSGR_HOST_SUBSCRIBE, subscribe);
        bind(host, MSGR_HOST_CONFIG_KEY_AT, config_key_at);
        bind(host, MSGR_HOST_REGISTER_SERVICE, register_service);
        bind(host, MSGR_HOST_POST_SIGNIN, post_signin);
        bind(host, MSGR_HOST_POST_OFFLINE, post_offline);
        bind(host, MSGR_HOST_POST_CONTACT, post_contact);
        bind(host, MSGR_HOST_POST_STATUS, post_status);
        bind(host, MSGR_HOST_POST_MESSAGE, post_message);
        bind(host, MSGR_HOST_REGISTER_DRAWER, register_drawer);
        bind(host, MSGR_HOST_PAGE_VIA_SERVICE, page_via_service);
        bind(host, MSGR_HOST_POST_PAGE, post_page);
        bind(host, MSGR_HOST_POST_MESSAGE_EX, post_message_ex);
        bind(host, MSGR_HOST_POST_RECEIPT, post_receipt);
        bind(host, MSGR_HOST_POST_CHAT_STATE, post_chat_state);
        bind(host, MSGR_HOST_POST_HISTORY_END, post_history_end);
        bind(host, MSGR_HOST_POST_ADD_RESULT, post_add_result);
        bind(host, MSGR_HOST_POST_AUTHORIZATION_REQUEST, post_authorization_request);
        bind(host, MSGR_HOST_POST_BLOCKED, post_blocked);
        bind(host, MSGR_HOST_POST_FRIENDLY_NAME, post_friendly_name);
        bind(host, MSGR_HOST_POST_ACTIVITY, post_activity);
    }

    /// The configuration functions of ABI 1.0 (all but config_key_at): what an add-in that
    /// reads its table needs.
    bool has_config_functions() const noexcept {
        return config_string != nullptr && config_int != nullptr && config_bool != nullptr &&
               config_array_size != nullptr && config_array_string != nullptr &&
               config_key != nullptr && config_origin != nullptr;
    }

    /// What a contact service needs: register_service and its reports (the post_* functions of
    /// ABI 1.1, and post_delivery for its messages), set_error to say why its load fails, and
    /// config_key_at, which came with them and reads a service's arrays of tables. A runtime
    /// without them is older than ABI 1.1: it has no contact services.
    bool has_service_functions() const noexcept {
        return set_error != nullptr && register_service != nullptr && post_signin != nullptr &&
               post_offline != nullptr && post_contact != nullptr && post_status != nullptr &&
               post_message != nullptr && post_delivery != nullptr && config_key_at != nullptr;
    }

    /// The conversation reports of ABI 1.4 (post_message_ex, post_receipt, post_chat_state,
    /// post_history_end). A runtime without them is older: a service then reports messages
    /// with post_message and registers a table without the 1.4 functions (its struct_size
    /// then ends at send_page), or the runtime would call functions it cannot answer.
    bool has_conversation_functions() const noexcept {
        return post_message_ex != nullptr && post_receipt != nullptr &&
               post_chat_state != nullptr && post_history_end != nullptr;
    }

    /// The contact list reports of ABI 1.6. A runtime without them is older: a service then
    /// registers a table without the 1.6 functions (its struct_size ending at fetch_older).
    bool has_contact_list_functions() const noexcept {
        return post_add_result != nullptr && post_authorization_request != nullptr &&
               post_blocked != nullptr && post_friendly_name != nullptr;
    }

    /// The rich presence report of ABI 1.7. A runtime without it is older: a service then
    /// registers a table without set_activity (its struct_size ending at set_friendly_name).
    bool has_activity_functions() const noexcept { return post_activity != nullptr; }

    /// What a paging provider needs: register_paging, post_delivery to report each page, and
    /// set_error to say why its load fails. page_via_service is optional (ABI 1.3; without it
    /// every page goes through the provider's own gateway).
    bool has_paging_functions() const noexcept {
        return set_error != nullptr && register_paging != nullptr && post_delivery != nullptr;
    }

    /// Logs text through the runtime's log; does nothing without a log function, so that an
    /// add-in can log wherever it likes without testing for it first. Any thread.
    void say(msgr_log_level level, const char *text) const noexcept {
        if (log != nullptr && text != nullptr) log(ctx, level, text);
    }
    void say(msgr_log_level level, const std::string &text) const noexcept {
        say(level, text.c_str());
    }

  private:
    // get_proc returns a generic msgr_proc; the name says which typedef it really has.
    template <typename Fn>
    static void bind(const msgr_host &host, const char *name, Fn &out) noexcept {
        out = reinterpret_cast<Fn>(host.get_proc(name));
    }
};

}  // namespace addin
}  // namespace msgr

#endif  // MSGR_ADDIN_HOST_HPP

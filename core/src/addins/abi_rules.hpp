// The add-in ABI's rules that both sides of an isolated add-in apply: the runtime's host
// functions (host_functions.cpp) and the add-in host program's (addin-host/src/host_table.cpp)
// check an add-in's tables, reports and pages by these same definitions, so that an add-in
// meets one set of rules wherever it runs. Header only; depends on the SDK and the text rules
// (text.hpp, compiled into both sides).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "c_enum.hpp"
#include "descriptor.hpp"
#include "msgr/addin.h"
#include "msgr/msgr.h"
#include "text.hpp"

namespace msgr::core {

// The smallest tables each ABI minor allows (struct_size of an add-in built for it).
constexpr std::size_t kPagingV1Size =
    offsetof(msgr_paging_provider, submit) + sizeof(msgr_paging_provider::submit);
constexpr std::size_t kServiceV1Size =
    offsetof(msgr_contact_service, send_message) + sizeof(msgr_contact_service::send_message);
constexpr std::size_t kServiceV3Size =  // ABI 1.3: send_page
    offsetof(msgr_contact_service, send_page) + sizeof(msgr_contact_service::send_page);
constexpr std::size_t kServiceV4Size =  // ABI 1.4: send_message_ex ... fetch_older
    offsetof(msgr_contact_service, fetch_older) + sizeof(msgr_contact_service::fetch_older);
constexpr std::size_t kServiceV6Size =  // ABI 1.6: add_contact ... set_friendly_name
    offsetof(msgr_contact_service, set_friendly_name) +
    sizeof(msgr_contact_service::set_friendly_name);
constexpr std::size_t kServiceV7Size =  // ABI 1.7: set_activity
    offsetof(msgr_contact_service, set_activity) + sizeof(msgr_contact_service::set_activity);
constexpr std::size_t kMaxActivityReport = 1024;  // a contact's activity, in bytes (addin.h)
constexpr std::size_t kMaxFriendlyName = 1024;    // a contact's friendly name, in bytes (addin.h)
constexpr std::size_t kIncomingV1Size =           // ABI 1.4: the first msgr_incoming_message
    offsetof(msgr_incoming_message, receipt_id) + sizeof(msgr_incoming_message::receipt_id);
constexpr std::size_t kPageRequestV1Size =
    offsetof(msgr_page_request, text_size) + sizeof(msgr_page_request::text_size);
constexpr std::size_t kDrawerV1Size = offsetof(msgr_drawer, draw) + sizeof(msgr_drawer::draw);
constexpr std::size_t kMaxDrawers = 8;            // per add-in (addin.h)
constexpr std::size_t kMaxPostedText = 1u << 20;  // a message or page that arrives (addin.h)
constexpr std::size_t kMaxGroupId = 200;          // a group conversation's id (addin.h)
constexpr std::size_t kMaxReportId = 256;         // an origin, archive or receipt id (addin.h)
constexpr std::uint32_t kIncomingFlags =
    MSGR_INCOMING_PAGE | MSGR_INCOMING_FROM_ME | MSGR_INCOMING_ARCHIVED | MSGR_INCOMING_OLDER;
constexpr std::uint32_t kMaxFetchOlder = 500;  // fetch_older's max (addin.h: 1..500)

// A bounded copy of a C string from an add-in.
inline std::string bounded(const char *s, std::size_t max = 256) {
    if (s == nullptr) return {};
    return std::string(s, strnlen(s, max));
}

// "MSGR_E_FAIL (0x80004005)": a result code in a reason.
inline std::string hr_text(msgr_hresult hr) {
    char buf[16];
    (void)std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(hr));
    return std::string(msgr_hresult_name(hr)) + " (" + buf + ")";
}

// A status an add-in may report for a contact (MSGR_STATUS_UNKNOWN is not a report).
inline bool known_status(std::int32_t status) {
    return status != MSGR_STATUS_UNKNOWN &&
           std::strcmp(msgr_status_name(status), "UNKNOWN_STATUS") != 0;
}

// ---- what an add-in registers during load ----

// What is wrong with a paging provider table (its load_error), or nullptr when it is good.
inline const char *paging_table_problem(const msgr_paging_provider *p) noexcept {
    if (p == nullptr || p->struct_size < kPagingV1Size || p->submit == nullptr ||
        p->max_page_utf16 == 0) {
        return "registered an invalid paging provider table";
    }
    return nullptr;
}

// What the runtime keeps of a good paging table: read within its struct_size into a zeroed copy.
inline msgr_paging_provider copy_paging_table(const msgr_paging_provider &p) noexcept {
    msgr_paging_provider copy{};
    std::memcpy(&copy, &p, std::min<std::size_t>(p.struct_size, sizeof copy));
    copy.struct_size = sizeof copy;
    return copy;
}

// What is wrong with a contact service table (its load_error), or nullptr when it is good: the
// functions of ABI 1.1 set, a message size, an id of 1-64 name characters (out: a copy of it).
inline const char *service_table_problem(const msgr_contact_service *t, std::string &id) {
    if (t == nullptr || t->struct_size < kServiceV1Size || t->signin == nullptr ||
        t->signout == nullptr || t->set_status == nullptr || t->describe == nullptr ||
        t->send_message == nullptr || t->max_message_bytes == 0) {
        return "registered an invalid contact service table";
    }
    id = bounded(t->id, 65);
    if (!valid_addin_name(id)) {
        return "registered a contact service whose id is missing or not 1-64 letters, digits, "
               "'-', '_', '.'";
    }
    return nullptr;
}

// Whether an event subscription may be made: a callback, for a type there is (0: every type).
inline bool valid_subscription(const msgr_event_type &type, msgr_addin_event_fn fn) noexcept {
    return fn != nullptr && valid_event_type(type);
}

// What is wrong with a drawer table (its load_error), or nullptr when it is good.
inline const char *drawer_table_problem(const msgr_drawer *d) noexcept {
    if (d == nullptr || d->struct_size < kDrawerV1Size || d->draw == nullptr)
        return "registered an invalid drawer table";
    return nullptr;
}

// ---- what a service reports (after check_report: a live add-in, one of its services) ----

// A sign-in name as vContact's rules check one (a contact, a sender, a peer).
inline bool valid_name(const char *signin) noexcept {
    const char *why = nullptr;
    return check_signin_name(signin, &why) == MSGR_S_OK;
}

// msgr_host_post_message and _page: a sender, and text (invalid UTF-8 in it is replaced where
// it is applied) of at most kMaxPostedText bytes.
inline bool valid_arrival(const char *from, const char *text, std::size_t text_size) noexcept {
    return valid_name(from) && text != nullptr && text_size <= kMaxPostedText;
}

// A chat state a report or the runtime may carry (NONE is not a state anybody is in).
inline bool known_chat_state(int state) noexcept {
    return state >= MSGR_CHAT_STATE_ACTIVE && state <= MSGR_CHAT_STATE_GONE;
}

// A state msgr_host_post_receipt may carry.
inline bool receipt_state(int state) noexcept {
    return state == MSGR_DELIVERY_DELIVERED || state == MSGR_DELIVERY_READ;
}

// An id in a report (origin, archive or receipt id): NULL or "" means none, which only an
// optional id may be; else at most kMaxReportId bytes of valid UTF-8 without control characters
// (ids are stored and compared as text, and a report may come from any network).
inline bool valid_report_id(const char *id, bool required,
                            std::size_t max = kMaxReportId) noexcept {
    if (id == nullptr || *id == '\0') return !required;
    const std::size_t n = strnlen(id, max + 1);
    if (n > max) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(id[i]);
        if (c < 0x20 || c == 0x7f) return false;
    }
    return is_valid_utf8(std::string_view(id, n));
}

// A group id (ABI 1.5): as an optional report id, at most kMaxGroupId bytes.
inline bool valid_group_id(const char *id) noexcept {
    return valid_report_id(id, false, kMaxGroupId);
}

// The add-in's msgr_incoming_message, read within its struct_size into a zeroed copy (what an
// older struct lacks stays NULL / 0), and checked: a sign-in name as peer, text not NULL and at
// most kMaxPostedText bytes (invalid UTF-8 in it is replaced where it is applied, as for
// msgr_host_post_message), known flags only, ids as valid_report_id says. False for a bad one.
inline bool read_incoming(const msgr_incoming_message *m, msgr_incoming_message &out) noexcept {
    out = msgr_incoming_message{};
    if (m == nullptr || m->struct_size < kIncomingV1Size) return false;
    std::memcpy(&out, m, std::min<std::size_t>(m->struct_size, sizeof out));
    out.struct_size = sizeof out;
    return valid_arrival(out.peer, out.text, out.text_size) && (out.flags & ~kIncomingFlags) == 0 &&
           valid_report_id(out.origin_id, false) && valid_report_id(out.archive_id, false) &&
           valid_report_id(out.receipt_id, false) && valid_group_id(out.group);
}

// msgr_host_post_receipt: a peer, the runtime's origin id, DELIVERED or READ.
inline bool valid_receipt(const char *peer, const char *origin_id, int state) noexcept {
    return valid_name(peer) && valid_report_id(origin_id, true) && receipt_state(state);
}

// msgr_host_post_chat_state: a peer and a state there is.
inline bool valid_chat_state_report(const char *peer, int state) noexcept {
    return valid_name(peer) && known_chat_state(state);
}

// ---- ABI 1.6: what a service reports about the contact list ----

// msgr_host_post_add_result: a contact, and S_OK or a failure (S_FALSE and other successes say
// nothing a list could show).
inline bool valid_add_result(const char *signin, msgr_hresult hr) noexcept {
    return valid_name(signin) && (hr == MSGR_S_OK || MSGR_FAILED(hr));
}

// msgr_host_post_friendly_name: a contact, and a name (NULL or "": none) of valid UTF-8 of at
// most kMaxFriendlyName bytes without control characters.
inline bool valid_friendly_report(const char *signin, const char *name) noexcept {
    return valid_name(signin) && valid_report_id(name, false, kMaxFriendlyName);
}

// ---- ABI 1.7: rich presence ----

// msgr_host_post_activity: a contact, and a text (NULL or "": none) of valid UTF-8 of at most
// kMaxActivityReport bytes (control characters are cleaned where it is applied).
inline bool valid_activity_report(const char *signin, const char *text) noexcept {
    if (!valid_name(signin)) return false;
    if (text == nullptr) return true;
    const std::size_t n = strnlen(text, kMaxActivityReport + 1);
    return n <= kMaxActivityReport && is_valid_utf8(std::string_view(text, n));
}

// What msgr_host_register_service keeps of an add-in's table: the table, read within its
// struct_size into a zeroed copy, so that what an older add-in's table lacks stays NULL (send_page
// before ABI 1.3, the conversation functions before 1.4). A size that ends inside one of the
// functions did not come from any header: that function is NULL too.
inline msgr_contact_service copy_service_table(const msgr_contact_service &t) noexcept {
    msgr_contact_service copy{};
    std::memcpy(&copy, &t, std::min<std::size_t>(t.struct_size, sizeof copy));
    if (t.struct_size < kServiceV3Size) copy.send_page = nullptr;
    const auto covers = [&](std::size_t end) { return t.struct_size >= end; };
    if (!covers(offsetof(msgr_contact_service, send_message_ex) + sizeof copy.send_message_ex))
        copy.send_message_ex = nullptr;
    if (!covers(offsetof(msgr_contact_service, send_chat_state) + sizeof copy.send_chat_state))
        copy.send_chat_state = nullptr;
    if (!covers(offsetof(msgr_contact_service, send_displayed) + sizeof copy.send_displayed))
        copy.send_displayed = nullptr;
    if (!covers(kServiceV4Size)) copy.fetch_older = nullptr;
    // ABI 1.6: a 1.5 add-in's table ends at fetch_older; these stay NULL (never read past it).
    if (!covers(offsetof(msgr_contact_service, add_contact) + sizeof copy.add_contact))
        copy.add_contact = nullptr;
    if (!covers(offsetof(msgr_contact_service, remove_contact) + sizeof copy.remove_contact))
        copy.remove_contact = nullptr;
    if (!covers(offsetof(msgr_contact_service, authorize) + sizeof copy.authorize))
        copy.authorize = nullptr;
    if (!covers(offsetof(msgr_contact_service, set_blocked) + sizeof copy.set_blocked))
        copy.set_blocked = nullptr;
    if (!covers(kServiceV6Size)) copy.set_friendly_name = nullptr;
    // ABI 1.7: a 1.6 add-in's table ends at set_friendly_name.
    if (!covers(kServiceV7Size)) copy.set_activity = nullptr;
    copy.struct_size = sizeof copy;
    return copy;
}

// Whether the add-in's request is exactly the page its submit is running for, field by field:
// the paging provider may hand a service that page and no other, so that no add-in can make a
// service send text of its choosing (only the user sends). strcmp reads the add-in's strings no
// further than the length of ours plus one.
inline bool same_page(const msgr_page_request *page, std::uint64_t id, const std::string &from,
                      const std::string &to, const std::string &to_service,
                      const std::string &text) {
    if (page == nullptr || page->struct_size < kPageRequestV1Size) return false;
    if (page->from == nullptr || page->to == nullptr || page->to_service == nullptr ||
        page->text == nullptr) {
        return false;
    }
    return page->message_id == id && std::strcmp(page->from, from.c_str()) == 0 &&
           std::strcmp(page->to, to.c_str()) == 0 &&
           std::strcmp(page->to_service, to_service.c_str()) == 0 &&
           page->text_size == text.size() && std::memcmp(page->text, text.data(), text.size()) == 0;
}

// The host functions an add-in finds through msgr_host.get_proc, as X(name macro, function):
// each side defines functions of these names and builds its table with this list, so both give
// an add-in the same functions.
#define MSGR_ADDIN_HOST_FUNCTIONS(X)                                         \
    X(MSGR_HOST_LOG, host_log)                                               \
    X(MSGR_HOST_SET_ERROR, host_set_error)                                   \
    X(MSGR_HOST_CONFIG_STRING, host_config_string)                           \
    X(MSGR_HOST_CONFIG_INT, host_config_int)                                 \
    X(MSGR_HOST_CONFIG_BOOL, host_config_bool)                               \
    X(MSGR_HOST_CONFIG_ARRAY_SIZE, host_config_array_size)                   \
    X(MSGR_HOST_CONFIG_ARRAY_STRING, host_config_array_string)               \
    X(MSGR_HOST_CONFIG_KEY, host_config_key)                                 \
    X(MSGR_HOST_CONFIG_KEY_AT, host_config_key_at)                           \
    X(MSGR_HOST_CONFIG_ORIGIN, host_config_origin)                           \
    X(MSGR_HOST_REGISTER_PAGING, host_register_paging)                       \
    X(MSGR_HOST_SUBSCRIBE, host_subscribe)                                   \
    X(MSGR_HOST_POST_DELIVERY, host_post_delivery)                           \
    X(MSGR_HOST_REGISTER_SERVICE, host_register_service)                     \
    X(MSGR_HOST_POST_SIGNIN, host_post_signin)                               \
    X(MSGR_HOST_POST_OFFLINE, host_post_offline)                             \
    X(MSGR_HOST_POST_CONTACT, host_post_contact)                             \
    X(MSGR_HOST_POST_STATUS, host_post_status)                               \
    X(MSGR_HOST_POST_MESSAGE, host_post_message)                             \
    X(MSGR_HOST_POST_PAGE, host_post_page)                                   \
    X(MSGR_HOST_REGISTER_DRAWER, host_register_drawer)                       \
    X(MSGR_HOST_PAGE_VIA_SERVICE, host_page_via_service)                     \
    X(MSGR_HOST_POST_MESSAGE_EX, host_post_message_ex)                       \
    X(MSGR_HOST_POST_RECEIPT, host_post_receipt)                             \
    X(MSGR_HOST_POST_CHAT_STATE, host_post_chat_state)                       \
    X(MSGR_HOST_POST_HISTORY_END, host_post_history_end)                     \
    X(MSGR_HOST_POST_ADD_RESULT, host_post_add_result)                       \
    X(MSGR_HOST_POST_AUTHORIZATION_REQUEST, host_post_authorization_request) \
    X(MSGR_HOST_POST_BLOCKED, host_post_blocked)                             \
    X(MSGR_HOST_POST_FRIENDLY_NAME, host_post_friendly_name)                 \
    X(MSGR_HOST_POST_ACTIVITY, host_post_activity)

// One entry of a get_proc table, built with the list above:
//     static const ProcEntry table[] = {MSGR_ADDIN_HOST_FUNCTIONS(MSGR_ADDIN_PROC_ENTRY)};
struct ProcEntry {
    const char *name;
    msgr_proc fn;
};
#define MSGR_ADDIN_PROC_ENTRY(n, f) ProcEntry{n, reinterpret_cast<msgr_proc>(&(f))},

// The function of that name in the table, or NULL (an unknown name, or NULL).
template <std::size_t N>
msgr_proc find_proc(const ProcEntry (&table)[N], const char *name) {
    if (name == nullptr) return nullptr;
    for (const auto &e : table) {
        if (std::strcmp(e.name, name) == 0) return e.fn;
    }
    return nullptr;
}

}  // namespace msgr::core

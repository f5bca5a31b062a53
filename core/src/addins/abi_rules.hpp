// The add-in ABI's rules that both sides of an isolated add-in apply: the runtime's host
// functions (host_functions.cpp) and the add-in host program's (addin-host/src/host_table.cpp)
// check an add-in's tables, reports and pages by these same definitions, so that an add-in
// meets one set of rules wherever it runs. Header only; depends on nothing but the SDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "msgr/addin.h"
#include "msgr/msgr.h"

namespace msgr::core {

// The smallest tables each ABI minor allows (struct_size of an add-in built for it).
constexpr std::size_t kPagingV1Size =
    offsetof(msgr_paging_provider, submit) + sizeof(msgr_paging_provider::submit);
constexpr std::size_t kServiceV1Size =
    offsetof(msgr_contact_service, send_message) + sizeof(msgr_contact_service::send_message);
constexpr std::size_t kServiceV3Size =  // ABI 1.3: send_page
    offsetof(msgr_contact_service, send_page) + sizeof(msgr_contact_service::send_page);
constexpr std::size_t kPageRequestV1Size =
    offsetof(msgr_page_request, text_size) + sizeof(msgr_page_request::text_size);
constexpr std::size_t kDrawerV1Size = offsetof(msgr_drawer, draw) + sizeof(msgr_drawer::draw);
constexpr std::size_t kMaxDrawers = 8;            // per add-in (addin.h)
constexpr std::size_t kMaxPostedText = 1u << 20;  // a message or page that arrives (addin.h)

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
#define MSGR_ADDIN_HOST_FUNCTIONS(X)                           \
    X(MSGR_HOST_LOG, host_log)                                 \
    X(MSGR_HOST_SET_ERROR, host_set_error)                     \
    X(MSGR_HOST_CONFIG_STRING, host_config_string)             \
    X(MSGR_HOST_CONFIG_INT, host_config_int)                   \
    X(MSGR_HOST_CONFIG_BOOL, host_config_bool)                 \
    X(MSGR_HOST_CONFIG_ARRAY_SIZE, host_config_array_size)     \
    X(MSGR_HOST_CONFIG_ARRAY_STRING, host_config_array_string) \
    X(MSGR_HOST_CONFIG_KEY, host_config_key)                   \
    X(MSGR_HOST_CONFIG_KEY_AT, host_config_key_at)             \
    X(MSGR_HOST_CONFIG_ORIGIN, host_config_origin)             \
    X(MSGR_HOST_REGISTER_PAGING, host_register_paging)         \
    X(MSGR_HOST_SUBSCRIBE, host_subscribe)                     \
    X(MSGR_HOST_POST_DELIVERY, host_post_delivery)             \
    X(MSGR_HOST_REGISTER_SERVICE, host_register_service)       \
    X(MSGR_HOST_POST_SIGNIN, host_post_signin)                 \
    X(MSGR_HOST_POST_OFFLINE, host_post_offline)               \
    X(MSGR_HOST_POST_CONTACT, host_post_contact)               \
    X(MSGR_HOST_POST_STATUS, host_post_status)                 \
    X(MSGR_HOST_POST_MESSAGE, host_post_message)               \
    X(MSGR_HOST_POST_PAGE, host_post_page)                     \
    X(MSGR_HOST_REGISTER_DRAWER, host_register_drawer)         \
    X(MSGR_HOST_PAGE_VIA_SERVICE, host_page_via_service)

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

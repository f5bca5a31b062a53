// What the runtime needs from its feature providers, and what they may tell it.
//
// A contact service (the loopback service, XMPP, ...) signs in, describes contacts and carries
// messages; a paging provider decides who can be paged and delivers pages. Both answer at once
// for what they know and report everything that takes time through the runtime's inbox, from
// whatever thread they like. Add-ins are adapted to these interfaces by the add-in host.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "inbox.hpp"
#include "msgr/msgr.h"

namespace msgr::core {

// ---- What providers post to the inbox -------------------------------------------------------

struct SigninDone {  // a sign-in attempt finished
    std::string service;
    std::uint64_t session = 0;
    msgr_hresult hr = MSGR_S_OK;
};
struct WentOffline {  // the connection was lost: "the client goes offline"
    std::string service;
    std::uint64_t session = 0;
    msgr_hresult hr = MSGR_E_DISCONNECTED;
};
struct ContactListChange {  // the service's contact list gained or lost a contact
    std::string service;
    std::uint64_t session = 0;
    std::string signin;
    bool added = true;
};
struct ContactStatusChange {
    std::string service;
    std::uint64_t session = 0;
    std::string signin;
    std::int32_t status = MSGR_STATUS_UNKNOWN;
};
struct MessageArrived {
    std::string service;
    std::uint64_t session = 0;
    std::string from;  // the peer: the sender, or for from_me the recipient
    std::string text;
    bool page = false;  // a page from the contact (msgr_host_post_page), not a chat line
    // ---- add-in ABI 1.4 (msgr_host_post_message_ex); the defaults are a live chat line ----
    bool from_me = false;           // MSGR_INCOMING_FROM_ME: the user sent it, elsewhere
    bool archived = false;          // MSGR_INCOMING_ARCHIVED
    bool older = false;             // MSGR_INCOMING_OLDER: an answer to fetch_older
    std::int64_t time_unix_ms = 0;  // 0: when it is applied
    std::string origin_id{};        // "" none: dedup key (XEP-0359 origin-id / stanza id)
    std::string archive_id{};       // "" none: dedup key and fetch_older's anchor
    std::string receipt_id{};       // "" none: what send_displayed names
    // ---- add-in ABI 1.5 ----
    std::string group{};  // "" one-to-one; else the group conversation (from: its sender)
};
struct ReceiptArrived {  // DELIVERED or READ for the outgoing message with origin_id
    std::string service;
    std::uint64_t session = 0;
    std::string peer;
    std::string origin_id;
    msgr_delivery_state state = MSGR_DELIVERY_DELIVERED;
};
struct ChatStateChange {  // the contact's chat state (typing)
    std::string service;
    std::uint64_t session = 0;
    std::string peer;
    msgr_chat_state state = MSGR_CHAT_STATE_NONE;
};
struct HistoryEnd {  // the answer to fetch_older(peer) is complete
    std::string service;
    std::uint64_t session = 0;
    std::string peer;
    bool complete = false;  // the archive holds nothing older
};
// ---- add-in ABI 1.6: the contact list ----
struct ContactReport {
    enum class Kind : std::uint8_t {
        add_result,             // the answer to add_contact(signin): hr
        authorization_request,  // signin asks to add the user to their list
        blocked,                // the network says signin is blocked (flag) or not
        friendly_name,          // signin's friendly name is now text ("" : the sign-in name)
        activity,               // ABI 1.7: signin is doing text ("": nothing)
    };
    Kind kind = Kind::add_result;
    std::string service;
    std::uint64_t session = 0;
    std::string signin;
    msgr_hresult hr = MSGR_S_OK;
    bool flag = false;
    std::string text{};
};
struct DeliveryDone {  // the fate of a message or page handed to a service or gateway
    std::uint64_t message_id = 0;
    msgr_delivery_state state = MSGR_DELIVERY_SENT;
    msgr_hresult hr = MSGR_S_OK;
    // Why it failed, in words ("" when the reporter gave none: an add-in's report carries only hr).
    std::string reason{};
};

// What the history store's own thread reports (core/src/history/): it posts a closure that the
// tick runs on the owner thread, so the store's results (a search's hits, a retention pass)
// reach the runtime the same way every other report does. Not for providers.
struct StoreReport {
    std::function<void()> apply;
};

using InboxItem = std::variant<SigninDone, WentOffline, ContactListChange, ContactStatusChange,
                               MessageArrived, DeliveryDone, ReceiptArrived, ChatStateChange,
                               HistoryEnd, ContactReport, StoreReport>;
using RuntimeInbox = Inbox<InboxItem>;

// ---- Contact services -----------------------------------------------------------------------

// A page, as the runtime hands it to the paging provider (and the paging provider, through the
// add-in host, to the contact's own service).
struct PageRequest {
    std::uint64_t message_id = 0;
    std::string from;  // the signed-in user
    std::string to;    // the contact's sign-in name
    std::string to_service;
    std::string text;
};

struct ContactInfo {
    std::string friendly;  // empty: use the sign-in name
    std::int32_t status = MSGR_STATUS_UNKNOWN;
    bool mobile = false;  // the contact has mobile services enabled (can receive pages)
};

class Service {
  public:
    virtual ~Service() = default;

    virtual const std::string &id() const = 0;
    // Whether this service can carry pages at all (the Page remarks: Exchange cannot).
    virtual bool supports_paging() const = 0;
    // The longest instant message the service accepts, in bytes of UTF-8.
    virtual std::size_t max_message_bytes() const = 0;

    // Starts signing in; reports SigninDone{session} through the inbox. A failure to even
    // start is returned directly.
    virtual msgr_hresult signin(std::uint64_t session, const std::string &name,
                                const std::string &password) = 0;
    virtual void signout() = 0;
    virtual msgr_hresult set_status(std::int32_t status) = 0;

    // What the service knows about a contact now (a directory entry, a roster item, presence).
    virtual ContactInfo describe(std::string_view signin) = 0;

    // Sends a message; reports DeliveryDone{message_id} through the inbox.
    virtual msgr_hresult send_message(std::uint64_t message_id, const std::string &to,
                                      const std::string &text) = 0;
    // Carries a page to the contact itself (add-in ABI 1.3; an XMPP contact whose client accepts
    // pages): S_OK when taken, and DeliveryDone{message_id} is reported through the inbox as for
    // a message; S_FALSE when the service carries no page to this contact (the paging provider
    // delivers it through its own gateway); a failure when the service broke. Only the paging
    // provider asks, from inside its submit for this page (msgr_host_page_via_service).
    virtual msgr_hresult send_page(const PageRequest &page) = 0;

    // ---- add-in ABI 1.4 ----
    // A message with its origin id (stable across resends and restarts); a resend may have gone
    // out before. An add-in without send_message_ex gets send_message (origin id unknown to it).
    struct Outgoing {
        std::uint64_t message_id = 0;
        std::string to;
        std::string text;
        std::string origin_id;
        bool resend = false;
        std::int64_t time_unix_ms = 0;
        // ABI 1.5: the group conversation ("" one-to-one) and its members, '\n'-separated.
        std::string group{};
        std::string members{};
    };
    virtual msgr_hresult send_message_ex(const Outgoing &m) {
        return send_message(m.message_id, m.to, m.text);
    }
    // Whether the service has an archive fetch_older can page through (MSGR_SERVICE_HAS_ARCHIVE).
    virtual bool has_archive() const { return false; }
    // Whether it carries conversations with several contacts (MSGR_SERVICE_MULTI_PARTY, ABI 1.5).
    virtual bool supports_multi_party() const { return false; }
    // Each answers S_FALSE when the add-in does not support it (a table without the function).
    virtual msgr_hresult send_chat_state(const std::string & /*to*/, msgr_chat_state /*state*/) {
        return MSGR_S_FALSE;
    }
    virtual msgr_hresult send_displayed(const std::string & /*to*/,
                                        const std::string & /*receipt_id*/) {
        return MSGR_S_FALSE;
    }
    virtual msgr_hresult fetch_older(const std::string & /*peer*/,
                                     const std::string & /*archive_id*/, std::uint32_t /*max*/) {
        return MSGR_S_FALSE;
    }

    // ---- add-in ABI 1.6: the contact list ----
    // Each answers MSGR_E_NOTIMPL when the service cannot do it (an add-in whose table does not
    // have the function); the runtime says why.
    virtual msgr_hresult add_contact(const std::string & /*signin*/) { return MSGR_E_NOTIMPL; }
    virtual msgr_hresult remove_contact(const std::string & /*signin*/) { return MSGR_E_NOTIMPL; }
    virtual msgr_hresult authorize(const std::string & /*signin*/, bool /*accept*/) {
        return MSGR_E_NOTIMPL;
    }
    virtual msgr_hresult set_blocked(const std::string & /*signin*/, bool /*blocked*/) {
        return MSGR_E_NOTIMPL;
    }
    virtual msgr_hresult set_friendly_name(const std::string & /*name*/) { return MSGR_E_NOTIMPL; }

    // ---- add-in ABI 1.7: rich presence ----
    // The user's activity ("" clears it): MSGR_E_NOTIMPL when the service cannot carry it.
    virtual msgr_hresult set_activity(const std::string & /*text*/) { return MSGR_E_NOTIMPL; }
};

// ---- Paging ---------------------------------------------------------------------------------

class PagingProvider {
  public:
    virtual ~PagingProvider() = default;

    virtual const std::string &name() const = 0;
    // Whether the provider can reach this contact's mobile device even though the contact's
    // service did not say so (the provider's own directory). The service's word is checked first.
    virtual bool knows_mobile(std::string_view service, std::string_view signin) = 0;
    // The longest page, in UTF-16 code units (what a pager or SMS gateway counts).
    virtual std::size_t max_page_utf16() const = 0;
    // Delivers a page; reports DeliveryDone{message_id} through the inbox.
    virtual msgr_hresult submit(const PageRequest &page) = 0;
};

}  // namespace msgr::core

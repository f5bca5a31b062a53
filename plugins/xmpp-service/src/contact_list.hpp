// The contact list on XMPP, as stanzas: what the XMPP service sends to manage the user's list
// (RFC 6121 roster sets and presence subscriptions, XEP-0191 blocking, XEP-0172 nicknames over
// PEP) and what it reads from the server's answers, as pure functions of the stanza. No
// connection, no thread, no host: xmpp_service.cpp sends and handles, the fuzz entry point
// (stanza_fuzz.cpp) reaches the readers exactly as a hostile server would.
//
// How the runtime's calls map (add-in ABI 1.6):
//  - add_contact(jid): a roster set adding the item, then <presence type='subscribe'/> (with
//    the user's nickname, XEP-0172 4.3). The contact is on the list once it answers 'subscribed'
//    (post_add_result S_OK); 'unsubscribed' is a decline (MSGR_E_FAIL) and a presence error a
//    contact that does not exist (MSGR_E_USER_NOT_FOUND) or cannot be reached (MSGR_E_FAIL):
//    the roster item is then removed again, so the contact stays off the list on every device.
//  - remove_contact(jid): a roster set with subscription='remove' (the server cancels the
//    subscriptions both ways, RFC 6121 2.5).
//  - a <presence type='subscribe'/> from someone: MSGR_EVENT_AUTHORIZATION_REQUEST, unless the
//    user asked that contact first (a pending add, a roster item, [xmpp] subscribe) or
//    [xmpp] accept_subscriptions is set: then it is approved at once, as before ABI 1.6.
//  - authorize(jid, accept): 'subscribed' (and 'subscribe' back when the contact is not on the
//    list yet: accepting a friend request makes friends both ways) or 'unsubscribed'.
//  - set_blocked(jid, on): XEP-0191 <block/> or <unblock/>; the server's block list is read at
//    sign-in and its pushes (a block made on another device) are reported.
//  - set_friendly_name(name): published as the user's XEP-0172 nickname (PEP); contacts' own
//    nicknames arrive as PEP events (the add-in lists nick+notify) and name a contact the user
//    has not named in the roster.
#pragma once

#include <strophe.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msgr_xmpp {

constexpr const char *kRosterNs = "jabber:iq:roster";                          // RFC 6121
constexpr const char *kBlockingNs = "urn:xmpp:blocking";                       // XEP-0191
constexpr const char *kNickNs = "http://jabber.org/protocol/nick";             // XEP-0172
constexpr const char *kNickNotify = "http://jabber.org/protocol/nick+notify";  // XEP-0163
constexpr const char *kPubsubNs = "http://jabber.org/protocol/pubsub";         // XEP-0060
constexpr const char *kPubsubEventNs = "http://jabber.org/protocol/pubsub#event";

// The longest nickname kept from the network, in UTF-8 bytes (what msgr_host_post_friendly_name
// takes); a longer one is cut at a character boundary.
constexpr std::size_t kMaxNickBytes = 1024;
// At most this many JIDs are read from one block list, block or unblock push.
constexpr std::size_t kMaxBlockItems = 10000;

// ---- what the add-in sends ------------------------------------------------------------------

// <iq type='set' id=id><query xmlns='jabber:iq:roster'><item jid=jid/></query></iq>, with
// subscription='remove' when remove.
xmpp_stanza_t *roster_set(xmpp_ctx_t *ctx, const std::string &id, const std::string &jid,
                          bool remove);
// <presence to=jid type=type/>, with <nick/> when nick is not empty (a subscription request).
xmpp_stanza_t *subscription_presence(xmpp_ctx_t *ctx, const std::string &jid, const char *type,
                                     const std::string &nick = {});
// XEP-0191: <iq type='set'><block|unblock xmlns='urn:xmpp:blocking'><item jid/></...></iq>.
xmpp_stanza_t *blocking_set(xmpp_ctx_t *ctx, const std::string &id, const std::string &jid,
                            bool block);
// XEP-0191: <iq type='get'><blocklist xmlns='urn:xmpp:blocking'/></iq>.
xmpp_stanza_t *blocklist_get(xmpp_ctx_t *ctx, const std::string &id);
// XEP-0172 over XEP-0163: publish the user's nickname to their PEP node.
xmpp_stanza_t *nick_publish(xmpp_ctx_t *ctx, const std::string &id, const std::string &nick);

// ---- what the add-in reads ------------------------------------------------------------------

// The subscription a <presence/> is about (RFC 6121 3), from its type.
enum class Subscription { none, subscribe, subscribed, unsubscribe, unsubscribed, error };
Subscription subscription_of(xmpp_stanza_t *presence);

// Why a subscription request failed, from the <presence type='error'/> that answered it:
// MSGR_E_USER_NOT_FOUND when the contact does not exist (item-not-found, jid-malformed,
// remote-server-not-found), MSGR_E_FAIL for anything else.
std::int32_t add_refusal(xmpp_stanza_t *presence);

// An XEP-0191 element in an IQ: the block list (the answer to blocklist_get), or a push of
// <block/> or <unblock/>. jids are bare and lower-cased; an <unblock/> without items unblocks
// everyone (all). A JID that is empty, has nothing before its '/', or is longer than 3071 bytes
// is skipped.
struct Blocking {
    enum Kind { none, list, block, unblock } kind = none;
    std::vector<std::string> jids;
    bool all = false;
};
Blocking read_blocking(xmpp_stanza_t *iq);

// An XEP-0172 nickname: the <nick xmlns='http://jabber.org/protocol/nick'/> child of a presence,
// or the one a PEP event <message/> carries (<event><items node=nick><item><nick/>). Sanitized
// UTF-8 without control characters, at most kMaxNickBytes; "" when there is none. from_event
// tells which was found (only the event of a contact's own node names them).
struct Nick {
    bool found = false;
    bool from_event = false;
    std::string text;
};
Nick read_nick(xmpp_stanza_t *stanza);

// A name from the network (a nickname, a roster item's name) as the add-in hands it on: valid
// UTF-8; C0 and C1 control characters as spaces; the bidi embedding, override and isolate marks
// (U+202A..U+202E, U+2066..U+2069), which could make one name look like another, dropped;
// trimmed, and cut at a character boundary to kMaxNickBytes.
std::string clean_name(std::string_view raw);

// Rich presence: the <status/> text of a presence (RFC 6121 4.7.2.2, the status message every
// client shows), cleaned as clean_name does; "" when there is none.
std::string status_text(xmpp_stanza_t *presence);

}  // namespace msgr_xmpp

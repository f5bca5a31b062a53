// What the XMPP service makes of a stanza from the server, as pure functions of the stanza and
// the account's bare JID: no connection, no thread, no host. The add-in's handlers call them,
// and so does the fuzz entry point (stanza_fuzz.cpp), so what the fuzzer exercises is exactly
// what a hostile server reaches.
#pragma once

#include <strophe.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msgr_xmpp {

// The longest message body the add-in passes to the runtime, in UTF-8 bytes. A longer body is
// cut at a character boundary and marked (kTruncatedMark and the original size), so the user
// sees that something was cut instead of a silently shortened message. The same limit as the
// longest message the service sends (max_message_bytes).
constexpr std::size_t kMaxBodyBytes = std::size_t{64} * 1024;

// The lower-cased (ASCII) bare JID of a JID: everything before the first '/'.
std::string bare_of(std::string_view jid);

// s with every invalid UTF-8 sequence replaced by U+FFFD, and NUL bytes dropped.
std::string sanitize_utf8(std::string_view s);

// At most max bytes of valid UTF-8 s, cut at a character boundary.
std::string_view cut_utf8(std::string_view s, std::size_t max);

struct Incoming {
    bool deliver = false;
    std::string from;  // bare JID
    std::string text;  // valid UTF-8, at most kMaxBodyBytes plus the truncation mark
    bool truncated = false;
    bool page = false;  // it carries <page xmlns='urn:msgr:paging:0'/>: a page, not a chat
    std::string why;    // when not delivered: why (for the log); "" for stanzas that carry no text
};

// A <message/>: delivered when it is chat or normal (or has no type), has a body and a from,
// and is not from the account itself.
Incoming read_message(xmpp_ctx_t *ctx, xmpp_stanza_t *stanza, std::string_view self_bare,
                      std::size_t max_body = kMaxBodyBytes);

// A presence's MSGR_STATUS_*: unavailable -> OFFLINE; show chat or none -> ONLINE, away -> AWAY,
// xa -> IDLE, dnd -> BUSY; an unknown show is still available (ONLINE), as RFC 6121 4.7.2.1
// leaves it to the client.
std::int32_t presence_status(xmpp_stanza_t *presence);

// RFC 6121 2.1.6: a roster push is accepted only when it has no 'from' or its 'from' is the
// account's bare JID; anything else is a spoofing attempt and is ignored.
bool roster_push_allowed(const char *from, std::string_view self_bare);

// ---- Paging: how a contact says it accepts pages ---------------------------------------------
//
// A client that accepts pages lists the feature kPagingNs in its XEP-0030 service discovery
// information and announces that information with XEP-0115 entity capabilities in its presence
// (<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node=... ver=.../>). A client that
// sees such a presence asks the resource for its disco#info once per ver string and keeps the
// answer per ver when the ver verifies (so the next contact with the same software costs no
// query). A page is a <message type='normal'/> with a <body/> and <page xmlns=kPagingNs/>, sent
// to a full JID whose client advertised the feature.

constexpr const char *kPagingNs = "urn:msgr:paging:0";
constexpr const char *kCapsNs = "http://jabber.org/protocol/caps";
constexpr const char *kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
constexpr const char *kPingNs = "urn:xmpp:ping";
constexpr const char *kStanzaErrorNs = "urn:ietf:params:xml:ns:xmpp-stanzas";
// The XEP-0115 node naming this software.
constexpr const char *kCapsNode = "urn:msgr:client";

struct Identity {
    std::string category, type, lang, name;
};

struct DiscoInfo {
    std::vector<Identity> identities;
    std::vector<std::string> features;
    // XEP-0128 data forms, duplicate identities or features, or more than the limits below:
    // the XEP-0115 ver cannot be verified from what was kept (caps_ver returns "").
    bool unverifiable = false;
};

// At most this many identities and features are read from a disco#info answer, each string at
// most kMaxDiscoString bytes; the rest marks the answer unverifiable.
constexpr std::size_t kMaxDiscoItems = 256;
constexpr std::size_t kMaxDiscoString = 1024;

// The disco#info <query/> inside an IQ result (an empty DiscoInfo when there is none).
DiscoInfo read_disco_info(xmpp_stanza_t *iq);

// Whether the answer lists the feature.
bool has_feature(const DiscoInfo &info, std::string_view feature);

// XEP-0115 section 5.1: the verification string's SHA-1 in base64, or "" when unverifiable.
std::string caps_ver(xmpp_ctx_t *ctx, const DiscoInfo &info);

// The XEP-0115 <c/> of a presence; ver is "" when there is none (or it is not usable).
struct Caps {
    std::string node, ver, hash;
};
Caps read_caps(xmpp_stanza_t *presence);

}  // namespace msgr_xmpp

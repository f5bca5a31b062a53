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

// The namespaces of what a chat message carries besides its body.
constexpr const char *kStanzaIdNs = "urn:xmpp:sid:0";                           // XEP-0359
constexpr const char *kReceiptsNs = "urn:xmpp:receipts";                        // XEP-0184
constexpr const char *kMarkersNs = "urn:xmpp:chat-markers:0";                   // XEP-0333
constexpr const char *kChatStatesNs = "http://jabber.org/protocol/chatstates";  // XEP-0085
constexpr const char *kCarbonsNs = "urn:xmpp:carbons:2";                        // XEP-0280
constexpr const char *kForwardNs = "urn:xmpp:forward:0";                        // XEP-0297
constexpr const char *kDelayNs = "urn:xmpp:delay";                              // XEP-0203
constexpr const char *kMamNs = "urn:xmpp:mam:2";                                // XEP-0313
constexpr const char *kRsmNs = "http://jabber.org/protocol/rsm";                // XEP-0059
constexpr const char *kDataFormsNs = "jabber:x:data";                           // XEP-0004
constexpr const char *kHintsNs = "urn:xmpp:hints";                              // XEP-0334

// The longest id the add-in keeps from the network (origin-id, stanza-id, archive ids, receipt
// ids): what msgr_incoming_message allows. A longer or malformed id is treated as absent.
constexpr std::size_t kMaxIdBytes = 256;

// An id from the network as the add-in keeps it: 1..kMaxIdBytes bytes of valid UTF-8 without
// control characters; "" (absent) for anything else.
std::string clean_id(const char *id);

// An XEP-0082 date-time ("2026-12-02T10:00:00Z", fractions and offsets allowed) in Unix
// milliseconds; 0 when it is not one (or outside the years 1970..9999).
std::int64_t parse_datetime(std::string_view s);

// A chat state (MSGR_CHAT_STATE_*, from msgr.h) named by an XEP-0085 element; 0 (NONE) when the
// name is not one.
int chat_state_of(std::string_view name);
// The XEP-0085 element name of a chat state; nullptr for NONE or an unknown value.
const char *chat_state_name(int state);

// What wraps a message that the server forwards (XEP-0297): a carbon copy (XEP-0280) of one the
// account received or sent on another device, or a result of an archive query (XEP-0313).
enum class Envelope { none, received_carbon, sent_carbon, archive_result };

struct Unwrapped {
    Envelope envelope = Envelope::none;
    // The message to read: the stanza itself (none) or the forwarded one (borrowed from it).
    // nullptr when the envelope is refused (why says why).
    xmpp_stanza_t *inner = nullptr;
    std::string query_id;           // archive_result: its queryid
    std::string archive_id;         // archive_result: the archive's id for the message
    std::int64_t time_unix_ms = 0;  // the forwarded <delay/> (0: none)
    std::string why;
};

// Takes a <message/> apart. Carbons and archive results are accepted only from the account's
// own bare JID (XEP-0280 section 11: a forged carbon from a contact is dropped; an archive
// result may also come without a 'from', from the account's own server).
Unwrapped unwrap(xmpp_stanza_t *message, std::string_view self_bare);

struct Incoming {
    bool deliver = false;  // there is a body to deliver (text)
    std::string from;      // bare JID of the sender
    std::string text;      // valid UTF-8, at most kMaxBodyBytes plus the truncation mark
    bool truncated = false;
    bool page = false;  // it carries <page xmlns='urn:msgr:paging:0'/>: a page, not a chat
    std::string why;    // when nothing is used: why (for the log); "" for stanzas of no interest

    // The conversation: the sender, or for a message the account sent itself (from_me, only
    // where allowed: carbons and the archive) the recipient. Bare JID.
    std::string peer;
    bool from_me = false;
    std::string from_full;          // the sender's full JID (receipts answer it)
    std::string id;                 // the stanza's id attribute (clean_id)
    std::string origin_id;          // XEP-0359 origin-id, else the stanza's id
    std::string archive_id;         // XEP-0359 stanza-id by the account's bare JID
    std::int64_t time_unix_ms = 0;  // XEP-0203 delay (0: none)
    bool wants_receipt = false;     // XEP-0184 <request/> (and an id to answer with)
    bool markable = false;          // XEP-0333 <markable/> (and an id to name it by)
    int chat_state = 0;             // XEP-0085, MSGR_CHAT_STATE_* (0: none)
    std::string received_id;        // XEP-0184 <received id/> or XEP-0333 <received id/>
    std::string displayed_id;       // XEP-0333 <displayed id/>
};

// A <message/> (the stanza itself, or what unwrap found inside one): used when it is chat or
// normal (or has no type) and has a from; not from the account itself unless from_me_allowed
// (a carbon or an archive result), and then never addressed to the account itself. deliver
// when it has a body; chat states, receipts and markers are read with or without one.
Incoming read_message(xmpp_ctx_t *ctx, xmpp_stanza_t *stanza, std::string_view self_bare,
                      std::size_t max_body = kMaxBodyBytes, bool from_me_allowed = false);

// ---- XEP-0313 archive queries -----------------------------------------------------------------

// The end of an archive query's answer (the <iq type='result'/> with <fin/>).
struct ArchiveFin {
    bool ok = false;          // a result with a <fin/>
    bool complete = false;    // fin complete='true': nothing beyond this page
    std::string first, last;  // RSM first and last ids of the page ("" when empty)
};
ArchiveFin read_archive_fin(xmpp_stanza_t *iq);

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

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
    std::string why;  // when not delivered: why (for the log); "" for stanzas that carry no text
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

}  // namespace msgr_xmpp

#include "contact_list.hpp"

#include <cstring>

#include "msgr/msgr.h"
#include "outgoing.hpp"
#include "stanza.hpp"

namespace msgr_xmpp {

namespace {

bool named(xmpp_stanza_t *s, const char *name) {
    const char *n = xmpp_stanza_get_name(s);
    return n != nullptr && std::strcmp(n, name) == 0;
}

// The longest JID RFC 7622 allows: three parts of at most 1023 bytes and two separators.
constexpr std::size_t kMaxJidBytes = 3071;

std::string clean_nick(xmpp_stanza_t *nick) {
    char *raw = xmpp_stanza_get_text(nick);
    if (raw == nullptr) return {};
    std::string s = clean_name(raw);
    xmpp_free(xmpp_stanza_get_context(nick), raw);
    return s;
}

}  // namespace

std::string clean_name(std::string_view raw) {
    const std::string valid = sanitize_utf8(raw);
    std::string s;
    s.reserve(valid.size());
    for (std::size_t i = 0; i < valid.size(); ++i) {
        const auto b = static_cast<unsigned char>(valid[i]);
        if (b < 0x20 || b == 0x7f) {  // C0 controls and DEL
            s += ' ';
        } else if (b == 0xC2 && i + 1 < valid.size() &&
                   static_cast<unsigned char>(valid[i + 1]) <= 0x9F) {  // C1: U+0080..U+009F
            s += ' ';
            ++i;
        } else if (b == 0xE2 && i + 2 < valid.size()) {
            const auto b1 = static_cast<unsigned char>(valid[i + 1]);
            const auto b2 = static_cast<unsigned char>(valid[i + 2]);
            const bool embedding = b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE;  // U+202A..U+202E
            const bool isolate = b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9;    // U+2066..U+2069
            if (embedding || isolate) {
                i += 2;
            } else {
                s += valid[i];
            }
        } else {
            s += valid[i];
        }
    }
    const auto first = s.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    s.erase(0, first);
    s.erase(s.find_last_not_of(' ') + 1);
    return std::string(cut_utf8(s, kMaxNickBytes));
}

xmpp_stanza_t *roster_set(xmpp_ctx_t *ctx, const std::string &id, const std::string &jid,
                          bool remove) {
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", id.c_str());
    if (iq == nullptr) return nullptr;
    xmpp_stanza_t *q = add_element(ctx, iq, "query", kRosterNs);
    xmpp_stanza_t *item = q != nullptr ? add_element(ctx, q, "item") : nullptr;
    if (item == nullptr) {
        xmpp_stanza_release(iq);
        return nullptr;
    }
    xmpp_stanza_set_attribute(item, "jid", jid.c_str());
    if (remove) xmpp_stanza_set_attribute(item, "subscription", "remove");
    return iq;
}

xmpp_stanza_t *subscription_presence(xmpp_ctx_t *ctx, const std::string &jid, const char *type,
                                     const std::string &nick) {
    xmpp_stanza_t *p = xmpp_presence_new(ctx);
    if (p == nullptr) return nullptr;
    xmpp_stanza_set_to(p, jid.c_str());
    xmpp_stanza_set_type(p, type);
    if (!nick.empty()) (void)add_text_element(ctx, p, "nick", nick, kNickNs);
    return p;
}

xmpp_stanza_t *blocking_set(xmpp_ctx_t *ctx, const std::string &id, const std::string &jid,
                            bool block) {
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", id.c_str());
    if (iq == nullptr) return nullptr;
    xmpp_stanza_t *b = add_element(ctx, iq, block ? "block" : "unblock", kBlockingNs);
    xmpp_stanza_t *item = b != nullptr ? add_element(ctx, b, "item") : nullptr;
    if (item == nullptr) {
        xmpp_stanza_release(iq);
        return nullptr;
    }
    xmpp_stanza_set_attribute(item, "jid", jid.c_str());
    return iq;
}

xmpp_stanza_t *blocklist_get(xmpp_ctx_t *ctx, const std::string &id) {
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", id.c_str());
    if (iq == nullptr) return nullptr;
    if (add_element(ctx, iq, "blocklist", kBlockingNs) == nullptr) {
        xmpp_stanza_release(iq);
        return nullptr;
    }
    return iq;
}

xmpp_stanza_t *nick_publish(xmpp_ctx_t *ctx, const std::string &id, const std::string &nick) {
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", id.c_str());
    if (iq == nullptr) return nullptr;
    xmpp_stanza_t *pubsub = add_element(ctx, iq, "pubsub", kPubsubNs);
    xmpp_stanza_t *publish = pubsub != nullptr ? add_element(ctx, pubsub, "publish") : nullptr;
    xmpp_stanza_t *item = publish != nullptr ? add_element(ctx, publish, "item") : nullptr;
    xmpp_stanza_t *n =
        item != nullptr ? add_text_element(ctx, item, "nick", nick, kNickNs) : nullptr;
    if (n == nullptr) {
        xmpp_stanza_release(iq);
        return nullptr;
    }
    xmpp_stanza_set_attribute(publish, "node", kNickNs);
    return iq;
}

Subscription subscription_of(xmpp_stanza_t *presence) {
    const char *type = xmpp_stanza_get_type(presence);
    if (type == nullptr) return Subscription::none;
    const std::string_view t(type);
    if (t == "subscribe") return Subscription::subscribe;
    if (t == "subscribed") return Subscription::subscribed;
    if (t == "unsubscribe") return Subscription::unsubscribe;
    if (t == "unsubscribed") return Subscription::unsubscribed;
    if (t == "error") return Subscription::error;
    return Subscription::none;
}

std::int32_t add_refusal(xmpp_stanza_t *presence) {
    xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(presence, "error");
    if (error == nullptr) return MSGR_E_FAIL;
    for (const char *condition : {"item-not-found", "jid-malformed", "remote-server-not-found"}) {
        if (xmpp_stanza_get_child_by_name_and_ns(error, condition, kStanzaErrorNs) != nullptr)
            return MSGR_E_USER_NOT_FOUND;
    }
    return MSGR_E_FAIL;
}

Blocking read_blocking(xmpp_stanza_t *iq) {
    Blocking out;
    xmpp_stanza_t *el = xmpp_stanza_get_child_by_ns(iq, kBlockingNs);
    if (el == nullptr) return out;
    if (named(el, "blocklist")) {
        out.kind = Blocking::list;
    } else if (named(el, "block")) {
        out.kind = Blocking::block;
    } else if (named(el, "unblock")) {
        out.kind = Blocking::unblock;
    } else {
        return out;
    }
    bool any = false;
    for (xmpp_stanza_t *item = xmpp_stanza_get_children(el); item != nullptr;
         item = xmpp_stanza_get_next(item)) {
        if (!named(item, "item")) continue;
        any = true;
        const char *jid = xmpp_stanza_get_attribute(item, "jid");
        if (jid == nullptr) continue;
        const std::size_t n = std::strlen(jid);
        if (n == 0 || n > kMaxJidBytes) continue;
        if (out.jids.size() >= kMaxBlockItems) break;
        std::string bare = bare_of(sanitize_utf8(std::string_view(jid, n)));
        if (bare.empty()) continue;  // "/x": a resource with no JID before it
        out.jids.push_back(std::move(bare));
    }
    out.all = out.kind == Blocking::unblock && !any;
    return out;
}

std::string status_text(xmpp_stanza_t *presence) {
    xmpp_stanza_t *status = xmpp_stanza_get_child_by_name(presence, "status");
    if (status == nullptr) return {};
    char *raw = xmpp_stanza_get_text(status);
    if (raw == nullptr) return {};
    std::string s = clean_name(raw);
    xmpp_free(xmpp_stanza_get_context(status), raw);
    return s;
}

Nick read_nick(xmpp_stanza_t *stanza) {
    Nick out;
    if (xmpp_stanza_t *n = xmpp_stanza_get_child_by_name_and_ns(stanza, "nick", kNickNs)) {
        out.found = true;
        out.text = clean_nick(n);
        return out;
    }
    xmpp_stanza_t *event = xmpp_stanza_get_child_by_name_and_ns(stanza, "event", kPubsubEventNs);
    xmpp_stanza_t *items =
        event != nullptr ? xmpp_stanza_get_child_by_name(event, "items") : nullptr;
    const char *node = items != nullptr ? xmpp_stanza_get_attribute(items, "node") : nullptr;
    if (node == nullptr || std::strcmp(node, kNickNs) != 0) return out;
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(items, "item");
    xmpp_stanza_t *n =
        item != nullptr ? xmpp_stanza_get_child_by_name_and_ns(item, "nick", kNickNs) : nullptr;
    out.found = true;
    out.from_event = true;
    if (n != nullptr) out.text = clean_nick(n);
    return out;
}

}  // namespace msgr_xmpp

#include "stanza.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "msgr/msgr.h"

namespace msgr_xmpp {

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t utf8_seq(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

}  // namespace

std::string bare_of(std::string_view jid) {
    std::string out(jid.substr(0, jid.find('/')));
    for (auto &c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string sanitize_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8_seq(s, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            if (!(len == 1 && s[i] == '\0')) out.append(s.data() + i, len);
            i += len;
        }
    }
    return out;
}

std::string_view cut_utf8(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80)
        --end;
    return s.substr(0, end);
}

Incoming read_message(xmpp_ctx_t *ctx, xmpp_stanza_t *stanza, std::string_view self_bare,
                      std::size_t max_body) {
    Incoming in;
    const char *type = xmpp_stanza_get_type(stanza);
    if (type != nullptr && std::strcmp(type, "chat") != 0 && std::strcmp(type, "normal") != 0)
        return in;  // error, groupchat, headline: not a conversation
    xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(stanza, "body");
    if (body == nullptr) return in;  // chat states, receipts, ...
    const char *from = xmpp_stanza_get_from(stanza);
    if (from == nullptr || *from == '\0') {
        in.why = "a message without a sender";
        return in;
    }
    in.from = sanitize_utf8(bare_of(from));
    if (in.from.empty()) {
        in.why = "a message from an empty JID";
        return in;
    }
    if (in.from == self_bare) {
        in.why = "a message from the account itself";
        return in;
    }
    char *text = xmpp_stanza_get_text(body);
    if (text == nullptr) {
        in.why = "a message with an empty body";
        return in;
    }
    const std::string_view raw(text, std::strlen(text));
    if (raw.size() > max_body) {
        in.text = sanitize_utf8(cut_utf8(raw, max_body));
        in.text += " [message truncated: " + std::to_string(raw.size()) + " bytes]";
        in.truncated = true;
    } else {
        in.text = sanitize_utf8(raw);
    }
    xmpp_free(ctx, text);
    in.page = xmpp_stanza_get_child_by_ns(stanza, kPagingNs) != nullptr;
    in.deliver = true;
    return in;
}

std::int32_t presence_status(xmpp_stanza_t *presence) {
    const char *type = xmpp_stanza_get_type(presence);
    if (type != nullptr && std::strcmp(type, "unavailable") == 0) return MSGR_STATUS_OFFLINE;
    xmpp_stanza_t *show = xmpp_stanza_get_child_by_name(presence, "show");
    xmpp_stanza_t *node = show != nullptr ? xmpp_stanza_get_children(show) : nullptr;
    const char *text = node != nullptr ? xmpp_stanza_get_text_ptr(node) : nullptr;
    if (text == nullptr || std::strcmp(text, "chat") == 0) return MSGR_STATUS_ONLINE;
    if (std::strcmp(text, "away") == 0) return MSGR_STATUS_AWAY;
    if (std::strcmp(text, "xa") == 0) return MSGR_STATUS_IDLE;
    if (std::strcmp(text, "dnd") == 0) return MSGR_STATUS_BUSY;
    return MSGR_STATUS_ONLINE;  // an unknown show is still available
}

bool roster_push_allowed(const char *from, std::string_view self_bare) {
    return from == nullptr || bare_of(from) == self_bare;
}

namespace {

// An attribute as a string ("" when absent); false when it is longer than kMaxDiscoString.
bool attribute(xmpp_stanza_t *st, const char *name, std::string &out) {
    const char *v = xmpp_stanza_get_attribute(st, name);
    out.clear();
    if (v == nullptr) return true;
    const std::size_t n = strnlen(v, kMaxDiscoString + 1);
    if (n > kMaxDiscoString) return false;
    out.assign(v, n);
    return true;
}

bool named(xmpp_stanza_t *st, const char *name) {
    const char *n = xmpp_stanza_get_name(st);
    return n != nullptr && std::strcmp(n, name) == 0;
}

}  // namespace

DiscoInfo read_disco_info(xmpp_stanza_t *iq) {
    DiscoInfo info;
    xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, kDiscoInfoNs);
    if (query == nullptr) return info;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (named(c, "identity")) {
            Identity id;
            if (info.identities.size() >= kMaxDiscoItems ||
                !attribute(c, "category", id.category) || !attribute(c, "type", id.type) ||
                !attribute(c, "xml:lang", id.lang) || !attribute(c, "name", id.name)) {
                info.unverifiable = true;
                continue;
            }
            info.identities.push_back(std::move(id));
        } else if (named(c, "feature")) {
            std::string var;
            if (info.features.size() >= kMaxDiscoItems || !attribute(c, "var", var)) {
                info.unverifiable = true;
                continue;
            }
            if (!var.empty()) info.features.push_back(std::move(var));
        } else if (named(c, "x")) {
            info.unverifiable = true;  // an XEP-0128 extension form: not hashed here
        }
    }
    return info;
}

bool has_feature(const DiscoInfo &info, std::string_view feature) {
    return std::find(info.features.begin(), info.features.end(), feature) != info.features.end();
}

std::string caps_ver(xmpp_ctx_t *ctx, const DiscoInfo &info) {
    if (info.unverifiable || ctx == nullptr) return {};
    std::vector<Identity> ids = info.identities;
    auto key = [](const Identity &i) { return std::tie(i.category, i.type, i.lang, i.name); };
    std::sort(ids.begin(), ids.end(),
              [&](const Identity &a, const Identity &b) { return key(a) < key(b); });
    std::vector<std::string> features = info.features;
    std::sort(features.begin(), features.end());
    // XEP-0115 5.4: duplicate identities or features make the answer invalid.
    if (std::adjacent_find(
            ids.begin(), ids.end(),
            [&](const Identity &a, const Identity &b) { return key(a) == key(b); }) != ids.end() ||
        std::adjacent_find(features.begin(), features.end()) != features.end()) {
        return {};
    }
    std::string s;
    for (const auto &i : ids)
        s += i.category + "/" + i.type + "/" + i.lang + "/" + i.name + "<";
    for (const auto &f : features)
        s += f + "<";
    unsigned char digest[20];
    xmpp_sha1_digest(reinterpret_cast<const unsigned char *>(s.data()), s.size(), digest);
    char *b64 = xmpp_base64_encode(ctx, digest, sizeof digest);
    if (b64 == nullptr) return {};
    std::string out(b64);
    xmpp_free(ctx, b64);
    return out;
}

Caps read_caps(xmpp_stanza_t *presence) {
    Caps caps;
    xmpp_stanza_t *c = xmpp_stanza_get_child_by_ns(presence, kCapsNs);
    if (c == nullptr || !named(c, "c")) return caps;
    if (!attribute(c, "node", caps.node) || !attribute(c, "hash", caps.hash) ||
        !attribute(c, "ver", caps.ver)) {
        return Caps{};
    }
    // A ver is used as an XML attribute value and as a map key: keep it printable ASCII.
    for (const char ch : caps.ver) {
        if (ch < 0x21 || ch > 0x7E) return Caps{};
    }
    return caps;
}

}  // namespace msgr_xmpp

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

namespace {

bool named_ns(xmpp_stanza_t *st, const char *name, const char *ns) {
    const char *n = xmpp_stanza_get_name(st);
    const char *x = xmpp_stanza_get_ns(st);
    return n != nullptr && x != nullptr && std::strcmp(n, name) == 0 && std::strcmp(x, ns) == 0;
}

// The first child element called name in namespace ns (nullptr when none).
xmpp_stanza_t *child(xmpp_stanza_t *st, const char *name, const char *ns) {
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (named_ns(c, name, ns)) return c;
    }
    return nullptr;
}

std::string attr_id(xmpp_stanza_t *st, const char *name) {
    return st != nullptr ? clean_id(xmpp_stanza_get_attribute(st, name)) : std::string();
}

// days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// n decimal digits of s at i (false when they are not all digits).
bool digits(std::string_view s, std::size_t i, std::size_t n, unsigned &out) {
    if (i + n > s.size()) return false;
    out = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const char c = s[i + k];
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}

}  // namespace

std::string clean_id(const char *id) {
    if (id == nullptr) return {};
    const std::size_t n = strnlen(id, kMaxIdBytes + 1);
    if (n == 0 || n > kMaxIdBytes) return {};
    const std::string_view v(id, n);
    for (const char c : v) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return {};
    }
    if (sanitize_utf8(v) != v) return {};
    return std::string(v);
}

std::int64_t parse_datetime(std::string_view s) {
    // CCYY-MM-DDThh:mm:ss[.sss]TZD with TZD = Z or (+|-)hh:mm (XEP-0082 section 3.2).
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (s.size() > 64 || !digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' ||
        !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d) || s[10] != 'T' ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se))
        return 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return 0;
    std::size_t i = 19;
    unsigned ms = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (n < 3) ms = ms * 10 + static_cast<unsigned>(s[i] - '0');
            ++n;
            ++i;
        }
        if (n == 0) return 0;
        for (; n < 3; ++n)
            ms *= 10;
    }
    std::int64_t offset_min = 0;
    if (i < s.size() && s[i] == 'Z') {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        unsigned oh = 0, om = 0;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
            !digits(s, i + 4, 2, om) || oh > 23 || om > 59)
            return 0;
        offset_min = (s[i] == '+' ? 1 : -1) * (std::int64_t{oh} * 60 + om);
        i += 6;
    } else {
        return 0;
    }
    if (i != s.size()) return 0;
    const std::int64_t secs = days_from_civil(y, mo, d) * 86400 + std::int64_t{h} * 3600 +
                              std::int64_t{mi} * 60 + se - offset_min * 60;
    return secs < 0 ? 0 : secs * 1000 + ms;
}

namespace {
constexpr const char *kChatStateNames[] = {nullptr,  "active",   "composing",
                                           "paused", "inactive", "gone"};
}

int chat_state_of(std::string_view name) {
    for (int i = MSGR_CHAT_STATE_ACTIVE; i <= MSGR_CHAT_STATE_GONE; ++i) {
        if (name == kChatStateNames[i]) return i;
    }
    return MSGR_CHAT_STATE_NONE;
}

const char *chat_state_name(int state) {
    if (state < MSGR_CHAT_STATE_ACTIVE || state > MSGR_CHAT_STATE_GONE) return nullptr;
    return kChatStateNames[state];
}

Unwrapped unwrap(xmpp_stanza_t *message, std::string_view self_bare) {
    Unwrapped u;
    xmpp_stanza_t *wrapper = nullptr;
    if ((wrapper = child(message, "received", kCarbonsNs)) != nullptr) {
        u.envelope = Envelope::received_carbon;
    } else if ((wrapper = child(message, "sent", kCarbonsNs)) != nullptr) {
        u.envelope = Envelope::sent_carbon;
    } else if ((wrapper = child(message, "result", kMamNs)) != nullptr) {
        u.envelope = Envelope::archive_result;
    } else {
        u.inner = message;
        return u;
    }
    // Only the account's own server speaks for the account: a carbon's 'from' is the account's
    // bare JID (exactly: a full JID is some client of it, not the server), and so is an archive
    // result's (or it has none: the account's own server answering the query).
    const char *from = xmpp_stanza_get_from(message);
    const bool from_self = from != nullptr &&
                           std::string_view(from).find('/') == std::string_view::npos &&
                           bare_of(from) == self_bare;
    const bool from_server = from == nullptr && u.envelope == Envelope::archive_result;
    if (!from_self && !from_server) {
        u.why = std::string(u.envelope == Envelope::archive_result ? "an archive result"
                                                                   : "a carbon copy") +
                " not from the account's own server (from " +
                sanitize_utf8(std::string_view(from != nullptr ? from : "").substr(0, 200)) + ")";
        return u;
    }
    xmpp_stanza_t *fwd = child(wrapper, "forwarded", kForwardNs);
    xmpp_stanza_t *inner = fwd != nullptr ? xmpp_stanza_get_child_by_name(fwd, "message") : nullptr;
    if (inner == nullptr) {
        u.why = "a forwarded message without a message";
        return u;
    }
    if (u.envelope == Envelope::archive_result) {
        u.query_id = attr_id(wrapper, "queryid");
        u.archive_id = attr_id(wrapper, "id");
        if (u.archive_id.empty()) {
            u.why = "an archive result without an id";
            return u;
        }
    }
    if (xmpp_stanza_t *delay = child(fwd, "delay", kDelayNs)) {
        const char *stamp = xmpp_stanza_get_attribute(delay, "stamp");
        if (stamp != nullptr) u.time_unix_ms = parse_datetime(stamp);
    }
    u.inner = inner;
    return u;
}

Incoming read_message(xmpp_ctx_t *ctx, xmpp_stanza_t *stanza, std::string_view self_bare,
                      std::size_t max_body, bool from_me_allowed) {
    Incoming in;
    const char *type = xmpp_stanza_get_type(stanza);
    if (type != nullptr && std::strcmp(type, "chat") != 0 && std::strcmp(type, "normal") != 0)
        return in;  // error, groupchat, headline: not a conversation
    xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(stanza, "body");
    const char *from = xmpp_stanza_get_from(stanza);
    if (from == nullptr || *from == '\0') {
        if (body != nullptr) in.why = "a message without a sender";
        return in;
    }
    in.from = sanitize_utf8(bare_of(from));
    if (in.from.empty()) {
        if (body != nullptr) in.why = "a message from an empty JID";
        return in;
    }
    in.peer = in.from;
    if (in.from == self_bare) {
        const char *to = xmpp_stanza_get_to(stanza);
        const std::string to_bare = to != nullptr ? sanitize_utf8(bare_of(to)) : std::string();
        if (!from_me_allowed || to_bare.empty() || to_bare == self_bare) {
            if (body != nullptr) in.why = "a message from the account itself";
            return in;
        }
        in.from_me = true;
        in.peer = to_bare;
    }
    in.from_full = sanitize_utf8(std::string_view(from).substr(0, std::size_t{3} * 1024));
    in.id = attr_id(stanza, "id");
    in.origin_id = attr_id(child(stanza, "origin-id", kStanzaIdNs), "id");
    if (in.origin_id.empty()) in.origin_id = in.id;
    // Only a stanza-id the account's own server stamped means anything (XEP-0359 section 5):
    // the server removes such ids that others put in, and any other 'by' is someone's claim.
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(stanza); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        if (!named_ns(c, "stanza-id", kStanzaIdNs)) continue;
        const char *by = xmpp_stanza_get_attribute(c, "by");
        if (by != nullptr && bare_of(by) == self_bare && std::strchr(by, '/') == nullptr) {
            in.archive_id = attr_id(c, "id");
            break;
        }
    }
    if (xmpp_stanza_t *delay = child(stanza, "delay", kDelayNs)) {
        const char *stamp = xmpp_stanza_get_attribute(delay, "stamp");
        if (stamp != nullptr) in.time_unix_ms = parse_datetime(stamp);
    }
    in.wants_receipt = !in.id.empty() && child(stanza, "request", kReceiptsNs) != nullptr;
    in.markable = !in.id.empty() && child(stanza, "markable", kMarkersNs) != nullptr;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(stanza); c != nullptr;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c);
        const char *name = xmpp_stanza_get_name(c);
        if (ns == nullptr || name == nullptr) continue;
        if (std::strcmp(ns, kChatStatesNs) == 0 && in.chat_state == MSGR_CHAT_STATE_NONE) {
            in.chat_state = chat_state_of(name);
        } else if ((std::strcmp(ns, kReceiptsNs) == 0 || std::strcmp(ns, kMarkersNs) == 0) &&
                   std::strcmp(name, "received") == 0 && in.received_id.empty()) {
            in.received_id = attr_id(c, "id");
        } else if (std::strcmp(ns, kMarkersNs) == 0 && std::strcmp(name, "displayed") == 0 &&
                   in.displayed_id.empty()) {
            in.displayed_id = attr_id(c, "id");
        }
    }
    if (body == nullptr) return in;  // chat states, receipts, markers: no text
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

ArchiveFin read_archive_fin(xmpp_stanza_t *iq) {
    ArchiveFin fin;
    const char *type = xmpp_stanza_get_type(iq);
    if (type == nullptr || std::strcmp(type, "result") != 0) return fin;
    xmpp_stanza_t *f = child(iq, "fin", kMamNs);
    if (f == nullptr) return fin;
    fin.ok = true;
    const char *complete = xmpp_stanza_get_attribute(f, "complete");
    fin.complete = complete != nullptr &&
                   (std::strcmp(complete, "true") == 0 || std::strcmp(complete, "1") == 0);
    if (xmpp_stanza_t *set = child(f, "set", kRsmNs)) {
        auto text_of = [](xmpp_stanza_t *e) {
            if (e == nullptr) return std::string();
            xmpp_stanza_t *t = xmpp_stanza_get_children(e);
            return t != nullptr ? clean_id(xmpp_stanza_get_text_ptr(t)) : std::string();
        };
        fin.first = text_of(child(set, "first", kRsmNs));
        fin.last = text_of(child(set, "last", kRsmNs));
    }
    return fin;
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

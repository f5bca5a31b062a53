#include "outgoing.hpp"

#include "stanza.hpp"

namespace msgr_xmpp {

xmpp_stanza_t *add_element(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                           const char *ns) {
    xmpp_stanza_t *c = xmpp_stanza_new(ctx);
    if (c == nullptr) return nullptr;
    xmpp_stanza_set_name(c, name);
    if (ns != nullptr) xmpp_stanza_set_ns(c, ns);
    xmpp_stanza_add_child(parent, c);
    xmpp_stanza_release(c);
    return c;
}

xmpp_stanza_t *add_text_element(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                                const std::string &text, const char *ns) {
    xmpp_stanza_t *e = add_element(ctx, parent, name, ns);
    if (e == nullptr) return nullptr;
    xmpp_stanza_t *t = xmpp_stanza_new(ctx);
    if (t == nullptr) return e;
    xmpp_stanza_set_text(t, text.c_str());
    xmpp_stanza_add_child(e, t);
    xmpp_stanza_release(t);
    return e;
}

namespace {

// Adds a new element with an id attribute (origin-id, a receipt, a marker) to parent.
void add_with_id(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name, const char *ns,
                 const std::string &id) {
    if (xmpp_stanza_t *e = add_element(ctx, parent, name, ns))
        xmpp_stanza_set_attribute(e, "id", id.c_str());
}

void add_text(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name, const std::string &text,
              const char *ns = nullptr) {
    (void)add_text_element(ctx, parent, name, text, ns);
}

}  // namespace

xmpp_stanza_t *chat_message(xmpp_ctx_t *ctx, const std::string &to, const std::string &id,
                            const std::string &text, bool page) {
    xmpp_stanza_t *m = xmpp_message_new(ctx, page ? "normal" : "chat", to.c_str(), id.c_str());
    if (m == nullptr) return nullptr;
    xmpp_message_set_body(m, text.c_str());
    if (page) add_element(ctx, m, "page", kPagingNs);
    add_with_id(ctx, m, "origin-id", kStanzaIdNs, id);
    add_element(ctx, m, "request", kReceiptsNs);
    add_element(ctx, m, "markable", kMarkersNs);
    if (!page) add_element(ctx, m, "active", kChatStatesNs);
    return m;
}

xmpp_stanza_t *chat_state_message(xmpp_ctx_t *ctx, const std::string &to, int state) {
    const char *name = chat_state_name(state);
    if (name == nullptr) return nullptr;
    xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", to.c_str(), nullptr);
    if (m == nullptr) return nullptr;
    add_element(ctx, m, name, kChatStatesNs);
    add_element(ctx, m, "no-store", kHintsNs);
    return m;
}

xmpp_stanza_t *displayed_message(xmpp_ctx_t *ctx, const std::string &to, const std::string &id) {
    xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", to.c_str(), nullptr);
    if (m == nullptr) return nullptr;
    add_with_id(ctx, m, "displayed", kMarkersNs, id);
    add_element(ctx, m, "store",
                kHintsNs);  // the contact's other devices learn it from the archive
    return m;
}

xmpp_stanza_t *receipt_message(xmpp_ctx_t *ctx, const std::string &to, const std::string &id) {
    xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", to.c_str(), nullptr);
    if (m == nullptr) return nullptr;
    add_with_id(ctx, m, "received", kReceiptsNs, id);
    add_element(ctx, m, "no-store", kHintsNs);
    return m;
}

xmpp_stanza_t *carbons_enable(xmpp_ctx_t *ctx, const std::string &iq_id) {
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", iq_id.c_str());
    if (iq == nullptr) return nullptr;
    add_element(ctx, iq, "enable", kCarbonsNs);
    return iq;
}

xmpp_stanza_t *archive_query(xmpp_ctx_t *ctx, const std::string &iq_id, const ArchiveQuery &q) {
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", iq_id.c_str());
    if (iq == nullptr) return nullptr;
    xmpp_stanza_t *query = add_element(ctx, iq, "query", kMamNs);
    if (query == nullptr) return iq;
    xmpp_stanza_set_attribute(query, "queryid", q.query_id.c_str());
    xmpp_stanza_t *x = add_element(ctx, query, "x", kDataFormsNs);
    if (x != nullptr) {
        xmpp_stanza_set_type(x, "submit");
        auto field = [&](const char *var, const std::string &value, const char *type) {
            xmpp_stanza_t *f = add_element(ctx, x, "field");
            if (f == nullptr) return;
            xmpp_stanza_set_attribute(f, "var", var);
            if (type != nullptr) xmpp_stanza_set_type(f, type);
            add_text(ctx, f, "value", value);
        };
        field("FORM_TYPE", kMamNs, "hidden");
        if (!q.with.empty()) field("with", q.with, nullptr);
    }
    xmpp_stanza_t *set = add_element(ctx, query, "set", kRsmNs);
    if (set != nullptr) {
        add_text(ctx, set, "max", std::to_string(q.max));
        if (!q.after.empty()) add_text(ctx, set, "after", q.after);
        if (q.before_set) {
            if (q.before.empty()) {
                add_element(ctx, set, "before");
            } else {
                add_text(ctx, set, "before", q.before);
            }
        }
    }
    return iq;
}

}  // namespace msgr_xmpp

// The stanzas the XMPP service sends about conversations, built as pure functions of what goes
// in them (no connection): chat messages with their ids and requests, chat states, read
// markers, receipts, carbons and archive queries. The caller sends and releases the stanza;
// each returns nullptr when libstrophe runs out of memory.
#pragma once

#include <strophe.h>

#include <string>

namespace msgr_xmpp {

// The building blocks of every stanza the add-in sends: a new child element of parent, named and
// in namespace ns (nullptr: none), returned borrowed (parent holds it); nullptr when libstrophe
// runs out of memory. add_text_element gives it `text` as its content.
xmpp_stanza_t *add_element(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                           const char *ns = nullptr);
xmpp_stanza_t *add_text_element(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                                const std::string &text, const char *ns = nullptr);

// A chat message (or, page = true, a page: type normal with <page xmlns=kPagingNs/>) to `to`,
// with the body, the stanza id `id`, which is also its XEP-0359 origin-id (so a resend under
// the same id is recognised), an XEP-0184 receipt request, XEP-0333 <markable/> and XEP-0085
// <active/> (a chat only).
xmpp_stanza_t *chat_message(xmpp_ctx_t *ctx, const std::string &to, const std::string &id,
                            const std::string &text, bool page);

// An XEP-0085 chat state (MSGR_CHAT_STATE_*) alone, with an XEP-0334 no-store hint.
xmpp_stanza_t *chat_state_message(xmpp_ctx_t *ctx, const std::string &to, int state);

// XEP-0333 <displayed id/>: the user saw the contact's messages up to the one with that id.
xmpp_stanza_t *displayed_message(xmpp_ctx_t *ctx, const std::string &to, const std::string &id);

// XEP-0184 <received id/>, to the full JID that asked.
xmpp_stanza_t *receipt_message(xmpp_ctx_t *ctx, const std::string &to, const std::string &id);

// XEP-0280: <iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>.
xmpp_stanza_t *carbons_enable(xmpp_ctx_t *ctx, const std::string &iq_id);

// An XEP-0313 query of the account's own archive, paged with XEP-0059: with a peer ("" for
// all), after an archive id (forward), or before one (backward; before_set with "" = the last
// page), at most max per page.
struct ArchiveQuery {
    std::string query_id;
    std::string with;
    std::string after;
    bool before_set = false;
    std::string before;
    unsigned max = 50;
};
xmpp_stanza_t *archive_query(xmpp_ctx_t *ctx, const std::string &iq_id, const ArchiveQuery &q);

}  // namespace msgr_xmpp

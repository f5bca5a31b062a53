// The XMPP add-in's reading of stanzas (plugins/xmpp-service/src/stanza.hpp) without a server:
// XEP-0115 caps hashing against the XEP's own example, disco#info answers that cannot be
// verified, the caps element of a presence, and pages among messages; the contact list's
// stanzas (contact_list.hpp): block lists and pushes, nicknames, refused subscriptions.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "archive_mark.hpp"
#include "contact_list.hpp"
#include "msgr/msgr.h"
#include "outgoing.hpp"
#include "stanza.hpp"
#include "stream_management.hpp"

namespace {

struct Ctx {
    Ctx() {
        xmpp_initialize();
        ctx = xmpp_ctx_new(nullptr, nullptr);
    }
    ~Ctx() { xmpp_ctx_free(ctx); }
    Ctx(const Ctx &) = delete;
    Ctx &operator=(const Ctx &) = delete;
    xmpp_ctx_t *ctx = nullptr;
};

// Parses one stanza; released at scope end.
struct Stanza {
    Stanza(xmpp_ctx_t *ctx, const std::string &xml)
        : st(xmpp_stanza_new_from_string(ctx, xml.c_str())) {}
    ~Stanza() {
        if (st != nullptr) xmpp_stanza_release(st);
    }
    Stanza(const Stanza &) = delete;
    Stanza &operator=(const Stanza &) = delete;
    xmpp_stanza_t *st;
};

const char *const kExodus =
    "<iq type='result' from='romeo@montague.lit/orchard' id='disco1'>"
    "<query xmlns='http://jabber.org/protocol/disco#info' "
    "node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>"
    "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "</query></iq>";

}  // namespace

TEST(XmppStanza, CapsVerMatchesTheExampleOfXep0115) {
    Ctx c;
    Stanza iq(c.ctx, kExodus);
    ASSERT_NE(iq.st, nullptr);
    const msgr_xmpp::DiscoInfo info = msgr_xmpp::read_disco_info(iq.st);
    ASSERT_EQ(info.identities.size(), 1u);
    EXPECT_EQ(info.identities[0].name, "Exodus 0.9.1");
    EXPECT_EQ(info.features.size(), 4u);
    EXPECT_FALSE(info.unverifiable);
    EXPECT_EQ(msgr_xmpp::caps_ver(c.ctx, info), "QgayPKawpkPSDYmwT/WM94uAlu0=");
    EXPECT_FALSE(msgr_xmpp::has_feature(info, msgr_xmpp::kPagingNs));
    EXPECT_TRUE(msgr_xmpp::has_feature(info, "http://jabber.org/protocol/muc"));
}

TEST(XmppStanza, TheOrderOfTheAnswerDoesNotChangeTheVer) {
    Ctx c;
    msgr_xmpp::DiscoInfo a, b;
    a.identities = {{"client", "pc", "", "msgr"}, {"client", "phone", "en", "msgr"}};
    a.features = {msgr_xmpp::kPagingNs, msgr_xmpp::kCapsNs, msgr_xmpp::kDiscoInfoNs};
    b.identities = {a.identities[1], a.identities[0]};
    b.features = {a.features[2], a.features[0], a.features[1]};
    const std::string ver = msgr_xmpp::caps_ver(c.ctx, a);
    EXPECT_EQ(ver.size(), 28u);  // base64 of 20 bytes
    EXPECT_EQ(ver, msgr_xmpp::caps_ver(c.ctx, b));
    // ... and a different feature set has a different ver.
    b.features.pop_back();
    EXPECT_NE(ver, msgr_xmpp::caps_ver(c.ctx, b));
}

TEST(XmppStanza, AnswersThatCannotBeVerifiedHaveNoVer) {
    Ctx c;
    // Duplicate features (XEP-0115 5.4: invalid).
    msgr_xmpp::DiscoInfo dup;
    dup.identities = {{"client", "pc", "", "x"}};
    dup.features = {"a", "b", "a"};
    EXPECT_EQ(msgr_xmpp::caps_ver(c.ctx, dup), "");
    // An XEP-0128 form is not hashed here.
    Stanza form(c.ctx,
                "<iq type='result' id='d'><query xmlns='http://jabber.org/protocol/disco#info'>"
                "<identity category='client' type='pc'/><feature var='urn:msgr:paging:0'/>"
                "<x xmlns='jabber:x:data' type='result'/></query></iq>");
    const msgr_xmpp::DiscoInfo info = msgr_xmpp::read_disco_info(form.st);
    EXPECT_TRUE(info.unverifiable);
    EXPECT_TRUE(msgr_xmpp::has_feature(info, msgr_xmpp::kPagingNs));  // still read
    EXPECT_EQ(msgr_xmpp::caps_ver(c.ctx, info), "");
    // More features than the add-in keeps.
    std::string many =
        "<iq type='result' id='d'><query xmlns='http://jabber.org/protocol/disco#info'>";
    for (std::size_t i = 0; i <= msgr_xmpp::kMaxDiscoItems; ++i)
        many += "<feature var='f" + std::to_string(i) + "'/>";
    many += "</query></iq>";
    Stanza big(c.ctx, many);
    const msgr_xmpp::DiscoInfo kept = msgr_xmpp::read_disco_info(big.st);
    EXPECT_EQ(kept.features.size(), msgr_xmpp::kMaxDiscoItems);
    EXPECT_TRUE(kept.unverifiable);
    // No query at all: nothing, and no paging.
    Stanza none(c.ctx, "<iq type='result' id='d'/>");
    EXPECT_TRUE(msgr_xmpp::read_disco_info(none.st).features.empty());
}

TEST(XmppStanza, CapsAreReadFromPresence) {
    Ctx c;
    Stanza p(c.ctx,
             "<presence from='bob@x/phone'><c xmlns='http://jabber.org/protocol/caps' "
             "hash='sha-1' node='urn:msgr:client' ver='abc+/='/></presence>");
    const msgr_xmpp::Caps caps = msgr_xmpp::read_caps(p.st);
    EXPECT_EQ(caps.ver, "abc+/=");
    EXPECT_EQ(caps.hash, "sha-1");
    EXPECT_EQ(caps.node, "urn:msgr:client");
    Stanza none(c.ctx, "<presence from='bob@x/pc'/>");
    EXPECT_EQ(msgr_xmpp::read_caps(none.st).ver, "");
    // A ver with spaces or control characters is not used.
    Stanza odd(c.ctx,
               "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' "
               "ver='a b'/></presence>");
    EXPECT_EQ(msgr_xmpp::read_caps(odd.st).ver, "");
}

TEST(XmppStanza, APageIsAMessageMarkedAsOne) {
    Ctx c;
    Stanza page(c.ctx,
                "<message type='normal' from='alice@x/msgr'><body>call me</body>"
                "<page xmlns='urn:msgr:paging:0'/></message>");
    const msgr_xmpp::Incoming in = msgr_xmpp::read_message(c.ctx, page.st, "bob@x");
    EXPECT_TRUE(in.deliver);
    EXPECT_TRUE(in.page);
    EXPECT_EQ(in.text, "call me");
    Stanza chat(c.ctx, "<message type='chat' from='alice@x/msgr'><body>hi</body></message>");
    const msgr_xmpp::Incoming im = msgr_xmpp::read_message(c.ctx, chat.st, "bob@x");
    EXPECT_TRUE(im.deliver);
    EXPECT_FALSE(im.page);
}

// ---- conversations: ids, receipts, markers, chat states, carbons, the archive ----------------

namespace {

// A stanza the add-in built, as text, parsed back as the other side would read it.
std::string text_of(xmpp_stanza_t *st) {
    char *buf = nullptr;
    std::size_t len = 0;
    EXPECT_EQ(xmpp_stanza_to_text(st, &buf, &len), XMPP_EOK);
    std::string out(buf != nullptr ? buf : "", len);
    xmpp_free(xmpp_stanza_get_context(st), buf);
    xmpp_stanza_release(st);
    return out;
}

}  // namespace

TEST(XmppConversation, IdsAreBoundedAndPrintable) {
    EXPECT_EQ(msgr_xmpp::clean_id("abc-123"), "abc-123");
    EXPECT_EQ(msgr_xmpp::clean_id(nullptr), "");
    EXPECT_EQ(msgr_xmpp::clean_id(""), "");
    EXPECT_EQ(msgr_xmpp::clean_id("a\x01"
                                  "b"),
              "");
    EXPECT_EQ(msgr_xmpp::clean_id("\xC3\x28"), "");  // invalid UTF-8
    EXPECT_EQ(msgr_xmpp::clean_id(std::string(msgr_xmpp::kMaxIdBytes, 'x').c_str()).size(),
              msgr_xmpp::kMaxIdBytes);
    EXPECT_EQ(msgr_xmpp::clean_id(std::string(msgr_xmpp::kMaxIdBytes + 1, 'x').c_str()), "");
}

TEST(XmppConversation, DelayStampsAreXep0082DateTimes) {
    EXPECT_EQ(msgr_xmpp::parse_datetime("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(msgr_xmpp::parse_datetime("2002-09-10T23:08:25Z"), 1031699305000);
    EXPECT_EQ(msgr_xmpp::parse_datetime("2002-09-10T23:08:25.123Z"), 1031699305123);
    EXPECT_EQ(msgr_xmpp::parse_datetime("2002-09-10T23:08:25.1234567Z"), 1031699305123);
    EXPECT_EQ(msgr_xmpp::parse_datetime("2002-09-11T01:08:25+02:00"), 1031699305000);
    EXPECT_EQ(msgr_xmpp::parse_datetime("2002-09-10T16:08:25-07:00"), 1031699305000);
    for (const char *bad :
         {"", "2002-09-10", "2002-09-10T23:08:25", "2002-13-10T23:08:25Z", "2002-09-10T23:08:25ZZ",
          "2002-09-10T23:08:25.Z", "x002-09-10T23:08:25Z", "2002-09-10T23:08:25+0200"})
        EXPECT_EQ(msgr_xmpp::parse_datetime(bad), 0) << bad;
}

TEST(XmppConversation, AChatMessageCarriesItsIdsAndRequests) {
    Ctx c;
    Stanza m(c.ctx,
             "<message type='chat' from='alice@x/phone' to='bob@x/msgr' id='s1'>"
             "<body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='o1'/>"
             "<stanza-id xmlns='urn:xmpp:sid:0' by='mallory@x' id='fake'/>"
             "<stanza-id xmlns='urn:xmpp:sid:0' by='bob@x' id='a1'/>"
             "<request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>"
             "<active xmlns='http://jabber.org/protocol/chatstates'/>"
             "<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/></message>");
    const msgr_xmpp::Incoming in = msgr_xmpp::read_message(c.ctx, m.st, "bob@x");
    EXPECT_TRUE(in.deliver);
    EXPECT_EQ(in.peer, "alice@x");
    EXPECT_FALSE(in.from_me);
    EXPECT_EQ(in.from_full, "alice@x/phone");
    EXPECT_EQ(in.id, "s1");
    EXPECT_EQ(in.origin_id, "o1");
    EXPECT_EQ(in.archive_id, "a1") << "only the account's own server's stanza-id counts";
    EXPECT_TRUE(in.wants_receipt);
    EXPECT_TRUE(in.markable);
    EXPECT_EQ(in.chat_state, MSGR_CHAT_STATE_ACTIVE);
    EXPECT_EQ(in.time_unix_ms, 1031699305000);
    // Without origin-id the stanza's id is the sender's id for it; without an id nothing asks.
    Stanza plain(c.ctx,
                 "<message type='chat' from='alice@x/phone' id='s2'><body>x</body></message>");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, plain.st, "bob@x").origin_id, "s2");
    Stanza anon(c.ctx,
                "<message type='chat' from='alice@x/phone'><body>x</body>"
                "<request xmlns='urn:xmpp:receipts'/></message>");
    EXPECT_FALSE(msgr_xmpp::read_message(c.ctx, anon.st, "bob@x").wants_receipt);
}

TEST(XmppConversation, ReceiptsMarkersAndChatStatesWithoutABody) {
    Ctx c;
    Stanza r(c.ctx,
             "<message from='alice@x/phone'><received xmlns='urn:xmpp:receipts' id='o9'/>"
             "</message>");
    msgr_xmpp::Incoming in = msgr_xmpp::read_message(c.ctx, r.st, "bob@x");
    EXPECT_FALSE(in.deliver);
    EXPECT_EQ(in.received_id, "o9");
    EXPECT_EQ(in.peer, "alice@x");
    Stanza d(c.ctx,
             "<message type='chat' from='alice@x/phone'>"
             "<displayed xmlns='urn:xmpp:chat-markers:0' id='o10'/></message>");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, d.st, "bob@x").displayed_id, "o10");
    Stanza t(c.ctx,
             "<message type='chat' from='alice@x/phone'>"
             "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, t.st, "bob@x").chat_state, MSGR_CHAT_STATE_COMPOSING);
    Stanza odd(c.ctx,
               "<message type='chat' from='alice@x/phone'>"
               "<dancing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, odd.st, "bob@x").chat_state, MSGR_CHAT_STATE_NONE);
    // A group chat's states are not a conversation's.
    Stanza group(c.ctx,
                 "<message type='groupchat' from='room@x/alice'>"
                 "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, group.st, "bob@x").chat_state, MSGR_CHAT_STATE_NONE);
}

TEST(XmppConversation, CarbonsAreTakenOnlyFromTheAccountsOwnBareJid) {
    Ctx c;
    const std::string inner_sent =
        "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' type='chat' "
        "from='bob@x/phone' to='alice@x' id='p1'><body>from my phone</body>"
        "<origin-id xmlns='urn:xmpp:sid:0' id='op1'/></message></forwarded>";
    Stanza sent(c.ctx, "<message from='bob@x' to='bob@x/msgr'><sent xmlns='urn:xmpp:carbons:2'>" +
                           inner_sent + "</sent></message>");
    msgr_xmpp::Unwrapped u = msgr_xmpp::unwrap(sent.st, "bob@x");
    ASSERT_NE(u.inner, nullptr) << u.why;
    EXPECT_EQ(u.envelope, msgr_xmpp::Envelope::sent_carbon);
    msgr_xmpp::Incoming in =
        msgr_xmpp::read_message(c.ctx, u.inner, "bob@x", msgr_xmpp::kMaxBodyBytes, true);
    EXPECT_TRUE(in.deliver);
    EXPECT_TRUE(in.from_me);
    EXPECT_EQ(in.peer, "alice@x") << "the conversation is with the recipient";
    EXPECT_EQ(in.origin_id, "op1");
    // Not allowed (a plain message), the account's own message is not delivered.
    EXPECT_FALSE(msgr_xmpp::read_message(c.ctx, u.inner, "bob@x").deliver);

    Stanza received(c.ctx,
                    "<message from='bob@x' to='bob@x/msgr'><received xmlns='urn:xmpp:carbons:2'>"
                    "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' "
                    "type='chat' from='alice@x/pc' to='bob@x/phone'><body>to your phone</body>"
                    "</message></forwarded></received></message>");
    u = msgr_xmpp::unwrap(received.st, "bob@x");
    ASSERT_NE(u.inner, nullptr) << u.why;
    EXPECT_EQ(u.envelope, msgr_xmpp::Envelope::received_carbon);
    in = msgr_xmpp::read_message(c.ctx, u.inner, "bob@x", msgr_xmpp::kMaxBodyBytes, true);
    EXPECT_FALSE(in.from_me);
    EXPECT_EQ(in.peer, "alice@x");

    // Forged: a contact (or another client of the account: a full JID) wraps a carbon to put
    // words in someone's mouth. Dropped, with a reason.
    for (const char *from : {"alice@x", "alice@x/pc", "bob@x/phone", "mallory@evil"}) {
        Stanza forged(c.ctx, std::string("<message from='") + from +
                                 "' to='bob@x/msgr'><sent xmlns='urn:xmpp:carbons:2'>" +
                                 inner_sent + "</sent></message>");
        const msgr_xmpp::Unwrapped f = msgr_xmpp::unwrap(forged.st, "bob@x");
        EXPECT_EQ(f.inner, nullptr) << from;
        EXPECT_NE(f.why.find("carbon"), std::string::npos) << f.why;
    }
    Stanza nofrom(c.ctx, "<message to='bob@x/msgr'><sent xmlns='urn:xmpp:carbons:2'>" + inner_sent +
                             "</sent></message>");
    EXPECT_EQ(msgr_xmpp::unwrap(nofrom.st, "bob@x").inner, nullptr);
    // A carbon with nothing inside.
    Stanza empty(c.ctx, "<message from='bob@x'><sent xmlns='urn:xmpp:carbons:2'/></message>");
    EXPECT_EQ(msgr_xmpp::unwrap(empty.st, "bob@x").inner, nullptr);
}

TEST(XmppConversation, ArchiveResultsAndTheirEnd) {
    Ctx c;
    Stanza r(c.ctx,
             "<message to='bob@x/msgr'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='A7'>"
             "<forwarded xmlns='urn:xmpp:forward:0'>"
             "<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/>"
             "<message xmlns='jabber:client' type='chat' from='alice@x/pc' to='bob@x' id='m1'>"
             "<body>while you were away</body></message></forwarded></result></message>");
    const msgr_xmpp::Unwrapped u = msgr_xmpp::unwrap(r.st, "bob@x");
    ASSERT_NE(u.inner, nullptr) << u.why;
    EXPECT_EQ(u.envelope, msgr_xmpp::Envelope::archive_result);
    EXPECT_EQ(u.query_id, "q1");
    EXPECT_EQ(u.archive_id, "A7");
    EXPECT_EQ(u.time_unix_ms, 1031699305000);
    Stanza other(c.ctx,
                 "<message from='alice@x' to='bob@x/msgr'><result xmlns='urn:xmpp:mam:2' "
                 "queryid='q1' id='A8'><forwarded xmlns='urn:xmpp:forward:0'><message "
                 "from='alice@x/pc' to='bob@x'><body>forged</body></message></forwarded>"
                 "</result></message>");
    EXPECT_EQ(msgr_xmpp::unwrap(other.st, "bob@x").inner, nullptr) << "someone else's archive";

    Stanza fin(c.ctx,
               "<iq type='result' id='i1'><fin xmlns='urn:xmpp:mam:2' complete='true'>"
               "<set xmlns='http://jabber.org/protocol/rsm'><first>A1</first><last>A7</last>"
               "<count>7</count></set></fin></iq>");
    const msgr_xmpp::ArchiveFin f = msgr_xmpp::read_archive_fin(fin.st);
    EXPECT_TRUE(f.ok);
    EXPECT_TRUE(f.complete);
    EXPECT_EQ(f.first, "A1");
    EXPECT_EQ(f.last, "A7");
    Stanza more(c.ctx,
                "<iq type='result' id='i1'><fin xmlns='urn:xmpp:mam:2'><set "
                "xmlns='http://jabber.org/protocol/rsm'/></fin></iq>");
    EXPECT_TRUE(msgr_xmpp::read_archive_fin(more.st).ok);
    EXPECT_FALSE(msgr_xmpp::read_archive_fin(more.st).complete);
    Stanza err(c.ctx, "<iq type='error' id='i1'/>");
    EXPECT_FALSE(msgr_xmpp::read_archive_fin(err.st).ok);
}

TEST(XmppConversation, WhatTheAddInSendsReadsBackAsSent) {
    Ctx c;
    Stanza m(c.ctx,
             text_of(msgr_xmpp::chat_message(c.ctx, "alice@x", "OID-1", "hello <&>", false)));
    ASSERT_NE(m.st, nullptr);
    xmpp_stanza_set_from(m.st, "bob@x/msgr");
    const msgr_xmpp::Incoming in = msgr_xmpp::read_message(c.ctx, m.st, "alice@x");
    EXPECT_EQ(in.text, "hello <&>");
    EXPECT_EQ(in.id, "OID-1");
    EXPECT_EQ(in.origin_id, "OID-1");
    EXPECT_TRUE(in.wants_receipt);
    EXPECT_TRUE(in.markable);
    EXPECT_EQ(in.chat_state, MSGR_CHAT_STATE_ACTIVE);

    Stanza s(c.ctx,
             text_of(msgr_xmpp::chat_state_message(c.ctx, "alice@x", MSGR_CHAT_STATE_PAUSED)));
    xmpp_stanza_set_from(s.st, "bob@x/msgr");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, s.st, "alice@x").chat_state, MSGR_CHAT_STATE_PAUSED);
    EXPECT_EQ(msgr_xmpp::chat_state_message(c.ctx, "alice@x", 99), nullptr);

    Stanza d(c.ctx, text_of(msgr_xmpp::displayed_message(c.ctx, "alice@x", "m1")));
    xmpp_stanza_set_from(d.st, "bob@x/msgr");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, d.st, "alice@x").displayed_id, "m1");
    Stanza r(c.ctx, text_of(msgr_xmpp::receipt_message(c.ctx, "alice@x/pc", "m2")));
    xmpp_stanza_set_from(r.st, "bob@x/msgr");
    EXPECT_EQ(msgr_xmpp::read_message(c.ctx, r.st, "alice@x").received_id, "m2");

    msgr_xmpp::ArchiveQuery q;
    q.query_id = "q";
    q.with = "alice@x";
    q.before_set = true;
    q.max = 20;
    const std::string query = text_of(msgr_xmpp::archive_query(c.ctx, "i", q));
    EXPECT_NE(query.find("<before/>"), std::string::npos) << query;
    EXPECT_NE(query.find("<max>20</max>"), std::string::npos) << query;
    EXPECT_NE(query.find("alice@x"), std::string::npos) << query;
}

TEST(XmppStreamManagement, AcksCountWhatWasSent) {
    msgr_xmpp::StreamCounter sm;
    EXPECT_EQ(sm.sent(), 0u) << "nothing counts before <enable/>";
    sm.enable_sent();
    EXPECT_EQ(sm.sent(), 1u);
    EXPECT_EQ(sm.sent(), 2u);
    EXPECT_EQ(sm.sent(), 3u);
    std::uint64_t upto = 0;
    EXPECT_TRUE(sm.ack(2, &upto));
    EXPECT_EQ(upto, 2u);
    EXPECT_FALSE(sm.ack(4, &upto)) << "acknowledges more than was sent";
    EXPECT_TRUE(sm.ack(3, &upto));
    EXPECT_EQ(upto, 3u);
    // Received stanzas count only once the server said <enabled/>.
    sm.received();
    EXPECT_EQ(sm.handled(), 0u);
    sm.enabled();
    sm.received();
    sm.received();
    EXPECT_EQ(sm.handled(), 2u);
    std::uint32_t h = 0;
    EXPECT_TRUE(msgr_xmpp::parse_h("4294967295", h));
    EXPECT_EQ(h, 4294967295u);
    for (const char *bad : {"", "-1", "4294967296", "12a", " 1", "99999999999"})
        EXPECT_FALSE(msgr_xmpp::parse_h(bad, h)) << bad;
    sm.failed();
    EXPECT_EQ(sm.sent(), 0u);
}

TEST(XmppArchiveMark, TheLastArchiveIdIsKeptPrivatelyPerAccount) {
    char tmpl[] = "/tmp/msgr-mark-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string home = tmpl;
    const std::string path = msgr_xmpp::archive_mark_path(home, "Bob@X/../../etc");
    EXPECT_EQ(path, home + "/msgr/xmpp/bob@x.mam");
    EXPECT_EQ(msgr_xmpp::read_archive_mark(path), "");
    std::string why;
    ASSERT_TRUE(msgr_xmpp::write_archive_mark(path, "A-17", why)) << why;
    EXPECT_EQ(msgr_xmpp::read_archive_mark(path), "A-17");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((home + "/msgr/xmpp").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_TRUE(msgr_xmpp::write_archive_mark(path, "A-18", why)) << why;
    EXPECT_EQ(msgr_xmpp::read_archive_mark(path), "A-18");
    EXPECT_NE(msgr_xmpp::archive_mark_path(home, "a/b@x"), path);
    std::string cmd = "rm -rf '" + home + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// ---- the contact list (contact_list.hpp) ------------------------------------------------------

namespace {

// The XML of a stanza the add-in builds (released here).
std::string xml_of(xmpp_stanza_t *st) {
    char *buf = nullptr;
    std::size_t n = 0;
    std::string out;
    if (st != nullptr && xmpp_stanza_to_text(st, &buf, &n) == XMPP_EOK) {
        out.assign(buf, n);
        xmpp_free(xmpp_stanza_get_context(st), buf);
    }
    if (st != nullptr) xmpp_stanza_release(st);
    return out;
}

}  // namespace

TEST(XmppContactListStanza, TheBlockListAndItsPushesAreReadAsBareJids) {
    Ctx c;
    Stanza list(c.ctx,
                "<iq type='result' id='b1'><blocklist xmlns='urn:xmpp:blocking'>"
                "<item jid='Spam@Example.org/phone'/><item jid=''/><item/><item jid='/res'/>"
                "<item jid='troll@example.org'/></blocklist></iq>");
    const msgr_xmpp::Blocking b = msgr_xmpp::read_blocking(list.st);
    EXPECT_EQ(b.kind, msgr_xmpp::Blocking::list);
    EXPECT_EQ(b.jids, (std::vector<std::string>{"spam@example.org", "troll@example.org"}));
    EXPECT_FALSE(b.all);

    Stanza all(c.ctx, "<iq type='set' id='p1'><unblock xmlns='urn:xmpp:blocking'/></iq>");
    const msgr_xmpp::Blocking u = msgr_xmpp::read_blocking(all.st);
    EXPECT_EQ(u.kind, msgr_xmpp::Blocking::unblock);
    EXPECT_TRUE(u.all) << "an unblock without items unblocks everyone (XEP-0191 3.4)";

    Stanza one(c.ctx,
               "<iq type='set' id='p2'><block xmlns='urn:xmpp:blocking'>"
               "<item jid='x@example.org'/></block></iq>");
    EXPECT_EQ(msgr_xmpp::read_blocking(one.st).kind, msgr_xmpp::Blocking::block);
    Stanza other(c.ctx, "<iq type='set' id='p3'><query xmlns='jabber:iq:roster'/></iq>");
    EXPECT_EQ(msgr_xmpp::read_blocking(other.st).kind, msgr_xmpp::Blocking::none);

    const std::string sent = xml_of(msgr_xmpp::blocking_set(c.ctx, "id1", "x@example.org", true));
    EXPECT_NE(sent.find("<block xmlns=\"urn:xmpp:blocking\"><item jid=\"x@example.org\"/>"),
              std::string::npos)
        << sent;
    EXPECT_NE(xml_of(msgr_xmpp::blocking_set(c.ctx, "id2", "x@example.org", false)).find("unblock"),
              std::string::npos);
}

TEST(XmppContactListStanza, ANicknameIsCleanUtf8WithoutControlsAndCut) {
    Ctx c;
    Stanza request(c.ctx,
                   "<presence from='carol@example.org' type='subscribe'>"
                   "<nick xmlns='http://jabber.org/protocol/nick'>  Carol&#x9;the "
                   "\xF0\x9F\x98\x80 </nick></presence>");
    const msgr_xmpp::Nick n = msgr_xmpp::read_nick(request.st);
    EXPECT_TRUE(n.found);
    EXPECT_FALSE(n.from_event);
    EXPECT_EQ(n.text, "Carol the \xF0\x9F\x98\x80");

    Stanza event(c.ctx,
                 "<message from='bob@example.org' type='headline'>"
                 "<event xmlns='http://jabber.org/protocol/pubsub#event'>"
                 "<items node='http://jabber.org/protocol/nick'><item id='current'>"
                 "<nick xmlns='http://jabber.org/protocol/nick'>Bobby</nick></item></items>"
                 "</event></message>");
    const msgr_xmpp::Nick e = msgr_xmpp::read_nick(event.st);
    EXPECT_TRUE(e.from_event);
    EXPECT_EQ(e.text, "Bobby");

    Stanza other_node(c.ctx,
                      "<message from='bob@example.org'><event "
                      "xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:x'>"
                      "<item><nick xmlns='http://jabber.org/protocol/nick'>No</nick></item>"
                      "</items></event></message>");
    EXPECT_FALSE(msgr_xmpp::read_nick(other_node.st).found);

    const std::string longest(3000, 'n');
    Stanza big(c.ctx, "<presence><nick xmlns='http://jabber.org/protocol/nick'>" + longest +
                          "</nick></presence>");
    EXPECT_EQ(msgr_xmpp::read_nick(big.st).text.size(), msgr_xmpp::kMaxNickBytes);

    const std::string published = xml_of(msgr_xmpp::nick_publish(c.ctx, "n1", "Me & I"));
    EXPECT_NE(published.find("node=\"http://jabber.org/protocol/nick\""), std::string::npos)
        << published;
    EXPECT_NE(published.find("Me &amp; I"), std::string::npos) << published;
}

TEST(XmppContactListStanza, ANameLosesControlsAndBidiOverrides) {
    // C1 control U+0085, RLO U+202E and an isolate U+2066 around "evil": the marks go, the
    // controls become spaces; an emoji and a right-to-left letter stay.
    EXPECT_EQ(msgr_xmpp::clean_name("a\xC2\x85"
                                    "b \xE2\x80\xAE"
                                    "evil\xE2\x81\xA6 \xF0\x9F\x98\x80"
                                    "\xD7\x90"),
              "a b evil \xF0\x9F\x98\x80\xD7\x90");
    EXPECT_EQ(msgr_xmpp::clean_name("\t \x01 "), "");
    EXPECT_EQ(msgr_xmpp::clean_name("\xE2\x80\x94 dash"), "\xE2\x80\x94 dash") << "U+2014 stays";
}

TEST(XmppContactListStanza, ARefusedSubscriptionSaysWhetherTheContactExists) {
    Ctx c;
    Stanza missing(c.ctx,
                   "<presence from='nobody@example.org' type='error'><error type='cancel'>"
                   "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                   "</presence>");
    EXPECT_EQ(msgr_xmpp::subscription_of(missing.st), msgr_xmpp::Subscription::error);
    EXPECT_EQ(msgr_xmpp::add_refusal(missing.st), MSGR_E_USER_NOT_FOUND);
    Stanza server(c.ctx,
                  "<presence from='x@nowhere.example' type='error'><error type='cancel'>"
                  "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                  "</error></presence>");
    EXPECT_EQ(msgr_xmpp::add_refusal(server.st), MSGR_E_USER_NOT_FOUND);
    Stanza other(c.ctx,
                 "<presence from='x@example.org' type='error'><error type='wait'>"
                 "<resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                 "</presence>");
    EXPECT_EQ(msgr_xmpp::add_refusal(other.st), MSGR_E_FAIL);
    Stanza declined(c.ctx, "<presence from='x@example.org' type='unsubscribed'/>");
    EXPECT_EQ(msgr_xmpp::subscription_of(declined.st), msgr_xmpp::Subscription::unsubscribed);
    Stanza available(c.ctx, "<presence from='x@example.org/r'/>");
    EXPECT_EQ(msgr_xmpp::subscription_of(available.st), msgr_xmpp::Subscription::none);

    const std::string ask =
        xml_of(msgr_xmpp::subscription_presence(c.ctx, "bob@example.org", "subscribe", "Alice"));
    EXPECT_NE(ask.find("type=\"subscribe\""), std::string::npos) << ask;
    EXPECT_NE(ask.find("<nick xmlns=\"http://jabber.org/protocol/nick\">Alice</nick>"),
              std::string::npos)
        << ask;
    const std::string removal = xml_of(msgr_xmpp::roster_set(c.ctx, "r1", "bob@example.org", true));
    EXPECT_NE(removal.find("subscription=\"remove\""), std::string::npos) << removal;
}

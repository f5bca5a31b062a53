// The XMPP add-in's reading of stanzas (plugins/xmpp-service/src/stanza.hpp) without a server:
// XEP-0115 caps hashing against the XEP's own example, disco#info answers that cannot be
// verified, the caps element of a presence, and pages among messages.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "stanza.hpp"

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

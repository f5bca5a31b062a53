// The XMPP service's protocol behaviours against two server implementations, prosody and
// ejabberd (issue 14: "two server implementations, so the behaviour is the protocol's"):
// sign-in with the roster and presence, messages both ways with receipts (XEP-0184), the
// server's XEP-0198 acks (SENT with no receipt to give it), a server restart mid-conversation,
// the XEP-0313 archive catch-up of what arrived while signed out, and XEP-0280 carbons with a
// second device. One server per implementation for the whole suite (ejabberd takes seconds to
// start): each test signs in users of its own. Every wait is bounded; nothing asserts time.
#include "two_servers.hpp"

using namespace msgr::test;
using namespace msgr::test::two_servers;

TEST_P(TwoServers, SignInPresenceAndMessagesBothWaysWithReceipts) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
    ASSERT_TRUE(a.until([&] { return a.last(MSGR_EVENT_CONTACT_LIST_ADD, bob) != nullptr; }))
        << a.dump();
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK) << b.dump();
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return a.status_of(bob) == MSGR_STATUS_ONLINE;
    })) << a.dump();
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.status_of(alice) == MSGR_STATUS_ONLINE;
    })) << b.dump();
    Window wa(a, bob);
    const std::size_t i = wa.send("hello bob");
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.got_message(alice, "hello bob");
    })) << b.dump();
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return history(wa.get(), i).delivery == MSGR_DELIVERY_DELIVERED;
    })) << history(wa.get(), i).delivery;
    const Seen *got = b.last(MSGR_EVENT_MESSAGE_RECEIVED, alice);
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(msgr_ui_send(got->window, "hi alice \xF0\x9F\x98\x80", nullptr), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return a.got_message(bob, "hi alice \xF0\x9F\x98\x80");
    })) << a.dump();
    ASSERT_EQ(msgr_set_my_status(b.rt, MSGR_STATUS_BUSY), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return a.status_of(bob) == MSGR_STATUS_BUSY;
    })) << a.dump();
}

// XEP-0198: a message to a client that sends no receipts is SENT once the server acks it.
TEST_P(TwoServers, TheServersStreamManagementAckMakesAMessageSent) {
    auto peer = bare(bob_user, "bob-pw", "laptop");
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
    Window wa(a, bob);
    const std::size_t i = wa.send("ack me");
    ASSERT_TRUE(a.until([&] { return history(wa.get(), i).delivery == MSGR_DELIVERY_SENT; }))
        << history(wa.get(), i).delivery << "\n"
        << a.dump();
    std::optional<BareClient::Message> m;
    for (int k = 0; k < 50 && !(m && m->body == "ack me"); ++k)
        m = peer->wait_message(100ms);
    ASSERT_TRUE(m && m->body == "ack me");
}

// The server killed and restarted under two signed-in runtimes: what was sent while it was down
// arrives after, and neither runtime went offline.
TEST_P(TwoServers, AServerRestartMidConversationLosesNothing) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    Window wa(a, bob);
    wa.send("before");
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.got_message(alice, "before");
    }));
    server->kill();
    for (int k = 0; k < 40; ++k) {
        a.tick();
        b.tick();
        std::this_thread::sleep_for(5ms);
    }
    const std::size_t index = wa.send("while down");
    server->restart();
    ASSERT_TRUE(b.until(
        [&] {
            a.tick();
            return b.got_message(alice, "while down");
        },
        60s))
        << a.dump() << b.dump();
    EXPECT_TRUE(a.until([&] {
        b.tick();
        const msgr_delivery_state d = history(wa.get(), index).delivery;
        return d == MSGR_DELIVERY_SENT || d == MSGR_DELIVERY_DELIVERED;
    })) << history(wa.get(), index).delivery;
    EXPECT_EQ(a.last(MSGR_EVENT_SIGNOUT), nullptr);
    EXPECT_EQ(b.last(MSGR_EVENT_SIGNOUT), nullptr);
}

// XEP-0313 (with offline storage too): what Bob sent while Alice was signed out is in her
// window after she signs in, each once, in order.
TEST_P(TwoServers, WhatArrivedWhileSignedOutIsCaughtUpOnce) {
    {
        Client a(*server);
        ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
        ASSERT_EQ(msgr_signout(a.rt), MSGR_S_OK);
    }
    auto peer = bare(bob_user, "bob-pw", "laptop");
    constexpr int kMessages = 30;
    for (int k = 0; k < kMessages; ++k)
        peer->send_chat(alice, "away " + std::to_string(k), "away-" + std::to_string(k));
    ASSERT_TRUE(drained(*peer, "drained"));
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    Window w(a, bob);
    std::map<std::string, int> want;
    for (int k = 0; k < kMessages; ++k)
        want["away " + std::to_string(k)] = 1;
    ASSERT_TRUE(
        a.until([&] { return texts(w.get(), MSGR_MESSAGE_INCOMING).size() >= want.size(); }, 30s))
        << a.dump();
    a.until([&] { return false; }, 1s);  // settle: a second copy would land here
    EXPECT_EQ(texts(w.get(), MSGR_MESSAGE_INCOMING), want);
    std::size_t n = 0;
    ASSERT_EQ(msgr_window_history_count(w.get(), &n), MSGR_S_OK);
    int out_of_order = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const msgr_message m = history(w.get(), k);
        if (std::string(m.text, m.text_size) != "away " + std::to_string(k)) ++out_of_order;
    }
    EXPECT_EQ(out_of_order, 0);
}

// XEP-0280: Alice's second device (a bare client with carbons on) sees what Bob sends her and
// what her runtime sends; what the phone sends shows in her runtime as hers, from another device.
TEST_P(TwoServers, CarbonsReachTheOtherDeviceBothWays) {
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    auto peer = bare(bob_user, "bob-pw", "laptop");
    auto phone = bare(alice_user, "alice-pw", "phone", /*all_messages=*/true);
    phone->send_raw("<iq type='set' id='carbons-on'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
    ASSERT_TRUE(drained(*phone, "carbons-ready"));
    Window wa(a, bob);
    wa.send("sent from my desktop");
    bool carbon = false;
    for (int k = 0; k < 100 && !carbon; ++k) {
        const auto m = phone->wait_message(100ms);
        carbon = m && m->xml.find("sent from my desktop") != std::string::npos &&
                 m->xml.find("urn:xmpp:carbons:2") != std::string::npos;
        a.tick();
    }
    EXPECT_TRUE(carbon) << "the phone got no carbon of the desktop's message";
    phone->send_chat(bob, "sent from my phone", "phone-1");
    ASSERT_TRUE(a.until([&] {
        return texts(wa.get(), MSGR_MESSAGE_OUTGOING).count("sent from my phone") == 1;
    })) << a.dump();
    peer->send_chat(alice, "to both of you", "bob-1");
    ASSERT_TRUE(a.until([&] { return a.got_message(bob, "to both of you"); })) << a.dump();
    bool phone_got = false;
    for (int k = 0; k < 100 && !phone_got; ++k) {
        const auto m = phone->wait_message(100ms);
        phone_got = m && m->xml.find("to both of you") != std::string::npos;
        a.tick();
    }
    EXPECT_TRUE(phone_got) << "the phone never saw Bob's message";
}

INSTANTIATE_TEST_SUITE_P(Servers, TwoServers, ::testing::Values("prosody", "ejabberd"),
                         [](const auto &info) { return info.param; });

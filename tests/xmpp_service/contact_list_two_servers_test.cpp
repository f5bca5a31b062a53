// The contact list over XMPP (add-in ABI 1.6, plugins/xmpp-service/src/contact_list.hpp) against
// both server implementations: a friend request raised, accepted and declined (RFC 6121
// subscriptions), adding a contact nobody knows, blocking kept on the server (XEP-0191: read back
// at the next sign-in, and a push from another device of the user's), and the user's friendly
// name carried as an XEP-0172 nickname (in the request, and over PEP when it changes). Every
// wait is bounded; nothing asserts time.
#include "two_servers.hpp"

using namespace msgr::test;
using namespace msgr::test::two_servers;

namespace {

// The contact `who` of c's runtime (released at scope end).
class ContactOf {
  public:
    ContactOf(Client &c, const std::string &who) {
        EXPECT_EQ(msgr_get_contact(c.rt, who.c_str(), nullptr, &c_), MSGR_S_OK)
            << msgr_last_error();
    }
    ~ContactOf() {
        if (c_ != nullptr) msgr_contact_release(c_);
    }
    ContactOf(const ContactOf &) = delete;
    ContactOf &operator=(const ContactOf &) = delete;
    msgr_contact *get() const { return c_; }

  private:
    msgr_contact *c_ = nullptr;
};

// Ticks both runtimes until pred holds (a hang guard only).
template <typename P>
bool both_until(Client &a, Client &b, P pred) {
    return a.until([&] {
        b.tick();
        return pred();
    });
}

std::string friendly_name(Client &c, const std::string &who) {
    ContactOf k(c, who);
    const char *name = nullptr;
    if (k.get() == nullptr || msgr_contact_friendly_name(k.get(), &name) != MSGR_S_OK) return "";
    return name;
}

bool listed(Client &c, const std::string &who) {
    std::size_t n = 0;
    if (msgr_my_contacts_count(c.rt, &n) != MSGR_S_OK) return false;
    for (std::size_t i = 0; i < n; ++i) {
        msgr_contact *k = nullptr;
        if (msgr_my_contacts_get(c.rt, i, &k) != MSGR_S_OK) continue;
        const char *name = nullptr;
        const bool same = msgr_contact_signin_name(k, &name) == MSGR_S_OK && who == name;
        msgr_contact_release(k);
        if (same) return true;
    }
    return false;
}

}  // namespace

// Carol asks Alice; Alice's runtime raises the request (with Carol's nickname as her name) and
// accepting it makes them friends both ways: each is on the other's list and sees the other
// online.
TEST_P(TwoServers, AFriendRequestIsRaisedAndAcceptingItMakesFriendsBothWays) {
    Client a(*server), c(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
    ASSERT_EQ(c.signin(carol, "carol-pw"), MSGR_S_OK) << c.dump();
    ASSERT_EQ(msgr_set_my_friendly_name(c.rt, "Carol C"), MSGR_S_OK) << msgr_last_error();
    EXPECT_FALSE(listed(a, carol));
    ASSERT_EQ(msgr_add_contact(c.rt, alice.c_str(), nullptr), MSGR_S_OK) << msgr_last_error();
    ASSERT_TRUE(both_until(a, c, [&] {
        return a.last(MSGR_EVENT_AUTHORIZATION_REQUEST, carol) != nullptr;
    })) << a.dump();
    EXPECT_FALSE(listed(c, alice)) << "on the list only once Alice accepts";
    // The request carries her nickname (XEP-0172 4.3). ejabberd delivers it with the request
    // only sometimes (a request it hands over again, at Alice's presence, comes without it).
    if (GetParam() == "prosody") {
        EXPECT_EQ(friendly_name(a, carol), "Carol C") << "the request carries her nickname";
    }

    {
        ContactOf asker(a, carol);
        ASSERT_EQ(msgr_authorize(a.rt, asker.get(), 1), MSGR_S_OK) << msgr_last_error();
    }
    ASSERT_TRUE(both_until(c, a, [&] {
        const Seen *s = c.last(MSGR_EVENT_CONTACT_LIST_ADD, alice);
        return s != nullptr;
    })) << c.dump();
    EXPECT_EQ(c.last(MSGR_EVENT_CONTACT_LIST_ADD, alice)->hr, MSGR_S_OK) << c.dump();
    EXPECT_TRUE(listed(c, alice));
    ASSERT_TRUE(both_until(a, c, [&] { return listed(a, carol); })) << a.dump();
    ASSERT_TRUE(both_until(c, a, [&] { return c.status_of(alice) == MSGR_STATUS_ONLINE; }))
        << c.dump();
    ASSERT_TRUE(both_until(a, c, [&] { return a.status_of(carol) == MSGR_STATUS_ONLINE; }))
        << a.dump();

    // A new name is published (PEP) and reaches the friend, who has not named her. Debian's
    // ejabberd (23.01, mod_pubsub with the pep plugin) takes the publish (its result and the
    // owner's own notification arrive) but sends the contact no notification in this setup,
    // though her client lists nick+notify in its caps: not checked there (a known gap).
    ASSERT_EQ(msgr_set_my_friendly_name(c.rt, "Carol D"), MSGR_S_OK) << msgr_last_error();
    if (GetParam() == "ejabberd") return;
    ASSERT_TRUE(both_until(a, c, [&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, carol);
        return s != nullptr && s->text == "Carol D";
    })) << a.dump();
}

// Bob asks Carol, who declines: Bob's add fails (MSGR_E_FAIL) and Carol stays off his list, also
// on the server (his next sign-in does not list her). A name on a server nobody can reach fails
// too; one the server does not know stays a pending request. Neither is ever on the list.
TEST_P(TwoServers, ADeclinedRequestAndAnUnknownNameLeaveTheContactOffTheList) {
    Client b(*server), c(*server);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK) << b.dump();
    ASSERT_EQ(c.signin(carol, "carol-pw"), MSGR_S_OK) << c.dump();
    ASSERT_EQ(msgr_add_contact(b.rt, carol.c_str(), nullptr), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(msgr_add_contact(b.rt, carol.c_str(), nullptr), MSGR_S_FALSE) << "asked already";
    ASSERT_TRUE(both_until(c, b, [&] {
        return c.last(MSGR_EVENT_AUTHORIZATION_REQUEST, bob) != nullptr;
    })) << c.dump();
    {
        ContactOf asker(c, bob);
        ASSERT_EQ(msgr_authorize(c.rt, asker.get(), 0), MSGR_S_OK) << msgr_last_error();
    }
    ASSERT_TRUE(both_until(b, c, [&] {
        return b.last(MSGR_EVENT_CONTACT_LIST_ADD, carol) != nullptr;
    })) << b.dump();
    EXPECT_EQ(b.last(MSGR_EVENT_CONTACT_LIST_ADD, carol)->hr, MSGR_E_FAIL) << b.dump();
    EXPECT_FALSE(listed(b, carol));
    EXPECT_FALSE(listed(c, bob));

    // A name on a server that cannot be reached is refused by Bob's server. One the server
    // does not know is not answered (RFC 6121 3.1.3 lets the server keep quiet, and both do): the
    // request stays pending, and the contact off the list.
    const std::string elsewhere = "nobody@nowhere.invalid";
    ASSERT_EQ(msgr_add_contact(b.rt, elsewhere.c_str(), nullptr), MSGR_S_OK) << msgr_last_error();
    ASSERT_TRUE(b.until([&] { return b.last(MSGR_EVENT_CONTACT_LIST_ADD, elsewhere) != nullptr; }))
        << b.dump();
    const msgr_hresult hr = b.last(MSGR_EVENT_CONTACT_LIST_ADD, elsewhere)->hr;
    EXPECT_TRUE(hr == MSGR_E_USER_NOT_FOUND || hr == MSGR_E_FAIL) << msgr_hresult_name(hr);
    EXPECT_FALSE(listed(b, elsewhere));
    const std::string nobody = server->jid("nobody-" + bob_user);
    ASSERT_EQ(msgr_add_contact(b.rt, nobody.c_str(), nullptr), MSGR_S_OK) << msgr_last_error();
    b.until([&] { return false; }, 1s);
    EXPECT_EQ(msgr_add_contact(b.rt, nobody.c_str(), nullptr), MSGR_S_FALSE) << "still pending";
    EXPECT_FALSE(listed(b, nobody));

    // The server kept neither: a new sign-in lists Alice only.
    ASSERT_EQ(msgr_signout(b.rt), MSGR_S_OK);
    Client b2(*server);
    ASSERT_EQ(b2.signin(bob, "bob-pw"), MSGR_S_OK) << b2.dump();
    ASSERT_TRUE(b2.until([&] { return listed(b2, alice); })) << b2.dump();
    b2.until([&] { return false; }, 500ms);  // settle: a late roster item would land here
    EXPECT_FALSE(listed(b2, carol)) << b2.dump();
    EXPECT_FALSE(listed(b2, nobody)) << "a request still pending is not on the list";
    EXPECT_FALSE(listed(b2, elsewhere)) << b2.dump();
}

// Alice blocks Bob: the block is on the server (XEP-0191), so her next sign-in reads it back
// from the block list, and an unblock made on her phone reaches her runtime as a push.
TEST_P(TwoServers, ABlockIsKeptOnTheServerAndAPushFromAnotherDeviceUnblocks) {
    {
        Client a(*server);
        ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
        ContactOf b(a, bob);
        ASSERT_EQ(msgr_contact_set_blocked(b.get(), 1), MSGR_S_OK) << msgr_last_error();
        // The server has it once a later request of the same stream is answered: sign out
        // politely (the unavailable presence follows the block on the stream).
        a.until([&] { return false; }, 500ms);
        ASSERT_EQ(msgr_signout(a.rt), MSGR_S_OK);
    }
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
    ASSERT_TRUE(a.until([&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_BLOCK_CHANGE, bob);
        return s != nullptr && s->status == 1;
    })) << a.dump();
    {
        ContactOf b(a, bob);
        int blocked = 0;
        ASSERT_EQ(msgr_contact_blocked(b.get(), &blocked), MSGR_S_OK);
        EXPECT_EQ(blocked, 1);
    }
    auto phone = bare(alice_user, "alice-pw", "phone");
    phone->send_raw("<iq type='set' id='unblock-1'><unblock xmlns='urn:xmpp:blocking'><item jid='" +
                    bob + "'/></unblock></iq>");
    ASSERT_TRUE(a.until([&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_BLOCK_CHANGE, bob);
        return s != nullptr && s->status == 0;
    })) << a.dump();
}

// A block made while the server is down (the runtime is reconnecting, still signed in) waits and
// reaches the server once the link is back: Alice's other device (a second runtime, resource
// "laptop") learns it from the block list at its sign-in or from the server's push.
TEST_P(TwoServers, ABlockMadeWhileTheServerIsDownReachesItAfterTheReconnect) {
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
    server->kill();
    a.until([&] { return false; }, 300ms);  // the link is seen lost: reconnecting
    {
        ContactOf b(a, bob);
        ASSERT_EQ(msgr_contact_set_blocked(b.get(), 1), MSGR_S_OK) << msgr_last_error();
    }
    server->restart();
    Client laptop(*server, "resource = \"laptop\"\n");
    ASSERT_EQ(laptop.signin(alice, "alice-pw"), MSGR_S_OK) << laptop.dump();
    ASSERT_TRUE(a.until(
        [&] {
            laptop.tick();
            const Seen *s = laptop.last(MSGR_EVENT_CONTACT_BLOCK_CHANGE, bob);
            return s != nullptr && s->status == 1;
        },
        60s))
        << a.dump() << laptop.dump();
    EXPECT_EQ(a.last(MSGR_EVENT_SIGNOUT), nullptr) << "reconnected, never signed out";
}

// Rich presence over XMPP: what the player is doing is their presence's status message, the one
// every client shows. Alice's activity reaches Bob's runtime as her activity and his other
// client as the status of her presence; a status Bob's other client sets is his activity in
// Alice's runtime (once his runtime, whose presence has none, has signed out).
TEST_P(TwoServers, WhatThePlayerIsDoingIsTheStatusMessageOfTheirPresence) {
    const std::string doing = "In a match \xE2\x80\x94 3/4 players";
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK) << a.dump();
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK) << b.dump();
    ASSERT_TRUE(both_until(b, a, [&] { return b.status_of(alice) == MSGR_STATUS_ONLINE; }))
        << b.dump();
    auto laptop = bare(bob_user, "bob-pw", "laptop");
    ASSERT_EQ(msgr_set_my_activity(a.rt, doing.c_str()), MSGR_S_OK) << msgr_last_error();
    ASSERT_TRUE(both_until(b, a, [&] {
        const Seen *s = b.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, alice);
        return s != nullptr && s->text == doing;
    })) << b.dump();
    bool status_seen = false;
    for (int k = 0; k < 100 && !status_seen; ++k) {
        const auto p = laptop->wait_presence(100ms);
        status_seen = p && p->from.rfind(alice, 0) == 0 && p->status == doing;
        a.tick();
    }
    EXPECT_TRUE(status_seen) << "another client shows it as her status message";

    ASSERT_EQ(msgr_signout(b.rt), MSGR_S_OK);
    laptop->send_raw("<presence><status>Lunch, back at 2</status></presence>");
    ASSERT_TRUE(a.until([&] {
        const Seen *s = a.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, bob);
        return s != nullptr && s->text == "Lunch, back at 2";
    })) << a.dump();
    ASSERT_EQ(msgr_set_my_activity(a.rt, ""), MSGR_S_OK);
    bool cleared = false;
    for (int k = 0; k < 100 && !cleared; ++k) {
        const auto p = laptop->wait_presence(100ms);
        cleared = p && p->from.rfind(alice, 0) == 0 && p->type.empty() && p->status.empty();
        a.tick();
    }
    EXPECT_TRUE(cleared) << "cleared: her presence has no status message";
}

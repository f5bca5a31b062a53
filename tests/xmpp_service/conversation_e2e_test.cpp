// Issue 12 ("Conversations that last") end to end: runtimes with the XMPP add-in, and bare
// libstrophe clients as other devices or flooding peers, against a real prosody with mod_mam and
// mod_carbons. Delivery states as the sender sees them (SENT on the server's ack, DELIVERED on a
// receipt, READ on a marker sent only after msgr_ui_history_seen), typing both ways, two devices
// of one account (carbons), the archive catch-up of 10,000 messages, fetch_older, a message that
// arrives by more than one path shown once, messages arriving as the user signs out or quits or
// while the store opens, and the server killed 20 times mid-conversation.
// Every wait is bounded (hang guards: tick + short sleep up to a wall-clock limit); nothing
// asserts time.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bare_client.hpp"
#include "msgr/ui.h"
#include "xmpp_client.hpp"

using namespace msgr::test;
using namespace std::chrono_literals;

namespace {

// One history entry, copied (msgr_message's text is valid only until the next tick).
struct Entry {
    msgr_message_direction direction;
    msgr_delivery_state delivery;
    std::uint32_t flags;
    std::string text;
};

std::vector<Entry> entries(msgr_window *w) {
    std::vector<Entry> out;
    std::size_t n = 0;
    if (msgr_window_history_count(w, &n) != MSGR_S_OK) return out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const msgr_message m = history(w, i);
        out.push_back({m.direction, m.delivery, m.flags, std::string(m.text, m.text_size)});
    }
    return out;
}

std::size_t count_of(msgr_window *w) {
    std::size_t n = 0;
    EXPECT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
    return n;
}

// How many times each text is in the history, in one direction.
std::map<std::string, int> texts(msgr_window *w, msgr_message_direction d) {
    std::map<std::string, int> out;
    for (const auto &e : entries(w)) {
        if (e.direction == d) ++out[e.text];
    }
    return out;
}

// A conversation window, released at the end of its scope.
class Window {
  public:
    Window(Client &c, const std::string &who) {
        const msgr_variant v{MSGR_VT_BSTR, who.c_str(), nullptr};
        EXPECT_EQ(msgr_instant_message(c.rt, v, &w_), MSGR_S_OK) << msgr_last_error();
    }
    ~Window() {
        if (w_ != nullptr) msgr_window_release(w_);
    }
    Window(const Window &) = delete;
    Window &operator=(const Window &) = delete;
    msgr_window *get() const { return w_; }
    // Sends text; its history index.
    std::size_t send(const std::string &text) const {
        std::size_t index = 0;
        EXPECT_EQ(msgr_ui_send(w_, text.c_str(), &index), MSGR_S_OK) << msgr_last_error();
        return index;
    }

  private:
    msgr_window *w_ = nullptr;
};

bool settled(msgr_delivery_state d) {
    return d == MSGR_DELIVERY_SENT || d == MSGR_DELIVERY_DELIVERED || d == MSGR_DELIVERY_READ;
}

// Ticks both runtimes for about `ms` (a settling pause: late duplicates would land in it).
void tick_both(Client &a, Client &b, int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
        a.tick();
        b.tick();
        std::this_thread::sleep_for(5ms);
    }
}

class Conversation : public ::testing::Test {
  protected:
    void start(ProsodyOptions o) {
        o.scram = false;  // libstrophe 0.12's SHA-1 is not thread-safe (see the fixture)
        o.mam = true;
        o.carbons = true;
        server = std::make_unique<ProsodyFixture>(o);
        server->start();
        server->add_user("alice", "alice-pw");
        server->add_user("bob", "bob-pw");
        server->make_contacts("alice", "bob", "Alice", "Bob");
        alice = server->jid("alice");
        bob = server->jid("bob");
    }
    // Each test its own data home (history stores, archive marks), also when the tests run in
    // one process (the binary run by hand) rather than one process each (ctest).
    void SetUp() override {
        const char *was = std::getenv("XDG_DATA_HOME");
        if (was != nullptr) saved_data_home_ = was;
        ::setenv("XDG_DATA_HOME", data_home_.path().c_str(), 1);
        start(options());
    }
    // The server's options (mam and carbons are always added): a fixture of its own for the
    // tests that need others, so that each test starts one prosody, not two.
    virtual ProsodyOptions options() const { return {}; }
    void TearDown() override {
        if (!saved_data_home_.empty()) ::setenv("XDG_DATA_HOME", saved_data_home_.c_str(), 1);
    }

    // A bare libstrophe client of `user`, online; resource names the device.
    std::unique_ptr<BareClient> bare(const std::string &user, const std::string &resource,
                                     bool all_messages = false) {
        BareClientOptions o;
        o.jid = server->jid(user) + "/" + resource;
        o.password = user + "-pw";
        o.port = server->port();
        o.all_messages = all_messages;
        auto c = std::make_unique<BareClient>(o);
        EXPECT_TRUE(c->connect(10s)) << c->last_error();
        return c;
    }

    // Waits until the server has handled everything `c` sent before: a message to its own full
    // JID comes back only after the stanzas before it on the same stream were processed.
    static bool drained(BareClient &c, const std::string &tag) {
        c.send_message(c.bound_jid(), tag);
        const auto end = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < end) {
            const auto m = c.wait_message(1s);
            if (m && m->body == tag) return true;
        }
        return false;
    }

    void all_kept_as_alice_leaves(bool quit);

    TempDir data_home_;
    std::string saved_data_home_;
    std::unique_ptr<ProsodyFixture> server;
    std::string alice, bob;
};

// The server without offline storage: what Bob sends while Alice is away is in the archive alone.
class ArchiveOnly : public Conversation {
  protected:
    ProsodyOptions options() const override {
        ProsodyOptions o;
        o.offline_messages = false;
        return o;
    }
};

}  // namespace

// XEP-0184 and XEP-0333 as the sender sees them: SENT, then DELIVERED when Bob's runtime
// received it, and READ only once Bob's overlay reported it seen (msgr_ui_history_seen).
TEST_F(Conversation, DeliveredOnTheReceiptAndReadOnlyAfterTheOtherSideSawIt) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    Window wa(a, bob);
    const std::size_t i = wa.send("did you get this?");
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.got_message(alice, "did you get this?");
    })) << b.dump();
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return history(wa.get(), i).delivery == MSGR_DELIVERY_DELIVERED;
    })) << a.dump();
    // Not read while Bob has not seen it: give a marker every chance to arrive.
    tick_both(a, b, 500);
    EXPECT_EQ(history(wa.get(), i).delivery, MSGR_DELIVERY_DELIVERED);
    const Seen *got = b.last(MSGR_EVENT_MESSAGE_RECEIVED, alice);
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(msgr_ui_history_seen(got->window, got->index), MSGR_S_OK);
    EXPECT_NE(history(got->window, got->index).flags & MSGR_MESSAGE_SEEN, 0u);
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return history(wa.get(), i).delivery == MSGR_DELIVERY_READ;
    })) << a.dump();
    // The sender was told each step (MSGR_EVENT_DELIVERY_CHANGE with the new state), forward
    // only. SENT may be skipped: when Bob's receipt is read before the server's <a/> (a slow
    // tick), the message goes from PENDING to DELIVERED, which says more than SENT would.
    std::vector<std::int32_t> steps;
    for (const auto &e : a.events) {
        if (e.type == MSGR_EVENT_DELIVERY_CHANGE && e.window == wa.get() && e.index == i)
            steps.push_back(e.status);
    }
    const std::vector<std::int32_t> all{MSGR_DELIVERY_SENT, MSGR_DELIVERY_DELIVERED,
                                        MSGR_DELIVERY_READ};
    const std::vector<std::int32_t> without_sent{MSGR_DELIVERY_DELIVERED, MSGR_DELIVERY_READ};
    EXPECT_TRUE(steps == all || steps == without_sent) << a.dump();
}

// XEP-0085 both ways: Alice's COMPOSING, PAUSED and ACTIVE reach Bob's runtime as
// MSGR_EVENT_TYPING, and Bob's COMPOSING reaches Alice's window (peer_chat_state).
TEST_F(Conversation, TypingIsSeenByTheOtherRuntime) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    Window wa(a, bob), wb(b, alice);
    const auto typing_seen = [](Client &c, const std::string &who, msgr_chat_state s) {
        const Seen *t = c.last(MSGR_EVENT_TYPING, who);
        return t != nullptr && t->status == s;
    };
    for (const msgr_chat_state s : {MSGR_CHAT_STATE_COMPOSING, MSGR_CHAT_STATE_PAUSED,
                                    MSGR_CHAT_STATE_COMPOSING, MSGR_CHAT_STATE_ACTIVE}) {
        ASSERT_EQ(msgr_ui_set_chat_state(wa.get(), s), MSGR_S_OK);
        ASSERT_TRUE(b.until([&] {
            a.tick();
            return typing_seen(b, alice, s);
        })) << "state "
            << s << "\n"
            << b.dump();
        EXPECT_EQ(b.last(MSGR_EVENT_TYPING, alice)->window, wb.get());
    }
    ASSERT_EQ(msgr_ui_set_chat_state(wb.get(), MSGR_CHAT_STATE_COMPOSING), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return typing_seen(a, bob, MSGR_CHAT_STATE_COMPOSING);
    })) << a.dump();
    // The drawing layer reads it from the window's info.
    std::size_t windows = 0;
    ASSERT_EQ(msgr_ui_window_count(a.rt, &windows), MSGR_S_OK);
    bool found = false;
    for (std::size_t z = 0; z < windows; ++z) {
        msgr_ui_window_info info{};
        info.struct_size = sizeof info;
        ASSERT_EQ(msgr_ui_window_get(a.rt, z, &info), MSGR_S_OK);
        if (info.window != wa.get()) continue;
        found = true;
        EXPECT_EQ(info.peer_chat_state, MSGR_CHAT_STATE_COMPOSING);
    }
    EXPECT_TRUE(found);
}

// XEP-0280: Alice on two devices (this runtime, and a bare client as her phone). What Bob sends
// reaches both; what the phone sends to Bob appears in the runtime's conversation as Alice's own,
// flagged MSGR_MESSAGE_OTHER_DEVICE; what the runtime sends is carbon-copied to the phone. Each
// once, also after signing in again (the archive catch-up brings the same messages back).
TEST_F(Conversation, TwoDevicesOfOneAccountSeeEachOthersMessages) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    auto phone = bare("alice", "phone", /*all_messages=*/true);
    phone->send_raw("<iq type='set' id='carbons-on'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
    // Carbons on and the phone's presence handled before Bob writes: else his message may be
    // routed before the server counts the phone among Alice's devices.
    ASSERT_TRUE(drained(*phone, "carbons-ready"));
    Window wa(a, bob), wb(b, alice);

    // Bob -> Alice: both of her devices get it.
    wb.send("to both of you");
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return a.got_message(bob, "to both of you");
    })) << a.dump();
    bool phone_got = false;
    for (int i = 0; i < 100 && !phone_got; ++i) {
        const auto m = phone->wait_message(100ms);
        phone_got = m && m->xml.find("to both of you") != std::string::npos;
        a.tick();
        b.tick();
    }
    EXPECT_TRUE(phone_got) << "the phone never saw Bob's message";

    // Phone -> Bob: Bob gets it; Alice's runtime shows it as hers, from another device.
    phone->send_chat(bob, "sent from my phone", "phone-1");
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.got_message(alice, "sent from my phone");
    })) << b.dump();
    const auto other_device = [&] {
        for (const auto &e : entries(wa.get())) {
            if (e.text == "sent from my phone") return e;
        }
        return Entry{};
    };
    ASSERT_TRUE(a.until([&] {
        b.tick();
        return !other_device().text.empty();
    })) << a.dump();
    EXPECT_EQ(other_device().direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_NE(other_device().flags & MSGR_MESSAGE_OTHER_DEVICE, 0u);

    // Runtime -> Bob: the phone gets a sent carbon.
    wa.send("sent from my desktop");
    bool carbon = false;
    for (int i = 0; i < 100 && !carbon; ++i) {
        const auto m = phone->wait_message(100ms);
        carbon = m && m->xml.find("sent from my desktop") != std::string::npos &&
                 m->xml.find("urn:xmpp:carbons:2") != std::string::npos;
        a.tick();
        b.tick();
    }
    EXPECT_TRUE(carbon) << "the phone got no carbon of the desktop's message";
    ASSERT_TRUE(b.until([&] {
        a.tick();
        return b.got_message(alice, "sent from my desktop");
    }));

    // Signed out and in again: the catch-up brings nothing twice.
    ASSERT_EQ(msgr_signout(a.rt), MSGR_S_OK);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    tick_both(a, b, 1000);
    Window again(a, bob);
    const auto out = texts(again.get(), MSGR_MESSAGE_OUTGOING);
    const auto in = texts(again.get(), MSGR_MESSAGE_INCOMING);
    EXPECT_EQ(in, (std::map<std::string, int>{{"to both of you", 1}}));
    EXPECT_EQ(out,
              (std::map<std::string, int>{{"sent from my desktop", 1}, {"sent from my phone", 1}}));
    const auto bob_in = texts(wb.get(), MSGR_MESSAGE_INCOMING);
    EXPECT_EQ(bob_in,
              (std::map<std::string, int>{{"sent from my desktop", 1}, {"sent from my phone", 1}}));
}

// One message, several paths: offline storage and the archive both hold what Bob sent while
// Alice was away; a live message is in the archive too when she signs in again. Each is shown
// (in the history, and as MSGR_EVENT_MESSAGE_RECEIVED) once.
TEST_F(Conversation, AMessageThatArrivesByMoreThanOnePathIsShownOnce) {
    // The fixture's server (ProsodyOptions' default) keeps offline messages and the archive.
    auto peer = bare("bob", "laptop");
    for (int i = 0; i < 5; ++i)
        peer->send_chat(alice, "while you were away " + std::to_string(i),
                        "away-" + std::to_string(i));
    ASSERT_TRUE(drained(*peer, "drained-1"));
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    peer->send_chat(alice, "live", "live-0");
    ASSERT_TRUE(a.until([&] { return a.got_message(bob, "live"); })) << a.dump();
    a.until([&] { return false; }, 1s);  // settle: a second copy would land here
    ASSERT_EQ(msgr_signout(a.rt), MSGR_S_OK);
    // Sent once the server has Alice offline (Bob's laptop sees her unavailable): "after" then
    // goes to offline storage and the archive, the two paths this test is about. (What reaches
    // the ending session is MessagesArrivingAsTheUserSignsOutAreAllKeptOnce's case.)
    const bool offline = [&] {
        while (const auto p = peer->wait_presence(10s)) {
            if (p->from.rfind(alice, 0) == 0 && p->type == "unavailable") return true;
        }
        return false;
    }();
    ASSERT_TRUE(offline) << "Bob's laptop never saw Alice go offline";
    peer->send_chat(alice, "after", "after-0");
    ASSERT_TRUE(drained(*peer, "drained-2"));
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_TRUE(a.until([&] { return a.got_message(bob, "after"); })) << a.dump();
    a.until([&] { return false; }, 1s);
    Window w(a, bob);
    std::map<std::string, int> want;
    for (int i = 0; i < 5; ++i)
        want["while you were away " + std::to_string(i)] = 1;
    want["live"] = 1;
    want["after"] = 1;
    EXPECT_EQ(texts(w.get(), MSGR_MESSAGE_INCOMING), want);
    std::map<std::string, int> events;
    for (const auto &e : a.events) {  // the events since the second sign-in
        if (e.type == MSGR_EVENT_MESSAGE_RECEIVED) ++events[e.text];
    }
    EXPECT_EQ(events, (std::map<std::string, int>{{"after", 1}})) << a.dump();
}

// Messages that reach Alice's runtime as she leaves (signs out, or quits the game: destroys the
// runtime): those her service reported before it signed out are recorded then (not dropped as
// the old session's), and those it got later are fetched again from the archive by her next
// sign-in. Her runtime does not tick between the first message and leaving, so that leaving
// finds reports waiting.
void Conversation::all_kept_as_alice_leaves(bool quit) {
    constexpr int kMessages = 300;
    auto peer = bare("bob", "flood");
    auto a = std::make_unique<Client>(*server);
    ASSERT_EQ(a->signin(alice, "alice-pw"), MSGR_S_OK);
    std::thread flood([&] {
        for (int i = 0; i < kMessages; ++i) {
            peer->send_message(alice, "m" + std::to_string(i));
            if (i % 20 == 19) std::this_thread::sleep_for(20ms);  // spread over the leaving
        }
    });
    const bool first = a->until([&] { return a->got_message(bob, "m0"); });
    std::this_thread::sleep_for(150ms);  // more arrive, reported to an untended inbox
    if (quit) {
        a.reset();
    } else {
        EXPECT_EQ(msgr_signout(a->rt), MSGR_S_OK);
    }
    flood.join();
    ASSERT_TRUE(first) << (a ? a->dump() : "");
    ASSERT_TRUE(drained(*peer, "flood-done"));
    if (quit) a = std::make_unique<Client>(*server);
    ASSERT_EQ(a->signin(alice, "alice-pw"), MSGR_S_OK);
    Window w(*a, bob);
    ASSERT_TRUE(a->until([&] { return count_of(w.get()) >= kMessages; }, 60s))
        << count_of(w.get()) << " of " << kMessages << "\n"
        << a->dump();
    a->until([&] { return false; }, 1s);  // settle: a second copy would land here
    std::map<std::string, int> want;
    for (int i = 0; i < kMessages; ++i)
        want["m" + std::to_string(i)] = 1;
    EXPECT_EQ(texts(w.get(), MSGR_MESSAGE_INCOMING), want);
}

TEST_F(Conversation, MessagesArrivingAsTheUserSignsOutAreAllKeptOnce) {
    all_kept_as_alice_leaves(false);
}

TEST_F(Conversation, MessagesArrivingAsTheGameQuitsAreAllKeptOnce) {
    all_kept_as_alice_leaves(true);
}

// Offline messages that arrive while Alice's history store is still opening (its file held by
// another process's write transaction for longer than the sign-in waits for the store) are
// kept until the sign-in completes, not dropped as arriving before it.
TEST_F(Conversation, MessagesArrivingWhileTheStoreOpensAreKept) {
    {
        Client first(*server);  // creates the store file
        ASSERT_EQ(first.signin(alice, "alice-pw"), MSGR_S_OK);
    }
    std::string path;
    for (const auto &f : std::filesystem::recursive_directory_iterator(data_home_.path())) {
        if (f.path().extension() == ".sqlite3") path = f.path().string();
    }
    ASSERT_FALSE(path.empty()) << "no history file under " << data_home_.path();
    auto peer = bare("bob", "laptop");
    for (int i = 0; i < 5; ++i)
        peer->send_chat(alice, "while opening " + std::to_string(i), "open-" + std::to_string(i));
    ASSERT_TRUE(drained(*peer, "drained"));
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    std::thread holder([db] {
        std::this_thread::sleep_for(5s);
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    });
    Client a(*server);
    const msgr_hresult hr = a.signin(alice, "alice-pw");
    holder.join();
    ASSERT_EQ(hr, MSGR_S_OK) << a.dump();
    ASSERT_TRUE(a.until([&] { return a.got_message(bob, "while opening 4"); })) << a.dump();
    a.until([&] { return false; }, 1s);
    Window w(a, bob);
    std::map<std::string, int> want;
    for (int i = 0; i < 5; ++i)
        want["while opening " + std::to_string(i)] = 1;
    EXPECT_EQ(texts(w.get(), MSGR_MESSAGE_INCOMING), want);
}

// XEP-0313 catch-up: 10,000 messages Bob sent while Alice was offline (no offline storage: the
// archive alone) are in her history after she signs in, each once, in the order sent.
TEST_F(ArchiveOnly, OfflineCatchUpOfTenThousandMessages) {
    constexpr int kMessages = 10000;
    {
        auto peer = bare("bob", "flood");
        for (int i = 0; i < kMessages; ++i)
            peer->send_message(alice, "m" + std::to_string(i));
        ASSERT_TRUE(drained(*peer, "flood-done"));
    }
    Client a(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    Window w(a, bob);
    ASSERT_TRUE(a.until([&] { return count_of(w.get()) >= kMessages; }, 120s))
        << count_of(w.get()) << " of " << kMessages;
    a.until([&] { return false; }, 1s);  // settle: duplicates would land here
    const auto all = entries(w.get());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kMessages));
    int out_of_order = 0;
    for (int i = 0; i < kMessages; ++i) {
        const Entry &e = all[static_cast<std::size_t>(i)];
        EXPECT_EQ(e.direction, MSGR_MESSAGE_INCOMING);
        if (e.text != "m" + std::to_string(i)) ++out_of_order;
    }
    EXPECT_EQ(out_of_order, 0);
    EXPECT_NE(all.back().flags & MSGR_MESSAGE_ARCHIVED, 0u);
}

// msgr_window_fetch_older: the sign-in's catch-up brought the newest 5 of 30 archived messages;
// asking for older ones prepends them (MSGR_EVENT_HISTORY_PREPENDED, hr S_FALSE on the last
// page) until the history is the whole archive, in order, each once.
TEST_F(ArchiveOnly, FetchOlderPrependsTheArchiveInOrder) {
    constexpr int kMessages = 30;
    {
        auto peer = bare("bob", "laptop");
        for (int i = 0; i < kMessages; ++i)
            peer->send_chat(alice, "old " + std::to_string(100 + i), "old-" + std::to_string(i));
        ASSERT_TRUE(drained(*peer, "done"));
    }
    Client a(*server, "mam_catch_up_max = 5\n");
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    Window w(a, bob);
    ASSERT_TRUE(a.until([&] { return count_of(w.get()) >= 5; })) << a.dump();
    a.until([&] { return false; }, 500ms);
    ASSERT_EQ(count_of(w.get()), 5u);
    EXPECT_EQ(entries(w.get()).front().text, "old 125");
    int asked = 0;
    bool reached_start = false;
    while (!reached_start && asked < 20) {
        const std::size_t before = count_of(w.get());
        const std::size_t events_before = a.events.size();
        const msgr_hresult hr = msgr_window_fetch_older(w.get());
        ASSERT_TRUE(hr == MSGR_S_OK || hr == MSGR_S_FALSE) << msgr_hresult_name(hr);
        if (hr == MSGR_S_FALSE) break;
        ++asked;
        const Seen *prepended = nullptr;
        ASSERT_TRUE(a.until([&] {
            for (std::size_t i = events_before; i < a.events.size(); ++i) {
                if (a.events[i].type == MSGR_EVENT_HISTORY_PREPENDED) prepended = &a.events[i];
            }
            return prepended != nullptr;
        })) << a.dump();
        EXPECT_EQ(prepended->window, w.get());
        EXPECT_EQ(count_of(w.get()), before + prepended->index);
        reached_start = prepended->hr == MSGR_S_FALSE;
    }
    EXPECT_TRUE(reached_start || msgr_window_fetch_older(w.get()) == MSGR_S_FALSE);
    EXPECT_GE(asked, 1);
    std::vector<std::string> want, got;
    for (int i = 0; i < kMessages; ++i)
        want.push_back("old " + std::to_string(100 + i));
    for (const auto &e : entries(w.get()))
        got.push_back(e.text);
    EXPECT_EQ(got, want);
}

// The server killed (SIGKILL) and restarted 20 times in the middle of a conversation: messages
// sent just before each kill, while it is down and after it is back. At the end each side has
// every message of the other exactly once, and every message it sent exactly once, SENT or
// better; neither side ever went offline.
TEST_F(Conversation, TwentyServerKillsMidConversationLoseAndDuplicateNothing) {
    Client a(*server), b(*server);
    ASSERT_EQ(a.signin(alice, "alice-pw"), MSGR_S_OK);
    ASSERT_EQ(b.signin(bob, "bob-pw"), MSGR_S_OK);
    Window wa(a, bob), wb(b, alice);
    const unsigned seed = std::random_device{}();
    std::printf("seed %u\n", seed);  // where the kills landed, to reproduce a failure
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> ticks(0, 30);
    std::map<std::string, int> from_a, from_b;
    const auto say = [](const Window &w, std::map<std::string, int> &into, const std::string &t) {
        w.send(t);
        into[t] = 1;
    };
    constexpr int kRounds = 20;
    for (int r = 0; r < kRounds; ++r) {
        const std::string p = std::to_string(r);
        say(wa, from_a, "a" + p + " before");
        say(wb, from_b, "b" + p + " before");
        const int n = ticks(rng);  // the kill lands anywhere from "not yet sent" to "acked"
        for (int i = 0; i < n; ++i) {
            a.tick();
            b.tick();
            std::this_thread::sleep_for(1ms);
        }
        server->kill();
        say(wa, from_a, "a" + p + " while down");
        tick_both(a, b, 20);
        say(wb, from_b, "b" + p + " while down");
        server->restart();
        say(wa, from_a, "a" + p + " after");
        say(wb, from_b, "b" + p + " after");
        ASSERT_TRUE(a.until(
            [&] {
                b.tick();
                const auto in_a = texts(wa.get(), MSGR_MESSAGE_INCOMING);
                const auto in_b = texts(wb.get(), MSGR_MESSAGE_INCOMING);
                for (const auto &[t, one] : from_b) {
                    if (in_a.count(t) == 0) return false;
                }
                for (const auto &[t, one] : from_a) {
                    if (in_b.count(t) == 0) return false;
                }
                return true;
            },
            30s))
            << "round " << r << "\n"
            << a.dump();
    }
    // Every outgoing message settles (not PENDING, not FAILED).
    ASSERT_TRUE(a.until([&] {
        b.tick();
        for (auto *w : {wa.get(), wb.get()}) {
            for (const auto &e : entries(w)) {
                if (e.direction == MSGR_MESSAGE_OUTGOING && !settled(e.delivery)) return false;
            }
        }
        return true;
    })) << a.dump();
    tick_both(a, b, 1000);  // late duplicates would land here
    EXPECT_EQ(texts(wa.get(), MSGR_MESSAGE_INCOMING), from_b);
    EXPECT_EQ(texts(wb.get(), MSGR_MESSAGE_INCOMING), from_a);
    EXPECT_EQ(texts(wa.get(), MSGR_MESSAGE_OUTGOING), from_a);
    EXPECT_EQ(texts(wb.get(), MSGR_MESSAGE_OUTGOING), from_b);
    EXPECT_EQ(a.last(MSGR_EVENT_SIGNOUT), nullptr) << a.dump();
    EXPECT_EQ(b.last(MSGR_EVENT_SIGNOUT), nullptr) << b.dump();
}

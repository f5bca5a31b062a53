// Conversations with several contacts (IMessengerConversationWnd Contacts / AddContact,
// DMessengerEvents OnIMWindowContactAdded / Removed): msgr_window_add_contact and its fellows,
// row by row of their checks (msgr.h), and group messages through the loopback service.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/session.hpp"
#include "support/test_pager.hpp"

using namespace msgr::test;

namespace {

class Groups : public Session {
  protected:
    void SetUp() override { ASSERT_EQ(signin("player@loopback"), MSGR_S_OK); }

    // Ticks until done() holds, for at most 10 s of wall-clock time.
    bool tick_until(const std::function<bool()> &done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            tick();
        }
        return true;
    }

    std::vector<std::string> contacts_of(msgr_window *w) {
        std::vector<std::string> out;
        std::size_t n = 0;
        EXPECT_EQ(msgr_window_contacts_count(w, &n), MSGR_S_OK);
        for (std::size_t i = 0; i < n; ++i) {
            HeldContact c;
            EXPECT_EQ(msgr_window_contacts_get(w, i, c.out()), MSGR_S_OK);
            const char *name = nullptr;
            EXPECT_EQ(msgr_contact_signin_name(c, &name), MSGR_S_OK);
            out.emplace_back(name != nullptr ? name : "");
        }
        return out;
    }

    struct Line {
        msgr_message_direction direction;
        std::string sender;
        std::string text;
    };
    std::vector<Line> history_of(msgr_window *w) {
        std::vector<Line> out;
        std::size_t n = 0;
        EXPECT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
        for (std::size_t i = 0; i < n; ++i) {
            msgr_message m{};
            m.struct_size = sizeof m;
            EXPECT_EQ(msgr_window_history_get(w, i, &m), MSGR_S_OK);
            out.push_back({m.direction, m.sender != nullptr ? m.sender : "(null)",
                           std::string(m.text, m.text_size)});
        }
        return out;
    }

    // The echo window made a group with shout in it.
    void open_group(HeldWindow &w) {
        ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
        ASSERT_EQ(msgr_window_add_contact(w, by_name("shout@loopback")), MSGR_S_OK)
            << msgr_last_error();
    }
};

}  // namespace

// ---- the checks, in their order ---------------------------------------------------------------

TEST_F(Groups, AddContactSOkRaisesContactAddedAndListsBoth) {
    HeldWindow w;
    open_group(w);
    EXPECT_EQ(contacts_of(w), (std::vector<std::string>{"echo@loopback", "shout@loopback"}));
    tick();
    ASSERT_EQ(count(MSGR_EVENT_IM_WINDOW_CONTACT_ADDED), 1);
    const Recorded *e = last(MSGR_EVENT_IM_WINDOW_CONTACT_ADDED);
    EXPECT_EQ(e->window, w.get());
    ASSERT_NE(e->contact, nullptr);
    EXPECT_EQ(e->contact->key, "shout@loopback");
    EXPECT_STREQ(msgr_event_type_name(MSGR_EVENT_IM_WINDOW_CONTACT_ADDED),
                 "MSGR_EVENT_IM_WINDOW_CONTACT_ADDED");
}

TEST_F(Groups, InvalidContactsAndWindowsAreEInvalidArg) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    for (const auto &[what, v] : invalid_contacts()) {
        EXPECT_EQ(msgr_window_add_contact(w, v), MSGR_E_INVALIDARG) << what;
        EXPECT_EQ(msgr_window_remove_contact(w, v), MSGR_E_INVALIDARG) << what;
    }
    EXPECT_EQ(msgr_window_add_contact(nullptr, by_name("shout@loopback")), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_window_remove_contact(nullptr, by_name("shout@loopback")), MSGR_E_INVALIDARG);
    std::size_t n = 7;
    EXPECT_EQ(msgr_window_contacts_count(nullptr, &n), MSGR_E_INVALIDARG);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(msgr_window_contacts_count(w, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    msgr_contact *c = reinterpret_cast<msgr_contact *>(0x1);
    EXPECT_EQ(msgr_window_contacts_get(w, 1, &c), MSGR_E_INVALIDARG);  // past the end
    EXPECT_EQ(c, nullptr);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CONTACT_ADDED), 0);
}

TEST_F(Groups, SignedOutIsDisconnectedAndNotSignedInIsNotLoggedOn) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(loopback_control("drop").rfind("ok", 0), 0u);
    ASSERT_TRUE(tick_until([&] { return count(MSGR_EVENT_SIGNOUT) > 0; }));
    // The account went offline: the window handle was dereferenced.
    EXPECT_EQ(msgr_window_add_contact(w, by_name("shout@loopback")), MSGR_RPC_E_DISCONNECTED);
    // A contact of a runtime that is not signed in: NOT_LOGGED_ON (the core's own check).
    msgr_window &win = *w.get();
    EXPECT_EQ(core().add_contact(win, by_name("shout@loopback")), MSGR_E_NOT_LOGGED_ON);
    EXPECT_EQ(core().remove_contact(win, by_name("shout@loopback")), MSGR_E_NOT_LOGGED_ON);
}

TEST_F(Groups, ClosedWindowAndPageWindowAreEFail) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    EXPECT_EQ(msgr_window_add_contact(w, by_name("shout@loopback")), MSGR_E_FAIL);
    EXPECT_EQ(msgr_window_remove_contact(w, by_name("echo@loopback")), MSGR_E_FAIL);
    core().set_paging_provider(std::make_unique<TestPager>(
        core().inbox(), std::make_shared<PagerLog>(), std::vector<std::string>{}));
    HeldWindow page;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), page.out()), MSGR_S_OK)
        << msgr_last_error();
    EXPECT_EQ(msgr_window_add_contact(page, by_name("echo@loopback")), MSGR_E_FAIL);
}

TEST_F(Groups, TheLocalUserIsEFail) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_window_add_contact(w, by_name("Player@Loopback")), MSGR_E_FAIL);
    HeldContact me;
    ASSERT_EQ(msgr_get_contact(rt, "player@loopback", nullptr, me.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_window_add_contact(w, by_contact(me)), MSGR_E_FAIL);
    EXPECT_EQ(contacts_of(w).size(), 1u);
}

TEST_F(Groups, AlreadyPresentIsSFalse) {
    HeldWindow w;
    open_group(w);
    EXPECT_EQ(msgr_window_add_contact(w, by_name("SHOUT@loopback")), MSGR_S_FALSE);
    EXPECT_EQ(msgr_window_add_contact(w, by_name("echo@loopback")), MSGR_S_FALSE);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CONTACT_ADDED), 1);
    EXPECT_EQ(contacts_of(w).size(), 2u);
}

TEST_F(Groups, PastTheConfiguredSizeIsSessionFull) {
    TempConfig cfg("[runtime]\nmax_conversation_contacts = 3\n");
    create(cfg.path());
    ASSERT_EQ(signin("player@loopback"), MSGR_S_OK);
    HeldWindow w;
    open_group(w);
    ASSERT_EQ(msgr_window_add_contact(w, by_name("a@loopback")), MSGR_S_OK);
    EXPECT_EQ(msgr_window_add_contact(w, by_name("b@loopback")), MSGR_E_SESSION_FULL);
    EXPECT_EQ(contacts_of(w).size(), 3u);
    // Already present still answers S_FALSE when full.
    EXPECT_EQ(msgr_window_add_contact(w, by_name("a@loopback")), MSGR_S_FALSE);
}

// A service that says nothing of multi-party conversations (as an add-in built before ABI 1.5).
class OneToOneService : public msgr::core::Service {
  public:
    const std::string &id() const override { return id_; }
    bool supports_paging() const override { return false; }
    std::size_t max_message_bytes() const override { return 1024; }
    msgr_hresult signin(std::uint64_t, const std::string &, const std::string &) override {
        return MSGR_S_OK;
    }
    void signout() override {}
    msgr_hresult set_status(std::int32_t) override { return MSGR_S_OK; }
    msgr::core::ContactInfo describe(std::string_view) override { return {}; }
    msgr_hresult send_message(std::uint64_t, const std::string &, const std::string &) override {
        return MSGR_S_OK;
    }
    msgr_hresult send_page(const msgr::core::PageRequest &) override { return MSGR_S_FALSE; }

  private:
    std::string id_ = "one-to-one";
};

TEST_F(Groups, AServiceWithoutMultiPartyIsEFail) {
    core().add_service(std::make_unique<OneToOneService>());
    HeldContact alice;
    HeldContact bob;
    ASSERT_EQ(msgr_get_contact(rt, "alice@elsewhere", "one-to-one", alice.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_get_contact(rt, "bob@elsewhere", "one-to-one", bob.out()), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_contact(alice), w.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_window_add_contact(w, by_contact(bob)), MSGR_E_FAIL);
    EXPECT_NE(std::string(msgr_last_error()).find("several contacts"), std::string::npos);
    EXPECT_EQ(contacts_of(w).size(), 1u);
}

TEST_F(Groups, AContactOfAnotherServiceIsEFail) {
    TempConfig cfg("[[loopback.services]]\nid = \"exchange\"\npaging = false\n");
    create(cfg.path());
    ASSERT_EQ(signin("player@loopback"), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    HeldContact elsewhere;
    ASSERT_EQ(msgr_get_contact(rt, "bob@loopback", "exchange", elsewhere.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_window_add_contact(w, by_contact(elsewhere)), MSGR_E_FAIL);
}

TEST_F(Groups, RemoveContactRows) {
    HeldWindow w;
    open_group(w);
    EXPECT_EQ(msgr_window_remove_contact(w, by_name("nobody@loopback")), MSGR_S_FALSE);
    EXPECT_EQ(msgr_window_remove_contact(w, by_name("echo@loopback")), MSGR_S_OK);
    EXPECT_EQ(contacts_of(w), (std::vector<std::string>{"shout@loopback"}));
    // The last contact stays: a conversation keeps at least one.
    EXPECT_EQ(msgr_window_remove_contact(w, by_name("shout@loopback")), MSGR_E_FAIL);
    tick();
    ASSERT_EQ(count(MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED), 1);
    EXPECT_EQ(last(MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED)->contact->key, "echo@loopback");
    EXPECT_EQ(last(MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED)->window, w.get());
}

// ---- InstantMessage and the group -------------------------------------------------------------

TEST_F(Groups, InstantMessageReturnsTheOneToOneWindowNeverTheGroup) {
    HeldWindow group;
    open_group(group);
    HeldWindow echo;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), echo.out()), MSGR_S_OK);
    EXPECT_NE(echo.get(), group.get());
    EXPECT_EQ(contacts_of(echo), (std::vector<std::string>{"echo@loopback"}));
    HeldWindow shout;
    ASSERT_EQ(msgr_instant_message(rt, by_name("shout@loopback"), shout.out()), MSGR_S_OK);
    EXPECT_NE(shout.get(), group.get());
    HeldWindow again;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_OK);
    EXPECT_EQ(again.get(), echo.get());
}

// ---- messages -----------------------------------------------------------------------------------

TEST_F(Groups, AGroupMessageReachesEveryContactAndAnswersNameTheirSender) {
    HeldWindow w;
    open_group(w);
    ASSERT_EQ(msgr_ui_send(w, "hello all", nullptr), MSGR_S_OK) << msgr_last_error();
    ASSERT_TRUE(tick_until([&] { return history_of(w).size() >= 3; }));
    const auto lines = history_of(w);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_EQ(lines[0].sender, "player@loopback");
    // Both bots got it: each answers in the group, named as its sender.
    std::vector<std::string> answers;
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(lines[i].direction, MSGR_MESSAGE_INCOMING);
        answers.push_back(lines[i].sender + ": " + lines[i].text);
    }
    std::sort(answers.begin(), answers.end());
    EXPECT_EQ(answers,
              (std::vector<std::string>{"echo@loopback: hello all", "shout@loopback: HELLO ALL"}));
    // Raised for the group window, with the sender as the event's contact; no one-to-one window
    // opened for the answers.
    EXPECT_EQ(count(MSGR_EVENT_MESSAGE_RECEIVED), 2);
    for (const auto &e : events) {
        if (e.type == MSGR_EVENT_MESSAGE_RECEIVED) {
            EXPECT_EQ(e.window, w.get());
        }
    }
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
}

TEST_F(Groups, TheGroupHasItsOwnConversationAndTheOneToOneKeepsItsOwn) {
    HeldWindow echo;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), echo.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_ui_send(echo, "one to one", nullptr), MSGR_S_OK);
    ASSERT_TRUE(tick_until([&] { return history_of(echo).size() >= 2; }));
    // The window becomes a group: it shows the group's conversation (empty so far).
    ASSERT_EQ(msgr_window_add_contact(echo, by_name("shout@loopback")), MSGR_S_OK);
    EXPECT_EQ(history_of(echo).size(), 0u);
    ASSERT_EQ(msgr_ui_send(echo, "to the group", nullptr), MSGR_S_OK);
    ASSERT_TRUE(tick_until([&] { return history_of(echo).size() >= 3; }));
    // The one-to-one conversation is the contact's still, as stored.
    HeldWindow again;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_OK);
    const auto lines = history_of(again);
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[lines.size() - 2].text, "one to one");
    EXPECT_EQ(lines.back().sender, "echo@loopback");
}

TEST_F(Groups, AGroupConversationIsStoredAndReopensWhenItsMessagesComeBack) {
    if (core().store() == nullptr) GTEST_SKIP() << "history is off: " << core().store_failure();
    HeldWindow w;
    open_group(w);
    ASSERT_EQ(msgr_ui_send(w, "first", nullptr), MSGR_S_OK);
    ASSERT_TRUE(tick_until([&] { return history_of(w).size() >= 3; }));
    const std::string group = w.get()->group;
    ASSERT_FALSE(group.empty());
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    // A message of that group arrives (the service names it): the window opens again, on the
    // group's stored conversation.
    msgr::core::MessageArrived m{"loopback", core().session(), "echo@loopback", "again"};
    m.group = group;
    m.origin_id = "again-1";
    ASSERT_TRUE(core().inbox().push(std::move(m)));
    const Recorded *created = nullptr;
    ASSERT_TRUE(tick_until([&] {
        created =
            count(MSGR_EVENT_IM_WINDOW_CREATED) >= 2 ? last(MSGR_EVENT_IM_WINDOW_CREATED) : nullptr;
        return created != nullptr;
    }));
    msgr_window *reopened = created->window;
    const auto lines = history_of(reopened);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0].text, "first");
    EXPECT_EQ(lines[3].text, "again");
    EXPECT_EQ(lines[3].sender, "echo@loopback");  // live: named
    // Read back from the store, each line keeps who wrote it (schema 4 keeps a group's writers).
    EXPECT_EQ(lines[0].sender, "player@loopback");
    std::vector<std::string> stored{lines[1].sender, lines[2].sender};
    std::sort(stored.begin(), stored.end());
    EXPECT_EQ(stored, (std::vector<std::string>{"echo@loopback", "shout@loopback"}));
}

// The contact list as players use it (issue 14), drawn into an ImGui context with no backend and
// driven by real clicks and keys: friend requests from the loopback service with Accept and
// Decline, Add a friend, Block / Unblock and Remove in a contact's menu, the player's own name.
#include <imgui.h>
#include <imgui_internal.h>

#include <cstring>
#include <string>

#include "view_fixture.hpp"

using namespace msgr::test;
using Control = msgr::render::Overlay::Control;

namespace {

class ContactListView : public ViewTest {
  protected:
    std::size_t index_of(const char *signin) { return contact_list_index(rt, signin); }

    bool on_list(const char *signin) { return index_of(signin) != std::string::npos; }

    void right_click(ImVec2 at) {
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = at;
        frame();
        io.MouseDown[1] = true;
        frame();
        io.MouseDown[1] = false;
        frame();
    }

    // Types into the Add a friend field (clicked first, so it has the keyboard).
    void type_friend(const char *name) {
        click(centre(control(Control::add_friend)));
        type(name);
    }

    // Whether an event of this type about the contact with this sign-in name was raised (the
    // contact is held from before, so that the events name this same object).
    bool raised(msgr_event_type type, const msgr_contact *c, msgr_hresult hr = MSGR_S_OK) {
        for (const auto &e : events) {
            if (e.type == type && e.hr == hr && e.contact == c) return true;
        }
        return false;
    }
    msgr_contact *contact(const char *signin, HeldContact &held) {
        EXPECT_EQ(msgr_get_contact(rt, signin, nullptr, held.out()), MSGR_S_OK);
        return held;
    }

    std::string add_status() { return overlay->add_friend_status(); }
};

}  // namespace

// [loopback] requests makes asker@loopback ask at sign-in: the request shows under "Requests"
// with a toast; Accept answers it (msgr_authorize), the row goes and asker is on the list.
TEST_F(ContactListView, ARequestFromTheServiceShowsAndAcceptPutsItOnTheList) {
    TempConfig cfg("[loopback]\nrequests = [\"asker@loopback\"]\n");
    create(cfg.path());
    make_overlay();  // before the sign-in, whose ticks raise the request
    ASSERT_EQ(signin(), MSGR_S_OK);
    frame();
    EXPECT_EQ(overlay->stats().toasts_drawn, 1) << "a toast announces the request";
    overlay->set_open(true);
    frame(2);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    EXPECT_STREQ(overlay->request_shown(0), "asker@loopback");
    EXPECT_FALSE(on_list("asker@loopback"));
    HeldContact asker;
    contact("asker@loopback", asker);  // the request's contact (the overlay holds it)

    click(centre(control(Control::request_accept, nullptr, 0)));
    EXPECT_EQ(overlay->requests_shown(), 0u) << "an answered request goes";
    ASSERT_TRUE(frames_until([&] { return on_list("asker@loopback"); }))
        << "accepted: asker is on the contact list";
    EXPECT_TRUE(raised(MSGR_EVENT_CONTACT_LIST_ADD, asker));
    EXPECT_EQ(msgr_authorize(rt, asker, 1), MSGR_E_FAIL) << "the request was answered";
    EXPECT_STREQ(overlay->status_line(), "");
    EXPECT_EQ(overlay->stats().toasts_drawn, 0) << "its toast went with it";
}

// A request raised before the overlay was made (no one drew it then) is shown once it is: the
// overlay reads the requests still waiting (msgr_authorization_requests_count / _get).
TEST_F(ContactListView, ARequestThatCameBeforeTheOverlayIsShownByIt) {
    TempConfig cfg("[loopback]\nrequests = [\"early@loopback\"]\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    std::size_t waiting = 0;
    for (int i = 0; i < 1000 && waiting == 0; ++i) {
        msgr_runtime_tick(rt);
        ASSERT_EQ(msgr_authorization_requests_count(rt, &waiting), MSGR_S_OK);
    }
    ASSERT_EQ(waiting, 1u) << "the loopback's request was raised before the overlay";
    make_overlay();
    overlay->set_open(true);
    frame(2);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    EXPECT_STREQ(overlay->request_shown(0), "early@loopback");
    click(centre(control(Control::request_accept, nullptr, 0)));
    EXPECT_EQ(overlay->requests_shown(), 0u);
    ASSERT_TRUE(frames_until([&] { return on_list("early@loopback"); }));
}

TEST_F(ContactListView, DeclineAnswersTheRequestAndTheRowGoes) {
    signin_and_open();
    EXPECT_EQ(loopback_control("request pal@loopback"), "ok");
    frame(2);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    EXPECT_STREQ(overlay->request_shown(0), "pal@loopback");
    EXPECT_EQ(loopback_control("request pal@loopback"), "ok");
    frame(2);
    EXPECT_EQ(overlay->requests_shown(), 1u) << "asked twice: still one row";

    HeldContact pal;
    contact("pal@loopback", pal);
    click(centre(control(Control::request_decline, nullptr, 0)));
    frame(5);
    EXPECT_EQ(overlay->requests_shown(), 0u);
    EXPECT_FALSE(on_list("pal@loopback"));
    EXPECT_EQ(msgr_authorize(rt, pal, 0), MSGR_E_FAIL) << "the request was answered";
    EXPECT_FALSE(raised(MSGR_EVENT_CONTACT_LIST_ADD, pal));
}

// A click on a request's toast opens the overlay with the contact list in front.
TEST_F(ContactListView, ARequestsToastOpensTheContactList) {
    TempConfig cfg("[loopback]\nrequests = [\"pal@loopback\"]\n");
    create(cfg.path());
    make_overlay();
    ASSERT_EQ(signin(), MSGR_S_OK);
    frame(2);
    // A conversation the player was in has the focus when the overlay closes.
    HeldWindow chat;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), chat.out()), MSGR_S_OK);
    frame(3);
    ASSERT_TRUE(overlay->is_open());
    ASSERT_EQ(ctx_->NavWindow, imgui_window_of(chat));
    overlay->set_open(false);
    frame();
    ASSERT_EQ(overlay->stats().toasts_drawn, 1);
    click(centre(control(Control::toast, nullptr, 0)));
    EXPECT_TRUE(overlay->is_open());
    frame(2);
    ASSERT_NE(ctx_->NavWindow, nullptr);
    EXPECT_NE(std::strstr(ctx_->NavWindow->Name, "###msgr-contacts"), nullptr)
        << "the contact list has the focus, not " << ctx_->NavWindow->Name;
    EXPECT_EQ(overlay->requests_shown(), 1u);
}

// Add a friend: the name and Enter; a bot accepts at once and the line says so.
TEST_F(ContactListView, AddAFriendWithEnterAddsTheContactAndSaysSo) {
    signin_and_open();
    ASSERT_FALSE(on_list("shout@loopback"));
    HeldContact shout;
    contact("shout@loopback", shout);
    type_friend("shout@loopback");
    press(kEnter);
    ASSERT_TRUE(frames_until([&] { return on_list("shout@loopback"); }));
    frame();
    EXPECT_EQ(add_status(), "shout@loopback: Added to your list.");
    EXPECT_TRUE(raised(MSGR_EVENT_CONTACT_LIST_ADD, shout));

    // Again: already on the list, in words.
    type_friend("shout@loopback");
    click(centre(control(Control::add_friend_button)));
    EXPECT_EQ(add_status(), "shout@loopback: Already on your list.");
}

// A refused request, a bad name and the player's own name, each in words, never a code.
TEST_F(ContactListView, ARefusalOrABadNameIsToldInWords) {
    signin_and_open();
    HeldContact stranger;
    contact("stranger@loopback", stranger);
    type_friend("stranger@loopback");
    press(kEnter);
    EXPECT_EQ(add_status(), "stranger@loopback: Asked; waiting for an answer.");
    EXPECT_EQ(loopback_control("decline stranger@loopback"), "ok");
    ASSERT_TRUE(frames_until([&] { return add_status().find("declined") != std::string::npos; }));
    EXPECT_EQ(add_status(), "stranger@loopback: Your request was declined.");
    EXPECT_TRUE(raised(MSGR_EVENT_CONTACT_LIST_ADD, stranger, MSGR_E_FAIL));
    EXPECT_FALSE(on_list("stranger@loopback"));

    type_friend(" stranger@loopback");  // a leading space: not a sign-in name
    press(kEnter);
    EXPECT_EQ(add_status(), " stranger@loopback: That is not a valid sign-in name.");
    click(centre(control(Control::add_friend)));
    for (int i = 0; i < 20; ++i)
        press(kBackspace);
    type("player@loopback");
    press(kEnter);
    EXPECT_EQ(add_status(), "player@loopback: That is you.");
    for (const char *code : {"0x", "MSGR_", "E_"})
        EXPECT_EQ(add_status().find(code), std::string::npos) << add_status();
}

// Block from a contact's menu: the row says "(blocked)" and the contact's requests never show;
// Unblock takes it back; Remove takes the contact off the list. A request showing goes when its
// contact is blocked.
TEST_F(ContactListView, BlockFromTheMenuMarksTheRowAndItsRequestsNeverShow) {
    signin_and_open();
    const std::size_t echo = index_of("echo@loopback");
    ASSERT_NE(echo, std::string::npos);
    EXPECT_FALSE(overlay->blocked_shown(echo));
    right_click(centre(control(Control::contact_row, nullptr, echo)));
    click(centre(control(Control::contact_block)));
    frame();
    EXPECT_TRUE(overlay->blocked_shown(echo));
    HeldContact c;
    contact("echo@loopback", c);
    int blocked = 0;
    ASSERT_EQ(msgr_contact_blocked(c, &blocked), MSGR_S_OK);
    EXPECT_EQ(blocked, 1);
    EXPECT_EQ(last(MSGR_EVENT_CONTACT_BLOCK_CHANGE)->status, 1);

    EXPECT_EQ(loopback_control("request echo@loopback"), "ok");
    frame(3);
    EXPECT_EQ(overlay->requests_shown(), 0u) << "a blocked contact's request never shows";
    EXPECT_EQ(overlay->stats().toasts_drawn, 1) << "only the control contact's answer";

    right_click(centre(control(Control::contact_row, nullptr, echo)));
    click(centre(control(Control::contact_block)));  // now Unblock
    frame();
    EXPECT_FALSE(overlay->blocked_shown(echo));
    ASSERT_EQ(msgr_contact_blocked(c, &blocked), MSGR_S_OK);
    EXPECT_EQ(blocked, 0);

    // A request showing goes when its contact is blocked elsewhere (the network reports it).
    EXPECT_EQ(loopback_control("request pal@loopback"), "ok");
    frame(2);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    EXPECT_EQ(loopback_control("block pal@loopback"), "ok");
    frame(2);
    EXPECT_EQ(overlay->requests_shown(), 0u);

    right_click(centre(control(Control::contact_row, nullptr, echo)));
    click(centre(control(Control::contact_remove)));
    frame();
    EXPECT_FALSE(on_list("echo@loopback"));
    EXPECT_TRUE(raised(MSGR_EVENT_CONTACT_LIST_REMOVE, c));
}

// A request's own Block button blocks the contact and its row goes.
TEST_F(ContactListView, BlockingARequestsContactDropsTheRequest) {
    signin_and_open();
    EXPECT_EQ(loopback_control("request pest@loopback"), "ok");
    frame(2);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    HeldContact pest;
    contact("pest@loopback", pest);
    click(centre(control(Control::request_block, nullptr, 0)));
    frame();
    EXPECT_EQ(overlay->requests_shown(), 0u);
    EXPECT_TRUE(raised(MSGR_EVENT_CONTACT_BLOCK_CHANGE, pest));
}

// The player's name at the top: Rename (the name selected in its field), type, Enter sets it
// (msgr_set_my_friendly_name); Escape cancels; a change made elsewhere shows on the next frame.
TEST_F(ContactListView, RenamingOneself) {
    signin_and_open();
    EXPECT_STREQ(overlay->my_name_shown(), "player@loopback");
    msgr::render::DrawnRect r;
    EXPECT_FALSE(overlay->control_rect(Control::rename_field, nullptr, 0, r));
    click(centre(control(Control::rename)));
    frame();
    ASSERT_TRUE(overlay->control_rect(Control::rename_field, nullptr, 0, r));
    frame();  // the field takes the keyboard, the name in it selected
    EXPECT_NE(ctx_->ActiveId, 0u) << "the keyboard is in the name's field";
    EXPECT_STREQ(ctx_->InputTextState.TextA.Data, "player@loopback");
    type("Sir Zoltán");  // replaces the selected name
    press(kEnter);
    frame();
    const char *name = nullptr;
    ASSERT_EQ(msgr_my_friendly_name(rt, &name), MSGR_S_OK);
    EXPECT_STREQ(name, "Sir Zoltán") << overlay->status_line();
    EXPECT_STREQ(overlay->my_name_shown(), "Sir Zoltán");
    ASSERT_NE(last(MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE), nullptr);
    EXPECT_EQ(last(MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE)->text, "Sir Zoltán");
    EXPECT_FALSE(overlay->control_rect(Control::rename_field, nullptr, 0, r)) << "saved";

    click(centre(control(Control::rename)));
    frame(2);
    type("!!!");
    press(kEscape);
    frame();
    EXPECT_FALSE(overlay->control_rect(Control::rename_field, nullptr, 0, r)) << "cancelled";
    ASSERT_EQ(msgr_my_friendly_name(rt, &name), MSGR_S_OK);
    EXPECT_STREQ(name, "Sir Zoltán");

    ASSERT_EQ(msgr_set_my_friendly_name(rt, "Zoë"), MSGR_S_OK);
    frame();
    EXPECT_STREQ(overlay->my_name_shown(), "Zoë");
}

// Signed out, the session's requests are gone (the runtime forgets them): none is left to answer.
TEST_F(ContactListView, SigningOutForgetsTheRequests) {
    signin_and_open();
    EXPECT_EQ(loopback_control("request pal@loopback"), "ok");
    frame(2);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    frame(2);
    ASSERT_EQ(signin(), MSGR_S_OK);
    frame(2);
    EXPECT_EQ(overlay->requests_shown(), 0u);
    EXPECT_EQ(overlay->stats().toasts_drawn, 1) << "the control contact's answer only";
}

// Rich presence: a contact's activity is one dim line under its name (echo's own, from the
// loopback service; a Hebrew one with an emoji, set by the control contact, drawn through the
// overlay's text helpers), redrawn when it changes and gone when cleared; the player's own
// activity is shown at the top.
TEST_F(ContactListView, ActivitiesAreShownUnderTheNamesAndFollowTheirChanges) {
    signin_and_open();
    const std::size_t echo = index_of("echo@loopback");
    const std::size_t mobile = index_of("mobile@loopback");
    ASSERT_NE(echo, std::string::npos);
    ASSERT_NE(mobile, std::string::npos);
    frame();
    ASSERT_NE(overlay->activity_shown(echo), nullptr);
    EXPECT_STREQ(overlay->activity_shown(echo), "Echoing what you say");
    EXPECT_EQ(overlay->activity_shown(mobile), nullptr) << "no activity: no line";
    EXPECT_STREQ(overlay->my_activity_shown(), "");
    // The row with an activity is a line taller than the one without.
    const float line = ImGui::GetTextLineHeight();
    const float with = control(Control::contact_row, nullptr, echo).h;
    const float without = control(Control::contact_row, nullptr, mobile).h;
    EXPECT_NEAR(with - without, line + ImGui::GetStyle().ItemSpacing.y, 1.0f);

    const char *hebrew = "\xd7\x91\xd7\x9e\xd7\xa9\xd7\x97\xd7\xa7 \xf0\x9f\x8e\xae 3/4";
    EXPECT_EQ(loopback_control(std::string("activity mobile@loopback ") + hebrew), "ok");
    frame();
    ASSERT_NE(overlay->activity_shown(mobile), nullptr);
    EXPECT_STREQ(overlay->activity_shown(mobile), hebrew);
    EXPECT_NEAR(control(Control::contact_row, nullptr, mobile).h, with, 1.0f);

    EXPECT_EQ(loopback_control("activity echo@loopback Racing \xe2\x80\x94 lap 2"), "ok");
    frame();
    EXPECT_STREQ(overlay->activity_shown(echo), "Racing \xe2\x80\x94 lap 2") << "made again";
    EXPECT_EQ(loopback_control("activity echo@loopback"), "ok");
    frame();
    EXPECT_EQ(overlay->activity_shown(echo), nullptr) << "cleared: the line goes";
    EXPECT_NEAR(control(Control::contact_row, nullptr, echo).h, without, 1.0f);

    ASSERT_EQ(msgr_set_my_activity(rt, "In a match \xe2\x80\x94 3/4 players"), MSGR_S_OK);
    frame();
    EXPECT_STREQ(overlay->my_activity_shown(), "In a match \xe2\x80\x94 3/4 players");
    ASSERT_EQ(msgr_set_my_activity(rt, nullptr), MSGR_S_OK);
    frame();
    EXPECT_STREQ(overlay->my_activity_shown(), "");
    ASSERT_EQ(msgr_set_my_activity(rt, "Back in the lobby"), MSGR_S_OK);
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    frame(2);
    EXPECT_STREQ(overlay->my_activity_shown(), "") << "forgotten at sign-out";
}

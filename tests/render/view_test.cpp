// The overlay's views, drawn into an ImGui context with no backend: window positions, focus,
// the user's input reaching the runtime (and nothing else reaching it), long and hostile
// histories.
#include <imgui.h>
#include <imgui_internal.h>

#include <string>
#include <vector>

#include "history_layout.hpp"
#include "support/test_pager.hpp"
#include "view_fixture.hpp"
#include "words.hpp"

using namespace msgr::test;
using Control = msgr::render::Overlay::Control;

TEST_F(ViewTest, ShiftTabTogglesTheOverlayAndReportsIt) {
    make_overlay();
    frame();
    EXPECT_FALSE(overlay->is_open());
    press(kTab);  // Tab alone is not the toggle
    EXPECT_FALSE(overlay->is_open());
    press(kTab, true);
    EXPECT_TRUE(overlay->is_open());
    press(kTab, true);
    EXPECT_FALSE(overlay->is_open());
    EXPECT_EQ(activations, "+-");
}

TEST_F(ViewTest, AnOpenOverlayDimsTheGameAndAClosedOneDrawsNothing) {
    make_overlay();
    frame();
    EXPECT_EQ(ImGui::GetBackgroundDrawList()->VtxBuffer.Size, 0);
    overlay->set_open(true);
    frame();
    const ImDrawList *bg = ImGui::GetBackgroundDrawList();
    ASSERT_GE(bg->VtxBuffer.Size, 4);
    // A rectangle over the whole display, translucent black.
    EXPECT_EQ(bg->VtxBuffer[0].pos.x, 0.0f);
    EXPECT_EQ(bg->VtxBuffer[2].pos.x, 1280.0f);
    EXPECT_EQ(bg->VtxBuffer[2].pos.y, 720.0f);
    EXPECT_EQ(bg->VtxBuffer[0].col, IM_COL32(0, 0, 0, 140));
}

TEST_F(ViewTest, TheSigninDialogIsTheRuntimesSigninDialogState) {
    make_overlay();
    auto log = std::make_shared<PagerLog>();
    core().set_paging_provider(std::make_unique<TestPager>(core().inbox(), log));
    int visible = -1;
    frame();
    ASSERT_EQ(msgr_signin_dialog_visible(rt, &visible), MSGR_S_OK);
    EXPECT_EQ(visible, 0);  // the overlay is closed: no dialog
    overlay->set_open(true);
    frame(3);  // the dialog sizes itself to its contents over its first frames
    ASSERT_EQ(msgr_signin_dialog_visible(rt, &visible), MSGR_S_OK);
    EXPECT_EQ(visible, 1);
    // The user signs in from the dialog.
    click(centre(control(Control::signin)));
    frame(2);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_ONLINE);
    ASSERT_EQ(msgr_signin_dialog_visible(rt, &visible), MSGR_S_OK);
    EXPECT_EQ(visible, 0);
    HeldWindow page;
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), page.out()), MSGR_S_OK);
}

TEST_F(ViewTest, PageFailsWhileTheDialogIsShown) {
    auto log = std::make_shared<PagerLog>();
    create();
    core().set_paging_provider(std::make_unique<TestPager>(core().inbox(), log));
    make_overlay();
    overlay->set_open(true);
    frame();  // offline: the dialog is shown
    ASSERT_EQ(msgr_signin(rt, "player@loopback", ""), MSGR_S_OK);
    msgr_runtime_tick(rt);  // signed in, and the dialog is still up until the next draw
    HeldWindow page;
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), page.out()), MSGR_E_FAIL);
    frame();  // signed in: the dialog goes
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), page.out()), MSGR_S_OK);
}

TEST_F(ViewTest, ApiGeometryMovesTheWindowOnTheNextFrame) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame();
    msgr::render::DrawnRect r;
    ASSERT_TRUE(overlay->window_rect(w, r));
    std::int32_t left = 0, top = 0, width = 0, height = 0;
    msgr_window_get_left(w, &left);
    msgr_window_get_top(w, &top);
    msgr_window_get_width(w, &width);
    msgr_window_get_height(w, &height);
    EXPECT_EQ(r.x, static_cast<float>(left));
    EXPECT_EQ(r.y, static_cast<float>(top));
    EXPECT_EQ(r.w, static_cast<float>(width));
    EXPECT_EQ(r.h, static_cast<float>(height));

    ASSERT_EQ(msgr_window_set_left(w, 500), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_top(w, 150), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_width(w, 420), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_height(w, 300), MSGR_S_OK);
    frame();
    ASSERT_TRUE(overlay->window_rect(w, r));
    EXPECT_EQ(r.x, 500.0f);
    EXPECT_EQ(r.y, 150.0f);
    EXPECT_EQ(r.w, 420.0f);
    EXPECT_EQ(r.h, 300.0f);
    ImGuiWindow *win = imgui_window_of(w);
    ASSERT_NE(win, nullptr);
    EXPECT_EQ(win->Pos.x, 500.0f);
    EXPECT_EQ(win->Size.y, 300.0f);
}

TEST_F(ViewTest, TheUsersDragIsReadBackByTheGetters) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame();
    std::int32_t left0 = 0, top0 = 0;
    msgr_window_get_left(w, &left0);
    msgr_window_get_top(w, &top0);
    const msgr::render::DrawnRect title = control(Control::title_bar, w);
    const ImVec2 from(title.x + 40, title.y + title.h * 0.5f);
    drag(from, ImVec2(from.x + 200, from.y + 90));
    std::int32_t left = 0, top = 0;
    msgr_window_get_left(w, &left);
    msgr_window_get_top(w, &top);
    EXPECT_EQ(left, left0 + 200);
    EXPECT_EQ(top, top0 + 90);
    // Not an automation change: nothing to re-apply, the window stays where the user put it.
    frame(3);
    msgr::render::DrawnRect r;
    ASSERT_TRUE(overlay->window_rect(w, r));
    EXPECT_EQ(r.x, static_cast<float>(left0 + 200));
}

TEST_F(ViewTest, ShowBringsTheWindowToTheFrontWithFocus) {
    signin_and_open();
    HeldWindow a, b;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), a.out()), MSGR_S_OK);
    frame();
    ASSERT_EQ(msgr_instant_message(rt, by_name("someone@loopback"), b.out()), MSGR_S_OK);
    frame();
    ImGuiWindow *wa = imgui_window_of(a);
    ImGuiWindow *wb = imgui_window_of(b);
    ASSERT_NE(wa, nullptr);
    ASSERT_NE(wb, nullptr);
    EXPECT_EQ(ctx_->NavWindow, wb);
    ASSERT_EQ(msgr_window_show(a), MSGR_S_OK);
    frame();
    EXPECT_EQ(ctx_->NavWindow, wa);
    EXPECT_GT(ImGui::FindWindowDisplayIndex(wa), ImGui::FindWindowDisplayIndex(wb));
    // The user clicking b brings it to the front in the runtime's z-order too.
    ASSERT_EQ(msgr_window_set_left(b, 700), MSGR_S_OK);  // out from under a
    frame();
    const msgr::render::DrawnRect title = control(Control::title_bar, b);
    click(ImVec2(title.x + 30, title.y + title.h * 0.5f));
    msgr_ui_window_info top{};
    top.struct_size = sizeof top;
    ASSERT_EQ(msgr_ui_window_get(rt, 1, &top), MSGR_S_OK);
    EXPECT_EQ(top.window, b.get());
}

// A window opened by an incoming message while the player types in another: it shows in
// front of every other window, its title not covered, but the caret stays where the player
// types (what they type next lands in their own draft), and it is marked as new.
TEST_F(ViewTest, AWindowOpenedByAMessageNeitherHidesNorStealsTheCaret) {
    signin_and_open();
    HeldWindow a;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), a.out()), MSGR_S_OK);
    frame(2);
    type("hel");
    ASSERT_TRUE(ImGui::GetIO().WantTextInput);
    ImGuiWindow *wa = imgui_window_of(a);
    ASSERT_NE(wa, nullptr);
    // friend@loopback writes first: the runtime opens its window.
    msgr::core::MessageArrived m = arriving();
    m.from = "friend@loopback";
    m.text = "are you there?";
    ASSERT_TRUE(core().inbox().push(std::move(m)));
    frame(3);
    std::size_t n = 0;
    ASSERT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
    ASSERT_EQ(n, 2u);
    msgr_ui_window_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(msgr_ui_window_get(rt, 1, &info), MSGR_S_OK);
    ASSERT_NE(info.window, a.get());
    ImGuiWindow *wb = imgui_window_of(info.window);
    ASSERT_NE(wb, nullptr);
    EXPECT_GT(ImGui::FindWindowDisplayIndex(wb), ImGui::FindWindowDisplayIndex(wa))
        << "in front, not hidden behind the window being typed in";
    EXPECT_EQ(ctx_->NavWindow, wa) << "the caret stays where the player types";
    type("lo");
    frame();
    const char *draft = nullptr;
    ASSERT_EQ(msgr_window_get_draft(a, &draft), MSGR_S_OK);
    EXPECT_STREQ(draft, "hello");
    // Its title bar is not under the other window's.
    const msgr::render::DrawnRect ta = control(Control::title_bar, a);
    const msgr::render::DrawnRect tb = control(Control::title_bar, info.window);
    EXPECT_TRUE(tb.y >= ta.y + ta.h || tb.y + tb.h <= ta.y || tb.x >= ta.x + ta.w ||
                tb.x + tb.w <= ta.x ||
                ImGui::FindWindowDisplayIndex(wb) > ImGui::FindWindowDisplayIndex(wa));
}

// The overlay's windows are opaque, whatever the host's style: nothing of a window behind (or of
// the game) shows through a conversation window's background.
TEST_F(ViewTest, WindowsAreOpaque) {
    ImGui::GetStyle().Colors[ImGuiCol_WindowBg].w = 0.5f;  // a host's translucent style
    signin_and_open();
    HeldWindow a;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), a.out()), MSGR_S_OK);
    frame(2);
    ImGuiWindow *win = imgui_window_of(a);
    ASSERT_NE(win, nullptr);
    ASSERT_GT(win->DrawList->VtxBuffer.Size, 0);
    // The first shape of a window's draw list is its background.
    EXPECT_EQ(win->DrawList->VtxBuffer[0].col >> IM_COL32_A_SHIFT, 0xFFu);
}

// Unread counts follow what the player saw, not what arrived: messages into a window hidden
// behind another count in the contact list and on the toast; once the window is in front (its
// messages drawn while the overlay is open), the count goes.
TEST_F(ViewTest, UnreadCountsFollowWhatThePlayerSaw) {
    signin_and_open();
    HeldWindow a, b;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_width(a, 1000), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_height(a, 700), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_left(a, 0), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_top(a, 0), MSGR_S_OK);
    frame(2);
    ASSERT_EQ(msgr_instant_message(rt, by_name("mobile@loopback"), b.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_left(b, 100), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_top(b, 100), MSGR_S_OK);
    frame(2);
    ASSERT_EQ(msgr_window_show(a), MSGR_S_OK);  // b is now entirely behind a
    frame(3);
    std::size_t mobile_index = 0, n = 0;
    ASSERT_EQ(msgr_my_contacts_count(rt, &n), MSGR_S_OK);
    for (; mobile_index < n; ++mobile_index) {
        msgr_contact *c = nullptr;
        const char *name = nullptr;
        ASSERT_EQ(msgr_my_contacts_get(rt, mobile_index, &c), MSGR_S_OK);
        const bool found = msgr_contact_signin_name(c, &name) == MSGR_S_OK &&
                           std::string(name) == "mobile@loopback";
        msgr_contact_release(c);
        if (found) break;
    }
    ASSERT_LT(mobile_index, n) << "mobile@loopback is in the contact list";
    EXPECT_EQ(overlay->unread_shown(Control::contact_chat, mobile_index), 0u);

    for (const char *text : {"one", "two", "three"}) {
        msgr::core::MessageArrived m = arriving();
        m.from = "mobile@loopback";
        m.text = text;
        ASSERT_TRUE(core().inbox().push(std::move(m)));
    }
    frame(3);
    EXPECT_EQ(overlay->unread_shown(Control::contact_chat, mobile_index), 3u);
    EXPECT_EQ(overlay->unread_shown(Control::toast, 0), 3u);

    ASSERT_EQ(msgr_window_show(b), MSGR_S_OK);  // in front: the player sees the messages
    frame(3);
    EXPECT_EQ(overlay->unread_shown(Control::contact_chat, mobile_index), 0u);
}

TEST_F(ViewTest, WithoutFocusTheWindowIsShownButNotFocused) {
    signin_and_open();
    overlay->set_focus_allowed(false);
    overlay->set_open(false);
    frame();
    HeldWindow w;
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_FALSE);
    frame();
    EXPECT_FALSE(overlay->is_open());  // did not pop up during play
    overlay->set_open(true);
    frame();
    ImGuiWindow *win = imgui_window_of(w);
    ASSERT_NE(win, nullptr);
    EXPECT_NE(ctx_->NavWindow, win);
}

TEST_F(ViewTest, AFocusRequestOpensTheOverlay) {
    signin_and_open();
    overlay->set_open(false);
    frame();
    activations.clear();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame();
    EXPECT_TRUE(overlay->is_open());
    EXPECT_EQ(activations, "+");
}

TEST_F(ViewTest, TheUsersCloseClosesTheWindow) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame();
    click(centre(control(Control::close, w)));
    frame();  // OnIMWindowDestroyed is raised from the next tick
    int closed = 0;
    ASSERT_EQ(msgr_window_is_closed(w, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 1);
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_DESTROYED), 1);
    frame();
    msgr::render::DrawnRect r;
    EXPECT_FALSE(overlay->window_rect(w, r));
}

TEST_F(ViewTest, TypingAndEnterSendsAndTheEchoAppears) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);  // the focus request puts the keyboard in the input
    type("hello there");
    EXPECT_EQ(history_count(w), 0u);  // typing does not send
    const char *draft = nullptr;
    ASSERT_EQ(msgr_window_get_draft(w, &draft), MSGR_S_OK);
    EXPECT_STREQ(draft, "hello there");
    press(kEnter);
    frame(2);
    ASSERT_EQ(history_count(w), 2u);
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, 0, &m), MSGR_S_OK);
    EXPECT_EQ(m.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_STREQ(m.text, "hello there");
    ASSERT_EQ(msgr_window_history_get(w, 1, &m), MSGR_S_OK);
    EXPECT_EQ(m.direction, MSGR_MESSAGE_INCOMING);
    EXPECT_STREQ(m.text, "hello there");
    msgr::render::DrawnRect r;
    EXPECT_TRUE(overlay->drawn_rect(w, 1, r));  // the echo is on screen
    // The input was emptied and keeps the keyboard: the next message goes the same way.
    type("again");
    click(centre(control(Control::send, w)));
    frame();
    EXPECT_EQ(history_count(w), 4u);
}

TEST_F(ViewTest, AutomationDraftsButNeverSends) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_draft(w, "prefilled by a script"), MSGR_S_OK);
    frame(30);
    EXPECT_EQ(history_count(w), 0u);
    // The user presses Send: the draft the script wrote goes, because the user sent it.
    click(centre(control(Control::send, w)));
    ASSERT_GE(history_count(w), 1u);
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, 0, &m), MSGR_S_OK);
    EXPECT_STREQ(m.text, "prefilled by a script");
}

// The contact list offers Page only for a contact that can be paged: with no paging add-in,
// for none; with one, for the mobile contact only (echo has no mobile services). Chat is there
// for every contact.
TEST_F(ViewTest, PageIsOfferedOnlyForContactsThatCanBePaged) {
    const auto page_buttons = [this](std::string &which) {
        std::size_t n = 0;
        EXPECT_EQ(msgr_my_contacts_count(rt, &n), MSGR_S_OK);
        EXPECT_GE(n, 2u);
        which.clear();
        for (std::size_t i = 0; i < n; ++i) {
            msgr::render::DrawnRect r;
            EXPECT_TRUE(overlay->control_rect(Control::contact_chat, nullptr, i, r)) << i;
            if (!overlay->control_rect(Control::contact_page, nullptr, i, r)) continue;
            msgr_contact *c = nullptr;
            const char *name = nullptr;
            if (msgr_my_contacts_get(rt, i, &c) == MSGR_S_OK &&
                msgr_contact_signin_name(c, &name) == MSGR_S_OK) {
                which += std::string(which.empty() ? "" : " ") + name;
            }
            msgr_contact_release(c);
        }
    };
    signin_and_open();
    frame();
    std::string which;
    page_buttons(which);
    EXPECT_EQ(which, "") << "no paging add-in: nobody can be paged";
    overlay.reset();
    destroy();

    auto log = std::make_shared<PagerLog>();
    create();
    core().set_paging_provider(
        std::make_unique<TestPager>(core().inbox(), log, std::vector<std::string>{}, 10));
    signin_and_open();
    frame();
    page_buttons(which);
    EXPECT_EQ(which, "mobile@loopback");
    std::size_t n = 0;
    msgr_my_contacts_count(rt, &n);
    for (std::size_t i = 0; i < n; ++i) {
        msgr::render::DrawnRect r;
        if (overlay->control_rect(Control::contact_page, nullptr, i, r)) click(centre(r));
    }
    frame();
    std::size_t windows = 0;
    ASSERT_EQ(msgr_ui_window_count(rt, &windows), MSGR_S_OK);
    EXPECT_EQ(windows, 1u) << "the page window opened";
    EXPECT_STREQ(overlay->status_line(), "") << "a success has nothing to say";
}

// What a player reads for a failure is a sentence, never a result code: every action, every
// code the API documents and one it does not.
TEST(Words, EveryFailureIsASentenceAndASuccessSaysNothing) {
    using msgr::render::Action;
    const Action actions[] = {Action::signin,      Action::set_status,     Action::chat,
                              Action::page,        Action::send,           Action::deliver,
                              Action::search,      Action::open_hit,       Action::forget,
                              Action::add_contact, Action::added,          Action::authorize,
                              Action::block,       Action::remove_contact, Action::rename};
    const msgr_hresult codes[] = {
        MSGR_E_FAIL,          MSGR_E_INVALIDARG,         MSGR_E_NOTIMPL,
        MSGR_E_NOT_LOGGED_ON, MSGR_E_PAGING_UNAVAILABLE, MSGR_E_MESSAGE_TOO_LONG,
        MSGR_E_DISK_FULL,     MSGR_E_SERVER_UNAVAILABLE, MSGR_E_DISCONNECTED,
        MSGR_HR(0x8BADF00Du)};
    for (const Action a : actions) {
        EXPECT_EQ(msgr::render::result_words(a, MSGR_S_OK), nullptr);
        EXPECT_EQ(msgr::render::result_words(a, MSGR_S_FALSE), nullptr);
        for (const msgr_hresult hr : codes) {
            const char *w = msgr::render::result_words(a, hr);
            ASSERT_NE(w, nullptr);
            const std::string words(w);
            EXPECT_GT(words.size(), 8u) << words;
            EXPECT_EQ(words.find("MSGR_"), std::string::npos) << words;
            EXPECT_EQ(words.find("0x"), std::string::npos) << words;
            EXPECT_EQ(words.back(), '.') << "a sentence: " << words;
        }
    }
    EXPECT_STREQ(msgr::render::result_words(Action::page, MSGR_E_PAGING_UNAVAILABLE),
                 "This contact has no mobile device to page.");
    EXPECT_STREQ(msgr::render::result_words(Action::added, MSGR_E_USER_NOT_FOUND),
                 "There is nobody with that name.");
    EXPECT_STREQ(msgr::render::result_words(Action::add_contact, MSGR_E_ALREADY_IN_LIST),
                 "Already on your list.");
    EXPECT_EQ(msgr::render::add_success_words(MSGR_E_FAIL, true), nullptr);
    EXPECT_STREQ(msgr::render::add_success_words(MSGR_S_FALSE, false),
                 "A request is waiting for an answer already.");
    EXPECT_STREQ(msgr::render::delivery_failure_words("the gateway refused it", MSGR_E_FAIL),
                 "the gateway refused it");
    EXPECT_STREQ(msgr::render::delivery_failure_words("", MSGR_E_FAIL), "It was not delivered.");
    EXPECT_STREQ(msgr::render::delivery_failure_words(nullptr, MSGR_E_FAIL),
                 "It was not delivered.");
}

TEST_F(ViewTest, PageWindowCountsAgainstTheLimitAndShowsDelivery) {
    auto log = std::make_shared<PagerLog>();
    create();
    core().set_paging_provider(
        std::make_unique<TestPager>(core().inbox(), log, std::vector<std::string>{}, 10));
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    type("0123456789X");  // 11 > 10: Send is disabled, Enter does nothing
    press(kEnter);
    EXPECT_EQ(history_count(w), 0u);
    frame();  // the input takes the keyboard back
    press(kBackspace);
    press(kEnter);
    frame(2);
    ASSERT_EQ(history_count(w), 1u);
    ASSERT_EQ(log->pages.size(), 1u);
    EXPECT_EQ(log->pages[0].text, "0123456789");
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, 0, &m), MSGR_S_OK);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
}

TEST_F(ViewTest, LongHistoriesDrawOnlyWhatIsVisible) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    constexpr std::size_t kMessages = 20000;
    for (std::size_t i = 0; i < kMessages; ++i) {
        // Heights differ: every seventh message wraps over several lines.
        std::string text = "message " + std::to_string(i);
        if (i % 7 == 0) text += std::string(300, 'w') + " end";
        inject(w, text, i % 2 ? MSGR_MESSAGE_OUTGOING : MSGR_MESSAGE_INCOMING);
    }
    drain();
    ASSERT_EQ(history_count(w), kMessages);
    frame();
    // Only a window ending at the newest is laid out, never the whole history.
    EXPECT_EQ(overlay->stats().rows_total, msgr::render::HistoryLayout::kInitialMessages);
    EXPECT_GT(overlay->stats().rows_drawn, 0u);
    EXPECT_LT(overlay->stats().rows_drawn, 60u);
    frame(2);
    EXPECT_EQ(overlay->stats().rows_measured, 0u);  // cached
    EXPECT_LT(overlay->stats().rows_drawn, 60u);
    // At the bottom: the newest message is on screen, and the drawn rows do not overlap.
    msgr::render::DrawnRect last, prev;
    ASSERT_TRUE(overlay->drawn_rect(w, kMessages - 1, last));
    ASSERT_TRUE(overlay->drawn_rect(w, kMessages - 2, prev));
    EXPECT_GE(last.y, prev.y + prev.h);
    // Scrolled to the top, again and again: older entries are laid out above, the entry the
    // user looked at stays where it was, and the window never holds more than its limit.
    ImGuiWindow *child = history_child(w);
    ASSERT_NE(child, nullptr);
    std::size_t oldest_drawn = kMessages;
    for (int step = 0; step < 12; ++step) {
        ImGui::SetScrollY(child, 1.0f);
        frame();  // near the top, not at it
        std::size_t top_index = kMessages;
        for (std::size_t i = 0; i < kMessages && top_index == kMessages; ++i) {
            if (overlay->drawn_rect(w, i, last)) top_index = i;
        }
        ASSERT_LT(top_index, kMessages);
        ASSERT_TRUE(overlay->drawn_rect(w, top_index, prev));
        ImGui::SetScrollY(child, 0.0f);
        frame();  // at the top: 256 more laid out above it, in this very frame
        ASSERT_TRUE(overlay->drawn_rect(w, top_index, last)) << "the entry at the top moved away";
        EXPECT_NEAR(last.y, prev.y + 1.0f, 1.0f);  // where the one pixel of scrolling put it
        EXPECT_LE(overlay->stats().rows_total, msgr::render::HistoryLayout::kWindowMessages + 64u);
        EXPECT_LT(overlay->stats().rows_drawn, 60u);
        oldest_drawn = std::min(oldest_drawn, top_index);
    }
    EXPECT_LT(oldest_drawn, kMessages - msgr::render::HistoryLayout::kWindowMessages);
}

TEST_F(ViewTest, HostileTextIsDrawnWithoutHarm) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("evil@loopback"), w.out()), MSGR_S_OK);
    inject(w, "%n%n%s%s%x%p %%s");                                        // format strings
    inject(w, std::string("\xff\xfe\xc3(\xe2\x82 broken \xf0\x9f", 16));  // invalid UTF-8
    inject(w, std::string("nul\0inside", 10));                            // a NUL in the middle
    inject(w, "\x01\x02\x1b[31mred\x1b[0m\t\r\n\x7f\b");                  // control characters
    inject(w, "\u202Eevil.exe\u202C \u200Fmark\u200E \u2066iso\u2069");  // bidi overrides and marks
    inject(w, std::string(std::size_t{1024} * 1024, 'A'));               // 1 MB, no break at all
    std::string spaced;
    for (int i = 0; i < 100000; ++i)
        spaced += "word\xE2\x80\x8F ";  // 1 MB of words with RTL marks
    inject(w, spaced);
    inject(w, "after all that");
    drain();
    frame(3);
    msgr::render::DrawnRect r;
    EXPECT_TRUE(overlay->drawn_rect(w, 7, r));
    EXPECT_GT(overlay->stats().rows_total, 900u);  // the big ones are split into rows
    EXPECT_LT(overlay->stats().rows_drawn, 80u);
    // Scroll through everything: no frame draws more than a screenful.
    ImGuiWindow *child = history_child(w);
    ASSERT_NE(child, nullptr);
    for (int step = 0; step <= 10; ++step) {
        ImGui::SetScrollY(child, child->ScrollMax.y * static_cast<float>(step) / 10.0f);
        frame();
        EXPECT_LT(overlay->stats().rows_drawn, 80u);
    }
    // A window title from a hostile friendly name keeps its identity.
    frame();
    EXPECT_NE(imgui_window_of(w), nullptr);
}

TEST_F(ViewTest, TheOverlayNeverCreatesAContext) {
    ImGuiContext *before = ImGui::GetCurrentContext();
    make_overlay();
    overlay->set_open(true);
    frame(2);
    EXPECT_EQ(ImGui::GetCurrentContext(), before);
    // And with none current it draws nothing and does not crash.
    ImGui::SetCurrentContext(nullptr);
    overlay->draw();
    ImGui::SetCurrentContext(before);
}

TEST_F(ViewTest, ToastsAppearForMessagesWhileTheOverlayIsClosed) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    make_overlay();
    frame();
    // The loopback control contact makes friend@loopback speak; its own "ok" is an incoming
    // message too, so two toasts show.
    EXPECT_EQ(loopback_control("say friend@loopback psst"), "ok");
    frame();
    EXPECT_EQ(overlay->stats().toasts_drawn, 2);
    EXPECT_EQ(overlay->stats().windows_drawn, 0);  // closed: only the toast
    // Toasts age with the frames' DeltaTime, not the wall clock.
    frame(6 * 60);
    EXPECT_EQ(overlay->stats().toasts_drawn, 0);
}

// A toast is clickable: a click opens the overlay and the conversation in front, with the
// keyboard in its input, and the toast goes. The game keeps the mouse except over a toast.
TEST_F(ViewTest, AClickOnAToastOpensItsConversation) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    make_overlay();
    frame();
    EXPECT_EQ(loopback_control("say friend@loopback come and play"), "ok");
    frame(2);
    ASSERT_EQ(overlay->stats().toasts_drawn, 2);
    ASSERT_FALSE(overlay->is_open());
    msgr::render::DrawnRect newest;
    ASSERT_TRUE(overlay->control_rect(Control::toast, nullptr, 0, newest));
    ImGuiIO &io = ImGui::GetIO();
    io.MousePos = ImVec2(2, 2);
    frame();
    EXPECT_FALSE(overlay->wants_mouse()) << "the game's mouse, away from the toasts";
    io.MousePos = centre(newest);
    frame(2);
    EXPECT_TRUE(overlay->wants_mouse()) << "over a toast: the click is the overlay's";
    click(centre(newest));
    EXPECT_TRUE(overlay->is_open());
    EXPECT_EQ(activations, "+");
    frame(2);
    EXPECT_EQ(overlay->stats().toasts_drawn, 1) << "the clicked toast went";
    // The toast's conversation is the front window, with the keyboard in its input.
    std::size_t n = 0;
    ASSERT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
    ASSERT_GE(n, 1u);
    msgr_ui_window_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(msgr_ui_window_get(rt, n - 1, &info), MSGR_S_OK);
    msgr_contact *c = nullptr;
    const char *name = nullptr;
    ASSERT_EQ(msgr_window_contact(info.window, &c), MSGR_S_OK);
    ASSERT_EQ(msgr_contact_signin_name(c, &name), MSGR_S_OK);
    const std::string who = name;
    msgr_contact_release(c);
    EXPECT_TRUE(who == "friend@loopback" || who == "control@loopback") << who;
    EXPECT_TRUE(ImGui::GetIO().WantTextInput) << "the keyboard is in its input";
}

// Toasts go to the corner and inset the host sets, the newest nearest the corner.
TEST_F(ViewTest, ToastsShowInTheCornerAndInsetTheHostSets) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    make_overlay();
    overlay->set_toast_position(msgr::render::Corner::top_left, 30.0f, 40.0f);
    frame();
    EXPECT_EQ(loopback_control("say friend@loopback hello there"), "ok");
    frame(2);
    msgr::render::DrawnRect newest, older;
    ASSERT_TRUE(overlay->control_rect(Control::toast, nullptr, 0, newest));
    ASSERT_TRUE(overlay->control_rect(Control::toast, nullptr, 1, older));
    EXPECT_FLOAT_EQ(newest.x, 30.0f);
    EXPECT_FLOAT_EQ(newest.y, 40.0f);
    EXPECT_GE(older.y, newest.y + newest.h) << "stacked downwards from a top corner";
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    overlay->set_toast_position(msgr::render::Corner::bottom_right, 10.0f, 20.0f);
    frame(2);
    ASSERT_TRUE(overlay->control_rect(Control::toast, nullptr, 0, newest));
    EXPECT_NEAR(newest.x + newest.w, display.x - 10.0f, 0.5f);
    EXPECT_NEAR(newest.y + newest.h, display.y - 20.0f, 0.5f);
}

TEST_F(ViewTest, StatusWordsAndColours) {
    EXPECT_STREQ(msgr::render::status_word(MSGR_STATUS_ONLINE), "Online");
    EXPECT_STREQ(msgr::render::status_word(MSGR_STATUS_BE_RIGHT_BACK), "Be right back");
    EXPECT_STREQ(msgr::render::status_word(MSGR_STATUS_ON_THE_PHONE), "On the phone");
    EXPECT_STREQ(msgr::render::status_word(0x7777), "Unknown");
    EXPECT_NE(msgr::render::status_colour(MSGR_STATUS_ONLINE),
              msgr::render::status_colour(MSGR_STATUS_BUSY));
    EXPECT_NE(msgr::render::status_colour(MSGR_STATUS_AWAY),
              msgr::render::status_colour(MSGR_STATUS_OFFLINE));
}

namespace msgr::test {
namespace {

// The ninth window put on the first one's spot: the first is entirely hidden, so only its frame
// is submitted; its content comes back in the frame it can be seen.
TEST_F(ViewTest, AWindowEntirelyBehindAnotherDrawsOnlyItsFrame) {
    signin_and_open();
    std::vector<HeldWindow> ws(9);
    for (int i = 0; i < 9; ++i) {
        const std::string name = "friend" + std::to_string(i) + "@loopback";
        ASSERT_EQ(msgr_instant_message(rt, by_name(name.c_str()), ws[i].out()), MSGR_S_OK);
    }
    std::int32_t left = 0, top = 0;
    ASSERT_EQ(msgr_window_get_left(ws[0], &left), MSGR_S_OK);
    ASSERT_EQ(msgr_window_get_top(ws[0], &top), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_left(ws[8], left), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_top(ws[8], top), MSGR_S_OK);
    frame(3);
    msgr::render::DrawnRect back, front;
    ASSERT_TRUE(overlay->window_rect(ws[0], back));
    ASSERT_TRUE(overlay->window_rect(ws[8], front));
    ASSERT_EQ(back.x, front.x);
    ASSERT_EQ(back.y, front.y);
    EXPECT_FALSE(overlay->control_rect(msgr::render::Overlay::Control::input, ws[0], 0, back));
    EXPECT_TRUE(overlay->control_rect(msgr::render::Overlay::Control::input, ws[8], 0, front));
    EXPECT_TRUE(overlay->control_rect(msgr::render::Overlay::Control::input, ws[1], 0, front));
    EXPECT_EQ(overlay->stats().windows_drawn, 9);

    // Moved away by the API: the hidden one's content is drawn in the very next frame.
    ASSERT_EQ(msgr_window_set_left(ws[8], 800), MSGR_S_OK);
    frame();
    EXPECT_TRUE(overlay->control_rect(msgr::render::Overlay::Control::input, ws[0], 0, back));

    // Closing the front window: the one behind is complete in the next frame.
    ASSERT_EQ(msgr_window_set_left(ws[8], left), MSGR_S_OK);
    frame(2);
    EXPECT_FALSE(overlay->control_rect(msgr::render::Overlay::Control::input, ws[0], 0, back));
    ASSERT_EQ(msgr_window_close(ws[8]), MSGR_S_OK);
    frame();
    EXPECT_TRUE(overlay->control_rect(msgr::render::Overlay::Control::input, ws[0], 0, back));
}

}  // namespace
}  // namespace msgr::test

// The overlay over durable conversations, against the embedded default (the loopback service,
// whose echo contact sends receipts, types and reads; history on, in this test process's own
// XDG_DATA_HOME): delivery marks, "typing...", what the user saw, the user's own chat state
// from the input, the search window, and forgetting a conversation.
#include <imgui.h>
#include <imgui_internal.h>

#include <string>

#include "support/log_capture.hpp"
#include "view_fixture.hpp"

using namespace msgr::test;
using Control = msgr::render::Overlay::Control;

namespace {

std::string mark_of(const msgr::render::Overlay &o, msgr_window *w, std::size_t index) {
    const char *m = o.drawn_mark(w, index);
    return m != nullptr ? m : "(none)";
}

msgr_message entry(msgr_window *w, std::size_t index) {
    msgr_message m{};
    m.struct_size = sizeof m;
    EXPECT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
    return m;
}

}  // namespace

TEST_F(ViewTest, AnOutgoingEntryShowsItsDeliveryUntilRead) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    type("did you read this?");
    press(kEnter);
    std::string seen;
    for (int i = 0; i < 60 && mark_of(*overlay, w, 0) != "read"; ++i) {
        const std::string now = mark_of(*overlay, w, 0);
        if (seen.empty() || seen.substr(seen.rfind(' ') + 1) != now) seen += " " + now;
        frame();
    }
    EXPECT_EQ(mark_of(*overlay, w, 0), "read") << "marks drawn:" << seen;
    EXPECT_EQ(entry(w, 0).delivery, MSGR_DELIVERY_READ);
    EXPECT_EQ(overlay->drawn_mark(w, 1), nullptr);  // the echo's answer is incoming: no mark
}

TEST_F(ViewTest, TheContactTypingIsShownUnderTheHistory) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    EXPECT_FALSE(overlay->typing_shown(w));
    auto post = [&](msgr_chat_state state) {
        ASSERT_TRUE(core().inbox().push(msgr::core::ChatStateChange{
            core().primary_service_id(), core().session(), "echo@loopback", state}));
    };
    post(MSGR_CHAT_STATE_COMPOSING);
    frame();
    EXPECT_TRUE(overlay->typing_shown(w));
    EXPECT_EQ(overlay->stats().typing_drawn, 1);
    post(MSGR_CHAT_STATE_PAUSED);
    frame();
    EXPECT_FALSE(overlay->typing_shown(w));
    post(MSGR_CHAT_STATE_COMPOSING);
    frame();
    EXPECT_TRUE(overlay->typing_shown(w));
    // Its message arrives: it stopped typing.
    ASSERT_EQ(loopback_control("say echo@loopback done typing"), "ok");
    frame();
    EXPECT_FALSE(overlay->typing_shown(w));
}

TEST_F(ViewTest, OnlyWhatTheUserSawIsMarkedSeen) {
    LogCapture log;
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    type("see me");
    press(kEnter);
    for (int i = 0; i < 60 && history_count(w) < 2; ++i)
        frame();
    ASSERT_EQ(history_count(w), 2u);
    frame(2);
    // The echo was drawn while the overlay was open: seen, and the contact told once.
    EXPECT_NE(entry(w, 1).flags & MSGR_MESSAGE_SEEN, 0u);
    EXPECT_EQ(entry(w, 0).flags & MSGR_MESSAGE_SEEN, 0u);  // the user's own: not "seen"
    EXPECT_EQ(log.count("displayed echo-"), 1u) << log.all();

    // With the overlay closed, what arrives is not seen until the overlay shows it.
    overlay->set_open(false);
    frame();
    ASSERT_EQ(loopback_control("say echo@loopback while you were away"), "ok");
    frame(3);
    const std::size_t away = history_count(w) - 1;
    EXPECT_EQ(entry(w, away).flags & MSGR_MESSAGE_SEEN, 0u);
    msgr_ui_window_info info{};
    info.struct_size = sizeof info;
    overlay->set_open(true);
    frame(2);
    EXPECT_NE(entry(w, away).flags & MSGR_MESSAGE_SEEN, 0u);
    for (std::size_t z = 0; z < 8; ++z) {
        if (msgr_ui_window_get(rt, z, &info) == MSGR_S_OK && info.window == w.get()) break;
    }
    ASSERT_EQ(info.window, w.get());
    EXPECT_EQ(info.unseen_count, 0u);
}

TEST_F(ViewTest, TheInputTellsTheUsersChatState) {
    LogCapture log;
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    auto told = [&](msgr_chat_state s) {
        return log.count("chat state " + std::to_string(static_cast<int>(s)) + " to echo@loopback");
    };
    EXPECT_EQ(told(MSGR_CHAT_STATE_ACTIVE), 1u) << log.all();  // the focused window
    type("h");
    type("i");
    EXPECT_EQ(told(MSGR_CHAT_STATE_COMPOSING), 1u) << log.all();  // once, not per key
    // Idle for six seconds of frames: paused.
    ImGui::GetIO().DeltaTime = 1.0f;
    frame(6);
    ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    EXPECT_EQ(told(MSGR_CHAT_STATE_PAUSED), 1u) << log.all();
    press(kEnter);  // sent: active again
    EXPECT_EQ(told(MSGR_CHAT_STATE_ACTIVE), 2u) << log.all();
    overlay->set_open(false);
    EXPECT_EQ(told(MSGR_CHAT_STATE_INACTIVE), 1u) << log.all();
    overlay->set_open(true);
    frame(2);
    click(centre(control(Control::close, w)));
    frame();
    EXPECT_EQ(told(MSGR_CHAT_STATE_GONE), 1u) << log.all();
}

TEST_F(ViewTest, ASearchHitOpensItsConversationScrolledToIt) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("friend@loopback"), w.out()), MSGR_S_OK);
    constexpr std::size_t kMessages = 3000;
    constexpr std::size_t kNeedle = 40;  // far above what the window lays out at first
    for (std::size_t i = 0; i < kMessages; ++i)
        inject(w, i == kNeedle ? "the haystack hides a needle" : "hay " + std::to_string(i));
    drain();
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    frame(2);
    overlay->show_search();
    frame(2);
    type("needl");
    press(kEnter);
    frames_until([&] { return overlay->search_hits_shown() != 0; });
    ASSERT_EQ(overlay->search_hits_shown(), 1u) << overlay->search_status();
    EXPECT_STREQ(overlay->search_status(), "1 message found");
    click(centre(control(Control::search_hit, nullptr, 0)));
    frame(3);
    std::size_t n = 0;
    ASSERT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
    msgr_window *opened = nullptr;
    for (std::size_t z = 0; z < n; ++z) {
        msgr_ui_window_info info{};
        info.struct_size = sizeof info;
        ASSERT_EQ(msgr_ui_window_get(rt, z, &info), MSGR_S_OK);
        if (info.kind == MSGR_WINDOW_CONVERSATION) opened = info.window;
    }
    ASSERT_NE(opened, nullptr);
    msgr::render::DrawnRect r;
    EXPECT_TRUE(overlay->drawn_rect(opened, kNeedle, r)) << "the hit is not on screen";
    EXPECT_FALSE(overlay->drawn_rect(opened, kMessages - 1, r));
}

TEST_F(ViewTest, ForgettingAConversationAsksFirst) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    type("forget me");
    press(kEnter);
    for (int i = 0; i < 60 && history_count(w) < 2; ++i)
        frame();
    ASSERT_EQ(history_count(w), 2u);
    // "Forget" only asks: the confirmation shows, and nothing is forgotten yet.
    click(centre(control(Control::forget, w)));
    frame(3);
    msgr::render::DrawnRect yes;
    ASSERT_TRUE(overlay->control_rect(Control::forget_confirm, w, 0, yes));
    EXPECT_EQ(history_count(w), 2u);
    click(centre(yes));
    frame(2);
    EXPECT_EQ(history_count(w), 0u);
    EXPECT_FALSE(overlay->control_rect(Control::forget_confirm, w, 0, yes));
    // Gone from the store too: a new runtime's window is empty.
    overlay.reset();
    destroy();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow again;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_OK);
    EXPECT_EQ(history_count(again), 0u);
}

TEST_F(ViewTest, TheHistoryIsThereAfterARestart) {
    signin_and_open();
    {
        HeldWindow w;
        ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
        frame(2);
        type("still here tomorrow");
        press(kEnter);
        for (int i = 0; i < 60 && history_count(w) < 2; ++i)
            frame();
    }
    overlay.reset();
    destroy();
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    ASSERT_EQ(history_count(w), 2u);
    msgr::render::DrawnRect r;
    EXPECT_TRUE(overlay->drawn_rect(w, 0, r));
    EXPECT_TRUE(overlay->drawn_rect(w, 1, r));
    EXPECT_STREQ(entry(w, 1).text, "still here tomorrow");
}

// Older entries prepended from the service's archive (MSGR_EVENT_HISTORY_PREPENDED) while the
// user is at the top of a long stored conversation: the entry that was at the top of the view
// stays where it was (its index moved by the count prepended) while the older ones are laid out
// above it, to scroll up to.
TEST_F(ViewTest, OlderEntriesPrependedAtTheTopKeepTheTopEntryInPlace) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("zoe@loopback"), w.out()), MSGR_S_OK);
    constexpr std::size_t kStored = 1000;  // a window keeps 256 in memory: most are stored only
    for (std::size_t i = 0; i < kStored; ++i) {
        std::string text = "stored " + std::to_string(i);
        if (i % 5 == 0) text += std::string(200, 'w') + " end";  // some wrap: heights differ
        inject(w, text, i % 2 ? MSGR_MESSAGE_OUTGOING : MSGR_MESSAGE_INCOMING);
    }
    drain();
    ASSERT_EQ(history_count(w), kStored);
    frame(2);
    ImGuiWindow *child = history_child(w);
    ASSERT_NE(child, nullptr);
    // Scrolls to the top until the conversation's first entry is drawn (the layout extends up
    // page by page, reading the store).
    const auto scroll_to_first = [&] {
        msgr::render::DrawnRect first;
        return step_until(
            [&] {
                ImGui::SetScrollY(child, 0.0f);
                frame();
            },
            [&] { return overlay->drawn_rect(w, 0, first); }, std::chrono::seconds(30),
            std::chrono::milliseconds(1));
    };
    ASSERT_TRUE(scroll_to_first());
    // At the top (where the overlay asks the service for older entries): the first entry is the
    // view's top entry.
    ImGui::SetScrollY(child, 0.0f);
    frame(2);
    ASSERT_EQ(child->Scroll.y, 0.0f);
    const std::size_t top = 0;
    msgr::render::DrawnRect before;
    ASSERT_TRUE(overlay->drawn_rect(w, top, before));
    const std::string top_text(entry(w, top).text, entry(w, top).text_size);
    // The archive answers with older messages, then its end (more to come: S_OK).
    constexpr std::size_t kOlder = 40;
    for (std::size_t i = 0; i < kOlder; ++i) {
        msgr::core::MessageArrived m = arriving();
        m.from = "zoe@loopback";
        m.text = "archived " + std::to_string(kOlder - 1 - i);  // newest of them first
        m.older = true;
        m.archived = true;
        m.archive_id = "a" + std::to_string(i);
        ASSERT_TRUE(core().inbox().push(std::move(m)));
    }
    msgr::core::HistoryEnd end;
    end.service = core().primary_service_id();
    end.session = core().session();
    end.peer = "zoe@loopback";
    end.complete = false;
    ASSERT_TRUE(core().inbox().push(std::move(end)));
    frame();  // the tick applies them and raises HISTORY_PREPENDED; the overlay draws
    ASSERT_EQ(history_count(w), kStored + kOlder);
    ASSERT_EQ(std::string(entry(w, top + kOlder).text, entry(w, top + kOlder).text_size), top_text);
    EXPECT_EQ(std::string(entry(w, 0).text, entry(w, 0).text_size), "archived 0");
    frame(2);  // and it stays there on the frames after
    msgr::render::DrawnRect after;
    ASSERT_TRUE(overlay->drawn_rect(w, top + kOlder, after)) << "the top entry moved away";
    EXPECT_NEAR(after.y, before.y, 1.0f);
    EXPECT_NEAR(after.h, before.h, 0.5f);
    // The prepended entries are laid out above it: the view can scroll up to them.
    EXPECT_GT(child->Scroll.y, 1.0f);
    ASSERT_TRUE(scroll_to_first());
}

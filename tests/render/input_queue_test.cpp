// The overlay's key queue in a backend-less ImGui context: many key events and text between two
// frames (Overlay::add_key_event, Overlay::add_input_text), each press acting once, in order.
#include <string>

#include "view_fixture.hpp"

using namespace msgr::test;

namespace {

std::string draft_of(msgr_window *w) {
    const char *d = nullptr;
    EXPECT_EQ(msgr_window_get_draft(w, &d), MSGR_S_OK);
    return d != nullptr ? d : "";
}

}  // namespace

// Three Backspace taps between two frames delete three characters, not one (or none).
TEST_F(ViewTest, BackspaceTappedThriceInOneFrameDeletesThree) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    type("abcdef");
    ASSERT_EQ(draft_of(w), "abcdef");
    tap(kBackspace);
    tap(kBackspace);
    tap(kBackspace);
    EXPECT_TRUE(frames_until([&] { return draft_of(w) == "abc"; })) << draft_of(w);
    frame(5);
    EXPECT_EQ(draft_of(w), "abc");  // nothing more: each press acted once
}

// Arrows and text between two frames keep their order: "abc", Left, Left, "x" gives "axbc"
// (ImGui alone takes the frame's text before its keys: "abcx", caret moved after).
TEST_F(ViewTest, TextAfterArrowKeysInOneFrameLandsWhereTheCaretWent) {
    signin_and_open();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame(2);
    overlay->add_input_text("abc");
    tap(kLeft);
    tap(kLeft);
    overlay->add_input_text("x");
    tap(kRight);
    overlay->add_input_text("y");
    EXPECT_TRUE(frames_until([&] { return draft_of(w) == "axbyc"; })) << draft_of(w);
    EXPECT_EQ(history_count(w), 0u);
}

// The overlay's NewFrame hook on the host's context: the host may destroy its context before
// the overlay (the hook is told at the context's shutdown), and another context's frames never
// see the overlay's keys.
TEST_F(ViewTest, TheKeyHookFollowsTheHostsContext) {
    make_overlay();
    frame();
    ImGuiContext *other = ImGui::CreateContext();
    ImGui::SetCurrentContext(other);
    {
        msgr::render::Overlay second(rt);  // hooks `other`
        second.add_key_event(kEnter, true);
        ImGui::DestroyContext(other);  // before the overlay that hooked it
        ImGui::SetCurrentContext(ctx_);
    }  // ~Overlay: nothing left to unhook
    ImGui::GetIO().KeyMap[ImGuiKey_Enter] = kEnter;
    EXPECT_FALSE(ImGui::GetIO().KeysDown[kEnter]);
    overlay->add_key_event(kEnter, true);
    EXPECT_FALSE(ImGui::GetIO().KeysDown[kEnter]) << "queued: applied at NewFrame";
    frame();
    EXPECT_TRUE(ImGui::GetIO().KeysDown[kEnter]);
    overlay->add_key_event(kEnter, false);
    frame();
    EXPECT_FALSE(ImGui::GetIO().KeysDown[kEnter]);
}

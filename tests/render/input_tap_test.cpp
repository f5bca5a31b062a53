// No lost keys: real SDL keyboard events (SDL_PushEvent), many in one frame, through
// msgr/render/sdl2_input.hpp into the overlay's key queue, in an offscreen SDL2 + OpenGL 3 host.
#include <string>

#include "input_sdl_host.hpp"

using namespace msgr::test;

namespace {

// The frame loop before the key queue: keys straight into ImGui's SDL2 backend (io.KeysDown),
// text into the overlay. What the tap test shows the queue fixes.
class UnqueuedHostTest : public SdlHostTest {
  protected:
    void frame_unqueued() {
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
            if (ev.type == SDL_TEXTINPUT)
                overlay->add_input_text(ev.text.text);
            else
                ImGui_ImplSDL2_ProcessEvent(&ev);
        }
        msgr_runtime_tick(rt);
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplSDL2_NewFrame();
        ImGui::NewFrame();
        overlay->draw();
        ImGui::Render();
    }
};

}  // namespace

// The tap test: "t1 Enter t2 Enter t3 Enter" delivered within ONE frame sends three messages,
// t1, t2 and t3, in order, and the echo contact answers each.
TEST_F(SdlHostTest, ThreeEnterTapsInOneFrameSendThreeMessagesInOrder) {
    HeldWindow w;
    open_echo(w);
    type_three_messages_with_enter();
    const int before = frames;
    frame();  // the one frame that polls them all
    ASSERT_TRUE(frames_until([&] { return history_count(w) >= 6; }))
        << "history holds " << history_count(w) << " entries";
    EXPECT_GT(frames - before, 3) << "the queue spread the events over frames";
    std::vector<std::string> sent, echoed;
    for (std::size_t i = 0; i < history_count(w); ++i) {
        msgr_message m{};
        ASSERT_TRUE(history_get(w, i, m));
        (m.direction == MSGR_MESSAGE_OUTGOING ? sent : echoed).emplace_back(m.text);
    }
    EXPECT_EQ(sent, (std::vector<std::string>{"t1", "t2", "t3"}));
    EXPECT_EQ(echoed, (std::vector<std::string>{"t1", "t2", "t3"}));
    EXPECT_EQ(draft(w), "");
}

// The same events without the queue: ImGui 1.86 never sees the taps (a key down and up
// between two frames), so nothing is sent and the text runs together.
TEST_F(UnqueuedHostTest, WithoutTheQueueTheTapsAreLost) {
    HeldWindow w;
    open_echo(w);
    type_three_messages_with_enter();
    for (int i = 0; i < 10; ++i)
        frame_unqueued();
    EXPECT_EQ(history_count(w), 0u);
    EXPECT_EQ(draft(w), "t1t2t3");
}

// Text typed fast after Enter lands in the next message, never before the send.
TEST_F(SdlHostTest, TextTypedRightAfterEnterGoesIntoTheNextMessage) {
    HeldWindow w;
    open_echo(w);
    text("first");
    key(SDL_SCANCODE_RETURN, true);
    text("sec");
    key(SDL_SCANCODE_RETURN, false);
    text("ond");
    frame();
    ASSERT_TRUE(frames_until([&] { return history_count(w) >= 2 && draft(w) == "second"; }))
        << "draft \"" << draft(w) << "\", " << history_count(w) << " entries";
    EXPECT_EQ(history_text(w, 0), "first");
}

// A key held across frames repeats as ImGui repeats it (by how long it is down), and a
// platform's repeated key-down events add no presses of their own.
TEST_F(SdlHostTest, AKeyHeldDownRepeatsAndStopsWhenReleased) {
    HeldWindow w;
    open_echo(w);
    text("abcdefghijklmnop");
    ASSERT_TRUE(frames_until([&] { return draft(w) == "abcdefghijklmnop"; }));
    key(SDL_SCANCODE_BACKSPACE, true);
    frame();
    // Held: ImGui's repeat (io.KeyRepeatDelay, then io.KeyRepeatRate) deletes more; SDL's
    // repeat events come too.
    ASSERT_TRUE(frames_until([&] {
        key(SDL_SCANCODE_BACKSPACE, true);
        return draft(w).size() <= 12;
    })) << "draft \""
        << draft(w) << "\"";
    key(SDL_SCANCODE_BACKSPACE, false);
    frame();
    frame();
    const std::string left = draft(w);
    EXPECT_FALSE(left.empty());
    // Released: nothing more goes, however long we wait.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
    while (std::chrono::steady_clock::now() < until)
        frame();
    EXPECT_EQ(draft(w), left);
    EXPECT_EQ(std::string("abcdefghijklmnop").compare(0, left.size(), left), 0);
}

// Modifiers travel with each event: Ctrl+A, Ctrl+C (to the host's clipboard through ImGui's
// clipboard functions, SDL's), then Shift+Home and typing over the selection, all in one frame.
TEST_F(SdlHostTest, CtrlAndShiftStayWithTheirKeysWithinOneFrame) {
    HeldWindow w;
    open_echo(w);
    text("hello world");
    ASSERT_TRUE(frames_until([&] { return draft(w) == "hello world"; }));
    SDL_SetClipboardText("");
    key(SDL_SCANCODE_LCTRL, true, KMOD_LCTRL);
    tap(SDL_SCANCODE_A, KMOD_LCTRL);
    tap(SDL_SCANCODE_C, KMOD_LCTRL);
    key(SDL_SCANCODE_LCTRL, false);
    tap(SDL_SCANCODE_END);
    text("!");
    key(SDL_SCANCODE_LSHIFT, true, KMOD_LSHIFT);
    tap(SDL_SCANCODE_LEFT, KMOD_LSHIFT);
    tap(SDL_SCANCODE_LEFT, KMOD_LSHIFT);
    key(SDL_SCANCODE_LSHIFT, false);
    text("?");
    frame();
    ASSERT_TRUE(frames_until([&] { return draft(w) == "hello worl?"; }))
        << "draft \"" << draft(w) << "\"";
    char *clip = SDL_GetClipboardText();
    EXPECT_STREQ(clip, "hello world");
    SDL_free(clip);
    EXPECT_EQ(history_count(w), 0u);  // Ctrl+A / Ctrl+C sent nothing
}

// Shift+Tab tapped within one frame still opens and closes the overlay (its toggle key).
TEST_F(SdlHostTest, ShiftTabTappedInOneFrameTogglesTheOverlay) {
    frame();
    ASSERT_TRUE(overlay->is_open());
    key(SDL_SCANCODE_LSHIFT, true, KMOD_LSHIFT);
    tap(SDL_SCANCODE_TAB, KMOD_LSHIFT);
    key(SDL_SCANCODE_LSHIFT, false);
    frame();
    ASSERT_TRUE(frames_until([&] { return !overlay->is_open(); }));
    key(SDL_SCANCODE_LSHIFT, true, KMOD_LSHIFT);
    tap(SDL_SCANCODE_TAB, KMOD_LSHIFT);
    key(SDL_SCANCODE_LSHIFT, false);
    ASSERT_TRUE(frames_until([&] { return overlay->is_open(); }));
}

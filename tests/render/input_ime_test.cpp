// IME composition: SDL_TEXTEDITING events injected into an offscreen SDL2 host. The composition
// is drawn at the focused input's caret (pixels of the frame read back) and gone when it ends,
// the draft is untouched until SDL_TEXTINPUT commits, the committed text is what is sent, and
// the IME's candidate window is put at the caret (what the adapter gives SDL_SetTextInputRect).
#include <cmath>
#include <vector>

#include "input_sdl_host.hpp"

namespace {
std::vector<SDL_Rect> g_text_input_rects;  // every SDL_SetTextInputRect call, in order
}  // namespace

// -Wl,--wrap=SDL_SetTextInputRect: the adapter's calls come here, then go to SDL.
extern "C" void __real_SDL_SetTextInputRect(const SDL_Rect *rect);   // NOLINT
extern "C" void __wrap_SDL_SetTextInputRect(const SDL_Rect *rect) {  // NOLINT
    if (rect != nullptr) g_text_input_rects.push_back(*rect);
    __real_SDL_SetTextInputRect(rect);
}

using namespace msgr::test;

TEST_F(SdlHostTest, ACompositionIsDrawnAtTheCaretAndOnlyTheCommitReachesTheDraft) {
    g_text_input_rects.clear();
    HeldWindow w;
    open_echo(w);
    text("ab");
    ASSERT_TRUE(frames_until([&] { return draft(w) == "ab"; }));
    frame();
    msgr::render::DrawnRect caret;
    ASSERT_TRUE(overlay->caret_rect(caret));
    msgr::render::DrawnRect in = {};
    ASSERT_TRUE(overlay->control_rect(msgr::render::Overlay::Control::input, w, 0, in));
    EXPECT_GT(caret.x, in.x);  // after "ab", inside the input
    EXPECT_LT(caret.x, in.x + in.w);
    EXPECT_GE(caret.y, in.y);
    EXPECT_LT(caret.y + caret.h, in.y + in.h);
    EXPECT_EQ(SDL_IsTextInputActive(), SDL_TRUE) << "the focused input turns text input on";

    // The candidate window goes to the caret.
    ASSERT_FALSE(g_text_input_rects.empty()) << "SDL_SetTextInputRect was never called";
    const SDL_Rect r = g_text_input_rects.back();
    EXPECT_NEAR(r.x, caret.x, 1.0);
    EXPECT_NEAR(r.y, caret.y, 1.0);
    EXPECT_NEAR(r.h, caret.h, 1.0);

    // Right of the caret, where a composition goes: nothing bright yet (the caret's own column
    // left out: it blinks).
    const int x0 = static_cast<int>(caret.x) + 2, y0 = static_cast<int>(caret.y);
    const int x1 = x0 + 48, y1 = y0 + static_cast<int>(caret.h) + 3;
    const int before = pixels().bright(x0, y0, x1, y1);

    editing("nihongo", 7);
    ASSERT_TRUE(frames_until([&] { return overlay->composing(); }));
    frame();
    const Pixels composing = pixels();
    const int during = composing.bright(x0, y0, x1, y1);
    EXPECT_GT(during, before + 40) << "the composition's glyphs at the caret";
    // Underlined, as IMEs show it: a bright row under the glyphs, across them.
    const int underline_y = static_cast<int>(std::lround(caret.y + caret.h));
    int underline = 0;
    for (int dy = -1; dy <= 1; ++dy)
        underline =
            std::max(underline, composing.bright(x0, underline_y + dy, x1, underline_y + dy + 1));
    EXPECT_GE(underline, 40) << "an underline under the composition";
    EXPECT_EQ(draft(w), "ab") << "the composition is not in the draft";
    EXPECT_EQ(history_count(w), 0u);

    // Composing moves on (the IME converts); the player confirms with Enter, and the IME ends
    // the composition and commits, all within one frame. That Enter is the IME's: nothing is
    // sent, and the committed text, only it, goes into the draft.
    editing("nihon", 2);
    frame();
    key(SDL_SCANCODE_RETURN, true);
    editing("", 0);
    text("\xE6\x97\xA5\xE6\x9C\xAC");  // 日本
    key(SDL_SCANCODE_RETURN, false);
    ASSERT_TRUE(frames_until([&] { return draft(w) == "ab\xE6\x97\xA5\xE6\x9C\xAC"; }))
        << "draft \"" << draft(w) << "\"";
    EXPECT_FALSE(overlay->composing());
    frame();
    EXPECT_EQ(history_count(w), 0u) << "the IME's Enter sent nothing";
    // Nothing of the composition is left drawn (the committed text is drawn before the caret,
    // which moved right of the region: only what follows it is looked at).
    msgr::render::DrawnRect after;
    ASSERT_TRUE(overlay->caret_rect(after));
    const int ax0 = static_cast<int>(after.x) + 2;
    EXPECT_LE(pixels().bright(ax0, y0, ax0 + 48, y1), before + 4) << "the composition is gone";

    // Enter now sends what was committed.
    tap(SDL_SCANCODE_RETURN);
    ASSERT_TRUE(frames_until([&] { return history_count(w) >= 2; }));
    EXPECT_EQ(history_text(w, 0), "ab\xE6\x97\xA5\xE6\x9C\xAC");
    EXPECT_EQ(history_text(w, 1), "ab\xE6\x97\xA5\xE6\x9C\xAC");  // the echo's answer
}

// The candidate window follows the caret as the player types, and text input (the IME) is off
// while the overlay takes no text: a closed overlay leaves the game's keys to the game.
TEST_F(SdlHostTest, TheCandidateWindowFollowsTheCaretAndTextInputFollowsTheOverlay) {
    g_text_input_rects.clear();
    HeldWindow w;
    open_echo(w);
    frame();
    msgr::render::DrawnRect first;
    ASSERT_TRUE(overlay->caret_rect(first));
    text("some text");
    ASSERT_TRUE(frames_until([&] { return draft(w) == "some text"; }));
    frame();
    msgr::render::DrawnRect later;
    ASSERT_TRUE(overlay->caret_rect(later));
    EXPECT_GT(later.x, first.x + 20.0f);
    ASSERT_FALSE(g_text_input_rects.empty());
    EXPECT_NEAR(g_text_input_rects.back().x, later.x, 1.0);
    EXPECT_EQ(input->text_input_rect().x, g_text_input_rects.back().x);
    EXPECT_EQ(SDL_IsTextInputActive(), SDL_TRUE);

    overlay->set_open(false);
    frame();
    EXPECT_FALSE(overlay->caret_rect(later));
    EXPECT_TRUE(frames_until([&] { return SDL_IsTextInputActive() == SDL_FALSE; }))
        << "a closed overlay takes no text";
    overlay->set_open(true);
    ASSERT_TRUE(frames_until([&] { return SDL_IsTextInputActive() == SDL_TRUE; }));
}

// Every field a player types words into takes the IME as the conversation input does: in the
// search field the candidate window goes to its caret, the composition is drawn there, and only
// the commit is searched for.
TEST_F(SdlHostTest, TheSearchFieldShowsTheCompositionAtItsCaret) {
    g_text_input_rects.clear();
    HeldWindow w;
    open_echo(w);
    text("\xE6\x97\xA5\xE6\x9C\xAC here");  // 日本
    ASSERT_TRUE(frames_until([&] { return draft(w) == "\xE6\x97\xA5\xE6\x9C\xAC here"; }));
    tap(SDL_SCANCODE_RETURN);
    ASSERT_TRUE(frames_until([&] { return history_count(w) >= 2; }));

    overlay->show_search();
    msgr::render::DrawnRect field{}, caret{};
    using Control = msgr::render::Overlay::Control;
    ASSERT_TRUE(frames_until([&] {
        return overlay->control_rect(Control::search_query, nullptr, 0, field) &&
               overlay->caret_rect(caret) && caret.y >= field.y && caret.x >= field.x &&
               caret.x < field.x + field.w && caret.y + caret.h <= field.y + field.h + 1;
    })) << "the caret is the search field's";
    frame();
    ASSERT_FALSE(g_text_input_rects.empty());
    EXPECT_NEAR(g_text_input_rects.back().x, caret.x, 1.0);
    EXPECT_NEAR(g_text_input_rects.back().y, caret.y, 1.0);

    const int x0 = static_cast<int>(caret.x) + 2, y0 = static_cast<int>(caret.y);
    const int x1 = x0 + 48, y1 = y0 + static_cast<int>(caret.h) + 3;
    const int before = pixels().bright(x0, y0, x1, y1);
    editing("nihongo", 7);
    ASSERT_TRUE(frames_until([&] { return overlay->composing(); }));
    frame();
    EXPECT_GT(pixels().bright(x0, y0, x1, y1), before + 40) << "the composition at the caret";

    editing("", 0);
    text("\xE6\x97\xA5\xE6\x9C\xAC");
    frame();
    frame();
    tap(SDL_SCANCODE_RETURN);
    ASSERT_TRUE(frames_until([&] { return overlay->search_hits_shown() >= 2; }))
        << overlay->search_status();
}

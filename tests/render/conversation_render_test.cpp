// A conversation a player can read (issue 13), rendered for real offscreen (EGL, llvmpipe) and
// checked by its pixels: the sender's header above the first message of a run and none above
// the next, the "new messages" marker's red line, the selection's highlight behind the selected
// text only. Screenshot: build/tests/screenshots/conversation-grouping.png.
#include <imgui.h>

#include <string>

#include "text_gl_fixture.hpp"

using msgr::render::DrawnRect;
using msgr::test::by_name;
using msgr::test::HeldWindow;
using msgr::test::TextGlTest;

namespace {

int pixels_in(const TextGlTest::Shot &s, float fx, float fy, float fw, float fh,
              bool (*pred)(const unsigned char *)) {
    const int x0 = std::max(0, static_cast<int>(fx)), y0 = std::max(0, static_cast<int>(fy));
    const int x1 = std::min(TextGlTest::kW, static_cast<int>(fx + fw));
    const int y1 = std::min(TextGlTest::kH, static_cast<int>(fy + fh));
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            n += pred(s.at(x, y)) ? 1 : 0;
    return n;
}

bool ink(const unsigned char *p) {
    return p[0] + p[1] + p[2] > 3 * 110;
}
// The selection's blue (60, 110, 200 over the dark window), text ink excluded.
bool selected(const unsigned char *p) {
    return p[2] > 120 && p[2] < 210 && p[0] < 90 && p[2] - p[0] > 70;
}
// The marker's red line.
bool red(const unsigned char *p) {
    return p[0] > 180 && p[1] < 130 && p[2] < 120;
}

std::size_t count_of(msgr_window *w) {
    std::size_t n = 0;
    (void)msgr_window_history_count(w, &n);
    return n;
}

}  // namespace

class ConversationRenderTest : public TextGlTest {
  protected:
    void inject(const char *text) {
        msgr::core::MessageArrived m = arriving();
        m.from = "echo@loopback";
        m.text = text;
        ASSERT_TRUE(core().inbox().push(std::move(m)));
    }
};

TEST_F(ConversationRenderTest, HeadersMarkerAndSelectionAreDrawn) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    make_overlay();
    for (int i = 0; i < 2; ++i)
        frame();
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    msgr_window_set_left(w, 20);
    msgr_window_set_top(w, 20);
    msgr_window_set_width(w, 600);
    msgr_window_set_height(w, 560);
    for (int i = 0; i < 3; ++i)
        frame();
    const std::size_t base = count_of(w);
    inject("seen before the break");
    ASSERT_TRUE(frames_until([&] { return count_of(w) == base + 1; }));
    frame();
    overlay->set_open(false);
    frame();
    inject("first new \xF0\x9F\x98\x80 message");
    inject("second new message");
    ASSERT_TRUE(frames_until([&] { return count_of(w) == base + 3; }));
    overlay->set_open(true);
    DrawnRect seen, first, second;
    ASSERT_TRUE(frames_until([&] { return overlay->drawn_rect(w, base + 2, second); }));
    std::size_t marker = 0;
    EXPECT_TRUE(overlay->new_marker_shown(w, marker));
    ASSERT_TRUE(settle_fonts());
    EXPECT_TRUE(overlay->new_marker_shown(w, marker));
    EXPECT_EQ(marker, base + 1);

    // Select "second new message" by dragging across it.
    ASSERT_TRUE(overlay->drawn_rect(w, base + 2, second));
    ImGuiIO &io = ImGui::GetIO();
    io.MousePos = ImVec2(second.x + 1.0f, second.y + second.h * 0.5f);
    frame();
    io.MouseDown[0] = true;
    frame();
    for (int i = 1; i <= 4; ++i) {
        io.MousePos =
            ImVec2(second.x + second.w * 0.25f * static_cast<float>(i), second.y + second.h * 0.5f);
        frame();
    }
    io.MouseDown[0] = false;
    io.MousePos = ImVec2(900, 600);  // away, so no tooltip or hover covers anything
    frame();
    frame();
    ASSERT_TRUE(overlay->drawn_rect(w, base, seen));
    ASSERT_TRUE(overlay->drawn_rect(w, base + 1, first));
    ASSERT_TRUE(overlay->drawn_rect(w, base + 2, second));
    const Shot s = shot();
    keep(s, "conversation-grouping");
    const float line = ImGui::GetTextLineHeightWithSpacing();

    // The header of the first message ("Echo  14:03") is ink in the line above it; the marker's
    // red line is above that; the second message of the run has no header above it.
    EXPECT_GT(pixels_in(s, seen.x, seen.y - line, seen.w, line - 1.0f, ink), 20)
        << "a header above the first message of the run";
    EXPECT_GT(pixels_in(s, first.x, first.y - 2.0f * line, first.w, line, red), 20)
        << "the new messages marker above the first message not seen";
    EXPECT_EQ(pixels_in(s, second.x, first.y + first.h + 1.0f, second.w,
                        second.y - (first.y + first.h) - 2.0f, ink),
              0)
        << "no header between two messages of one run";
    // The selection is drawn behind the second message, and nowhere else.
    EXPECT_GT(pixels_in(s, second.x, second.y, second.w, second.h, selected), 100);
    EXPECT_EQ(pixels_in(s, first.x, first.y, first.w, first.h, selected), 0);
    EXPECT_EQ(pixels_in(s, seen.x, seen.y, seen.w, seen.h, selected), 0);
}

// The contact list's rooms (issue 14) rendered for real offscreen (EGL, llvmpipe) and checked by
// their pixels: the "Requests" heading in its colour with the asker's name and the Accept and
// Decline buttons under it, the Add a friend field with what is typed in it and the outcome's
// words under it, a blocked contact's "(blocked)"; a contact's activity in dim grey on the line
// under its name, and the player's own under theirs. Screenshots:
// build/tests/screenshots/contact-list-requests.png, contact-list-activity.png.
#include <imgui.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "text_gl_fixture.hpp"

using msgr::render::DrawnRect;
using msgr::test::HeldContact;
using msgr::test::TempConfig;
using msgr::test::TextGlTest;
using Control = msgr::render::Overlay::Control;

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

// Light text (white, or the dim grey of the outcome's words).
bool ink(const unsigned char *p) {
    return p[0] + p[1] + p[2] > 3 * 140 &&
           std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) < 40;
}
// The overlay's highlight (255, 225, 90): the "Requests" heading.
bool highlight(const unsigned char *p) {
    return p[0] > 230 && p[1] > 195 && p[2] > 50 && p[2] < 140;
}
// ImGui's dark style button (blue, translucent over the opaque window).
bool button(const unsigned char *p) {
    return p[2] > 85 && p[2] > p[0] + 45 && p[0] < 80;
}
// The activity's dim blue-grey (140, 150, 160), anti-aliased over the dark window: grey with
// a little more green than red and more blue than green (the status colours have far more
// green; the names' white and the status words' grey none).
bool activity_grey(const unsigned char *p) {
    const int r = p[0], g = p[1], b = p[2];
    return r > 60 && r < 150 && b - r >= 6 && b - r <= 25 && g - r >= 2 && g - r <= 15 &&
           b - g >= 2;
}
// The error colour (255, 120, 120): "(blocked)".
bool error_red(const unsigned char *p) {
    return p[0] > 200 && p[1] > 80 && p[1] < 160 && p[2] > 80 && p[2] < 160;
}

}  // namespace

class ContactsRenderTest : public TextGlTest {
  protected:
    void click(const DrawnRect &r) {
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = ImVec2(r.x + r.w * 0.5f, r.y + r.h * 0.5f);
        frame();
        io.MouseDown[0] = true;
        frame();
        io.MouseDown[0] = false;
        frame();
    }
    DrawnRect control(Control c, std::size_t index = 0) {
        DrawnRect r;
        EXPECT_TRUE(overlay->control_rect(c, nullptr, index, r)) << "control not drawn";
        return r;
    }
    std::size_t index_of(const char *signin) { return msgr::test::contact_list_index(rt, signin); }
};

TEST_F(ContactsRenderTest, RequestsAndTheAddFieldAreDrawn) {
    TempConfig cfg("[loopback]\nrequests = [\"asker@loopback\"]\n");
    create(cfg.path());
    make_overlay();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldContact mobile;
    ASSERT_EQ(msgr_get_contact(rt, "mobile@loopback", nullptr, mobile.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_contact_set_blocked(mobile, 1), MSGR_S_OK);
    ASSERT_TRUE(frames_until([&] { return overlay->requests_shown() == 1; }));

    // A friend added with Enter (a bot: accepted at once), then a name typed and not sent yet.
    click(control(Control::add_friend));
    ImGui::GetIO().AddInputCharactersUTF8("shout@loopback");
    frame();
    press_enter();
    ASSERT_TRUE(frames_until([&] {
        return std::strcmp(overlay->add_friend_status(), "shout@loopback: Added to your list.") ==
               0;
    }));
    click(control(Control::add_friend));
    ImGui::GetIO().AddInputCharactersUTF8("stranger@loopback");
    frame();
    ImGui::GetIO().MousePos = ImVec2(20, 600);  // away, so no hover lights a button
    ASSERT_TRUE(settle_fonts());
    frame();

    const DrawnRect accept = control(Control::request_accept);
    const DrawnRect decline = control(Control::request_decline);
    const DrawnRect field = control(Control::add_friend);
    const DrawnRect blocked_row = control(Control::contact_row, index_of("mobile@loopback"));
    const Shot s = shot();
    keep(s, "contact-list-requests");
    const float line = ImGui::GetTextLineHeightWithSpacing();

    // The heading two lines above the buttons, the asker's name in the line between.
    EXPECT_GT(pixels_in(s, accept.x, accept.y - 2.0f * line, 200.0f, line, highlight), 30)
        << "the Requests heading in the highlight colour";
    EXPECT_GT(pixels_in(s, accept.x, accept.y - line, 200.0f, line, ink), 40) << "the asker's name";
    // Accept and Decline: buttons (their colour over most of them), each with its word on it.
    for (const DrawnRect &b : {accept, decline}) {
        EXPECT_GT(pixels_in(s, b.x, b.y, b.w, b.h, button), static_cast<int>(b.w * b.h * 0.4f));
        EXPECT_GT(pixels_in(s, b.x, b.y, b.w, b.h, ink), 15);
    }
    // The field shows what is typed; the outcome's words are under it.
    EXPECT_GT(pixels_in(s, field.x, field.y, field.w, field.h, ink), 60);
    EXPECT_GT(pixels_in(s, field.x, field.y + field.h + 2.0f, field.w, line, ink), 60)
        << "\"shout@loopback: Added to your list.\" under the field";
    EXPECT_GT(pixels_in(s, blocked_row.x, blocked_row.y, blocked_row.w, blocked_row.h, error_red),
              20)
        << "(blocked) on mobile's row";

    // Accepted, the section goes: no highlight where the heading was.
    click(accept);
    ImGui::GetIO().MousePos = ImVec2(20, 600);
    ASSERT_TRUE(settle_fonts());
    EXPECT_EQ(overlay->requests_shown(), 0u);
    const Shot after = shot();
    EXPECT_EQ(pixels_in(after, accept.x, accept.y - 2.0f * line, 200.0f, line, highlight), 0);
}

// Rich presence: echo's activity ("Echoing what you say", the loopback's own) is drawn in the dim
// activity colour on the line under its name; cleared, the line goes (the row is one line
// shorter, and nothing of that colour is left where it was). The player's own activity is under
// their name at the top.
TEST_F(ContactsRenderTest, AnActivityIsDrawnDimUnderTheName) {
    create();
    make_overlay();
    ASSERT_EQ(signin(), MSGR_S_OK);
    ASSERT_EQ(msgr_set_my_activity(rt, "In a match \xe2\x80\x94 3/4 players"), MSGR_S_OK);
    overlay->set_open(true);
    ImGui::GetIO().MousePos = ImVec2(20, 600);
    ASSERT_TRUE(settle_fonts());
    frame();
    const std::size_t echo = index_of("echo@loopback");
    ASSERT_NE(overlay->activity_shown(echo), nullptr);
    const DrawnRect row = control(Control::contact_row, echo);
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const Shot s = shot();
    keep(s, "contact-list-activity");
    EXPECT_GT(pixels_in(s, row.x, row.y + line, row.w, line, activity_grey), 40)
        << "the activity's words, dim, on the line under the name";
    EXPECT_LT(pixels_in(s, row.x, row.y, row.w, line, activity_grey), 10)
        << "the name's line is not in the activity's colour";
    // The player's own: under their name, at the top of the list (above the status choice).
    const DrawnRect rename = control(Control::rename);
    EXPECT_GT(
        pixels_in(s, rename.x - 300.0f, rename.y + line, 300.0f + rename.w, line, activity_grey),
        40)
        << "the player's activity under their name";

    // Cleared on the network: the line goes.
    EXPECT_EQ(loopback_control("activity echo@loopback"), "ok");
    ImGui::GetIO().MousePos = ImVec2(20, 600);
    ASSERT_TRUE(settle_fonts());
    frame();
    EXPECT_EQ(overlay->activity_shown(echo), nullptr);
    const DrawnRect shorter = control(Control::contact_row, echo);
    EXPECT_NEAR(row.h - shorter.h, line, 1.5f);
    const Shot after = shot();
    EXPECT_LT(pixels_in(after, row.x, row.y, row.w, row.h, activity_grey), 10);
}

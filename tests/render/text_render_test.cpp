// The overlay draws and types every script and emoji (issue 13, "Text for every player"):
// rendered for real offscreen (EGL, llvmpipe) and checked by its pixels.
#include <imgui.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "text_gl_fixture.hpp"

using msgr::render::DrawnRect;
using msgr::test::by_name;
using msgr::test::HeldWindow;
using msgr::test::TextGlTest;

namespace {

struct Crop {
    int x0, y0, w, h;
};

Crop crop_of(const DrawnRect &r) {
    const int x0 = std::max(0, static_cast<int>(r.x));
    const int y0 = std::max(0, static_cast<int>(r.y));
    const int w = std::min(TextGlTest::kW - x0, static_cast<int>(r.w));
    const int h = std::min(TextGlTest::kH - y0, static_cast<int>(r.h));
    return {x0, y0, w, h};
}

template <class Pred>
int pixels(const TextGlTest::Shot &s, const Crop &c, Pred pred) {
    int n = 0;
    for (int y = c.y0; y < c.y0 + c.h; ++y)
        for (int x = c.x0; x < c.x0 + c.w; ++x)
            n += pred(s.at(x, y)) ? 1 : 0;
    return n;
}

// Text ink on the overlay's dark window background.
bool ink(const unsigned char *p) {
    return p[0] + p[1] + p[2] > 3 * 110;
}

// Colour: an emoji's yellow face (text is drawn white or light blue, never this).
bool yellow(const unsigned char *p) {
    return p[0] > 150 && p[1] > 100 && p[2] < 110 && p[0] - p[2] > 80;
}

// Pixels that differ between two crops of the same size (top-left aligned), of two shots.
int differing(const TextGlTest::Shot &sa, const Crop &a, const TextGlTest::Shot &sb,
              const Crop &b) {
    int n = 0;
    const int w = std::min(a.w, b.w), h = std::min(a.h, b.h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const unsigned char *p = sa.at(a.x0 + x, a.y0 + y);
            const unsigned char *q = sb.at(b.x0 + x, b.y0 + y);
            if (std::abs(p[0] - q[0]) + std::abs(p[1] - q[1]) + std::abs(p[2] - q[2]) > 90) ++n;
        }
    return n;
}

std::string text_of(msgr_window *w, std::size_t i) {
    msgr_message m{};
    m.struct_size = sizeof m;
    if (msgr_window_history_get(w, i, &m) != MSGR_S_OK || m.text == nullptr) return "<none>";
    return {m.text, m.text_size};
}

std::size_t count_of(msgr_window *w) {
    std::size_t n = 0;
    (void)msgr_window_history_count(w, &n);
    return n;
}

}  // namespace

class TextRenderTest : public TextGlTest {
  protected:
    // Signed in, the overlay open, a conversation with the echo contact, tall enough for
    // every sample and its echo.
    void open_echo() {
        ASSERT_EQ(signin(), MSGR_S_OK);
        make_overlay();
        for (int i = 0; i < 2; ++i)
            frame();  // the contact list appears first; the conversation then takes the focus
        ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
        msgr_window_set_left(w, 20);
        msgr_window_set_top(w, 20);
        msgr_window_set_width(w, 560);
        msgr_window_set_height(w, 600);
        for (int i = 0; i < 3; ++i)
            frame();
        base = count_of(w);  // a history kept from before, if any
    }
    // Types `text` through the overlay's input as SDL_TEXTINPUT would, sends it with Enter,
    // and waits for the echo.
    void say(const std::string &text) {
        const std::size_t before = count_of(w);
        overlay->add_input_text(text.c_str());
        frame();
        press_enter();
        ASSERT_TRUE(frames_until([&] { return count_of(w) >= before + 2; })) << text;
    }
    // Says `text` and returns the shot with its echo drawn (incoming: every echo in the same
    // colour) and the echo's row.
    std::pair<Shot, Crop> echoed(const std::string &text) {
        say(text);
        EXPECT_TRUE(settle_fonts());
        frame();
        const std::size_t echo = count_of(w) - 1;
        EXPECT_EQ(text_of(w, echo), text);
        DrawnRect r{};
        EXPECT_TRUE(overlay->drawn_rect(w, echo, r)) << text;
        return {shot(), crop_of(r)};
    }
    HeldWindow w;
    std::size_t base = 0;
};

namespace {

// The columns of `c` that have ink, as a crop of c's rows; w == 0 when there is none.
Crop ink_box(const TextGlTest::Shot &s, const Crop &c) {
    int x0 = c.x0 + c.w, x1 = c.x0 - 1;
    for (int y = c.y0; y < c.y0 + c.h; ++y)
        for (int x = c.x0; x < c.x0 + c.w; ++x)
            if (ink(s.at(x, y))) x0 = std::min(x0, x), x1 = std::max(x1, x);
    return x1 < x0 ? Crop{c.x0, c.y0, 0, c.h} : Crop{x0, c.y0, x1 - x0 + 1, c.h};
}

// The leftmost / rightmost `w` columns of a crop.
Crop left_part(const Crop &c, int w) {
    return {c.x0, c.y0, std::min(w, c.w), c.h};
}
Crop right_part(const Crop &c, int w) {
    const int n = std::min(w, c.w);
    return {c.x0 + c.w - n, c.y0, n, c.h};
}

}  // namespace

// Each sample is three code points: drawn with no glyph, it would look exactly like "???".
TEST_F(TextRenderTest, EveryScriptIsDrawnWithItsOwnGlyphsNotTheFallback) {
    open_echo();
    const std::vector<std::string> samples = {
        "???",                             // the reference: what three missing glyphs look like
        "При",                             // Cyrillic
        "Γει",                             // Greek
        "你好吗",                          // Chinese
        "こんに",                          // Japanese
        "مرح",                             // Arabic
        "שלו",                             // Hebrew
        "\U0001F600\U0001F60E\U0001F389",  // emoji: 😀 😎 🎉, above U+FFFF
    };
    // Each sample is checked in the shot taken right after its echo: with a sender header above
    // every message (the two sides alternate), the window holds only the newest few.
    say(samples[0]);
    ASSERT_TRUE(settle_fonts());
    const Shot ref_shot = shot();
    DrawnRect ref_r;
    ASSERT_TRUE(overlay->drawn_rect(w, base + 1, ref_r));  // the echo of "???"
    const Crop ref = crop_of(ref_r);
    EXPECT_EQ(pixels(ref_shot, ref, yellow), 0);
    Shot s = ref_shot;
    for (std::size_t i = 1; i < samples.size(); ++i) {
        say(samples[i]);
        ASSERT_TRUE(settle_fonts());
        s = shot();
        for (std::size_t row : {base + 2 * i, base + 2 * i + 1}) {  // typed, and its echo
            EXPECT_EQ(text_of(w, row), samples[i]);
            DrawnRect r;
            ASSERT_TRUE(overlay->drawn_rect(w, row, r)) << samples[i];
            const Crop c = crop_of(r);
            EXPECT_GT(pixels(s, c, ink), 12) << samples[i] << ": no ink";
            EXPECT_GT(differing(s, c, ref_shot, ref), 40)
                << samples[i] << " is drawn as the fallback";
        }
    }
    keep(s, "text-scripts");
    const msgr::render::FontStats fs = overlay->font_stats();
    EXPECT_GE(fs.builds, 2u);
    EXPECT_GE(uploads, 2);  // the host was told to upload the grown atlas
    EXPECT_EQ(fs.stand_ins, 3u);
    EXPECT_GE(fs.custom_glyphs, 3u);
    // The emoji in colour: the yellow of its faces, untinted by the text colour.
    DrawnRect er;
    ASSERT_TRUE(overlay->drawn_rect(w, base + 2 * (samples.size() - 1) + 1, er));
    EXPECT_GT(pixels(s, crop_of(er), yellow), 30);
    // The BMP scripts are real glyphs of the atlas.
    const ImFont *font = ImGui::GetIO().Fonts->Fonts[0];
    for (ImWchar c : {0x041F, 0x0393, 0x4F60, 0x3053, 0x0645, 0x05E9})
        EXPECT_NE(font->FindGlyphNoFallback(c), nullptr) << std::hex << c;
}

// A CJK line has no spaces to break at: it still wraps inside the window, over several lines,
// and the history's layout measured it so (the next entry starts below all of it).
TEST_F(TextRenderTest, ACjkLineWithoutSpacesWrapsInsideTheWindow) {
    open_echo();
    std::string line;
    for (int i = 0; i < 60; ++i)
        line += "漢字";  // 120 characters, no space
    say(line);
    ASSERT_TRUE(settle_fonts());
    frame();
    DrawnRect typed, echo, win;
    ASSERT_TRUE(overlay->drawn_rect(w, base, typed));
    ASSERT_TRUE(overlay->drawn_rect(w, base + 1, echo));
    ASSERT_TRUE(overlay->window_rect(w, win));
    EXPECT_GT(typed.h, 2.0f * ImGui::GetTextLineHeight()) << "wrapped over several lines";
    EXPECT_LE(typed.x + typed.w, win.x + win.w) << "inside the window";
    EXPECT_GE(echo.y, typed.y + typed.h - 0.5f) << "the next entry starts below all of it";
    const Shot s = shot();
    keep(s, "text-cjk-wrap");
}

TEST_F(TextRenderTest, TypedEmojiAndExtensionBArriveAtTheEchoByteExactAndAreStored) {
    open_echo();
    // 😀, 𠮟 (U+20B9F, CJK extension B), and a real Private Use Area character (U+E000, the
    // first stand-in's own code point), mixed with text.
    const std::string typed = "hi \U0001F600 \U00020B9F \xEE\x80\x80 end";
    overlay->add_input_text(typed.c_str());
    frame();
    const char *draft = nullptr;
    ASSERT_EQ(msgr_window_get_draft(w, &draft), MSGR_S_OK);
    EXPECT_EQ(std::string(draft), typed);  // the draft is the exact text
    press_enter();
    ASSERT_TRUE(frames_until([&] { return count_of(w) >= base + 2; }));
    EXPECT_EQ(text_of(w, base), typed);      // what was sent
    EXPECT_EQ(text_of(w, base + 1), typed);  // what the echo contact got and sent back
    ASSERT_TRUE(settle_fonts());
    const Shot s = shot();
    keep(s, "text-typed");
    DrawnRect r;
    ASSERT_TRUE(overlay->drawn_rect(w, base + 1, r));
    EXPECT_GT(pixels(s, crop_of(r), yellow), 20);  // the emoji, in colour

    // Stored exactly: a new runtime on the same store shows the same bytes.
    (void)w.out();  // released
    overlay.reset();
    destroy();
    create();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow again;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_OK);
    ASSERT_TRUE(msgr::test::step_until([&] { msgr_runtime_tick(rt); },
                                       [&] { return count_of(again) >= base + 2; },
                                       std::chrono::seconds(30), std::chrono::milliseconds(1)));
    const std::size_t n = count_of(again);
    EXPECT_EQ(text_of(again, n - 2), typed);
    EXPECT_EQ(text_of(again, n - 1), typed);
}

TEST_F(TextRenderTest, TheAtlasStartsSmall) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    make_overlay();
    frame();
    const msgr::render::FontStats start = overlay->font_stats();
    EXPECT_EQ(start.builds, 1u);
    EXPECT_LT(start.code_points, 300u);  // ASCII and Latin-1 and what the first frame drew
    EXPECT_GT(start.font_files, 3u);
    EXPECT_EQ(start.missing_font_files, 0u);
    EXPECT_LE(start.texture_bytes, 1024u * 1024u);
    EXPECT_EQ(uploads, 1);
}

TEST_F(TextRenderTest, TheAtlasGrowsWithTheTextOnScreenOnly) {
    open_echo();
    ASSERT_TRUE(settle_fonts());
    const msgr::render::FontStats before = overlay->font_stats();
    const int uploads_before = uploads;
    // 13 rare CJK ideographs that nothing drew before.
    say("\u9F98\u9F99\u9F9A\u9F9C\u9F9D\u9F9E\u9F9F\u9FA0\u9FA1\u9FA2\u9FA3\u9FA4\u9FA5");
    ASSERT_TRUE(settle_fonts());
    const msgr::render::FontStats grown = overlay->font_stats();
    EXPECT_GT(grown.builds, before.builds);
    EXPECT_GT(uploads, uploads_before);
    EXPECT_EQ(grown.code_points, before.code_points + 13);  // only what the text needs
    EXPECT_EQ(grown.stand_ins, before.stand_ins);
    const ImFont *font = ImGui::GetIO().Fonts->Fonts[0];
    EXPECT_NE(font->FindGlyphNoFallback(0x9F98), nullptr);
    EXPECT_EQ(font->FindGlyphNoFallback(0x9F9B), nullptr);  // the one left out
}

TEST_F(TextRenderTest, MissingFontFilesFallBackToImGuisFont) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    const char *files[] = {"/nonexistent/font.ttf"};
    msgr::render::OverlayOptions o;
    o.font_files = files;
    o.font_file_count = 1;
    make_overlay(o);
    frame();
    frame();
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame();
    frame();
    const msgr::render::FontStats fs = overlay->font_stats();
    EXPECT_EQ(fs.missing_font_files, 1u);
    EXPECT_EQ(fs.font_files, 0u);
    EXPECT_EQ(fs.builds, 1u);
    say("plain and Привет \U0001F600");  // drawn as fallback glyphs, sent exactly
    EXPECT_TRUE(settle_fonts());
    EXPECT_EQ(text_of(w, count_of(w) - 1), "plain and Привет \U0001F600");
    EXPECT_GT(overlay->font_stats().without_glyph, 0u);
}

TEST_F(TextRenderTest, AHostSuppliesItsOwnFontFiles) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    const char *files[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"};
    msgr::render::OverlayOptions o;
    o.font_files = files;
    o.font_file_count = 1;
    o.font_size = 20.0f;
    make_overlay(o);
    frame();
    frame();
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    frame();
    frame();
    say("Привет");
    ASSERT_TRUE(settle_fonts());
    EXPECT_EQ(overlay->font_stats().font_files, 1u);
    const ImFont *font = ImGui::GetIO().Fonts->Fonts[0];
    EXPECT_EQ(font->FontSize, 20.0f);
    EXPECT_NE(font->FindGlyphNoFallback(0x041F), nullptr);
    EXPECT_NE(std::string(font->ConfigData->Name).find("msgr font 0"), std::string::npos);
}

// The search field takes typed text as the conversation input does: a CJK extension B
// ideograph typed there is searched for exactly (U+FFFD would find nothing).
TEST_F(TextRenderTest, ACharacterAboveUffffTypedIntoSearchFindsItsMessage) {
    open_echo();
    say("rare \U00020B9F here");
    overlay->show_search();
    frame();
    frame();
    overlay->add_input_text("\U00020B9F");
    frame();
    press_enter();
    ASSERT_TRUE(frames_until([&] { return overlay->search_hits_shown() > 0; }))
        << overlay->search_status();
    EXPECT_GE(overlay->search_hits_shown(), 2u);  // what was sent and its echo
}

// Copy and paste through ImGui's clipboard carry the exact text: what the host's clipboard
// gets from the input is the exact UTF-8, and what is pasted from it arrives exactly.
TEST_F(TextRenderTest, CopyAndPasteCarryTheExactText) {
    static std::string clipboard;
    ImGuiIO &io = ImGui::GetIO();
    io.SetClipboardTextFn = [](void *, const char *t) { clipboard = t; };
    io.GetClipboardTextFn = [](void *) -> const char * { return clipboard.c_str(); };
    enum { kA = 10, kC, kV };
    io.KeyMap[ImGuiKey_A] = kA;
    io.KeyMap[ImGuiKey_C] = kC;
    io.KeyMap[ImGuiKey_V] = kV;
    auto ctrl = [&](int key) {
        io.KeyCtrl = true;
        io.KeysDown[key] = true;
        frame();
        io.KeysDown[key] = false;
        frame();
        io.KeyCtrl = false;
    };
    open_echo();
    const std::string typed = "copy \U0001F600 \U00020B9F \xEE\x80\x80";
    overlay->add_input_text(typed.c_str());
    frame();
    ctrl(kA);
    ctrl(kC);
    EXPECT_EQ(clipboard, typed);  // the exact text, not the stand-ins
    // Pasted back twice over the selection: the input holds it twice, exactly.
    clipboard = "\U0001F680 \U00020B9F";
    ctrl(kA);
    ctrl(kV);
    ctrl(kV);
    const char *draft = nullptr;
    ASSERT_EQ(msgr_window_get_draft(w, &draft), MSGR_S_OK);
    EXPECT_EQ(std::string(draft), "\U0001F680 \U00020B9F\U0001F680 \U00020B9F");
}

class TextFieldsTest : public TextRenderTest {
  protected:
    // A click at `at` with the mouse, over three frames (move, press, release).
    void click_at(ImVec2 at) {
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = at;
        frame();
        io.MouseDown[0] = true;
        frame();
        io.MouseDown[0] = false;
        frame();
    }
    // A click inside the left end of a field: its caret goes before its first character. The
    // field is looked for until it stays put (a window that fits its contents is placed after
    // its first frame).
    void click_left_of(msgr::render::Overlay::Control control) {
        DrawnRect r{}, before{-1, -1, 0, 0};
        ASSERT_TRUE(frames_until([&] {
            const bool same = r.x == before.x && r.y == before.y;
            before = r;
            return overlay->control_rect(control, nullptr, 0, r) && same && r.w > 0;
        }));
        click_at(ImVec2(r.x + 2.0f, r.y + r.h * 0.5f));
    }
};

// The sign-in name field holds what 16-bit ImWchar cannot carry as the conversation input does:
// a prefilled name and one typed there reach msgr_signin byte-exact, not as U+FFFD.
TEST_F(TextFieldsTest, ASigninNameAboveUffffIsSignedInByteExact) {
    msgr::render::OverlayOptions o;
    o.default_signin_name = "\U0001F60Eace@loopback";  // prefilled
    make_overlay(o);
    click_left_of(msgr::render::Overlay::Control::signin_name);
    overlay->add_input_text("\U0001F600");  // typed before it
    frame();
    DrawnRect button{};
    ASSERT_TRUE(overlay->control_rect(msgr::render::Overlay::Control::signin, nullptr, 0, button));
    click_at(ImVec2(button.x + button.w * 0.5f, button.y + button.h * 0.5f));
    const char *me = nullptr;
    ASSERT_TRUE(frames_until([&] { return msgr_my_signin_name(rt, &me) == MSGR_S_OK; }))
        << overlay->status_line();
    EXPECT_EQ(std::string(me), "\U0001F600\U0001F60Eace@loopback");
}

// "Chat with" opens a conversation with exactly the name typed, emoji included.
TEST_F(TextFieldsTest, AChatWithNameAboveUffffOpensThatContactByteExact) {
    open_echo();
    click_left_of(msgr::render::Overlay::Control::chat_with);
    overlay->add_input_text("\U0001F600");  // before "echo@loopback", the field's default
    frame();
    press_enter();
    std::string front;
    ASSERT_TRUE(frames_until([&] {
        std::size_t n = 0;
        msgr_ui_window_info info{};
        info.struct_size = sizeof info;
        if (msgr_ui_window_count(rt, &n) != MSGR_S_OK || n == 0 ||
            msgr_ui_window_get(rt, n - 1, &info) != MSGR_S_OK)
            return false;
        const char *name = nullptr;
        if (msgr_contact_signin_name(info.contact, &name) == MSGR_S_OK) front = name;
        return front != "echo@loopback";
    })) << overlay->status_line();
    EXPECT_EQ(front, "\U0001F600echo@loopback");
}

// The player's own name and Add a friend take what 16-bit ImWchar cannot carry as the other
// fields do: a name with an emoji is set byte-exact, a friend's name with one is asked for
// byte-exact.
TEST_F(TextFieldsTest, ANameAndAFriendAboveUffffAreSetByteExact) {
    open_echo();
    using Control = msgr::render::Overlay::Control;
    DrawnRect rename{};
    ASSERT_TRUE(
        frames_until([&] { return overlay->control_rect(Control::rename, nullptr, 0, rename); }));
    click_at(ImVec2(rename.x + rename.w * 0.5f, rename.y + rename.h * 0.5f));
    frame();
    frame();
    overlay->add_input_text("Zo\u00EB \U0001F3AE");  // replaces the name, selected in its field
    frame();
    press_enter();
    const char *name = nullptr;
    ASSERT_TRUE(frames_until([&] {
        return msgr_my_friendly_name(rt, &name) == MSGR_S_OK &&
               std::string(name) != "player@loopback";
    })) << overlay->status_line();
    EXPECT_EQ(std::string(name), "Zo\u00EB \U0001F3AE");
    EXPECT_EQ(std::string(overlay->my_name_shown()), "Zo\u00EB \U0001F3AE");

    click_left_of(Control::add_friend);
    overlay->add_input_text("\U0001F600pal@loopback");
    frame();
    press_enter();
    EXPECT_EQ(std::string(overlay->add_friend_status()),
              "\U0001F600pal@loopback: Asked; waiting for an answer.");
    EXPECT_EQ(loopback_control("accept \U0001F600pal@loopback"), "ok");
    ASSERT_TRUE(frames_until([&] {
        return std::string(overlay->add_friend_status()).find("Added") != std::string::npos;
    })) << overlay->add_friend_status();
    EXPECT_EQ(std::string(overlay->add_friend_status()),
              "\U0001F600pal@loopback: Added to your list.");
}

// The player's text size: set_font_scale rebuilds the atlas at the new size between frames, and
// the history is measured again with it (a line twice as tall, near enough: the spacing between
// lines is the style's, unscaled). Nonsense scales change nothing; a huge one is clamped.
TEST_F(TextRenderTest, AFontScaleDrawsTheTextLargerAfterTheNextAtlas) {
    open_echo();
    say("scaled \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");  // Привет
    ASSERT_TRUE(settle_fonts());
    const std::size_t last = count_of(w) - 1;
    DrawnRect small{}, large{};
    ASSERT_TRUE(overlay->drawn_rect(w, last, small));
    const std::size_t builds = overlay->font_stats().builds;

    overlay->set_font_scale(2.0f);
    EXPECT_FLOAT_EQ(overlay->font_scale(), 2.0f);
    ASSERT_TRUE(frames_until([&] { return overlay->font_stats().builds > builds; }));
    ASSERT_TRUE(settle_fonts());
    ASSERT_TRUE(overlay->drawn_rect(w, last, large));
    EXPECT_GT(large.h, small.h * 1.6f) << small.h << " -> " << large.h;
    EXPECT_LT(large.h, small.h * 2.4f) << small.h << " -> " << large.h;
    EXPECT_FLOAT_EQ(ImGui::GetIO().Fonts->Fonts[0]->FontSize, 32.0f);
    EXPECT_NE(ImGui::GetIO().Fonts->Fonts[0]->FindGlyphNoFallback(0x041F), nullptr)
        << "the glyphs known before are in the new atlas";

    overlay->set_font_scale(-1.0f);
    overlay->set_font_scale(std::numeric_limits<float>::quiet_NaN());
    EXPECT_FLOAT_EQ(overlay->font_scale(), 2.0f);
    overlay->set_font_scale(100.0f);
    EXPECT_FLOAT_EQ(overlay->font_scale(), 6.0f) << "96 pixels at most";
}

// The player scrolled up in a long conversation when the atlas changes (a larger text size
// here; a script seen for the first time does the same): the view stays on the message that was
// at its top, measured again with the new atlas, rather than jumping to the newest.
TEST_F(TextRenderTest, ANewAtlasKeepsAScrolledUpViewOnTheMessageAtItsTop) {
    open_echo();
    constexpr std::size_t kLines = 400;
    for (std::size_t i = 0; i < kLines; ++i) {
        msgr::core::MessageArrived m = arriving();
        m.from = "echo@loopback";
        m.text = "line " + std::to_string(i);
        if (i % 7 == 0) m.text += " and a longer tail that wraps in a narrow window" + m.text;
        ASSERT_TRUE(core().inbox().push(std::move(m)));
    }
    ASSERT_TRUE(frames_until([&] { return count_of(w) >= base + kLines; }));
    ASSERT_TRUE(settle_fonts());
    ImGuiWindow *child = history_child_of(*ctx_, *overlay, w);
    ASSERT_NE(child, nullptr);
    ASSERT_GT(child->ScrollMax.y, 1000.0f);
    // Up, to a third of the way into what is laid out.
    ImGui::SetScrollY(child, child->ScrollMax.y * 0.3f);
    for (int i = 0; i < 3; ++i)
        frame();
    ASSERT_LT(child->Scroll.y, child->ScrollMax.y - 100.0f);
    // The message at the top of the view: the oldest drawn whose row reaches below its top.
    const auto top_message = [&] {
        const float clip_top = child->InnerClipRect.Min.y;
        for (std::size_t i = base; i < count_of(w); ++i) {
            DrawnRect r{};
            if (overlay->drawn_rect(w, i, r) && r.y + r.h > clip_top) return i;
        }
        return std::size_t{0};
    };
    const std::size_t top = top_message();
    ASSERT_GT(top, base + 10) << "scrolled to the middle";
    ASSERT_LT(top, count_of(w) - 30);
    DrawnRect before{};
    ASSERT_TRUE(overlay->drawn_rect(w, top, before));

    const std::size_t builds = overlay->font_stats().builds;
    overlay->set_font_scale(1.5f);
    ASSERT_TRUE(frames_until([&] { return overlay->font_stats().builds > builds; }));
    ASSERT_TRUE(settle_fonts());
    frame();
    const std::size_t after_top = top_message();
    EXPECT_LE(after_top > top ? after_top - top : top - after_top, 1u)
        << "the view moved from message " << top << " to " << after_top;
    DrawnRect after{};
    ASSERT_TRUE(overlay->drawn_rect(w, top, after)) << "message " << top << " is out of sight";
    EXPECT_GT(after.h, before.h * 1.2f) << "measured with the new atlas";
    EXPECT_LT(child->Scroll.y, child->ScrollMax.y - 100.0f) << "it did not jump to the newest";
}

// ---- right-to-left text (render/src/text/bidi.hpp) ----

// بيت joined (beh initial, yeh medial, teh final) is narrower than, and differs from, the same
// letters in their isolated forms (U+FE8F, U+FEF1, U+FE95, which never join).
TEST_F(TextRenderTest, AnArabicWordIsDrawnJoined) {
    open_echo();
    const auto [joined_shot, joined_row] = echoed("\u0628\u064a\u062a");
    const auto [isolated_shot, isolated_row] = echoed("\ufe8f\ufef1\ufe95");
    keep(isolated_shot, "text-arabic-joined");
    const Crop j = ink_box(joined_shot, joined_row);
    const Crop i = ink_box(isolated_shot, isolated_row);
    ASSERT_GT(j.w, 4);
    ASSERT_GT(i.w, 4);
    EXPECT_LT(j.w, i.w) << "joined " << j.w << " px, isolated " << i.w << " px";
    // Compared from their right ends (where each starts): the shapes differ.
    const int n = std::min(j.w, i.w);
    const int joined_ink = pixels(joined_shot, j, ink);
    EXPECT_GT(differing(joined_shot, right_part(j, n), isolated_shot, right_part(i, n)),
              joined_ink / 4)
        << joined_ink << " ink pixels";
    // Right to left: flush right, both at the right end of the text column.
    EXPECT_NEAR(j.x0 + j.w, i.x0 + i.w, 3);
    EXPECT_GT(j.x0, joined_row.x0 + joined_row.w / 2);
}

// שלום: its first letter (ש) is drawn at the right end, the rest (לום) to its left, exactly as
// לום alone is drawn. Drawn in logical order, שלום would start with ש on the left.
TEST_F(TextRenderTest, AHebrewLinesFirstLetterIsDrawnAtTheRightEnd) {
    open_echo();
    const auto [word_shot, word_row] = echoed("\u05e9\u05dc\u05d5\u05dd");
    const auto [rest_shot, rest_row] = echoed("\u05dc\u05d5\u05dd");
    const auto [first_shot, first_row] = echoed("\u05e9");
    keep(word_shot, "text-hebrew-order");
    const Crop word = ink_box(word_shot, word_row);
    const Crop rest = ink_box(rest_shot, rest_row);
    const Crop first = ink_box(first_shot, first_row);
    ASSERT_GT(rest.w, 4);
    ASSERT_GT(first.w, 2);
    ASSERT_GT(word.w, rest.w);
    const int rest_ink = pixels(rest_shot, rest, ink);
    EXPECT_LT(differing(word_shot, left_part(word, rest.w), rest_shot, rest), rest_ink / 5);
    const int first_ink = pixels(first_shot, first, ink);
    EXPECT_LT(differing(word_shot, right_part(word, first.w), first_shot, first), first_ink / 5);
    // The wrong order would not match: ש is not what לום starts with.
    EXPECT_GT(differing(word_shot, left_part(word, first.w), first_shot, first), first_ink / 5);
}

// A name is drawn in visual order as a message is: the header above a message from a contact
// whose name is Hebrew shows the same ink as that name sent as the message's text.
TEST_F(TextRenderTest, AHebrewNameInAHeaderIsDrawnAsTheSameTextInARow) {
    open_echo();
    const std::string name = "\u05e9\u05dc\u05d5\u05dd@loopback";
    HeldWindow hw;
    ASSERT_EQ(msgr_instant_message(rt, by_name(name.c_str()), hw.out()), MSGR_S_OK);
    msgr_window_set_left(hw, 20);
    msgr_window_set_top(hw, 20);
    msgr_window_set_width(hw, 560);
    msgr_window_set_height(hw, 600);
    const std::size_t before = count_of(hw);
    msgr::core::MessageArrived m = arriving();
    m.from = name;
    m.text = name;
    ASSERT_TRUE(core().inbox().push(std::move(m)));
    ASSERT_TRUE(frames_until([&] { return count_of(hw) > before; }));
    ASSERT_TRUE(settle_fonts());
    frame();
    const std::size_t last = count_of(hw) - 1;
    DrawnRect row{};
    ASSERT_TRUE(overlay->drawn_rect(hw, last, row));
    const Shot s = shot();
    keep(s, "text-hebrew-header");
    const float lead_line = ImGui::GetTextLineHeight() + ImGui::GetStyle().ItemSpacing.y;
    const Crop text_crop = ink_box(s, crop_of(row));
    DrawnRect header_rect = row;
    header_rect.y = row.y - lead_line;
    header_rect.h = ImGui::GetTextLineHeight();
    const Crop header_all = ink_box(s, crop_of(header_rect));
    ASSERT_GT(text_crop.w, 20);
    ASSERT_GT(header_all.w, text_crop.w) << "the header holds the name and the time";
    // The name is the header's left part (the time follows it, after a gap).
    const Crop header_name = left_part(header_all, text_crop.w);
    const int ink_px = pixels(s, text_crop, ink);
    EXPECT_LT(differing(s, header_name, s, text_crop), ink_px / 5);
}

// "abc שלום 123": a left-to-right line (its first strong letter is Latin) whose Latin run
// reads abc from the left, the Hebrew word at its right end in visual order.
TEST_F(TextRenderTest, AMixedLineKeepsItsLatinRunLeftToRight) {
    open_echo();
    const auto [line_shot, line_row] = echoed("abc \u05e9\u05dc\u05d5\u05dd 123");
    const auto [latin_shot, latin_row] = echoed("abc");
    const auto [hebrew_shot, hebrew_row] = echoed("\u05e9\u05dc\u05d5\u05dd");
    keep(line_shot, "text-mixed-line");
    const Crop line = ink_box(line_shot, line_row);
    const Crop latin = ink_box(latin_shot, latin_row);
    const Crop hebrew = ink_box(hebrew_shot, hebrew_row);
    ASSERT_GT(latin.w, 4);
    ASSERT_GT(hebrew.w, 4);
    ASSERT_GT(line.w, latin.w + hebrew.w);
    EXPECT_NEAR(line.x0, latin.x0, 1) << "left to right: flush left";
    EXPECT_LT(differing(line_shot, left_part(line, latin.w), latin_shot, latin),
              pixels(latin_shot, latin, ink) / 5);
    EXPECT_LT(differing(line_shot, right_part(line, hebrew.w), hebrew_shot, hebrew),
              pixels(hebrew_shot, hebrew, ink) / 5);
}

// A long Arabic message wraps in logical order: its first line holds its first word, at the
// right end, and the last line does not.
TEST_F(TextRenderTest, AWrappedArabicMessagesFirstLineHoldsItsFirstWords) {
    open_echo();
    const std::string first_word = "\u0645\u0631\u062d\u0628\u0627";  // مرحبا
    std::string message = first_word;
    for (int i = 0; i < 24; ++i)
        message += " \u0643\u062a\u0627\u0628";  // كتاب
    const auto [long_shot, long_row] = echoed(message);
    const auto [word_shot, word_row] = echoed(first_word);
    keep(long_shot, "text-arabic-wrap");
    const int line_h = static_cast<int>(ImGui::GetTextLineHeight());
    ASSERT_GE(long_row.h, 2 * line_h) << "wrapped";
    const Crop first_line = ink_box(long_shot, Crop{long_row.x0, long_row.y0, long_row.w, line_h});
    const Crop last_line = ink_box(
        long_shot, Crop{long_row.x0, long_row.y0 + long_row.h - line_h, long_row.w, line_h});
    const Crop word = ink_box(word_shot, Crop{word_row.x0, word_row.y0, word_row.w, line_h});
    ASSERT_GT(word.w, 4);
    const int word_ink = pixels(word_shot, word, ink);
    EXPECT_NEAR(first_line.x0 + first_line.w, word.x0 + word.w, 2) << "flush right";
    EXPECT_LT(differing(long_shot, right_part(first_line, word.w), word_shot, word), word_ink / 5);
    EXPECT_GT(differing(long_shot, right_part(last_line, word.w), word_shot, word), word_ink / 5);
}

// A conversation a player can read (issue 13): a header with the sender's name and time once
// per run of one sender, day separators, the "new messages" marker, and selecting and copying
// history text (a mouse drag, Ctrl+C, the host's clipboard through ImGui's).
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "view_fixture.hpp"

using namespace msgr::test;

namespace {

constexpr int kC = 7;  // the host's key index for C (the fixture's keys are 1..6)

// Local time today at hh:mm, in Unix milliseconds; days_back days before.
std::int64_t local_ms(int hh, int mm, int days_back = 0) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    tm.tm_mday -= days_back;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm)) * 1000;
}

std::string clipboard;  // what the overlay gave the host's clipboard

class ConversationViewTest : public ViewTest {
  protected:
    void SetUp() override {
        ViewTest::SetUp();
        ImGuiIO &io = ImGui::GetIO();
        io.KeyMap[ImGuiKey_C] = kC;
        // The host's clipboard, before the overlay wraps it.
        clipboard.clear();
        io.SetClipboardTextFn = [](void *, const char *t) { clipboard = t; };
        io.GetClipboardTextFn = [](void *) -> const char * { return clipboard.c_str(); };
    }

    // An echo conversation, large and in the top left corner, drawn.
    void open_echo(HeldWindow &w) {
        signin_and_open();
        ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
        ASSERT_EQ(msgr_window_set_left(w, 0), MSGR_S_OK);
        ASSERT_EQ(msgr_window_set_top(w, 0), MSGR_S_OK);
        ASSERT_EQ(msgr_window_set_width(w, 900), MSGR_S_OK);
        ASSERT_EQ(msgr_window_set_height(w, 680), MSGR_S_OK);
        frame(3);
    }

    std::string friendly_name(msgr_window *w) {
        msgr_contact *c = nullptr;
        EXPECT_EQ(msgr_window_contact(w, &c), MSGR_S_OK);
        const char *name = nullptr;
        EXPECT_EQ(msgr_contact_friendly_name(c, &name), MSGR_S_OK);
        std::string out = name != nullptr ? name : "";
        msgr_contact_release(c);
        return out;
    }

    // Frames until entry `index` of w is drawn.
    bool drawn(msgr_window *w, std::size_t index) {
        msgr::render::DrawnRect r;
        return frames_until([&] { return overlay->drawn_rect(w, index, r); });
    }

    std::string header(msgr_window *w, std::size_t index) {
        const char *h = overlay->drawn_header(w, index);
        return h != nullptr ? h : "(none)";
    }
    std::string day(msgr_window *w, std::size_t index) {
        const char *d = overlay->drawn_day(w, index);
        return d != nullptr ? d : "(none)";
    }

    static std::string hhmm(std::int64_t ms) {
        const std::time_t t = ms / 1000;
        std::tm tm{};
        localtime_r(&t, &tm);
        char out[16];
        (void)std::snprintf(out, sizeof out, "%02d:%02d", tm.tm_hour, tm.tm_min);
        return out;
    }
};

}  // namespace

TEST_F(ConversationViewTest, AHeaderWithTheSendersNameAndTimeOncePerRunOfOneSender) {
    HeldWindow w;
    open_echo(w);
    const std::size_t base = history_count(w);
    const std::int64_t t = local_ms(12, 0);
    inject(w, "first of a run", MSGR_MESSAGE_INCOMING, t);
    inject(w, "second of the run", MSGR_MESSAGE_INCOMING, t + 60'000);
    inject(w, "my answer", MSGR_MESSAGE_OUTGOING, t + 120'000);  // from another device: the user's
    inject(w, "and more of mine", MSGR_MESSAGE_OUTGOING, t + 130'000);
    inject(w, "echo again", MSGR_MESSAGE_INCOMING, t + 180'000);
    inject(w, "echo, ten minutes later", MSGR_MESSAGE_INCOMING, t + 780'000);
    ASSERT_TRUE(drawn(w, base + 5));
    const std::string echo = friendly_name(w);
    EXPECT_EQ(header(w, base), echo + "  " + hhmm(t));
    EXPECT_EQ(header(w, base + 1), "(none)") << "the same sender a minute later: no header";
    EXPECT_EQ(header(w, base + 2), "You  " + hhmm(t + 120'000));
    EXPECT_EQ(header(w, base + 3), "(none)");
    EXPECT_EQ(header(w, base + 4), echo + "  " + hhmm(t + 180'000));
    EXPECT_EQ(header(w, base + 5), echo + "  " + hhmm(t + 780'000))
        << "more than five minutes passed: a header again";
    // The header takes a line: the text of a message with one is lower than its row's top.
    msgr::render::DrawnRect a, b;
    ASSERT_TRUE(overlay->drawn_rect(w, base, a));
    ASSERT_TRUE(overlay->drawn_rect(w, base + 1, b));
    EXPECT_GT(b.y, a.y + a.h);
}

// In a group each contact's answers get a header of their own, with that contact's name.
TEST_F(ConversationViewTest, AGroupsHeadersNameTheContactWhoWrote) {
    HeldWindow w;
    open_echo(w);
    const std::string echo = friendly_name(w);
    ASSERT_EQ(msgr_window_add_contact(w, by_name("shout@loopback")), MSGR_S_OK)
        << msgr_last_error();
    ASSERT_EQ(msgr_ui_send(w, "hello all", nullptr), MSGR_S_OK) << msgr_last_error();
    ASSERT_TRUE(frames_until([&] { return history_count(w) >= 3; }));
    ASSERT_TRUE(drawn(w, 2));
    EXPECT_EQ(header(w, 0).rfind("You  ", 0), 0u) << header(w, 0);
    std::vector<std::string> names;
    for (std::size_t i = 1; i < 3; ++i) {
        const std::string h = header(w, i);
        names.push_back(h.substr(0, h.find("  ")));
    }
    std::sort(names.begin(), names.end());
    msgr_contact *shout = nullptr;
    ASSERT_EQ(msgr_window_contacts_get(w, 1, &shout), MSGR_S_OK);
    const char *shout_name = nullptr;
    ASSERT_EQ(msgr_contact_friendly_name(shout, &shout_name), MSGR_S_OK);
    const std::string shout_friendly = shout_name;
    msgr_contact_release(shout);
    std::vector<std::string> want{echo, shout_friendly};
    std::sort(want.begin(), want.end());
    EXPECT_NE(want[0], want[1]);
    EXPECT_EQ(names, want) << "each answer headed by its writer, not the window's first contact";
    // The title names the group's contacts.
    const std::string title = echo + ", " + shout_friendly;
    const char *drawn = overlay->drawn_title(w);
    ASSERT_NE(drawn, nullptr);
    EXPECT_EQ(std::string(drawn).rfind(title + "###", 0), 0u) << drawn;
}

TEST_F(ConversationViewTest, ADaySeparatorBetweenTwoDaysMessages) {
    HeldWindow w;
    open_echo(w);
    const std::size_t base = history_count(w);
    const std::int64_t older = local_ms(9, 30, 3);
    inject(w, "three days ago", MSGR_MESSAGE_INCOMING, older);
    inject(w, "late yesterday", MSGR_MESSAGE_INCOMING, local_ms(23, 55, 1));
    inject(w, "just after midnight", MSGR_MESSAGE_INCOMING, local_ms(0, 5));
    inject(w, "later today", MSGR_MESSAGE_INCOMING, local_ms(0, 6));
    ASSERT_TRUE(drawn(w, base + 3));
    const std::time_t ot = older / 1000;
    std::tm tm{};
    localtime_r(&ot, &tm);
    char date[64];
    (void)std::strftime(date, sizeof date, "%A %e %B %Y", &tm);
    std::string expected = date;
    if (const auto two = expected.find("  "); two != std::string::npos) expected.erase(two, 1);
    EXPECT_EQ(day(w, base), expected);
    EXPECT_EQ(day(w, base + 1), "Yesterday");
    EXPECT_EQ(day(w, base + 2), "Today") << "ten minutes apart, but another day";
    EXPECT_EQ(day(w, base + 3), "(none)");
    EXPECT_NE(header(w, base + 2), "(none)") << "a new day starts a new run";
    EXPECT_EQ(header(w, base + 3), "(none)");
}

TEST_F(ConversationViewTest, ADragAcrossTwoMessagesAndCtrlCCopiesExactlyTheSelectedText) {
    HeldWindow w;
    open_echo(w);
    const std::size_t base = history_count(w);
    const std::int64_t t = local_ms(12, 0);
    inject(w, "Hello \xF0\x9F\x98\x80 world", MSGR_MESSAGE_INCOMING, t);  // U+1F600
    inject(w, "second message", MSGR_MESSAGE_INCOMING, t + 1000);
    ASSERT_TRUE(drawn(w, base + 1));
    msgr::render::DrawnRect a, b;
    ASSERT_TRUE(overlay->drawn_rect(w, base, a));
    ASSERT_TRUE(overlay->drawn_rect(w, base + 1, b));
    // From inside "Hel|lo" to "sec|ond", by the glyphs' widths in the overlay's font.
    const float hel = ImGui::GetFont()->CalcTextSizeA(ImGui::GetFontSize(), FLT_MAX, 0, "Hel").x;
    const float sec = ImGui::GetFont()->CalcTextSizeA(ImGui::GetFontSize(), FLT_MAX, 0, "sec").x;
    const ImVec2 from(a.x + hel + 0.5f, a.y + a.h * 0.5f);
    const ImVec2 to(b.x + sec + 0.5f, b.y + b.h * 0.5f);
    drag(from, to);

    ImGuiIO &io = ImGui::GetIO();
    io.KeyCtrl = true;
    io.KeysDown[kC] = true;
    frame();
    io.KeysDown[kC] = false;
    io.KeyCtrl = false;
    frame();
    EXPECT_EQ(clipboard, "lo \xF0\x9F\x98\x80 world\nsec")
        << "the exact UTF-8 of the selection, the emoji's included";

    // Shift-click extends the selection to the end of the second message; the context menu's
    // Copy copies it.
    clipboard.clear();
    io.KeyShift = true;
    click(ImVec2(b.x + b.w - 2.0f, b.y + b.h * 0.5f));
    io.KeyShift = false;
    io.MousePos = ImVec2(b.x + 4.0f, b.y + b.h * 0.5f);
    frame();
    io.MouseDown[1] = true;
    frame();
    io.MouseDown[1] = false;
    frame(2);
    ImGuiWindow *menu = ImGui::FindWindowByName("##history-menu");
    // ImGui names a popup by its ID: find it through the open popup stack instead.
    if (menu == nullptr && !ctx_->OpenPopupStack.empty()) menu = ctx_->OpenPopupStack.back().Window;
    ASSERT_NE(menu, nullptr) << "a right click opens the history's menu";
    // Its first item, "Copy".
    const ImVec2 item(menu->Pos.x + menu->WindowPadding.x + 10.0f,
                      menu->Pos.y + menu->WindowPadding.y + ImGui::GetFontSize() * 0.5f);
    click(item);
    EXPECT_EQ(clipboard, "lo \xF0\x9F\x98\x80 world\nsecond message");
}

TEST_F(ConversationViewTest, TheNewMessagesMarkerIsAboveTheFirstMessageNotSeen) {
    HeldWindow w;
    open_echo(w);
    inject(w, "seen before", MSGR_MESSAGE_INCOMING, local_ms(12, 0));
    const std::size_t first_new = history_count(w) + 1;
    ASSERT_TRUE(drawn(w, first_new - 1));
    std::size_t at = 0;
    EXPECT_FALSE(overlay->new_marker_shown(w, at)) << "nothing new when the window opened";

    overlay->set_open(false);  // the player plays; three messages come
    frame();
    for (const char *text : {"new one", "new two", "new three"})
        inject(w, text, MSGR_MESSAGE_INCOMING, local_ms(12, 1));
    frame(3);
    ASSERT_EQ(history_count(w), first_new + 3);

    overlay->set_open(true);
    ASSERT_TRUE(drawn(w, first_new + 2));
    ASSERT_TRUE(overlay->new_marker_shown(w, at));
    EXPECT_EQ(at, first_new);
    // It takes its own line above the entry, below the one before.
    msgr::render::DrawnRect before, first;
    ASSERT_TRUE(overlay->drawn_rect(w, first_new - 1, before));
    ASSERT_TRUE(overlay->drawn_rect(w, first_new, first));
    EXPECT_GT(first.y - (before.y + before.h), 1.5f * ImGui::GetFontSize());
    // Seen now, it stays until the player comes back to the window another time.
    frame(3);
    ASSERT_TRUE(overlay->new_marker_shown(w, at));
    EXPECT_EQ(at, first_new);
    overlay->set_open(false);
    frame();
    overlay->set_open(true);
    frame(3);
    EXPECT_FALSE(overlay->new_marker_shown(w, at)) << "nothing new the next time";
}

// No heap allocation on a steady frame: operator new and ImGui's allocator are counted over
// frames where nothing arrives and nothing changes (DESIGN.md budgets).
#include "support/counting_new.hpp"
#include "view_fixture.hpp"

using namespace msgr::test;

TEST_F(ViewTest, ASteadyFrameAllocatesNothing) {
    signin_and_open();
    HeldWindow chat, other;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), chat.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("friend@loopback"), other.out()), MSGR_S_OK);
    for (int i = 0; i < 2000; ++i)
        inject(chat, "line " + std::to_string(i) + (i % 5 ? "" : std::string(200, 'x')));
    drain();
    EXPECT_EQ(loopback_control("say friend@loopback a-toast"), "ok");
    // The contact list's rooms on screen too: a friend request (and its toast), a blocked
    // contact's row, the player's own name.
    EXPECT_EQ(loopback_control("request pal@loopback"), "ok");
    HeldContact mobile;
    ASSERT_EQ(msgr_get_contact(rt, "mobile@loopback", nullptr, mobile.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_contact_set_blocked(mobile, 1), MSGR_S_OK);
    ASSERT_EQ(msgr_set_my_friendly_name(rt, "Player One"), MSGR_S_OK);
    // Rich presence: echo's own activity, a Hebrew one with an emoji, and the player's own.
    EXPECT_EQ(loopback_control("activity mobile@loopback \xd7\x91\xd7\x9e\xd7\xa9\xd7\x97\xd7\xa7 "
                               "\xf0\x9f\x8e\xae 3/4"),
              "ok");
    ASSERT_EQ(msgr_set_my_activity(rt, "In a match \xe2\x80\x94 3/4 players"), MSGR_S_OK);
    frame(10);  // warm up: views, layouts, ImGui's windows and buffers
    ImGui::GetIO().MousePos = ImVec2(640, 360);
    frame(10);
    ASSERT_EQ(overlay->requests_shown(), 1u);
    ASSERT_STREQ(overlay->my_name_shown(), "Player One");
    ASSERT_NE(overlay->activity_shown(0), nullptr) << "echo's activity on screen";
    ASSERT_NE(overlay->activity_shown(1), nullptr) << "mobile's activity on screen";
    ASSERT_STREQ(overlay->my_activity_shown(), "In a match \xe2\x80\x94 3/4 players");

    g_news = 0;
    ImGuiAllocCounter::count = 0;
    g_counting = true;
    frame(30);
    g_counting = false;
    EXPECT_EQ(g_news.load(), 0) << "operator new calls over 30 steady frames";
    EXPECT_EQ(ImGuiAllocCounter::count.load(), 0) << "ImGui allocations over 30 steady frames";

    // The counter does count: a frame where a message arrives allocates (history, layout).
    g_counting = true;
    EXPECT_EQ(loopback_control("say friend@loopback news"), "ok");
    frame();
    g_counting = false;
    EXPECT_GT(g_news.load(), 0);
}

// No heap allocation on a steady frame, with text in every script and emoji on screen: the
// overlay's fonts managed (update_fonts every frame), stand-ins mapped every frame. Its own
// binary, because it replaces operator new (as render/alloc_test.cpp does).
#include "support/counting_new.hpp"
#include "view_fixture.hpp"

using namespace msgr::test;

class TextAllocTest : public ViewTest {
  protected:
    // A host frame with the overlay's fonts: the texture "upload" is a new ID.
    void font_frame(int n = 1) {
        for (int i = 0; i < n; ++i) {
            if (overlay->update_fonts())
                ImGui::GetIO().Fonts->SetTexID(reinterpret_cast<ImTextureID>(++uploads));
            frame();
        }
    }
    std::intptr_t uploads = 1;
};

TEST_F(TextAllocTest, ASteadyFrameWithEveryScriptAllocatesNothing) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    make_overlay();
    overlay->set_open(true);
    font_frame(2);
    HeldWindow chat;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), chat.out()), MSGR_S_OK);
    const char *lines[] = {"Привет, мир",
                           "Γειά σου",
                           "你好，世界",
                           "こんにちは",
                           "مرحبا",
                           "שלום",
                           "\U0001F600\U0001F44D \U00020B9F",
                           "plain ASCII"};
    for (int i = 0; i < 400; ++i)
        inject(chat, std::string(lines[i % 8]) + " " + std::to_string(i));
    drain();
    ASSERT_TRUE(frames_until([&] {
        font_frame();
        return !overlay->fonts_pending();
    }));
    font_frame(10);  // warm up with the final atlas
    ASSERT_GE(overlay->font_stats().stand_ins, 2u);

    g_news = 0;
    ImGuiAllocCounter::count = 0;
    g_counting = true;
    font_frame(30);
    g_counting = false;
    EXPECT_EQ(g_news.load(), 0) << "operator new calls over 30 steady frames";
    EXPECT_EQ(ImGuiAllocCounter::count.load(), 0) << "ImGui allocations over 30 steady frames";
    EXPECT_FALSE(overlay->fonts_pending());

    // The counter does count: a new script on screen makes a new atlas (on the next frames).
    inject(chat, "ქართული");  // Georgian
    drain();
    g_counting = true;
    font_frame(2);
    g_counting = false;
    EXPECT_GT(g_news.load(), 0);
}

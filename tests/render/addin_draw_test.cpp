// Add-ins that draw (add-in ABI 1.2): real add-in libraries with their own copy of ImGui draw
// into the host's context through the overlay; one that refuses the host's ImGui, one that
// throws and one that leaves its window open are disabled, and the host's frame goes on.
#include <imgui.h>
#include <imgui_internal.h>

#include <string>

#include "view_fixture.hpp"

namespace msgr::test {
namespace {

class AddinDrawTest : public ViewTest {
  protected:
    void SetUp() override {
        ViewTest::SetUp();
        config = std::make_unique<TempConfig>(std::string("[runtime]\naddin_paths = [\"") +
                                              MSGR_DRAW_ADDIN_DIR + "\"]\n");
        overlay.reset();
        create(config->path());
    }

    msgr_addin_info info_of(const char *name) {
        std::size_t n = 0;
        EXPECT_EQ(msgr_addin_count(rt, &n), MSGR_S_OK);
        for (std::size_t i = 0; i < n; ++i) {
            msgr_addin_info in{};
            in.struct_size = sizeof in;
            EXPECT_EQ(msgr_addin_get_info(rt, i, &in), MSGR_S_OK);
            if (std::string(in.name) == name) return in;
        }
        ADD_FAILURE() << "no add-in " << name;
        return msgr_addin_info{};
    }

    ImGuiWindow *window_named(const char *name) {
        ImGuiWindow *w = ImGui::FindWindowByName(name);
        return (w != nullptr && w->Active) ? w : nullptr;  // begun in the last frame
    }

    // Whether the last frame's draw data holds a draw list that belongs to the window.
    bool rendered(const char *name) {
        ImGuiWindow *w = ImGui::FindWindowByName(name);
        ImDrawData *dd = ImGui::GetDrawData();
        if (w == nullptr || dd == nullptr) return false;
        for (int i = 0; i < dd->CmdListsCount; ++i) {
            if (dd->CmdLists[i] == w->DrawList && w->DrawList->VtxBuffer.Size > 0) return true;
        }
        return false;
    }

    std::unique_ptr<TempConfig> config;
};

TEST_F(AddinDrawTest, AllFourLoadAndRegisterDrawers) {
    for (const char *n : {"draw_good", "draw_throw", "draw_unbalanced", "draw_mismatch"}) {
        const msgr_addin_info in = info_of(n);
        EXPECT_EQ(in.state, MSGR_ADDIN_LOADED) << n << ": " << (in.reason ? in.reason : "");
        EXPECT_NE(in.provides & MSGR_ADDIN_PROVIDES_DRAWING, 0u) << n;
        EXPECT_EQ(in.abi_minor, MSGR_ADDIN_ABI_MINOR) << n;  // built with the SDK's header
    }
    int any = 0;
    EXPECT_EQ(msgr_addin_has_drawers(rt, &any), MSGR_S_OK);
    EXPECT_EQ(any, 1);
}

TEST_F(AddinDrawTest, AGoodAddinDrawsIntoTheHostsFrameAndTheBadOnesAreDisabled) {
    make_overlay();
    overlay->set_open(true);
    frame(3);

    // The good add-in's window is in the host's context, drawn, where it put it.
    ImGuiWindow *good = window_named("Drawn by an add-in");
    ASSERT_NE(good, nullptr);
    EXPECT_EQ(good->Pos.x, 40.0f);
    EXPECT_EQ(good->Pos.y, 500.0f);
    EXPECT_TRUE(rendered("Drawn by an add-in"));
    EXPECT_EQ(info_of("draw_good").state, MSGR_ADDIN_LOADED);

    // The mismatched one refused before touching ImGui, with the check's reason.
    const msgr_addin_info mismatch = info_of("draw_mismatch");
    EXPECT_EQ(mismatch.state, MSGR_ADDIN_DISABLED);
    EXPECT_NE(std::string(mismatch.reason).find("data layout"), std::string::npos)
        << mismatch.reason;

    // The throwing one is disabled with its exception; the window it began was closed for it.
    const msgr_addin_info thrower = info_of("draw_throw");
    EXPECT_EQ(thrower.state, MSGR_ADDIN_DISABLED);
    EXPECT_NE(std::string(thrower.reason).find("the drawer broke"), std::string::npos)
        << thrower.reason;
    EXPECT_NE(std::string(thrower.reason).find("left 1 ImGui window"), std::string::npos)
        << thrower.reason;

    // The unbalanced one is disabled; the host's stacks are back where they were.
    const msgr_addin_info unbalanced = info_of("draw_unbalanced");
    EXPECT_EQ(unbalanced.state, MSGR_ADDIN_DISABLED);
    EXPECT_NE(std::string(unbalanced.reason).find("Begin without End"), std::string::npos)
        << unbalanced.reason;
    EXPECT_EQ(ctx_->ColorStack.Size, 0);
    EXPECT_EQ(ctx_->CurrentWindowStack.Size, 0);  // after Render: nothing left open
    EXPECT_EQ(ImGui::GetCurrentContext(), ctx_);

    // Disabled add-ins draw no more; the good one goes on, frame after frame.
    frame(3);
    EXPECT_EQ(window_named("Drawn by an add-in that throws"), nullptr);
    EXPECT_EQ(window_named("Drawn by an unbalanced add-in"), nullptr);
    EXPECT_NE(window_named("Drawn by an add-in"), nullptr);
    EXPECT_TRUE(rendered("Drawn by an add-in"));
}

TEST_F(AddinDrawTest, AClosedOverlayTellsDrawersAndTheGoodOneDrawsNothing) {
    make_overlay();
    frame(3);
    EXPECT_EQ(window_named("Drawn by an add-in"), nullptr);
    EXPECT_EQ(info_of("draw_good").state, MSGR_ADDIN_LOADED);
    overlay->set_open(true);
    frame();
    EXPECT_NE(window_named("Drawn by an add-in"), nullptr);
}

TEST_F(AddinDrawTest, TheHostsOwnWindowIsNotDisturbedWhenTheOverlayDrawsInsideIt) {
    make_overlay();
    overlay->set_open(true);
    for (int i = 0; i < 3; ++i) {
        msgr_runtime_tick(rt);
        ImGui::NewFrame();
        ImGui::Begin("Host window");
        ImGui::PushID("host id");
        overlay->draw();  // add-ins misbehave in here
        EXPECT_EQ(std::string(ImGui::GetCurrentWindow()->Name), "Host window");
        ImGui::PopID();
        ImGui::End();
        ImGui::Render();
    }
    EXPECT_EQ(info_of("draw_unbalanced").state, MSGR_ADDIN_DISABLED);
    EXPECT_NE(window_named("Host window"), nullptr);
}

TEST_F(AddinDrawTest, ADrawContextIsChecked) {
    msgr_draw_context dc{};
    EXPECT_EQ(msgr_addin_draw(rt, nullptr, nullptr), MSGR_E_INVALIDARG);
    dc.struct_size = 8;
    EXPECT_EQ(msgr_addin_draw(rt, &dc, nullptr), MSGR_E_INVALIDARG);
}

}  // namespace
}  // namespace msgr::test

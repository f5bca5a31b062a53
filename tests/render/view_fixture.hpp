// Test support for render/: an ImGui context with no backend at all (no window, no GPU), a
// runtime signed in to the loopback service, and an overlay drawing into that context. Frames
// are driven by hand: input goes into ImGuiIO, the draw data is inspected, never rasterized.
#pragma once

#include <gtest/gtest.h>

#include <imgui.h>
#include <imgui_internal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "msgr/render/overlay.hpp"
#include "overlay_windows.hpp"
#include "support/session.hpp"
#include "support/wait.hpp"

namespace msgr::test {

// ImGui's allocations, counted (set before the context is created, so every block it frees
// was allocated here).
struct ImGuiAllocCounter {
    static inline std::atomic<long> count{0};
    static void *alloc(size_t n, void *) {
        count.fetch_add(1, std::memory_order_relaxed);
        return std::malloc(n);
    }
    static void free(void *p, void *) { std::free(p); }
};

enum Keys { kTab = 1, kEnter, kBackspace, kEscape, kLeft, kRight };

class ViewTest : public Session {
  protected:
    void SetUp() override {
        ImGui::SetAllocatorFunctions(&ImGuiAllocCounter::alloc, &ImGuiAllocCounter::free);
        ctx_ = ImGui::CreateContext();
        ImGuiIO &io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.LogFilename = nullptr;
        io.DisplaySize = ImVec2(1280, 720);
        io.DeltaTime = 1.0f / 60.0f;
        io.KeyMap[ImGuiKey_Tab] = kTab;
        io.KeyMap[ImGuiKey_Enter] = kEnter;
        io.KeyMap[ImGuiKey_Backspace] = kBackspace;
        io.KeyMap[ImGuiKey_Escape] = kEscape;
        io.KeyMap[ImGuiKey_LeftArrow] = kLeft;
        io.KeyMap[ImGuiKey_RightArrow] = kRight;
        unsigned char *pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the atlas; no texture upload
        io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(1)));
        create();
    }

    void TearDown() override {
        overlay.reset();
        destroy();
        ImGui::DestroyContext(ctx_);
    }

    void make_overlay(msgr::render::OverlayOptions options = {}) {
        overlay = std::make_unique<msgr::render::Overlay>(rt, options);
        overlay->set_activated_callback(
            [](bool open, void *user) {
                auto *self = static_cast<ViewTest *>(user);
                self->activations += open ? "+" : "-";
            },
            this);
    }

    // One host frame: tick, NewFrame, overlay, Render.
    void frame(int n = 1) {
        for (int i = 0; i < n; ++i) {
            msgr_runtime_tick(rt);
            ImGui::NewFrame();
            overlay->draw();
            ImGui::Render();
        }
    }

    void signin_and_open() {
        ASSERT_EQ(signin(), MSGR_S_OK);
        make_overlay();
        overlay->set_open(true);
        frame(2);
    }

    void press(int key, bool shift = false) {
        ImGuiIO &io = ImGui::GetIO();
        io.KeyShift = shift;
        io.KeysDown[key] = true;
        frame();
        io.KeysDown[key] = false;
        io.KeyShift = false;
        frame();
    }

    // A key event through the overlay's key queue (Overlay::add_key_event), as a host's event
    // poll gives it; no frame runs. tap(): down and up, both before the next frame.
    void key_event(int key, bool down) { overlay->add_key_event(key, down); }
    void tap(int key) {
        key_event(key, true);
        key_event(key, false);
    }

    void type(const char *text) {
        ImGui::GetIO().AddInputCharactersUTF8(text);
        frame();
    }

    static ImVec2 centre(const msgr::render::DrawnRect &r) {
        return ImVec2(r.x + r.w * 0.5f, r.y + r.h * 0.5f);
    }

    void click(ImVec2 at) {
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = at;
        frame();
        io.MouseDown[0] = true;
        frame();
        io.MouseDown[0] = false;
        frame();
    }

    void drag(ImVec2 from, ImVec2 to, int steps = 6) {
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = from;
        frame();
        io.MouseDown[0] = true;
        frame();
        for (int i = 1; i <= steps; ++i) {
            const float t = static_cast<float>(i) / static_cast<float>(steps);
            io.MousePos = ImVec2(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t);
            frame();
        }
        io.MouseDown[0] = false;
        frame();
    }

    msgr::render::DrawnRect control(msgr::render::Overlay::Control c, msgr_window *w = nullptr,
                                    std::size_t index = 0) {
        msgr::render::DrawnRect r;
        EXPECT_TRUE(overlay->control_rect(c, w, index, r)) << "control not drawn";
        return r;
    }

    // The ImGui window that draws runtime window w, and the child that draws its history.
    ImGuiWindow *imgui_window_of(msgr_window *w) {
        return msgr::test::imgui_window_of(*ctx_, *overlay, w);
    }
    ImGuiWindow *history_child(msgr_window *w) { return history_child_of(*ctx_, *overlay, w); }

    std::size_t history_count(msgr_window *w) {
        std::size_t n = 0;
        EXPECT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
        return n;
    }

    // Posts a message of the window's contact (or, outgoing, one the user sent from another
    // device) into the runtime's inbox as the primary service would, bypassing the add-in
    // boundary's checks: what a hostile or very busy network leaves in a history. It is applied
    // (and stored) by the next tick; drain() applies everything posted.
    // time_ms: when it was sent (0: when it is applied).
    void inject(msgr_window *w, const std::string &text,
                msgr_message_direction dir = MSGR_MESSAGE_INCOMING, std::int64_t time_ms = 0) {
        msgr_contact *c = nullptr;
        ASSERT_EQ(msgr_window_contact(w, &c), MSGR_S_OK);
        const char *name = nullptr;
        ASSERT_EQ(msgr_contact_signin_name(c, &name), MSGR_S_OK);
        msgr::core::MessageArrived m = arriving();
        m.from = name;
        m.text = text;
        m.from_me = dir == MSGR_MESSAGE_OUTGOING;
        m.time_unix_ms = time_ms;
        msgr_contact_release(c);
        ASSERT_TRUE(core().inbox().push(std::move(m)));
    }
    // Frames until `done()` holds or `seconds` of wall-clock time pass: what the store's thread
    // does (a search) takes time, not frames, and a loaded machine gives it less of it.
    template <class Done>
    bool frames_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
        return step_until([&] { frame(); }, done, limit, std::chrono::milliseconds(1));
    }

    void drain() {
        for (int i = 0; i < 100000 && msgr_runtime_tick(rt) == MSGR_S_FALSE; ++i) {
        }
    }

    ImGuiContext *ctx_ = nullptr;
    std::unique_ptr<msgr::render::Overlay> overlay;
    std::string activations;
};

}  // namespace msgr::test

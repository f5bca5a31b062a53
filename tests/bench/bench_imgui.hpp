// What the overlay benchmarks share: a backend-less ImGui context of a 1920x1080 display at
// 144 Hz (the atlas built, a dummy texture id), and draining the runtime's inbox.
#pragma once

#include <imgui.h>

#include <cstdint>

#include "msgr/msgr.h"

namespace msgr::bench {

// Applies everything posted to the runtime's inbox.
inline void drain(msgr_runtime *rt) {
    while (msgr_runtime_tick(rt) == MSGR_S_FALSE) {
    }
}

struct Context {
    ImGuiContext *ctx = nullptr;
    Context() {
        ctx = ImGui::CreateContext();
        ImGuiIO &io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(1920, 1080);
        io.DeltaTime = 1.0f / 144.0f;
        unsigned char *pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
        io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(1)));
        io.MousePos = ImVec2(5, 5);
    }
    ~Context() { ImGui::DestroyContext(ctx); }
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;
};

}  // namespace msgr::bench

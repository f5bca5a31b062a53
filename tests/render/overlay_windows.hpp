// Test support for render/: the ImGui windows that draw a runtime window, found in an ImGui
// context by the rectangle the overlay reports. Shared by the fixture without a backend
// (view_fixture.hpp) and the one with a real OpenGL context (text_gl_fixture.hpp).
#pragma once

#include <imgui.h>
#include <imgui_internal.h>

#include <cstring>

#include "msgr/msgr.h"
#include "msgr/render/overlay.hpp"

namespace msgr::test {

// The ImGui window that draws runtime window w; nullptr when it was not drawn.
inline ImGuiWindow *imgui_window_of(ImGuiContext &ctx, const msgr::render::Overlay &overlay,
                                    msgr_window *w) {
    msgr::render::DrawnRect r;
    if (!overlay.window_rect(w, r)) return nullptr;
    for (ImGuiWindow *win : ctx.Windows) {
        if (std::strstr(win->Name, "###msgr-0x") != nullptr && win->Pos.x == r.x &&
            win->Pos.y == r.y && win->Active)
            return win;
    }
    return nullptr;
}

// The child window that draws w's history; nullptr when it was not drawn.
inline ImGuiWindow *history_child_of(ImGuiContext &ctx, const msgr::render::Overlay &overlay,
                                     msgr_window *w) {
    ImGuiWindow *win = imgui_window_of(ctx, overlay, w);
    if (win == nullptr) return nullptr;
    for (ImGuiWindow *c : ctx.Windows) {
        if (c->ParentWindow == win && std::strstr(c->Name, "/history") != nullptr) return c;
    }
    return nullptr;
}

}  // namespace msgr::test

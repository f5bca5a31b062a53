// The add-ins that draw (add-in ABI 1.2): their drawers called with the host's context, each
// call guarded.
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "msgr/addin.h"
#include "msgr/ui.h"
#include "overlay/common.hpp"
#include "overlay/impl.hpp"
#include "words.hpp"

namespace msgr::render {

namespace {

// ---- add-ins that draw (add-in ABI 1.2) ----
//
// Around each drawer call: a snapshot of ImGui's stacks before, a comparison after. What a
// drawer left open is closed here (as ImGui's own ErrorCheckEnd*Recover do), so the host's frame
// goes on, and the drawer fails the check, which disables its add-in.
struct DrawerGuard {
    ImGuiContext *g = nullptr;
    ImGuiWindow *window = nullptr;
    int windows = 0, ids = 0, colours = 0, vars = 0, fonts = 0, groups = 0, item_flags = 0,
        focus_scopes = 0, popups = 0;
    char first[160] = "";  // the first thing ImGui's recovery reported
    const char *addin = "";

    void snapshot(const char *name) {
        g = ImGui::GetCurrentContext();
        addin = name;
        first[0] = '\0';
        if (g == nullptr) return;
        window = g->CurrentWindow;
        windows = g->CurrentWindowStack.Size;
        ids = window != nullptr ? window->IDStack.Size : 0;
        colours = g->ColorStack.Size;
        vars = g->StyleVarStack.Size;
        fonts = g->FontStack.Size;
        groups = g->GroupStack.Size;
        item_flags = g->ItemFlagsStack.Size;
        focus_scopes = g->FocusScopeStack.Size;
        popups = g->BeginPopupStack.Size;
    }

    static void log(void *user, const char *fmt, ...) {  // NOLINT(cert-dcl50-cpp): a C callback
        auto *self = static_cast<DrawerGuard *>(user);
        if (self->first[0] != '\0') return;
        va_list ap;
        va_start(ap, fmt);
        (void)std::vsnprintf(self->first, sizeof self->first, fmt, ap);
        va_end(ap);
    }

    // S_OK when the drawer left everything as it was; otherwise repairs what it can.
    msgr_hresult check(char *why, std::size_t why_size) {
        if (g == nullptr) return MSGR_S_OK;
        if (ImGui::GetCurrentContext() != g) {
            // A drawer changed the host's current context (it may not: it has its own copy of
            // ImGui, whose globals are its own). Put the host's back.
            ImGui::SetCurrentContext(g);
            (void)std::snprintf(why, why_size, "changed the host's current ImGui context");
            return MSGR_E_UNEXPECTED;
        }
        const bool unbalanced =
            g->CurrentWindowStack.Size != windows || g->CurrentWindow != window ||
            (window != nullptr && window->IDStack.Size != ids) || g->ColorStack.Size != colours ||
            g->StyleVarStack.Size != vars || g->FontStack.Size != fonts ||
            g->GroupStack.Size != groups || g->ItemFlagsStack.Size != item_flags ||
            g->FocusScopeStack.Size != focus_scopes || g->BeginPopupStack.Size != popups;
        if (!unbalanced) return MSGR_S_OK;
        const int open_windows = g->CurrentWindowStack.Size - windows;
        // Windows (and popups, child windows) it began and did not end.
        while (g->CurrentWindowStack.Size > windows && g->CurrentWindowStack.Size > 1) {
            ImGui::ErrorCheckEndWindowRecover(&DrawerGuard::log, this);
            ImGuiWindow *w = g->CurrentWindow;
            if (w == nullptr) break;
            if ((w->Flags & ImGuiWindowFlags_Popup) != 0 && g->BeginPopupStack.Size > popups) {
                ImGui::EndPopup();
            } else if ((w->Flags & ImGuiWindowFlags_ChildWindow) != 0) {
                ImGui::EndChild();
            } else {
                ImGui::End();
            }
        }
        // What it pushed outside a window of its own.
        if (g->CurrentWindow == window && window != nullptr) {
            while (window->IDStack.Size > ids && window->IDStack.Size > 1)
                ImGui::PopID();
        }
        while (g->GroupStack.Size > groups)
            ImGui::EndGroup();
        if (g->ColorStack.Size > colours) ImGui::PopStyleColor(g->ColorStack.Size - colours);
        if (g->StyleVarStack.Size > vars) ImGui::PopStyleVar(g->StyleVarStack.Size - vars);
        while (g->FontStack.Size > fonts)
            ImGui::PopFont();
        while (g->ItemFlagsStack.Size > item_flags)
            ImGui::PopItemFlag();
        while (g->FocusScopeStack.Size > focus_scopes)
            ImGui::PopFocusScope();
        if (open_windows > 0) {
            (void)std::snprintf(why, why_size,
                                "left %d ImGui window(s) open (Begin without End): closed by the "
                                "overlay%s%s",
                                open_windows, first[0] != '\0' ? "; " : "", first);
        } else if (open_windows < 0) {
            (void)std::snprintf(why, why_size, "ended %d ImGui window(s) it did not begin",
                                -open_windows);
        } else {
            (void)std::snprintf(why, why_size,
                                "left ImGui's ID, style, font, group or item stack unbalanced "
                                "(a Push without its Pop, or a Pop too many)");
        }
        return MSGR_E_UNEXPECTED;
    }
};

}  // namespace

// The add-ins' drawers, with the host's context, allocator and ImGui version (add-in ABI 1.2).
void Overlay::Impl::draw_addins() {
    int any = 0;
    if (msgr_addin_has_drawers(rt, &any) != MSGR_S_OK || any == 0) return;
    msgr_draw_context dc{};
    dc.struct_size = sizeof dc;
    dc.flags = open ? MSGR_DRAW_OVERLAY_OPEN : 0u;
    dc.imgui_version = IMGUI_VERSION;
    dc.imgui_version_num = IMGUI_VERSION_NUM;
    dc.sizeof_io = sizeof(ImGuiIO);
    dc.sizeof_style = sizeof(ImGuiStyle);
    dc.sizeof_vec2 = sizeof(ImVec2);
    dc.sizeof_vec4 = sizeof(ImVec4);
    dc.sizeof_drawvert = sizeof(ImDrawVert);
    dc.sizeof_drawidx = sizeof(ImDrawIdx);
    dc.imgui_context = ImGui::GetCurrentContext();
    ImGuiMemAllocFunc alloc_fn = nullptr;
    ImGuiMemFreeFunc free_fn = nullptr;
    void *alloc_user = nullptr;
    ImGui::GetAllocatorFunctions(&alloc_fn, &free_fn, &alloc_user);
    dc.alloc_fn = alloc_fn;
    dc.free_fn = free_fn;
    dc.alloc_user_data = alloc_user;
    dc.frame = static_cast<std::uint64_t>(ImGui::GetFrameCount());

    DrawerGuard state;
    msgr_draw_guard guard{};
    guard.struct_size = sizeof guard;
    guard.user = &state;
    guard.before = [](void *user, const char *addin) {
        static_cast<DrawerGuard *>(user)->snapshot(addin);
    };
    guard.after = [](void *user, char *why, std::size_t why_size) {
        return static_cast<DrawerGuard *>(user)->check(why, why_size);
    };
    msgr_addin_draw(rt, &dc, &guard);
}

}  // namespace msgr::render

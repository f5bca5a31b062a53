// Toasts: a message that arrived in a conversation the player is not looking at, a friend
// request.
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

void Overlay::Impl::draw_toasts() {
    const ImGuiIO &io = ImGui::GetIO();
    // Newest first, nearest the corner; each stacks away from it.
    std::array<Toast *, kToasts> order{};
    int n = 0;
    for (Toast &t : toasts) {
        if (!t.live) continue;
        t.age += io.DeltaTime;
        if (t.age > options.toast_seconds) {
            drop_toast(t);
            continue;
        }
        order[static_cast<std::size_t>(n++)] = &t;
    }
    for (int i = 1; i < n; ++i) {  // at most kToasts: an insertion sort, newest first
        for (int j = i; j > 0 && order[static_cast<std::size_t>(j - 1)]->serial <
                                     order[static_cast<std::size_t>(j)]->serial;
             --j)
            std::swap(order[static_cast<std::size_t>(j - 1)], order[static_cast<std::size_t>(j)]);
    }
    const bool left =
        options.toast_corner == Corner::top_left || options.toast_corner == Corner::bottom_left;
    const bool top =
        options.toast_corner == Corner::top_left || options.toast_corner == Corner::top_right;
    const float x = left ? options.toast_inset_x : io.DisplaySize.x - options.toast_inset_x;
    float y = top ? options.toast_inset_y : io.DisplaySize.y - options.toast_inset_y;
    const ImVec2 pivot(left ? 0.0f : 1.0f, top ? 0.0f : 1.0f);
    toast_hovered = false;
    toasts_shown = 0;
    toasts_frame = frame;
    Toast *clicked = nullptr;
    for (int i = 0; i < n; ++i) {
        Toast &t = *order[static_cast<std::size_t>(i)];
        const float fade = std::min(1.0f, (options.toast_seconds - t.age) * 2.0f);
        char name[32];
        (void)std::snprintf(name, sizeof name, "##msgr-toast-%d", i);
        ImGui::SetNextWindowPos(ImVec2(x, y), ImGuiCond_Always, pivot);
        ImGui::SetNextWindowBgAlpha(0.85f * fade);
        // Clickable, but never taking focus or the keyboard from what the player types in.
        const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoNav |
                                       ImGuiWindowFlags_NoFocusOnAppearing |
                                       ImGuiWindowFlags_AlwaysAutoResize |
                                       ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoMove;
        if (ImGui::Begin(name, nullptr, flags)) {
            ImGui::BringWindowToDisplayFront(ImGui::GetCurrentWindow());
            ImGui::PushStyleVar(ImGuiStyleVar_Alpha, fade);
            text_coloured(IM_COL32(255, 255, 255, 255), t.from);
            // More than this one unread in its conversation: how many.
            t.unread = unseen_in(t.w);
            if (t.unread > 1) {
                char badge[32];
                (void)std::snprintf(badge, sizeof badge, "%zu new", t.unread);
                ImGui::SameLine();
                text_coloured(kHighlight, badge);
            }
            ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + 280.0f);
            text_coloured(t.colour, t.text);  // right-to-left text in visual order
            ImGui::PopTextWrapPos();
            ImGui::PopStyleVar();
            const ImVec2 at = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
            // Not in its first frame, hidden while ImGui measures it (not yet where it goes).
            if (!ImGui::GetCurrentWindow()->Hidden) {
                toast_order[static_cast<std::size_t>(toasts_shown)] = &t;
                toast_rects[static_cast<std::size_t>(toasts_shown++)] = {at.x, at.y, size.x,
                                                                         size.y};
            }
            const float step = size.y + 8.0f;
            y += top ? step : -step;
            ++stats.toasts_drawn;
            if (ImGui::IsWindowHovered()) {
                toast_hovered = true;
                if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) clicked = &t;
            }
        }
        ImGui::End();
    }
    if (clicked != nullptr) open_toast(*clicked);
}

// A click on a toast opens its conversation: the overlay, and the window in front with the
// keyboard; a window closed since is opened again (InstantMessage or Page to its contact).
// A friend request's toast opens the overlay with the contact list in front (its Requests).
void Overlay::Impl::open_toast(Toast &t) {
    if (t.request != nullptr) {
        drop_toast(t);
        set_open(true);
        focus_contacts = true;
        return;
    }
    msgr_window *w = t.w;
    msgr_window_add_ref(w);
    drop_toast(t);
    set_open(true);
    if (MSGR_FAILED(msgr_window_show(w))) {
        msgr_contact *c = nullptr;
        msgr_window_kind kind = MSGR_WINDOW_CONVERSATION;
        if (msgr_window_contact(w, &c) == MSGR_S_OK) {
            (void)msgr_window_kind_of(w, &kind);
            const msgr_variant who{MSGR_VT_DISPATCH, nullptr, c};
            const char *name = nullptr;
            if (msgr_contact_signin_name(c, &name) != MSGR_S_OK) name = "";
            msgr_window *again = nullptr;
            if (kind == MSGR_WINDOW_PAGE) {
                report(Action::page, name, msgr_page(rt, who, &again));
            } else {
                report(Action::chat, name, msgr_instant_message(rt, who, &again));
            }
            msgr_window_release(again);  // it stays open: the overlay draws it
            msgr_contact_release(c);
        }
    }
    msgr_window_release(w);
}

}  // namespace msgr::render

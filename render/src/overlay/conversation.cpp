// A conversation or page window: its frame, status line, "Forget", typing line and input. Its
// history is drawn by render/src/history/view.cpp.
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

// The name a window goes by: its contact's friendly name, or a group's contacts' joined
// ("Echo, Shout"), as many as fit in out.
void window_name(msgr_window *w, const msgr_ui_window_info &info, char *out, std::size_t cap) {
    out[0] = '\0';
    std::size_t n = 0;
    if (msgr_window_contacts_count(w, &n) != MSGR_S_OK || n < 2) {
        const char *name = nullptr;
        if (info.contact != nullptr && msgr_contact_friendly_name(info.contact, &name) == MSGR_S_OK)
            text::copy_cstr(out, cap, name);
        return;
    }
    std::size_t used = 0;
    for (std::size_t i = 0; i < n && used + 1 < cap; ++i) {
        msgr_contact *c = nullptr;
        if (msgr_window_contacts_get(w, i, &c) != MSGR_S_OK) continue;
        const char *name = nullptr;
        if (msgr_contact_friendly_name(c, &name) == MSGR_S_OK) {
            const int k = std::snprintf(out + used, cap - used, "%s%s", used > 0 ? ", " : "", name);
            used = k < 0 ? used : std::min(cap - 1, used + static_cast<std::size_t>(k));
        }
        msgr_contact_release(c);
    }
}

// The window's contact's friendly name, as a label (for the lines that name the contact).
void contact_label(const msgr_ui_window_info &info, char *out, std::size_t cap) {
    const char *name = nullptr;
    if (info.contact == nullptr || msgr_contact_friendly_name(info.contact, &name) != MSGR_S_OK)
        name = "";
    copy_label(out, cap, name);
}

}  // namespace

void Overlay::Impl::load_draft(WindowView &v) {
    const char *draft = nullptr;
    if (msgr_window_get_draft(v.w, &draft) != MSGR_S_OK || draft == nullptr) return;
    const std::size_t units = utf16_units(draft);
    const std::string_view shown = text.drawn(draft, draft + std::strlen(draft));
    if (shown == v.input.data()) return;  // our own edit coming back
    // The input may be active: ImGui would write its own copy back over the new draft.
    if (ImGui::GetCurrentContext() != nullptr && ImGui::GetActiveID() != 0 && v.was_focused)
        ImGui::ClearActiveID();
    std::size_t len = shown.size();
    if (len >= v.input.size()) {
        len = v.input.size() - 1;
        while (len > 0 && (static_cast<unsigned char>(shown[len]) & 0xC0) == 0x80)
            --len;
    }
    std::memcpy(v.input.data(), shown.data(), len);
    v.input[len] = '\0';
    v.input_units = len == shown.size() ? units : utf16_units(text.exact(v.input.data()));
}

void Overlay::Impl::draw_window(WindowView &v, const msgr_ui_window_info &info) {
    // Automation's geometry, on the first frame and whenever it was set since.
    if (v.first_frame || info.geometry_serial != v.applied_geometry) {
        ImGui::SetNextWindowPos(ImVec2(static_cast<float>(info.left), static_cast<float>(info.top)),
                                ImGuiCond_Always);
        ImGui::SetNextWindowSize(
            ImVec2(static_cast<float>(info.width), static_cast<float>(info.height)),
            ImGuiCond_Always);
        v.applied_geometry = info.geometry_serial;
    }
    // Show / InstantMessage / Page: to the front, with keyboard focus.
    const bool focus_request = info.focus_serial != v.seen_focus;
    if (focus_request) {
        v.seen_focus = info.focus_serial;
        if (focus_allowed) {
            ImGui::SetNextWindowFocus();
            ImGui::SetNextWindowCollapsed(false);
            v.focus_input = true;
        }
    }
    char name[sizeof v.title_name];
    window_name(v.w, info, name, sizeof name);
    const std::size_t unseen = unseen_of(info);
    if (unseen != v.title_unseen || std::strcmp(name, v.title_name) != 0) {
        char shown[160];
        text.drawn_into(name, shown, sizeof shown);
        make_title(v.title, sizeof v.title, v.kind == MSGR_WINDOW_PAGE ? "Page: " : "", shown,
                   unseen, v.w);
        std::memcpy(v.title_name, name, sizeof name);
        v.title_unseen = unseen;
    }

    bool keep_open = true;
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoFocusOnAppearing |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar |
                                   ImGuiWindowFlags_NoScrollWithMouse;
    const bool visible = ImGui::Begin(v.title, &keep_open, flags);
    v.imgui_window = ImGui::GetCurrentWindow();
    v.first_frame = false;
    ++stats.windows_drawn;

    // What the user did to the window: read back into the runtime.
    const ImVec2 pos = ImGui::GetWindowPos();
    const ImVec2 size = ImGui::GetWindowSize();
    v.rect = {pos.x, pos.y, size.x, size.y};
    {
        const ImGuiStyle &st = ImGui::GetStyle();
        const float fs = ImGui::GetFontSize();
        v.title_rect = {pos.x, pos.y, size.x, ImGui::GetFrameHeight()};
        v.close_rect = {pos.x + size.x - st.FramePadding.x - fs, pos.y, fs + st.FramePadding.x * 2,
                        fs + st.FramePadding.y * 2};
    }
    v.drawn_frame = frame;
    v.drawn_row_count = 0;
    if (!ImGui::IsWindowCollapsed()) {
        const auto l = static_cast<std::int32_t>(std::lround(pos.x));
        const auto t = static_cast<std::int32_t>(std::lround(pos.y));
        const auto wd = static_cast<std::int32_t>(std::lround(size.x));
        const auto ht = static_cast<std::int32_t>(std::lround(size.y));
        if ((l != info.left || t != info.top || wd != info.width || ht != info.height) && wd > 0 &&
            ht > 0) {
            msgr_ui_window_moved(v.w, l, t, wd, ht);
        }
    }
    const bool focused = ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows);
    if (focused && !v.was_focused && v.marker_armed == WindowView::Marker::placed)
        v.marker_armed = WindowView::Marker::on_new;  // the marker moves to what is new
    if (focused && !v.was_focused && !focus_request) msgr_ui_window_activated(v.w);
    // Coming back to a conversation: the user pays attention to it again (not while typing).
    if (focused && !v.was_focused && v.my_state != MSGR_CHAT_STATE_COMPOSING &&
        v.my_state != MSGR_CHAT_STATE_PAUSED) {
        set_chat_state(v, MSGR_CHAT_STATE_ACTIVE);
    }
    v.was_focused = focused;
    if (focused) focused_window = v.w;

    if (visible && !v.occluded) {
        v.content_frame = frame;
        if (v.kind == MSGR_WINDOW_PAGE) {
            const char *signin = nullptr;
            if (msgr_contact_signin_name(info.contact, &signin) != MSGR_S_OK) signin = "";
            char to[200];
            char label[132];
            copy_label(label, sizeof label, signin);
            (void)std::snprintf(to, sizeof to, "To: %s (mobile device)", label);
            text_plain(to);
        } else {
            std::int32_t st = MSGR_STATUS_UNKNOWN;
            if (info.contact != nullptr) msgr_contact_status(info.contact, &st);
            text_coloured(status_colour(st), status_word(st));
        }
        draw_forget(v, info);
        const ImGuiStyle &style = ImGui::GetStyle();
        const float line = ImGui::GetTextLineHeightWithSpacing();
        const float input_h = v.kind == MSGR_WINDOW_PAGE ? line * 3.0f : line * 3.5f;
        // Below the history: the typing line, the input, and the error (and a page's counter).
        const float below =
            input_h + style.ItemSpacing.y + line * (v.kind == MSGR_WINDOW_PAGE ? 3.0f : 2.0f);
        const float history_h = std::max(ImGui::GetContentRegionAvail().y - below, line * 2);
        draw_history(v, info, history_h);
        draw_typing(v, info);
        draw_input(v, info);
    }
    ImGui::End();
    if (!keep_open) {
        set_chat_state(v, MSGR_CHAT_STATE_GONE);  // the user left the conversation
        msgr_window_close(v.w);                   // the user's close: OnIMWindowDestroyed
    }
}

// "typing..." under the history while the contact composes; the line is always there, so the
// history does not jump when it comes and goes.
void Overlay::Impl::draw_typing(WindowView &v, const msgr_ui_window_info &info) {
    v.typing_drawn = has_chat_fields(info) && info.peer_chat_state == MSGR_CHAT_STATE_COMPOSING;
    if (!v.typing_drawn) {
        ImGui::Dummy(ImVec2(1.0f, ImGui::GetTextLineHeight()));
        return;
    }
    ++stats.typing_drawn;
    char label[96];
    contact_label(info, label, sizeof label);
    char line[128];
    (void)std::snprintf(line, sizeof line, "%s is typing...", label);
    text_coloured(kDimText, line);
}

// "Forget" next to the contact's status, with a confirmation: every stored message with the
// contact goes (msgr_history_forget_contact), from this window and from the store.
void Overlay::Impl::draw_forget(WindowView &v, const msgr_ui_window_info &info) {
    ImGui::SameLine();
    const bool asked = ImGui::SmallButton("Forget");
    v.forget_rect = last_item_rect();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Forget this conversation");
    static constexpr const char *kForgetTitle = "Forget this conversation?###forget";
    if (asked) ImGui::OpenPopup(kForgetTitle);  // the same string: the same ID as below
    if (!ImGui::BeginPopupModal(
            kForgetTitle, nullptr,
            ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings))
        return;
    char label[96];
    contact_label(info, label, sizeof label);
    char line[200];
    (void)std::snprintf(line, sizeof line, "Every message with %s is deleted from this device.",
                        label);
    text_plain(line);
    ImGui::TextUnformatted("This cannot be undone.");
    const bool yes = ImGui::Button("Forget", ImVec2(120, 0));
    v.forget_confirm_rect = last_item_rect();
    v.forget_confirm_frame = frame;
    ImGui::SameLine();
    const bool no = ImGui::Button("Cancel", ImVec2(120, 0));
    if (yes) {
        const msgr_hresult hr = msgr_history_forget_contact(info.contact);
        if (MSGR_FAILED(hr)) {
            (void)std::snprintf(v.error, sizeof v.error, "%s", result_words(Action::forget, hr));
        }
    }
    if (yes || no) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void Overlay::Impl::draw_input(WindowView &v, const msgr_ui_window_info &) {
    const ImGuiStyle &style = ImGui::GetStyle();
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const bool page = v.kind == MSGR_WINDOW_PAGE;
    const float input_h = page ? line * 3.0f : line * 3.5f;
    const float send_w = 64.0f;
    if (v.focus_input) {
        ImGui::SetKeyboardFocusHere();
        v.focus_input = false;
        keys.hold();  // ImGui activates it next frame, dropping that frame's text and keys
    }
    const ImGuiInputTextFlags flags =
        ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CtrlEnterForNewLine;
    const bool enter = typed_field(
        "##input", v.input.data(), v.input.size(),
        ImVec2(ImGui::GetContentRegionAvail().x - send_w - style.ItemSpacing.x, input_h), flags,
        true, v.edited);
    v.input_rect = last_item_rect();
    if (v.edited) {
        // The input holds the drawn form; the runtime gets the exact text.
        const char *exact = text.exact(v.input.data());
        v.input_units = utf16_units(exact);
        msgr_window_set_draft(v.w, exact);  // automation can read what is typed
        v.idle_seconds = 0.0f;
        if (!page) {
            set_chat_state(v,
                           v.input[0] != '\0' ? MSGR_CHAT_STATE_COMPOSING : MSGR_CHAT_STATE_ACTIVE);
        }
    } else {
        v.idle_seconds += ImGui::GetIO().DeltaTime;
        if (v.my_state == MSGR_CHAT_STATE_COMPOSING && v.idle_seconds > kPausedAfterSeconds)
            set_chat_state(v, MSGR_CHAT_STATE_PAUSED);
    }
    ImGui::SameLine();
    const bool over = page && (v.page_max == 0 || v.input_units > v.page_max);
    ImGui::BeginDisabled(v.input[0] == '\0' || over);
    const bool clicked = ImGui::Button("Send", ImVec2(send_w, input_h));
    v.send_rect = last_item_rect();
    ImGui::EndDisabled();
    // Only the user sends: Enter in the input or a click on Send, nothing else.
    if ((enter || clicked) && v.input[0] != '\0' && !over) send(v);
    if (enter || clicked) {
        v.focus_input = true;  // Enter let go of the input: take it back
        keys.hold();           // and what is typed meanwhile waits for it
    }
    if (page) {
        char counter[96];
        if (v.page_max == 0) {
            const char *why = result_words(Action::page, v.page_max_hr);
            (void)std::snprintf(counter, sizeof counter, "%zu characters. %s", v.input_units,
                                why != nullptr ? why : "Paging is not available here.");
        } else {
            (void)std::snprintf(counter, sizeof counter, "%zu / %zu characters", v.input_units,
                                v.page_max);
        }
        text_coloured(over ? kErrorText : kDimText, counter);
        // The delivery state of the last page.
        std::size_t count = 0;
        msgr_window_history_count(v.w, &count);
        if (count > 0) {
            msgr_message m{};
            m.struct_size = sizeof m;
            if (msgr_window_history_get(v.w, count - 1, &m) == MSGR_S_OK) {
                char state[512];
                const bool failed = m.delivery == MSGR_DELIVERY_FAILED;
                (void)std::snprintf(
                    state, sizeof state, "Last page: %s%s%s", delivery_word(m.delivery),
                    failed ? " - " : "",
                    failed ? delivery_failure_words(m.delivery_reason, m.delivery_result) : "");
                text_coloured(m.delivery == MSGR_DELIVERY_FAILED ? kErrorText : kDimText, state);
            }
        }
    }
    if (v.error[0] != '\0') text_coloured(kErrorText, v.error);
}

void Overlay::Impl::send(WindowView &v) {
    std::size_t index = 0;
    const msgr_hresult hr = msgr_ui_send(v.w, text.exact(v.input.data()), &index);
    if (MSGR_FAILED(hr)) {
        // Kept in the input so the user can fix it; the reason is shown under it.
        (void)std::snprintf(v.error, sizeof v.error, "Not sent. %s",
                            result_words(Action::send, hr));
        if (hr == MSGR_E_NOTIMPL) v.page_max = 0, v.page_max_hr = hr;
        return;
    }
    v.error[0] = '\0';
    v.input[0] = '\0';
    v.input_units = 0;
    v.stick_to_bottom = true;
    if (v.kind == MSGR_WINDOW_CONVERSATION) set_chat_state(v, MSGR_CHAT_STATE_ACTIVE);
}

}  // namespace msgr::render

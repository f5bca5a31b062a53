// The overlay: the runtime's windows drawn with Dear ImGui into the host's context.
//
// Rules this file keeps (DESIGN.md rules 3 and 6):
//  - text from the network (messages, names) is drawn only with ImGui::TextUnformatted or used
//    as a window title after sanitizing; never as a format string;
//  - msgr_ui_send is called only from the user's own input (the Send button, Enter);
//  - nothing on a steady frame allocates: views, buffers and toasts are allocated when windows
//    open, strings are formatted into fixed buffers.
//
// This file: the Overlay itself (its public calls, the frame, matching views to the runtime's
// windows). Each room is drawn in a file of its own next to it.
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

// ---- status words and colours
// ---------------------------------------------------------------------

const char *status_word(std::int32_t status) noexcept {
    switch (status) {
        case MSGR_STATUS_OFFLINE:
            return "Offline";
        case MSGR_STATUS_ONLINE:
            return "Online";
        case MSGR_STATUS_INVISIBLE:
            return "Appear offline";
        case MSGR_STATUS_BUSY:
            return "Busy";
        case MSGR_STATUS_BE_RIGHT_BACK:
            return "Be right back";
        case MSGR_STATUS_IDLE:
            return "Idle";
        case MSGR_STATUS_AWAY:
            return "Away";
        case MSGR_STATUS_ON_THE_PHONE:
            return "On the phone";
        case MSGR_STATUS_OUT_TO_LUNCH:
            return "Out to lunch";
        case MSGR_STATUS_LOCAL_FINDING_SERVER:
            return "Finding server";
        case MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER:
            return "Connecting";
        case MSGR_STATUS_LOCAL_SYNCHRONIZING_WITH_SERVER:
            return "Synchronizing";
        case MSGR_STATUS_LOCAL_DISCONNECTING_FROM_SERVER:
            return "Disconnecting";
        default:
            return "Unknown";
    }
}

std::uint32_t status_colour(std::int32_t status) noexcept {
    switch (status) {
        case MSGR_STATUS_ONLINE:
            return IM_COL32(80, 200, 90, 255);  // green
        case MSGR_STATUS_BUSY:
        case MSGR_STATUS_ON_THE_PHONE:
            return IM_COL32(230, 70, 60, 255);  // red
        case MSGR_STATUS_BE_RIGHT_BACK:
        case MSGR_STATUS_IDLE:
        case MSGR_STATUS_AWAY:
        case MSGR_STATUS_OUT_TO_LUNCH:
            return IM_COL32(240, 180, 40, 255);  // amber
        case MSGR_STATUS_LOCAL_FINDING_SERVER:
        case MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER:
        case MSGR_STATUS_LOCAL_SYNCHRONIZING_WITH_SERVER:
        case MSGR_STATUS_LOCAL_DISCONNECTING_FROM_SERVER:
            return IM_COL32(100, 160, 255, 255);  // blue: working on it
        case MSGR_STATUS_OFFLINE:
        case MSGR_STATUS_INVISIBLE:
            return IM_COL32(140, 140, 140, 255);  // grey
        default:
            return IM_COL32(100, 100, 100, 255);
    }
}

// The unread count of the conversation with c (0 when no conversation window is open to c).
std::size_t Overlay::Impl::unseen_with(const msgr_contact *c) const {
    for (std::size_t i = 0; i < infos_live; ++i) {
        if (infos[i].contact == c && infos[i].kind == MSGR_WINDOW_CONVERSATION)
            return unseen_of(infos[i]);
    }
    return 0;
}
std::size_t Overlay::Impl::unseen_in(const msgr_window *w) const {
    for (std::size_t i = 0; i < infos_live; ++i) {
        if (infos[i].window == w) return unseen_of(infos[i]);
    }
    return 0;
}

// An input field whose buffer holds the drawn form (stand-ins) and that gets what was typed
// (add_input_text) at its caret, inserted here: ImGui 1.86 drops the Private Use Area
// characters it is given as typed characters. While it has the keyboard, its caret is where the
// IME's candidate window goes and the IME's composition is drawn there. Every field a player
// types words into is one of these (the password field is not: IMEs stay off it). `edited`:
// the text changed this frame.
bool Overlay::Impl::typed_field(const char *id, char *buf, std::size_t size, ImVec2 box,
                                ImGuiInputTextFlags flags, bool multiline, bool &edited) {
    struct Edit {
        bool *edited;
        std::string *typed;
    };
    auto on_edit = [](ImGuiInputTextCallbackData *data) -> int {
        auto *e = static_cast<Edit *>(data->UserData);
        if (data->EventFlag == ImGuiInputTextFlags_CallbackAlways) {
            if (e->typed->empty()) return 0;
            // Typed text replaces the selection, as ImGui's own character input does.
            if (data->HasSelection()) {
                const int lo = std::min(data->SelectionStart, data->SelectionEnd);
                const int hi = std::max(data->SelectionStart, data->SelectionEnd);
                data->DeleteChars(lo, hi - lo);
                data->CursorPos = lo;
            }
            data->InsertChars(data->CursorPos, e->typed->c_str());
            data->SelectionStart = data->SelectionEnd = data->CursorPos;
            e->typed->clear();
        }
        *e->edited = true;
        return 0;
    };
    edited = false;
    Edit edit{&edited, &typed_drawn};
    // InputTextEx takes its ID in this window, also for the multiline field's child.
    const ImGuiID field_id = ImGui::GetID(id);
    flags |= ImGuiInputTextFlags_CallbackEdit | ImGuiInputTextFlags_CallbackAlways;
    const bool r = multiline ? ImGui::InputTextMultiline(id, buf, size, box, flags, on_edit, &edit)
                             : ImGui::InputText(id, buf, size, flags, on_edit, &edit);
    if (typed_drawn.empty()) typed_exact.clear();
    if (edited) text.note(buf);
    if (ImGui::GetActiveID() == field_id) {
        typed_active_id = field_id;
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        draw_caret_and_composition(a, b, multiline);
    }
    return r;
}

// The focused field's caret (where ImGui's InputText placed it this frame, for the IME's
// candidate window) and the IME's composition drawn there, over the field's text, clipped to
// the field [lo, hi].
void Overlay::Impl::draw_caret_and_composition(ImVec2 lo, ImVec2 hi, bool multiline) {
    keys.input_active();
    const ImGuiContext &g = *ImGui::GetCurrentContext();
    const float h = ImGui::GetFontSize();
    const ImVec2 at(g.PlatformImePos.x + 1.0f, g.PlatformImePos.y);  // InputText's -1: undone
    caret = {at.x, at.y, 1.0f, h};
    caret_frame = frame;
    if (!ime.active()) return;
    // InputTextMultiline draws in a child window, the last one begun in this window; a
    // one-line field in this window.
    ImDrawList *dl = ImGui::GetWindowDrawList();
    if (multiline) {
        const ImVector<ImGuiWindow *> &children = ImGui::GetCurrentWindow()->DC.ChildWindows;
        if (children.Size == 0) return;
        dl = children.back()->DrawList;
    }
    ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_FrameBg);
    const ImVec4 win = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
    // FrameBg is translucent over WindowBg: the same colour, opaque.
    bg = ImVec4(win.x + (bg.x - win.x) * bg.w, win.y + (bg.y - win.y) * bg.w,
                win.z + (bg.z - win.z) * bg.w, 1.0f);
    ime.draw(dl, at, ImGui::GetColorU32(ImGuiCol_Text), ImGui::GetColorU32(bg), lo, hi);
}

WindowView *Overlay::Impl::find_view(const msgr_window *w) const {
    for (const auto &v : views) {
        if (v->w == w) return v.get();
    }
    return nullptr;
}

// The status line says, in words, why what the player asked for did not happen (the runtime
// logged the code), and is cleared when it did.
void Overlay::Impl::report(Action action, const char *name, msgr_hresult hr) {
    const char *words = result_words(action, hr);
    if (words == nullptr) {
        status_line[0] = '\0';
        return;
    }
    char label[132];
    copy_label(label, sizeof label, name);
    if (label[0] == '\0') {
        text::copy_cstr(status_line, sizeof status_line, words);
    } else {
        (void)std::snprintf(status_line, sizeof status_line, "%s: %s", label, words);
    }
}

void Overlay::Impl::handle_toggle_key() {
    const ImGuiIO &io = ImGui::GetIO();
    const int key = options.toggle_key < 0 ? ImGuiKey_Tab : options.toggle_key;
    if (key >= ImGuiKey_COUNT) return;
    const int index = ImGui::GetKeyIndex(key);
    if (index < 0 || index >= IM_ARRAYSIZE(io.KeysDown)) return;
    if (ImGui::IsKeyPressed(index, false) && (!options.toggle_with_shift || io.KeyShift)) {
        set_open(!open);
    }
}

void Overlay::Impl::draw() {
    stats = OverlayStats{};
    ++frame;
    if (runtime_gone || ImGui::GetCurrentContext() == nullptr) return;
    hook_current();
    handle_toggle_key();
    hook_clipboard();  // the input holds stand-ins: copy and paste go through the mapping
    drawing_text = &text;
    if (!typed_drawn.empty()) {
        // Text typed into one of our fields was inserted there by typed_field; any other
        // widget gets it through ImGui, as it came.
        const ImGuiID active = ImGui::GetActiveID();
        if (active == 0 || active != typed_active_id) {
            ImGui::GetIO().AddInputCharactersUTF8(typed_exact.c_str());
            typed_drawn.clear();
            typed_exact.clear();
        }
    }
    if (text.generation() != laid_out_generation) {
        // New glyphs, new widths: the histories are measured again, each where it is (the
        // player scrolled up keeps their place: draw_history).
        laid_out_generation = text.generation();
        for (auto &v : views) {
            v->remeasure = true;
            v->title_unseen = ~std::size_t{0};  // its title is made again too
        }
    }

    std::int32_t my_status = MSGR_STATUS_OFFLINE;
    msgr_my_status(rt, &my_status);

    if (open) {
        const ImGuiIO &io = ImGui::GetIO();
        ImGui::GetBackgroundDrawList()->AddRectFilled(ImVec2(0, 0), io.DisplaySize,
                                                      IM_COL32(0, 0, 0, options.dim_alpha));
    }
    // The overlay's windows are opaque: the text of a window behind never shows through (the
    // game behind is dimmed by options.dim_alpha instead).
    ImVec4 background = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
    background.w = 1.0f;
    ImGui::PushStyleColor(ImGuiCol_WindowBg, background);
    sync_windows(my_status);
    draw_signin(my_status);
    if (open && signed_in_status(my_status)) draw_contacts(my_status);
    if (open && signed_in_status(my_status)) draw_search();
    ImGui::PopStyleColor();
    draw_addins();
    draw_toasts();
    drawing_text = nullptr;
}

// Matches the views to the runtime's open windows, opens the overlay for a focus request,
// draws the windows, and forgets the views of windows that closed.
void Overlay::Impl::sync_windows(std::int32_t) {
    std::size_t n = 0;
    if (msgr_ui_window_count(rt, &n) != MSGR_S_OK) n = 0;
    focused_window = nullptr;
    // First the runtime's windows and their views, then the occlusion between them, then the
    // drawing: each window's information is read once per frame.
    if (infos.size() < n) infos.resize(n);
    std::size_t live = 0;
    for (std::size_t z = 0; z < n; ++z) {
        msgr_ui_window_info &info = infos[live];
        info = msgr_ui_window_info{};
        info.struct_size = sizeof info;
        if (msgr_ui_window_get(rt, z, &info) != MSGR_S_OK) continue;
        ++live;
        WindowView *v = find_view(info.window);
        if (v == nullptr) {
            auto fresh = std::make_unique<WindowView>();
            fresh->w = info.window;
            msgr_window_add_ref(info.window);
            fresh->kind = info.kind;
            fresh->input.assign(info.kind == MSGR_WINDOW_PAGE ? kPageInput : kConversationInput,
                                '\0');
            if (info.kind == MSGR_WINDOW_PAGE) {
                fresh->page_max_hr = msgr_ui_max_page_length(rt, &fresh->page_max);
            }
            v = fresh.get();
            views.push_back(std::move(fresh));
        }
        v->seen_frame = frame;
        v->geometry_pending = v->first_frame || info.geometry_serial != v->applied_geometry ||
                              info.focus_serial != v->seen_focus;
    }
    infos_live = live;
    // Windows that closed: their views go (and with them the reference they held).
    std::erase_if(views,
                  [&](const std::unique_ptr<WindowView> &v) { return v->seen_frame != frame; });
    if (open) find_occluded();
    for (std::size_t i = 0; i < live; ++i) {
        const msgr_ui_window_info &info = infos[i];
        WindowView *v = find_view(info.window);
        if (v == nullptr) continue;
        if (info.draft_serial != v->seen_draft) {
            load_draft(*v);
            v->seen_draft = info.draft_serial;
        }
        if (info.focus_serial != v->seen_focus && focus_allowed) set_open(true);
        if (open) draw_window(*v, info);
    }
}

// A window entirely behind another of the overlay's windows (the cascade puts every eighth
// window on the same spot) shows nothing of its content: only its frame is submitted, so that
// ImGui keeps it, and its content is drawn again as soon as any of it can be seen. Decided from
// ImGui's state at the start of the frame (positions after this frame's mouse dragging, the
// display order) and the runtime's pending geometry and focus changes, so it is never stale.
void Overlay::Impl::find_occluded() {
    ImGuiContext *g = ImGui::GetCurrentContext();
    for (auto &v : views) {
        v->display_index = -1;
        v->occluded = false;
    }
    for (int i = 0; i < g->Windows.Size; ++i) {
        const ImGuiWindow *win = g->Windows[i];
        if ((win->Flags & ImGuiWindowFlags_ChildWindow) != 0) continue;
        for (auto &v : views) {
            if (v->imgui_window == win) {
                v->display_index = i;
                break;
            }
        }
    }
    const ImGuiWindow *active =
        g->ActiveIdWindow != nullptr ? g->ActiveIdWindow->RootWindow : nullptr;
    const ImGuiWindow *hovered =
        g->HoveredWindow != nullptr ? g->HoveredWindow->RootWindow : nullptr;
    for (auto &v : views) {
        const ImGuiWindow *mine = v->imgui_window;
        if (mine == nullptr || v->display_index < 0 || v->geometry_pending || v->focus_input ||
            v->was_focused || mine == active || mine == hovered || v->drawn_frame + 1 != frame) {
            continue;
        }
        const ImRect r = mine->Rect();
        for (const auto &o : views) {
            const ImGuiWindow *other = o->imgui_window;
            if (o.get() == v.get() || other == nullptr || o->display_index <= v->display_index ||
                o->geometry_pending || other->Collapsed || o->drawn_frame + 1 != frame) {
                continue;
            }
            if (other->Rect().Contains(r)) {
                v->occluded = true;
                break;
            }
        }
    }
}

// ---- Overlay
// --------------------------------------------------------------------------------------

Overlay::Overlay(msgr_runtime *rt, const OverlayOptions &options)
    : impl_(std::make_unique<Impl>(rt, options)) {
    if (ImGui::GetCurrentContext() != nullptr) IMGUI_CHECKVERSION();
    msgr_subscribe(rt, static_cast<msgr_event_type>(0), &Impl::on_event, impl_.get(),
                   &impl_->subscription);
    impl_->load_requests();  // those that came before this overlay
}

Overlay::~Overlay() {
    if (!impl_->runtime_gone) {
        if (impl_->reported_dialog_visible == 1) msgr_set_signin_dialog_visible(impl_->rt, 0);
        msgr_unsubscribe(impl_->rt, impl_->subscription);
    }
}

void Overlay::draw() {
    impl_->draw();
}
void Overlay::set_open(bool open) {
    impl_->set_open(open);
}
bool Overlay::is_open() const noexcept {
    return impl_->open;
}
void Overlay::add_input_text(const char *utf8) {
    if (utf8 == nullptr || ImGui::GetCurrentContext() == nullptr) return;
    // In drawn form (code points above U+FFFF and real PUA ones as their stand-ins), for the
    // conversation input that has the keyboard in the next draw().
    // Through the key queue, in its place among the keys; its batch reaches typed_drawn.
    impl_->hook_current();
    impl_->keys.text(ImGui::GetIO(), impl_->text.typed(utf8));
}
bool Overlay::update_fonts() {
    if (ImGui::GetCurrentContext() == nullptr) return false;
    impl_->hook_clipboard();
    return impl_->text.update();
}
void Overlay::set_font_scale(float scale) noexcept {
    impl_->set_font_scale(scale);
}
float Overlay::font_scale() const noexcept {
    return impl_->options.font_scale;
}
bool Overlay::fonts_pending() const noexcept {
    return impl_->text.busy();
}
FontStats Overlay::font_stats() const noexcept {
    const text::AtlasStats &a = impl_->text.stats();
    FontStats s;
    s.builds = a.builds;
    s.code_points = a.code_points;
    s.glyphs = a.glyphs;
    s.custom_glyphs = a.custom_glyphs;
    s.without_glyph = a.without_glyph;
    s.stand_ins = impl_->text.stand_ins().size();
    s.texture_width = a.texture_width;
    s.texture_height = a.texture_height;
    s.texture_bytes = a.texture_bytes;
    s.last_build_ms = a.last_build_ms;
    s.font_files = a.font_files;
    s.missing_font_files = a.missing_files;
    return s;
}
void Overlay::add_key_event(int key, bool down) {
    if (ImGui::GetCurrentContext() == nullptr) return;
    // While an IME composes, its keys are its own (Enter confirms the composition, Backspace
    // edits it): a platform that still reports them must not send or edit the draft.
    if (down && impl_->ime.active()) return;
    impl_->hook_current();
    impl_->keys.key(ImGui::GetIO(), key, down);
}
void Overlay::set_modifiers(unsigned mods) {
    if (ImGui::GetCurrentContext() == nullptr) return;
    impl_->hook_current();
    impl_->keys.modifiers(ImGui::GetIO(), mods);
}
void Overlay::set_composition(const char *utf8, int cursor) {
    impl_->ime.set(utf8, cursor);
}
bool Overlay::composing() const noexcept {
    return impl_->ime.active();
}
bool Overlay::caret_rect(DrawnRect &out) const noexcept {
    if (!impl_->open || impl_->caret_frame != impl_->frame) return false;
    out = impl_->caret;
    return true;
}
bool Overlay::wants_text_input() const noexcept {
    if (!impl_->open) return false;
    return impl_->exclusive || impl_->keys.holding() || impl_->caret_frame == impl_->frame ||
           (ImGui::GetCurrentContext() != nullptr && ImGui::GetIO().WantTextInput);
}
void Overlay::set_focus_allowed(bool allowed) {
    impl_->focus_allowed = allowed;
    if (!impl_->runtime_gone) msgr_set_focus_allowed(impl_->rt, allowed ? 1 : 0);
}
void Overlay::set_exclusive_input(bool exclusive) noexcept {
    impl_->exclusive = exclusive;
}
bool Overlay::wants_keyboard() const noexcept {
    if (!impl_->open) return false;
    return impl_->exclusive ||
           (ImGui::GetCurrentContext() != nullptr && ImGui::GetIO().WantCaptureKeyboard);
}
void Overlay::set_toast_position(Corner corner, float inset_x, float inset_y) noexcept {
    impl_->options.toast_corner = corner;
    impl_->options.toast_inset_x = inset_x;
    impl_->options.toast_inset_y = inset_y;
}
bool Overlay::wants_mouse() const noexcept {
    if (!impl_->open) return impl_->toast_hovered && impl_->toasts_frame == impl_->frame;
    return impl_->exclusive ||
           (ImGui::GetCurrentContext() != nullptr && ImGui::GetIO().WantCaptureMouse);
}
void Overlay::set_activated_callback(ActivatedFn fn, void *user) noexcept {
    impl_->activated = fn;
    impl_->activated_user = user;
}
const OverlayStats &Overlay::stats() const noexcept {
    return impl_->stats;
}
std::size_t Overlay::unread_shown(Control control, std::size_t index) const noexcept {
    const Impl &im = *impl_;
    if (control == Control::contact_chat) {
        if (im.contacts_frame != im.frame || index >= im.contact_rects) return 0;
        return im.contact_unread[index];
    }
    if (control == Control::toast) {
        if (im.toasts_frame != im.frame || index >= static_cast<std::size_t>(im.toasts_shown))
            return 0;
        return im.toast_order[index] != nullptr ? im.toast_order[index]->unread : 0;
    }
    return 0;
}
const char *Overlay::status_line() const noexcept {
    return impl_->status_line;
}
std::size_t Overlay::requests_shown() const noexcept {
    return impl_->contacts_frame == impl_->frame ? impl_->requests_drawn : 0;
}
const char *Overlay::request_shown(std::size_t index) const noexcept {
    if (index >= requests_shown() || index >= impl_->requests.size()) return nullptr;
    return impl_->requests[index].name;
}
const char *Overlay::add_friend_status() const noexcept {
    return impl_->add_status;
}
const char *Overlay::my_name_shown() const noexcept {
    return impl_->my_name;
}
bool Overlay::blocked_shown(std::size_t index) const noexcept {
    const Impl &im = *impl_;
    return im.contacts_frame == im.frame && index < im.contact_rects && im.contact_blocked[index];
}
const char *Overlay::activity_shown(std::size_t index) const noexcept {
    const Impl &im = *impl_;
    if (im.contacts_frame != im.frame || index >= im.contact_rects) return nullptr;
    const std::size_t a = im.contact_activity[index];
    if (a == 0 || a > im.activities.size()) return nullptr;
    return im.activities[a - 1].text;
}
const char *Overlay::my_activity_shown() const noexcept {
    return impl_->my_activity;
}
void Overlay::show_search() {
    impl_->set_open(true);
    impl_->show_search();
}
const char *Overlay::search_status() const noexcept {
    return impl_->search_status;
}
std::size_t Overlay::search_hits_shown() const noexcept {
    return impl_->search_rows.size();
}

bool Overlay::drawn_rect(const msgr_window *w, std::size_t index, DrawnRect &out) const noexcept {
    const WindowView *v = impl_->find_view(w);
    if (v == nullptr || v->drawn_frame != impl_->frame) return false;
    for (std::size_t i = 0; i < v->drawn_row_count; ++i) {
        if (v->drawn_rows[i].index == index) {
            out = v->drawn_rows[i].rect;
            return true;
        }
    }
    return false;
}

const char *Overlay::drawn_mark(const msgr_window *w, std::size_t index) const noexcept {
    const WindowView *v = impl_->find_view(w);
    if (v == nullptr || v->drawn_frame != impl_->frame) return nullptr;
    for (std::size_t i = 0; i < v->drawn_row_count; ++i) {
        if (v->drawn_rows[i].index == index && v->drawn_rows[i].mark != nullptr)
            return v->drawn_rows[i].mark;
    }
    return nullptr;
}

const char *Overlay::drawn_title(const msgr_window *w) const noexcept {
    const WindowView *v = impl_->find_view(w);
    return v == nullptr || v->drawn_frame != impl_->frame ? nullptr : v->title;
}

const char *Overlay::drawn_header(const msgr_window *w, std::size_t index) const noexcept {
    const WindowView *v = impl_->find_view(w);
    if (v == nullptr || v->drawn_frame != impl_->frame) return nullptr;
    for (std::size_t i = 0; i < v->drawn_row_count; ++i) {
        if (v->drawn_rows[i].index == index && v->drawn_rows[i].header[0] != '\0')
            return v->drawn_rows[i].header;
    }
    return nullptr;
}

const char *Overlay::drawn_day(const msgr_window *w, std::size_t index) const noexcept {
    const WindowView *v = impl_->find_view(w);
    if (v == nullptr || v->drawn_frame != impl_->frame) return nullptr;
    for (std::size_t i = 0; i < v->drawn_row_count; ++i) {
        if (v->drawn_rows[i].index == index && v->drawn_rows[i].day[0] != '\0')
            return v->drawn_rows[i].day;
    }
    return nullptr;
}

bool Overlay::new_marker_shown(const msgr_window *w, std::size_t &index) const noexcept {
    const WindowView *v = impl_->find_view(w);
    if (v == nullptr || v->drawn_frame != impl_->frame) return false;
    for (std::size_t i = 0; i < v->drawn_row_count; ++i) {
        if (v->drawn_rows[i].marker) {
            index = v->drawn_rows[i].index;
            return true;
        }
    }
    return false;
}

bool Overlay::typing_shown(const msgr_window *w) const noexcept {
    const WindowView *v = impl_->find_view(w);
    return v != nullptr && v->content_frame == impl_->frame && v->typing_drawn;
}

bool Overlay::window_rect(const msgr_window *w, DrawnRect &out) const noexcept {
    const WindowView *v = impl_->find_view(w);
    if (v == nullptr || v->drawn_frame != impl_->frame) return false;
    out = v->rect;
    return true;
}

bool Overlay::control_rect(Control control, const msgr_window *w, std::size_t index,
                           DrawnRect &out) const noexcept {
    const Impl &im = *impl_;
    switch (control) {
        case Control::signin:
        case Control::signin_name:
            if (im.signin_frame != im.frame) return false;
            out = control == Control::signin ? im.signin_rect : im.signin_name_rect;
            return true;
        case Control::chat_with:
        case Control::add_friend:
        case Control::add_friend_button:
            if (im.contacts_frame != im.frame) return false;
            out = control == Control::chat_with    ? im.chat_with_rect
                  : control == Control::add_friend ? im.add_field_rect
                                                   : im.add_button_rect;
            return true;
        case Control::rename:
        case Control::rename_field:
            if (im.contacts_frame != im.frame || im.renaming != (control == Control::rename_field))
                return false;
            out = control == Control::rename ? im.rename_rect : im.rename_field_rect;
            return true;
        case Control::request_accept:
        case Control::request_decline:
        case Control::request_block: {
            if (im.contacts_frame != im.frame || index >= im.requests_drawn ||
                index >= im.requests.size())
                return false;
            const FriendRequest &r = im.requests[index];
            out = control == Control::request_accept    ? r.accept_rect
                  : control == Control::request_decline ? r.decline_rect
                                                        : r.block_rect;
            return true;
        }
        case Control::contact_row:
            if (im.contacts_frame != im.frame || index >= im.contact_rects) return false;
            out = im.row_rects[index];
            return true;
        case Control::contact_block:
        case Control::contact_remove:
            if (im.menu_frame != im.frame) return false;
            out = control == Control::contact_block ? im.menu_block_rect : im.menu_remove_rect;
            return true;
        case Control::contact_chat:
        case Control::contact_page:
            if (im.contacts_frame != im.frame || index >= im.contact_rects) return false;
            out = control == Control::contact_chat ? im.chat_rects[index] : im.page_rects[index];
            return out.w > 0;  // no Page button for a contact that cannot be paged
        case Control::search_query:
        case Control::search_button:
            if (im.search_frame != im.frame || !im.search_visible) return false;
            out = control == Control::search_query ? im.search_query_rect : im.search_button_rect;
            return true;
        case Control::search_hit:
            if (im.search_frame != im.frame || index >= im.search_rows.size()) return false;
            out = im.search_rows[index].rect;
            return true;
        case Control::toast:
            if (im.toasts_frame != im.frame || index >= static_cast<std::size_t>(im.toasts_shown))
                return false;
            out = im.toast_rects[index];
            return true;
        default:
            break;
    }
    const WindowView *v = im.find_view(w);
    if (v == nullptr || v->drawn_frame != im.frame) return false;
    switch (control) {
        case Control::input:
            if (v->content_frame != im.frame) return false;  // hidden behind another window
            out = v->input_rect;
            break;
        case Control::send:
            if (v->content_frame != im.frame) return false;
            out = v->send_rect;
            break;
        case Control::title_bar:
            out = v->title_rect;
            break;
        case Control::forget:
            if (v->content_frame != im.frame) return false;
            out = v->forget_rect;
            break;
        case Control::forget_confirm:
            if (v->forget_confirm_frame != im.frame) return false;
            out = v->forget_confirm_rect;
            break;
        default:
            out = v->close_rect;
            break;
    }
    return true;
}

}  // namespace msgr::render

// The overlay's state: what is kept for each drawn window (WindowView), the toasts, and
// Overlay::Impl, whose drawing is spread over the rooms of render/src/overlay/ and history/.
#pragma once

#include <imgui.h>
#include <imgui_internal.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "history/selection.hpp"
#include "history_layout.hpp"
#include "input/composition.hpp"
#include "input/key_queue.hpp"
#include "msgr/render/overlay.hpp"
#include "msgr/ui.h"
#include "overlay/common.hpp"
#include "text/text.hpp"
#include "words.hpp"

namespace msgr::render {

// ---- the state kept for each drawn window
// -----------------------------------------------------------

struct WindowView {
    msgr_window *w = nullptr;  // one reference, held while the view lives
    msgr_window_kind kind = MSGR_WINDOW_CONVERSATION;
    std::uint64_t seen_frame = 0;
    bool first_frame = true;
    std::uint64_t applied_geometry = 0;
    std::uint64_t seen_focus = 0;
    std::uint64_t seen_draft = ~std::uint64_t{0};
    bool focus_input = false;
    bool was_focused = false;
    bool stick_to_bottom = true;
    bool edited = false;

    HistoryLayout layout;
    bool remeasure = false;  // the atlas changed: the layout is measured again when next drawn
    std::vector<char> input;
    std::size_t page_max = 0;  // UTF-16 units; 0 when unknown (no paging add-in)
    msgr_hresult page_max_hr = MSGR_S_OK;
    std::size_t input_units = 0;
    char error[320] = "";
    char title[200] = "";
    // What the title was made of (the window's name as the runtime gave it, its unseen count):
    // the title is made again only when one of them changes, or the atlas (remeasure).
    char title_name[160] = "";
    std::size_t title_unseen = ~std::size_t{0};

    DrawnRect rect, input_rect, send_rect, title_rect, close_rect;
    std::uint64_t drawn_frame = 0;
    std::uint64_t content_frame = 0;  // the last frame its content (history, input) was drawn
    // The ImGui window that draws it (ImGui keeps windows for the context's life), its place in
    // ImGui's display order at the start of this frame (-1: unknown), and whether another of
    // the overlay's windows hides it entirely: then only its frame is submitted.
    ImGuiWindow *imgui_window = nullptr;
    int display_index = -1;
    bool occluded = false;
    bool geometry_pending = false;
    struct DrawnRow {
        std::size_t index = 0;
        DrawnRect rect;
        const char *mark = nullptr;  // the delivery mark drawn with it; nullptr for incoming
        char header[112] = "";       // "Name  14:03" drawn above it; "" when none
        char day[48] = "";           // the day separator drawn above it; "" when none
        bool marker = false;         // the "new messages" marker drawn above it
    };
    std::array<DrawnRow, kMaxDrawnRows> drawn_rows{};
    std::size_t drawn_row_count = 0;

    // Long histories: a scroll request (a search hit) applied, the entry still to scroll to,
    // whether older messages were asked of the service and whether it has no more.
    std::uint64_t seen_scroll = 0;
    std::size_t scroll_to = kNone;
    bool fetching = false;
    bool archive_done = false;
    // The text selected in the history, and the "new messages" marker: above the first entry the
    // player had not seen when the window was opened or focused (kNone: none). Armed, it is
    // placed on the next frame the history is drawn: on a focus, only when something is new
    // (a click into the window to select text keeps it); when the window or the overlay opens,
    // it also goes when nothing is new.
    enum class Marker { placed, on_new, anew };
    history::Selection selection;
    std::size_t marker = kNone;
    Marker marker_armed = Marker::anew;
    // The last entry reported seen (msgr_ui_history_seen); kNone: none yet.
    std::size_t seen_upto = kNone;
    // The user's own chat state as last told to the runtime, and how long the input is idle.
    msgr_chat_state my_state = MSGR_CHAT_STATE_NONE;
    float idle_seconds = 0.0f;
    bool typing_drawn = false;
    DrawnRect forget_rect, forget_confirm_rect;
    std::uint64_t forget_confirm_frame = 0;

    WindowView() = default;
    WindowView(const WindowView &) = delete;
    WindowView &operator=(const WindowView &) = delete;
    ~WindowView() { msgr_window_release(w); }
};

// One reference to a contact, given back when it goes.
class HeldContact {
  public:
    HeldContact() = default;
    explicit HeldContact(msgr_contact *c) : c_(c) { msgr_contact_add_ref(c_); }
    HeldContact(HeldContact &&o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    HeldContact &operator=(HeldContact &&o) noexcept {
        if (this != &o) {
            msgr_contact_release(c_);
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    HeldContact(const HeldContact &) = delete;
    HeldContact &operator=(const HeldContact &) = delete;
    ~HeldContact() { msgr_contact_release(c_); }
    msgr_contact *get() const noexcept { return c_; }
    void reset() noexcept { msgr_contact_release(std::exchange(c_, nullptr)); }

  private:
    msgr_contact *c_ = nullptr;
};

// A contact's request to add the player (MSGR_EVENT_AUTHORIZATION_REQUEST), waiting for Accept
// or Decline; its words made when it arrives (or the contact's name changes).
struct FriendRequest {
    HeldContact contact;
    char name[132] = "";     // the contact's friendly name
    char address[132] = "";  // its sign-in name, when the name is not the same ("" otherwise)
    DrawnRect accept_rect, decline_rect, block_rect;
};

// A contact's activity as the contact list shows it (rich presence): made when the contact is
// first drawn and again after its MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, never on a steady frame.
struct ActivityLabel {
    HeldContact contact;
    char text[4 * MSGR_MAX_ACTIVITY_UTF16 + 4] = "";
    bool stale = true;
};

struct Toast {
    bool live = false;
    float age = 0.0f;
    std::uint64_t serial = 0;  // newer toasts have higher ones
    std::size_t unread = 0;    // its conversation's unread count, as the last frame showed it
    msgr_window *w = nullptr;  // one reference while live (nullptr for a friend request)
    msgr_contact *request = nullptr;  // a friend request's contact: one reference while live
    char from[96] = "";
    char text[160] = "";
    ImU32 colour = kIncomingText;
};

struct Overlay::Impl {
    msgr_runtime *rt;
    OverlayOptions options;
    bool runtime_gone = false;
    bool open = false;
    bool focus_allowed = true;
    bool exclusive = false;
    ActivatedFn activated = nullptr;
    void *activated_user = nullptr;
    msgr_subscription subscription = 0;

    std::uint64_t frame = 0;
    std::vector<std::unique_ptr<WindowView>> views;
    std::vector<msgr_ui_window_info> infos;  // this frame's windows; grows only as windows open
    std::size_t infos_live = 0;              // how many of infos are this frame's
    msgr_window *focused_window = nullptr;   // identity only
    OverlayStats stats;

    // sign-in dialog
    char signin_name[132] = "";
    char password[128] = "";
    int reported_dialog_visible = -1;
    msgr_hresult last_signin_hr = MSGR_S_OK;
    bool signin_focus = true;

    // contact list
    char im_name[132] = "echo@loopback";
    char status_line[512] = "";
    bool focus_contacts = false;  // a request's toast was clicked: the list comes to the front

    // the player's own name (made again only after a change: my_name_stale) and its editing
    char my_name[400] = "";    // msgr_my_friendly_name
    char my_signin[132] = "";  // the sign-in name, when it is not the same ("" otherwise)
    bool my_name_stale = true;
    bool renaming = false;
    bool rename_focus = false;
    char rename_buf[4 * MSGR_MAX_FRIENDLY_NAME_UTF16 + 4] = "";  // drawn form
    DrawnRect rename_rect, rename_field_rect;

    // the player's own activity (made again only after a change) and the contacts' (one label
    // per contact drawn, held until sign-out)
    char my_activity[4 * MSGR_MAX_ACTIVITY_UTF16 + 4] = "";
    bool my_activity_stale = true;
    std::vector<ActivityLabel> activities;

    // friend requests, oldest first (made when one arrives, never on a steady frame)
    std::vector<FriendRequest> requests;
    std::size_t requests_drawn = 0;

    // Add a friend: the field (drawn form), what the last try came to, and the contacts asked
    // whose answer (MSGR_EVENT_CONTACT_LIST_ADD) the line waits for.
    char add_name[132] = "";
    char add_status[320] = "";
    bool add_failed = false;
    std::vector<HeldContact> adds_asked;
    DrawnRect add_field_rect, add_button_rect;

    // a contact row's context menu (right-click): the contact it is for, where its items were
    HeldContact menu_contact;
    bool open_menu = false;
    DrawnRect menu_block_rect, menu_remove_rect;
    std::uint64_t menu_frame = 0;

    std::array<Toast, kToasts> toasts{};
    std::uint64_t toast_serial = 0;
    // The toasts drawn in the last frame, newest first (control_rect(toast)), and whether the
    // mouse was over one.
    std::array<DrawnRect, kToasts> toast_rects{};
    std::array<const Toast *, kToasts> toast_order{};
    int toasts_shown = 0;
    std::uint64_t toasts_frame = 0;
    bool toast_hovered = false;

    // the search window
    struct SearchRow {
        char who[96] = "";
        // the snippet with its control characters made spaces, except STX / ETX (the match)
        char snippet[256] = "";
        DrawnRect rect;
    };
    bool search_visible = false;
    bool search_focus = false;
    char search_query[256] = "";  // drawn form (stand-ins)
    std::uint64_t search_id = 0;  // the runtime's search whose results are shown (0: none)
    bool search_running = false;
    std::vector<SearchRow> search_rows;  // sized when a search finishes
    char search_status[320] = "";
    DrawnRect search_query_rect, search_button_rect;
    std::uint64_t search_frame = 0;

    // where controls were drawn (control_rect)
    static constexpr std::size_t kContactRects = 16;
    DrawnRect signin_rect, signin_name_rect;
    std::uint64_t signin_frame = 0;
    std::array<DrawnRect, kContactRects> chat_rects{}, page_rects{};
    std::array<std::size_t, kContactRects> contact_unread{};    // what the list showed
    std::array<DrawnRect, kContactRects> row_rects{};           // a right-click opens the menu
    std::array<bool, kContactRects> contact_blocked{};          // "(blocked)" shown
    std::array<std::size_t, kContactRects> contact_activity{};  // activities index + 1; 0: none
    std::size_t contact_rects = 0;
    std::uint64_t contacts_frame = 0;
    DrawnRect chat_with_rect;

    // The keyboard's events, applied at each NewFrame by a hook on the host's context
    // (input/key_queue.hpp); the IME's composition; the focused input's caret.
    input::KeyQueue keys;
    input::Composition ime;
    DrawnRect caret;
    std::uint64_t caret_frame = 0;
    ImGuiContext *hooked = nullptr;  // the context whose NewFrame applies the keys
    ImGuiID new_frame_hook = 0, shutdown_hook = 0;

    // Fonts, the font atlas and the stand-ins (render/src/text/).
    text::Text text;
    std::size_t laid_out_generation = 0;  // the atlas the history layouts were measured with
    // What add_input_text got since the last frame, in drawn form and as it came. ImGui's
    // InputText drops Private Use Area characters it is given as typed characters (1.86's
    // InputTextFilterCharacter), so a conversation's input inserts it itself (InsertChars in
    // its callback); any other field gets the text through ImGui as it came.
    std::string typed_drawn, typed_exact;
    ImGuiID typed_active_id = 0;  // the last typed_field seen with the keyboard

    // Overlay::set_font_scale: the atlas clamps the size; the scale is what it allows.
    void set_font_scale(float scale) noexcept {
        if (!(scale > 0.0f)) return;  // also NaN
        text.set_pixel_size(options.font_size * scale);
        options.font_scale = text.pixel_size() / options.font_size;
    }

    static std::vector<std::string> font_files_of(const OverlayOptions &o) {
        std::vector<std::string> files;
        for (std::size_t i = 0; o.font_files != nullptr && i < o.font_file_count; ++i) {
            if (o.font_files[i] != nullptr) files.emplace_back(o.font_files[i]);
        }
        return files;
    }

    Impl(msgr_runtime *r, const OverlayOptions &o)
        : rt(r),
          options(o),
          open(o.start_open),
          text(font_files_of(o), o.font_size, o.font_build_thread) {
        options.font_size = text.pixel_size();  // clamped
        options.font_scale = 1.0f;
        set_font_scale(o.font_scale);
        // The field holds the drawn form (stand-ins for what 16-bit ImWchar cannot carry).
        if (o.default_signin_name != nullptr)
            (void)text.drawn_into(o.default_signin_name, signin_name, sizeof signin_name);
        keys.set_text_sink(&Impl::typed_from_queue, this);
        hook_current();
    }

    ~Impl() {
        for (auto &t : toasts)
            drop_toast(t);
        release_search();
        unhook();
        unhook_clipboard();
    }

    // ---- the keyboard queue's hook on the host's context ----

    // A batch of typed text from the key queue (drawn form): for the focused input's callback,
    // or for ImGui when none of the overlay's inputs has the keyboard (see draw()).
    static void typed_from_queue(void *user, const ImWchar *begin, const ImWchar *end) {
        auto *self = static_cast<Impl *>(user);
        char utf8[5];
        for (const ImWchar *c = begin; c < end; ++c)
            self->typed_drawn.append(ImTextCharToUtf8(utf8, static_cast<unsigned int>(*c)));
        self->typed_exact.assign(self->text.exact(self->typed_drawn.c_str()));
    }

    void hook_current() {
        ImGuiContext *ctx = ImGui::GetCurrentContext();
        if (ctx == hooked || ctx == nullptr) return;
        unhook();
        ImGuiContextHook h;
        h.Type = ImGuiContextHookType_NewFramePre;
        h.Callback = [](ImGuiContext *c, ImGuiContextHook *self) {
            static_cast<Impl *>(self->UserData)->keys.apply(c->IO);
        };
        h.UserData = this;
        new_frame_hook = ImGui::AddContextHook(ctx, &h);
        h.Type = ImGuiContextHookType_Shutdown;  // the host destroys its context first
        h.Callback = [](ImGuiContext *, ImGuiContextHook *self) {
            static_cast<Impl *>(self->UserData)->hooked = nullptr;
        };
        shutdown_hook = ImGui::AddContextHook(ctx, &h);
        hooked = ctx;
    }

    void unhook() {
        if (hooked == nullptr) return;
        ImGui::RemoveContextHook(hooked, new_frame_hook);
        ImGui::RemoveContextHook(hooked, shutdown_hook);
        hooked = nullptr;
    }

    // The clipboard is a boundary too: ImGui copies its buffer (the drawn form) out and pastes
    // what it gets in. The host's clipboard functions are wrapped so that what is copied is the
    // exact text and what is pasted comes in with stand-ins.
    void (*host_set_clipboard)(void *, const char *) = nullptr;
    const char *(*host_get_clipboard)(void *) = nullptr;
    void *host_clipboard_user = nullptr;
    ImGuiContext *clipboard_context = nullptr;

    static void set_clipboard(void *user, const char *t) {
        auto *self = static_cast<Impl *>(user);
        if (self->host_set_clipboard != nullptr && t != nullptr)
            self->host_set_clipboard(self->host_clipboard_user, self->text.exact(t));
    }
    static const char *get_clipboard(void *user) {
        auto *self = static_cast<Impl *>(user);
        const char *t = self->host_get_clipboard != nullptr
                            ? self->host_get_clipboard(self->host_clipboard_user)
                            : nullptr;
        if (t == nullptr) return nullptr;
        return self->text.typed(t);
    }
    void hook_clipboard() {
        ImGuiIO &io = ImGui::GetIO();
        if (io.SetClipboardTextFn == &Impl::set_clipboard) return;
        host_set_clipboard = io.SetClipboardTextFn;
        host_get_clipboard = io.GetClipboardTextFn;
        host_clipboard_user = io.ClipboardUserData;
        io.SetClipboardTextFn = &Impl::set_clipboard;
        io.GetClipboardTextFn = &Impl::get_clipboard;
        io.ClipboardUserData = this;
        clipboard_context = ImGui::GetCurrentContext();
    }
    void unhook_clipboard() {
        if (clipboard_context == nullptr || ImGui::GetCurrentContext() != clipboard_context) return;
        ImGuiIO &io = ImGui::GetIO();
        if (io.ClipboardUserData != this) return;
        io.SetClipboardTextFn = host_set_clipboard;
        io.GetClipboardTextFn = host_get_clipboard;
        io.ClipboardUserData = host_clipboard_user;
    }

    void set_open(bool value) {
        if (value == open) return;
        open = value;
        // Opening the overlay: each window's "new messages" marker goes above what is new now.
        if (open) {
            for (auto &v : views)
                v->marker_armed = WindowView::Marker::anew;
        }
        // Closing the overlay: the user no longer pays attention to their conversations.
        if (!open && !runtime_gone) {
            for (auto &v : views) {
                if (v->my_state != MSGR_CHAT_STATE_NONE && v->my_state != MSGR_CHAT_STATE_GONE)
                    set_chat_state(*v, MSGR_CHAT_STATE_INACTIVE);
            }
        }
        if (activated != nullptr) activated(open, activated_user);
    }

    // Tells the runtime the user's chat state in a window when it changed.
    static void set_chat_state(WindowView &v, msgr_chat_state state) {
        if (v.my_state == state) return;
        v.my_state = state;
        (void)msgr_ui_set_chat_state(v.w, state);
    }

    void show_search() {
        search_visible = true;
        search_focus = true;
    }

    void release_search() {
        if (search_id != 0 && !runtime_gone) (void)msgr_search_release(rt, search_id);
        search_id = 0;
        search_running = false;
        search_rows.clear();
    }

    // ---- events (raised from msgr_runtime_tick, before the frame) ----

    static void on_event(const msgr_event *ev, void *user) {
        static_cast<Impl *>(user)->event(*ev);
    }

    void event(const msgr_event &ev) {
        switch (ev.type) {
            case MSGR_EVENT_APP_SHUTDOWN:
                contact_list_event(ev);  // the contacts it holds go while the runtime is there
                runtime_gone = true;
                break;
            case MSGR_EVENT_SIGNIN:
                last_signin_hr = ev.hr;
                my_name_stale = true;
                my_activity_stale = true;
                break;
            case MSGR_EVENT_AUTHORIZATION_REQUEST:
            case MSGR_EVENT_CONTACT_BLOCK_CHANGE:
            case MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE:
            case MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE:
            case MSGR_EVENT_CONTACT_ACTIVITY_CHANGE:
            case MSGR_EVENT_MY_ACTIVITY_CHANGE:
            case MSGR_EVENT_CONTACT_LIST_ADD:
                contact_list_event(ev);
                break;
            case MSGR_EVENT_SIGNOUT:
                contact_list_event(ev);
                search_id = 0;  // the runtime gave every search back
                search_running = false;
                search_rows.clear();
                search_status[0] = '\0';
                break;
            case MSGR_EVENT_SEARCH_DONE:
                if (ev.index == search_id && search_id != 0) search_done(ev.hr);
                break;
            case MSGR_EVENT_HISTORY_PREPENDED: {
                WindowView *v = find_view(ev.window);
                if (v == nullptr) break;
                // Older entries came in front: what is laid out moved down by that many.
                v->layout.shift(ev.index);
                if (v->seen_upto != kNone) v->seen_upto += ev.index;
                v->fetching = false;
                if (ev.hr != MSGR_S_OK) v->archive_done = true;  // its start, or it failed
                break;
            }
            case MSGR_EVENT_MESSAGE_RECEIVED:
                if (open && ev.window == focused_window) break;  // the user is looking at it
                add_toast(ev.window, ev.contact, ev.text, kIncomingText, "");
                break;
            case MSGR_EVENT_DELIVERY_CHANGE: {
                msgr_window_kind kind{};
                if (ev.window == nullptr || msgr_window_kind_of(ev.window, &kind) != MSGR_S_OK ||
                    kind != MSGR_WINDOW_PAGE) {
                    break;
                }
                msgr_message m{};
                m.struct_size = sizeof m;
                if (msgr_window_history_get(ev.window, ev.index, &m) != MSGR_S_OK) break;
                char line[256];
                (void)std::snprintf(
                    line, sizeof line, "page %s%s%s", delivery_word(m.delivery),
                    MSGR_FAILED(ev.hr) ? ": " : "",
                    MSGR_FAILED(ev.hr) ? delivery_failure_words(m.delivery_reason, ev.hr) : "");
                add_toast(ev.window, ev.contact, line,
                          m.delivery == MSGR_DELIVERY_FAILED ? kFailedText : kOutgoingText,
                          "Page to ");
                break;
            }
            default:
                break;
        }
    }

    // The oldest slot makes room for the newest.
    Toast &free_toast() {
        Toast *slot = &toasts[0];
        for (auto &t : toasts) {
            if (!t.live) {
                slot = &t;
                break;
            }
            if (t.age > slot->age) slot = &t;
        }
        drop_toast(*slot);
        return *slot;
    }

    void add_toast(msgr_window *w, msgr_contact *c, const char *text, ImU32 colour,
                   const char *prefix) {
        Toast *slot = &free_toast();
        const char *name = nullptr;
        if (c == nullptr || msgr_contact_friendly_name(c, &name) != MSGR_S_OK) name = "";
        char label[80];
        copy_label(label, sizeof label, name);
        (void)std::snprintf(slot->from, sizeof slot->from, "%s%s", prefix, label);
        copy_label(slot->text, sizeof slot->text, text);
        slot->colour = colour;
        slot->age = 0.0f;
        slot->serial = ++toast_serial;
        slot->live = true;
        slot->w = w;
        msgr_window_add_ref(w);
    }

    static void drop_toast(Toast &t) {
        if (t.live) {
            msgr_window_release(t.w);
            msgr_contact_release(t.request);
        }
        t.live = false;
        t.w = nullptr;
        t.request = nullptr;
    }

    // ---- the frame ----

    void draw();
    bool typed_field(const char *id, char *buf, std::size_t size, ImVec2 box,
                     ImGuiInputTextFlags flags, bool multiline, bool &edited);
    void handle_toggle_key();
    void sync_windows(std::int32_t my_status);
    void find_occluded();
    void draw_window(WindowView &v, const msgr_ui_window_info &info);
    void draw_history(WindowView &v, const msgr_ui_window_info &info, float height);
    void copy_selection(const WindowView &v);
    void draw_input(WindowView &v, const msgr_ui_window_info &info);
    void draw_caret_and_composition(ImVec2 lo, ImVec2 hi, bool multiline);
    void send(WindowView &v);
    void load_draft(WindowView &v);
    void draw_typing(WindowView &v, const msgr_ui_window_info &info);
    void draw_forget(WindowView &v, const msgr_ui_window_info &info);
    void draw_signin(std::int32_t my_status);
    void draw_contacts(std::int32_t my_status);
    void draw_contact_row(std::size_t i, msgr_contact *c);
    // The label of c's activity (made when stale; first looked for at hint); its index in
    // activities.
    std::size_t activity_label(std::size_t hint, msgr_contact *c);
    void draw_my_activity();
    void draw_contact_menu();
    // the contact list's own rooms (requests.cpp)
    void contact_list_event(const msgr_event &ev);
    void request_arrived(msgr_contact *c);
    void load_requests();
    void drop_request(const msgr_contact *c);
    void add_answered(msgr_contact *c, msgr_hresult hr);
    void draw_me();
    void draw_requests();
    void draw_add_friend();
    void add_friend();
    void draw_search();
    void start_search();
    void search_done(msgr_hresult hr);
    void draw_toasts();
    void open_toast(Toast &t);
    void draw_addins();
    void report(Action action, const char *name, msgr_hresult hr);
    std::size_t unseen_with(const msgr_contact *c) const;
    std::size_t unseen_in(const msgr_window *w) const;
    WindowView *find_view(const msgr_window *w) const;
};

}  // namespace msgr::render

// The overlay: the runtime's windows drawn with Dear ImGui into the host's context.
//
// Rules this file keeps (DESIGN.md rules 3 and 6):
//  - text from the network (messages, names) is drawn only with ImGui::TextUnformatted or used
//    as a window title after sanitizing; never as a format string;
//  - msgr_ui_send is called only from the user's own input (the Send button, Enter);
//  - nothing on a steady frame allocates: views, buffers and toasts are allocated when windows
//    open, strings are formatted into fixed buffers.
#include "msgr/render/overlay.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "history_layout.hpp"
#include "input/composition.hpp"
#include "input/key_queue.hpp"
#include "msgr/addin.h"
#include "msgr/ui.h"
#include "text/text.hpp"
#include "words.hpp"

namespace msgr::render {

namespace {

constexpr float kGutter = 8.0f;                            // the coloured bar left of each message
constexpr std::size_t kConversationInput = 64 * 1024 + 1;  // the loopback service's limit + NUL
constexpr std::size_t kPageInput = 4096;
constexpr std::size_t kMaxDrawnRows = 128;  // rows whose rectangles are kept for drawn_rect()
constexpr int kToasts = 4;
constexpr std::size_t kExtendBy = 256;  // messages laid out above when the user reaches the top
constexpr float kPausedAfterSeconds = 5.0f;  // COMPOSING turns PAUSED after this long idle
constexpr std::size_t kSearchHits = 50;      // what the search window asks for and shows
constexpr std::size_t kNone = HistoryLayout::npos;

constexpr ImU32 kIncomingText = IM_COL32(150, 205, 255, 255);
constexpr ImU32 kOutgoingText = IM_COL32(235, 235, 235, 255);
constexpr ImU32 kFailedText = IM_COL32(255, 140, 140, 255);
constexpr ImU32 kIncomingBar = IM_COL32(90, 160, 255, 255);
// An incoming page (MSGR_MESSAGE_PAGE) in a conversation: amber, so it stands out from chat.
constexpr ImU32 kPageText = IM_COL32(255, 205, 120, 255);
constexpr ImU32 kPageBar = IM_COL32(240, 170, 40, 255);
constexpr ImU32 kSentBar = IM_COL32(110, 200, 110, 255);
constexpr ImU32 kReadBar = IM_COL32(90, 160, 255, 255);
constexpr ImU32 kPendingBar = IM_COL32(150, 150, 150, 255);
constexpr ImU32 kHighlight = IM_COL32(255, 225, 90, 255);  // a search's matched words
constexpr ImU32 kFailedBar = IM_COL32(230, 80, 80, 255);
constexpr ImU32 kErrorText = IM_COL32(255, 120, 120, 255);
constexpr ImU32 kDimText = IM_COL32(170, 170, 170, 255);

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

// Copies at most cap - 1 bytes of src into dst, never cutting a UTF-8 sequence, and replaces
// control characters (line breaks included) by spaces: for one-line labels and titles.
void copy_label(char *dst, std::size_t cap, const char *src, std::size_t src_len) {
    if (cap == 0) return;
    std::size_t n = std::min(src_len, cap - 1);
    if (n < src_len) {
        while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80)
            --n;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(src[i]);
        dst[i] = (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
    }
    dst[n] = '\0';
}

void copy_label(char *dst, std::size_t cap, const char *src) {
    copy_label(dst, cap, src == nullptr ? "" : src, src == nullptr ? 0 : std::strlen(src));
}

// A window title: the label with "##" taken apart (ImGui would read what follows as an ID) and
// a fixed ID suffix, so the window keeps its identity whatever the contact's name is.
// A window's title: the prefix, the contact's name, the count of messages the player has not
// seen yet ("(3)", none at 0), and the window's own id (the title changes, the window stays).
void make_title(char *dst, std::size_t cap, const char *prefix, const char *name,
                std::size_t unseen, const void *id) {
    char label[128];
    copy_label(label, sizeof label, name);
    for (char *p = label; *p != '\0'; ++p) {
        if (*p == '#' && (p[1] == '#' || p[1] == '\0')) *p = ' ';
    }
    char count[32] = "";
    if (unseen > 0) (void)std::snprintf(count, sizeof count, " (%zu)", unseen);
    (void)std::snprintf(dst, cap, "%s%s%s###msgr-%p", prefix, label, count, id);
}

// Whether the runtime filled the 0.2 fields of msgr_ui_window_info (peer_chat_state,
// unseen_count): an older one's struct ends before them.
bool has_chat_fields(const msgr_ui_window_info &info) {
    return info.struct_size >=
           offsetof(msgr_ui_window_info, unseen_count) + sizeof info.unseen_count;
}

// What the player has not seen of a window's history (0 from a runtime too old to say).
std::size_t unseen_of(const msgr_ui_window_info &info) {
    return has_chat_fields(info) ? info.unseen_count : 0;
}

std::size_t utf16_units(const char *s) {
    std::size_t units = 0;
    for (; *s != '\0'; ++s) {
        const auto b = static_cast<unsigned char>(*s);
        if ((b & 0xC0) != 0x80) units += (b >= 0xF0) ? 2 : 1;  // 4-byte sequences: a pair
    }
    return units;
}

// The mark an outgoing entry shows (and the word the page window's status uses).
const char *delivery_word(msgr_delivery_state d) {
    switch (d) {
        case MSGR_DELIVERY_PENDING:
            return "pending";
        case MSGR_DELIVERY_SENT:
            return "sent";
        case MSGR_DELIVERY_DELIVERED:
            return "delivered";
        case MSGR_DELIVERY_READ:
            return "read";
        case MSGR_DELIVERY_FAILED:
            return "failed";
        default:
            return "";
    }
}

ImU32 delivery_bar(msgr_delivery_state d) {
    switch (d) {
        case MSGR_DELIVERY_FAILED:
            return kFailedBar;
        case MSGR_DELIVERY_READ:
            return kReadBar;
        case MSGR_DELIVERY_SENT:
        case MSGR_DELIVERY_DELIVERED:
            return kSentBar;
        default:
            return kPendingBar;
    }
}

bool signed_in_status(std::int32_t s) {
    return s != MSGR_STATUS_OFFLINE && s != MSGR_STATUS_UNKNOWN && (s & 0xF00) == 0;
}

// The overlay's text boundary while it draws (Overlay::Impl::draw sets it): every text drawn
// goes through it, so that what 16-bit ImWchar cannot carry is drawn from its stand-in and the
// atlas learns which glyphs the text on screen needs (render/src/text/).
text::Text *drawing_text = nullptr;

// Text as ImGui is given it: the drawn form (stand-ins) when a frame is being drawn.
std::string_view drawn_form(const char *begin, const char *end) {
    if (end == nullptr) end = begin + std::strlen(begin);
    if (drawing_text == nullptr) return {begin, static_cast<std::size_t>(end - begin)};
    return drawing_text->drawn(begin, end);
}

void text_plain(const char *begin, const char *end = nullptr) {
    const std::string_view d = drawn_form(begin, end);
    ImGui::TextUnformatted(d.data(), d.data() + d.size());
}

void text_coloured(ImU32 colour, const char *begin, const char *end = nullptr) {
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    text_plain(begin, end);
    ImGui::PopStyleColor();
}

}  // namespace

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
    ImGuiID input_id = 0;  // the ImGui ID of its input, to know whether it has the keyboard

    HistoryLayout layout;
    std::vector<char> input;
    std::size_t page_max = 0;  // UTF-16 units; 0 when unknown (no paging add-in)
    msgr_hresult page_max_hr = MSGR_S_OK;
    std::size_t input_units = 0;
    char error[320] = "";
    char title[200] = "";

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
    };
    std::array<DrawnRow, kMaxDrawnRows> drawn_rows{};
    std::size_t drawn_row_count = 0;

    // Long histories: a scroll request (a search hit) applied, the entry still to scroll to,
    // whether older messages were asked of the service and whether it has no more.
    std::uint64_t seen_scroll = 0;
    std::size_t scroll_to = kNone;
    bool fetching = false;
    bool archive_done = false;
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

struct Toast {
    bool live = false;
    float age = 0.0f;
    std::uint64_t serial = 0;  // newer toasts have higher ones
    std::size_t unread = 0;    // its conversation's unread count, as the last frame showed it
    msgr_window *w = nullptr;  // one reference while live
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
    ImGuiID search_input_id = 0;
    std::uint64_t search_id = 0;  // the runtime's search whose results are shown (0: none)
    bool search_running = false;
    std::vector<SearchRow> search_rows;  // sized when a search finishes
    char search_status[320] = "";
    DrawnRect search_query_rect, search_button_rect;
    std::uint64_t search_frame = 0;

    // where controls were drawn (control_rect)
    static constexpr std::size_t kContactRects = 16;
    DrawnRect signin_rect;
    std::uint64_t signin_frame = 0;
    std::array<DrawnRect, kContactRects> chat_rects{}, page_rects{};
    std::array<std::size_t, kContactRects> contact_unread{};  // what the list showed
    std::size_t contact_rects = 0;
    std::uint64_t contacts_frame = 0;

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
        copy_label(signin_name, sizeof signin_name, o.default_signin_name);
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
                runtime_gone = true;
                break;
            case MSGR_EVENT_SIGNIN:
                last_signin_hr = ev.hr;
                break;
            case MSGR_EVENT_SIGNOUT:
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

    void add_toast(msgr_window *w, msgr_contact *c, const char *text, ImU32 colour,
                   const char *prefix) {
        // The oldest slot makes room for the newest.
        Toast *slot = &toasts[0];
        for (auto &t : toasts) {
            if (!t.live) {
                slot = &t;
                break;
            }
            if (t.age > slot->age) slot = &t;
        }
        drop_toast(*slot);
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
        if (t.live) msgr_window_release(t.w);
        t.live = false;
        t.w = nullptr;
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
    void draw_input(WindowView &v, const msgr_ui_window_info &info);
    void draw_caret_and_composition(const WindowView &v);
    void send(WindowView &v);
    void load_draft(WindowView &v);
    void draw_typing(WindowView &v, const msgr_ui_window_info &info);
    void draw_forget(WindowView &v, const msgr_ui_window_info &info);
    void draw_signin(std::int32_t my_status);
    void draw_contacts(std::int32_t my_status);
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
// characters it is given as typed characters. `edited`: the text changed this frame.
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
    flags |= ImGuiInputTextFlags_CallbackEdit | ImGuiInputTextFlags_CallbackAlways;
    const bool r = multiline ? ImGui::InputTextMultiline(id, buf, size, box, flags, on_edit, &edit)
                             : ImGui::InputText(id, buf, size, flags, on_edit, &edit);
    if (typed_drawn.empty()) typed_exact.clear();
    if (edited) text.note(buf);
    return r;
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
        (void)std::snprintf(status_line, sizeof status_line, "%s", words);
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
        const ImGuiID active = ImGui::GetActiveID();
        bool ours = false;
        for (const auto &v : views)
            ours = ours || (active != 0 && v->input_id == active);
        ours = ours || (active != 0 && search_input_id == active);
        if (!ours) {
            ImGui::GetIO().AddInputCharactersUTF8(typed_exact.c_str());
            typed_drawn.clear();
            typed_exact.clear();
        }
    }
    if (text.generation() != laid_out_generation) {
        // New glyphs, new widths: the histories are measured again.
        laid_out_generation = text.generation();
        for (auto &v : views)
            v->layout.clear();
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
    const char *name = nullptr;
    if (info.contact == nullptr || msgr_contact_friendly_name(info.contact, &name) != MSGR_S_OK)
        name = "";
    char shown[160];
    text.drawn_into(name, shown, sizeof shown);
    make_title(v.title, sizeof v.title, v.kind == MSGR_WINDOW_PAGE ? "Page: " : "", shown,
               unseen_of(info), v.w);

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
    const char *name = nullptr;
    if (info.contact == nullptr || msgr_contact_friendly_name(info.contact, &name) != MSGR_S_OK)
        name = "";
    char label[96];
    copy_label(label, sizeof label, name);
    char line[128];
    (void)std::snprintf(line, sizeof line, "%s is typing...", label);
    text_coloured(kDimText, line);
}

// "Forget" next to the contact's status, with a confirmation: every stored message with the
// contact goes (msgr_history_forget_contact), from this window and from the store.
void Overlay::Impl::draw_forget(WindowView &v, const msgr_ui_window_info &info) {
    ImGui::SameLine();
    const bool asked = ImGui::SmallButton("Forget");
    {
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        v.forget_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Forget this conversation");
    static constexpr const char *kForgetTitle = "Forget this conversation?###forget";
    if (asked) ImGui::OpenPopup(kForgetTitle);  // the same string: the same ID as below
    if (!ImGui::BeginPopupModal(
            kForgetTitle, nullptr,
            ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings))
        return;
    const char *name = nullptr;
    if (info.contact == nullptr || msgr_contact_friendly_name(info.contact, &name) != MSGR_S_OK)
        name = "";
    char label[96];
    copy_label(label, sizeof label, name);
    char line[200];
    (void)std::snprintf(line, sizeof line, "Every message with %s is deleted from this device.",
                        label);
    text_plain(line);
    ImGui::TextUnformatted("This cannot be undone.");
    const bool yes = ImGui::Button("Forget", ImVec2(120, 0));
    {
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        v.forget_confirm_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
        v.forget_confirm_frame = frame;
    }
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

void Overlay::Impl::draw_history(WindowView &v, const msgr_ui_window_info &info, float height) {
    ImGui::BeginChild("history", ImVec2(0, height), true, ImGuiWindowFlags_AlwaysVerticalScrollbar);
    ImGuiWindow *child = ImGui::GetCurrentWindow();
    float scroll_y = ImGui::GetScrollY();
    const float scroll_max = ImGui::GetScrollMaxY();
    const bool was_at_bottom = scroll_y >= scroll_max - 1.0f;
    const ImVec2 start = ImGui::GetCursorPos();
    const ImGuiStyle &style = ImGui::GetStyle();
    // The delivery mark's column, right of the text.
    const float mark_w = ImGui::CalcTextSize("delivered").x + style.ItemSpacing.x;
    const float wrap = std::max(ImGui::GetContentRegionAvail().x - kGutter - mark_w, 1.0f);

    ImFont *font = ImGui::GetFont();
    const float font_size = ImGui::GetFontSize();
    msgr_window *w = v.w;
    auto text_of = [w](std::size_t i) -> std::string_view {
        msgr_message m{};
        m.struct_size = sizeof m;
        if (msgr_window_history_get(w, i, &m) != MSGR_S_OK || m.text == nullptr) return {};
        return {m.text, m.text_size};
    };
    // Measured as drawn: in drawn form (stand-ins), with the current atlas.
    auto natural = [&](const char *b, const char *e) -> float {
        if (std::memchr(b, '\n', static_cast<std::size_t>(e - b)) != nullptr) return -1.0f;
        const std::string_view d = text.drawn(b, e);
        return font->CalcTextSizeA(font_size, FLT_MAX, 0.0f, d.data(), d.data() + d.size()).x;
    };
    auto wrapped = [&](const char *b, const char *e, float width) -> float {
        const std::string_view d = text.drawn(b, e);
        return font->CalcTextSizeA(font_size, FLT_MAX, width, d.data(), d.data() + d.size()).y;
    };
    if (info.history_count < v.layout.message_count()) {
        // Forgotten: nothing seen, and the archive may be asked again.
        v.seen_upto = kNone;
        v.archive_done = false;
        v.stick_to_bottom = true;
    }
    const std::size_t end_before = v.layout.end_message();
    const std::size_t rows_before = v.layout.row_count();
    stats.rows_measured += v.layout.update(info.history_count, wrap, font_size, style.ItemSpacing.y,
                                           text_of, natural, wrapped);
    const bool grew = v.layout.end_message() != end_before || v.layout.row_count() != rows_before;

    // A search hit to show: lay out the history around it and scroll there (below).
    if (info.scroll_serial != v.seen_scroll) {
        v.seen_scroll = info.scroll_serial;
        if (info.scroll_serial != 0 && info.scroll_index < info.history_count) {
            const std::size_t before = v.layout.row_count();
            v.layout.center_on(info.scroll_index, info.history_count, text_of, natural, wrapped);
            if (v.layout.row_count() != before) stats.rows_measured += v.layout.row_count();
            (void)v.layout.take_front_delta();
            v.scroll_to = info.scroll_index;
            v.stick_to_bottom = false;
        }
    }
    // The user scrolled to the top: lay out older entries above, or, at the store's start, ask
    // the service for older ones (they come as MSGR_EVENT_HISTORY_PREPENDED). A history too
    // short to scroll asks when the wheel turns up over it.
    const bool wheel_up = ImGui::IsWindowHovered() && ImGui::GetIO().MouseWheel > 0.0f;
    const bool at_top = scroll_max > 0.0f ? (!v.stick_to_bottom && scroll_y <= 0.5f) : wheel_up;
    if (at_top && v.scroll_to == kNone) {
        if (v.layout.first_message() > 0) {
            stats.rows_measured += v.layout.extend_up(kExtendBy, text_of, natural, wrapped);
        } else if (!v.fetching && !v.archive_done) {
            const msgr_hresult hr = msgr_window_fetch_older(v.w);
            v.fetching = hr == MSGR_S_OK;
            v.archive_done = hr != MSGR_S_OK;  // S_FALSE: nothing older; a failure: no retry
        }
    }
    // The bottom of a window that does not end at the newest: lay out what follows.
    if (!v.layout.at_end() && scroll_max > 0.0f && scroll_y >= scroll_max - 0.5f &&
        v.scroll_to == kNone) {
        stats.rows_measured += v.layout.extend_down(kExtendBy, text_of, natural, wrapped);
    }
    // Rows added or dropped above: keep what the user looks at where it is. The scroll is set
    // on the child directly, before any row is placed, so this frame already draws it there.
    const float delta = v.layout.take_front_delta();
    if (delta != 0.0f && !v.stick_to_bottom) {
        scroll_y = std::max(0.0f, scroll_y + delta);
        child->Scroll.y = scroll_y;
    }
    const float view_h = ImGui::GetWindowHeight();
    if (v.scroll_to != kNone) {
        const std::size_t r = v.layout.row_of(v.scroll_to);
        if (r != kNone) {
            scroll_y = std::max(0.0f, v.layout.top(r) - view_h * 0.3f);
            child->Scroll.y = scroll_y;
        }
        v.scroll_to = kNone;
    }
    stats.rows_total += v.layout.row_count();

    const auto [first, last] = v.layout.visible(scroll_y - start.y, scroll_y - start.y + view_h);
    ImDrawList *dl = ImGui::GetWindowDrawList();
    const float line_h = ImGui::GetTextLineHeight();
    std::size_t last_seen = kNone;  // the newest entry that is really on screen
    for (std::size_t r = first; r < last; ++r) {
        const HistoryLayout::Row &row = v.layout.row(r);
        const std::size_t index = v.layout.message_of(r);
        msgr_message m{};
        m.struct_size = sizeof m;
        if (msgr_window_history_get(w, index, &m) != MSGR_S_OK || m.text == nullptr) continue;
        const std::size_t b = std::min<std::size_t>(row.begin, m.text_size);
        const std::size_t e = std::min<std::size_t>(row.end, m.text_size);
        ImGui::SetCursorPos(ImVec2(start.x + kGutter, start.y + v.layout.top(r)));
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = v.layout.height(r) - style.ItemSpacing.y;
        const bool page_in = (m.flags & MSGR_MESSAGE_PAGE) != 0;
        const bool outgoing = m.direction == MSGR_MESSAGE_OUTGOING;
        ImU32 bar = page_in ? kPageBar : kIncomingBar;
        ImU32 colour = page_in ? kPageText : kIncomingText;
        if (outgoing) {
            colour = m.delivery == MSGR_DELIVERY_FAILED ? kFailedText : kOutgoingText;
            bar = delivery_bar(m.delivery);
        }
        dl->AddRectFilled(ImVec2(p.x - kGutter, p.y), ImVec2(p.x - kGutter + 3.0f, p.y + h), bar);
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + wrap);
        text_coloured(colour, m.text + b, m.text + e);
        ImGui::PopTextWrapPos();
        // A failed message says why, in words, when the pointer rests on it.
        if (m.delivery == MSGR_DELIVERY_FAILED && ImGui::IsItemHovered()) {
            ImGui::SetTooltip("Not delivered: %s",
                              delivery_failure_words(m.delivery_reason, m.delivery_result));
        }
        // The delivery mark, on the first row of an outgoing entry.
        const char *mark = nullptr;
        if (outgoing && row.begin == 0) {
            mark = delivery_word(m.delivery);
            ImGui::SetCursorScreenPos(ImVec2(p.x + wrap + style.ItemSpacing.x, p.y));
            text_coloured(m.delivery == MSGR_DELIVERY_FAILED ? kErrorText : kDimText, mark);
            if (m.delivery == MSGR_DELIVERY_FAILED && ImGui::IsItemHovered()) {
                ImGui::SetTooltip("Not delivered: %s",
                                  delivery_failure_words(m.delivery_reason, m.delivery_result));
            }
        }
        // On screen when its first line is inside the view.
        const float top_in_view = start.y + v.layout.top(r) - scroll_y;
        if (top_in_view >= -0.5f && top_in_view + line_h <= view_h + 0.5f) last_seen = index;
        ++stats.rows_drawn;
        if (v.drawn_row_count < v.drawn_rows.size()) {
            v.drawn_rows[v.drawn_row_count++] = {index, DrawnRect{p.x, p.y, wrap, h}, mark};
        }
    }
    // The content's full height, so that the scrollbar covers the whole window.
    ImGui::SetCursorPos(ImVec2(start.x, start.y + v.layout.total_height()));
    ImGui::Dummy(ImVec2(1.0f, 0.0f));
    // Follow the conversation: to the bottom when something arrives while the user is there,
    // and after the user's own send, until the scroll got there.
    if (v.stick_to_bottom || (grew && was_at_bottom && v.layout.at_end()))
        ImGui::SetScrollHereY(1.0f);
    if (was_at_bottom && !grew && ImGui::GetScrollMaxY() > 0.0f) v.stick_to_bottom = false;
    ImGui::EndChild();

    // What the user really saw (the overlay is open and this window's content was drawn): the
    // runtime marks it seen and tells the contact, once per newer entry.
    if (unseen_of(info) > 0 && last_seen != kNone &&
        (v.seen_upto == kNone || last_seen > v.seen_upto)) {
        if (msgr_ui_history_seen(v.w, last_seen) == MSGR_S_OK) v.seen_upto = last_seen;
    }
}

// The focused input's caret (where ImGui's InputText placed it this frame, for the IME's
// candidate window) and the IME's composition drawn there, over the input's text.
void Overlay::Impl::draw_caret_and_composition(const WindowView &v) {
    keys.input_active();
    const ImGuiContext &g = *ImGui::GetCurrentContext();
    const float h = ImGui::GetFontSize();
    const ImVec2 at(g.PlatformImePos.x + 1.0f, g.PlatformImePos.y);  // InputText's -1: undone
    caret = {at.x, at.y, 1.0f, h};
    caret_frame = frame;
    // InputTextMultiline draws in a child window, the last one begun in this window.
    const ImVector<ImGuiWindow *> &children = ImGui::GetCurrentWindow()->DC.ChildWindows;
    if (!ime.active() || children.Size == 0) return;
    const ImGuiWindow *child = children.back();
    ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_FrameBg);
    const ImVec4 win = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
    // FrameBg is translucent over WindowBg: the same colour, opaque.
    bg = ImVec4(win.x + (bg.x - win.x) * bg.w, win.y + (bg.y - win.y) * bg.w,
                win.z + (bg.z - win.z) * bg.w, 1.0f);
    ime.draw(child->DrawList, at, ImGui::GetColorU32(ImGuiCol_Text), ImGui::GetColorU32(bg),
             ImVec2(v.input_rect.x, v.input_rect.y),
             ImVec2(v.input_rect.x + v.input_rect.w, v.input_rect.y + v.input_rect.h));
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
    v.input_id = ImGui::GetID("##input");
    const ImGuiID input_id = v.input_id;
    const bool enter = typed_field(
        "##input", v.input.data(), v.input.size(),
        ImVec2(ImGui::GetContentRegionAvail().x - send_w - style.ItemSpacing.x, input_h), flags,
        true, v.edited);
    {
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        v.input_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
    }
    if (ImGui::GetActiveID() == input_id) draw_caret_and_composition(v);
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
    {
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        v.send_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
    }
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

void Overlay::Impl::draw_signin(std::int32_t my_status) {
    const bool offline = my_status == MSGR_STATUS_OFFLINE || my_status == MSGR_STATUS_UNKNOWN;
    const bool connecting = (my_status & 0xF00) != 0;
    const bool visible = open && (offline || connecting);
    if (static_cast<int>(visible) != reported_dialog_visible) {
        // While the dialog is visible, Page answers E_FAIL, as documented.
        msgr_set_signin_dialog_visible(rt, visible ? 1 : 0);
        reported_dialog_visible = visible ? 1 : 0;
        signin_focus = visible;
    }
    if (!visible) return;
    const ImGuiIO &io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.4f),
                            ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(340, 0), ImGuiCond_Appearing);
    if (signin_focus) ImGui::SetNextWindowFocus();
    if (ImGui::Begin("Sign in###msgr-signin", nullptr,
                     ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::TextUnformatted("Sign-in name");
        if (signin_focus) ImGui::SetKeyboardFocusHere();
        signin_focus = false;
        ImGui::SetNextItemWidth(-1.0f);
        bool go = ImGui::InputText("##name", signin_name, sizeof signin_name,
                                   ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::TextUnformatted("Password");
        ImGui::SetNextItemWidth(-1.0f);
        go |= ImGui::InputText("##password", password, sizeof password,
                               ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::BeginDisabled(connecting);
        go |= ImGui::Button("Sign in", ImVec2(-1.0f, 0.0f));
        {
            const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
            signin_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
            signin_frame = frame;
        }
        ImGui::EndDisabled();
        if (go && !connecting) {
            const msgr_hresult hr = msgr_signin(rt, signin_name, password);
            if (MSGR_FAILED(hr)) report(Action::signin, signin_name, hr);
            last_signin_hr = MSGR_S_OK;
        }
        if (connecting) {
            text_coloured(status_colour(my_status), "Signing in...");
        } else if (MSGR_FAILED(last_signin_hr)) {
            const char *words = result_words(Action::signin, last_signin_hr);
            ImGui::PushTextWrapPos(0.0f);
            text_coloured(kErrorText, words != nullptr ? words : "");
            ImGui::PopTextWrapPos();
        }
        if (status_line[0] != '\0') {
            ImGui::PushTextWrapPos(0.0f);
            text_coloured(kDimText, status_line);
            ImGui::PopTextWrapPos();
        }
        ImGui::TextUnformatted("Shift+Tab closes the overlay");
    }
    ImGui::End();
}

void Overlay::Impl::draw_contacts(std::int32_t my_status) {
    const ImGuiIO &io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x - 20.0f, 20.0f), ImGuiCond_Appearing,
                            ImVec2(1.0f, 0.0f));
    ImGui::SetNextWindowSize(ImVec2(300, 380), ImGuiCond_Appearing);
    // It appears with the overlay without taking focus from the conversation the player opened
    // it for (a click on a toast, Show, an incoming message's window).
    if (ImGui::Begin("Contacts###msgr-contacts", nullptr,
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing)) {
        const char *me = nullptr;
        if (msgr_my_signin_name(rt, &me) == MSGR_S_OK && me != nullptr) {
            char label[132];
            copy_label(label, sizeof label, me);
            text_plain(label);
        }
        static constexpr std::int32_t kSettable[] = {
            MSGR_STATUS_ONLINE, MSGR_STATUS_BUSY,         MSGR_STATUS_BE_RIGHT_BACK,
            MSGR_STATUS_AWAY,   MSGR_STATUS_ON_THE_PHONE, MSGR_STATUS_OUT_TO_LUNCH,
            MSGR_STATUS_IDLE,   MSGR_STATUS_INVISIBLE};
        ImGui::PushStyleColor(ImGuiCol_Text, status_colour(my_status));
        ImGui::SetNextItemWidth(150.0f);
        const bool combo = ImGui::BeginCombo("##mystatus", status_word(my_status));
        ImGui::PopStyleColor();
        if (combo) {
            for (const std::int32_t s : kSettable) {
                if (ImGui::Selectable(status_word(s), s == my_status)) {
                    const msgr_hresult hr = msgr_set_my_status(rt, s);
                    if (MSGR_FAILED(hr)) report(Action::set_status, "", hr);
                }
            }
            ImGui::EndCombo();
        }
        ImGui::SameLine();
        if (ImGui::Button("Sign out")) msgr_signout(rt);
        ImGui::SameLine();
        if (ImGui::Button("Search")) show_search();
        ImGui::Separator();

        std::size_t n = 0;
        msgr_my_contacts_count(rt, &n);
        for (std::size_t i = 0; i < n; ++i) {
            msgr_contact *c = nullptr;
            if (msgr_my_contacts_get(rt, i, &c) != MSGR_S_OK) continue;
            const char *friendly = nullptr;
            const char *signin = nullptr;
            std::int32_t st = MSGR_STATUS_UNKNOWN;
            if (msgr_contact_friendly_name(c, &friendly) != MSGR_S_OK) friendly = "";
            if (msgr_contact_signin_name(c, &signin) != MSGR_S_OK) signin = "";
            msgr_contact_status(c, &st);
            ImGui::PushID(static_cast<int>(i));
            const ImVec2 p = ImGui::GetCursorScreenPos();
            const float r = ImGui::GetTextLineHeight() * 0.3f;
            ImGui::GetWindowDrawList()->AddCircleFilled(
                ImVec2(p.x + r, p.y + ImGui::GetTextLineHeight() * 0.5f), r, status_colour(st));
            ImGui::SetCursorScreenPos(ImVec2(p.x + r * 2.0f + 6.0f, p.y));
            char label[132];
            copy_label(label, sizeof label, friendly);
            text_coloured(status_colour(st), label);
            if (ImGui::IsItemHovered()) {
                ImGui::BeginTooltip();
                copy_label(label, sizeof label, signin);
                text_plain(label);
                ImGui::EndTooltip();
            }
            ImGui::SameLine();
            text_coloured(kDimText, status_word(st));
            // Unread: what the player has not seen of the conversation with this contact.
            const std::size_t unread = unseen_with(c);
            if (i < contact_unread.size()) contact_unread[i] = unread;
            if (unread > 0) {
                char badge[32];
                (void)std::snprintf(badge, sizeof badge, "%zu new", unread);
                ImGui::SameLine();
                text_coloured(kHighlight, badge);
            }
            const msgr_variant who{MSGR_VT_DISPATCH, nullptr, c};
            auto keep_rect = [&](std::array<DrawnRect, kContactRects> &rects) {
                if (i >= rects.size()) return;
                const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
                rects[i] = {a.x, a.y, b.x - a.x, b.y - a.y};
            };
            const bool chat = ImGui::SmallButton("Chat");
            keep_rect(chat_rects);
            if (chat) {
                msgr_window *w = nullptr;
                report(Action::chat, signin, msgr_instant_message(rt, who, &w));
                msgr_window_release(w);  // the window stays open: the overlay draws it
            }
            // Page only for a contact that can be paged (its service pages, a paging add-in is
            // installed, it has mobile services): a button that can only fail is not offered.
            int pageable = 0;
            if (msgr_contact_can_page(c, &pageable) != MSGR_S_OK) pageable = 0;
            if (i < page_rects.size()) page_rects[i] = DrawnRect{};
            if (pageable != 0) {
                ImGui::SameLine();
                const bool page = ImGui::SmallButton("Page");
                keep_rect(page_rects);
                if (page) {
                    msgr_window *w = nullptr;
                    report(Action::page, signin, msgr_page(rt, who, &w));
                    msgr_window_release(w);
                }
            }
            ImGui::PopID();
            msgr_contact_release(c);
        }
        contact_rects = std::min(n, kContactRects);
        contacts_frame = frame;
        ImGui::Separator();
        ImGui::TextUnformatted("Chat with:");
        ImGui::SetNextItemWidth(-60.0f);
        bool go = ImGui::InputText("##imname", im_name, sizeof im_name,
                                   ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::SameLine();
        go |= ImGui::Button("Open");
        if (go && im_name[0] != '\0') {
            msgr_window *w = nullptr;
            const msgr_variant who{MSGR_VT_BSTR, im_name, nullptr};
            report(Action::chat, im_name, msgr_instant_message(rt, who, &w));
            msgr_window_release(w);
        }
        if (status_line[0] != '\0') {
            ImGui::PushTextWrapPos(0.0f);
            text_coloured(kDimText, status_line);
            ImGui::PopTextWrapPos();
        }
    }
    ImGui::End();
}

// The search window: a query field, msgr_history_search on Enter, the hits when
// MSGR_EVENT_SEARCH_DONE comes (snippets with the matched words highlighted), a click opens the
// conversation at that message (msgr_search_open).
void Overlay::Impl::draw_search() {
    if (!search_visible) return;
    const ImGuiIO &io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.3f),
                            ImGuiCond_Appearing, ImVec2(0.5f, 0.0f));
    ImGui::SetNextWindowSize(ImVec2(460, 380), ImGuiCond_Appearing);
    if (search_focus) ImGui::SetNextWindowFocus();
    bool keep = true;
    if (ImGui::Begin("Search history###msgr-search", &keep, ImGuiWindowFlags_NoSavedSettings)) {
        if (search_focus) ImGui::SetKeyboardFocusHere();
        search_focus = false;
        ImGui::SetNextItemWidth(-80.0f);
        search_input_id = ImGui::GetID("##query");
        bool edited = false;
        bool go = typed_field("##query", search_query, sizeof search_query, ImVec2(0, 0),
                              ImGuiInputTextFlags_EnterReturnsTrue, false, edited);
        {
            const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
            search_query_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
        }
        ImGui::SameLine();
        go |= ImGui::Button("Search", ImVec2(-1.0f, 0.0f));
        {
            const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
            search_button_rect = {a.x, a.y, b.x - a.x, b.y - a.y};
        }
        search_frame = frame;
        if (go && search_query[0] != '\0') {
            start_search();
            search_focus = true;  // Enter let go of the field: keep typing there
        }
        if (search_status[0] != '\0') {
            ImGui::PushTextWrapPos(0.0f);
            text_coloured(kDimText, search_status);
            ImGui::PopTextWrapPos();
        }
        ImGui::BeginChild("hits", ImVec2(0, 0), true);
        const float line = ImGui::GetTextLineHeightWithSpacing();
        for (std::size_t i = 0; i < search_rows.size(); ++i) {
            SearchRow &row = search_rows[i];
            ImGui::PushID(static_cast<int>(i));
            const ImVec2 at = ImGui::GetCursorScreenPos();
            const bool clicked = ImGui::Selectable("##hit", false, 0, ImVec2(0, line * 2.0f));
            {
                const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
                row.rect = {a.x, a.y, b.x - a.x, b.y - a.y};
            }
            ImGui::SetCursorScreenPos(at);
            text_coloured(kDimText, row.who);
            // The snippet: plain text, and the matched words (between STX and ETX) highlighted.
            bool match = false;
            const char *seg = row.snippet;
            for (const char *p = row.snippet;; ++p) {
                if (*p == '\x02' || *p == '\x03' || *p == '\0') {
                    if (p > seg) {
                        if (seg != row.snippet || match) ImGui::SameLine(0.0f, 0.0f);
                        text_coloured(match ? kHighlight : kOutgoingText, seg, p);
                    }
                    if (*p == '\0') break;
                    match = *p == '\x02';
                    seg = p + 1;
                }
            }
            ImGui::SetCursorScreenPos(ImVec2(at.x, at.y + line * 2.0f));
            ImGui::Dummy(ImVec2(0.0f, 0.0f));
            if (clicked) {
                msgr_window *w = nullptr;
                const msgr_hresult hr = msgr_search_open(rt, search_id, i, &w);
                if (MSGR_FAILED(hr)) {
                    (void)std::snprintf(search_status, sizeof search_status, "%s",
                                        result_words(Action::open_hit, hr));
                }
                msgr_window_release(w);  // the window stays open: the overlay draws it
            }
            ImGui::PopID();
        }
        ImGui::EndChild();
    }
    ImGui::End();
    if (!keep) {
        search_visible = false;
        release_search();
        search_status[0] = '\0';
    }
}

void Overlay::Impl::start_search() {
    release_search();
    std::uint64_t id = 0;
    const msgr_hresult hr = msgr_history_search(rt, text.exact(search_query), kSearchHits, &id);
    if (MSGR_FAILED(hr)) {
        (void)std::snprintf(search_status, sizeof search_status, "%s",
                            result_words(Action::search, hr));
        return;
    }
    search_id = id;
    search_running = true;
    (void)std::snprintf(search_status, sizeof search_status, "Searching...");
}

void Overlay::Impl::search_done(msgr_hresult hr) {
    search_running = false;
    search_rows.clear();
    std::size_t n = 0;
    if (MSGR_SUCCEEDED(hr)) hr = msgr_search_result_count(rt, search_id, &n);
    if (MSGR_FAILED(hr)) {
        (void)std::snprintf(search_status, sizeof search_status, "%s",
                            result_words(Action::search, hr));
        return;
    }
    search_rows.resize(std::min(n, kSearchHits));
    for (std::size_t i = 0; i < search_rows.size(); ++i) {
        msgr_search_result r{};
        r.struct_size = sizeof r;
        if (msgr_search_result_get(rt, search_id, i, &r) != MSGR_S_OK) continue;
        SearchRow &row = search_rows[i];
        const char *name = nullptr;
        if (r.contact == nullptr || msgr_contact_friendly_name(r.contact, &name) != MSGR_S_OK)
            name = "";
        char label[80];
        copy_label(label, sizeof label, name);
        (void)std::snprintf(row.who, sizeof row.who, "%s%s",
                            r.direction == MSGR_MESSAGE_OUTGOING ? "You to " : "", label);
        // Control characters become spaces (one line), except the match markers STX / ETX.
        std::size_t len = std::min(r.snippet_size, sizeof row.snippet - 1);
        if (r.snippet == nullptr) len = 0;
        while (len > 0 && len < r.snippet_size &&
               (static_cast<unsigned char>(r.snippet[len]) & 0xC0) == 0x80)
            --len;
        for (std::size_t k = 0; k < len; ++k) {
            const auto c = static_cast<unsigned char>(r.snippet[k]);
            const bool marker = c == 0x02 || c == 0x03;
            row.snippet[k] = (!marker && (c < 0x20 || c == 0x7F)) ? ' ' : static_cast<char>(c);
        }
        row.snippet[len] = '\0';
    }
    (void)std::snprintf(search_status, sizeof search_status, "%zu message%s found", n,
                        n == 1 ? "" : "s");
}

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
            text_coloured(t.colour, t.text);
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
void Overlay::Impl::open_toast(Toast &t) {
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

// ---- Overlay
// --------------------------------------------------------------------------------------

Overlay::Overlay(msgr_runtime *rt, const OverlayOptions &options)
    : impl_(std::make_unique<Impl>(rt, options)) {
    if (ImGui::GetCurrentContext() != nullptr) IMGUI_CHECKVERSION();
    msgr_subscribe(rt, static_cast<msgr_event_type>(0), &Impl::on_event, impl_.get(),
                   &impl_->subscription);
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

}  // namespace msgr::render

namespace msgr::render {

bool Overlay::control_rect(Control control, const msgr_window *w, std::size_t index,
                           DrawnRect &out) const noexcept {
    const Impl &im = *impl_;
    switch (control) {
        case Control::signin:
            if (im.signin_frame != im.frame) return false;
            out = im.signin_rect;
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

// What the overlay's rooms share: sizes, colours, labels and the text boundary every drawn
// text goes through (render/src/text/). The rooms: overlay/ (the overlay, conversation windows,
// contact list, sign-in, search, toasts, add-ins' drawers), history/ (a conversation's history).
#pragma once

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cfloat>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "history_layout.hpp"
#include "msgr/render/overlay.hpp"
#include "msgr/ui.h"
#include "text/text.hpp"
#include "text/utf8.hpp"

namespace msgr::render {

// Where the last item was drawn (Overlay::control_rect's rectangles).
inline DrawnRect last_item_rect() {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    return {a.x, a.y, b.x - a.x, b.y - a.y};
}

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
constexpr ImU32 kActivityText = IM_COL32(140, 150, 160, 255);  // a contact's activity: dimmer

// Copies at most cap - 1 bytes of src into dst, never cutting a UTF-8 sequence, and replaces
// control characters (line breaks included) by spaces: for one-line labels and titles.
inline void copy_label(char *dst, std::size_t cap, const char *src, std::size_t src_len) {
    if (cap == 0) return;
    const std::size_t n = text::fitting_prefix(src, src_len, cap);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(src[i]);
        dst[i] = (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
    }
    dst[n] = '\0';
}

inline void copy_label(char *dst, std::size_t cap, const char *src) {
    copy_label(dst, cap, src == nullptr ? "" : src, src == nullptr ? 0 : std::strlen(src));
}

// A window title: the label with "##" taken apart (ImGui would read what follows as an ID) and
// a fixed ID suffix, so the window keeps its identity whatever the contact's name is.
// A window's title: the prefix, the contact's name, the count of messages the player has not
// seen yet ("(3)", none at 0), and the window's own id (the title changes, the window stays).
inline void make_title(char *dst, std::size_t cap, const char *prefix, const char *name,
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
inline bool has_chat_fields(const msgr_ui_window_info &info) {
    return info.struct_size >=
           offsetof(msgr_ui_window_info, unseen_count) + sizeof info.unseen_count;
}

// What the player has not seen of a window's history (0 from a runtime too old to say).
inline std::size_t unseen_of(const msgr_ui_window_info &info) {
    return has_chat_fields(info) ? info.unseen_count : 0;
}

inline std::size_t utf16_units(const char *s) {
    std::size_t units = 0;
    for (; *s != '\0'; ++s) {
        const auto b = static_cast<unsigned char>(*s);
        if ((b & 0xC0) != 0x80) units += (b >= 0xF0) ? 2 : 1;  // 4-byte sequences: a pair
    }
    return units;
}

// The mark an outgoing entry shows (and the word the page window's status uses).
inline const char *delivery_word(msgr_delivery_state d) {
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

inline ImU32 delivery_bar(msgr_delivery_state d) {
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

inline bool signed_in_status(std::int32_t s) {
    return s != MSGR_STATUS_OFFLINE && s != MSGR_STATUS_UNKNOWN && (s & 0xF00) == 0;
}

// The overlay's text boundary while it draws (Overlay::Impl::draw sets it): every text drawn
// goes through it, so that what 16-bit ImWchar cannot carry is drawn from its stand-in and the
// atlas learns which glyphs the text on screen needs (render/src/text/).
inline text::Text *drawing_text = nullptr;

// Text as ImGui is given it: the drawn form (stand-ins) when a frame is being drawn.
inline std::string_view drawn_form(const char *begin, const char *end) {
    if (end == nullptr) end = begin + std::strlen(begin);
    if (drawing_text == nullptr) return {begin, static_cast<std::size_t>(end - begin)};
    return drawing_text->drawn(begin, end);
}

// A label, a name, a header, a status line: drawn in visual order when it holds right-to-left
// text (an Arabic or Hebrew name reads as its writer wrote it, as the history's rows do),
// wrapped where ImGui would wrap it (PushTextWrapPos); else given to ImGui as it is.
inline void text_plain(const char *begin, const char *end = nullptr) {
    if (end == nullptr) end = begin + std::strlen(begin);
    if (drawing_text != nullptr) {
        const float wrap_pos = ImGui::GetCurrentWindow()->DC.TextWrapPos;
        const float width = wrap_pos < 0.0f
                                ? FLT_MAX
                                : ImGui::CalcWrapWidthForPos(ImGui::GetCursorScreenPos(), wrap_pos);
        const ImU32 colour =
            ImGui::ColorConvertFloat4ToU32(ImGui::GetStyleColorVec4(ImGuiCol_Text));
        if (drawing_text->draw_rtl(begin, end, width, colour, false)) return;
    }
    const std::string_view d = drawn_form(begin, end);
    ImGui::TextUnformatted(d.data(), d.data() + d.size());
}

inline void text_coloured(ImU32 colour, const char *begin, const char *end = nullptr) {
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    text_plain(begin, end);
    ImGui::PopStyleColor();
}

}  // namespace msgr::render

// A conversation's history drawn: the rows of its layout (history_layout.hpp) that are
// visible, with their delivery marks, and what the player saw reported to the runtime.
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

}  // namespace msgr::render

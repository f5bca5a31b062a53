// A conversation's history drawn: the rows of its layout (history_layout.hpp) that are
// visible, with their leads (day separator, "new messages" marker, the sender's header: see
// grouping.hpp), their delivery marks and the selection (selection.hpp); what the player saw
// reported to the runtime; the selection copied (Ctrl+C, the context menu's "Copy").
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "history/grouping.hpp"
#include "history/selection.hpp"
#include "msgr/addin.h"
#include "msgr/ui.h"
#include "overlay/common.hpp"
#include "overlay/impl.hpp"
#include "words.hpp"

namespace msgr::render {

namespace {

constexpr ImU32 kNewMarker = IM_COL32(240, 90, 80, 255);
constexpr ImU32 kSelection = IM_COL32(60, 110, 200, 170);
constexpr ImU32 kDayLine = IM_COL32(110, 110, 110, 255);

bool message_at(msgr_window *w, std::size_t i, msgr_message &m) {
    m = msgr_message{};
    m.struct_size = sizeof m;
    return msgr_window_history_get(w, i, &m) == MSGR_S_OK;
}

// The lead of history entry i of the view's window (HistoryLayout::LeadFn).
std::uint32_t lead_of(void *user, std::size_t i) {
    const auto &v = *static_cast<const WindowView *>(user);
    // The entry before first, its writer kept: reading entry i may page the runtime's cache and
    // end the life of prev's strings (msgr_message's pointers live until the next such read).
    msgr_message m, prev;
    const bool has_prev = i > 0 && message_at(v.w, i - 1, prev);
    char prev_sender[128] = "";
    if (has_prev) text::copy_cstr(prev_sender, sizeof prev_sender, prev.sender);
    prev.sender = prev_sender;
    prev.text = nullptr;
    prev.delivery_reason = nullptr;
    if (!message_at(v.w, i, m)) return 0;
    std::uint32_t lead = history::lead_between(has_prev ? &prev : nullptr, m);
    if (i == v.marker) lead |= HistoryLayout::kLeadNew | HistoryLayout::kLeadHeader;
    return lead;
}

// A line across the history with a label in it: the day separator, the "new messages" marker.
void labelled_line(ImDrawList &dl, ImVec2 at, float width, float line_h, const char *label,
                   ImU32 line, ImU32 colour, bool centred) {
    const std::string_view d = drawn_form(label, nullptr);
    const float tw = ImGui::CalcTextSize(d.data(), d.data() + d.size()).x;
    const float pad = ImGui::GetStyle().ItemSpacing.x;
    const float tx = centred ? at.x + (width - tw) * 0.5f : at.x + width - tw;
    const float y = at.y + line_h * 0.5f;
    dl.AddLine(ImVec2(at.x, y), ImVec2(tx - pad, y), line);
    if (centred) dl.AddLine(ImVec2(tx + tw + pad, y), ImVec2(at.x + width, y), line);
    ImGui::SetCursorScreenPos(ImVec2(tx, at.y));
    text_coloured(colour, label);
}

}  // namespace

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

    const char *peer_name = nullptr;
    if (info.contact == nullptr ||
        msgr_contact_friendly_name(info.contact, &peer_name) != MSGR_S_OK)
        peer_name = "";
    const std::int64_t frame_now_ms = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
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
        if (text::has_rtl(b, e)) return text.visual(b, e, FLT_MAX).width;
        const std::string_view d = text.drawn(b, e);
        return font->CalcTextSizeA(font_size, FLT_MAX, 0.0f, d.data(), d.data() + d.size()).x;
    };
    auto wrapped = [&](const char *b, const char *e, float width) -> float {
        if (text::has_rtl(b, e))
            return static_cast<float>(text.visual(b, e, width).lines.size()) * font_size;
        const std::string_view d = text.drawn(b, e);
        return font->CalcTextSizeA(font_size, FLT_MAX, width, d.data(), d.data() + d.size()).y;
    };
    v.layout.set_lead(&lead_of, &v);
    if (info.history_count < v.layout.message_count()) {
        // Forgotten: nothing seen, and the archive may be asked again.
        v.selection.clear();
        v.marker = kNone;
        v.seen_upto = kNone;
        v.archive_done = false;
        v.stick_to_bottom = true;
    }
    if (v.remeasure) {
        // The atlas changed: the rows are measured again. A view that follows the newest lays
        // out its newest messages anew (what it shows; a window extended far up would cost
        // more). One the player scrolled up is measured again in place, and the row at its top
        // stays there, as far into it as before (in proportion: it may have grown).
        v.remeasure = false;
        const float top_y = scroll_y - start.y;
        const auto seen = v.layout.visible(top_y, top_y + 1.0f);
        const std::size_t r = seen.first;
        if (v.stick_to_bottom || seen.first >= seen.second) {
            v.layout.clear();
        } else {
            const float into =
                v.layout.height(r) > 0.0f ? (top_y - v.layout.top(r)) / v.layout.height(r) : 0.0f;
            stats.rows_measured +=
                v.layout.remeasure(wrap, font_size, style.ItemSpacing.y, text_of, natural, wrapped);
            scroll_y = std::max(0.0f, start.y + v.layout.top(r) + into * v.layout.height(r));
            child->Scroll.y = scroll_y;
        }
    }
    const std::size_t end_before = v.layout.end_message();
    const std::size_t rows_before = v.layout.row_count();
    stats.rows_measured += v.layout.update(info.history_count, wrap, font_size, style.ItemSpacing.y,
                                           text_of, natural, wrapped);
    const bool grew = v.layout.end_message() != end_before || v.layout.row_count() != rows_before;
    // Opened or focused: the marker goes above the first entry the player has not seen.
    if (v.marker_armed != WindowView::Marker::placed) {
        const bool anew = v.marker_armed == WindowView::Marker::anew;
        v.marker_armed = WindowView::Marker::placed;
        const std::size_t unseen = unseen_of(info);
        std::size_t marker =
            unseen > 0 && unseen <= info.history_count ? info.history_count - unseen : kNone;
        if (marker == kNone && !anew) marker = v.marker;
        if (marker != v.marker) {
            const std::size_t old = v.marker;
            v.marker = marker;
            if (old != kNone) v.layout.relead(old);
            if (marker != kNone) v.layout.relead(marker);
        }
    }

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

    const auto shown = v.layout.visible(scroll_y - start.y, scroll_y - start.y + view_h);
    const std::size_t first = shown.first, last = shown.second;
    ImDrawList *dl = ImGui::GetWindowDrawList();
    const float line_h = ImGui::GetTextLineHeight();
    const float lead_line = line_h + style.ItemSpacing.y;
    // Where row r's text starts on screen.
    const ImVec2 origin(child->Pos.x - child->Scroll.x + start.x + kGutter,
                        child->Pos.y - scroll_y + start.y);
    auto text_at = [&](std::size_t r) {
        return ImVec2(origin.x, origin.y + v.layout.top(r) + v.layout.lead_height(r));
    };

    // Selecting: a press (shift: extends), a drag across rows and messages. The whole view is
    // one item, so that a drag selects instead of moving the window.
    auto point_at = [&](ImVec2 mouse) -> history::Point {
        if (first >= last) return {};
        const float y = mouse.y - origin.y;
        std::size_t r = last - 1;
        if (y < v.layout.top(first)) {
            r = first;
        } else {
            const auto [hit, hit_end] = v.layout.visible(y, y + 0.01f);
            if (hit < hit_end && hit < last) r = hit;
        }
        const std::size_t index = v.layout.message_of(r);
        msgr_message m;
        if (!message_at(w, index, m) || m.text == nullptr) return {};
        const HistoryLayout::Row &row = v.layout.row(r);
        const char *b = m.text + std::min<std::size_t>(row.begin, m.text_size);
        const char *e = m.text + std::min<std::size_t>(row.end, m.text_size);
        const ImVec2 at = text_at(r);
        if (mouse.y < at.y) return {index, row.begin};
        const std::string_view d = text.drawn(b, e);
        const std::size_t drawn_off =
            history::hit_offset(*font, font_size, wrap, d.data(), d.data() + d.size(),
                                ImVec2(mouse.x - at.x, mouse.y - at.y));
        return {index, row.begin + history::exact_offset(b, e, drawn_off)};
    };
    {
        const ImGuiID id = child->GetID("##select");
        const ImRect bb = child->InnerRect;
        ImGui::ItemAdd(bb, id, nullptr, ImGuiItemFlags_NoNav);
        bool hovered = false, held = false;
        const bool pressed =
            ImGui::ButtonBehavior(bb, id, &hovered, &held, ImGuiButtonFlags_PressedOnClick);
        ImGui::SetItemAllowOverlap();
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        if (pressed) {
            const history::Point p = point_at(mouse);
            if (!(ImGui::GetIO().KeyShift && v.selection.anchor.valid())) v.selection.anchor = p;
            v.selection.head = p;
            v.selection.dragging = p.valid();
        } else if (held && v.selection.dragging) {
            const history::Point p = point_at(mouse);
            if (p.valid()) v.selection.head = p;
        } else {
            v.selection.dragging = false;
        }
    }
    std::size_t last_seen = kNone;  // the newest entry that is really on screen
    for (std::size_t r = first; r < last; ++r) {
        const HistoryLayout::Row &row = v.layout.row(r);
        const std::size_t index = v.layout.message_of(r);
        msgr_message m;
        if (!message_at(w, index, m) || m.text == nullptr) continue;
        const std::size_t b = std::min<std::size_t>(row.begin, m.text_size);
        const std::size_t e = std::min<std::size_t>(row.end, m.text_size);
        WindowView::DrawnRow *drawn =
            v.drawn_row_count < v.drawn_rows.size() ? &v.drawn_rows[v.drawn_row_count] : nullptr;
        if (drawn != nullptr) {
            drawn->header[0] = drawn->day[0] = '\0';
            drawn->marker = false;
        }
        // Its lead, top down: the day, the marker, the sender's name and the time.
        ImVec2 lead_at(origin.x, origin.y + v.layout.top(r));
        const float lead_w = wrap + mark_w;
        if ((row.lead & HistoryLayout::kLeadDay) != 0) {
            char day[48];
            history::day_label(m.time_unix_ms, frame_now_ms, day, sizeof day);
            labelled_line(*dl, lead_at, lead_w, line_h, day, kDayLine, kDimText, true);
            if (drawn != nullptr) std::memcpy(drawn->day, day, sizeof day);
            lead_at.y += lead_line;
        }
        if ((row.lead & HistoryLayout::kLeadNew) != 0) {
            labelled_line(*dl, lead_at, lead_w, line_h, "New messages", kNewMarker, kNewMarker,
                          false);
            if (drawn != nullptr) drawn->marker = true;
            lead_at.y += lead_line;
        }
        if ((row.lead & HistoryLayout::kLeadHeader) != 0) {
            char sender[96];
            history::sender_name(w, m, peer_name, "You", sender, sizeof sender);
            char time[16];
            history::time_label(m.time_unix_ms, time, sizeof time);
            ImGui::SetCursorScreenPos(lead_at);
            text_coloured(history::from_user(m) ? kOutgoingText : kIncomingText, sender);
            ImGui::SameLine();
            text_coloured(kDimText, time);
            if (drawn != nullptr) {
                // "Name  14:03", the name as a one-line label.
                copy_label(drawn->header, sizeof drawn->header - sizeof time - 2, sender);
                const std::size_t n = std::strlen(drawn->header);
                drawn->header[n] = ' ';
                drawn->header[n + 1] = ' ';
                text::copy_cstr(drawn->header + n + 2, sizeof drawn->header - n - 2, time);
            }
        }
        ImGui::SetCursorPos(
            ImVec2(start.x + kGutter, start.y + v.layout.top(r) + v.layout.lead_height(r)));
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = v.layout.height(r) - v.layout.lead_height(r) - style.ItemSpacing.y;
        // The selection behind the text.
        std::size_t sel_b = 0, sel_e = 0;
        if (v.selection.range_in(index, m.text_size, sel_b, sel_e) && sel_b < e && sel_e > b) {
            const char *eb = m.text + b;
            const char *ee = m.text + e;
            const std::size_t from = history::drawn_offset(eb, ee, std::max(sel_b, b) - b);
            const std::size_t to = history::drawn_offset(eb, ee, std::min(sel_e, e) - b);
            const std::string_view d = text.drawn(eb, ee);
            history::draw_highlight(*dl, *font, font_size, wrap, d.data(), d.data() + d.size(),
                                    from, to, p, kSelection);
        }
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
        if (!text.draw_rtl(m.text + b, m.text + e, wrap, colour, true))
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
        if (drawn != nullptr) {
            drawn->index = index;
            drawn->rect = DrawnRect{p.x, p.y, wrap, h};
            drawn->mark = mark;
            ++v.drawn_row_count;
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
    // Copy: Ctrl+C while the history has the keyboard (a click in it gives it), or the menu.
    bool copy = false;
    if (ImGui::IsWindowFocused() && ImGui::GetIO().KeyCtrl &&
        ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_C), false)) {
        copy = true;
    }
    if (ImGui::BeginPopupContextWindow("##history-menu")) {
        if (ImGui::MenuItem("Copy", "Ctrl+C", false, !v.selection.empty())) copy = true;
        ImGui::EndPopup();
    }
    if (copy && !v.selection.empty()) copy_selection(v);
    ImGui::EndChild();

    // What the user really saw (the overlay is open and this window's content was drawn): the
    // runtime marks it seen and tells the contact, once per newer entry.
    if (unseen_of(info) > 0 && last_seen != kNone &&
        (v.seen_upto == kNone || last_seen > v.seen_upto)) {
        if (msgr_ui_history_seen(v.w, last_seen) == MSGR_S_OK) v.seen_upto = last_seen;
    }
}

// The selection to the host's clipboard, through ImGui's clipboard functions: they are hooked
// (Impl::hook_clipboard) to take the drawn form and give the host the exact text.
void Overlay::Impl::copy_selection(const WindowView &v) {
    msgr_window *w = v.w;
    const std::string exact =
        history::selected_text(v.selection, [w](std::size_t i) -> std::string_view {
            msgr_message m;
            if (!message_at(w, i, m) || m.text == nullptr) return {};
            return {m.text, m.text_size};
        });
    const std::string drawn(text.drawn(exact.data(), exact.data() + exact.size()));
    ImGui::SetClipboardText(drawn.c_str());
}

}  // namespace msgr::render

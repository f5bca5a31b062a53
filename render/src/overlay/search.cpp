// The search window over the stored history.
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
        bool edited = false;
        bool go = typed_field("##query", search_query, sizeof search_query, ImVec2(0, 0),
                              ImGuiInputTextFlags_EnterReturnsTrue, false, edited);
        search_query_rect = last_item_rect();
        ImGui::SameLine();
        go |= ImGui::Button("Search", ImVec2(-1.0f, 0.0f));
        search_button_rect = last_item_rect();
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
            row.rect = last_item_rect();
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

}  // namespace msgr::render

// The contact list: contacts, their status and unread counts, Chat and Page, a contact's menu
// (Block / Unblock, Remove from list); the player's name, requests and Add a friend are in
// requests.cpp.
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

void Overlay::Impl::draw_contacts(std::int32_t my_status) {
    const ImGuiIO &io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x - 20.0f, 20.0f), ImGuiCond_Appearing,
                            ImVec2(1.0f, 0.0f));
    ImGui::SetNextWindowSize(ImVec2(320, 460), ImGuiCond_Appearing);
    if (focus_contacts) {  // a friend request's toast was clicked
        ImGui::SetNextWindowFocus();
        ImGui::SetNextWindowCollapsed(false);
        focus_contacts = false;
    }
    // It appears with the overlay without taking focus from the conversation the player opened
    // it for (a click on a toast, Show, an incoming message's window).
    if (ImGui::Begin("Contacts###msgr-contacts", nullptr,
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing)) {
        draw_me();
        draw_my_activity();
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
        draw_requests();
        ImGui::Separator();

        std::size_t n = 0;
        msgr_my_contacts_count(rt, &n);
        open_menu = false;
        for (std::size_t i = 0; i < n; ++i) {
            msgr_contact *c = nullptr;
            if (msgr_my_contacts_get(rt, i, &c) != MSGR_S_OK) continue;
            ImGui::PushID(static_cast<int>(i));
            draw_contact_row(i, c);
            ImGui::PopID();
            msgr_contact_release(c);
        }
        contact_rects = std::min(n, kContactRects);
        contacts_frame = frame;
        draw_contact_menu();
        ImGui::Separator();
        draw_add_friend();
        ImGui::TextUnformatted("Chat with:");
        ImGui::SetNextItemWidth(-60.0f);
        bool edited = false;
        bool go = typed_field("##imname", im_name, sizeof im_name, ImVec2(0, 0),
                              ImGuiInputTextFlags_EnterReturnsTrue, false, edited);
        chat_with_rect = last_item_rect();
        ImGui::SameLine();
        go |= ImGui::Button("Open");
        if (go && im_name[0] != '\0') {
            msgr_window *w = nullptr;
            const msgr_variant who{MSGR_VT_BSTR, text.exact(im_name), nullptr};
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

// One contact: status, name ("(blocked)" after it), unread count, Chat and Page; a right-click
// anywhere on the row opens its menu (Block / Unblock, Remove from list).
void Overlay::Impl::draw_contact_row(std::size_t i, msgr_contact *c) {
    const char *friendly = nullptr;
    const char *signin = nullptr;
    std::int32_t st = MSGR_STATUS_UNKNOWN;
    int blocked = 0;
    if (msgr_contact_friendly_name(c, &friendly) != MSGR_S_OK) friendly = "";
    if (msgr_contact_signin_name(c, &signin) != MSGR_S_OK) signin = "";
    msgr_contact_status(c, &st);
    if (msgr_contact_blocked(c, &blocked) != MSGR_S_OK) blocked = 0;
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float r = ImGui::GetTextLineHeight() * 0.3f;
    ImGui::GetWindowDrawList()->AddCircleFilled(
        ImVec2(p.x + r, p.y + ImGui::GetTextLineHeight() * 0.5f), r, status_colour(st));
    ImGui::SetCursorScreenPos(ImVec2(p.x + r * 2.0f + 6.0f, p.y));
    char label[132];
    copy_label(label, sizeof label, friendly);
    text_coloured(blocked != 0 ? kDimText : status_colour(st), label);
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        copy_label(label, sizeof label, signin);
        text_plain(label);
        ImGui::EndTooltip();
    }
    ImGui::SameLine();
    if (blocked != 0) {
        text_coloured(kErrorText, "(blocked)");
    } else {
        text_coloured(kDimText, status_word(st));
    }
    if (i < contact_blocked.size()) contact_blocked[i] = blocked != 0;
    // What the contact is doing (rich presence): one dim line under the name.
    const std::size_t a = activity_label(i, c);
    const char *activity = activities[a].text;
    if (i < contact_activity.size()) contact_activity[i] = activity[0] != '\0' ? a + 1 : 0;
    if (activity[0] != '\0') {
        ImGui::SetCursorScreenPos(ImVec2(p.x + r * 2.0f + 6.0f, ImGui::GetCursorScreenPos().y));
        text_coloured(kActivityText, activity);
    }
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
        rects[i] = last_item_rect();
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
    // The row: from its start to the window's right edge, down to its last item.
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    const ImVec2 lo = p, hi(std::max(right, ImGui::GetItemRectMax().x), ImGui::GetItemRectMax().y);
    if (i < row_rects.size()) row_rects[i] = {lo.x, lo.y, hi.x - lo.x, hi.y - lo.y};
    if (ImGui::IsWindowHovered(ImGuiHoveredFlags_AllowWhenBlockedByPopup) &&
        ImGui::IsMouseHoveringRect(lo, hi) && ImGui::IsMouseReleased(ImGuiMouseButton_Right)) {
        menu_contact = HeldContact(c);
        open_menu = true;
    }
}

std::size_t Overlay::Impl::activity_label(std::size_t hint, msgr_contact *c) {
    // Labels are made in the list's order, so row i's is usually at i: looked for there first,
    // so that a steady frame costs one comparison a row.
    std::size_t k = hint;
    if (k >= activities.size() || activities[k].contact.get() != c) {
        k = 0;
        while (k < activities.size() && activities[k].contact.get() != c)
            ++k;
    }
    if (k == activities.size()) {  // first drawn: held, so that the pointer names it alone
        ActivityLabel &fresh = activities.emplace_back();
        fresh.contact = HeldContact(c);
    }
    ActivityLabel &label = activities[k];
    if (label.stale) {
        const char *text = nullptr;
        if (msgr_contact_activity(c, &text) != MSGR_S_OK || text == nullptr) text = "";
        copy_label(label.text, sizeof label.text, text);
        label.stale = false;
    }
    return k;
}

// The player's own activity (msgr_set_my_activity), dim under their name.
void Overlay::Impl::draw_my_activity() {
    if (my_activity_stale) {
        const char *text = nullptr;
        if (msgr_my_activity(rt, &text) != MSGR_S_OK || text == nullptr) text = "";
        copy_label(my_activity, sizeof my_activity, text);
        my_activity_stale = false;
    }
    if (my_activity[0] != '\0') text_coloured(kActivityText, my_activity);
}

// The menu of the contact last right-clicked: its name, Block or Unblock, Remove from list.
void Overlay::Impl::draw_contact_menu() {
    if (open_menu) ImGui::OpenPopup("##contact-menu");
    if (!ImGui::BeginPopup("##contact-menu")) {
        if (!open_menu) menu_contact.reset();
        return;
    }
    msgr_contact *c = menu_contact.get();
    const char *friendly = nullptr;
    const char *signin = nullptr;
    int blocked = 0;
    if (msgr_contact_friendly_name(c, &friendly) != MSGR_S_OK) friendly = "";
    if (msgr_contact_signin_name(c, &signin) != MSGR_S_OK) signin = "";
    if (msgr_contact_blocked(c, &blocked) != MSGR_S_OK) blocked = 0;
    char label[132];
    copy_label(label, sizeof label, friendly);
    text_plain(label);
    ImGui::Separator();
    const bool block = ImGui::MenuItem(blocked != 0 ? "Unblock" : "Block");
    menu_block_rect = last_item_rect();
    const bool remove = ImGui::MenuItem("Remove from list");
    menu_remove_rect = last_item_rect();
    menu_frame = frame;
    ImGui::EndPopup();
    if (block) report(Action::block, signin, msgr_contact_set_blocked(c, blocked != 0 ? 0 : 1));
    if (remove) report(Action::remove_contact, signin, msgr_remove_contact(rt, c));
    if (block || remove) menu_contact.reset();  // MenuItem closed the menu
}

}  // namespace msgr::render

// The contact list's own rooms: the player's name (shown and renamed), friend requests with
// Accept / Decline, and "Add a friend". What they show is made when an event changes it, never on
// a steady frame; what did not work is said in words (the runtime logs the code).
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "msgr/ui.h"
#include "overlay/common.hpp"
#include "overlay/impl.hpp"
#include "words.hpp"

namespace msgr::render {

namespace {

// The request's words: the contact's friendly name, and its sign-in name when that differs.
void name_request(FriendRequest &r) {
    const char *friendly = nullptr;
    const char *signin = nullptr;
    if (msgr_contact_friendly_name(r.contact.get(), &friendly) != MSGR_S_OK) friendly = "";
    if (msgr_contact_signin_name(r.contact.get(), &signin) != MSGR_S_OK) signin = "";
    copy_label(r.name, sizeof r.name, friendly[0] != '\0' ? friendly : signin);
    if (std::strcmp(friendly, signin) != 0 && friendly[0] != '\0') {
        copy_label(r.address, sizeof r.address, signin);
    } else {
        r.address[0] = '\0';
    }
}

}  // namespace

// ---- events (from msgr_runtime_tick, before the frame) ----

void Overlay::Impl::contact_list_event(const msgr_event &ev) {
    switch (ev.type) {
        case MSGR_EVENT_AUTHORIZATION_REQUEST:
            if (ev.contact != nullptr) request_arrived(ev.contact);
            break;
        case MSGR_EVENT_CONTACT_BLOCK_CHANGE:
            // A blocked contact's request is dropped by the runtime: it goes from the list too.
            if (ev.status != 0) drop_request(ev.contact);
            break;
        case MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE:
            for (auto &r : requests) {
                if (r.contact.get() == ev.contact) name_request(r);
            }
            break;
        case MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE:
            my_name_stale = true;
            break;
        case MSGR_EVENT_CONTACT_ACTIVITY_CHANGE:
            for (auto &a : activities) {
                if (a.contact.get() == ev.contact) a.stale = true;
            }
            break;
        case MSGR_EVENT_MY_ACTIVITY_CHANGE:
            my_activity_stale = true;
            break;
        case MSGR_EVENT_CONTACT_LIST_ADD:
            add_answered(ev.contact, ev.hr);
            break;
        case MSGR_EVENT_SIGNOUT:
        case MSGR_EVENT_APP_SHUTDOWN:
            // The runtime forgets the session's requests: nothing is left to answer.
            for (auto &t : toasts) {
                if (t.request != nullptr) drop_toast(t);
            }
            requests.clear();
            adds_asked.clear();
            activities.clear();  // the contacts they hold go while the runtime is there
            contact_activity.fill(0);
            my_activity_stale = true;
            menu_contact.reset();
            renaming = false;
            my_name_stale = true;
            add_status[0] = '\0';
            break;
        default:
            break;
    }
}

void Overlay::Impl::request_arrived(msgr_contact *c) {
    for (const auto &r : requests) {
        if (r.contact.get() == c) return;  // asked again: still the one row
    }
    FriendRequest &r = requests.emplace_back();
    r.contact = HeldContact(c);
    name_request(r);
    Toast &t = free_toast();
    copy_label(t.from, sizeof t.from, r.name);
    text::copy_cstr(t.text, sizeof t.text, "wants to be your friend");
    t.colour = kHighlight;
    t.age = 0.0f;
    t.serial = ++toast_serial;
    t.live = true;
    t.w = nullptr;
    t.request = c;
    msgr_contact_add_ref(c);
}

// The requests that waited before the overlay was made (raised while nothing listened for them):
// rows and toasts as if they arrived now.
void Overlay::Impl::load_requests() {
    std::size_t n = 0;
    if (msgr_authorization_requests_count(rt, &n) != MSGR_S_OK) return;
    for (std::size_t i = 0; i < n; ++i) {
        msgr_contact *c = nullptr;
        if (msgr_authorization_requests_get(rt, i, &c) != MSGR_S_OK) continue;
        request_arrived(c);
        msgr_contact_release(c);  // request_arrived holds its own references
    }
}

// A request answered or blocked: its row goes, and its toast.
void Overlay::Impl::drop_request(const msgr_contact *c) {
    std::erase_if(requests, [&](const FriendRequest &r) { return r.contact.get() == c; });
    for (auto &t : toasts) {
        if (t.live && t.request == c) drop_toast(t);
    }
}

// The service's answer to a contact the player asked to add (others' list changes are not the
// Add a friend line's to tell).
void Overlay::Impl::add_answered(msgr_contact *c, msgr_hresult hr) {
    const auto asked = std::find_if(adds_asked.begin(), adds_asked.end(),
                                    [&](const HeldContact &h) { return h.get() == c; });
    if (asked == adds_asked.end()) return;
    adds_asked.erase(asked);
    const char *signin = nullptr;
    if (c == nullptr || msgr_contact_signin_name(c, &signin) != MSGR_S_OK) signin = "";
    const char *words =
        MSGR_FAILED(hr) ? result_words(Action::added, hr) : add_success_words(hr, true);
    char label[132];
    copy_label(label, sizeof label, signin);
    (void)std::snprintf(add_status, sizeof add_status, "%s: %s", label, words);
    add_failed = MSGR_FAILED(hr);
}

// ---- the frame ----

// The player's name at the top of the list, and Rename: a field, Enter or Save sets it.
void Overlay::Impl::draw_me() {
    if (my_name_stale) {
        const char *name = nullptr;
        const char *me = nullptr;
        if (msgr_my_friendly_name(rt, &name) != MSGR_S_OK || name == nullptr) name = "";
        if (msgr_my_signin_name(rt, &me) != MSGR_S_OK || me == nullptr) me = "";
        copy_label(my_name, sizeof my_name, name[0] != '\0' ? name : me);
        copy_label(my_signin, sizeof my_signin, std::strcmp(name, me) != 0 ? me : "");
        my_name_stale = false;
    }
    if (!renaming) {
        text_plain(my_name);
        ImGui::SameLine();
        if (ImGui::SmallButton("Rename")) {
            renaming = true;
            rename_focus = true;
            (void)text.drawn_into(my_name, rename_buf, sizeof rename_buf);
        }
        rename_rect = last_item_rect();
        if (my_signin[0] != '\0') text_coloured(kDimText, my_signin);
        return;
    }
    if (rename_focus) {
        ImGui::SetKeyboardFocusHere();
        rename_focus = false;
    }
    // Escape in the field cancels (ImGui's field lets go of the keyboard on it).
    const bool escaped = ImGui::GetActiveID() == ImGui::GetID("##myname") &&
                         ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape));
    ImGui::SetNextItemWidth(-110.0f);
    bool edited = false;
    bool save = typed_field("##myname", rename_buf, sizeof rename_buf, ImVec2(0, 0),
                            ImGuiInputTextFlags_EnterReturnsTrue, false, edited);
    rename_field_rect = last_item_rect();
    ImGui::SameLine();
    save |= ImGui::SmallButton("Save");
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel") || escaped) {
        renaming = false;
        return;
    }
    if (!save) return;
    const msgr_hresult hr = msgr_set_my_friendly_name(rt, text.exact(rename_buf));
    report(Action::rename, "", hr);
    if (!MSGR_FAILED(hr)) renaming = false;  // S_FALSE: the name it was
}

// Friend requests: each with Accept, Decline and Block; answered or blocked, it goes.
void Overlay::Impl::draw_requests() {
    requests_drawn = 0;
    if (requests.empty()) return;
    ImGui::Separator();
    text_coloured(kHighlight, "Requests");
    const msgr_contact *answered = nullptr;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        FriendRequest &r = requests[i];
        ImGui::PushID(static_cast<int>(i));
        text_plain(r.name);
        if (r.address[0] != '\0') {
            ImGui::SameLine();
            text_coloured(kDimText, r.address);
        }
        const bool accept = ImGui::SmallButton("Accept");
        r.accept_rect = last_item_rect();
        ImGui::SameLine();
        const bool decline = ImGui::SmallButton("Decline");
        r.decline_rect = last_item_rect();
        ImGui::SameLine();
        const bool block = ImGui::SmallButton("Block");
        r.block_rect = last_item_rect();
        ImGui::PopID();
        const char *signin = nullptr;
        if (msgr_contact_signin_name(r.contact.get(), &signin) != MSGR_S_OK) signin = "";
        if (accept || decline) {
            const msgr_hresult hr = msgr_authorize(rt, r.contact.get(), accept ? 1 : 0);
            report(Action::authorize, signin, hr);
            // E_FAIL: no request is waiting from it any more (answered elsewhere).
            if (!MSGR_FAILED(hr) || hr == MSGR_E_FAIL) answered = r.contact.get();
        } else if (block) {
            // Blocked, its request goes with the CONTACT_BLOCK_CHANGE event.
            report(Action::block, signin, msgr_contact_set_blocked(r.contact.get(), 1));
        }
    }
    requests_drawn = requests.size();
    if (answered != nullptr) {
        drop_request(answered);
        requests_drawn = requests.size();
    }
}

// Add a friend: a sign-in name, Add or Enter; what came of it in words under the field.
void Overlay::Impl::draw_add_friend() {
    ImGui::TextUnformatted("Add a friend:");
    ImGui::SetNextItemWidth(-60.0f);
    bool edited = false;
    bool go = typed_field("##addname", add_name, sizeof add_name, ImVec2(0, 0),
                          ImGuiInputTextFlags_EnterReturnsTrue, false, edited);
    add_field_rect = last_item_rect();
    ImGui::SameLine();
    go |= ImGui::Button("Add");
    add_button_rect = last_item_rect();
    if (go) add_friend();
    if (add_status[0] != '\0') {
        ImGui::PushTextWrapPos(0.0f);
        text_coloured(add_failed ? kErrorText : kDimText, add_status);
        ImGui::PopTextWrapPos();
    }
}

void Overlay::Impl::add_friend() {
    const char *name = text.exact(add_name);
    char label[132];
    copy_label(label, sizeof label, name);
    const msgr_hresult hr = msgr_add_contact(rt, name, nullptr);
    const char *words =
        MSGR_FAILED(hr) ? result_words(Action::add_contact, hr) : add_success_words(hr, false);
    msgr_contact *c = nullptr;
    if (hr == MSGR_E_FAIL && msgr_get_contact(rt, name, nullptr, &c) == MSGR_S_OK) {
        // The local user, or a contact the player blocked: which one.
        int self = 0;
        int blocked = 0;
        (void)msgr_contact_is_self(c, &self);
        (void)msgr_contact_blocked(c, &blocked);
        if (self != 0) words = "That is you.";
        if (blocked != 0) words = "You blocked this contact: unblock them first.";
    } else if (hr == MSGR_S_OK && msgr_get_contact(rt, name, nullptr, &c) == MSGR_S_OK) {
        adds_asked.emplace_back(c);  // the answer comes as CONTACT_LIST_ADD
    }
    msgr_contact_release(c);
    if (label[0] == '\0') {
        text::copy_cstr(add_status, sizeof add_status, words);
    } else {
        (void)std::snprintf(add_status, sizeof add_status, "%s: %s", label, words);
    }
    add_failed = MSGR_FAILED(hr);
    if (!MSGR_FAILED(hr)) add_name[0] = '\0';
}

}  // namespace msgr::render

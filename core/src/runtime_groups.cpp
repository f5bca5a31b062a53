// Conversations with several contacts (IMessengerConversationWnd AddContact, Contacts;
// OnIMWindowContactAdded / Removed): the runtime's checks and events around the window
// manager's contacts (windows/window_manager.hpp).
#include "runtime.hpp"

#include "error.hpp"

namespace msgr::core {

// The checks add_contact and remove_contact share, in the documented order (msgr.h): the
// variant, the sign-in state, the window.
msgr_hresult Runtime::check_member(msgr_window &w, const msgr_variant &v, ContactRef &out) {
    const msgr_hresult hr = check_variant(v);
    if (MSGR_FAILED(hr)) return hr;
    if (state_ != State::online) {
        return fail(MSGR_E_NOT_LOGGED_ON, "not signed in to the primary service");
    }
    if (w.rt != this || w.state != msgr_window::State::open)
        return fail(MSGR_E_FAIL, "the window is closed");
    if (w.kind != MSGR_WINDOW_CONVERSATION)
        return fail(MSGR_E_FAIL, "a page window has exactly one contact");
    out = resolve(v);
    if (state_ != State::online) return primary_vanished();
    return MSGR_S_OK;
}

msgr_hresult Runtime::add_contact(msgr_window &w, const msgr_variant &v) {
    ContactRef c;
    msgr_hresult hr = check_member(w, v, c);
    if (MSGR_FAILED(hr)) return hr;
    if (variant_is_self(v, *c)) {
        return fail(MSGR_E_FAIL, "the local user is in every conversation already");
    }
    if (c->service != w.contact->service) {
        return fail(MSGR_E_FAIL, "the contact is on the service \"" + c->service +
                                     "\", the conversation on \"" + w.contact->service + "\"");
    }
    Service *service = find_service(c->service);
    if (service == nullptr || !service->supports_multi_party()) {
        return fail(MSGR_E_FAIL, "the service \"" + c->service +
                                     "\" does not support conversations with several contacts");
    }
    if (WindowManager::has_contact(w, *c)) return MSGR_S_FALSE;
    if (w.contacts.size() >= config_.max_conversation_contacts) {
        return fail(MSGR_E_SESSION_FULL, "the conversation has " +
                                             std::to_string(w.contacts.size()) +
                                             " contacts (runtime.max_conversation_contacts)");
    }
    if (w.group.empty()) become_group(w, new_origin_id());
    hr = WindowManager::add_contact(w, c, w.group);
    if (hr == MSGR_S_OK)
        raise({MSGR_EVENT_IM_WINDOW_CONTACT_ADDED, MSGR_S_OK, 0, c, WindowRef(&w)});
    return hr;
}

msgr_hresult Runtime::remove_contact(msgr_window &w, const msgr_variant &v) {
    ContactRef c;
    msgr_hresult hr = check_member(w, v, c);
    if (MSGR_FAILED(hr)) return hr;
    if (!WindowManager::has_contact(w, *c)) return MSGR_S_FALSE;
    if (w.contacts.size() == 1) {
        return fail(MSGR_E_FAIL, "a conversation keeps at least one contact (close the window)");
    }
    hr = WindowManager::remove_contact(w, *c);
    if (hr == MSGR_S_OK)
        raise({MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED, MSGR_S_OK, 0, c, WindowRef(&w)});
    return hr;
}

// The group's conversation is its own (stored under the group's id): the window shows it from
// now on, and the one-to-one conversation stays its contact's (InstantMessage opens it anew).
void Runtime::become_group(msgr_window &w, std::string group) {
    w.group = std::move(group);
    w.recent.clear();
    w.page.clear();
    w.page_seq = 0;
    w.first_seq = 0;
    w.end_seq = 0;
    w.unseen_count = 0;
    w.archive_start = false;
    w.displayed_receipt.clear();
    w.peer_chat_state = MSGR_CHAT_STATE_NONE;
    load_history(w);
    ++w.history_serial;
}

WindowRef Runtime::group_window(Service &service, const std::string &group,
                                const ContactRef &sender) {
    WindowRef w = windows_.find_group(service.id(), group);
    if (w == nullptr) {
        // As for a one-to-one message: a group's message opens its window (the cap does not
        // apply: refusing would lose it), on the group's stored conversation.
        w = windows_.create(this, MSGR_WINDOW_CONVERSATION, sender);
        w->group = group;
        load_history(*w);
        raise({MSGR_EVENT_IM_WINDOW_CREATED, MSGR_S_OK, 0, w->contact, w});
    } else if (!WindowManager::has_contact(*w, *sender) &&
               w->contacts.size() < config_.max_conversation_contacts) {
        // Someone the service counts in the group wrote: they are in the conversation.
        (void)WindowManager::add_contact(*w, sender, group);
        raise({MSGR_EVENT_IM_WINDOW_CONTACT_ADDED, MSGR_S_OK, 0, sender, w});
    }
    return w;
}

}  // namespace msgr::core

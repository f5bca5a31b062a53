// The contact list as the user manages it (IMessenger::AddContact, IMessengerContact.Blocked,
// MyFriendlyName; OnContactListAdd / Remove, OnContactBlockChange, OnContactFriendlyNameChange,
// OnMyFriendlyNameChange) and a contact's request to add the user: the runtime's checks, in the
// order msgr.h documents them, and what the services report about the list (add-in ABI 1.6).
#include <algorithm>

#include "error.hpp"
#include "runtime.hpp"
#include "text.hpp"

namespace msgr::core {

namespace {

// What msgr_set_my_friendly_name refuses (msgr.h), or nullptr.
const char *bad_friendly_name(const char *name) {
    if (name == nullptr) return "the name is NULL";
    const std::string_view s(name);
    if (s.empty()) return "the name is empty";
    if (!is_valid_utf8(s)) return "the name is not valid UTF-8";
    if (s.find_first_of("\r\n") != std::string_view::npos) return "the name contains CR or LF";
    if (utf16_length(s) > MSGR_MAX_FRIENDLY_NAME_UTF16)
        return "the name is longer than 129 UTF-16 units";
    return nullptr;
}

// A failed service call: its reason was set where it failed; MSGR_E_NOTIMPL gets one here.
msgr_hresult not_supported(msgr_hresult hr, const std::string &service, const char *what) {
    if (hr != MSGR_E_NOTIMPL) return hr;
    return fail(hr, "the service \"" + service + "\" does not support " + what +
                        " (its add-in is older than add-in ABI 1.6, or has no such function)");
}

}  // namespace

// The checks that remove, authorize and set_blocked share: the contact is one of this runtime's
// (the C ABI checked the handle), and the user is signed in.
msgr_hresult Runtime::check_listed(const msgr_contact &c) const {
    if (c.rt != this) return fail(MSGR_E_INVALIDARG, "the contact belongs to another runtime");
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    return MSGR_S_OK;
}

msgr_hresult Runtime::list_add(const char *signin, const char *service_id) {
    Service *service = nullptr;
    const msgr_hresult checked = check_name_and_service(signin, service_id, service);
    if (MSGR_FAILED(checked)) return checked;
    if (service == primary_ && fold_case(signin) == my_key_) {
        return fail(MSGR_E_FAIL, "the local user cannot be added to their own contact list");
    }
    const std::string id = service->id();  // the service may go while it is called
    ContactRef c = contact_for(*service, signin);
    if (state_ != State::online) return primary_vanished();
    if (c->in_list) {
        return fail(MSGR_E_ALREADY_IN_LIST, c->signin + " is on the contact list already");
    }
    if (c->blocked) return fail(MSGR_E_FAIL, c->signin + " is blocked: unblock it first");
    if (find_service(id) != service) return fail(MSGR_E_FAIL, "the service \"" + id + "\" is gone");
    if (adding_.count({id, c->key}) != 0) return MSGR_S_FALSE;  // asked already, not answered
    const msgr_hresult hr = service->add_contact(c->signin);
    if (MSGR_FAILED(hr)) return not_supported(hr, id, "adding contacts");
    adding_.insert({id, c->key});
    return MSGR_S_OK;
}

msgr_hresult Runtime::list_remove(msgr_contact &c) {
    msgr_hresult hr = check_listed(c);
    if (MSGR_FAILED(hr)) return hr;
    if (!c.in_list) return MSGR_S_FALSE;
    Service *service = find_service(c.service);
    if (service == nullptr) return fail(MSGR_E_FAIL, "the contact's service is gone");
    const ContactRef keep(&c);
    hr = service->remove_contact(c.signin);
    if (MSGR_FAILED(hr)) return not_supported(hr, c.service, "removing contacts");
    if (!c.in_list) return MSGR_S_OK;  // (its report came first: raised there)
    c.in_list = false;
    std::erase(contact_list_, keep);
    raise({MSGR_EVENT_CONTACT_LIST_REMOVE, MSGR_S_OK, 0, keep});
    return MSGR_S_OK;
}

msgr_hresult Runtime::authorize(msgr_contact &c, bool accept) {
    msgr_hresult hr = check_listed(c);
    if (MSGR_FAILED(hr)) return hr;
    const ContactRef keep(&c);
    const auto it = std::find(requests_.begin(), requests_.end(), keep);
    if (it == requests_.end()) {
        return fail(MSGR_E_FAIL, "no request from " + c.signin + " is waiting for an answer");
    }
    Service *service = find_service(c.service);
    if (service == nullptr) return fail(MSGR_E_FAIL, "the contact's service is gone");
    hr = service->authorize(c.signin, accept);
    if (MSGR_FAILED(hr)) return not_supported(hr, c.service, "answering requests");
    std::erase(requests_, keep);
    return MSGR_S_OK;
}

msgr_hresult Runtime::set_blocked(msgr_contact &c, bool blocked) {
    msgr_hresult hr = check_listed(c);
    if (MSGR_FAILED(hr)) return hr;
    if (is_self(c)) return fail(MSGR_E_FAIL, "the local user cannot be blocked");
    if (c.blocked == blocked) return MSGR_S_FALSE;
    Service *service = find_service(c.service);
    if (service == nullptr) return fail(MSGR_E_FAIL, "the contact's service is gone");
    const ContactRef keep(&c);
    hr = service->set_blocked(c.signin, blocked);
    if (MSGR_FAILED(hr)) return not_supported(hr, c.service, "blocking contacts");
    change_blocked(keep, blocked);
    return MSGR_S_OK;
}

msgr_hresult Runtime::set_my_friendly_name(const char *name) {
    if (const char *why = bad_friendly_name(name)) return fail(MSGR_E_INVALIDARG, why);
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    if (my_friendly_ == name) return MSGR_S_FALSE;
    const std::string id = primary_->id();
    const std::string copy(name);  // the service call may reach the caller's string
    const msgr_hresult hr = primary_->set_friendly_name(copy);
    if (MSGR_FAILED(hr)) return not_supported(hr, id, "changing the user's friendly name");
    if (state_ != State::online) return MSGR_S_OK;  // the service went in the call
    change_my_friendly_name(copy);
    return MSGR_S_OK;
}

void Runtime::change_blocked(const ContactRef &c, bool blocked) {
    if (c->blocked == blocked) return;
    c->blocked = blocked;
    if (blocked) std::erase(requests_, c);  // a blocked contact's request never reaches the user
    raise({MSGR_EVENT_CONTACT_BLOCK_CHANGE, MSGR_S_OK, blocked ? 1 : 0, c});
}

void Runtime::change_my_friendly_name(const std::string &name) {
    if (my_friendly_ == name) return;
    my_friendly_ = name;
    Pending p{MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE};
    p.text = name;
    raise(std::move(p));
}

void Runtime::list_change(Service &service, const ContactListChange &m) {
    ContactRef c = contact_for(service, m.signin);
    if (m.added) adding_.erase({service.id(), c->key});  // accepted: post_contact answers it too
    if (c->in_list == m.added) return;
    c->in_list = m.added;
    if (m.added) {
        contact_list_.push_back(c);
    } else {
        std::erase(contact_list_, c);
    }
    raise(
        {m.added ? MSGR_EVENT_CONTACT_LIST_ADD : MSGR_EVENT_CONTACT_LIST_REMOVE, MSGR_S_OK, 0, c});
}

void Runtime::contact_report(Service &service, const ContactReport &m) {
    if (state_ != State::online) return;
    ContactRef c = contact_for(service, m.signin);
    if (state_ != State::online) return;  // the service failed describing it
    switch (m.kind) {
        case ContactReport::Kind::add_result:
            if (adding_.erase({service.id(), c->key}) == 0) return;  // nobody asked
            if (m.hr == MSGR_S_OK) {
                list_change(service, ContactListChange{m.service, m.session, m.signin, true});
                return;
            }
            raise({MSGR_EVENT_CONTACT_LIST_ADD, m.hr, 0, c});
            return;
        case ContactReport::Kind::authorization_request:
            if (c->blocked) {
                log(MSGR_LOG_DEBUG,
                    "a request from the blocked contact " + c->signin + " was dropped");
                return;
            }
            if (std::find(requests_.begin(), requests_.end(), c) != requests_.end()) return;
            requests_.push_back(c);
            raise({MSGR_EVENT_AUTHORIZATION_REQUEST, MSGR_S_OK, 0, c});
            return;
        case ContactReport::Kind::blocked:
            change_blocked(c, m.flag);
            return;
        case ContactReport::Kind::friendly_name: {
            const std::string name = m.text.empty() ? c->signin : sanitize_utf8(m.text);
            if (is_self(*c)) {  // the user's own, changed elsewhere
                change_my_friendly_name(name);
                return;
            }
            if (c->friendly == name) return;
            c->friendly = name;
            Pending p{MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, MSGR_S_OK, 0, c};
            p.text = name;
            raise(std::move(p));
            return;
        }
        case ContactReport::Kind::activity:
            contact_activity(c, m.text);
            return;
    }
}

}  // namespace msgr::core

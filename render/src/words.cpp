#include "words.hpp"

namespace msgr::render {

namespace {

const char *signin_words(msgr_hresult hr) noexcept {
    switch (hr) {
        case MSGR_E_INVALIDARG:
            return "That sign-in name is not valid.";
        case MSGR_E_ALREADY_LOGGED_ON:
        case MSGR_E_LOGGED_ON:
            return "You are already signed in.";
        case MSGR_E_CONNECT:
        case MSGR_E_SERVER_UNAVAILABLE:
            return "The server cannot be reached. Check your connection and try again.";
        case MSGR_E_INVALID_SERVER_NAME:
            return "The server's name is not right.";
        case MSGR_E_INVALID_PASSWORD:
            return "The sign-in name or the password is not right.";
        case MSGR_E_USER_NOT_FOUND:
            return "There is no account with that name.";
        case MSGR_E_LOGON_TIMEOUT:
            return "Signing in took too long. Try again.";
        case MSGR_E_SERVER_VERSION:
            return "The server speaks a version this game does not know.";
        case MSGR_E_CANCEL:
            return "Signing in was cancelled.";
        default:
            return "You could not be signed in. Try again.";
    }
}

// What Chat and Page share: the contact argument and the sign-in state.
const char *contact_words(msgr_hresult hr) noexcept {
    switch (hr) {
        case MSGR_E_INVALIDARG:
            return "That is not a contact's address.";
        case MSGR_E_NOT_LOGGED_ON:
        case MSGR_E_PRIMARY_SERVICE_NOT_LOGGED_ON:
            return "Sign in first.";
        case MSGR_E_DISCONNECTED:
            return "You were signed out. Sign in again.";
        default:
            return nullptr;
    }
}

const char *chat_words(msgr_hresult hr) noexcept {
    if (const char *shared = contact_words(hr); shared != nullptr) return shared;
    return "That conversation could not be opened.";
}

const char *page_words(msgr_hresult hr) noexcept {
    if (const char *shared = contact_words(hr); shared != nullptr) return shared;
    switch (hr) {
        case MSGR_E_NOTIMPL:
            return "Paging is not available here.";
        case MSGR_E_PAGING_UNAVAILABLE:
            return "This contact has no mobile device to page.";
        case MSGR_E_NOT_ACCEPTING_PAGES:
            return "This contact does not accept pages.";
        default:
            return "This contact cannot be paged.";
    }
}

const char *send_words(msgr_hresult hr) noexcept {
    if (const char *shared = contact_words(hr); shared != nullptr) return shared;
    switch (hr) {
        case MSGR_E_MESSAGE_TOO_LONG:
            return "The message is too long.";
        case MSGR_E_INVALIDARG:
            return "The message cannot be sent as it is (empty, or not text).";
        case MSGR_E_NOTIMPL:
            return "Paging is not available here.";
        case MSGR_E_DISK_FULL:
            return "The disk is full: the message could not be kept, so it was not sent.";
        case MSGR_E_ACCESSDENIED:
        case MSGR_E_WRITE_PROTECT:
            return "The history cannot be written: the message was not sent.";
        default:
            return "The message could not be sent.";
    }
}

const char *search_words(msgr_hresult hr) noexcept {
    switch (hr) {
        case MSGR_E_INVALIDARG:
            return "Type a word to search for.";
        case MSGR_E_NOT_LOGGED_ON:
            return "Sign in first.";
        default:
            return "The history cannot be searched right now.";
    }
}

// Add a friend, as msgr_add_contact answers (the E_FAIL for the local user and for a blocked
// contact are told apart by the caller, which knows which it is).
const char *add_words(msgr_hresult hr) noexcept {
    switch (hr) {
        case MSGR_E_INVALIDARG:
            return "That is not a valid sign-in name.";
        case MSGR_E_NOT_LOGGED_ON:
        case MSGR_E_PRIMARY_SERVICE_NOT_LOGGED_ON:
            return "Sign in first.";
        case MSGR_E_ALREADY_IN_LIST:
            return "Already on your list.";
        case MSGR_E_NOTIMPL:
            return "This service cannot add friends.";
        default:
            return "Could not be asked. Try again.";
    }
}

// The service's answer to a request to add a contact (MSGR_EVENT_CONTACT_LIST_ADD).
const char *added_words(msgr_hresult hr) noexcept {
    switch (hr) {
        case MSGR_E_USER_NOT_FOUND:
            return "There is nobody with that name.";
        case MSGR_E_FAIL:
            return "Your request was declined.";
        case MSGR_E_ALREADY_IN_LIST:
            return "Already on your list.";
        default:
            return "Could not be added to your list.";
    }
}

}  // namespace

const char *add_success_words(msgr_hresult hr, bool answered) noexcept {
    if (MSGR_FAILED(hr)) return nullptr;
    if (answered) return "Added to your list.";
    return hr == MSGR_S_FALSE ? "A request is waiting for an answer already."
                              : "Asked; waiting for an answer.";
}

const char *delivery_failure_words(const char *reason, msgr_hresult hr) noexcept {
    if (reason != nullptr && reason[0] != '\0') return reason;
    const char *words = result_words(Action::deliver, hr);
    return words != nullptr ? words : "It was not delivered.";
}

const char *result_words(Action action, msgr_hresult hr) noexcept {
    if (!MSGR_FAILED(hr)) return nullptr;
    switch (action) {
        case Action::signin:
            return signin_words(hr);
        case Action::set_status:
            return "Your status could not be changed.";
        case Action::chat:
            return chat_words(hr);
        case Action::page:
            return page_words(hr);
        case Action::send:
            return send_words(hr);
        case Action::deliver:
            return hr == MSGR_E_PAGING_UNAVAILABLE ? "The contact's mobile device cannot be paged."
                                                   : "It was not delivered.";
        case Action::search:
            return search_words(hr);
        case Action::open_hit:
            return "That message could not be opened.";
        case Action::forget:
            return "The conversation could not be forgotten. Try again.";
        case Action::add_contact:
            return add_words(hr);
        case Action::added:
            return added_words(hr);
        case Action::authorize:
            return hr == MSGR_E_NOT_LOGGED_ON ? "Sign in first."
                                              : "The request could not be answered. Try again.";
        case Action::block:
            return hr == MSGR_E_NOT_LOGGED_ON ? "Sign in first."
                                              : "Blocking could not be changed for this contact.";
        case Action::remove_contact:
            return hr == MSGR_E_NOT_LOGGED_ON ? "Sign in first."
                                              : "This contact could not be removed.";
        case Action::rename:
            switch (hr) {
                case MSGR_E_INVALIDARG:
                    return "That name cannot be used (empty, too long, or on several lines).";
                case MSGR_E_NOT_LOGGED_ON:
                    return "Sign in first.";
                case MSGR_E_NOTIMPL:
                    return "This service cannot change your name.";
                default:
                    return "Your name could not be changed.";
            }
    }
    return "That did not work.";
}

}  // namespace msgr::render

// Rich presence: what the user is doing in the game (msgr_set_my_activity, told to every
// signed-in service that carries it) and what a contact's service says the contact is doing
// (add-in ABI 1.7: msgr_host_post_activity), with the checks in the order msgr.h documents them.
#include "error.hpp"
#include "runtime.hpp"
#include "text.hpp"

namespace msgr::core {

namespace {

// What msgr_set_my_activity refuses (msgr.h), or nullptr. NULL and "" clear it.
const char *bad_activity(const char *text) {
    if (text == nullptr) return nullptr;
    const std::string_view s(text);
    if (!is_valid_utf8(s)) return "the activity is not valid UTF-8";
    if (s.find_first_of("\r\n") != std::string_view::npos) return "the activity contains CR or LF";
    if (utf16_length(s) > MSGR_MAX_ACTIVITY_UTF16)
        return "the activity is longer than 128 UTF-16 units";
    return nullptr;
}

}  // namespace

msgr_hresult Runtime::set_my_activity(const char *text) {
    if (const char *why = bad_activity(text)) return fail(MSGR_E_INVALIDARG, why);
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    const std::string copy(text == nullptr ? "" : text);  // the call may reach the caller's
    if (my_activity_ == copy) return MSGR_S_FALSE;
    const std::string id = primary_->id();
    const msgr_hresult hr = primary_->set_activity(copy);
    if (MSGR_FAILED(hr)) {
        if (hr != MSGR_E_NOTIMPL) return hr;
        return fail(hr, "the service \"" + id +
                            "\" does not carry an activity (its add-in is older than add-in ABI "
                            "1.7, or has no set_activity)");
    }
    if (state_ != State::online) return MSGR_S_OK;  // the service went in the call
    // The secondary services that signed in with this session and carry it are told too; one
    // that cannot is skipped, one that fails is logged (the primary has it: the call succeeded).
    for (Service *svc : service_snapshot()) {
        if (svc == primary_ || !has_service(svc) || !signs_in_as_secondary(*svc)) continue;
        const std::string sid = svc->id();
        const msgr_hresult shr = svc->set_activity(copy);
        if (MSGR_FAILED(shr) && shr != MSGR_E_NOTIMPL) {
            log(MSGR_LOG_WARNING, "secondary service " + sid +
                                      " did not take the activity: " + msgr_hresult_name(shr));
        }
        if (state_ != State::online) return MSGR_S_OK;
    }
    change_my_activity(copy);
    return MSGR_S_OK;
}

void Runtime::change_my_activity(const std::string &text) {
    if (my_activity_ == text) return;
    my_activity_ = text;
    Pending p{MSGR_EVENT_MY_ACTIVITY_CHANGE};
    p.text = text;
    raise(std::move(p));
}

void Runtime::contact_activity(const ContactRef &c, const std::string &raw) {
    std::string text = clean_status_text(raw, MSGR_MAX_ACTIVITY_UTF16);
    if (is_self(*c)) {  // the user's own, set from another client
        change_my_activity(text);
        return;
    }
    if (c->activity == text) return;
    c->activity = std::move(text);
    Pending p{MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, MSGR_S_OK, 0, c};
    p.text = c->activity;
    raise(std::move(p));
}

}  // namespace msgr::core

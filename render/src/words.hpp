// What a player reads when something they asked for did not happen: a sentence, never a result
// code. The runtime logs the code and its reason (msgr_set_log_handler, MSGR_LOG_DEBUG) for the
// developer; the overlay shows these words.
#pragma once

#include "msgr/msgr.h"

namespace msgr::render {

// What the player asked for.
enum class Action {
    signin,          // the sign-in dialog's button (msgr_signin, or the SIGNIN event's result)
    set_status,      // the status menu (msgr_set_my_status)
    chat,            // Chat, Open (msgr_instant_message)
    page,            // Page (msgr_page)
    send,            // Send, Enter (msgr_ui_send)
    deliver,         // a message or page the service did not deliver (msgr_message.delivery_result)
    search,          // the search window (msgr_history_search and its result)
    open_hit,        // a click on a search hit (msgr_search_open)
    forget,          // Forget, confirmed (msgr_history_forget_contact)
    add_contact,     // Add a friend: the call (msgr_add_contact)
    added,           // Add a friend: the service's answer (MSGR_EVENT_CONTACT_LIST_ADD's hr)
    authorize,       // a friend request's Accept or Decline (msgr_authorize)
    block,           // Block / Unblock (msgr_contact_set_blocked)
    remove_contact,  // Remove from list (msgr_remove_contact)
    rename,          // the player's own name (msgr_set_my_friendly_name)
};

// The sentence for a failed action; nullptr when hr is a success (nothing to say). Never a
// result code's name: an hr this list does not know gets the action's general sentence.
const char *result_words(Action action, msgr_hresult hr) noexcept;

// What Add a friend says when the call or the service's answer succeeded: "Asked; waiting for
// an answer." (the request went out), "A request is waiting for an answer already." (S_FALSE),
// "Added to your list." (the answer, S_OK). `answered`: hr is the CONTACT_LIST_ADD event's.
// nullptr for a failure (result_words says it).
const char *add_success_words(msgr_hresult hr, bool answered) noexcept;

// Why a message was not delivered: the service's own words (msgr_message.delivery_reason) when
// it gave some, else result_words(Action::deliver, hr). Never NULL.
const char *delivery_failure_words(const char *reason, msgr_hresult hr) noexcept;

}  // namespace msgr::render

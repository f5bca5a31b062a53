/* ui.h — the UI surface of the msgr runtime: what only the user's own input may do.
 *
 * "The process of clicking the Send button ... is controlled by the client user and cannot be
 * automated." The automation surface (msgr.h, and the table add-ins get) opens and arranges
 * windows and may prefill a draft; sending lives here, for the layer that draws the windows
 * (render/) to call when the user presses Send. Add-ins are never given these functions.
 */
#ifndef MSGR_UI_H
#define MSGR_UI_H

#include "msgr/msgr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The user pressed Send in window w. The message is appended to the window's history (its index
 * in *out_index when that is not NULL) and handed to the contact's service, or for a page window
 * to the paging add-in; MSGR_EVENT_DELIVERY_CHANGE reports its fate. The draft is cleared.
 * E_INVALIDARG for a NULL, empty or invalid UTF-8 text; MSGR_E_MESSAGE_TOO_LONG past the
 * service's or the paging add-in's limit; E_FAIL on a closed window; RPC_E_DISCONNECTED on a
 * dereferenced one. A message the service refuses stays in the history marked as failed. */
MSGR_API msgr_hresult msgr_ui_send(msgr_window *w, const char *text, size_t *out_index);

/* The longest page the installed paging add-in accepts, in UTF-16 code units (what the page
 * window's character counter counts against); MSGR_E_NOTIMPL with no paging add-in. */
MSGR_API msgr_hresult msgr_ui_max_page_length(msgr_runtime *rt, size_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MSGR_UI_H */

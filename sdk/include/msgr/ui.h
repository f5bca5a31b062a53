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
 * in *out_index when that is not NULL; 0 on every failure, as every out-pointer) and handed to
 * the contact's service, or for a page window to the paging add-in; MSGR_EVENT_DELIVERY_CHANGE
 * reports its fate (with its index, also when the service refused it). The draft is cleared.
 * E_INVALIDARG for a NULL, empty or invalid UTF-8 text; MSGR_E_MESSAGE_TOO_LONG past the
 * service's or the paging add-in's limit; E_FAIL on a closed window; RPC_E_DISCONNECTED on a
 * dereferenced one. A message the service refuses stays in the history marked as failed. */
MSGR_API msgr_hresult msgr_ui_send(msgr_window *w, const char *text, size_t *out_index);

/* The longest page the installed paging add-in accepts, in UTF-16 code units (what the page
 * window's character counter counts against); MSGR_E_NOTIMPL with no paging add-in. */
MSGR_API msgr_hresult msgr_ui_max_page_length(msgr_runtime *rt, size_t *out);

/* ---- What a drawing layer needs to enumerate and arrange the windows ------------------------
 *
 * The overlay (render/) draws every open window each frame. It reads them here, in z-order,
 * applies the geometry and focus that automation asked for, and writes back what the user did
 * (dragging, resizing, clicking a window to the front). None of these calls allocates or fails
 * on a steady frame, so a frame that changes nothing costs no heap allocation. */

/* One open window as the drawing layer sees it. Set struct_size to sizeof(msgr_ui_window_info)
 * before the call; the runtime fills the fields it covers and keeps it as set (msgr.h,
 * "struct_size"; the struct grows at the end). */
typedef struct msgr_ui_window_info {
    uint32_t struct_size;
    msgr_window *window;   /* borrowed: valid until the next tick; msgr_window_add_ref to keep */
    msgr_contact *contact; /* borrowed, as window */
    msgr_window_kind kind;
    int32_t left, top, width, height; /* what the getters answer */
    /* Raised each time automation sets Left/Top/Width/Height: when it changed since the last
     * frame, move and size the drawn window to left/top/width/height. */
    uint64_t geometry_serial;
    /* Raised each time Show, InstantMessage or Page gave the window focus: when it changed,
     * bring the drawn window to the front and give it keyboard focus. */
    uint64_t focus_serial;
    /* Raised each time the draft changes (msgr_window_set_draft, or a send clearing it): when it
     * changed, reload the input from msgr_window_get_draft. */
    uint64_t draft_serial;
    /* Raised each time the history gains an entry or an entry's delivery state changes. */
    uint64_t history_serial;
    size_t history_count;
    /* 0.2 (read them only when the struct_size you passed covers them) */
    /* Raised each time something asked for the window to show one entry (a search result
     * opened, msgr_search_open): when it changed, scroll to history entry scroll_index. */
    uint64_t scroll_serial;
    size_t scroll_index;
    /* The contact's chat state in this conversation (typing: MSGR_CHAT_STATE_COMPOSING) and the
     * count of the history's incoming entries the user has not seen yet. */
    msgr_chat_state peer_chat_state;
    size_t unseen_count;
} msgr_ui_window_info;

/* 0.2. The user has seen the window's history up to entry last_index (the overlay drew it while
 * the window was visible): every incoming entry up to it gains MSGR_MESSAGE_SEEN, and the
 * contact's service is told they were read (XMPP: a XEP-0333 displayed marker for the last of
 * them), once. Only the overlay calls it, on what the player really saw: an add-in cannot mark
 * messages read. E_INVALIDARG past the end; E_FAIL on a closed window. */
MSGR_API msgr_hresult msgr_ui_history_seen(msgr_window *w, size_t last_index);
/* 0.2. The user's own chat state in the window (the overlay: COMPOSING while they type in its
 * input, PAUSED when they stopped a while, ACTIVE after a send or on focus, INACTIVE when the
 * overlay closes, GONE when the window closes); the contact's service is told when it changed.
 * E_INVALIDARG for a value that is not a msgr_chat_state; E_FAIL on a closed window. */
MSGR_API msgr_hresult msgr_ui_set_chat_state(msgr_window *w, msgr_chat_state state);

/* The number of open windows (conversation and page). */
MSGR_API msgr_hresult msgr_ui_window_count(msgr_runtime *rt, size_t *out);
/* The open window at z_index, in z-order from back (0) to front (count - 1). A window comes to
 * the front when it opens, when Show/InstantMessage/Page focus it, and when the user activates
 * it (msgr_ui_window_activated). E_INVALIDARG past the end or for a small struct_size. */
MSGR_API msgr_hresult msgr_ui_window_get(msgr_runtime *rt, size_t z_index,
                                         msgr_ui_window_info *out);
/* The user moved or resized the drawn window: the getters answer the new geometry. Unlike the
 * msgr_window_set_* calls this does not raise geometry_serial (nothing needs applying). Width and
 * height must be positive (E_INVALIDARG); E_FAIL on a closed window. */
MSGR_API msgr_hresult msgr_ui_window_moved(msgr_window *w, int32_t left, int32_t top, int32_t width,
                                           int32_t height);
/* The user brought the window to the front (clicked it): it moves to the end of the z-order.
 * Does not raise focus_serial. E_FAIL on a closed window. */
MSGR_API msgr_hresult msgr_ui_window_activated(msgr_window *w);

#ifdef __cplusplus
}
#endif

#endif /* MSGR_UI_H */

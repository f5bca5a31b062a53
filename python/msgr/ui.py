"""The UI surface (msgr/ui.h): what only the user's own input may do, for the layer that draws the
windows -- which, in a Python host, is the host itself.

"The process of clicking the Send button ... is controlled by the client user and cannot be
automated": call send() when the user pressed Send, never on behalf of a script.
"""

import ctypes

from . import _abi
from ._core import Contact, Window, _arg, _int_out, _structs


def send(window, text):
    """The user pressed Send in window: the message is appended to its history and handed to
    the contact's service (or, in a page window, to the paging add-in). Returns its history
    index; MSGR_EVENT_DELIVERY_CHANGE reports its fate. Raises Error: MSGR_E_INVALIDARG for an
    empty text, MSGR_E_MESSAGE_TOO_LONG past the limit, MSGR_E_FAIL on a closed window."""
    index = ctypes.c_size_t()
    window._call(_abi.msgr_ui_send, _arg(text, "the text"), ctypes.byref(index))
    return index.value


def max_page_length(runtime):
    """The longest page the paging add-in accepts, in UTF-16 code units; Error MSGR_E_NOTIMPL
    without a paging add-in."""
    return _int_out(_abi.msgr_ui_max_page_length, runtime._rt(), ctypes.c_size_t)


class WindowInfo:
    """One open window as a drawing layer sees it (msgr_ui_window_info, copied). window and
    contact are borrowed until the next tick (keep() holds one longer); the serials tell what
    changed since you last looked (see msgr/ui.h)."""

    __slots__ = ("window", "contact", "kind", "left", "top", "width", "height",
                 "geometry_serial", "focus_serial", "draft_serial", "history_serial",
                 "history_count", "scroll_serial", "scroll_index", "peer_chat_state",
                 "unseen_count")

    def __init__(self, runtime, info):
        self.window = runtime._borrow(Window, info.window)
        self.contact = runtime._borrow(Contact, info.contact)
        self.kind = _abi.WINDOW_KINDS.get(info.kind, "UNKNOWN_WINDOW_KIND")
        self.left, self.top, self.width, self.height = info.left, info.top, info.width, info.height
        self.geometry_serial = info.geometry_serial
        self.focus_serial = info.focus_serial
        self.draft_serial = info.draft_serial
        self.history_serial = info.history_serial
        self.history_count = info.history_count
        # 0.2: scroll to entry scroll_index when scroll_serial changed (a search hit opened);
        # the contact's chat state ("MSGR_CHAT_STATE_COMPOSING": typing); unseen incoming
        present = info.struct_size >= _abi.field_end(_abi.msgr_ui_window_info, "unseen_count")
        self.scroll_serial = info.scroll_serial if present else 0
        self.scroll_index = info.scroll_index if present else 0
        self.peer_chat_state = _abi.CHAT_STATES.get(info.peer_chat_state if present else 0,
                                                    "UNKNOWN_CHAT_STATE")
        self.unseen_count = info.unseen_count if present else 0


def windows(runtime):
    """The open windows in z-order, back (first) to front (last): a list of WindowInfo."""
    return [WindowInfo(runtime, info) for info in _structs(_abi.msgr_ui_window_count,
                                                           _abi.msgr_ui_window_get, runtime._rt(),
                                                           _abi.msgr_ui_window_info)]


def window_moved(window, left, top, width, height):
    """The user moved or resized the drawn window: the getters answer the new geometry."""
    window._call(_abi.msgr_ui_window_moved, int(left), int(top), int(width), int(height))


def history_seen(window, last_index):
    """The user has seen window's history up to entry last_index (your drawing showed it while
    the window was visible): incoming entries up to it gain msgr.MESSAGE_SEEN and the contact
    is told they were read. Error MSGR_E_INVALIDARG past the end."""
    window._call(_abi.msgr_ui_history_seen, int(last_index))


def set_chat_state(window, state):
    """The user's own chat state in window, a name ("MSGR_CHAT_STATE_COMPOSING" while typing,
    "..._PAUSED", "..._ACTIVE" after a send, "..._INACTIVE", "..._GONE") or its number; the
    contact is told when it changed."""
    if isinstance(state, str):
        values = {name: value for value, name in _abi.CHAT_STATES.items()}
        if state not in values:
            raise ValueError("unknown chat state %r" % state)
        state = values[state]
    window._call(_abi.msgr_ui_set_chat_state, int(state))


def window_activated(window):
    """The user brought the window to the front (clicked it)."""
    window._call(_abi.msgr_ui_window_activated)

"""The Pythonic layer over the C ABI: Error, Runtime, Window, Contact, Event, Message, AddinInfo.

The rules it keeps (see also the package docstring):
 - Every failing C call raises Error; a success (S_OK, S_FALSE, ...) returns normally and its
   exact code is Runtime.last_hresult. Where S_FALSE means something, the return value says it.
 - One Python object per C handle the Runtime holds a reference to: the runtime returns the same
   msgr_window for a window that is still open, and the binding then gives back the same Window
   (the extra C reference is returned at once). `rt.instant_message(x) is rt.instant_message(x)`.
 - References are released deterministically: release() / a with block on a handle, close() /
   a with block on the Runtime (which releases every handle it handed out first). No finalizer
   ever calls into the library: a __del__ may run on any thread, and the runtime refuses calls
   from threads other than its owner.
 - Handles an event or msgr.ui.windows() carries are borrowed, as in C: valid for the callback
   (or until the next tick); keep() turns one into a handle of your own.
"""

import ctypes
import datetime
import os
import threading
import warnings

from . import _abi

# ---- Names, errors ---------------------------------------------------------------------------


def _text(p):
    return p.decode("utf-8") if p is not None else ""


def hresult_name(hr):
    """The symbolic name of a result code ("MSGR_E_NOT_LOGGED_ON"), or "UNKNOWN_HRESULT"."""
    return _text(_abi.msgr_hresult_name(hr))


def status_name(status):
    """The symbolic name of a MISTATUS value ("MSGR_STATUS_ONLINE"), or "UNKNOWN_STATUS"."""
    return _text(_abi.msgr_status_name(status))


def event_type_name(event_type):
    """The name of an event type ("MSGR_EVENT_SIGNIN"), or "UNKNOWN_EVENT"."""
    return _text(_abi.msgr_event_type_name(event_type))


def delivery_state_name(state):
    """The name of a delivery state ("MSGR_DELIVERY_READ"), or "UNKNOWN_DELIVERY"."""
    return _text(_abi.msgr_delivery_state_name(state))


def last_error():
    """Why the last failing call on this thread failed ("" if none did)."""
    return _text(_abi.msgr_last_error())


def version():
    """"major.minor.patch" of the loaded libmsgr."""
    return _text(_abi.msgr_version())


def succeeded(hr):
    return hr >= 0


def failed(hr):
    return hr < 0


def hresult_hex(hr):
    """"0x8100031E": a result code as C and the Messenger documentation write it."""
    return "0x%08X" % (hr & 0xFFFFFFFF)


class Error(Exception):
    """A failed call. .hresult is the exact msgr_hresult, a signed 32-bit int as in C
    (msgr.E_INVALIDARG == -2147024809 == msgr_hresult 0x80070057; hresult_hex(e.hresult) writes it
    as unsigned hex); .name its symbolic name; .message the reason, msgr_last_error() of the
    failing call. str(e) is "[MSGR_E_INVALIDARG 0x80070057] <message>", as OSError shows errno."""

    def __init__(self, hresult, message=None):
        if message is None:
            message = last_error()
        super().__init__(message)
        self.hresult = hresult
        self.name = hresult_name(hresult)
        self.message = message

    def __str__(self):
        return "[%s %s] %s" % (self.name, hresult_hex(self.hresult), self.message)

    def __repr__(self):
        return "msgr.Error(%s, %r)" % (self.name, self.message)


def _check(hr):
    if hr < 0:
        raise Error(hr)  # reads msgr_last_error() at once, on the failing call's thread
    return hr


def _arg(value, what, allow_none=False):
    """A str (or bytes) argument as the NUL-terminated UTF-8 the C ABI takes. What C could not
    tell apart is refused here, as msgr.hpp does: an embedded NUL, a str that is not UTF-8."""
    if value is None:
        if allow_none:
            return None
        raise Error(_abi.E_INVALIDARG, "%s is None" % what)
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError:
            raise Error(_abi.E_INVALIDARG, "%s is not valid UTF-8 (a lone surrogate)" % what)
    elif not isinstance(value, (bytes, bytearray)):
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if b"\0" in value:
        raise Error(_abi.E_INVALIDARG, "%s contains a NUL character" % what)
    return bytes(value)


def _string_out(fn, handle):
    out = ctypes.c_void_p()
    _check(fn(handle, ctypes.byref(out)))
    return ctypes.string_at(out.value).decode("utf-8") if out.value else ""


def _structs(count_fn, get_fn, handle, ctype):
    """Every struct a count/get pair of the C ABI lists, in order, each with its struct_size set
    (the caller's size: the library fills what it covers)."""
    items = []
    for index in range(_int_out(count_fn, handle, ctypes.c_size_t)):
        item = ctype()
        item.struct_size = ctypes.sizeof(item)
        _check(get_fn(handle, index, ctypes.byref(item)))
        items.append(item)
    return items


def _int_out(fn, handle, ctype=ctypes.c_int32):
    out = ctype()
    _check(fn(handle, ctypes.byref(out)))
    return out.value


def _event_type_value(event_type):
    if event_type is None:
        return 0
    if isinstance(event_type, str):
        # The loaded library names its own types (1, 2, ... contiguous): a newer runtime's new
        # event can be subscribed to by name without a newer binding.
        for value in range(1, 1024):
            name = event_type_name(value)
            if name == event_type:
                return value
            if name == "UNKNOWN_EVENT":
                break
        raise Error(_abi.E_INVALIDARG, "unknown event type %r" % event_type)
    return int(event_type)


def _status_value(status):
    if isinstance(status, str):
        if status not in _abi.STATUSES:
            raise Error(_abi.E_INVALIDARG, "unknown status %r" % status)
        return _abi.STATUSES[status]
    return int(status)


# ---- Handles ---------------------------------------------------------------------------------

# release() may run on any thread (C allows it), concurrently with the owner thread adopting a
# reference to the same handle: the check-and-invalidate of a handle and the registry of owned
# handles change under this lock, so that no reference is ever given back twice.
_handles_lock = threading.Lock()


class _Handle:
    """A reference-counted C handle. Owned (one C reference, given back by release()) or
    borrowed (an event's, valid for the callback; keep() makes it owned)."""

    __slots__ = ("_runtime", "_p", "_owned", "_gone", "_id", "__weakref__")
    _kind = "handle"
    _add_ref = None
    _release = None

    def __init__(self, runtime, pointer, owned):
        self._runtime = runtime
        self._p = pointer
        self._owned = owned
        self._gone = None  # why it may no longer be used, once it may not
        self._id = pointer

    def _ptr(self):
        if self._p is None:
            raise Error(_abi.RPC_E_DISCONNECTED, "this msgr.%s %s" % (self._kind, self._gone))
        return self._p

    def _invalidate(self, why):
        self._p = None
        self._gone = why

    def release(self):
        """Gives back this handle's reference (what msgr_*_release does in C). Afterwards every
        call on it raises msgr.Error (MSGR_RPC_E_DISCONNECTED). Does not close a window: the
        user's window stays open (close_window() closes it). Idempotent; any thread."""
        with _handles_lock:
            p = self._p
            if p is None:
                return
            self._invalidate("was released")
            owned = self._owned
            if owned:
                self._runtime._handles.pop(p, None)
        if owned:
            type(self)._release(p)

    def keep(self):
        """A handle of your own to what this one stands for: self when it is one already; for a
        borrowed handle (an event's), called while it is valid, a reference is taken."""
        with _handles_lock:
            p = self._ptr()
            if self._owned:
                return self
            known = self._runtime._handles.get(p)
            if known is not None:
                return known
            type(self)._add_ref(p)
            self._owned = True
            self._runtime._handles[p] = self
            return self

    @property
    def released(self):
        """True once this handle may no longer be used (released, expired or its runtime
        closed)."""
        return self._p is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def __eq__(self, other):
        if self is other:
            return True
        return (type(other) is type(self) and self._p is not None and other._p == self._p)

    def __hash__(self):
        return hash((type(self), self._id))

    def __repr__(self):
        state = "" if self._p is not None else " (%s)" % self._gone
        return "<msgr.%s 0x%x%s>" % (self._kind, self._id or 0, state)


class Contact(_Handle):
    """A contact (IMessengerContact). The same sign-in name on the same service is always the
    same Contact object while you hold it."""

    __slots__ = ()
    _kind = "Contact"
    _add_ref = staticmethod(_abi.msgr_contact_add_ref)
    _release = staticmethod(_abi.msgr_contact_release)

    @property
    def signin_name(self):
        return _string_out(_abi.msgr_contact_signin_name, self._ptr())

    @property
    def friendly_name(self):
        return _string_out(_abi.msgr_contact_friendly_name, self._ptr())

    @property
    def activity(self):
        """What the contact's service says it is doing (rich presence, 0.4); "" when nothing."""
        return _string_out(_abi.msgr_contact_activity, self._ptr())

    @property
    def service_id(self):
        """The id of the contact's service ("loopback")."""
        return _string_out(_abi.msgr_contact_service_id, self._ptr())

    @property
    def status(self):
        """A MISTATUS value (msgr.STATUS_ONLINE, ...); msgr.status_name() names it."""
        return _int_out(_abi.msgr_contact_status, self._ptr())

    @property
    def is_self(self):
        return bool(_int_out(_abi.msgr_contact_is_self, self._ptr(), ctypes.c_int))

    @property
    def can_page(self):
        """Whether the contact can be paged (its service can, a paging add-in is installed, it
        has mobile services)."""
        return bool(_int_out(_abi.msgr_contact_can_page, self._ptr(), ctypes.c_int))

    def forget_history(self):
        """Forgets every stored message with this contact (chat and pages): from the store and
        from every open window's history. Signed in."""
        _check(_abi.msgr_history_forget_contact(self._ptr()))

    @property
    def blocked(self):
        """IMessengerContact.Blocked (0.4): a blocked contact's messages and requests are
        dropped before they reach a window, an event or the store."""
        return bool(_int_out(_abi.msgr_contact_blocked, self._ptr(), ctypes.c_int))

    def set_blocked(self, blocked):
        """Blocks (True) or unblocks the contact (MSGR_EVENT_CONTACT_BLOCK_CHANGE). False when it
        was so already (S_FALSE), else True; Error for the local user (MSGR_E_FAIL), a service
        that cannot block (MSGR_E_NOTIMPL), not signed in (MSGR_E_NOT_LOGGED_ON)."""
        return _check(_abi.msgr_contact_set_blocked(self._ptr(), 1 if blocked else 0)) == _abi.S_OK


def _contact_ptr(contact):
    if not isinstance(contact, Contact):
        raise TypeError("a Contact is needed, not %s" % type(contact).__name__)
    return contact._ptr()


class Message:
    """One entry of a window's history, copied out of the runtime (valid as long as you like).
    direction: "MSGR_MESSAGE_INCOMING" or "MSGR_MESSAGE_OUTGOING"; delivery: "MSGR_DELIVERY_NONE"
    (incoming), "..._PENDING", "..._SENT", "..._DELIVERED", "..._READ" or "..._FAILED" (a state only
    moves forward); delivery_result: the result code behind a failure and delivery_reason: why,
    in words ("" when not known); text: str (may contain NUL characters); time: a UTC datetime
    (time_unix_ms: the same in milliseconds); flags: MSGR_MESSAGE_* bits (msgr.MESSAGE_PAGE: a
    page; MESSAGE_SEEN: the user saw it; MESSAGE_OTHER_DEVICE: the user sent it from another
    client; MESSAGE_ARCHIVED: from the service's archive); stored_id: its id in the history
    store (0 with history off); sender: who wrote it, a sign-in name (in a group window the
    contact who did; the user's own for outgoing messages; "" when not known)."""

    __slots__ = (
        "direction",
        "delivery",
        "delivery_result",
        "delivery_reason",
        "text",
        "time_unix_ms",
        "flags",
        "stored_id",
        "sender",
    )

    def __init__(self, m):
        self.direction = _abi.MESSAGE_DIRECTIONS.get(m.direction, "UNKNOWN_DIRECTION")
        self.delivery = _abi.DELIVERY_STATES.get(m.delivery, "UNKNOWN_DELIVERY")
        self.delivery_result = m.delivery_result
        self.text = ctypes.string_at(m.text, m.text_size).decode("utf-8") if m.text else ""
        self.time_unix_ms = m.time_unix_ms
        flags_present = m.struct_size >= _abi.field_end(_abi.msgr_message, "flags")
        self.flags = m.flags if flags_present else 0
        reason_present = m.struct_size >= _abi.field_end(_abi.msgr_message, "delivery_reason")
        reason = m.delivery_reason if reason_present else None
        self.delivery_reason = reason.decode("utf-8", "replace") if reason else ""
        stored_present = m.struct_size >= _abi.field_end(_abi.msgr_message, "stored_id")
        self.stored_id = m.stored_id if stored_present else 0
        sender_present = m.struct_size >= _abi.field_end(_abi.msgr_message, "sender")
        sender = m.sender if sender_present else None
        self.sender = sender.decode("utf-8", "replace") if sender else ""

    @property
    def time(self):
        return datetime.datetime.fromtimestamp(self.time_unix_ms / 1000.0, datetime.timezone.utc)

    @property
    def is_page(self):
        return bool(self.flags & _abi.MESSAGE_PAGE)

    def __repr__(self):
        return "<msgr.Message %s %s %r>" % (self.direction, self.delivery, self.text)


class Window(_Handle):
    """A conversation or page window (IMessengerWindow, IMessengerConversationWnd).

    Two different things end: close_window() closes the user's window (msgr_window_close,
    OnIMWindowDestroyed); release() (or leaving a with block) gives back your handle and leaves
    the window open. The handle outlives the window: after close_window() it answers
    is_closed; after the account went offline calls raise MSGR_RPC_E_DISCONNECTED."""

    __slots__ = ()
    _kind = "Window"
    _add_ref = staticmethod(_abi.msgr_window_add_ref)
    _release = staticmethod(_abi.msgr_window_release)

    def _call(self, fn, *args):
        hr = _check(fn(self._ptr(), *args))
        self._runtime.last_hresult = hr
        return hr

    @property
    def kind(self):
        """"MSGR_WINDOW_CONVERSATION" or "MSGR_WINDOW_PAGE"."""
        value = _int_out(_abi.msgr_window_kind_of, self._ptr(), _abi.c_enum)
        return _abi.WINDOW_KINDS.get(value, "UNKNOWN_WINDOW_KIND")

    @property
    def is_closed(self):
        return bool(_int_out(_abi.msgr_window_is_closed, self._ptr(), ctypes.c_int))

    def show(self):
        """Brings the window to the front with focus: True, or False (S_FALSE) when the host
        does not allow focus."""
        return self._call(_abi.msgr_window_show) == _abi.S_OK

    def close_window(self):
        """Closes the user's window (OnIMWindowDestroyed): True, or False (S_FALSE) when it was
        closed already. Your handle stays valid (release() gives it back)."""
        return self._call(_abi.msgr_window_close) == _abi.S_OK

    def _get(self, edge):
        return _int_out(getattr(_abi, "msgr_window_get_" + edge), self._ptr())

    def _set(self, edge, value):
        self._call(getattr(_abi, "msgr_window_set_" + edge), int(value))

    left = property(lambda self: self._get("left"), lambda self, v: self._set("left", v),
                    doc="Geometry in pixels of the host's overlay.")
    top = property(lambda self: self._get("top"), lambda self, v: self._set("top", v))
    width = property(lambda self: self._get("width"), lambda self, v: self._set("width", v),
                     doc="Positive (MSGR_E_INVALIDARG otherwise).")
    height = property(lambda self: self._get("height"), lambda self, v: self._set("height", v))

    @property
    def contact(self):
        """The contact the window talks to (a Contact of your own)."""
        out = _abi.contact_p()
        _check(_abi.msgr_window_contact(self._ptr(), ctypes.byref(out)))
        return self._runtime._adopt(Contact, out.value)

    @property
    def contacts(self):
        """The conversation's contacts (IMessengerConversationWnd.Contacts), in the order they
        joined: a list of Contact of your own (one for a one-to-one window)."""
        n = _int_out(_abi.msgr_window_contacts_count, self._ptr(), ctypes.c_size_t)
        out = []
        for i in range(n):
            c = _abi.contact_p()
            _check(_abi.msgr_window_contacts_get(self._ptr(), i, ctypes.byref(c)))
            out.append(self._runtime._adopt(Contact, c.value))
        return out

    def add_contact(self, contact):
        """AddContact: adds a contact (a sign-in name or a Contact) to the conversation, which
        becomes a group window. True, or False (S_FALSE) when it is in it already. Raises Error
        with the documented codes (MSGR_E_INVALIDARG, MSGR_E_NOT_LOGGED_ON, MSGR_E_FAIL for the
        local user or a service without group conversations, MSGR_E_SESSION_FULL past
        runtime.max_conversation_contacts)."""
        v = self._runtime._variant(contact)
        return self._call(_abi.msgr_window_add_contact, v) == _abi.S_OK

    def remove_contact(self, contact):
        """Takes a contact out of the conversation: True, or False (S_FALSE) when it was not in
        it. Error MSGR_E_FAIL for the last one (a conversation keeps at least one)."""
        v = self._runtime._variant(contact)
        return self._call(_abi.msgr_window_remove_contact, v) == _abi.S_OK

    @property
    def draft(self):
        """The window's input. Automation may prefill it; only the user sends (msgr.ui.send)."""
        return _string_out(_abi.msgr_window_get_draft, self._ptr())

    @draft.setter
    def draft(self, text):
        self._call(_abi.msgr_window_set_draft, _arg(text, "the draft"))

    @property
    def history(self):
        """The conversation's whole stored history, oldest first: a list of Message (copies).
        For a long conversation read history_count and message(index) instead."""
        return [Message(m) for m in _structs(_abi.msgr_window_history_count,
                                             _abi.msgr_window_history_get, self._ptr(),
                                             _abi.msgr_message)]

    @property
    def history_count(self):
        """How many messages the conversation holds (the whole stored conversation)."""
        return _int_out(_abi.msgr_window_history_count, self._ptr(), ctypes.c_size_t)

    def message(self, index):
        """History entry `index` (0: the oldest) as a Message; Error MSGR_E_INVALIDARG past the
        end."""
        m = _abi.msgr_message()
        m.struct_size = ctypes.sizeof(m)
        _check(_abi.msgr_window_history_get(self._ptr(), int(index), ctypes.byref(m)))
        return Message(m)

    def fetch_older(self):
        """Asks the contact's service for messages older than the oldest stored: True when asked
        (MSGR_EVENT_HISTORY_PREPENDED reports them), False (S_FALSE) when there is nothing older
        to fetch."""
        return self._call(_abi.msgr_window_fetch_older) == _abi.S_OK


# ---- Events ----------------------------------------------------------------------------------


class Event:
    """One event, as a callback gets it. type: its name ("MSGR_EVENT_MESSAGE_RECEIVED"; type_id
    the number); hr: the result it reports (hr_name names it); status: a MISTATUS value, the new
    delivery state (DELIVERY_CHANGE) or the contact's chat state (TYPING) -- state names the
    last two; text: str or None; index: the history index (MESSAGE_RECEIVED, DELIVERY_CHANGE),
    the add-in's index (ADDIN_STATE_CHANGE), the search id (SEARCH_DONE) or how many messages
    were added in front (HISTORY_PREPENDED); window, contact: Window / Contact or None, borrowed
    for the callback (keep() holds one past it). The other fields are plain values, valid as
    long as you like."""

    __slots__ = ("type", "type_id", "hr", "status", "text", "index", "window", "contact")

    def __init__(self, runtime, ev):
        self.type_id = ev.type
        self.type = event_type_name(ev.type)
        self.hr = ev.hr
        self.status = ev.status
        self.index = ev.index
        self.text = None
        if ev.text:
            if ev.struct_size >= _abi.field_end(_abi.msgr_event, "text_size"):
                data = ctypes.string_at(ev.text, ev.text_size)
            else:  # a runtime from before text_size: the text up to its first NUL
                data = ctypes.string_at(ev.text)
            self.text = data.decode("utf-8")
        self.window = runtime._borrow(Window, ev.window)
        self.contact = runtime._borrow(Contact, ev.contact)

    @property
    def hr_name(self):
        return hresult_name(self.hr)

    @property
    def state(self):
        """The status as a name: "MSGR_DELIVERY_READ" for DELIVERY_CHANGE, "MSGR_CHAT_STATE_..."
        for TYPING; None for the other events."""
        if self.type == "MSGR_EVENT_DELIVERY_CHANGE":
            return _abi.DELIVERY_STATES.get(self.status, "UNKNOWN_DELIVERY")
        if self.type == "MSGR_EVENT_TYPING":
            return _abi.CHAT_STATES.get(self.status, "UNKNOWN_CHAT_STATE")
        return None

    def __repr__(self):
        return "<msgr.Event %s %s text=%r>" % (self.type, self.hr_name, self.text)


class Subscription:
    """What Runtime.subscribe returns: cancel() (or leaving a with block) unsubscribes."""

    __slots__ = ("_runtime", "_key")

    def __init__(self, runtime, key):
        self._runtime = runtime
        self._key = key

    @property
    def active(self):
        return self._key in self._runtime._subscriptions

    def cancel(self):
        """Unsubscribes (msgr_unsubscribe); the callback is not called again. Idempotent."""
        self._runtime._unsubscribe(self._key)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cancel()
        return False


class SearchHit:
    """One hit of a Search (msgr_search_result, copied). contact: a Contact of your own; kind:
    "MSGR_WINDOW_CONVERSATION" or "MSGR_WINDOW_PAGE"; direction; stored_id (as
    Message.stored_id); time_unix_ms; text: the whole message; snippet: the text around the
    match, the matched words between "\\x02" and "\\x03" (STX / ETX)."""

    __slots__ = ("contact", "kind", "direction", "stored_id", "time_unix_ms", "text", "snippet")

    def __init__(self, runtime, r):
        self.contact = None
        if r.contact:
            _abi.msgr_contact_add_ref(r.contact)  # borrowed until release: take one of our own
            self.contact = runtime._adopt(Contact, r.contact)
        self.kind = _abi.WINDOW_KINDS.get(r.kind, "UNKNOWN_WINDOW_KIND")
        self.direction = _abi.MESSAGE_DIRECTIONS.get(r.direction, "UNKNOWN_DIRECTION")
        self.stored_id = r.stored_id
        self.time_unix_ms = r.time_unix_ms
        self.text = ctypes.string_at(r.text, r.text_size).decode("utf-8") if r.text else ""
        self.snippet = (ctypes.string_at(r.snippet, r.snippet_size).decode("utf-8", "replace")
                        if r.snippet else "")

    def __repr__(self):
        return "<msgr.SearchHit %s %r>" % (self.direction, self.snippet)


class Search:
    """A history search, started by Runtime.search(): it runs on the store's thread and
    MSGR_EVENT_SEARCH_DONE (index == search.id) says when its hits can be read; before that
    hits raises Error MSGR_E_BUSY. release() (or leaving a with block) gives its results back
    (a search still running is cancelled); closing the Runtime does so too."""

    __slots__ = ("_runtime", "id")

    def __init__(self, runtime, search_id):
        self._runtime = runtime
        self.id = search_id

    @property
    def released(self):
        return self.id == 0

    def _sid(self):
        if self.id == 0:
            raise Error(_abi.E_INVALIDARG, "this msgr.Search was released")
        return self.id

    @property
    def hits(self):
        """Every hit, newest first: a list of SearchHit."""
        rt = self._runtime._rt()
        sid = self._sid()
        count = ctypes.c_size_t()
        _check(_abi.msgr_search_result_count(rt, sid, ctypes.byref(count)))
        hits = []
        for index in range(count.value):
            r = _abi.msgr_search_result()
            r.struct_size = ctypes.sizeof(r)
            _check(_abi.msgr_search_result_get(rt, sid, index, ctypes.byref(r)))
            hits.append(SearchHit(self._runtime, r))
        return hits

    def open(self, index):
        """Opens hit `index`'s conversation scrolled to that message (as instant_message, or page
        for a page conversation) and returns its Window."""
        out = _abi.window_p()
        self._runtime._call(_abi.msgr_search_open, self._sid(), int(index), ctypes.byref(out))
        return self._runtime._adopt(Window, out.value)

    def release(self):
        """Gives the results back. Idempotent; nothing to do once the Runtime is closed."""
        sid, self.id = self.id, 0
        if sid != 0 and not self._runtime.closed and self._runtime._raw is not None:
            _abi.msgr_search_release(self._runtime._raw, sid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def __repr__(self):
        return "<msgr.Search %d>" % self.id


class AddinInfo:
    """One add-in the runtime found, loaded or not (msgr_addin_info, copied). problem: why it is
    not running, as a name ("MSGR_ADDIN_PROBLEM_CRASHED", ...); isolation: how it runs; signal,
    exit_status: how its process ended; restarts: how often it was restarted; pid: its process
    while isolated and running (0 otherwise)."""

    __slots__ = ("state", "result", "provides", "name", "version", "description", "path",
                 "reason", "abi_major", "abi_minor", "problem", "isolation", "signal",
                 "exit_status", "restarts", "pid")

    def __init__(self, info):
        self.state = _abi.ADDIN_STATES.get(info.state, "UNKNOWN_ADDIN_STATE")
        self.result = info.result
        self.provides = info.provides
        self.name = _text(info.name)
        self.version = _text(info.version)
        self.description = _text(info.description)
        self.path = _text(info.path)
        self.reason = _text(info.reason)
        self.abi_major = info.abi_major
        self.abi_minor = info.abi_minor
        self.problem = _abi.ADDIN_PROBLEMS.get(info.problem, "UNKNOWN_ADDIN_PROBLEM")
        self.isolation = _abi.ADDIN_ISOLATIONS.get(info.isolation, "UNKNOWN_ADDIN_ISOLATION")
        self.signal = info.signal
        self.exit_status = info.exit_status
        self.restarts = info.restarts
        self.pid = info.pid

    def __repr__(self):
        return "<msgr.AddinInfo %s %s>" % (self.name, self.state)


# Trampolines of runtimes that were never closed: the C runtime still points at them, so they
# must live as long as the process (see Runtime.__del__).
_leaked = []


class Runtime:
    """A runtime, owned by the thread that creates it. Runtime() uses the embedded defaults (the
    loopback service); Runtime("conf.toml") reads a configuration file. Raises Error on failure
    (MSGR_E_FILE_NOT_FOUND, MSGR_E_INVALID_DATA, ... with the file and line in the message).

    close() (or leaving a with block) releases every handle this runtime handed out and still
    held, then destroys the runtime (MSGR_EVENT_APP_SHUTDOWN reaches the subscribers); every
    later call on it or on its handles raises Error (MSGR_RPC_E_DISCONNECTED). Called from an
    event callback, the destruction completes when the tick returns, as in C."""

    def __init__(self, config_path=None):
        self._owner = threading.get_ident()
        self._raw = None  # the msgr_runtime*, until the C runtime is destroyed
        self._closed = False  # close() was called: nothing may be called any more
        self._handles = {}  # C pointer -> the one owned Window/Contact for it
        self._borrowed = []  # borrowed handles to expire (an event's, ui.windows()')
        self._subscriptions = {}  # key (the C callback's user pointer) -> callable
        self._c_subscriptions = {}  # key -> msgr_subscription
        self._next_key = 1
        self._depth = 0  # nesting of the event trampoline
        self._pending = None  # the first exception a callback raised during a C call
        self.last_hresult = _abi.S_OK
        """The exact result of the last successful call made through this runtime or its
        handles' methods (S_OK, S_FALSE, MSGR_S_ALREADY_IN_THE_MODE, ...)."""
        # One C function pointer for every subscription: it must live as long as the C runtime
        # may call it, which is at least as long as this object (it is an attribute).
        self._trampoline = _abi.event_fn(self._on_event)
        path = None if config_path is None else _arg(os.fspath(config_path), "config_path")
        raw = _abi.runtime_p()
        _check(_abi.msgr_runtime_create(path, ctypes.byref(raw)))
        self._raw = raw.value

    # -- lifetime --

    def _rt(self):
        if self._closed or self._raw is None:
            raise Error(_abi.RPC_E_DISCONNECTED, "this msgr.Runtime is closed")
        return self._raw

    @property
    def closed(self):
        return self._closed

    def close(self):
        """Releases every handle handed out and still held, then destroys the runtime
        (APP_SHUTDOWN reaches the subscribers). Idempotent. On another thread than the owner's
        it raises Error (MSGR_RPC_E_WRONG_THREAD) and changes nothing."""
        if self._closed:
            return
        if threading.get_ident() != self._owner:
            raise Error(_abi.RPC_E_WRONG_THREAD,
                        "msgr.Runtime.close() called from a thread other than the runtime's "
                        "owner thread: refused")
        self._closed = True
        with _handles_lock:
            handles = list(self._handles.values())
        for handle in handles:
            handle.release()
            handle._gone = "was released when its msgr.Runtime was closed"
        self._handles.clear()
        self._expire_borrowed()
        raw = self._raw
        if raw is None:
            return
        self._depth += 1
        try:
            _abi.msgr_runtime_destroy(raw)  # deferred to the tick's end inside a callback
        finally:
            self._depth -= 1
        if self._depth == 0:
            self._destroyed()
        self._raise_pending()

    def _destroyed(self):
        self._raw = None
        self._subscriptions.clear()
        self._c_subscriptions.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        # Never a call into the library here: a finalizer may run on any thread (or at exit).
        # An unclosed runtime is leaked, with its trampoline, and Python says so.
        if getattr(self, "_raw", None) is not None and not self._closed:
            _leaked.append(self._trampoline)
            warnings.warn("msgr.Runtime was never closed (use close() or a with block); its "
                          "runtime and handles are leaked", ResourceWarning, stacklevel=2)

    # -- handles --

    def _adopt(self, cls, pointer):
        """The owned handle for a reference a C out-pointer gave us (None for NULL)."""
        if not pointer:
            return None
        with _handles_lock:
            known = self._handles.get(pointer)
            if known is None:
                handle = cls(self, pointer, True)
                self._handles[pointer] = handle
                return handle
        cls._release(pointer)  # we hold one already: one C reference per Python object
        return known

    def _borrow(self, cls, pointer):
        if not pointer:
            return None
        with _handles_lock:
            known = self._handles.get(pointer)
        if known is not None:
            return known
        handle = cls(self, pointer, False)
        self._borrowed.append(handle)
        return handle

    def _expire_borrowed(self, since=0):
        for handle in self._borrowed[since:]:
            if not handle._owned and handle._p is not None:
                handle._invalidate("was borrowed (from an event or msgr.ui.windows()) and has "
                                   "expired; call keep() while it is valid to hold it")
        del self._borrowed[since:]

    # -- events --

    def _on_event(self, ev_p, user):
        # Called by the C runtime, on the owner thread, from tick or destroy. Nothing raised here
        # may reach C (ctypes would print and drop it): the first exception is kept and raised
        # by the call that raised the event, once the C call returned.
        callback = self._subscriptions.get(user)
        if callback is None or not ev_p:
            return
        mark = len(self._borrowed)
        self._depth += 1
        try:
            callback(Event(self, ev_p.contents))
        except BaseException as e:  # noqa: B902 -- KeyboardInterrupt too: re-raised after
            if self._pending is None:
                self._pending = e
        finally:
            self._depth -= 1
            self._expire_borrowed(mark)

    def _raise_pending(self):
        e, self._pending = self._pending, None
        if e is not None:
            raise e

    def subscribe(self, callback, event_type=None):
        """Calls callback(event) for every event (or only those of event_type: a name such as
        "MSGR_EVENT_SIGNIN", or its number) until the Subscription is cancelled or the runtime
        closed. The runtime keeps the callback alive. Callbacks run from tick() (and close(),
        for MSGR_EVENT_APP_SHUTDOWN); an exception one raises does not stop the other callbacks
        and is raised again by that tick() (or close())."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        rt = self._rt()
        type_value = _event_type_value(event_type)
        key = self._next_key
        self._next_key += 1
        out = _abi.subscription()
        hr = _abi.msgr_subscribe(rt, type_value, self._trampoline, key, ctypes.byref(out))
        _check(hr)
        self._subscriptions[key] = callback
        self._c_subscriptions[key] = out.value
        self.last_hresult = hr
        return Subscription(self, key)

    def _unsubscribe(self, key):
        if key not in self._subscriptions:
            return
        if self._raw is not None and not self._closed:
            self._call(_abi.msgr_unsubscribe, self._c_subscriptions[key])
        self._subscriptions.pop(key, None)
        self._c_subscriptions.pop(key, None)

    # -- calls --

    def _call(self, fn, *args):
        hr = _check(fn(self._rt(), *args))
        self.last_hresult = hr
        return hr

    def tick(self):
        """What a host calls once a frame, on the owner thread: applies what the services posted
        and raises the events. True when work is left for the next tick (S_FALSE), else False;
        `while rt.tick(): pass` drains everything."""
        rt = self._rt()
        if threading.get_ident() == self._owner:
            self._expire_borrowed()  # msgr.ui.windows()' handles are valid until this tick
        self._depth += 1
        try:
            hr = _abi.msgr_runtime_tick(rt)
        finally:
            self._depth -= 1
        if self._closed and self._depth == 0:
            self._destroyed()  # close() from a callback: the C runtime ended with the tick
        self._raise_pending()
        self.last_hresult = _check(hr)
        return hr == _abi.S_FALSE

    def set_focus_allowed(self, allowed):
        """Whether windows may take keyboard focus (default: yes). When not, instant_message,
        page and show still show the window and answer S_FALSE."""
        self._call(_abi.msgr_set_focus_allowed, 1 if allowed else 0)

    def signin(self, signin_name, password=""):
        """Starts signing in to the primary service; MSGR_EVENT_SIGNIN reports the result from a
        later tick. Raises Error (MSGR_E_ALREADY_LOGGED_ON, MSGR_E_INVALIDARG, ...)."""
        self._call(_abi.msgr_signin, _arg(signin_name, "the sign-in name"),
                   _arg(password, "the password"))

    def signout(self):
        """Signs out: closes every window; MSGR_EVENT_SIGNOUT reports it."""
        self._call(_abi.msgr_signout)

    @property
    def my_status(self):
        """The user's MISTATUS (msgr.STATUS_ONLINE, ...)."""
        return _int_out(_abi.msgr_my_status, self._rt())

    def set_my_status(self, status):
        """Sets the user's status (a MISTATUS value or its name). False when it was that already
        (MSGR_S_ALREADY_IN_THE_MODE), else True."""
        return self._call(_abi.msgr_set_my_status, _status_value(status)) == _abi.S_OK

    @property
    def my_signin_name(self):
        """The signed-in user's name; Error MSGR_E_NOT_LOGGED_ON when not signed in."""
        return _string_out(_abi.msgr_my_signin_name, self._rt())

    @property
    def my_service_id(self):
        """The primary service's id ("loopback" in the embedded defaults)."""
        return _string_out(_abi.msgr_my_service_id, self._rt())

    @property
    def signin_dialog_visible(self):
        return bool(_int_out(_abi.msgr_signin_dialog_visible, self._rt(), ctypes.c_int))

    def set_signin_dialog_visible(self, visible):
        """Set by the UI layer when it shows or hides its sign-in dialog (Page fails with E_FAIL
        while it is visible)."""
        self._call(_abi.msgr_set_signin_dialog_visible, 1 if visible else 0)

    def get_contact(self, signin_name, service_id=None):
        """The contact with this sign-in name on a service (None: the primary one), created on
        demand."""
        out = _abi.contact_p()
        self._call(_abi.msgr_get_contact, _arg(signin_name, "the sign-in name"),
                   _arg(service_id, "the service id", allow_none=True), ctypes.byref(out))
        return self._adopt(Contact, out.value)

    @property
    def my_contacts(self):
        """The user's contact list (IMessenger::MyContacts): a list of Contact."""
        return self._contacts(_abi.msgr_my_contacts_count, _abi.msgr_my_contacts_get)

    @property
    def authorization_requests(self):
        """The requests waiting for authorize (0.4), oldest first: a list of Contact, each
        until answered, dropped by a block, or the sign-out."""
        return self._contacts(_abi.msgr_authorization_requests_count,
                              _abi.msgr_authorization_requests_get)

    def _contacts(self, count_fn, get_fn):
        rt = self._rt()
        count = _int_out(count_fn, rt, ctypes.c_size_t)
        contacts = []
        for index in range(count):
            out = _abi.contact_p()
            _check(get_fn(rt, index, ctypes.byref(out)))
            contacts.append(self._adopt(Contact, out.value))
        return contacts

    def add_contact(self, signin_name, service_id=None):
        """IMessenger::AddContact (0.4): asks the service (None: the primary one) to add the
        contact to the user's list; MSGR_EVENT_CONTACT_LIST_ADD answers with its hr. True when the
        request went out, False when one is still unanswered (S_FALSE); Error otherwise
        (MSGR_E_ALREADY_IN_LIST, MSGR_E_FAIL for the local user, ...)."""
        return self._call(_abi.msgr_add_contact, _arg(signin_name, "the sign-in name"),
                          _arg(service_id, "the service id", allow_none=True)) == _abi.S_OK

    def remove_contact(self, contact):
        """Takes a Contact off the list (MSGR_EVENT_CONTACT_LIST_REMOVE). False when it was not
        on it (S_FALSE), else True."""
        return self._call(_abi.msgr_remove_contact, _contact_ptr(contact)) == _abi.S_OK

    def authorize(self, contact, accept):
        """Answers the Contact's request to add the user (MSGR_EVENT_AUTHORIZATION_REQUEST)."""
        self._call(_abi.msgr_authorize, _contact_ptr(contact), 1 if accept else 0)

    @property
    def my_friendly_name(self):
        """The name the user's contacts see (IMessenger::MyFriendlyName, 0.4)."""
        return _string_out(_abi.msgr_my_friendly_name, self._rt())

    def set_my_friendly_name(self, name):
        """Sets it (MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE); False when unchanged (S_FALSE)."""
        return self._call(_abi.msgr_set_my_friendly_name, _arg(name, "the name")) == _abi.S_OK

    @property
    def my_activity(self):
        """What the user is doing in the game (rich presence, 0.4); "" when nothing."""
        return _string_out(_abi.msgr_my_activity, self._rt())

    def set_my_activity(self, text):
        """Sets it for every service that carries it (MSGR_EVENT_MY_ACTIVITY_CHANGE); None or ""
        clears it. False when unchanged (S_FALSE), else True."""
        return self._call(_abi.msgr_set_my_activity,
                          _arg(text, "the activity", allow_none=True)) == _abi.S_OK

    @property
    def addins(self):
        """Every add-in the runtime found, in discovery order: a list of AddinInfo."""
        return [AddinInfo(info) for info in _structs(_abi.msgr_addin_count,
                                                     _abi.msgr_addin_get_info, self._rt(),
                                                     _abi.msgr_addin_info)]

    def unload_addin(self, name):
        """Unloads a loaded add-in: True, or False when it was not loaded (S_FALSE). Error
        MSGR_E_BUSY while it is in use, MSGR_E_INVALIDARG for an unknown name."""
        return self._call(_abi.msgr_addin_unload, _arg(name, "the add-in name")) == _abi.S_OK

    def _variant(self, contact):
        v = _abi.msgr_variant()
        if contact is None:
            v.vt = _abi.VT_EMPTY  # refused by the runtime with MSGR_E_INVALIDARG, as documented
        elif isinstance(contact, Contact):
            v.vt = _abi.VT_DISPATCH
            v.contact = contact._ptr()
        else:
            v.vt = _abi.VT_BSTR
            v.bstr = _arg(contact, "the contact")
        return v

    def _window(self, fn, *args):
        out = _abi.window_p()
        self._call(fn, *args, ctypes.byref(out))
        return self._adopt(Window, out.value)

    def instant_message(self, contact):
        """IMessenger::InstantMessage: the conversation window with a contact (a sign-in name or
        a Contact), opened or the one already open (the same Window object). Raises Error with
        the documented codes (MSGR_E_INVALIDARG, MSGR_E_NOT_LOGGED_ON, MSGR_E_FAIL, ...).
        S_FALSE (shown, but focus was not allowed) is a success: last_hresult says it."""
        return self._window(_abi.msgr_instant_message, self._variant(contact))

    def page(self, contact):
        """IMessenger::Page: the page window to a mobile-enabled contact. Raises Error
        (MSGR_E_NOTIMPL without a paging add-in, MSGR_E_PAGING_UNAVAILABLE for a contact without
        mobile services, ...). S_FALSE as for instant_message."""
        return self._window(_abi.msgr_page, self._variant(contact))

    def script_invoke(self, method, contact):
        """The late-bound entry point scripts use: "InstantMessage" as instant_message; "Page"
        raises Error MSGR_E_NOTIMPL, as the Page documentation says it does for scripts."""
        return self._window(_abi.msgr_script_invoke, _arg(method, "the method name"),
                            self._variant(contact))

    def search(self, query, max_results=100):
        """Starts a full-text search of the account's history: every word of query must occur
        (the last as a prefix; case- and accent-insensitive), at most max_results hits
        (1..1000), newest first. Returns a Search at once; its hits can be read after
        MSGR_EVENT_SEARCH_DONE. Error MSGR_E_INVALIDARG for an empty query,
        MSGR_E_NOT_LOGGED_ON, MSGR_E_FAIL when history is off."""
        out = ctypes.c_uint64()
        self._call(_abi.msgr_history_search, _arg(query, "the query"), int(max_results),
                   ctypes.byref(out))
        return Search(self, out.value)

    def forget_all_history(self):
        """Forgets the signed-in account's whole history (every conversation, store and open
        windows)."""
        self._call(_abi.msgr_history_forget_all)

    def __repr__(self):
        return "<msgr.Runtime%s>" % (" (closed)" if self._closed else "")


# ---- Logging ---------------------------------------------------------------------------------

_log_state = {"trampoline": None, "handler": None}
_log_lock = threading.Lock()


def _on_log(level, message, user):
    handler = _log_state["handler"]
    if handler is None:
        return
    try:
        handler(_abi.LOG_LEVELS.get(level, "MSGR_LOG_UNKNOWN"), _text(message))
    except BaseException:  # noqa: B902 -- nothing may reach C; a log handler cannot fail a call
        pass


def set_log_handler(handler):
    """A process-wide log handler: handler(level_name, message), level_name one of
    "MSGR_LOG_DEBUG", "..._INFO", "..._WARNING", "..._ERROR". It may be called from any thread
    (an add-in's, too); what it raises is dropped. None restores the default (silent). The
    handler is removed at interpreter exit, before Python stops running callbacks."""
    with _log_lock:
        if handler is None:
            _abi.msgr_set_log_handler(_abi.log_fn(), None)
            _log_state["handler"] = None
            return
        if _log_state["trampoline"] is None:
            _log_state["trampoline"] = _abi.log_fn(_on_log)
            import atexit

            atexit.register(set_log_handler, None)
        _log_state["handler"] = handler
        _abi.msgr_set_log_handler(_log_state["trampoline"], None)

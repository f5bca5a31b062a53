"""msgr: the Python binding of the msgr runtime, pure Python over its C ABI (ctypes).

    import msgr
    with msgr.Runtime() as rt:                # embedded defaults; msgr.Runtime("conf.toml")
        rt.subscribe(lambda ev: print(ev.type, ev.text))
        rt.signin("player@loopback")
        rt.tick()                             # once a frame, on the thread that created rt
        w = rt.instant_message("echo@loopback")
        msgr.ui.send(w, "hello")              # what the UI does when the user presses Send

The package finds libmsgr.so.0 relative to itself (<prefix>/lib/python3/dist-packages/msgr/ ->
<prefix>/lib/libmsgr.so.0): set PYTHONPATH to <prefix>/lib/python3/dist-packages, nothing else.

Conventions:
 - Errors. Every failing call raises msgr.Error: .hresult is the exact msgr_hresult, a signed
   32-bit int as in C (msgr.E_INVALIDARG == -2147024809, i.e. 0x80070057; msgr.hresult_hex()
   writes the hex), .name its symbol ("MSGR_E_INVALIDARG"), .message msgr_last_error(). A
   success returns normally, S_FALSE included; Runtime.last_hresult keeps the exact code of the
   last successful call, and where S_FALSE carries meaning the return value says it: tick()
   (True: work left), Window.show() (False: focus not allowed), Window.close_window() (False:
   closed already), set_my_status() (False: already in that mode), unload_addin() (False: not
   loaded). instant_message and page return the window either way; last_hresult == msgr.S_FALSE
   says it was shown without focus.
 - Threads. Every call belongs on the thread that created the Runtime; from another thread the
   runtime refuses it and the binding raises Error MSGR_RPC_E_WRONG_THREAD. release() may be
   called from any thread.
 - Handles. Runtime, Window and Contact are released deterministically, never by a finalizer:
   Window.release() / Contact.release() (or a with block) give back your reference -- releasing
   a Window does not close the user's window, Window.close_window() does; Runtime.close() (or a
   with block) releases every handle it handed out, then destroys the runtime. A handle used
   after that raises Error MSGR_RPC_E_DISCONNECTED, as does one an event lent you after its
   callback returned (keep() inside the callback holds it). A Runtime never closed is leaked
   with a ResourceWarning.
 - Strings are str (UTF-8 on the C side). One containing NUL, where C takes a NUL-terminated
   string, is refused with Error MSGR_E_INVALIDARG before the runtime is called.
 - Callbacks are kept alive by the Runtime; they run from tick() on the owner thread. An
   exception a callback raises does not cross into C: the other callbacks still run, and the
   tick() that called it raises it again.
"""

from . import _abi
from ._core import (AddinInfo, Contact, Error, Event, Message, Runtime, Search, SearchHit,
                    Subscription, Window, delivery_state_name, event_type_name, failed,
                    hresult_hex, hresult_name, last_error, set_log_handler, status_name,
                    succeeded, version)
from . import ui

# Tracebacks and reprs say msgr.Error, msgr.Window, ... (where users meet them), not _core.
for _cls in (AddinInfo, Contact, Error, Event, Message, Runtime, Search, SearchHit, Subscription,
             Window):
    _cls.__module__ = __name__
del _cls

library_path = _abi.library_path
"""The libmsgr.so.0 this package loaded."""

# Result codes and statuses, named as in msgr.h without the MSGR_ prefix (msgr.E_NOT_LOGGED_ON
# is MSGR_E_NOT_LOGGED_ON); result codes are signed 32-bit ints, exactly msgr_hresult's values.
for _name, _value in list(_abi.HRESULTS.items()) + list(_abi.STATUSES.items()):
    globals()[_name[len("MSGR_"):]] = _value
del _name, _value

# Message.flags bits, named as in msgr.h without the MSGR_ prefix (msgr.MESSAGE_PAGE: a page
# rather than a chat line; MESSAGE_SEEN, MESSAGE_OTHER_DEVICE, MESSAGE_ARCHIVED).
for _name, _value in _abi.MESSAGE_FLAGS.items():
    globals()[_name[len("MSGR_"):]] = _value
del _name, _value

__all__ = [
    "AddinInfo", "Contact", "Error", "Event", "Message", "Runtime", "Search", "SearchHit",
    "Subscription", "Window", "delivery_state_name", "event_type_name", "failed", "hresult_hex", "hresult_name",
    "last_error", "library_path", "set_log_handler", "status_name", "succeeded", "ui", "version"
]
__all__.extend(n[len("MSGR_"):] for n in
               list(_abi.HRESULTS) + list(_abi.STATUSES) + list(_abi.MESSAGE_FLAGS))

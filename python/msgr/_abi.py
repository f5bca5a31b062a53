"""The C ABI of libmsgr (msgr/msgr.h, msgr/ui.h, the host's part of msgr/addin.h) in ctypes.

Nothing Pythonic here: the library, the structs exactly as C lays them out (struct_size first,
every C enum as a 4-byte int, which is what GCC and Clang give these enums), the constants and
one prototype per function. The classes in _core.py are built on it.
"""

import ctypes
import os

# ---- Finding libmsgr.so.0 -------------------------------------------------------------------
#
# The package lives in <prefix>/lib/python3/dist-packages/msgr/ and the library in
# <prefix>/lib/libmsgr.so.0, both in an installed prefix and in the build tree (build/lib/python3/
# dist-packages/msgr/ is a copy made at build time). So the library is three directories up from
# this file, whatever the prefix is and wherever it was copied: no LD_LIBRARY_PATH.

_LIBRARY_NAME = "libmsgr.so.0"


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    seen = []
    # The path as imported first, then with symbolic links resolved (a package linked into
    # another dist-packages still finds the library next to its real location).
    for package_dir in (here, os.path.realpath(here)):
        path = os.path.normpath(os.path.join(package_dir, "..", "..", "..", _LIBRARY_NAME))
        if path not in seen:
            seen.append(path)
    return seen


def _load():
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            # RTLD_LOCAL (ctypes' default): libmsgr's symbols are not made global, as a C host
            # linking it would not export them either.
            return ctypes.CDLL(path), path
        tried.append(path)
    raise ImportError(
        "msgr: %s not found next to the package (looked for %s); the package must stay in "
        "<prefix>/lib/python3/dist-packages/msgr/ of the prefix it was installed with"
        % (_LIBRARY_NAME, ", ".join(tried)))


lib, library_path = _load()

# ---- Result codes (msgr.h): signed 32-bit, exactly as msgr_hresult is in C -------------------

hresult = ctypes.c_int32


def HR(unsigned):
    """MSGR_HR(): the signed 32-bit value of a result code written as unsigned hex."""
    return unsigned - 0x100000000 if unsigned >= 0x80000000 else unsigned


HRESULTS = {
    "MSGR_S_OK": HR(0x00000000),
    "MSGR_S_FALSE": HR(0x00000001),
    "MSGR_E_NOTIMPL": HR(0x80004001),
    "MSGR_E_FAIL": HR(0x80004005),
    "MSGR_E_INVALIDARG": HR(0x80070057),
    "MSGR_E_OUTOFMEMORY": HR(0x8007000E),
    "MSGR_RPC_X_NULL_REF_POINTER": HR(0x800706F4),
    "MSGR_RPC_E_DISCONNECTED": HR(0x80010108),
    "MSGR_RPC_E_WRONG_THREAD": HR(0x8001010E),
    "MSGR_E_FILE_NOT_FOUND": HR(0x80070002),
    "MSGR_E_INVALID_DATA": HR(0x8007000D),
    "MSGR_E_DISK_FULL": HR(0x80070070),
    "MSGR_E_WRITE_PROTECT": HR(0x80070013),
    "MSGR_E_ACCESSDENIED": HR(0x80070005),
    "MSGR_E_CONNECT": HR(0x81000301),
    "MSGR_E_INVALID_SERVER_NAME": HR(0x81000302),
    "MSGR_E_INVALID_PASSWORD": HR(0x81000303),
    "MSGR_E_ALREADY_LOGGED_ON": HR(0x81000304),
    "MSGR_E_SERVER_VERSION": HR(0x81000305),
    "MSGR_E_LOGON_TIMEOUT": HR(0x81000306),
    "MSGR_E_LIST_FULL": HR(0x81000307),
    "MSGR_E_USER_NOT_FOUND": HR(0x8100030A),
    "MSGR_E_ALREADY_IN_LIST": HR(0x8100030B),
    "MSGR_E_DISCONNECTED": HR(0x8100030C),
    "MSGR_E_UNEXPECTED": HR(0x8100030D),
    "MSGR_E_CANCEL": HR(0x81000312),
    "MSGR_E_SERVER_UNAVAILABLE": HR(0x81000314),
    "MSGR_E_LOGON_UI_ACTIVE": HR(0x81000315),
    "MSGR_E_OPTION_UI_ACTIVE": HR(0x81000316),
    "MSGR_E_CONTACT_UI_ACTIVE": HR(0x81000317),
    "MSGR_E_PRIMARY_SERVICE_NOT_LOGGED_ON": HR(0x81000318),
    "MSGR_E_LOGGED_ON": HR(0x81000319),
    "MSGR_E_NOT_LOGGED_ON": HR(0x8100031E),
    "MSGR_E_NOT_PRIMARY_SERVICE": HR(0x81000320),
    "MSGR_E_TOO_MANY_SESSIONS": HR(0x81000321),
    "MSGR_E_SESSION_FULL": HR(0x81000325),
    "MSGR_E_NOT_ACCEPTING_PAGES": HR(0x81000335),
    "MSGR_E_PAGING_UNAVAILABLE": HR(0x81000339),
    "MSGR_E_MESSAGE_TOO_LONG": HR(0x8100033F),
    "MSGR_E_BUSY": HR(0x81000357),
    "MSGR_S_ALREADY_IN_THE_MODE": HR(0x01000301),
}

S_OK = HRESULTS["MSGR_S_OK"]
S_FALSE = HRESULTS["MSGR_S_FALSE"]
E_INVALIDARG = HRESULTS["MSGR_E_INVALIDARG"]
RPC_E_DISCONNECTED = HRESULTS["MSGR_RPC_E_DISCONNECTED"]
RPC_E_WRONG_THREAD = HRESULTS["MSGR_RPC_E_WRONG_THREAD"]

# ---- Status values (MISTATUS) ----------------------------------------------------------------

STATUSES = {
    "MSGR_STATUS_UNKNOWN": 0x0,
    "MSGR_STATUS_OFFLINE": 0x1,
    "MSGR_STATUS_ONLINE": 0x2,
    "MSGR_STATUS_INVISIBLE": 0x6,
    "MSGR_STATUS_BUSY": 0xA,
    "MSGR_STATUS_BE_RIGHT_BACK": 0xE,
    "MSGR_STATUS_IDLE": 0x12,
    "MSGR_STATUS_AWAY": 0x22,
    "MSGR_STATUS_ON_THE_PHONE": 0x32,
    "MSGR_STATUS_OUT_TO_LUNCH": 0x42,
    "MSGR_STATUS_LOCAL_FINDING_SERVER": 0x100,
    "MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER": 0x200,
    "MSGR_STATUS_LOCAL_SYNCHRONIZING_WITH_SERVER": 0x300,
    "MSGR_STATUS_LOCAL_DISCONNECTING_FROM_SERVER": 0x400,
}

# ---- Enums (each a C enum: a 4-byte int) -----------------------------------------------------

c_enum = ctypes.c_int

VT_EMPTY, VT_BSTR, VT_DISPATCH = 0, 8, 9
VARTYPES = {0: "MSGR_VT_EMPTY", 8: "MSGR_VT_BSTR", 9: "MSGR_VT_DISPATCH"}

LOG_LEVELS = {0: "MSGR_LOG_DEBUG", 1: "MSGR_LOG_INFO", 2: "MSGR_LOG_WARNING", 3: "MSGR_LOG_ERROR"}

WINDOW_KINDS = {1: "MSGR_WINDOW_CONVERSATION", 2: "MSGR_WINDOW_PAGE"}
MESSAGE_DIRECTIONS = {1: "MSGR_MESSAGE_INCOMING", 2: "MSGR_MESSAGE_OUTGOING"}
DELIVERY_STATES = {
    0: "MSGR_DELIVERY_NONE",
    1: "MSGR_DELIVERY_PENDING",
    2: "MSGR_DELIVERY_SENT",
    3: "MSGR_DELIVERY_FAILED",
    4: "MSGR_DELIVERY_DELIVERED",
    5: "MSGR_DELIVERY_READ",
}
MESSAGE_PAGE = 0x1
MESSAGE_SEEN = 0x2  # 0.2: an incoming message the user has seen
MESSAGE_OTHER_DEVICE = 0x4  # 0.2: sent by the user from another device or client
MESSAGE_ARCHIVED = 0x8  # 0.2: from the service's archive (XMPP MAM), not live
MESSAGE_FLAGS = {"MSGR_MESSAGE_PAGE": MESSAGE_PAGE, "MSGR_MESSAGE_SEEN": MESSAGE_SEEN,
                 "MSGR_MESSAGE_OTHER_DEVICE": MESSAGE_OTHER_DEVICE,
                 "MSGR_MESSAGE_ARCHIVED": MESSAGE_ARCHIVED}
CHAT_STATES = {
    0: "MSGR_CHAT_STATE_NONE",
    1: "MSGR_CHAT_STATE_ACTIVE",
    2: "MSGR_CHAT_STATE_COMPOSING",
    3: "MSGR_CHAT_STATE_PAUSED",
    4: "MSGR_CHAT_STATE_INACTIVE",
    5: "MSGR_CHAT_STATE_GONE",
}

EVENT_TYPE_COUNT = 24  # MSGR_EVENT_TYPE_COUNT_ of this header; names come from the library

ADDIN_STATES = {
    1: "MSGR_ADDIN_LOADED",
    2: "MSGR_ADDIN_REFUSED",
    3: "MSGR_ADDIN_DISABLED",
    4: "MSGR_ADDIN_UNLOADED",
    5: "MSGR_ADDIN_DISABLED_BY_CONFIG",
    6: "MSGR_ADDIN_CRASHED",
    7: "MSGR_ADDIN_HUNG",
}
ADDIN_PROBLEMS = {
    0: "MSGR_ADDIN_PROBLEM_NONE",
    1: "MSGR_ADDIN_PROBLEM_NOT_FOUND",
    2: "MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE",
    3: "MSGR_ADDIN_PROBLEM_BAD_FILE",
    4: "MSGR_ADDIN_PROBLEM_NO_ENTRY",
    5: "MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR",
    6: "MSGR_ADDIN_PROBLEM_WRONG_ABI",
    7: "MSGR_ADDIN_PROBLEM_DUPLICATE",
    8: "MSGR_ADDIN_PROBLEM_MISSING_DEPENDENCY",
    9: "MSGR_ADDIN_PROBLEM_LOAD_FAILED",
    10: "MSGR_ADDIN_PROBLEM_CALL_FAILED",
    11: "MSGR_ADDIN_PROBLEM_THREW",
    12: "MSGR_ADDIN_PROBLEM_CRASHED",
    13: "MSGR_ADDIN_PROBLEM_EXITED",
    14: "MSGR_ADDIN_PROBLEM_HUNG",
    15: "MSGR_ADDIN_PROBLEM_PROTOCOL",
    16: "MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST",
    17: "MSGR_ADDIN_PROBLEM_DISABLED_BY_CONFIG",
}
ADDIN_ISOLATIONS = {
    1: "MSGR_ADDIN_ISOLATION_PROCESS",
    2: "MSGR_ADDIN_ISOLATION_IN_PROCESS",
}
ADDIN_PROVIDES = {
    "MSGR_ADDIN_PROVIDES_PAGING": 0x1,
    "MSGR_ADDIN_PROVIDES_EVENTS": 0x2,
    "MSGR_ADDIN_PROVIDES_SERVICE": 0x4,
    "MSGR_ADDIN_PROVIDES_DRAWING": 0x8,
}

# ---- Handles and structs ---------------------------------------------------------------------

# Opaque handles travel as void*: the binding never looks inside them.
runtime_p = ctypes.c_void_p
contact_p = ctypes.c_void_p
window_p = ctypes.c_void_p


class msgr_variant(ctypes.Structure):
    """The vContact VARIANT, passed by value to InstantMessage, Page and script_invoke."""
    _fields_ = [
        ("vt", c_enum),
        ("bstr", ctypes.c_char_p),
        ("contact", contact_p),  # borrowed: not consumed by the call
    ]


class msgr_message(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("direction", c_enum),
        ("delivery", c_enum),
        ("delivery_result", hresult),
        ("text", ctypes.c_void_p),  # read with text_size: the text may contain NUL bytes
        ("text_size", ctypes.c_size_t),
        ("time_unix_ms", ctypes.c_int64),
        ("flags", ctypes.c_uint32),  # added in 0.1: valid when struct_size covers it
        ("delivery_reason", ctypes.c_char_p),  # added in 0.2: why a delivery failed, in words
        ("stored_id", ctypes.c_int64),  # added in 0.2: the id in the history store (0: none)
        ("sender", ctypes.c_char_p),  # added in 0.3: who wrote it, a sign-in name ("": unknown)
    ]


class msgr_event(ctypes.Structure):
    # struct_size is the raising runtime's sizeof(msgr_event); the struct grows at the end, so a
    # field past struct_size is not there and must not be read (see event_field_present).
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("type", c_enum),
        ("hr", hresult),
        ("status", ctypes.c_int32),
        ("contact", contact_p),  # borrowed for the callback
        ("window", window_p),  # borrowed for the callback
        ("text", ctypes.c_void_p),  # borrowed for the callback
        ("index", ctypes.c_size_t),
        # The text's size in bytes without the NUL (the text may contain NUL bytes): the last
        # field, added after index. A runtime without it raises a shorter struct_size.
        ("text_size", ctypes.c_size_t),
    ]


def field_end(struct, name):
    """The offset just past a field: struct_size must be at least this for it to be present."""
    field = getattr(struct, name)
    return field.offset + field.size


class msgr_ui_window_info(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("window", window_p),  # borrowed until the next tick
        ("contact", contact_p),  # borrowed, as window
        ("kind", c_enum),
        ("left", ctypes.c_int32),
        ("top", ctypes.c_int32),
        ("width", ctypes.c_int32),
        ("height", ctypes.c_int32),
        ("geometry_serial", ctypes.c_uint64),
        ("focus_serial", ctypes.c_uint64),
        ("draft_serial", ctypes.c_uint64),
        ("history_serial", ctypes.c_uint64),
        ("history_count", ctypes.c_size_t),
        # added in 0.2: valid when struct_size covers them
        ("scroll_serial", ctypes.c_uint64),
        ("scroll_index", ctypes.c_size_t),
        ("peer_chat_state", c_enum),
        ("unseen_count", ctypes.c_size_t),
    ]


class msgr_addin_info(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("state", c_enum),
        ("result", hresult),
        ("provides", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("version", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
        ("path", ctypes.c_char_p),
        ("reason", ctypes.c_char_p),
        ("abi_major", ctypes.c_uint16),
        ("abi_minor", ctypes.c_uint16),
        # added in 0.2: valid when struct_size covers them
        ("problem", c_enum),
        ("isolation", c_enum),
        ("signal", ctypes.c_int32),
        ("exit_status", ctypes.c_int32),
        ("restarts", ctypes.c_uint32),
        ("pid", ctypes.c_int32),
    ]


class msgr_search_result(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("contact", contact_p),  # borrowed until the search is released
        ("kind", c_enum),
        ("direction", c_enum),
        ("stored_id", ctypes.c_int64),
        ("time_unix_ms", ctypes.c_int64),
        ("text", ctypes.c_void_p),  # read with text_size
        ("text_size", ctypes.c_size_t),
        ("snippet", ctypes.c_void_p),  # read with snippet_size; matches between STX and ETX
        ("snippet_size", ctypes.c_size_t),
    ]


# The structs this binding mirrors, for the layout test (tests/python/test_abi_layout.py).
STRUCTS = (msgr_variant, msgr_message, msgr_event, msgr_ui_window_info, msgr_addin_info,
           msgr_search_result)

event_fn = ctypes.CFUNCTYPE(None, ctypes.POINTER(msgr_event), ctypes.c_void_p)
log_fn = ctypes.CFUNCTYPE(None, c_enum, ctypes.c_char_p, ctypes.c_void_p)
subscription = ctypes.c_uint64

# ---- Functions -------------------------------------------------------------------------------

_P = ctypes.POINTER
_str_out = _P(ctypes.c_void_p)  # const char **: read as void* so ctypes does not copy early


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    globals()[name] = fn


_declare("msgr_hresult_name", ctypes.c_char_p, hresult)
_declare("msgr_status_name", ctypes.c_char_p, ctypes.c_int32)
_declare("msgr_event_type_name", ctypes.c_char_p, c_enum)
_declare("msgr_delivery_state_name", ctypes.c_char_p, c_enum)
_declare("msgr_last_error", ctypes.c_char_p)
_declare("msgr_set_log_handler", None, log_fn, ctypes.c_void_p)
_declare("msgr_version", ctypes.c_char_p)

_declare("msgr_runtime_create", hresult, ctypes.c_char_p, _P(runtime_p))
_declare("msgr_runtime_destroy", None, runtime_p)
_declare("msgr_runtime_tick", hresult, runtime_p)
_declare("msgr_set_focus_allowed", hresult, runtime_p, ctypes.c_int)

_declare("msgr_signin", hresult, runtime_p, ctypes.c_char_p, ctypes.c_char_p)
_declare("msgr_signout", hresult, runtime_p)
_declare("msgr_my_status", hresult, runtime_p, _P(ctypes.c_int32))
_declare("msgr_set_my_status", hresult, runtime_p, ctypes.c_int32)
_declare("msgr_my_signin_name", hresult, runtime_p, _str_out)
_declare("msgr_my_service_id", hresult, runtime_p, _str_out)
_declare("msgr_set_signin_dialog_visible", hresult, runtime_p, ctypes.c_int)
_declare("msgr_signin_dialog_visible", hresult, runtime_p, _P(ctypes.c_int))

_declare("msgr_get_contact", hresult, runtime_p, ctypes.c_char_p, ctypes.c_char_p, _P(contact_p))
_declare("msgr_my_contacts_count", hresult, runtime_p, _P(ctypes.c_size_t))
_declare("msgr_my_contacts_get", hresult, runtime_p, ctypes.c_size_t, _P(contact_p))
_declare("msgr_contact_signin_name", hresult, contact_p, _str_out)
_declare("msgr_contact_friendly_name", hresult, contact_p, _str_out)
_declare("msgr_contact_service_id", hresult, contact_p, _str_out)
_declare("msgr_contact_status", hresult, contact_p, _P(ctypes.c_int32))
_declare("msgr_contact_is_self", hresult, contact_p, _P(ctypes.c_int))
_declare("msgr_contact_can_page", hresult, contact_p, _P(ctypes.c_int))
# 0.4: the contact list
_declare("msgr_add_contact", hresult, runtime_p, ctypes.c_char_p, ctypes.c_char_p)
_declare("msgr_remove_contact", hresult, runtime_p, contact_p)
_declare("msgr_authorize", hresult, runtime_p, contact_p, ctypes.c_int)
_declare("msgr_authorization_requests_count", hresult, runtime_p, _P(ctypes.c_size_t))
_declare("msgr_authorization_requests_get", hresult, runtime_p, ctypes.c_size_t, _P(contact_p))
_declare("msgr_contact_set_blocked", hresult, contact_p, ctypes.c_int)
_declare("msgr_contact_blocked", hresult, contact_p, _P(ctypes.c_int))
_declare("msgr_set_my_friendly_name", hresult, runtime_p, ctypes.c_char_p)
_declare("msgr_my_friendly_name", hresult, runtime_p, _str_out)
# 0.4: rich presence
_declare("msgr_set_my_activity", hresult, runtime_p, ctypes.c_char_p)
_declare("msgr_my_activity", hresult, runtime_p, _str_out)
_declare("msgr_contact_activity", hresult, contact_p, _str_out)
_declare("msgr_contact_add_ref", None, contact_p)
_declare("msgr_contact_release", None, contact_p)

_declare("msgr_instant_message", hresult, runtime_p, msgr_variant, _P(window_p))
_declare("msgr_page", hresult, runtime_p, msgr_variant, _P(window_p))
_declare("msgr_script_invoke", hresult, runtime_p, ctypes.c_char_p, msgr_variant, _P(window_p))

_declare("msgr_window_kind_of", hresult, window_p, _P(c_enum))
_declare("msgr_window_is_closed", hresult, window_p, _P(ctypes.c_int))
_declare("msgr_window_show", hresult, window_p)
_declare("msgr_window_close", hresult, window_p)
for _edge in ("left", "top", "width", "height"):
    _declare("msgr_window_get_" + _edge, hresult, window_p, _P(ctypes.c_int32))
    _declare("msgr_window_set_" + _edge, hresult, window_p, ctypes.c_int32)
_declare("msgr_window_contact", hresult, window_p, _P(contact_p))
_declare("msgr_window_add_contact", hresult, window_p, msgr_variant)
_declare("msgr_window_remove_contact", hresult, window_p, msgr_variant)
_declare("msgr_window_contacts_count", hresult, window_p, _P(ctypes.c_size_t))
_declare("msgr_window_contacts_get", hresult, window_p, ctypes.c_size_t, _P(contact_p))
_declare("msgr_window_set_draft", hresult, window_p, ctypes.c_char_p)
_declare("msgr_window_get_draft", hresult, window_p, _str_out)
_declare("msgr_window_history_count", hresult, window_p, _P(ctypes.c_size_t))
_declare("msgr_window_history_get", hresult, window_p, ctypes.c_size_t, _P(msgr_message))
_declare("msgr_window_fetch_older", hresult, window_p)
_declare("msgr_window_add_ref", None, window_p)

_declare("msgr_history_search", hresult, runtime_p, ctypes.c_char_p, ctypes.c_size_t,
         _P(ctypes.c_uint64))
_declare("msgr_search_result_count", hresult, runtime_p, ctypes.c_uint64, _P(ctypes.c_size_t))
_declare("msgr_search_result_get", hresult, runtime_p, ctypes.c_uint64, ctypes.c_size_t,
         _P(msgr_search_result))
_declare("msgr_search_open", hresult, runtime_p, ctypes.c_uint64, ctypes.c_size_t,
         _P(window_p))
_declare("msgr_search_release", hresult, runtime_p, ctypes.c_uint64)
_declare("msgr_history_forget_contact", hresult, contact_p)
_declare("msgr_history_forget_all", hresult, runtime_p)
_declare("msgr_window_release", None, window_p)

_declare("msgr_subscribe", hresult, runtime_p, c_enum, event_fn, ctypes.c_void_p,
         _P(subscription))
_declare("msgr_unsubscribe", hresult, runtime_p, subscription)

_declare("msgr_ui_send", hresult, window_p, ctypes.c_char_p, _P(ctypes.c_size_t))
_declare("msgr_ui_max_page_length", hresult, runtime_p, _P(ctypes.c_size_t))
_declare("msgr_ui_window_count", hresult, runtime_p, _P(ctypes.c_size_t))
_declare("msgr_ui_window_get", hresult, runtime_p, ctypes.c_size_t, _P(msgr_ui_window_info))
_declare("msgr_ui_window_moved", hresult, window_p, ctypes.c_int32, ctypes.c_int32,
         ctypes.c_int32, ctypes.c_int32)
_declare("msgr_ui_window_activated", hresult, window_p)
_declare("msgr_ui_history_seen", hresult, window_p, ctypes.c_size_t)
_declare("msgr_ui_set_chat_state", hresult, window_p, c_enum)

_declare("msgr_addin_count", hresult, runtime_p, _P(ctypes.c_size_t))
_declare("msgr_addin_get_info", hresult, runtime_p, ctypes.c_size_t, _P(msgr_addin_info))
_declare("msgr_addin_unload", hresult, runtime_p, ctypes.c_char_p)

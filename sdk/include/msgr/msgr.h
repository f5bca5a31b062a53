/* msgr.h — the C ABI of the msgr runtime.
 *
 * This is the stable boundary: libmsgr.so exports only the msgr_ functions declared here, so
 * a host written in C, in C++ built with another compiler, or in any language with a C FFI can
 * embed the runtime. The header-only C++ API (msgr.hpp) is built on top of this file.
 *
 * Conventions, applied everywhere:
 *  - Every call that can fail returns an msgr_hresult with the exact values of the Windows
 *    Messenger automation API (Msgrua.h). Test with MSGR_SUCCEEDED()/MSGR_FAILED(); note that
 *    S_FALSE is a success.
 *  - On failure a human-readable reason is available from msgr_last_error() on the same thread
 *    until the next failing call there, and is also passed to the log handler if one is set.
 *  - Out-pointers are set to NULL (or 0) on every failure whenever they are not NULL themselves,
 *    whatever the failure (a NULL or released handle, the wrong thread, a disconnected handle).
 *    A struct out-parameter has the fields its struct_size covers zeroed (struct_size is kept).
 *  - struct_size. A struct the caller passes for the library to fill (msgr_message,
 *    msgr_ui_window_info, msgr_addin_info) carries the size the caller knows: set struct_size to
 *    sizeof(the struct) as your header has it. The library fills only the fields that size
 *    covers and leaves struct_size as you set it, so a program built against an older, smaller
 *    struct keeps working and never has memory past its struct written. A struct_size too small
 *    for the struct's first version is refused with MSGR_E_INVALIDARG and a reason. A struct the
 *    library hands out (msgr_event to a callback; msgr_draw_context to an add-in) carries the
 *    library's own size in struct_size: read a field only when struct_size covers it.
 *    Structs only ever grow at the end.
 *  - One owner thread: the thread that created the runtime. Every call on a runtime or on one of
 *    its handles from another thread returns MSGR_RPC_E_WRONG_THREAD. msgr_*_release and
 *    msgr_*_add_ref may be called from any thread.
 *  - Handles (msgr_contact, msgr_window) are reference-counted. Every handle an out-pointer
 *    returns carries one reference that the caller owns and gives back with the matching
 *    msgr_*_release. A handle outlives what it stands for: after its window closes it answers
 *    msgr_window_is_closed; after the account goes offline (or the runtime is destroyed) calls
 *    on it return MSGR_RPC_E_DISCONNECTED. It is freed only when its last reference, the
 *    caller's or the runtime's, is given back. The caller's are counted apart from the
 *    runtime's: a release of more references than the caller was given, and an add_ref or a
 *    call through a handle whose object is gone, are refused (a call: E_INVALIDARG) with a
 *    reason and a log line at MSGR_LOG_ERROR, and never take a reference the runtime holds.
 *  - Strings are UTF-8 and NUL-terminated; invalid UTF-8 is refused with MSGR_E_INVALIDARG.
 *    Strings the runtime returns stay valid until the next msgr_runtime_tick() or until the
 *    object they belong to is released, whichever comes first. Text from the network
 *    (msgr_message.text, msgr_event.text) is NUL-terminated too but may hold NULs of its own:
 *    it comes with its size in bytes (text_size).
 *  - Events are raised only from msgr_runtime_tick(), on the owner thread.
 */
#ifndef MSGR_MSGR_H
#define MSGR_MSGR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MSGR_API __declspec(dllimport)
#elif defined(MSGR_BUILDING_LIBRARY)
#define MSGR_API __attribute__((visibility("default")))
#else
#define MSGR_API
#endif

/* ---- Result codes: values exactly as in the Messenger API (messenger-api-facts.md) ---------- */

typedef int32_t msgr_hresult;

#define MSGR_HR(v) ((msgr_hresult)(uint32_t)(v))
#define MSGR_SUCCEEDED(hr) ((msgr_hresult)(hr) >= 0)
#define MSGR_FAILED(hr) ((msgr_hresult)(hr) < 0)

#define MSGR_S_OK MSGR_HR(0x00000000u)
#define MSGR_S_FALSE MSGR_HR(0x00000001u)
#define MSGR_E_NOTIMPL MSGR_HR(0x80004001u)
#define MSGR_E_FAIL MSGR_HR(0x80004005u)
#define MSGR_E_INVALIDARG MSGR_HR(0x80070057u)
#define MSGR_E_OUTOFMEMORY MSGR_HR(0x8007000Eu)
#define MSGR_RPC_X_NULL_REF_POINTER MSGR_HR(0x800706F4u)
#define MSGR_RPC_E_DISCONNECTED MSGR_HR(0x80010108u)
#define MSGR_RPC_E_WRONG_THREAD MSGR_HR(0x8001010Eu)
/* HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) and (ERROR_INVALID_DATA): configuration errors. */
#define MSGR_E_FILE_NOT_FOUND MSGR_HR(0x80070002u)
#define MSGR_E_INVALID_DATA MSGR_HR(0x8007000Du)
/* HRESULT_FROM_WIN32 of ERROR_DISK_FULL (112), ERROR_WRITE_PROTECT (19) and E_ACCESSDENIED
 * (ERROR_ACCESS_DENIED, 5): a file the runtime or an add-in writes (the paging outbox) had no room
 * (ENOSPC, EDQUOT, EFBIG), is on a read-only file system (EROFS), or may not be written (EACCES,
 * EPERM). */
#define MSGR_E_DISK_FULL MSGR_HR(0x80070070u)
#define MSGR_E_WRITE_PROTECT MSGR_HR(0x80070013u)
#define MSGR_E_ACCESSDENIED MSGR_HR(0x80070005u)

#define MSGR_E_MSGR_FAIL MSGR_E_FAIL
#define MSGR_E_CONNECT MSGR_HR(0x81000301u)
#define MSGR_E_INVALID_SERVER_NAME MSGR_HR(0x81000302u)
#define MSGR_E_INVALID_PASSWORD MSGR_HR(0x81000303u)
#define MSGR_E_ALREADY_LOGGED_ON MSGR_HR(0x81000304u)
#define MSGR_E_SERVER_VERSION MSGR_HR(0x81000305u)
#define MSGR_E_LOGON_TIMEOUT MSGR_HR(0x81000306u)
#define MSGR_E_LIST_FULL MSGR_HR(0x81000307u)
#define MSGR_E_USER_NOT_FOUND MSGR_HR(0x8100030Au)
#define MSGR_E_ALREADY_IN_LIST MSGR_HR(0x8100030Bu)
#define MSGR_E_DISCONNECTED MSGR_HR(0x8100030Cu)
#define MSGR_E_UNEXPECTED MSGR_HR(0x8100030Du)
#define MSGR_E_CANCEL MSGR_HR(0x81000312u)
#define MSGR_E_SERVER_UNAVAILABLE MSGR_HR(0x81000314u)
#define MSGR_E_LOGON_UI_ACTIVE MSGR_HR(0x81000315u)
#define MSGR_E_OPTION_UI_ACTIVE MSGR_HR(0x81000316u)
#define MSGR_E_CONTACT_UI_ACTIVE MSGR_HR(0x81000317u)
#define MSGR_E_PRIMARY_SERVICE_NOT_LOGGED_ON MSGR_HR(0x81000318u)
#define MSGR_E_LOGGED_ON MSGR_HR(0x81000319u)
#define MSGR_E_NOT_LOGGED_ON MSGR_HR(0x8100031Eu)
#define MSGR_E_NOT_PRIMARY_SERVICE MSGR_HR(0x81000320u)
#define MSGR_E_TOO_MANY_SESSIONS MSGR_HR(0x81000321u)
#define MSGR_E_SESSION_FULL MSGR_HR(0x81000325u)
#define MSGR_E_NOT_ACCEPTING_PAGES MSGR_HR(0x81000335u)
#define MSGR_E_PAGING_UNAVAILABLE MSGR_HR(0x81000339u)
#define MSGR_E_MESSAGE_TOO_LONG MSGR_HR(0x8100033Fu)
#define MSGR_E_BUSY MSGR_HR(0x81000357u)
#define MSGR_S_ALREADY_IN_THE_MODE MSGR_HR(0x01000301u)

/* The symbolic name of a result code ("MSGR_E_NOT_LOGGED_ON"), or "UNKNOWN_HRESULT". Never NULL. */
MSGR_API const char *msgr_hresult_name(msgr_hresult hr);

/* ---- Status values (MISTATUS) --------------------------------------------------------------- */

#define MSGR_STATUS_UNKNOWN 0x0
#define MSGR_STATUS_OFFLINE 0x1
#define MSGR_STATUS_ONLINE 0x2
#define MSGR_STATUS_INVISIBLE 0x6
#define MSGR_STATUS_BUSY 0xA
#define MSGR_STATUS_BE_RIGHT_BACK 0xE
#define MSGR_STATUS_IDLE 0x12
#define MSGR_STATUS_AWAY 0x22
#define MSGR_STATUS_ON_THE_PHONE 0x32
#define MSGR_STATUS_OUT_TO_LUNCH 0x42
#define MSGR_STATUS_LOCAL_FINDING_SERVER 0x100
#define MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER 0x200
#define MSGR_STATUS_LOCAL_SYNCHRONIZING_WITH_SERVER 0x300
#define MSGR_STATUS_LOCAL_DISCONNECTING_FROM_SERVER 0x400

/* The symbolic name of a status ("MSGR_STATUS_ONLINE"), or "UNKNOWN_STATUS". Never NULL. */
MSGR_API const char *msgr_status_name(int32_t status);

/* ---- Handles and the vContact VARIANT ------------------------------------------------------- */

typedef struct msgr_runtime msgr_runtime;
typedef struct msgr_contact msgr_contact;
typedef struct msgr_window msgr_window;

typedef enum msgr_vartype {
    MSGR_VT_EMPTY = 0,
    MSGR_VT_BSTR = 8,
    MSGR_VT_DISPATCH = 9
} msgr_vartype;

typedef struct msgr_variant {
    msgr_vartype vt;
    const char *bstr;      /* UTF-8 sign-in name when vt == MSGR_VT_BSTR */
    msgr_contact *contact; /* existing contact when vt == MSGR_VT_DISPATCH (not consumed) */
} msgr_variant;

/* The longest sign-in name accepted, in UTF-16 code units (as a BSTR counts its length). */
#define MSGR_MAX_SIGNIN_NAME_UTF16 129

/* ---- Errors and logging --------------------------------------------------------------------- */

/* Why the last failing call on this thread failed; "" if none did. Never NULL. */
MSGR_API const char *msgr_last_error(void);
/* Records reason (NULL: "") as this thread's msgr_last_error() and logs it as the library's own
 * failures are logged (MSGR_LOG_DEBUG); returns hr. For layers built over this ABI (the C++ API
 * in msgr.hpp, language bindings) that refuse a call before it reaches the runtime, so that
 * msgr_last_error() says why they did. */
MSGR_API msgr_hresult msgr_set_last_error(msgr_hresult hr, const char *reason);

typedef enum msgr_log_level {
    MSGR_LOG_DEBUG = 0,
    MSGR_LOG_INFO = 1,
    MSGR_LOG_WARNING = 2,
    MSGR_LOG_ERROR = 3
} msgr_log_level;
typedef void (*msgr_log_fn)(msgr_log_level level, const char *message, void *user);

/* Process-wide log handler (NULL restores the default, which is silent). May be called from
 * any thread; the handler itself may be called from any thread. */
MSGR_API void msgr_set_log_handler(msgr_log_fn fn, void *user);

/* ---- The runtime ---------------------------------------------------------------------------- */

/* Creates a runtime owned by the calling thread. config_path is a TOML file, or NULL for the
 * embedded defaults (the loopback service as primary service). A missing file gives
 * MSGR_E_FILE_NOT_FOUND, a malformed one MSGR_E_INVALID_DATA; msgr_last_error() says where. */
MSGR_API msgr_hresult msgr_runtime_create(const char *config_path, msgr_runtime **out);

/* Destroys the runtime. First the paging add-in unloads while it can still report: the pages it
 * cannot keep for its next start are raised as MSGR_EVENT_DELIVERY_CHANGE (FAILED, with their
 * cause). Then MSGR_EVENT_APP_SHUTDOWN is raised; no other event is raised by a destroy. Then it
 * stops its services and disconnects every handle still held (they then answer
 * MSGR_RPC_E_DISCONNECTED until released). Called from inside an event callback, the destruction
 * is deferred until the tick returns. */
MSGR_API void msgr_runtime_destroy(msgr_runtime *rt);

/* Drains work the services posted (a bounded amount per call) and raises the events. Call
 * once a frame. Returns S_OK, or S_FALSE when work is left for the next tick. */
MSGR_API msgr_hresult msgr_runtime_tick(msgr_runtime *rt);

/* Whether the runtime's windows may take keyboard focus. The host decides (for example "do not
 * steal focus during play"); when it may not, InstantMessage still shows the window and answers
 * MSGR_S_FALSE. Default: allowed. */
MSGR_API msgr_hresult msgr_set_focus_allowed(msgr_runtime *rt, int allowed);

/* ---- Sign-in (IMessenger::Signin / Signout / MyStatus / MySigninName) ------------------------ */

/* Starts signing in to the primary service. Returns S_OK when the attempt started;
 * MSGR_EVENT_SIGNIN reports its result from a later tick. MSGR_E_ALREADY_LOGGED_ON when signed
 * in or signing in. */
MSGR_API msgr_hresult msgr_signin(msgr_runtime *rt, const char *signin_name, const char *password);
/* Signs out: closes every window, raises MSGR_EVENT_SIGNOUT. MSGR_E_NOT_LOGGED_ON if not signed
 * in (a sign-in still in progress is cancelled). */
MSGR_API msgr_hresult msgr_signout(msgr_runtime *rt);
MSGR_API msgr_hresult msgr_my_status(msgr_runtime *rt, int32_t *out_status);
/* Sets the user's own status while signed in: ONLINE, INVISIBLE, BUSY, BE_RIGHT_BACK, IDLE,
 * AWAY, ON_THE_PHONE, OUT_TO_LUNCH. MSGR_S_ALREADY_IN_THE_MODE when unchanged. */
MSGR_API msgr_hresult msgr_set_my_status(msgr_runtime *rt, int32_t status);
/* The signed-in user's name (valid until the next sign-in or sign-out); MSGR_E_NOT_LOGGED_ON if
 * not signed in. */
MSGR_API msgr_hresult msgr_my_signin_name(msgr_runtime *rt, const char **out);
/* The primary service's id ("loopback" in the embedded default). */
MSGR_API msgr_hresult msgr_my_service_id(msgr_runtime *rt, const char **out);

/* The sign-in dialog's visibility. The UI layer sets it when it shows or hides its dialog; while
 * it is visible, Page fails with E_FAIL as documented. */
MSGR_API msgr_hresult msgr_set_signin_dialog_visible(msgr_runtime *rt, int visible);
MSGR_API msgr_hresult msgr_signin_dialog_visible(msgr_runtime *rt, int *out);

/* ---- Contacts (IMessenger::GetContact, IMessengerContact) ------------------------------------ */

/* The contact with this sign-in name on the given service (NULL: the primary service), created
 * on demand. The same name on the same service always gives the same contact object.
 * MSGR_E_NOT_LOGGED_ON if not signed in; E_INVALIDARG for a bad name or an unknown service. */
MSGR_API msgr_hresult msgr_get_contact(msgr_runtime *rt, const char *signin_name,
                                       const char *service_id, msgr_contact **out);
/* The user's contact list (IMessenger::MyContacts), as the primary and secondary services
 * report it. */
MSGR_API msgr_hresult msgr_my_contacts_count(msgr_runtime *rt, size_t *out);
MSGR_API msgr_hresult msgr_my_contacts_get(msgr_runtime *rt, size_t index, msgr_contact **out);
MSGR_API msgr_hresult msgr_contact_signin_name(msgr_contact *c, const char **out);
MSGR_API msgr_hresult msgr_contact_friendly_name(msgr_contact *c, const char **out);
MSGR_API msgr_hresult msgr_contact_service_id(msgr_contact *c, const char **out);
MSGR_API msgr_hresult msgr_contact_status(msgr_contact *c, int32_t *out);
MSGR_API msgr_hresult msgr_contact_is_self(msgr_contact *c, int *out);
/* Whether the contact can be paged: its service supports paging, a paging add-in is installed,
 * and the contact has mobile services enabled. */
MSGR_API msgr_hresult msgr_contact_can_page(msgr_contact *c, int *out);

/* ---- The contact list (0.4: IMessenger::AddContact, IMessengerContact.Blocked, MyFriendlyName)
 *
 * What a service does with these depends on the service: the loopback service (the embedded
 * default) supports them all. A contact service add-in built for add-in ABI 1.5 or older does not
 * (msgr/addin.h): those calls answer MSGR_E_NOTIMPL for its contacts. */

/* 0.4. IMessenger::AddContact: asks the contact's service to add signin_name to the user's
 * contact list (a subscription request the contact may accept or decline). Checks, in this order:
 *   signin_name NULL or empty, starting with a space, longer than 129 UTF-16 units, containing
 *   CR or LF, invalid UTF-8; service_id not NULL and invalid UTF-8 or no service's id
 *                                                          -> MSGR_E_INVALIDARG
 *   not signed in to the primary service                   -> MSGR_E_NOT_LOGGED_ON
 *   the local user (the sign-in name on the primary service) -> MSGR_E_FAIL
 *   the contact is on the contact list already             -> MSGR_E_ALREADY_IN_LIST
 *   the contact is blocked (unblock it first)              -> MSGR_E_FAIL
 *   the service cannot add contacts                        -> MSGR_E_NOTIMPL
 *   a request to add this contact is still unanswered      -> MSGR_S_FALSE (nothing sent again)
 *   otherwise the request is sent                          -> S_OK
 * The answer is MSGR_EVENT_CONTACT_LIST_ADD on a later tick: hr S_OK with the contact now on the
 * list, or why not (MSGR_E_USER_NOT_FOUND, MSGR_E_FAIL when the contact declined, ...) with the
 * contact not on the list. service_id NULL: the primary service. */
MSGR_API msgr_hresult msgr_add_contact(msgr_runtime *rt, const char *signin_name,
                                       const char *service_id);
/* 0.4. Takes a contact off the contact list. Checks, in this order:
 *   c NULL, released, or a contact of another runtime      -> MSGR_E_INVALIDARG
 *   the contact's runtime is gone                          -> MSGR_RPC_E_DISCONNECTED
 *   not signed in to the primary service                   -> MSGR_E_NOT_LOGGED_ON
 *   the contact is not on the contact list                 -> MSGR_S_FALSE
 *   the service cannot remove contacts                     -> MSGR_E_NOTIMPL
 *   otherwise                                              -> S_OK; it is off the list at once and
 *                                 MSGR_EVENT_CONTACT_LIST_REMOVE (hr S_OK) is raised */
MSGR_API msgr_hresult msgr_remove_contact(msgr_runtime *rt, msgr_contact *c);
/* 0.4. Answers a contact's request to add the user to their contact list
 * (MSGR_EVENT_AUTHORIZATION_REQUEST): accept non-zero lets them see the user's presence, 0
 * declines. Checks, in this order:
 *   c NULL, released, or a contact of another runtime      -> MSGR_E_INVALIDARG
 *   the contact's runtime is gone                          -> MSGR_RPC_E_DISCONNECTED
 *   not signed in to the primary service                   -> MSGR_E_NOT_LOGGED_ON
 *   no request from this contact is waiting (answered already, or none came in this session)
 *                                                          -> MSGR_E_FAIL
 *   the service cannot answer requests                     -> MSGR_E_NOTIMPL
 *   otherwise the answer is sent                           -> S_OK (the request is answered) */
MSGR_API msgr_hresult msgr_authorize(msgr_runtime *rt, msgr_contact *c, int accept);
/* 0.4. The requests waiting for msgr_authorize, oldest first: each raised once as
 * MSGR_EVENT_AUTHORIZATION_REQUEST, and listed here until answered, dropped (the contact was
 * blocked) or the user signs out, so a view made after the event (an overlay created later)
 * still shows them. msgr_authorization_requests_get hands out a contact (release it);
 * E_INVALIDARG for an index past the count. */
MSGR_API msgr_hresult msgr_authorization_requests_count(msgr_runtime *rt, size_t *out);
MSGR_API msgr_hresult msgr_authorization_requests_get(msgr_runtime *rt, size_t index,
                                                      msgr_contact **out);
/* 0.4. IMessengerContact.Blocked. A blocked contact's messages, pages, chat states and requests
 * never reach a window, a toast, an event or the history store: they are dropped when they
 * arrive (a request waiting from it is dropped too). msgr_contact_set_blocked checks, in order:
 *   c NULL or released                                     -> MSGR_E_INVALIDARG
 *   the contact's runtime is gone                          -> MSGR_RPC_E_DISCONNECTED
 *   not signed in to the primary service                   -> MSGR_E_NOT_LOGGED_ON
 *   the local user                                         -> MSGR_E_FAIL
 *   blocked already as asked                               -> MSGR_S_FALSE
 *   the service cannot block contacts                      -> MSGR_E_NOTIMPL
 *   otherwise -> S_OK and MSGR_EVENT_CONTACT_BLOCK_CHANGE (status: 1 blocked, 0 unblocked)
 * msgr_contact_blocked: *out 1 when blocked, else 0. */
MSGR_API msgr_hresult msgr_contact_set_blocked(msgr_contact *c, int blocked);
MSGR_API msgr_hresult msgr_contact_blocked(msgr_contact *c, int *out);
/* The longest friendly name accepted, in UTF-16 code units. */
#define MSGR_MAX_FRIENDLY_NAME_UTF16 129
/* 0.4. IMessenger::MyFriendlyName (put): the name the user's contacts see. Checks, in order:
 *   name NULL or empty, invalid UTF-8, containing CR or LF, longer than
 *   MSGR_MAX_FRIENDLY_NAME_UTF16 UTF-16 units              -> MSGR_E_INVALIDARG
 *   not signed in to the primary service                   -> MSGR_E_NOT_LOGGED_ON
 *   the name is the current one                            -> MSGR_S_FALSE
 *   the primary service cannot change it                   -> MSGR_E_NOTIMPL
 *   otherwise -> S_OK and MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE (hr S_OK, text: the name)
 * msgr_my_friendly_name: the current one (the sign-in name until one is set; valid until the
 * next change, sign-in or sign-out); MSGR_E_NOT_LOGGED_ON when not signed in. */
MSGR_API msgr_hresult msgr_set_my_friendly_name(msgr_runtime *rt, const char *name);
MSGR_API msgr_hresult msgr_my_friendly_name(msgr_runtime *rt, const char **out);
/* The longest activity accepted, in UTF-16 code units. */
#define MSGR_MAX_ACTIVITY_UTF16 128
/* 0.4. Rich presence: what the user is doing ("In a match — 3/4 players"), a status
 * text the host sets and every signed-in service that supports it tells the user's contacts
 * (over XMPP as the presence status message). NULL or "" clears it. Checks, in order:
 *   text not NULL and invalid UTF-8, containing CR or LF, or longer than
 *   MSGR_MAX_ACTIVITY_UTF16 UTF-16 units                   -> MSGR_E_INVALIDARG
 *   not signed in to the primary service                   -> MSGR_E_NOT_LOGGED_ON
 *   the activity is the current one                        -> MSGR_S_FALSE
 *   the primary service cannot carry it                    -> MSGR_E_NOTIMPL
 *   otherwise -> S_OK and MSGR_EVENT_MY_ACTIVITY_CHANGE (hr S_OK, text: the activity, "" when
 *   cleared). Secondary services that support it are told too; one that does not is skipped,
 *   and one that fails is logged (the call still succeeds).
 * It lasts for the session: "" again at every sign-in.
 * msgr_my_activity: the current one ("" when none; valid until the next change, sign-in or
 * sign-out); MSGR_E_NOT_LOGGED_ON when not signed in.
 * msgr_contact_activity: what the contact's service last said the contact is doing ("" when
 * nothing), cleaned (valid UTF-8, no control characters, at most MSGR_MAX_ACTIVITY_UTF16
 * UTF-16 units); valid until the contact's next MSGR_EVENT_CONTACT_ACTIVITY_CHANGE or the end
 * of the session (at sign-out every contact's is "" again, without an event). Its checks: c NULL
 * or released -> MSGR_E_INVALIDARG, out NULL -> MSGR_RPC_X_NULL_REF_POINTER, the contact's runtime
 * gone -> MSGR_RPC_E_DISCONNECTED (as msgr_contact_friendly_name's). A service that reports the
 * user's own sign-in name reports the user's activity set elsewhere: the current one from then
 * on, with MSGR_EVENT_MY_ACTIVITY_CHANGE. */
MSGR_API msgr_hresult msgr_set_my_activity(msgr_runtime *rt, const char *text);
MSGR_API msgr_hresult msgr_my_activity(msgr_runtime *rt, const char **out);
MSGR_API msgr_hresult msgr_contact_activity(msgr_contact *c, const char **out);
MSGR_API void msgr_contact_add_ref(msgr_contact *c);
MSGR_API void msgr_contact_release(msgr_contact *c);

/* ---- InstantMessage and Page ----------------------------------------------------------------- */

/* IMessenger::InstantMessage. Checks, in this order, each with its documented result:
 *   out NULL                                   -> MSGR_RPC_X_NULL_REF_POINTER
 *   vContact empty, NULL or empty string, NULL contact, a string starting with a space, longer
 *   than 129 UTF-16 units, containing CR or LF, invalid UTF-8      -> MSGR_E_INVALIDARG
 *   not signed in to the primary service       -> MSGR_E_NOT_LOGGED_ON
 *   the local user (IsSelf, or the sign-in name) -> MSGR_E_FAIL
 *   a conversation window to that contact is open -> that same window, S_OK (no new window)
 *   the configured cap on open windows reached -> MSGR_E_FAIL
 *   otherwise a new conversation window        -> S_OK
 * S_FALSE instead of S_OK when the window is shown but focus could not be given to it. */
MSGR_API msgr_hresult msgr_instant_message(msgr_runtime *rt, msgr_variant contact,
                                           msgr_window **out);

/* IMessenger::Page. Checks, in this order:
 *   out NULL                                   -> MSGR_RPC_X_NULL_REF_POINTER
 *   vContact invalid (as InstantMessage)       -> MSGR_E_INVALIDARG
 *   no paging add-in installed                 -> MSGR_E_NOTIMPL
 *   not signed in to the primary service       -> MSGR_E_NOT_LOGGED_ON
 *   the sign-in dialog is visible              -> MSGR_E_FAIL
 *   the local user                             -> MSGR_E_FAIL
 *   the contact's service cannot page          -> MSGR_E_FAIL
 *   the contact has no mobile services         -> MSGR_E_PAGING_UNAVAILABLE
 *   a page window to that contact is open      -> that same window, S_OK
 *   the cap on open windows reached            -> MSGR_E_FAIL
 *   otherwise a new page window                -> S_OK (S_FALSE when it could not take focus) */
MSGR_API msgr_hresult msgr_page(msgr_runtime *rt, msgr_variant contact, msgr_window **out);

/* The late-bound entry point that scripting languages use (IDispatch::Invoke by name):
 * "InstantMessage" behaves as msgr_instant_message; "Page" returns MSGR_E_NOTIMPL, as the Page
 * documentation says it does for scripts; any other name MSGR_E_NOTIMPL as well. */
MSGR_API msgr_hresult msgr_script_invoke(msgr_runtime *rt, const char *method, msgr_variant contact,
                                         msgr_window **out);

/* ---- Windows (IMessengerWindow, IMessengerConversationWnd) ----------------------------------- */

typedef enum msgr_window_kind {
    MSGR_WINDOW_CONVERSATION = 1,
    MSGR_WINDOW_PAGE = 2
} msgr_window_kind;

MSGR_API msgr_hresult msgr_window_kind_of(msgr_window *w, msgr_window_kind *out);
MSGR_API msgr_hresult msgr_window_is_closed(msgr_window *w, int *out);
/* Brings the window to the front and gives it focus: S_FALSE when focus is not allowed. */
MSGR_API msgr_hresult msgr_window_show(msgr_window *w);
/* Closes the window (raises MSGR_EVENT_IM_WINDOW_DESTROYED); S_FALSE if it was closed already. */
MSGR_API msgr_hresult msgr_window_close(msgr_window *w);
/* Geometry in pixels of the host's overlay. Width and height must be positive. */
MSGR_API msgr_hresult msgr_window_get_left(msgr_window *w, int32_t *out);
MSGR_API msgr_hresult msgr_window_get_top(msgr_window *w, int32_t *out);
MSGR_API msgr_hresult msgr_window_get_width(msgr_window *w, int32_t *out);
MSGR_API msgr_hresult msgr_window_get_height(msgr_window *w, int32_t *out);
MSGR_API msgr_hresult msgr_window_set_left(msgr_window *w, int32_t value);
MSGR_API msgr_hresult msgr_window_set_top(msgr_window *w, int32_t value);
MSGR_API msgr_hresult msgr_window_set_width(msgr_window *w, int32_t value);
MSGR_API msgr_hresult msgr_window_set_height(msgr_window *w, int32_t value);
/* The contact the window talks to (a new reference). */
MSGR_API msgr_hresult msgr_window_contact(msgr_window *w, msgr_contact **out);
/* 0.3. Conversations with several contacts (IMessengerConversationWnd Contacts, AddContact).
 * msgr_window_add_contact adds a contact to a conversation window. Checks, in this order:
 *   w NULL, released or gone; vContact invalid (as InstantMessage) -> MSGR_E_INVALIDARG
 *   the account went offline (the handle was dereferenced)          -> MSGR_RPC_E_DISCONNECTED
 *   not signed in to the primary service                            -> MSGR_E_NOT_LOGGED_ON
 *   the window is closed, or a page window                          -> MSGR_E_FAIL
 *   the local user (IsSelf, or the sign-in name)                    -> MSGR_E_FAIL
 *   a contact of another service than the window's, or a service that does not support
 *   conversations with several contacts (MSGR_SERVICE_MULTI_PARTY in msgr/addin.h) -> MSGR_E_FAIL
 *   the contact is in the conversation already                     -> MSGR_S_FALSE
 *   the conversation has runtime.max_conversation_contacts contacts -> MSGR_E_SESSION_FULL
 *   otherwise                                -> S_OK, raises MSGR_EVENT_IM_WINDOW_CONTACT_ADDED
 * The window becomes a group window: what is sent in it reaches every one of its contacts, and
 * its history is the group's own conversation (stored under the group's id), not the one with
 * its first contact. msgr_instant_message to a contact still returns (or opens) that contact's
 * one-to-one window, never a group window.
 * msgr_window_remove_contact: the same checks (E_INVALIDARG, RPC_E_DISCONNECTED,
 * NOT_LOGGED_ON, E_FAIL for a closed window), then S_FALSE when the contact is not in the
 * conversation, E_FAIL when it is the last one (a conversation keeps at least one contact),
 * else S_OK and MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED. */
MSGR_API msgr_hresult msgr_window_add_contact(msgr_window *w, msgr_variant contact);
MSGR_API msgr_hresult msgr_window_remove_contact(msgr_window *w, msgr_variant contact);
/* The window's contacts (IMessengerConversationWnd::Contacts), in the order they joined;
 * contacts_get hands out a new reference. index past the end: MSGR_E_INVALIDARG. */
MSGR_API msgr_hresult msgr_window_contacts_count(msgr_window *w, size_t *out);
MSGR_API msgr_hresult msgr_window_contacts_get(msgr_window *w, size_t index, msgr_contact **out);
/* Prefills the window's input. Automation may draft; only the user sends (see msgr/ui.h). */
MSGR_API msgr_hresult msgr_window_set_draft(msgr_window *w, const char *text);
MSGR_API msgr_hresult msgr_window_get_draft(msgr_window *w, const char **out);

/* The conversation history (IMessengerConversationWnd::History), oldest first. */
typedef enum msgr_message_direction {
    MSGR_MESSAGE_INCOMING = 1,
    MSGR_MESSAGE_OUTGOING = 2
} msgr_message_direction;
typedef enum msgr_delivery_state {
    MSGR_DELIVERY_NONE = 0,    /* incoming messages */
    MSGR_DELIVERY_PENDING = 1, /* handed to the service or gateway, no answer yet */
    MSGR_DELIVERY_SENT = 2,    /* the service took it (XMPP: the server acknowledged it) */
    MSGR_DELIVERY_FAILED = 3,  /* it will not be delivered: delivery_result and delivery_reason */
    /* 0.2. A caller whose msgr_message.struct_size does not cover stored_id (built before these
     * were added) is told MSGR_DELIVERY_SENT for both, so it never meets a value it does not know.
     * A state only moves forward: PENDING -> SENT -> DELIVERED -> READ, or to FAILED. */
    MSGR_DELIVERY_DELIVERED = 4, /* the contact's client received it (XMPP: a XEP-0184 receipt) */
    MSGR_DELIVERY_READ = 5       /* the contact saw it (XMPP: a XEP-0333 displayed marker) */
} msgr_delivery_state;
/* 0.2. The name of a delivery state ("MSGR_DELIVERY_READ"), or "UNKNOWN_DELIVERY". Never NULL. */
MSGR_API const char *msgr_delivery_state_name(msgr_delivery_state state);
typedef struct msgr_message {
    uint32_t struct_size; /* set by the caller to sizeof(msgr_message); kept as set */
    msgr_message_direction direction;
    msgr_delivery_state delivery;
    msgr_hresult delivery_result; /* why it failed, when delivery == MSGR_DELIVERY_FAILED */
    const char *text;             /* valid until the next tick or the window's release */
    size_t text_size;             /* bytes, without the terminating NUL */
    int64_t time_unix_ms;
    /* MSGR_MESSAGE_* (added in 0.1: read it only when the struct_size you passed covers it) */
    uint32_t flags;
    /* 0.2 (read it only when the struct_size you passed covers it): why the delivery failed, in
     * words a user can read ("the paging add-in \"paging\" crashed: killed by signal 11
     * (SIGSEGV)"); "" when it did not fail or no reason is known. Valid as text is. */
    const char *delivery_reason;
    /* 0.2 (read it only when the struct_size you passed covers it): the message's id in the
     * history store, unique within the account and stable across restarts (what a search
     * result names); 0 while history is off ([history] enabled = false). */
    int64_t stored_id;
    /* 0.3 (read it only when the struct_size you passed covers it): who wrote it, as a sign-in
     * name: the contact for an incoming message (in a group window, the one of its contacts who
     * wrote it), the user's own for an outgoing one. "" when not known (an incoming message of a
     * group stored by a msgr before 0.3). Valid as text. */
    const char *sender;
} msgr_message;
/* A page rather than a chat line: every message of a page window, and a page that arrived from a
 * contact (a client of theirs paged this user; it is shown in the conversation window). */
#define MSGR_MESSAGE_PAGE 0x1u
/* 0.2: an incoming message the user has seen (the overlay showed it: msgr_ui_history_seen). */
#define MSGR_MESSAGE_SEEN 0x2u
/* 0.2: an outgoing message the user sent from another device or client of theirs (XMPP carbons,
 * or the archive); it was never handed to a service by this runtime. */
#define MSGR_MESSAGE_OTHER_DEVICE 0x4u
/* 0.2: it came from the service's archive or offline storage (XMPP MAM), not live. */
#define MSGR_MESSAGE_ARCHIVED 0x8u
/* The conversation's history (IMessengerConversationWnd::History), oldest first: the whole
 * stored conversation with the window's contact (history.enabled, the default), not only what
 * this window saw. The window keeps the most recent part in memory (history.memory_messages);
 * an older entry is read from the store when asked for. An entry's index is stable until
 * older entries are added in front of it (an archive page the service fetched: see
 * MSGR_EVENT_HISTORY_PREPENDED) or the conversation is forgotten. */
MSGR_API msgr_hresult msgr_window_history_count(msgr_window *w, size_t *out);
MSGR_API msgr_hresult msgr_window_history_get(msgr_window *w, size_t index, msgr_message *out);
/* Asks the contact's service for older messages than the oldest stored (XMPP: a MAM page
 * before it). S_OK when asked: they arrive later, raised as MSGR_EVENT_HISTORY_PREPENDED;
 * S_FALSE when there is nothing older to fetch (the archive's start was reached, or the service
 * keeps no archive). The overlay calls it when the user scrolls to the top. */
MSGR_API msgr_hresult msgr_window_fetch_older(msgr_window *w);

/* ---- History: search and forgetting (history.enabled) -------------------------------------
 *
 * The signed-in account's history lives in one SQLite database per account
 * ($XDG_DATA_HOME/msgr/history/, mode 0600; history.path to move it). A search runs on the
 * store's own thread, never on the caller's: msgr_history_search starts it and returns at once,
 * and MSGR_EVENT_SEARCH_DONE (index: the search id; hr) says when its results can be read. */

/* One search hit. Set struct_size to sizeof(msgr_search_result) (msgr.h, "struct_size"). */
typedef struct msgr_search_result {
    uint32_t struct_size;
    msgr_contact *contact; /* borrowed: valid until the search is released */
    msgr_window_kind kind; /* the conversation's kind: a chat or a page conversation */
    msgr_message_direction direction;
    int64_t stored_id;    /* as msgr_message.stored_id */
    int64_t time_unix_ms; /* when it was sent or received */
    const char *text;     /* the whole message; valid until the search is released */
    size_t text_size;
    /* the message's text around the match, with the matched words between "\x02" and "\x03"
     * (STX/ETX: never in a chat line, so a drawing layer can highlight them); valid as text */
    const char *snippet;
    size_t snippet_size;
} msgr_search_result;
/* Starts a full-text search of the account's history (every conversation). query: words, all
 * of which must occur (prefix matching for the last: "hel" finds "hello"; case- and
 * accent-insensitive); at most max_results hits (1..1000), newest first. E_INVALIDARG for an
 * empty or invalid query; MSGR_E_NOT_LOGGED_ON when not signed in; E_FAIL (with the reason)
 * when history is off. *out_search: the search's id (never 0), for the calls below. */
MSGR_API msgr_hresult msgr_history_search(msgr_runtime *rt, const char *query, size_t max_results,
                                          uint64_t *out_search);
/* After MSGR_EVENT_SEARCH_DONE: how many hits, and one of them. Before it: MSGR_E_BUSY. */
MSGR_API msgr_hresult msgr_search_result_count(msgr_runtime *rt, uint64_t search, size_t *out);
MSGR_API msgr_hresult msgr_search_result_get(msgr_runtime *rt, uint64_t search, size_t index,
                                             msgr_search_result *out);
/* Opens the conversation of hit `index` scrolled to that message: the window as InstantMessage
 * (or Page, for a page conversation) gives it, with the same results, and the drawing layer is
 * told the entry to show (msgr_ui_window_info.scroll_serial / scroll_index). */
MSGR_API msgr_hresult msgr_search_open(msgr_runtime *rt, uint64_t search, size_t index,
                                       msgr_window **out);
/* Gives back a search's results (a search still running is cancelled). */
MSGR_API msgr_hresult msgr_search_release(msgr_runtime *rt, uint64_t search);
/* Forgets every stored message with this contact (chat and pages): from the store, from every
 * open window's history (history_serial is raised), and from search results not yet read.
 * Signed in; S_OK. */
MSGR_API msgr_hresult msgr_history_forget_contact(msgr_contact *c);
/* Forgets the whole history of the signed-in account, as msgr_history_forget_contact for every
 * contact. */
MSGR_API msgr_hresult msgr_history_forget_all(msgr_runtime *rt);

MSGR_API void msgr_window_add_ref(msgr_window *w);
MSGR_API void msgr_window_release(msgr_window *w);

/* ---- Events (DMessengerEvents) --------------------------------------------------------------- */

typedef enum msgr_event_type {
    MSGR_EVENT_SIGNIN = 1,                /* hr: S_OK or the documented OnSignin failures */
    MSGR_EVENT_SIGNOUT = 2,               /* hr: S_OK after msgr_signout, or why it went offline */
    MSGR_EVENT_MY_STATUS_CHANGE = 3,      /* hr, status */
    MSGR_EVENT_CONTACT_STATUS_CHANGE = 4, /* contact, status */
    MSGR_EVENT_CONTACT_LIST_ADD = 5,      /* hr, contact */
    MSGR_EVENT_CONTACT_LIST_REMOVE = 6,   /* hr, contact */
    MSGR_EVENT_IM_WINDOW_CREATED = 7,     /* window (conversation or page) */
    MSGR_EVENT_IM_WINDOW_DESTROYED = 8,   /* window */
    MSGR_EVENT_MESSAGE_RECEIVED = 9,      /* window, contact, text, index (of the history entry) */
    /* window, hr, index (of the history entry); status (0.2): the new msgr_delivery_state */
    MSGR_EVENT_DELIVERY_CHANGE = 10,
    MSGR_EVENT_APP_SHUTDOWN = 11, /* raised by msgr_runtime_destroy */
    /* An add-in was refused, disabled, loaded or unloaded (msgr/addin.h). index: the add-in's
     * index for msgr_addin_get_info; hr: the result behind a refusal; text: "name: reason". */
    MSGR_EVENT_ADDIN_STATE_CHANGE = 12,
    /* 0.2. A contact's chat state changed (typing): contact, window (their conversation window,
     * or NULL when none is open), status: the msgr_chat_state. */
    MSGR_EVENT_TYPING = 13,
    /* 0.2. A search finished: index: the search id; hr: S_OK, or why it failed. */
    MSGR_EVENT_SEARCH_DONE = 14,
    /* 0.2. Older messages were added in front of a window's history (msgr_window_fetch_older
     * answered): window, index: how many (every index the window had moved up by that many);
     * hr: S_FALSE when the archive's start was reached with this page. */
    MSGR_EVENT_HISTORY_PREPENDED = 15,
    /* 0.3. A contact joined a conversation (OnIMWindowContactAdded): window, contact. Raised by
     * msgr_window_add_contact, and when a group message arrives from a contact not in it yet. */
    MSGR_EVENT_IM_WINDOW_CONTACT_ADDED = 16,
    /* 0.3. A contact left a conversation (OnIMWindowContactRemoved): window, contact. */
    MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED = 17,
    /* 0.4. A contact asks to add the user to their contact list (a subscription request):
     * contact. Answer with msgr_authorize. Never raised for a blocked contact. */
    MSGR_EVENT_AUTHORIZATION_REQUEST = 18,
    /* 0.4. A contact was blocked or unblocked (OnContactBlockChange): contact, status: 1
     * blocked, 0 unblocked; hr S_OK. Raised by msgr_contact_set_blocked, and when the service
     * reports a block made elsewhere (another client of the user's). */
    MSGR_EVENT_CONTACT_BLOCK_CHANGE = 19,
    /* 0.4. A contact's friendly name changed (OnContactFriendlyNameChange): contact, text: the
     * new name (as msgr_contact_friendly_name gives it from now on); hr S_OK. */
    MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE = 20,
    /* 0.4. The user's own friendly name changed (OnMyFriendlyNameChange): hr, text: the name. */
    MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE = 21,
    /* 0.4. The user's own activity changed (msgr_set_my_activity, or set on another client of
     * the user's as the service reports): hr S_OK, text: the activity ("" when cleared). */
    MSGR_EVENT_MY_ACTIVITY_CHANGE = 22,
    /* 0.4. A contact's activity changed (rich presence from its service): contact, text: the
     * activity as msgr_contact_activity gives it from now on ("" when cleared); hr S_OK. */
    MSGR_EVENT_CONTACT_ACTIVITY_CHANGE = 23,
    MSGR_EVENT_TYPE_COUNT_ = 24
} msgr_event_type;

/* A contact's (or the user's own) chat state, as XEP-0085 names them. */
typedef enum msgr_chat_state {
    MSGR_CHAT_STATE_NONE = 0,      /* not known */
    MSGR_CHAT_STATE_ACTIVE = 1,    /* paying attention to the conversation */
    MSGR_CHAT_STATE_COMPOSING = 2, /* typing */
    MSGR_CHAT_STATE_PAUSED = 3,    /* was typing, stopped for a while */
    MSGR_CHAT_STATE_INACTIVE = 4,  /* not paying attention */
    MSGR_CHAT_STATE_GONE = 5       /* left the conversation */
} msgr_chat_state;

/* The name of an event type ("MSGR_EVENT_SIGNIN"). Never NULL. */
MSGR_API const char *msgr_event_type_name(msgr_event_type type);

typedef struct msgr_event {
    uint32_t struct_size; /* sizeof(msgr_event) of the runtime that raised it; grows at the end */
    msgr_event_type type;
    msgr_hresult hr;
    int32_t status;
    msgr_contact *contact; /* borrowed until the next tick; add_ref to keep it */
    msgr_window *window;   /* borrowed until the next tick; add_ref to keep it */
    const char *text;      /* borrowed for the callback; NUL-terminated, but network text may
                              hold NULs itself: read text_size bytes */
    size_t index;
    /* (0.1: read it only when struct_size covers it; otherwise strlen(text)) */
    size_t text_size; /* bytes, without the terminating NUL */
} msgr_event;

typedef void (*msgr_event_fn)(const msgr_event *event, void *user);
typedef uint64_t msgr_subscription;

/* Calls fn for every event of the given type (0: every type) until msgr_unsubscribe. */
MSGR_API msgr_hresult msgr_subscribe(msgr_runtime *rt, msgr_event_type type, msgr_event_fn fn,
                                     void *user, msgr_subscription *out);
MSGR_API msgr_hresult msgr_unsubscribe(msgr_runtime *rt, msgr_subscription id);

/* ---- Version --------------------------------------------------------------------------------- */

/* The one source of the version: the top CMakeLists.txt reads these three lines for project(). */

#define MSGR_VERSION_MAJOR 0
#define MSGR_VERSION_MINOR 1
#define MSGR_VERSION_PATCH 0
/* "major.minor.patch" of the loaded library. */
MSGR_API const char *msgr_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MSGR_MSGR_H */

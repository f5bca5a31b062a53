/* addin.h — the add-in ABI of the msgr runtime (valid C99, also usable from C++).
 *
 * An add-in is a shared library the runtime loads at run time (Boost.DLL). It gives the runtime
 * features: contact services, a paging provider, event subscribers. Everything that
 * crosses the boundary is C: plain structs that carry their own size, C function pointers and
 * result codes. No C++ object, exception, std::function or Boost.Signals2 type crosses, so an
 * add-in may be built with another compiler or standard library than the runtime.
 *
 * The life of an add-in:
 *  1. Discovery: the runtime looks in the configured add-in directories (runtime.addin_paths),
 *     in MSGR_ADDIN_PATH (colon-separated) and in <dir of libmsgr.so>/msgr/addins, for *.so.
 *     A file whose name without ".so" is listed in runtime.disabled_addins is not opened at
 *     all (listed as MSGR_ADDIN_DISABLED_BY_CONFIG).
 *  2. Verification, before any code of the add-in runs: the file must be a regular file, not
 *     writable by other users, in a directory not writable by other users, owned by root or the
 *     user running the runtime, on the SHA-256 allow-list when one is configured
 *     (runtime.addin_sha256), a well-formed ELF shared object for this machine, and it must
 *     export the entry point MSGR_ADDIN_ENTRY_SYMBOL (read from the file, not by loading it).
 *  3. Loading. By default an add-in runs in a process of its own: the runtime starts the add-in
 *     host program (lib/msgr/msgr-addin-host, beside the add-ins) for it, and that process loads
 *     the very same file through the very same entry point and ABI; host functions, provider
 *     calls, events and reports cross a bounded IPC protocol, so the add-in does not notice. A
 *     crash, exit, hang or protocol violation there costs the add-in (CRASHED, HUNG, restarted
 *     with backoff), never the host. `[addin.<file name without .so>] isolation = "in_process"`
 *     keeps a trusted add-in in the host's process (and an add-in that draws must be: an
 *     isolated add-in's drawers are refused, with a reason, while the rest of it works).
 *     Either way the library is loaded with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE (a thread it
 *     leaves behind never runs unmapped code). The entry point is called, which returns the
 *     add-in's descriptor. The entry point must hold the address of the add-in's own code,
 *     and the descriptor, its strings and its functions must lie in the add-in's own image
 *     (static data): checked against the segments the loader mapped for it, before each is
 *     called or read. The magic and size are checked; the ABI major must equal the
 *     runtime's and the add-in's minor may not exceed the runtime's.
 *  4. load(host, &state): the add-in reads its configuration and registers what it provides
 *     through the host functions. Registration is possible only during load.
 *  5. Running: the runtime calls the add-in's provider functions and event callbacks on its
 *     owner thread. The add-in may do blocking work on its own threads and reports back only
 *     through the thread-safe host functions (msgr_host_post_*_fn, msgr_host_log_fn).
 *  6. unload(state): the add-in stops its threads and frees everything. The runtime has
 *     disconnected its event callbacks before. Isolated, its process exits after unload;
 *     in-process the library stays mapped (RTLD_NODELETE).
 *
 * Rules the runtime enforces: every call into an add-in is guarded. A call that fails (returns
 * a failed msgr_hresult) or throws disables the add-in: its callbacks are disconnected, its
 * capabilities withdrawn, work it still owed is reported as failed, and the runtime goes on.
 * An isolated add-in's process that dies or does not answer within its deadline
 * ([addin.<name>] call_timeout_ms, load_timeout_ms) is treated the same way, then restarted.
 * The reason is reported through the log, MSGR_EVENT_ADDIN_STATE_CHANGE and msgr_addin_get_info,
 * and its kind in msgr_addin_info.problem.
 *
 * Only the user sends: an add-in has no way to send a message as the user. Isolated, its
 * process has no libmsgr.so and so no UI surface at all; in-process, every msgr_ui_* function
 * refuses a call made while add-in code runs on the host thread (MSGR_E_ACCESSDENIED), and
 * calls from other threads are refused as from any other thread (RPC_E_WRONG_THREAD).
 *
 * What an isolated add-in can still reach: the network, the files its user can reach, and its
 * own process (a PR_SET_NO_NEW_PRIVS process in its own process group that dies with the host,
 * with no descriptor but its two channels and stdio, and the resource limits of
 * [addin.<name>] address_space_mb and open_files). It cannot read the host's memory (the
 * user's password reaches only the primary service's signin). A future sandbox would add a
 * seccomp filter (no ptrace, no exec) and Landlock rules (its own data directory only).
 *
 * Build an add-in with hidden visibility (the CMake helper msgr_add_addin() does), so that
 * the entry point is its only exported symbol.
 */
#ifndef MSGR_ADDIN_H
#define MSGR_ADDIN_H

#include <stddef.h>
#include <stdint.h>

#include "msgr/msgr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions -------------------------------------------------------------------------------- */

/* 'MSGA' */
#define MSGR_ADDIN_MAGIC 0x4D534741u
/* An add-in built for another major is refused; an add-in whose minor is newer than the
 * runtime's is refused (it may rely on something this runtime does not have). */
#define MSGR_ADDIN_ABI_MAJOR 1
#define MSGR_ADDIN_ABI_MINOR 7
/* Minor versions:
 *  0  paging providers, event subscribers, configuration, log.
 *  1  contact services (msgr_host_register_service and the msgr_host_post_* functions for
 *     services); MSGR_ADDIN_PROVIDES_SERVICE. An add-in built for 1.0 loads unchanged.
 *  2  drawers: add-ins that draw with Dear ImGui inside the host's overlay
 *     (msgr_host_register_drawer, msgr_draw_context); MSGR_ADDIN_PROVIDES_DRAWING.
 *  3  services that carry pages themselves (msgr_contact_service.send_page) and
 *     msgr_host_page_via_service, with which the paging provider hands them a page;
 *     msgr_host_post_page for pages that arrive.
 *  4  conversations that last: msgr_contact_service.send_message_ex (origin ids, resends),
 *     send_chat_state, send_displayed and fetch_older; msgr_host_post_message_ex (time, ids,
 *     carbons, archive), msgr_host_post_receipt (DELIVERED, READ), msgr_host_post_chat_state,
 *     msgr_host_post_history_end; MSGR_SERVICE_HAS_ARCHIVE.
 *  5  conversations with several contacts: MSGR_SERVICE_MULTI_PARTY,
 *     msgr_outgoing_message.group and .members, msgr_incoming_message.group.
 *  6  the contact list: msgr_contact_service.add_contact, remove_contact, authorize,
 *     set_blocked and set_friendly_name (optional, at the end of the table: a 1.5 add-in's
 *     shorter table gets MSGR_E_NOTIMPL for them from the runtime);
 *     msgr_host_post_add_result, msgr_host_post_authorization_request, msgr_host_post_blocked,
 *     msgr_host_post_friendly_name.
 *  7  rich presence: msgr_contact_service.set_activity (optional, at the end of the table: a
 *     1.6 add-in's shorter table is treated as without it, never read past its struct_size);
 *     msgr_host_post_activity. An add-in built for 1.5 or 1.6 loads unchanged. */

/* The name of the exported entry point. */
#define MSGR_ADDIN_ENTRY_SYMBOL "msgr_addin_entry"

/* ---- What the host gives an add-in ---------------------------------------------------------- */

/* Opaque: one per loaded add-in. Pass it back to every host function. */
typedef struct msgr_host_ctx msgr_host_ctx;

/* A generic function pointer, as dlsym returns; cast to the typedef of the named function. */
typedef void (*msgr_proc)(void);

typedef struct msgr_host {
    uint32_t struct_size; /* sizeof(msgr_host) of the runtime; grows at the end */
    uint16_t abi_major;   /* the runtime's MSGR_ADDIN_ABI_MAJOR */
    uint16_t abi_minor;   /* the runtime's MSGR_ADDIN_ABI_MINOR */
    msgr_host_ctx *ctx;
    /* The host function with this name (the MSGR_HOST_* names below), or NULL if this runtime
     * does not have it. Any thread. In C++, msgr/addin_host.hpp binds them all at once. */
    msgr_proc (*get_proc)(const char *name);
} msgr_host;

/* Logs through the runtime's log handler (msgr_set_log_handler). Any thread. */
#define MSGR_HOST_LOG "msgr_host_log"
typedef void (*msgr_host_log_fn)(msgr_host_ctx *ctx, msgr_log_level level, const char *message);

/* Configuration: the add-in's own top-level table of the runtime's TOML file (the descriptor's
 * config_table, e.g. [paging]). Keys are relative to that table; dots reach into sub-tables
 * ("webhook.url"). Each returns S_OK with the value, S_FALSE when the key (or the whole file)
 * is absent (*out untouched), E_INVALIDARG when the value has another type. Strings stay valid
 * until unload. Any thread, once load has been called. */
#define MSGR_HOST_CONFIG_STRING "msgr_host_config_string"
typedef msgr_hresult (*msgr_host_config_string_fn)(msgr_host_ctx *ctx, const char *key,
                                                   const char **out);
#define MSGR_HOST_CONFIG_INT "msgr_host_config_int"
typedef msgr_hresult (*msgr_host_config_int_fn)(msgr_host_ctx *ctx, const char *key, int64_t *out);
#define MSGR_HOST_CONFIG_BOOL "msgr_host_config_bool"
typedef msgr_hresult (*msgr_host_config_bool_fn)(msgr_host_ctx *ctx, const char *key, int *out);
/* Arrays of strings: the count, then each element. */
#define MSGR_HOST_CONFIG_ARRAY_SIZE "msgr_host_config_array_size"
typedef msgr_hresult (*msgr_host_config_array_size_fn)(msgr_host_ctx *ctx, const char *key,
                                                       size_t *out);
#define MSGR_HOST_CONFIG_ARRAY_STRING "msgr_host_config_array_string"
typedef msgr_hresult (*msgr_host_config_array_string_fn)(msgr_host_ctx *ctx, const char *key,
                                                         size_t index, const char **out);
/* The keys of the add-in's table (index < count), so that it can refuse keys it does not know. */
#define MSGR_HOST_CONFIG_KEY "msgr_host_config_key"
typedef msgr_hresult (*msgr_host_config_key_fn)(msgr_host_ctx *ctx, size_t index, const char **out);
/* The keys of the table at `path` inside the add-in's table ("" for the add-in's table itself;
 * "contacts[0]" for the first table of an array of tables), index < count: S_OK, S_FALSE past
 * the last key or when absent, E_INVALIDARG when the value there is not a table. (ABI 1.1) */
#define MSGR_HOST_CONFIG_KEY_AT "msgr_host_config_key_at"
typedef msgr_hresult (*msgr_host_config_key_at_fn)(msgr_host_ctx *ctx, const char *path,
                                                   size_t index, const char **out);
/* Where the configuration's relative paths and error messages point: the file's path ("" for
 * the embedded defaults). */
#define MSGR_HOST_CONFIG_ORIGIN "msgr_host_config_origin"
typedef const char *(*msgr_host_config_origin_fn)(msgr_host_ctx *ctx);

/* Records why the add-in's load fails (shown as the add-in's state reason). Any thread. */
#define MSGR_HOST_SET_ERROR "msgr_host_set_error"
typedef void (*msgr_host_set_error_fn)(msgr_host_ctx *ctx, const char *reason);

/* ---- Capabilities (register only during load, on the thread that calls load) ----------------- */

/* A page to deliver. Borrowed for the duration of the submit call: copy what you keep. */
typedef struct msgr_page_request {
    uint32_t struct_size;
    uint64_t message_id; /* report the outcome with msgr_host_post_delivery_fn */
    const char *from;    /* the signed-in user's sign-in name */
    const char *to;      /* the contact's sign-in name */
    const char *to_service;
    const char *text; /* UTF-8, already checked against max_page_utf16 */
    size_t text_size; /* bytes, without the terminating NUL */
} msgr_page_request;

/* The paging capability. The table is copied at registration (struct_size bytes of it). */
typedef struct msgr_paging_provider {
    uint32_t struct_size; /* sizeof(msgr_paging_provider) the add-in was built with */
    void *state;          /* passed back to every function */
    /* The longest page, in UTF-16 code units (what the page window counts). At least 1. */
    uint32_t max_page_utf16;
    /* Whether the add-in's own directory knows a mobile device for this contact (*out: 0 or 1).
     * Asked only when the contact's service did not say it has mobile services. */
    msgr_hresult (*knows_mobile)(void *state, const char *service, const char *signin, int *out);
    /* Takes a page for delivery and returns at once (S_OK); delivery happens on the add-in's
     * own thread, and its outcome is reported with msgr_host_post_delivery_fn. A page the
     * add-in cannot deliver is reported as MSGR_DELIVERY_FAILED that way, not by failing the
     * call: a failed result means the add-in is broken, and disables it. */
    msgr_hresult (*submit)(void *state, const msgr_page_request *page);
} msgr_paging_provider;

/* Hands a page to the contact's own contact service (page->to_service) when that service
 * carries pages to the contact (msgr_contact_service.send_page; XMPP contacts whose client
 * accepts pages, for example). For the paging provider, from inside its submit call for this
 * page (owner thread). ABI 1.3.
 *   S_OK          the service took the page and owes its delivery report now: the paging
 *                 provider must not report it.
 *   S_FALSE       the service carries no page to this contact: deliver it yourself.
 *   MSGR_E_FAIL   the service failed (and is disabled): report the page failed, or deliver it.
 *   E_UNEXPECTED  outside submit, or not the paging provider; E_INVALIDARG: another page. */
#define MSGR_HOST_PAGE_VIA_SERVICE "msgr_host_page_via_service"
typedef msgr_hresult (*msgr_host_page_via_service_fn)(msgr_host_ctx *ctx,
                                                      const msgr_page_request *page);

/* Registers the paging provider. E_FAIL when another add-in already provides paging (there is
 * one paging provider), E_INVALIDARG for a bad table, E_UNEXPECTED outside load. */
#define MSGR_HOST_REGISTER_PAGING "msgr_host_register_paging"
typedef msgr_hresult (*msgr_host_register_paging_fn)(msgr_host_ctx *ctx,
                                                     const msgr_paging_provider *provider);

/* Reports the fate of a page handed over by submit, or of a message handed over by a contact
 * service's send_message: MSGR_DELIVERY_SENT or MSGR_DELIVERY_FAILED (hr says why). Once per
 * message id. Any thread; returns E_INVALIDARG for an id the add-in
 * does not owe. */
#define MSGR_HOST_POST_DELIVERY "msgr_host_post_delivery"
typedef msgr_hresult (*msgr_host_post_delivery_fn)(msgr_host_ctx *ctx, uint64_t message_id,
                                                   msgr_delivery_state state, msgr_hresult hr);

/* ---- Contact services (ABI 1.1) -------------------------------------------------------------
 *
 * A contact service signs the user in, knows contacts (a directory, a roster, presence) and
 * carries instant messages: the loopback service and the XMPP service are contact services.
 * The runtime calls the service's functions on its owner thread; each must return at once (do
 * network work on your own thread) and return S_OK: a failed result or an exception disables
 * the add-in, and the runtime signs out of a primary service that vanishes. What takes time is
 * reported back with the msgr_host_post_*_fn functions below, from any thread, tagged with the
 * service's id and the session number the runtime gave to signin. Reports for an older session
 * are ignored, so a service never has to worry about a late report. */

/* What a service knows about a contact right now. The runtime sets struct_size and zeroes the
 * rest before the call; the service fills what it knows. friendly is borrowed: it must stay
 * valid until the service function returns (the runtime copies it). */
typedef struct msgr_contact_info {
    uint32_t struct_size;
    const char *friendly; /* UTF-8 display name; NULL or "": the sign-in name */
    int32_t status;       /* MSGR_STATUS_*; MSGR_STATUS_UNKNOWN when unknown */
    /* 1: the contact has mobile services (can be paged): a device of the contact's that the
     * service's send_page reaches, or a mobile device the service knows of. */
    int mobile;
} msgr_contact_info;

/* A service can carry pages to its contacts (Page's "E_FAIL: the contact's service does not
 * support paging" when not set; the Exchange case in the Page remarks). */
#define MSGR_SERVICE_CAN_PAGE 0x1u
/* The service keeps an archive it can page back through (XMPP MAM): fetch_older works (ABI 1.4). */
#define MSGR_SERVICE_HAS_ARCHIVE 0x2u
/* ABI 1.5. The service carries conversations with several contacts (group windows: see
 * msgr_window_add_contact in msgr/msgr.h). Not set (or an older add-in): adding a contact to a
 * conversation of this service fails with E_FAIL, and no message it is sent names a group. */
#define MSGR_SERVICE_MULTI_PARTY 0x4u

/* A message for a service to carry (ABI 1.4: send_message_ex). Borrowed for the call. */
typedef struct msgr_outgoing_message {
    uint32_t
        struct_size;     /* the runtime's sizeof(msgr_outgoing_message): read only what it covers */
    uint64_t message_id; /* report its fate with msgr_host_post_delivery_fn(message_id, ...) */
    const char *to;      /* the contact's sign-in name */
    const char *text;    /* valid UTF-8, at most max_message_bytes */
    size_t text_size;
    /* The runtime's id for this message: unique, the same for every resend of it, also after a
     * restart (use it as the XMPP stanza id and XEP-0359 origin-id). Receipts and read markers
     * for it are reported with it (msgr_host_post_receipt). 1-64 bytes of [A-Za-z0-9_-]. */
    const char *origin_id;
    /* 1: it may have been sent before (the runtime stopped, or the service went offline, before
     * its fate was known): send it again under the same origin_id; the receiver deduplicates. */
    int resend;
    int64_t time_unix_ms; /* when the user sent it (a resend: the first time) */
    /* ---- ABI 1.5 (read them only when struct_size covers them) ---- */
    /* The group conversation it is sent in: its id (1-200 bytes, no CR or LF), stable for the
     * conversation's life; NULL or "" for a one-to-one message. Only to a service with
     * MSGR_SERVICE_MULTI_PARTY. The group's messages that arrive name it in
     * msgr_incoming_message.group. */
    const char *group;
    /* With group: every contact of the conversation (sign-in names, one per line, separated by
     * '\n'; `to` is the first): deliver the message to each of them. NULL without group. */
    const char *members;
} msgr_outgoing_message;

/* The contact service capability. The table is copied at registration (struct_size bytes). */
typedef struct msgr_contact_service {
    uint32_t struct_size; /* sizeof(msgr_contact_service) the add-in was built with */
    void *state;          /* passed back to every function */
    /* The service's id (copied): letters, digits, '-', '_', '.', 1-64 bytes, unique in the
     * runtime. runtime.primary_service names one; contacts carry it (msgr_contact_service_id). */
    const char *id;
    uint32_t flags;             /* MSGR_SERVICE_* */
    uint32_t max_message_bytes; /* the longest instant message it carries (UTF-8 bytes), >= 1 */
    /* Starts signing in as name (checked: a valid sign-in name; password: valid UTF-8, maybe
     * ""). Only the primary service is given the password the user typed; a secondary service
     * gets "" and signs in with credentials from its own configuration (the user's password is
     * the primary account's, and add-ins do not see each other's secrets).
     * Report the outcome with msgr_host_post_signin_fn(session, hr) -- a wrong password is
     * reported there (MSGR_E_INVALID_PASSWORD), not returned. Then report the contact list
     * with msgr_host_post_contact_fn. */
    msgr_hresult (*signin)(void *state, uint64_t session, const char *name, const char *password);
    /* The user signs out (or the runtime stops): forget the session, disconnect. */
    msgr_hresult (*signout)(void *state);
    /* The user's own status changed (MSGR_STATUS_ONLINE, BUSY, AWAY, ...): tell the network. */
    msgr_hresult (*set_status)(void *state, int32_t status);
    /* What the service knows about a contact now. Unknown contacts are normal (contacts exist
     * on demand): leave the info as it is, or say MSGR_STATUS_OFFLINE. */
    msgr_hresult (*describe)(void *state, const char *signin, msgr_contact_info *out);
    /* Takes a message for delivery (text: valid UTF-8, at most max_message_bytes) and returns
     * at once; report its fate once with msgr_host_post_delivery_fn(message_id, ...). A message
     * that cannot be delivered is reported as MSGR_DELIVERY_FAILED, not by failing the call. */
    msgr_hresult (*send_message)(void *state, uint64_t message_id, const char *to, const char *text,
                                 size_t text_size);
    /* ABI 1.3, optional (NULL, or a table from an older add-in: the service carries no pages
     * itself, and pages to its contacts go through the paging provider's own gateway).
     * Takes a page (text: valid UTF-8 within the paging provider's max_page_utf16) for a
     * contact that accepts pages over this service, and returns at once: S_OK when taken --
     * report its fate once with msgr_host_post_delivery_fn(message_id, ...), as for
     * send_message; S_FALSE when the service carries no page to this contact now (the paging
     * provider then delivers it itself). Called only through msgr_host_page_via_service, on the
     * owner thread. A failed result disables the add-in, as for every call. */
    msgr_hresult (*send_page)(void *state, uint64_t message_id, const char *to, const char *text,
                              size_t text_size);
    /* ---- ABI 1.4; each optional (NULL, or a table from an older add-in: not supported) ---- */
    /* Takes a message for delivery, as send_message, with its origin id and whether it is a
     * resend. When set, the runtime calls it instead of send_message. */
    msgr_hresult (*send_message_ex)(void *state, const msgr_outgoing_message *message);
    /* The user's chat state in the conversation with `to` changed (XEP-0085). */
    msgr_hresult (*send_chat_state)(void *state, const char *to, msgr_chat_state chat_state);
    /* The user saw the contact's messages up to the one the service gave receipt_id in
     * msgr_host_post_message_ex (XEP-0333 displayed). Once per id. */
    msgr_hresult (*send_displayed)(void *state, const char *to, const char *receipt_id);
    /* Fetch up to max (1..500) messages with `peer` older than the one with archive_id (""
     * when none is stored: the newest). Return at once; post them with MSGR_INCOMING_OLDER,
     * newest first, then msgr_host_post_history_end_fn. Only with MSGR_SERVICE_HAS_ARCHIVE. */
    msgr_hresult (*fetch_older)(void *state, const char *peer, const char *archive_id,
                                uint32_t max);
    /* ---- ABI 1.6: the contact list; each optional (NULL, or a table from an older add-in:
     * the runtime answers the host's call with MSGR_E_NOTIMPL and never calls it). Each returns
     * at once (S_OK); what the network answers is reported with the host functions below. */
    /* Asks to add `signin` to the user's contact list (msgr_add_contact). Report the answer once
     * with msgr_host_post_add_result(signin, hr): S_OK when it is on the list (accepted), else
     * why not (MSGR_E_USER_NOT_FOUND, MSGR_E_FAIL: declined). */
    msgr_hresult (*add_contact)(void *state, const char *signin);
    /* Takes `signin` off the user's contact list (msgr_remove_contact: the runtime has taken it
     * off already; no report is needed). */
    msgr_hresult (*remove_contact)(void *state, const char *signin);
    /* Answers the request `signin` made (msgr_host_post_authorization_request): accept 1 or 0. */
    msgr_hresult (*authorize)(void *state, const char *signin, int accept);
    /* Blocks (1) or unblocks (0) `signin` on the network (XMPP: XEP-0191). The runtime drops a
     * blocked contact's reports itself either way. */
    msgr_hresult (*set_blocked)(void *state, const char *signin, int blocked);
    /* The user's friendly name changed (msgr_set_my_friendly_name): tell the network. name: valid
     * UTF-8, 1..129 UTF-16 units, no CR or LF. Called for the primary service only. */
    msgr_hresult (*set_friendly_name)(void *state, const char *name);
    /* ---- ABI 1.7: rich presence; optional (NULL, or a 1.6 table: the runtime never calls it,
     * msgr_set_my_activity answers MSGR_E_NOTIMPL for a primary service without it and skips a
     * secondary one). */
    /* The user's activity changed (msgr_set_my_activity): what the user is doing in the game,
     * for the network to show the user's contacts (XMPP: the presence's status message). text:
     * valid UTF-8, at most 128 UTF-16 units, no CR or LF; "" clears it. Called for the primary
     * service and for every secondary service signed in with the session. Return at once. */
    msgr_hresult (*set_activity)(void *state, const char *text);
} msgr_contact_service;

/* Registers a contact service (an add-in may register several, with different ids).
 * E_INVALIDARG for a bad table or id, E_FAIL when another service has that id, E_UNEXPECTED
 * outside load. */
#define MSGR_HOST_REGISTER_SERVICE "msgr_host_register_service"
typedef msgr_hresult (*msgr_host_register_service_fn)(msgr_host_ctx *ctx,
                                                      const msgr_contact_service *service);

/* The reports of a contact service. Any thread. Each returns S_OK when queued,
 * E_INVALIDARG for a service id this add-in did not register or bad arguments (a sign-in name
 * that is not one, NULL text), MSGR_E_DISCONNECTED once the runtime is stopping or the add-in
 * is disabled. They wait while the runtime's inbox is full (runtime.inbox_capacity): that is
 * how backpressure reaches the network instead of memory growing without bound. */

/* The sign-in started by signin(session) finished: S_OK, or why not (MSGR_E_INVALID_PASSWORD,
 * MSGR_E_CONNECT, MSGR_E_LOGON_TIMEOUT, ...). Becomes OnSignin for the primary service. */
#define MSGR_HOST_POST_SIGNIN "msgr_host_post_signin"
typedef msgr_hresult (*msgr_host_post_signin_fn)(msgr_host_ctx *ctx, const char *service,
                                                 uint64_t session, msgr_hresult hr);
/* The connection of a signed-in session was lost ("the client goes offline"): windows are
 * dereferenced and OnSignout(hr) is raised. hr: why (a success becomes MSGR_E_DISCONNECTED). */
#define MSGR_HOST_POST_OFFLINE "msgr_host_post_offline"
typedef msgr_hresult (*msgr_host_post_offline_fn)(msgr_host_ctx *ctx, const char *service,
                                                  uint64_t session, msgr_hresult hr);
/* The contact list gained (added = 1) or lost (0) a contact: OnContactListAdd/Remove. */
#define MSGR_HOST_POST_CONTACT "msgr_host_post_contact"
typedef msgr_hresult (*msgr_host_post_contact_fn)(msgr_host_ctx *ctx, const char *service,
                                                  uint64_t session, const char *signin, int added);
/* A contact's status changed (MSGR_STATUS_*): OnContactStatusChange. */
#define MSGR_HOST_POST_STATUS "msgr_host_post_status"
typedef msgr_hresult (*msgr_host_post_status_fn)(msgr_host_ctx *ctx, const char *service,
                                                 uint64_t session, const char *signin,
                                                 int32_t status);
/* A message arrived from a contact (text: UTF-8, invalid sequences are replaced; at most
 * 1 MiB). It opens a conversation window if none is open and raises the message event. */
#define MSGR_HOST_POST_MESSAGE "msgr_host_post_message"
typedef msgr_hresult (*msgr_host_post_message_fn)(msgr_host_ctx *ctx, const char *service,
                                                  uint64_t session, const char *from,
                                                  const char *text, size_t text_size);
/* A page arrived from a contact (a client of theirs paged this user): as post_message, and the
 * history entry carries MSGR_MESSAGE_PAGE so the window can show it as a page. (ABI 1.3; same
 * signature as msgr_host_post_message_fn.) */
#define MSGR_HOST_POST_PAGE "msgr_host_post_page"
typedef msgr_host_post_message_fn msgr_host_post_page_fn;

/* ---- What a service reports about conversations (ABI 1.4) -------------------------------- */

/* A message in a conversation, with what the network said about it. Borrowed for the call. */
typedef struct msgr_incoming_message {
    uint32_t struct_size; /* sizeof(msgr_incoming_message) the add-in was built with */
    const char *service;
    uint64_t session;
    /* The contact the conversation is with: the sender, or for MSGR_INCOMING_FROM_ME the
     * recipient. */
    const char *peer;
    const char *text; /* UTF-8 (invalid sequences are replaced), at most 1 MiB */
    size_t text_size;
    uint32_t flags;       /* MSGR_INCOMING_* */
    int64_t time_unix_ms; /* when it was sent (XEP-0203 delay); 0: now */
    /* The sender's id for it (XEP-0359 origin-id, else the stanza's id); NULL or "" when none.
     * A message whose origin_id or archive_id the conversation already holds is dropped (MAM,
     * carbons and offline storage never show a message twice). At most 256 bytes each. */
    const char *origin_id;
    /* The user's server's id for it (XEP-0359 stanza-id, MAM's archive id); NULL or "": none.
     * fetch_older names the oldest stored message by it. */
    const char *archive_id;
    /* What send_displayed should name when the user has seen it (XMPP: the stanza's id);
     * NULL or "": the service takes no read markers for it. */
    const char *receipt_id;
    /* ABI 1.5 (read only when struct_size covers it; a service with MSGR_SERVICE_MULTI_PARTY):
     * the group conversation it belongs to (as msgr_outgoing_message.group); peer is then the
     * contact who wrote it. NULL or "": a one-to-one message. At most 200 bytes, no CR or LF. */
    const char *group;
} msgr_incoming_message;
#define MSGR_INCOMING_PAGE 0x1u /* a page, as msgr_host_post_page */
#define MSGR_INCOMING_FROM_ME                                                                  \
    0x2u                            /* the user sent it, from another device (a carbon) or the \
                                       archive: an outgoing entry, MSGR_MESSAGE_OTHER_DEVICE */
#define MSGR_INCOMING_ARCHIVED 0x4u /* from the archive or offline storage, not live */
#define MSGR_INCOMING_OLDER 0x8u    /* an answer to fetch_older: goes in front of the history */

/* Reports a message (as msgr_host_post_message, with more). E_INVALIDARG for a bad struct
 * (struct_size below the first version's, NULL peer or text, an id too long). */
#define MSGR_HOST_POST_MESSAGE_EX "msgr_host_post_message_ex"
typedef msgr_hresult (*msgr_host_post_message_ex_fn)(msgr_host_ctx *ctx,
                                                     const msgr_incoming_message *message);
/* The contact's client received (MSGR_DELIVERY_DELIVERED: XEP-0184) or displayed
 * (MSGR_DELIVERY_READ: XEP-0333; it covers every earlier message to them) the message the
 * runtime gave origin_id. E_INVALIDARG for another state. */
#define MSGR_HOST_POST_RECEIPT "msgr_host_post_receipt"
typedef msgr_hresult (*msgr_host_post_receipt_fn)(msgr_host_ctx *ctx, const char *service,
                                                  uint64_t session, const char *peer,
                                                  const char *origin_id, msgr_delivery_state state);
/* The contact's chat state changed (XEP-0085): MSGR_EVENT_TYPING. */
#define MSGR_HOST_POST_CHAT_STATE "msgr_host_post_chat_state"
typedef msgr_hresult (*msgr_host_post_chat_state_fn)(msgr_host_ctx *ctx, const char *service,
                                                     uint64_t session, const char *peer,
                                                     msgr_chat_state chat_state);
/* The answer to fetch_older(peer) is complete (its messages were posted before this);
 * complete = 1 when the archive holds nothing older. MSGR_EVENT_HISTORY_PREPENDED. */
#define MSGR_HOST_POST_HISTORY_END "msgr_host_post_history_end"
typedef msgr_hresult (*msgr_host_post_history_end_fn)(msgr_host_ctx *ctx, const char *service,
                                                      uint64_t session, const char *peer,
                                                      int complete);

/* ---- What a service reports about the contact list (ABI 1.6) ----------------------------- */

/* The answer to add_contact(signin): hr S_OK when the contact is on the user's list now (then
 * as msgr_host_post_contact(added = 1)), else why not (a failure: MSGR_E_USER_NOT_FOUND,
 * MSGR_E_FAIL when declined). MSGR_EVENT_CONTACT_LIST_ADD with that hr. A report for a contact
 * the runtime did not ask to add is ignored. E_INVALIDARG for a bad name or an hr that is
 * neither S_OK nor a failure. */
#define MSGR_HOST_POST_ADD_RESULT "msgr_host_post_add_result"
typedef msgr_hresult (*msgr_host_post_add_result_fn)(msgr_host_ctx *ctx, const char *service,
                                                     uint64_t session, const char *signin,
                                                     msgr_hresult hr);
/* `from` asks to add the user to their contact list (a subscription request):
 * MSGR_EVENT_AUTHORIZATION_REQUEST, answered through authorize. Dropped for a blocked contact. */
#define MSGR_HOST_POST_AUTHORIZATION_REQUEST "msgr_host_post_authorization_request"
typedef msgr_hresult (*msgr_host_post_authorization_request_fn)(msgr_host_ctx *ctx,
                                                                const char *service,
                                                                uint64_t session, const char *from);
/* The network says `signin` is blocked (1) or not (0): at sign-in (the block list), or a block
 * made elsewhere. MSGR_EVENT_CONTACT_BLOCK_CHANGE when it changes. */
#define MSGR_HOST_POST_BLOCKED "msgr_host_post_blocked"
typedef msgr_hresult (*msgr_host_post_blocked_fn)(msgr_host_ctx *ctx, const char *service,
                                                  uint64_t session, const char *signin,
                                                  int blocked);
/* `signin`'s friendly name is now `name` (valid UTF-8, at most 1024 bytes; NULL or "": the
 * sign-in name). MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE when it changes. */
#define MSGR_HOST_POST_FRIENDLY_NAME "msgr_host_post_friendly_name"
typedef msgr_hresult (*msgr_host_post_friendly_name_fn)(msgr_host_ctx *ctx, const char *service,
                                                        uint64_t session, const char *signin,
                                                        const char *name);

/* ---- What a service reports about rich presence (ABI 1.7) ------------------------------- */

/* `signin` is doing `text` now (its presence's status message: valid UTF-8, at most 1024 bytes;
 * NULL or "": nothing). The runtime keeps it cleaned (tab, CR and LF as spaces, other control
 * characters and bidi overrides dropped, cut to 128 UTF-16 units): msgr_contact_activity, and
 * MSGR_EVENT_CONTACT_ACTIVITY_CHANGE when it changes. The user's own sign-in name reports the
 * user's activity set elsewhere (MSGR_EVENT_MY_ACTIVITY_CHANGE). E_INVALIDARG for a bad name or
 * text; a report for a session or service that is not current is dropped. Any thread. */
#define MSGR_HOST_POST_ACTIVITY "msgr_host_post_activity"
typedef msgr_hresult (*msgr_host_post_activity_fn)(msgr_host_ctx *ctx, const char *service,
                                                   uint64_t session, const char *signin,
                                                   const char *text);

/* An event callback: the event is borrowed for the call (msgr.h's msgr_event; read only the
 * fields within its struct_size). Runs on the runtime's owner thread, inside msgr_runtime_tick.
 * Return S_OK; a failure disables the add-in. */
typedef msgr_hresult (*msgr_addin_event_fn)(const msgr_event *event, void *user);
/* Subscribes to one event type (0: every type). The host connects the slot on the add-in's
 * behalf and disconnects it before the add-in is unloaded or when it is disabled. */
#define MSGR_HOST_SUBSCRIBE "msgr_host_subscribe"
typedef msgr_hresult (*msgr_host_subscribe_fn)(msgr_host_ctx *ctx, msgr_event_type type,
                                               msgr_addin_event_fn fn, void *user);

/* ---- Drawing (ABI 1.2) ------------------------------------------------------------------------
 *
 * An add-in may draw its own Dear ImGui windows inside the host's overlay (render/), in the
 * host's ImGui context, between the host's NewFrame and Render. The runtime does not depend on
 * ImGui: it carries the drawers and the opaque context below, and the overlay fills it in.
 *
 * ImGui keeps its current context and its allocator in globals of the binary that links it, and
 * an add-in links its own copy (Debian's libimgui-dev is a static library). So before drawing,
 * an add-in checks that its ImGui is the host's (the equivalent of IMGUI_CHECKVERSION, which
 * would assert instead of refusing), then calls ImGui::SetAllocatorFunctions(alloc_fn, free_fn,
 * alloc_user_data) and ImGui::SetCurrentContext(imgui_context). msgr/addin_imgui.hpp does all
 * three (C++, header only). An add-in whose ImGui does not match returns a failure from draw:
 * it is disabled, and the host's frame is not touched.
 *
 * The draw callback must leave ImGui's stacks as it found them (every Begin with its End, every
 * Push with its Pop). The overlay checks after each call: an add-in that leaves a window, an ID,
 * a colour or a style variable pushed is disabled, and the overlay closes what it left open so
 * that the host's frame goes on. */

/* ImGui's allocator functions (ImGuiMemAllocFunc / ImGuiMemFreeFunc). */
typedef void *(*msgr_imgui_alloc_fn)(size_t size, void *user_data);
typedef void (*msgr_imgui_free_fn)(void *ptr, void *user_data);

/* What the overlay hands a drawer each frame. Borrowed for the call. */
typedef struct msgr_draw_context {
    uint32_t struct_size;      /* sizeof(msgr_draw_context) of the host; grows at the end */
    uint32_t flags;            /* MSGR_DRAW_* */
    const char *imgui_version; /* the host's IMGUI_VERSION, e.g. "1.86" */
    int32_t imgui_version_num; /* the host's IMGUI_VERSION_NUM, e.g. 18600 */
    /* The sizes IMGUI_CHECKVERSION compares, as the host's ImGui has them. */
    uint32_t sizeof_io, sizeof_style, sizeof_vec2, sizeof_vec4, sizeof_drawvert, sizeof_drawidx;
    void *imgui_context; /* ImGuiContext *: the host's, current for the host */
    msgr_imgui_alloc_fn alloc_fn;
    msgr_imgui_free_fn free_fn;
    void *alloc_user_data;
    uint64_t frame; /* the host's ImGui frame count */
} msgr_draw_context;

/* The overlay is open (its windows are shown); a drawer usually draws only then. */
#define MSGR_DRAW_OVERLAY_OPEN 0x1u

/* The drawing capability. The table is copied at registration (struct_size bytes of it). */
typedef struct msgr_drawer {
    uint32_t struct_size; /* sizeof(msgr_drawer) the add-in was built with */
    void *state;          /* passed back to draw */
    /* Called once per overlay frame, on the owner thread, inside the host's ImGui frame. Check
     * the context (msgr/addin_imgui.hpp), make it current, draw, return S_OK. A failure or an
     * exception disables the add-in (msgr_host_set_error_fn may say why first). */
    msgr_hresult (*draw)(void *state, const msgr_draw_context *ctx);
} msgr_drawer;

/* Registers a drawer (at most 8 per add-in; they are called in registration order).
 * E_INVALIDARG for a bad table, E_UNEXPECTED outside load, E_FAIL past the limit. An add-in
 * running in a process of its own gets S_FALSE for a good table: drawers run only in the host's
 * process, so this one is refused (never called; the add-in's reason says so) while the rest of
 * the add-in loads and works. */
#define MSGR_HOST_REGISTER_DRAWER "msgr_host_register_drawer"
typedef msgr_hresult (*msgr_host_register_drawer_fn)(msgr_host_ctx *ctx, const msgr_drawer *drawer);

/* ---- What an add-in gives the host ---------------------------------------------------------- */

typedef struct msgr_addin_descriptor {
    uint32_t struct_size; /* sizeof(msgr_addin_descriptor) the add-in was built with */
    uint32_t magic;       /* MSGR_ADDIN_MAGIC */
    uint16_t abi_major;   /* MSGR_ADDIN_ABI_MAJOR the add-in was built with */
    uint16_t abi_minor;   /* MSGR_ADDIN_ABI_MINOR the add-in was built with */
    const char *name;     /* unique; letters, digits, '-', '_' and '.'; at most 64 bytes */
    const char *version;  /* free text, e.g. "1.2.0" */
    const char *description;
    /* The top-level configuration table the add-in reads (e.g. "paging"), or NULL. */
    const char *config_table;
    /* Names of add-ins that must be loaded first, NULL-terminated; NULL for none. */
    const char *const *depends;
    /* Reads configuration, registers capabilities, starts threads. *state is passed to the
     * add-in's functions. On failure it must have released everything itself (unload is not
     * called); msgr_host_set_error_fn says why. */
    msgr_hresult (*load)(const msgr_host *host, void **state);
    /* Stops the add-in's threads and frees its state. Nothing of the add-in runs after it. */
    void (*unload)(void *state);
} msgr_addin_descriptor;

/* The entry point: returns the add-in's descriptor (static storage), never runs anything else. */
typedef const msgr_addin_descriptor *(*msgr_addin_entry_fn)(void);

/* Exports fn as the add-in's entry point. Equivalent to Boost.DLL's
 *     BOOST_DLL_ALIAS(fn, msgr_addin_entry)
 * (a pointer variable named msgr_addin_entry in the "boostdll" section, default visibility),
 * written in C so that an add-in needs no Boost headers. Use it once, at file scope. */
#if defined(__cplusplus)
#define MSGR_ADDIN_EXTERN_C_ extern "C"
#else
#define MSGR_ADDIN_EXTERN_C_
#endif
#define MSGR_ADDIN_ENTRY(fn)                                                               \
    MSGR_ADDIN_EXTERN_C_ __attribute__((section("boostdll"), visibility("default"), used)) \
    const msgr_addin_entry_fn msgr_addin_entry = &fn

/* ---- The host's view: listing and unloading add-ins (exported by libmsgr.so) ----------------- */

typedef enum msgr_addin_state {
    MSGR_ADDIN_LOADED = 1,   /* running */
    MSGR_ADDIN_REFUSED = 2,  /* never ran, or its load failed: see reason */
    MSGR_ADDIN_DISABLED = 3, /* ran, then failed or threw: see reason */
    MSGR_ADDIN_UNLOADED = 4, /* unloaded with msgr_addin_unload */
    /* switched off by runtime.disabled_addins (by its file's name without ".so"): the file was
     * not opened, nothing of it ran; reason says so, result is S_OK */
    MSGR_ADDIN_DISABLED_BY_CONFIG = 5,
    /* an isolated add-in's process died (a signal, an exit, or it broke the IPC protocol): see
     * problem, signal and exit_status. It is restarted after a backoff while restarts remain
     * ([addin.<name>] max_restarts); restarted, it is MSGR_ADDIN_LOADED again. */
    MSGR_ADDIN_CRASHED = 6,
    /* an isolated add-in did not answer within its deadline ([addin.<name>] call_timeout_ms,
     * load_timeout_ms): its process was killed; restarted as for MSGR_ADDIN_CRASHED */
    MSGR_ADDIN_HUNG = 7
} msgr_addin_state;

/* Why an add-in is not (or no longer) running, as a kind a host can switch on without parsing
 * the reason text. MSGR_ADDIN_PROBLEM_NONE while it runs (or was unloaded on request). */
typedef enum msgr_addin_problem {
    MSGR_ADDIN_PROBLEM_NONE = 0,
    MSGR_ADDIN_PROBLEM_NOT_FOUND = 1,          /* the file cannot be opened */
    MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE = 2,     /* owner, mode, directory or SHA-256 allow-list */
    MSGR_ADDIN_PROBLEM_BAD_FILE = 3,           /* not a regular file, too large, not ELF for here */
    MSGR_ADDIN_PROBLEM_NO_ENTRY = 4,           /* no (usable) MSGR_ADDIN_ENTRY_SYMBOL */
    MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR = 5,     /* entry or descriptor outside its image, bad size,
                                                  magic, name or strings */
    MSGR_ADDIN_PROBLEM_WRONG_ABI = 6,          /* another ABI major, or a newer minor */
    MSGR_ADDIN_PROBLEM_DUPLICATE = 7,          /* another add-in of that name was found first */
    MSGR_ADDIN_PROBLEM_MISSING_DEPENDENCY = 8, /* a dependency is not loaded (or a cycle) */
    MSGR_ADDIN_PROBLEM_LOAD_FAILED = 9,        /* its load returned a failure */
    MSGR_ADDIN_PROBLEM_CALL_FAILED = 10,       /* a call into it returned a failure */
    MSGR_ADDIN_PROBLEM_THREW = 11,             /* a call into it threw an exception */
    MSGR_ADDIN_PROBLEM_CRASHED = 12,           /* its process was killed by a signal */
    MSGR_ADDIN_PROBLEM_EXITED = 13,            /* its process exited on its own */
    MSGR_ADDIN_PROBLEM_HUNG = 14,              /* no answer within the deadline */
    MSGR_ADDIN_PROBLEM_PROTOCOL = 15,      /* its process sent a malformed or unexpected frame */
    MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST = 16, /* the add-in host program cannot be started */
    MSGR_ADDIN_PROBLEM_DISABLED_BY_CONFIG = 17 /* runtime.disabled_addins lists it */
} msgr_addin_problem;

/* How an add-in runs ([addin.<name>] isolation). */
typedef enum msgr_addin_isolation {
    MSGR_ADDIN_ISOLATION_PROCESS = 1,   /* in a process of its own (lib/msgr/msgr-addin-host) */
    MSGR_ADDIN_ISOLATION_IN_PROCESS = 2 /* in the host's process: trusted by the host */
} msgr_addin_isolation;

/* What an add-in registered (bit flags). */
#define MSGR_ADDIN_PROVIDES_PAGING 0x1u
#define MSGR_ADDIN_PROVIDES_EVENTS 0x2u
#define MSGR_ADDIN_PROVIDES_SERVICE 0x4u /* one or more contact services (ABI 1.1) */
#define MSGR_ADDIN_PROVIDES_DRAWING 0x8u /* one or more drawers (ABI 1.2) */

typedef struct msgr_addin_info {
    uint32_t struct_size; /* set by the caller to sizeof(msgr_addin_info) */
    msgr_addin_state state;
    msgr_hresult result;     /* the result behind a refusal or disabling; S_OK otherwise */
    uint32_t provides;       /* MSGR_ADDIN_PROVIDES_* */
    const char *name;        /* the file's name until the descriptor was read */
    const char *version;     /* "" until the descriptor was read */
    const char *description; /* "" until the descriptor was read */
    const char *path;        /* the file it came from */
    /* why it is refused, disabled, crashed or hung; when loaded: "", or a note on what of it was
     * refused (an isolated add-in's drawers) */
    const char *reason;
    uint16_t abi_major; /* from the descriptor (0 until read) */
    uint16_t abi_minor;
    /* 0.2: read only when struct_size covers them */
    msgr_addin_problem problem;     /* the kind behind state and reason */
    msgr_addin_isolation isolation; /* how it runs (or would run) */
    int32_t signal;                 /* MSGR_ADDIN_PROBLEM_CRASHED: the signal; 0 otherwise */
    int32_t exit_status;            /* MSGR_ADDIN_PROBLEM_EXITED: its exit status; 0 otherwise */
    uint32_t restarts;              /* how often it was restarted after a crash or hang */
    int32_t pid;                    /* its process while isolated and running; 0 otherwise */
} msgr_addin_info;

/* The add-ins the runtime found (loaded or not), in discovery order. Strings in the info stay
 * valid until the runtime is destroyed. */
MSGR_API msgr_hresult msgr_addin_count(msgr_runtime *rt, size_t *out);
MSGR_API msgr_hresult msgr_addin_get_info(msgr_runtime *rt, size_t index, msgr_addin_info *out);
/* Unloads a loaded add-in by name: MSGR_E_BUSY while it is in use (a page window is open or a
 * page is in flight for its paging provider -- one it handed to a contact's service included,
 * until that service reports it -- or the user is signed in or signing in through
 * one of its contact services) or another loaded add-in depends on it;
 * E_INVALIDARG for an unknown name; S_FALSE if it is not loaded. */
MSGR_API msgr_hresult msgr_addin_unload(msgr_runtime *rt, const char *name);

/* The drawing host's side (render/ calls it; a host with its own ImGui layer may too): calls the
 * drawer of every loaded add-in, in load order, with ctx. Around each call the host's guard
 * runs: before(user, addin_name) and after(user, why, why_size), which returns a failure (and a
 * reason in why) when the add-in left the host's frame damaged. A drawer that fails, throws or
 * fails the guard's after check disables its add-in. Owner thread; not reentrant (a drawer that
 * calls it gets MSGR_E_UNEXPECTED). S_OK, or E_INVALIDARG for a bad ctx. */
typedef struct msgr_draw_guard {
    uint32_t struct_size;
    void *user;
    void (*before)(void *user, const char *addin_name);
    msgr_hresult (*after)(void *user, char *why, size_t why_size);
} msgr_draw_guard;
MSGR_API msgr_hresult msgr_addin_draw(msgr_runtime *rt, const msgr_draw_context *ctx,
                                      const msgr_draw_guard *guard);
/* Whether any loaded add-in has a drawer (*out 0 or 1): a host may skip the call when not. */
MSGR_API msgr_hresult msgr_addin_has_drawers(msgr_runtime *rt, int *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MSGR_ADDIN_H */

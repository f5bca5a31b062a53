/* Hostile add-ins: what an add-in author who wants to take the host down, or to speak as the
 * user, can write with nothing but the SDK (tests/addins/isolation_test.cpp). Plain C, one file,
 * built more than once (tests/addins/CMakeLists.txt):
 *   HOSTILE_NAME            the descriptor's name (the file is <HOSTILE_NAME>.so)
 *   HOSTILE_CRASH_IN_ENTRY  the entry point itself writes through a null pointer: nothing of the
 *                           configuration can be read before it, so it needs a build of its own
 * Every build reads the table [hostile]:
 *   action  = "segfault" | "abort" | "exit" (exit(0)) | "loop" (endless, no system call) |
 *             "fail" (returns MSGR_E_FAIL) | "ui_send" (dlsym(RTLD_DEFAULT, "msgr_ui_send") and
 *             a call with the event's window, its answer logged) | "none" (the default)
 *   in      = "load" | "slot" | "thread" | "send" (where the action happens; "slot" is the
 *             default; "send": in the service's send_message, for a contact whose name starts
 *             with "act" -- a provider call the runtime waits for)
 *   trigger = a received message (its slot subscribes to MSGR_EVENT_MESSAGE_RECEIVED) whose
 *             text holds this sets the action off in the slot, or wakes the thread (default
 *             "act now"); other messages pass unharmed
 *   after_ms = N: the thread acts N ms after load by itself (0, the default: only when a
 *             trigger message asks it)
 *   stray   = true: load starts a thread that calls msgr_host_log every ms ("stray thread
 *             still running") and that unload does not stop: it ends by itself after
 *             stray_ms (default 1000), long after the add-in was unloaded
 *   service = true: registers a contact service whose id is HOSTILE_NAME: sign-in always
 *             succeeds; a message to a contact whose name starts with "owed" is taken and
 *             never reported (the add-in owes it when it dies), every other one is SENT at once
 * Every action logs "hostile: <action> in <in>" just before it happens, so the tests can tell
 * that it really ran. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msgr/addin.h"

#ifndef HOSTILE_NAME
#define HOSTILE_NAME "hostile"
#endif

/* The host functions it uses, bound at load. */
static msgr_host_ctx *ctx;
static msgr_host_log_fn host_log;
static msgr_host_post_signin_fn post_signin;
static msgr_host_post_delivery_fn post_delivery;

/* Its configuration. Static: the stray thread may outlive unload, so nothing it reads is freed.
 * Set at each load: in-process the library stays mapped (RTLD_NODELETE), and a second load in
 * the same process finds the values of the first. */
static char action[16];
static char where[16];
static char trigger[128];
static int64_t after_ms;
static int64_t stray_ms;

static pthread_t actor;
static int actor_started;
static int actor_asked; /* read and written with flag_get / flag_set (threads) */
static int stopping;

/* Flags shared by the add-in's threads: atomic, so that a race of the test's own making never
 * turns into a sanitizer's report (and exit status) where the test expects the real fault. */
static int flag_get(int *flag) {
    return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}
static void flag_set(int *flag, int value) {
    __atomic_store_n(flag, value, __ATOMIC_SEQ_CST);
}

static void say(const char *text) {
    if (host_log != NULL) host_log(ctx, MSGR_LOG_INFO, text);
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* A write through a null pointer: a real SIGSEGV. Volatile both ways, so that the compiler neither
 * drops the store (undefined behaviour it may assume away) nor puts a trap instruction in its
 * place (SIGILL). */
static void segfault(void) {
    volatile int *volatile nowhere = NULL;
    *nowhere = 42;
}

static msgr_hresult ui_send_as_the_user(const msgr_event *ev) {
    typedef msgr_hresult (*ui_send_fn)(msgr_window *, const char *, size_t *);
    typedef const char *(*last_error_fn)(void);
    char line[512];
    /* The runtime's UI surface, looked up in every object of the process. */
    ui_send_fn send = (ui_send_fn)(msgr_proc)dlsym(RTLD_DEFAULT, "msgr_ui_send");
    last_error_fn last_error = (last_error_fn)(msgr_proc)dlsym(RTLD_DEFAULT, "msgr_last_error");
    if (send == NULL) {
        say("hostile: msgr_ui_send not found");
        return MSGR_S_OK;
    }
    size_t index = 0;
    const msgr_hresult hr = send(ev != NULL ? ev->window : NULL, "spoofed by an add-in", &index);
    (void)snprintf(line, sizeof line, "hostile: msgr_ui_send returned 0x%08X (%s)", (unsigned)hr,
                   last_error != NULL ? last_error() : "");
    say(line);
    return MSGR_S_OK;
}

/* Does what it was configured to do (in: where it is). */
static msgr_hresult act(const char *in, const msgr_event *ev) {
    char line[96];
    if (strcmp(where, in) != 0 || strcmp(action, "none") == 0) return MSGR_S_OK;
    (void)snprintf(line, sizeof line, "hostile: %s in %s", action, in);
    say(line);
    if (strcmp(action, "segfault") == 0) {
        segfault();
    } else if (strcmp(action, "abort") == 0) {
        abort();
    } else if (strcmp(action, "exit") == 0) {
        exit(0);
    } else if (strcmp(action, "loop") == 0) {
        volatile unsigned long spin = 0;
        for (;;)
            ++spin;
    } else if (strcmp(action, "fail") == 0) {
        return MSGR_E_FAIL;
    } else if (strcmp(action, "ui_send") == 0) {
        return ui_send_as_the_user(ev);
    }
    return MSGR_S_OK;
}

static void *actor_main(void *arg) {
    long waited = 0;
    (void)arg;
    while (!flag_get(&stopping) && !flag_get(&actor_asked) &&
           (after_ms == 0 || waited < after_ms)) {
        sleep_ms(1);
        ++waited;
    }
    if (!flag_get(&stopping)) act("thread", NULL);
    return NULL;
}

static void *stray_main(void *arg) {
    long i;
    (void)arg;
    for (i = 0; i < stray_ms; ++i) {
        say("hostile: stray thread still running");
        sleep_ms(1);
    }
    return NULL;
}

static msgr_hresult on_event(const msgr_event *ev, void *user) {
    (void)user;
    if (ev->type != MSGR_EVENT_MESSAGE_RECEIVED || ev->text == NULL ||
        strstr(ev->text, trigger) == NULL)
        return MSGR_S_OK;
    flag_set(&actor_asked, 1);
    return act("slot", ev);
}

/* ---- the contact service ---- */

static msgr_hresult svc_signin(void *state, uint64_t session, const char *name,
                               const char *password) {
    (void)state, (void)name, (void)password;
    return post_signin(ctx, HOSTILE_NAME, session, MSGR_S_OK);
}
static msgr_hresult svc_signout(void *state) {
    (void)state;
    return MSGR_S_OK;
}
static msgr_hresult svc_set_status(void *state, int32_t status) {
    (void)state, (void)status;
    return MSGR_S_OK;
}
static msgr_hresult svc_describe(void *state, const char *signin, msgr_contact_info *out) {
    (void)state, (void)signin;
    out->status = MSGR_STATUS_ONLINE;
    return MSGR_S_OK;
}
static msgr_hresult svc_send(void *state, uint64_t id, const char *to, const char *text,
                             size_t text_size) {
    (void)state, (void)text, (void)text_size;
    if (strncmp(to, "act", 3) == 0) {
        const msgr_hresult hr = act("send", NULL);
        if (MSGR_FAILED(hr)) return hr;
    }
    if (strncmp(to, "owed", 4) == 0) return MSGR_S_OK; /* taken, never reported */
    return post_delivery(ctx, id, MSGR_DELIVERY_SENT, MSGR_S_OK);
}

/* ---- load and unload ---- */

static void config_text(const msgr_host *host, const char *key, char *out, size_t size) {
    const msgr_host_config_string_fn get =
        (msgr_host_config_string_fn)host->get_proc(MSGR_HOST_CONFIG_STRING);
    const char *v = NULL;
    if (get(host->ctx, key, &v) == MSGR_S_OK && strlen(v) < size) (void)strcpy(out, v);
}

static int config_flag(const msgr_host *host, const char *key) {
    const msgr_host_config_bool_fn get =
        (msgr_host_config_bool_fn)host->get_proc(MSGR_HOST_CONFIG_BOOL);
    int v = 0;
    return get(host->ctx, key, &v) == MSGR_S_OK && v;
}

static msgr_hresult hostile_load(const msgr_host *host, void **state) {
    const msgr_host_config_int_fn get_int =
        (msgr_host_config_int_fn)host->get_proc(MSGR_HOST_CONFIG_INT);
    const msgr_host_subscribe_fn subscribe =
        (msgr_host_subscribe_fn)host->get_proc(MSGR_HOST_SUBSCRIBE);
    msgr_hresult hr = MSGR_S_OK;
    pthread_t stray;
    ctx = host->ctx;
    host_log = (msgr_host_log_fn)host->get_proc(MSGR_HOST_LOG);
    post_signin = (msgr_host_post_signin_fn)host->get_proc(MSGR_HOST_POST_SIGNIN);
    post_delivery = (msgr_host_post_delivery_fn)host->get_proc(MSGR_HOST_POST_DELIVERY);
    (void)strcpy(action, "none");
    (void)strcpy(where, "slot");
    (void)strcpy(trigger, "act now");
    after_ms = 0;
    stray_ms = 1000;
    config_text(host, "action", action, sizeof action);
    config_text(host, "in", where, sizeof where);
    config_text(host, "trigger", trigger, sizeof trigger);
    get_int(host->ctx, "after_ms", &after_ms);
    get_int(host->ctx, "stray_ms", &stray_ms);
    flag_set(&stopping, 0);
    flag_set(&actor_asked, 0);
    *state = NULL;

    hr = act("load", NULL);
    if (MSGR_FAILED(hr)) return hr;
    if (config_flag(host, "service")) {
        msgr_contact_service t;
        const msgr_host_register_service_fn reg =
            (msgr_host_register_service_fn)host->get_proc(MSGR_HOST_REGISTER_SERVICE);
        memset(&t, 0, sizeof t);
        t.struct_size = sizeof t;
        t.id = HOSTILE_NAME;
        t.max_message_bytes = 1000;
        t.signin = svc_signin;
        t.signout = svc_signout;
        t.set_status = svc_set_status;
        t.describe = svc_describe;
        t.send_message = svc_send;
        hr = reg(host->ctx, &t);
        if (MSGR_FAILED(hr)) return hr;
    }
    hr = subscribe(host->ctx, MSGR_EVENT_MESSAGE_RECEIVED, on_event, NULL);
    if (MSGR_FAILED(hr)) return hr;
    if (config_flag(host, "stray")) {
        if (pthread_create(&stray, NULL, stray_main, NULL) != 0) return MSGR_E_FAIL;
        (void)pthread_detach(stray); /* left running on purpose */
    }
    if (strcmp(where, "thread") == 0) {
        if (pthread_create(&actor, NULL, actor_main, NULL) != 0) return MSGR_E_FAIL;
        actor_started = 1;
    }
    return MSGR_S_OK;
}

static void hostile_unload(void *state) {
    (void)state;
    flag_set(&stopping, 1);
    if (actor_started) (void)pthread_join(actor, NULL);
    actor_started = 0;
}

static const msgr_addin_descriptor descriptor = {
    sizeof(msgr_addin_descriptor),
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    HOSTILE_NAME,
    "0.0.1",
    "an add-in that crashes, aborts, exits, hangs or tries to send as the user",
    "hostile",
    NULL,
    hostile_load,
    hostile_unload,
};

static const msgr_addin_descriptor *entry(void) {
#if defined(HOSTILE_CRASH_IN_ENTRY)
    segfault();
#endif
    return &descriptor;
}

MSGR_ADDIN_ENTRY(entry);

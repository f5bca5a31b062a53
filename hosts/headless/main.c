/* msgr-headless: a scripted session against the runtime, printed as it happens.
 *
 * It embeds the runtime exactly as a C host would: create, subscribe, tick once a "frame",
 * sign in, open conversations, page, sign out. Every call's result and every event is printed
 * with its name and hex value.
 *
 * Usage: msgr-headless [config.toml [sign-in-name [peer]]]
 *   With no sign-in name (or "player@loopback") it plays the scripted loopback session.
 *   With another sign-in name (or $MSGR_SIGNIN) it signs in to that account through the
 *   configuration's primary service (an XMPP JID with [xmpp] configured), says "hello from
 *   msgr-headless" to peer when one is given (as the user would, from a conversation window),
 *   prints every event for $MSGR_HEADLESS_SECONDS (default 10) and signs out. The password comes
 *   from $MSGR_PASSWORD, never the command line (other users could read it with ps); unset means
 *   "" (the XMPP service then reads [xmpp] password_file).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msgr/addin.h"
#include "msgr/msgr.h"
#include "msgr/ui.h"

static int g_failures = 0;

static void print_event(const msgr_event *ev, void *user) {
    const char *name = NULL;
    (void)user;
    printf("  event %-32s hr=%s (0x%08X)", msgr_event_type_name(ev->type),
           msgr_hresult_name(ev->hr), (unsigned)ev->hr);
    if (ev->type == MSGR_EVENT_MY_STATUS_CHANGE || ev->type == MSGR_EVENT_CONTACT_STATUS_CHANGE) {
        printf(" status=%s", msgr_status_name(ev->status));
    }
    if (ev->contact != NULL && msgr_contact_signin_name(ev->contact, &name) == MSGR_S_OK) {
        printf(" contact=%s", name);
    }
    if (ev->text != NULL) printf(" text=\"%s\"", ev->text);
    if (ev->type == MSGR_EVENT_DELIVERY_CHANGE) printf(" message=#%lu", (unsigned long)ev->index);
    printf("\n");
}

/* Prints a call's result; counts a result other than the expected one as a failure. */
static msgr_hresult report(const char *what, msgr_hresult hr, msgr_hresult expected) {
    printf("%-44s -> %s (0x%08X)", what, msgr_hresult_name(hr), (unsigned)hr);
    if (MSGR_FAILED(hr)) printf(": %s", msgr_last_error());
    if (hr != expected) {
        printf("   [expected %s]", msgr_hresult_name(expected));
        ++g_failures;
    }
    printf("\n");
    return hr;
}

static void run_frames(msgr_runtime *rt, int frames) {
    int i;
    for (i = 0; i < frames; ++i)
        msgr_runtime_tick(rt);
}

static msgr_variant by_name(const char *name) {
    msgr_variant v;
    memset(&v, 0, sizeof v);
    v.vt = MSGR_VT_BSTR;
    v.bstr = name;
    return v;
}

static void sleep_ms(long ms) {
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

/* Ticks (a frame every 5 ms) until done(rt) or timeout_ms; returns whether done. */
static int run_until(msgr_runtime *rt, int (*done)(void), long timeout_ms) {
    long waited;
    for (waited = 0; waited < timeout_ms; waited += 5) {
        msgr_runtime_tick(rt);
        if (done != NULL && done()) return 1;
        sleep_ms(5);
    }
    return done != NULL && done();
}

static int g_signin_seen = 0;
static msgr_hresult g_signin_hr = MSGR_S_OK;
static void on_signin(const msgr_event *ev, void *user) {
    (void)user;
    if (ev->type == MSGR_EVENT_SIGNIN) {
        g_signin_seen = 1;
        g_signin_hr = ev->hr;
    }
}
static int signin_done(void) {
    return g_signin_seen;
}

/* Whether it reached the service (sent) or beyond (a receipt said delivered, a read marker
   read). */
static int delivered(msgr_delivery_state d) {
    return d == MSGR_DELIVERY_SENT || d == MSGR_DELIVERY_DELIVERED || d == MSGR_DELIVERY_READ;
}

static msgr_window *g_window = NULL;
static size_t g_index = 0;
static int delivery_done(void) {
    msgr_message m;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    return msgr_window_history_get(g_window, g_index, &m) == MSGR_S_OK &&
           m.delivery != MSGR_DELIVERY_PENDING;
}

/* The account session: sign in as name, greet peer (if any), listen, sign out. */
static int account_session(msgr_runtime *rt, const char *name, const char *peer) {
    const char *password = getenv("MSGR_PASSWORD");
    const char *secs = getenv("MSGR_HEADLESS_SECONDS");
    long seconds = secs != NULL ? strtol(secs, NULL, 10) : 10;
    msgr_subscription sub = 0;
    char what[300];
    if (seconds < 0 || seconds > 86400) seconds = 10;
    msgr_subscribe(rt, MSGR_EVENT_SIGNIN, on_signin, NULL, &sub);
    (void)snprintf(what, sizeof what, "msgr_signin(\"%.200s\")", name);
    if (report(what, msgr_signin(rt, name, password != NULL ? password : ""), MSGR_S_OK) !=
        MSGR_S_OK)
        return 1;
    if (!run_until(rt, signin_done, 60000)) {
        printf("no OnSignin within 60 s\n");
        return 1;
    }
    if (report("OnSignin", g_signin_hr, MSGR_S_OK) != MSGR_S_OK) return 1;
    if (peer != NULL) {
        msgr_message m;
        (void)snprintf(what, sizeof what, "InstantMessage(\"%.200s\")", peer);
        if (report(what, msgr_instant_message(rt, by_name(peer), &g_window), MSGR_S_OK) ==
            MSGR_S_OK) {
            report("the user sends \"hello from msgr-headless\"",
                   msgr_ui_send(g_window, "hello from msgr-headless", &g_index), MSGR_S_OK);
            run_until(rt, delivery_done, 30000);
            memset(&m, 0, sizeof m);
            m.struct_size = sizeof m;
            msgr_window_history_get(g_window, g_index, &m);
            printf("  delivery: %s (%s)\n", msgr_delivery_state_name(m.delivery),
                   msgr_hresult_name(m.delivery_result));
            if (!delivered(m.delivery)) ++g_failures;
        }
    }
    printf("listening for %ld s\n", seconds);
    run_until(rt, NULL, seconds * 1000);
    report("msgr_signout", msgr_signout(rt), MSGR_S_OK);
    run_frames(rt, 1);
    if (g_window != NULL) msgr_window_release(g_window);
    msgr_runtime_destroy(rt);
    printf("%s: %d unexpected result(s)\n", g_failures == 0 ? "done" : "FAILED", g_failures);
    return g_failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    msgr_runtime *rt = NULL;
    msgr_window *echo = NULL, *again = NULL, *pager = NULL, *self = NULL;
    msgr_subscription sub = 0;
    size_t count = 0, i;
    const char *config = argc > 1 ? argv[1] : NULL;

    printf("msgr %s headless host, configuration: %s\n", msgr_version(),
           config ? config : "(embedded defaults)");
    if (report("msgr_runtime_create", msgr_runtime_create(config, &rt), MSGR_S_OK) != MSGR_S_OK) {
        return 1;
    }
    report("msgr_subscribe(all events)",
           msgr_subscribe(rt, (msgr_event_type)0, print_event, NULL, &sub), MSGR_S_OK);
    {
        const char *name = argc > 2 ? argv[2] : getenv("MSGR_SIGNIN");
        if (name != NULL && *name != '\0' && strcmp(name, "player@loopback") != 0)
            return account_session(rt, name, argc > 3 ? argv[3] : NULL);
    }

    report("InstantMessage before sign-in",
           msgr_instant_message(rt, by_name("echo@loopback"), &echo), MSGR_E_NOT_LOGGED_ON);
    report("msgr_signin(\"player@loopback\")", msgr_signin(rt, "player@loopback", ""), MSGR_S_OK);
    run_frames(rt, 2);

    report("InstantMessage(\"echo@loopback\")",
           msgr_instant_message(rt, by_name("echo@loopback"), &echo), MSGR_S_OK);
    report("InstantMessage(\"echo@loopback\") again",
           msgr_instant_message(rt, by_name("echo@loopback"), &again), MSGR_S_OK);
    printf("  same window object: %s\n", echo == again ? "yes" : "no");
    if (echo != again) ++g_failures;
    report("InstantMessage(self)", msgr_instant_message(rt, by_name("Player@loopback"), &self),
           MSGR_E_FAIL);
    report("InstantMessage(\" leading space\")",
           msgr_instant_message(rt, by_name(" leading space"), &self), MSGR_E_INVALIDARG);
    report("InstantMessage(NULL out-pointer)",
           msgr_instant_message(rt, by_name("echo@loopback"), NULL), MSGR_RPC_X_NULL_REF_POINTER);

    report("the user sends \"hello\" to echo", msgr_ui_send(echo, "hello", NULL), MSGR_S_OK);
    run_frames(rt, 2);
    msgr_window_history_count(echo, &count);
    for (i = 0; i < count; ++i) {
        msgr_message m;
        memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        if (msgr_window_history_get(echo, i, &m) == MSGR_S_OK) {
            printf("  history[%lu] %s: %s\n", (unsigned long)i,
                   m.direction == MSGR_MESSAGE_INCOMING ? "echo@loopback" : "me", m.text);
        }
    }

    {
        /* The add-ins the runtime found: the paging add-in is installed next to libmsgr. */
        size_t n = 0, i;
        int paging = 0;
        msgr_addin_count(rt, &n);
        for (i = 0; i < n; ++i) {
            msgr_addin_info info;
            memset(&info, 0, sizeof info);
            info.struct_size = sizeof info;
            if (msgr_addin_get_info(rt, i, &info) != MSGR_S_OK) continue;
            printf("  add-in %s %s (%s): %s", info.name, info.version, info.path,
                   info.state == MSGR_ADDIN_LOADED ? "loaded" : "not loaded");
            if (info.state == MSGR_ADDIN_LOADED && info.isolation == MSGR_ADDIN_ISOLATION_PROCESS)
                printf(", in its own process (pid %d)", (int)info.pid);
            else if (info.state == MSGR_ADDIN_LOADED)
                printf(", in this process");
            printf("%s%s\n", info.reason[0] ? ": " : "", info.reason);
            if (info.state == MSGR_ADDIN_LOADED && (info.provides & MSGR_ADDIN_PROVIDES_PAGING))
                paging = 1;
        }
        if (!paging) {
            report("Page(\"mobile@loopback\") without paging add-in",
                   msgr_page(rt, by_name("mobile@loopback"), &pager), MSGR_E_NOTIMPL);
        } else if (report("Page(\"mobile@loopback\")",
                          msgr_page(rt, by_name("mobile@loopback"), &pager),
                          MSGR_S_OK) == MSGR_S_OK) {
            size_t index = 0;
            msgr_message m;
            int frame;
            report("the user sends a page", msgr_ui_send(pager, "On my way", &index), MSGR_S_OK);
            memset(&m, 0, sizeof m);
            m.struct_size = sizeof m;
            /* Delivery happens on the add-in's thread; the frames go on meanwhile. */
            for (frame = 0; frame < 1000; ++frame) {
                struct timespec ms = {0, 2000000};
                msgr_runtime_tick(rt);
                if (msgr_window_history_get(pager, index, &m) == MSGR_S_OK &&
                    m.delivery != MSGR_DELIVERY_PENDING)
                    break;
                nanosleep(&ms, NULL);
            }
            printf("  page delivery: %s (%s)\n", msgr_delivery_state_name(m.delivery),
                   msgr_hresult_name(m.delivery_result));
            if (!delivered(m.delivery)) ++g_failures;
            msgr_window_release(pager);
        }
    }

    report("msgr_signout", msgr_signout(rt), MSGR_S_OK);
    run_frames(rt, 1);
    {
        int closed = 0;
        report("IsClosed on the echo window", msgr_window_is_closed(echo, &closed), MSGR_S_OK);
        printf("  closed after sign-out: %s\n", closed ? "yes" : "no");
        if (!closed) ++g_failures;
    }
    msgr_window_release(again);
    msgr_window_release(echo);
    msgr_runtime_destroy(rt);
    printf("%s: %d unexpected result(s)\n", g_failures == 0 ? "done" : "FAILED", g_failures);
    return g_failures == 0 ? 0 : 1;
}

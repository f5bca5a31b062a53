/* Conversations with several contacts through the C ABI, as a C99 host uses it (linked against
 * libmsgr.so, the embedded default): msgr_window_add_contact / _remove_contact /
 * _contacts_count / _contacts_get with their result codes, the CONTACT_ADDED / _REMOVED events,
 * and msgr_message.sender on a group's messages. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <msgr/msgr.h>
#include <msgr/ui.h>

#include "c_check.h"

struct counts {
    int signin, added, removed;
    msgr_window *added_window;
};

static void on_event(const msgr_event *ev, void *user) {
    struct counts *c = (struct counts *)user;
    if (ev->type == MSGR_EVENT_SIGNIN) ++c->signin;
    if (ev->type == MSGR_EVENT_IM_WINDOW_CONTACT_ADDED) {
        ++c->added;
        c->added_window = ev->window;
    }
    if (ev->type == MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED) ++c->removed;
}

/* Ticks until the window's history holds n entries, for at most 10 s of wall-clock time. */
static int tick_until_history(msgr_runtime *rt, msgr_window *w, size_t n) {
    const time_t deadline = time(NULL) + 10;
    size_t have = 0;
    while (msgr_window_history_count(w, &have) == MSGR_S_OK && have < n) {
        if (time(NULL) > deadline) return 0;
        msgr_runtime_tick(rt);
    }
    return have >= n;
}

int main(void) {
    msgr_runtime *rt = NULL;
    msgr_window *w = NULL, *one = NULL;
    msgr_contact *c = NULL;
    msgr_subscription sub = 0;
    struct counts counts;
    msgr_variant empty;
    size_t n = 0, i;
    msgr_message m;
    int echo_seen = 0, shout_seen = 0;

    memset(&counts, 0, sizeof counts);
    memset(&empty, 0, sizeof empty);
    CHECK(MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED == MSGR_EVENT_IM_WINDOW_CONTACT_ADDED + 1);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED),
                 "MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED") == 0);
    CHECK_HR(msgr_runtime_create(NULL, &rt), MSGR_S_OK);
    CHECK_HR(msgr_subscribe(rt, (msgr_event_type)0, on_event, &counts, &sub), MSGR_S_OK);
    CHECK_HR(msgr_signin(rt, "c-host@loopback", NULL), MSGR_S_OK);
    CHECK_HR(msgr_runtime_tick(rt), MSGR_S_OK);
    CHECK(counts.signin == 1);

    CHECK_HR(msgr_instant_message(rt, name("echo@loopback"), &w), MSGR_S_OK);
    CHECK_HR(msgr_window_add_contact(NULL, name("shout@loopback")), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_window_add_contact(w, empty), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_window_add_contact(w, name(" shout@loopback")), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_window_add_contact(w, name("c-host@loopback")), MSGR_E_FAIL);
    CHECK_HR(msgr_window_add_contact(w, name("shout@loopback")), MSGR_S_OK);
    CHECK_HR(msgr_window_add_contact(w, name("shout@loopback")), MSGR_S_FALSE);
    CHECK_HR(msgr_window_contacts_count(w, NULL), MSGR_RPC_X_NULL_REF_POINTER);
    CHECK_HR(msgr_window_contacts_count(w, &n), MSGR_S_OK);
    CHECK(n == 2);
    CHECK_HR(msgr_window_contacts_get(w, 2, &c), MSGR_E_INVALIDARG);
    CHECK(c == NULL);
    CHECK_HR(msgr_window_contacts_get(w, 1, &c), MSGR_S_OK);
    if (c != NULL) {
        const char *signin = NULL;
        CHECK_HR(msgr_contact_signin_name(c, &signin), MSGR_S_OK);
        CHECK(signin != NULL && strcmp(signin, "shout@loopback") == 0);
        msgr_contact_release(c);
    }
    /* InstantMessage to echo: its one-to-one window, not the group. */
    CHECK_HR(msgr_instant_message(rt, name("echo@loopback"), &one), MSGR_S_OK);
    CHECK(one != NULL && one != w);
    CHECK_HR(msgr_runtime_tick(rt), MSGR_S_OK);
    CHECK(counts.added == 1 && counts.added_window == w);

    CHECK_HR(msgr_ui_send(w, "hi group", NULL), MSGR_S_OK);
    CHECK(tick_until_history(rt, w, 3));
    for (i = 0; i < 3; ++i) {
        memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        CHECK_HR(msgr_window_history_get(w, i, &m), MSGR_S_OK);
        if (m.sender == NULL) continue;
        if (i == 0) CHECK(strcmp(m.sender, "c-host@loopback") == 0);
        if (strcmp(m.sender, "echo@loopback") == 0 && strcmp(m.text, "hi group") == 0)
            echo_seen = 1;
        if (strcmp(m.sender, "shout@loopback") == 0 && strcmp(m.text, "HI GROUP") == 0)
            shout_seen = 1;
    }
    CHECK(echo_seen && shout_seen);

    CHECK_HR(msgr_window_remove_contact(w, name("nobody@loopback")), MSGR_S_FALSE);
    CHECK_HR(msgr_window_remove_contact(w, name("echo@loopback")), MSGR_S_OK);
    CHECK_HR(msgr_window_remove_contact(w, name("shout@loopback")), MSGR_E_FAIL);
    CHECK_HR(msgr_runtime_tick(rt), MSGR_S_OK);
    CHECK(counts.removed == 1);

    CHECK_HR(msgr_signout(rt), MSGR_S_OK);
    CHECK_HR(msgr_window_add_contact(w, name("shout@loopback")), MSGR_E_FAIL); /* closed */
    msgr_window_release(one);
    msgr_window_release(w);
    msgr_runtime_destroy(rt);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

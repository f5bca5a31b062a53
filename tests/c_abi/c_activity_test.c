/* Rich presence through the C ABI, as a C99 host uses it (linked against libmsgr.so, the
 * embedded default: the loopback service): msgr_set_my_activity / msgr_my_activity and
 * msgr_contact_activity, every documented check in its order with its code, and their events
 * (MSGR_EVENT_MY_ACTIVITY_CHANGE, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE). The loopback's echo bot
 * has an activity of its own; its control contact ("activity <contact> <text>") plays a contact
 * whose game changes what it is doing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <msgr/msgr.h>
#include <msgr/ui.h>

#include "c_check.h"

#define MAX_SEEN 256

struct seen {
    msgr_event_type type;
    msgr_hresult hr;
    char contact[64];
    char text[96];
};

struct record {
    struct seen events[MAX_SEEN];
    int count;
};

static void on_event(const msgr_event *ev, void *user) {
    struct record *r = (struct record *)user;
    struct seen *s;
    const char *name = NULL;
    if (r->count >= MAX_SEEN) return;
    s = &r->events[r->count++];
    memset(s, 0, sizeof *s);
    s->type = ev->type;
    s->hr = ev->hr;
    if (ev->contact != NULL && msgr_contact_signin_name(ev->contact, &name) == MSGR_S_OK)
        (void)snprintf(s->contact, sizeof s->contact, "%s", name);
    if (ev->text != NULL) (void)snprintf(s->text, sizeof s->text, "%s", ev->text);
}

/* How many events of this type (for this contact, unless NULL) were raised. */
static int count(const struct record *r, msgr_event_type type, const char *contact) {
    int i, n = 0;
    for (i = 0; i < r->count; ++i) {
        if (r->events[i].type != type) continue;
        if (contact == NULL || strcmp(r->events[i].contact, contact) == 0) ++n;
    }
    return n;
}

/* The text of the last event of this type for this contact (unless NULL), or "(none)". */
static const char *last_text(const struct record *r, msgr_event_type type, const char *contact) {
    int i;
    for (i = r->count - 1; i >= 0; --i) {
        if (r->events[i].type == type &&
            (contact == NULL || strcmp(r->events[i].contact, contact) == 0))
            return r->events[i].text;
    }
    return "(none)";
}

static void drain(msgr_runtime *rt) {
    int i;
    for (i = 0; i < 5; ++i)
        (void)msgr_runtime_tick(rt);
}

/* Sends a command to the loopback's control contact and ticks until it answered "ok". */
static int control(msgr_runtime *rt, msgr_window *ctl, const char *command) {
    const time_t deadline = time(NULL) + 10;
    size_t before = 0, have = 0;
    msgr_message m;
    if (msgr_window_history_count(ctl, &before) != MSGR_S_OK) return 0;
    if (msgr_ui_send(ctl, command, NULL) != MSGR_S_OK) return 0;
    while (msgr_window_history_count(ctl, &have) == MSGR_S_OK && have < before + 2) {
        if (time(NULL) > deadline) return 0;
        (void)msgr_runtime_tick(rt);
    }
    drain(rt);
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    if (msgr_window_history_get(ctl, have - 1, &m) != MSGR_S_OK) return 0;
    if (strncmp(m.text, "ok", 2) != 0) (void)fprintf(stderr, "control: %s\n", m.text);
    return strncmp(m.text, "ok", 2) == 0;
}

/* Whether the contact's activity is `want` now. */
static int activity_is(msgr_contact *c, const char *want) {
    const char *s = NULL;
    if (msgr_contact_activity(c, &s) != MSGR_S_OK || s == NULL) return 0;
    if (strcmp(s, want) != 0) (void)fprintf(stderr, "activity: \"%s\", not \"%s\"\n", s, want);
    return strcmp(s, want) == 0;
}

#define MATCH "In a match \xe2\x80\x94 3/4 players"
#define EMOJI "\xf0\x9f\x8e\xae" /* U+1F3AE: two UTF-16 units */

int main(void) {
    static struct record rec;
    msgr_runtime *rt = NULL;
    msgr_window *ctl = NULL;
    msgr_contact *echo = NULL, *pal = NULL;
    msgr_subscription sub = 0;
    char longest[130], too_long[131], emoji[4 * 64 + 2];
    const char *s = NULL;
    int i;

    memset(longest, 'x', 128);
    longest[128] = '\0'; /* 128 units: the most */
    memset(too_long, 'x', 129);
    too_long[129] = '\0';
    emoji[0] = '\0';
    for (i = 0; i < 64; ++i)
        strcat(emoji, EMOJI); /* 128 units in 256 bytes */
    CHECK(MSGR_EVENT_MY_ACTIVITY_CHANGE == 22 && MSGR_EVENT_CONTACT_ACTIVITY_CHANGE == 23);
    CHECK(MSGR_EVENT_TYPE_COUNT_ == 24 && MSGR_MAX_ACTIVITY_UTF16 == 128);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_MY_ACTIVITY_CHANGE),
                 "MSGR_EVENT_MY_ACTIVITY_CHANGE") == 0);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE),
                 "MSGR_EVENT_CONTACT_ACTIVITY_CHANGE") == 0);

    CHECK_HR(msgr_set_my_activity(NULL, "x"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_my_activity(NULL, &s), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_contact_activity(NULL, &s), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_runtime_create(NULL, &rt), MSGR_S_OK);
    CHECK_HR(msgr_subscribe(rt, (msgr_event_type)0, on_event, &rec, &sub), MSGR_S_OK);

    /* Before sign-in: a bad text is E_INVALIDARG first, then NOT_LOGGED_ON (NULL and "" are
     * good texts: they clear it). */
    CHECK_HR(msgr_set_my_activity(rt, "\xc3("), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_activity(rt, "a\nb"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_activity(rt, too_long), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_activity(rt, NULL), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_set_my_activity(rt, ""), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_set_my_activity(rt, MATCH), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_my_activity(rt, NULL), MSGR_RPC_X_NULL_REF_POINTER);
    s = "x";
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_E_NOT_LOGGED_ON);
    CHECK(s == NULL);

    CHECK_HR(msgr_signin(rt, "c-host@loopback", NULL), MSGR_S_OK);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_SIGNIN, NULL) == 1);
    CHECK_HR(msgr_instant_message(rt, name("control@loopback"), &ctl), MSGR_S_OK);

    /* A bot's own activity, reported by the loopback service at sign-in. */
    CHECK_HR(msgr_get_contact(rt, "echo@loopback", NULL, &echo), MSGR_S_OK);
    CHECK(activity_is(echo, "Echoing what you say"));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback") == 1);
    CHECK(strcmp(last_text(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback"),
                 "Echoing what you say") == 0);
    CHECK_HR(msgr_contact_activity(echo, NULL), MSGR_RPC_X_NULL_REF_POINTER);

    /* ---- msgr_set_my_activity: the checks in order ---- */
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && s[0] == '\0');
    CHECK_HR(msgr_set_my_activity(rt, "\xff"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_activity(rt, "a\rb"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_activity(rt, "a\nb"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_activity(rt, too_long), MSGR_E_INVALIDARG);
    strcat(emoji, "x"); /* 129 units */
    CHECK_HR(msgr_set_my_activity(rt, emoji), MSGR_E_INVALIDARG);
    emoji[strlen(emoji) - 1] = '\0';
    CHECK_HR(msgr_set_my_activity(rt, NULL), MSGR_S_FALSE); /* none already */
    CHECK_HR(msgr_set_my_activity(rt, ""), MSGR_S_FALSE);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_MY_ACTIVITY_CHANGE, NULL) == 0);
    CHECK_HR(msgr_set_my_activity(rt, MATCH), MSGR_S_OK);
    CHECK_HR(msgr_set_my_activity(rt, MATCH), MSGR_S_FALSE);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_MY_ACTIVITY_CHANGE, NULL) == 1);
    CHECK(strcmp(last_text(&rec, MSGR_EVENT_MY_ACTIVITY_CHANGE, NULL), MATCH) == 0);
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && strcmp(s, MATCH) == 0);
    CHECK_HR(msgr_set_my_activity(rt, longest), MSGR_S_OK);
    CHECK_HR(msgr_set_my_activity(rt, emoji), MSGR_S_OK); /* 128 units in 256 bytes */
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && strcmp(s, emoji) == 0);
    CHECK_HR(msgr_set_my_activity(rt, NULL), MSGR_S_OK); /* cleared */
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_MY_ACTIVITY_CHANGE, NULL) == 4);
    CHECK(strcmp(last_text(&rec, MSGR_EVENT_MY_ACTIVITY_CHANGE, NULL), "") == 0);
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && s[0] == '\0');

    /* ---- a contact's activity changes on the network ---- */
    CHECK(control(rt, ctl, "activity echo@loopback Lobby \xe2\x80\x94 waiting " EMOJI));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback") == 2);
    CHECK(strcmp(last_text(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback"),
                 "Lobby \xe2\x80\x94 waiting " EMOJI) == 0);
    CHECK(activity_is(echo, "Lobby \xe2\x80\x94 waiting " EMOJI));
    CHECK(control(rt, ctl, "activity echo@loopback Lobby \xe2\x80\x94 waiting " EMOJI));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback") == 2); /* unchanged */
    CHECK(control(rt, ctl, "activity echo@loopback"));                            /* cleared */
    CHECK(count(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback") == 3);
    CHECK(strcmp(last_text(&rec, MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "echo@loopback"), "") == 0);
    CHECK(activity_is(echo, ""));
    CHECK(control(rt, ctl, "activity pal@loopback Playing chess"));
    CHECK_HR(msgr_get_contact(rt, "pal@loopback", NULL, &pal), MSGR_S_OK);
    CHECK(activity_is(pal, "Playing chess"));
    CHECK(!control(rt, ctl, "activity pal@loopback \xc3(")); /* the loopback refuses it */

    /* ---- signed out: NOT_LOGGED_ON; a new session starts with none ---- */
    CHECK(control(rt, ctl, "activity echo@loopback Back again"));
    CHECK_HR(msgr_set_my_activity(rt, MATCH), MSGR_S_OK);
    CHECK_HR(msgr_signout(rt), MSGR_S_OK);
    CHECK(activity_is(echo, "")); /* that session's presence */
    CHECK_HR(msgr_set_my_activity(rt, MATCH), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_signin(rt, "c-host@loopback", NULL), MSGR_S_OK);
    drain(rt);
    CHECK_HR(msgr_my_activity(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && s[0] == '\0');
    CHECK(activity_is(echo, "Back again")); /* as the network has it, reported at sign-in */

    msgr_window_release(ctl);
    msgr_runtime_destroy(rt);
    /* The runtime is gone: its contacts answer RPC_E_DISCONNECTED. */
    CHECK_HR(msgr_contact_activity(echo, &s), MSGR_RPC_E_DISCONNECTED);
    msgr_contact_release(echo);
    msgr_contact_release(pal);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

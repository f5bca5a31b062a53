/* The contact list through the C ABI, as a C99 host uses it (linked against libmsgr.so, the
 * embedded default: the loopback service): msgr_add_contact, msgr_remove_contact,
 * msgr_authorize, msgr_contact_set_blocked / _blocked, msgr_set_my_friendly_name /
 * msgr_my_friendly_name, every documented check in its order with its code, and their events.
 * The loopback's control contact plays the network: the contact that accepts or declines, the
 * stranger who asks, the rename and the block made elsewhere. A blocked contact's message reaches
 * no window, no event and not the store. */
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
    int32_t status;
    char contact[64];
    char text[64];
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
    s->status = ev->status;
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

/* The last event of this type for this contact, or NULL. */
static const struct seen *last(const struct record *r, msgr_event_type type, const char *contact) {
    int i;
    for (i = r->count - 1; i >= 0; --i) {
        if (r->events[i].type == type &&
            (contact == NULL || strcmp(r->events[i].contact, contact) == 0))
            return &r->events[i];
    }
    return NULL;
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

static int in_list(msgr_runtime *rt, const char *who) {
    size_t n = 0, i;
    int found = 0;
    if (msgr_my_contacts_count(rt, &n) != MSGR_S_OK) return -1;
    for (i = 0; i < n; ++i) {
        msgr_contact *c = NULL;
        const char *name = NULL;
        if (msgr_my_contacts_get(rt, i, &c) != MSGR_S_OK) return -1;
        if (msgr_contact_signin_name(c, &name) == MSGR_S_OK && strcmp(name, who) == 0) found = 1;
        msgr_contact_release(c);
    }
    return found;
}

static msgr_contact *contact(msgr_runtime *rt, const char *name) {
    msgr_contact *c = NULL;
    CHECK_HR(msgr_get_contact(rt, name, NULL, &c), MSGR_S_OK);
    return c;
}

int main(void) {
    static struct record rec;
    msgr_runtime *rt = NULL;
    msgr_window *ctl = NULL, *w = NULL;
    msgr_contact *echo = NULL, *me = NULL, *friend_ = NULL, *stranger = NULL, *other = NULL,
                 *spammer = NULL, *enemy = NULL, *asking = NULL;
    msgr_subscription sub = 0;
    char long_name[140];
    const char *s = NULL;
    int flag = 0, created = 0;
    size_t n = 0;
    msgr_message m;

    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0'; /* 139 units */
    CHECK(MSGR_EVENT_AUTHORIZATION_REQUEST == 18 && MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE == 21);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_AUTHORIZATION_REQUEST),
                 "MSGR_EVENT_AUTHORIZATION_REQUEST") == 0);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_CONTACT_BLOCK_CHANGE),
                 "MSGR_EVENT_CONTACT_BLOCK_CHANGE") == 0);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE),
                 "MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE") == 0);
    CHECK(strcmp(msgr_event_type_name(MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE),
                 "MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE") == 0);
    CHECK(MSGR_E_ALREADY_IN_LIST == MSGR_HR(0x8100030Bu));

    CHECK_HR(msgr_add_contact(NULL, "a@loopback", NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_runtime_create(NULL, &rt), MSGR_S_OK);
    CHECK_HR(msgr_subscribe(rt, (msgr_event_type)0, on_event, &rec, &sub), MSGR_S_OK);

    /* Before sign-in: a bad argument is E_INVALIDARG first, then NOT_LOGGED_ON. */
    CHECK_HR(msgr_add_contact(rt, NULL, NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "a@loopback", "no-such-service"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "a@loopback", NULL), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_set_my_friendly_name(rt, NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_friendly_name(rt, "Ann"), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_my_friendly_name(rt, NULL), MSGR_RPC_X_NULL_REF_POINTER);
    s = "x";
    CHECK_HR(msgr_my_friendly_name(rt, &s), MSGR_E_NOT_LOGGED_ON);
    CHECK(s == NULL);
    CHECK_HR(msgr_remove_contact(rt, NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_authorize(rt, NULL, 1), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_contact_set_blocked(NULL, 1), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_contact_blocked(NULL, &flag), MSGR_E_INVALIDARG);

    CHECK_HR(msgr_signin(rt, "c-host@loopback", NULL), MSGR_S_OK);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_SIGNIN, NULL) == 1);
    CHECK_HR(msgr_instant_message(rt, name("control@loopback"), &ctl), MSGR_S_OK);
    echo = contact(rt, "echo@loopback");
    me = contact(rt, "c-host@loopback");

    /* ---- msgr_add_contact: the checks in order ---- */
    CHECK_HR(msgr_add_contact(rt, "", NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, " friend@loopback", NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "friend\n@loopback", NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "friend\r@loopback", NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "\xff@loopback", NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, long_name, NULL), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "friend@loopback", "\xfe"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "friend@loopback", "nope"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_add_contact(rt, "C-Host@loopback", NULL), MSGR_E_FAIL); /* the local user */
    CHECK_HR(msgr_add_contact(rt, "echo@loopback", NULL), MSGR_E_ALREADY_IN_LIST);
    CHECK_HR(msgr_add_contact(rt, "Echo@Loopback", "loopback"), MSGR_E_ALREADY_IN_LIST);
    CHECK(strstr(msgr_last_error(), "already") != NULL);

    /* A bot accepts at once: CONTACT_LIST_ADD with S_OK, and it is on the list. */
    CHECK(in_list(rt, "shout@loopback") == 0);
    CHECK_HR(msgr_add_contact(rt, "shout@loopback", NULL), MSGR_S_OK);
    drain(rt);
    CHECK(last(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "shout@loopback") != NULL &&
          last(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "shout@loopback")->hr == MSGR_S_OK);
    CHECK(in_list(rt, "shout@loopback") == 1);

    /* Anyone else answers later; asking again meanwhile is S_FALSE. Declined: the event's hr. */
    CHECK_HR(msgr_add_contact(rt, "friend@loopback", NULL), MSGR_S_OK);
    CHECK_HR(msgr_add_contact(rt, "friend@loopback", NULL), MSGR_S_FALSE);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "friend@loopback") == 0);
    CHECK(control(rt, ctl, "decline friend@loopback"));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "friend@loopback") == 1);
    CHECK(last(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "friend@loopback") != NULL &&
          last(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "friend@loopback")->hr == MSGR_E_FAIL);
    CHECK(in_list(rt, "friend@loopback") == 0);
    /* Asked again, accepted. */
    CHECK_HR(msgr_add_contact(rt, "friend@loopback", NULL), MSGR_S_OK);
    CHECK(control(rt, ctl, "accept friend@loopback"));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "friend@loopback") == 2);
    CHECK(last(&rec, MSGR_EVENT_CONTACT_LIST_ADD, "friend@loopback")->hr == MSGR_S_OK);
    CHECK(in_list(rt, "friend@loopback") == 1);
    CHECK_HR(msgr_add_contact(rt, "friend@loopback", NULL), MSGR_E_ALREADY_IN_LIST);

    /* ---- msgr_remove_contact ---- */
    friend_ = contact(rt, "friend@loopback");
    CHECK_HR(msgr_remove_contact(rt, friend_), MSGR_S_OK);
    CHECK(in_list(rt, "friend@loopback") == 0); /* at once */
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_CONTACT_LIST_REMOVE, "friend@loopback") == 1);
    CHECK(last(&rec, MSGR_EVENT_CONTACT_LIST_REMOVE, "friend@loopback")->hr == MSGR_S_OK);
    CHECK_HR(msgr_remove_contact(rt, friend_), MSGR_S_FALSE);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_CONTACT_LIST_REMOVE, "friend@loopback") == 1);

    /* ---- a request from a contact, and msgr_authorize ---- */
    CHECK_HR(msgr_authorization_requests_count(rt, &n), MSGR_S_OK);
    CHECK(n == 0);
    CHECK(control(rt, ctl, "request stranger@loopback"));
    CHECK(count(&rec, MSGR_EVENT_AUTHORIZATION_REQUEST, "stranger@loopback") == 1);
    stranger = contact(rt, "stranger@loopback");
    /* Listed until answered: a view made after the event still finds it. */
    CHECK_HR(msgr_authorization_requests_count(rt, NULL), MSGR_RPC_X_NULL_REF_POINTER);
    CHECK_HR(msgr_authorization_requests_count(rt, &n), MSGR_S_OK);
    CHECK(n == 1);
    CHECK_HR(msgr_authorization_requests_get(rt, 0, &asking), MSGR_S_OK);
    CHECK_HR(msgr_contact_signin_name(asking, &s), MSGR_S_OK);
    CHECK(s != NULL && strcmp(s, "stranger@loopback") == 0);
    msgr_contact_release(asking);
    asking = NULL;
    CHECK_HR(msgr_authorization_requests_get(rt, 1, &asking), MSGR_E_INVALIDARG);
    CHECK(asking == NULL);
    CHECK_HR(msgr_authorize(rt, echo, 1), MSGR_E_FAIL); /* no request from echo */
    CHECK(strstr(msgr_last_error(), "no request") != NULL);
    CHECK_HR(msgr_authorize(rt, stranger, 1), MSGR_S_OK);
    drain(rt);
    CHECK(in_list(rt, "stranger@loopback") == 1);           /* the loopback makes it mutual */
    CHECK_HR(msgr_authorize(rt, stranger, 0), MSGR_E_FAIL); /* answered already */
    CHECK_HR(msgr_authorization_requests_count(rt, &n), MSGR_S_OK);
    CHECK(n == 0); /* answered: off the list of waiting requests */
    CHECK(control(rt, ctl, "request other@loopback"));
    other = contact(rt, "other@loopback");
    CHECK_HR(msgr_authorize(rt, other, 0), MSGR_S_OK);
    drain(rt);
    CHECK(in_list(rt, "other@loopback") == 0);

    /* ---- blocking ---- */
    CHECK_HR(msgr_contact_blocked(echo, NULL), MSGR_RPC_X_NULL_REF_POINTER);
    flag = 7;
    CHECK_HR(msgr_contact_blocked(echo, &flag), MSGR_S_OK);
    CHECK(flag == 0);
    CHECK_HR(msgr_contact_set_blocked(me, 1), MSGR_E_FAIL); /* the local user */
    spammer = contact(rt, "spammer@loopback");
    CHECK_HR(msgr_contact_set_blocked(spammer, 1), MSGR_S_OK);
    CHECK_HR(msgr_contact_set_blocked(spammer, 1), MSGR_S_FALSE);
    CHECK_HR(msgr_contact_blocked(spammer, &flag), MSGR_S_OK);
    CHECK(flag == 1);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_CONTACT_BLOCK_CHANGE, "spammer@loopback") == 1);
    CHECK(last(&rec, MSGR_EVENT_CONTACT_BLOCK_CHANGE, "spammer@loopback")->status == 1);
    /* Its message goes nowhere: no window, no event; its request neither; it cannot be added. */
    created = count(&rec, MSGR_EVENT_IM_WINDOW_CREATED, NULL);
    CHECK(control(rt, ctl, "say spammer@loopback buy now"));
    CHECK(count(&rec, MSGR_EVENT_MESSAGE_RECEIVED, "spammer@loopback") == 0);
    CHECK(count(&rec, MSGR_EVENT_IM_WINDOW_CREATED, NULL) == created);
    CHECK(control(rt, ctl, "request spammer@loopback"));
    CHECK(count(&rec, MSGR_EVENT_AUTHORIZATION_REQUEST, "spammer@loopback") == 0);
    CHECK_HR(msgr_authorize(rt, spammer, 1), MSGR_E_FAIL);
    CHECK_HR(msgr_add_contact(rt, "spammer@loopback", NULL), MSGR_E_FAIL);
    /* Unblocked, its next message arrives: a window, the event, and a history that holds only
     * that one (the blocked one never reached the store). */
    CHECK_HR(msgr_contact_set_blocked(spammer, 0), MSGR_S_OK);
    CHECK(control(rt, ctl, "say spammer@loopback second"));
    CHECK(count(&rec, MSGR_EVENT_MESSAGE_RECEIVED, "spammer@loopback") == 1);
    CHECK(count(&rec, MSGR_EVENT_IM_WINDOW_CREATED, NULL) == created + 1);
    CHECK(last(&rec, MSGR_EVENT_CONTACT_BLOCK_CHANGE, "spammer@loopback")->status == 0);
    CHECK_HR(msgr_instant_message(rt, name("spammer@loopback"), &w), MSGR_S_OK);
    CHECK_HR(msgr_window_history_count(w, &n), MSGR_S_OK);
    CHECK(n == 1);
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    CHECK_HR(msgr_window_history_get(w, 0, &m), MSGR_S_OK);
    CHECK(m.text != NULL && strcmp(m.text, "second") == 0);
    /* Blocking a contact whose window is open: what it sends stays out of that window too. */
    CHECK_HR(msgr_contact_set_blocked(spammer, 1), MSGR_S_OK);
    CHECK(control(rt, ctl, "say spammer@loopback third"));
    CHECK_HR(msgr_window_history_count(w, &n), MSGR_S_OK);
    CHECK(n == 1);
    CHECK(count(&rec, MSGR_EVENT_MESSAGE_RECEIVED, "spammer@loopback") == 1);
    /* A block the network reports (made elsewhere). */
    CHECK(control(rt, ctl, "block enemy@loopback"));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_BLOCK_CHANGE, "enemy@loopback") == 1);
    enemy = contact(rt, "enemy@loopback");
    CHECK_HR(msgr_contact_blocked(enemy, &flag), MSGR_S_OK);
    CHECK(flag == 1);

    /* ---- friendly names ---- */
    CHECK_HR(msgr_my_friendly_name(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && strcmp(s, "c-host@loopback") == 0);
    CHECK_HR(msgr_set_my_friendly_name(rt, ""), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_friendly_name(rt, "Ann\r"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_friendly_name(rt, "Ann\nB"), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_friendly_name(rt, "\xc3("), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_friendly_name(rt, long_name), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_set_my_friendly_name(rt, " Ann \xe2\x80\x94 \xf0\x9f\x8e\xae"), MSGR_S_OK);
    CHECK_HR(msgr_set_my_friendly_name(rt, " Ann \xe2\x80\x94 \xf0\x9f\x8e\xae"), MSGR_S_FALSE);
    drain(rt);
    CHECK(count(&rec, MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE, NULL) == 1);
    CHECK(strcmp(last(&rec, MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE, NULL)->text,
                 " Ann \xe2\x80\x94 \xf0\x9f\x8e\xae") == 0);
    CHECK_HR(msgr_my_friendly_name(rt, &s), MSGR_S_OK);
    CHECK(s != NULL && strcmp(s, " Ann \xe2\x80\x94 \xf0\x9f\x8e\xae") == 0);
    CHECK(control(rt, ctl, "rename echo@loopback Echo the Second"));
    CHECK(count(&rec, MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, "echo@loopback") == 1);
    CHECK(strcmp(last(&rec, MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, "echo@loopback")->text,
                 "Echo the Second") == 0);
    CHECK_HR(msgr_contact_friendly_name(echo, &s), MSGR_S_OK);
    CHECK(s != NULL && strcmp(s, "Echo the Second") == 0);
    CHECK(control(rt, ctl, "rename echo@loopback Echo the Second")); /* unchanged: no event */
    CHECK(count(&rec, MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, "echo@loopback") == 1);

    /* ---- signed out: NOT_LOGGED_ON (after the argument checks) ---- */
    CHECK(control(rt, ctl, "request waiting@loopback"));
    CHECK_HR(msgr_authorization_requests_count(rt, &n), MSGR_S_OK);
    CHECK(n == 1);
    CHECK_HR(msgr_signout(rt), MSGR_S_OK);
    CHECK_HR(msgr_authorization_requests_count(rt, &n), MSGR_S_OK);
    CHECK(n == 0); /* a request lasts the session it came in */
    CHECK_HR(msgr_add_contact(rt, "x@loopback", NULL), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_remove_contact(rt, echo), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_authorize(rt, echo, 1), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_contact_set_blocked(echo, 1), MSGR_E_NOT_LOGGED_ON);
    CHECK_HR(msgr_set_my_friendly_name(rt, "Ann"), MSGR_E_NOT_LOGGED_ON);

    msgr_window_release(w);
    msgr_window_release(ctl);
    msgr_runtime_destroy(rt);
    /* The runtime is gone: its contacts answer RPC_E_DISCONNECTED. */
    CHECK_HR(msgr_contact_set_blocked(echo, 1), MSGR_RPC_E_DISCONNECTED);
    CHECK_HR(msgr_contact_blocked(echo, &flag), MSGR_RPC_E_DISCONNECTED);
    msgr_contact_release(echo);
    msgr_contact_release(me);
    msgr_contact_release(friend_);
    msgr_contact_release(stranger);
    msgr_contact_release(other);
    msgr_contact_release(spammer);
    msgr_contact_release(enemy);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

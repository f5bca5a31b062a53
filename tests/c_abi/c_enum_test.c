/* Enum arguments out of range, as only a C caller can pass them (any int is a valid value of a
 * C enum type). The runtime must refuse them with the documented result, and must not load them
 * as C++ enums first: under UBSan (make asan) that load is itself a finding. */
#include <stdio.h>
#include <string.h>

#include "msgr/msgr.h"
#include "msgr/ui.h"

static int g_failed = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            ++g_failed;                                                                    \
            (void)fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)

static void on_event(const msgr_event *ev, void *user) {
    (void)ev;
    (void)user;
}

int main(void) {
    /* The first past the end of the event types, and values past every enum here. */
    static const int bad[] = {-1,   MSGR_EVENT_TYPE_COUNT_, MSGR_EVENT_TYPE_COUNT_ + 1, 99,
                              1000, -2147483647 - 1};
    msgr_runtime *rt = NULL;
    msgr_window *w = NULL;
    msgr_subscription sub = 0;
    size_t i;

    CHECK(msgr_runtime_create(NULL, &rt) == MSGR_S_OK);
    CHECK(msgr_signin(rt, "me@loopback", "") == MSGR_S_OK);
    CHECK(msgr_runtime_tick(rt) == MSGR_S_OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        msgr_variant v;
        memset(&v, 0, sizeof v);
        v.vt = (msgr_vartype)bad[i];
        v.bstr = "echo@loopback";
        CHECK(msgr_subscribe(rt, (msgr_event_type)bad[i], on_event, NULL, &sub) ==
              MSGR_E_INVALIDARG);
        CHECK(strcmp(msgr_event_type_name((msgr_event_type)bad[i]), "UNKNOWN_EVENT") == 0);
        CHECK(strcmp(msgr_delivery_state_name((msgr_delivery_state)bad[i]), "UNKNOWN_DELIVERY") ==
              0);
        CHECK(msgr_instant_message(rt, v, &w) == MSGR_E_INVALIDARG && w == NULL);
        CHECK(msgr_page(rt, v, &w) == MSGR_E_INVALIDARG && w == NULL);
    }
    CHECK(msgr_subscribe(rt, (msgr_event_type)0, on_event, NULL, &sub) == MSGR_S_OK);
    {
        /* The user's chat state: only a msgr_chat_state (0..5). */
        static const int bad_state[] = {-1, 6, 42, -2147483647 - 1};
        msgr_variant echo;
        memset(&echo, 0, sizeof echo);
        echo.vt = MSGR_VT_BSTR;
        echo.bstr = "echo@loopback";
        CHECK(msgr_instant_message(rt, echo, &w) == MSGR_S_OK && w != NULL);
        for (i = 0; i < sizeof bad_state / sizeof bad_state[0]; ++i) {
            CHECK(msgr_ui_set_chat_state(w, (msgr_chat_state)bad_state[i]) == MSGR_E_INVALIDARG);
        }
        CHECK(msgr_ui_set_chat_state(w, MSGR_CHAT_STATE_COMPOSING) == MSGR_S_OK);
        msgr_window_release(w);
    }
    msgr_runtime_destroy(rt);
    printf("%s\n", g_failed == 0 ? "ok" : "FAILED");
    return g_failed == 0 ? 0 : 1;
}

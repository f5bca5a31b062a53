/* The C ABI exactly as a C host calls it: C99, linked against libmsgr.so only. */
#include <stdio.h>
#include <string.h>

#include "msgr/msgr.h"
#include "msgr/ui.h"

#include "c_check.h"

struct counts {
    int signin, created, destroyed, received;
    msgr_hresult signin_hr;
    char last_text[64];
};

static void on_event(const msgr_event *ev, void *user) {
    struct counts *c = (struct counts *)user;
    if (ev->struct_size < sizeof(msgr_event)) return;
    switch (ev->type) {
        case MSGR_EVENT_SIGNIN:
            ++c->signin;
            c->signin_hr = ev->hr;
            break;
        case MSGR_EVENT_IM_WINDOW_CREATED:
            ++c->created;
            break;
        case MSGR_EVENT_IM_WINDOW_DESTROYED:
            ++c->destroyed;
            break;
        case MSGR_EVENT_MESSAGE_RECEIVED:
            ++c->received;
            strncpy(c->last_text, ev->text, sizeof c->last_text - 1);
            break;
        default:
            break;
    }
}

int main(void) {
    msgr_runtime *rt = NULL;
    msgr_window *w = NULL, *again = NULL, *pager = NULL;
    msgr_contact *c = NULL;
    msgr_subscription sub = 0;
    struct counts counts;
    msgr_variant dispatch;
    int flag = -1;
    int32_t value = 0;
    size_t n = 0;
    msgr_message m;

    memset(&counts, 0, sizeof counts);
    /* The values are the Messenger API's own. */
    CHECK(MSGR_E_NOT_LOGGED_ON == (msgr_hresult)0x8100031E);
    CHECK(MSGR_E_PAGING_UNAVAILABLE == (msgr_hresult)0x81000339);
    CHECK(MSGR_RPC_X_NULL_REF_POINTER == (msgr_hresult)0x800706F4);
    CHECK(MSGR_S_FALSE == 1 && MSGR_SUCCEEDED(MSGR_S_FALSE) && MSGR_FAILED(MSGR_E_FAIL));
    CHECK(MSGR_STATUS_OUT_TO_LUNCH == 0x42);

    CHECK_HR(msgr_runtime_create(NULL, &rt), MSGR_S_OK);
    CHECK_HR(msgr_subscribe(rt, (msgr_event_type)0, on_event, &counts, &sub), MSGR_S_OK);
    CHECK_HR(msgr_instant_message(rt, name("echo@loopback"), &w), MSGR_E_NOT_LOGGED_ON);
    CHECK(w == NULL);
    CHECK_HR(msgr_signin(rt, "c-host@loopback", NULL), MSGR_S_OK);
    CHECK(counts.signin == 0);
    CHECK_HR(msgr_runtime_tick(rt), MSGR_S_OK);
    CHECK(counts.signin == 1 && counts.signin_hr == MSGR_S_OK);

    CHECK_HR(msgr_instant_message(rt, name("echo@loopback"), NULL), MSGR_RPC_X_NULL_REF_POINTER);
    CHECK_HR(msgr_instant_message(rt, name(" echo@loopback"), &w), MSGR_E_INVALIDARG);
    CHECK_HR(msgr_instant_message(rt, name("c-host@loopback"), &w), MSGR_E_FAIL);
    CHECK_HR(msgr_instant_message(rt, name("echo@loopback"), &w), MSGR_S_OK);
    CHECK_HR(msgr_get_contact(rt, "echo@loopback", NULL, &c), MSGR_S_OK);
    memset(&dispatch, 0, sizeof dispatch);
    dispatch.vt = MSGR_VT_DISPATCH;
    dispatch.contact = c;
    CHECK_HR(msgr_instant_message(rt, dispatch, &again), MSGR_S_OK);
    CHECK(again == w);
    /* The paging add-in is installed next to libmsgr.so (lib/msgr/addins), so Page works. */
    CHECK_HR(msgr_page(rt, name("mobile@loopback"), &pager), MSGR_S_OK);
    CHECK(pager != NULL && pager != w);
    CHECK_HR(msgr_page(rt, name("nobody@loopback"), &again), MSGR_E_PAGING_UNAVAILABLE);

    CHECK_HR(msgr_window_set_left(w, 123), MSGR_S_OK);
    CHECK_HR(msgr_window_get_left(w, &value), MSGR_S_OK);
    CHECK(value == 123);
    CHECK_HR(msgr_ui_send(w, "hello from C", NULL), MSGR_S_OK);
    CHECK_HR(msgr_runtime_tick(rt), MSGR_S_OK);
    CHECK(counts.received == 1 && strcmp(counts.last_text, "hello from C") == 0);
    CHECK_HR(msgr_window_history_count(w, &n), MSGR_S_OK);
    CHECK(n == 2);
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    CHECK_HR(msgr_window_history_get(w, 1, &m), MSGR_S_OK);
    CHECK(m.direction == MSGR_MESSAGE_INCOMING && strcmp(m.text, "hello from C") == 0);

    CHECK_HR(msgr_signout(rt), MSGR_S_OK);
    CHECK_HR(msgr_runtime_tick(rt), MSGR_S_OK);
    CHECK_HR(msgr_window_is_closed(w, &flag), MSGR_S_OK);
    CHECK(flag == 1);
    CHECK(counts.created == 2 && counts.destroyed == 2);

    msgr_window_release(pager);
    msgr_window_release(w);
    msgr_window_release(w); /* the reference from the second InstantMessage */
    msgr_runtime_destroy(rt);
    /* A contact that outlived its runtime answers, and is then released. */
    CHECK_HR(msgr_contact_is_self(c, &flag), MSGR_RPC_E_DISCONNECTED);
    msgr_contact_release(c);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

/* A program outside the tree, built against an installed msgr with pkg-config. */
#include <stdio.h>
#include <string.h>

#include <msgr/msgr.h>

int main(void) {
    msgr_runtime *rt = NULL;
    msgr_window *w = NULL;
    msgr_variant v;
    msgr_hresult hr;
    if (msgr_runtime_create(NULL, &rt) != MSGR_S_OK) return 1;
    if (msgr_signin(rt, "consumer@loopback", "") != MSGR_S_OK) return 2;
    msgr_runtime_tick(rt);
    memset(&v, 0, sizeof v);
    v.vt = MSGR_VT_BSTR;
    v.bstr = "echo@loopback";
    hr = msgr_instant_message(rt, v, &w);
    printf("msgr %s: InstantMessage -> %s\n", msgr_version(), msgr_hresult_name(hr));
    msgr_window_release(w);
    msgr_runtime_destroy(rt);
    return hr == MSGR_S_OK ? 0 : 3;
}

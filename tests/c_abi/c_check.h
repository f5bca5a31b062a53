/* The checks of the C host tests (C99): each counts a pass or prints the failure. */
#ifndef MSGR_TESTS_C_CHECK_H
#define MSGR_TESTS_C_CHECK_H

#include <stdio.h>
#include <string.h>

#include "msgr/msgr.h"

static int g_passed = 0, g_failed = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) {                                                                        \
            ++g_passed;                                                                    \
        } else {                                                                           \
            ++g_failed;                                                                    \
            (void)fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)

#define CHECK_HR(call, expected)                                                               \
    do {                                                                                       \
        msgr_hresult hr_ = (call);                                                             \
        if (hr_ == (expected)) {                                                               \
            ++g_passed;                                                                        \
        } else {                                                                               \
            ++g_failed;                                                                        \
            (void)fprintf(stderr, "%s:%d: %s gave %s (%s), expected %s\n", __FILE__, __LINE__, \
                          #call, msgr_hresult_name(hr_), msgr_last_error(),                    \
                          msgr_hresult_name(expected));                                        \
        }                                                                                      \
    } while (0)

/* A contact named by its sign-in name, as a msgr_variant (VT_BSTR). */
static inline msgr_variant name(const char *n) {
    msgr_variant v;
    memset(&v, 0, sizeof v);
    v.vt = MSGR_VT_BSTR;
    v.bstr = n;
    return v;
}

#endif

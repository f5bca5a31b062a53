/* hello.c — a minimal msgr add-in, in C.
 *
 * It reads one setting from its own configuration table ([hello] greeting = "..."), subscribes
 * to incoming messages and logs each one through the runtime's log. Everything it knows of the
 * runtime comes through the msgr_host table it is given at load.
 *
 * It is written in C to show that an add-in needs nothing but msgr/addin.h (and libmsgr_addin.a
 * for the name helpers such as msgr_event_type_name; never libmsgr.so). An add-in in C++ can
 * bind the host functions with msgr/addin_host.hpp (msgr::addin::HostFunctions) instead of
 * casting what get_proc returns.
 */
#include <stdio.h>
#include <stdlib.h>

#include "msgr/addin.h"

typedef struct hello_state {
    msgr_host_ctx *ctx;
    msgr_host_log_fn log;
    const char *greeting;
    unsigned long seen;
} hello_state;

static msgr_hresult on_message(const msgr_event *ev, void *user) {
    hello_state *s = (hello_state *)user;
    char line[256];
    s->seen++;
    (void)snprintf(line, sizeof line, "%s (%s %lu: %.120s)", s->greeting,
                   msgr_event_type_name(ev->type), s->seen, ev->text ? ev->text : "");
    s->log(s->ctx, MSGR_LOG_INFO, line);
    return MSGR_S_OK;
}

static msgr_hresult hello_load(const msgr_host *host, void **state) {
    msgr_host_config_string_fn config_string =
        (msgr_host_config_string_fn)host->get_proc(MSGR_HOST_CONFIG_STRING);
    msgr_host_subscribe_fn subscribe = (msgr_host_subscribe_fn)host->get_proc(MSGR_HOST_SUBSCRIBE);
    hello_state *s;
    msgr_hresult hr;

    s = (hello_state *)calloc(1, sizeof *s);
    if (s == NULL) return MSGR_E_OUTOFMEMORY;
    s->ctx = host->ctx;
    s->log = (msgr_host_log_fn)host->get_proc(MSGR_HOST_LOG);
    s->greeting = "hello";
    if (s->log == NULL || config_string == NULL || subscribe == NULL) {
        free(s);
        return MSGR_E_NOTIMPL; /* a runtime without these functions is too old for us */
    }
    if (config_string(host->ctx, "greeting", &s->greeting) == MSGR_E_INVALIDARG) {
        free(s);
        return MSGR_E_INVALIDARG; /* [hello] greeting must be a string */
    }
    hr = subscribe(host->ctx, MSGR_EVENT_MESSAGE_RECEIVED, on_message, s);
    if (MSGR_FAILED(hr)) {
        char line[128];
        (void)snprintf(line, sizeof line, "hello: cannot subscribe: %s", msgr_hresult_name(hr));
        s->log(s->ctx, MSGR_LOG_ERROR, line);
        free(s);
        return hr;
    }
    *state = s;
    return MSGR_S_OK;
}

static void hello_unload(void *state) {
    free(state);
}

static const msgr_addin_descriptor hello_descriptor = {
    sizeof(msgr_addin_descriptor),
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    "hello",
    "1.0.0",
    "logs a greeting for every message received",
    "hello", /* reads [hello] */
    NULL,    /* depends on nothing */
    hello_load,
    hello_unload,
};

static const msgr_addin_descriptor *hello_entry(void) {
    return &hello_descriptor;
}

MSGR_ADDIN_ENTRY(hello_entry);

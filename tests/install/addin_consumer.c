/* A host outside the tree that checks an add-in built against the installed SDK: it must be
 * listed as loaded, and it must see a message arrive (the example add-in logs every message
 * received with msgr_event_type_name, which it links from libmsgr_addin.a).
 *
 * Usage: addin_consumer <config.toml> <add-in name> <log text to expect> */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <msgr/addin.h>
#include <msgr/msgr.h>
#include <msgr/ui.h>

static const char *g_expected;
static int g_seen;

static void on_log(msgr_log_level level, const char *message, void *user) {
    (void)level;
    (void)user;
    if (strstr(message, g_expected) != NULL) g_seen++;
}

static void one_frame(msgr_runtime *rt) {
    const struct timespec ms = {0, 1000000};
    msgr_runtime_tick(rt);
    nanosleep(&ms, NULL);
}

static int find_loaded(msgr_runtime *rt, const char *name) {
    size_t n = 0, i;
    msgr_addin_count(rt, &n);
    for (i = 0; i < n; i++) {
        msgr_addin_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        if (msgr_addin_get_info(rt, i, &info) != MSGR_S_OK || strcmp(info.name, name) != 0)
            continue;
        printf("add-in %s %s from %s: state %d %s\n", info.name, info.version, info.path,
               (int)info.state, info.reason);
        return info.state == MSGR_ADDIN_LOADED;
    }
    printf("add-in %s: not found\n", name);
    return 0;
}

int main(int argc, char **argv) {
    msgr_runtime *rt = NULL;
    msgr_window *w = NULL;
    msgr_variant v;
    int frame;
    if (argc != 4) return 64;
    g_expected = argv[3];
    msgr_set_log_handler(on_log, NULL);
    if (msgr_runtime_create(argv[1], &rt) != MSGR_S_OK) {
        printf("msgr_runtime_create: %s\n", msgr_last_error());
        return 1;
    }
    if (!find_loaded(rt, argv[2])) return 2;
    if (msgr_signin(rt, "author@loopback", "") != MSGR_S_OK) return 3;
    memset(&v, 0, sizeof v);
    v.vt = MSGR_VT_BSTR;
    v.bstr = "echo@loopback";
    for (frame = 0; frame < 5000 && w == NULL; frame++) { /* 5 s at most */
        one_frame(rt);
        msgr_instant_message(rt, v, &w); /* MSGR_E_NOT_LOGGED_ON until signed in */
    }
    if (w == NULL || msgr_ui_send(w, "ping", NULL) != MSGR_S_OK) return 4;
    for (frame = 0; frame < 5000 && g_seen == 0; frame++)
        one_frame(rt); /* echo answers on a later tick */
    msgr_window_release(w);
    msgr_runtime_destroy(rt);
    msgr_set_log_handler(NULL, NULL);
    printf("\"%s\" logged %d time(s)\n", g_expected, g_seen);
    return g_seen == 1 ? 0 : 5;
}

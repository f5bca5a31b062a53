// The peer of the SIGKILL test (crash_test.cpp): a real host process with the runtime and its
// configured primary service (the loopback add-in, isolated by default; the XMPP tests give it a
// configuration for prosody).
//
//   crash_peer <config|-> <signin> <contact> send <prefix>
//       signs in, opens the conversation with <contact> and sends "<prefix>-<i>" for i = 0, 1, ...
//       as fast as msgr_ui_send accepts them, ticking between sends; after each accepted send it
//       writes "<i>\n" to stdout (unbuffered: a write(2) per line), until it is killed.
//   crash_peer <config|-> <signin> <contact> settle
//       signs in (what the last run left PENDING is resent or failed), ticks until no outgoing
//       message of the conversation is PENDING, then writes one line per outgoing entry:
//       "<delivery state> <text>", and exits 0 (1 on a failure, with why on stderr).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "msgr/msgr.h"
#include "msgr/ui.h"

namespace {

bool signed_in = false;
msgr_hresult signin_hr = MSGR_S_OK;

void on_signin(const msgr_event *ev, void *) {
    signed_in = true;
    signin_hr = ev->hr;
}

int die(const char *what) {
    (void)std::fprintf(stderr, "crash_peer: %s: %s\n", what, msgr_last_error());
    return 1;
}

void write_line(const std::string &line) {
    const std::string l = line + "\n";
    std::size_t off = 0;
    while (off < l.size()) {
        const ssize_t n = ::write(1, l.data() + off, l.size() - off);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 6) {
        (void)std::fprintf(stderr,
                           "usage: crash_peer <config|-> <signin> <contact> send <prefix> | "
                           "crash_peer <config|-> <signin> <contact> settle -\n");
        return 2;
    }
    const char *config = std::strcmp(argv[1], "-") == 0 ? nullptr : argv[1];
    const std::string mode = argv[4];
    msgr_runtime *rt = nullptr;
    if (msgr_runtime_create(config, &rt) != MSGR_S_OK) return die("msgr_runtime_create");
    msgr_subscription sub = 0;
    msgr_subscribe(rt, MSGR_EVENT_SIGNIN, on_signin, nullptr, &sub);
    if (msgr_signin(rt, argv[2], "") != MSGR_S_OK) return die("msgr_signin");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!signed_in && std::chrono::steady_clock::now() < deadline) {
        msgr_runtime_tick(rt);
        if (!signed_in) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!signed_in || MSGR_FAILED(signin_hr)) return die("no OnSignin(S_OK)");
    msgr_variant to{};
    to.vt = MSGR_VT_BSTR;
    to.bstr = argv[3];
    msgr_window *w = nullptr;
    if (MSGR_FAILED(msgr_instant_message(rt, to, &w))) return die("msgr_instant_message");
    if (mode == "send") {
        for (std::uint64_t i = 0;; ++i) {
            const std::string text = std::string(argv[5]) + "-" + std::to_string(i);
            if (msgr_ui_send(w, text.c_str(), nullptr) == MSGR_S_OK) write_line(std::to_string(i));
            msgr_runtime_tick(rt);
        }
    }
    if (mode != "settle") return die("unknown mode");
    for (;;) {
        msgr_runtime_tick(rt);
        std::size_t n = 0;
        if (msgr_window_history_count(w, &n) != MSGR_S_OK) return die("history_count");
        bool pending = false;
        for (std::size_t i = 0; i < n && !pending; ++i) {
            msgr_message m{};
            m.struct_size = sizeof m;
            if (msgr_window_history_get(w, i, &m) != MSGR_S_OK) return die("history_get");
            pending = m.direction == MSGR_MESSAGE_OUTGOING && m.delivery == MSGR_DELIVERY_PENDING;
        }
        if (!pending) {
            for (std::size_t i = 0; i < n; ++i) {
                msgr_message m{};
                m.struct_size = sizeof m;
                if (msgr_window_history_get(w, i, &m) != MSGR_S_OK) return die("history_get");
                if (m.direction != MSGR_MESSAGE_OUTGOING) continue;
                write_line(std::to_string(m.delivery) + " " + std::string(m.text, m.text_size));
            }
            break;
        }
        if (std::chrono::steady_clock::now() > deadline + std::chrono::seconds(30))
            return die("messages still PENDING after 60 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    msgr_window_release(w);
    msgr_runtime_destroy(rt);
    return 0;
}

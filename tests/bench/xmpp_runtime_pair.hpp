// Two runtimes in this process, signed in as alice and bob through the XMPP service add-in on a
// real prosody on loopback, both ticked by the benchmark thread as a host would; and the round
// trip and message rate measured through them the way tests/bench/xmpp_baseline_bench.cpp
// measures two bare libstrophe clients. Used by that comparison and by
// tests/xmpp_service/xmpp_service_bench.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"
#include "prosody_fixture.hpp"
#include "support/addin_fixture.hpp"

namespace msgr::bench {

// The directory of the shipped add-ins (xmpp, loopback, paging).
inline test::fs::path shipped_addins() {
    return MSGR_ADDIN_OUTPUT_DIR;
}

// One runtime with the XMPP service as its primary, and what its events said.
struct XmppSide {
    std::unique_ptr<test::Host> host;
    msgr_runtime *rt = nullptr;
    std::size_t received = 0;
    msgr_window *last_window = nullptr;
    bool signed_in = false;
    msgr_hresult signin_hr = MSGR_S_OK;

    // xmpp_more goes into its [xmpp] table; runtime_more after it (other tables: [addin.xmpp]).
    XmppSide(const test::ProsodyFixture &server, bool tls, const std::string &xmpp_more = "",
             const std::string &runtime_more = "") {
        std::string cfg =
            "[runtime]\nprimary_service = \"xmpp\"\naddin_default_paths = false\n"
            "addin_paths = [" +
            test::toml_string(shipped_addins()) + "]\ninbox_capacity = 65536\n[xmpp]\nhost = \"" +
            server.host() + "\"\nport = " + std::to_string(server.port()) + "\n";
        cfg += tls ? "ca_file = " + test::toml_string(server.ca_file()) + "\n"
                   : "tls = \"disabled\"\n";
        cfg += xmpp_more + runtime_more;
        host = std::make_unique<test::Host>(cfg);
        rt = host->rt;
        msgr_subscription sub = 0;
        msgr_subscribe(
            rt, static_cast<msgr_event_type>(0),
            [](const msgr_event *ev, void *u) {
                auto *s = static_cast<XmppSide *>(u);
                if (ev->type == MSGR_EVENT_MESSAGE_RECEIVED) {
                    ++s->received;
                    s->last_window = ev->window;
                } else if (ev->type == MSGR_EVENT_SIGNIN) {
                    s->signed_in = ev->hr == MSGR_S_OK;
                    s->signin_hr = ev->hr;
                }
            },
            this, &sub);
    }
    ~XmppSide() { host.reset(); }
    XmppSide(const XmppSide &) = delete;
    XmppSide &operator=(const XmppSide &) = delete;
};

// alice and bob on a server of their own, contacts of each other, alice's conversation with bob
// open (and with pages, her page window to him).
struct XmppPair {
    std::unique_ptr<test::ProsodyFixture> server;
    std::unique_ptr<XmppSide> a, b;
    msgr_window *wa = nullptr;
    msgr_window *pager = nullptr;  // with pages: alice's page window to bob
    // When set, run on each runtime as soon as it exists: false (having failed the benchmark
    // with why) stops the setup (isolation.hpp's runs_as, before anything signs in).
    std::function<bool(benchmark::State &, msgr_runtime *)> check;

    // runtime_more: more configuration for both runtimes (how their add-ins run).
    bool setup(benchmark::State &state, bool tls = false, bool pages = false,
               const std::string &runtime_more = "") {
        test::ProsodyOptions o;
        o.scram = false;
        o.tls = tls;
        o.require_tls = tls;
        server = std::make_unique<test::ProsodyFixture>(o);
        server->start();
        server->add_user("alice", "pw");
        server->add_user("bob", "pw");
        server->make_contacts("alice", "bob");
        a = std::make_unique<XmppSide>(*server, tls, "", runtime_more);
        b = std::make_unique<XmppSide>(*server, tls, pages ? "accept_pages = true\n" : "",
                                       runtime_more);
        if (a->rt == nullptr || b->rt == nullptr) return fail(state, "runtime");
        if (check && !(check(state, a->rt) && check(state, b->rt))) return false;
        if (msgr_signin(a->rt, server->jid("alice").c_str(), "pw") != MSGR_S_OK ||
            msgr_signin(b->rt, server->jid("bob").c_str(), "pw") != MSGR_S_OK)
            return fail(state, "signin");
        if (!spin([&] { return a->signed_in && b->signed_in; })) return fail(state, "sign-in");
        const std::string bob = server->jid("bob");
        msgr_variant v{MSGR_VT_BSTR, bob.c_str(), nullptr};
        if (msgr_instant_message(a->rt, v, &wa) != MSGR_S_OK) return fail(state, "IM");
        if (pages) {
            // Bob's client announces that it accepts pages once his presence and disco#info
            // answer have arrived.
            msgr_contact *c = nullptr;
            if (msgr_get_contact(a->rt, bob.c_str(), nullptr, &c) != MSGR_S_OK)
                return fail(state, "contact");
            const bool pageable = spin([&] {
                int can = 0;
                return msgr_contact_can_page(c, &can) == MSGR_S_OK && can == 1;
            });
            msgr_contact_release(c);
            if (!pageable) return fail(state, "bob never became pageable");
            if (msgr_page(a->rt, v, &pager) != MSGR_S_OK) return fail(state, "Page");
        }
        return true;
    }
    XmppPair() = default;
    XmppPair(const XmppPair &) = delete;
    XmppPair &operator=(const XmppPair &) = delete;
    ~XmppPair() {
        msgr_window_release(pager);
        msgr_window_release(wa);
        a.reset();
        b.reset();
    }
    bool fail(benchmark::State &state, const char *why) {
        msgr::bench::fail(state, why);
        return false;
    }
    // Ticks both runtimes until pred holds (a hang guard of 20 s), sleeping `pace` between
    // rounds (0: a busy loop, the lowest latency).
    template <typename P>
    bool spin(P pred, std::chrono::microseconds pace = std::chrono::microseconds(0)) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < end) {
            msgr_runtime_tick(a->rt);
            msgr_runtime_tick(b->rt);
            if (pred()) return true;
            if (pace.count() > 0) std::this_thread::sleep_for(pace);
        }
        return false;
    }
};

// One iteration = one round trip: alice's user sends body, bob's runtime raises it, bob's user
// answers from that window, alice's runtime raises the answer. Counters p50_us/p99_us.
inline void runtime_round_trips(benchmark::State &state, XmppPair &p, const std::string &body) {
    std::vector<double> rtt_us;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::size_t b0 = p.b->received, a0 = p.a->received;
        msgr_ui_send(p.wa, body.c_str(), nullptr);
        if (!p.spin([&] { return p.b->received > b0; })) return (void)p.fail(state, "no ping");
        msgr_ui_send(p.b->last_window, body.c_str(), nullptr);
        if (!p.spin([&] { return p.a->received > a0; })) return (void)p.fail(state, "no pong");
        rtt_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    state.counters["p50_us"] = percentile(rtt_us, 0.50);
    state.counters["p99_us"] = percentile(rtt_us, 0.99);
}

// One iteration = alice's user sends a window of messages; done when bob's runtime raised them
// all. items_per_second = messages per second one way. The benchmark thread ticks every 50 us
// meanwhile rather than in a busy loop: on a small machine a spinning host thread takes the CPU
// that prosody and the add-ins' network threads (or processes) need, and the rate measured
// would be the harness's (the bare baseline's clients sleep while they wait, too).
inline void runtime_throughput(benchmark::State &state, XmppPair &p, std::size_t window,
                               const std::string &body) {
    for (auto _ : state) {
        const std::size_t b0 = p.b->received;
        for (std::size_t i = 0; i < window; ++i)
            msgr_ui_send(p.wa, body.c_str(), nullptr);
        if (!p.spin([&] { return p.b->received >= b0 + window; }, std::chrono::microseconds(50)))
            return (void)p.fail(state, "lost messages");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * window));
}

}  // namespace msgr::bench

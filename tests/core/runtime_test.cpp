// The runtime around the two documented methods: sign-in, status, contacts, windows, events,
// threads, configuration, and handles that outlive what they stand for.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support/session.hpp"

using namespace msgr::test;

using Runtime = Session;

// ---- sign-in ----------------------------------------------------------------------------------

TEST_F(Runtime, SignInCompletesOnALaterTick) {
    create();
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    ASSERT_EQ(msgr_signin(rt, "player@loopback", "pw"), MSGR_S_OK);
    EXPECT_EQ(count(MSGR_EVENT_SIGNIN), 0);  // not before a tick
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER);
    EXPECT_EQ(msgr_signin(rt, "player@loopback", "pw"), MSGR_E_ALREADY_LOGGED_ON);
    tick();
    ASSERT_EQ(count(MSGR_EVENT_SIGNIN), 1);
    EXPECT_EQ(last(MSGR_EVENT_SIGNIN)->hr, MSGR_S_OK);
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_ONLINE);
    const char *me = nullptr;
    ASSERT_EQ(msgr_my_signin_name(rt, &me), MSGR_S_OK);
    EXPECT_STREQ(me, "player@loopback");
    EXPECT_EQ(last(MSGR_EVENT_MY_STATUS_CHANGE)->status, MSGR_STATUS_ONLINE);
    EXPECT_EQ(msgr_signin(rt, "player@loopback", "pw"), MSGR_E_ALREADY_LOGGED_ON);
    // The configured directory arrives as the contact list.
    EXPECT_EQ(count(MSGR_EVENT_CONTACT_LIST_ADD), 2);
    std::size_t n = 0;
    ASSERT_EQ(msgr_my_contacts_count(rt, &n), MSGR_S_OK);
    EXPECT_EQ(n, 2u);
}

TEST_F(Runtime, AWrongPasswordIsReportedByOnSignin) {
    TempConfig cfg("[loopback]\npassword = \"secret\"\n");
    create(cfg.path());
    EXPECT_EQ(signin("player@loopback", "wrong"), MSGR_E_INVALID_PASSWORD);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    events.clear();
    EXPECT_EQ(signin("player@loopback", "secret"), MSGR_S_OK);
}

TEST_F(Runtime, SigningOutDuringSignInCancelsIt) {
    create();
    ASSERT_EQ(msgr_signin(rt, "player@loopback", ""), MSGR_S_OK);
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    tick(3);  // the service's late answer belongs to a cancelled session and is ignored
    ASSERT_EQ(count(MSGR_EVENT_SIGNIN), 1);
    EXPECT_EQ(last(MSGR_EVENT_SIGNIN)->hr, MSGR_E_CANCEL);
    EXPECT_EQ(count(MSGR_EVENT_SIGNOUT), 0);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    EXPECT_EQ(msgr_signout(rt), MSGR_E_NOT_LOGGED_ON);
}

TEST_F(Runtime, BadSignInNamesAreRefused) {
    create();
    EXPECT_EQ(msgr_signin(rt, nullptr, ""), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_signin(rt, "", ""), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_signin(rt, " player", ""), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_signin(rt, "pl\nayer", ""), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_signin(rt, "player", "\xC3"), MSGR_E_INVALIDARG);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
}

TEST_F(Runtime, MyStatusChanges) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    EXPECT_EQ(msgr_set_my_status(rt, MSGR_STATUS_BUSY), MSGR_S_OK);
    EXPECT_EQ(msgr_set_my_status(rt, MSGR_STATUS_BUSY), MSGR_S_ALREADY_IN_THE_MODE);
    EXPECT_EQ(msgr_set_my_status(rt, MSGR_STATUS_OFFLINE), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_set_my_status(rt, MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_set_my_status(rt, 12345), MSGR_E_INVALIDARG);
    tick();
    EXPECT_EQ(last(MSGR_EVENT_MY_STATUS_CHANGE)->status, MSGR_STATUS_BUSY);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_BUSY);
}

// ---- contacts ----------------------------------------------------------------------------------

TEST_F(Runtime, ContactsAreOneObjectPerNameAndService) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldContact a, b, c;
    ASSERT_EQ(msgr_get_contact(rt, "Friend@Loopback", nullptr, a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_get_contact(rt, "friend@loopback", "loopback", b.out()), MSGR_S_OK);
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(msgr_get_contact(rt, "friend@loopback", "no-such-service", c.out()),
              MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_get_contact(rt, " friend", nullptr, c.out()), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_get_contact(rt, "friend@loopback", nullptr, nullptr),
              MSGR_RPC_X_NULL_REF_POINTER);
    const char *friendly = nullptr;
    HeldContact mobile;
    ASSERT_EQ(msgr_get_contact(rt, "mobile@loopback", nullptr, mobile.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_contact_friendly_name(mobile, &friendly), MSGR_S_OK);
    EXPECT_STREQ(friendly, "Pat (mobile)");
    std::int32_t status = 0;
    ASSERT_EQ(msgr_contact_status(mobile, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_AWAY);
}

TEST_F(Runtime, GetContactNeedsASignIn) {
    create();
    HeldContact c;
    EXPECT_EQ(msgr_get_contact(rt, "friend@loopback", nullptr, c.out()), MSGR_E_NOT_LOGGED_ON);
}

TEST_F(Runtime, AContactOfAnotherRuntimeIsInvalid) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    msgr_runtime *other = nullptr;
    ASSERT_EQ(msgr_runtime_create(nullptr, &other), MSGR_S_OK);
    ASSERT_EQ(msgr_signin(other, "someone@loopback", ""), MSGR_S_OK);
    msgr_runtime_tick(other);
    HeldContact foreign;
    ASSERT_EQ(msgr_get_contact(other, "echo@loopback", nullptr, foreign.out()), MSGR_S_OK);
    HeldWindow w;
    EXPECT_EQ(msgr_instant_message(rt, by_contact(foreign), w.out()), MSGR_E_INVALIDARG);
    msgr_runtime_destroy(other);
    // The contact outlived its runtime: it answers RPC_E_DISCONNECTED until released.
    int self = 0;
    EXPECT_EQ(msgr_contact_is_self(foreign, &self), MSGR_RPC_E_DISCONNECTED);
}

// ---- incoming messages
// ---------------------------------------------------------------------------

TEST_F(Runtime, AnIncomingMessageOpensAWindow) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    EXPECT_EQ(loopback_control("say stranger@loopback hi there"), "ok");
    ASSERT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
    const Recorded *msg = last(MSGR_EVENT_MESSAGE_RECEIVED);
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(msg->text, "hi there");
    EXPECT_EQ(msg->window, last(MSGR_EVENT_IM_WINDOW_CREATED)->window);
    // InstantMessage to that contact returns the window the message opened.
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("stranger@loopback"), w.out()), MSGR_S_OK);
    EXPECT_EQ(w.get(), msg->window);
}

TEST_F(Runtime, InvalidUtf8FromTheNetworkIsRepaired) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    // "ok \xC0\xAF end", which the UI would refuse to send, as hex.
    EXPECT_EQ(loopback_control("say-hex stranger@loopback 6f6b20c0af20656e64"), "ok");
    const Recorded *msg = last(MSGR_EVENT_MESSAGE_RECEIVED);
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(msg->text, "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST_F(Runtime, AFloodFromAServiceThreadIsBoundedAndLosesNothing) {
    TempConfig cfg("[runtime]\ninbox_capacity = 64\nmax_items_per_tick = 50\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    constexpr int kMessages = 5000;
    // The loopback add-in's own thread sends them (its control contact's "flood" command), and
    // waits whenever the inbox is full.
    EXPECT_EQ(loopback_control("flood flood@loopback " + std::to_string(kMessages)),
              "ok: flooding");
    int max_backlog = 0;
    int max_per_tick = 0;
    // Bounded by a generous deadline, not a tick count: on a loaded machine the producer may be
    // slower than any number of ticks. An empty inbox yields the CPU to it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (count(MSGR_EVENT_MESSAGE_RECEIVED) < kMessages &&
           std::chrono::steady_clock::now() < deadline) {
        const auto backlog = static_cast<int>(core().inbox().size());
        max_backlog = std::max(max_backlog, backlog);
        if (backlog == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        const int before = count(MSGR_EVENT_MESSAGE_RECEIVED);
        tick();
        max_per_tick = std::max(max_per_tick, count(MSGR_EVENT_MESSAGE_RECEIVED) - before);
    }
    tick();
    EXPECT_LE(max_backlog, 64);   // the producer waited instead of growing the inbox
    EXPECT_LE(max_per_tick, 50);  // no tick applied more than its budget
    EXPECT_GT(max_per_tick, 0);
    ASSERT_EQ(count(MSGR_EVENT_MESSAGE_RECEIVED), kMessages);
    int expect = 0;
    for (const auto &e : events) {
        if (e.type != MSGR_EVENT_MESSAGE_RECEIVED) continue;
        ASSERT_EQ(e.text, std::to_string(expect)) << "out of order or lost";
        ++expect;
    }
}

// ---- windows -----------------------------------------------------------------------------------

TEST_F(Runtime, WindowGeometryIsReadAndWritten) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    std::int32_t v = 0;
    ASSERT_EQ(msgr_window_get_width(w, &v), MSGR_S_OK);
    EXPECT_GT(v, 0);
    EXPECT_EQ(msgr_window_set_left(w, -20), MSGR_S_OK);  // partly off-screen is allowed
    EXPECT_EQ(msgr_window_set_top(w, 30), MSGR_S_OK);
    EXPECT_EQ(msgr_window_set_width(w, 500), MSGR_S_OK);
    EXPECT_EQ(msgr_window_set_height(w, 0), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_window_set_width(w, -1), MSGR_E_INVALIDARG);
    ASSERT_EQ(msgr_window_get_left(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, -20);
    ASSERT_EQ(msgr_window_get_top(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 30);
    ASSERT_EQ(msgr_window_get_width(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 500);
    EXPECT_EQ(msgr_window_get_height(w, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    ASSERT_EQ(msgr_window_get_width(w, &v), MSGR_S_OK);  // a closed window keeps its last size
    EXPECT_EQ(v, 500);
    EXPECT_EQ(msgr_window_set_width(w, 300), MSGR_E_FAIL);
}

TEST_F(Runtime, SendRefusesBadText) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_send(w, nullptr, nullptr), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_ui_send(w, "", nullptr), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_ui_send(w, "\xED\xA0\x80", nullptr), MSGR_E_INVALIDARG);
    const std::string huge(64 * 1024 + 1, 'x');  // the loopback service's limit, plus one
    EXPECT_EQ(msgr_ui_send(w, huge.c_str(), nullptr), MSGR_E_MESSAGE_TOO_LONG);
    std::size_t n = 9;
    ASSERT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
    EXPECT_EQ(n, 0u);
    msgr_message small{};
    small.struct_size = 4;
    EXPECT_EQ(msgr_window_history_get(w, 0, &small), MSGR_E_INVALIDARG);
}

// A host built before msgr_message had flags passes the older, shorter size: it gets every
// field it knows, its struct_size stays what it said, and nothing past it is written.
TEST_F(Runtime, HistoryEntriesFitTheCallersStructSize) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_ui_send(w, "hello", nullptr), MSGR_S_OK);
    msgr_message old{};
    const auto old_size = static_cast<std::uint32_t>(offsetof(msgr_message, flags));
    old.struct_size = old_size;
    old.flags = 0xDEADBEEFu;  // past the old size: must stay untouched
    ASSERT_EQ(msgr_window_history_get(w, 0, &old), MSGR_S_OK);
    EXPECT_EQ(old.struct_size, old_size);
    EXPECT_STREQ(old.text, "hello");
    EXPECT_EQ(old.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_EQ(old.flags, 0xDEADBEEFu);
}

// ---- threads, callbacks and lifetimes ---------------------------------------------------------

TEST_F(Runtime, EveryCallFromAnotherThreadIsRefused) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    HeldContact c;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_get_contact(rt, "echo@loopback", nullptr, c.out()), MSGR_S_OK);
    std::vector<msgr_hresult> results;
    std::thread([&] {
        std::int32_t v = 0;
        int flag = 0;
        msgr_contact *contact = nullptr;
        results = {msgr_runtime_tick(rt),
                   msgr_signout(rt),
                   msgr_my_status(rt, &v),
                   msgr_set_focus_allowed(rt, 0),
                   msgr_get_contact(rt, "x@loopback", nullptr, &contact),
                   msgr_window_show(w),
                   msgr_window_close(w),
                   msgr_window_get_left(w, &v),
                   msgr_window_is_closed(w, &flag),
                   msgr_ui_send(w, "x", nullptr),
                   msgr_contact_is_self(c, &flag),
                   msgr_contact_can_page(c, &flag)};
    }).join();
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i], MSGR_RPC_E_WRONG_THREAD) << "call #" << i;
    }
    int closed = 1;
    ASSERT_EQ(msgr_window_is_closed(w, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 0);
    // Reference counting is allowed from any thread.
    std::thread([&] {
        msgr_window_add_ref(w);
        msgr_window_release(w);
    }).join();
}

TEST_F(Runtime, HandlesOutliveTheRuntime) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    msgr_window *w = nullptr;
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    ASSERT_EQ(msgr_get_contact(rt, "echo@loopback", nullptr, &c), MSGR_S_OK);
    destroy();
    EXPECT_EQ(count(MSGR_EVENT_APP_SHUTDOWN), 1);
    int flag = 0;
    EXPECT_EQ(msgr_window_is_closed(w, &flag), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_contact_is_self(c, &flag), MSGR_RPC_E_DISCONNECTED);
    msgr_window_release(w);
    msgr_contact_release(c);
}

namespace {
struct Reentry {
    msgr_runtime *rt;
    msgr_hresult tick_hr = MSGR_S_OK;
    bool destroy = false;
    int calls = 0;
};
void reenter(const msgr_event *ev, void *user) {
    auto *r = static_cast<Reentry *>(user);
    if (ev->type != MSGR_EVENT_SIGNIN) return;
    ++r->calls;
    r->tick_hr = msgr_runtime_tick(r->rt);
    if (r->destroy) msgr_runtime_destroy(r->rt);
}
void thrower(const msgr_event *, void *) {
    throw std::runtime_error("host bug");
}
}  // namespace

TEST_F(Runtime, CallbacksMayNotTickButMayDestroy) {
    create();
    Reentry r{rt};
    r.destroy = true;
    msgr_subscription id = 0;
    ASSERT_EQ(msgr_subscribe(rt, MSGR_EVENT_SIGNIN, reenter, &r, &id), MSGR_S_OK);
    ASSERT_EQ(msgr_signin(rt, "player@loopback", ""), MSGR_S_OK);
    msgr_runtime_tick(rt);  // destroys the runtime once the callbacks have returned
    rt = nullptr;
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.tick_hr, MSGR_E_FAIL);
}

namespace {
struct ShutdownProbe {
    msgr_runtime *rt;
    msgr_hresult status_hr = MSGR_E_UNEXPECTED;
    std::int32_t status = -1;
    msgr_hresult tick_hr = MSGR_S_OK;
};
void probe_shutdown(const msgr_event *ev, void *user) {
    auto *p = static_cast<ShutdownProbe *>(user);
    if (ev->type != MSGR_EVENT_APP_SHUTDOWN) return;
    p->status_hr = msgr_my_status(p->rt, &p->status);
    p->tick_hr = msgr_runtime_tick(p->rt);
}
}  // namespace

TEST_F(Runtime, AppShutdownHandlersSeeAWholeRuntime) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    ShutdownProbe probe{rt};
    msgr_subscription id = 0;
    ASSERT_EQ(msgr_subscribe(rt, MSGR_EVENT_APP_SHUTDOWN, probe_shutdown, &probe, &id), MSGR_S_OK);
    destroy();
    EXPECT_EQ(probe.status_hr, MSGR_S_OK);
    EXPECT_EQ(probe.status, MSGR_STATUS_ONLINE);
    EXPECT_EQ(probe.tick_hr, MSGR_E_FAIL);  // no tick from inside a callback
    EXPECT_EQ(count(MSGR_EVENT_APP_SHUTDOWN), 1);
}

TEST_F(Runtime, AThrowingHandlerDoesNotStopTheOthers) {
    create();
    msgr_subscription id = 0;
    ASSERT_EQ(msgr_subscribe(rt, MSGR_EVENT_SIGNIN, thrower, nullptr, &id), MSGR_S_OK);
    EXPECT_EQ(signin(), MSGR_S_OK);  // the recording handler still saw OnSignin
    ASSERT_EQ(msgr_unsubscribe(rt, id), MSGR_S_OK);
    EXPECT_EQ(msgr_unsubscribe(rt, id), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_subscribe(rt, MSGR_EVENT_SIGNIN, nullptr, nullptr, &id), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_subscribe(rt, static_cast<msgr_event_type>(99), thrower, nullptr, &id),
              MSGR_E_INVALIDARG);
}

TEST_F(Runtime, NullHandlesAreInvalidArguments) {
    std::int32_t v = 0;
    int flag = 0;
    EXPECT_EQ(msgr_runtime_tick(nullptr), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_signin(nullptr, "a", ""), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_window_get_left(nullptr, &v), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_contact_is_self(nullptr, &flag), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_runtime_create(nullptr, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    msgr_runtime_destroy(nullptr);
    msgr_window_release(nullptr);
    msgr_contact_release(nullptr);
    EXPECT_STREQ(msgr_hresult_name(MSGR_E_PAGING_UNAVAILABLE), "MSGR_E_PAGING_UNAVAILABLE");
    EXPECT_STREQ(msgr_hresult_name(static_cast<msgr_hresult>(0x12345678)), "UNKNOWN_HRESULT");
}

// ---- configuration -----------------------------------------------------------------------------

TEST_F(Runtime, AMissingConfigurationFileIsFileNotFound) {
    msgr_runtime *r = reinterpret_cast<msgr_runtime *>(0x1);
    EXPECT_EQ(msgr_runtime_create("/nonexistent/msgr.toml", &r), MSGR_E_FILE_NOT_FOUND);
    EXPECT_EQ(r, nullptr);
    EXPECT_NE(std::string(msgr_last_error()).find("/nonexistent/msgr.toml"), std::string::npos);
}

TEST_F(Runtime, MalformedConfigurationsAreInvalidDataWithAPlace) {
    const std::pair<const char *, const char *> cases[] = {
        {"[runtime\n", "msgr.toml:1"},
        {"[runtime]\nmax_windows = \"many\"\n", "runtime.max_windows must be"},
        {"[runtime]\nmax_windows = 0\n", "runtime.max_windows must be"},
        {"[runtime]\nmax_window = 3\n", "unknown key runtime.max_window"},
        {"runtime = 3\n", "must be a table"},
        {"[runtime]\nprimary_service = \"xmpp\"\n", "no loaded service provides"},
        {"[[loopback.contacts]]\nsignin = \" bad\"\n", "starts with a space"},
        {"[[loopback.contacts]]\nsignin = \"a@b\"\nstatus = \"sleepy\"\n", "expected one of"},
        {"[[loopback.contacts]]\nsignin = \"a@b\"\nservice = \"nope\"\n", "does not provide"},
        {"[[loopback.services]]\nid = \"loopback\"\n", "used twice"},
        {"[loopback]\necho = \"\xC3\"\n", "msgr.toml"},
    };
    for (const auto &[text, expected] : cases) {
        TempConfig cfg(text);
        msgr_runtime *r = nullptr;
        EXPECT_EQ(msgr_runtime_create(cfg.path(), &r), MSGR_E_INVALID_DATA) << text;
        EXPECT_EQ(r, nullptr);
        EXPECT_NE(std::string(msgr_last_error()).find(expected), std::string::npos)
            << text << " gave: " << msgr_last_error();
        msgr_runtime_destroy(r);
    }
}

TEST_F(Runtime, TablesForAddInsAreLeftAlone) {
    TempConfig cfg("[paging]\nanything = 1\n[runtime]\nmax_windows = 4\n");
    create(cfg.path());
    EXPECT_EQ(core().config().max_windows, 4u);
}

TEST_F(Runtime, TheLogHandlerHearsFailures) {
    static std::vector<std::string> heard;
    heard.clear();
    msgr_set_log_handler([](msgr_log_level, const char *m, void *) { heard.emplace_back(m); },
                         nullptr);
    create();
    HeldWindow w;
    EXPECT_EQ(msgr_instant_message(rt, by_name("x@loopback"), w.out()), MSGR_E_NOT_LOGGED_ON);
    msgr_set_log_handler(nullptr, nullptr);
    ASSERT_FALSE(heard.empty());
    EXPECT_NE(heard.back().find("MSGR_E_NOT_LOGGED_ON"), std::string::npos);
}

// ---- the loopback add-in's control contact -------------------------------------------------

TEST_F(Runtime, TheLoopbackNetworkChangesPresenceAndTheContactList) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    const int adds = count(MSGR_EVENT_CONTACT_LIST_ADD);
    EXPECT_EQ(adds, 2);  // the default directory: echo and mobile
    EXPECT_EQ(loopback_control("add pal@loopback"), "ok");
    EXPECT_EQ(count(MSGR_EVENT_CONTACT_LIST_ADD), adds + 1);
    EXPECT_EQ(loopback_control("status pal@loopback busy"), "ok");
    const Recorded *st = last(MSGR_EVENT_CONTACT_STATUS_CHANGE);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->status, MSGR_STATUS_BUSY);
    EXPECT_EQ(loopback_control("remove pal@loopback"), "ok");
    EXPECT_EQ(count(MSGR_EVENT_CONTACT_LIST_REMOVE), 1);
    // Bad commands are answered, never obeyed.
    EXPECT_EQ(loopback_control("status pal@loopback sleepy").rfind("error:", 0), 0u);
    EXPECT_EQ(loopback_control("flood x@loopback lots").rfind("error:", 0), 0u);
    EXPECT_EQ(loopback_control("say-hex x@loopback 6g").rfind("error:", 0), 0u);
    EXPECT_EQ(loopback_control("help").rfind("commands:", 0), 0u);
}

TEST_F(Runtime, TheLoopbackControlContactCanBeTurnedOff) {
    TempConfig cfg("[loopback]\ncontrol = \"\"\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    // control@loopback is then an ordinary contact nobody answers for.
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("control@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_ui_send(w, "drop", nullptr), MSGR_S_OK);
    tick(3);
    EXPECT_EQ(count(MSGR_EVENT_SIGNOUT), 0);
    std::size_t n = 0;
    ASSERT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
    EXPECT_EQ(n, 1u);  // the command, unanswered
}

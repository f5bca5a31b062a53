// The C++ API (msgr/msgr.hpp) against the embedded default, through libmsgr.so as a host sees
// it: the loopback service (any name signs in, on a later tick), echo@loopback answers
// messages, mobile@loopback is mobile-enabled.
#include <msgr/msgr.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

// ---- live heap allocations of the whole process (libmsgr.so's included) -------------------------
// libmsgr.so takes operator new from the global scope, so these replacements see its objects too.
namespace {
std::atomic<long> g_live_allocations{0};
std::atomic<long> g_allocations{0};  // every operator new since start
}  // namespace

// Never inlined: GCC 12 otherwise sees malloc'd memory reach free through an inlined delete of
// an object made by `new` and warns (-Wmismatched-new-delete), though the pair is this one.
[[gnu::noinline]] void *operator new(std::size_t n) {
    void *p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    g_live_allocations.fetch_add(1, std::memory_order_relaxed);
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return p;
}
[[gnu::noinline]] void operator delete(void *p) noexcept {
    if (p == nullptr) return;
    g_live_allocations.fetch_sub(1, std::memory_order_relaxed);
    std::free(p);
}
[[gnu::noinline]] void operator delete(void *p, std::size_t) noexcept {
    operator delete(p);
}

namespace {

constexpr const char *kMe = "player@loopback";
constexpr const char *kEcho = "echo@loopback";
constexpr const char *kMobile = "mobile@loopback";

msgr::Runtime make_runtime() {
    auto created = msgr::Runtime::create();
    EXPECT_EQ(created.hr(), MSGR_S_OK) << msgr::last_error();
    return std::move(created).value();
}

// Ticks until pred() holds, at most `max_ticks` frames. Counts frames, never time.
template <typename Pred>
bool tick_until(msgr::Runtime &rt, Pred pred, int max_ticks = 16) {
    for (int i = 0; i < max_ticks; ++i) {
        if (pred()) return true;
        (void)rt.tick();
    }
    return pred();
}

void sign_in(msgr::Runtime &rt, const char *name = kMe) {
    bool done = false;
    boost::signals2::scoped_connection c =
        rt.events().on_signin.connect([&](msgr_hresult hr) { done = hr == MSGR_S_OK; });
    ASSERT_EQ(rt.signin(name).hr(), MSGR_S_OK) << msgr::last_error();
    ASSERT_TRUE(tick_until(rt, [&] { return done; }));
}

// ---- results and names --------------------------------------------------------------------------

TEST(CppResult, NamesAndDescribe) {
    EXPECT_STREQ(msgr::hresult_name(MSGR_E_NOT_LOGGED_ON), "MSGR_E_NOT_LOGGED_ON");
    EXPECT_EQ(msgr::describe(MSGR_E_NOT_LOGGED_ON), "MSGR_E_NOT_LOGGED_ON (0x8100031E)");
    EXPECT_EQ(msgr::describe(MSGR_S_FALSE), "MSGR_S_FALSE (0x00000001)");
    EXPECT_STREQ(msgr::status_name(MSGR_STATUS_AWAY), "MSGR_STATUS_AWAY");
    EXPECT_STREQ(msgr::event_type_name(MSGR_EVENT_SIGNIN), "MSGR_EVENT_SIGNIN");
    EXPECT_STREQ(msgr::delivery_state_name(MSGR_DELIVERY_PENDING), "MSGR_DELIVERY_PENDING");
    EXPECT_STREQ(msgr::delivery_state_name(MSGR_DELIVERY_READ), "MSGR_DELIVERY_READ");
    EXPECT_TRUE(msgr::succeeded(MSGR_S_FALSE));
    EXPECT_TRUE(msgr::failed(MSGR_E_FAIL));
}

TEST(CppResult, ValueThrowsOnlyOnFailure) {
    msgr::Result<int> good(MSGR_S_FALSE, 7);
    EXPECT_TRUE(good.ok());
    EXPECT_TRUE(static_cast<bool>(good));
    EXPECT_EQ(good.value(), 7);
    EXPECT_EQ(*good, 7);

    msgr::Result<int> bad(MSGR_E_NOT_LOGGED_ON);
    EXPECT_FALSE(bad);
    EXPECT_STREQ(bad.name(), "MSGR_E_NOT_LOGGED_ON");
    EXPECT_EQ(bad.value_or(-1), -1);
    try {
        (void)bad.value();
        FAIL() << "value() of a failed call must throw";
    } catch (const msgr::Error &e) {
        EXPECT_EQ(e.hr(), MSGR_E_NOT_LOGGED_ON);
        EXPECT_STREQ(e.what(), "MSGR_E_NOT_LOGGED_ON (0x8100031E)");
    }
    msgr::Result<> none = MSGR_E_FAIL;
    EXPECT_THROW(none.value(), msgr::Error);
    msgr::Result<> fine = MSGR_S_OK;
    EXPECT_NO_THROW(fine.value());
}

// ---- the runtime --------------------------------------------------------------------------------

TEST(CppRuntime, MissingConfigurationFileIsReported) {
    auto created = msgr::Runtime::create("/nonexistent/msgr.toml");
    EXPECT_EQ(created.hr(), MSGR_E_FILE_NOT_FOUND);
    EXPECT_FALSE(*created);  // an empty Runtime
    EXPECT_STRNE(msgr::last_error(), "");
}

TEST(CppRuntime, SigninCompletesOnALaterTickWithItsEvents) {
    msgr::Runtime rt = make_runtime();
    std::vector<msgr_hresult> signins;
    std::vector<std::int32_t> statuses;
    std::vector<std::string> added;
    rt.events().on_signin.connect([&](msgr_hresult hr) { signins.push_back(hr); });
    rt.events().on_my_status_change.connect([&](msgr_hresult hr, std::int32_t s) {
        EXPECT_EQ(hr, MSGR_S_OK);
        statuses.push_back(s);
    });
    rt.events().on_contact_list_add.connect([&](msgr_hresult hr, const msgr::Contact &c) {
        EXPECT_EQ(hr, MSGR_S_OK);
        added.push_back(c.signin_name().value());
    });

    EXPECT_EQ(rt.my_signin_name().hr(), MSGR_E_NOT_LOGGED_ON);
    ASSERT_EQ(rt.signin(kMe).hr(), MSGR_S_OK);
    EXPECT_TRUE(signins.empty()) << "OnSignin must not fire from inside signin()";
    EXPECT_EQ(rt.signin(kMe).hr(), MSGR_E_ALREADY_LOGGED_ON);

    ASSERT_TRUE(tick_until(rt, [&] { return !signins.empty(); }));
    EXPECT_EQ(signins, std::vector<msgr_hresult>{MSGR_S_OK});
    EXPECT_EQ(statuses, (std::vector<std::int32_t>{MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER,
                                                   MSGR_STATUS_ONLINE}));
    EXPECT_EQ(added, (std::vector<std::string>{kEcho, kMobile}));
    EXPECT_EQ(rt.my_signin_name().value(), kMe);
    EXPECT_EQ(rt.my_status().value(), MSGR_STATUS_ONLINE);
    EXPECT_EQ(rt.my_service_id().value(), "loopback");

    auto contacts = rt.my_contacts();
    ASSERT_TRUE(contacts);
    ASSERT_EQ(contacts->size(), 2u);
    EXPECT_EQ((*contacts)[1].friendly_name().value(), "Pat (mobile)");
    EXPECT_EQ((*contacts)[1].status().value(), MSGR_STATUS_AWAY);
}

TEST(CppRuntime, SignoutFiresOnSignoutAndStatusOffline) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    std::vector<msgr_hresult> signouts;
    std::int32_t last_status = -1;
    rt.events().on_signout.connect([&](msgr_hresult hr) { signouts.push_back(hr); });
    rt.events().on_my_status_change.connect([&](msgr_hresult, std::int32_t s) { last_status = s; });
    EXPECT_EQ(rt.set_my_status(MSGR_STATUS_BUSY).hr(), MSGR_S_OK);
    EXPECT_EQ(rt.set_my_status(MSGR_STATUS_BUSY).hr(), MSGR_S_ALREADY_IN_THE_MODE);
    (void)rt.tick();
    EXPECT_EQ(last_status, MSGR_STATUS_BUSY);
    ASSERT_EQ(rt.signout().hr(), MSGR_S_OK);
    (void)rt.tick();
    EXPECT_EQ(signouts, std::vector<msgr_hresult>{MSGR_S_OK});
    EXPECT_EQ(last_status, MSGR_STATUS_OFFLINE);
    EXPECT_EQ(rt.signout().hr(), MSGR_E_NOT_LOGGED_ON);
}

TEST(CppRuntime, CallsFromAnotherThreadAreRefused) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    msgr_hresult signin_hr = MSGR_S_OK, show_hr = MSGR_S_OK;
    std::thread other([&] {
        signin_hr = rt.signin("intruder@loopback").hr();
        show_hr = w.show().hr();
        msgr::Window copy = w;  // NOLINT(performance-unnecessary-copy-initialization): add_ref and
                                // release may happen on any thread
    });
    other.join();
    EXPECT_EQ(signin_hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_EQ(show_hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_EQ(w.show().hr(), MSGR_S_OK);
}

// ---- InstantMessage and windows -----------------------------------------------------------------

TEST(CppInstantMessage, RefusedBeforeSignin) {
    msgr::Runtime rt = make_runtime();
    auto w = rt.instant_message(kEcho);
    EXPECT_EQ(w.hr(), MSGR_E_NOT_LOGGED_ON);
    EXPECT_FALSE(*w);
}

TEST(CppInstantMessage, OpensOnceAndRaisesCreatedWithTheSameWindow) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    std::vector<msgr::Window> created;
    rt.events().on_im_window_created.connect([&](const msgr::Window &w) { created.push_back(w); });

    auto first = rt.instant_message(kEcho);
    ASSERT_EQ(first.hr(), MSGR_S_OK) << msgr::last_error();
    ASSERT_TRUE(*first);
    EXPECT_EQ(first->kind().value(), MSGR_WINDOW_CONVERSATION);
    (void)rt.tick();
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0], *first) << "the event carries the window InstantMessage returned";

    // By name again, and by contact object: the same window, no second event.
    auto again = rt.instant_message(std::string(kEcho));
    ASSERT_EQ(again.hr(), MSGR_S_OK);
    EXPECT_EQ(*again, *first);
    msgr::Contact echo = rt.get_contact(kEcho).value();
    auto by_contact = rt.instant_message(echo);
    ASSERT_EQ(by_contact.hr(), MSGR_S_OK);
    EXPECT_EQ(*by_contact, *first);
    EXPECT_EQ(first->contact().value(), echo);
    (void)rt.tick();
    EXPECT_EQ(created.size(), 1u);

    // A different contact gets a different window.
    auto other = rt.instant_message(std::string_view("someone@loopback"));
    ASSERT_EQ(other.hr(), MSGR_S_OK);
    EXPECT_NE(*other, *first);
    std::unordered_set<msgr::Window> distinct{*first, *again, *by_contact, *other};
    EXPECT_EQ(distinct.size(), 2u);
}

TEST(CppInstantMessage, ArgumentChecks) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    EXPECT_EQ(rt.instant_message(msgr::ContactArg()).hr(), MSGR_E_INVALIDARG);  // VT_EMPTY
    EXPECT_EQ(rt.instant_message(static_cast<const char *>(nullptr)).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.instant_message(msgr::Contact()).hr(), MSGR_E_INVALIDARG);  // NULL contact
    EXPECT_EQ(rt.instant_message(" echo@loopback").hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.instant_message("echo\n@loopback").hr(), MSGR_E_INVALIDARG);
    const std::string with_nul("echo@loopback\0tail", 18);
    EXPECT_EQ(rt.instant_message(std::string_view(with_nul)).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.instant_message(with_nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.instant_message(std::string(130, 'a')).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.instant_message(kMe).hr(), MSGR_E_FAIL);  // the local user
    msgr::Contact me = rt.get_contact(kMe).value();
    EXPECT_TRUE(me.is_self().value());
    EXPECT_EQ(rt.instant_message(me).hr(), MSGR_E_FAIL);
}

TEST(CppInstantMessage, WithoutFocusAnswersSFalseWhichIsSuccess) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    ASSERT_EQ(rt.set_focus_allowed(false).hr(), MSGR_S_OK);
    auto w = rt.instant_message(kEcho);
    EXPECT_EQ(w.hr(), MSGR_S_FALSE);
    ASSERT_TRUE(w);
    EXPECT_TRUE(*w);
    EXPECT_EQ(w->show().hr(), MSGR_S_FALSE);
}

TEST(CppWindow, GeometryAndDraft) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    EXPECT_EQ(w.set_left(11).hr(), MSGR_S_OK);
    EXPECT_EQ(w.set_width(300).hr(), MSGR_S_OK);
    EXPECT_EQ(w.set_height(0).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(w.left().value(), 11);
    EXPECT_EQ(w.width().value(), 300);
    EXPECT_GT(w.height().value(), 0);
    EXPECT_EQ(w.set_draft(std::string_view("hello there")).hr(), MSGR_S_OK);
    EXPECT_EQ(w.draft().value(), "hello there");
    EXPECT_EQ(w.set_draft("\xff").hr(), MSGR_E_INVALIDARG);
}

TEST(CppPage, FollowsThePagingCapability) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    EXPECT_EQ(rt.page(msgr::ContactArg()).hr(), MSGR_E_INVALIDARG);
    msgr::Contact mobile = rt.get_contact(kMobile).value();
    const auto max = msgr::ui::max_page_length(rt);
    if (max.hr() == MSGR_E_NOTIMPL) {
        // No paging add-in is installed in this configuration.
        EXPECT_FALSE(mobile.can_page().value());
        EXPECT_EQ(rt.page(mobile).hr(), MSGR_E_NOTIMPL);
        EXPECT_EQ(rt.page(kMobile).hr(), MSGR_E_NOTIMPL);
    } else {
        ASSERT_TRUE(max);
        EXPECT_TRUE(mobile.can_page().value());
        auto w = rt.page(mobile);
        ASSERT_TRUE(w) << w.name();
        EXPECT_EQ(w->kind().value(), MSGR_WINDOW_PAGE);
        EXPECT_EQ(rt.page(kEcho).hr(), MSGR_E_PAGING_UNAVAILABLE);
    }
    EXPECT_EQ(rt.script_invoke("Page", kMobile).hr(), MSGR_E_NOTIMPL);
    EXPECT_EQ(rt.script_invoke("InstantMessage", kEcho).hr(), MSGR_S_OK);
}

// ---- messages -----------------------------------------------------------------------------------

TEST(CppEvents, EchoAnswersWithDeliveryAndMessageEvents) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    msgr::Contact echo = rt.get_contact(kEcho).value();

    struct Delivery {
        msgr::Window window;
        msgr_hresult hr;
        std::size_t index;
        msgr_delivery_state state;
    };
    std::vector<Delivery> deliveries;
    struct Received {
        msgr::Window window;
        msgr::Contact from;
        std::string text;
    };
    std::vector<Received> received;
    rt.events().on_delivery_change.connect(
        [&](const msgr::Window &win, msgr_hresult hr, std::size_t index, msgr_delivery_state st) {
            deliveries.push_back({win, hr, index, st});
        });
    rt.events().on_message_received.connect(
        [&](const msgr::Window &win, const msgr::Contact &from, std::string_view text) {
            received.push_back({win, from, std::string(text)});
        });

    auto sent = msgr::ui::send(w, std::string_view("hello, echo"));
    ASSERT_EQ(sent.hr(), MSGR_S_OK) << msgr::last_error();
    EXPECT_EQ(*sent, 0u);
    ASSERT_TRUE(tick_until(rt, [&] { return !received.empty(); }));

    // SENT first (the echo's DELIVERED and READ receipts may follow), all for entry 0.
    ASSERT_GE(deliveries.size(), 1u);
    EXPECT_EQ(deliveries[0].state, MSGR_DELIVERY_SENT);
    for (const Delivery &d : deliveries) {
        EXPECT_EQ(d.window, w);
        EXPECT_EQ(d.hr, MSGR_S_OK);
        EXPECT_EQ(d.index, 0u);
    }
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].window, w);
    EXPECT_EQ(received[0].from, echo);
    EXPECT_EQ(received[0].text, "hello, echo");

    ASSERT_EQ(w.history_size().value(), 2u);
    const msgr::Message out = w.history(0).value();
    EXPECT_EQ(out.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_GE(out.delivery, MSGR_DELIVERY_SENT);
    EXPECT_NE(out.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(out.text, "hello, echo");
    const msgr::Message in = w.history(1).value();
    EXPECT_EQ(in.direction, MSGR_MESSAGE_INCOMING);
    EXPECT_EQ(in.text, "hello, echo");
    EXPECT_EQ(w.history(2).hr(), MSGR_E_INVALIDARG);
}

TEST(CppEvents, RawEventSeesEveryEventBeforeItsTypedSignal) {
    std::vector<std::string> order;  // first: on_event also sees the AppShutdown of ~Runtime
    msgr::Runtime rt = make_runtime();
    rt.events().on_event.connect(
        [&](const msgr_event &ev) { order.emplace_back(msgr::event_type_name(ev.type)); });
    rt.events().on_signin.connect([&](msgr_hresult) { order.emplace_back("typed signin"); });
    ASSERT_EQ(rt.signin(kMe).hr(), MSGR_S_OK);
    ASSERT_TRUE(tick_until(
        rt, [&] { return std::find(order.begin(), order.end(), "typed signin") != order.end(); }));
    const auto raw = std::find(order.begin(), order.end(), "MSGR_EVENT_SIGNIN");
    const auto typed = std::find(order.begin(), order.end(), "typed signin");
    ASSERT_NE(raw, order.end());
    EXPECT_EQ(raw + 1, typed);
}

// ---- handles ------------------------------------------------------------------------------------

TEST(CppHandles, CopyAddsAReferenceMoveTransfersIt) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    msgr::Window copy = w;
    EXPECT_EQ(copy, w);
    msgr::Window moved = std::move(copy);
    EXPECT_FALSE(copy);  // NOLINT(bugprone-use-after-move): moved-from handles are empty
    EXPECT_EQ(moved, w);
    EXPECT_EQ(copy.is_closed().hr(), MSGR_E_INVALIDARG);
    msgr::Window &alias = moved;
    moved = alias;  // self-assignment keeps the reference
    EXPECT_EQ(moved.is_closed().value(), false);
    // release() hands the reference to C code, which gives it back.
    msgr_window *raw = moved.release();
    EXPECT_FALSE(moved);
    msgr::Window readopted = msgr::Window::adopt(raw);
    EXPECT_EQ(readopted, w);
}

TEST(CppHandles, AWindowKeptAfterSignoutAnswersIsClosed) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    std::vector<msgr::Window> destroyed;
    rt.events().on_im_window_destroyed.connect(
        [&](const msgr::Window &w) { destroyed.push_back(w); });
    msgr::Window kept = rt.instant_message(kEcho).value();
    msgr::Contact echo = kept.contact().value();
    ASSERT_EQ(rt.signout().hr(), MSGR_S_OK);
    (void)rt.tick();
    ASSERT_EQ(destroyed.size(), 1u);
    EXPECT_EQ(destroyed[0], kept);
    EXPECT_EQ(kept.is_closed().value(), true);
    EXPECT_EQ(kept.show().hr(), MSGR_E_FAIL);
    EXPECT_EQ(kept.close().hr(), MSGR_S_FALSE);
    // A closed window is not reused: signing in again and InstantMessage opens a new one.
    sign_in(rt);
    msgr::Window fresh = rt.instant_message(kEcho).value();
    EXPECT_NE(fresh, kept);
    EXPECT_EQ(kept.contact().value().signin_name().value(), kEcho);
    (void)echo;
}

TEST(CppHandles, HandlesOutliveTheRuntimeAndAnswerDisconnected) {
    msgr::Window w;
    msgr::Contact c;
    int shutdowns = 0;
    {
        msgr::Runtime rt = make_runtime();
        sign_in(rt);
        w = rt.instant_message(kEcho).value();
        c = rt.get_contact(kEcho).value();
        rt.events().on_app_shutdown.connect([&] {
            ++shutdowns;
            EXPECT_EQ(w.is_closed().value(), false) << "handles still work during AppShutdown";
        });
    }
    EXPECT_EQ(shutdowns, 1);
    EXPECT_EQ(w.is_closed().hr(), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(c.signin_name().hr(), MSGR_RPC_E_DISCONNECTED);
}

TEST(CppHandles, EverythingIsReleased) {
    // Warm-up: one full cycle, so that lazily created process-wide state exists beforehand.
    {
        msgr::Runtime rt = make_runtime();
        sign_in(rt);
    }
    const long before = g_live_allocations.load();
    {
        msgr::Runtime rt = make_runtime();
        std::vector<msgr::Window> created;
        std::vector<msgr::Contact> listed;
        rt.events().on_im_window_created.connect(
            [&](const msgr::Window &w) { created.push_back(w); });
        rt.events().on_contact_list_add.connect(
            [&](msgr_hresult, const msgr::Contact &c) { listed.push_back(c); });
        sign_in(rt);
        msgr::Window a = rt.instant_message(kEcho).value();
        msgr::Window b =
            rt.instant_message(std::string_view("someone.with.a.long.name@loopback")).value();
        (void)msgr::ui::send(a, "ping");
        ASSERT_TRUE(tick_until(rt, [&] { return a.history_size().value() == 2; }));
        ASSERT_EQ(rt.signout().hr(), MSGR_S_OK);
        (void)rt.tick();
        EXPECT_EQ(created.size(), 2u);
        EXPECT_EQ(listed.size(), 2u);
    }
    EXPECT_EQ(g_live_allocations.load(), before)
        << "the runtime, its handles or the C++ layer leaked (or freed twice)";
}

TEST(CppHandles, ASteadyFrameAllocatesNothing) {
    // DESIGN.md's budget, through the C++ layer: nothing arrived, nothing changed, no allocation.
    int events = 0;  // before the runtime: destroying it raises AppShutdown into the handler
    msgr::Runtime rt = make_runtime();
    rt.events().on_event.connect([&](const msgr_event &) { ++events; });
    rt.events().on_message_received.connect(
        [&](const msgr::Window &, const msgr::Contact &, std::string_view) { ++events; });
    sign_in(rt);
    msgr::Window a = rt.instant_message(kEcho).value();
    msgr::Window b = rt.instant_message("b@loopback").value();
    for (int i = 0; i < 4; ++i)
        (void)rt.tick();
    const int events_before = events;
    const long before = g_allocations.load();
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(rt.tick().hr(), MSGR_S_OK);
    EXPECT_EQ(g_allocations.load() - before, 0);
    EXPECT_EQ(events, events_before);
}

// ---- moving the runtime -------------------------------------------------------------------------

TEST(CppRuntime, MovingKeepsEventsWorking) {
    std::vector<msgr_hresult> signins;
    std::vector<msgr::Window> created;
    msgr::Runtime first = make_runtime();
    first.events().on_signin.connect([&](msgr_hresult hr) { signins.push_back(hr); });
    first.events().on_im_window_created.connect(
        [&](const msgr::Window &w) { created.push_back(w); });
    msgr_runtime *const raw = first.native_handle();

    msgr::Runtime second(std::move(first));
    EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(first.tick().hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(second.native_handle(), raw);
    ASSERT_EQ(second.signin(kMe).hr(), MSGR_S_OK);

    // Moved again, by assignment over another live runtime, and into a growing vector.
    msgr::Runtime third = make_runtime();
    third = std::move(second);
    std::vector<msgr::Runtime> hosts;
    hosts.push_back(std::move(third));
    for (int i = 0; i < 8; ++i)
        hosts.push_back(make_runtime());  // reallocates: the Runtime objects move
    msgr::Runtime &rt = hosts.front();
    EXPECT_EQ(rt.native_handle(), raw);

    ASSERT_TRUE(tick_until(rt, [&] { return !signins.empty(); }));
    EXPECT_EQ(signins, std::vector<msgr_hresult>{MSGR_S_OK});
    auto w = rt.instant_message(kEcho);
    ASSERT_TRUE(w);
    (void)rt.tick();
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0], *w);
}

// ---- exceptions never cross the C boundary ------------------------------------------------------

TEST(CppEvents, ASlotThatThrowsIsReportedAndTheOthersStillRun) {
    msgr::Runtime rt = make_runtime();
    std::vector<std::string> errors;
    std::vector<msgr_event_type> error_types;
    int later_slot = 0, status_events = 0;
    rt.events().on_handler_error.connect([&](msgr_event_type type, const std::exception_ptr &e) {
        error_types.push_back(type);
        try {
            std::rethrow_exception(e);
        } catch (const std::exception &x) {
            errors.emplace_back(x.what());
        } catch (...) {
            errors.emplace_back("non-standard exception");
        }
    });
    rt.events().on_signin.connect([](msgr_hresult) { throw std::runtime_error("slot failed"); });
    rt.events().on_signin.connect([&](msgr_hresult) { ++later_slot; });
    rt.events().on_signin.connect([](msgr_hresult) { throw 42; });
    rt.events().on_my_status_change.connect([&](msgr_hresult, std::int32_t) { ++status_events; });

    ASSERT_EQ(rt.signin(kMe).hr(), MSGR_S_OK);
    for (int i = 0; i < 4; ++i)
        EXPECT_TRUE(rt.tick().ok());
    EXPECT_EQ(later_slot, 1) << "a throwing slot must not keep the next one from running";
    EXPECT_EQ(errors, (std::vector<std::string>{"slot failed", "non-standard exception"}));
    EXPECT_EQ(error_types, (std::vector<msgr_event_type>{MSGR_EVENT_SIGNIN, MSGR_EVENT_SIGNIN}));
    EXPECT_EQ(status_events, 2) << "events after the throwing one are still delivered";
    EXPECT_TRUE(rt.instant_message(kEcho)) << "the runtime goes on";
}

TEST(CppEvents, AThrowingErrorHandlerIsContained) {
    msgr::Runtime rt = make_runtime();
    int signins = 0;
    rt.events().on_handler_error.connect([](msgr_event_type, const std::exception_ptr &) {
        throw std::logic_error("handler failed");
    });
    rt.events().on_signin.connect([](msgr_hresult) { throw std::runtime_error("slot failed"); });
    rt.events().on_signin.connect([&](msgr_hresult) { ++signins; });
    ASSERT_EQ(rt.signin(kMe).hr(), MSGR_S_OK);
    EXPECT_TRUE(tick_until(rt, [&] { return signins == 1; }));
}

TEST(CppEvents, WithoutAnErrorHandlerTheExceptionGoesToStderr) {
    msgr::Runtime rt = make_runtime();
    rt.events().on_signin.connect([](msgr_hresult) { throw std::runtime_error("nobody listens"); });
    ASSERT_EQ(rt.signin(kMe).hr(), MSGR_S_OK);
    testing::internal::CaptureStderr();
    (void)rt.tick();
    (void)rt.tick();
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("MSGR_EVENT_SIGNIN"), std::string::npos) << err;
    EXPECT_NE(err.find("nobody listens"), std::string::npos) << err;
}

// ---- destroying the runtime from one of its own slots -------------------------------------------

TEST(CppRuntime, DestroyedFromItsOwnSlotFinishesAfterTheTick) {
    std::optional<msgr::Runtime> rt(make_runtime());
    int shutdowns = 0, signouts = 0;
    msgr::Window kept;
    sign_in(*rt);
    kept = rt->instant_message(kEcho).value();
    rt->events().on_app_shutdown.connect([&] { ++shutdowns; });
    rt->events().on_signout.connect([&](msgr_hresult) {
        ++signouts;
        rt.reset();  // the host drops the runtime from inside an event
        EXPECT_EQ(shutdowns, 0) << "the destruction waits for the tick to return";
    });
    // Another slot of the same event still runs: the signals outlive the Runtime object.
    int after = 0;
    rt->events().on_signout.connect([&](msgr_hresult) { ++after; });
    ASSERT_EQ(rt->signout().hr(), MSGR_S_OK);
    (void)rt->tick();  // destroys the runtime from within, then finishes when the tick returns
    EXPECT_FALSE(rt.has_value());
    EXPECT_EQ(signouts, 1);
    EXPECT_EQ(after, 1);
    EXPECT_EQ(shutdowns, 1);
    EXPECT_EQ(kept.is_closed().value(), true) << "closed by the sign-out, still answering";
}

// ---- logging ------------------------------------------------------------------------------------

TEST(CppLog, HandlerReceivesTheReasonOfAFailure) {
    msgr::Runtime rt = make_runtime();  // first: creating it may log (add-ins loaded, ...)
    std::vector<std::string> lines;
    msgr::set_log_handler([&](msgr_log_level, std::string_view line) { lines.emplace_back(line); });
    EXPECT_EQ(rt.instant_message(kEcho).hr(), MSGR_E_NOT_LOGGED_ON);
    msgr::set_log_handler(nullptr);
    const std::size_t heard = lines.size();
    EXPECT_EQ(rt.instant_message(kEcho).hr(), MSGR_E_NOT_LOGGED_ON);
    EXPECT_EQ(lines.size(), heard) << "the handler was removed";
    ASSERT_EQ(heard, 1u);
    EXPECT_NE(lines[0].find("MSGR_E_NOT_LOGGED_ON"), std::string::npos) << lines[0];
}

}  // namespace

namespace {

// ---- C ABI behaviour found while building the C++ layer -----------------------------------------

void destroy_again(const msgr_event *ev, void *user) {
    if (ev->type == MSGR_EVENT_APP_SHUTDOWN) {
        ++*static_cast<int *>(static_cast<void **>(user)[1]);
        msgr_runtime_destroy(static_cast<msgr_runtime *>(static_cast<void **>(user)[0]));
    }
}

TEST(CAbiShutdown, DestroyCalledFromTheAppShutdownCallbackIsIgnored) {
    // Used to delete the runtime twice: the nested call saw impl already reset.
    msgr_runtime *rt = nullptr;
    ASSERT_EQ(msgr_runtime_create(nullptr, &rt), MSGR_S_OK);
    int shutdowns = 0;
    void *user[2] = {rt, &shutdowns};
    msgr_subscription sub = 0;
    ASSERT_EQ(msgr_subscribe(rt, MSGR_EVENT_APP_SHUTDOWN, &destroy_again, user, &sub), MSGR_S_OK);
    const long before = g_live_allocations.load();
    msgr_runtime_destroy(rt);
    EXPECT_EQ(shutdowns, 1);
    EXPECT_LT(g_live_allocations.load(), before) << "the runtime is freed, once";
}

}  // namespace

namespace {

TEST(CppAddins, ListedWithTheirStateAndUnloadedByName) {
    auto created = msgr::Runtime::create();
    ASSERT_TRUE(created) << msgr::last_error();
    msgr::Runtime rt = std::move(*created);
    auto addins = rt.addins();
    ASSERT_TRUE(addins);
    const msgr::AddinInfo *paging = nullptr;
    const msgr::AddinInfo *loopback = nullptr;
    for (const auto &a : *addins) {
        if (a.name == "paging") paging = &a;
        if (a.name == "loopback") loopback = &a;
    }
    ASSERT_NE(paging, nullptr);
    ASSERT_NE(loopback, nullptr);
    EXPECT_EQ(paging->state, MSGR_ADDIN_LOADED);
    EXPECT_NE(paging->provides & MSGR_ADDIN_PROVIDES_PAGING, 0u);
    EXPECT_NE(loopback->provides & MSGR_ADDIN_PROVIDES_SERVICE, 0u);
    EXPECT_TRUE(paging->reason.empty());
    EXPECT_NE(paging->path.find("paging"), std::string::npos);

    (void)rt.tick();  // the loads found at creation are reported on the first tick
    std::vector<std::string> changes;
    rt.events().on_addin_state_change.connect(
        [&](std::size_t, msgr_hresult, std::string_view text) { changes.emplace_back(text); });
    EXPECT_FALSE(rt.unload_addin("no-such-addin"));
    ASSERT_TRUE(rt.unload_addin("paging")) << msgr::last_error();
    (void)rt.tick();
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].rfind("paging", 0), 0u) << changes[0];
    auto after = rt.addins();
    ASSERT_TRUE(after);
    bool unloaded = false;
    for (const auto &a : *after)
        unloaded = unloaded || (a.name == "paging" && a.state == MSGR_ADDIN_UNLOADED);
    EXPECT_TRUE(unloaded);
    // Without its paging add-in the runtime answers Page as the documentation says.
    ASSERT_TRUE(rt.signin("player@loopback"));
    for (int i = 0; i < 5; ++i)
        (void)rt.tick();
    EXPECT_EQ(rt.page("mobile@loopback").hr(), MSGR_E_NOTIMPL);
}

}  // namespace

// ---- the C++ layer's own refusals, flags, text with NULs ----------------------------------------

namespace {

// A call the header refuses itself (an embedded NUL) says why in last_error(), replacing the
// reason of an older failure.
TEST(CppRefusals, SetTheReasonLastErrorShows) {
    msgr::Runtime rt = make_runtime();
    const std::string stale = "not signed in";
    ASSERT_EQ(rt.my_signin_name().hr(), MSGR_E_NOT_LOGGED_ON);
    ASSERT_EQ(std::string(msgr::last_error()), stale);
    const std::string nul("a\0b", 3);
    const auto says_nul = [] {
        return std::string(msgr::last_error()).find("embedded NUL") != std::string::npos;
    };
    EXPECT_EQ(rt.signin(std::string_view(nul)).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    (void)rt.my_signin_name();  // stale again
    EXPECT_EQ(rt.get_contact(nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    (void)rt.my_signin_name();
    EXPECT_EQ(rt.instant_message(nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    (void)rt.my_signin_name();
    EXPECT_EQ(rt.script_invoke(nul, kEcho).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    (void)rt.my_signin_name();
    EXPECT_EQ(rt.unload_addin(nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    (void)rt.my_signin_name();
    EXPECT_EQ(msgr::Runtime::create(nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    (void)rt.get_contact(" x");
    EXPECT_EQ(w.set_draft(nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
    (void)rt.get_contact(" x");
    EXPECT_EQ(msgr::ui::send(w, nul).hr(), MSGR_E_INVALIDARG);
    EXPECT_TRUE(says_nul()) << msgr::last_error();
}

TEST(CppMessage, CarriesFlags) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window chat = rt.instant_message(kEcho).value();
    ASSERT_TRUE(msgr::ui::send(chat, "a chat line")) << msgr::last_error();
    EXPECT_EQ(chat.history(0).value().flags, 0u);
    if (!msgr::ui::max_page_length(rt)) GTEST_SKIP() << "no paging add-in installed";
    msgr::Window page = rt.page(kMobile).value();
    ASSERT_TRUE(msgr::ui::send(page, "a page")) << msgr::last_error();
    const msgr::Message m = page.history(0).value();
    EXPECT_EQ(m.text, "a page");
    EXPECT_EQ(m.flags, MSGR_MESSAGE_PAGE);
}

// The loopback network sends raw bytes (its control contact's say-hex): "a\0b\0c" arrives whole
// in on_message_received and in the history.
TEST(CppEvents, NetworkTextWithNulsArrivesWhole) {
    const std::string sent("a\0b\0c", 5);
    std::string got;
    msgr::Window from;
    msgr::Runtime rt = make_runtime();
    rt.events().on_message_received.connect(
        [&](const msgr::Window &w, const msgr::Contact &c, std::string_view text) {
            if (c.signin_name().value_or(std::string()) != "nul@loopback") return;
            got = std::string(text);
            from = w;
        });
    sign_in(rt);
    msgr::Window control = rt.instant_message("control@loopback").value();
    ASSERT_TRUE(msgr::ui::send(control, "say-hex nul@loopback 6100620063")) << msgr::last_error();
    ASSERT_TRUE(tick_until(rt, [&] { return bool(from); }));
    EXPECT_EQ(got, sent);
    const std::size_t last = from.history_size().value() - 1;
    EXPECT_EQ(from.history(last).value().text, sent);
}

// ---- durable conversations (history, delivery states, typing, search, forgetting) -------------

// Frames of a host (a tick, then 1 ms) until pred() holds, at most 10 s: for what the history
// store's own thread answers, which takes time, not frames.
template <typename Pred>
bool frames_until(msgr::Runtime &rt, Pred pred) {
    for (int i = 0; i < 10000; ++i) {
        if (pred()) return true;
        (void)rt.tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
}

// Sends `text` to echo@loopback in `w` and ticks until the echo's READ receipt came back.
void send_and_wait_read(msgr::Runtime &rt, const msgr::Window &w, const char *text) {
    const std::size_t index = msgr::ui::send(w, text).value();
    ASSERT_TRUE(tick_until(
        rt,
        [&] { return w.history(index).value_or(msgr::Message{}).delivery == MSGR_DELIVERY_READ; },
        64))
        << "delivery " << w.history(index).value_or(msgr::Message{}).delivery;
}

TEST(CppHistory, DeliveryStatesMoveForwardToReadAndTheEchoTypesFirst) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    std::vector<msgr_delivery_state> states;
    rt.events().on_delivery_change.connect(
        [&](const msgr::Window &win, msgr_hresult hr, std::size_t index, msgr_delivery_state st) {
            EXPECT_EQ(win, w);
            EXPECT_EQ(hr, MSGR_S_OK);
            EXPECT_EQ(index, 0u);
            states.push_back(st);
        });
    std::vector<msgr_chat_state> typing;
    rt.events().on_typing.connect(
        [&](const msgr::Contact &c, const msgr::Window &win, msgr_chat_state st) {
            EXPECT_EQ(c.signin_name().value(), kEcho);
            EXPECT_EQ(win, w);
            typing.push_back(st);
        });
    send_and_wait_read(rt, w, "are you typing?");
    ASSERT_FALSE(states.empty());
    EXPECT_EQ(states.front(), MSGR_DELIVERY_SENT);
    EXPECT_EQ(states.back(), MSGR_DELIVERY_READ);
    EXPECT_TRUE(std::is_sorted(states.begin(), states.end())) << "a state moved backwards";
    EXPECT_NE(std::find(states.begin(), states.end(), MSGR_DELIVERY_DELIVERED), states.end());
    ASSERT_GE(typing.size(), 2u);
    EXPECT_EQ(typing.front(), MSGR_CHAT_STATE_COMPOSING);
    EXPECT_EQ(typing.back(), MSGR_CHAT_STATE_ACTIVE);
    const msgr::Message out = w.history(0).value();
    EXPECT_NE(out.stored_id, 0);
    EXPECT_EQ(out.delivery_reason, "");
    EXPECT_NE(w.history(1).value().stored_id, out.stored_id);
}

TEST(CppHistory, TheConversationIsThereAfterARestart) {
    std::int64_t stored = 0;
    {
        msgr::Runtime rt = make_runtime();
        sign_in(rt);
        msgr::Window w = rt.instant_message(kEcho).value();
        send_and_wait_read(rt, w, "remember me");
        stored = w.history(0).value().stored_id;
    }
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    ASSERT_EQ(w.history_size().value(), 2u);
    const msgr::Message m = w.history(0).value();
    EXPECT_EQ(m.text, "remember me");
    EXPECT_EQ(m.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_READ);
    EXPECT_EQ(m.stored_id, stored);
    EXPECT_EQ(w.history(1).value().text, "remember me");
    // The loopback service keeps no archive: nothing older to fetch.
    EXPECT_EQ(w.fetch_older().hr(), MSGR_S_FALSE);
}

TEST(CppHistory, SeenAndChatStateGoThroughTheUiSurface) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    send_and_wait_read(rt, w, "look at me");
    EXPECT_EQ(w.history(1).value().flags & MSGR_MESSAGE_SEEN, 0u);
    EXPECT_EQ(msgr::ui::history_seen(w, 1).hr(), MSGR_S_OK) << msgr::last_error();
    EXPECT_NE(w.history(1).value().flags & MSGR_MESSAGE_SEEN, 0u);
    EXPECT_EQ(msgr::ui::history_seen(w, 2).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr::ui::set_chat_state(w, MSGR_CHAT_STATE_COMPOSING).hr(), MSGR_S_OK);
    // (A value outside the enum is undefined behaviour in C++: c_enum_test.c checks it in C.)
}

TEST(CppSearch, FindsBothSidesOpensTheHitAndReleasesItsResults) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window w = rt.instant_message(kEcho).value();
    send_and_wait_read(rt, w, "a needle in the haystack");
    send_and_wait_read(rt, w, "nothing to see");
    (void)w.close();

    std::vector<std::pair<std::uint64_t, msgr_hresult>> done;
    rt.events().on_search_done.connect(
        [&](std::uint64_t id, msgr_hresult hr) { done.emplace_back(id, hr); });
    msgr::Result<msgr::Search> search = rt.search("NEED", 10);  // a prefix, any case
    ASSERT_EQ(search.hr(), MSGR_S_OK) << msgr::last_error();
    const std::uint64_t id = search->id();
    ASSERT_NE(id, 0u);
    ASSERT_TRUE(frames_until(rt, [&] { return !done.empty(); }));
    EXPECT_EQ(done[0].first, id);
    ASSERT_EQ(done[0].second, MSGR_S_OK);
    const std::vector<msgr::SearchHit> hits = search->hits().value();
    ASSERT_EQ(hits.size(), 2u);  // what the user sent and its echo
    for (const msgr::SearchHit &h : hits) {
        EXPECT_EQ(h.text, "a needle in the haystack");
        EXPECT_NE(h.snippet.find("\x02needle\x03"), std::string::npos) << h.snippet;
        EXPECT_EQ(h.contact.signin_name().value(), kEcho);
        EXPECT_EQ(h.kind, MSGR_WINDOW_CONVERSATION);
        EXPECT_NE(h.stored_id, 0);
    }
    EXPECT_GE(hits[0].time_unix_ms, hits[1].time_unix_ms);  // newest first
    msgr::Result<msgr::Window> opened = search->open(0);
    ASSERT_TRUE(opened) << msgr::last_error();
    EXPECT_EQ(opened->contact().value().signin_name().value(), kEcho);

    search->reset();
    std::size_t n = 0;
    EXPECT_EQ(msgr_search_result_count(rt.native_handle(), id, &n), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.search("", 10).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.search(std::string_view("a\0b", 3), 10).hr(), MSGR_E_INVALIDARG);
}

TEST(CppSearch, ASearchMayOutliveItsRuntime) {
    msgr::Search kept;
    {
        msgr::Runtime rt = make_runtime();
        sign_in(rt);
        kept = rt.search("anything").value();
        EXPECT_TRUE(kept);
    }
    EXPECT_EQ(kept.size().hr(), MSGR_E_INVALIDARG);
    kept.reset();  // nothing to give back, and no crash
    EXPECT_FALSE(kept);
}

TEST(CppHistory, ForgettingAContactEmptiesItsWindowAndTheStore) {
    {
        msgr::Runtime rt = make_runtime();
        sign_in(rt);
        msgr::Window w = rt.instant_message(kEcho).value();
        send_and_wait_read(rt, w, "forget this");
        msgr::Window other = rt.instant_message("friend@loopback").value();
        ASSERT_TRUE(msgr::ui::send(other, "keep this")) << msgr::last_error();
        ASSERT_EQ(rt.get_contact(kEcho).value().forget_history().hr(), MSGR_S_OK)
            << msgr::last_error();
        EXPECT_EQ(w.history_size().value(), 0u);
        EXPECT_EQ(other.history_size().value(), 1u);
    }
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    EXPECT_EQ(rt.instant_message(kEcho).value().history_size().value(), 0u);
    msgr::Window other = rt.instant_message("friend@loopback").value();
    EXPECT_EQ(other.history_size().value(), 1u);
    ASSERT_EQ(rt.forget_all_history().hr(), MSGR_S_OK);
    EXPECT_EQ(other.history_size().value(), 0u);
}

}  // namespace

// ---- conversations with several contacts ----------------------------------------------------

namespace {
// Ticks until pred() holds, for at most 10 s of wall-clock time.
template <typename Pred>
bool tick_until_deadline(msgr::Runtime &rt, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        (void)rt.tick();
    }
    return true;
}
}  // namespace

TEST(CppGroups, AddContactMakesAGroupWhoseAnswersNameTheirSenders) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    msgr::Window group = rt.instant_message(kEcho).value();
    std::vector<std::string> added;
    std::vector<std::string> removed;
    rt.events().on_im_window_contact_added.connect(
        [&](const msgr::Window &w, const msgr::Contact &c) {
            EXPECT_EQ(w, group);
            added.push_back(c.signin_name().value());
        });
    rt.events().on_im_window_contact_removed.connect(
        [&](const msgr::Window &, const msgr::Contact &c) {
            removed.push_back(c.signin_name().value());
        });
    EXPECT_EQ(group.add_contact("shout@loopback").hr(), MSGR_S_OK) << msgr::last_error();
    EXPECT_EQ(group.add_contact("shout@loopback").hr(), MSGR_S_FALSE);
    EXPECT_EQ(group.add_contact(kMe).hr(), MSGR_E_FAIL);
    EXPECT_EQ(group.add_contact(std::string_view("a\0b", 3)).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(group.add_contact(msgr::ContactArg()).hr(), MSGR_E_INVALIDARG);
    const std::vector<msgr::Contact> contacts = group.contacts().value();
    ASSERT_EQ(contacts.size(), 2u);
    EXPECT_EQ(contacts[0].signin_name().value(), kEcho);
    EXPECT_EQ(contacts[1].signin_name().value(), "shout@loopback");
    // InstantMessage still gives echo's own window.
    msgr::Window echo = rt.instant_message(kEcho).value();
    EXPECT_NE(echo, group);
    EXPECT_EQ(echo.contacts().value().size(), 1u);

    ASSERT_EQ(msgr::ui::send(group, std::string_view("hi both")).hr(), MSGR_S_OK);
    ASSERT_TRUE(tick_until_deadline(rt, [&] { return group.history_size().value() >= 3; }));
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < 3; ++i) {
        const msgr::Message m = group.history(i).value();
        lines.push_back(m.sender + ": " + m.text);
    }
    std::sort(lines.begin() + 1, lines.end());
    EXPECT_EQ(lines, (std::vector<std::string>{"player@loopback: hi both", "echo@loopback: hi both",
                                               "shout@loopback: HI BOTH"}));
    EXPECT_EQ(group.remove_contact(kEcho).hr(), MSGR_S_OK);
    EXPECT_EQ(group.remove_contact(kEcho).hr(), MSGR_S_FALSE);
    EXPECT_EQ(group.remove_contact("shout@loopback").hr(), MSGR_E_FAIL);  // the last one
    (void)rt.tick();
    EXPECT_EQ(added, (std::vector<std::string>{"shout@loopback"}));
    EXPECT_EQ(removed, (std::vector<std::string>{kEcho}));
}

// The contact list (0.4) through the C++ API, against the embedded default: Runtime::add_contact,
// remove_contact, authorize, set_my_friendly_name, Contact::set_blocked / blocked, and their
// typed signals. The loopback's control contact plays the contacts who ask and rename.
TEST(CppContactList, AddBlockAuthorizeAndNamesWithTheirSignals) {
    msgr::Runtime rt = make_runtime();
    sign_in(rt);
    std::vector<std::pair<msgr_hresult, std::string>> added;
    std::vector<std::string> removed, requests, names;
    std::vector<std::pair<std::string, bool>> blocks;
    std::string my_name;
    rt.events().on_contact_list_add.connect([&](msgr_hresult hr, const msgr::Contact &c) {
        added.emplace_back(hr, c.signin_name().value());
    });
    rt.events().on_contact_list_remove.connect(
        [&](msgr_hresult, const msgr::Contact &c) { removed.push_back(c.signin_name().value()); });
    rt.events().on_authorization_request.connect(
        [&](const msgr::Contact &c) { requests.push_back(c.signin_name().value()); });
    rt.events().on_contact_block_change.connect([&](const msgr::Contact &c, bool blocked) {
        blocks.emplace_back(c.signin_name().value(), blocked);
    });
    rt.events().on_contact_friendly_name_change.connect(
        [&](const msgr::Contact &c, std::string_view name) {
            names.push_back(c.signin_name().value() + "=" + std::string(name));
        });
    rt.events().on_my_friendly_name_change.connect(
        [&](msgr_hresult, std::string_view name) { my_name = std::string(name); });

    EXPECT_EQ(rt.add_contact("shout@loopback").hr(), MSGR_S_OK) << msgr::last_error();
    EXPECT_EQ(rt.add_contact(kEcho).hr(), MSGR_E_ALREADY_IN_LIST);
    EXPECT_EQ(rt.add_contact(kMe).hr(), MSGR_E_FAIL);
    EXPECT_EQ(rt.add_contact(std::string_view("a\0b", 3)).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.add_contact("x@loopback", "nope").hr(), MSGR_E_INVALIDARG);
    (void)rt.tick();
    ASSERT_EQ(added.size(), 1u);
    EXPECT_EQ(added[0], std::make_pair(MSGR_S_OK, std::string("shout@loopback")));

    msgr::Contact shout = rt.get_contact("shout@loopback").value();
    EXPECT_EQ(rt.remove_contact(shout).hr(), MSGR_S_OK);
    EXPECT_EQ(rt.remove_contact(shout).hr(), MSGR_S_FALSE);
    EXPECT_EQ(rt.remove_contact(msgr::Contact()).hr(), MSGR_E_INVALIDARG);

    EXPECT_FALSE(shout.blocked().value());
    EXPECT_EQ(shout.set_blocked(true).hr(), MSGR_S_OK);
    EXPECT_EQ(shout.set_blocked(true).hr(), MSGR_S_FALSE);
    EXPECT_TRUE(shout.blocked().value());
    EXPECT_EQ(rt.get_contact(kMe).value().set_blocked(true).hr(), MSGR_E_FAIL);

    msgr::Window control = rt.instant_message("control@loopback").value();
    ASSERT_EQ(msgr::ui::send(control, std::string_view("request pal@loopback")).hr(), MSGR_S_OK);
    ASSERT_EQ(msgr::ui::send(control, std::string_view("rename echo@loopback Echo II")).hr(),
              MSGR_S_OK);
    ASSERT_TRUE(tick_until_deadline(rt, [&] { return !requests.empty() && !names.empty(); }));
    EXPECT_EQ(requests, (std::vector<std::string>{"pal@loopback"}));
    EXPECT_EQ(names, (std::vector<std::string>{"echo@loopback=Echo II"}));
    EXPECT_EQ(rt.get_contact(kEcho).value().friendly_name().value(), "Echo II");
    msgr::Contact pal = rt.get_contact("pal@loopback").value();
    ASSERT_EQ(rt.authorization_requests().value().size(), 1u);
    EXPECT_EQ(rt.authorization_requests().value()[0].signin_name().value(), "pal@loopback");
    EXPECT_EQ(rt.authorize(pal, true).hr(), MSGR_S_OK) << msgr::last_error();
    EXPECT_TRUE(rt.authorization_requests().value().empty());
    EXPECT_EQ(rt.authorize(pal, true).hr(), MSGR_E_FAIL);

    EXPECT_EQ(rt.my_friendly_name().value(), kMe);
    EXPECT_EQ(rt.set_my_friendly_name("Player One").hr(), MSGR_S_OK);
    EXPECT_EQ(rt.set_my_friendly_name("Player One").hr(), MSGR_S_FALSE);
    EXPECT_EQ(rt.set_my_friendly_name(std::string_view("a\0b", 3)).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.my_friendly_name().value(), "Player One");
    ASSERT_TRUE(tick_until_deadline(rt, [&] { return !my_name.empty(); }));
    EXPECT_EQ(my_name, "Player One");
    EXPECT_EQ(removed, (std::vector<std::string>{"shout@loopback"}));
    EXPECT_EQ(blocks, (std::vector<std::pair<std::string, bool>>{{"shout@loopback", true}}));
    EXPECT_TRUE(std::find(added.begin(), added.end(),
                          std::make_pair(MSGR_S_OK, std::string("pal@loopback"))) != added.end());
}

// Rich presence (0.4): Runtime::set_my_activity / my_activity, Contact::activity and their typed
// signals, against the embedded default (echo's own activity, the control contact's "activity").
TEST(CppContactList, ActivitiesWithTheirSignals) {
    msgr::Runtime rt = make_runtime();
    std::vector<std::string> theirs, mine;
    rt.events().on_contact_activity_change.connect(
        [&](const msgr::Contact &c, std::string_view text) {
            theirs.push_back(c.signin_name().value() + "=" + std::string(text));
        });
    rt.events().on_my_activity_change.connect([&](msgr_hresult hr, std::string_view text) {
        EXPECT_EQ(hr, MSGR_S_OK);
        mine.emplace_back(text);
    });
    EXPECT_EQ(rt.set_my_activity("Playing").hr(), MSGR_E_NOT_LOGGED_ON);
    EXPECT_EQ(rt.my_activity().hr(), MSGR_E_NOT_LOGGED_ON);
    sign_in(rt);
    ASSERT_TRUE(tick_until_deadline(rt, [&] { return !theirs.empty(); }));
    EXPECT_NE(std::find(theirs.begin(), theirs.end(), "echo@loopback=Echoing what you say"),
              theirs.end());
    msgr::Contact echo = rt.get_contact(kEcho).value();
    EXPECT_EQ(echo.activity().value(), "Echoing what you say");
    EXPECT_EQ(rt.my_activity().value(), "");

    const std::string match = "In a match \xe2\x80\x94 3/4 players";
    EXPECT_EQ(rt.set_my_activity(match).hr(), MSGR_S_OK) << msgr::last_error();
    EXPECT_EQ(rt.set_my_activity(match).hr(), MSGR_S_FALSE);
    EXPECT_EQ(rt.set_my_activity(std::string_view("a\0b", 3)).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.set_my_activity(std::string(129, 'x')).hr(), MSGR_E_INVALIDARG);
    EXPECT_EQ(rt.my_activity().value(), match);
    EXPECT_EQ(rt.set_my_activity(nullptr).hr(), MSGR_S_OK);
    ASSERT_TRUE(tick_until_deadline(rt, [&] { return mine.size() == 2; }));
    EXPECT_EQ(mine, (std::vector<std::string>{match, ""}));

    msgr::Window control = rt.instant_message("control@loopback").value();
    ASSERT_EQ(msgr::ui::send(control, std::string_view("activity echo@loopback Racing")).hr(),
              MSGR_S_OK);
    ASSERT_TRUE(tick_until_deadline(rt, [&] { return theirs.back() == "echo@loopback=Racing"; }));
    EXPECT_EQ(echo.activity().value(), "Racing");
}

// Releasing a handle more often than it was handed out, or calling through one whose object is
// gone, is refused with a log line and never takes a reference the runtime holds. These are
// real double releases: under AddressSanitizer (scripts/check asan) any use after free or double
// free they caused would end the test.
#include <string>
#include <thread>

#include "c_abi/host.hpp"

namespace msgr::test {
namespace {

constexpr const char *kTwice = "released more times than it was handed out";

TEST(Handles, ASecondReleaseOfAnOpenWindowIsRefusedAndTheWindowLivesOn) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    msgr_window_release(w);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, kTwice), 0u) << "the first release is the host's own";
    msgr_window_release(w);  // the host holds none any more: this one is not its to give
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, kTwice), 1u) << log.all();
    EXPECT_NE(std::string(msgr_last_error()).find(kTwice), std::string::npos);
    // The runtime still has its window: it is open, drawn, answers and takes messages.
    size_t open = 0;
    ASSERT_EQ(msgr_ui_window_count(host.rt, &open), MSGR_S_OK);
    EXPECT_EQ(open, 1u);
    msgr_window *again = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &again), MSGR_S_OK);
    EXPECT_EQ(again, w) << "the same open window";
    ASSERT_EQ(msgr_ui_send(again, "still here", nullptr), MSGR_S_OK);
    host.tick(3);
    const Event *echo = host.last(MSGR_EVENT_MESSAGE_RECEIVED);
    ASSERT_NE(echo, nullptr);
    EXPECT_EQ(echo->text, "still here");
    msgr_window_release(again);
    host.destroy();  // the runtime lets its window go: nothing freed twice
}

TEST(Handles, ACallThroughAReleasedWindowTheRuntimeStillKeepsIsRefused) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    host.tick();             // its IM_WINDOW_CREATED: the event lent the window, this tick only
    msgr_window_release(w);  // the host's last reference; the window stays open
    host.tick();
    int closed = -1;
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_E_INVALIDARG) << "released by the host";
    EXPECT_EQ(closed, 0) << "the out-pointer is cleared";
    EXPECT_EQ(msgr_ui_send(w, "not mine to send", nullptr), MSGR_E_INVALIDARG);
    msgr_window_add_ref(w);  // nor revived by an add_ref
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "the window was released"), 3u) << log.all();
    // The window the runtime keeps is whole, and handed out again with a reference of its own.
    msgr_window *again = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &again), MSGR_S_OK);
    EXPECT_EQ(again, w);
    ASSERT_EQ(msgr_window_is_closed(again, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 0);
    // A window an event lends is usable until the next tick, with no reference of the host's.
    ASSERT_EQ(msgr_ui_send(again, "echo me", nullptr), MSGR_S_OK);
    msgr_window_release(again);
    msgr_window *lent = nullptr;
    for (int i = 0; i < 100 && lent == nullptr; ++i) {
        host.tick();
        const Event *e = host.last(MSGR_EVENT_MESSAGE_RECEIVED);
        if (e != nullptr) lent = e->window;
    }
    ASSERT_NE(lent, nullptr);
    EXPECT_EQ(msgr_window_is_closed(lent, &closed), MSGR_S_OK) << "lent in this tick";
    host.tick();
    EXPECT_EQ(msgr_window_is_closed(lent, &closed), MSGR_E_INVALIDARG) << "due back after it";
    host.destroy();
}

TEST(Handles, ASecondReleaseOfAContactIsRefused) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_get_contact(host.rt, "echo@loopback", nullptr, &c), MSGR_S_OK);
    msgr_contact_release(c);
    msgr_contact_release(c);
    msgr_contact_release(c);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, kTwice), 2u) << log.all();
    // The runtime's contact is whole: the same object, and it answers.
    msgr_contact *same = nullptr;
    ASSERT_EQ(msgr_get_contact(host.rt, "echo@loopback", nullptr, &same), MSGR_S_OK);
    EXPECT_EQ(same, c);
    const char *name = nullptr;
    ASSERT_EQ(msgr_contact_signin_name(same, &name), MSGR_S_OK);
    EXPECT_STREQ(name, "echo@loopback");
    // A window to it still opens (the runtime resolves the contact object it holds).
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = same;
    msgr_window *w = nullptr;
    EXPECT_EQ(msgr_instant_message(host.rt, v, &w), MSGR_S_OK) << msgr_last_error();
    msgr_window_release(w);
    msgr_contact_release(same);
}

TEST(Handles, ACallAfterTheLastReleaseIsRefused) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    host.tick();             // the events that carried the window are over
    msgr_window_release(w);  // the last reference: the closed window is freed
    int closed = -1;
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_E_INVALIDARG);
    EXPECT_EQ(closed, 0);
    EXPECT_EQ(msgr_window_show(w), MSGR_E_INVALIDARG);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "is not a live window handle"), 2u) << log.all();
    msgr_window_add_ref(w);  // refused too: nothing to add a reference to
    msgr_window_release(w);  // and a release of it
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "msgr_window_add_ref"), 1u) << log.all();
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "msgr_window_release"), 1u) << log.all();
    // As vContact, a released contact is an invalid argument, refused before it is read.
    msgr_contact *c = nullptr;
    {
        Host other;
        other.signin();
        ASSERT_EQ(msgr_get_contact(other.rt, "bob@loopback", nullptr, &c), MSGR_S_OK);
        other.destroy();
        msgr_contact_release(c);  // freed
    }
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c;
    msgr_window *none = nullptr;
    EXPECT_EQ(msgr_instant_message(host.rt, v, &none), MSGR_E_INVALIDARG);
    EXPECT_EQ(none, nullptr);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "vContact: the contact is not a live contact handle"),
              1u)
        << log.all();
}

TEST(Handles, AHandleOfTheOtherKindIsRefused) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_get_contact(host.rt, "echo@loopback", nullptr, &c), MSGR_S_OK);
    auto *as_window = reinterpret_cast<msgr_window *>(c);
    int closed = -1;
    EXPECT_EQ(msgr_window_is_closed(as_window, &closed), MSGR_E_INVALIDARG);
    msgr_window_release(as_window);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "is not a live window handle"), 2u) << log.all();
    const char *name = nullptr;
    ASSERT_EQ(msgr_contact_signin_name(c, &name), MSGR_S_OK) << "the contact is untouched";
    msgr_contact_release(c);
}

// msgr.h: "A handle outlives what it stands for ... It is freed only at its last release."
TEST(Handles, ReleasedAfterTheRuntimeIsDestroyed) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_window *w = nullptr;
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    ASSERT_EQ(msgr_window_contact(w, &c), MSGR_S_OK);
    msgr_window_add_ref(w);  // two references on the window
    host.destroy();
    int closed = -1;
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_contact_is_self(c, &closed), MSGR_RPC_E_DISCONNECTED);
    msgr_window_release(w);
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_RPC_E_DISCONNECTED) << "one reference left";
    msgr_window_release(w);  // the last: freed
    msgr_contact_release(c);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, kTwice), 0u) << log.all();
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "not a live"), 0u) << log.all();
    msgr_window_release(w);  // once too often, with nobody left to hold it
    msgr_contact_release(c);
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "msgr_window_release: the window is not a live"), 1u)
        << log.all();
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, "msgr_contact_release: the contact is not a live"), 1u)
        << log.all();
}

// msgr.h: "msgr_*_release and msgr_*_add_ref may be called from any thread."
TEST(Handles, ReleasesFromAnotherThreadAreCountedAsTheHostsToo) {
    LogCapture log;
    Host host;
    host.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    for (int i = 0; i < 100; ++i)
        msgr_window_add_ref(w);
    std::thread a([w] {
        for (int i = 0; i < 50; ++i)
            msgr_window_release(w);
    });
    std::thread b([w] {
        for (int i = 0; i < 52; ++i)  // together one more than the host's 101
            msgr_window_release(w);
    });
    a.join();
    b.join();
    EXPECT_EQ(log.count_at(MSGR_LOG_ERROR, kTwice), 1u) << log.all();
    size_t open = 0;
    ASSERT_EQ(msgr_ui_window_count(host.rt, &open), MSGR_S_OK);
    EXPECT_EQ(open, 1u) << "the runtime's window is still there";
}

}  // namespace
}  // namespace msgr::test

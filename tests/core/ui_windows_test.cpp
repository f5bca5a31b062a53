// The drawing layer's window surface (ui.h: msgr_ui_window_*): z-order, the serials that tell
// the overlay what to apply, and the user's geometry written back.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/session.hpp"

using namespace msgr::test;

namespace {

class UiWindows : public Session {
  protected:
    msgr_ui_window_info at(std::size_t z) {
        msgr_ui_window_info info{};
        info.struct_size = sizeof info;
        EXPECT_EQ(msgr_ui_window_get(rt, z, &info), MSGR_S_OK) << msgr_last_error();
        return info;
    }
    std::size_t window_count() {
        std::size_t n = 99;
        EXPECT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
        return n;
    }
};

}  // namespace

TEST_F(UiWindows, NoWindowsBeforeAnyOpens) {
    create();
    EXPECT_EQ(window_count(), 0u);
    msgr_ui_window_info info{};
    info.struct_size = sizeof info;
    EXPECT_EQ(msgr_ui_window_get(rt, 0, &info), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_ui_window_count(rt, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    EXPECT_EQ(msgr_ui_window_get(rt, 0, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    EXPECT_EQ(msgr_ui_window_count(nullptr, nullptr), MSGR_E_INVALIDARG);
}

TEST_F(UiWindows, WindowsAreListedBackToFrontAndShowBringsToFront) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow a, b;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("someone@loopback"), b.out()), MSGR_S_OK);
    ASSERT_EQ(window_count(), 2u);
    EXPECT_EQ(at(0).window, a.get());
    EXPECT_EQ(at(1).window, b.get());  // the newest is in front
    EXPECT_EQ(at(1).kind, MSGR_WINDOW_CONVERSATION);
    HeldContact c;
    ASSERT_EQ(msgr_window_contact(b, c.out()), MSGR_S_OK);
    EXPECT_EQ(at(1).contact, c.get());

    const std::uint64_t serial = at(0).focus_serial;
    ASSERT_EQ(msgr_window_show(a), MSGR_S_OK);
    EXPECT_EQ(at(1).window, a.get());
    EXPECT_GT(at(1).focus_serial, serial);

    // The user clicking b brings it to the front without a focus request.
    const std::uint64_t b_serial = at(0).focus_serial;
    ASSERT_EQ(msgr_ui_window_activated(b), MSGR_S_OK);
    EXPECT_EQ(at(1).window, b.get());
    EXPECT_EQ(at(1).focus_serial, b_serial);

    ASSERT_EQ(msgr_window_close(b), MSGR_S_OK);
    ASSERT_EQ(window_count(), 1u);
    EXPECT_EQ(at(0).window, a.get());
    EXPECT_EQ(msgr_ui_window_activated(b), MSGR_E_FAIL);  // closed

    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    EXPECT_EQ(window_count(), 0u);
}

TEST_F(UiWindows, ShowWithoutFocusDoesNotReorder) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow a, b;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("someone@loopback"), b.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_set_focus_allowed(rt, 0), MSGR_S_OK);
    const std::uint64_t serial = at(0).focus_serial;
    EXPECT_EQ(msgr_window_show(a), MSGR_S_FALSE);
    EXPECT_EQ(at(0).window, a.get());
    EXPECT_EQ(at(0).focus_serial, serial);
}

TEST_F(UiWindows, AutomationGeometryRaisesTheSerialAndTheUsersDoesNot) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    const std::uint64_t g0 = at(0).geometry_serial;
    ASSERT_EQ(msgr_window_set_left(w, 300), MSGR_S_OK);
    ASSERT_EQ(msgr_window_set_height(w, 200), MSGR_S_OK);
    EXPECT_EQ(at(0).geometry_serial, g0 + 2);
    EXPECT_EQ(at(0).left, 300);
    EXPECT_EQ(at(0).height, 200);
    EXPECT_EQ(msgr_window_set_width(w, 0), MSGR_E_INVALIDARG);
    EXPECT_EQ(at(0).geometry_serial, g0 + 2);

    ASSERT_EQ(msgr_ui_window_moved(w, 10, 20, 330, 440), MSGR_S_OK);
    EXPECT_EQ(at(0).geometry_serial, g0 + 2);
    std::int32_t v = 0;
    ASSERT_EQ(msgr_window_get_left(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 10);
    ASSERT_EQ(msgr_window_get_top(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 20);
    ASSERT_EQ(msgr_window_get_width(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 330);
    ASSERT_EQ(msgr_window_get_height(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 440);
    EXPECT_EQ(msgr_ui_window_moved(w, 0, 0, 0, 10), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_ui_window_moved(w, 0, 0, 10, -1), MSGR_E_INVALIDARG);
    ASSERT_EQ(msgr_window_get_width(w, &v), MSGR_S_OK);
    EXPECT_EQ(v, 330);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_window_moved(w, 0, 0, 10, 10), MSGR_E_FAIL);
    EXPECT_EQ(msgr_ui_window_moved(nullptr, 0, 0, 10, 10), MSGR_E_INVALIDARG);
}

TEST_F(UiWindows, DraftAndHistorySerialsFollowChanges) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    const msgr_ui_window_info i0 = at(0);
    EXPECT_EQ(i0.history_count, 0u);
    ASSERT_EQ(msgr_window_set_draft(w, "hi"), MSGR_S_OK);
    EXPECT_EQ(at(0).draft_serial, i0.draft_serial + 1);
    EXPECT_EQ(at(0).history_serial, i0.history_serial);

    ASSERT_EQ(msgr_ui_send(w, "hello", nullptr), MSGR_S_OK);
    const msgr_ui_window_info i1 = at(0);
    EXPECT_EQ(i1.draft_serial, i0.draft_serial + 2);  // sending cleared the draft
    EXPECT_GT(i1.history_serial, i0.history_serial);
    EXPECT_EQ(i1.history_count, 1u);

    tick();  // delivery (the entry changes) and the echo's answer (a new entry)
    const msgr_ui_window_info i2 = at(0);
    EXPECT_EQ(i2.history_count, 2u);
    EXPECT_GE(i2.history_serial, i1.history_serial + 2);
    tick();  // nothing happens: nothing changes
    EXPECT_EQ(at(0).history_serial, i2.history_serial);
}

TEST_F(UiWindows, ASmallStructIsRefusedAndAnOldOneIsFilledOnlyAsFarAsItGoes) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    msgr_ui_window_info info{};
    info.struct_size = 8;
    EXPECT_EQ(msgr_ui_window_get(rt, 0, &info), MSGR_E_INVALIDARG);
    // A caller whose struct is larger (a newer header) gets the fields this runtime knows.
    struct Larger {
        msgr_ui_window_info info;
        std::uint64_t future;
    } larger{};
    larger.info.struct_size = sizeof larger;
    larger.future = 0x1234;
    ASSERT_EQ(msgr_ui_window_get(rt, 0, &larger.info), MSGR_S_OK);
    EXPECT_EQ(larger.info.window, w.get());
    EXPECT_EQ(larger.future, 0x1234u);
}

TEST_F(UiWindows, OtherThreadsAreRefused) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    msgr_hresult count_hr = 0, get_hr = 0, moved_hr = 0, activated_hr = 0;
    std::thread([&] {
        std::size_t n = 0;
        msgr_ui_window_info info{};
        info.struct_size = sizeof info;
        count_hr = msgr_ui_window_count(rt, &n);
        get_hr = msgr_ui_window_get(rt, 0, &info);
        moved_hr = msgr_ui_window_moved(w, 1, 1, 10, 10);
        activated_hr = msgr_ui_window_activated(w);
    }).join();
    EXPECT_EQ(count_hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_EQ(get_hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_EQ(moved_hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_EQ(activated_hr, MSGR_RPC_E_WRONG_THREAD);
}

TEST_F(UiWindows, AMessageFromAContactWithNoWindowOpensOneInFront) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    EXPECT_EQ(loopback_control("say stranger@loopback hi"), "ok");
    tick();
    ASSERT_EQ(window_count(), 2u);
    EXPECT_NE(at(1).window, w.get());
    EXPECT_EQ(at(1).history_count, 1u);
}

// New windows cascade so that every title stays in sight: no two open windows share a spot (a
// window's title bar is about 20 px tall, a step is 28), also past the 8 of one cascade, and a
// closed window's spot is the next one used.
TEST_F(UiWindows, TheCascadeNeverPutsANewWindowOnAnOpenOnesTitle) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    std::vector<HeldWindow> ws(12);
    for (std::size_t i = 0; i < ws.size(); ++i) {
        const std::string name = "friend" + std::to_string(i) + "@loopback";
        ASSERT_EQ(msgr_instant_message(rt, by_name(name.c_str()), ws[i].out()), MSGR_S_OK);
    }
    auto spot = [](msgr_window *w) {
        std::int32_t left = 0, top = 0;
        EXPECT_EQ(msgr_window_get_left(w, &left), MSGR_S_OK);
        EXPECT_EQ(msgr_window_get_top(w, &top), MSGR_S_OK);
        return std::pair<std::int32_t, std::int32_t>(left, top);
    };
    for (std::size_t i = 0; i < ws.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const auto a = spot(ws[i]), b = spot(ws[j]);
            // Over another's title bar: less than a step below it and less than 150 px (about
            // a title's words) to the right.
            const bool over_title = a.second >= b.second && a.second - b.second < 28 &&
                                    a.first >= b.first && a.first - b.first < 150;
            EXPECT_FALSE(over_title) << "window " << i << " at " << a.first << "," << a.second
                                     << " lies on the title of window " << j;
        }
    }
    const auto third = spot(ws[2]);
    ASSERT_EQ(msgr_window_close(ws[2]), MSGR_S_OK);
    HeldWindow next;
    ASSERT_EQ(msgr_instant_message(rt, by_name("newcomer@loopback"), next.out()), MSGR_S_OK);
    EXPECT_EQ(spot(next), third) << "the closed window's spot is used again";
}

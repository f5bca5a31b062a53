// The UI functions (ui.h: msgr_ui_*) are the user's: add-in code running in the host's process
// (any call the add-in host guards: a service's send_message, a paging provider's submit, an
// event slot) is refused with MSGR_E_ACCESSDENIED, while the host calling them -- from its own
// code or from its event subscribers -- is not.
#include <gtest/gtest.h>

#include <string>

#include "addins/context.hpp"
#include "support/session.hpp"

using namespace msgr::test;

namespace {

bool last_error_says(const std::string &text) {
    return std::string(msgr_last_error()).find(text) != std::string::npos;
}

class AddinCode : public Session {};

}  // namespace

TEST_F(AddinCode, EveryUiFunctionRefusesCodeTheAddinHostGuards) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("someone@loopback"), w.out()), MSGR_S_OK);
    std::size_t before = 0;
    ASSERT_EQ(msgr_window_history_count(w, &before), MSGR_S_OK);

    std::string threw;
    std::size_t index = 99;
    // guard() is what runs every call into an in-process add-in.
    EXPECT_EQ(
        msgr::core::guard([&] { return msgr_ui_send(w, "not from the user", &index); }, threw),
        MSGR_E_ACCESSDENIED);
    EXPECT_TRUE(last_error_says("msgr_ui_send called from add-in code: only the user sends"))
        << msgr_last_error();
    EXPECT_EQ(index, 0u) << "out parameters are cleared on failure, as everywhere";
    EXPECT_EQ(threw, "");
    std::size_t after = 0;
    ASSERT_EQ(msgr_window_history_count(w, &after), MSGR_S_OK);
    EXPECT_EQ(after, before) << "nothing was sent";

    const auto refused = [&](const char *fn, auto &&call) {
        std::string t;
        EXPECT_EQ(msgr::core::guard(call, t), MSGR_E_ACCESSDENIED) << fn;
        EXPECT_TRUE(last_error_says(std::string(fn) + " called from add-in code"))
            << fn << ": " << msgr_last_error();
    };
    std::size_t n = 0;
    msgr_ui_window_info info{};
    info.struct_size = sizeof info;
    refused("msgr_ui_window_count", [&] { return msgr_ui_window_count(rt, &n); });
    refused("msgr_ui_window_get", [&] { return msgr_ui_window_get(rt, 0, &info); });
    refused("msgr_ui_window_moved", [&] { return msgr_ui_window_moved(w, 1, 2, 30, 40); });
    refused("msgr_ui_window_activated", [&] { return msgr_ui_window_activated(w); });
    refused("msgr_ui_max_page_length", [&] { return msgr_ui_max_page_length(rt, &n); });
    EXPECT_EQ(info.window, nullptr) << "the struct is cleared on failure";

    // Nested guarded calls (a submit handing a page to a service) stay marked until the outer
    // one returns.
    std::string t;
    EXPECT_EQ(msgr::core::guard(
                  [&] {
                      std::string inner;
                      (void)msgr::core::guard([] { return MSGR_S_OK; }, inner);
                      return msgr_ui_window_count(rt, &n);
                  },
                  t),
              MSGR_E_ACCESSDENIED);

    // The host itself, outside add-in code: accepted.
    EXPECT_FALSE(msgr::core::addin_code_running());
    EXPECT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(msgr_ui_send(w, "from the user", &index), MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(msgr_window_history_count(w, &after), MSGR_S_OK);
    EXPECT_EQ(after, before + 1);
}

// A guarded call that throws still lifts the mark.
TEST_F(AddinCode, TheMarkIsLiftedWhenTheAddinThrows) {
    create();
    std::string threw;
    EXPECT_EQ(msgr::core::guard([]() -> msgr_hresult { throw std::runtime_error("boom"); }, threw),
              MSGR_E_UNEXPECTED);
    EXPECT_EQ(threw, "threw an exception: boom");
    EXPECT_FALSE(msgr::core::addin_code_running());
    std::size_t n = 99;
    EXPECT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
}

// The host's event subscribers run in the tick beside the add-ins' event slots (the loopback
// add-in's service reports run through the same dispatch), and are the host's code: not refused.
TEST_F(AddinCode, AHostEventSubscriberIsNotRefused) {
    create();
    struct Seen {
        msgr_runtime *rt = nullptr;
        int calls = 0;
        msgr_hresult hr = MSGR_E_FAIL;
    } seen;
    seen.rt = rt;
    msgr_subscription id = 0;
    ASSERT_EQ(msgr_subscribe(
                  rt, MSGR_EVENT_SIGNIN,
                  [](const msgr_event *, void *user) {
                      auto *s = static_cast<Seen *>(user);
                      std::size_t n = 0;
                      ++s->calls;
                      s->hr = msgr_ui_window_count(s->rt, &n);
                  },
                  &seen, &id),
              MSGR_S_OK);
    ASSERT_EQ(signin(), MSGR_S_OK);
    EXPECT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.hr, MSGR_S_OK) << msgr_last_error();
}

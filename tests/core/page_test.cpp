// IMessenger::Page, walked row by row and sentence by sentence
// (../shared/reference/imessenger-page.md). The paging add-in is stood in for by TestPager.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/session.hpp"
#include "support/test_pager.hpp"

using namespace msgr::test;

namespace {

class Page : public Session {
  protected:
    void SetUp() override { start(nullptr); }

    // A runtime with the test pager installed, signed in as player@loopback.
    void start(const char *config, std::vector<std::string> pager_directory = {}) {
        create(config);
        log = std::make_shared<PagerLog>();
        core().set_paging_provider(
            std::make_unique<TestPager>(core().inbox(), log, std::move(pager_directory)));
        ASSERT_EQ(signin(), MSGR_S_OK);
    }

    std::shared_ptr<PagerLog> log;
};

}  // namespace

// ---- Return value table -------------------------------------------------------------------------

TEST_F(Page, SOkOpensAPageWindowToAMobileContact) {
    HeldWindow w;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_S_OK);
    ASSERT_NE(w.get(), nullptr);
    msgr_window_kind kind{};
    ASSERT_EQ(msgr_window_kind_of(w, &kind), MSGR_S_OK);
    EXPECT_EQ(kind, MSGR_WINDOW_PAGE);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
    // Paging again finds the same window.
    HeldWindow again;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), again.out()), MSGR_S_OK);
    EXPECT_EQ(again.get(), w.get());
}

TEST_F(Page, NoMobileServicesIsPagingUnavailable) {
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_name("echo@loopback"), w.out()), MSGR_E_PAGING_UNAVAILABLE);
    EXPECT_EQ(w.get(), nullptr);
    HeldContact echo;
    ASSERT_EQ(msgr_get_contact(rt, "echo@loopback", nullptr, echo.out()), MSGR_S_OK);
    int can = 1;
    ASSERT_EQ(msgr_contact_can_page(echo, &can), MSGR_S_OK);
    EXPECT_EQ(can, 0);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
}

TEST_F(Page, ThePagingProvidersOwnDirectoryEnablesAContact) {
    start(nullptr, {"echo@loopback"});
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
}

TEST_F(Page, NullOutPointerIsRpcXNullRefPointer) {
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    EXPECT_EQ(msgr_page(rt, by_name(" bad"), nullptr), MSGR_RPC_X_NULL_REF_POINTER);
}

TEST_F(Page, InvalidContactsAreEInvalidArg) {
    for (const auto &[what, v] : invalid_contacts()) {
        msgr_window *w = reinterpret_cast<msgr_window *>(0x1);  // must be reset to NULL
        EXPECT_EQ(msgr_page(rt, v, &w), MSGR_E_INVALIDARG) << what;
        EXPECT_EQ(w, nullptr) << what;
    }
    EXPECT_TRUE(log->pages.empty());
}

TEST_F(Page, NotSignedInIsNotLoggedOn) {
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_E_NOT_LOGGED_ON);
}

TEST_F(Page, CouldNotCreateTheWindowIsEFail) {
    TempConfig cfg("[runtime]\nmax_windows = 1\n");
    start(cfg.path());
    HeldWindow conversation, page;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), conversation.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), page.out()), MSGR_E_FAIL);
    EXPECT_NE(std::string(msgr_last_error()).find("max_windows"), std::string::npos);
}

TEST_F(Page, TheSignInDialogVisibleIsEFail) {
    ASSERT_EQ(msgr_set_signin_dialog_visible(rt, 1), MSGR_S_OK);
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_E_FAIL);
    ASSERT_EQ(msgr_set_signin_dialog_visible(rt, 0), MSGR_S_OK);
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_S_OK);
}

TEST_F(Page, TheLocalUserIsEFail) {
    TempConfig cfg(R"(
[[loopback.contacts]]
signin = "player@loopback"
mobile = true
)");
    start(cfg.path());
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_name("player@loopback"), w.out()), MSGR_E_FAIL);
    HeldContact me;
    ASSERT_EQ(msgr_get_contact(rt, "PLAYER@loopback", nullptr, me.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_page(rt, by_contact(me), w.out()), MSGR_E_FAIL);
}

// ---- Remarks ------------------------------------------------------------------------------------

TEST_F(Page, AServiceThatCannotPageFails) {
    // "The Microsoft Exchange Instant Messaging Service (IM) service cannot support this method.
    //  Calling this method on an Exchange service contact will fail."
    TempConfig cfg(R"(
[[loopback.services]]
id = "exchange"
paging = false

[[loopback.contacts]]
signin = "boss@corp"
service = "exchange"
mobile = true
)");
    start(cfg.path());
    HeldContact boss;
    ASSERT_EQ(msgr_get_contact(rt, "boss@corp", "exchange", boss.out()), MSGR_S_OK);
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_contact(boss), w.out()), MSGR_E_FAIL);
    EXPECT_EQ(w.get(), nullptr);
    int can = 1;
    ASSERT_EQ(msgr_contact_can_page(boss, &can), MSGR_S_OK);
    EXPECT_EQ(can, 0);
}

TEST_F(Page, WithoutAPagingAddInItIsNotImplemented) {
    // "To use this method with Windows Messenger, you must install an add-in component that
    //  supports paging."
    core().set_paging_provider(nullptr);
    HeldWindow w;
    EXPECT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_E_NOTIMPL);
    HeldContact mobile;
    ASSERT_EQ(msgr_get_contact(rt, "mobile@loopback", nullptr, mobile.out()), MSGR_S_OK);
    int can = 1;
    ASSERT_EQ(msgr_contact_can_page(mobile, &can), MSGR_S_OK);
    EXPECT_EQ(can, 0);
}

TEST_F(Page, ScriptingLanguagesGetNotImplemented) {
    // "This method is available for scripting languages but it returns E_NOTIMPL."
    HeldWindow w;
    EXPECT_EQ(msgr_script_invoke(rt, "Page", by_name("mobile@loopback"), w.out()), MSGR_E_NOTIMPL);
    EXPECT_EQ(w.get(), nullptr);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
}

TEST_F(Page, TheWindowHandleIsReleasedByTheCaller) {
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), &w), MSGR_S_OK);
    msgr_window_add_ref(w);
    msgr_window_release(w);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    int closed = 0;
    ASSERT_EQ(msgr_window_is_closed(w, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 1);
    msgr_window_release(w);  // the last reference: freed here (LeakSanitizer checks it in CI)
}

// ---- Sending the page ---------------------------------------------------------------------------

TEST_F(Page, TheUsersSendDeliversThroughThePagingProvider) {
    HeldWindow w;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_S_OK);
    std::size_t index = 99;
    ASSERT_EQ(msgr_ui_send(w, "call me", &index), MSGR_S_OK);
    ASSERT_EQ(log->pages.size(), 1u);
    EXPECT_EQ(log->pages[0].text, "call me");
    EXPECT_EQ(log->pages[0].to, "mobile@loopback");
    EXPECT_EQ(log->pages[0].from, "player@loopback");
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_PENDING);
    EXPECT_EQ(m.flags, MSGR_MESSAGE_PAGE);  // what a page window holds is pages
    tick();
    ASSERT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
    ASSERT_NE(last(MSGR_EVENT_DELIVERY_CHANGE), nullptr);
    EXPECT_EQ(last(MSGR_EVENT_DELIVERY_CHANGE)->window, w.get());
}

TEST_F(Page, AFailedDeliveryIsShownInTheWindow) {
    log->answer = MSGR_E_CONNECT;
    HeldWindow w;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_ui_send(w, "are you there?", nullptr), MSGR_S_OK);
    tick();
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, 0, &m), MSGR_S_OK);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_CONNECT);
    EXPECT_EQ(last(MSGR_EVENT_DELIVERY_CHANGE)->hr, MSGR_E_CONNECT);
}

TEST_F(Page, APageLongerThanTheProvidersLimitIsRefused) {
    HeldWindow w;
    ASSERT_EQ(msgr_page(rt, by_name("mobile@loopback"), w.out()), MSGR_S_OK);
    std::size_t max = 0;
    ASSERT_EQ(msgr_ui_max_page_length(rt, &max), MSGR_S_OK);
    ASSERT_EQ(max, 160u);
    // 160 astral characters are 320 UTF-16 units: too long, though only 160 code points.
    std::string astral;
    for (int i = 0; i < 160; ++i)
        astral += "\xF0\x9F\x93\x9F";
    EXPECT_EQ(msgr_ui_send(w, astral.c_str(), nullptr), MSGR_E_MESSAGE_TOO_LONG);
    EXPECT_EQ(msgr_ui_send(w, std::string(161, 'x').c_str(), nullptr), MSGR_E_MESSAGE_TOO_LONG);
    EXPECT_TRUE(log->pages.empty());
    EXPECT_EQ(msgr_ui_send(w, std::string(160, 'x').c_str(), nullptr), MSGR_S_OK);
    EXPECT_EQ(log->pages.size(), 1u);
}

TEST_F(Page, ACallFromAnotherThreadIsRefused) {
    msgr_hresult hr = MSGR_S_OK;
    msgr_window *w = nullptr;
    std::thread([&] { hr = msgr_page(rt, by_name("mobile@loopback"), &w); }).join();
    EXPECT_EQ(hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_TRUE(log->pages.empty());
}

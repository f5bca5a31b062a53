// IMessenger::InstantMessage, walked row by row and sentence by sentence
// (../shared/reference/imessenger-instantmessage.md).
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/session.hpp"

using namespace msgr::test;

namespace {

// A secondary service beside the primary loopback service.
constexpr const char *kSecondaryService = R"(
[[loopback.services]]
id = "exchange"
paging = false
)";

class InstantMessage : public Session {
  protected:
    void SetUp() override { ASSERT_EQ(signin("player@loopback"), MSGR_S_OK); }
};

}  // namespace

// ---- Return value table -------------------------------------------------------------------------

TEST_F(InstantMessage, SOkOpensAConversationWindow) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    ASSERT_NE(w.get(), nullptr);
    msgr_window_kind kind{};
    ASSERT_EQ(msgr_window_kind_of(w, &kind), MSGR_S_OK);
    EXPECT_EQ(kind, MSGR_WINDOW_CONVERSATION);
    int closed = -1;
    ASSERT_EQ(msgr_window_is_closed(w, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 0);
    HeldContact c;
    ASSERT_EQ(msgr_window_contact(w, c.out()), MSGR_S_OK);
    const char *name = nullptr;
    ASSERT_EQ(msgr_contact_signin_name(c, &name), MSGR_S_OK);
    EXPECT_STREQ(name, "echo@loopback");
    tick();
    ASSERT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
    EXPECT_EQ(last(MSGR_EVENT_IM_WINDOW_CREATED)->window, w.get());
}

TEST_F(InstantMessage, NullOutPointerIsRpcXNullRefPointer) {
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), nullptr),
              MSGR_RPC_X_NULL_REF_POINTER);
    // It is the first check: it wins over an invalid vContact.
    EXPECT_EQ(msgr_instant_message(rt, by_name(" bad"), nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
}

TEST_F(InstantMessage, InvalidContactsAreEInvalidArg) {
    for (const auto &[what, v] : invalid_contacts()) {
        msgr_window *w = reinterpret_cast<msgr_window *>(0x1);  // must be reset to NULL
        EXPECT_EQ(msgr_instant_message(rt, v, &w), MSGR_E_INVALIDARG) << what;
        EXPECT_EQ(w, nullptr) << what;
        EXPECT_STRNE(msgr_last_error(), "") << what;
    }
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
}

TEST_F(InstantMessage, LengthLimitCountsUtf16UnitsAsABstrDoes) {
    HeldWindow w;
    const std::string ascii129(129, 'a');
    EXPECT_EQ(msgr_instant_message(rt, by_name(ascii129.c_str()), w.out()), MSGR_S_OK);
    // 129 two-byte characters: 258 bytes, but 129 UTF-16 units, so accepted.
    std::string e_acute;
    for (int i = 0; i < 129; ++i)
        e_acute += "\xC3\xA9";
    EXPECT_EQ(msgr_instant_message(rt, by_name(e_acute.c_str()), w.out()), MSGR_S_OK);
    // 64 astral characters (128 units) plus one ASCII: exactly 129 units.
    std::string astral;
    for (int i = 0; i < 64; ++i)
        astral += "\xF0\x9F\x98\x80";
    astral += "x";
    EXPECT_EQ(msgr_instant_message(rt, by_name(astral.c_str()), w.out()), MSGR_S_OK);
    astral += "y";
    EXPECT_EQ(msgr_instant_message(rt, by_name(astral.c_str()), w.out()), MSGR_E_INVALIDARG);
}

TEST_F(InstantMessage, TheLocalUserIsEFail) {
    HeldWindow w;
    EXPECT_EQ(msgr_instant_message(rt, by_name("player@loopback"), w.out()), MSGR_E_FAIL);
    EXPECT_EQ(msgr_instant_message(rt, by_name("Player@LOOPBACK"), w.out()), MSGR_E_FAIL);
    HeldContact me;
    ASSERT_EQ(msgr_get_contact(rt, "player@loopback", nullptr, me.out()), MSGR_S_OK);
    int self = 0;
    ASSERT_EQ(msgr_contact_is_self(me, &self), MSGR_S_OK);
    EXPECT_EQ(self, 1);
    EXPECT_EQ(msgr_instant_message(rt, by_contact(me), w.out()), MSGR_E_FAIL);
    EXPECT_EQ(w.get(), nullptr);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
}

TEST_F(InstantMessage, SFalseWhenFocusCannotBeGiven) {
    ASSERT_EQ(msgr_set_focus_allowed(rt, 0), MSGR_S_OK);
    HeldWindow w;
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_FALSE);
    ASSERT_NE(w.get(), nullptr);  // the window is still shown
    int closed = -1;
    ASSERT_EQ(msgr_window_is_closed(w, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 0);
    EXPECT_EQ(msgr_window_show(w), MSGR_S_FALSE);
    HeldWindow again;
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_FALSE);
    EXPECT_EQ(again.get(), w.get());
    ASSERT_EQ(msgr_set_focus_allowed(rt, 1), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_window_show(w), MSGR_S_OK);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
}

TEST_F(InstantMessage, NotSignedInIsNotLoggedOn) {
    HeldWindow w;
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_E_NOT_LOGGED_ON);
    // While a sign-in is still in progress the client is not signed in either.
    ASSERT_EQ(msgr_signin(rt, "player@loopback", ""), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_E_NOT_LOGGED_ON);
    tick();
    EXPECT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
}

TEST_F(InstantMessage, ArgumentsAreCheckedBeforeSignInState) {
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    HeldWindow w;
    EXPECT_EQ(msgr_instant_message(rt, by_name(" bob"), w.out()), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_instant_message(rt, by_name("bob@loopback"), nullptr),
              MSGR_RPC_X_NULL_REF_POINTER);
}

// ---- Remarks ------------------------------------------------------------------------------------

TEST_F(InstantMessage, AnOpenWindowToTheSameContactIsReturnedAgain) {
    HeldWindow first, second, third, fourth;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), first.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), second.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("ECHO@loopback"), third.out()), MSGR_S_OK);
    HeldContact echo;
    ASSERT_EQ(msgr_get_contact(rt, "echo@loopback", nullptr, echo.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_contact(echo), fourth.out()), MSGR_S_OK);
    EXPECT_EQ(first.get(), second.get());
    EXPECT_EQ(first.get(), third.get());
    EXPECT_EQ(first.get(), fourth.get());
    EXPECT_EQ(core().open_windows().size(), 1u);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
}

TEST_F(InstantMessage, ReleasingTheHandleDoesNotCloseTheUsersWindow) {
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), &w), MSGR_S_OK);
    msgr_window_release(w);
    // The window stays on screen for the user; asking again finds it, with no new window.
    HeldWindow again;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), again.out()), MSGR_S_OK);
    EXPECT_EQ(again.get(), w);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 1);
}

TEST_F(InstantMessage, DifferentContactsGetDifferentWindows) {
    HeldWindow a, b;
    ASSERT_EQ(msgr_instant_message(rt, by_name("alice@loopback"), a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("bob@loopback"), b.out()), MSGR_S_OK);
    EXPECT_NE(a.get(), b.get());
    int closed = 1;
    ASSERT_EQ(msgr_window_is_closed(a, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 0);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 2);
}

TEST_F(InstantMessage, WindowsAreNotModalOtherClientUiMayBeOpen) {
    // The sign-in dialog (client control UI) being visible does not stop a conversation.
    ASSERT_EQ(msgr_set_signin_dialog_visible(rt, 1), MSGR_S_OK);
    HeldWindow a, b;
    EXPECT_EQ(msgr_instant_message(rt, by_name("alice@loopback"), a.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("bob@loopback"), b.out()), MSGR_S_OK);
    EXPECT_EQ(core().open_windows().size(), 2u);
}

TEST_F(InstantMessage, SigningOutClosesEveryWindow) {
    HeldWindow a, b;
    ASSERT_EQ(msgr_instant_message(rt, by_name("alice@loopback"), a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("bob@loopback"), b.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    tick();
    for (msgr_window *w : {a.get(), b.get()}) {
        int closed = 0;
        ASSERT_EQ(msgr_window_is_closed(w, &closed), MSGR_S_OK);
        EXPECT_EQ(closed, 1);
    }
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_DESTROYED), 2);
    EXPECT_EQ(count(MSGR_EVENT_SIGNOUT), 1);
    EXPECT_EQ(last(MSGR_EVENT_SIGNOUT)->hr, MSGR_S_OK);
}

TEST_F(InstantMessage, GoingOfflineDereferencesWindows) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    EXPECT_EQ(loopback_control("drop"), "ok: offline");
    tick();
    int closed = 0;
    std::int32_t left = 0;
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_window_show(w), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_window_close(w), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_window_get_left(w, &left), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_window_set_left(w, 10), MSGR_RPC_E_DISCONNECTED);
    EXPECT_EQ(msgr_ui_send(w, "hi", nullptr), MSGR_RPC_E_DISCONNECTED);
    ASSERT_NE(last(MSGR_EVENT_SIGNOUT), nullptr);
    EXPECT_EQ(last(MSGR_EVENT_SIGNOUT)->hr, MSGR_E_DISCONNECTED);
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_DESTROYED), 0);  // dereferenced, not closed
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    // "should be released": releasing a dereferenced handle is the one thing left to do.
}

TEST_F(InstantMessage, AStringCreatesAContactOnThePrimaryService) {
    TempConfig cfg(kSecondaryService);
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("carol@corp"), w.out()), MSGR_S_OK);
    HeldContact c;
    ASSERT_EQ(msgr_window_contact(w, c.out()), MSGR_S_OK);
    const char *service = nullptr;
    ASSERT_EQ(msgr_contact_service_id(c, &service), MSGR_S_OK);
    EXPECT_STREQ(service, "loopback");
}

TEST_F(InstantMessage, AnExistingContactIsUsedAsItIsOnItsOwnService) {
    TempConfig cfg(kSecondaryService);
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldContact secondary;
    ASSERT_EQ(msgr_get_contact(rt, "carol@corp", "exchange", secondary.out()), MSGR_S_OK);
    HeldWindow w, primary_w;
    ASSERT_EQ(msgr_instant_message(rt, by_contact(secondary), w.out()), MSGR_S_OK);
    HeldContact c;
    ASSERT_EQ(msgr_window_contact(w, c.out()), MSGR_S_OK);
    EXPECT_EQ(c.get(), secondary.get());
    const char *service = nullptr;
    ASSERT_EQ(msgr_contact_service_id(c, &service), MSGR_S_OK);
    EXPECT_STREQ(service, "exchange");
    // The same name on the primary service is another contact, with another window.
    ASSERT_EQ(msgr_instant_message(rt, by_name("carol@corp"), primary_w.out()), MSGR_S_OK);
    EXPECT_NE(primary_w.get(), w.get());
}

TEST_F(InstantMessage, OnlyTheUserSends) {
    HeldWindow w;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
    // Automation may prefill a draft ...
    ASSERT_EQ(msgr_window_set_draft(w, "hello from a script"), MSGR_S_OK);
    const char *draft = nullptr;
    ASSERT_EQ(msgr_window_get_draft(w, &draft), MSGR_S_OK);
    EXPECT_STREQ(draft, "hello from a script");
    tick(3);
    // ... but nothing is sent until the user presses Send, and scripts have no way to send.
    std::size_t n = 99;
    ASSERT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(count(MSGR_EVENT_DELIVERY_CHANGE), 0);
    HeldWindow out;
    EXPECT_EQ(msgr_script_invoke(rt, "Send", by_name("echo@loopback"), out.out()), MSGR_E_NOTIMPL);
    // The user's Send (the UI surface) delivers it; the echo contact answers.
    std::size_t index = 99;
    ASSERT_EQ(msgr_ui_send(w, draft, &index), MSGR_S_OK);
    EXPECT_EQ(index, 0u);
    tick(2);
    ASSERT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
    ASSERT_EQ(n, 2u);
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, 0, &m), MSGR_S_OK);
    EXPECT_EQ(m.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_READ);  // the echo received and read it
    EXPECT_EQ(m.flags, 0u);                     // chat, not a page
    ASSERT_EQ(msgr_window_history_get(w, 1, &m), MSGR_S_OK);
    EXPECT_EQ(m.direction, MSGR_MESSAGE_INCOMING);
    EXPECT_EQ(m.flags, 0u);
    EXPECT_STREQ(m.text, "hello from a script");
    ASSERT_EQ(msgr_window_get_draft(w, &draft), MSGR_S_OK);
    EXPECT_STREQ(draft, "");
}

TEST_F(InstantMessage, TheWindowOpensEvenForANameThatIsNotARealUser) {
    HeldWindow a, b;
    EXPECT_EQ(msgr_instant_message(rt, by_name("not an address"), a.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("nobody@nowhere.invalid"), b.out()), MSGR_S_OK);
    EXPECT_NE(a.get(), nullptr);
    EXPECT_NE(b.get(), nullptr);
}

TEST_F(InstantMessage, AWindowTheUserClosedIsNotReused) {
    HeldWindow first, second;
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), first.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_window_close(first), MSGR_S_OK);
    EXPECT_EQ(msgr_window_close(first), MSGR_S_FALSE);  // already closed
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), second.out()), MSGR_S_OK);
    EXPECT_NE(first.get(), second.get());
    int closed = 0;
    ASSERT_EQ(msgr_window_is_closed(first, &closed), MSGR_S_OK);
    EXPECT_EQ(closed, 1);
    EXPECT_EQ(msgr_window_show(first), MSGR_E_FAIL);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 2);
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_DESTROYED), 1);
}

TEST_F(InstantMessage, TheWindowCapIsEFail) {
    TempConfig cfg("[runtime]\nmax_windows = 2\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow a, b, c;
    ASSERT_EQ(msgr_instant_message(rt, by_name("a@loopback"), a.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("b@loopback"), b.out()), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("c@loopback"), c.out()), MSGR_E_FAIL);
    EXPECT_EQ(c.get(), nullptr);
    // An open window is still returned at the cap; closing one makes room.
    EXPECT_EQ(msgr_instant_message(rt, by_name("a@loopback"), c.out()), MSGR_S_OK);
    ASSERT_EQ(msgr_window_close(b), MSGR_S_OK);
    EXPECT_EQ(msgr_instant_message(rt, by_name("c@loopback"), c.out()), MSGR_S_OK);
}

TEST_F(InstantMessage, ScriptsMayCallInstantMessage) {
    HeldWindow viaScript, direct;
    ASSERT_EQ(msgr_script_invoke(rt, "InstantMessage", by_name("echo@loopback"), viaScript.out()),
              MSGR_S_OK);
    ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), direct.out()), MSGR_S_OK);
    EXPECT_EQ(viaScript.get(), direct.get());
}

TEST_F(InstantMessage, ACallFromAnotherThreadIsRefused) {
    msgr_hresult hr = MSGR_S_OK;
    msgr_window *w = nullptr;
    std::thread([&] { hr = msgr_instant_message(rt, by_name("echo@loopback"), &w); }).join();
    EXPECT_EQ(hr, MSGR_RPC_E_WRONG_THREAD);
    EXPECT_EQ(w, nullptr);
    EXPECT_TRUE(core().open_windows().empty());
}

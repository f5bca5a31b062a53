// Contact services from add-ins (add-in ABI 1.1): the loopback service is one; a runtime
// without its primary service refuses to start; a service add-in that fails or throws is
// disabled, and the runtime signs out of a primary service that vanishes and never crashes.
#include "../support/addin_fixture.hpp"

using namespace msgr::test;

namespace {

const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

bool contains(const char *haystack, const std::string &needle) {
    return haystack != nullptr && std::string(haystack).find(needle) != std::string::npos;
}

// Records events of one runtime.
struct Events {
    std::vector<std::pair<msgr_event_type, msgr_hresult>> seen;
    msgr_subscription sub = 0;
    void attach(msgr_runtime *rt) {
        ASSERT_EQ(msgr_subscribe(
                      rt, static_cast<msgr_event_type>(0),
                      [](const msgr_event *ev, void *u) {
                          static_cast<Events *>(u)->seen.emplace_back(ev->type, ev->hr);
                      },
                      this, &sub),
                  MSGR_S_OK);
    }
    const msgr_hresult *last(msgr_event_type t) const {
        for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
            if (it->first == t) return &it->second;
        }
        return nullptr;
    }
};

// A runtime whose primary service is the test add-in "misbehave", configured by `table`.
std::string primary_misbehave(const fs::path &dir, const std::string &table) {
    return addin_config({dir}, "[misbehave]\nservice = true\n" + table,
                        "primary_service = \"misbehave\"");
}

}  // namespace

TEST(ServiceAddin, WithoutTheLoopbackAddinCreationFailsNamingThePrimaryService) {
    TempDir empty;
    Host h("[runtime]\naddin_default_paths = false\naddin_paths = [" + toml_string(empty.path()) +
           "]\n");
    EXPECT_EQ(h.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_EQ(h.rt, nullptr);
    EXPECT_TRUE(contains(msgr_last_error(), "runtime.primary_service is \"loopback\""))
        << msgr_last_error();
    EXPECT_TRUE(contains(msgr_last_error(), "loopback.so")) << msgr_last_error();
    EXPECT_TRUE(contains(msgr_last_error(), empty.path().string())) << "where it looked";
}

TEST(ServiceAddin, ABrokenLoopbackConfigurationSaysWhy) {
    Host h(addin_config({}, "[loopback]\nechoo = \"x@y\"\n"));
    EXPECT_EQ(h.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "unknown key echoo in [loopback]"))
        << msgr_last_error();
    Host h2(addin_config({}, "[[loopback.contacts]]\nsignin = \"a@b\"\nfriendy = \"A\"\n"));
    EXPECT_EQ(h2.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "unknown key friendy in [loopback.contacts[0]]"))
        << msgr_last_error();
    Host h3(addin_config({}, "[loopback]\ncontacts = 3\n"));
    EXPECT_EQ(h3.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "must be an array of tables")) << msgr_last_error();
}

TEST(ServiceAddin, TheLoopbackAddinIsListedAsAService) {
    Host h(addin_config({}));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    const msgr_addin_info in = h.find("loopback");
    EXPECT_EQ(in.state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(in.provides, MSGR_ADDIN_PROVIDES_SERVICE);
    EXPECT_EQ(in.abi_minor, MSGR_ADDIN_ABI_MINOR);
    h.still_works();
}

TEST(ServiceAddin, AnAddinServiceCanBeThePrimaryService) {
    Host h(primary_misbehave(kTestAddins / "misbehave", ""));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.find("misbehave").provides, MSGR_ADDIN_PROVIDES_SERVICE);
    h.signin("me@test");
    msgr_window *w = nullptr;
    ASSERT_EQ(h.im("you@test", &w), MSGR_S_OK) << msgr_last_error();
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(w, "hello", &index), MSGR_S_OK);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    msgr_window_release(w);
}

TEST(ServiceAddin, AThrowingPrimaryServiceIsDisabledAndTheUserSignedOut) {
    Events ev;  // before the host: destroying the runtime raises APP_SHUTDOWN into it
    Host h(primary_misbehave(kTestAddins / "misbehave", "throw = [\"send_message\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ev.attach(h.rt);
    h.signin("me@test");
    msgr_window *w = nullptr;
    ASSERT_EQ(h.im("you@test", &w), MSGR_S_OK);
    std::size_t index = 0;
    EXPECT_EQ(msgr_ui_send(w, "hello", &index), MSGR_E_FAIL);
    EXPECT_TRUE(contains(msgr_last_error(), "send_message threw")) << msgr_last_error();
    h.tick();
    const msgr_addin_info in = h.find("misbehave");
    EXPECT_EQ(in.state, MSGR_ADDIN_DISABLED);
    EXPECT_TRUE(contains(in.reason, "send_message threw")) << in.reason;
    // Signed out: "the client goes offline" with a reason of its own.
    ASSERT_NE(ev.last(MSGR_EVENT_SIGNOUT), nullptr);
    EXPECT_EQ(*ev.last(MSGR_EVENT_SIGNOUT), MSGR_E_SERVER_UNAVAILABLE);
    int closed = 0;
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_RPC_E_DISCONNECTED);
    msgr_window_release(w);
    // Afterwards: sign-in says the primary service is gone; the documented calls say not
    // signed in.
    EXPECT_EQ(msgr_signin(h.rt, "me@test", ""), MSGR_E_FAIL);
    EXPECT_TRUE(contains(msgr_last_error(), "runtime.primary_service")) << msgr_last_error();
    EXPECT_TRUE(contains(msgr_last_error(), "misbehave")) << msgr_last_error();
    msgr_window *w2 = nullptr;
    EXPECT_EQ(h.im("you@test", &w2), MSGR_E_NOT_LOGGED_ON);
    EXPECT_EQ(h.page("you@test", &w2), MSGR_E_NOTIMPL);  // no paging add-in here
    h.tick(3);
}

TEST(ServiceAddin, AServiceThatThrowsDescribingAContactNeverCrashesTheCall) {
    Host h(primary_misbehave(kTestAddins / "misbehave", "throw = [\"describe\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    msgr_window *w = nullptr;
    EXPECT_EQ(h.im("you@test", &w), MSGR_E_FAIL);
    EXPECT_EQ(w, nullptr);
    EXPECT_TRUE(contains(msgr_last_error(), "primary service is gone")) << msgr_last_error();
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_DISABLED);
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(h.rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    h.tick(2);
}

TEST(ServiceAddin, AFailingSigninDisablesTheServiceAndIsReturned) {
    Host h(primary_misbehave(kTestAddins / "misbehave", "fail = [\"signin\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(msgr_signin(h.rt, "me@test", ""), MSGR_E_FAIL);
    EXPECT_TRUE(contains(msgr_last_error(), "signin returned")) << msgr_last_error();
    EXPECT_EQ(msgr_signin(h.rt, "me@test", ""), MSGR_E_FAIL);
    EXPECT_TRUE(contains(msgr_last_error(), "is gone")) << msgr_last_error();
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(h.rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
}

TEST(ServiceAddin, ReportsForOtherServicesOrWithBadArgumentsAreRefused) {
    LogCapture logs;
    Host h(primary_misbehave(kTestAddins / "misbehave", "post_bad = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    EXPECT_EQ(logs.count("refused: other-service 0x80070057"), 1u);
    EXPECT_EQ(logs.count("refused: bad-contact 0x80070057"), 1u);
    EXPECT_EQ(logs.count("refused: bad-status 0x80070057"), 1u);
    EXPECT_EQ(logs.count("refused: null-text 0x80070057"), 1u);
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_LOADED);
}

TEST(ServiceAddin, ASecondaryServiceFailingLeavesThePrimarySignedIn) {
    Host h(addin_config({kTestAddins / "service2"},
                        "[service2]\nservice = true\n"
                        "throw = [\"send_message\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin();
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_get_contact(h.rt, "x@service2", "service2", &c), MSGR_S_OK) << msgr_last_error();
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c;
    msgr_window *w = nullptr;
    ASSERT_EQ(msgr_instant_message(h.rt, v, &w), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_send(w, "hi", nullptr), MSGR_E_FAIL);
    EXPECT_EQ(h.find("service2").state, MSGR_ADDIN_DISABLED);
    // Its contacts' windows stay (the primary is signed in) but cannot send any more.
    EXPECT_EQ(msgr_ui_send(w, "again", nullptr), MSGR_E_FAIL);
    EXPECT_TRUE(contains(msgr_last_error(), "service is gone")) << msgr_last_error();
    msgr_window_release(w);
    msgr_contact_release(c);
    h.still_works();
}

// The password the user types is the primary account's: the primary service gets it, a
// secondary service (another add-in) signs in with the same name but never sees it.
TEST(ServiceAddin, OnlyThePrimaryServiceIsGivenThePassword) {
    LogCapture logs;
    Host h(addin_config({kTestAddins / "misbehave", kTestAddins / "service2"},
                        "[misbehave]\nservice = true\n[service2]\nservice = true\n",
                        "primary_service = \"misbehave\""));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(msgr_signin(h.rt, "me@test", "secret"), MSGR_S_OK) << msgr_last_error();
    h.tick();
    EXPECT_EQ(logs.count("misbehave: signin as me@test with a password of 6 bytes"), 1u);
    EXPECT_EQ(logs.count("service2: signin as me@test with a password of 0 bytes"), 1u);
    EXPECT_EQ(logs.count("with a password of 6 bytes"), 1u) << "only the primary got it";
}

// runtime.secondary_services chooses which other services sign in with the primary: [] the
// primary alone, a list those, and a name no add-in provides is a configuration error.
TEST(ServiceAddin, SecondaryServicesChooseWhoSignsInWithThePrimary) {
    const std::string tables = "[misbehave]\nservice = true\n[service2]\nservice = true\n";
    const std::vector<fs::path> dirs = {kTestAddins / "misbehave", kTestAddins / "service2"};
    {
        LogCapture logs;
        Host h(
            addin_config(dirs, tables, "primary_service = \"misbehave\"\nsecondary_services = []"));
        ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
        ASSERT_EQ(msgr_signin(h.rt, "me@test", ""), MSGR_S_OK) << msgr_last_error();
        h.tick();
        EXPECT_EQ(logs.count("misbehave: signin as me@test"), 1u);
        EXPECT_EQ(logs.count("service2: signin as"), 0u);
        std::size_t n = 99;  // the loopback directory is not in the list either
        ASSERT_EQ(msgr_my_contacts_count(h.rt, &n), MSGR_S_OK);
        EXPECT_EQ(n, 0u);
    }
    {
        LogCapture logs;
        Host h(addin_config(dirs, tables,
                            "primary_service = \"misbehave\"\n"
                            "secondary_services = [\"service2\"]"));
        ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
        ASSERT_EQ(msgr_signin(h.rt, "me@test", ""), MSGR_S_OK) << msgr_last_error();
        h.tick();
        EXPECT_EQ(logs.count("service2: signin as me@test"), 1u);
    }
    Host bad(addin_config(dirs, tables,
                          "primary_service = \"misbehave\"\nsecondary_services = [\"nope\"]"));
    EXPECT_EQ(bad.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "runtime.secondary_services lists \"nope\""))
        << msgr_last_error();
}

TEST(ServiceAddin, AServiceAddinCannotBeUnloadedWhileSignedIn) {
    Host h(addin_config({kTestAddins / "service2"}, "[service2]\nservice = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin();
    EXPECT_EQ(msgr_addin_unload(h.rt, "service2"), MSGR_E_BUSY);
    EXPECT_TRUE(contains(msgr_last_error(), "sign out first")) << msgr_last_error();
    EXPECT_EQ(msgr_addin_unload(h.rt, "loopback"), MSGR_E_BUSY);
    ASSERT_EQ(msgr_signout(h.rt), MSGR_S_OK);
    h.tick();
    EXPECT_EQ(msgr_addin_unload(h.rt, "service2"), MSGR_S_OK);
    EXPECT_EQ(msgr_addin_unload(h.rt, "loopback"), MSGR_S_OK);
    EXPECT_EQ(msgr_signin(h.rt, "player@loopback", ""), MSGR_E_FAIL);
    EXPECT_TRUE(contains(msgr_last_error(), "was unloaded")) << msgr_last_error();
}

TEST(ServiceAddin, TwoAddinsCannotRegisterTheSameServiceId) {
    // misbehave is found first and takes the id "loopback"; the loopback add-in is refused.
    Host h(addin_config({kTestAddins / "misbehave"},
                        "[misbehave]\nservice = true\nservice_id = \"loopback\"\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.find("misbehave").provides, MSGR_ADDIN_PROVIDES_SERVICE);
    const msgr_addin_info lb = h.find("loopback");
    EXPECT_EQ(lb.state, MSGR_ADDIN_REFUSED);
    EXPECT_TRUE(contains(lb.reason, "already provided by another add-in")) << lb.reason;
    h.signin("me@test");
}

TEST(ServiceAddin, AnAddinBuiltForAbi10StillLoads) {
    Host h(addin_config({kTestAddins / "old_minor"}, "[old_minor]\npaging = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    const msgr_addin_info in = h.find("old_minor");
    EXPECT_EQ(in.state, MSGR_ADDIN_LOADED) << in.reason;
    EXPECT_EQ(in.abi_minor, 0);
    EXPECT_EQ(in.provides, MSGR_ADDIN_PROVIDES_PAGING);
    h.still_works();
}

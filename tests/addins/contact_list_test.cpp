// Add-in ABI 1.6, the contact list, at the add-in boundary: msgr_add_contact, msgr_remove_contact,
// msgr_authorize, msgr_contact_set_blocked and msgr_set_my_friendly_name reach a real add-in's
// table functions, and its reports (msgr_host_post_add_result, _authorization_request, _blocked,
// _friendly_name) come back as events. An add-in built for 1.5 (a shorter table) gets
// MSGR_E_NOTIMPL for every one of them and is never called past its table; malformed reports are
// refused with a log line, from an add-in (checked where its host functions run) and from a
// hostile process that writes them on the wire itself. Runs in both isolation modes.
#include <cstdlib>
#include <string>
#include <vector>

#include "../support/addin_fixture.hpp"

using namespace msgr::test;

namespace {

const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

// A runtime whose primary service is the test add-in `name` with the 1.6 functions.
std::string list_service(const std::string &more = "", const std::string &name = "misbehave") {
    return primary_test_addin(kTestAddins, name, "service = true\ncontact_list = true\n" + more);
}

struct Seen {
    msgr_event_type type;
    msgr_hresult hr;
    std::int32_t status;
    std::string contact;  // its sign-in name
    std::string text;
};

// Every event of the runtime, with the contact's name (events lend it for the callback only).
// It unsubscribes when it goes, so a runtime that outlives it (sign-out events while the Host
// is destroyed) never calls into a recorder that is gone.
struct Recorder {
    std::vector<Seen> events;
    msgr_runtime *rt = nullptr;
    msgr_subscription sub = 0;

    Recorder() = default;
    Recorder(const Recorder &) = delete;
    Recorder &operator=(const Recorder &) = delete;
    ~Recorder() {
        if (rt != nullptr) msgr_unsubscribe(rt, sub);
    }
    void attach(msgr_runtime *runtime) {
        ASSERT_EQ(msgr_subscribe(runtime, static_cast<msgr_event_type>(0), &on, this, &sub),
                  MSGR_S_OK);
        rt = runtime;
    }
    static void on(const msgr_event *ev, void *user) {
        Seen s{ev->type, ev->hr, ev->status, "", ev->text != nullptr ? ev->text : ""};
        const char *name = nullptr;
        if (ev->contact != nullptr && msgr_contact_signin_name(ev->contact, &name) == MSGR_S_OK)
            s.contact = name;
        static_cast<Recorder *>(user)->events.push_back(std::move(s));
    }
    const Seen *last(msgr_event_type type, const std::string &contact = "") const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) {
            if (it->type == type && (contact.empty() || it->contact == contact)) return &*it;
        }
        return nullptr;
    }
};

msgr_contact *contact(msgr_runtime *rt, const char *name) {
    msgr_contact *c = nullptr;
    EXPECT_EQ(msgr_get_contact(rt, name, nullptr, &c), MSGR_S_OK) << msgr_last_error();
    return c;
}

}  // namespace

TEST(AddinContactList, TheCallsReachTheAddinAndItsReportsBecomeEvents) {
    LogCapture logs;
    Host h(list_service());
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    Recorder r;
    r.attach(h.rt);
    h.signin("me@test");
    ASSERT_TRUE(h.tick_until([&] { return r.last(MSGR_EVENT_AUTHORIZATION_REQUEST) != nullptr; }));
    EXPECT_EQ(r.last(MSGR_EVENT_AUTHORIZATION_REQUEST)->contact, "asker@test");

    ASSERT_EQ(msgr_add_contact(h.rt, "you@test", nullptr), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("add_contact you@test"), 1u) << logs.all();
    ASSERT_TRUE(h.tick_until([&] { return r.last(MSGR_EVENT_CONTACT_LIST_ADD) != nullptr; }));
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_LIST_ADD)->contact, "you@test");
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_LIST_ADD)->hr, MSGR_S_OK);
    EXPECT_EQ(msgr_add_contact(h.rt, "you@test", nullptr), MSGR_E_ALREADY_IN_LIST);
    // A refusal is the event's hr; the contact stays off the list.
    ASSERT_EQ(msgr_add_contact(h.rt, "no-one@test", nullptr), MSGR_S_OK);
    ASSERT_TRUE(h.tick_until([&] { return r.last(MSGR_EVENT_CONTACT_LIST_ADD, "no-one@test"); }));
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_LIST_ADD, "no-one@test")->hr, MSGR_E_USER_NOT_FOUND);
    std::size_t n = 0;
    ASSERT_EQ(msgr_my_contacts_count(h.rt, &n), MSGR_S_OK);
    EXPECT_EQ(n, 1u);

    msgr_contact *you = contact(h.rt, "you@test");
    EXPECT_EQ(msgr_remove_contact(h.rt, you), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("remove_contact you@test"), 1u);
    EXPECT_EQ(msgr_remove_contact(h.rt, you), MSGR_S_FALSE);
    EXPECT_EQ(logs.count("remove_contact you@test"), 1u) << "not asked twice";

    msgr_contact *asker = contact(h.rt, "asker@test");
    EXPECT_EQ(msgr_authorize(h.rt, asker, 1), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("authorize asker@test 1"), 1u);
    EXPECT_EQ(msgr_authorize(h.rt, asker, 1), MSGR_E_FAIL) << "answered already";

    EXPECT_EQ(msgr_contact_set_blocked(you, 1), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("set_blocked you@test 1"), 1u);
    EXPECT_EQ(msgr_contact_set_blocked(you, 1), MSGR_S_FALSE);
    EXPECT_EQ(msgr_contact_set_blocked(you, 0), MSGR_S_OK);
    EXPECT_EQ(logs.count("set_blocked you@test 0"), 1u);

    EXPECT_EQ(msgr_set_my_friendly_name(h.rt, "Me, myself"), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("set_friendly_name Me, myself"), 1u);
    h.tick();
    ASSERT_NE(r.last(MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE), nullptr);
    EXPECT_EQ(r.last(MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE)->text, "Me, myself");
    ASSERT_NE(r.last(MSGR_EVENT_CONTACT_BLOCK_CHANGE, "you@test"), nullptr);
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_BLOCK_CHANGE, "you@test")->status, 0);
    msgr_contact_release(asker);
    msgr_contact_release(you);
}

TEST(AddinContactList, AFailingContactListCallDisablesTheAddin) {
    Host h(list_service("fail = [\"set_blocked\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    msgr_contact *c = contact(h.rt, "you@test");
    EXPECT_EQ(msgr_contact_set_blocked(c, 1), MSGR_E_FAIL);
    EXPECT_NE(std::string(msgr_last_error()).find("set_blocked"), std::string::npos)
        << msgr_last_error();
    int blocked = 1;
    EXPECT_EQ(msgr_contact_blocked(c, &blocked), MSGR_S_OK);
    EXPECT_EQ(blocked, 0) << "not blocked when the service failed";
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_DISABLED);
    msgr_contact_release(c);
}

TEST(AddinContactList, AnAddinBuiltFor15GetsNotImplAndIsNeverCalledPastItsTable) {
    LogCapture logs;
    Host h(list_service("", "v15_table"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.info(0).abi_minor, 5);
    h.signin("me@test");
    EXPECT_EQ(msgr_add_contact(h.rt, "you@test", nullptr), MSGR_E_NOTIMPL);
    EXPECT_NE(std::string(msgr_last_error()).find("does not support adding contacts"),
              std::string::npos)
        << msgr_last_error();
    msgr_contact *c = contact(h.rt, "you@test");
    EXPECT_EQ(msgr_contact_set_blocked(c, 1), MSGR_E_NOTIMPL);
    EXPECT_EQ(msgr_set_my_friendly_name(h.rt, "Me"), MSGR_E_NOTIMPL);
    EXPECT_EQ(msgr_remove_contact(h.rt, c), MSGR_S_FALSE) << "not on the list: nothing to do";
    EXPECT_EQ(msgr_authorize(h.rt, c, 1), MSGR_E_FAIL) << "no request came";
    int blocked = 1;
    EXPECT_EQ(msgr_contact_blocked(c, &blocked), MSGR_S_OK);
    EXPECT_EQ(blocked, 0);
    const char *friendly = nullptr;
    EXPECT_EQ(msgr_my_friendly_name(h.rt, &friendly), MSGR_S_OK);
    EXPECT_STREQ(friendly, "me@test");
    EXPECT_EQ(logs.count("beyond the table"), 0u) << logs.all();
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << "E_NOTIMPL is no failure of the add-in";
    msgr_contact_release(c);
}

TEST(AddinContactList, MalformedReportsOfAnAddinAreRefused) {
    LogCapture logs;
    Host h(list_service("post_bad = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    for (const char *what :
         {"add-other-service", "add-bad-name", "add-null-name", "add-s-false", "request-bad-name",
          "request-utf8", "blocked-other-service", "blocked-bad-name", "name-utf8", "name-control",
          "name-long", "name-bad-contact"}) {
        EXPECT_EQ(logs.count(std::string("refused: ") + what + " " + hr_hex(MSGR_E_INVALIDARG)), 1u)
            << what << "\n"
            << logs.all();
    }
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED);
}

// A process that skips the add-in host program's checks and writes contact list reports on the
// wire itself: each bad one is refused by the runtime with a log line, the add-in keeps running,
// and the good ones that follow arrive.
TEST(AddinContactList, AHostileProcessesMalformedReportsAreRefusedWithALogLine) {
    LogCapture logs;
    ASSERT_EQ(::setenv("MSGR_ADDIN_HOST", MSGR_PROCESS_TEST_PEER, 1), 0);
    ASSERT_EQ(::setenv("MSGR_PEER_MODE", "post-bad-contacts", 1), 0);
    Host h(addin_config({kTestAddins / "misbehave"},
                        "[addin.misbehave]\nisolation = \"process\"\n"
                        "[addin.loopback]\nisolation = \"in_process\"\n",
                        "primary_service = \"peer\""));
    ::unsetenv("MSGR_ADDIN_HOST");
    ::unsetenv("MSGR_PEER_MODE");
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error() << "\n" << logs.all();
    Recorder r;
    r.attach(h.rt);
    h.signin("me@peer");
    ASSERT_TRUE(h.tick_until([&] { return r.last(MSGR_EVENT_AUTHORIZATION_REQUEST) != nullptr; }))
        << logs.all();
    EXPECT_EQ(logs.count("sent a report with a NUL in a name; dropped"), 2u) << logs.all();
    EXPECT_EQ(logs.count("the runtime refused its post_friendly_name: MSGR_E_INVALIDARG"), 2u);
    EXPECT_EQ(logs.count("the runtime refused its post_authorization_request: MSGR_E_INVALIDARG"),
              1u);
    EXPECT_EQ(logs.count("the runtime refused its post_blocked: MSGR_E_INVALIDARG"), 1u);
    EXPECT_EQ(logs.count("the runtime refused its post_add_result: MSGR_E_INVALIDARG"), 1u);
    // Only the good reports became events.
    std::size_t requests = 0, names = 0;
    for (const auto &e : r.events) {
        requests += e.type == MSGR_EVENT_AUTHORIZATION_REQUEST ? 1 : 0;
        names += e.type == MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE ? 1 : 0;
    }
    EXPECT_EQ(requests, 1u);
    EXPECT_EQ(names, 1u);
    ASSERT_NE(r.last(MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, "pal@peer"), nullptr);
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE, "pal@peer")->text, "Pal");
    EXPECT_EQ(r.last(MSGR_EVENT_AUTHORIZATION_REQUEST)->contact, "asker@peer");
    msgr_addin_info info = h.info(0);
    EXPECT_EQ(info.state, MSGR_ADDIN_LOADED) << info.reason;
}

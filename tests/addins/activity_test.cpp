// Add-in ABI 1.7, rich presence, at the add-in boundary: msgr_set_my_activity reaches a real
// add-in's set_activity (the primary's and every secondary service's that has one), and its
// msgr_host_post_activity reports become MSGR_EVENT_CONTACT_ACTIVITY_CHANGE with the text
// cleaned (controls and bidi overrides dropped, cut to 128 UTF-16 units). An add-in built for
// 1.6 (a table ending at set_friendly_name) is never called past its table: as the primary its
// activity is MSGR_E_NOTIMPL, as a secondary it is skipped. Malformed reports are refused with a
// log line, from an add-in (where its host functions run) and from a hostile process that
// writes them on the wire itself. Runs in both isolation modes.
#include <cstdlib>
#include <string>
#include <vector>

#include "../support/addin_fixture.hpp"

using namespace msgr::test;

namespace {

const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

struct Seen {
    msgr_event_type type;
    msgr_hresult hr;
    std::string contact;  // its sign-in name
    std::string text;
};

// Every event of the runtime, with the contact's name; unsubscribes when it goes.
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
        Seen s{ev->type, ev->hr, "", ev->text != nullptr ? ev->text : ""};
        const char *name = nullptr;
        if (ev->contact != nullptr && msgr_contact_signin_name(ev->contact, &name) == MSGR_S_OK)
            s.contact = name;
        static_cast<Recorder *>(user)->events.push_back(std::move(s));
    }
    std::size_t count(msgr_event_type type, const std::string &contact = "") const {
        std::size_t n = 0;
        for (const auto &e : events)
            n += e.type == type && (contact.empty() || e.contact == contact) ? 1 : 0;
        return n;
    }
    const Seen *last(msgr_event_type type, const std::string &contact = "") const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) {
            if (it->type == type && (contact.empty() || it->contact == contact)) return &*it;
        }
        return nullptr;
    }
};

std::string activity_of(msgr_runtime *rt, const char *name) {
    msgr_contact *c = nullptr;
    EXPECT_EQ(msgr_get_contact(rt, name, nullptr, &c), MSGR_S_OK) << msgr_last_error();
    const char *text = nullptr;
    EXPECT_EQ(msgr_contact_activity(c, &text), MSGR_S_OK);
    std::string out = text != nullptr ? text : "(null)";
    msgr_contact_release(c);
    return out;
}

const std::string kMatch = "In a match \xe2\x80\x94 3/4 players";

}  // namespace

TEST(AddinActivity, TheCallReachesTheAddinAndItsReportsBecomeCleanedEvents) {
    LogCapture logs;
    Host h(primary_test_addin(kTestAddins, "misbehave", "service = true\nactivity = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    Recorder r;
    r.attach(h.rt);
    h.signin("me@test");
    ASSERT_TRUE(h.tick_until([&] {
        return r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "long@test");
    })) << logs.all();
    h.tick();
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "pal@test")->text, kMatch);
    EXPECT_EQ(activity_of(h.rt, "pal@test"), kMatch);
    // Controls and a bidi override dropped, a tab made a space.
    ASSERT_NE(r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "noisy@test"), nullptr);
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "noisy@test")->text, "ab cd");
    EXPECT_EQ(activity_of(h.rt, "noisy@test"), "ab cd");
    // 200 units cut to 128.
    EXPECT_EQ(activity_of(h.rt, "long@test"), std::string(128, 'x'));
    // A report for another session is dropped (and says so).
    EXPECT_EQ(r.count(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "stale@test"), 0u);
    EXPECT_EQ(activity_of(h.rt, "stale@test"), "");
    EXPECT_EQ(logs.count("the activity of stale@test reported for another session was dropped"), 1u)
        << logs.all();

    EXPECT_EQ(msgr_set_my_activity(h.rt, kMatch.c_str()), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("set_activity '" + kMatch + "'"), 1u) << logs.all();
    EXPECT_EQ(msgr_set_my_activity(h.rt, kMatch.c_str()), MSGR_S_FALSE);
    EXPECT_EQ(logs.count("set_activity '" + kMatch + "'"), 1u) << "not told twice";
    EXPECT_EQ(msgr_set_my_activity(h.rt, nullptr), MSGR_S_OK);
    EXPECT_EQ(logs.count("set_activity ''"), 1u) << "a clear is told as \"\"";
    EXPECT_EQ(msgr_set_my_activity(h.rt, "a\nb"), MSGR_E_INVALIDARG);
    EXPECT_EQ(logs.count("set_activity 'a"), 0u) << "refused before the add-in";
    h.tick();
    EXPECT_EQ(r.count(MSGR_EVENT_MY_ACTIVITY_CHANGE), 2u);
    EXPECT_EQ(r.last(MSGR_EVENT_MY_ACTIVITY_CHANGE)->text, "");
}

TEST(AddinActivity, AFailingSetActivityDisablesTheAddinAndTheActivityStaysAsItWas) {
    Host h(primary_test_addin(kTestAddins, "misbehave",
                              "service = true\nactivity = true\nfail = [\"set_activity\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    EXPECT_EQ(msgr_set_my_activity(h.rt, "Playing"), MSGR_E_FAIL);
    EXPECT_NE(std::string(msgr_last_error()).find("set_activity"), std::string::npos)
        << msgr_last_error();
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_DISABLED);
}

// Every secondary service signed in with the session is told too; one built for 1.6 is skipped
// (never called past its table), and the call succeeds.
TEST(AddinActivity, SecondaryServicesAreToldAndA16TableIsSkipped) {
    LogCapture logs;
    Host h(addin_config(
        {kTestAddins / "misbehave", kTestAddins / "service2", kTestAddins / "v16_table"},
        "[misbehave]\nservice = true\nactivity = true\n"
        "[service2]\nservice = true\nactivity = true\n"
        "[v16_table]\nservice = true\nactivity = true\n",
        "primary_service = \"misbehave\""));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    EXPECT_EQ(msgr_set_my_activity(h.rt, "In the lobby"), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("misbehave: set_activity 'In the lobby'"), 1u) << logs.all();
    EXPECT_EQ(logs.count("service2: set_activity 'In the lobby'"), 1u) << logs.all();
    EXPECT_EQ(logs.count("beyond the table"), 0u) << logs.all();
    EXPECT_EQ(logs.count("v16_table: set_activity"), 0u) << logs.all();
}

TEST(AddinActivity, AnAddinBuiltFor16GetsNotImplAndIsNeverCalledPastItsTable) {
    LogCapture logs;
    Host h(primary_test_addin(kTestAddins, "v16_table",
                              "service = true\ncontact_list = true\nactivity = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.info(0).abi_minor, 6);
    h.signin("me@test");
    EXPECT_EQ(msgr_set_my_activity(h.rt, "Playing"), MSGR_E_NOTIMPL);
    EXPECT_NE(std::string(msgr_last_error()).find("does not carry an activity"), std::string::npos)
        << msgr_last_error();
    EXPECT_EQ(msgr_set_my_activity(h.rt, ""), MSGR_S_FALSE) << "none already: nothing to tell";
    const char *mine = nullptr;
    EXPECT_EQ(msgr_my_activity(h.rt, &mine), MSGR_S_OK);
    EXPECT_STREQ(mine, "");
    // Its 1.6 functions still work.
    EXPECT_EQ(msgr_set_my_friendly_name(h.rt, "Me"), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(logs.count("beyond the table"), 0u) << logs.all();
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << "E_NOTIMPL is no failure of the add-in";
}

TEST(AddinActivity, MalformedReportsOfAnAddinAreRefused) {
    LogCapture logs;
    Host h(primary_test_addin(kTestAddins, "misbehave",
                              "service = true\nactivity = true\npost_bad = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    Recorder r;
    r.attach(h.rt);
    h.signin("me@test");
    for (const char *what : {"activity-other-service", "activity-bad-name", "activity-null-name",
                             "activity-utf8", "activity-long"}) {
        EXPECT_EQ(logs.count(std::string("refused: ") + what + " " + hr_hex(MSGR_E_INVALIDARG)), 1u)
            << what << "\n"
            << logs.all();
    }
    h.tick();
    EXPECT_EQ(r.count(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "a@b"), 0u);
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED);
}

// A process that skips the add-in host program's checks and writes activity reports on the wire
// itself: each bad one is refused by the runtime with a log line, the add-in keeps running, and
// the good one that follows arrives.
TEST(AddinActivity, AHostileProcessesMalformedReportsAreRefusedWithALogLine) {
    LogCapture logs;
    ASSERT_EQ(::setenv("MSGR_ADDIN_HOST", MSGR_PROCESS_TEST_PEER, 1), 0);
    ASSERT_EQ(::setenv("MSGR_PEER_MODE", "post-bad-activity", 1), 0);
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
    ASSERT_TRUE(h.tick_until([&] { return r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE) != nullptr; }))
        << logs.all();
    EXPECT_EQ(logs.count("sent a report with a NUL in a name; dropped"), 1u) << logs.all();
    EXPECT_EQ(logs.count("the runtime refused its post_activity: MSGR_E_INVALIDARG"), 4u)
        << logs.all();
    EXPECT_EQ(r.count(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE), 1u);
    ASSERT_NE(r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "pal@peer"), nullptr);
    EXPECT_EQ(r.last(MSGR_EVENT_CONTACT_ACTIVITY_CHANGE, "pal@peer")->text, "In a match");
    msgr_addin_info info = h.info(0);
    EXPECT_EQ(info.state, MSGR_ADDIN_LOADED) << info.reason;
}

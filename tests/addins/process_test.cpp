// The process transport on its own (core/src/addins/process.cpp): the real add-in host program
// (msgr-addin-host) runs the real test add-in misbehave.so, and AddinProcess registers what it
// registered there through a msgr_host of this test's own -- a get_proc table that records
// registrations, reports and log lines. That host is the one test double here: the runtime is
// not under test, the transport is (processes, sockets, signals and deadlines are all real).
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "addins/process.hpp"
#include "msgr/addin.h"

using msgr::core::AddinProcess;
using msgr::core::ProcessFault;
using msgr::core::ProcessOptions;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// The program as built here; MSGR_ADDIN_HOST overrides it, as it does for the runtime.
const std::string kProgram = std::getenv("MSGR_ADDIN_HOST") != nullptr
                                 ? std::getenv("MSGR_ADDIN_HOST")
                                 : MSGR_ADDIN_HOST_PROGRAM;
const std::string kMisbehave = std::string(MSGR_TEST_ADDIN_DIR) + "/misbehave/misbehave.so";
// A generous bound on how much longer than its deadline the owner thread may be held: the
// machine is shared and slow, but a wait without limit shows up as far more than this.
constexpr auto kSlack = milliseconds(1500);

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

// The fake runtime side of one add-in: what the host functions were given.
struct Recorder {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> logs;
    std::vector<std::string> posts;  // "signin <service> <session> <hr>", "delivery <id> <state>"
    std::string load_error;
    std::vector<msgr_contact_service> services;
    std::vector<std::string> service_ids;  // the tables' id pointers are copied as strings
    bool has_paging = false;
    msgr_paging_provider paging{};
    struct Sub {
        msgr_event_type type;
        msgr_addin_event_fn fn;
        void *user;
    };
    std::vector<Sub> subs;
    // What msgr_host_page_via_service answers (the runtime's check of the page is not under test).
    std::function<msgr_hresult(const msgr_page_request *)> page_via =
        [](const msgr_page_request *) { return MSGR_S_FALSE; };
    std::vector<std::string> pages_via;  // "<id> <from> <to> <to_service> <text>"
    bool inbox_full = false;             // post_signin waits while set

    void set_inbox_full(bool full) {
        const std::lock_guard<std::mutex> lock(mutex);
        inbox_full = full;
        changed.notify_all();
    }

    void add(std::vector<std::string> &list, std::string s) {
        const std::lock_guard<std::mutex> lock(mutex);
        list.push_back(std::move(s));
        changed.notify_all();
    }
    // Waits (bounded) until a line containing `needle` is in list.
    bool wait_for(const std::vector<std::string> &list, const std::string &needle,
                  milliseconds timeout = milliseconds(5000)) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, timeout, [&] {
            for (const auto &l : list)
                if (contains(l, needle)) return true;
            return false;
        });
    }
    bool has(const std::vector<std::string> &list, const std::string &needle) {
        const std::lock_guard<std::mutex> lock(mutex);
        for (const auto &l : list)
            if (contains(l, needle)) return true;
        return false;
    }
    std::string all(const std::vector<std::string> &list) {
        const std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto &l : list)
            out += l + "\n";
        return out;
    }
};

Recorder &rec(msgr_host_ctx *ctx) {
    return *reinterpret_cast<Recorder *>(ctx);
}

std::string hex(msgr_hresult hr) {
    char buf[16];
    (void)std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(hr));
    return buf;
}

void fake_log(msgr_host_ctx *ctx, msgr_log_level, const char *message) {
    rec(ctx).add(rec(ctx).logs, message);
}
void fake_set_error(msgr_host_ctx *ctx, const char *reason) {
    const std::lock_guard<std::mutex> lock(rec(ctx).mutex);
    rec(ctx).load_error = reason;
}
msgr_hresult fake_register_paging(msgr_host_ctx *ctx, const msgr_paging_provider *p) {
    Recorder &r = rec(ctx);
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (p == nullptr || p->submit == nullptr || r.has_paging) return MSGR_E_INVALIDARG;
    r.paging = *p;
    r.has_paging = true;
    return MSGR_S_OK;
}
msgr_hresult fake_register_service(msgr_host_ctx *ctx, const msgr_contact_service *t) {
    Recorder &r = rec(ctx);
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (t == nullptr || t->id == nullptr || t->signin == nullptr) return MSGR_E_INVALIDARG;
    r.services.push_back(*t);
    r.service_ids.emplace_back(t->id);
    return MSGR_S_OK;
}
msgr_hresult fake_subscribe(msgr_host_ctx *ctx, msgr_event_type type, msgr_addin_event_fn fn,
                            void *user) {
    Recorder &r = rec(ctx);
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (fn == nullptr) return MSGR_E_INVALIDARG;
    r.subs.push_back({type, fn, user});
    return MSGR_S_OK;
}
msgr_hresult fake_post_signin(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              msgr_hresult hr) {
    {  // a full inbox: the runtime's post functions wait for the owner thread to drain it
        std::unique_lock<std::mutex> lock(rec(ctx).mutex);
        rec(ctx).changed.wait(lock, [&] { return !rec(ctx).inbox_full; });
    }
    rec(ctx).add(rec(ctx).posts,
                 std::string("signin ") + service + " " + std::to_string(session) + " " + hex(hr));
    return MSGR_S_OK;
}
msgr_hresult fake_post_delivery(msgr_host_ctx *ctx, std::uint64_t id, msgr_delivery_state state,
                                msgr_hresult hr) {
    rec(ctx).add(rec(ctx).posts, "delivery " + std::to_string(id) + " " +
                                     (state == MSGR_DELIVERY_SENT ? "sent" : "failed") + " " +
                                     hex(hr));
    return MSGR_S_OK;
}
msgr_hresult fake_page_via(msgr_host_ctx *ctx, const msgr_page_request *page) {
    Recorder &r = rec(ctx);
    r.add(r.pages_via, std::to_string(page->message_id) + " " + page->from + " " + page->to + " " +
                           page->to_service + " " + std::string(page->text, page->text_size));
    return r.page_via(page);
}

msgr_proc fake_get_proc(const char *name) {
    struct Entry {
        const char *name;
        msgr_proc fn;
    };
#define FAKE(n, f) \
    { n, reinterpret_cast<msgr_proc>(&(f)) }
    static const Entry table[] = {
        FAKE(MSGR_HOST_LOG, fake_log),
        FAKE(MSGR_HOST_SET_ERROR, fake_set_error),
        FAKE(MSGR_HOST_REGISTER_PAGING, fake_register_paging),
        FAKE(MSGR_HOST_REGISTER_SERVICE, fake_register_service),
        FAKE(MSGR_HOST_SUBSCRIBE, fake_subscribe),
        FAKE(MSGR_HOST_POST_SIGNIN, fake_post_signin),
        FAKE(MSGR_HOST_POST_DELIVERY, fake_post_delivery),
        FAKE(MSGR_HOST_PAGE_VIA_SERVICE, fake_page_via),
    };
#undef FAKE
    for (const auto &e : table)
        if (std::strcmp(e.name, name) == 0) return e.fn;
    return nullptr;
}

// One add-in process and the fake host it registers with.
struct Fixture {
    Recorder r;
    msgr_host host{sizeof(msgr_host), MSGR_ADDIN_ABI_MAJOR, MSGR_ADDIN_ABI_MINOR,
                   reinterpret_cast<msgr_host_ctx *>(&r), &fake_get_proc};
    ProcessOptions options;
    ProcessFault why;
    std::unique_ptr<AddinProcess> p;

    explicit Fixture(int call_timeout_ms = 2000) {
        options.program = kProgram;
        options.call_timeout_ms = call_timeout_ms;
    }
    bool start(const std::string &path = kMisbehave) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return false;
        p = AddinProcess::start(path, st, options, why);
        return p != nullptr;
    }
    // Starts and loads with the add-in's table `config`.
    msgr_hresult load(const std::string &config) {
        if (!start()) {
            ADD_FAILURE() << "start: " << why.reason;
            return MSGR_E_FAIL;
        }
        std::string threw;
        const msgr_hresult hr = p->load(&host, config, "/test/msgr.toml", threw);
        EXPECT_EQ(threw, "");
        return hr;
    }
    const msgr_contact_service &service() { return r.services.at(0); }
    // Polls until a fault shows (bounded).
    bool poll_until_fault(milliseconds timeout = milliseconds(5000)) {
        const auto until = Clock::now() + timeout;
        while (Clock::now() < until) {
            if (p->poll()) return true;
            std::this_thread::sleep_for(milliseconds(5));
        }
        return false;
    }
};

bool process_exists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

// Whether a process runs (or is stopped): neither gone nor a zombie waiting to be reaped.
bool process_runs(pid_t pid) {
    FILE *in = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (in == nullptr) return false;
    char buf[512] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, in);
    (void)std::fclose(in);
    const char *paren = std::strrchr(buf, ')');  // the name may hold spaces and parentheses
    return n > 0 && paren != nullptr && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

}  // namespace

TEST(AddinProcess, StartsTheProgramAndReadsTheHello) {
    Fixture f;
    ASSERT_TRUE(f.start()) << f.why.reason;
    EXPECT_EQ(f.p->descriptor().name, "misbehave");
    EXPECT_EQ(f.p->descriptor().version, "0.0.1");
    EXPECT_EQ(f.p->descriptor().config_table, "misbehave");
    EXPECT_EQ(f.p->descriptor().abi_major, MSGR_ADDIN_ABI_MAJOR);
    EXPECT_GT(f.p->pid(), 0);
    EXPECT_NE(f.p->pid(), ::getpid());
    EXPECT_EQ(::getpgid(f.p->pid()), f.p->pid()) << "its own process group";
    EXPECT_FALSE(f.p->fault());
    EXPECT_FALSE(f.p->poll());
}

// The open file descriptors of a process, by number.
std::vector<int> open_fds(pid_t pid) {
    std::vector<int> fds;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(dir, ec))
        fds.push_back(std::stoi(e.path().filename().string()));
    std::sort(fds.begin(), fds.end());
    return fds;
}

TEST(AddinProcess, TheProcessHasOnlyItsChannelsAndNothingLeaksHere) {
    const std::vector<int> before = open_fds(::getpid());
    {
        Fixture f;
        ASSERT_TRUE(f.start()) << f.why.reason;
        // 0 (/dev/null), 1 and 2 (inherited), 3 and 4 (its channels); nothing of ours.
        EXPECT_EQ(open_fds(f.p->pid()), (std::vector<int>{0, 1, 2, 3, 4}));
        const std::string in =
            std::filesystem::read_symlink("/proc/" + std::to_string(f.p->pid()) + "/fd/0").string();
        EXPECT_EQ(in, "/dev/null");
    }
    EXPECT_EQ(open_fds(::getpid()), before) << "its channels are closed with it";
}

TEST(AddinProcess, LoadRegistersItsServicePagingAndSubscriptionHere) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\npaging = true\nevents = true\ncan_page = true\n"), MSGR_S_OK);
    ASSERT_EQ(f.r.services.size(), 1u);
    EXPECT_EQ(f.r.service_ids[0], "misbehave");
    EXPECT_EQ(f.service().flags, MSGR_SERVICE_CAN_PAGE);
    EXPECT_EQ(f.service().max_message_bytes, 1000u);
    EXPECT_NE(f.service().send_page, nullptr);
    ASSERT_TRUE(f.r.has_paging);
    EXPECT_EQ(f.r.paging.max_page_utf16, 100u);
    EXPECT_NE(f.r.paging.knows_mobile, nullptr);
    ASSERT_EQ(f.r.subs.size(), 1u);
    EXPECT_EQ(f.r.subs[0].type, static_cast<msgr_event_type>(0));
    EXPECT_EQ(f.p->drawers_refused(), 0u);
}

TEST(AddinProcess, AFailedLoadPassesOnItsResultAndError) {
    Fixture f;
    EXPECT_EQ(f.load("service = true\nfail = [\"load\"]\n"), MSGR_E_FAIL);
    EXPECT_EQ(f.r.load_error, "configured to fail");
    EXPECT_TRUE(f.r.services.empty()) << "nothing registered for a failed load";
    EXPECT_FALSE(f.p->fault()) << "a failed load is the add-in's answer, not a fault";
}

TEST(AddinProcess, ALoadThatThrowsSaysSo) {
    Fixture f;
    ASSERT_TRUE(f.start()) << f.why.reason;
    std::string threw;
    const msgr_hresult hr = f.p->load(&f.host, "throw = [\"load\"]\n", "", threw);
    EXPECT_TRUE(MSGR_FAILED(hr));
    EXPECT_TRUE(contains(threw, "boom in load")) << threw;
}

TEST(AddinProcess, SigninReturnsWithItsPostSigninAlreadyHandled) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\n"), MSGR_S_OK);
    const msgr_contact_service &s = f.service();
    EXPECT_EQ(s.signin(s.state, 7, "me@example.com", "pw"), MSGR_S_OK);
    // No waiting: the call returns once the reports the add-in made before answering are in.
    EXPECT_TRUE(f.r.has(f.r.posts, "signin misbehave 7 0x00000000")) << f.r.all(f.r.posts);
    EXPECT_TRUE(f.r.has(f.r.logs, "misbehave: signin as me@example.com with a password of 2 bytes"))
        << f.r.all(f.r.logs);
    EXPECT_EQ(s.set_status(s.state, MSGR_STATUS_BUSY), MSGR_S_OK);
    EXPECT_EQ(s.signout(s.state), MSGR_S_OK);
    EXPECT_FALSE(f.p->poll());
}

TEST(AddinProcess, DescribeAnswersWhatTheServiceKnows) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\ncarries_pages = [\"pager@example.com\"]\n"), MSGR_S_OK);
    const msgr_contact_service &s = f.service();
    msgr_contact_info info{};
    info.struct_size = sizeof info;
    info.status = MSGR_STATUS_UNKNOWN;
    EXPECT_EQ(s.describe(s.state, "pager@example.com", &info), MSGR_S_OK);
    EXPECT_EQ(info.status, MSGR_STATUS_ONLINE);
    EXPECT_EQ(info.mobile, 1);
    msgr_contact_info other{};
    other.struct_size = sizeof other;
    EXPECT_EQ(s.describe(s.state, "someone@example.com", &other), MSGR_S_OK);
    EXPECT_EQ(other.mobile, 0);
}

TEST(AddinProcess, SendMessageReturnsWithItsDeliveryReported) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\n"), MSGR_S_OK);
    const msgr_contact_service &s = f.service();
    const std::string text = "hello there";
    EXPECT_EQ(s.send_message(s.state, 42, "you@example.com", text.data(), text.size()), MSGR_S_OK);
    EXPECT_TRUE(f.r.has(f.r.posts, "delivery 42 sent 0x00000000")) << f.r.all(f.r.posts);
}

TEST(AddinProcess, AFailingOrThrowingCallIsPassedOnAsItWasThere) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\nfail = [\"signin\"]\nthrow = [\"set_status\"]\n"), MSGR_S_OK);
    const msgr_contact_service &s = f.service();
    EXPECT_EQ(s.signin(s.state, 1, "me@example.com", ""), MSGR_E_FAIL);
    try {
        (void)s.set_status(s.state, MSGR_STATUS_AWAY);
        ADD_FAILURE() << "set_status threw there: it throws here, for the runtime's guard";
    } catch (const std::exception &e) {
        EXPECT_STREQ(e.what(), "boom in set_status");
    }
    EXPECT_FALSE(f.p->fault()) << "failures are the add-in's answers; the process is fine";
    EXPECT_FALSE(f.p->poll());
}

TEST(AddinProcess, AnEventReachesTheAddinsSubscription) {
    Fixture f;
    ASSERT_EQ(f.load("events = true\n"), MSGR_S_OK);
    ASSERT_EQ(f.r.subs.size(), 1u);
    const std::string text = "hi there";
    msgr_event ev{};
    ev.struct_size = sizeof ev;
    ev.type = MSGR_EVENT_MESSAGE_RECEIVED;
    ev.text = text.c_str();
    ev.text_size = text.size();
    EXPECT_EQ(f.r.subs[0].fn(&ev, f.r.subs[0].user), MSGR_S_OK);
    EXPECT_TRUE(f.r.wait_for(f.r.logs, "event seen: hi there")) << f.r.all(f.r.logs);
    // Acknowledged: polls past the call deadline find no hang.
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_FALSE(f.p->poll());
    EXPECT_FALSE(f.p->fault());
}

TEST(AddinProcess, AFailingEventSlotIsReportedForTheAddinHost) {
    Fixture f;
    ASSERT_EQ(f.load("events = true\nfail = [\"event\"]\n"), MSGR_S_OK);
    msgr_event ev{};
    ev.struct_size = sizeof ev;
    ev.type = MSGR_EVENT_SIGNIN;
    EXPECT_EQ(f.r.subs.at(0).fn(&ev, f.r.subs[0].user), MSGR_S_OK) << "one-way";
    AddinProcess::SlotFailure failure;
    const auto until = Clock::now() + milliseconds(5000);
    while (!f.p->take_slot_failure(failure) && Clock::now() < until)
        std::this_thread::sleep_for(milliseconds(5));
    EXPECT_EQ(failure.hr, MSGR_E_FAIL);
    EXPECT_FALSE(failure.threw);
    EXPECT_EQ(failure.reason, "its MSGR_EVENT_SIGNIN callback returned MSGR_E_FAIL (0x80004005)");
    EXPECT_FALSE(f.p->take_slot_failure(failure)) << "taken once";
}

TEST(AddinProcess, SubmitHandsItsPageToTheRuntimeWithANestedPageVia) {
    Fixture f;
    ASSERT_EQ(f.load("paging = true\npages_via_service = true\n"), MSGR_S_OK);
    ASSERT_TRUE(f.r.has_paging);
    f.r.page_via = [](const msgr_page_request *) { return MSGR_S_OK; };  // a service took it
    const std::string text = "call me";
    const msgr_page_request page{
        sizeof page, 9, "me@example.com", "you@example.com", "xmpp", text.c_str(), text.size()};
    EXPECT_EQ(f.r.paging.submit(f.r.paging.state, &page), MSGR_S_OK);
    EXPECT_TRUE(f.r.has(f.r.pages_via, "9 me@example.com you@example.com xmpp call me"))
        << f.r.all(f.r.pages_via);
    EXPECT_TRUE(f.r.has(f.r.logs, "page-via: 0x00000000")) << f.r.all(f.r.logs);
    EXPECT_FALSE(f.r.has(f.r.posts, "delivery 9")) << "the service reports it, not the provider";

    // Declined: the provider delivers it itself, reported before submit returns.
    f.r.page_via = [](const msgr_page_request *) { return MSGR_S_FALSE; };
    const msgr_page_request second{sizeof second, 10,           "me@example.com", "you@example.com",
                                   "xmpp",        text.c_str(), text.size()};
    EXPECT_EQ(f.r.paging.submit(f.r.paging.state, &second), MSGR_S_OK);
    EXPECT_TRUE(f.r.has(f.r.logs, "page-via: 0x00000001")) << f.r.all(f.r.logs);
    EXPECT_TRUE(f.r.has(f.r.posts, "delivery 10 sent")) << f.r.all(f.r.posts);
}

TEST(AddinProcess, APageViaMayNestACallToTheSameProcessesOwnService) {
    Fixture f;
    ASSERT_EQ(f.load("paging = true\npages_via_service = true\nservice = true\n"
                     "carries_pages = [\"pager@example.com\"]\n"),
              MSGR_S_OK);
    // The runtime hands the page to the contact's service, which is this add-in's own: a call
    // to the process while it waits for the answer to its PageVia.
    f.r.page_via = [&f](const msgr_page_request *page) {
        const msgr_contact_service &s = f.service();
        return s.send_page(s.state, page->message_id, page->to, page->text, page->text_size);
    };
    const std::string text = "nested";
    const msgr_page_request page{sizeof page, 12,           "me@example.com", "pager@example.com",
                                 "misbehave", text.c_str(), text.size()};
    EXPECT_EQ(f.r.paging.submit(f.r.paging.state, &page), MSGR_S_OK);
    EXPECT_TRUE(f.r.has(f.r.logs, "carried page 12 to pager@example.com: nested"))
        << f.r.all(f.r.logs);
    EXPECT_TRUE(f.r.has(f.r.logs, "page-via: 0x00000000")) << f.r.all(f.r.logs);
    EXPECT_TRUE(f.r.wait_for(f.r.posts, "delivery 12 sent")) << "from the service's thread";
    EXPECT_FALSE(f.p->fault()) << f.p->fault().reason;
}

TEST(AddinProcess, TheTimeSpentAnsweringAPageViaDoesNotCountAgainstTheCall) {
    Fixture f(400);
    ASSERT_EQ(f.load("paging = true\npages_via_service = true\n"), MSGR_S_OK);
    f.r.page_via = [](const msgr_page_request *) {
        std::this_thread::sleep_for(milliseconds(600));  // a slow service elsewhere
        return MSGR_S_OK;
    };
    const std::string text = "slow";
    const msgr_page_request page{sizeof page, 11,           "me@example.com", "you@example.com",
                                 "xmpp",      text.c_str(), text.size()};
    EXPECT_EQ(f.r.paging.submit(f.r.paging.state, &page), MSGR_S_OK);
    EXPECT_FALSE(f.p->fault()) << f.p->fault().reason;
}

TEST(AddinProcess, UnloadLetsTheProcessExit) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\n"), MSGR_S_OK);
    const pid_t pid = f.p->pid();
    std::string threw = "not yet";
    f.p->unload(threw, false);
    EXPECT_EQ(threw, "");
    EXPECT_EQ(f.p->pid(), 0) << "reaped";
    EXPECT_FALSE(process_exists(pid));
    EXPECT_FALSE(f.p->fault()) << f.p->fault().reason;
    EXPECT_FALSE(f.p->poll());
}

TEST(AddinProcess, AProcessKilledWhileIdleIsFoundCrashedByPoll) {
    Fixture f;
    ASSERT_EQ(f.load("service = true\n"), MSGR_S_OK);
    ASSERT_EQ(::kill(f.p->pid(), SIGKILL), 0);
    ASSERT_TRUE(f.poll_until_fault());
    const ProcessFault &fault = f.p->fault();
    EXPECT_EQ(fault.state, MSGR_ADDIN_CRASHED);
    EXPECT_EQ(fault.problem, MSGR_ADDIN_PROBLEM_CRASHED);
    EXPECT_EQ(fault.signal, SIGKILL);
    EXPECT_TRUE(contains(fault.reason, "killed by signal 9 (SIGKILL)")) << fault.reason;
    EXPECT_EQ(f.p->pid(), 0) << "reaped";
    EXPECT_FALSE(f.p->poll()) << "reported once";
    const msgr_contact_service &s = f.service();
    EXPECT_EQ(s.signin(s.state, 1, "me@example.com", ""), MSGR_E_UNEXPECTED);
}

TEST(AddinProcess, ACallToAStoppedProcessIsHungWithinItsDeadlineAndKilled) {
    Fixture f(300);
    ASSERT_EQ(f.load("service = true\n"), MSGR_S_OK);
    const pid_t pid = f.p->pid();
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const msgr_contact_service &s = f.service();
    const auto t0 = Clock::now();
    EXPECT_EQ(s.signin(s.state, 1, "me@example.com", ""), MSGR_E_UNEXPECTED);
    const auto took = Clock::now() - t0;
    EXPECT_GE(took, milliseconds(290)) << "it waited for the deadline (in whole milliseconds)";
    EXPECT_LT(took, milliseconds(300) + kSlack) << "the owner thread waits no longer";
    const ProcessFault &fault = f.p->fault();
    EXPECT_EQ(fault.state, MSGR_ADDIN_HUNG);
    EXPECT_EQ(fault.problem, MSGR_ADDIN_PROBLEM_HUNG);
    EXPECT_EQ(fault.reason, "hung: no answer to signin within 300 ms (call_timeout_ms); killed");
    EXPECT_EQ(f.p->pid(), 0) << "killed and reaped";
    EXPECT_FALSE(process_exists(pid));
    EXPECT_TRUE(f.p->poll()) << "the fault a call met is reported by the next poll";
    EXPECT_FALSE(f.p->poll());
}

TEST(AddinProcess, AnEventAStoppedProcessDoesNotAnswerIsHungAtPoll) {
    Fixture f(300);
    ASSERT_EQ(f.load("events = true\n"), MSGR_S_OK);
    ASSERT_EQ(::kill(f.p->pid(), SIGSTOP), 0);
    msgr_event ev{};
    ev.struct_size = sizeof ev;
    ev.type = MSGR_EVENT_MY_STATUS_CHANGE;
    const auto t0 = Clock::now();
    EXPECT_EQ(f.r.subs.at(0).fn(&ev, f.r.subs[0].user), MSGR_S_OK);
    EXPECT_LT(Clock::now() - t0, kSlack) << "events are one-way";
    EXPECT_FALSE(f.p->poll()) << "not yet past the deadline";
    ASSERT_TRUE(f.poll_until_fault());
    EXPECT_GE(Clock::now() - t0, milliseconds(290));
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_HUNG);
    EXPECT_EQ(f.p->fault().reason,
              "hung: no answer to the event MSGR_EVENT_MY_STATUS_CHANGE within 300 ms "
              "(call_timeout_ms); killed");
    EXPECT_EQ(f.p->pid(), 0);
}

TEST(AddinProcess, EventsAStoppedProcessDoesNotReadNeverBlockAndAreBounded) {
    Fixture f(60000);
    ASSERT_EQ(f.load("events = true\n"), MSGR_S_OK);
    ASSERT_EQ(::kill(f.p->pid(), SIGSTOP), 0);
    const std::string text(64 << 10, 'x');
    msgr_event ev{};
    ev.struct_size = sizeof ev;
    ev.type = MSGR_EVENT_MESSAGE_RECEIVED;
    ev.text = text.c_str();
    ev.text_size = text.size();
    const auto t0 = Clock::now();
    msgr_hresult hr = MSGR_S_OK;
    int sent = 0;
    for (; sent < 200 && hr == MSGR_S_OK; ++sent)  // 12.5 MiB: past the socket and the queue
        hr = f.r.subs.at(0).fn(&ev, f.r.subs[0].user);
    EXPECT_LT(Clock::now() - t0, kSlack) << "no event waits for the process";
    EXPECT_EQ(hr, MSGR_E_UNEXPECTED) << "after " << sent << " events";
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_HUNG);
    EXPECT_TRUE(contains(f.p->fault().reason, "does not read its events")) << f.p->fault().reason;
}

TEST(AddinProcess, AMissingProgramIsNoAddinHost) {
    Fixture f;
    f.options.program = "/nonexistent/lib/msgr/msgr-addin-host";
    EXPECT_FALSE(f.start());
    EXPECT_EQ(f.why.problem, MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST);
    EXPECT_TRUE(contains(f.why.reason, "/nonexistent/lib/msgr/msgr-addin-host")) << f.why.reason;
}

TEST(AddinProcess, AFileThatChangedAfterItsVerificationIsRefusedByTheProcess) {
    Fixture f;
    struct stat st {};
    ASSERT_EQ(::stat(kMisbehave.c_str(), &st), 0);
    st.st_size += 1;  // what the verification saw is not this file
    f.p = AddinProcess::start(kMisbehave, st, f.options, f.why);
    EXPECT_EQ(f.p, nullptr);
    EXPECT_EQ(f.why.state, MSGR_ADDIN_REFUSED);
    EXPECT_EQ(f.why.problem, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE) << f.why.reason;
    EXPECT_TRUE(contains(f.why.reason, "changed")) << f.why.reason;
}

// A stand-in for the program: a shell script (the arguments are ignored), in a directory of
// its own that goes away with it.
struct Script {
    std::string dir, path;
    explicit Script(const std::string &body) {
        char tmpl[] = "/tmp/msgr-process-test-XXXXXX";
        const char *made = ::mkdtemp(tmpl);
        if (made == nullptr) throw std::runtime_error("mkdtemp failed");
        dir = made;
        path = dir + "/msgr-addin-host";
        FILE *out = std::fopen(path.c_str(), "w");
        (void)std::fputs(("#!/bin/sh\n" + body + "\n").c_str(), out);
        (void)std::fclose(out);
        ::chmod(path.c_str(), 0700);
    }
    ~Script() {
        ::unlink(path.c_str());
        ::rmdir(dir.c_str());
    }
};

TEST(AddinProcess, AProgramThatNeverSaysHelloIsHungAfterLoadTimeout) {
    const Script silent("exec sleep 30");
    Fixture f;
    f.options.program = silent.path;
    f.options.load_timeout_ms = 300;
    const auto t0 = Clock::now();
    EXPECT_FALSE(f.start());
    const auto took = Clock::now() - t0;
    EXPECT_GE(took, milliseconds(290));
    EXPECT_LT(took, milliseconds(300) + kSlack);
    EXPECT_EQ(f.why.state, MSGR_ADDIN_HUNG) << f.why.reason;
    EXPECT_EQ(f.why.problem, MSGR_ADDIN_PROBLEM_HUNG);
    EXPECT_TRUE(contains(f.why.reason, "within 300 ms (load_timeout_ms); killed")) << f.why.reason;
}

TEST(AddinProcess, AProgramThatExitsBeforeItsHelloSaysWithWhatStatus) {
    const Script quitter("exit 3");
    Fixture f;
    f.options.program = quitter.path;
    EXPECT_FALSE(f.start());
    EXPECT_EQ(f.why.state, MSGR_ADDIN_CRASHED) << f.why.reason;
    EXPECT_EQ(f.why.problem, MSGR_ADDIN_PROBLEM_EXITED) << f.why.reason;
    EXPECT_EQ(f.why.exit_status, 3);
    EXPECT_TRUE(contains(f.why.reason, "exited with status 3")) << f.why.reason;
}

TEST(AddinProcess, AProgramThatSendsGarbageBrokeTheProtocol) {
    // 6 bytes: a frame of body size 2 whose type (0xFFFF) does not exist.
    const Script liar("printf '\\002\\000\\000\\000\\377\\377' >&3; exec sleep 30");
    Fixture f;
    f.options.program = liar.path;
    EXPECT_FALSE(f.start());
    EXPECT_EQ(f.why.problem, MSGR_ADDIN_PROBLEM_PROTOCOL) << f.why.reason;
    EXPECT_TRUE(contains(f.why.reason, "killed")) << f.why.reason;
}

// ---- a hostile peer (process_test_peer.cpp) -----------------------------------------------------

namespace {

// Starts the hostile peer in `mode` and loads it (it registers the service "peer").
struct Peer : Fixture {
    explicit Peer(const char *mode, int call_timeout_ms = 2000) : Fixture(call_timeout_ms) {
        options.program = MSGR_PROCESS_TEST_PEER;
        options.load_timeout_ms = 1000;
        ::setenv("MSGR_PEER_MODE", mode, 1);
    }
    ~Peer() { ::unsetenv("MSGR_PEER_MODE"); }
    Peer(const Peer &) = delete;
    Peer &operator=(const Peer &) = delete;
    msgr_hresult signin() {
        const msgr_contact_service &s = service();
        return s.signin(s.state, 1, "me@example.com", "");
    }
};

}  // namespace

TEST(AddinProcess, AReplyToAnotherCallBreaksTheProtocol) {
    Peer f("wrong-seq");
    ASSERT_EQ(f.load(""), MSGR_S_OK);
    const pid_t pid = f.p->pid();
    EXPECT_EQ(f.signin(), MSGR_E_UNEXPECTED);
    EXPECT_EQ(f.p->fault().state, MSGR_ADDIN_CRASHED);
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_PROTOCOL);
    EXPECT_TRUE(contains(f.p->fault().reason, "a Reply for call 2 in answer to signin"))
        << f.p->fault().reason;
    EXPECT_FALSE(process_exists(pid)) << "killed";
}

TEST(AddinProcess, APageViaOutsideSubmitBreaksTheProtocol) {
    Peer f("page-via");
    ASSERT_EQ(f.load(""), MSGR_S_OK);
    EXPECT_EQ(f.signin(), MSGR_E_UNEXPECTED);
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_PROTOCOL);
    EXPECT_TRUE(f.r.pages_via.empty()) << "never handed to the runtime";
}

TEST(AddinProcess, GarbageOnThePostChannelIsAProtocolFault) {
    for (const char *mode : {"post-garbage", "post-call-frame", "ack-future"}) {
        Peer f(mode);
        ASSERT_TRUE(f.start()) << f.why.reason;
        const pid_t pid = f.p->pid();
        std::string threw;
        // Found by the load's wait for its reports, or by a later poll: whichever comes first.
        const msgr_hresult hr = f.p->load(&f.host, "", "", threw);
        if (hr == MSGR_S_OK) {
            ASSERT_TRUE(f.poll_until_fault()) << mode;
        } else {
            EXPECT_EQ(hr, MSGR_E_UNEXPECTED) << mode;
            EXPECT_TRUE(f.p->poll()) << mode;
        }
        EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_PROTOCOL) << mode;
        EXPECT_TRUE(contains(f.p->fault().reason, "post channel") ||
                    contains(f.p->fault().reason, "acknowledged event 999"))
            << f.p->fault().reason;
        EXPECT_FALSE(process_exists(pid)) << mode << ": killed";
    }
}

TEST(AddinProcess, AProcessThatClosesItsChannelsAndLivesOnIsKilled) {
    Peer f("close-and-live");
    ASSERT_EQ(f.load(""), MSGR_S_OK);
    const pid_t pid = f.p->pid();
    ASSERT_TRUE(f.poll_until_fault());
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_PROTOCOL) << f.p->fault().reason;
    EXPECT_FALSE(process_exists(pid));
}

TEST(AddinProcess, AnAnswerClaimingPostsNeverWrittenCostsAtMostTheDeadline) {
    Peer f("lie-posts", 300);
    ASSERT_EQ(f.load(""), MSGR_S_OK);
    const auto t0 = Clock::now();
    EXPECT_EQ(f.signin(), MSGR_S_OK);
    EXPECT_LT(Clock::now() - t0, milliseconds(300) + kSlack);
}

TEST(AddinProcess, ALoadThatIsNeverAnsweredIsHungWithinLoadTimeout) {
    Peer f("silent-load");
    f.options.load_timeout_ms = 300;
    ASSERT_TRUE(f.start()) << f.why.reason;
    std::string threw;
    const auto t0 = Clock::now();
    EXPECT_EQ(f.p->load(&f.host, "", "", threw), MSGR_E_UNEXPECTED);
    EXPECT_LT(Clock::now() - t0, milliseconds(300) + kSlack);
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_HUNG);
    EXPECT_EQ(f.p->fault().reason,
              "hung: no answer to load within 300 ms (load_timeout_ms); killed");
}

TEST(AddinProcess, ADeathInsideACallSaysHowItDied) {
    {
        Peer f("crash-in-call");
        ASSERT_EQ(f.load(""), MSGR_S_OK);
        EXPECT_EQ(f.signin(), MSGR_E_UNEXPECTED);
        EXPECT_EQ(f.p->fault().state, MSGR_ADDIN_CRASHED);
        EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_CRASHED);
        EXPECT_EQ(f.p->fault().signal, SIGSEGV);
        EXPECT_TRUE(contains(f.p->fault().reason, "killed by signal 11 (SIGSEGV)"))
            << f.p->fault().reason;
    }
    {
        Peer f("exit-in-call");
        ASSERT_EQ(f.load(""), MSGR_S_OK);
        EXPECT_EQ(f.signin(), MSGR_E_UNEXPECTED);
        EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_EXITED);
        EXPECT_EQ(f.p->fault().exit_status, 7);
        EXPECT_TRUE(contains(f.p->fault().reason, "exited with status 7")) << f.p->fault().reason;
    }
}

TEST(AddinProcess, AHostThatIgnoresSigchldStillLearnsTheProcessEnded) {
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGCHLD, &ignore, &old), 0);  // children are reaped by the kernel
    {
        Peer f("");
        ASSERT_EQ(f.load(""), MSGR_S_OK);
        ASSERT_EQ(::kill(f.p->pid(), SIGKILL), 0);
        EXPECT_TRUE(f.poll_until_fault());
        EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_EXITED);
        EXPECT_TRUE(contains(f.p->fault().reason, "how is unknown")) << f.p->fault().reason;
        EXPECT_EQ(f.p->pid(), 0);
    }
    ASSERT_EQ(::sigaction(SIGCHLD, &old, nullptr), 0);
}

TEST(AddinProcess, AReaderStuckInAFullInboxHoldsNeitherACallNorTheDestructor) {
    Peer f("post-in-call", 300);
    ASSERT_EQ(f.load(""), MSGR_S_OK);
    f.r.set_inbox_full(true);
    auto t0 = Clock::now();
    EXPECT_EQ(f.signin(), MSGR_S_OK) << "answered; its report waits for room";
    EXPECT_LT(Clock::now() - t0, milliseconds(300) + kSlack);
    EXPECT_FALSE(f.p->fault());
    const pid_t pid = f.p->pid();
    t0 = Clock::now();
    f.p.reset();  // the reader is still inside post_signin
    EXPECT_LT(Clock::now() - t0, milliseconds(1000) + kSlack);
    EXPECT_FALSE(process_exists(pid)) << "killed and reaped all the same";
    f.r.set_inbox_full(false);  // the inbox drains: the reader finishes and cleans up
    EXPECT_TRUE(f.r.wait_for(f.r.posts, "signin peer 1"));
    std::this_thread::sleep_for(milliseconds(100));
}

TEST(AddinProcess, KillingAHungProcessKillsWhatItForked) {
    Peer f("fork", 300);
    ASSERT_EQ(f.load(""), MSGR_S_OK);
    ASSERT_FALSE(f.r.logs.empty()) << "the child's pid, logged before load returned";
    const pid_t child = std::stoi(f.r.logs.back());
    ASSERT_TRUE(process_runs(child));
    ASSERT_EQ(::kill(f.p->pid(), SIGSTOP), 0);
    EXPECT_EQ(f.signin(), MSGR_E_UNEXPECTED);
    EXPECT_EQ(f.p->fault().problem, MSGR_ADDIN_PROBLEM_HUNG);
    // The child is not ours to reap (its parent's parent is init): dead is enough.
    const auto until = Clock::now() + milliseconds(5000);
    while (process_runs(child) && Clock::now() < until)
        std::this_thread::sleep_for(milliseconds(5));
    EXPECT_FALSE(process_runs(child)) << "its process group was killed";
}

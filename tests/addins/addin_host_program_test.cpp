// The add-in host program (msgr-addin-host) on its own: the real program, spawned here with two
// socketpairs as the runtime spawns it, runs the real test add-in misbehave.so; this test speaks
// the wire protocol to it directly (the runtime's side, AddinProcess, is tested in
// process_test.cpp). Start-up refusals, Hello, Load, calls, events, page-via, unload.
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "addins/protocol.hpp"
#include "msgr/addin.h"

extern char **environ;

namespace wire = msgr::core::wire;

namespace {

const std::string kMisbehave = std::string(MSGR_TEST_ADDIN_DIR) + "/misbehave/misbehave.so";
constexpr int kTimeoutMs = 10000;  // generous: the machine is shared

std::string hex(msgr_hresult hr) {
    char buf[16];
    (void)std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(hr));
    return buf;
}

struct stat stat_of(const std::string &path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st;
}

// The program for one add-in file: spawned with its call channel as fd 3 and its post channel
// as fd 4, as AddinProcess spawns it.
struct Program {
    pid_t pid = -1;
    wire::Channel call, post;
    int status = -1;

    // extra: argv overrides (appended; a later option wins).
    explicit Program(const std::string &addin, std::vector<std::string> extra = {},
                     const struct stat *as = nullptr) {
        const struct stat st = as != nullptr ? *as : stat_of(addin);
        int c[2], p[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c), 0);
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
        std::vector<std::string> args = {
            MSGR_ADDIN_HOST_PROGRAM,
            "--addin",
            addin,
            "--dev",
            std::to_string(st.st_dev),
            "--ino",
            std::to_string(st.st_ino),
            "--size",
            std::to_string(st.st_size),
            "--mtime-ns",
            std::to_string(static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                           st.st_mtim.tv_nsec),
            "--parent",
            std::to_string(::getpid()),
            "--open-files",
            "64"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char *> argv;
        argv.reserve(args.size() + 1);
        for (auto &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, c[1], 3);
        posix_spawn_file_actions_adddup2(&fa, p[1], 4);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
        EXPECT_EQ(::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        ::close(c[1]);
        ::close(p[1]);
        call = wire::Channel(c[0]);
        post = wire::Channel(p[0]);
    }
    ~Program() {
        if (pid > 0 && status < 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }

    template <typename T>
    T receive(wire::Channel &ch) {
        wire::Frame f;
        std::string why;
        const auto st = ch.receive(f, kTimeoutMs, why);
        EXPECT_EQ(st, wire::Channel::Status::ok) << why;
        const T *t = std::get_if<T>(&f);
        EXPECT_NE(t, nullptr) << "frame type " << static_cast<int>(wire::type_of(f));
        return t != nullptr ? *t : T{};
    }
    void send(const wire::Frame &f) {
        std::string why;
        ASSERT_EQ(call.send(f, kTimeoutMs, why), wire::Channel::Status::ok) << why;
    }
    // Posts until one matches (log lines and reports in order); false at the deadline.
    bool post_until(const std::function<bool(const wire::Frame &)> &match,
                    std::vector<wire::Frame> *seen = nullptr) {
        for (;;) {
            wire::Frame f;
            std::string why;
            if (post.receive(f, kTimeoutMs, why) != wire::Channel::Status::ok) return false;
            if (seen != nullptr) seen->push_back(f);
            if (match(f)) return true;
        }
    }
    bool log_until(const std::string &needle) {
        return post_until([&](const wire::Frame &f) {
            const auto *l = std::get_if<wire::Log>(&f);
            return l != nullptr && l->text.find(needle) != std::string::npos;
        });
    }
    // Waits for the exit (bounded); the exit status, or -1.
    int exit_status() {
        for (int i = 0; i < kTimeoutMs / 10 && status < 0; ++i) {
            int st = 0;
            if (::waitpid(pid, &st, WNOHANG) == pid) {
                status = st;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    wire::Hello hello() { return receive<wire::Hello>(call); }
    wire::LoadReply load(const std::string &toml) {
        send(wire::Load{toml, "/test/msgr.toml"});
        return receive<wire::LoadReply>(call);
    }
    wire::Reply call_with(wire::Call c) {
        send(c);
        return receive<wire::Reply>(call);
    }
};

wire::Call make_call(std::uint64_t seq, wire::Method m, std::uint64_t id = 0, std::string a = "",
                     std::string b = "", std::string c = "", std::string d = "") {
    wire::Call call;
    call.seq = seq;
    call.method = m;
    call.id = id;
    call.a = std::move(a);
    call.b = std::move(b);
    call.c = std::move(c);
    call.d = std::move(d);
    return call;
}

bool is_delivery(const wire::Frame &f, std::uint64_t id) {
    const auto *p = std::get_if<wire::Post>(&f);
    return p != nullptr && p->kind == wire::PostKind::Delivery && p->id == id;
}

}  // namespace

TEST(AddinHostProgram, HelloLoadCallEventUnload) {
    Program p(kMisbehave);
    const wire::Hello h = p.hello();
    EXPECT_EQ(h.version, wire::kVersion);
    EXPECT_EQ(h.pid, p.pid);
    EXPECT_EQ(h.hr, MSGR_S_OK) << h.reason;
    EXPECT_EQ(h.descriptor.name, "misbehave");
    EXPECT_EQ(h.descriptor.version, "0.0.1");
    EXPECT_EQ(h.descriptor.config_table, "misbehave");
    EXPECT_EQ(h.descriptor.abi_major, MSGR_ADDIN_ABI_MAJOR);

    const wire::LoadReply l = p.load("paging = true\nservice = true\nevents = true\n");
    EXPECT_EQ(l.hr, MSGR_S_OK) << l.load_error << l.threw;
    EXPECT_TRUE(l.threw.empty());
    EXPECT_TRUE(l.registration.paging);
    EXPECT_EQ(l.registration.max_page_utf16, 100u);
    EXPECT_TRUE(l.registration.has_knows_mobile);
    ASSERT_EQ(l.registration.services.size(), 1u);
    EXPECT_EQ(l.registration.services[0].id, "misbehave");
    EXPECT_EQ(l.registration.services[0].max_message_bytes, 1000u);
    EXPECT_TRUE(l.registration.services[0].has_send_page);
    ASSERT_EQ(l.registration.subscriptions.size(), 1u);
    EXPECT_EQ(l.registration.subscriptions[0], 0);
    EXPECT_EQ(l.registration.drawers_refused, 0u);

    // A service call: what it reported during the call is counted in the Reply's posts.
    wire::Call signin = make_call(1, wire::Method::Signin, 7, "me@test", "pw");
    const wire::Reply r = p.call_with(signin);
    EXPECT_EQ(r.seq, 1u);
    EXPECT_EQ(r.hr, MSGR_S_OK) << r.threw;
    EXPECT_EQ(r.posts, 2u);  // its log line and its sign-in report
    std::vector<wire::Frame> seen;
    ASSERT_TRUE(p.post_until(
        [](const wire::Frame &f) {
            const auto *post = std::get_if<wire::Post>(&f);
            return post != nullptr && post->kind == wire::PostKind::Signin;
        },
        &seen));
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(std::get<wire::Log>(seen[0]).text,
              "misbehave: signin as me@test with a password of 2 bytes");
    const auto &report = std::get<wire::Post>(seen[1]);
    EXPECT_EQ(report.service, "misbehave");
    EXPECT_EQ(report.session, 7u);
    EXPECT_EQ(report.hr, MSGR_S_OK);

    // A page: owed from before submit, reported by the add-in inside it.
    const wire::Reply s = p.call_with(
        make_call(2, wire::Method::Submit, 42, "me@test", "you@test", "misbehave", "hi"));
    EXPECT_EQ(s.hr, MSGR_S_OK) << s.threw;
    seen.clear();
    ASSERT_TRUE(p.post_until([](const wire::Frame &f) { return is_delivery(f, 42); }, &seen));
    EXPECT_EQ(std::get<wire::Post>(seen.back()).i32, MSGR_DELIVERY_SENT);

    // A message through its service, and a describe.
    EXPECT_EQ(p.call_with(make_call(3, wire::Method::SendMessage, 43, "you@test", "hello")).hr,
              MSGR_S_OK);
    ASSERT_TRUE(p.post_until([](const wire::Frame &f) { return is_delivery(f, 43); }));
    const wire::Reply d = p.call_with(make_call(4, wire::Method::Describe, 0, "you@test"));
    EXPECT_EQ(d.hr, MSGR_S_OK);
    EXPECT_EQ(d.out, MSGR_STATUS_ONLINE);
    EXPECT_EQ(d.mobile, 0);

    // Events: one-way; acknowledged once nothing more waits.
    wire::Event e;
    e.seq = 1;
    e.sub = 0;
    e.type = MSGR_EVENT_MESSAGE_RECEIVED;
    e.text = "first";
    p.send(e);
    e.seq = 2;
    e.text = "second";
    p.send(e);
    ASSERT_TRUE(p.log_until("event seen: first"));
    std::uint64_t done = 0;
    ASSERT_TRUE(p.post_until([&](const wire::Frame &f) {
        if (const auto *ed = std::get_if<wire::EventsDone>(&f)) done = ed->seq;
        return done == 2;
    }));

    p.send(wire::Unload{});
    const wire::UnloadReply u = p.receive<wire::UnloadReply>(p.call);
    EXPECT_TRUE(u.threw.empty()) << u.threw;
    EXPECT_GE(u.posts, 7u);
    EXPECT_EQ(p.exit_status(), 0);
}

TEST(AddinHostProgram, ChangedFileRefused) {
    struct stat st = stat_of(kMisbehave);
    st.st_size += 1;
    Program p(kMisbehave, {}, &st);
    const wire::Hello h = p.hello();
    EXPECT_EQ(h.hr, MSGR_E_FAIL);
    EXPECT_EQ(h.problem, static_cast<std::uint32_t>(MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE));
    EXPECT_EQ(h.reason, "the file changed after it was verified");
    EXPECT_EQ(p.exit_status(), 0);
}

TEST(AddinHostProgram, MissingFileRefused) {
    const struct stat st = stat_of(kMisbehave);
    Program p(std::string(MSGR_TEST_ADDIN_DIR) + "/no-such-addin.so", {}, &st);
    const wire::Hello h = p.hello();
    EXPECT_EQ(h.hr, MSGR_E_FILE_NOT_FOUND);
    EXPECT_EQ(h.problem, static_cast<std::uint32_t>(MSGR_ADDIN_PROBLEM_NOT_FOUND));
    EXPECT_NE(h.reason.find("cannot open"), std::string::npos) << h.reason;
}

TEST(AddinHostProgram, RefusesToRunForAnotherParent) {
    Program p(kMisbehave, {"--parent", "1"});
    wire::Frame f;
    std::string why;
    EXPECT_EQ(p.call.receive(f, kTimeoutMs, why), wire::Channel::Status::closed);
    EXPECT_EQ(p.exit_status(), 1);
}

TEST(AddinHostProgram, EndOfTheCallChannelEndsIt) {
    Program p(kMisbehave);
    EXPECT_EQ(p.hello().hr, MSGR_S_OK);
    p.call.close();
    EXPECT_EQ(p.exit_status(), 0);
}

TEST(AddinHostProgram, CallsBeforeLoadAndLoadTwiceAreUnexpected) {
    Program p(kMisbehave);
    EXPECT_EQ(p.hello().hr, MSGR_S_OK);
    EXPECT_EQ(p.call_with(make_call(1, wire::Method::Signout)).hr, MSGR_E_UNEXPECTED);
    EXPECT_EQ(p.load("").hr, MSGR_S_OK);
    EXPECT_EQ(p.load("").hr, MSGR_E_UNEXPECTED);
    // No service registered: target 0 names none.
    EXPECT_EQ(p.call_with(make_call(2, wire::Method::Signout)).hr, MSGR_E_INVALIDARG);
}

TEST(AddinHostProgram, LoadThatThrowsOrFails) {
    {
        Program p(kMisbehave);
        EXPECT_EQ(p.hello().hr, MSGR_S_OK);
        const wire::LoadReply l = p.load("throw = [\"load\"]\nservice = true\n");
        EXPECT_EQ(l.hr, MSGR_E_UNEXPECTED);
        EXPECT_EQ(l.threw, "threw an exception: boom in load");
        EXPECT_TRUE(l.registration.services.empty());
    }
    {
        Program p(kMisbehave);
        EXPECT_EQ(p.hello().hr, MSGR_S_OK);
        const wire::LoadReply l = p.load("fail = [\"load\"]\n");
        EXPECT_EQ(l.hr, MSGR_E_FAIL);
        EXPECT_TRUE(l.threw.empty());
        EXPECT_EQ(l.load_error, "configured to fail");
        // Nothing ran: unload is not called, and the process ends.
        p.send(wire::Unload{});
        EXPECT_TRUE(p.receive<wire::UnloadReply>(p.call).threw.empty());
        EXPECT_EQ(p.exit_status(), 0);
    }
}

TEST(AddinHostProgram, ACallThatThrowsOrFails) {
    Program p(kMisbehave);
    EXPECT_EQ(p.hello().hr, MSGR_S_OK);
    ASSERT_EQ(p.load("service = true\nthrow = [\"set_status\"]\nfail = [\"signout\"]\n").hr,
              MSGR_S_OK);
    const wire::Reply t = p.call_with(make_call(1, wire::Method::SetStatus));
    EXPECT_EQ(t.hr, MSGR_E_UNEXPECTED);
    EXPECT_EQ(t.threw, "threw an exception: boom in set_status");
    const wire::Reply f = p.call_with(make_call(2, wire::Method::Signout));
    EXPECT_EQ(f.hr, MSGR_E_FAIL);
    EXPECT_TRUE(f.threw.empty());
}

TEST(AddinHostProgram, AFailedSlotIsReportedAndNoMoreSlotsRun) {
    Program p(kMisbehave);
    EXPECT_EQ(p.hello().hr, MSGR_S_OK);
    ASSERT_EQ(p.load("events = true\nfail = [\"event\"]\n").hr, MSGR_S_OK);
    wire::Event e;
    e.seq = 1;
    e.type = MSGR_EVENT_MESSAGE_RECEIVED;
    e.text = "one";
    p.send(e);
    e.seq = 2;
    e.text = "two";
    p.send(e);
    std::vector<wire::Frame> seen;
    std::uint64_t done = 0;
    ASSERT_TRUE(p.post_until(
        [&](const wire::Frame &f) {
            if (const auto *ed = std::get_if<wire::EventsDone>(&f)) done = ed->seq;
            return done == 2;
        },
        &seen));
    int slot_failures = 0;
    for (const auto &f : seen) {
        if (const auto *l = std::get_if<wire::Log>(&f)) {
            EXPECT_EQ(l->text, "event seen: one");
        }
        if (const auto *sf = std::get_if<wire::SlotFailed>(&f)) {
            ++slot_failures;
            EXPECT_EQ(sf->seq, 1u);
            EXPECT_EQ(sf->type, MSGR_EVENT_MESSAGE_RECEIVED);
            EXPECT_EQ(sf->hr, MSGR_E_FAIL);
            EXPECT_TRUE(sf->threw.empty());
        }
    }
    EXPECT_EQ(slot_failures, 1);
}

TEST(AddinHostProgram, PageViaServiceAsksTheRuntime) {
    Program p(kMisbehave);
    EXPECT_EQ(p.hello().hr, MSGR_S_OK);
    ASSERT_EQ(p.load("paging = true\npages_via_service = true\nprobe = true\n").hr, MSGR_S_OK);
    // Refused locally, without a frame: in load, outside submit.
    ASSERT_TRUE(p.log_until("refused: page-via-load " + hex(MSGR_E_UNEXPECTED)));

    p.send(make_call(1, wire::Method::Submit, 42, "me@test", "you@test", "xmpp", "page text"));
    // The probes for other pages are refused locally; the page itself goes to the runtime.
    const wire::PageVia via = p.receive<wire::PageVia>(p.call);
    EXPECT_EQ(via.id, 42u);
    EXPECT_EQ(via.from, "me@test");
    EXPECT_EQ(via.to, "you@test");
    EXPECT_EQ(via.to_service, "xmpp");
    EXPECT_EQ(via.text, "page text");
    p.send(wire::PageViaReply{MSGR_S_OK});
    const wire::Reply r = p.receive<wire::Reply>(p.call);
    EXPECT_EQ(r.seq, 1u);
    EXPECT_EQ(r.hr, MSGR_S_OK) << r.threw;
    std::vector<wire::Frame> seen;
    ASSERT_TRUE(p.post_until(
        [](const wire::Frame &f) {
            const auto *l = std::get_if<wire::Log>(&f);
            return l != nullptr && l->text.rfind("page-via: ", 0) == 0;
        },
        &seen));
    std::string logs;
    for (const auto &f : seen) {
        if (const auto *l = std::get_if<wire::Log>(&f)) logs += l->text + "\n";
        EXPECT_FALSE(is_delivery(f, 42));  // the service owes it now
    }
    for (const char *probe : {"page-via-wrong-id", "page-via-other-to", "page-via-other-text",
                              "page-via-other-service", "page-via-small", "page-via-null"}) {
        EXPECT_NE(logs.find(std::string("refused: ") + probe + " " + hex(MSGR_E_INVALIDARG)),
                  std::string::npos)
            << probe << "\n"
            << logs;
    }
    EXPECT_NE(logs.find("page-via: " + hex(MSGR_S_OK)), std::string::npos) << logs;

    // S_FALSE: the paging provider delivers the page itself.
    p.send(make_call(2, wire::Method::Submit, 43, "me@test", "you@test", "xmpp", "again"));
    EXPECT_EQ(p.receive<wire::PageVia>(p.call).id, 43u);
    p.send(wire::PageViaReply{MSGR_S_FALSE});
    EXPECT_EQ(p.receive<wire::Reply>(p.call).hr, MSGR_S_OK);
    ASSERT_TRUE(p.post_until([](const wire::Frame &f) { return is_delivery(f, 43); }));
}

TEST(AddinHostProgram, ReportsTheHostRefusesAreRefusedLocally) {
    Program p(kMisbehave);
    EXPECT_EQ(p.hello().hr, MSGR_S_OK);
    ASSERT_EQ(p.load("service = true\npost_bad = true\n").hr, MSGR_S_OK);
    const wire::Reply r = p.call_with(make_call(1, wire::Method::Signin, 3, "me@test", ""));
    EXPECT_EQ(r.hr, MSGR_S_OK);
    std::vector<wire::Frame> seen;
    ASSERT_TRUE(p.post_until(
        [](const wire::Frame &f) {
            const auto *post = std::get_if<wire::Post>(&f);
            return post != nullptr && post->kind == wire::PostKind::Signin;
        },
        &seen));
    std::string logs;
    int posts = 0;
    for (const auto &f : seen) {
        if (const auto *l = std::get_if<wire::Log>(&f)) logs += l->text + "\n";
        if (std::holds_alternative<wire::Post>(f)) ++posts;
    }
    EXPECT_EQ(posts, 1);  // only the good sign-in report crossed
    for (const char *what : {"other-service", "bad-contact", "bad-status", "null-text"}) {
        EXPECT_NE(logs.find(std::string("refused: ") + what + " " + hex(MSGR_E_INVALIDARG)),
                  std::string::npos)
            << what << "\n"
            << logs;
    }
}

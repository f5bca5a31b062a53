// A hostile stand-in for msgr-addin-host, for process_test: it speaks the wire protocol well
// enough to be started and loaded (a Hello, a LoadReply registering the service "peer" and one
// subscription), then breaks it the way MSGR_PEER_MODE says:
//   wrong-seq       answers a call with the Reply of another call
//   page-via        answers a signin with a PageVia (only a submit may ask one)
//   post-garbage    writes a frame of an unknown type on its post channel
//   post-call-frame writes a Reply (a call channel frame) on its post channel
//   ack-future      acknowledges an event that was never sent
//   close-and-live  closes both channels and lives on
//   lie-posts       answers a call claiming 1000 post frames it never wrote
//   silent-load     never answers the Load
//   crash-in-call   dies of SIGSEGV inside a call
//   exit-in-call    exits with status 7 inside a call
//   post-in-call    reports a sign-in (a Post frame) inside every call, before it answers
//   fork            at load, forks a child that sleeps (in its process group) and logs its pid
//   post-bad-contacts  answers a signin by reporting it done, then sends contact list reports
//                   (add-in ABI 1.6) no add-in host program would let through: a NUL in a name
//                   and in a friendly name, a friendly name of invalid UTF-8 and one too long, a
//                   request from a bad name, a block for a service it does not have, an add
//                   result of S_FALSE; then two good ones (pal@peer is "Pal"; asker@peer asks)
//   post-bad-activity  answers a signin by reporting it done, then sends activity reports (add-in
//                   ABI 1.7) no add-in host program would let through: a NUL in the text, text
//                   of invalid UTF-8 and one too long (1025 bytes), a bad name, a service it does
//                   not have; then a good one (pal@peer is "In a match")
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "addins/protocol.hpp"

using namespace msgr::core::wire;

namespace {

// Dies of SIGSEGV the way a crash does, also under a sanitizer (whose SIGSEGV handler would
// report and exit instead): the default action is set with the system call itself.
[[noreturn]] void die_of_sigsegv() {
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)();
        unsigned long mask;
    } dfl{SIG_DFL, 0, nullptr, 0};
    (void)::syscall(SYS_rt_sigaction, SIGSEGV, &dfl, nullptr, sizeof dfl.mask);
    (void)::syscall(SYS_tgkill, ::getpid(), ::syscall(SYS_gettid), SIGSEGV);
    ::_exit(99);  // not reached
}

}  // namespace

int main() {
    (void)::signal(SIGPIPE, SIG_IGN);
    const char *env = std::getenv("MSGR_PEER_MODE");
    const std::string mode = env != nullptr ? env : "";
    Channel call(3), post(4);
    std::string why;
    std::uint64_t posts = 0;  // frames written on the post channel
    Hello hello;
    hello.pid = static_cast<std::int32_t>(::getpid());
    hello.descriptor.name = "peer";
    hello.descriptor.version = "1";
    hello.descriptor.abi_major = 1;
    hello.descriptor.abi_minor = 3;
    if (call.send(hello, -1, why) != Channel::Status::ok) return 1;
    for (;;) {
        Frame f;
        if (call.receive(f, -1, why) != Channel::Status::ok) return 0;
        if (std::holds_alternative<Load>(f)) {
            if (mode == "silent-load") {
                ::pause();
                return 0;
            }
            LoadReply r;
            r.registration.services.push_back({"peer", 0, 1000, false});
            r.registration.subscriptions.push_back(0);
            if (mode == "fork") {
                const pid_t child = ::fork();
                if (child == 0) {
                    for (;;)
                        ::pause();
                }
                (void)post.send(Log{2, std::to_string(child)}, -1, why);
                r.posts = ++posts;
            }
            if (call.send(r, -1, why) != Channel::Status::ok) return 1;
            if (mode == "post-garbage") {
                (void)post.send_raw(std::string("\2\0\0\0\377\377", 6), -1, why);
            } else if (mode == "post-call-frame") {
                (void)post.send(Reply{}, -1, why);
            } else if (mode == "ack-future") {
                (void)post.send(EventsDone{999}, -1, why);
            } else if (mode == "close-and-live") {
                call.close();
                post.close();
                for (;;)
                    ::pause();
            }
        } else if (const auto *c = std::get_if<Call>(&f)) {
            Reply r;
            r.seq = c->seq;
            if (mode == "wrong-seq") r.seq = c->seq + 1;
            if (mode == "lie-posts") r.posts = 1000;
            if (mode == "crash-in-call") die_of_sigsegv();
            if (mode == "exit-in-call") ::_exit(7);
            if (mode == "post-in-call") {
                Post p;
                p.kind = PostKind::Signin;
                p.service = "peer";
                p.session = c->id;
                if (post.send(p, -1, why) != Channel::Status::ok) return 1;
                r.posts = ++posts;
            }
            if (mode == "post-bad-activity" && c->method == Method::Signin) {
                const auto send = [&](const std::string &service, const std::string &who,
                                      const std::string &text) {
                    Post p;
                    p.kind = service.empty() ? PostKind::Signin : PostKind::Activity;
                    p.service = service.empty() ? "peer" : service;
                    p.session = c->id;
                    p.who = who;
                    p.text = text;
                    if (post.send(p, -1, why) == Channel::Status::ok) ++posts;
                };
                send("", "", "");
                send("peer", "a@peer", std::string("x\0y", 3));
                send("peer", "a@peer", "\xc3(");
                send("peer", "a@peer", std::string(1025, 'x'));
                send("peer", "a\nb@peer", "playing");
                send("not-mine", "a@peer", "playing");
                send("peer", "pal@peer", "In a match");
                r.posts = posts;
            }
            if (mode == "post-bad-contacts" && c->method == Method::Signin) {
                const auto send = [&](PostKind kind, const std::string &service,
                                      const std::string &who, const std::string &text, int hr) {
                    Post p;
                    p.kind = kind;
                    p.service = service;
                    p.session = c->id;
                    p.who = who;
                    p.text = text;
                    p.hr = hr;
                    p.i32 = 1;
                    if (post.send(p, -1, why) == Channel::Status::ok) ++posts;
                };
                send(PostKind::Signin, "peer", "", "", 0);
                send(PostKind::AddResult, "peer", std::string("a\0b@peer", 8), "", 0);
                send(PostKind::FriendlyName, "peer", "a@peer", std::string("x\0y", 3), 0);
                send(PostKind::FriendlyName, "peer", "a@peer", "\xc3(", 0);
                send(PostKind::FriendlyName, "peer", "a@peer", std::string(1025, 'n'), 0);
                send(PostKind::AuthorizationRequest, "peer", " a@peer", "", 0);
                send(PostKind::Blocked, "not-mine", "a@peer", "", 0);
                send(PostKind::AddResult, "peer", "a@peer", "", 1);  // S_FALSE
                send(PostKind::FriendlyName, "peer", "pal@peer", "Pal", 0);
                send(PostKind::AuthorizationRequest, "peer", "asker@peer", "", 0);
                r.posts = posts;
            }
            if (mode == "page-via") {
                (void)call.send(PageVia{1, "a@b", "c@d", "peer", "x"}, -1, why);
                continue;
            }
            if (call.send(r, -1, why) != Channel::Status::ok) return 1;
        } else if (const auto *e = std::get_if<Event>(&f);
                   e != nullptr && (mode == "post-bad-contacts" || mode == "post-bad-activity")) {
            // Run by a whole runtime: its events are acknowledged, as the program does.
            if (post.send(EventsDone{e->seq}, -1, why) == Channel::Status::ok) ++posts;
        } else if (std::holds_alternative<Unload>(f)) {
            (void)call.send(UnloadReply{}, -1, why);
            return 0;
        }
    }
}

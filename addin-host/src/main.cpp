// msgr-addin-host: runs one add-in in a process of its own, behind the same ABI (see
// core/src/addins/protocol.hpp for the wire protocol and the issue 11 contract for the design).
//
//   msgr-addin-host --addin <path> --dev <st_dev> --ino <st_ino> --size <st_size>
//                   --mtime-ns <mtime ns> --parent <runtime pid> [--as-bytes N] [--open-files N]
//
// fd 3: the call channel, fd 4: the post channel, both set up by the runtime (AddinProcess).
// Start-up hardens the process before any add-in code runs, checks that the file is the one the
// runtime verified, loads it and reads its descriptor with the runtime's own reader, then says
// Hello and serves the call channel on the main thread (the add-in's owner thread here).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/dll/shared_library.hpp>

#include "addin.hpp"
#include "addins/descriptor.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MSGR_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define MSGR_SANITIZED 1
#endif
#endif

namespace msgr::addin_host {

namespace wire = core::wire;

namespace {

constexpr int kCallFd = 3;
constexpr int kPostFd = 4;

struct Args {
    std::string addin;
    unsigned long long dev = 0, ino = 0, size = 0, parent = 0;
    long long mtime_ns = 0;
    unsigned long long as_bytes = 0, open_files = 0;
    bool has_dev = false, has_ino = false, has_size = false, has_mtime = false, has_parent = false;
};

[[noreturn]] void usage(const std::string &why) {
    (void)std::fprintf(
        stderr,
        "msgr-addin-host: %s\n"
        "usage: msgr-addin-host --addin <path> --dev N --ino N --size N --mtime-ns N "
        "--parent PID [--as-bytes N] [--open-files N]\n"
        "(started by the msgr runtime, with its channels as fds 3 and 4)\n",
        why.c_str());
    std::_Exit(2);
}

unsigned long long number(std::string_view opt, const char *text) {
    errno = 0;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        usage(std::string(opt) + " wants a number, not \"" + text + "\"");
    return v;
}

Args parse(int argc, char **argv) {
    Args a;
    for (int i = 1; i < argc; i += 2) {
        const std::string_view opt = argv[i];
        if (i + 1 >= argc) usage(std::string(opt) + " wants a value");
        const char *v = argv[i + 1];
        if (opt == "--addin") {
            a.addin = v;
        } else if (opt == "--dev") {
            a.dev = number(opt, v), a.has_dev = true;
        } else if (opt == "--ino") {
            a.ino = number(opt, v), a.has_ino = true;
        } else if (opt == "--size") {
            a.size = number(opt, v), a.has_size = true;
        } else if (opt == "--mtime-ns") {
            a.mtime_ns = static_cast<long long>(number(opt, v)), a.has_mtime = true;
        } else if (opt == "--parent") {
            a.parent = number(opt, v), a.has_parent = true;
        } else if (opt == "--as-bytes") {
            a.as_bytes = number(opt, v);
        } else if (opt == "--open-files") {
            a.open_files = number(opt, v);
        } else {
            usage("unknown option " + std::string(opt));
        }
    }
    if (a.addin.empty() || !a.has_dev || !a.has_ino || !a.has_size || !a.has_mtime ||
        !a.has_parent) {
        usage("--addin, --dev, --ino, --size, --mtime-ns and --parent are required");
    }
    return a;
}

[[noreturn]] void die(const std::string &why) {
    (void)std::fprintf(stderr, "msgr-addin-host: %s\n", why.c_str());
    std::_Exit(1);
}

void set_limit(int resource, rlim_t value, const char *name) {
    const rlimit r{value, value};
    if (::setrlimit(resource, &r) != 0)
        die(std::string("setrlimit ") + name + ": " + std::generic_category().message(errno));
}

// Everything before the add-in's first instruction. Returns a note for the log ("" if none).
std::string harden(const Args &a) {
    // Dies with the runtime; and if the runtime died before this line, nobody would see it die.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("prctl PR_SET_PDEATHSIG failed");
    if (static_cast<unsigned long long>(::getppid()) != a.parent)
        die("the runtime (pid " + std::to_string(a.parent) + ") is gone");
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl PR_SET_NO_NEW_PRIVS failed");
    // Nothing of the runtime's but the two channels (and stdio).
    if (::close_range(kPostFd + 1, ~0u, 0) != 0) {
        const long max = ::sysconf(_SC_OPEN_MAX);
        for (long fd = kPostFd + 1; fd < (max > 0 ? max : 1024); ++fd)
            ::close(static_cast<int>(fd));
    }
    struct stat st {};
    if (::fstat(kCallFd, &st) != 0 || !S_ISSOCK(st.st_mode) || ::fstat(kPostFd, &st) != 0 ||
        !S_ISSOCK(st.st_mode)) {
        usage("fds 3 and 4 must be the runtime's sockets");
    }
    set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
    if (a.open_files != 0) set_limit(RLIMIT_NOFILE, a.open_files, "RLIMIT_NOFILE");
    std::string note;
    if (a.as_bytes != 0) {
#ifdef MSGR_SANITIZED
        // A sanitizer reserves terabytes of shadow memory: any limit would stop the process.
        note = "address_space_mb is not applied: this add-in host is built with a sanitizer";
#else
        set_limit(RLIMIT_AS, a.as_bytes, "RLIMIT_AS");
#endif
    }
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("cannot ignore SIGPIPE");
    // A file size limit inherited from the host makes a write fail with EFBIG, as in the host's
    // process (which may ignore it too), instead of killing the add-in's process.
    if (::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) die("cannot ignore SIGXFSZ");
    return note;
}

void send_hello(wire::Channel &call, const wire::Hello &h) {
    std::string why;
    const auto st = call.send(h, -1, why);
    if (st != wire::Channel::Status::ok) call_channel_lost(st, why);
}

[[noreturn]] void refuse(wire::Channel &call, msgr_hresult hr, msgr_addin_problem problem,
                         std::string reason) {
    wire::Hello h;
    h.pid = static_cast<std::int32_t>(::getpid());
    h.hr = hr;
    h.problem = problem;
    if (reason.size() > wire::kMaxShort) reason.resize(wire::kMaxShort);
    h.reason = std::move(reason);
    send_hello(call, h);
    std::_Exit(0);
}

bool same_file(const struct stat &st, const Args &a) {
    const long long mtime =
        static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    return static_cast<unsigned long long>(st.st_dev) == a.dev &&
           static_cast<unsigned long long>(st.st_ino) == a.ino &&
           static_cast<unsigned long long>(st.st_size) == a.size && mtime == a.mtime_ns;
}

// Kept mapped until the process ends: stray threads of the add-in die with the process.
std::unique_ptr<boost::dll::shared_library> g_library;

// Opens the file, checks it is the one the runtime verified, loads it and reads its descriptor.
core::DescriptorInfo open_addin(wire::Channel &call, const Args &a) {
    const int fd = ::open(a.addin.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        refuse(call, MSGR_E_FILE_NOT_FOUND, MSGR_ADDIN_PROBLEM_NOT_FOUND,
               std::string("cannot open: ") + std::generic_category().message(errno));
    }
    struct stat st {};
    const bool same = ::fstat(fd, &st) == 0 && same_file(st, a);
    ::close(fd);
    const char *changed = "the file changed after it was verified";
    if (!same) refuse(call, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE, changed);
    try {
        // Lazy: an add-in is linked -z now and --no-undefined (msgr_add_addin), so its own
        // symbols are bound at this load either way; what RTLD_NOW would add is binding every
        // function of the libraries it pulls in (the paging add-in's libcurl brings 30, ~3,000
        // of its 13,500 relocations) before its Hello. They bind on first use instead.
        namespace mode = boost::dll::load_mode;
        g_library = std::make_unique<boost::dll::shared_library>(
            std::filesystem::path(a.addin), mode::rtld_lazy | mode::rtld_local);
    } catch (const std::exception &e) {
        refuse(call, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_BAD_FILE,
               std::string("cannot load: ") + e.what());
    }
    // dlopen takes a path: make sure that what it mapped is still the file that was checked.
    struct stat now {};
    if (::stat(a.addin.c_str(), &now) != 0 || !same_file(now, a))
        refuse(call, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE, changed);
    core::DescriptorInfo info;
    core::Refusal why;
    if (!core::read_descriptor(g_library->native(), info, why))
        refuse(call, why.hr, why.problem, why.reason);
    return info;
}

template <typename Answer>
void answer(msgr_host_ctx &ctx, Answer a) {
    send_answer(ctx, std::move(a));
}

void serve_load(msgr_host_ctx &ctx, const wire::Load &l) {
    wire::LoadReply r;
    if (ctx.phase.load() != msgr_host_ctx::Phase::before_load) {
        r.hr = MSGR_E_UNEXPECTED;  // load runs once
        return answer(ctx, std::move(r));
    }
    ctx.origin = l.config_origin;
    if (!l.config_toml.empty()) {
        try {
            ctx.config = std::make_unique<toml::table>(toml::parse(l.config_toml));
        } catch (const std::exception &e) {
            // The runtime parsed this text first: only a runtime's bug gets here.
            ctx.phase = msgr_host_ctx::Phase::load_failed;
            r.hr = MSGR_E_INVALIDARG;
            r.load_error = std::string("its configuration table cannot be read here: ") + e.what();
            if (r.load_error.size() > wire::kMaxShort) r.load_error.resize(wire::kMaxShort);
            return answer(ctx, std::move(r));
        }
    }
    const msgr_host host = make_host(ctx);
    ctx.phase = msgr_host_ctx::Phase::loading;
    r.hr = guard([&] { return ctx.desc.load(&host, &ctx.state); }, r.threw);
    const bool ok = r.threw.empty() && MSGR_SUCCEEDED(r.hr);
    ctx.phase = ok ? msgr_host_ctx::Phase::running : msgr_host_ctx::Phase::load_failed;
    if (ok) {
        r.registration = ctx.registration;
    } else {
        ctx.accepting = false;  // nothing it registered counts; its reports are refused
        ctx.services.clear();
        ctx.subs.clear();
        ctx.registration = {};
    }
    {
        const std::lock_guard<std::mutex> lock(ctx.mutex);
        r.load_error = ctx.load_error.substr(0, wire::kMaxShort);
    }
    answer(ctx, std::move(r));
}

// One event for one subscription. A slot that fails or throws is reported, and no slot runs
// after it: the runtime disables the add-in, as it would have in its own process.
void serve_event(msgr_host_ctx &ctx, const wire::Event &e) {
    if (ctx.phase.load() != msgr_host_ctx::Phase::running || ctx.slots_off ||
        e.sub >= ctx.subs.size()) {
        return;
    }
    const msgr_host_ctx::Sub &sub = ctx.subs[e.sub];
    msgr_event ev{};
    ev.struct_size = sizeof ev;
    ev.type = static_cast<msgr_event_type>(e.type);
    ev.hr = e.hr;
    ev.status = e.status;
    ev.contact = nullptr;  // the host's objects do not cross
    ev.window = nullptr;
    ev.text = e.text.c_str();
    ev.index = static_cast<std::size_t>(e.index);
    ev.text_size = e.text.size();
    wire::SlotFailed failed;
    failed.hr = guard([&] { return sub.fn(&ev, sub.user); }, failed.threw);
    if (failed.threw.empty() && MSGR_SUCCEEDED(failed.hr)) return;
    ctx.slots_off = true;
    ctx.accepting = false;
    failed.seq = e.seq;
    failed.type = e.type;
    ctx.posts->send(failed);
}

[[noreturn]] void serve_unload(msgr_host_ctx &ctx, const wire::Unload &u) {
    const bool ran = ctx.phase.load() == msgr_host_ctx::Phase::running;
    ctx.phase = msgr_host_ctx::Phase::unloading;
    // As in the runtime: reports during the unload count only where the runtime still takes them.
    if (!u.reports_taken) ctx.accepting = false;
    wire::UnloadReply r;
    if (ran) {
        guard(
            [&] {
                ctx.desc.unload(ctx.state);
                return MSGR_S_OK;
            },
            r.threw);
    }
    answer(ctx, std::move(r));
    std::_Exit(0);  // stray threads of the add-in end with the process
}

[[noreturn]] void serve(msgr_host_ctx &ctx, wire::Channel &call) {
    std::uint64_t unacknowledged = 0;  // the last event handled and not yet acknowledged
    for (;;) {
        wire::Frame f;
        std::string why;
        // With events handled, only what is already there: once nothing more is waiting, say
        // that they are done.
        const auto st = call.receive(f, unacknowledged != 0 ? 0 : -1, why);
        if (st == wire::Channel::Status::timeout && unacknowledged != 0) {
            ctx.posts->send(wire::EventsDone{unacknowledged});
            unacknowledged = 0;
            continue;
        }
        if (st != wire::Channel::Status::ok) call_channel_lost(st, why);
        if (const auto *c = std::get_if<wire::Call>(&f)) {
            send_answer(ctx, serve_call(ctx, *c));
        } else if (const auto *e = std::get_if<wire::Event>(&f)) {
            serve_event(ctx, *e);
            unacknowledged = e->seq;
        } else if (const auto *l = std::get_if<wire::Load>(&f)) {
            serve_load(ctx, *l);
        } else if (const auto *u = std::get_if<wire::Unload>(&f)) {
            serve_unload(ctx, *u);
        } else {
            call_channel_lost(wire::Channel::Status::malformed,
                              "an unexpected frame (type " +
                                  std::to_string(static_cast<unsigned>(wire::type_of(f))) + ")");
        }
    }
}

}  // namespace

void call_channel_lost(wire::Channel::Status st, const std::string &why) {
    if (st == wire::Channel::Status::closed) std::_Exit(0);  // the runtime let go of it
    (void)std::fprintf(stderr, "msgr-addin-host: the call channel: %s\n", why.c_str());
    std::_Exit(3);
}

void send_answer(msgr_host_ctx &ctx, wire::Frame a) {
    std::visit(
        [&](auto &x) {
            if constexpr (requires { x.posts; }) x.posts = ctx.posts->count();
        },
        a);
    std::string why;
    const auto st = ctx.call->send(a, -1, why);
    if (st != wire::Channel::Status::ok) call_channel_lost(st, why);
}

namespace {

[[noreturn]] void run(int argc, char **argv) {
    const Args args = parse(argc, argv);
    const std::string note = harden(args);

    static wire::Channel call(kCallFd);
    static Posts posts(kPostFd);
    static msgr_host_ctx ctx;
    ctx.main_thread = std::this_thread::get_id();
    ctx.posts = &posts;
    ctx.call = &call;
    ctx.stem = std::filesystem::path(args.addin).stem().string();
    if (!note.empty()) log_line(ctx, MSGR_LOG_INFO, note);

    const msgr::core::DescriptorInfo info = open_addin(call, args);
    ctx.desc = info.desc;
    wire::Hello hello;
    hello.pid = static_cast<std::int32_t>(::getpid());
    hello.descriptor = info.fields;
    send_hello(call, hello);
    serve(ctx, call);
}

}  // namespace

}  // namespace msgr::addin_host

int main(int argc, char **argv) {
    using namespace msgr::addin_host;
    try {
        run(argc, argv);
    } catch (const std::exception &e) {  // out of memory before the add-in runs, say
        die(std::string("cannot start: ") + e.what());
    }
}

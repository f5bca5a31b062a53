#include "server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace msgr::test {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// ---- every server we started, SIGKILLed at exit if still there ----

std::mutex live_mutex;
std::set<pid_t> live_pids;
std::set<std::string> live_dirs;  // fixtures' temporary directories not yet removed

void kill_live_at_exit() {
    std::lock_guard lock(live_mutex);
    for (pid_t pid : live_pids) {
        ::kill(-pid, SIGKILL);  // its process group (each server leads its own)
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    live_pids.clear();
    for (const auto &d : live_dirs) {
        std::error_code ec;
        fs::remove_all(d, ec);
    }
    live_dirs.clear();
}

void install_atexit() {
    static std::once_flag once;
    std::call_once(once, [] { (void)std::atexit(kill_live_at_exit); });
}

void register_live(pid_t pid) {
    install_atexit();
    std::lock_guard lock(live_mutex);
    live_pids.insert(pid);
}

void unregister_live(pid_t pid) {
    std::lock_guard lock(live_mutex);
    live_pids.erase(pid);
}

void register_dir(const fs::path &dir, bool live) {
    install_atexit();
    std::lock_guard lock(live_mutex);
    if (live)
        live_dirs.insert(dir.string());
    else
        live_dirs.erase(dir.string());
}

// fork + exec with stdout and stderr to `out_path` (appended), stdin from /dev/null, every other
// descriptor closed (so the server holds no copy of a test's sockets), in its own process group
// and killed when the forking thread dies. Everything the child needs is prepared before fork.
pid_t spawn_process(const std::vector<std::string> &argv, const fs::path &out_path) {
    std::vector<char *> args;
    args.reserve(argv.size() + 1);
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    const std::string out = out_path.string();
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) throw ServerError(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        const int in = ::open("/dev/null", O_RDONLY);
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (in < 0 || fd < 0) ::_exit(126);
        ::dup2(in, 0);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::syscall(SYS_close_range, 3U, ~0U, 0U);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// Waits for `pid` to exit up to `timeout`. Returns its wait status, or nullopt if still running.
std::optional<int> wait_for(pid_t pid, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            if (pidfd >= 0) ::close(pidfd);
            return r == pid ? status : 0;
        }
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            ::poll(&p, 1, static_cast<int>(left.count()));
        } else {
            std::this_thread::sleep_for(milliseconds(2));
        }
    }
    if (pidfd >= 0) ::close(pidfd);
    return std::nullopt;
}

// A process's start time (field 22 of /proc/<pid>/stat), to tell a live owner from a reused pid.
std::string start_time_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return {};
    const auto paren = line.rfind(')');
    if (paren == std::string::npos) return {};
    std::istringstream rest(line.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i) {
    }
    return field;
}

}  // namespace

void ServerProcess::spawn(const std::vector<std::string> &argv, const fs::path &out_path) {
    if (running()) throw ServerError("the server is already running");
    pid_ = spawn_process(argv, out_path);
    register_live(pid_);
}

std::optional<int> ServerProcess::exited() {
    if (pid_ <= 0) return 0;
    auto status = wait_for(pid_, milliseconds(0));
    if (status) {
        ::kill(-pid_, SIGKILL);  // whatever it left in its group
        unregister_live(pid_);
        pid_ = -1;
    }
    return status;
}

void ServerProcess::end(milliseconds grace, int first_signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, first_signal);
    if (!wait_for(pid_, grace)) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        wait_for(pid_, milliseconds(5000));
    }
    // Anything left in its process group goes too.
    ::kill(-pid_, SIGKILL);
    unregister_live(pid_);
    pid_ = -1;
}

int run_command(const std::vector<std::string> &argv, milliseconds timeout, std::string *output) {
    char tmpl[] = "/tmp/msgr-cmd-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) throw ServerError("mkstemp failed");
    ::close(fd);
    const fs::path out_path = tmpl;
    const pid_t pid = spawn_process(argv, out_path);
    auto status = wait_for(pid, timeout);
    int result;
    if (!status) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        result = -1;
    } else {
        result = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    }
    ::kill(-pid, SIGKILL);  // nothing it started outlives it
    if (output) *output = read_text_file(out_path);
    std::error_code ec;
    fs::remove(out_path, ec);
    return result;
}

void sweep_stale_fixture_dirs(const std::string &prefix) {
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(fs::temp_directory_path(), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        std::ifstream owner(e.path() / "owner");
        pid_t pid = 0;
        std::string started;
        if (!(owner >> pid >> started) || pid <= 0) continue;  // not (yet) claimed: leave it
        if (start_time_of(pid) == started) continue;           // its owner is alive
        fs::remove_all(e.path(), ec);
    }
}

fs::path make_fixture_dir(const std::string &prefix) {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw ServerError("mkdtemp failed");
    fs::path dir = tmpl;
    register_dir(dir, true);
    write_text_file(dir / "owner",
                    std::to_string(::getpid()) + " " + start_time_of(::getpid()) + "\n");
    static std::mutex swept_mutex;
    static std::set<std::string> swept;
    bool sweep = false;
    {
        std::lock_guard lock(swept_mutex);
        sweep = swept.insert(prefix).second;
    }
    if (sweep) sweep_stale_fixture_dirs(prefix);
    return dir;
}

void remove_fixture_dir(const fs::path &dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    register_dir(dir, false);
}

std::uint16_t pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ServerError("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
        ::close(fd);
        throw ServerError("cannot bind a loopback port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

bool tcp_connects(const std::string &host, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string read_text_file(const fs::path &p, std::size_t offset) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(offset));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text_file(const fs::path &p, const std::string &text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw ServerError("cannot write " + p.string());
}

TestCertificates make_test_certificates(const fs::path &d, const std::string &domain,
                                        milliseconds command_timeout) {
    fs::create_directories(d);
    TestCertificates t;
    t.ca_file = d / "ca.pem";
    t.wrong_ca_file = d / "wrong-ca.pem";
    t.cert_file = d / "server.pem";
    t.key_file = d / "server.key";
    write_text_file(d / "server.ext",
                    "basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=DNS:" +
                        domain + "\n");
    auto ca = [&](const fs::path &key, const fs::path &cert, const std::string &cn) {
        return std::vector<std::string>{"openssl",
                                        "req",
                                        "-x509",
                                        "-newkey",
                                        "ec",
                                        "-pkeyopt",
                                        "ec_paramgen_curve:prime256v1",
                                        "-nodes",
                                        "-keyout",
                                        key.string(),
                                        "-out",
                                        cert.string(),
                                        "-days",
                                        "2",
                                        "-subj",
                                        "/CN=" + cn,
                                        "-addext",
                                        "basicConstraints=critical,CA:TRUE",
                                        "-addext",
                                        "keyUsage=critical,keyCertSign,cRLSign"};
    };
    const std::vector<std::vector<std::string>> steps = {
        ca(d / "ca.key", t.ca_file, "msgr test CA"),
        ca(d / "wrong-ca.key", t.wrong_ca_file, "msgr wrong CA"),
        {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", t.key_file.string(), "-out", (d / "server.csr").string(), "-subj",
         "/CN=" + domain},
        {"openssl", "x509", "-req", "-in", (d / "server.csr").string(), "-CA", t.ca_file.string(),
         "-CAkey", (d / "ca.key").string(), "-CAcreateserial", "-out", t.cert_file.string(),
         "-days", "2", "-extfile", (d / "server.ext").string()},
    };
    for (const auto &argv : steps) {
        std::string out;
        const int rc = run_command(argv, command_timeout, &out);
        if (rc != 0)
            throw ServerError("openssl failed (" + std::to_string(rc) + "): " + argv[1] + "\n" +
                              out);
    }
    return t;
}

}  // namespace msgr::test

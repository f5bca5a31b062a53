#include "prosody_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace msgr::test {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// ---- every prosody we started, SIGKILLed at exit if still there ----

std::mutex live_mutex;
std::set<pid_t> live_pids;

std::set<std::string> live_dirs;  // fixtures' temporary directories not yet removed

void kill_live_at_exit() {
    std::lock_guard lock(live_mutex);
    for (pid_t pid : live_pids) {
        ::kill(-pid, SIGKILL);  // its process group (prosody leads its own)
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

void register_dir(const fs::path &dir, bool live) {
    install_atexit();
    std::lock_guard lock(live_mutex);
    if (live)
        live_dirs.insert(dir.string());
    else
        live_dirs.erase(dir.string());
}

void unregister_live(pid_t pid) {
    std::lock_guard lock(live_mutex);
    live_pids.erase(pid);
}

// ---- processes ----

// fork + exec with stdout and stderr to `out_path` (appended), stdin from /dev/null, every other
// descriptor closed (so the server holds no copy of a test's sockets), in its own process group
// and killed when the forking thread dies. Everything the child needs is prepared before fork.
pid_t spawn(const std::vector<std::string> &argv, const fs::path &out_path) {
    std::vector<char *> args;
    args.reserve(argv.size() + 1);
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    const std::string out = out_path.string();
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) throw ProsodyError(std::string("fork: ") + std::strerror(errno));
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

std::string read_file(const fs::path &p, std::size_t offset = 0) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(offset));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path &p, const std::string &text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw ProsodyError("cannot write " + p.string());
}

// A Lua string literal.
std::string lua(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            (void)std::snprintf(buf, sizeof buf, "\\%03u", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// prosody's datamanager file-name encoding: every non-alphanumeric byte as %xx.
std::string dm_encode(const std::string &s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c)) {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            (void)std::snprintf(buf, sizeof buf, "%%%02x", c);
            out += buf;
        }
    }
    return out;
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

void sweep_stale_prosody_dirs() {
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(fs::temp_directory_path(), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("msgr-prosody-", 0) != 0) continue;
        std::ifstream owner(e.path() / "owner");
        pid_t pid = 0;
        std::string started;
        if (!(owner >> pid >> started) || pid <= 0) continue;  // not (yet) claimed: leave it
        if (start_time_of(pid) == started) continue;           // its owner is alive
        fs::remove_all(e.path(), ec);
    }
}

int run_command(const std::vector<std::string> &argv, milliseconds timeout, std::string *output) {
    char tmpl[] = "/tmp/msgr-cmd-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) throw ProsodyError("mkstemp failed");
    ::close(fd);
    const fs::path out_path = tmpl;
    const pid_t pid = spawn(argv, out_path);
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
    if (output) *output = read_file(out_path);
    std::error_code ec;
    fs::remove(out_path, ec);
    return result;
}

std::uint16_t pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ProsodyError("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
        ::close(fd);
        throw ProsodyError("cannot bind a loopback port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

ProsodyFixture::ProsodyFixture(ProsodyOptions options) : options_(std::move(options)) {
    if (const char *e = std::getenv("MSGR_PROSODY_LOG"); e && *e) options_.log_level = e;
    std::string tmpl = (fs::temp_directory_path() / "msgr-prosody-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw ProsodyError("mkdtemp failed");
    dir_ = tmpl;
    register_dir(dir_, true);
    write_file(dir_ / "owner", std::to_string(::getpid()) + " " + start_time_of(::getpid()) + "\n");
    static std::once_flag swept;
    std::call_once(swept, sweep_stale_prosody_dirs);
    fs::create_directories(data_dir());
    fs::create_directories(dir_ / "certs");  // prosody indexes this; empty is fine
    if (options_.tls) make_certificates();
}

ProsodyFixture::~ProsodyFixture() {
    try {
        kill();
    } catch (...) {
    }
    if (options_.print_log_on_destroy || ::testing::Test::HasFailure()) print_log(std::cerr);
    std::error_code ec;
    fs::remove_all(dir_, ec);
    register_dir(dir_, false);
}

void ProsodyFixture::make_certificates() {
    const fs::path d = dir_ / "tls";
    fs::create_directories(d);
    ca_file_ = d / "ca.pem";
    wrong_ca_file_ = d / "wrong-ca.pem";
    cert_file_ = d / "server.pem";
    key_file_ = d / "server.key";
    write_file(d / "server.ext",
               "basicConstraints=CA:FALSE\n"
               "keyUsage=critical,digitalSignature,keyEncipherment\n"
               "extendedKeyUsage=serverAuth\n"
               "subjectAltName=DNS:" +
                   options_.domain + "\n");
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
        ca(d / "ca.key", ca_file_, "msgr test CA"),
        ca(d / "wrong-ca.key", wrong_ca_file_, "msgr wrong CA"),
        {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key_file_.string(), "-out", (d / "server.csr").string(), "-subj",
         "/CN=" + options_.domain},
        {"openssl", "x509", "-req", "-in", (d / "server.csr").string(), "-CA", ca_file_.string(),
         "-CAkey", (d / "ca.key").string(), "-CAcreateserial", "-out", cert_file_.string(), "-days",
         "2", "-extfile", (d / "server.ext").string()},
    };
    for (const auto &argv : steps) {
        std::string out;
        const int rc = run_command(argv, options_.command_timeout, &out);
        if (rc != 0)
            throw ProsodyError("openssl failed (" + std::to_string(rc) + "): " + argv[1] + "\n" +
                               out);
    }
}

void ProsodyFixture::write_config() const {
    std::ostringstream c;
    c << "-- written by msgr's ProsodyFixture\n"
      << "run_as_root = true\n"
      << "pidfile = " << lua((dir_ / "prosody.pid").string()) << "\n"
      << "data_path = " << lua(data_dir().string()) << "\n"
      << "certificates = " << lua((dir_ / "certs").string()) << "\n"
      << "log = { { levels = { min = " << lua(options_.log_level) << " }, to = \"file\", "
      << "filename = " << lua(log_file().string()) << " } }\n"
      << "interfaces = { \"127.0.0.1\" }\n"
      << "local_interfaces = { \"127.0.0.1\" }\n"
      << "c2s_ports = { " << port_ << " }\n"
      << "c2s_direct_tls_ports = { }\n"
      << "legacy_ssl_ports = { }\n"
      << "s2s_ports = { }\n"
      << "http_ports = { }\n"
      << "https_ports = { }\n"
      << "component_ports = { }\n"
      << "storage = \"internal\"\n"
      << "authentication = \"internal_hashed\"\n"
      << "allow_registration = false\n"
      << "c2s_require_encryption = " << (options_.tls && options_.require_tls ? "true" : "false")
      << "\n"
      << "allow_unencrypted_plain_auth = " << (options_.tls ? "false" : "true") << "\n"
      << "disable_sasl_mechanisms = { \"DIGEST-MD5\""
      << (options_.scram ? "" : ", \"SCRAM-SHA-1\", \"SCRAM-SHA-1-PLUS\"") << " }\n"
      << (options_.nagle ? "" : "network_settings = { nagle = false }\n")
      << "smacks_hibernation_time = " << options_.smacks_hibernation_seconds << "\n";
    c << "modules_enabled = { \"roster\", \"saslauth\", \"tls\", \"disco\", \"ping\"";
    if (options_.stream_management) c << ", \"smacks\"";
    if (options_.mam) c << ", \"mam\"";
    if (options_.carbons) c << ", \"carbons\"";
    for (const auto &m : options_.extra_modules)
        c << ", " << lua(m);
    c << " }\n";
    c << "modules_disabled = { \"s2s\", \"s2s_auth_certs\", \"dialback\"";
    if (!options_.offline_messages) c << ", \"offline\"";
    c << " }\n";
    if (options_.mam) {
        c << "default_archive_policy = true\n"
          << "archive_expires_after = " << lua(options_.archive_expires_after) << "\n"
          << "storage_archive_item_limit = " << options_.archive_item_limit << "\n"
          << "max_archive_query_results = " << options_.max_archive_query_results << "\n";
    }
    c << options_.extra_config << "\n";
    c << "VirtualHost " << lua(options_.domain) << "\n";
    if (options_.tls)
        c << "    ssl = { certificate = " << lua(cert_file_.string())
          << ", key = " << lua(key_file_.string()) << " }\n";
    write_file(config_file(), c.str());
}

void ProsodyFixture::start() {
    if (pid_ > 0 && running()) throw ProsodyError("prosody is already running");
    const bool first = port_ == 0;
    std::string why;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (first) port_ = pick_free_port();
        write_config();
        if (try_start(why)) return;
        // A port collision: on the first start try another port; on a restart the port must
        // stay the same, so wait a little for whoever holds it.
        if (!first) std::this_thread::sleep_for(milliseconds(100));
    }
    print_log(std::cerr);
    throw ProsodyError("prosody did not start: " + why);
}

bool ProsodyFixture::try_start(std::string &why) {
    log_offset_at_start_ = fs::exists(log_file()) ? fs::file_size(log_file()) : 0;
    const auto t0 = Clock::now();
    pid_ = spawn({"prosody", "-F", "--config", config_file().string()}, dir_ / "prosody.stdout");
    register_live(pid_);
    const std::string ready =
        "Activated service 'c2s' on [127.0.0.1]:" + std::to_string(port_) + "\n";
    const auto deadline = t0 + options_.start_timeout;
    while (Clock::now() < deadline) {
        const std::string log = read_file(log_file(), log_offset_at_start_);
        const bool collided = log.find("Failed to open server port") != std::string::npos;
        if (auto status = wait_for(pid_, milliseconds(0))) {
            unregister_live(pid_);
            pid_ = -1;
            if (collided) {
                why = "port " + std::to_string(port_) + " in use";
                return false;
            }
            print_log(std::cerr);
            throw ProsodyError("prosody exited during start (status " + std::to_string(*status) +
                               "); log in " + dir_.string());
        }
        if (collided) {
            kill();
            why = "port " + std::to_string(port_) + " in use";
            return false;
        }
        if (log.find(ready) != std::string::npos && tcp_connects(host_, port_)) {
            last_start_duration_ = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
            return true;
        }
        std::this_thread::sleep_for(milliseconds(5));
    }
    kill();
    print_log(std::cerr);
    throw ProsodyError("prosody did not listen within " +
                       std::to_string(options_.start_timeout.count()) + " ms; killed");
}

bool ProsodyFixture::running() {
    if (pid_ <= 0) return false;
    if (wait_for(pid_, milliseconds(0))) {
        unregister_live(pid_);
        pid_ = -1;
        return false;
    }
    return true;
}

void ProsodyFixture::wait_exit_or_kill(milliseconds grace, int first_signal) {
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

void ProsodyFixture::stop() {
    wait_exit_or_kill(options_.stop_timeout, SIGTERM);
}

void ProsodyFixture::kill() {
    wait_exit_or_kill(milliseconds(5000), SIGKILL);
}

void ProsodyFixture::restart() {
    stop();
    start();
}

void ProsodyFixture::add_user(const std::string &user, const std::string &password) {
    if (!fs::exists(config_file())) write_config();  // prosodyctl reads it, even before start()
    std::string out;
    const int rc = run_command({"prosodyctl", "--config", config_file().string(), "register", user,
                                options_.domain, password},
                               options_.command_timeout, &out);
    if (rc != 0)
        throw ProsodyError("prosodyctl register " + user + " failed (" +
                           (rc < 0 ? std::string("timed out, killed") : std::to_string(rc)) +
                           "):\n" + out);
}

void ProsodyFixture::remove_user(const std::string &user) {
    if (!fs::exists(config_file())) write_config();
    std::string out;
    const int rc =
        run_command({"prosodyctl", "--config", config_file().string(), "deluser", jid(user)},
                    options_.command_timeout, &out);
    if (rc != 0)
        throw ProsodyError("prosodyctl deluser " + user + " failed (" + std::to_string(rc) +
                           "):\n" + out);
}

void ProsodyFixture::make_contacts(const std::string &user_a, const std::string &user_b,
                                   const std::string &name_a, const std::string &name_b) {
    const fs::path roster_dir = data_dir() / dm_encode(options_.domain) / "roster";
    fs::create_directories(roster_dir);
    auto add = [&](const std::string &owner, const std::string &contact, const std::string &name) {
        // Read what is there (a roster written by us earlier) and append one item. The format is
        // prosody's internal keyval store: a Lua table keyed by bare JID, metadata under false.
        const fs::path file = roster_dir / (dm_encode(owner) + ".dat");
        std::string items;
        const std::string existing = read_file(file);
        const std::string begin = "-- items\n", end = "-- end items\n";
        if (auto b = existing.find(begin), e = existing.find(end);
            b != std::string::npos && e != std::string::npos)
            items = existing.substr(b + begin.size(), e - b - begin.size());
        items += "\t[" + lua(jid(contact)) + "] = { subscription = \"both\"; groups = {}; name = " +
                 lua(name.empty() ? contact : name) + " };\n";
        write_file(file, "return {\n\t[false] = { version = 1; pending = {} };\n" + begin + items +
                             end + "};\n");
    };
    add(user_a, user_b, name_b);
    add(user_b, user_a, name_a);
}

std::string ProsodyFixture::log() const {
    return read_file(log_file()) + read_file(dir_ / "prosody.stdout");
}

void ProsodyFixture::print_log(std::ostream &out) const {
    out << "---- prosody log (" << log_file().string() << ") ----\n"
        << read_file(log_file()) << "---- prosody stdout/stderr ----\n"
        << read_file(dir_ / "prosody.stdout") << "---- end of prosody log ----\n";
}

}  // namespace msgr::test

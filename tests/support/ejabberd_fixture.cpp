#include "ejabberd_fixture.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace msgr::test {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// A double-quoted string for YAML and for Erlang (both take \" and \\ inside "...").
std::string quoted(const std::string &s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// Where Debian puts ejabberd's Erlang applications (ejabberdctl's ERL_LIBS).
std::string erl_libs() {
    std::error_code ec;
    for (const auto &e : fs::directory_iterator("/usr/lib", ec)) {
        if (!e.is_directory()) continue;
        std::error_code ec2;
        for (const auto &app : fs::directory_iterator(e.path(), ec2)) {
            if (app.path().filename().string().rfind("ejabberd-", 0) == 0) return e.path().string();
        }
    }
    throw EjabberdError("ejabberd is not installed (scripts/install-deps installs it)");
}

std::string random_hex(std::size_t n) {
    std::random_device rd;
    std::string out;
    static const char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i)
        out += digits[rd() % 16];
    return out;
}

std::atomic<int> node_counter{0};

}  // namespace

EjabberdFixture::EjabberdFixture(EjabberdOptions options) : options_(std::move(options)) {
    if (const char *e = std::getenv("MSGR_EJABBERD_LOG"); e && *e) options_.log_level = e;
    dir_ = make_fixture_dir("msgr-ejabberd-");
    fs::create_directories(dir_ / "spool");
    node_ = "msgr_ej_" + std::to_string(::getpid()) + "_" + std::to_string(++node_counter) +
            "@localhost";
    cookie_ = random_hex(32);
    if (options_.tls) {
        try {
            certs_ =
                make_test_certificates(dir_ / "tls", options_.domain, options_.command_timeout);
        } catch (const ServerError &e) {
            throw EjabberdError(e.what());
        }
    }
}

EjabberdFixture::~EjabberdFixture() {
    try {
        kill();
    } catch (...) {
    }
    if (options_.print_log_on_destroy || ::testing::Test::HasFailure()) print_log(std::cerr);
    remove_fixture_dir(dir_);
}

void EjabberdFixture::write_config() const {
    std::ostringstream c;
    c << "# written by msgr's EjabberdFixture\n"
      << "hosts:\n  - " << quoted(options_.domain) << "\n"
      << "loglevel: " << options_.log_level << "\n"
      << "log_rotate_count: 0\n"
      << "hide_sensitive_log_data: false\n";
    if (options_.tls)
        c << "certfiles:\n  - " << quoted(certs_.cert_file.string()) << "\n"
          << "  - " << quoted(certs_.key_file.string()) << "\n";
    c << "listen:\n"
      << "  -\n"
      << "    port: " << port_ << "\n"
      << "    ip: \"127.0.0.1\"\n"
      << "    module: ejabberd_c2s\n"
      << "    max_stanza_size: 1048576\n"
      << "    shaper: none\n"
      << "    access: all\n"
      << "    starttls: " << (options_.tls ? "true" : "false") << "\n"
      << "    starttls_required: " << (options_.tls && options_.require_tls ? "true" : "false")
      << "\n"
      << "auth_method: internal\n"
      << "auth_password_format: plain\n"
      << "default_db: mnesia\n"
      << "s2s_access: none\n";
    if (!options_.scram)
        c << "disable_sasl_mechanisms:\n  - \"SCRAM-SHA-1\"\n  - \"SCRAM-SHA-256\"\n"
          << "  - \"SCRAM-SHA-512\"\n  - \"DIGEST-MD5\"\n  - \"X-OAUTH2\"\n";
    c << "acl:\n  local:\n    user_regexp: \"\"\n"
      << "access_rules:\n  local:\n    allow: local\n  c2s:\n    allow: all\n"
      << "  register:\n    deny: all\n"
      << "shaper_rules: {}\n"
      << "modules:\n"
      << "  mod_admin_extra: {}\n"
      << "  mod_caps: {}\n"
      << "  mod_disco: {}\n"
      << "  mod_ping: {}\n"
      << "  mod_roster:\n    versioning: true\n"
      << "  mod_blocking: {}\n"
      << "  mod_privacy: {}\n"
      // PEP (XEP-0163), for XEP-0172 nicknames.
      << "  mod_pubsub:\n    plugins: [\"flat\", \"pep\"]\n";
    if (options_.offline_messages) c << "  mod_offline: {}\n";
    if (options_.stream_management)
        c << "  mod_stream_mgmt:\n    resume_timeout: " << options_.resume_timeout_seconds << "\n";
    if (options_.mam) c << "  mod_mam:\n    default: always\n";
    if (options_.carbons) c << "  mod_carboncopy: {}\n";
    if (options_.muc)
        c << "  mod_muc:\n    host: \"conference.@HOST@\"\n    access_create: local\n"
          << "    history_size: 20\n";
    c << options_.extra_modules;
    write_text_file(config_file(), c.str());
}

std::vector<std::string> EjabberdFixture::erl_env() const {
    return {"env",
            "EJABBERD_CONFIG_PATH=" + config_file().string(),
            "EJABBERD_LOG_PATH=" + log_file().string(),
            "ERL_LIBS=" + erl_libs(),
            "ERL_CRASH_DUMP=" + (dir_ / "erl_crash.dump").string(),
            "ERL_CRASH_DUMP_BYTES=0",
            "HOME=" + dir_.string(),  // no ~/.erlang.cookie of anyone's is read or written
            "erl",
            "-setcookie",
            cookie_,
            "-erl_epmd_port",
            std::to_string(dist_port_),
            "-start_epmd",
            "false"};
}

void EjabberdFixture::start() {
    if (running()) throw EjabberdError("ejabberd is already running");
    const bool first = port_ == 0;
    std::string why;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (first) {
            port_ = pick_free_port();
            do
                dist_port_ = pick_free_port();
            while (dist_port_ == port_);
        }
        write_config();
        if (try_start(why)) {
            flush_commands();
            return;
        }
        if (!first) std::this_thread::sleep_for(milliseconds(200));
    }
    print_log(std::cerr);
    throw EjabberdError("ejabberd did not start: " + why);
}

bool EjabberdFixture::try_start(std::string &why) {
    log_offset_at_start_ = fs::exists(log_file()) ? fs::file_size(log_file()) : 0;
    const fs::path out = dir_ / "ejabberd.stdout";
    const std::size_t out_offset = fs::exists(out) ? fs::file_size(out) : 0;
    const auto t0 = Clock::now();
    std::vector<std::string> argv = erl_env();
    for (const std::string &a :
         {std::string("-sname"), node_, std::string("-kernel"),
          std::string("inet_dist_use_interface"), std::string("{127,0,0,1}"),
          std::string("-noinput"), std::string("-mnesia"), std::string("dir"),
          quoted((dir_ / "spool").string()), std::string("-s"), std::string("ejabberd")})
        argv.push_back(a);
    process_.spawn(argv, out);
    const std::string started = "is started in the node " + node_;
    const std::string listening =
        "Start accepting TCP connections at 127.0.0.1:" + std::to_string(port_) +
        " for ejabberd_c2s";
    const auto deadline = t0 + options_.start_timeout;
    while (Clock::now() < deadline) {
        const std::string text =
            read_text_file(log_file(), log_offset_at_start_) + read_text_file(out, out_offset);
        const bool collided = text.find("eaddrinuse") != std::string::npos;
        const bool failed = text.find("Failed to start ejabberd") != std::string::npos;
        if (collided) {
            kill();
            why = "a port in use (" + std::to_string(port_) + " or " + std::to_string(dist_port_) +
                  ")";
            return false;
        }
        if (failed || process_.exited()) {
            kill();
            print_log(std::cerr);
            throw EjabberdError("ejabberd failed to start; log in " + dir_.string());
        }
        if (text.find(started) != std::string::npos && text.find(listening) != std::string::npos &&
            tcp_connects(host_, port_)) {
            last_start_duration_ = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
            return true;
        }
        std::this_thread::sleep_for(milliseconds(20));
    }
    kill();
    print_log(std::cerr);
    throw EjabberdError("ejabberd did not start within " +
                        std::to_string(options_.start_timeout.count()) + " ms; killed");
}

bool EjabberdFixture::running() {
    return process_.running();
}

void EjabberdFixture::stop() {
    process_.end(options_.stop_timeout, SIGTERM);
}

void EjabberdFixture::kill() {
    process_.end(milliseconds(5000), SIGKILL);
}

void EjabberdFixture::restart() {
    stop();
    start();
}

void EjabberdFixture::add_user(const std::string &user, const std::string &password) {
    queued_.push_back({"register", user, options_.domain, password});
    if (running()) flush_commands();
}

void EjabberdFixture::make_contacts(const std::string &user_a, const std::string &user_b,
                                    const std::string &name_a, const std::string &name_b) {
    queued_.push_back({"add_rosteritem", user_a, options_.domain, user_b, options_.domain,
                       name_b.empty() ? user_b : name_b, "", "both"});
    queued_.push_back({"add_rosteritem", user_b, options_.domain, user_a, options_.domain,
                       name_a.empty() ? user_a : name_a, "", "both"});
    if (running()) flush_commands();
}

int EjabberdFixture::ctl(const std::vector<std::string> &args, std::string *output) {
    if (!running()) throw EjabberdError("ejabberd_ctl: ejabberd is not running");
    // A hidden node that connects to ours (at its distribution port, no epmd), runs each command
    // through ejabberd_ctl:process/1 as ejabberdctl does, and exits with the first nonzero code.
    std::string cmds = "[";
    for (std::size_t i = 0; i < queued_.size() + 1; ++i) {
        const auto &c = i < queued_.size() ? queued_[i] : args;
        if (c.empty()) continue;
        if (cmds.size() > 1) cmds += ",";
        cmds += "[";
        for (std::size_t j = 0; j < c.size(); ++j)
            cmds += (j ? "," : "") + quoted(c[j]);
        cmds += "]";
    }
    cmds += "]";
    queued_.clear();
    const std::string script =
        "N = '" + node_ +
        "', "
        "R = [case rpc:call(N, ejabberd_ctl, process, [C], 20000) of X when is_integer(X) -> X; "
        "Other -> io:format(\"~p~n\", [Other]), 99 end || C <- " +
        cmds +
        "], "
        "erlang:halt(case [X || X <- R, X =/= 0] of [] -> 0; [F | _] -> F end, [{flush, false}]).";
    std::vector<std::string> argv = erl_env();
    for (const std::string &a :
         {std::string("-sname"), "msgr_ctl_" + random_hex(8) + "@localhost",
          std::string("-dist_listen"), std::string("false"), std::string("-hidden"),
          std::string("-noinput"), std::string("-eval"), script})
        argv.push_back(a);
    return run_command(argv, options_.command_timeout, output);
}

void EjabberdFixture::flush_commands() {
    if (queued_.empty()) return;
    std::string out;
    const int rc = ctl({}, &out);
    if (rc != 0)
        throw EjabberdError("ejabberd_ctl failed (" +
                            (rc < 0 ? std::string("timed out, killed") : std::to_string(rc)) +
                            "):\n" + out);
}

std::string EjabberdFixture::log() const {
    return read_text_file(log_file()) + read_text_file(dir_ / "ejabberd.stdout");
}

void EjabberdFixture::print_log(std::ostream &out) const {
    out << "---- ejabberd log (" << log_file().string() << ") ----\n"
        << read_text_file(log_file()) << "---- ejabberd stdout/stderr ----\n"
        << read_text_file(dir_ / "ejabberd.stdout") << "---- end of ejabberd log ----\n";
}

}  // namespace msgr::test

#include "prosody_fixture.hpp"

#include <signal.h>
#include <stdlib.h>

#include <cctype>
#include <iostream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace msgr::test {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

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

}  // namespace

void sweep_stale_prosody_dirs() {
    sweep_stale_fixture_dirs("msgr-prosody-");
}

ProsodyFixture::ProsodyFixture(ProsodyOptions options) : options_(std::move(options)) {
    if (const char *e = std::getenv("MSGR_PROSODY_LOG"); e && *e) options_.log_level = e;
    dir_ = make_fixture_dir("msgr-prosody-");
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
    remove_fixture_dir(dir_);
}

void ProsodyFixture::make_certificates() {
    try {
        const TestCertificates t =
            make_test_certificates(dir_ / "tls", options_.domain, options_.command_timeout);
        ca_file_ = t.ca_file;
        wrong_ca_file_ = t.wrong_ca_file;
        cert_file_ = t.cert_file;
        key_file_ = t.key_file;
    } catch (const ServerError &e) {
        throw ProsodyError(e.what());
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
    // blocklist (XEP-0191) and pep (XEP-0163, for XEP-0172 nicknames): the contact list.
    c << "modules_enabled = { \"roster\", \"saslauth\", \"tls\", \"disco\", \"ping\", "
         "\"blocklist\", \"pep\"";
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
    write_text_file(config_file(), c.str());
}

void ProsodyFixture::start() {
    if (running()) throw ProsodyError("prosody is already running");
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
    process_.spawn({"prosody", "-F", "--config", config_file().string()}, dir_ / "prosody.stdout");
    const std::string ready =
        "Activated service 'c2s' on [127.0.0.1]:" + std::to_string(port_) + "\n";
    const auto deadline = t0 + options_.start_timeout;
    while (Clock::now() < deadline) {
        const std::string log = read_text_file(log_file(), log_offset_at_start_);
        const bool collided = log.find("Failed to open server port") != std::string::npos;
        if (auto status = process_.exited()) {
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
    return process_.running();
}

void ProsodyFixture::stop() {
    process_.end(options_.stop_timeout, SIGTERM);
}

void ProsodyFixture::kill() {
    process_.end(milliseconds(5000), SIGKILL);
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
        const std::string existing = read_text_file(file);
        const std::string begin = "-- items\n", end = "-- end items\n";
        if (auto b = existing.find(begin), e = existing.find(end);
            b != std::string::npos && e != std::string::npos)
            items = existing.substr(b + begin.size(), e - b - begin.size());
        items += "\t[" + lua(jid(contact)) + "] = { subscription = \"both\"; groups = {}; name = " +
                 lua(name.empty() ? contact : name) + " };\n";
        write_text_file(file, "return {\n\t[false] = { version = 1; pending = {} };\n" + begin +
                                  items + end + "};\n");
    };
    add(user_a, user_b, name_b);
    add(user_b, user_a, name_a);
}

std::string ProsodyFixture::log() const {
    return read_text_file(log_file()) + read_text_file(dir_ / "prosody.stdout");
}

void ProsodyFixture::print_log(std::ostream &out) const {
    out << "---- prosody log (" << log_file().string() << ") ----\n"
        << read_text_file(log_file()) << "---- prosody stdout/stderr ----\n"
        << read_text_file(dir_ / "prosody.stdout") << "---- end of prosody log ----\n";
}

}  // namespace msgr::test

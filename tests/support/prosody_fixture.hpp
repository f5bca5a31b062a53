// A real prosody XMPP server for tests, on loopback, in a private temporary directory.
//
//   msgr::test::ProsodyFixture server;            // plaintext allowed (default options)
//   server.start();                               // throws ProsodyError (with the log) on failure
//   server.add_user("alice", "secret");           // prosodyctl register
//   server.make_contacts("alice", "bob");         // mutual roster subscription, before sign-in
//   connect to server.host() : server.port(), domain server.domain(), JID server.jid("alice")
//   server.kill(); server.restart();              // same port, same data
//
// With ProsodyOptions::tls the fixture generates a CA and a server certificate for domain() with
// the openssl CLI; ca_file() is the CA to trust, wrong_ca_file() a CA that signed nothing here.
//
// Every start and every prosodyctl call has a timeout and is killed by pid when it runs out.
// prosody runs in its own process group with PR_SET_PDEATHSIG=SIGKILL, and an atexit handler
// SIGKILLs every prosody still registered, so none outlives the test process. PDEATHSIG follows
// the *thread* that forked: call start()/restart() from a thread that outlives the server (the
// test's main thread). Only 127.0.0.1 is ever listened on; s2s and HTTP are disabled.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "xmpp_server.hpp"

namespace msgr::test {

class ProsodyError : public ServerError {
  public:
    using ServerError::ServerError;
};

struct ProsodyOptions {
    // The XMPP domain of the one VirtualHost. Clients connect to 127.0.0.1 and use this domain.
    std::string domain = "localhost";
    // Generate a CA + server certificate and offer STARTTLS.
    bool tls = false;
    // c2s_require_encryption. Only meaningful with tls; without TLS the fixture always allows
    // plaintext and unencrypted PLAIN auth (allow_unencrypted_plain_auth) for tests.
    bool require_tls = false;
    // Offer SCRAM-SHA-1. false leaves only SASL PLAIN, which libstrophe then uses: a way around
    // libstrophe 0.12's thread-unsafe SHA-1 when several connections in one process sign in
    // at the same moment (see bare_client.hpp).
    bool scram = true;
    // prosody's default leaves Nagle's algorithm on for client connections. With XEP-0198 the
    // server writes a stanza and then an <r/> separately, and the second write waits for the
    // client's delayed ACK: ~40 ms added to a loopback round trip. Off by default here (tests
    // stay fast, the benchmark measures the client); true gives prosody's stock behaviour.
    bool nagle = false;
    // XEP-0198 stream management (mod_smacks) and how long a broken session may be resumed.
    bool stream_management = true;
    int smacks_hibernation_seconds = 60;
    // Store messages to offline users (mod_offline, on by default in prosody).
    bool offline_messages = true;
    // XEP-0313 message archive (mod_mam, every message archived: default_archive_policy =
    // true), kept for archive_expires_after ("never", or prosody's "1w", "1d", ...), up to
    // archive_item_limit messages per user (prosody's internal storage stops at 10,000), and
    // pages of at most max_archive_query_results (prosody's default is 50).
    bool mam = false;
    std::string archive_expires_after = "never";
    int archive_item_limit = 1000000;
    int max_archive_query_results = 250;
    // XEP-0280 message carbons (mod_carbons).
    bool carbons = false;
    // More modules for modules_enabled, and raw Lua appended to the global section.
    std::vector<std::string> extra_modules;
    std::string extra_config;
    // "debug" logs every stanza (slower); "info" is enough to see connections and errors.
    std::string log_level = "info";
    // Bounds on starting (until c2s listens), stopping (SIGTERM until exit, then SIGKILL) and
    // each prosodyctl/openssl command.
    std::chrono::milliseconds start_timeout{10000};
    std::chrono::milliseconds stop_timeout{5000};
    std::chrono::milliseconds command_timeout{10000};
    // Print the server log to stderr when the fixture is destroyed (always done on a start
    // failure, and by the destructor while a gtest failure is recorded).
    bool print_log_on_destroy = false;
};

class ProsodyFixture : public XmppServer {
  public:
    explicit ProsodyFixture(ProsodyOptions options = {});
    ~ProsodyFixture()
        override;  // kills prosody if running, prints the log if the test failed, removes dir
    ProsodyFixture(const ProsodyFixture &) = delete;
    ProsodyFixture &operator=(const ProsodyFixture &) = delete;

    // Starts prosody and waits until c2s listens. The first start picks a free port (retrying
    // with another port on a collision); later starts reuse it with the same data.
    void start() override;
    // SIGTERM, wait for exit up to stop_timeout, then SIGKILL. No-op when not running.
    void stop() override;
    // SIGKILL now and reap: "the server died mid-conversation". No-op when not running.
    void kill() override;
    // stop() (if running) then start() on the same port with the same data directory.
    void restart() override;
    bool running() override;  // reaps the process if it has exited
    pid_t pid() const { return process_.pid(); }

    // Accounts. add_user works before start and while running (prosodyctl register writes the
    // data directory). Throws ProsodyError if prosodyctl fails or times out.
    void add_user(const std::string &user, const std::string &password) override;
    void remove_user(const std::string &user);
    // Puts each in the other's roster with subscription "both" (and the given display names).
    // Written straight into the data directory: do it before either user signs in.
    void make_contacts(const std::string &user_a, const std::string &user_b,
                       const std::string &name_a = {}, const std::string &name_b = {}) override;

    const char *implementation() const override { return "prosody"; }
    const std::string &host() const override { return host_; }  // "127.0.0.1"
    std::uint16_t port() const override { return port_; }  // c2s, valid after the first start()
    const std::string &domain() const override { return options_.domain; }
    bool tls() const { return options_.tls; }
    // PEM files (empty paths without tls).
    const std::filesystem::path &ca_file() const { return ca_file_; }
    const std::filesystem::path &wrong_ca_file() const { return wrong_ca_file_; }

    const std::filesystem::path &dir() const { return dir_; }
    std::filesystem::path config_file() const { return dir_ / "prosody.cfg.lua"; }
    std::filesystem::path log_file() const { return dir_ / "prosody.log"; }
    std::filesystem::path data_dir() const { return dir_ / "data"; }
    std::string log() const;  // the server log (and its stdout/stderr) so far
    void print_log(std::ostream &out) const;

    // How long the last start() took until c2s accepted connections.
    std::chrono::milliseconds last_start_duration() const { return last_start_duration_; }

  private:
    void write_config() const;
    void make_certificates();
    bool try_start(std::string &why);  // false + why on a port collision

    ProsodyOptions options_;
    std::filesystem::path dir_;
    std::filesystem::path ca_file_, wrong_ca_file_, cert_file_, key_file_;
    std::string host_ = "127.0.0.1";
    std::uint16_t port_ = 0;
    ServerProcess process_;
    std::size_t log_offset_at_start_ = 0;
    std::chrono::milliseconds last_start_duration_{0};
};

// run_command and pick_free_port are in server_process.hpp.

// Removes fixture directories under the temp dir whose owning test process is gone (killed by a
// signal, so neither destructor nor atexit ran). Each fixture directory holds an `owner` file
// (pid and process start time). Done once per process by the first fixture; safe to call again.
void sweep_stale_prosody_dirs();

}  // namespace msgr::test

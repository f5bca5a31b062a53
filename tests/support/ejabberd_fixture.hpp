// A real ejabberd (Debian's package) for tests, on loopback, in a private temporary directory:
// the second server implementation beside prosody_fixture.hpp, with the same shape.
//
//   msgr::test::EjabberdFixture server;           // plaintext allowed (default options)
//   server.add_user("alice", "secret");           // before start: done once it runs
//   server.make_contacts("alice", "bob");         // mutual roster subscription "both"
//   server.start();                               // throws EjabberdError (with the log)
//   connect to server.host() : server.port(), domain server.domain(), JID server.jid("alice")
//   server.kill(); server.restart();              // same port, same data (Mnesia on disk)
//
// ejabberd runs as `erl ... -s ejabberd` (what `ejabberdctl foreground` runs, without its switch
// to the ejabberd system user) with its own ejabberd.yml, Mnesia spool and logs in the fixture's
// directory, its own Erlang node name and a random cookie, and no epmd at all: the node's
// distribution listens on a free loopback port of its own (-erl_epmd_port, -start_epmd false),
// so two fixtures and a system ejabberd never meet. Accounts and roster items go through
// ejabberd_ctl (the module `ejabberdctl register` / `add_rosteritem` call), all waiting ones in
// one short-lived hidden Erlang node: they need the server running, so before start() they are
// queued and done by start().
//
// Every start and every command has a timeout and is killed when it runs out. The server runs
// in its own process group with PR_SET_PDEATHSIG=SIGKILL, and an atexit handler SIGKILLs every
// one still registered (server_process.hpp): none outlives the test process. Only 127.0.0.1 is
// ever listened on (c2s and the Erlang distribution); s2s and HTTP are off.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "xmpp_server.hpp"

namespace msgr::test {

class EjabberdError : public ServerError {
  public:
    using ServerError::ServerError;
};

struct EjabberdOptions {
    std::string domain = "localhost";
    // A CA + server certificate (server_process.hpp) and STARTTLS offered; require_tls makes it
    // starttls_required. Without tls the c2s listener offers no TLS and allows PLAIN.
    bool tls = false;
    bool require_tls = false;
    // Offer SCRAM-SHA-1 (false: only PLAIN; see ProsodyOptions::scram).
    bool scram = true;
    // XEP-0198 (mod_stream_mgmt) and how long a broken session may be resumed.
    bool stream_management = true;
    int resume_timeout_seconds = 60;
    bool offline_messages = true;  // mod_offline
    bool mam = true;               // mod_mam, every message archived (default: always)
    bool carbons = true;           // mod_carboncopy (XEP-0280)
    bool muc = true;               // mod_muc on conference.<domain>
    // More YAML for the modules: section (indented by four spaces), e.g. "    mod_vcard: {}\n".
    std::string extra_modules;
    std::string log_level = "info";  // ejabberd's loglevel
    // ejabberd takes a few seconds to start (longer on a loaded machine).
    std::chrono::milliseconds start_timeout{60000};
    std::chrono::milliseconds stop_timeout{10000};
    std::chrono::milliseconds command_timeout{30000};
    bool print_log_on_destroy = false;
};

class EjabberdFixture : public XmppServer {
  public:
    explicit EjabberdFixture(EjabberdOptions options = {});
    ~EjabberdFixture() override;  // kills ejabberd, prints the log if the test failed, removes dir
    EjabberdFixture(const EjabberdFixture &) = delete;
    EjabberdFixture &operator=(const EjabberdFixture &) = delete;

    const char *implementation() const override { return "ejabberd"; }
    // Starts ejabberd, waits until it is started and c2s accepts connections, then does the
    // queued accounts and roster items. The first start picks free ports (retrying on a
    // collision); later starts reuse them with the same data.
    void start() override;
    void stop() override;  // SIGTERM (the node stops cleanly), then SIGKILL after stop_timeout
    void kill() override;  // SIGKILL now and reap
    void restart() override;
    bool running() override;
    pid_t pid() const { return process_.pid(); }

    void add_user(const std::string &user, const std::string &password) override;
    void make_contacts(const std::string &user_a, const std::string &user_b,
                       const std::string &name_a = {}, const std::string &name_b = {}) override;
    // One ejabberd_ctl command now (the server must be running), e.g. {"registered_users",
    // "localhost"}: its exit code (0 for success); its output in `output`.
    int ctl(const std::vector<std::string> &args, std::string *output = nullptr);

    const std::string &host() const override { return host_; }
    std::uint16_t port() const override { return port_; }
    const std::string &domain() const override { return options_.domain; }
    const std::string &node() const { return node_; }  // the Erlang node name
    std::uint16_t distribution_port() const { return dist_port_; }
    const std::filesystem::path &ca_file() const { return certs_.ca_file; }
    const std::filesystem::path &wrong_ca_file() const { return certs_.wrong_ca_file; }

    const std::filesystem::path &dir() const { return dir_; }
    std::filesystem::path config_file() const { return dir_ / "ejabberd.yml"; }
    std::filesystem::path log_file() const { return dir_ / "ejabberd.log"; }
    std::string log() const;
    void print_log(std::ostream &out) const;
    std::chrono::milliseconds last_start_duration() const { return last_start_duration_; }

  private:
    void write_config() const;
    bool try_start(std::string &why);  // false + why on a port collision
    // Runs the queued ctl commands in one hidden node; throws EjabberdError if one fails.
    void flush_commands();
    std::vector<std::string> erl_env() const;

    EjabberdOptions options_;
    std::filesystem::path dir_;
    TestCertificates certs_;
    std::string host_ = "127.0.0.1";
    std::uint16_t port_ = 0, dist_port_ = 0;
    std::string node_, cookie_;
    ServerProcess process_;
    std::vector<std::vector<std::string>> queued_;
    std::size_t log_offset_at_start_ = 0;
    std::chrono::milliseconds last_start_duration_{0};
};

}  // namespace msgr::test

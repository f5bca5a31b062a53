// What the test servers' fixtures (prosody_fixture, ejabberd_fixture) share: a server process in
// its own process group that nothing outlives, commands with a timeout, private temporary
// directories swept when their owner died, free loopback ports and a test CA.
//
// Every process started here runs in its own process group with PR_SET_PDEATHSIG=SIGKILL (which
// follows the *thread* that forked: start servers from a thread that outlives them, the test's
// main thread), and an atexit handler SIGKILLs every group still registered and removes every
// fixture directory still registered, so none outlives the test process.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace msgr::test {

// What the fixtures throw (ProsodyError and EjabberdError derive from it).
class ServerError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One server process: fork + exec with stdout and stderr appended to a file, stdin from
// /dev/null, every other descriptor closed, in its own process group, killed with its group at
// exit if still running.
class ServerProcess {
  public:
    ServerProcess() = default;
    ~ServerProcess() { end(std::chrono::milliseconds(5000), SIGKILL); }
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    void spawn(const std::vector<std::string> &argv, const std::filesystem::path &out_path);
    // Its wait status if it has exited (then reaped: pid() is -1), nullopt while it runs.
    std::optional<int> exited();
    bool running() { return pid_ > 0 && !exited(); }
    pid_t pid() const { return pid_; }
    // Sends first_signal, waits up to `grace` for the exit, then SIGKILLs; the whole process
    // group is SIGKILLed either way. No-op when not running.
    void end(std::chrono::milliseconds grace, int first_signal);

  private:
    pid_t pid_ = -1;
};

// Runs argv with a timeout (SIGKILL to its process group when it runs out); stdout+stderr go to
// `output`. Returns the exit status (128 + signal when killed by one), or -1 on timeout.
int run_command(const std::vector<std::string> &argv, std::chrono::milliseconds timeout,
                std::string *output = nullptr);

// A fixture's private temporary directory, <tmp>/<prefix>XXXXXX, with an `owner` file (this
// process's pid and start time); removed at exit if the fixture did not remove it. The first
// call for a prefix in a process sweeps that prefix's directories whose owner is gone.
std::filesystem::path make_fixture_dir(const std::string &prefix);
// Removes the directory and forgets it.
void remove_fixture_dir(const std::filesystem::path &dir);
// Removes <tmp>/<prefix>* directories whose owning process is gone (killed by a signal, so
// neither destructor nor atexit ran). Safe to call again.
void sweep_stale_fixture_dirs(const std::string &prefix);

// A loopback TCP port that was free a moment ago (bind port 0, read it, release it).
std::uint16_t pick_free_port();
// Whether a TCP connection to host:port succeeds now.
bool tcp_connects(const std::string &host, std::uint16_t port);

std::string read_text_file(const std::filesystem::path &p, std::size_t offset = 0);
void write_text_file(const std::filesystem::path &p, const std::string &text);

// A CA, a server certificate for `domain` signed by it, and a second CA that signed nothing,
// made with the openssl CLI in `dir`.
struct TestCertificates {
    std::filesystem::path ca_file, wrong_ca_file, cert_file, key_file;
};
TestCertificates make_test_certificates(const std::filesystem::path &dir, const std::string &domain,
                                        std::chrono::milliseconds command_timeout);

}  // namespace msgr::test

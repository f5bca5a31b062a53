// Every test process gets its own fresh, empty XDG_DATA_HOME, so that no test sees the history
// (or the paging outbox) another test, or an earlier run, left behind: each conversation a test
// opens starts empty, as the tests written before the history store expect.
//
// Linked into every test binary (tests/CMakeLists.txt, msgr_fresh_data_home). A static
// initializer makes $TMPDIR/msgr-test-data-XXXXXX (mode 0700) and points XDG_DATA_HOME at it
// before main, whatever XDG_DATA_HOME was (a ctest ENVIRONMENT from before the store pointed it
// at a shared build directory, which would now carry history from run to run); the directory is
// removed at exit. A test that wants a data home of its own sets XDG_DATA_HOME itself while it
// runs (the history tests do, to restart a runtime over the same files). MSGR_TEST_DATA_HOME,
// when set, is used as it is instead and kept (to look at what a test wrote).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

class FreshDataHome {
  public:
    FreshDataHome() {
        if (const char *keep = std::getenv("MSGR_TEST_DATA_HOME"); keep != nullptr && *keep) {
            ::setenv("XDG_DATA_HOME", keep, 1);
            return;
        }
        const char *tmp = std::getenv("TMPDIR");
        std::string pattern =
            std::string(tmp != nullptr && *tmp == '/' ? tmp : "/tmp") + "/msgr-test-data-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) return;  // the tests then say what failed
        dir_ = pattern;
        ::setenv("XDG_DATA_HOME", dir_.c_str(), 1);
    }
    ~FreshDataHome() {
        // Only in the process that made it: a forked child that exits must not remove it.
        if (dir_.empty() || ::getpid() != pid_) return;
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    FreshDataHome(const FreshDataHome &) = delete;
    FreshDataHome &operator=(const FreshDataHome &) = delete;

  private:
    std::string dir_;
    pid_t pid_ = ::getpid();
};

const FreshDataHome fresh_data_home;

}  // namespace

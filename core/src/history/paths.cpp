#include "history/paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "error.hpp"
#include "history/sqlite.hpp"
#include "history/store.hpp"

namespace msgr::core::history {

namespace {

// Every byte outside [A-Za-z0-9._@+-] becomes %XX, and so does a leading '.': the result is
// one file name that is never ".", ".." or hidden, whatever the sign-in name holds.
std::string escape_name(const std::string &s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        const bool plain = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
                           (b >= '0' && b <= '9') || b == '_' || b == '@' || b == '+' || b == '-' ||
                           (b == '.' && i > 0);
        if (plain) {
            out += static_cast<char>(b);
        } else {
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 0xF];
        }
    }
    return out;
}

std::string env_absolute(const char *name) {
    const char *v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): nothing here calls setenv
    if (v == nullptr || v[0] != '/') return {};
    return v;
}

// mkdir -p with mode 0700 for what it creates; directories that exist are left as they are.
msgr_hresult make_dirs(const std::string &dir) {
    if (dir.empty()) return MSGR_S_OK;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return MSGR_S_OK;
        return fail(MSGR_E_FAIL, dir + " is not a directory");
    }
    const std::size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
        if (const msgr_hresult hr = make_dirs(dir.substr(0, slash)); hr != MSGR_S_OK) return hr;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return errno_fail(errno, "cannot make the directory " + dir);
    }
    return MSGR_S_OK;
}

}  // namespace

msgr_hresult errno_fail(int err, const std::string &what) {
    return fail(hresult_of_errno(err), what + ": " + std::generic_category().message(err));
}

std::string default_path(const std::string &dir, const std::string &service,
                         const std::string &account_key) {
    if (service.empty() || account_key.empty()) return {};
    std::string base = dir;
    if (base.empty()) {
        std::string data = env_absolute("XDG_DATA_HOME");
        if (data.empty()) {
            const std::string home = env_absolute("HOME");
            if (home.empty()) return {};
            data = home + "/.local/share";
        }
        base = data + "/msgr/history";
    }
    while (base.size() > 1 && base.back() == '/')
        base.pop_back();
    return base + "/" + escape_name(service) + "/" + escape_name(account_key) + ".sqlite3";
}

msgr_hresult prepare_file(const std::string &path) {
    if (path.empty()) return fail(MSGR_E_FAIL, "no history file (no data directory was found)");
    const std::size_t slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
        if (const msgr_hresult hr = make_dirs(path.substr(0, slash)); hr != MSGR_S_OK) return hr;
    }
    // O_EXCL: an existing file keeps its mode and content.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return MSGR_S_OK;
    }
    if (errno == EEXIST) return MSGR_S_OK;
    return errno_fail(errno, "cannot create " + path);
}

std::string index_path(const std::string &path) {
    return path + "-index";
}

msgr_hresult move_aside(const std::string &path, std::int64_t unix_ms, std::string &moved_to) {
    moved_to = path + ".corrupt-" + std::to_string(unix_ms);
    if (std::rename(path.c_str(), moved_to.c_str()) != 0) {
        return errno_fail(errno, "cannot move " + path + " aside");
    }
    const std::string wal = path + "-wal";
    if (::access(wal.c_str(), F_OK) == 0) {
        // A -wal that stays could be replayed into the fresh database.
        if (std::rename(wal.c_str(), (moved_to + "-wal").c_str()) != 0) {
            return errno_fail(errno, "cannot move " + wal + " aside");
        }
    }
    ::unlink((path + "-shm").c_str());
    return MSGR_S_OK;
}

}  // namespace msgr::core::history

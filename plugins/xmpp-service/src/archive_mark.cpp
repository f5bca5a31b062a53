#include "archive_mark.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include "stanza.hpp"

namespace msgr_xmpp {

namespace {

// mkdir -p with mode 0700 for what it creates.
bool make_dirs(const std::string &dir) {
    std::string sofar;
    for (std::size_t i = 0; i <= dir.size(); ++i) {
        if (i == dir.size() || (dir[i] == '/' && i > 0)) {
            sofar = dir.substr(0, i);
            if (::mkdir(sofar.c_str(), 0700) != 0 && errno != EEXIST) return false;
        }
    }
    return true;
}

}  // namespace

std::string archive_mark_path(const std::string &data_home, const std::string &account) {
    std::string base = data_home;
    if (base.empty()) {
        const char *home = std::getenv("HOME");
        if (home == nullptr || *home == '\0') return {};
        base = std::string(home) + "/.local/share";
    }
    std::string name;
    for (const unsigned char c : bare_of(account)) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '@' || c == '-') {
            name += static_cast<char>(c);
        } else {
            char buf[4];
            (void)std::snprintf(buf, sizeof buf, "%%%02x", c);
            name += buf;
        }
    }
    if (name.empty() || name == "." || name == "..") return {};
    return base + "/msgr/xmpp/" + name + ".mam";
}

std::string read_archive_mark(const std::string &path) {
    if (path.empty()) return {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return {};
    char buf[kMaxIdBytes + 2];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return {};
    std::string text(buf, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return clean_id(text.c_str());
}

bool write_archive_mark(const std::string &path, const std::string &id, std::string &why) {
    if (path.empty()) {
        why = "no data directory ($XDG_DATA_HOME and $HOME are unset)";
        return false;
    }
    const std::string dir = path.substr(0, path.rfind('/'));
    if (!make_dirs(dir)) {
        why = "cannot create " + dir + ": " + std::generic_category().message(errno);
        return false;
    }
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        why = "cannot write " + tmp + ": " + std::generic_category().message(errno);
        return false;
    }
    const std::string text = id + "\n";
    const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int err = errno;
    ::close(fd);
    if (!wrote || ::rename(tmp.c_str(), path.c_str()) != 0) {
        why = "cannot write " + path + ": " + std::generic_category().message(wrote ? errno : err);
        ::unlink(tmp.c_str());
        return false;
    }
    return true;
}

}  // namespace msgr_xmpp

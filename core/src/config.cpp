#include "config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>
#include <system_error>

#include "toml.hpp"

#include "error.hpp"
#include "text.hpp"

namespace msgr::core {

namespace {

// A configuration error: carries the message that becomes msgr_last_error().
struct Invalid {
    std::string message;
};

std::string where(const std::string &origin, const toml::node &node) {
    const auto &src = node.source();
    std::ostringstream s;
    s << origin << ':' << src.begin.line << ':' << src.begin.column;
    return s.str();
}

// Reads the keys of one table, refusing keys it does not know (a typo must not pass unseen).
class TableReader {
  public:
    TableReader(const toml::table &t, std::string path, const std::string &origin)
        : table_(t), path_(std::move(path)), origin_(origin) {}

    template <typename T>
    void read(std::string_view key, T &out) {
        seen_.emplace_back(key);
        const toml::node *node = table_.get(key);
        if (node == nullptr) return;
        if constexpr (std::is_same_v<T, std::string>) {
            const auto *v = node->as_string();
            if (v == nullptr) throw type_error(key, *node, "a string");
            if (!is_valid_utf8(v->get()))
                throw Invalid{where(origin_, *node) + ": " + name(key) + " is not valid UTF-8"};
            out = v->get();
        } else if constexpr (std::is_same_v<T, bool>) {
            const auto *v = node->as_boolean();
            if (v == nullptr) throw type_error(key, *node, "true or false");
            out = v->get();
        } else if constexpr (std::is_same_v<T, std::uint32_t>) {
            const auto *v = node->as_integer();
            if (v == nullptr || v->get() < 1 || v->get() > 0x7fffffff) {
                throw type_error(key, *node, "a positive integer");
            }
            out = static_cast<std::uint32_t>(v->get());
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            const auto *v = node->as_array();
            if (v == nullptr) throw type_error(key, *node, "an array of strings");
            out.clear();
            for (const auto &item : *v) {
                const auto *s = item.as_string();
                if (s == nullptr) throw type_error(key, item, "an array of strings");
                out.push_back(s->get());
            }
        }
    }

    // An integer in [min, max].
    template <typename T>
    void read_int(std::string_view key, T &out, std::int64_t min, std::int64_t max) {
        seen_.emplace_back(key);
        const toml::node *node = table_.get(key);
        if (node == nullptr) return;
        const auto *v = node->as_integer();
        if (v == nullptr || v->get() < min || v->get() > max) {
            throw type_error(
                key, *node,
                "an integer from " + std::to_string(min) + " to " + std::to_string(max));
        }
        out = static_cast<T>(v->get());
    }

    // One of `choices` (a string).
    std::optional<std::string> read_choice(std::string_view key,
                                           std::initializer_list<const char *> choices) {
        seen_.emplace_back(key);
        const toml::node *node = table_.get(key);
        if (node == nullptr) return std::nullopt;
        std::string want;
        for (const char *c : choices)
            want += (want.empty() ? "\"" : " or \"") + std::string(c) + "\"";
        const auto *v = node->as_string();
        if (v != nullptr) {
            for (const char *c : choices) {
                if (v->get() == c) return v->get();
            }
        }
        throw type_error(key, *node, want);
    }

    // Call after every read: any key not asked for is an error.
    void finish() const {
        for (const auto &[key, node] : table_) {
            bool known = false;
            for (const auto &s : seen_)
                known = known || s == key.str();
            if (!known) {
                throw Invalid{where(origin_, node) + ": unknown key " + name(key.str()) + " in [" +
                              path_ + "]"};
            }
        }
    }

  private:
    std::string name(std::string_view key) const { return path_ + "." + std::string(key); }

    Invalid type_error(std::string_view key, const toml::node &node, const std::string &want) {
        return Invalid{where(origin_, node) + ": " + name(key) + " must be " + want};
    }

    const toml::table &table_;
    std::string path_;
    const std::string &origin_;
    std::vector<std::string> seen_;
};

void read_runtime(const toml::table &t, const std::string &origin, Config &c) {
    TableReader r(t, "runtime", origin);
    r.read("primary_service", c.primary_service);
    std::vector<std::string> secondary;
    r.read("secondary_services", secondary);  // absent: left unset (every service)
    if (t.contains("secondary_services")) c.secondary_services = std::move(secondary);
    r.read("max_windows", c.max_windows);
    r.read("max_conversation_contacts", c.max_conversation_contacts);
    r.read("max_items_per_tick", c.max_items_per_tick);
    r.read("inbox_capacity", c.inbox_capacity);
    r.read("addin_paths", c.addin_paths);
    r.read("addin_default_paths", c.addin_default_paths);
    r.read("addin_sha256", c.addin_sha256);
    r.read("disabled_addins", c.disabled_addins);
    for (const auto &n : c.disabled_addins) {
        const bool so = n.size() > 3 && n.compare(n.size() - 3, 3, ".so") == 0;
        if (!valid_addin_name(n) || so) {
            throw Invalid{where(origin, *t.get("disabled_addins")) +
                          ": runtime.disabled_addins: \"" + n +
                          "\" is not an add-in name (the add-in file's name without \".so\", " +
                          "such as \"paging\" for paging.so: 1-64 letters, digits, '-', '_', '.')"};
        }
    }
    for (auto &h : c.addin_sha256) {
        bool ok = h.size() == 64;
        for (auto &ch : h) {
            if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
            ok = ok && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
        }
        if (!ok) {
            throw Invalid{where(origin, *t.get("addin_sha256")) + ": runtime.addin_sha256: \"" + h +
                          "\" is not a SHA-256 in hex (64 hex digits)"};
        }
    }
    r.read("addin_host", c.addin_host);
    r.finish();
}

void read_addin(const toml::table &t, const std::string &stem, const std::string &origin,
                AddinSettings &s) {
    TableReader r(t, "addin." + stem, origin);
    if (const auto iso = r.read_choice("isolation", {"process", "in_process"})) {
        s.isolation =
            *iso == "process" ? MSGR_ADDIN_ISOLATION_PROCESS : MSGR_ADDIN_ISOLATION_IN_PROCESS;
    }
    r.read_int("call_timeout_ms", s.call_timeout_ms, 1, 600000);
    r.read_int("load_timeout_ms", s.load_timeout_ms, 1, 600000);
    r.read_int("max_restarts", s.max_restarts, 0, 1000);
    r.read_int("restart_backoff_ms", s.restart_backoff_ms, 0, kMaxRestartBackoffMs);
    r.read_int("address_space_mb", s.address_space_mb, 0, 1 << 24);
    r.read_int("open_files", s.open_files, 16, 1 << 20);
    r.finish();
}

void read_history(const toml::table &t, const std::string &origin, HistorySettings &h) {
    TableReader r(t, "history", origin);
    r.read("enabled", h.enabled);
    r.read("path", h.path);
    r.read_int("retain_days", h.retain_days, 0, 1000000);
    r.read_int("retain_messages", h.retain_messages, 0, std::int64_t{1} << 40);
    r.read_int("memory_messages", h.memory_messages, kMinMemoryMessages, kMaxMemoryMessages);
    r.read("resend_after_restart", h.resend_after_restart);
    r.finish();
    // Relative to the configuration file, as runtime.addin_host is: where the file is, not
    // where the host happened to start.
    if (!h.path.empty() && h.path.front() != '/') {
        const std::size_t slash = origin.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : origin.substr(0, slash);
        h.path = dir + "/" + h.path;
    }
}

// [addin]: a table of [addin.<stem>] tables, one per add-in file.
void read_addins(const toml::table &t, const std::string &origin, Config &c) {
    for (const auto &[key, node] : t) {
        const std::string stem(key.str());
        const auto *sub = node.as_table();
        if (sub == nullptr) {
            std::string why = where(origin, node);
            why += ": addin." + stem;
            why += " must be a table ([addin." + stem;
            why += "]: the settings of " + stem;
            why += ".so)";
            throw Invalid{std::move(why)};
        }
        if (!valid_addin_name(stem)) {
            throw Invalid{where(origin, node) + ": [addin." + stem +
                          "]: not an add-in name (the add-in file's name without \".so\": "
                          "1-64 letters, digits, '-', '_', '.')"};
        }
        read_addin(*sub, stem, origin, c.addins[stem]);
    }
}

const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

// An environment variable's value, cut for a message.
std::string bounded_env(const char *v) {
    return std::string(v, strnlen(v, 64));
}

std::string errno_text(int e) {
    return std::generic_category().message(e);
}

}  // namespace

// A state machine over the bytes, with an explicit stack of the open arrays and inline tables
// (never recursion: this runs on whatever thread creates the runtime). Depth: the root table
// is 0; a key with p parts in a table at depth t puts its value at t + p; an array at depth d
// holds its elements at d + 1 (counted at its `[`, empty or not); an inline table at depth d
// holds its keys' values at d + p. A table header [a.b.c] or [[a.b.c]] opens a table at depth
// 2 * 3: each part may be an array of tables and its element. The scanner has to agree with
// toml++ only up to toml++'s first syntax error (toml++ builds nothing past it).
TomlNesting scan_toml_nesting(std::string_view text, std::size_t limit) {
    struct Frame {
        bool array;         // an array (else an inline table)
        std::size_t depth;  // the depth of the array or inline table itself
    };
    std::vector<Frame> frames;
    TomlNesting out;
    std::size_t pos = 0, line = 1, column = 1;
    // LineStart: before an expression (top level); Key: in a key (top level or inline table);
    // Value: in a value; AfterHeader: the rest of a table header's line.
    enum class Mode { LineStart, Key, Value, AfterHeader } mode = Mode::LineStart;
    std::size_t table_depth = 0;  // the table the last header opened
    std::size_t key_base = 0;     // the table the key being read is in
    std::size_t key_parts = 1;
    std::size_t value_depth = 0;  // the depth a value starting here has

    auto advance = [&](std::size_t n) {
        for (; n > 0 && pos < text.size(); --n, ++pos) {
            const auto b = static_cast<unsigned char>(text[pos]);
            if (b == '\n') {
                ++line;
                column = 1;
            } else if ((b & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
                ++column;
            }
        }
    };
    auto at = [&](std::size_t i) { return i < text.size() ? text[i] : '\0'; };
    // Records a point of the tree at `depth` (here); true when it is deeper than the limit.
    auto deeper = [&](std::size_t depth) {
        if (depth > out.depth) {
            out.depth = depth;
            out.line = line;
            out.column = column;
        }
        return depth > limit;
    };
    // Skips a string of any of the four kinds (text[pos] is its first quote).
    auto skip_string = [&] {
        const char q = text[pos];
        const bool multi = at(pos + 1) == q && at(pos + 2) == q;
        advance(multi ? 3 : 1);
        while (pos < text.size()) {
            const char ch = text[pos];
            if (q == '"' && ch == '\\') {  // an escape: the next byte is never the end
                advance(2);
            } else if (ch == q && !multi) {
                advance(1);
                return;
            } else if (ch == q) {
                std::size_t run = 0;  // """ ends it; up to two more quotes belong to it
                while (at(pos + run) == q)
                    ++run;
                advance(run);
                if (run >= 3) return;
            } else if (ch == '\n' && !multi) {
                return;  // unterminated: toml++ stops here with an error
            } else {
                advance(1);
            }
        }
    };

    if (text.substr(0, 3) == "\xEF\xBB\xBF") {  // a byte order mark: toml++ skips it
        advance(3);
        column = 1;
    }
    while (pos < text.size()) {
        const char ch = text[pos];
        if (ch == '#') {  // a comment, to the end of the line
            while (pos < text.size() && text[pos] != '\n')
                advance(1);
            continue;
        }
        if (ch == '\n') {
            advance(1);
            if (frames.empty()) mode = Mode::LineStart;  // an expression ends with its line
            continue;
        }
        switch (mode) {
            case Mode::LineStart:
                if (ch == ' ' || ch == '\t' || ch == '\r') {
                    advance(1);
                } else if (ch == '[') {  // a table header: [a.b] or [[a.b]]
                    advance(at(pos + 1) == '[' ? 2 : 1);
                    std::size_t parts = 1;
                    if (deeper(2 * parts)) return out;
                    while (pos < text.size() && text[pos] != ']' && text[pos] != '\n') {
                        if (text[pos] == '"' || text[pos] == '\'') {
                            skip_string();
                        } else {
                            if (text[pos] == '.' && deeper(2 * ++parts)) return out;
                            advance(1);
                        }
                    }
                    table_depth = 2 * parts;
                    mode = Mode::AfterHeader;
                } else {
                    mode = Mode::Key;
                    key_base = table_depth;
                    key_parts = 1;
                }
                break;
            case Mode::Key:
                if (ch == '"' || ch == '\'') {
                    skip_string();
                } else if (ch == '.') {
                    if (deeper(key_base + ++key_parts)) return out;
                    advance(1);
                } else if (ch == '=') {
                    value_depth = key_base + key_parts;
                    if (deeper(value_depth)) return out;
                    advance(1);
                    mode = Mode::Value;
                } else if (ch == '}' && !frames.empty() && !frames.back().array) {
                    frames.pop_back();  // {} or a trailing comma (toml++ judges that)
                    advance(1);
                    mode = Mode::Value;
                } else {
                    advance(1);
                }
                break;
            case Mode::Value:
                if (ch == '"' || ch == '\'') {
                    skip_string();
                } else if (ch == '[') {
                    frames.push_back({true, value_depth});
                    if (deeper(++value_depth)) return out;
                    advance(1);
                } else if (ch == '{') {
                    frames.push_back({false, value_depth});
                    key_base = value_depth;
                    key_parts = 1;
                    advance(1);
                    mode = Mode::Key;
                } else if ((ch == ']' && !frames.empty() && frames.back().array) ||
                           (ch == '}' && !frames.empty() && !frames.back().array)) {
                    value_depth = frames.back().depth;
                    frames.pop_back();
                    advance(1);
                } else if (ch == ',' && !frames.empty()) {
                    if (frames.back().array) {
                        value_depth = frames.back().depth + 1;
                    } else {
                        key_base = frames.back().depth;
                        key_parts = 1;
                        mode = Mode::Key;
                    }
                    advance(1);
                } else {
                    advance(1);
                }
                break;
            case Mode::AfterHeader:
                if (ch == '"' || ch == '\'') {
                    skip_string();
                } else {
                    advance(1);
                }
                break;
        }
    }
    return out;
}

msgr_hresult parse_config(std::string_view text, const std::string &origin, Config &out) {
    if (text.size() > kMaxConfigBytes) {
        return fail(MSGR_E_INVALID_DATA, origin + ": " + std::to_string(text.size()) +
                                             " bytes, more than the " +
                                             std::to_string(kMaxConfigBytes) +
                                             " bytes (1 MiB) a configuration may have");
    }
    // Before toml++ sees the text: toml++ parses nesting recursively (see kMaxConfigDepth).
    const TomlNesting nesting = scan_toml_nesting(text, kMaxConfigDepth);
    if (nesting.depth > kMaxConfigDepth) {
        return fail(MSGR_E_INVALID_DATA,
                    origin + ':' + std::to_string(nesting.line) + ':' +
                        std::to_string(nesting.column) + ": nested more than " +
                        std::to_string(kMaxConfigDepth) +
                        " levels deep (tables, dotted keys, arrays and inline tables together); "
                        "the file is refused before it is parsed");
    }
    Config c;  // start from the defaults; `out` changes only when the whole file is good
    try {
        const toml::table root = toml::parse(text, std::string_view(origin));
        for (const auto &[key, node] : root) {
            if (key == "runtime" || key == "addin" || key == "history") {
                if (!node.is_table())
                    return fail(
                        MSGR_E_INVALID_DATA,
                        where(origin, node) + ": [" + std::string(key.str()) + "] must be a table");
            }
        }
        if (const auto *t = root["runtime"].as_table()) read_runtime(*t, origin, c);
        if (const auto *t = root["addin"].as_table()) read_addins(*t, origin, c);
        if (const auto *t = root["history"].as_table()) read_history(*t, origin, c.history);
        // Other top-level tables belong to add-ins ([loopback], [paging], ...), which read and
        // check them themselves.
    } catch (const toml::parse_error &e) {
        std::ostringstream s;
        s << origin << ':' << e.source().begin.line << ':' << e.source().begin.column << ": "
          << e.description();
        return fail(MSGR_E_INVALID_DATA, s.str());
    } catch (const Invalid &e) {
        return fail(MSGR_E_INVALID_DATA, e.message);
    }
    c.source_text = std::string(text);
    c.source_origin = origin;
    out = std::move(c);
    return MSGR_S_OK;
}

const AddinSettings &Config::addin(std::string_view stem) const {
    static const AddinSettings defaults;
    const auto it = addins.find(stem);
    return it == addins.end() ? defaults : it->second;
}

msgr_addin_isolation resolve_isolation(const AddinSettings &s, std::string &warning) {
    warning.clear();
    if (s.isolation) return *s.isolation;
    if (const char *env = std::getenv("MSGR_ADDIN_ISOLATION"); env != nullptr && *env != '\0') {
        if (std::strcmp(env, "process") == 0) return MSGR_ADDIN_ISOLATION_PROCESS;
        if (std::strcmp(env, "in_process") == 0) return MSGR_ADDIN_ISOLATION_IN_PROCESS;
        warning = "MSGR_ADDIN_ISOLATION=" + bounded_env(env) +
                  " is neither \"process\" nor \"in_process\"; ignored";
    }
    return kDefaultIsolation;
}

// Only a regular file is read, and at most kMaxConfigBytes of it: a directory would read as
// nothing (the defaults, silently), a FIFO would block the host thread until a writer came,
// /dev/zero would never end. stat() first, so that a device is never even opened (opening
// some has effects); then open without blocking (a FIFO swapped in meanwhile) and check again
// what was opened.
msgr_hresult load_config(const char *path, Config &out) {
    const std::string p = path;
    auto not_regular = [&](mode_t mode) {
        return fail(MSGR_E_INVALID_DATA,
                    "configuration file " + p + " is " + file_kind(mode) + ", not a regular file");
    };
    struct stat st {};
    if (::stat(path, &st) != 0) {
        const int e = errno;
        return fail(MSGR_E_FILE_NOT_FOUND,
                    "cannot open configuration file " + p + ": " + errno_text(e));
    }
    if (!S_ISREG(st.st_mode)) return not_regular(st.st_mode);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        const int e = errno;
        return fail(MSGR_E_FILE_NOT_FOUND,
                    "cannot open configuration file " + p + ": " + errno_text(e));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        return fail(MSGR_E_INVALID_DATA,
                    "cannot examine configuration file " + p + ": " + errno_text(e));
    }
    if (!S_ISREG(st.st_mode)) return not_regular(st.st_mode);
    auto too_large = [&](const std::string &size) {
        return fail(MSGR_E_INVALID_DATA, "configuration file " + p + " is " + size +
                                             "; a configuration file may have at most " +
                                             std::to_string(kMaxConfigBytes) + " bytes (1 MiB)");
    };
    if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigBytes)
        return too_large(std::to_string(st.st_size) + " bytes");
    // Read with a bound whatever the size said (a file that grows, or one of /proc's, whose
    // size is 0): one byte past the cap tells that there is more.
    // Read straight into the string (no buffer on the stack: this may run on a small thread).
    std::string text;
    constexpr std::size_t kChunk = 16384;
    while (text.size() <= kMaxConfigBytes) {
        const std::size_t have = text.size();
        text.resize(have + kChunk);
        const ssize_t n = ::read(fd, &text[have], kChunk);
        const int e = errno;
        text.resize(have + static_cast<std::size_t>(n > 0 ? n : 0));
        if (n < 0 && e == EINTR) continue;
        if (n < 0) {
            return fail(MSGR_E_INVALID_DATA,
                        "cannot read configuration file " + p + ": " + errno_text(e));
        }
        if (n == 0) break;
    }
    if (text.size() > kMaxConfigBytes) return too_large("larger than it said (it grew)");
    return parse_config(text, p, out);
}

}  // namespace msgr::core

#include "config.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

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
    r.read("max_items_per_tick", c.max_items_per_tick);
    r.read("inbox_capacity", c.inbox_capacity);
    r.read("addin_paths", c.addin_paths);
    r.read("addin_default_paths", c.addin_default_paths);
    r.read("addin_sha256", c.addin_sha256);
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
    r.finish();
}

}  // namespace

msgr_hresult parse_config(std::string_view text, const std::string &origin, Config &out) {
    Config c;  // start from the defaults; `out` changes only when the whole file is good
    try {
        const toml::table root = toml::parse(text, std::string_view(origin));
        for (const auto &[key, node] : root) {
            if (key == "runtime") {
                if (!node.is_table())
                    return fail(
                        MSGR_E_INVALID_DATA,
                        where(origin, node) + ": [" + std::string(key.str()) + "] must be a table");
            }
        }
        if (const auto *t = root["runtime"].as_table()) read_runtime(*t, origin, c);
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

msgr_hresult load_config(const char *path, Config &out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(MSGR_E_FILE_NOT_FOUND, std::string("cannot open configuration file ") + path);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad())
        return fail(MSGR_E_INVALID_DATA, std::string("cannot read configuration file ") + path);
    return parse_config(buf.str(), path, out);
}

}  // namespace msgr::core

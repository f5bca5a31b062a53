// The retry journal's lines: written by the add-in, read back by a strict parser of a flat JSON
// object (no nesting, no numbers but integers: that is all a journal line holds).
#include "journal.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace msgr::paging {

void json_string(std::string &out, std::string_view s) {
    out.push_back('"');
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    (void)std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(ch);
                }
        }
    }
    out.push_back('"');
}

void page_fields(std::string &out, const PageRecord &page) {
    out += "\"id\":" + std::to_string(page.id) + ",\"time\":" + std::to_string(page.time) +
           ",\"from\":";
    json_string(out, page.from);
    out += ",\"to\":";
    json_string(out, page.to);
    out += ",\"service\":";
    json_string(out, page.service);
}

std::string journal_line(const PageRecord &page) {
    std::string out = "{\"v\":1,";
    page_fields(out, page);
    out += ",\"text\":";
    json_string(out, page.text);
    if (page.in_flight) out += ",\"in_flight\":true";
    out += "}";
    return out;
}

namespace {
constexpr std::string_view kDoneHead = "{\"v\":1,\"done\":";
}  // namespace

std::string done_line(std::uint64_t line) {
    return std::string(kDoneHead) + std::to_string(line) + "}";
}

bool parse_done_line(std::string_view line, std::uint64_t &out) {
    if (line.size() <= kDoneHead.size() + 1 || line.substr(0, kDoneHead.size()) != kDoneHead ||
        line.back() != '}') {
        return false;
    }
    const std::string_view digits =
        line.substr(kDoneHead.size(), line.size() - kDoneHead.size() - 1);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    // Exactly what done_line writes: no sign, no leading zero, nothing after the digits.
    if (ec != std::errc() || end != digits.data() + digits.size() || done_line(v) != line)
        return false;
    out = v;
    return true;
}

namespace {

// Appends code point cp as UTF-8.
void put_utf8(std::string &out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Whether s is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1Fu, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0Fu, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

class Reader {
  public:
    explicit Reader(std::string_view s) : s_(s) {}

    std::string error;

    bool at_end() const { return i_ >= s_.size(); }
    void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r'))
            ++i_;
    }
    bool take(char c) {
        skip_space();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    char peek() {
        skip_space();
        return i_ < s_.size() ? s_[i_] : '\0';
    }

    bool string(std::string &out) {
        if (!take('"')) return fail("a string was expected");
        std::string v;
        while (i_ < s_.size()) {
            const char ch = s_[i_++];
            const auto c = static_cast<unsigned char>(ch);
            if (ch == '"') {
                if (!valid_utf8(v)) return fail("a string is not valid UTF-8");
                out = std::move(v);
                return true;
            }
            if (c < 0x20) return fail("a string holds a raw control character");
            if (ch != '\\') {
                v.push_back(ch);
                continue;
            }
            if (i_ >= s_.size()) break;
            switch (s_[i_++]) {
                case '"':
                    v.push_back('"');
                    break;
                case '\\':
                    v.push_back('\\');
                    break;
                case '/':
                    v.push_back('/');
                    break;
                case 'b':
                    v.push_back('\b');
                    break;
                case 'f':
                    v.push_back('\f');
                    break;
                case 'n':
                    v.push_back('\n');
                    break;
                case 'r':
                    v.push_back('\r');
                    break;
                case 't':
                    v.push_back('\t');
                    break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a lone low surrogate");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        std::uint32_t low = 0;
                        if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
                            return fail("a lone high surrogate");
                        i_ += 2;
                        if (!hex4(low)) return false;
                        if (low < 0xDC00 || low > 0xDFFF) return fail("a lone high surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    put_utf8(v, cp);
                    break;
                }
                default:
                    return fail("a string holds an unknown escape");
            }
        }
        return fail("a string is not closed");
    }

    // An integer without fraction or exponent: its sign and magnitude.
    bool integer(std::uint64_t &magnitude, bool &negative) {
        skip_space();
        negative = false;
        if (i_ < s_.size() && s_[i_] == '-') {
            negative = true;
            ++i_;
        }
        const std::size_t start = i_;
        std::uint64_t v = 0;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
            const auto d = static_cast<std::uint64_t>(s_[i_] - '0');
            if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
                return fail("an integer is too large");
            v = v * 10 + d;
            ++i_;
        }
        if (i_ == start) return fail("a value was expected");
        if (i_ - start > 1 && s_[start] == '0') return fail("an integer has a leading zero");
        if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E'))
            return fail("a number is not an integer");
        magnitude = v;
        return true;
    }

    bool word(std::string_view w) {
        skip_space();
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }

    bool fail(const char *why) {
        if (error.empty()) error = std::string(why) + " at byte " + std::to_string(i_);
        return false;
    }

  private:
    bool hex4(std::uint32_t &out) {
        if (s_.size() - i_ < 4) return fail("a \\u escape is cut short");
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            v <<= 4;
            if (h >= '0' && h <= '9') {
                v |= static_cast<std::uint32_t>(h - '0');
            } else if (h >= 'a' && h <= 'f') {
                v |= static_cast<std::uint32_t>(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
                v |= static_cast<std::uint32_t>(h - 'A' + 10);
            } else {
                return fail("a \\u escape is not hexadecimal");
            }
        }
        out = v;
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace

bool parse_journal_line(std::string_view line, PageRecord &out, std::string &why) {
    if (line.size() > kMaxJournalLine) {
        why = "the line is longer than " + std::to_string(kMaxJournalLine) + " bytes";
        return false;
    }
    Reader r(line);
    PageRecord page;
    // Which keys were seen (a key given twice is refused: which one would be meant?).
    enum : unsigned { kV = 1, kId = 2, kTime = 4, kFrom = 8, kTo = 16, kService = 32, kText = 64 };
    unsigned seen = 0;
    unsigned flight_seen = 0;
    const auto once = [&](unsigned bit) {
        if ((seen & bit) != 0) return r.fail("a key is given twice");
        seen |= bit;
        return true;
    };
    bool ok = r.take('{') || r.fail("not a JSON object");
    if (ok && !r.take('}')) {
        for (;;) {
            std::string key;
            if (!r.string(key)) {
                ok = false;
                break;
            }
            if (!r.take(':')) {
                ok = r.fail("':' was expected");
                break;
            }
            const char c = r.peek();
            if (key == "from" || key == "to" || key == "service" || key == "text") {
                const unsigned bit = key == "from"   ? kFrom
                                     : key == "to"   ? kTo
                                     : key == "text" ? kText
                                                     : kService;
                std::string &dst = key == "from"   ? page.from
                                   : key == "to"   ? page.to
                                   : key == "text" ? page.text
                                                   : page.service;
                ok = once(bit) && r.string(dst);
            } else if (key == "id" || key == "time" || key == "v") {
                std::uint64_t m = 0;
                bool negative = false;
                const unsigned bit = key == "id" ? kId : key == "time" ? kTime : kV;
                ok = once(bit) && r.integer(m, negative);
                if (ok && key == "id") {
                    ok = !negative || r.fail("\"id\" is negative");
                    page.id = m;
                } else if (ok && key == "time") {
                    const auto max =
                        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
                    ok = m <= max || r.fail("\"time\" is out of range");
                    page.time =
                        negative ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
                } else if (ok) {
                    ok = (!negative && m == 1) || r.fail("the format version \"v\" is not 1");
                }
            } else if (key == "in_flight") {
                ok = flight_seen++ == 0 || r.fail("a key is given twice");
                if (ok && r.word("true")) {
                    page.in_flight = true;
                } else if (ok && r.word("false")) {
                    page.in_flight = false;
                } else if (ok) {
                    ok = r.fail("\"in_flight\" is not true or false");
                }
            } else if (c == '"') {  // a key of a later version: skipped
                std::string ignored;
                ok = r.string(ignored);
            } else if (c == 't' || c == 'f') {
                ok = r.word("true") || r.word("false") || r.fail("a value was expected");
            } else {
                std::uint64_t m = 0;
                bool negative = false;
                ok = r.integer(m, negative);
            }
            if (!ok) break;
            if (r.take(',')) continue;
            if (r.take('}')) break;
            ok = r.fail("',' or '}' was expected");
            break;
        }
    }
    if (ok) {
        r.skip_space();
        if (!r.at_end()) ok = r.fail("bytes follow the object");
    }
    // "v" is required: a line of the outbox (the same fields but "v") is not a journal line.
    constexpr unsigned kRequired = kV | kId | kTime | kTo | kText;
    if (ok && (seen & kRequired) != kRequired) {
        why = "\"v\", \"id\", \"time\", \"to\" or \"text\" is missing";
        return false;
    }
    if (!ok) {
        why = r.error;
        return false;
    }
    out = std::move(page);
    return true;
}

}  // namespace msgr::paging

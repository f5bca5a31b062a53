#include "history/query.hpp"

#include <vector>

#include "history/store.hpp"
#include "text.hpp"

namespace msgr::core::history {

namespace {

constexpr std::size_t kMaxQueryBytes = 1024;

// What the index's tokenizer may keep in a token (unicode61 with letters, numbers, marks and
// symbols: schema.cpp): ASCII letters and digits, and (roughly) any non-ASCII character, emoji
// included. A word without one matches nothing and is dropped.
bool is_word_byte(unsigned char b) {
    return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b >= 0x80;
}

bool is_space(unsigned char b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v' || b == 0;
}

std::vector<std::string> words_of(const std::string &query) {
    std::vector<std::string> words;
    std::string word;
    bool has_word_byte = false;
    const auto finish = [&]() {
        if (has_word_byte) words.push_back(word);
        word.clear();
        has_word_byte = false;
    };
    for (const char ch : query) {
        const auto b = static_cast<unsigned char>(ch);
        if (is_space(b)) {
            finish();
            continue;
        }
        word += ch;
        has_word_byte = has_word_byte || is_word_byte(b);
    }
    finish();
    return words;
}

}  // namespace

std::string check_query(const std::string &query) {
    if (query.empty()) return "the query is empty";
    if (query.size() > kMaxQueryBytes) return "the query is longer than 1024 bytes";
    if (!is_valid_utf8(query)) return "the query is not valid UTF-8";
    if (words_of(query).empty()) return "the query has no word to search for";
    return {};
}

std::string fts_query(const std::string &query) {
    const std::vector<std::string> words = words_of(query);
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) out += ' ';
        out += '"';
        for (const char ch : words[i]) {
            if (ch == '"') out += '"';
            out += ch;
        }
        out += '"';
        if (i + 1 == words.size()) out += '*';
    }
    return out;
}

}  // namespace msgr::core::history

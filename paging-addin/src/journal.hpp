// The paging add-in's retry journal: the pages it still owed when it was unloaded (waiting for a
// retry, queued, or in flight), one JSON object a line, read back and delivered at its next start.
//
// The journal is bytes from disk: a line torn by a crash, edited by hand or written by another
// version is refused with a reason (the add-in skips it with a log line), never trusted. The
// parser is fuzzed (tests/fuzz/paging_journal_fuzzer.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace msgr::paging {

// One page as the add-in accepted it.
struct PageRecord {
    std::uint64_t id = 0;    // its message id in the runtime that accepted it (for the log)
    std::int64_t time = 0;   // when it was accepted: milliseconds since the epoch
    std::string from;        // the sender's sign-in name
    std::string to;          // the paged contact
    std::string service;     // the contact's service id
    std::string text;        // UTF-8, may hold NUL
    bool in_flight = false;  // a request was under way when it was journaled: it may have arrived

    bool operator==(const PageRecord &o) const {
        return id == o.id && time == o.time && from == o.from && to == o.to &&
               service == o.service && text == o.text && in_flight == o.in_flight;
    }
};

// A longer line is not a page (a page of 65535 UTF-16 units is at most 196605 bytes of UTF-8).
constexpr std::size_t kMaxJournalLine = std::size_t{1} << 20;

// Appends s as a JSON string: quotes, backslashes and control characters escaped, the UTF-8 as
// it is.
void json_string(std::string &out, std::string_view s);

// Appends the fields a page's journal line, its outbox line and its webhook body share:
// "id":…,"time":…,"from":…,"to":…,"service":… (no braces, no leading comma).
void page_fields(std::string &out, const PageRecord &page);

// The journal line of a page (without its newline).
std::string journal_line(const PageRecord &page);

// A line of a claim (the pages a running add-in took from the journal) saying that the page on
// its line `line` (0-based, counting every line of the claim) has its final outcome:
// {"v":1,"done":N}, without its newline.
std::string done_line(std::uint64_t line);

// Reads a line done_line wrote; false for anything else (a page line, a torn or edited line).
bool parse_done_line(std::string_view line, std::uint64_t &out);

// Reads one journal line (without its newline): a JSON object with "v" (1, the format), "id" and
// "time" (integers), "to" and "text" (strings), optionally "from", "service" (strings) and
// "in_flight" (a boolean). Other keys with a string, integer or boolean value are ignored (a later
// version may add some). Strings must be valid UTF-8. On failure `out` is untouched and `why`
// says what is wrong.
bool parse_journal_line(std::string_view line, PageRecord &out, std::string &why);

}  // namespace msgr::paging

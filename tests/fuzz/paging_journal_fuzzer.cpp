// Fuzzes the paging add-in's retry journal reader (paging-addin/src/journal.cpp): the journal is
// bytes from disk (torn by a crash, edited by hand, written by another version), read at every
// start, and the claims (the pages a running add-in took from the journal, with done lines).
// The input is a whole journal or claim, split into lines as the add-in splits it. Beyond memory
// errors: a refused line leaves the record untouched and says why, and an accepted line gives a
// page that the add-in writes back as one line that reads back as the same page.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace msgr::paging;
    std::string_view rest(reinterpret_cast<const char *>(data), size);
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);

        // A claim's done line: only exactly what done_line writes, and never a page.
        std::uint64_t done_at = 0;
        if (parse_done_line(line, done_at)) {
            FUZZ_CHECK(done_line(done_at) == line);
            PageRecord not_a_page;
            std::string why_not;
            FUZZ_CHECK(!parse_journal_line(line, not_a_page, why_not));
            continue;
        }

        PageRecord page;
        page.id = 12345;  // a sentinel: a refused line must not touch the record
        std::string why;
        if (!parse_journal_line(line, page, why)) {
            FUZZ_CHECK(!why.empty());
            FUZZ_CHECK(page.id == 12345 && page.text.empty() && page.to.empty());
            continue;
        }
        FUZZ_CHECK(why.empty());
        const std::string again = journal_line(page);
        FUZZ_CHECK(again.find('\n') == std::string::npos);  // one page, one line
        PageRecord back;
        std::string why_back;
        FUZZ_CHECK(parse_journal_line(again, back, why_back));
        FUZZ_CHECK(back == page);
    }
    return 0;
}

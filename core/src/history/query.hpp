// The search query language (msgr_history_search): words, all of which must occur, the last one
// a prefix. User text is never FTS5 syntax: every word becomes a quoted FTS5 string.
#pragma once

#include <string>

namespace msgr::core::history {

// The FTS5 MATCH expression for a query check_query accepted: `"w1" "w2" "w3"*` (an FTS5
// string is tokenized like the text, so "don't" matches the two tokens in a row; quotes in a
// word are doubled). Words with no word character are left out.
std::string fts_query(const std::string &query);

}  // namespace msgr::core::history

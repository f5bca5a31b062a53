// The database's schema and its migrations. A file is ours when its application_id says so;
// user_version is the schema version it was migrated to.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "history/sqlite.hpp"
#include "history/store.hpp"
#include "msgr/msgr.h"

namespace msgr::core::history {

inline constexpr std::int64_t kApplicationId = 0x6D736772;  // "msgr"
inline constexpr std::int64_t kSchemaVersion = 4;
// conversations.forgotten_below of a conversation nothing was forgotten of: below every seq
// (prepends count down from 0; this leaves them 2^62 positions).
inline constexpr std::int64_t kNoFloor = -(std::int64_t{1} << 62);

enum class Found {
    fresh,     // an empty file: migrate() makes the schema
    ours,      // a msgr history database this build can use (perhaps after migrate())
    not_ours,  // another program's database, or not a database at all, or corrupt: move aside
    newer,     // ours, but of a schema newer than kSchemaVersion: refuse, leave it untouched
};

// Reads the file's header and schema without changing anything. A file SQLite cannot read as a
// database (SQLITE_NOTADB, SQLITE_CORRUPT) is `not_ours`; another error (I/O, permissions) is
// returned as the failure.
msgr_hresult inspect(sqlite3 *db, Found &found);

// The columns of a Record, in the order read_record reads them from `first` on.
extern const char *const kRecordColumns;
Record read_record(const Stmt &s, int first);

// Brings a fresh or older database to kSchemaVersion, in one transaction.
msgr_hresult migrate(sqlite3 *db);

// Attaches the search index (index_path) to db, a migrated history database, as "idx", in WAL
// mode, making it when it is new. An index that cannot be used (not one, unreadable, of another
// version, or of another history database: a database moved aside, replaced, copied) is
// removed and made again, empty (the store's thread indexes everything again); rebuilt_why then
// says why. Other failures (permissions, a full disk) are returned.
msgr_hresult attach_index(sqlite3 *db, const std::string &index_path, std::string &rebuilt_why);

}  // namespace msgr::core::history

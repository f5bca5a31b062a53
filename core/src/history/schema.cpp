#include "history/schema.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "error.hpp"
#include "history/paths.hpp"
#include "history/sqlite.hpp"

namespace msgr::core::history {

namespace {

// Schema v1.
//  - conversations: one per (service, peer, kind). Rows of it with seq < forgotten_below are
//    forgotten (forget, retention) and deleted by the store's thread in chunks; base_seq is
//    where appends start while it holds nothing (after a forget: far above what is forgotten,
//    so the forgotten rows still being deleted never meet a new seq).
//  - messages: AUTOINCREMENT so that a stored id is never used twice (search results and the
//    runtime name messages by it). text is a BLOB: exactly the bytes, NULs included. The ids
//    are NULL when absent, so the partial indexes hold only the rows that have one.
//  - messages_fts: the full-text index, external content (the text is stored once), filled by
//    the store's thread from meta.indexed_upto, so that an append does not pay for it. Its
//    segments are merged by the store's thread in small steps ('merge'), not by FTS5 itself
//    inside whichever transaction reaches a threshold (automerge 0): a big merge would hold
//    the write lock, and the owner thread's next append would wait for it. crisismerge is the
//    backstop should the small steps ever fall behind.
constexpr const char *kV1 = R"sql(
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    peer TEXT NOT NULL,
    kind INTEGER NOT NULL,
    base_seq INTEGER NOT NULL,
    forgotten_below INTEGER NOT NULL,
    UNIQUE (service, peer, kind)
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conv INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    direction INTEGER NOT NULL,
    delivery INTEGER NOT NULL,
    delivery_result INTEGER NOT NULL,
    delivery_reason TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    text BLOB NOT NULL,
    origin_id TEXT,
    archive_id TEXT,
    receipt_id TEXT,
    UNIQUE (conv, seq)
);
CREATE INDEX messages_origin ON messages (conv, origin_id) WHERE origin_id IS NOT NULL;
CREATE INDEX messages_archive ON messages (conv, archive_id) WHERE archive_id IS NOT NULL;
CREATE INDEX messages_archived ON messages (conv, seq) WHERE archive_id IS NOT NULL;
CREATE INDEX messages_pending ON messages (id) WHERE delivery = 1;
CREATE INDEX messages_unseen ON messages (conv, seq) WHERE direction = 1 AND (flags & 2) = 0;
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('crisismerge', 64);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('indexed_upto', 0);
)sql";

// Schema v2: READ covers what came before (Store::read_up_to) through a partial index of the
// outgoing messages still SENT (2) or DELIVERED (4): it holds only the rows a read mark may
// change, so the UPDATE reads those alone, however long the conversation.
constexpr const char *kV2 = R"sql(
CREATE INDEX messages_unread_outgoing ON messages (conv, seq)
    WHERE direction = 2 AND delivery IN (2, 4);
)sql";

// Schema v3: the full-text index moves to a database file of its own (see attach_index), so
// that the store thread's index writes never hold this file's write lock, which the owner
// thread's appends wait for. `uid` names this database: the index file says which one it
// indexes.
constexpr const char *kV3 = R"sql(
DROP TABLE messages_fts;
DELETE FROM meta WHERE key = 'indexed_upto';
INSERT OR REPLACE INTO meta (key, value) VALUES ('uid', random());
)sql";

// The index database (attached as "idx"): a full-text table that holds its own copy
// of each message's text (an external-content table must live in the file of its content), by
// the message's id; indexed_upto, the highest id it has indexed; uid, the history database it
// indexes. Its segments are merged in small steps by the store's thread (automerge 0), with
// crisismerge as the backstop.
// Version 2: the tokenizer keeps marks (M*: a Devanagari or Thai word is one token, not cut at
// each vowel sign; diacritics are still removed) and other symbols (So: emoji, so that "😀"
// finds the messages it is in; a ZWJ sequence is its emoji, one token each). An index of
// another version is made again from the history when the store opens (attach_index).
constexpr std::int64_t kIndexVersion = 2;
constexpr const char *kIndexSql = R"sql(
BEGIN;
CREATE TABLE idx.meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE idx.messages_fts USING fts5(
    text, tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M* So'"
);
INSERT INTO idx.messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO idx.messages_fts (messages_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO idx.meta (key, value) VALUES ('indexed_upto', 0);
INSERT INTO idx.meta (key, value) SELECT 'uid', value FROM main.meta WHERE key = 'uid';
COMMIT;
)sql";

// Schema v4: a group conversation's incoming messages keep who wrote them (a sign-in name);
// NULL elsewhere, where the conversation says (its one contact, or the user for outgoing).
constexpr const char *kV4 = R"sql(
ALTER TABLE messages ADD COLUMN sender TEXT;
)sql";

struct Migration {
    std::int64_t to;  // the user_version it leaves
    const char *sql;
};
// Each step takes the schema from the one before it; a new version appends a step.
constexpr Migration kMigrations[] = {{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

bool unreadable(int rc) {
    rc &= 0xFF;
    return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

// Reads one integer from each of n one-row statements. Not Stmt: the error code itself decides.
// A file SQLite cannot read as a database sets `unreadable` (and S_OK is returned); another
// failure is returned as `what`.
msgr_hresult read_ints(sqlite3 *db, const char *const sql[], std::int64_t *const out[],
                       std::size_t n, const char *what, bool &unreadable_file) {
    unreadable_file = false;
    for (std::size_t i = 0; i < n; ++i) {
        sqlite3_stmt *raw = nullptr;
        int rc = sqlite3_prepare_v2(db, sql[i], -1, &raw, nullptr);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(raw);
            if (rc == SQLITE_ROW) *out[i] = sqlite3_column_int64(raw, 0);
        }
        sqlite3_finalize(raw);
        if (unreadable(rc)) {
            unreadable_file = true;
            return MSGR_S_OK;
        }
        if (rc != SQLITE_ROW) return sqlite_fail(db, rc, what);
    }
    return MSGR_S_OK;
}

// The index file attached and in WAL mode; `why_not` says why it cannot be used as it is (not
// an index, another database's, unreadable), "" when it can. Other failures are returned.
msgr_hresult attach_once(sqlite3 *db, const std::string &path, std::string &why_not) {
    why_not.clear();
    if (const msgr_hresult hr = prepare_file(path); hr != MSGR_S_OK) return hr;
    {
        Stmt attach;
        if (const msgr_hresult hr = attach.prepare(db, "ATTACH DATABASE ?1 AS idx");
            hr != MSGR_S_OK) {
            return hr;
        }
        attach.bind_text(1, path);
        const int rc = attach.step();
        if (unreadable(rc)) {
            why_not = sqlite3_errmsg(db);
            return MSGR_S_OK;
        }
        if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot attach the search index");
    }
    const int rc = sqlite3_exec(db,
                                "PRAGMA idx.journal_mode = WAL; PRAGMA idx.synchronous = NORMAL; "
                                "PRAGMA idx.journal_size_limit = 268435456",
                                nullptr, nullptr, nullptr);
    if (unreadable(rc)) {
        why_not = sqlite3_errmsg(db);
        return MSGR_S_OK;
    }
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, "cannot open the search index");
    std::int64_t objects = 0;
    std::int64_t app = 0;
    std::int64_t version = 0;
    std::int64_t uid = 0;
    std::int64_t ours = 0;
    const char *sql[] = {"SELECT count(*) FROM idx.sqlite_master", "PRAGMA idx.application_id",
                         "PRAGMA idx.user_version",
                         "SELECT value FROM main.meta WHERE key = 'uid'"};
    std::int64_t *const out[] = {&objects, &app, &version, &ours};
    bool bad = false;
    if (const msgr_hresult hr = read_ints(db, sql, out, 4, "cannot read the search index", bad);
        hr != MSGR_S_OK || bad) {
        if (bad) why_not = sqlite3_errmsg(db);
        return hr;
    }
    if (objects == 0) {  // a new file: made here
        const int made = sqlite3_exec(db, kIndexSql, nullptr, nullptr, nullptr);
        if (made == SQLITE_OK) {
            // After the commit: an index made only in part is not of this version, made again.
            const std::string set =
                "PRAGMA idx.user_version = " + std::to_string(kIndexVersion) +
                "; PRAGMA idx.application_id = " + std::to_string(kApplicationId);
            return exec(db, set.c_str());
        }
        const msgr_hresult hr = sqlite_fail(db, made, "cannot make the search index");
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return hr;
    }
    if (app != kApplicationId || version != kIndexVersion) {
        why_not = "not a msgr search index of this version";
        return MSGR_S_OK;
    }
    const msgr_hresult hr = query_int(db, "SELECT value FROM idx.meta WHERE key = 'uid'", uid);
    if (hr != MSGR_S_OK || uid != ours) why_not = "the index of another history database";
    return MSGR_S_OK;
}

}  // namespace

msgr_hresult attach_index(sqlite3 *db, const std::string &path, std::string &rebuilt_why) {
    rebuilt_why.clear();
    msgr_hresult hr = attach_once(db, path, rebuilt_why);
    if (hr != MSGR_S_OK || rebuilt_why.empty()) return hr;
    // Derived data: what cannot be used is made again from the history.
    sqlite3_exec(db, "DETACH DATABASE idx", nullptr, nullptr, nullptr);
    for (const char *suffix : {"", "-wal", "-shm"}) {
        const std::string file = path + suffix;
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
            return errno_fail(errno, "cannot remove the unusable search index " + file);
        }
    }
    std::string still;
    hr = attach_once(db, path, still);
    if (hr == MSGR_S_OK && !still.empty()) hr = fail(MSGR_E_FAIL, "search index: " + still);
    return hr;
}

const char *const kRecordColumns =
    "id, seq, direction, delivery, delivery_result, delivery_reason, time_ms, flags, text, "
    "origin_id, archive_id, receipt_id, sender";

Record read_record(const Stmt &s, int first) {
    Record r;
    r.id = s.column_int(first);
    r.seq = s.column_int(first + 1);
    r.direction = static_cast<msgr_message_direction>(s.column_int(first + 2));
    r.delivery = static_cast<msgr_delivery_state>(s.column_int(first + 3));
    r.delivery_result = static_cast<msgr_hresult>(s.column_int(first + 4));
    r.delivery_reason = s.column_string(first + 5);
    r.time_unix_ms = s.column_int(first + 6);
    r.flags = static_cast<std::uint32_t>(s.column_int(first + 7));
    r.text = s.column_string(first + 8);
    r.origin_id = s.column_string(first + 9);
    r.archive_id = s.column_string(first + 10);
    r.receipt_id = s.column_string(first + 11);
    r.sender = s.column_string(first + 12);
    return r;
}

msgr_hresult inspect(sqlite3 *db, Found &found) {
    std::int64_t app = 0;
    std::int64_t version = 0;
    std::int64_t objects = 0;
    const char *sql[] = {"PRAGMA application_id", "PRAGMA user_version",
                         "SELECT count(*) FROM sqlite_master"};
    std::int64_t *const out[] = {&app, &version, &objects};
    bool bad = false;
    if (const msgr_hresult hr = read_ints(db, sql, out, 3, "cannot read the database", bad);
        hr != MSGR_S_OK || bad) {
        if (bad) found = Found::not_ours;
        return hr;
    }
    if (app == 0 && version == 0 && objects == 0) {
        found = Found::fresh;
    } else if (app != kApplicationId) {
        found = Found::not_ours;
    } else if (version > kSchemaVersion) {
        found = Found::newer;
    } else {
        found = Found::ours;
    }
    return MSGR_S_OK;
}

msgr_hresult migrate(sqlite3 *db) {
    std::int64_t version = 0;
    if (const msgr_hresult hr = exec(db, "BEGIN IMMEDIATE"); hr != MSGR_S_OK) return hr;
    msgr_hresult hr = query_int(db, "PRAGMA user_version", version);
    for (const Migration &m : kMigrations) {
        if (hr != MSGR_S_OK || m.to <= version) continue;
        hr = exec(db, m.sql);
        if (hr != MSGR_S_OK) break;
        const std::string set = "PRAGMA user_version = " + std::to_string(m.to) +
                                "; PRAGMA application_id = " + std::to_string(kApplicationId);
        hr = exec(db, set.c_str());
    }
    if (hr != MSGR_S_OK) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return hr;
    }
    return exec(db, "COMMIT");
}

}  // namespace msgr::core::history

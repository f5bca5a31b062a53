// Small RAII wrappers over the SQLite C API, and the one mapping of its errors to msgr's result
// codes. Nothing here knows the schema.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "msgr/msgr.h"

namespace msgr::core::history {

// The result code for an errno from the file system: EACCES/EPERM -> E_ACCESSDENIED, EROFS ->
// E_WRITE_PROTECT, ENOSPC/EDQUOT/EFBIG (no room for the file to grow) -> E_DISK_FULL, else
// E_FAIL.
msgr_hresult hresult_of_errno(int err) noexcept;
// The result code for an SQLite error: SQLITE_FULL -> E_DISK_FULL, SQLITE_READONLY ->
// E_WRITE_PROTECT, SQLITE_CANTOPEN / PERM / AUTH -> E_ACCESSDENIED; an I/O error by the errno
// beneath it (SQLite reports a write that meets a file size limit as SQLITE_IOERR_WRITE);
// anything else E_FAIL.
msgr_hresult hresult_of(int sqlite_rc, int sys_errno) noexcept;
// Records the failure (msgr::core::fail): "<what>: <sqlite3_errmsg>" with hresult_of.
msgr_hresult sqlite_fail(sqlite3 *db, int rc, const std::string &what);

struct DbClose {
    void operator()(sqlite3 *db) const noexcept { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbClose>;

// How a connection waits for the other connection's transaction (a busy handler): steps of
// first_step_us for first_steps tries, then of later_step_us, 2 s at most in all (a safety net:
// the transactions are tiny). SQLite's own busy_timeout sleeps a whole millisecond at once, more
// than an owner-thread call may spend waiting for one short transaction of the other thread.
struct BusyWait {
    int first_step_us;
    int first_steps;
    int later_step_us;
};
// The owner thread's: 50 us steps, 250 us after the first millisecond (each wake-up costs the
// waiting thread CPU, and past a millisecond the wait is over budget anyway).
inline constexpr BusyWait kOwnerBusyWait{50, 20, 250};
// Sets how db waits (`wait` must outlive the connection).
void set_busy_wait(sqlite3 *db, const BusyWait *wait);

// Process-wide settings, made once, before the first connection (a later call does nothing):
// no memory statistics, whose global mutex every allocation of every connection takes (the
// owner thread's appends waited for the store thread, preempted while it held it). A host that
// uses SQLite itself and initialized it first keeps its own settings.
void configure_library() noexcept;

// Opens (creating) the database file: extended result codes on, and kOwnerBusyWait.
msgr_hresult open_db(const std::string &path, DbHandle &out);
// Runs statements that return no rows (PRAGMA settings, BEGIN/COMMIT, DDL).
msgr_hresult exec(sqlite3 *db, const char *sql);
// The integer a one-row, one-column statement returns (PRAGMA user_version, count(*)).
msgr_hresult query_int(sqlite3 *db, const char *sql, std::int64_t &out);

// One prepared statement, kept for the connection's life (SQLITE_PREPARE_PERSISTENT) and reset
// after each use. Binding indexes are 1-based, as in SQLite.
class Stmt {
  public:
    Stmt() = default;
    Stmt(const Stmt &) = delete;
    Stmt &operator=(const Stmt &) = delete;
    Stmt(Stmt &&other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
    Stmt &operator=(Stmt &&other) noexcept;
    ~Stmt() { sqlite3_finalize(stmt_); }

    msgr_hresult prepare(sqlite3 *db, const char *sql);
    sqlite3_stmt *get() const noexcept { return stmt_; }
    sqlite3 *db() const noexcept { return sqlite3_db_handle(stmt_); }

    void bind(int i, std::int64_t v) noexcept { sqlite3_bind_int64(stmt_, i, v); }
    // Text as a BLOB: exactly the bytes, NULs included.
    void bind_blob(int i, std::string_view v) noexcept;
    // "" binds NULL: the ids (origin, archive, receipt) are NULL when absent, so their partial
    // indexes hold only the rows that have one.
    void bind_text_or_null(int i, std::string_view v) noexcept;
    void bind_text(int i, std::string_view v) noexcept;

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() noexcept { return sqlite3_step(stmt_); }
    // Steps a statement that returns no rows and resets it; the failure is recorded as `what`.
    msgr_hresult run(const char *what);
    void reset() noexcept {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    std::int64_t column_int(int i) const noexcept { return sqlite3_column_int64(stmt_, i); }
    bool column_is_null(int i) const noexcept {
        return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
    }
    // The column's bytes (a BLOB or TEXT, NULs included; NULL reads as "").
    std::string column_string(int i) const;

  private:
    sqlite3_stmt *stmt_ = nullptr;
};

// Resets a statement when the scope ends, whichever way it ends.
class StmtReset {
  public:
    explicit StmtReset(Stmt &s) noexcept : s_(s) {}
    StmtReset(const StmtReset &) = delete;
    StmtReset &operator=(const StmtReset &) = delete;
    ~StmtReset() { s_.reset(); }

  private:
    Stmt &s_;
};

}  // namespace msgr::core::history

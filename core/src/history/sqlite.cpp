#include "history/sqlite.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>

#include "error.hpp"

namespace msgr::core::history {

namespace {

constexpr int kBusyLimitUs = 2'000'000;

int busy_wait(void *user, int attempts) {
    const BusyWait &w = *static_cast<const BusyWait *>(user);
    const int first = std::min(attempts, w.first_steps);
    const long long waited_us = static_cast<long long>(first) * w.first_step_us +
                                static_cast<long long>(attempts - first) * w.later_step_us;
    if (waited_us >= kBusyLimitUs) return 0;  // give up: SQLITE_BUSY
    const int step = attempts < w.first_steps ? w.first_step_us : w.later_step_us;
    std::this_thread::sleep_for(std::chrono::microseconds(step));
    return 1;
}

}  // namespace

msgr_hresult hresult_of_errno(int err) noexcept {
    switch (err) {
        case EACCES:
        case EPERM:
            return MSGR_E_ACCESSDENIED;
        case EROFS:
            return MSGR_E_WRITE_PROTECT;
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return MSGR_E_DISK_FULL;
        default:
            return MSGR_E_FAIL;
    }
}

msgr_hresult hresult_of(int sqlite_rc, int sys_errno) noexcept {
    switch (sqlite_rc & 0xFF) {  // the primary code of an extended one
        case SQLITE_FULL:
            return MSGR_E_DISK_FULL;
        case SQLITE_READONLY:
            return MSGR_E_WRITE_PROTECT;
        case SQLITE_CANTOPEN:
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return MSGR_E_ACCESSDENIED;
        case SQLITE_IOERR:
            return hresult_of_errno(sys_errno);
        default:
            return MSGR_E_FAIL;
    }
}

msgr_hresult sqlite_fail(sqlite3 *db, int rc, const std::string &what) {
    const char *msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
    std::string why = what + ": " + msg;
    if (sys_errno != 0 && (rc & 0xFF) == SQLITE_IOERR) {
        why += " (" + std::generic_category().message(sys_errno) + ")";
    }
    return fail(hresult_of(rc, sys_errno), why);
}

void configure_library() noexcept {
    static std::once_flag once;
    // SQLITE_MISUSE when SQLite is already initialized (the host's own use): then as it is.
    std::call_once(once, []() { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

void set_busy_wait(sqlite3 *db, const BusyWait *wait) {
    sqlite3_busy_handler(db, busy_wait, const_cast<BusyWait *>(wait));
}

msgr_hresult open_db(const std::string &path, DbHandle &out) {
    sqlite3 *raw = nullptr;
    // NOMUTEX: each connection is used by one thread at a time (the owner's is handed over once,
    // through the inbox, which orders the two threads' accesses).
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    DbHandle db(raw);  // closed on every path, also when the open failed
    if (rc != SQLITE_OK) return sqlite_fail(raw, rc, "cannot open " + path);
    sqlite3_extended_result_codes(raw, 1);
    set_busy_wait(raw, &kOwnerBusyWait);
    out = std::move(db);
    return MSGR_S_OK;
}

msgr_hresult exec(sqlite3 *db, const char *sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, std::string("cannot run ") + sql);
    return MSGR_S_OK;
}

msgr_hresult query_int(sqlite3 *db, const char *sql, std::int64_t &out) {
    Stmt s;
    if (const msgr_hresult hr = s.prepare(db, sql); hr != MSGR_S_OK) return hr;
    const int rc = s.step();
    if (rc != SQLITE_ROW) return sqlite_fail(db, rc, std::string("cannot run ") + sql);
    out = s.column_int(0);
    return MSGR_S_OK;
}

Stmt &Stmt::operator=(Stmt &&other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = other.stmt_;
        other.stmt_ = nullptr;
    }
    return *this;
}

msgr_hresult Stmt::prepare(sqlite3 *db, const char *sql) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) return sqlite_fail(db, rc, std::string("cannot prepare ") + sql);
    return MSGR_S_OK;
}

void Stmt::bind_blob(int i, std::string_view v) noexcept {
    // A zero-length BLOB, not NULL, for "" (a NULL data pointer would bind NULL).
    sqlite3_bind_blob64(stmt_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT);
}

void Stmt::bind_text_or_null(int i, std::string_view v) noexcept {
    if (v.empty()) {
        sqlite3_bind_null(stmt_, i);
    } else {
        bind_text(i, v);
    }
}

void Stmt::bind_text(int i, std::string_view v) noexcept {
    sqlite3_bind_text64(stmt_, i, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT,
                        SQLITE_UTF8);
}

msgr_hresult Stmt::run(const char *what) {
    const int rc = step();
    // The reason is read before the reset, which starts the statement over.
    const msgr_hresult hr =
        rc == SQLITE_DONE || rc == SQLITE_ROW ? MSGR_S_OK : sqlite_fail(db(), rc, what);
    reset();
    return hr;
}

std::string Stmt::column_string(int i) const {
    const auto *p = static_cast<const char *>(sqlite3_column_blob(stmt_, i));
    const int n = sqlite3_column_bytes(stmt_, i);
    if (p == nullptr || n <= 0) return {};
    return {p, static_cast<std::size_t>(n)};
}

}  // namespace msgr::core::history

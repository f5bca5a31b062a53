#include "history/worker.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "error.hpp"
#include "history/owner.hpp"
#include "history/paths.hpp"
#include "history/query.hpp"

namespace msgr::core::history {

namespace {

// Each write transaction of this thread holds the write lock, and an owner-thread append that
// meets it waits for it: each is kept to about kWriteTarget. The rows of an index batch and
// the pages of a merge step follow what the last ones cost (an FTS5 insert of a chat message
// costs tens of microseconds, so 256 rows held the lock for 6 ms), within these bounds.
constexpr auto kWriteTarget = std::chrono::microseconds(250);
constexpr std::int64_t kIndexRowsMin = 1;
constexpr std::int64_t kIndexRowsMax = 256;
constexpr std::int64_t kPurgeRows = 128;
constexpr std::int64_t kMergePagesMin = 2;
constexpr std::int64_t kMergePagesMax = 64;
// Under a stream of appends there is always more to index: one step in this many merges
// first, so that the segments do not pile up to FTS5's crisis merge (inside an index batch).
constexpr unsigned kMergeEvery = 4;
// Each time the WAL grew this much (frames of 4 KB) past what the last checkpoint saw, it is
// checkpointed at once, not a second later (the owner's commits report its length:
// on_commit). Past what the last checkpoint saw, not past the start: under a stream of
// appends the WAL is always that long, and a request at every commit starved the indexing.
constexpr int kCheckpointFrames = 4096;
// A WAL longer than this is started over when the owner's appends pause (see checkpoint()).
constexpr int kRestartFrames = 16384;
// One that grew longer still (appends that never paused, a long transaction, or checkpoints
// that could not run) is started over whether they pause or not, and its file is trimmed back
// to this at the next commit (journal_size_limit, on both connections): the bound on its size.
constexpr int kTruncateFrames = 65536;  // 256 MB: the journal_size_limit of both connections
// Passive passes before the restart, each copying what was appended during the last one, so
// that the restart, which holds the write lock, has only the last few frames left to copy.
constexpr int kCheckpointPasses = 2;
// Before a restart forced under an unbroken stream of appends, this thread syncs the WAL and the
// database file itself (no lock held), again while a sync still took long, at most this often:
// the restart's own syncs, which the owner's next append waits for, then find little to write.
constexpr int kSyncAheadPasses = 6;
constexpr auto kShortSync = std::chrono::milliseconds(2);
constexpr auto kCheckpointDelay = std::chrono::seconds(1);
// This thread waits for the write lock between two of the owner's appends, which may follow
// each other within microseconds: it looks every 10 us (the owner's wait backs off, this one
// must not).
constexpr BusyWait kWorkerBusyWait{10, 0, 10};
constexpr auto kRetryAfter = std::chrono::seconds(1);
// The longest this thread sleeps without looking for work (see appended()).
constexpr auto kLookAgain = std::chrono::seconds(1);
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

// The next amount of work (rows, pages) for a transaction that did `done` in `took`: what would
// have taken kWriteTarget, half-way from `done` (no jumps on one slow transaction).
std::int64_t next_amount(std::int64_t done, std::chrono::steady_clock::duration took,
                         std::int64_t lo, std::int64_t hi) {
    const auto us = std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::microseconds>(took).count());
    const std::int64_t fit = done * static_cast<std::int64_t>(kWriteTarget.count()) / us;
    return std::clamp((done + fit) / 2, lo, hi);
}

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Stops a search's statement between steps once it is cancelled (sqlite3_progress_handler).
int stop_if_cancelled(void *task) {
    return static_cast<SearchTask *>(task)->cancelled.load() ? 1 : 0;
}

}  // namespace

Worker::Worker(std::string path, std::uint32_t retain_days, std::uint64_t retain_messages,
               std::chrono::milliseconds retention_every, WorkerHooks hooks)
    : path_(std::move(path)),
      retain_days_(retain_days),
      retain_messages_(retain_messages),
      retention_every_(retention_every.count() > 0 ? retention_every : std::chrono::hours(24)),
      hooks_(std::move(hooks)),
      thread_([this]() { run(); }) {}

Worker::~Worker() {
    {
        const std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void Worker::log(msgr_log_level level, const std::string &line) const {
    if (hooks_.log) hooks_.log(level, line);
}

int Worker::on_commit(void *worker, sqlite3 *db, const char *name, int frames) {
    auto *self = static_cast<Worker *>(worker);
    if (db != self->db_.get()) self->owner_commit_ns_ = steady_ns();
    if (std::strcmp(name, "main") != 0) {  // the index: only this thread writes it
        if (frames >= kCheckpointFrames && !self->index_checkpoint_asked_) {
            self->index_checkpoint_asked_ = true;
            self->checkpoint_asked_ = true;  // this thread: no need to wake it
        }
        return SQLITE_OK;
    }
    int seen = self->wal_seen_.load(std::memory_order_relaxed);
    if (frames < seen) seen = 0;  // the WAL started over since
    if (frames - seen >= kCheckpointFrames && !self->checkpoint_asked_.exchange(true)) {
        const std::lock_guard<std::mutex> lock(self->mu_);
        self->cv_.notify_one();
    }
    return SQLITE_OK;
}

void Worker::watch(sqlite3 *db) {
    sqlite3_wal_hook(db, &Worker::on_commit, this);
}

// The owner thread never waits for mu_: this thread, preempted while it held it, made appends
// wait for milliseconds. When mu_ is taken, the wake-up is owed: given at the next append, and
// this thread never sleeps longer than kLookAgain without looking at appended_ itself.
void Worker::appended() {
    if (appended_.exchange(true) && !wake_owed_.load()) return;  // already told
    const std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) {
        wake_owed_ = true;
        return;
    }
    wake_owed_ = false;
    cv_.notify_one();
}

void Worker::purge(std::vector<ConversationId> ids) {
    {
        const std::lock_guard<std::mutex> lock(mu_);
        purge_requests_.insert(purge_requests_.end(), ids.begin(), ids.end());
    }
    cv_.notify_one();
}

void Worker::search(std::shared_ptr<SearchTask> task) {
    {
        const std::lock_guard<std::mutex> lock(mu_);
        tasks_.push_back(Task{std::move(task), nullptr});
    }
    cv_.notify_one();
}

void Worker::wait_idle() {
    std::promise<void> idle;
    std::future<void> done = idle.get_future();
    {
        const std::lock_guard<std::mutex> lock(mu_);
        tasks_.push_back(Task{nullptr, &idle});
    }
    cv_.notify_one();
    done.wait();
}

// ---- opening ------------------------------------------------------------------------------

msgr_hresult Worker::open_file(Found &found) {
    db_.reset();
    if (const msgr_hresult hr = prepare_file(path_); hr != MSGR_S_OK) return hr;
    if (const msgr_hresult hr = open_db(path_, db_); hr != MSGR_S_OK) return hr;
    set_busy_wait(db_.get(), &kWorkerBusyWait);
    return inspect(db_.get(), found);
}

// One try: what the file is, then WAL, the schema, the statements, retention. `unreadable`:
// the file is not a msgr history database, or SQLite found it corrupt on the way.
msgr_hresult Worker::open_once(bool &unreadable) {
    unreadable = false;
    Found found = Found::fresh;
    msgr_hresult hr = open_file(found);
    if (hr != MSGR_S_OK) return hr;
    if (found == Found::not_ours) {
        unreadable = true;
        return fail(MSGR_E_FAIL, "not a msgr history database, or corrupt");
    }
    if (found == Found::newer) {
        db_.reset();
        return fail(MSGR_E_SERVER_VERSION,
                    path_ + " has a newer history schema than this build knows (left untouched)");
    }
    // WAL (kept in the file), and this connection checkpoints by itself (wal_autocheckpoint=0
    // on both connections). journal_size_limit at kTruncateFrames: a commit of this thread that
    // starts the WAL over truncates it only past the size checkpoint() truncates it at anyway.
    hr = exec(db_.get(),
              "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
              "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 268435456");
    if (hr == MSGR_S_OK) hr = migrate(db_.get());
    if (hr == MSGR_S_OK) {
        std::string rebuilt_why;
        hr = attach_index(db_.get(), index_path(path_), rebuilt_why);
        if (hr == MSGR_S_OK && !rebuilt_why.empty()) {
            log(MSGR_LOG_WARNING, "history store: the search index " + index_path(path_) +
                                      " was made again (" + rebuilt_why + ")");
        }
    }
    // This thread's own commits (indexing, deleting) make the WALs long too.
    if (hr == MSGR_S_OK) watch(db_.get());
    if (hr == MSGR_S_OK) hr = prepare();
    if (hr == MSGR_S_OK) {
        hr = query_int(db_.get(), "SELECT value FROM idx.meta WHERE key = 'indexed_upto'",
                       indexed_upto_);
    }
    if (hr == MSGR_S_OK) hr = apply_retention(false);
    // Deletions a previous run left unfinished (forgotten or retained rows still there).
    if (hr == MSGR_S_OK) {
        Stmt left;
        hr = left.prepare(db_.get(),
                          "SELECT c.id FROM conversations c WHERE EXISTS (SELECT 1 FROM messages m "
                          "WHERE m.conv = c.id AND m.seq < c.forgotten_below)");
        while (hr == MSGR_S_OK && left.step() == SQLITE_ROW)
            purging_.insert(left.column_int(0));
    }
    if (hr != MSGR_S_OK) {
        const int rc = sqlite3_errcode(db_.get()) & 0xFF;
        unreadable = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
    }
    return hr;
}

msgr_hresult Worker::open(std::string &why) {
    bool unreadable = false;
    msgr_hresult hr = open_once(unreadable);
    if (unreadable) {
        const std::string reason = last_error();
        db_.reset();
        purging_.clear();
        std::string moved_to;
        hr = move_aside(path_, unix_ms_now(), moved_to);
        if (hr == MSGR_S_OK) {
            log(MSGR_LOG_ERROR, path_ + " is not a msgr history database or is corrupt (" + reason +
                                    "): moved to " + moved_to + ", starting a new one");
            hr = open_once(unreadable);
        }
    }
    if (hr != MSGR_S_OK) {
        why = last_error();
        db_.reset();
    }
    return hr;
}

msgr_hresult Worker::prepare() {
    const std::string message_sql =
        std::string("SELECT conv, ") + kRecordColumns + " FROM main.messages WHERE id = ?1";
    const std::pair<Stmt *, const char *> all[] = {
        // Deferred: a transaction locks only the file it writes (BEGIN IMMEDIATE would take the
        // history's write lock too, for an index batch that only reads it).
        {&begin_, "BEGIN"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&any_unindexed_, "SELECT EXISTS (SELECT 1 FROM main.messages WHERE id > ?1)"},
        {&index_upto_,
         "SELECT max(id) FROM (SELECT id FROM main.messages WHERE id > ?1 ORDER BY id LIMIT ?2)"},
        // The text as TEXT (it is stored as a BLOB): FTS5 tokenizes text.
        {&index_,
         "INSERT INTO idx.messages_fts (rowid, text) SELECT id, CAST(text AS TEXT) FROM "
         "main.messages WHERE id > ?1 AND id <= ?2"},
        {&set_indexed_, "UPDATE idx.meta SET value = ?1 WHERE key = 'indexed_upto'"},
        {&floor_of_, "SELECT forgotten_below FROM main.conversations WHERE id = ?1"},
        {&purge_ids_,
         "SELECT id FROM main.messages WHERE conv = ?1 AND seq < ?2 ORDER BY seq LIMIT ?3"},
        {&fts_delete_, "DELETE FROM idx.messages_fts WHERE rowid = ?1"},
        {&delete_message_, "DELETE FROM main.messages WHERE id = ?1"},
        {&merge_, "INSERT INTO idx.messages_fts (messages_fts, rank) VALUES ('merge', ?1)"},
        // Newest first straight from the index (FTS5 walks its rowids backwards).
        {&search_,
         "SELECT rowid, snippet(messages_fts, 0, char(2), char(3), '…', 16) FROM "
         "idx.messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC"},
        {&message_, message_sql.c_str()},
    };
    for (const auto &[stmt, sql] : all) {
        if (const msgr_hresult hr = stmt->prepare(db_.get(), sql); hr != MSGR_S_OK) return hr;
    }
    return MSGR_S_OK;
}

// ---- the loop -----------------------------------------------------------------------------

void Worker::run() {
    std::string why;
    open_hr_ = open(why);
    open_why_ = why;
    std::shared_ptr<Owner> owner;
    if (open_hr_ == MSGR_S_OK) {
        std::unique_ptr<Owner> made;
        open_hr_ = Owner::open(path_, made);
        if (open_hr_ == MSGR_S_OK) {
            watch(made->db());
            owner = std::move(made);
        } else {
            open_why_ = last_error();
        }
    }
    if (open_hr_ != MSGR_S_OK) {
        log(MSGR_LOG_ERROR, "history store " + path_ + ": " + open_why_);
        db_.reset();
    }
    retention_at_ = Clock::now() + retention_every_;
    if (hooks_.opened) hooks_.opened(open_hr_, open_why_, std::move(owner));

    for (;;) {
        Task task;
        {
            std::unique_lock<std::mutex> lock(mu_);
            for (const ConversationId id : purge_requests_)
                purging_.insert(id);
            purge_requests_.clear();
            const Clock::time_point now = Clock::now();
            const bool ok = db_ != nullptr;
            const bool work =
                ok &&
                (now >= retention_at_ || checkpoint_asked_.load() ||
                 (checkpoint_pending_ && now >= checkpoint_at_) ||
                 (now >= retry_at_ && (appended_.load() || index_more_ || !purging_.empty())));
            if (!stop_ && tasks_.empty() && !work) {
                Clock::time_point until = now + (ok ? kLookAgain : retention_every_);
                if (ok) {
                    until = std::min(until, retention_at_);
                    if (checkpoint_pending_) until = std::min(until, checkpoint_at_);
                    if (now < retry_at_) until = std::min(until, retry_at_);
                }
                cv_.wait_until(lock, until, [this]() {
                    return stop_ || !tasks_.empty() || appended_.load() ||
                           !purge_requests_.empty() || checkpoint_asked_.load();
                });
                continue;  // re-evaluates what there is to do
            }
            if (stop_) break;
            if (!tasks_.empty()) {
                task = std::move(tasks_.front());
                tasks_.pop_front();
            }
        }
        if (task.search) {
            if (!task.search->cancelled) run_search(*task.search);
        } else if (task.idle != nullptr) {
            drain();
            task.idle->set_value();
        } else {
            step();
        }
    }

    // Stopping: a queued search is dropped (its done is never called), a wait_idle returns.
    std::deque<Task> left;
    {
        const std::lock_guard<std::mutex> lock(mu_);
        left.swap(tasks_);
    }
    for (Task &t : left) {
        if (t.idle != nullptr) t.idle->set_value();
    }
    if (db_ != nullptr) checkpoint();
    db_.reset();
}

bool Worker::step() {
    if (db_ == nullptr) return false;
    const Clock::time_point now = Clock::now();
    if (now >= retention_at_) {
        retention_at_ = now + retention_every_;
        if (apply_retention(true) != MSGR_S_OK) background_failed("apply the retention");
        return true;
    }
    if (checkpoint_asked_ || (checkpoint_pending_ && now >= checkpoint_at_)) {
        checkpoint();
        return true;
    }
    if (now < retry_at_) return false;
    if (appended_.exchange(false)) index_more_ = true;
    if (merge_more_ && ++steps_ % kMergeEvery == 0 && merge_step()) return true;
    if (index_more_ && index_batch()) return true;
    if (merge_more_ && merge_step()) return true;
    if (!purging_.empty() && purge_chunk()) return true;
    return false;
}

void Worker::drain() {
    if (db_ == nullptr) return;
    {
        const std::lock_guard<std::mutex> lock(mu_);
        for (const ConversationId id : purge_requests_)
            purging_.insert(id);
        purge_requests_.clear();
    }
    appended_ = false;
    index_more_ = true;
    retry_at_ = {};
    // Checkpoints on the way, as step() does: a long catch-up would make the WAL as long.
    const auto checkpoint_if_asked = [this]() {
        if (checkpoint_asked_) checkpoint();
        return true;
    };
    while (index_more_ && index_batch() && checkpoint_if_asked()) {
    }
    while (!purging_.empty() && purge_chunk() && checkpoint_if_asked()) {
    }
    while (merge_more_ && merge_step() && checkpoint_if_asked()) {
    }
    checkpoint();
}

void Worker::background_failed(const char *what) {
    log(MSGR_LOG_WARNING, std::string("history store: cannot ") + what +
                              " (tried again in a second): " + last_error());
    retry_at_ = Clock::now() + kRetryAfter;
}

// Passive first: it copies what it can without ever holding the write lock, so an append never
// waits for its fsyncs. But the WAL starts over only at a write that finds all of it copied
// (and no reader in it), and under an unbroken stream of appends no passive pass ever ends
// before the next append: the WAL grew without bound (18 GB over a million appends). So once
// the WAL is longer than kRestartFrames, a RESTART checkpoint may follow the passive passes. It
// holds the write lock while it copies what is left and syncs the file, and the owner's next
// append waits for that; so it runs only
//  - when the owner appended nothing since the last pass began: that pass left nothing to
//    copy, and the restart holds the lock only to see that no reader is in the WAL (as an
//    owner's frame loop leaves it between two ticks), or
//  - when the WAL grew past kTruncateFrames anyway (an unbroken stream of appends that never
//    paused for a pass). The one append that meets it waits for what was appended during one
//    pass and the restart's two fsyncs, once per kTruncateFrames (256 MB) of such a stream.
// Either way this thread first syncs both files itself (sync_ahead, no lock held), so that the
// restart's syncs under the lock find little to write; and the restart leaves the file as long
// as it is (truncating 256 MB under the lock took 100 ms, longer than all the rest, and an
// append that resumed then waited for it). The owner's next commit starts the WAL over in
// place, and its journal_size_limit (kTruncateFrames) trims what grew past that meanwhile: the
// bound on the file's size. The file goes when the store closes (the last connection).
// Never on the owner's connection (wal_autocheckpoint=0 there). Each checkpoint's fsync of the
// WAL also slows the owner's writes to it (the page its next frame shares with the last one
// synced is under writeback): checkpoints come every kCheckpointFrames (16 MB), not more often.
void Worker::checkpoint() {
    checkpoint_pending_ = false;
    checkpoint_asked_ = false;
    checkpoint_index();
    int frames = 0;
    int copied = 0;
    std::int64_t pass_began = 0;
    for (int pass = 0; pass < kCheckpointPasses; ++pass) {
        pass_began = steady_ns();
        const int rc = sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                                 &frames, &copied);
        if (rc == SQLITE_BUSY) return;  // a checkpoint of another connection is running
        if (rc != SQLITE_OK) {
            sqlite_fail(db_.get(), rc, "checkpoint");
            background_failed("checkpoint");
            return;
        }
        wal_seen_ = frames;
        // A short WAL starts over by itself, at the first append after a pass that ends in a
        // pause of the appends (`frames` is its length when the pass began, not at its end).
        if (frames < kRestartFrames) return;
    }
    // The restart's syncs are made short first, without the lock; "quiet" is judged after that
    // (an owner thread only preempted through the pass is not quiet once it runs again).
    sync_ahead();
    const bool quiet = owner_commit_ns_.load() < pass_began;
    if (!quiet && frames <= kTruncateFrames) {
        // Not now: the next checkpoint (kCheckpointFrames on, or a second after the appends
        // pause) looks again.
        checkpoint_pending_ = true;
        checkpoint_at_ = Clock::now() + kCheckpointDelay;
        return;
    }
    const int rc =
        sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_RESTART, &frames, &copied);
    // BUSY: a reader or writer was in the whole wait; the next commit asks again.
    wal_seen_ = 0;
    if (rc != SQLITE_OK && (rc & 0xFF) != SQLITE_BUSY) {
        sqlite_fail(db_.get(), rc, "checkpoint");
        background_failed("checkpoint");
    }
}

// Syncs the WAL and the database file through this connection's own file objects (the VFS's
// xSync: no descriptor of SQLite's is opened or closed behind its back, which would drop its
// POSIX locks), each again while a sync took longer than kShortSync.
void Worker::sync_ahead() {
    for (const int op : {SQLITE_FCNTL_JOURNAL_POINTER, SQLITE_FCNTL_FILE_POINTER}) {
        sqlite3_file *f = nullptr;
        if (sqlite3_file_control(db_.get(), "main", op, &f) != SQLITE_OK || f == nullptr ||
            f->pMethods == nullptr)
            continue;
        for (int pass = 0; pass < kSyncAheadPasses; ++pass) {
            const auto began = Clock::now();
            if (f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK) break;
            if (Clock::now() - began < kShortSync) break;
        }
    }
}

// The index's WAL: this thread is its only writer and reader, so it starts over at once (it
// never waits for anyone), truncated when it grew long.
void Worker::checkpoint_index() {
    index_checkpoint_asked_ = false;
    int frames = 0;
    int copied = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(db_.get(), "idx", SQLITE_CHECKPOINT_RESTART, &frames, &copied);
    if (rc == SQLITE_OK && frames > kRestartFrames) {
        rc = sqlite3_wal_checkpoint_v2(db_.get(), "idx", SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                       nullptr);
    }
    if (rc != SQLITE_OK && (rc & 0xFF) != SQLITE_BUSY) {
        sqlite_fail(db_.get(), rc, "checkpoint the search index");
        background_failed("checkpoint the search index");
    }
}

// ---- the full-text index ------------------------------------------------------------------

bool Worker::index_batch() {
    any_unindexed_.bind(1, indexed_upto_);
    const bool any = any_unindexed_.step() == SQLITE_ROW && any_unindexed_.column_int(0) != 0;
    any_unindexed_.reset();
    if (!any) {
        index_more_ = false;
        return false;
    }
    msgr_hresult hr = begin_.run("begin indexing");
    const Clock::time_point t0 = Clock::now();  // holding the write lock from here
    std::int64_t upto = indexed_upto_;
    if (hr == MSGR_S_OK) {
        index_upto_.bind(1, indexed_upto_);
        index_upto_.bind(2, index_rows_);
        if (index_upto_.step() == SQLITE_ROW && !index_upto_.column_is_null(0)) {
            upto = index_upto_.column_int(0);
        }
        index_upto_.reset();
    }
    if (hr == MSGR_S_OK && upto > indexed_upto_) {
        index_.bind(1, indexed_upto_);
        index_.bind(2, upto);
        hr = index_.run("index messages");
        if (hr == MSGR_S_OK) {
            set_indexed_.bind(1, upto);
            hr = set_indexed_.run("record the indexed messages");
        }
    }
    if (hr == MSGR_S_OK) hr = commit_.run("commit indexing");
    if (hr != MSGR_S_OK) {
        if (sqlite3_get_autocommit(db_.get()) == 0) rollback_.run("roll back indexing");
        background_failed("index new messages");
        return false;
    }
    index_rows_ = next_amount(index_rows_, Clock::now() - t0, kIndexRowsMin, kIndexRowsMax);
    indexed_upto_ = upto;
    merge_more_ = true;
    if (!checkpoint_pending_) {
        checkpoint_pending_ = true;
        checkpoint_at_ = Clock::now() + kCheckpointDelay;
    }
    return true;
}

// One bounded step of merging the index's segments (see schema.cpp); true when it merged any.
bool Worker::merge_step() {
    const int before = sqlite3_total_changes(db_.get());
    const Clock::time_point t0 = Clock::now();
    merge_.bind(1, merge_pages_);
    if (merge_.run("merge the index") != MSGR_S_OK) {
        background_failed("merge the full-text index");
        return false;
    }
    merge_pages_ = next_amount(merge_pages_, Clock::now() - t0, kMergePagesMin, kMergePagesMax);
    // FTS5's way of saying it found nothing to merge: fewer than two rows changed.
    if (sqlite3_total_changes(db_.get()) - before < 2) {
        merge_more_ = false;
        return false;
    }
    return true;
}

// ---- forgetting and retention -------------------------------------------------------------

bool Worker::purge_chunk() {
    const ConversationId conv = *purging_.begin();
    msgr_hresult hr = begin_.run("begin deleting");
    std::int64_t floor = kNoFloor;
    std::vector<std::int64_t> ids;
    if (hr == MSGR_S_OK) {
        floor_of_.bind(1, conv);
        if (floor_of_.step() == SQLITE_ROW) floor = floor_of_.column_int(0);
        floor_of_.reset();
        purge_ids_.bind(1, conv);
        purge_ids_.bind(2, floor);
        purge_ids_.bind(3, kPurgeRows);
        while (purge_ids_.step() == SQLITE_ROW)
            ids.push_back(purge_ids_.column_int(0));
        purge_ids_.reset();
    }
    // The index first, in a transaction of its own (the index's write lock only), then the
    // messages: should the process end between the two, the rows are still below the floor and
    // deleted again at the next start; never an index entry left without its message.
    for (const std::int64_t id : ids) {
        if (hr != MSGR_S_OK) break;
        fts_delete_.bind(1, id);
        hr = fts_delete_.run("delete from the index");
    }
    if (hr == MSGR_S_OK) hr = commit_.run("commit deleting from the index");
    if (hr == MSGR_S_OK && !ids.empty()) hr = begin_.run("begin deleting");
    for (const std::int64_t id : ids) {
        if (hr != MSGR_S_OK) break;
        delete_message_.bind(1, id);
        hr = delete_message_.run("delete a message");
    }
    if (hr == MSGR_S_OK && !ids.empty()) hr = commit_.run("commit deleting");
    if (hr != MSGR_S_OK) {
        if (sqlite3_get_autocommit(db_.get()) == 0) rollback_.run("roll back deleting");
        background_failed("delete forgotten messages");
        return false;
    }
    if (static_cast<std::int64_t>(ids.size()) < kPurgeRows) purging_.erase(conv);
    if (!ids.empty()) merge_more_ = true;  // deletions are segments too
    if (!ids.empty() && !checkpoint_pending_) {
        checkpoint_pending_ = true;
        checkpoint_at_ = Clock::now() + kCheckpointDelay;
    }
    return true;
}

// Raises each conversation's floor to what retention keeps: the newest retain_messages, and
// nothing older than retain_days. By days it cuts the conversation's front up to its first
// message inside the period (messages are in time order along seq; one with a newer time in
// front keeps the older ones behind it, so what is visible stays one run of seqs).
msgr_hresult Worker::apply_retention(bool report) {
    if (retain_days_ == 0 && retain_messages_ == 0) return MSGR_S_OK;
    sqlite3 *db = db_.get();
    Stmt all, highest, walk, raise;
    const std::pair<Stmt *, const char *> stmts[] = {
        {&all, "SELECT id, forgotten_below FROM conversations"},
        {&highest, "SELECT max(seq) FROM messages WHERE conv = ?1"},
        {&walk, "SELECT seq, time_ms FROM messages WHERE conv = ?1 AND seq >= ?2 ORDER BY seq"},
        {&raise,
         "UPDATE conversations SET forgotten_below = max(forgotten_below, ?2) WHERE id = ?1"},
    };
    for (const auto &[stmt, sql] : stmts) {
        if (const msgr_hresult hr = stmt->prepare(db, sql); hr != MSGR_S_OK) return hr;
    }
    std::map<ConversationId, std::int64_t> raised;
    const std::int64_t oldest_kept_ms =
        unix_ms_now() - static_cast<std::int64_t>(retain_days_) * kDayMs;
    while (all.step() == SQLITE_ROW) {
        const ConversationId id = all.column_int(0);
        const std::int64_t floor = all.column_int(1);
        std::int64_t cut = floor;
        if (retain_messages_ > 0) {
            highest.bind(1, id);
            if (highest.step() == SQLITE_ROW && !highest.column_is_null(0)) {
                cut = std::max(
                    cut, highest.column_int(0) + 1 - static_cast<std::int64_t>(retain_messages_));
            }
            highest.reset();
        }
        if (retain_days_ > 0) {
            walk.bind(1, id);
            walk.bind(2, cut);
            while (walk.step() == SQLITE_ROW && walk.column_int(1) < oldest_kept_ms) {
                cut = std::max(cut, walk.column_int(0) + 1);
            }
            walk.reset();
        }
        if (cut > floor) raised[id] = cut;
    }
    all.reset();
    for (const auto &[id, cut] : raised) {
        raise.bind(1, id);
        raise.bind(2, cut);
        if (const msgr_hresult hr = raise.run("apply the retention"); hr != MSGR_S_OK) return hr;
        purging_.insert(id);
        if (report && hooks_.floor_raised) hooks_.floor_raised(id, cut);
    }
    return MSGR_S_OK;
}

// ---- search -------------------------------------------------------------------------------

// At most about this many rows are indexed before a search.
constexpr std::int64_t kRowsBeforeSearch = 16384;

// What was appended before the search is indexed first (a bounded number of batches: after a
// huge catch-up the index may still be behind, and what it has not reached is not found), so a
// message the user just sent or received is found.
void Worker::run_search(SearchTask &task) {
    if (db_ == nullptr) {
        task.finished(open_hr_ != MSGR_S_OK ? open_hr_ : MSGR_E_FAIL, {});
        return;
    }
    const std::int64_t from = indexed_upto_;
    while (!task.cancelled && indexed_upto_ - from < kRowsBeforeSearch && index_batch()) {
        if (checkpoint_asked_) checkpoint();
    }
    if (const std::string why = check_query(task.query); !why.empty()) {
        task.finished(MSGR_E_INVALIDARG, {});
        return;
    }
    struct Conv {
        ConversationKey key;
        std::int64_t floor = 0;
    };
    std::map<ConversationId, Conv> convs;
    {
        Stmt all;
        if (all.prepare(db_.get(),
                        "SELECT id, service, peer, kind, forgotten_below FROM "
                        "conversations") != MSGR_S_OK) {
            task.finished(MSGR_E_FAIL, {});
            return;
        }
        while (all.step() == SQLITE_ROW) {
            Conv c;
            c.key.service = all.column_string(1);
            c.key.peer = all.column_string(2);
            c.key.kind = static_cast<msgr_window_kind>(all.column_int(3));
            c.floor = all.column_int(4);
            convs[all.column_int(0)] = std::move(c);
        }
    }
    std::vector<Hit> hits;
    sqlite3_progress_handler(db_.get(), 1000, stop_if_cancelled, &task);
    const StmtReset done(search_);
    search_.bind_text(1, fts_query(task.query));
    int rc = SQLITE_OK;
    while (hits.size() < task.max && (rc = search_.step()) == SQLITE_ROW) {
        const std::int64_t id = search_.column_int(0);
        message_.bind(1, id);
        if (message_.step() == SQLITE_ROW) {
            const auto it = convs.find(message_.column_int(0));
            if (it != convs.end() && message_.column_int(2) >= it->second.floor) {  // not forgotten
                Hit h;
                h.conversation = it->second.key;
                h.record = read_record(message_, 1);
                h.snippet = search_.column_string(1);
                hits.push_back(std::move(h));
            }
        }
        message_.reset();
        if (task.cancelled) break;
    }
    sqlite3_progress_handler(db_.get(), 0, nullptr, nullptr);
    if (task.cancelled) return;  // its done is never called
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK) {
        const msgr_hresult hr = sqlite_fail(db_.get(), rc, "the search failed");
        task.finished(hr, {});
        return;
    }
    task.finished(MSGR_S_OK, std::move(hits));
}

}  // namespace msgr::core::history

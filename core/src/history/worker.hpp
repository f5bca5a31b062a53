// The store's own thread and its connection: opening and migrating, the full-text index of new
// rows, checkpoints, retention, deleting what was forgotten (in chunks), and searches.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "history/schema.hpp"
#include "history/sqlite.hpp"
#include "history/store.hpp"

namespace msgr::core::history {

class Owner;

struct SearchTask {
    std::string query;
    std::size_t max = 0;
    std::atomic<bool> cancelled{false};
    // Called on the store's thread with the result (never when cancelled).
    std::function<void(msgr_hresult hr, std::vector<Hit> hits)> finished;
};

// What the thread reports, called on the thread itself (the Store posts them on).
struct WorkerHooks {
    // Once, after opening: the owner's room (null when the open failed).
    std::function<void(msgr_hresult hr, std::string why, std::shared_ptr<Owner> owner)> opened;
    // Retention removed a conversation's messages below `floor`.
    std::function<void(ConversationId id, std::int64_t floor)> floor_raised;
    std::function<void(msgr_log_level level, const std::string &line)> log;
};

class Worker {
  public:
    Worker(std::string path, std::uint32_t retain_days, std::uint64_t retain_messages,
           std::chrono::milliseconds retention_every, WorkerHooks hooks);
    // Finishes the step it is in (a search is dropped), checkpoints and closes.
    ~Worker();
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    // Any thread: new rows were committed (they are indexed soon).
    void appended();
    // The conversations' floors were raised (forget): their rows below it are to be deleted.
    void purge(std::vector<ConversationId> ids);
    void search(std::shared_ptr<SearchTask> task);
    // Blocks until everything asked so far is indexed, deleted and checkpointed.
    void wait_idle();
    // Checkpoints as soon as the connection's commits have made the WAL long (they report the
    // WAL's length through sqlite3_wal_hook): the owner's, before it is handed over, and this
    // thread's own.
    void watch(sqlite3 *db);

  private:
    using Clock = std::chrono::steady_clock;
    struct Task {
        std::shared_ptr<SearchTask> search;
        std::promise<void> *idle = nullptr;  // wait_idle's
    };

    static int on_commit(void *worker, sqlite3 *db, const char *name, int frames);
    void run();
    msgr_hresult open(std::string &why);
    msgr_hresult open_once(bool &unreadable);
    msgr_hresult open_file(Found &found);
    msgr_hresult prepare();
    void log(msgr_log_level level, const std::string &line) const;

    // One bounded step of background work; false when there was none to do.
    bool step();
    // The background steps; each returns true when it did something.
    bool index_batch();
    bool purge_chunk();
    void checkpoint();
    void sync_ahead();
    void checkpoint_index();
    bool merge_step();
    msgr_hresult apply_retention(bool report);
    void run_search(SearchTask &task);
    void drain();
    // A failed background step waits a while before the next try (no busy loop on a full disk).
    void background_failed(const char *what);

    const std::string path_;
    const std::uint32_t retain_days_;
    const std::uint64_t retain_messages_;
    const std::chrono::milliseconds retention_every_;
    const WorkerHooks hooks_;

    // Shared with the other threads, under mu_.
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::deque<Task> tasks_;
    std::vector<ConversationId> purge_requests_;
    std::atomic<bool> appended_{false};
    std::atomic<bool> wake_owed_{false};  // appended() found mu_ taken
    std::atomic<bool> checkpoint_asked_{false};
    // The WAL's length (frames) when the last checkpoint ran: on_commit asks for the next
    // one kCheckpointFrames later.
    std::atomic<int> wal_seen_{0};
    // When the owner's connection last committed (steady clock, ns): see checkpoint().
    std::atomic<std::int64_t> owner_commit_ns_{0};
    // The index's WAL is long (on_commit, on this thread: only this thread writes it).
    bool index_checkpoint_asked_ = false;

    // The thread's own.
    DbHandle db_;
    msgr_hresult open_hr_ = MSGR_E_FAIL;
    std::string open_why_;
    std::int64_t indexed_upto_ = 0;
    bool index_more_ = true;
    bool merge_more_ = true;
    std::int64_t index_rows_ = 16;   // per index batch, adapted (see kWriteTarget)
    std::int64_t merge_pages_ = 16;  // per merge step, adapted
    unsigned steps_ = 0;
    std::set<ConversationId> purging_;
    bool checkpoint_pending_ = false;
    Clock::time_point checkpoint_at_{};
    Clock::time_point retention_at_{};
    Clock::time_point retry_at_{};
    Stmt any_unindexed_, index_upto_, index_, set_indexed_, floor_of_, purge_ids_, fts_delete_,
        delete_message_, merge_, search_, message_, begin_, commit_, rollback_;

    std::thread thread_;  // last: started once everything above is made
};

}  // namespace msgr::core::history

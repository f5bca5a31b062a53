// The history store: one SQLite database per account, every message the account sent or
// received, its delivery state, and a full-text index of it.
//
// Two rooms, on two threads:
//  - the owner thread (the runtime's) does only small, indexed statements on its own connection:
//    an append is one INSERT committed into the WAL (written to the OS, no fsync: PRAGMA
//    synchronous=NORMAL, wal_autocheckpoint=0), a delivery change one UPDATE, a read one page of
//    rows by (conversation, seq). Each costs microseconds; none waits for the other thread longer
//    than one of its short transactions.
//  - the store's own thread (a second connection) does everything slower: opening and
//    migrating, the FTS5 index of new rows, checkpoints (and their fsync), retention, forgetting
//    in bounded chunks, and searches. It reports back through Options::post (the runtime's
//    inbox: a StoreReport its tick runs on the owner thread).
//
// Two files. The full-text index is a database of its own, "<path>-index" (attached to the
// store thread's connection), written by the store's thread alone: indexing and merging the
// index never hold the history's write lock, so an append never waits for them. The history's
// write lock is shared only with what the store's thread deletes (forget, retention: bounded
// chunks) and the checkpoint that starts a long WAL over (see Worker::checkpoint).
//
// Positions. A conversation's messages have a `seq`: appends take the next one at the end,
// prepends (older archive pages) the one before the first. The runtime's history index is
// seq - first_seq, so appends never move an index and a prepend moves all by the count
// prepended.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msgr/msgr.h"

namespace msgr::core::history {

struct Options {
    std::string path;                   // the database file (directories made 0700, file 0600)
    std::uint32_t retain_days = 0;      // 0: keep forever; applied at open, then each
                                        // retention_every
    std::uint64_t retain_messages = 0;  // per conversation, the newest kept; 0: all
    // How often a running store applies the retention again (it also does at open).
    std::chrono::milliseconds retention_every = std::chrono::hours(24);
    // Runs fn on the owner thread, later (the runtime posts a StoreReport to its inbox). Called
    // from the store's thread; must not block for long (the inbox may make it wait for room).
    std::function<void(std::function<void()> fn)> post;
    // Log lines (any thread).
    std::function<void(msgr_log_level level, const std::string &line)> log;
};

using ConversationId = std::int64_t;

struct Record {
    std::int64_t id = 0;   // the stored id (msgr_message.stored_id): unique in the database
    std::int64_t seq = 0;  // position within its conversation (see the header comment)
    msgr_message_direction direction = MSGR_MESSAGE_INCOMING;
    msgr_delivery_state delivery = MSGR_DELIVERY_NONE;
    msgr_hresult delivery_result = MSGR_S_OK;
    std::string delivery_reason;
    std::int64_t time_unix_ms = 0;
    std::uint32_t flags = 0;  // MSGR_MESSAGE_*
    std::string text;         // exactly the UTF-8 sent or received (may hold NULs)
    std::string origin_id;    // the sender's id (ours for outgoing: the resend/receipt key)
    std::string archive_id;   // the server's archive id
    std::string receipt_id;   // what a read marker names
    std::string sender;       // who wrote an incoming message of a group ("" elsewhere: the
                              // conversation says)
};

// Where a conversation lives, as the runtime names it.
struct ConversationKey {
    std::string service;  // service id
    std::string peer;     // the contact's case-folded sign-in name (msgr_contact.key)
    msgr_window_kind kind = MSGR_WINDOW_CONVERSATION;
};

// A message the previous run accepted whose fate it never learned (PENDING): resent, or failed.
struct Unfinished {
    ConversationKey conversation;
    ConversationId conversation_id = 0;
    Record record;
};

struct Hit {
    ConversationKey conversation;
    Record record;
    std::string snippet;  // the text around the match, matches between "\x02" and "\x03"
};

// The default database file of an account: $XDG_DATA_HOME/msgr/history/<service>/<account>.sqlite3
// (~/.local/share when XDG_DATA_HOME is unset or not absolute), or under `dir` when it is not
// empty ([history] path). The service and account are escaped (%XX for every byte outside
// [A-Za-z0-9._@+-], and a leading '.'), so any sign-in name is one safe file name. "" when no
// directory can be found (no HOME): history then stays in memory.
std::string default_path(const std::string &dir, const std::string &service,
                         const std::string &account_key);

class Store {
  public:
    // Starts the store's thread, which opens (creating) and migrates the database, then calls
    // opened(hr, why) through Options::post. Until then no owner-thread call may be made. A file
    // that is not a msgr history database (or is corrupt) is moved aside to
    // "<path>.corrupt-<unix ms>" with a log line at MSGR_LOG_ERROR and a fresh one is made;
    // a database of a newer schema than this build knows is refused (MSGR_E_SERVER_VERSION)
    // and left untouched; an unwritable place gives its error (E_ACCESSDENIED, E_DISK_FULL,
    // E_WRITE_PROTECT) with why.
    static std::unique_ptr<Store> start(
        Options options, std::function<void(msgr_hresult hr, std::string why)> opened);
    // Stops the thread after the step it was in (a search is cancelled; rows not yet indexed
    // are indexed at the next start, so that a long backlog never holds up the owner thread
    // here; a last passive checkpoint runs) and closes both connections.
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // ---- owner thread: small statements only ------------------------------------------------
    // Every call below returns S_OK or the failure (E_DISK_FULL, E_WRITE_PROTECT, E_FAIL, ...)
    // with its reason set (msgr::core::fail, msgr_last_error).

    // The conversation's id (created on first use).
    msgr_hresult conversation(const ConversationKey &key, ConversationId &out);
    // The conversation's extent: its first seq and how many messages it holds now (what is
    // forgotten no longer counts). Cached: no statement.
    struct Span {
        std::int64_t first_seq = 0;
        std::int64_t count = 0;
    };
    Span span(ConversationId id) const;
    // Appends at the end (r.id and r.seq are set). Committed to the WAL before it returns,
    // unless inside a batch (then at end_batch).
    msgr_hresult append(ConversationId id, Record &r);
    // Adds r in front of the first message (r.seq = first_seq - 1).
    msgr_hresult prepend(ConversationId id, Record &r);
    // Groups the appends of one tick into one transaction (one WAL write).
    void begin_batch();
    msgr_hresult end_batch();
    msgr_hresult set_delivery(std::int64_t stored_id, msgr_delivery_state state, msgr_hresult hr,
                              const std::string &reason);
    // Sets `flags` (or-ed in) on every message of the conversation with seq <= up_to_seq and
    // direction INCOMING (the SEEN mark).
    msgr_hresult add_flags_up_to(ConversationId id, std::int64_t up_to_seq, std::uint32_t flags);
    // Up to n messages with seq in [first_seq, first_seq + n), in seq order.
    msgr_hresult read(ConversationId id, std::int64_t first_seq, std::size_t n,
                      std::vector<Record> &out);
    // Whether the conversation already holds a message with this origin id or archive id
    // (either may be ""; "" never matches). The dedup check on receipt.
    bool holds(ConversationId id, const std::string &origin_id, const std::string &archive_id);
    // The outgoing message the runtime gave this origin id, in the conversation.
    std::optional<Record> outgoing_by_origin(ConversationId id, const std::string &origin_id);
    // The archive id of the conversation's oldest message that has one ("" when none).
    std::string oldest_archive_id(ConversationId id);
    // Outgoing messages still PENDING, oldest first (at sign-in: what the last run left).
    msgr_hresult unfinished(std::vector<Unfinished> &out);

    // Forgetting: the messages disappear from span/read/search at once; the rows (and their
    // index entries) are deleted on the store's thread in bounded chunks.
    msgr_hresult forget(ConversationId id);
    msgr_hresult forget_all();

    // READ covers what came before: every outgoing message of the conversation with seq <
    // before_seq that is SENT or DELIVERED becomes READ (through a partial index of exactly
    // those, so only the rows it changes are read).
    msgr_hresult read_up_to(ConversationId id, std::int64_t before_seq);

    // ---- the store's thread -----------------------------------------------------------------
    // Starts a search (see msgr_history_search for the query language); done(hr, hits) runs
    // through Options::post. Returns the search's id (> 0). Hits newest first, at most max.
    std::uint64_t search(std::string query, std::size_t max,
                         std::function<void(msgr_hresult hr, std::vector<Hit> hits)> done);
    // A search not yet done is cancelled: its done is never called.
    void cancel(std::uint64_t search_id);

    // For tests and benchmarks: waits until the thread has indexed, checkpointed and deleted
    // everything asked of it so far.
    void wait_idle();

  private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Checks a search query (msgr_history_search): non-empty, valid UTF-8, at most 1024 bytes, at
// least one word character. Returns "" when it is fine, else why not.
std::string check_query(const std::string &query);

}  // namespace msgr::core::history

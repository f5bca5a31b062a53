// The store: the owner thread's statements (Owner) and the Store that ties them to the store's
// thread (Worker). See store.hpp for what each call promises.
#include "history/store.hpp"

#include <utility>

#include "error.hpp"
#include "history/owner.hpp"
#include "history/worker.hpp"

namespace msgr::core::history {

namespace {

// Far above any seq a forgotten conversation held: the seqs after a forget never meet the
// forgotten rows still being deleted, and prepends have 2^32 positions before they would.
constexpr std::int64_t kForgetGap = std::int64_t{1} << 32;

std::string with_columns(const char *before, const char *after) {
    return std::string(before) + kRecordColumns + after;
}

msgr_hresult not_open() {
    return fail(MSGR_E_FAIL, "the history store is not open");
}

}  // namespace

// ---- Owner --------------------------------------------------------------------------------

msgr_hresult Owner::open(const std::string &path, std::unique_ptr<Owner> &out) {
    auto owner = std::make_unique<Owner>();
    if (const msgr_hresult hr = open_db(path, owner->db_); hr != MSGR_S_OK) return hr;
    // synchronous=NORMAL: a commit is written to the WAL (the OS has it: a killed process loses
    // nothing) without an fsync; wal_autocheckpoint=0: the store's thread checkpoints (an
    // auto-checkpoint would run inside a commit here, fsyncs and all). journal_size_limit at
    // 256 MB, where the store's thread starts an unbroken stream's WAL over without truncating it
    // (Worker::checkpoint): the first commit after that trims only what grew past 256 MB during
    // the restart (a truncation to the start, of the whole file, dropping its pages from the
    // page cache on this thread, took hundreds of milliseconds; that one waits for a pause).
    if (const msgr_hresult hr = exec(owner->db_.get(),
                                     "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; "
                                     "PRAGMA journal_size_limit = 268435456");
        hr != MSGR_S_OK) {
        return hr;
    }
    if (const msgr_hresult hr = owner->prepare(); hr != MSGR_S_OK) return hr;
    if (const msgr_hresult hr = owner->load(); hr != MSGR_S_OK) return hr;
    out = std::move(owner);
    return MSGR_S_OK;
}

msgr_hresult Owner::prepare() {
    sqlite3 *db = db_.get();
    const std::string read_sql =
        with_columns("SELECT ",
                     " FROM messages WHERE conv = ?1 AND seq >= ?2 AND seq < ?3 "
                     "ORDER BY seq");
    const std::string by_origin_sql =
        with_columns("SELECT ",
                     " FROM messages WHERE conv = ?1 AND origin_id = ?2 AND "
                     "direction = 2 AND +seq >= ?3 ORDER BY id DESC LIMIT 1");
    const std::string unfinished_sql =
        with_columns("SELECT conv, ", " FROM messages WHERE delivery = 1 ORDER BY id");
    // "+seq": the visibility check is not an index term, so the lookups by id use the partial
    // indexes of the ids (SQLite, with no statistics, would otherwise take a range of seq).
    const std::pair<Stmt *, const char *> all[] = {
        // IMMEDIATE: a deferred batch that reads first cannot upgrade to a write once the store's
        // thread committed meanwhile (SQLITE_BUSY_SNAPSHOT, which no busy wait helps).
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&insert_conversation_,
         "INSERT INTO conversations (service, peer, kind, base_seq, forgotten_below) "
         "VALUES (?1, ?2, ?3, 0, ?4)"},
        {&insert_message_,
         "INSERT INTO messages (conv, seq, direction, delivery, delivery_result, "
         "delivery_reason, time_ms, flags, text, origin_id, archive_id, receipt_id, sender) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"},
        {&set_delivery_,
         "UPDATE messages SET delivery = ?2, delivery_result = ?3, delivery_reason = ?4 "
         "WHERE id = ?1"},
        // The SEEN mark through the partial index of unseen incoming messages (its condition
        // written exactly as the index's): only the rows it changes are read.
        {&add_seen_,
         "UPDATE messages SET flags = flags | 2 WHERE conv = ?1 AND seq >= ?2 AND seq <= ?3 "
         "AND direction = 1 AND (flags & 2) = 0"},
        {&add_flags_,
         "UPDATE messages SET flags = flags | ?4 WHERE conv = ?1 AND seq >= ?2 AND seq <= ?3 "
         "AND direction = 1 AND (flags & ?4) != ?4"},
        {&read_, read_sql.c_str()},
        {&holds_origin_,
         "SELECT 1 FROM messages WHERE conv = ?1 AND origin_id = ?2 AND +seq >= ?3 LIMIT 1"},
        {&holds_archive_,
         "SELECT 1 FROM messages WHERE conv = ?1 AND archive_id = ?2 AND +seq >= ?3 LIMIT 1"},
        {&by_origin_, by_origin_sql.c_str()},
        {&oldest_archive_,
         "SELECT archive_id FROM messages WHERE conv = ?1 AND archive_id IS NOT NULL AND "
         "seq >= ?2 ORDER BY seq LIMIT 1"},
        {&unfinished_, unfinished_sql.c_str()},
        {&forget_,
         "UPDATE conversations SET forgotten_below = max(forgotten_below, ?2), base_seq = ?3 "
         "WHERE id = ?1"},
        // READ covers what came before, through the partial index of outgoing SENT/DELIVERED
        // messages (its condition written exactly as the index's; INDEXED BY: never a scan).
        {&read_up_to_,
         "UPDATE messages INDEXED BY messages_unread_outgoing SET delivery = 5 "
         "WHERE conv = ?1 AND seq >= ?2 AND seq < ?3 AND direction = 2 AND delivery IN (2, 4)"},
    };
    for (const auto &[stmt, sql] : all) {
        if (const msgr_hresult hr = stmt->prepare(db, sql); hr != MSGR_S_OK) return hr;
    }
    return MSGR_S_OK;
}

// The spans: per conversation, the oldest visible seq and the one after the newest (two index
// lookups each).
msgr_hresult Owner::load() {
    sqlite3 *db = db_.get();
    Stmt all, lowest, highest;
    if (const msgr_hresult hr = all.prepare(
            db, "SELECT id, service, peer, kind, base_seq, forgotten_below FROM conversations");
        hr != MSGR_S_OK) {
        return hr;
    }
    if (const msgr_hresult hr =
            lowest.prepare(db, "SELECT min(seq) FROM messages WHERE conv = ?1 AND seq >= ?2");
        hr != MSGR_S_OK) {
        return hr;
    }
    if (const msgr_hresult hr =
            highest.prepare(db, "SELECT max(seq) FROM messages WHERE conv = ?1");
        hr != MSGR_S_OK) {
        return hr;
    }
    int rc = SQLITE_OK;
    while ((rc = all.step()) == SQLITE_ROW) {
        const ConversationId id = all.column_int(0);
        Conversation c;
        c.key.service = all.column_string(1);
        c.key.peer = all.column_string(2);
        c.key.kind = static_cast<msgr_window_kind>(all.column_int(3));
        const std::int64_t base = all.column_int(4);
        c.floor = all.column_int(5);
        // Appends go after every row (forgotten ones too), and never below the floor.
        c.next_seq = std::max(base, c.floor);
        highest.bind(1, id);
        if (highest.step() == SQLITE_ROW && !highest.column_is_null(0)) {
            c.next_seq = std::max(c.next_seq, highest.column_int(0) + 1);
        }
        highest.reset();
        c.first_seq = c.next_seq;
        lowest.bind(1, id);
        lowest.bind(2, c.floor);
        if (lowest.step() == SQLITE_ROW && !lowest.column_is_null(0)) {
            c.first_seq = lowest.column_int(0);
        }
        lowest.reset();
        by_key_[Key{c.key.service, c.key.peer, c.key.kind}] = id;
        conversations_[id] = std::move(c);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db, rc, "cannot read the conversations");
    return MSGR_S_OK;
}

Owner::Conversation *Owner::find(ConversationId id) {
    const auto it = conversations_.find(id);
    return it == conversations_.end() ? nullptr : &it->second;
}

const Owner::Conversation *Owner::find(ConversationId id) const {
    const auto it = conversations_.find(id);
    return it == conversations_.end() ? nullptr : &it->second;
}

msgr_hresult Owner::conversation(const ConversationKey &key, ConversationId &out) {
    const Key k{key.service, key.peer, key.kind};
    if (const auto it = by_key_.find(k); it != by_key_.end()) {
        out = it->second;
        return MSGR_S_OK;
    }
    if (batch_failure_ != MSGR_S_OK) return fail(batch_failure_, batch_failure_why_);
    insert_conversation_.bind_text(1, key.service);
    insert_conversation_.bind_text(2, key.peer);
    insert_conversation_.bind(3, key.kind);
    insert_conversation_.bind(4, kNoFloor);
    if (const msgr_hresult hr = insert_conversation_.run("cannot store a conversation");
        hr != MSGR_S_OK) {
        return hr;
    }
    const ConversationId id = sqlite3_last_insert_rowid(db_.get());
    Conversation c;
    c.key = key;
    conversations_[id] = std::move(c);
    by_key_[k] = id;
    if (batch_depth_ > 0) batch_created_.push_back(id);
    out = id;
    return MSGR_S_OK;
}

Store::Span Owner::span(ConversationId id) const {
    const Conversation *c = find(id);
    if (c == nullptr) return {};
    return {c->first_seq, c->next_seq - c->first_seq};
}

void Owner::remember(ConversationId id, const Conversation &c) {
    if (batch_depth_ > 0) batch_saved_.emplace(id, c);  // keeps the first: the span before
}

msgr_hresult Owner::insert(ConversationId id, Conversation &c, std::int64_t seq, Record &r) {
    // A batch that failed once is rolled back as a whole at end_batch: nothing more goes in.
    if (batch_failure_ != MSGR_S_OK) return fail(batch_failure_, batch_failure_why_);
    Stmt &s = insert_message_;
    s.bind(1, id);
    s.bind(2, seq);
    s.bind(3, r.direction);
    s.bind(4, r.delivery);
    s.bind(5, r.delivery_result);
    s.bind_text(6, r.delivery_reason);
    s.bind(7, r.time_unix_ms);
    s.bind(8, r.flags);
    s.bind_blob(9, r.text);
    s.bind_text_or_null(10, r.origin_id);
    s.bind_text_or_null(11, r.archive_id);
    s.bind_text_or_null(12, r.receipt_id);
    s.bind_text_or_null(13, r.sender);
    const msgr_hresult hr = s.run("cannot store the message");
    if (hr != MSGR_S_OK) {
        if (batch_depth_ > 0) {
            batch_failure_ = hr;
            batch_failure_why_ = last_error();
        }
        return hr;
    }
    remember(id, c);
    r.id = sqlite3_last_insert_rowid(db_.get());
    r.seq = seq;
    return MSGR_S_OK;
}

msgr_hresult Owner::append(ConversationId id, Record &r) {
    Conversation *c = find(id);
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "no conversation " + std::to_string(id));
    const msgr_hresult hr = insert(id, *c, c->next_seq, r);
    if (hr == MSGR_S_OK) ++c->next_seq;
    return hr;
}

msgr_hresult Owner::prepend(ConversationId id, Record &r) {
    Conversation *c = find(id);
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "no conversation " + std::to_string(id));
    if (c->first_seq - 1 < c->floor) {
        // Only after retention removed the conversation's older part: nothing older is kept.
        return fail(MSGR_E_FAIL, "the conversation keeps nothing older (history retention)");
    }
    const msgr_hresult hr = insert(id, *c, c->first_seq - 1, r);
    if (hr == MSGR_S_OK) --c->first_seq;
    return hr;
}

void Owner::begin_batch() {
    if (batch_depth_++ > 0) return;
    batch_failure_ = MSGR_S_OK;
    if (begin_.run("cannot begin a batch") != MSGR_S_OK) {
        batch_failure_ = MSGR_E_FAIL;
        batch_failure_why_ = last_error();
    }
}

msgr_hresult Owner::end_batch() {
    if (batch_depth_ == 0) return fail(MSGR_E_FAIL, "end_batch without begin_batch");
    if (--batch_depth_ > 0) return MSGR_S_OK;
    msgr_hresult hr = batch_failure_;
    if (hr == MSGR_S_OK) hr = commit_.run("cannot commit the batch");
    if (hr != MSGR_S_OK) {
        const std::string why = batch_failure_ != MSGR_S_OK ? batch_failure_why_ : last_error();
        // SQLite may have rolled back already (SQLITE_FULL does); then there is no transaction.
        if (sqlite3_get_autocommit(db_.get()) == 0) rollback_.run("cannot roll back the batch");
        for (auto &[id, saved] : batch_saved_)
            conversations_[id] = std::move(saved);
        for (const ConversationId id : batch_created_) {
            const Conversation &c = conversations_[id];
            by_key_.erase(Key{c.key.service, c.key.peer, c.key.kind});
            conversations_.erase(id);
        }
        fail(hr, why);
    }
    batch_saved_.clear();
    batch_created_.clear();
    batch_failure_ = MSGR_S_OK;
    batch_failure_why_.clear();
    return hr;
}

// S_FALSE when there is no such message (it was forgotten): nothing to change.
msgr_hresult Owner::set_delivery(std::int64_t stored_id, msgr_delivery_state state, msgr_hresult hr,
                                 const std::string &reason) {
    set_delivery_.bind(1, stored_id);
    set_delivery_.bind(2, state);
    set_delivery_.bind(3, hr);
    set_delivery_.bind_text(4, reason);
    if (const msgr_hresult r = set_delivery_.run("cannot store the delivery state");
        r != MSGR_S_OK) {
        return r;
    }
    return sqlite3_changes(db_.get()) > 0 ? MSGR_S_OK : MSGR_S_FALSE;
}

msgr_hresult Owner::add_flags_up_to(ConversationId id, std::int64_t up_to_seq,
                                    std::uint32_t flags) {
    const Conversation *c = find(id);
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "no conversation " + std::to_string(id));
    Stmt &s = flags == MSGR_MESSAGE_SEEN ? add_seen_ : add_flags_;
    s.bind(1, id);
    s.bind(2, c->first_seq);
    s.bind(3, up_to_seq);
    if (&s == &add_flags_) s.bind(4, flags);
    return s.run("cannot store the message flags");
}

msgr_hresult Owner::read(ConversationId id, std::int64_t first_seq, std::size_t n,
                         std::vector<Record> &out) {
    out.clear();
    const Conversation *c = find(id);
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "no conversation " + std::to_string(id));
    const std::int64_t from = std::max(first_seq, c->first_seq);
    const std::int64_t to = std::min(c->next_seq, first_seq + static_cast<std::int64_t>(n));
    if (from >= to) return MSGR_S_OK;
    const StmtReset done(read_);
    read_.bind(1, id);
    read_.bind(2, from);
    read_.bind(3, to);
    int rc = SQLITE_OK;
    while ((rc = read_.step()) == SQLITE_ROW)
        out.push_back(read_record(read_, 0));
    if (rc != SQLITE_DONE) return sqlite_fail(db_.get(), rc, "cannot read the history");
    return MSGR_S_OK;
}

bool Owner::holds(ConversationId id, const std::string &origin_id, const std::string &archive_id) {
    const Conversation *c = find(id);
    if (c == nullptr) return false;
    const std::pair<Stmt *, const std::string *> checks[] = {{&holds_origin_, &origin_id},
                                                             {&holds_archive_, &archive_id}};
    for (const auto &[s, value] : checks) {
        if (value->empty()) continue;
        const StmtReset done(*s);
        s->bind(1, id);
        s->bind_text(2, *value);
        s->bind(3, c->first_seq);
        if (s->step() == SQLITE_ROW) return true;
    }
    return false;
}

std::optional<Record> Owner::outgoing_by_origin(ConversationId id, const std::string &origin_id) {
    const Conversation *c = find(id);
    if (c == nullptr || origin_id.empty()) return std::nullopt;
    const StmtReset done(by_origin_);
    by_origin_.bind(1, id);
    by_origin_.bind_text(2, origin_id);
    by_origin_.bind(3, c->first_seq);
    if (by_origin_.step() != SQLITE_ROW) return std::nullopt;
    return read_record(by_origin_, 0);
}

std::string Owner::oldest_archive_id(ConversationId id) {
    const Conversation *c = find(id);
    if (c == nullptr) return {};
    const StmtReset done(oldest_archive_);
    oldest_archive_.bind(1, id);
    oldest_archive_.bind(2, c->first_seq);
    if (oldest_archive_.step() != SQLITE_ROW) return {};
    return oldest_archive_.column_string(0);
}

msgr_hresult Owner::unfinished(std::vector<Unfinished> &out) {
    out.clear();
    const StmtReset done(unfinished_);
    int rc = SQLITE_OK;
    while ((rc = unfinished_.step()) == SQLITE_ROW) {
        const ConversationId id = unfinished_.column_int(0);
        const Conversation *c = find(id);
        Record r = read_record(unfinished_, 1);
        if (c == nullptr || r.seq < c->first_seq) continue;  // forgotten, not yet deleted
        out.push_back(Unfinished{c->key, id, std::move(r)});
    }
    if (rc != SQLITE_DONE) return sqlite_fail(db_.get(), rc, "cannot read the pending messages");
    return MSGR_S_OK;
}

msgr_hresult Owner::forget_one(ConversationId id, Conversation &c) {
    forget_.bind(1, id);
    forget_.bind(2, c.next_seq);
    forget_.bind(3, c.next_seq + kForgetGap);
    if (const msgr_hresult hr = forget_.run("cannot forget the conversation"); hr != MSGR_S_OK) {
        return hr;
    }
    c.floor = std::max(c.floor, c.next_seq);
    c.next_seq += kForgetGap;
    c.first_seq = c.next_seq;
    return MSGR_S_OK;
}

msgr_hresult Owner::forget(ConversationId id) {
    Conversation *c = find(id);
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "no conversation " + std::to_string(id));
    if (batch_depth_ > 0) return fail(MSGR_E_FAIL, "cannot forget inside a batch");
    return forget_one(id, *c);
}

msgr_hresult Owner::forget_all(std::vector<ConversationId> &forgotten) {
    forgotten.clear();
    if (batch_depth_ > 0) return fail(MSGR_E_FAIL, "cannot forget inside a batch");
    // One transaction: every conversation or none.
    if (const msgr_hresult hr = begin_.run("cannot begin forgetting"); hr != MSGR_S_OK) return hr;
    std::unordered_map<ConversationId, Conversation> before = conversations_;
    msgr_hresult hr = MSGR_S_OK;
    for (auto &[id, c] : conversations_) {
        hr = forget_one(id, c);
        if (hr != MSGR_S_OK) break;
        forgotten.push_back(id);
    }
    if (hr == MSGR_S_OK) hr = commit_.run("cannot commit forgetting");
    if (hr != MSGR_S_OK) {
        const std::string why = last_error();
        if (sqlite3_get_autocommit(db_.get()) == 0) rollback_.run("cannot roll back forgetting");
        conversations_ = std::move(before);
        forgotten.clear();
        return fail(hr, why);
    }
    return MSGR_S_OK;
}

void Owner::raise_floor(ConversationId id, std::int64_t floor) {
    Conversation *c = find(id);
    if (c == nullptr) return;
    c->floor = std::max(c->floor, floor);
    c->first_seq = std::max(c->first_seq, std::min(floor, c->next_seq));
}

// ---- Store --------------------------------------------------------------------------------

// What the owner thread holds. Closures posted from the store's thread hold it weakly: one
// that runs after the Store is gone does nothing.
struct OwnerSide {
    std::shared_ptr<Owner> owner;  // null until opened (and when the open failed)
    std::string open_failure = "the history store is not open yet";
    std::uint64_t next_search = 1;
    std::map<std::uint64_t, std::shared_ptr<SearchTask>> searches;  // not done, not cancelled
    std::map<std::uint64_t, std::function<void(msgr_hresult, std::vector<Hit>)>> done;
};

struct Store::Impl {
    Options options;
    std::shared_ptr<OwnerSide> side = std::make_shared<OwnerSide>();
    std::unique_ptr<Worker> worker;

    Owner *owner() const { return side->owner.get(); }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
    // The owner's connection reports its commits to the worker (Worker::watch): no more.
    if (Owner *o = impl_->owner()) sqlite3_wal_hook(o->db(), nullptr, nullptr);
    impl_->worker.reset();  // joins the store's thread before the owner's connection closes
}

std::unique_ptr<Store> Store::start(Options options,
                                    std::function<void(msgr_hresult hr, std::string why)> opened) {
    configure_library();
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    const std::weak_ptr<OwnerSide> weak = impl->side;
    const auto post = impl->options.post;
    WorkerHooks hooks;
    hooks.opened = [post, weak, opened = std::move(opened)](msgr_hresult hr, std::string why,
                                                            std::shared_ptr<Owner> owner) {
        post([weak, opened, hr, why = std::move(why), owner = std::move(owner)]() {
            const std::shared_ptr<OwnerSide> side = weak.lock();
            if (!side) return;
            side->owner = owner;
            side->open_failure = hr == MSGR_S_OK ? "" : why;
            if (opened) opened(hr, why);
        });
    };
    hooks.floor_raised = [post, weak](ConversationId id, std::int64_t floor) {
        post([weak, id, floor]() {
            const std::shared_ptr<OwnerSide> side = weak.lock();
            if (side && side->owner) side->owner->raise_floor(id, floor);
        });
    };
    hooks.log = impl->options.log;
    impl->worker = std::make_unique<Worker>(impl->options.path, impl->options.retain_days,
                                            impl->options.retain_messages,
                                            impl->options.retention_every, std::move(hooks));
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

msgr_hresult Store::conversation(const ConversationKey &key, ConversationId &out) {
    Owner *o = impl_->owner();
    return o != nullptr ? o->conversation(key, out) : not_open();
}

Store::Span Store::span(ConversationId id) const {
    const Owner *o = impl_->owner();
    return o != nullptr ? o->span(id) : Span{};
}

msgr_hresult Store::append(ConversationId id, Record &r) {
    Owner *o = impl_->owner();
    if (o == nullptr) return not_open();
    const msgr_hresult hr = o->append(id, r);
    if (hr == MSGR_S_OK) impl_->worker->appended();
    return hr;
}

msgr_hresult Store::prepend(ConversationId id, Record &r) {
    Owner *o = impl_->owner();
    if (o == nullptr) return not_open();
    const msgr_hresult hr = o->prepend(id, r);
    if (hr == MSGR_S_OK) impl_->worker->appended();
    return hr;
}

void Store::begin_batch() {
    if (Owner *o = impl_->owner()) o->begin_batch();
}

msgr_hresult Store::end_batch() {
    Owner *o = impl_->owner();
    if (o == nullptr) return not_open();
    const msgr_hresult hr = o->end_batch();
    if (hr == MSGR_S_OK) impl_->worker->appended();
    return hr;
}

msgr_hresult Store::set_delivery(std::int64_t stored_id, msgr_delivery_state state, msgr_hresult hr,
                                 const std::string &reason) {
    Owner *o = impl_->owner();
    return o != nullptr ? o->set_delivery(stored_id, state, hr, reason) : not_open();
}

msgr_hresult Store::add_flags_up_to(ConversationId id, std::int64_t up_to_seq,
                                    std::uint32_t flags) {
    Owner *o = impl_->owner();
    return o != nullptr ? o->add_flags_up_to(id, up_to_seq, flags) : not_open();
}

msgr_hresult Store::read(ConversationId id, std::int64_t first_seq, std::size_t n,
                         std::vector<Record> &out) {
    Owner *o = impl_->owner();
    if (o == nullptr) {
        out.clear();
        return not_open();
    }
    return o->read(id, first_seq, n, out);
}

bool Store::holds(ConversationId id, const std::string &origin_id, const std::string &archive_id) {
    Owner *o = impl_->owner();
    return o != nullptr && o->holds(id, origin_id, archive_id);
}

std::optional<Record> Store::outgoing_by_origin(ConversationId id, const std::string &origin_id) {
    Owner *o = impl_->owner();
    return o != nullptr ? o->outgoing_by_origin(id, origin_id) : std::nullopt;
}

std::string Store::oldest_archive_id(ConversationId id) {
    Owner *o = impl_->owner();
    return o != nullptr ? o->oldest_archive_id(id) : std::string();
}

msgr_hresult Store::unfinished(std::vector<Unfinished> &out) {
    Owner *o = impl_->owner();
    if (o == nullptr) {
        out.clear();
        return not_open();
    }
    return o->unfinished(out);
}

msgr_hresult Store::forget(ConversationId id) {
    Owner *o = impl_->owner();
    if (o == nullptr) return not_open();
    const msgr_hresult hr = o->forget(id);
    if (hr == MSGR_S_OK) impl_->worker->purge({id});
    return hr;
}

msgr_hresult Store::forget_all() {
    Owner *o = impl_->owner();
    if (o == nullptr) return not_open();
    std::vector<ConversationId> forgotten;
    const msgr_hresult hr = o->forget_all(forgotten);
    if (hr == MSGR_S_OK) impl_->worker->purge(std::move(forgotten));
    return hr;
}

std::uint64_t Store::search(std::string query, std::size_t max,
                            std::function<void(msgr_hresult hr, std::vector<Hit> hits)> done) {
    OwnerSide &side = *impl_->side;
    const std::uint64_t id = side.next_search++;
    auto task = std::make_shared<SearchTask>();
    task->query = std::move(query);
    task->max = max;
    const std::weak_ptr<OwnerSide> weak = impl_->side;
    const auto post = impl_->options.post;
    task->finished = [post, weak, id](msgr_hresult hr, std::vector<Hit> hits) {
        post([weak, id, hr, hits = std::move(hits)]() mutable {
            const std::shared_ptr<OwnerSide> s = weak.lock();
            if (!s) return;
            const auto it = s->done.find(id);
            if (it == s->done.end()) return;  // cancelled: done is never called
            auto fn = std::move(it->second);
            s->done.erase(it);
            s->searches.erase(id);
            fn(hr, std::move(hits));
        });
    };
    side.searches[id] = task;
    side.done[id] = std::move(done);
    impl_->worker->search(std::move(task));
    return id;
}

void Store::cancel(std::uint64_t search_id) {
    OwnerSide &side = *impl_->side;
    if (const auto it = side.searches.find(search_id); it != side.searches.end()) {
        it->second->cancelled = true;  // stops it on the store's thread
        side.searches.erase(it);
    }
    side.done.erase(search_id);
}

void Store::wait_idle() {
    impl_->worker->wait_idle();
}

msgr_hresult Owner::read_up_to(ConversationId id, std::int64_t before_seq) {
    const Conversation *c = find(id);
    if (c == nullptr) return fail(MSGR_E_INVALIDARG, "no conversation " + std::to_string(id));
    read_up_to_.bind(1, id);
    read_up_to_.bind(2, c->first_seq);
    read_up_to_.bind(3, before_seq);
    return read_up_to_.run("cannot store the read mark");
}

msgr_hresult Store::read_up_to(ConversationId id, std::int64_t before_seq) {
    Owner *o = impl_->owner();
    return o != nullptr ? o->read_up_to(id, before_seq) : not_open();
}

}  // namespace msgr::core::history

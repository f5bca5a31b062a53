// The runtime's history: the store's life with the session, what a window keeps in memory and
// reads from the store, delivery states, receipts, chat states, read markers, search and
// forgetting (the contract of issue 12, /tmp/h12/contract.md "Semantics").
//
// Positions: every entry has a seq (history/store.hpp); a window's index is seq - first_seq. A
// window's memory (`recent`) is the conversation's tail, contiguous in seq, so an entry in it is
// found by arithmetic; anything older is one page read from the store.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include "c_enum.hpp"
#include "error.hpp"
#include "runtime.hpp"
#include "text.hpp"

namespace msgr::core {

namespace {

// Entries read from the store at once: a window's opening page and each page of older entries.
constexpr std::size_t kPage = 64;
// The one-off wait, in the tick that applies the primary service's SigninDone, for the store's
// open (which runs on the store's thread while the service signs in): usually it is done, and
// OnSignin is raised in that same tick; a slower disk makes OnSignin come with the open's report.
constexpr std::chrono::milliseconds kSigninStoreWait{2000};
// How far back a window without a store looks for a duplicate origin id.
constexpr std::size_t kMemoryDedupDepth = 1024;
constexpr const char *kStoppedReason = "the runtime stopped before it was delivered";

int rank(msgr_delivery_state s) {
    switch (s) {
        case MSGR_DELIVERY_PENDING:
            return 1;
        case MSGR_DELIVERY_SENT:
            return 2;
        case MSGR_DELIVERY_DELIVERED:
            return 3;
        case MSGR_DELIVERY_READ:
            return 4;
        default:
            return 0;
    }
}

// PENDING -> SENT -> DELIVERED -> READ, or (from PENDING or SENT) FAILED; never back.
bool moves_forward(msgr_delivery_state from, msgr_delivery_state to) {
    if (from == MSGR_DELIVERY_FAILED || from == MSGR_DELIVERY_READ) return false;
    if (to == MSGR_DELIVERY_FAILED)
        return from == MSGR_DELIVERY_PENDING || from == MSGR_DELIVERY_SENT;
    return rank(to) > rank(from);
}

// An entry a READ marker for seq `read_seq` covers as well: an earlier outgoing one not yet
// read (the store's read_up_to has the same condition, in its partial index).
bool read_covers(const msgr_window::Entry &e, std::int64_t read_seq) {
    return e.seq < read_seq && e.direction == MSGR_MESSAGE_OUTGOING &&
           (e.delivery == MSGR_DELIVERY_SENT || e.delivery == MSGR_DELIVERY_DELIVERED);
}

msgr_window::Entry entry_of(history::Record &&r) {
    msgr_window::Entry e{
        r.direction,    r.delivery,        r.delivery_result, 0,
        r.time_unix_ms, std::move(r.text), r.flags,           std::move(r.delivery_reason)};
    e.seq = r.seq;
    e.stored_id = r.id;
    e.origin_id = std::move(r.origin_id);
    e.archive_id = std::move(r.archive_id);
    e.receipt_id = std::move(r.receipt_id);
    e.sender = std::move(r.sender);
    return e;
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

// ---- the store's life -----------------------------------------------------------------------

void Runtime::start_store() {
    stop_store();
    store_why_.clear();
    if (!config_.history.enabled) {
        store_why_ = "history is off ([history] enabled = false)";
        return;
    }
    const std::string path =
        history::default_path(config_.history.path, config_.primary_service, my_key_);
    if (path.empty()) {
        store_state_ = StoreState::failed;
        store_why_ = "no place for the history: neither XDG_DATA_HOME nor HOME is set";
        log(MSGR_LOG_ERROR, store_why_ + "; this session's history stays in memory");
        return;
    }
    auto mail = std::make_shared<StoreMailbox>();
    store_mail_ = mail;
    history::Options o;
    o.path = path;
    o.retain_days = config_.history.retain_days;
    o.retain_messages = config_.history.retain_messages;
    const std::uint64_t session = session_;
    // Called on the store's thread. What it posts runs on the owner thread only while the
    // session that started this store lasts (a report of an older store is stale).
    o.post = [this, mail, session](std::function<void()> fn) {
        std::function<void()> report = [this, session, fn = std::move(fn)] {
            if (session == session_ && store_ != nullptr) fn();
        };
        {
            const std::lock_guard<std::mutex> lock(mail->mutex);
            if (!mail->to_inbox) {
                mail->early.push_back(std::move(report));
                mail->cv.notify_all();
                return;
            }
        }
        inbox_.push(StoreReport{std::move(report)});
    };
    o.log = [](msgr_log_level level, const std::string &line) { log(level, line); };
    store_state_ = StoreState::opening;
    store_ = history::Store::start(
        std::move(o), [this](msgr_hresult hr, const std::string &why) { store_opened(hr, why); });
    if (store_ == nullptr) {
        store_state_ = StoreState::failed;
        store_why_ = "the history store could not be started";
        log(MSGR_LOG_ERROR, store_why_);
    }
}

void Runtime::stop_store() {
    if (store_ != nullptr) {
        // What this tick recorded so far is committed before the store goes (a sign-out or a
        // lost connection in the middle of a tick).
        if (in_batch_) (void)store_->end_batch();
        in_batch_ = false;
        if (sends_ > 0) {
            parked_store_ = std::move(store_);  // the send records its outcome, then it goes
        } else {
            close_store(store_);
        }
    }
    store_mail_.reset();
    store_state_ = StoreState::none;
    service_signed_in_ = false;
}

void Runtime::close_store(std::unique_ptr<history::Store> &store) {
    // Its thread may be waiting for room in a full inbox that nobody drains meanwhile.
    inbox_.set_bounded(false);
    store.reset();  // joins the store's thread: a last checkpoint
    inbox_.set_bounded(true);
}

void Runtime::run_early_store_reports(bool wait) {
    if (store_mail_ == nullptr || store_state_ != StoreState::opening) return;
    const std::shared_ptr<StoreMailbox> mail = store_mail_;
    const auto deadline = std::chrono::steady_clock::now() + kSigninStoreWait;
    do {
        std::vector<std::function<void()>> reports;
        {
            std::unique_lock<std::mutex> lock(mail->mutex);
            if (wait) mail->cv.wait_until(lock, deadline, [&] { return !mail->early.empty(); });
            reports.swap(mail->early);
        }
        for (auto &r : reports)
            r();
    } while (wait && store_state_ == StoreState::opening &&
             std::chrono::steady_clock::now() < deadline);
}

void Runtime::store_opened(msgr_hresult hr, const std::string &why) {
    std::vector<std::function<void()>> later;
    if (store_mail_ != nullptr) {
        const std::lock_guard<std::mutex> lock(store_mail_->mutex);
        store_mail_->to_inbox = true;  // from now on the store reports through the inbox
        later.swap(store_mail_->early);
    }
    for (auto &r : later)
        inbox_.push(StoreReport{std::move(r)});
    if (MSGR_FAILED(hr)) {
        store_state_ = StoreState::failed;
        store_why_ = "the history store could not be opened (" +
                     std::string(msgr_hresult_name(hr)) + "): " + why;
        log(MSGR_LOG_ERROR, store_why_ + "; this session's history stays in memory");
    } else {
        store_state_ = StoreState::open;
    }
    if (service_signed_in_ && state_ == State::connecting) finish_signin();
}

void Runtime::finish_signin() {
    state_ = State::online;
    my_status_ = MSGR_STATUS_ONLINE;
    raise({MSGR_EVENT_SIGNIN, MSGR_S_OK});
    raise({MSGR_EVENT_MY_STATUS_CHANGE, MSGR_S_OK, my_status_});
    recover_unfinished();
    std::vector<InboxItem> held;
    held.swap(held_);
    for (auto &item : held)
        apply(item);
}

// What the last run accepted and never learned the fate of: sent again (the same origin id, so
// the peer can drop a duplicate), or failed with the reason.
void Runtime::recover_unfinished() {
    if (store() == nullptr) return;
    std::vector<history::Unfinished> list;
    if (MSGR_FAILED(store_->unfinished(list))) {
        log(MSGR_LOG_ERROR,
            std::string("the history's unfinished messages could not be read: ") + last_error());
        return;
    }
    for (auto &u : list) {
        if (state_ != State::online || store() == nullptr) return;  // a service failed meanwhile
        const bool page = u.conversation.kind == MSGR_WINDOW_PAGE;
        Service *service = find_service(u.conversation.service);
        const bool group = WindowManager::is_group_key(u.conversation.peer);
        ContactRef c =
            service != nullptr && !group ? contact_for(*service, u.conversation.peer) : nullptr;
        const history::Record &r = u.record;
        msgr_hresult fhr = MSGR_E_FAIL;
        std::string why;
        if (!config_.history.resend_after_restart) {
            why = kStoppedReason;
        } else if (group) {
            why = "a group message is not sent again after a restart";
        } else if (service == nullptr || c == nullptr) {
            why = "the service \"" + u.conversation.service + "\" is gone";
        } else if (page && paging_ == nullptr) {
            fhr = MSGR_E_NOTIMPL;
            why = "no add-in that supports paging is installed";
        } else {
            const std::uint64_t id = next_message_id_++;
            in_flight_.emplace(id, InFlight{nullptr, c, u.conversation.kind, r.seq, r.id});
            const msgr_hresult hr =
                page ? paging_->submit({id, my_name_, c->signin, c->service, r.text})
                     : service->send_message_ex(
                           {id, c->signin, r.text, r.origin_id, true, r.time_unix_ms});
            if (MSGR_FAILED(hr)) {
                in_flight_.erase(id);
                fhr = hr;
                why = last_error();
            }
        }
        if (why.empty()) continue;
        if (c != nullptr) {
            change_delivery(c, u.conversation.kind, nullptr, r.seq, r.id, 0, MSGR_DELIVERY_FAILED,
                            fhr, why);
        } else if (store_ != nullptr) {
            (void)store_->set_delivery(r.id, MSGR_DELIVERY_FAILED, fhr, why);
        }
    }
}

// ---- a window's memory ------------------------------------------------------------------------

std::int64_t Runtime::conversation_of(const msgr_contact &c, msgr_window_kind kind) {
    return conversation_of(history::ConversationKey{c.service, c.key, kind});
}

std::int64_t Runtime::conversation_of(const history::ConversationKey &key) {
    if (store() == nullptr) return 0;
    history::ConversationId id = 0;
    if (MSGR_FAILED(store_->conversation(key, id))) {
        log(MSGR_LOG_ERROR, "the history of " + key.peer + " is not available: " + last_error());
        return 0;
    }
    return id;
}

std::int64_t Runtime::conversation_of(const msgr_window &w) {
    if (w.group.empty()) return conversation_of(*w.contact, w.kind);
    return conversation_of(history::ConversationKey{
        w.contact->service, WindowManager::group_key(w.group), MSGR_WINDOW_CONVERSATION});
}

// A window opens on its conversation's past: the last page of it in memory, the rest on demand.
void Runtime::load_history(msgr_window &w) {
    w.conversation = conversation_of(w);
    if (w.conversation == 0) return;
    const history::Store::Span span = store_->span(w.conversation);
    w.first_seq = span.first_seq;
    w.end_seq = span.first_seq + span.count;
    const auto n = static_cast<std::int64_t>(
        std::min<std::size_t>({kPage, config_.history.memory_messages,
                               static_cast<std::size_t>(std::max<std::int64_t>(span.count, 0))}));
    if (n == 0) return;
    std::vector<history::Record> records;
    if (MSGR_FAILED(
            store_->read(w.conversation, w.end_seq - n, static_cast<std::size_t>(n), records))) {
        log(MSGR_LOG_ERROR,
            "the history of " + w.contact->signin + " could not be read: " + last_error());
        return;
    }
    for (auto &r : records) {
        if (r.direction == MSGR_MESSAGE_INCOMING && (r.flags & MSGR_MESSAGE_SEEN) == 0)
            ++w.unseen_count;
        w.recent.push_back(entry_of(std::move(r)));
    }
}

// Adds an entry at the end of the window's memory, which keeps at most memory_messages of them
// when the store holds the rest (a deque: the front goes without moving the others).
void Runtime::remember(msgr_window &w, msgr_window::Entry e) {
    w.recent.push_back(std::move(e));
    if (w.conversation == 0 || store() == nullptr) {
        w.end_seq = std::max(w.end_seq, w.recent.back().seq + 1);
        return;
    }
    const history::Store::Span span = store_->span(w.conversation);  // cached: no statement
    w.first_seq = span.first_seq;
    w.end_seq = span.first_seq + span.count;
    while (w.recent.size() > config_.history.memory_messages)
        w.recent.pop_front();
}

msgr_window::Entry *Runtime::entry_at_seq(msgr_window &w, std::int64_t seq, std::int64_t stored_id,
                                          std::uint64_t message_id) {
    const auto same = [&](const msgr_window::Entry &e) {
        if (e.seq != seq) return false;
        if (stored_id != 0) return e.stored_id == stored_id;
        return message_id == 0 || e.message_id == message_id;
    };
    if (!w.recent.empty() && seq >= w.recent.front().seq) {
        const auto at = static_cast<std::size_t>(seq - w.recent.front().seq);
        if (at < w.recent.size() && same(w.recent[at])) return &w.recent[at];
    }
    if (!w.page.empty() && seq >= w.page_seq) {
        const auto at = static_cast<std::size_t>(seq - w.page_seq);
        if (at < w.page.size() && same(w.page[at])) return &w.page[at];
    }
    return nullptr;
}

msgr_hresult Runtime::history_entry(msgr_window &w, std::size_t index,
                                    const msgr_window::Entry *&out) {
    out = nullptr;
    if (index >= history_count(w)) return fail(MSGR_E_INVALIDARG, "index out of range");
    const std::int64_t seq = w.first_seq + static_cast<std::int64_t>(index);
    if (const msgr_window::Entry *e = entry_at_seq(w, seq, 0, 0)) {
        out = e;
        return MSGR_S_OK;
    }
    if (w.conversation == 0 || store() == nullptr) {
        return fail(MSGR_E_FAIL, "history entry " + std::to_string(index) +
                                     " is in the store, which this window no longer reads (it "
                                     "is closed): open the conversation again");
    }
    // One indexed SELECT of the page around it (pages aligned on the conversation's start).
    const std::int64_t start = w.first_seq + static_cast<std::int64_t>((index / kPage) * kPage);
    std::vector<history::Record> records;
    const msgr_hresult hr = store_->read(w.conversation, start, kPage, records);
    if (MSGR_FAILED(hr)) return hr;
    w.page.clear();
    w.page_seq = start;
    for (auto &r : records) {
        if (r.seq != start + static_cast<std::int64_t>(w.page.size())) break;  // keep it contiguous
        w.page.push_back(entry_of(std::move(r)));
    }
    out = entry_at_seq(w, seq, 0, 0);
    if (out == nullptr) {
        return fail(MSGR_E_FAIL, "the history store holds no entry " + std::to_string(index) +
                                     " of this conversation");
    }
    return MSGR_S_OK;
}

void Runtime::clear_history(msgr_window &w) {
    w.recent.clear();
    w.page.clear();
    w.unseen_count = 0;
    if (w.conversation != 0 && store_ != nullptr) {
        const history::Store::Span span = store_->span(w.conversation);
        w.first_seq = span.first_seq;
        w.end_seq = span.first_seq + span.count;
    } else {
        w.first_seq = w.end_seq;  // seqs go on rising: an in-flight message's is never reused
    }
    ++w.history_serial;
}

std::string Runtime::new_origin_id() {
    std::string out;
    out.reserve(32);
    for (int i = 0; i < 4; ++i) {
        char word[9];
        (void)std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(origin_random_()));
        out += word;
    }
    return out;
}

// ---- delivery states ----------------------------------------------------------------------------

// Moves an outgoing message's delivery forward: in the store, in the windows that show it (the
// one it was sent from and the conversation's open one), and raised as DELIVERY_CHANGE.
void Runtime::change_delivery(const ContactRef &contact, msgr_window_kind kind,
                              const WindowRef &from, std::int64_t seq, std::int64_t stored_id,
                              std::uint64_t message_id, msgr_delivery_state state, msgr_hresult hr,
                              const std::string &reason) {
    const WindowRef open = contact != nullptr ? find_window(kind, *contact) : nullptr;
    msgr_window::Entry *in_from =
        from != nullptr ? entry_at_seq(*from, seq, stored_id, message_id) : nullptr;
    msgr_window::Entry *in_open =
        open != nullptr && open != from ? entry_at_seq(*open, seq, stored_id, message_id) : nullptr;
    // The state it is in: from memory, else what the store says. Without either (history off
    // and its window gone) there is nothing left to change.
    std::optional<msgr_delivery_state> current;
    if (in_from != nullptr) current = in_from->delivery;
    if (in_open != nullptr) current = in_open->delivery;
    if (!current && stored_id != 0 && store() != nullptr && contact != nullptr) {
        std::vector<history::Record> one;
        const std::int64_t cid = conversation_of(*contact, kind);
        if (cid != 0 && MSGR_SUCCEEDED(store_->read(cid, seq, 1, one)) && !one.empty() &&
            one.front().id == stored_id)
            current = one.front().delivery;
    }
    if (!current && from == nullptr) return;
    if (current && !moves_forward(*current, state)) return;
    if (stored_id != 0 && store() != nullptr) {
        if (MSGR_FAILED(store_->set_delivery(stored_id, state, hr, reason))) {
            log(MSGR_LOG_ERROR,
                std::string("a delivery state could not be stored: ") + last_error());
        }
    }
    for (auto *e : {in_from, in_open}) {
        if (e == nullptr) continue;
        e->delivery = state;
        e->delivery_result = hr;
        e->delivery_reason = reason;
    }
    if (in_from != nullptr) ++from->history_serial;
    if (in_open != nullptr) ++open->history_serial;
    const WindowRef &to = from != nullptr ? from : open;
    const std::size_t index =
        to != nullptr && seq >= to->first_seq ? static_cast<std::size_t>(seq - to->first_seq) : 0;
    raise(
        {MSGR_EVENT_DELIVERY_CHANGE, hr, static_cast<std::int32_t>(state), contact, to, {}, index});
}

// ---- what services report ---------------------------------------------------------------------

void Runtime::receive(Service &service, MessageArrived &m) {
    if (state_ != State::online) return;
    ContactRef c = contact_for(service, m.from);
    if (state_ != State::online) return;  // the service failed describing it
    if (!m.group.empty() && !service.supports_multi_party()) return;  // it said it has none
    // A blocked contact's message or page reaches no window, toast, event or store (what the
    // user sent them from elsewhere is the user's own, and kept).
    if (c->blocked && !m.from_me) {
        log(MSGR_LOG_DEBUG, "a message from the blocked contact " + c->signin + " was dropped");
        return;
    }
    // A group's message goes to the group's window, opened for it if need be.
    WindowRef w = m.group.empty() ? find_window(MSGR_WINDOW_CONVERSATION, *c)
                                  : group_window(service, m.group, c);
    const std::int64_t cid =
        w != nullptr ? w->conversation : conversation_of(*c, MSGR_WINDOW_CONVERSATION);
    // The same message twice (a resend after a reconnect, the archive and carbons): once.
    if (cid != 0) {
        if ((!m.origin_id.empty() || !m.archive_id.empty()) &&
            store_->holds(cid, m.origin_id, m.archive_id))
            return;
    } else if (w != nullptr && (!m.origin_id.empty() || !m.archive_id.empty())) {
        std::size_t looked = 0;
        for (auto it = w->recent.rbegin(); it != w->recent.rend() && looked < kMemoryDedupDepth;
             ++it, ++looked) {
            if ((!m.origin_id.empty() && it->origin_id == m.origin_id) ||
                (!m.archive_id.empty() && it->archive_id == m.archive_id))
                return;
        }
    }
    msgr_window::Entry e{m.from_me ? MSGR_MESSAGE_OUTGOING : MSGR_MESSAGE_INCOMING,
                         m.from_me ? MSGR_DELIVERY_SENT : MSGR_DELIVERY_NONE,
                         MSGR_S_OK,
                         0,
                         m.time_unix_ms != 0 ? m.time_unix_ms : now_ms(),
                         sanitize_utf8(m.text),
                         (m.page ? MSGR_MESSAGE_PAGE : 0u) |
                             (m.from_me ? MSGR_MESSAGE_OTHER_DEVICE : 0u) |
                             (m.archived ? MSGR_MESSAGE_ARCHIVED : 0u)};
    e.origin_id = std::move(m.origin_id);
    e.archive_id = std::move(m.archive_id);
    e.receipt_id = std::move(m.receipt_id);
    e.sender = m.from_me ? my_name_ : c->signin;
    history::Record r;
    if (cid != 0) {
        r.direction = e.direction;
        r.delivery = e.delivery;
        r.time_unix_ms = e.time_unix_ms;
        r.flags = e.flags;
        r.text = e.text;
        r.origin_id = e.origin_id;
        r.archive_id = e.archive_id;
        r.receipt_id = e.receipt_id;
        // A group's writers are many: the store keeps who wrote each incoming line.
        if (!m.group.empty() && !m.from_me) r.sender = e.sender;
    }
    if (m.older) {
        // An archive page fetch_older asked for: in front of the conversation, no event of its
        // own (HISTORY_PREPENDED comes with its HistoryEnd).
        if (cid != 0) {
            if (MSGR_FAILED(store_->prepend(cid, r))) {
                log(MSGR_LOG_ERROR,
                    std::string("an archived message could not be stored: ") + last_error());
                return;
            }
            if (w != nullptr) w->first_seq = store_->span(cid).first_seq;
        } else if (w != nullptr) {
            e.seq = w->first_seq - 1;
            w->first_seq = e.seq;
            w->recent.push_front(std::move(e));
        }
        if (w != nullptr) {
            ++w->prepended;
            ++w->history_serial;
        }
        return;
    }
    // As Messenger did, a message from a contact with no window opens one; the window cap does
    // not apply, because refusing would lose the message.
    if (w == nullptr) w = open_window(MSGR_WINDOW_CONVERSATION, c);
    e.seq = w->end_seq;
    if (w->conversation != 0) {
        if (MSGR_SUCCEEDED(store_->append(w->conversation, r))) {
            e.seq = r.seq;
            e.stored_id = r.id;
        } else {
            log(MSGR_LOG_ERROR, "a message from " + c->signin +
                                    " could not be stored (it is shown): " + last_error());
        }
    }
    const auto index = static_cast<std::size_t>(e.seq - w->first_seq);
    const bool from_me = e.direction == MSGR_MESSAGE_OUTGOING;
    std::string text = from_me ? std::string() : e.text;
    remember(*w, std::move(e));
    ++w->history_serial;
    if (from_me) return;  // the user's own, from another device: shown, not "received"
    ++w->unseen_count;
    w->peer_chat_state = MSGR_CHAT_STATE_ACTIVE;  // a message ends their typing
    raise({MSGR_EVENT_MESSAGE_RECEIVED, MSGR_S_OK, 0, c, w, std::move(text), index});
}

void Runtime::receipt(Service &service, const ReceiptArrived &m) {
    if (state_ != State::online || m.origin_id.empty()) return;
    if (m.state != MSGR_DELIVERY_DELIVERED && m.state != MSGR_DELIVERY_READ) return;
    ContactRef c = contact_for(service, m.peer);
    if (state_ != State::online) return;
    WindowRef w = find_window(MSGR_WINDOW_CONVERSATION, *c);
    std::int64_t seq = 0;
    std::int64_t stored_id = 0;
    std::uint64_t message_id = 0;
    const std::int64_t cid =
        w != nullptr ? w->conversation : conversation_of(*c, MSGR_WINDOW_CONVERSATION);
    if (cid != 0) {
        const std::optional<history::Record> r = store_->outgoing_by_origin(cid, m.origin_id);
        if (!r) return;
        seq = r->seq;
        stored_id = r->id;
    } else if (w != nullptr) {
        auto it = std::find_if(w->recent.rbegin(), w->recent.rend(), [&](const auto &e) {
            return e.direction == MSGR_MESSAGE_OUTGOING && e.origin_id == m.origin_id;
        });
        if (it == w->recent.rend()) return;
        seq = it->seq;
        message_id = it->message_id;
    } else {
        return;
    }
    change_delivery(c, MSGR_WINDOW_CONVERSATION, nullptr, seq, stored_id, message_id, m.state,
                    MSGR_S_OK, {});
    if (m.state != MSGR_DELIVERY_READ) return;
    // In the store: the entries older than memory (and those of a conversation no window shows)
    // in one UPDATE, through the partial index of the outgoing SENT/DELIVERED rows. Stored-only
    // entries raise no event; a later history_get reads them READ.
    if (cid != 0 && store() != nullptr) {
        if (MSGR_FAILED(store_->read_up_to(cid, seq))) {
            log(MSGR_LOG_ERROR, std::string("a read mark could not be stored: ") + last_error());
        } else if (w != nullptr) {
            // The page of stored entries the window read last is a copy of the store's rows.
            bool changed = false;
            for (auto &e : w->page) {
                if (!read_covers(e, seq)) continue;
                e.delivery = MSGR_DELIVERY_READ;
                changed = true;
            }
            if (changed) ++w->history_serial;
        }
    }
    if (w == nullptr) return;
    // Read covers what came before: the earlier outgoing messages in memory, back to one that
    // was read already (everything before that was covered then).
    std::vector<std::pair<std::int64_t, std::int64_t>> earlier;  // (seq, stored id)
    std::vector<std::uint64_t> ids;
    for (const auto &e : w->recent) {
        if (e.seq >= seq) break;
        if (e.direction != MSGR_MESSAGE_OUTGOING) continue;
        if (e.delivery == MSGR_DELIVERY_READ) {
            earlier.clear();
            ids.clear();
        } else if (read_covers(e, seq)) {
            earlier.emplace_back(e.seq, e.stored_id);
            ids.push_back(e.message_id);
        }
    }
    for (std::size_t i = 0; i < earlier.size(); ++i) {
        change_delivery(c, MSGR_WINDOW_CONVERSATION, nullptr, earlier[i].first, earlier[i].second,
                        ids[i], MSGR_DELIVERY_READ, MSGR_S_OK, {});
    }
}

void Runtime::chat_state(Service &service, const ChatStateChange &m) {
    if (state_ != State::online) return;
    const int s = raw_enum(m.state);
    if (s < MSGR_CHAT_STATE_NONE || s > MSGR_CHAT_STATE_GONE) return;
    ContactRef c = contact_for(service, m.peer);
    if (state_ != State::online || c->blocked) return;  // a blocked contact does not type
    WindowRef w = find_window(MSGR_WINDOW_CONVERSATION, *c);
    if (w != nullptr) w->peer_chat_state = m.state;
    raise({MSGR_EVENT_TYPING, MSGR_S_OK, s, c, w});
}

void Runtime::history_end(Service &service, const HistoryEnd &m) {
    if (state_ != State::online) return;
    ContactRef c = contact_for(service, m.peer);
    if (state_ != State::online) return;
    WindowRef w = find_window(MSGR_WINDOW_CONVERSATION, *c);
    if (w == nullptr) return;
    const std::uint64_t n = w->prepended;
    w->prepended = 0;
    w->archive_start = m.complete;
    raise({MSGR_EVENT_HISTORY_PREPENDED,
           m.complete ? MSGR_S_FALSE : MSGR_S_OK,
           0,
           c,
           w,
           {},
           static_cast<std::size_t>(n)});
}

// ---- what the host and the overlay ask ---------------------------------------------------------

msgr_hresult Runtime::fetch_older(msgr_window &w) {
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    // (A group's archive is not the one-to-one archive with its first contact: none yet.)
    if (w.kind != MSGR_WINDOW_CONVERSATION || w.archive_start || !w.group.empty())
        return MSGR_S_FALSE;
    Service *service = find_service(w.contact->service);
    if (service == nullptr) return fail(MSGR_E_FAIL, "the contact's service is gone");
    if (!service->has_archive()) return MSGR_S_FALSE;
    std::string anchor;
    if (w.conversation != 0 && store() != nullptr) {
        anchor = store_->oldest_archive_id(w.conversation);
    } else {
        for (const auto &e : w.recent) {
            if (e.archive_id.empty()) continue;
            anchor = e.archive_id;
            break;
        }
    }
    return service->fetch_older(w.contact->signin, anchor, static_cast<std::uint32_t>(kPage));
}

msgr_hresult Runtime::history_seen(msgr_window &w, std::size_t last_index) {
    if (last_index >= history_count(w)) {
        return fail(MSGR_E_INVALIDARG, "index " + std::to_string(last_index) +
                                           " is past the end of the history (" +
                                           std::to_string(history_count(w)) + " entries)");
    }
    const std::int64_t last = w.first_seq + static_cast<std::int64_t>(last_index);
    bool changed = false;
    std::string receipt;
    // Newest first, down to an entry seen already (the ones before it were seen with it).
    for (auto it = w.recent.rbegin(); it != w.recent.rend(); ++it) {
        if (it->seq > last || it->direction != MSGR_MESSAGE_INCOMING) continue;
        if (receipt.empty() && (it->flags & MSGR_MESSAGE_SEEN) == 0) receipt = it->receipt_id;
        if ((it->flags & MSGR_MESSAGE_SEEN) != 0) break;
        it->flags |= MSGR_MESSAGE_SEEN;
        if (w.unseen_count > 0) --w.unseen_count;
        changed = true;
    }
    const bool older = w.recent.empty() || last < w.recent.front().seq;
    for (auto &e : w.page) {
        if (e.seq <= last && e.direction == MSGR_MESSAGE_INCOMING) e.flags |= MSGR_MESSAGE_SEEN;
    }
    if ((changed || older) && w.conversation != 0 && store() != nullptr) {
        const msgr_hresult hr = store_->add_flags_up_to(w.conversation, last, MSGR_MESSAGE_SEEN);
        if (MSGR_FAILED(hr)) return hr;
    }
    if (changed || older) ++w.history_serial;
    // Read markers and chat states go to a one-to-one conversation's contact only (a group's
    // are not carried yet: they would reach its first contact as if in private).
    if (receipt.empty() || receipt == w.displayed_receipt || w.kind != MSGR_WINDOW_CONVERSATION ||
        !w.group.empty())
        return MSGR_S_OK;
    Service *service = find_service(w.contact->service);
    if (service == nullptr || state_ != State::online) return MSGR_S_OK;
    w.displayed_receipt = receipt;
    const msgr_hresult hr = service->send_displayed(w.contact->signin, receipt);
    return MSGR_FAILED(hr) ? hr : MSGR_S_OK;
}

msgr_hresult Runtime::set_chat_state(msgr_window &w, msgr_chat_state state) {
    if (state == w.my_chat_state) return MSGR_S_OK;
    w.my_chat_state = state;
    if (w.kind != MSGR_WINDOW_CONVERSATION || state_ != State::online || !w.group.empty())
        return MSGR_S_OK;
    Service *service = find_service(w.contact->service);
    if (service == nullptr) return MSGR_S_OK;
    const msgr_hresult hr = service->send_chat_state(w.contact->signin, state);
    return MSGR_FAILED(hr) ? hr : MSGR_S_OK;
}

// ---- search -----------------------------------------------------------------------------------

Runtime::LentContact::LentContact(ContactRef c) noexcept : c_(std::move(c)) {
    if (c_ != nullptr && c_->host_refs.fetch_add(1, std::memory_order_acq_rel) == 0)
        intrusive_ptr_add_ref(c_.get());  // the reference that stands for all of the host's
}

Runtime::LentContact &Runtime::LentContact::operator=(LentContact &&o) noexcept {
    if (this != &o) {
        give_back();
        c_ = std::move(o.c_);
    }
    return *this;
}

void Runtime::LentContact::give_back() noexcept {
    if (c_ == nullptr) return;
    // Never below 0: a host that released it once too often took this share already.
    std::uint32_t n = c_->host_refs.load(std::memory_order_relaxed);
    while (n > 0 && !c_->host_refs.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel)) {
    }
    if (n == 1) intrusive_ptr_release(c_.get());
    c_.reset();
}

msgr_hresult Runtime::search(const char *query, std::size_t max_results, std::uint64_t &out) {
    if (query == nullptr) return fail(MSGR_E_INVALIDARG, "the query is NULL");
    const std::string q(query);
    const std::string bad = history::check_query(q);
    if (!bad.empty()) return fail(MSGR_E_INVALIDARG, "the query: " + bad);
    if (max_results < 1 || max_results > 1000) {
        return fail(MSGR_E_INVALIDARG, "max_results is " + std::to_string(max_results) +
                                           "; it must be from 1 to 1000");
    }
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    if (store() == nullptr) return fail(MSGR_E_FAIL, "no history to search: " + store_why_);
    auto id = std::make_shared<std::uint64_t>(0);
    *id =
        store_->search(q, max_results, [this, id](msgr_hresult hr, std::vector<history::Hit> hits) {
            auto it = searches_.find(*id);
            if (it == searches_.end()) return;  // released meanwhile
            Search &s = it->second;
            s.done = true;
            s.hr = hr;
            s.hits = std::move(hits);
            for (const auto &h : s.hits) {
                Service *service = find_service(h.conversation.service);
                // (A group conversation's hit has no contact: search_open cannot open it yet.)
                s.contacts.emplace_back(service != nullptr &&
                                                !WindowManager::is_group_key(h.conversation.peer)
                                            ? contact_for(*service, h.conversation.peer)
                                            : nullptr);
            }
            raise({MSGR_EVENT_SEARCH_DONE, hr, 0, {}, {}, {}, static_cast<std::size_t>(*id)});
        });
    searches_.emplace(*id, Search{});
    out = *id;
    return MSGR_S_OK;
}

namespace {
msgr_hresult unknown_search(std::uint64_t id) {
    return fail(MSGR_E_INVALIDARG, "no search has the id " + std::to_string(id) +
                                       " (released, or from an earlier sign-in)");
}
}  // namespace

msgr_hresult Runtime::search_count(std::uint64_t search, std::size_t &out) const {
    auto it = searches_.find(search);
    if (it == searches_.end()) return unknown_search(search);
    if (!it->second.done) return fail(MSGR_E_BUSY, "the search is still running");
    out = it->second.hits.size();
    return MSGR_S_OK;
}

msgr_hresult Runtime::search_get(std::uint64_t search, std::size_t index, msgr_search_result &out) {
    std::size_t n = 0;
    const msgr_hresult hr = search_count(search, n);
    if (MSGR_FAILED(hr)) return hr;
    if (index >= n) return fail(MSGR_E_INVALIDARG, "index out of range");
    const Search &s = searches_.at(search);
    const history::Hit &h = s.hits[index];
    out.contact = s.contacts[index].get();
    out.kind = h.conversation.kind;
    out.direction = h.record.direction;
    out.stored_id = h.record.id;
    out.time_unix_ms = h.record.time_unix_ms;
    out.text = h.record.text.c_str();
    out.text_size = h.record.text.size();
    out.snippet = h.snippet.c_str();
    out.snippet_size = h.snippet.size();
    return MSGR_S_OK;
}

msgr_hresult Runtime::search_open(std::uint64_t search, std::size_t index, WindowRef &out) {
    std::size_t n = 0;
    msgr_hresult hr = search_count(search, n);
    if (MSGR_FAILED(hr)) return hr;
    if (index >= n) return fail(MSGR_E_INVALIDARG, "index out of range");
    const Search &s = searches_.at(search);
    const ContactRef c(s.contacts[index].get());
    if (c == nullptr) {
        return fail(MSGR_E_FAIL, "the service \"" + s.hits[index].conversation.service +
                                     "\" of this conversation is gone");
    }
    const std::int64_t seq = s.hits[index].record.seq;
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c.get();
    hr = s.hits[index].conversation.kind == MSGR_WINDOW_PAGE ? page(v, out)
                                                             : instant_message(v, out);
    if (MSGR_FAILED(hr)) return hr;
    out->scroll_index = seq >= out->first_seq ? static_cast<std::size_t>(seq - out->first_seq) : 0;
    ++out->scroll_serial;
    return hr;
}

msgr_hresult Runtime::search_release(std::uint64_t search) {
    auto it = searches_.find(search);
    if (it == searches_.end()) return unknown_search(search);
    if (!it->second.done && store_ != nullptr) store_->cancel(search);
    searches_.erase(it);
    return MSGR_S_OK;
}

// ---- forgetting -------------------------------------------------------------------------------

msgr_hresult Runtime::forget_contact(msgr_contact &c) {
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    if (store() != nullptr) {
        for (const msgr_window_kind kind : {MSGR_WINDOW_CONVERSATION, MSGR_WINDOW_PAGE}) {
            const std::int64_t cid = conversation_of(c, kind);
            if (cid == 0) return fail(MSGR_E_FAIL, last_error());
            const msgr_hresult hr = store_->forget(cid);
            if (MSGR_FAILED(hr)) return hr;
        }
    }
    for (const auto &w : windows_.open()) {
        if (w->contact.get() == &c) clear_history(*w);
    }
    for (auto &[id, s] : searches_) {
        for (std::size_t i = s.hits.size(); i-- > 0;) {
            if (s.contacts[i].get() != &c) continue;
            s.hits.erase(s.hits.begin() + static_cast<std::ptrdiff_t>(i));
            s.contacts.erase(s.contacts.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
    return MSGR_S_OK;
}

msgr_hresult Runtime::forget_all() {
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    if (store() != nullptr) {
        const msgr_hresult hr = store_->forget_all();
        if (MSGR_FAILED(hr)) return hr;
    }
    for (const auto &w : windows_.open())
        clear_history(*w);
    for (auto &[id, s] : searches_) {
        s.hits.clear();
        s.contacts.clear();
    }
    return MSGR_S_OK;
}

}  // namespace msgr::core

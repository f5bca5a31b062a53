// The owner thread's room of the store: its own connection, cached statements and the spans of
// the conversations, in memory. Every method is one small indexed statement (or none).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "history/schema.hpp"
#include "history/sqlite.hpp"
#include "history/store.hpp"

namespace msgr::core::history {

class Owner {
  public:
    // Opens the owner's connection to a database the store's thread has made and migrated, and
    // reads the conversations' spans. Runs on the store's thread, before the room is handed over.
    static msgr_hresult open(const std::string &path, std::unique_ptr<Owner> &out);
    sqlite3 *db() const noexcept { return db_.get(); }

    msgr_hresult conversation(const ConversationKey &key, ConversationId &out);
    Store::Span span(ConversationId id) const;
    msgr_hresult append(ConversationId id, Record &r);
    msgr_hresult prepend(ConversationId id, Record &r);
    void begin_batch();
    msgr_hresult end_batch();
    msgr_hresult set_delivery(std::int64_t stored_id, msgr_delivery_state state, msgr_hresult hr,
                              const std::string &reason);
    msgr_hresult add_flags_up_to(ConversationId id, std::int64_t up_to_seq, std::uint32_t flags);
    msgr_hresult read(ConversationId id, std::int64_t first_seq, std::size_t n,
                      std::vector<Record> &out);
    bool holds(ConversationId id, const std::string &origin_id, const std::string &archive_id);
    std::optional<Record> outgoing_by_origin(ConversationId id, const std::string &origin_id);
    std::string oldest_archive_id(ConversationId id);
    msgr_hresult unfinished(std::vector<Unfinished> &out);
    // Hides the conversation's messages (the store's thread deletes them); the ids to purge.
    msgr_hresult forget(ConversationId id);
    msgr_hresult forget_all(std::vector<ConversationId> &forgotten);
    // Retention on the store's thread raised a conversation's floor: what is below is gone.
    void raise_floor(ConversationId id, std::int64_t floor);
    msgr_hresult read_up_to(ConversationId id, std::int64_t before_seq);

  private:
    struct Conversation {
        ConversationKey key;
        std::int64_t first_seq = 0;     // the oldest visible message
        std::int64_t next_seq = 0;      // where the next append goes
        std::int64_t floor = kNoFloor;  // forgotten_below
    };
    using Key = std::tuple<std::string, std::string, int>;

    msgr_hresult prepare();
    msgr_hresult load();
    Conversation *find(ConversationId id);
    const Conversation *find(ConversationId id) const;
    msgr_hresult insert(ConversationId id, Conversation &c, std::int64_t seq, Record &r);
    // Inside a batch: keeps the span as it was before the batch touched it, for a rollback.
    void remember(ConversationId id, const Conversation &c);
    msgr_hresult forget_one(ConversationId id, Conversation &c);

    DbHandle db_;
    Stmt begin_, commit_, rollback_;
    Stmt insert_conversation_, insert_message_, set_delivery_, add_seen_, add_flags_, read_,
        holds_origin_, holds_archive_, by_origin_, oldest_archive_, unfinished_, forget_;
    Stmt read_up_to_;
    std::unordered_map<ConversationId, Conversation> conversations_;
    std::map<Key, ConversationId> by_key_;

    int batch_depth_ = 0;
    msgr_hresult batch_failure_ = MSGR_S_OK;
    std::string batch_failure_why_;
    std::unordered_map<ConversationId, Conversation> batch_saved_;  // spans before the batch
    std::vector<ConversationId> batch_created_;                     // conversations it made
};

}  // namespace msgr::core::history

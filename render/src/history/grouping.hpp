// How a conversation's history is grouped as chat clients do: a header ("Name  14:03") above
// a message when the sender changes or more than kGroupGap passed since the one before, and a
// day separator ("Today", "Yesterday", "Monday 30 November 2026") between two days' messages.
// Times are local. The decision is made once, when a message is laid out (its row's lead in
// history_layout.hpp); the labels are formatted into fixed buffers, never allocated.
#pragma once

#include <cstddef>
#include <cstdint>

#include "msgr/msgr.h"

namespace msgr::render::history {

constexpr std::int64_t kGroupGapMs = std::int64_t{5} * 60 * 1000;

// The HistoryLayout lead bits (kLeadHeader, kLeadDay) for message m, prev being the message
// before it in the history (nullptr for the first).
std::uint32_t lead_between(const msgr_message *prev, const msgr_message &m) noexcept;

// Whether the user wrote m (here, or on another device of theirs: MSGR_MESSAGE_OTHER_DEVICE
// entries are outgoing).
inline bool from_user(const msgr_message &m) noexcept {
    return m.direction == MSGR_MESSAGE_OUTGOING;
}

// Whether a and b were written by different people: the user and a contact, or, in a group
// conversation, two of its contacts (msgr_message.sender; "" when not known counts as the same).
bool other_writer(const msgr_message &a, const msgr_message &b) noexcept;

// The name a header shows for m: the user's own for what they wrote; in a group window the
// friendly name of the contact who wrote it (sender, the window's contacts searched), else the
// peer's. Written into out (never allocated): the contacts' names live only as long as they do.
void sender_name(msgr_window *w, const msgr_message &m, const char *peer, const char *user,
                 char *out, std::size_t cap) noexcept;

// A local day: one number per calendar day, for comparing.
std::int32_t local_day(std::int64_t unix_ms) noexcept;
// "14:03", local time.
void time_label(std::int64_t unix_ms, char *out, std::size_t cap) noexcept;
// "Today", "Yesterday", or "Monday 30 November 2026", for unix_ms seen at now_ms.
void day_label(std::int64_t unix_ms, std::int64_t now_ms, char *out, std::size_t cap) noexcept;

}  // namespace msgr::render::history

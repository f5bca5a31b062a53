// The fuzz entry point for the XMPP service's stanza handling (libFuzzer's
// LLVMFuzzerTestOneInput). The input is one stanza as the server would send it; libstrophe parses
// it (xmpp_stanza_new_from_string, the same expat parser as on the wire) and the add-in's own
// interpretation (stanza.hpp: messages, presence, roster-push checks) runs on it. The invariants
// the runtime relies on are checked, and a violation aborts (a crash for the fuzzer):
//  - text handed to the runtime is valid UTF-8 without NUL bytes;
//  - it is at most kMaxBodyBytes plus the truncation mark;
//  - the sender is a non-empty bare JID (no '/') that is not the account itself.
//  - a caps ver read from a presence is printable ASCII without spaces, and one computed from a
//    disco#info answer is "" or 28 characters of base64 (a SHA-1), and never more identities
//    or features are kept than the limits;
//  - the contact list's readers (contact_list.hpp): a nickname is valid UTF-8 of at most
//    kMaxNickBytes without control characters, a block list holds at most kMaxBlockItems
//    non-empty bare JIDs, a refused subscription maps to USER_NOT_FOUND or E_FAIL.
// The raw bytes also go through the UTF-8 helpers directly (not only what expat lets through).
// Registered in tests/fuzz/CMakeLists.txt (seed corpus tests/fuzz/corpus/xmpp_stanza/); built
// without libFuzzer, every build replays the corpus through it.
#include <strophe.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "contact_list.hpp"
#include "msgr/msgr.h"
#include "stanza.hpp"

namespace {

constexpr std::string_view kSelf = "me@example.org";

void check(bool ok) {
    if (!ok) std::abort();
}

xmpp_ctx_t *context() {
    static xmpp_ctx_t *ctx = [] {
        xmpp_initialize();
        return xmpp_ctx_new(nullptr, nullptr);
    }();
    return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string raw(reinterpret_cast<const char *>(data), size);

    const std::string clean = msgr_xmpp::sanitize_utf8(raw);
    check(msgr_xmpp::sanitize_utf8(clean) == clean);
    check(clean.find('\0') == std::string::npos);
    const std::string_view cut = msgr_xmpp::cut_utf8(clean, size / 2);
    check(cut.size() <= size / 2 || cut.size() == clean.size());
    check(msgr_xmpp::sanitize_utf8(cut) == cut);

    xmpp_ctx_t *ctx = context();
    if (ctx == nullptr) return 0;
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, raw.c_str());
    if (st == nullptr) return 0;
    const msgr_xmpp::Incoming in = msgr_xmpp::read_message(ctx, st, kSelf);
    if (in.deliver) {
        check(msgr_xmpp::sanitize_utf8(in.text) == in.text);
        check(in.text.size() <= msgr_xmpp::kMaxBodyBytes + 64);
        check(!in.from.empty() && in.from.find('/') == std::string::npos);
        check(in.from != kSelf);
    }
    // Conversations: what a carbon or an archive result unwraps to, and every id, stamp and
    // state read from it, stays within its bounds; a forwarded message is only taken from the
    // account itself, and only then may it be the account's own.
    const msgr_xmpp::Unwrapped u = msgr_xmpp::unwrap(st, kSelf);
    if (u.envelope != msgr_xmpp::Envelope::none && u.inner != nullptr) {
        const char *outer_from = xmpp_stanza_get_from(st);
        check(outer_from == nullptr || std::string_view(outer_from) == kSelf ||
              msgr_xmpp::bare_of(outer_from) == kSelf);
        check(u.envelope == msgr_xmpp::Envelope::archive_result || outer_from != nullptr);
        check(u.archive_id.size() <= msgr_xmpp::kMaxIdBytes);
        check(u.envelope != msgr_xmpp::Envelope::archive_result || !u.archive_id.empty());
    }
    check(u.inner != nullptr || !u.why.empty());
    if (u.inner != nullptr) {
        const bool wrapped = u.envelope != msgr_xmpp::Envelope::none;
        const msgr_xmpp::Incoming m =
            msgr_xmpp::read_message(ctx, u.inner, kSelf, msgr_xmpp::kMaxBodyBytes, wrapped);
        for (const std::string *id :
             {&m.id, &m.origin_id, &m.archive_id, &m.received_id, &m.displayed_id}) {
            check(id->size() <= msgr_xmpp::kMaxIdBytes);
            check(msgr_xmpp::sanitize_utf8(*id) == *id);
        }
        check(m.chat_state >= 0 && m.chat_state <= 5);
        check(m.time_unix_ms >= 0);
        if (m.from_me) check(wrapped && m.peer != kSelf && !m.peer.empty());
        if (m.deliver) check(m.peer.find('/') == std::string::npos && m.peer != kSelf);
    }
    const msgr_xmpp::ArchiveFin fin = msgr_xmpp::read_archive_fin(st);
    check(fin.first.size() <= msgr_xmpp::kMaxIdBytes && fin.last.size() <= msgr_xmpp::kMaxIdBytes);
    check(msgr_xmpp::parse_datetime(clean.substr(0, 80)) >= 0);
    const msgr_xmpp::Caps caps = msgr_xmpp::read_caps(st);
    for (const char ch : caps.ver)
        check(ch > 0x20 && ch < 0x7F);
    const msgr_xmpp::DiscoInfo info = msgr_xmpp::read_disco_info(st);
    check(info.identities.size() <= msgr_xmpp::kMaxDiscoItems);
    check(info.features.size() <= msgr_xmpp::kMaxDiscoItems);
    const std::string ver = msgr_xmpp::caps_ver(ctx, info);
    check(ver.empty() || ver.size() == 28);
    check(!info.unverifiable || ver.empty());
    const std::int32_t status = msgr_xmpp::presence_status(st);
    (void)status;
    const char *from = xmpp_stanza_get_from(st);
    if (msgr_xmpp::roster_push_allowed(from, kSelf)) {
        check(from == nullptr || msgr_xmpp::bare_of(from) == kSelf);
    }
    const msgr_xmpp::Nick nick = msgr_xmpp::read_nick(st);
    check(nick.text.size() <= msgr_xmpp::kMaxNickBytes);
    check(msgr_xmpp::sanitize_utf8(nick.text) == nick.text);
    for (const char ch : nick.text)
        check(static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7F);
    check(msgr_xmpp::clean_name(clean.substr(0, 2048)).size() <= msgr_xmpp::kMaxNickBytes);
    const msgr_xmpp::Blocking blocking = msgr_xmpp::read_blocking(st);
    check(blocking.jids.size() <= msgr_xmpp::kMaxBlockItems);
    for (const auto &jid : blocking.jids)
        check(!jid.empty() && jid.find('/') == std::string::npos);
    check(!blocking.all || blocking.kind == msgr_xmpp::Blocking::unblock);
    const std::int32_t refusal = msgr_xmpp::add_refusal(st);
    check(refusal == MSGR_E_USER_NOT_FOUND || refusal == MSGR_E_FAIL);
    (void)msgr_xmpp::subscription_of(st);
    xmpp_stanza_release(st);
    return 0;
}

// Add-ins for the tests, good and bad, built from this one file with different definitions:
//   TEST_NAME        the descriptor's name (and its configuration table)
//   TEST_CONFIG_TABLE  another configuration table than TEST_NAME
//   TEST_MAJOR/MINOR the ABI it claims (default: the SDK's)
//   TEST_SIZE        the descriptor's struct_size (default: sizeof)
//   TEST_NO_ENTRY    exports no entry point
//   TEST_NULL_ENTRY  the entry point returns NULL
//   TEST_FUNCTION_ENTRY  exports msgr_addin_entry as a function, not as the alias
//   TEST_BOOST_ALIAS exports the entry with BOOST_DLL_ALIAS itself
//   TEST_DEPENDS     the name of an add-in it depends on
//   TEST_OLD_SERVICE_TABLE  registers its contact service with the ABI 1.2 table size (without
//                    send_page, though the function is set beyond struct_size)
//   TEST_V13_SERVICE_TABLE  registers it with the ABI 1.3 table size (without the conversation
//                    functions of 1.4, though they are set beyond struct_size)
// At run time it reads its table: throw = [...] and fail = [...] name the calls that throw or
// return E_FAIL ("load", "knows_mobile", "submit", "event"); paging = true registers a paging
// provider (delivering every page at once); events = true subscribes to every event;
// service = true registers a contact service whose id is TEST_NAME (or service_id) (sign-in always
// succeeds, every message is delivered; "signin", "signout", "set_status", "describe",
// "send_message", "send_page" can throw or fail), and post_bad = true makes its sign-in also try
// reports the host must refuse (logged as "refused: <call> <hr>").
// Pages through services (ABI 1.3): carries_pages = [...] names the contacts its service carries
// pages to (describe says they are mobile; send_page declines every other contact, takes theirs,
// logs "carried page <id> to <who>: <text>" and reports it sent from a thread of its own, after
// carry_delay_ms); mobile = [...] names more contacts describe calls mobile (their pages are
// declined); can_page = true sets MSGR_SERVICE_CAN_PAGE (implied by carries_pages or mobile).
// pages_via_service = true makes its paging provider offer each page to the contact's service
// first (logging "page-via: <hr>"); when that fails, fallback = true delivers the page itself
// (the contract's "or deliver it") instead of reporting it failed. probe = true calls
// msgr_host_page_via_service where the host must refuse it -- in load, in event callbacks, with
// another page in submit, nested inside send_page and from a thread -- and logs each answer as
// "refused: page-via-<where> <hr>".
//
// Conversations (ABI 1.4): conversation = true sets send_message_ex, send_chat_state,
// send_displayed and fetch_older in its table (each can throw or fail by name; archive = true adds
// MSGR_SERVICE_HAS_ARCHIVE). send_message_ex logs "send_message_ex <id> to <to> origin <origin>
// resend <0/1> time <ms>: <text>", reports it SENT, posts a DELIVERED receipt for its origin id
// and an answer from <to> with post_message_ex ("re: <text>", every field set: flags ARCHIVED,
// time 1234567, ids "o-", "a-", "r-" + the origin id); send_chat_state logs "chat state <to> <n>"
// and posts that state as <to>'s own; send_displayed logs "displayed <to> <receipt id>";
// fetch_older logs "fetch_older <peer> '<archive id>' <max>" and posts min(max, 3) older
// archived messages "old <k>" (archive ids "<archive id>-<k>", newest first), then the history
// end (complete when it posted fewer than max). send_message logs "send_message <id>".
// With post_bad, its sign-in also makes every malformed 1.4 report (logged "refused: ...").
//
// The contact list (ABI 1.6): contact_list = true sets add_contact, remove_contact, authorize,
// set_blocked and set_friendly_name (each can throw or fail by name), which log
// "add_contact <who>", "remove_contact <who>", "authorize <who> <0/1>", "set_blocked <who> <0/1>"
// and "set_friendly_name <name>"; add_contact answers at once with msgr_host_post_add_result:
// MSGR_E_USER_NOT_FOUND for a name starting with "no-", else S_OK. Its sign-in then also posts a
// request from "asker@test". TEST_V15_SERVICE_TABLE registers the table with the ABI 1.5 size
// (ending at fetch_older: the 1.6 functions are set beyond struct_size, and log "beyond the table"
// if ever called). With post_bad, its sign-in also makes every malformed 1.6 report.
//
// Rich presence (ABI 1.7): activity = true sets set_activity, which logs "set_activity '<text>'"
// (and can throw or fail by name); its sign-in then posts activities: pal@test "In a match —
// 3/4 players", noisy@test "a<U+0001>b<TAB>c<U+202E>d" (cleaned to "ab cd"), long@test 200 'x',
// and stale@test "old" with a session that is not the current one (dropped). With post_bad also
// every malformed 1.7 report. TEST_V16_SERVICE_TABLE registers the table with the ABI 1.6 size
// (ending at set_friendly_name: set_activity beyond it logs "beyond the table" if ever called).
//
// stamp = true makes its event callback log "stamp <event type> <CLOCK_MONOTONIC ns>" on entry
// (the benchmarks' one-way latency); stamp = <status> does so only for a MY_STATUS_CHANGE to that
// status (the last event of a window: the rate without a log line per event).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "msgr/addin.h"
#include "msgr/addin_host.hpp"
#ifdef TEST_BOOST_ALIAS
#include <boost/dll/alias.hpp>
#endif

#ifndef TEST_MAJOR
#define TEST_MAJOR MSGR_ADDIN_ABI_MAJOR
#endif
#ifndef TEST_MINOR
#define TEST_MINOR MSGR_ADDIN_ABI_MINOR
#endif
#ifndef TEST_CONFIG_TABLE
#define TEST_CONFIG_TABLE TEST_NAME
#endif
#ifndef TEST_SIZE
#define TEST_SIZE sizeof(msgr_addin_descriptor)
#endif

namespace {

struct State {
    msgr::addin::HostFunctions host;
    std::vector<std::string> throws, fails;
    unsigned long events = 0;
    bool post_bad = false;
    bool contact_list = false;  // ABI 1.6: its table has the contact list functions
    bool activity = false;      // ABI 1.7: its table has set_activity
    bool stamp = false;
    std::int64_t stamp_status = 0;  // with stamp: 0 = every event, else only this status change
    std::string service_id = TEST_NAME;
    std::atomic<std::uint64_t> session{0};  // the last sign-in's (the 1.4 reports carry it)
    // Pages through services (ABI 1.3).
    std::vector<std::string> carries_pages;
    std::vector<std::string> mobile;
    bool pages_via_service = false;
    bool fallback = false;
    bool probe = false;
    std::int64_t carry_delay_ms = 0;
    std::atomic<bool> stopping{false};
    std::mutex threads_mutex;
    std::vector<std::thread> threads;  // reporting carried pages; joined at unload
};

bool listed(const std::vector<std::string> &v, const char *what) {
    for (const auto &s : v)
        if (s == what) return true;
    return false;
}

// Throws or fails as configured.
msgr_hresult misbehave(const State &s, const char *call) {
    if (listed(s.throws, call)) throw std::runtime_error(std::string("boom in ") + call);
    if (listed(s.fails, call)) return MSGR_E_FAIL;
    return MSGR_S_OK;
}

msgr_hresult knows_mobile(void *state, const char *, const char *, int *out) {
    *out = 0;
    return misbehave(*static_cast<State *>(state), "knows_mobile");
}

void log_refused(State &s, const char *call, msgr_hresult hr) {
    char buf[96];
    (void)std::snprintf(buf, sizeof buf, "refused: %s 0x%08X", call, static_cast<unsigned>(hr));
    s.host.say(MSGR_LOG_INFO, buf);
}

// A page request the host must refuse wherever it comes from (probes outside submit).
msgr_page_request some_page() {
    msgr_page_request p{};
    p.struct_size = sizeof p;
    p.message_id = 1;
    p.from = "me@test";
    p.to = "pager@test";
    p.to_service = TEST_NAME;
    p.text = "x";
    p.text_size = 1;
    return p;
}

// Inside submit: every way of asking for another page than the one being submitted.
void probe_other_pages(State &s, const msgr_page_request &page) {
    msgr_page_request other = page;
    other.message_id = page.message_id + 1000;
    log_refused(s, "page-via-wrong-id", s.host.page_via_service(s.host.ctx, &other));
    other = page;
    other.to = "someone-else@test";
    log_refused(s, "page-via-other-to", s.host.page_via_service(s.host.ctx, &other));
    other = page;
    other.text = "words the user never wrote";
    other.text_size = std::strlen(other.text);
    log_refused(s, "page-via-other-text", s.host.page_via_service(s.host.ctx, &other));
    other = page;
    other.to_service = "loopback";
    log_refused(s, "page-via-other-service", s.host.page_via_service(s.host.ctx, &other));
    other = page;
    other.struct_size = 8;
    log_refused(s, "page-via-small", s.host.page_via_service(s.host.ctx, &other));
    log_refused(s, "page-via-null", s.host.page_via_service(s.host.ctx, nullptr));
}

msgr_hresult submit(void *state, const msgr_page_request *page) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "submit");
    if (MSGR_FAILED(hr)) return hr;
    if (s->probe && s->host.page_via_service != nullptr) probe_other_pages(*s, *page);
    if (s->pages_via_service && s->host.page_via_service != nullptr) {
        const msgr_hresult via = s->host.page_via_service(s->host.ctx, page);
        char buf[48];
        (void)std::snprintf(buf, sizeof buf, "page-via: 0x%08X", static_cast<unsigned>(via));
        s->host.say(MSGR_LOG_INFO, buf);
        if (via == MSGR_S_OK) return MSGR_S_OK;  // the service reports it
        if (MSGR_FAILED(via) && !s->fallback)
            return s->host.post_delivery(s->host.ctx, page->message_id, MSGR_DELIVERY_FAILED, via);
    }
    return s->host.post_delivery(s->host.ctx, page->message_id, MSGR_DELIVERY_SENT, MSGR_S_OK);
}

msgr_hresult on_event(const msgr_event *ev, void *user) {
    auto *s = static_cast<State *>(user);
    const bool stamped =
        s->stamp && (s->stamp_status == 0 ||
                     (ev->type == MSGR_EVENT_MY_STATUS_CHANGE && ev->status == s->stamp_status));
    if (stamped) {  // first: the time it took the event to get here
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        char buf[64];
        (void)std::snprintf(buf, sizeof buf, "stamp %d %lld", static_cast<int>(ev->type),
                            static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec);
        s->host.say(MSGR_LOG_INFO, buf);
    }
    ++s->events;
    if (ev->type == MSGR_EVENT_MESSAGE_RECEIVED)
        s->host.say(MSGR_LOG_INFO, std::string("event seen: ") + ev->text);
    if (s->probe && s->host.page_via_service != nullptr) {
        const msgr_page_request p = some_page();
        log_refused(*s, "page-via-event", s->host.page_via_service(s->host.ctx, &p));
    }
    return misbehave(*s, "event");
}

// A well-formed 1.4 message report, for the malformed variants below.
msgr_incoming_message some_incoming(const State &s, std::uint64_t session) {
    msgr_incoming_message m{};
    m.struct_size = sizeof m;
    m.service = s.service_id.c_str();
    m.session = session;
    m.peer = "a@b";
    m.text = "x";
    m.text_size = 1;
    return m;
}

// Every 1.4 report the host must refuse (E_INVALIDARG), each logged as "refused: <what> <hr>".
void post_bad_conversation(State &s, std::uint64_t session) {
    const msgr::addin::HostFunctions &h = s.host;
    if (h.post_message_ex == nullptr) return;
    const char *id = s.service_id.c_str();
    static const std::string long_id(257, 'i');
    static const std::string long_text((1u << 20) + 1, 't');
    msgr_incoming_message m = some_incoming(s, session);
    m.struct_size = offsetof(msgr_incoming_message, receipt_id);  // ends before the last field
    log_refused(s, "ex-small", h.post_message_ex(h.ctx, &m));
    log_refused(s, "ex-null", h.post_message_ex(h.ctx, nullptr));
    m = some_incoming(s, session);
    m.service = "not-mine";
    log_refused(s, "ex-other-service", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.peer = " leading@space";
    log_refused(s, "ex-bad-peer", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.text = nullptr;
    log_refused(s, "ex-null-text", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.text = long_text.data();
    m.text_size = long_text.size();
    log_refused(s, "ex-long-text", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.flags = 0x100;
    log_refused(s, "ex-flags", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.origin_id = long_id.c_str();
    log_refused(s, "ex-long-origin", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.archive_id = "line\nbreak";
    log_refused(s, "ex-control-archive", h.post_message_ex(h.ctx, &m));
    m = some_incoming(s, session);
    m.receipt_id = "\xff\xfe";
    log_refused(s, "ex-utf8-receipt", h.post_message_ex(h.ctx, &m));
    log_refused(s, "receipt-other-service",
                h.post_receipt(h.ctx, "not-mine", session, "a@b", "o1", MSGR_DELIVERY_READ));
    log_refused(s, "receipt-sent",
                h.post_receipt(h.ctx, id, session, "a@b", "o1", MSGR_DELIVERY_SENT));
    log_refused(
        s, "receipt-99",
        h.post_receipt(h.ctx, id, session, "a@b", "o1", static_cast<msgr_delivery_state>(99)));
    log_refused(s, "receipt-no-id",
                h.post_receipt(h.ctx, id, session, "a@b", nullptr, MSGR_DELIVERY_READ));
    log_refused(s, "receipt-empty-id",
                h.post_receipt(h.ctx, id, session, "a@b", "", MSGR_DELIVERY_READ));
    log_refused(s, "receipt-long-id",
                h.post_receipt(h.ctx, id, session, "a@b", long_id.c_str(), MSGR_DELIVERY_READ));
    log_refused(s, "receipt-bad-peer",
                h.post_receipt(h.ctx, id, session, nullptr, "o1", MSGR_DELIVERY_READ));
    log_refused(s, "chat-other-service",
                h.post_chat_state(h.ctx, "not-mine", session, "a@b", MSGR_CHAT_STATE_ACTIVE));
    log_refused(s, "chat-none", h.post_chat_state(h.ctx, id, session, "a@b", MSGR_CHAT_STATE_NONE));
    log_refused(s, "chat-99",
                h.post_chat_state(h.ctx, id, session, "a@b", static_cast<msgr_chat_state>(99)));
    log_refused(s, "chat-bad-peer",
                h.post_chat_state(h.ctx, id, session, "", MSGR_CHAT_STATE_COMPOSING));
    log_refused(s, "end-other-service", h.post_history_end(h.ctx, "not-mine", session, "a@b", 1));
    log_refused(s, "end-bad-peer", h.post_history_end(h.ctx, id, session, "a\nb", 1));
}

// Every 1.6 report the host must refuse (E_INVALIDARG), each logged as "refused: <what> <hr>".
void post_bad_contact_list(State &s, std::uint64_t session) {
    const msgr::addin::HostFunctions &h = s.host;
    if (!h.has_contact_list_functions()) return;
    const char *id = s.service_id.c_str();
    static const std::string long_name(1025, 'n');
    log_refused(s, "add-other-service",
                h.post_add_result(h.ctx, "not-mine", session, "a@b", MSGR_S_OK));
    log_refused(s, "add-bad-name", h.post_add_result(h.ctx, id, session, " a@b", MSGR_S_OK));
    log_refused(s, "add-null-name", h.post_add_result(h.ctx, id, session, nullptr, MSGR_S_OK));
    log_refused(s, "add-s-false", h.post_add_result(h.ctx, id, session, "a@b", MSGR_S_FALSE));
    log_refused(s, "request-bad-name", h.post_authorization_request(h.ctx, id, session, "a\nb"));
    log_refused(s, "request-utf8", h.post_authorization_request(h.ctx, id, session, "\xff@b"));
    log_refused(s, "blocked-other-service", h.post_blocked(h.ctx, "not-mine", session, "a@b", 1));
    log_refused(s, "blocked-bad-name", h.post_blocked(h.ctx, id, session, "", 1));
    log_refused(s, "name-utf8", h.post_friendly_name(h.ctx, id, session, "a@b", "\xc3("));
    log_refused(s, "name-control", h.post_friendly_name(h.ctx, id, session, "a@b", "a\x01b"));
    log_refused(s, "name-long", h.post_friendly_name(h.ctx, id, session, "a@b", long_name.c_str()));
    log_refused(s, "name-bad-contact", h.post_friendly_name(h.ctx, id, session, nullptr, "x"));
}

// Every 1.7 report the host must refuse (E_INVALIDARG), each logged as "refused: <what> <hr>".
[[maybe_unused]] void post_bad_activity(State &s, std::uint64_t session) {
    const msgr::addin::HostFunctions &h = s.host;
    if (!h.has_activity_functions()) return;
    const char *id = s.service_id.c_str();
    static const std::string long_text(1025, 'x');
    log_refused(s, "activity-other-service",
                h.post_activity(h.ctx, "not-mine", session, "a@b", "playing"));
    log_refused(s, "activity-bad-name", h.post_activity(h.ctx, id, session, " a@b", "playing"));
    log_refused(s, "activity-null-name", h.post_activity(h.ctx, id, session, nullptr, "x"));
    log_refused(s, "activity-utf8", h.post_activity(h.ctx, id, session, "a@b", "\xc3("));
    log_refused(s, "activity-long", h.post_activity(h.ctx, id, session, "a@b", long_text.c_str()));
}

// The activities a sign-in posts with activity = true (see the top of the file).
[[maybe_unused]] void post_activities(State &s, std::uint64_t session) {
    const msgr::addin::HostFunctions &h = s.host;
    if (!h.has_activity_functions()) return;
    const char *id = s.service_id.c_str();
    static const std::string long_text(200, 'x');
    h.post_activity(h.ctx, id, session, "pal@test", "In a match \xe2\x80\x94 3/4 players");
    h.post_activity(h.ctx, id, session, "noisy@test",
                    "a\x01"
                    "b\tc\xe2\x80\xae"
                    "d");
    h.post_activity(h.ctx, id, session, "long@test", long_text.c_str());
    h.post_activity(h.ctx, id, session + 1000, "stale@test", "old");
}

msgr_hresult svc_signin(void *state, std::uint64_t session, const char *name,
                        const char *password) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "signin");
    if (MSGR_FAILED(hr)) return hr;
    s->session = session;
    // What it was given (the password's length only), for the tests of who gets the password.
    s->host.say(MSGR_LOG_INFO, s->service_id + ": signin as " + name + " with a password of " +
                                   std::to_string(std::strlen(password)) + " bytes");
    if (s->post_bad) {
        log_refused(*s, "other-service",
                    s->host.post_signin(s->host.ctx, "not-mine", session, MSGR_S_OK));
        log_refused(
            *s, "bad-contact",
            s->host.post_contact(s->host.ctx, s->service_id.c_str(), session, " leading@space", 1));
        log_refused(
            *s, "bad-status",
            s->host.post_status(s->host.ctx, s->service_id.c_str(), session, "a@b", 0x7777));
        log_refused(
            *s, "null-text",
            s->host.post_message(s->host.ctx, s->service_id.c_str(), session, "a@b", nullptr, 0));
        post_bad_conversation(*s, session);
        post_bad_contact_list(*s, session);
#if !defined(TEST_V15_SERVICE_TABLE) && !defined(TEST_V16_SERVICE_TABLE)
        post_bad_activity(*s, session);
#endif
    }
    const msgr_hresult signed_in =
        s->host.post_signin(s->host.ctx, s->service_id.c_str(), session, MSGR_S_OK);
#ifndef TEST_V15_SERVICE_TABLE  // an add-in built for 1.5 knows no such report
    if (s->contact_list && s->host.has_contact_list_functions())
        s->host.post_authorization_request(s->host.ctx, s->service_id.c_str(), session,
                                           "asker@test");
#endif
#if !defined(TEST_V15_SERVICE_TABLE) && !defined(TEST_V16_SERVICE_TABLE)  // know no such report
    if (s->activity) post_activities(*s, session);
#endif
    return signed_in;
}
msgr_hresult svc_signout(void *state) {
    return misbehave(*static_cast<State *>(state), "signout");
}
msgr_hresult svc_set_status(void *state, std::int32_t) {
    return misbehave(*static_cast<State *>(state), "set_status");
}
msgr_hresult svc_describe(void *state, const char *signin, msgr_contact_info *out) {
    auto *s = static_cast<State *>(state);
    out->status = MSGR_STATUS_ONLINE;
    out->mobile = listed(s->carries_pages, signin) || listed(s->mobile, signin) ? 1 : 0;
    return misbehave(*s, "describe");
}
msgr_hresult svc_send(void *state, std::uint64_t id, const char *, const char *, std::size_t) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "send_message");
    if (MSGR_FAILED(hr)) return hr;
    s->host.say(MSGR_LOG_INFO, "send_message " + std::to_string(id));
    return s->host.post_delivery(s->host.ctx, id, MSGR_DELIVERY_SENT, MSGR_S_OK);
}

// ---- ABI 1.4 ----

msgr_hresult svc_send_ex(void *state, const msgr_outgoing_message *m) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "send_message_ex");
    if (MSGR_FAILED(hr)) return hr;
    const msgr::addin::HostFunctions &h = s->host;
    const std::string text(m->text, m->text_size);
    const std::string origin = m->origin_id;
    h.say(MSGR_LOG_INFO, "send_message_ex " + std::to_string(m->message_id) + " to " + m->to +
                             " origin " + origin + " resend " + std::to_string(m->resend) +
                             " time " + std::to_string(m->time_unix_ms) + ": " + text);
    const char *id = s->service_id.c_str();
    const std::uint64_t session = s->session.load();
    h.post_delivery(h.ctx, m->message_id, MSGR_DELIVERY_SENT, MSGR_S_OK);
    h.post_receipt(h.ctx, id, session, m->to, origin.c_str(), MSGR_DELIVERY_DELIVERED);
    const std::string reply = "re: " + text, o = "o-" + origin, a = "a-" + origin,
                      r = "r-" + origin;
    msgr_incoming_message in = some_incoming(*s, session);
    in.peer = m->to;
    in.text = reply.data();
    in.text_size = reply.size();
    in.flags = MSGR_INCOMING_ARCHIVED;
    in.time_unix_ms = 1234567;
    in.origin_id = o.c_str();
    in.archive_id = a.c_str();
    in.receipt_id = r.c_str();
    return h.post_message_ex(h.ctx, &in);
}

msgr_hresult svc_send_chat_state(void *state, const char *to, msgr_chat_state chat_state) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "send_chat_state");
    if (MSGR_FAILED(hr)) return hr;
    s->host.say(MSGR_LOG_INFO, std::string("chat state ") + to + " " +
                                   std::to_string(static_cast<int>(chat_state)));
    return s->host.post_chat_state(s->host.ctx, s->service_id.c_str(), s->session.load(), to,
                                   chat_state);
}

msgr_hresult svc_send_displayed(void *state, const char *to, const char *receipt_id) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "send_displayed");
    if (MSGR_FAILED(hr)) return hr;
    s->host.say(MSGR_LOG_INFO, std::string("displayed ") + to + " " + receipt_id);
    return MSGR_S_OK;
}

// ---- ABI 1.6 ----

// Logs "<what> <args>" (or, built for 1.5, that it was called beyond its table) and fails or
// throws as configured.
msgr_hresult contact_list_call(void *state, const char *what, const std::string &args) {
    auto *s = static_cast<State *>(state);
#ifdef TEST_V15_SERVICE_TABLE
    s->host.say(MSGR_LOG_ERROR, std::string(what) + " called beyond the table");
#endif
    const msgr_hresult hr = misbehave(*s, what);
    if (MSGR_FAILED(hr)) return hr;
    s->host.say(MSGR_LOG_INFO, std::string(what) + " " + args);
    return MSGR_S_OK;
}
msgr_hresult svc_add_contact(void *state, const char *who) {
    const msgr_hresult hr = contact_list_call(state, "add_contact", who);
    if (MSGR_FAILED(hr)) return hr;
    auto *s = static_cast<State *>(state);
    const bool nobody = std::strncmp(who, "no-", 3) == 0;
    s->host.post_add_result(s->host.ctx, s->service_id.c_str(), s->session, who,
                            nobody ? MSGR_E_USER_NOT_FOUND : MSGR_S_OK);
    return MSGR_S_OK;
}
msgr_hresult svc_remove_contact(void *state, const char *who) {
    return contact_list_call(state, "remove_contact", who);
}
msgr_hresult svc_authorize(void *state, const char *who, int accept) {
    return contact_list_call(state, "authorize", std::string(who) + " " + std::to_string(accept));
}
msgr_hresult svc_set_blocked(void *state, const char *who, int blocked) {
    return contact_list_call(state, "set_blocked",
                             std::string(who) + " " + std::to_string(blocked));
}
msgr_hresult svc_set_friendly_name(void *state, const char *name) {
    return contact_list_call(state, "set_friendly_name", name);
}

// ---- ABI 1.7 ----
msgr_hresult svc_set_activity(void *state, const char *text) {
    auto *s = static_cast<State *>(state);
#if defined(TEST_V15_SERVICE_TABLE) || defined(TEST_V16_SERVICE_TABLE)
    s->host.say(MSGR_LOG_ERROR, "set_activity called beyond the table");
#endif
    const msgr_hresult hr = misbehave(*s, "set_activity");
    if (MSGR_FAILED(hr)) return hr;
    s->host.say(MSGR_LOG_INFO, std::string("set_activity '") + text + "'");
    return MSGR_S_OK;
}

msgr_hresult svc_fetch_older(void *state, const char *peer, const char *archive_id,
                             std::uint32_t max) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "fetch_older");
    if (MSGR_FAILED(hr)) return hr;
    const msgr::addin::HostFunctions &h = s->host;
    h.say(MSGR_LOG_INFO,
          std::string("fetch_older ") + peer + " '" + archive_id + "' " + std::to_string(max));
    const std::uint64_t session = s->session.load();
    const std::uint32_t n = max < 3 ? max : 3;
    for (std::uint32_t k = 1; k <= n; ++k) {
        const std::string text = "old " + std::to_string(k);
        const std::string archive = std::string(archive_id) + "-" + std::to_string(k);
        msgr_incoming_message in = some_incoming(*s, session);
        in.peer = peer;
        in.text = text.data();
        in.text_size = text.size();
        in.flags = MSGR_INCOMING_OLDER | MSGR_INCOMING_ARCHIVED;
        in.time_unix_ms = 1000 - static_cast<std::int64_t>(k);
        in.archive_id = archive.c_str();
        h.post_message_ex(h.ctx, &in);
    }
    return h.post_history_end(h.ctx, s->service_id.c_str(), session, peer, n < max ? 1 : 0);
}

// Reports a carried page sent from its own thread, after carry_delay_ms (cut short at unload).
void report_carried(State *s, std::uint64_t id) {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(s->carry_delay_ms);
    while (!s->stopping.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (s->probe) {
        const msgr_page_request p = some_page();
        log_refused(*s, "page-via-thread", s->host.page_via_service(s->host.ctx, &p));
    }
    const msgr_hresult hr = s->host.post_delivery(s->host.ctx, id, MSGR_DELIVERY_SENT, MSGR_S_OK);
    if (hr != MSGR_S_OK) log_refused(*s, "page-report", hr);
}

msgr_hresult svc_send_page(void *state, std::uint64_t id, const char *to, const char *text,
                           std::size_t text_size) {
    auto *s = static_cast<State *>(state);
    const msgr_hresult hr = misbehave(*s, "send_page");
    if (MSGR_FAILED(hr)) return hr;
    if (s->probe) {  // the paging provider's mark does not reach into the service it calls
        msgr_page_request p = some_page();
        p.message_id = id;
        log_refused(*s, "page-via-nested", s->host.page_via_service(s->host.ctx, &p));
    }
    if (!listed(s->carries_pages, to)) return MSGR_S_FALSE;
    s->host.say(MSGR_LOG_INFO, "carried page " + std::to_string(id) + " to " + to + ": " +
                                   std::string(text, text_size));
    const std::lock_guard<std::mutex> lock(s->threads_mutex);
    s->threads.emplace_back(&report_carried, s, id);
    return MSGR_S_OK;
}

std::vector<std::string> strings(const msgr::addin::HostFunctions &h, const char *key) {
    std::vector<std::string> out;
    std::size_t n = 0;
    if (h.config_array_size(h.ctx, key, &n) != MSGR_S_OK) return out;
    for (std::size_t i = 0; i < n; ++i) {
        const char *v = nullptr;
        if (h.config_array_string(h.ctx, key, i, &v) == MSGR_S_OK) out.emplace_back(v);
    }
    return out;
}

msgr_hresult load(const msgr_host *host, void **state) {
    auto *s = new State;
    s->host = msgr::addin::HostFunctions(*host);
    const msgr::addin::HostFunctions &h = s->host;
    s->throws = strings(h, "throw");
    s->fails = strings(h, "fail");
    const auto get_bool = h.config_bool;
    int paging = 0, events = 0, service = 0, post_bad = 0, can_page = 0, via = 0, probe = 0,
        fallback = 0, stamp = 0, conversation = 0, archive = 0, contact_list = 0, activity = 0;
    get_bool(host->ctx, "paging", &paging);
    get_bool(host->ctx, "events", &events);
    get_bool(host->ctx, "service", &service);
    get_bool(host->ctx, "post_bad", &post_bad);
    get_bool(host->ctx, "can_page", &can_page);
    get_bool(host->ctx, "pages_via_service", &via);
    get_bool(host->ctx, "probe", &probe);
    get_bool(host->ctx, "fallback", &fallback);
    get_bool(host->ctx, "stamp", &stamp);
    get_bool(host->ctx, "conversation", &conversation);
    get_bool(host->ctx, "archive", &archive);
    get_bool(host->ctx, "contact_list", &contact_list);
    s->contact_list = contact_list != 0;
    get_bool(host->ctx, "activity", &activity);
    s->activity = activity != 0;
    s->post_bad = post_bad != 0;
    s->stamp = stamp != 0 || h.config_int(host->ctx, "stamp", &s->stamp_status) == MSGR_S_OK;
    s->pages_via_service = via != 0;
    s->probe = probe != 0;
    s->fallback = fallback != 0;
    s->carries_pages = strings(h, "carries_pages");
    s->mobile = strings(h, "mobile");
    h.config_int(host->ctx, "carry_delay_ms", &s->carry_delay_ms);
    if (s->probe && s->host.page_via_service != nullptr) {  // in load: not inside submit
        const msgr_page_request p = some_page();
        log_refused(*s, "page-via-load", s->host.page_via_service(s->host.ctx, &p));
    }
    msgr_hresult hr = MSGR_S_OK;
    try {
        hr = misbehave(*s, "load");
    } catch (...) {
        delete s;
        throw;
    }
    if (MSGR_SUCCEEDED(hr) && paging) {
        msgr_paging_provider p{};
        p.struct_size = sizeof p;
        p.state = s;
        p.max_page_utf16 = 100;
        p.knows_mobile = &knows_mobile;
        p.submit = &submit;
        hr = h.register_paging(host->ctx, &p);
    }
    if (MSGR_SUCCEEDED(hr) && service) {
        msgr_contact_service t{};
#ifdef TEST_OLD_SERVICE_TABLE
        t.struct_size = offsetof(msgr_contact_service, send_page);  // built for ABI 1.2
#elif defined(TEST_V13_SERVICE_TABLE)
        t.struct_size = offsetof(msgr_contact_service, send_message_ex);  // built for ABI 1.3
#elif defined(TEST_V15_SERVICE_TABLE)
        t.struct_size = offsetof(msgr_contact_service, add_contact);  // built for ABI 1.5
#elif defined(TEST_V16_SERVICE_TABLE)
        t.struct_size = offsetof(msgr_contact_service, set_activity);  // built for ABI 1.6
#else
        t.struct_size = sizeof t;
#endif
        t.state = s;
        if (can_page != 0 || !s->carries_pages.empty() || !s->mobile.empty())
            t.flags = MSGR_SERVICE_CAN_PAGE;
        const char *id = nullptr;
        if (h.config_string(host->ctx, "service_id", &id) == MSGR_S_OK) s->service_id = id;
        t.id = s->service_id.c_str();
        t.max_message_bytes = 1000;
        t.signin = &svc_signin;
        t.signout = &svc_signout;
        t.set_status = &svc_set_status;
        t.describe = &svc_describe;
        t.send_message = &svc_send;
        t.send_page = &svc_send_page;  // beyond struct_size in TEST_OLD_SERVICE_TABLE: unread
        if (conversation != 0) {       // beyond struct_size in the two old tables: unread
            t.send_message_ex = &svc_send_ex;
            t.send_chat_state = &svc_send_chat_state;
            t.send_displayed = &svc_send_displayed;
            t.fetch_older = &svc_fetch_older;
            if (archive != 0) t.flags |= MSGR_SERVICE_HAS_ARCHIVE;
        }
        if (contact_list != 0) {  // beyond struct_size in TEST_V15_SERVICE_TABLE: unread
            t.add_contact = &svc_add_contact;
            t.remove_contact = &svc_remove_contact;
            t.authorize = &svc_authorize;
            t.set_blocked = &svc_set_blocked;
            t.set_friendly_name = &svc_set_friendly_name;
        }
        if (activity != 0) t.set_activity = &svc_set_activity;  // beyond struct_size before 1.7
        hr = h.register_service(host->ctx, &t);
    }
    if (MSGR_SUCCEEDED(hr) && events) {
        hr = h.subscribe(host->ctx, static_cast<msgr_event_type>(0), &on_event, s);
    }
    if (MSGR_FAILED(hr)) {
        if (listed(s->fails, "load")) h.set_error(host->ctx, "configured to fail");
        delete s;
        return hr;
    }
    *state = s;
    return MSGR_S_OK;
}

void unload(void *state) {
    auto *s = static_cast<State *>(state);
    s->stopping = true;
    for (auto &t : s->threads)
        t.join();
    delete s;
}

#ifdef TEST_DEPENDS
const char *const depends[] = {TEST_DEPENDS, nullptr};
#else
const char *const *const depends = nullptr;
#endif

// Unused in the TEST_NULL_ENTRY and TEST_NO_ENTRY variants (clang warns).
[[maybe_unused]] const msgr_addin_descriptor descriptor = {
    static_cast<std::uint32_t>(TEST_SIZE),
    MSGR_ADDIN_MAGIC,
    TEST_MAJOR,
    TEST_MINOR,
    TEST_NAME,
    "0.0.1",
    "a test add-in",
    TEST_CONFIG_TABLE,
    depends,
    &load,
    &unload,
};

}  // namespace

#if defined(TEST_NO_ENTRY)
extern "C" __attribute__((visibility("default"))) int msgr_something_else() {
    return 1;
}
#elif defined(TEST_NULL_ENTRY)
namespace {
const msgr_addin_descriptor *entry() {
    return nullptr;
}
}  // namespace
MSGR_ADDIN_ENTRY(entry);
#elif defined(TEST_FUNCTION_ENTRY)
extern "C" __attribute__((visibility("default"))) const msgr_addin_descriptor *msgr_addin_entry() {
    return &descriptor;
}
#elif defined(TEST_BOOST_ALIAS)
namespace testaddin {
const msgr_addin_descriptor *entry() {
    return &descriptor;
}
}  // namespace testaddin
BOOST_DLL_ALIAS(testaddin::entry, msgr_addin_entry)
#else
namespace {
const msgr_addin_descriptor *entry() {
    return &descriptor;
}
}  // namespace
MSGR_ADDIN_ENTRY(entry);
#endif

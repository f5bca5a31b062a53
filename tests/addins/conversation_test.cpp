// Add-in ABI 1.4, conversations that last, at the add-in boundary: the runtime's Service calls
// (send_message_ex, has_archive, send_chat_state, send_displayed, fetch_older) reach a real
// add-in, and its reports (msgr_host_post_message_ex, _receipt, _chat_state, _history_end) reach
// the runtime's inbox as the items capabilities.hpp names, field by field. The test reads the
// inbox itself, before a tick applies it: what the runtime does with the items is the runtime's
// tests' subject. Runs in both isolation modes (the add-in in its own process, and in-process).
#include <variant>

#include "../support/addin_fixture.hpp"
#include "c_api_internal.hpp"
#include "capabilities.hpp"
#include "runtime.hpp"

using namespace msgr::test;
using msgr::core::ChatStateChange;
using msgr::core::DeliveryDone;
using msgr::core::HistoryEnd;
using msgr::core::InboxItem;
using msgr::core::MessageArrived;
using msgr::core::ReceiptArrived;
using msgr::core::Service;
using msgr::core::SigninDone;

namespace {

const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

// The configuration of a runtime whose primary service is the test add-in `name` with the 1.4
// functions (`more`: further settings of its table).
std::string test_service(const std::string &more = "", const std::string &name = "misbehave") {
    return primary_test_addin(kTestAddins, name, "service = true\nconversation = true\n" + more);
}

// A runtime made from `config` whose primary service `id` is under test.
struct Conversation {
    explicit Conversation(const std::string &config = test_service(),
                          const std::string &service_id = "misbehave")
        : h(config), id(service_id) {}

    // Signs in (ticking until online; the session is the one its SigninDone names), then
    // empties the inbox.
    void signin() {
        ASSERT_EQ(msgr_signin(h.rt, "me@test", ""), MSGR_S_OK) << msgr_last_error();
        auto items = drain();  // the add-in's sign-in reported before the call returned
        for (auto &i : items) {
            if (const auto *done = std::get_if<SigninDone>(&i)) session_ = done->session;
            msgr::core::runtime_of(h.rt)->inbox().push(std::move(i));  // for the tick, in order
        }
        ASSERT_NE(session_, 0u);
        ASSERT_TRUE(h.tick_until([&] {
            std::int32_t status = 0;
            msgr_my_status(h.rt, &status);
            return status == MSGR_STATUS_ONLINE;
        }));
        drain();
    }
    Service &service() {
        Service *s = msgr::core::runtime_of(h.rt)->find_service(id);
        if (s == nullptr) throw std::runtime_error("no service " + id);
        return *s;
    }
    // What the add-in reported so far, in order, taken out of the inbox (the tick never sees it).
    std::vector<InboxItem> drain() {
        std::vector<InboxItem> items;
        msgr::core::runtime_of(h.rt)->inbox().drain(items, 10000);
        return items;
    }
    std::uint64_t session() const { return session_; }

    LogCapture logs;  // before the runtime: it logs until destroyed
    Host h;
    std::string id;
    std::uint64_t session_ = 0;
};

template <typename T>
const T *item(const std::vector<InboxItem> &items, std::size_t i) {
    return i < items.size() ? std::get_if<T>(&items[i]) : nullptr;
}

}  // namespace

TEST(AddinConversation, SendMessageExCarriesTheOriginIdAndTheReportsArriveWhole) {
    Conversation c;
    ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
    c.signin();
    Service::Outgoing m;
    m.message_id = 777;
    m.to = "you@test";
    m.text = "hello, 世界";
    m.origin_id = "0123456789abcdefGHIJ-_";
    m.resend = true;
    m.time_unix_ms = 1700000000123;
    ASSERT_EQ(c.service().send_message_ex(m), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(c.logs.count("send_message_ex 777 to you@test origin 0123456789abcdefGHIJ-_ resend 1 "
                           "time 1700000000123: hello, 世界"),
              1u)
        << c.logs.all();
    EXPECT_EQ(c.logs.count("send_message 777"), 0u);  // not the 1.1 function
    // What it reported before returning is in the inbox when the call returns (both modes).
    const auto items = c.drain();
    ASSERT_EQ(items.size(), 3u);
    const auto *sent = item<DeliveryDone>(items, 0);
    ASSERT_NE(sent, nullptr);
    EXPECT_EQ(sent->message_id, 777u);
    EXPECT_EQ(sent->state, MSGR_DELIVERY_SENT);
    const auto *receipt = item<ReceiptArrived>(items, 1);
    ASSERT_NE(receipt, nullptr);
    EXPECT_EQ(receipt->service, "misbehave");
    EXPECT_EQ(receipt->session, c.session());
    EXPECT_EQ(receipt->peer, "you@test");
    EXPECT_EQ(receipt->origin_id, m.origin_id);
    EXPECT_EQ(receipt->state, MSGR_DELIVERY_DELIVERED);
    const auto *reply = item<MessageArrived>(items, 2);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->service, "misbehave");
    EXPECT_EQ(reply->session, c.session());
    EXPECT_EQ(reply->from, "you@test");
    EXPECT_EQ(reply->text, "re: hello, 世界");
    EXPECT_FALSE(reply->page);
    EXPECT_FALSE(reply->from_me);
    EXPECT_TRUE(reply->archived);
    EXPECT_FALSE(reply->older);
    EXPECT_EQ(reply->time_unix_ms, 1234567);
    EXPECT_EQ(reply->origin_id, "o-" + m.origin_id);
    EXPECT_EQ(reply->archive_id, "a-" + m.origin_id);
    EXPECT_EQ(reply->receipt_id, "r-" + m.origin_id);
}

TEST(AddinConversation, ChatStatesReadMarkersAndOlderHistoryCross) {
    Conversation c(test_service("archive = true\n"));
    ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
    c.signin();
    Service &s = c.service();
    EXPECT_TRUE(s.has_archive());

    EXPECT_EQ(s.send_chat_state("you@test", MSGR_CHAT_STATE_COMPOSING), MSGR_S_OK);
    EXPECT_EQ(c.logs.count("chat state you@test 2"), 1u) << c.logs.all();
    auto items = c.drain();
    ASSERT_EQ(items.size(), 1u);
    const auto *typing = item<ChatStateChange>(items, 0);
    ASSERT_NE(typing, nullptr);
    EXPECT_EQ(typing->service, "misbehave");
    EXPECT_EQ(typing->session, c.session());
    EXPECT_EQ(typing->peer, "you@test");
    EXPECT_EQ(typing->state, MSGR_CHAT_STATE_COMPOSING);

    // NONE tells the contact nothing: the add-in is not called (in either mode), and stays.
    EXPECT_EQ(s.send_chat_state("you@test", MSGR_CHAT_STATE_NONE), MSGR_S_FALSE);
    EXPECT_EQ(c.logs.count("chat state you@test 0"), 0u);
    EXPECT_TRUE(c.drain().empty());

    EXPECT_EQ(s.send_displayed("you@test", "r-42"), MSGR_S_OK);
    EXPECT_EQ(c.logs.count("displayed you@test r-42"), 1u) << c.logs.all();
    EXPECT_TRUE(c.drain().empty());

    // Two of the three it has, then the end (not complete: it was asked for no more).
    EXPECT_EQ(s.fetch_older("you@test", "arch", 2), MSGR_S_OK);
    EXPECT_EQ(c.logs.count("fetch_older you@test 'arch' 2"), 1u) << c.logs.all();
    items = c.drain();
    ASSERT_EQ(items.size(), 3u);
    for (std::size_t k = 0; k < 2; ++k) {
        const auto *old = item<MessageArrived>(items, k);
        ASSERT_NE(old, nullptr);
        EXPECT_EQ(old->from, "you@test");
        EXPECT_EQ(old->text, "old " + std::to_string(k + 1));
        EXPECT_TRUE(old->older);
        EXPECT_TRUE(old->archived);
        EXPECT_EQ(old->archive_id, "arch-" + std::to_string(k + 1));
        EXPECT_EQ(old->origin_id, "");
        EXPECT_EQ(old->time_unix_ms, 999 - static_cast<std::int64_t>(k));
    }
    const auto *end = item<HistoryEnd>(items, 2);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->peer, "you@test");
    EXPECT_EQ(end->session, c.session());
    EXPECT_FALSE(end->complete);

    // All it has, from the newest (""); the runtime asks for at most 500 (addin.h).
    EXPECT_EQ(s.fetch_older("you@test", "", 100000), MSGR_S_OK);
    EXPECT_EQ(c.logs.count("fetch_older you@test '' 500"), 1u) << c.logs.all();
    items = c.drain();
    ASSERT_EQ(items.size(), 4u);
    ASSERT_NE(item<HistoryEnd>(items, 3), nullptr);
    EXPECT_TRUE(item<HistoryEnd>(items, 3)->complete);
    EXPECT_EQ(c.h.find("misbehave").state, MSGR_ADDIN_LOADED);
}

TEST(AddinConversation, WithoutAnArchiveFetchOlderIsNotCalled) {
    Conversation c;  // the functions, but not MSGR_SERVICE_HAS_ARCHIVE
    ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
    c.signin();
    EXPECT_FALSE(c.service().has_archive());
    EXPECT_EQ(c.service().fetch_older("you@test", "", 10), MSGR_S_FALSE);
    EXPECT_EQ(c.logs.count("fetch_older"), 0u);
    EXPECT_TRUE(c.drain().empty());
}

// An add-in built for ABI 1.3 (its table ends at send_page) loads unchanged: the runtime falls
// back to send_message and answers the rest S_FALSE, though the functions are set beyond the
// table's struct_size.
TEST(AddinConversation, ATableOfABI13LoadsUnchanged) {
    Conversation c(test_service("archive = true\n", "v13_table"), "v13_table");
    ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(c.h.find("v13_table").state, MSGR_ADDIN_LOADED);
    c.signin();
    Service &s = c.service();
    Service::Outgoing m;
    m.message_id = 5;
    m.to = "you@test";
    m.text = "hi";
    m.origin_id = "abc";
    EXPECT_EQ(s.send_message_ex(m), MSGR_S_OK);
    EXPECT_EQ(c.logs.count("send_message 5"), 1u) << c.logs.all();
    EXPECT_EQ(c.logs.count("send_message_ex"), 0u);
    EXPECT_FALSE(s.has_archive());
    EXPECT_EQ(s.send_chat_state("you@test", MSGR_CHAT_STATE_ACTIVE), MSGR_S_FALSE);
    EXPECT_EQ(s.send_displayed("you@test", "r"), MSGR_S_FALSE);
    EXPECT_EQ(s.fetch_older("you@test", "", 5), MSGR_S_FALSE);
    EXPECT_EQ(c.logs.count("chat state"), 0u);
    EXPECT_EQ(c.logs.count("displayed"), 0u);
    const auto items = c.drain();
    ASSERT_EQ(items.size(), 1u);  // the delivery of message 5
    EXPECT_NE(item<DeliveryDone>(items, 0), nullptr);
    EXPECT_EQ(c.h.find("v13_table").state, MSGR_ADDIN_LOADED);
}

// A failing or throwing 1.4 call disables the add-in, as every call does.
TEST(AddinConversation, AFailingNewCallDisablesTheAddin) {
    struct Case {
        const char *table;
        const char *why;
    };
    for (const Case &k : {Case{"fail = [\"send_chat_state\"]\n", "send_chat_state returned"},
                          Case{"throw = [\"send_displayed\"]\n", "send_displayed threw"},
                          Case{"archive = true\nthrow = [\"fetch_older\"]\n", "fetch_older threw"},
                          Case{"fail = [\"send_message_ex\"]\n", "send_message_ex returned"}}) {
        SCOPED_TRACE(k.table);
        Conversation c(test_service(k.table));
        ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
        c.signin();
        Service &s = c.service();
        Service::Outgoing m;
        m.message_id = 9;
        m.to = "you@test";
        m.text = "x";
        m.origin_id = "o9";
        const msgr_hresult results[] = {s.send_chat_state("you@test", MSGR_CHAT_STATE_PAUSED),
                                        s.send_displayed("you@test", "r1"),
                                        s.fetch_older("you@test", "", 1), s.send_message_ex(m)};
        int failed = 0;
        for (const msgr_hresult hr : results)
            failed += MSGR_FAILED(hr) ? 1 : 0;
        EXPECT_GE(failed, 1);
        c.h.tick();
        const msgr_addin_info in = c.h.find("misbehave");
        EXPECT_EQ(in.state, MSGR_ADDIN_DISABLED);
        EXPECT_NE(std::string(in.reason).find(k.why), std::string::npos) << in.reason;
    }
}

// Every malformed 1.4 report is refused with E_INVALIDARG, and none of them reaches the inbox.
TEST(AddinConversation, MalformedReportsAreRefusedAndNothingIsPosted) {
    Conversation c(test_service("post_bad = true\n"));
    ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
    // Its sign-in makes the bad reports, then reports the sign-in: of it, the inbox holds that
    // alone.
    ASSERT_EQ(msgr_signin(c.h.rt, "me@test", ""), MSGR_S_OK) << msgr_last_error();
    // (The loopback service, listed too, signs in as well and reports its contacts and its bots'
    // activities.)
    int mine = 0;
    for (const auto &i : c.drain()) {
        if (const auto *done = std::get_if<SigninDone>(&i)) {
            mine += done->service == "misbehave" ? 1 : 0;
            continue;
        }
        if (const auto *report = std::get_if<msgr::core::ContactReport>(&i)) {
            EXPECT_EQ(report->service, "loopback");
            EXPECT_EQ(report->kind, msgr::core::ContactReport::Kind::activity);
            continue;
        }
        const auto *contact = std::get_if<msgr::core::ContactListChange>(&i);
        ASSERT_NE(contact, nullptr) << "an item of kind " << i.index() << " was posted";
        EXPECT_EQ(contact->service, "loopback");
    }
    EXPECT_EQ(mine, 1);
    for (const char *what : {"ex-small",
                             "ex-null",
                             "ex-other-service",
                             "ex-bad-peer",
                             "ex-null-text",
                             "ex-long-text",
                             "ex-flags",
                             "ex-long-origin",
                             "ex-control-archive",
                             "ex-utf8-receipt",
                             "receipt-other-service",
                             "receipt-sent",
                             "receipt-99",
                             "receipt-no-id",
                             "receipt-empty-id",
                             "receipt-long-id",
                             "receipt-bad-peer",
                             "chat-other-service",
                             "chat-none",
                             "chat-99",
                             "chat-bad-peer",
                             "end-other-service",
                             "end-bad-peer"}) {
        EXPECT_EQ(c.logs.count(std::string("refused: ") + what + " " + hr_hex(MSGR_E_INVALIDARG)),
                  1u)
            << what << "\n"
            << c.logs.all();
    }
    // Refused ones never crossed: the runtime complained about none of them (isolated, it
    // logs a report its own check refuses).
    EXPECT_EQ(c.logs.count("the runtime refused its"), 0u) << c.logs.all();
    EXPECT_EQ(c.h.find("misbehave").state, MSGR_ADDIN_LOADED);
}

// The loopback service, the embedded default, emulates what a contact's client does with a
// message sent with its origin id (the contract's "Loopback emulation"): SENT, a DELIVERED
// receipt, typing, the answer with ids of its own, attention again, then a READ receipt.
TEST(AddinConversation, TheLoopbackEchoDeliversTypesAnswersAndReads) {
    Conversation c(addin_config({}), "loopback");
    ASSERT_EQ(c.h.create_hr, MSGR_S_OK) << msgr_last_error();
    c.signin();
    Service &s = c.service();
    EXPECT_FALSE(s.has_archive());
    EXPECT_EQ(s.fetch_older("echo@loopback", "", 10), MSGR_S_FALSE);
    EXPECT_EQ(s.send_chat_state("echo@loopback", MSGR_CHAT_STATE_COMPOSING), MSGR_S_OK);
    EXPECT_EQ(s.send_displayed("echo@loopback", "echo-x"), MSGR_S_OK);
    EXPECT_TRUE(c.drain().empty());  // taken: nobody on the loopback network reads them

    Service::Outgoing m;
    m.message_id = 31;
    m.to = "Echo@Loopback";  // sign-in names compare case-insensitively
    m.text = "ping 🏓";
    m.origin_id = "k3v9q2";
    ASSERT_EQ(s.send_message_ex(m), MSGR_S_OK) << msgr_last_error();
    const auto items = c.drain();
    ASSERT_EQ(items.size(), 6u);
    const auto *sent = item<DeliveryDone>(items, 0);
    ASSERT_NE(sent, nullptr);
    EXPECT_EQ(sent->message_id, 31u);
    EXPECT_EQ(sent->state, MSGR_DELIVERY_SENT);
    const auto *delivered = item<ReceiptArrived>(items, 1);
    ASSERT_NE(delivered, nullptr);
    EXPECT_EQ(delivered->origin_id, "k3v9q2");
    EXPECT_EQ(delivered->state, MSGR_DELIVERY_DELIVERED);
    EXPECT_EQ(delivered->session, c.session());
    const auto *typing = item<ChatStateChange>(items, 2);
    ASSERT_NE(typing, nullptr);
    EXPECT_EQ(typing->state, MSGR_CHAT_STATE_COMPOSING);
    const auto *answer = item<MessageArrived>(items, 3);
    ASSERT_NE(answer, nullptr);
    EXPECT_EQ(answer->from, "Echo@Loopback");
    EXPECT_EQ(answer->text, "ping 🏓");
    EXPECT_EQ(answer->origin_id, "echo-k3v9q2");  // a resend's echo is the same message
    EXPECT_EQ(answer->receipt_id, "echo-k3v9q2");
    EXPECT_FALSE(answer->from_me || answer->archived || answer->older || answer->page);
    const auto *active = item<ChatStateChange>(items, 4);
    ASSERT_NE(active, nullptr);
    EXPECT_EQ(active->state, MSGR_CHAT_STATE_ACTIVE);
    const auto *read = item<ReceiptArrived>(items, 5);
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->origin_id, "k3v9q2");
    EXPECT_EQ(read->state, MSGR_DELIVERY_READ);
    for (const std::string *service : {&delivered->service, &typing->service, &answer->service,
                                       &active->service, &read->service})
        EXPECT_EQ(*service, "loopback");

    // Anybody else: SENT, and nothing more (nobody answers).
    m.message_id = 32;
    m.to = "nobody@loopback";
    ASSERT_EQ(s.send_message_ex(m), MSGR_S_OK);
    const auto rest = c.drain();
    ASSERT_EQ(rest.size(), 1u);
    ASSERT_NE(item<DeliveryDone>(rest, 0), nullptr);
    EXPECT_EQ(item<DeliveryDone>(rest, 0)->message_id, 32u);
}

// The runtime's history (issue 12) through the C ABI, with the real loopback add-in (isolated,
// and in-process as *_in_process) and real SQLite files in this process's fresh XDG_DATA_HOME
// (tests/support/fresh_data_home.cpp). Where a report the loopback add-in does not make is
// needed (a receipt, a chat state, a carbon, an archive page), the test posts the inbox item a
// service of add-in ABI 1.4 would post, into Runtime::inbox(), as the add-in host does.
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/session.hpp"
#include "support/wait.hpp"

namespace msgr::test {
namespace {

using core::ChatStateChange;
using core::HistoryEnd;
using core::MessageArrived;
using core::ReceiptArrived;

class History : public Session {
  protected:
    using Session::count;
    // A conversation window with `who` (a reference the test holds).
    msgr_window *open(const char *who, HeldWindow &w) {
        EXPECT_EQ(msgr_instant_message(rt, by_name(who), w.out()), MSGR_S_OK) << msgr_last_error();
        return w.get();
    }
    std::size_t count(msgr_window *w) {
        std::size_t n = 0;
        EXPECT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK) << msgr_last_error();
        return n;
    }
    msgr_message get(msgr_window *w, std::size_t i) {
        msgr_message m{};
        m.struct_size = sizeof m;
        EXPECT_EQ(msgr_window_history_get(w, i, &m), MSGR_S_OK) << i << ": " << msgr_last_error();
        return m;
    }
    std::string text(msgr_window *w, std::size_t i) {
        const msgr_message m = get(w, i);
        return m.text != nullptr ? std::string(m.text, m.text_size) : std::string();
    }
    // The loopback network takes the user's messages from now on but never answers them (the
    // control contact's "hold"): they stay PENDING, as after a crash before the server's ack.
    void hold_network() {
        HeldWindow control;
        open("control@loopback", control);
        ASSERT_EQ(msgr_ui_send(control, "hold", nullptr), MSGR_S_OK) << msgr_last_error();
        ASSERT_TRUE(tick_until([&] { return count(control) == 2; }));
        ASSERT_EQ(text(control, 1), "ok: holding");
        ASSERT_EQ(msgr_window_close(control), MSGR_S_OK);
    }
    // The drawing layer's view of w.
    msgr_ui_window_info info(msgr_window *w) {
        std::size_t n = 0;
        EXPECT_EQ(msgr_ui_window_count(rt, &n), MSGR_S_OK);
        for (std::size_t z = 0; z < n; ++z) {
            msgr_ui_window_info i{};
            i.struct_size = sizeof i;
            EXPECT_EQ(msgr_ui_window_get(rt, z, &i), MSGR_S_OK);
            if (i.window == w) return i;
        }
        ADD_FAILURE() << "the window is not open";
        return {};
    }
    // Ticks until pred() holds (at most ~5 s: an isolated add-in answers from its process).
    template <typename P>
    bool tick_until(P pred) {
        for (int i = 0; i < 500; ++i) {
            if (pred()) return true;
            tick();
            if (pred()) return true;
            ::usleep(10000);
        }
        return pred();
    }
    void push(core::InboxItem item) { ASSERT_TRUE(core().inbox().push(std::move(item))); }
    MessageArrived arrived(const char *from, const char *text) {
        MessageArrived m;
        m.service = "loopback";
        m.session = core().session();
        m.from = from;
        m.text = text;
        return m;
    }
    // Sends and waits for its SENT (or beyond: the loopback echo reports DELIVERED and READ).
    void send_sent(msgr_window *w, const std::string &body) {
        std::size_t index = 0;
        ASSERT_EQ(msgr_ui_send(w, body.c_str(), &index), MSGR_S_OK) << msgr_last_error();
        ASSERT_TRUE(tick_until([&] {
            const msgr_delivery_state d = get(w, index).delivery;
            return d == MSGR_DELIVERY_SENT || d == MSGR_DELIVERY_DELIVERED ||
                   d == MSGR_DELIVERY_READ;
        }));
    }
};

// ---- durability across a restart ----

TEST_F(History, SurvivesARestartAndTheReopenedWindowShowsIt) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    {
        HeldWindow w;
        open("echo@loopback", w);
        send_sent(w, "hello, past");
        ASSERT_TRUE(tick_until([&] { return count(w) == 2; }));  // and the echo
    }
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("Echo@Loopback", w);  // the same conversation, however the name is spelled
    ASSERT_EQ(count(w), 2u);
    const msgr_message out = get(w, 0);
    EXPECT_EQ(out.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_EQ(std::string(out.text, out.text_size), "hello, past");
    EXPECT_GE(out.delivery, MSGR_DELIVERY_SENT);
    EXPECT_GT(out.stored_id, 0);
    const msgr_message echo = get(w, 1);
    EXPECT_EQ(echo.direction, MSGR_MESSAGE_INCOMING);
    EXPECT_EQ(std::string(echo.text, echo.text_size), "hello, past");
    EXPECT_NE(echo.stored_id, out.stored_id);
    EXPECT_EQ(info(w).history_count, 2u);
    // What the reopened window adds comes after it.
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(w, "and now", &index), MSGR_S_OK);
    EXPECT_EQ(index, 2u);
}

TEST_F(History, CountAndGetCoverMoreThanMemoryReadingTheStore) {
    TempConfig cfg("[history]\nmemory_messages = 16\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    constexpr std::size_t kSent = 150;
    {
        HeldWindow w;
        open("bob@loopback", w);
        for (std::size_t i = 0; i < kSent; ++i) {
            std::size_t index = 0;
            ASSERT_EQ(msgr_ui_send(w, ("m" + std::to_string(i)).c_str(), &index), MSGR_S_OK);
            ASSERT_EQ(index, i);
        }
        tick(3);
        ASSERT_EQ(count(w), kSent);
        // Every entry, the oldest read from the store page by page, in order.
        for (std::size_t i = 0; i < kSent; ++i)
            EXPECT_EQ(text(w, i), "m" + std::to_string(i));
        // The window keeps only the recent part in memory.
        EXPECT_LE(w.get()->recent.size(), 16u);
        ASSERT_TRUE(tick_until([&] { return get(w, kSent - 1).delivery == MSGR_DELIVERY_SENT; }));
        // A delivery change of an entry that left memory was stored too.
        EXPECT_EQ(get(w, 0).delivery, MSGR_DELIVERY_SENT);
        msgr_message m{};
        m.struct_size = sizeof m;
        EXPECT_EQ(msgr_window_history_get(w, kSent, &m), MSGR_E_INVALIDARG);
        EXPECT_EQ(m.text, nullptr);
    }
    // A new window over the same conversation reads the same, from its own memory and the store.
    HeldWindow again;
    open("bob@loopback", again);
    ASSERT_EQ(count(again), kSent);
    EXPECT_EQ(text(again, 0), "m0");
    EXPECT_EQ(text(again, 77), "m77");
    EXPECT_EQ(text(again, kSent - 1), "m" + std::to_string(kSent - 1));
}

// ---- receiving ----

TEST_F(History, TheSameOriginIdTwiceIsShownOnce) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    MessageArrived m = arrived("carol@loopback", "only once");
    m.origin_id = "origin-1";
    push(m);
    push(m);
    MessageArrived archived = arrived("carol@loopback", "only once");
    archived.archive_id = "arch-1";
    archived.origin_id = "origin-1";  // the same message again, from the archive
    push(archived);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_MESSAGE_RECEIVED), 1);
    const Recorded *r = last(MSGR_EVENT_MESSAGE_RECEIVED);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(count(r->window), 1u);
    // Across a restart too: the store remembers it.
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    push(arrived("carol@loopback", "only once"));  // no id: cannot be told apart, shown
    MessageArrived again = arrived("carol@loopback", "only once");
    again.origin_id = "origin-1";
    push(again);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_MESSAGE_RECEIVED), 1);
    r = last(MSGR_EVENT_MESSAGE_RECEIVED);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(count(r->window), 2u);
}

TEST_F(History, FromMeIsAnOutgoingEntryFromAnotherDeviceWithoutAnEvent) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    MessageArrived m = arrived("dave@loopback", "sent from my phone");
    m.from_me = true;
    m.origin_id = "phone-1";
    m.time_unix_ms = 1700000000000;
    push(m);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_MESSAGE_RECEIVED), 0);
    EXPECT_EQ(count(MSGR_EVENT_DELIVERY_CHANGE), 0);
    const Recorded *created = last(MSGR_EVENT_IM_WINDOW_CREATED);
    ASSERT_NE(created, nullptr);  // it opens the window, as an incoming message does
    msgr_window *w = created->window;
    msgr_window_add_ref(w);  // lent until the next tick: kept
    ASSERT_EQ(count(w), 1u);
    const msgr_message e = get(w, 0);
    EXPECT_EQ(e.direction, MSGR_MESSAGE_OUTGOING);
    EXPECT_EQ(e.delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(e.flags & MSGR_MESSAGE_OTHER_DEVICE, MSGR_MESSAGE_OTHER_DEVICE);
    EXPECT_EQ(e.time_unix_ms, 1700000000000);
    EXPECT_EQ(info(w).unseen_count, 0u);
    MessageArrived a = arrived("dave@loopback", "from the archive");
    a.archived = true;
    a.archive_id = "a-9";
    push(a);
    tick();
    EXPECT_EQ(get(w, 1).flags & MSGR_MESSAGE_ARCHIVED, MSGR_MESSAGE_ARCHIVED);
    msgr_window_release(w);
}

// ---- delivery states ----

TEST_F(History, ReceiptsByOriginIdMoveDeliveryForwardAndReadCoversEarlier) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("erin@loopback", w);
    for (int i = 0; i < 3; ++i)
        send_sent(w, "line " + std::to_string(i));
    const std::string origin1 = w.get()->recent[1].origin_id;
    const std::string origin2 = w.get()->recent[2].origin_id;
    ASSERT_EQ(origin1.size(), 32u);  // 128 random bits in hex
    EXPECT_NE(origin1, origin2);
    events.clear();
    ReceiptArrived r;
    r.service = "loopback";
    r.session = core().session();
    r.peer = "erin@loopback";
    r.origin_id = origin1;
    r.state = MSGR_DELIVERY_DELIVERED;
    push(r);
    tick();
    EXPECT_EQ(get(w, 1).delivery, MSGR_DELIVERY_DELIVERED);
    EXPECT_EQ(get(w, 0).delivery, MSGR_DELIVERY_SENT);
    const Recorded *ch = last(MSGR_EVENT_DELIVERY_CHANGE);
    ASSERT_NE(ch, nullptr);
    EXPECT_EQ(ch->status, MSGR_DELIVERY_DELIVERED);
    EXPECT_EQ(ch->index, 1u);
    EXPECT_EQ(ch->window, w.get());
    // READ of the last covers the earlier ones.
    r.origin_id = origin2;
    r.state = MSGR_DELIVERY_READ;
    push(r);
    tick();
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(get(w, i).delivery, MSGR_DELIVERY_READ) << i;
    EXPECT_EQ(count(MSGR_EVENT_DELIVERY_CHANGE), 4);  // DELIVERED, then READ for each of three
    // Forward only: a late DELIVERED, a repeated READ change nothing and raise nothing.
    r.state = MSGR_DELIVERY_DELIVERED;
    push(r);
    r.origin_id = origin1;
    r.state = MSGR_DELIVERY_READ;
    push(r);
    r.origin_id = "not-ours";
    push(r);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_DELIVERY_CHANGE), 4);
    EXPECT_EQ(get(w, 2).delivery, MSGR_DELIVERY_READ);
    // Stored: a restart shows READ.
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow again;
    open("erin@loopback", again);
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(get(again, i).delivery, MSGR_DELIVERY_READ) << i;
}

// READ covers what came before in the store too: with a window that keeps 16 entries in memory,
// the outgoing entries older than memory (stored only) become READ as well, without an event
// each; the in-memory ones raise theirs. Incoming entries and later outgoing ones keep their
// state. A conversation no window shows changes in the store alone.
TEST_F(History, ReadCoversEarlierEntriesThatAreOnlyInTheStore) {
    TempConfig cfg("[history]\nmemory_messages = 16\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("erin@loopback", w);
    constexpr std::size_t kSent = 40;
    std::size_t incoming = 0;
    for (std::size_t i = 0; i < kSent; ++i) {
        std::size_t index = 0;
        ASSERT_EQ(msgr_ui_send(w, ("line " + std::to_string(i)).c_str(), &index), MSGR_S_OK)
            << msgr_last_error();
        if (i == 10) {  // an answer in between, long out of memory by the end
            push(arrived("erin@loopback", "an answer"));
            tick();
            incoming = index + 1;
        }
    }
    const std::size_t n = kSent + 1;
    const auto all_sent = [&] {
        for (std::size_t i = 0; i < n; ++i) {
            if (i != incoming && get(w, i).delivery != MSGR_DELIVERY_SENT) return false;
        }
        return true;
    };
    ASSERT_TRUE(step_until([&] { tick(); }, all_sent, std::chrono::seconds(10),
                           std::chrono::milliseconds(10)));
    ASSERT_EQ(count(w), n);
    ASSERT_EQ(get(w, incoming).direction, MSGR_MESSAGE_INCOMING);
    ASSERT_LE(w.get()->recent.size(), 16u);
    const std::int64_t first_in_memory = w.get()->recent.front().seq - w.get()->first_seq;
    ASSERT_GT(first_in_memory, 20);  // the first twenty and the answer are stored only
    // A read mark for the fifth-last entry (in memory): every outgoing entry before it is READ.
    const std::size_t marked = n - 5;
    const msgr_window::Entry &m = w.get()->recent[w.get()->recent.size() - 5];
    ASSERT_EQ(m.seq - w.get()->first_seq, static_cast<std::int64_t>(marked));
    events.clear();
    ReceiptArrived r;
    r.service = "loopback";
    r.session = core().session();
    r.peer = "erin@loopback";
    r.origin_id = m.origin_id;
    r.state = MSGR_DELIVERY_READ;
    push(r);
    tick();
    for (std::size_t i = 0; i < n; ++i) {
        const msgr_delivery_state want = i == incoming ? MSGR_DELIVERY_NONE
                                         : i <= marked ? MSGR_DELIVERY_READ
                                                       : MSGR_DELIVERY_SENT;
        EXPECT_EQ(get(w, i).delivery, want) << i;
    }
    // One event for the marked entry and one for each earlier outgoing entry in memory; none
    // for the stored-only ones.
    EXPECT_EQ(count(MSGR_EVENT_DELIVERY_CHANGE),
              static_cast<int>(marked - static_cast<std::size_t>(first_in_memory) + 1));
    // No window: a read mark still covers the stored conversation. The entries after the mark
    // (SENT) become READ with a mark for the newest, while the window is closed.
    const std::string newest = w.get()->recent.back().origin_id;
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    (void)w.out();
    r.origin_id = newest;
    push(r);
    tick();
    // Stored: a restart reads every outgoing entry READ, from memory and store alike.
    destroy();
    events.clear();
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow again;
    open("erin@loopback", again);
    ASSERT_EQ(count(again), n);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(get(again, i).delivery, i == incoming ? MSGR_DELIVERY_NONE : MSGR_DELIVERY_READ)
            << i;
    }
}

TEST_F(History, ACallerOfTheFirstMessageStructSeesSentForDeliveredAndRead) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("erin@loopback", w);
    send_sent(w, "hello");
    ReceiptArrived r;
    r.service = "loopback";
    r.session = core().session();
    r.peer = "erin@loopback";
    r.origin_id = w.get()->recent[0].origin_id;
    r.state = MSGR_DELIVERY_READ;
    push(r);
    tick();
    ASSERT_EQ(get(w, 0).delivery, MSGR_DELIVERY_READ);
    msgr_message old{};
    old.struct_size = static_cast<std::uint32_t>(offsetof(msgr_message, stored_id));
    ASSERT_EQ(msgr_window_history_get(w, 0, &old), MSGR_S_OK);
    EXPECT_EQ(old.delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(old.struct_size, offsetof(msgr_message, stored_id));
}

// ---- sending durably ----

TEST_F(History, AFailedAppendFailsTheSendAndKeepsTheDraft) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("bob@loopback", w);
    send_sent(w, "first");
    ASSERT_NE(core().store(), nullptr);
    core().store()->wait_idle();
    ASSERT_EQ(msgr_window_set_draft(w, "keep me"), MSGR_S_OK);
    // A full disk, for real: no file of this process may grow any more (SIGXFSZ ignored, the
    // write fails with EFBIG). The WAL must grow to take the append.
    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    struct sigaction ignore {};
    struct sigaction old_action {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old_action), 0);
    struct rlimit tiny = saved;
    tiny.rlim_cur = 0;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
    events.clear();
    std::size_t index = 77;
    const msgr_hresult hr = msgr_ui_send(w, "keep me", &index);
    const std::string why = msgr_last_error();
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    ASSERT_EQ(::sigaction(SIGXFSZ, &old_action, nullptr), 0);
    EXPECT_TRUE(MSGR_FAILED(hr)) << msgr_hresult_name(hr);
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(index, 0u);
    const char *draft = nullptr;
    ASSERT_EQ(msgr_window_get_draft(w, &draft), MSGR_S_OK);
    EXPECT_STREQ(draft, "keep me");
    EXPECT_EQ(count(w), 1u);  // nothing recorded, nothing sent
    tick(3);
    EXPECT_EQ(count(MSGR_EVENT_DELIVERY_CHANGE), 0);
    // With room again it goes.
    ASSERT_EQ(msgr_ui_send(w, draft, &index), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(index, 1u);
}

TEST_F(History, AStoreThatCannotOpenLeavesHistoryInMemoryAndSearchSaysWhy) {
    TempConfig cfg("[history]\npath = \"not-a-directory\"\n");
    std::ofstream(cfg.dir() + "/not-a-directory") << "a file where the directory should be";
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    EXPECT_EQ(core().store(), nullptr);
    EXPECT_NE(core().store_failure().find("could not be opened"), std::string::npos)
        << core().store_failure();
    HeldWindow w;
    open("echo@loopback", w);
    send_sent(w, "still works");
    ASSERT_TRUE(tick_until([&] { return count(w) == 2; }));
    EXPECT_EQ(get(w, 0).stored_id, 0);
    std::uint64_t id = 5;
    EXPECT_EQ(msgr_history_search(rt, "still", 10, &id), MSGR_E_FAIL);
    EXPECT_EQ(id, 0u);
    EXPECT_NE(std::string(msgr_last_error()).find("could not be opened"), std::string::npos);
}

// ---- recovery at sign-in ----

TEST_F(History, WhatTheLastRunLeftPendingIsSentAgainAtSignin) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    hold_network();
    std::int64_t stored = 0;
    {
        HeldWindow w;
        open("echo@loopback", w);
        std::size_t index = 0;
        ASSERT_EQ(msgr_ui_send(w, "across the crash", &index), MSGR_S_OK);
        stored = get(w, index).stored_id;
        ASSERT_EQ(get(w, index).delivery, MSGR_DELIVERY_PENDING);
    }
    // A message the last run accepted but never heard back about: PENDING in the store when
    // the runtime is destroyed.
    tick();
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    // Resent: SENT, and the echo contact answers the resend (which opens the window).
    ASSERT_TRUE(tick_until([&] { return count(MSGR_EVENT_IM_WINDOW_CREATED) == 1; }));
    HeldWindow w;
    open("echo@loopback", w);
    ASSERT_TRUE(tick_until([&] { return count(w) == 2; })) << count(w) << " " << text(w, 0);
    const msgr_message m = get(w, 0);
    EXPECT_EQ(m.stored_id, stored);
    EXPECT_EQ(std::string(m.text, m.text_size), "across the crash");
    EXPECT_GE(m.delivery, MSGR_DELIVERY_SENT);
    EXPECT_NE(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(text(w, 1), "across the crash");
    // Once: a second sign-in resends nothing.
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    tick(5);
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
}

TEST_F(History, WithoutResendAfterRestartWhatWasPendingFailsWithTheReason) {
    TempConfig cfg("[history]\nresend_after_restart = false\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    hold_network();
    {
        HeldWindow w;
        open("bob@loopback", w);
        ASSERT_EQ(msgr_ui_send(w, "never delivered", nullptr), MSGR_S_OK);
    }
    tick();
    destroy();
    events.clear();
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    tick();
    HeldWindow w;
    open("bob@loopback", w);
    const msgr_message m = get(w, 0);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_STREQ(m.delivery_reason, "the runtime stopped before it was delivered");
    const Recorded *ch = last(MSGR_EVENT_DELIVERY_CHANGE);
    ASSERT_NE(ch, nullptr);
    EXPECT_EQ(ch->status, MSGR_DELIVERY_FAILED);
}

// ---- search ----

TEST_F(History, SearchFindsOpensAtTheHitAndIsReleased) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    {
        HeldWindow w;
        open("bob@loopback", w);
        for (int i = 0; i < 20; ++i)
            ASSERT_EQ(msgr_ui_send(w, ("filler " + std::to_string(i)).c_str(), nullptr), MSGR_S_OK);
        ASSERT_EQ(msgr_ui_send(w, "the treasure is under the oak", nullptr), MSGR_S_OK);
        ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    }
    tick();
    core().store()->wait_idle();
    std::uint64_t id = 0;
    EXPECT_EQ(msgr_history_search(rt, "", 10, &id), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_history_search(rt, "treas", 0, &id), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_history_search(rt, nullptr, 10, &id), MSGR_E_INVALIDARG);
    ASSERT_EQ(msgr_history_search(rt, "treas", 10, &id), MSGR_S_OK) << msgr_last_error();
    ASSERT_NE(id, 0u);
    ASSERT_TRUE(tick_until([&] { return count(MSGR_EVENT_SEARCH_DONE) == 1; }));
    EXPECT_EQ(last(MSGR_EVENT_SEARCH_DONE)->index, id);
    EXPECT_EQ(last(MSGR_EVENT_SEARCH_DONE)->hr, MSGR_S_OK);
    std::size_t n = 0;
    ASSERT_EQ(msgr_search_result_count(rt, id, &n), MSGR_S_OK);
    ASSERT_EQ(n, 1u);
    msgr_search_result hit{};
    hit.struct_size = sizeof hit;
    ASSERT_EQ(msgr_search_result_get(rt, id, 0, &hit), MSGR_S_OK);
    EXPECT_EQ(std::string(hit.text, hit.text_size), "the treasure is under the oak");
    EXPECT_NE(std::string(hit.snippet, hit.snippet_size).find('\x02'), std::string::npos);
    EXPECT_EQ(hit.kind, MSGR_WINDOW_CONVERSATION);
    EXPECT_EQ(hit.direction, MSGR_MESSAGE_OUTGOING);
    ASSERT_NE(hit.contact, nullptr);
    const char *who = nullptr;
    ASSERT_EQ(msgr_contact_signin_name(hit.contact, &who), MSGR_S_OK);
    EXPECT_STREQ(who, "bob@loopback");
    EXPECT_EQ(msgr_search_result_get(rt, id, 1, &hit), MSGR_E_INVALIDARG);
    EXPECT_EQ(hit.text, nullptr);
    // Open: the conversation's window, scrolled to the hit.
    HeldWindow w;
    ASSERT_EQ(msgr_search_open(rt, id, 0, w.out()), MSGR_S_OK) << msgr_last_error();
    const msgr_ui_window_info i = info(w);
    EXPECT_EQ(i.scroll_serial, 1u);
    EXPECT_EQ(i.scroll_index, 20u);
    EXPECT_EQ(text(w, i.scroll_index), "the treasure is under the oak");
    ASSERT_EQ(msgr_search_release(rt, id), MSGR_S_OK);
    EXPECT_EQ(msgr_search_result_count(rt, id, &n), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_search_release(rt, id), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_search_open(rt, 12345, 0, w.out()), MSGR_E_INVALIDARG);
    // Sign-out forgets the results.
    ASSERT_EQ(msgr_history_search(rt, "oak", 10, &id), MSGR_S_OK);
    ASSERT_TRUE(tick_until([&] { return count(MSGR_EVENT_SEARCH_DONE) == 2; }));
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    EXPECT_EQ(msgr_search_result_count(rt, id, &n), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_history_search(rt, "oak", 10, &id), MSGR_E_NOT_LOGGED_ON);
}

// ---- forgetting ----

TEST_F(History, ForgetTheContactThenEverything) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow bob;
    HeldWindow carol;
    open("bob@loopback", bob);
    open("carol@loopback", carol);
    send_sent(bob, "to bob");
    send_sent(carol, "to carol");
    HeldContact c;
    ASSERT_EQ(msgr_window_contact(bob, c.out()), MSGR_S_OK);
    const std::uint64_t serial = info(bob).history_serial;
    ASSERT_EQ(msgr_history_forget_contact(c), MSGR_S_OK);
    EXPECT_EQ(count(bob), 0u);
    EXPECT_GT(info(bob).history_serial, serial);
    EXPECT_EQ(count(carol), 1u);
    // Gone from the store: a restart shows nothing of bob, carol's still there.
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow bob2;
    HeldWindow carol2;
    open("bob@loopback", bob2);
    open("carol@loopback", carol2);
    EXPECT_EQ(count(bob2), 0u);
    EXPECT_EQ(count(carol2), 1u);
    ASSERT_EQ(msgr_history_forget_all(rt), MSGR_S_OK);
    EXPECT_EQ(count(carol2), 0u);
    destroy();
    events.clear();
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow carol3;
    open("carol@loopback", carol3);
    EXPECT_EQ(count(carol3), 0u);
    ASSERT_EQ(msgr_signout(rt), MSGR_S_OK);
    EXPECT_EQ(msgr_history_forget_all(rt), MSGR_E_NOT_LOGGED_ON);
}

// ---- typing, read markers, archive pages ----

TEST_F(History, TypingEventsBothWays) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    ChatStateChange s;
    s.service = "loopback";
    s.session = core().session();
    s.peer = "frank@loopback";
    s.state = MSGR_CHAT_STATE_COMPOSING;
    push(s);
    tick();
    const Recorded *t = last(MSGR_EVENT_TYPING);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->status, MSGR_CHAT_STATE_COMPOSING);
    EXPECT_EQ(t->window, nullptr);  // no window is open: none opens
    EXPECT_EQ(count(MSGR_EVENT_IM_WINDOW_CREATED), 0);
    HeldWindow w;
    open("frank@loopback", w);
    push(s);
    tick();
    EXPECT_EQ(last(MSGR_EVENT_TYPING)->window, w.get());
    EXPECT_EQ(info(w).peer_chat_state, MSGR_CHAT_STATE_COMPOSING);
    push(arrived("frank@loopback", "done typing"));
    tick();
    EXPECT_EQ(info(w).peer_chat_state, MSGR_CHAT_STATE_ACTIVE);  // a message ends it
    // The user's own.
    EXPECT_EQ(msgr_ui_set_chat_state(w, MSGR_CHAT_STATE_COMPOSING), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_set_chat_state(w, MSGR_CHAT_STATE_COMPOSING), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_set_chat_state(w, static_cast<msgr_chat_state>(99)), MSGR_E_INVALIDARG);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_set_chat_state(w, MSGR_CHAT_STATE_GONE), MSGR_E_FAIL);
}

TEST_F(History, SeenMarksIncomingEntriesAndCountsTheUnseen) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    for (const char *t : {"one", "two", "three"}) {
        MessageArrived m = arrived("gina@loopback", t);
        m.receipt_id = std::string("r-") + t;
        push(m);
    }
    tick();
    const Recorded *created = last(MSGR_EVENT_IM_WINDOW_CREATED);
    ASSERT_NE(created, nullptr);
    msgr_window *w = created->window;
    msgr_window_add_ref(w);
    EXPECT_EQ(info(w).unseen_count, 3u);
    ASSERT_EQ(msgr_ui_history_seen(w, 1), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(info(w).unseen_count, 1u);
    EXPECT_EQ(w->displayed_receipt, "r-two");
    EXPECT_EQ(get(w, 0).flags & MSGR_MESSAGE_SEEN, MSGR_MESSAGE_SEEN);
    EXPECT_EQ(get(w, 1).flags & MSGR_MESSAGE_SEEN, MSGR_MESSAGE_SEEN);
    EXPECT_EQ(get(w, 2).flags & MSGR_MESSAGE_SEEN, 0u);
    EXPECT_EQ(msgr_ui_history_seen(w, 3), MSGR_E_INVALIDARG);
    ASSERT_EQ(msgr_ui_history_seen(w, 2), MSGR_S_OK);
    EXPECT_EQ(info(w).unseen_count, 0u);
    EXPECT_EQ(w->displayed_receipt, "r-three");
    // Stored: a new window shows them seen.
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    EXPECT_EQ(msgr_ui_history_seen(w, 0), MSGR_E_FAIL);
    msgr_window_release(w);
    HeldWindow again;
    open("gina@loopback", again);
    EXPECT_EQ(info(again).unseen_count, 0u);
    EXPECT_EQ(get(again, 2).flags & MSGR_MESSAGE_SEEN, MSGR_MESSAGE_SEEN);
}

TEST_F(History, OlderArchivePagesArePrependedAndRaisedOnce) {
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("hank@loopback", w);
    send_sent(w, "newest");
    // The loopback service keeps no archive.
    EXPECT_EQ(msgr_window_fetch_older(w), MSGR_S_FALSE);
    events.clear();
    for (const char *t : {"older 2", "older 1"}) {
        MessageArrived m = arrived("hank@loopback", t);
        m.older = true;
        m.archived = true;
        m.archive_id = t;
        push(m);
    }
    HistoryEnd end;
    end.service = "loopback";
    end.session = core().session();
    end.peer = "hank@loopback";
    end.complete = true;
    push(end);
    tick();
    EXPECT_EQ(count(MSGR_EVENT_MESSAGE_RECEIVED), 0);
    const Recorded *p = last(MSGR_EVENT_HISTORY_PREPENDED);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->index, 2u);
    EXPECT_EQ(p->hr, MSGR_S_FALSE);
    ASSERT_EQ(count(w), 3u);
    EXPECT_EQ(text(w, 0), "older 1");
    EXPECT_EQ(text(w, 1), "older 2");
    EXPECT_EQ(text(w, 2), "newest");
}

// ---- history off ----

TEST_F(History, OffKeepsEverythingInMemoryAndNothingAcrossARestart) {
    TempConfig cfg("[history]\nenabled = false\n");
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    EXPECT_EQ(core().store(), nullptr);
    {
        HeldWindow w;
        open("bob@loopback", w);
        for (int i = 0; i < 300; ++i)
            ASSERT_EQ(msgr_ui_send(w, ("m" + std::to_string(i)).c_str(), nullptr), MSGR_S_OK);
        EXPECT_EQ(count(w), 300u);
        EXPECT_EQ(text(w, 0), "m0");
        EXPECT_EQ(get(w, 0).stored_id, 0);
        std::uint64_t id = 0;
        EXPECT_EQ(msgr_history_search(rt, "m1", 10, &id), MSGR_E_FAIL);
        EXPECT_NE(std::string(msgr_last_error()).find("history is off"), std::string::npos);
        MessageArrived m = arrived("bob@loopback", "dup");
        m.origin_id = "o";
        push(m);
        push(m);
        tick();
        EXPECT_EQ(count(w), 301u);  // deduplicated against memory
    }
    destroy();
    create(cfg.path());
    ASSERT_EQ(signin(), MSGR_S_OK);
    HeldWindow w;
    open("bob@loopback", w);
    EXPECT_EQ(count(w), 0u);
    EXPECT_FALSE(
        std::filesystem::exists(std::string(std::getenv("XDG_DATA_HOME")) + "/msgr/history"));
}

}  // namespace
}  // namespace msgr::test

// The conventions msgr.h's header comment states, through libmsgr.so as a host sees it: the
// struct_size rule, one version, and network text with its size (NULs included).
#include <cstddef>
#include <cstring>
#include <string>

#include "c_abi/host.hpp"

namespace msgr::test {
namespace {

// A buffer larger than the struct, for a caller built against an older (smaller) or a newer
// (larger) header: every byte starts as 0xA5, so what the library wrote shows.
template <typename S>
struct Buffer {
    alignas(S) unsigned char bytes[sizeof(S) + 32];
    Buffer(std::uint32_t struct_size) {  // NOLINT: implicit on purpose
        std::memset(bytes, 0xA5, sizeof bytes);
        std::memcpy(bytes, &struct_size, sizeof struct_size);
    }
    S *get() { return reinterpret_cast<S *>(bytes); }
    std::uint32_t struct_size() const {
        std::uint32_t n = 0;
        std::memcpy(&n, bytes, sizeof n);
        return n;
    }
    // Whether every byte from `from` on is still 0xA5 (the library wrote nothing there).
    bool untouched_from(std::size_t from) const {
        for (std::size_t i = from; i < sizeof bytes; ++i) {
            if (bytes[i] != 0xA5) return false;
        }
        return true;
    }
};

struct Signedin {
    Host host;
    msgr_window *w = nullptr;
    Signedin() {
        host.signin();
        EXPECT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
        EXPECT_EQ(msgr_ui_send(w, "hello", nullptr), MSGR_S_OK);
        host.tick(3);
    }
    ~Signedin() { msgr_window_release(w); }
    Signedin(const Signedin &) = delete;
    Signedin &operator=(const Signedin &) = delete;
};

// ---- struct_size ----

TEST(StructSize, AnOlderMessageIsFilledAsFarAsItGoesAndKeepsItsSize) {
    Signedin s;
    const std::uint32_t old_size = offsetof(msgr_message, flags);  // before 0.1 added flags
    Buffer<msgr_message> m(old_size);
    ASSERT_EQ(msgr_window_history_get(s.w, 0, m.get()), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(m.struct_size(), old_size);
    EXPECT_EQ(std::string(m.get()->text, m.get()->text_size), "hello");
    EXPECT_TRUE(m.untouched_from(old_size)) << "wrote past the caller's struct";
}

TEST(StructSize, ANewerCallersSizeIsKeptAndNothingPastOursIsWritten) {
    Signedin s;
    const std::uint32_t newer = sizeof(msgr_message) + 16;
    Buffer<msgr_message> m(newer);
    ASSERT_EQ(msgr_window_history_get(s.w, 0, m.get()), MSGR_S_OK);
    EXPECT_EQ(m.struct_size(), newer);
    EXPECT_TRUE(m.untouched_from(sizeof(msgr_message)));

    Buffer<msgr_ui_window_info> info(sizeof(msgr_ui_window_info) + 16);
    ASSERT_EQ(msgr_ui_window_get(s.host.rt, 0, info.get()), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(info.struct_size(), sizeof(msgr_ui_window_info) + 16) << "the caller's, kept";
    EXPECT_EQ(info.get()->window, s.w);
    EXPECT_TRUE(info.untouched_from(sizeof(msgr_ui_window_info)));
}

// A host built against the first ui.h (ending with history_count) must keep working when the
// struct grows: the library's minimum is that first version, not its own sizeof. Today the two are
// equal; this size stays fixed when a field is added, and then is smaller than the current one.
TEST(StructSize, AFirstVersionWindowInfoIsFilledAsFarAsItGoes) {
    Signedin s;
    const std::uint32_t first =
        offsetof(msgr_ui_window_info, history_count) + sizeof(msgr_ui_window_info::history_count);
    Buffer<msgr_ui_window_info> info(first);
    ASSERT_EQ(msgr_ui_window_get(s.host.rt, 0, info.get()), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(info.struct_size(), first) << "the caller's, kept";
    EXPECT_EQ(info.get()->window, s.w);
    std::size_t count = 0;
    ASSERT_EQ(msgr_window_history_count(s.w, &count), MSGR_S_OK);
    EXPECT_EQ(info.get()->history_count, count) << "the last field of the first version";
    EXPECT_TRUE(info.untouched_from(first)) << "wrote past the caller's struct";
}

TEST(StructSize, AnOlderAddinInfoIsFilledAsFarAsItGoes) {
    Host host;
    const std::uint32_t old_size = offsetof(msgr_addin_info, abi_major);
    Buffer<msgr_addin_info> info(old_size);
    ASSERT_EQ(msgr_addin_get_info(host.rt, 0, info.get()), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(info.struct_size(), old_size);
    EXPECT_NE(info.get()->name, nullptr);
    EXPECT_TRUE(info.untouched_from(old_size));
}

TEST(StructSize, TooSmallForTheFirstVersionIsRefusedWithAReason) {
    Signedin s;
    Buffer<msgr_message> m(offsetof(msgr_message, time_unix_ms));
    EXPECT_EQ(msgr_window_history_get(s.w, 0, m.get()), MSGR_E_INVALIDARG);
    EXPECT_NE(std::string(msgr_last_error()).find("msgr_message.struct_size"), std::string::npos)
        << msgr_last_error();
    EXPECT_EQ(m.struct_size(), offsetof(msgr_message, time_unix_ms));

    Buffer<msgr_ui_window_info> info(offsetof(msgr_ui_window_info, history_count));
    EXPECT_EQ(msgr_ui_window_get(s.host.rt, 0, info.get()), MSGR_E_INVALIDARG);
    EXPECT_NE(std::string(msgr_last_error()).find("msgr_ui_window_info.struct_size"),
              std::string::npos)
        << msgr_last_error();

    Buffer<msgr_addin_info> addin(8);
    EXPECT_EQ(msgr_addin_get_info(s.host.rt, 0, addin.get()), MSGR_E_INVALIDARG);
    EXPECT_NE(std::string(msgr_last_error()).find("struct_size"), std::string::npos)
        << msgr_last_error();
}

// The MY_STATUS_CHANGE event that setting `status` raises, copied out of its callback (its
// pointers are not followed: only the struct's own fields are read).
msgr_event status_change_event(Host &host, std::int32_t status) {
    msgr_event seen{};
    msgr_subscription sub = 0;
    EXPECT_EQ(msgr_subscribe(
                  host.rt, MSGR_EVENT_MY_STATUS_CHANGE,
                  [](const msgr_event *ev, void *user) { *static_cast<msgr_event *>(user) = *ev; },
                  &seen, &sub),
              MSGR_S_OK);
    EXPECT_EQ(msgr_set_my_status(host.rt, status), MSGR_S_OK);
    host.tick();
    EXPECT_EQ(msgr_unsubscribe(host.rt, sub), MSGR_S_OK);
    return seen;
}

TEST(StructSize, EventsCarryTheRuntimesOwnSize) {
    Host host;
    host.signin();
    EXPECT_EQ(status_change_event(host, MSGR_STATUS_BUSY).struct_size, sizeof(msgr_event));
}

// ---- one version ----

TEST(Version, TheHeaderTheLibraryAndTheBuildAgree) {
    const std::string header = std::to_string(MSGR_VERSION_MAJOR) + "." +
                               std::to_string(MSGR_VERSION_MINOR) + "." +
                               std::to_string(MSGR_VERSION_PATCH);
    EXPECT_EQ(std::string(msgr_version()), header);
    EXPECT_EQ(std::string(MSGR_CMAKE_PROJECT_VERSION), header)
        << "CMake's project() VERSION is not the one msgr.h says";
}

// ---- network text holds NULs ----

// The message's window, kept past the callback: an event's window is borrowed for the callback
// only (msgr.h), so the callback takes a reference and the test releases it.
struct Received {
    msgr_window *window = nullptr;
    std::string text;  // text_size bytes of it
    std::size_t index = 0;
    Received() = default;
    ~Received() {
        if (window != nullptr) msgr_window_release(window);
    }
    Received(const Received &) = delete;
    Received &operator=(const Received &) = delete;

    static void record(const msgr_event *ev, void *user) {
        auto *self = static_cast<Received *>(user);
        const std::string text = ev->text == nullptr ? "" : std::string(ev->text, ev->text_size);
        // The first message that is not the control contact's "ok" after it.
        if (self->window != nullptr || text == "ok") return;
        msgr_window_add_ref(ev->window);
        self->window = ev->window;
        self->text = text;
        self->index = ev->index;
    }
};

TEST(NetworkText, AnEmbeddedNulReachesTheEventAndTheHistoryWhole) {
    Host host;
    host.signin();
    Received got;  // released before host destroys the runtime
    msgr_subscription sub = 0;
    ASSERT_EQ(msgr_subscribe(host.rt, MSGR_EVENT_MESSAGE_RECEIVED, &Received::record, &got, &sub),
              MSGR_S_OK);
    // "a\0b\0" and a last byte: the loopback network sends raw bytes (say-hex).
    ASSERT_EQ(host.control("say-hex nul@loopback 6100620063"), "ok");
    const std::string sent("a\0b\0c", 5);
    ASSERT_NE(got.window, nullptr);
    EXPECT_EQ(got.text, sent) << "the event's text_size covers every byte";
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(got.window, got.index, &m), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(std::string(m.text, m.text_size), sent);
}

TEST(NetworkText, EventsWithoutTextHaveSizeZero) {
    Host host;
    host.signin();
    const msgr_event ev = status_change_event(host, MSGR_STATUS_AWAY);
    EXPECT_EQ(ev.type, MSGR_EVENT_MY_STATUS_CHANGE);
    EXPECT_EQ(ev.text, nullptr);
    EXPECT_EQ(ev.text_size, 0u);
}

}  // namespace
}  // namespace msgr::test

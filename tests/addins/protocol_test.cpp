// The wire protocol between the runtime and an add-in process: the codec (every frame type
// round trips; truncated, oversize and padded frames are refused) and Channel over a real
// socketpair (whole frames, deadlines, a peer that closes, a size prefix out of bounds).
#include "addins/protocol.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "msgr/addin.h"

namespace wire = msgr::core::wire;

namespace {

// One frame of every type, with every field set to something other than its default.
std::vector<wire::Frame> sample_frames() {
    wire::Hello hello;
    hello.pid = 4242;
    hello.hr = -2147467259;
    hello.problem = 7;
    hello.reason = "the file changed after it was verified";
    hello.descriptor = {"loopback", "1.2.3", "a service", "loopback", {"paging", "xmpp"}, 1, 4};

    wire::LoadReply load_reply;
    load_reply.hr = 1;
    load_reply.load_error = "no server configured";
    load_reply.threw = "threw an exception: boom";
    load_reply.registration.services = {{"loopback", 3, 65536, true, true, false, true, false},
                                        {"other", 0, 0, false, false, true, false, true}};
    load_reply.registration.paging = true;
    load_reply.registration.max_page_utf16 = 160;
    load_reply.registration.has_knows_mobile = true;
    load_reply.registration.subscriptions = {1, 5, -3};
    load_reply.registration.drawers_refused = 2;
    load_reply.posts = 1ull << 40;

    wire::Reply reply{9, -2147024809, "threw", 1, 1, "Friendly é", 77};
    wire::PageVia page_via{12, "me@x", "you@y", "sms", std::string(1000, 'p')};
    wire::UnloadReply unload_reply{"threw an exception: unload", 3};
    wire::Load load{"[addin.x]\nkey = 1\n", "/etc/msgr.toml"};
    wire::Call call{5, wire::Method::Submit, 2, 99, -1, "from", "to", "svc", "text"};
    call.d += std::string("\0with nul\0", 10);  // texts may hold NULs
    call.i64 = -1700000000123;
    wire::Event event{17, 2, 3, -5, 4, 1ull << 33, "hello, 世界"};
    wire::PageViaReply page_via_reply{-2147418113};
    wire::Log log{2, "a log line"};
    wire::Post post{wire::PostKind::MessageEx,
                    "loopback",
                    8,
                    14,
                    "friend@x",
                    "hi",
                    -7,
                    1,
                    1700000000123,
                    "origin",
                    "archive",
                    "receipt"};
    wire::EventsDone events_done{123456789012ull};
    wire::SlotFailed slot_failed{18, 6, -2147467259, "threw an exception: slot"};

    wire::Unload unload{true};

    return {hello, load_reply,     reply,  page_via, unload_reply, load,        call,
            event, page_via_reply, unload, log,      post,         events_done, slot_failed};
}

std::string body_of(const std::string &frame) {
    return frame.substr(4);
}

std::uint32_t size_prefix(const std::string &frame) {
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
        n |= static_cast<std::uint32_t>(static_cast<unsigned char>(frame[i])) << (8 * i);
    return n;
}

}  // namespace

TEST(WireCodec, EveryFrameTypeRoundTrips) {
    const auto frames = sample_frames();
    ASSERT_EQ(frames.size(), std::variant_size_v<wire::Frame>);
    for (const auto &f : frames) {
        SCOPED_TRACE(static_cast<int>(wire::type_of(f)));
        const std::string bytes = wire::encode(f);
        EXPECT_EQ(size_prefix(bytes), bytes.size() - 4);
        wire::Frame back;
        std::string why;
        ASSERT_TRUE(wire::decode(body_of(bytes), back, why)) << why;
        EXPECT_EQ(back.index(), f.index());
        EXPECT_EQ(wire::type_of(back), wire::type_of(f));
        EXPECT_EQ(wire::encode(back), bytes);
    }
}

TEST(WireCodec, FieldsSurviveTheTrip) {
    wire::Call call{5,   wire::Method::SendPage, 2,   99,  -1,
                    "a", std::string("b\0b", 3), "c", "d", -5};
    wire::Frame back;
    std::string why;
    ASSERT_TRUE(wire::decode(body_of(wire::encode(call)), back, why)) << why;
    const auto &c = std::get<wire::Call>(back);
    EXPECT_EQ(c.seq, 5u);
    EXPECT_EQ(c.method, wire::Method::SendPage);
    EXPECT_EQ(c.target, 2u);
    EXPECT_EQ(c.id, 99u);
    EXPECT_EQ(c.i32, -1);
    EXPECT_EQ(c.a, "a");
    EXPECT_EQ(c.b, std::string("b\0b", 3));
    EXPECT_EQ(c.c, "c");
    EXPECT_EQ(c.d, "d");
    EXPECT_EQ(c.i64, -5);
}

// The frames of add-in ABI 1.4: a call for each new service function, a post for each new
// report, and the registration of a 1.4 table, each with its fields intact.
TEST(WireCodec, TheABI14CallsPostsAndRegistrationRoundTrip) {
    for (const wire::Method m : {wire::Method::SendMessageEx, wire::Method::SendChatState,
                                 wire::Method::SendDisplayed, wire::Method::FetchOlder}) {
        const wire::Call call{7, m, 1, 42, 3, "you@x", "text", "origin-1", "", INT64_MIN};
        wire::Frame back;
        std::string why;
        ASSERT_TRUE(wire::decode(body_of(wire::encode(call)), back, why)) << why;
        const auto &c = std::get<wire::Call>(back);
        EXPECT_EQ(c.method, m);
        EXPECT_EQ(c.i32, 3);
        EXPECT_EQ(c.c, "origin-1");
        EXPECT_EQ(c.i64, INT64_MIN);
    }
    for (const wire::PostKind k : {wire::PostKind::MessageEx, wire::PostKind::Receipt,
                                   wire::PostKind::ChatState, wire::PostKind::HistoryEnd}) {
        const wire::Post post{k, "svc", 3, 0, "peer@x", "t", 0xf, 0, 99, "o", "a", "r"};
        wire::Frame back;
        std::string why;
        ASSERT_TRUE(wire::decode(body_of(wire::encode(post)), back, why)) << why;
        const auto &p = std::get<wire::Post>(back);
        EXPECT_EQ(p.kind, k);
        EXPECT_EQ(p.i32, 0xf);
        EXPECT_EQ(p.i64, 99);
        EXPECT_EQ(p.origin_id, "o");
        EXPECT_EQ(p.archive_id, "a");
        EXPECT_EQ(p.receipt_id, "r");
    }
    wire::LoadReply r;
    r.registration.services = {
        {"svc", MSGR_SERVICE_HAS_ARCHIVE, 10, false, true, true, true, true}};
    wire::Frame back;
    std::string why;
    ASSERT_TRUE(wire::decode(body_of(wire::encode(r)), back, why)) << why;
    const auto &s = std::get<wire::LoadReply>(back).registration.services.at(0);
    EXPECT_FALSE(s.has_send_page);
    EXPECT_TRUE(s.has_send_message_ex && s.has_send_chat_state && s.has_send_displayed &&
                s.has_fetch_older);
}

// The frames of add-in ABI 1.6 (protocol version 3): a call for each contact list function, a
// post for each contact list report, and the registration of a 1.6 table.
TEST(WireCodec, TheABI16CallsPostsAndRegistrationRoundTrip) {
    EXPECT_GE(wire::kVersion, 3u);
    for (const wire::Method m :
         {wire::Method::AddContact, wire::Method::RemoveContact, wire::Method::Authorize,
          wire::Method::SetBlocked, wire::Method::SetFriendlyName}) {
        wire::Call call;
        call.seq = 9;
        call.method = m;
        call.target = 1;
        call.a = "friend@x";
        call.i32 = 1;
        wire::Frame back;
        std::string why;
        ASSERT_TRUE(wire::decode(body_of(wire::encode(call)), back, why)) << why;
        const auto &c = std::get<wire::Call>(back);
        EXPECT_EQ(c.method, m);
        EXPECT_EQ(c.a, "friend@x");
        EXPECT_EQ(c.i32, 1);
    }
    for (const wire::PostKind k : {wire::PostKind::AddResult, wire::PostKind::AuthorizationRequest,
                                   wire::PostKind::Blocked, wire::PostKind::FriendlyName}) {
        wire::Post post;
        post.kind = k;
        post.service = "svc";
        post.session = 4;
        post.who = "peer@x";
        post.text = "Name \xe2\x80\x94 two";
        post.i32 = 1;
        post.hr = MSGR_E_USER_NOT_FOUND;
        wire::Frame back;
        std::string why;
        ASSERT_TRUE(wire::decode(body_of(wire::encode(post)), back, why)) << why;
        const auto &p = std::get<wire::Post>(back);
        EXPECT_EQ(p.kind, k);
        EXPECT_EQ(p.who, "peer@x");
        EXPECT_EQ(p.text, post.text);
        EXPECT_EQ(p.i32, 1);
        EXPECT_EQ(p.hr, MSGR_E_USER_NOT_FOUND);
    }
    wire::Frame back;
    std::string why;
    wire::LoadReply r;
    wire::ServiceRegistration reg;
    reg.id = "svc";
    reg.max_message_bytes = 10;
    reg.has_add_contact = reg.has_authorize = reg.has_set_friendly_name = true;
    r.registration.services = {reg};
    ASSERT_TRUE(wire::decode(body_of(wire::encode(r)), back, why)) << why;
    const auto &s = std::get<wire::LoadReply>(back).registration.services.at(0);
    EXPECT_TRUE(s.has_add_contact && s.has_authorize && s.has_set_friendly_name);
    EXPECT_FALSE(s.has_remove_contact || s.has_set_blocked);
}

// The frames of add-in ABI 1.7 (protocol version 4): set_activity's call, the activity post
// (its text byte for byte, the empty one too), and the registration of a 1.7 table.
TEST(WireCodec, TheABI17ActivityCallPostAndRegistrationRoundTrip) {
    EXPECT_EQ(wire::kVersion, 4u);
    for (const std::string &text :
         {std::string("In a match \xe2\x80\x94 3/4 players"), std::string()}) {
        wire::Call call;
        call.seq = 11;
        call.method = wire::Method::SetActivity;
        call.target = 2;
        call.a = text;
        wire::Frame back;
        std::string why;
        ASSERT_TRUE(wire::decode(body_of(wire::encode(call)), back, why)) << why;
        const auto &c = std::get<wire::Call>(back);
        EXPECT_EQ(c.method, wire::Method::SetActivity);
        EXPECT_EQ(c.target, 2u);
        EXPECT_EQ(c.a, text);

        wire::Post post;
        post.kind = wire::PostKind::Activity;
        post.service = "svc";
        post.session = 7;
        post.who = "peer@x";
        post.text = text;
        ASSERT_TRUE(wire::decode(body_of(wire::encode(post)), back, why)) << why;
        const auto &p = std::get<wire::Post>(back);
        EXPECT_EQ(p.kind, wire::PostKind::Activity);
        EXPECT_EQ(p.service, "svc");
        EXPECT_EQ(p.session, 7u);
        EXPECT_EQ(p.who, "peer@x");
        EXPECT_EQ(p.text, text);
    }
    for (const bool has : {true, false}) {
        wire::Frame back;
        std::string why;
        wire::LoadReply r;
        wire::ServiceRegistration reg;
        reg.id = "svc";
        reg.max_message_bytes = 10;
        reg.has_set_friendly_name = true;
        reg.has_set_activity = has;
        r.registration.services = {reg};
        ASSERT_TRUE(wire::decode(body_of(wire::encode(r)), back, why)) << why;
        const auto &s = std::get<wire::LoadReply>(back).registration.services.at(0);
        EXPECT_EQ(s.has_set_activity, has);
        EXPECT_TRUE(s.has_set_friendly_name);
    }
}

TEST(WireCodec, EveryTruncationIsRefused) {
    for (const auto &f : sample_frames()) {
        const std::string body = body_of(wire::encode(f));
        for (std::size_t n = 0; n < body.size(); ++n) {
            wire::Frame out;
            std::string why;
            EXPECT_FALSE(wire::decode(std::string_view(body).substr(0, n), out, why))
                << "type " << static_cast<int>(wire::type_of(f)) << " cut to " << n;
            EXPECT_FALSE(why.empty());
        }
    }
}

TEST(WireCodec, TrailingBytesAreRefused) {
    for (const auto &f : sample_frames()) {
        const std::string body = body_of(wire::encode(f)) + '\0';
        wire::Frame out;
        std::string why;
        EXPECT_FALSE(wire::decode(body, out, why));
        EXPECT_NE(why.find("left over"), std::string::npos) << why;
    }
}

TEST(WireCodec, UnknownTypesMethodsAndFlagsAreRefused) {
    wire::Frame out;
    std::string why;
    EXPECT_FALSE(wire::decode(std::string("\x63\x00", 2), out, why));
    EXPECT_NE(why.find("unknown frame type 99"), std::string::npos) << why;

    std::string call = body_of(wire::encode(wire::Call{}));
    call[2 + 8] = 42;  // the method, after the type and the seq
    EXPECT_FALSE(wire::decode(call, out, why));
    EXPECT_NE(why.find("unknown call method"), std::string::npos) << why;
    call[2 + 8] = 19;  // one past the last (SetActivity)
    EXPECT_FALSE(wire::decode(call, out, why));
    EXPECT_NE(why.find("unknown call method 19"), std::string::npos) << why;

    std::string post = body_of(wire::encode(wire::Post{}));
    post[2] = 0;
    EXPECT_FALSE(wire::decode(post, out, why));
    EXPECT_NE(why.find("unknown post kind"), std::string::npos) << why;
    post[2] = 17;  // one past the last (Activity)
    EXPECT_FALSE(wire::decode(post, out, why));
    EXPECT_NE(why.find("unknown post kind 17"), std::string::npos) << why;

    wire::LoadReply r;
    r.registration.paging = true;
    std::string reply = body_of(wire::encode(r));
    // the paging flag: type, hr, two empty strings, an empty service list
    const std::size_t flag = 2 + 4 + 4 + 4 + 4;
    ASSERT_EQ(reply[flag], 1);
    reply[flag] = 2;
    EXPECT_FALSE(wire::decode(reply, out, why));
    EXPECT_NE(why.find("not 0 or 1"), std::string::npos) << why;
}

TEST(WireCodec, OversizeIsRefused) {
    // A short string one byte over its bound, encoded by hand (encode refuses to).
    wire::Log log{1, std::string(wire::kMaxShort, 'x')};
    std::string body = body_of(wire::encode(log));
    const std::uint32_t over = wire::kMaxShort + 1;
    std::memcpy(&body[2 + 4], &over, 4);
    body.push_back('x');
    wire::Frame out;
    std::string why;
    EXPECT_FALSE(wire::decode(body, out, why));
    EXPECT_NE(why.find("exceeds its bound"), std::string::npos) << why;

    // A text at its bound passes; one over it cannot be encoded.
    EXPECT_NO_THROW(wire::encode(wire::Event{1, 0, 0, 0, 0, 0, std::string(wire::kMaxText, 'e')}));
    EXPECT_THROW(wire::encode(wire::Event{1, 0, 0, 0, 0, 0, std::string(wire::kMaxText + 1, 'e')}),
                 std::length_error);
    EXPECT_THROW(wire::encode(wire::Log{1, std::string(wire::kMaxShort + 1, 'l')}),
                 std::length_error);
    // Two texts at their bounds make a frame past kMaxFrame.
    wire::Call call;
    call.b = std::string(wire::kMaxText, 'b');
    call.d = std::string(wire::kMaxText, 'd');
    EXPECT_THROW(wire::encode(call), std::length_error);

    // A list one over its bound.
    wire::Descriptor d;
    d.depends.assign(wire::kMaxList + 1, "x");
    EXPECT_THROW(wire::encode(wire::Hello{wire::kVersion, 1, 0, 0, "", d}), std::length_error);
    d.depends.assign(wire::kMaxList, "x");
    std::string hello = body_of(wire::encode(wire::Hello{wire::kVersion, 1, 0, 0, "", d}));
    // the count of depends: after type, version, pid, hr, problem, reason, 4 empty strings
    const std::size_t count = 2 + 4 + 4 + 4 + 4 + 4 + 4 * 4;
    const std::uint32_t too_many = wire::kMaxList + 1;
    std::memcpy(&hello[count], &too_many, 4);
    EXPECT_FALSE(wire::decode(hello, out, why));
    EXPECT_NE(why.find("list of 65"), std::string::npos) << why;

    // A body past kMaxFrame.
    EXPECT_FALSE(wire::decode(std::string(wire::kMaxFrame + 1, '\0'), out, why));
}

namespace {

struct Pair {
    Pair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::runtime_error("socketpair failed");
        a = wire::Channel(fds[0]);
        b = wire::Channel(fds[1]);
    }
    wire::Channel a, b;
};

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

TEST(WireChannel, SendsAndReceivesWholeFrames) {
    Pair p;
    set_nonblocking(p.a.fd());
    std::string why;
    for (const auto &f : sample_frames())
        ASSERT_EQ(p.a.send(f, 1000, why), wire::Channel::Status::ok) << why;
    for (const auto &f : sample_frames()) {
        wire::Frame back;
        ASSERT_EQ(p.b.receive(back, 1000, why), wire::Channel::Status::ok) << why;
        EXPECT_EQ(wire::encode(back), wire::encode(f));
    }
}

TEST(WireChannel, LargeFrameWithPartialWritesOnANonBlockingSocket) {
    Pair p;
    set_nonblocking(p.a.fd());
    set_nonblocking(p.b.fd());
    const wire::Event big{1, 0, 0, 0, 0, 0, std::string(wire::kMaxText, 'z')};
    std::thread reader([&] {
        wire::Frame back;
        std::string why;
        EXPECT_EQ(p.b.receive(back, 5000, why), wire::Channel::Status::ok) << why;
        EXPECT_EQ(std::get<wire::Event>(back).text.size(), wire::kMaxText);
    });
    std::string why;
    EXPECT_EQ(p.a.send(big, 5000, why), wire::Channel::Status::ok) << why;
    reader.join();
}

TEST(WireChannel, ReceiveTimesOut) {
    Pair p;
    wire::Frame out;
    std::string why;
    EXPECT_EQ(p.b.receive(out, 0, why), wire::Channel::Status::timeout);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(p.b.receive(out, 50, why), wire::Channel::Status::timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
    // Half a frame, then nothing: still a timeout, and the rest completes it later.
    const std::string bytes = wire::encode(wire::Log{1, "split"});
    ASSERT_EQ(p.a.send_raw(std::string_view(bytes).substr(0, 7), 100, why),
              wire::Channel::Status::ok);
    EXPECT_EQ(p.b.receive(out, 20, why), wire::Channel::Status::timeout);
    ASSERT_EQ(p.a.send_raw(std::string_view(bytes).substr(7), 100, why), wire::Channel::Status::ok);
    ASSERT_EQ(p.b.receive(out, 100, why), wire::Channel::Status::ok) << why;
    EXPECT_EQ(std::get<wire::Log>(out).text, "split");
}

TEST(WireChannel, SendTimesOutWhenThePeerDoesNotRead) {
    Pair p;
    set_nonblocking(p.a.fd());
    std::string why;
    const wire::Event big{1, 0, 0, 0, 0, 0, std::string(wire::kMaxText, 'z')};
    wire::Channel::Status s = wire::Channel::Status::ok;
    for (int i = 0; i < 64 && s == wire::Channel::Status::ok; ++i)
        s = p.a.send(big, 50, why);
    EXPECT_EQ(s, wire::Channel::Status::timeout) << why;
}

TEST(WireChannel, PeerClosed) {
    Pair p;
    std::string why;
    p.a.close();
    wire::Frame out;
    EXPECT_EQ(p.b.receive(out, 1000, why), wire::Channel::Status::closed);
    // Writing to a closed peer is an error code, never SIGPIPE.
    EXPECT_EQ(p.b.send(wire::Log{1, "x"}, 1000, why), wire::Channel::Status::closed) << why;
    EXPECT_EQ(p.a.send(wire::Log{1, "x"}, 1000, why), wire::Channel::Status::closed);
}

TEST(WireChannel, PeerClosedInTheMiddleOfAFrame) {
    Pair p;
    std::string why;
    const std::string bytes = wire::encode(wire::Log{1, "cut"});
    ASSERT_EQ(p.a.send_raw(std::string_view(bytes).substr(0, 6), 100, why),
              wire::Channel::Status::ok);
    p.a.close();
    wire::Frame out;
    EXPECT_EQ(p.b.receive(out, 1000, why), wire::Channel::Status::closed);
    EXPECT_NE(why.find("middle of a frame"), std::string::npos) << why;
}

TEST(WireChannel, SizePrefixOutOfBoundsIsMalformedWithoutReadingTheBody) {
    for (std::uint32_t size :
         {0u, 1u, static_cast<std::uint32_t>(wire::kMaxFrame + 1), 0xffffffffu}) {
        Pair p;
        std::string why;
        std::string prefix(4, '\0');
        std::memcpy(prefix.data(), &size, 4);
        ASSERT_EQ(p.a.send_raw(prefix, 100, why), wire::Channel::Status::ok);
        // The body is never sent: the receiver decides from the prefix alone.
        wire::Frame out;
        EXPECT_EQ(p.b.receive(out, 1000, why), wire::Channel::Status::malformed) << size;
        EXPECT_NE(why.find("frame size"), std::string::npos) << why;
    }
}

TEST(WireChannel, MalformedBodyIsReported) {
    Pair p;
    std::string why;
    std::string bytes = wire::encode(wire::EventsDone{3});
    bytes[4] = 0x7f;  // an unknown type
    ASSERT_EQ(p.a.send_raw(bytes, 100, why), wire::Channel::Status::ok);
    wire::Frame out;
    EXPECT_EQ(p.b.receive(out, 1000, why), wire::Channel::Status::malformed);
    EXPECT_NE(why.find("unknown frame type"), std::string::npos) << why;
}

TEST(WireChannel, MoveKeepsTheFdAndClosesOnce) {
    Pair p;
    const int fd = p.a.fd();
    wire::Channel moved(std::move(p.a));
    EXPECT_EQ(moved.fd(), fd);
    EXPECT_EQ(p.a.fd(), -1);
    std::string why;
    EXPECT_EQ(p.a.send(wire::Log{}, 0, why), wire::Channel::Status::closed);
    EXPECT_EQ(moved.send(wire::Log{1, "m"}, 100, why), wire::Channel::Status::ok) << why;
    wire::Frame out;
    EXPECT_EQ(p.b.receive(out, 100, why), wire::Channel::Status::ok) << why;
}

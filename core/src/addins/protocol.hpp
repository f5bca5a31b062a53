// The wire protocol between the runtime and an isolated add-in's process (msgr-addin-host).
//
// Two Unix stream sockets per add-in process, both created by the runtime (socketpair):
//   the call channel (fd 3 in the add-in process): the runtime's requests and the process's
//     answers, strictly in turn, plus the events the runtime sends one-way. Only the runtime's
//     owner thread uses its end, and only the add-in process's main thread (the add-in's owner
//     thread there) uses the other.
//   the post channel (fd 4 in the add-in process): one-way, add-in process -> runtime: the
//     add-in's reports (msgr_host_post_*), its log lines and the acknowledgement of events. Any
//     thread of the add-in writes it (one mutex); a reader thread of the runtime reads it and
//     calls the runtime's own host functions, so that an isolated add-in's reports are checked
//     exactly as an in-process add-in's are, and wait the same way while the inbox is full.
//
// A frame: u32 body size (little endian, 2 <= size <= kMaxFrame), then the body: u16 type, then
// the type's fields in order. Integers are little endian; a string is u32 length + bytes (no
// NUL); a list is u32 count + elements. decode() refuses anything else: an unknown type, a field
// cut short, bytes left over, a string or list longer than its bound. A frame is never trusted:
// whatever the add-in side sends is checked again by the runtime's host functions.
//
// Sequence (the runtime's side):
//   spawn -> read Hello (load_timeout) -> [Load -> LoadReply (load_timeout, with nested PageVia
//   never allowed here)] -> Call -> Reply (call_timeout; inside a Submit call the process may
//   send PageVia first, answered by PageViaReply, any number of times) / Event (one-way) ...
//   -> Unload -> UnloadReply -> the process exits.
// Every answer (LoadReply, Reply, UnloadReply) carries `posts`: how many frames the process had
// written to the post channel when it answered. The runtime returns from the call only once its
// reader has handled that many (within the call's deadline), so that what an add-in reported
// before returning is in the inbox when the call returns, as in-process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace msgr::core::wire {

// Bumped on any change to a frame; the Hello carries it and the runtime refuses another.
// 2: add-in ABI 1.4 (conversations that last); 3: add-in ABI 1.6 (the contact list);
// 4: add-in ABI 1.7 (rich presence: SetActivity, PostKind::Activity, has_set_activity)
constexpr std::uint32_t kVersion = 4;
// The largest frame body: a 1 MiB message or configuration text plus its fields.
constexpr std::size_t kMaxFrame = (1u << 20) + (64u << 10);
// Bounds the decoder enforces (bytes for strings, elements for lists).
constexpr std::size_t kMaxText = 1u << 20;  // message, page and configuration text
constexpr std::size_t kMaxShort = 4096;     // names, ids, versions, reasons, log lines
constexpr std::size_t kMaxList = 64;        // services, subscriptions, dependencies

enum class Type : std::uint16_t {
    // process -> runtime, call channel
    Hello = 1,
    LoadReply = 2,
    Reply = 3,
    PageVia = 4,
    UnloadReply = 5,
    // runtime -> process, call channel
    Load = 16,
    Call = 17,
    Event = 18,
    PageViaReply = 19,
    Unload = 20,
    // process -> runtime, post channel
    Log = 32,
    Post = 33,
    EventsDone = 34,
    SlotFailed = 35,
};

// What the add-in's descriptor says (read and checked in the add-in process, checked again by
// the runtime: names valid, ABI acceptable).
struct Descriptor {
    std::string name, version, description, config_table;
    std::vector<std::string> depends;
    std::uint16_t abi_major = 0, abi_minor = 0;
};

// The first frame of a process: its protocol version, and whether it could load the add-in.
// hr != S_OK: refused before load; problem is an msgr_addin_problem, reason says why.
struct Hello {
    std::uint32_t version = kVersion;
    std::int32_t pid = 0;
    std::int32_t hr = 0;
    std::uint32_t problem = 0;
    std::string reason;
    Descriptor descriptor;  // meaningful when hr == S_OK
};

// The add-in's configuration: its own table as TOML text (empty: none), and the file's origin.
struct Load {
    std::string config_toml;
    std::string config_origin;
};

// What the add-in registered during load (in the process).
struct ServiceRegistration {
    std::string id;
    std::uint32_t flags = 0;
    std::uint32_t max_message_bytes = 0;
    bool has_send_page = false;
    // ABI 1.4: which of the conversation functions its table has.
    bool has_send_message_ex = false;
    bool has_send_chat_state = false;
    bool has_send_displayed = false;
    bool has_fetch_older = false;
    // ABI 1.6: which of the contact list functions its table has.
    bool has_add_contact = false;
    bool has_remove_contact = false;
    bool has_authorize = false;
    bool has_set_blocked = false;
    bool has_set_friendly_name = false;
    // ABI 1.7: whether its table has set_activity.
    bool has_set_activity = false;
};
struct Registration {
    std::vector<ServiceRegistration> services;  // index = the `target` of service calls
    bool paging = false;
    std::uint32_t max_page_utf16 = 0;
    bool has_knows_mobile = false;
    std::vector<std::int32_t> subscriptions;  // event type per subscription; index = Event.sub
    std::uint32_t drawers_refused = 0;        // drawers it tried to register (refused here)
};

struct LoadReply {
    std::int32_t hr = 0;
    std::string load_error;  // what msgr_host_set_error said
    std::string threw;       // "" or "threw an exception: ..."
    Registration registration;
    std::uint64_t posts = 0;
};

enum class Method : std::uint16_t {
    KnowsMobile = 1,  // a = service, b = signin                     -> Reply.out = 0/1
    Submit = 2,       // id = message id, a = from, b = to, c = to_service, d = text
    Signin = 3,       // target, id = session, a = name, b = password
    Signout = 4,      // target
    SetStatus = 5,    // target, i32 = status
    Describe = 6,     // target, a = signin               -> Reply.out = status, mobile, friendly
    SendMessage = 7,  // target, id = message id, a = to, b = text
    SendPage = 8,     // target, id = message id, a = to, b = text
    // ABI 1.4
    SendMessageEx = 9,   // target, id = message id, a = to, b = text, c = origin id,
                         // i32 = resend (0/1), i64 = time_unix_ms; ABI 1.5: group, members
    SendChatState = 10,  // target, a = to, i32 = msgr_chat_state
    SendDisplayed = 11,  // target, a = to, c = receipt id
    FetchOlder = 12,     // target, a = peer, c = archive id, i32 = max
    // ABI 1.6
    AddContact = 13,       // target, a = signin
    RemoveContact = 14,    // target, a = signin
    Authorize = 15,        // target, a = signin, i32 = accept (0/1)
    SetBlocked = 16,       // target, a = signin, i32 = blocked (0/1)
    SetFriendlyName = 17,  // target, a = name
    // ABI 1.7
    SetActivity = 18,  // target, a = the user's activity ("" cleared)
};

struct Call {
    std::uint64_t seq = 0;
    Method method = Method::KnowsMobile;
    std::uint32_t target = 0;  // the service's index in Registration.services
    std::uint64_t id = 0;
    std::int32_t i32 = 0;
    std::string a, b, c, d;
    std::int64_t i64 = 0;
    std::string group{}, members{};  // SendMessageEx (ABI 1.5): "" one-to-one
};

struct Reply {
    std::uint64_t seq = 0;  // the Call's
    std::int32_t hr = 0;
    std::string threw;
    std::int32_t out = 0;     // knows_mobile: 0/1; describe: status
    std::int32_t mobile = 0;  // describe
    std::string friendly;     // describe
    std::uint64_t posts = 0;
};

// An event for one subscription. The window and contact of msgr_event do not cross (they are
// the host's objects): an isolated add-in sees them NULL.
struct Event {
    std::uint64_t seq = 0;  // 1, 2, 3, ... per process
    std::uint32_t sub = 0;  // index in Registration.subscriptions
    std::int32_t type = 0, hr = 0, status = 0;
    std::uint64_t index = 0;
    std::string text;
};

// msgr_host_page_via_service from inside Submit: the page the add-in hands on.
struct PageVia {
    std::uint64_t id = 0;
    std::string from, to, to_service, text;
};
struct PageViaReply {
    std::int32_t hr = 0;
};

struct Unload {
    // The runtime still takes the add-in's reports while it unloads (the paging add-in at the
    // runtime's destroy reports the pages it cannot keep); otherwise they are refused at once.
    bool reports_taken = false;
};
struct UnloadReply {
    std::string threw;
    std::uint64_t posts = 0;
};

struct Log {
    std::int32_t level = 0;
    std::string text;
};

enum class PostKind : std::uint16_t {
    Signin = 1,    // service, session, hr
    Offline = 2,   // service, session, hr
    Contact = 3,   // service, session, who, i32 = added
    Status = 4,    // service, session, who, i32 = status
    Message = 5,   // service, session, who = from, text
    Page = 6,      // service, session, who = from, text
    Delivery = 7,  // id = message id, i32 = msgr_delivery_state, hr
    // ABI 1.4
    MessageEx = 8,    // service, session, who = peer, text, i32 = MSGR_INCOMING_* flags,
                      // i64 = time_unix_ms, origin_id, archive_id, receipt_id
    Receipt = 9,      // service, session, who = peer, origin_id, i32 = msgr_delivery_state
    ChatState = 10,   // service, session, who = peer, i32 = msgr_chat_state
    HistoryEnd = 11,  // service, session, who = peer, i32 = complete (0/1)
    // ABI 1.6
    AddResult = 12,             // service, session, who = signin, hr
    AuthorizationRequest = 13,  // service, session, who = from
    Blocked = 14,               // service, session, who = signin, i32 = blocked (0/1)
    FriendlyName = 15,          // service, session, who = signin, text = name
    // ABI 1.7
    Activity = 16,  // service, session, who = signin, text = activity ("" none)
};
struct Post {
    PostKind kind = PostKind::Signin;
    std::string service;
    std::uint64_t session = 0;
    std::uint64_t id = 0;
    std::string who;
    std::string text;
    std::int32_t i32 = 0;
    std::int32_t hr = 0;
    std::int64_t i64 = 0;
    std::string origin_id, archive_id, receipt_id;  // MessageEx; Receipt: origin_id
    std::string group{};                            // MessageEx (ABI 1.5): "" one-to-one
};

// Every event with a seq up to this one has been handled (the process sends it when it has no
// more events waiting, so one acknowledgement may cover many).
struct EventsDone {
    std::uint64_t seq = 0;
};

// An event slot of the add-in returned a failure (hr) or threw (threw != ""): the runtime
// disables the add-in at its next poll, as it would have in its own process.
struct SlotFailed {
    std::uint64_t seq = 0;  // the Event's
    std::int32_t type = 0;  // the event's type
    std::int32_t hr = 0;
    std::string threw;
};

using Frame = std::variant<Hello, LoadReply, Reply, PageVia, UnloadReply, Load, Call, Event,
                           PageViaReply, Unload, Log, Post, EventsDone, SlotFailed>;

// The frame's type.
Type type_of(const Frame &f) noexcept;
// The whole frame: size prefix and body. Throws std::length_error past kMaxFrame (a caller's
// bug: the senders bound what they put in).
std::string encode(const Frame &f);
// One frame body (without the size prefix). false, with why, for anything malformed.
bool decode(std::string_view body, Frame &out, std::string &why);

// A socket end that sends and receives whole frames. Writes use MSG_NOSIGNAL (a dead peer is an
// error, never SIGPIPE). Reads and writes honour a deadline (poll); the runtime's ends are
// non-blocking. Not thread-safe: one reader and one writer at a time (the post channel's writers
// share a mutex of their own).
class Channel {
  public:
    enum class Status { ok, closed, timeout, error, malformed };

    Channel() = default;
    explicit Channel(int fd) : fd_(fd) {}
    ~Channel();  // closes the fd
    Channel(const Channel &) = delete;
    Channel &operator=(const Channel &) = delete;
    Channel(Channel &&o) noexcept;
    Channel &operator=(Channel &&o) noexcept;

    int fd() const noexcept { return fd_; }
    // Sends one frame; timeout_ms < 0 waits without limit.
    Status send(const Frame &f, int timeout_ms, std::string &why);
    // Sends bytes already encoded (encode()).
    Status send_raw(std::string_view bytes, int timeout_ms, std::string &why);
    // Receives one frame; timeout_ms < 0 waits without limit, 0 only takes what is buffered or
    // readable now (timeout when none).
    Status receive(Frame &out, int timeout_ms, std::string &why);
    void close() noexcept;

  private:
    int fd_ = -1;
    std::string in_;  // bytes received, not yet a whole frame
};

}  // namespace msgr::core::wire

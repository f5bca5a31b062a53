#include "addins/protocol.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

namespace msgr::core::wire {

namespace {

// One description of each frame's fields, used by both the writer and the reader, so that the
// two can never disagree: `io(archive, frame)` lists the fields in wire order.
template <class F, class T>
concept Is = std::same_as<std::remove_const_t<F>, T>;

class Writer {
  public:
    explicit Writer(std::string &out) : out_(out) {}
    void u8(const bool &v) { out_.push_back(v ? '\1' : '\0'); }
    void u16(const std::uint16_t &v) { put(v, 2); }
    void u32(const std::uint32_t &v) { put(v, 4); }
    void u64(const std::uint64_t &v) { put(v, 8); }
    void i32(const std::int32_t &v) { put(static_cast<std::uint32_t>(v), 4); }
    void i64(const std::int64_t &v) { put(static_cast<std::uint64_t>(v), 8); }
    template <class E>
    void e16(const E &v) {
        u16(static_cast<std::uint16_t>(v));
    }
    void str(const std::string &s, std::size_t bound) {
        // A frame the peer would refuse is the sender's bug: it bounds what it puts in.
        if (s.size() > bound)
            throw std::length_error("wire: a string of " + std::to_string(s.size()) +
                                    " bytes exceeds its bound of " + std::to_string(bound));
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
    }
    template <class T, class Fn>
    void list(const std::vector<T> &v, Fn &&each) {
        if (v.size() > kMaxList)
            throw std::length_error("wire: a list of " + std::to_string(v.size()) +
                                    " elements exceeds its bound of " + std::to_string(kMaxList));
        u32(static_cast<std::uint32_t>(v.size()));
        for (const T &e : v)
            each(e);
    }

  private:
    void put(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i)
            out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
    std::string &out_;
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const noexcept { return why_.empty(); }
    const std::string &why() const noexcept { return why_; }
    std::size_t left() const noexcept { return in_.size() - pos_; }
    void fail(std::string why) {
        if (why_.empty()) why_ = std::move(why);
    }

    void u8(bool &v) {
        std::uint64_t x = 0;
        if (!get(x, 1)) return;
        if (x > 1) return fail("a flag is " + std::to_string(x) + ", not 0 or 1");
        v = x == 1;
    }
    void u16(std::uint16_t &v) { v = static_cast<std::uint16_t>(take(2)); }
    void u32(std::uint32_t &v) { v = static_cast<std::uint32_t>(take(4)); }
    void u64(std::uint64_t &v) { v = take(8); }
    void i32(std::int32_t &v) {
        v = static_cast<std::int32_t>(static_cast<std::uint32_t>(take(4)));
    }
    void i64(std::int64_t &v) { v = static_cast<std::int64_t>(take(8)); }
    template <class E>
    void e16(E &v) {
        v = static_cast<E>(take(2));
    }
    void str(std::string &s, std::size_t bound) {
        std::uint32_t n = 0;
        u32(n);
        if (!ok()) return;
        if (n > bound)
            return fail("a string of " + std::to_string(n) + " bytes exceeds its bound of " +
                        std::to_string(bound));
        if (n > left()) return fail("a string is cut short");
        s.assign(in_.substr(pos_, n));
        pos_ += n;
    }
    template <class T, class Fn>
    void list(std::vector<T> &v, Fn &&each) {
        std::uint32_t n = 0;
        u32(n);
        if (!ok()) return;
        if (n > kMaxList)
            return fail("a list of " + std::to_string(n) + " elements exceeds its bound of " +
                        std::to_string(kMaxList));
        v.assign(n, T{});
        for (T &e : v) {
            each(e);
            if (!ok()) return;
        }
    }

  private:
    std::uint64_t take(int n) {
        std::uint64_t x = 0;
        get(x, n);
        return x;
    }
    bool get(std::uint64_t &x, int n) {
        if (!ok()) return false;
        if (left() < static_cast<std::size_t>(n)) {
            fail("a field is cut short");
            return false;
        }
        x = 0;
        for (int i = 0; i < n; ++i)
            x |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
        pos_ += n;
        return true;
    }
    std::string_view in_;
    std::size_t pos_ = 0;
    std::string why_;
};

template <class A, Is<Descriptor> F>
void io(A &a, F &d) {
    a.str(d.name, kMaxShort);
    a.str(d.version, kMaxShort);
    a.str(d.description, kMaxShort);
    a.str(d.config_table, kMaxShort);
    a.list(d.depends, [&](auto &s) { a.str(s, kMaxShort); });
    a.u16(d.abi_major);
    a.u16(d.abi_minor);
}
template <class A, Is<Hello> F>
void io(A &a, F &h) {
    a.u32(h.version);
    a.i32(h.pid);
    a.i32(h.hr);
    a.u32(h.problem);
    a.str(h.reason, kMaxShort);
    io(a, h.descriptor);
}
template <class A, Is<Load> F>
void io(A &a, F &l) {
    a.str(l.config_toml, kMaxText);
    a.str(l.config_origin, kMaxShort);
}
template <class A, Is<ServiceRegistration> F>
void io(A &a, F &s) {
    a.str(s.id, kMaxShort);
    a.u32(s.flags);
    a.u32(s.max_message_bytes);
    a.u8(s.has_send_page);
    a.u8(s.has_send_message_ex);
    a.u8(s.has_send_chat_state);
    a.u8(s.has_send_displayed);
    a.u8(s.has_fetch_older);
    a.u8(s.has_add_contact);
    a.u8(s.has_remove_contact);
    a.u8(s.has_authorize);
    a.u8(s.has_set_blocked);
    a.u8(s.has_set_friendly_name);
    a.u8(s.has_set_activity);
}
template <class A, Is<Registration> F>
void io(A &a, F &r) {
    a.list(r.services, [&](auto &s) { io(a, s); });
    a.u8(r.paging);
    a.u32(r.max_page_utf16);
    a.u8(r.has_knows_mobile);
    a.list(r.subscriptions, [&](auto &t) { a.i32(t); });
    a.u32(r.drawers_refused);
}
template <class A, Is<LoadReply> F>
void io(A &a, F &r) {
    a.i32(r.hr);
    a.str(r.load_error, kMaxShort);
    a.str(r.threw, kMaxShort);
    io(a, r.registration);
    a.u64(r.posts);
}
template <class A, Is<Call> F>
void io(A &a, F &c) {
    a.u64(c.seq);
    a.e16(c.method);
    a.u32(c.target);
    a.u64(c.id);
    a.i32(c.i32);
    a.str(c.a, kMaxShort);
    a.str(c.b, kMaxText);   // a password, or the text of SendMessage / SendPage
    a.str(c.c, kMaxShort);  // a page's service, an origin, receipt or archive id
    a.str(c.d, kMaxText);   // Submit's text
    a.i64(c.i64);
    a.str(c.group, kMaxShort);
    a.str(c.members, kMaxText);
}
template <class A, Is<Reply> F>
void io(A &a, F &r) {
    a.u64(r.seq);
    a.i32(r.hr);
    a.str(r.threw, kMaxShort);
    a.i32(r.out);
    a.i32(r.mobile);
    a.str(r.friendly, kMaxShort);
    a.u64(r.posts);
}
template <class A, Is<Event> F>
void io(A &a, F &e) {
    a.u64(e.seq);
    a.u32(e.sub);
    a.i32(e.type);
    a.i32(e.hr);
    a.i32(e.status);
    a.u64(e.index);
    a.str(e.text, kMaxText);
}
template <class A, Is<PageVia> F>
void io(A &a, F &p) {
    a.u64(p.id);
    a.str(p.from, kMaxShort);
    a.str(p.to, kMaxShort);
    a.str(p.to_service, kMaxShort);
    a.str(p.text, kMaxText);  // the page being submitted, as in Call.d
}
template <class A, Is<PageViaReply> F>
void io(A &a, F &r) {
    a.i32(r.hr);
}
template <class A, Is<Unload> F>
void io(A &a, F &u) {
    a.u8(u.reports_taken);
}
template <class A, Is<UnloadReply> F>
void io(A &a, F &r) {
    a.str(r.threw, kMaxShort);
    a.u64(r.posts);
}
template <class A, Is<Log> F>
void io(A &a, F &l) {
    a.i32(l.level);
    a.str(l.text, kMaxShort);
}
template <class A, Is<Post> F>
void io(A &a, F &p) {
    a.e16(p.kind);
    a.str(p.service, kMaxShort);
    a.u64(p.session);
    a.u64(p.id);
    a.str(p.who, kMaxShort);
    a.str(p.text, kMaxText);
    a.i32(p.i32);
    a.i32(p.hr);
    a.i64(p.i64);
    a.str(p.origin_id, kMaxShort);
    a.str(p.archive_id, kMaxShort);
    a.str(p.receipt_id, kMaxShort);
    a.str(p.group, kMaxShort);
}
template <class A, Is<EventsDone> F>
void io(A &a, F &e) {
    a.u64(e.seq);
}
template <class A, Is<SlotFailed> F>
void io(A &a, F &s) {
    a.u64(s.seq);
    a.i32(s.type);
    a.i32(s.hr);
    a.str(s.threw, kMaxShort);
}

template <class T>
constexpr Type kTypeOf = Type::Hello;
template <>
constexpr Type kTypeOf<Hello> = Type::Hello;
template <>
constexpr Type kTypeOf<LoadReply> = Type::LoadReply;
template <>
constexpr Type kTypeOf<Reply> = Type::Reply;
template <>
constexpr Type kTypeOf<PageVia> = Type::PageVia;
template <>
constexpr Type kTypeOf<UnloadReply> = Type::UnloadReply;
template <>
constexpr Type kTypeOf<Load> = Type::Load;
template <>
constexpr Type kTypeOf<Call> = Type::Call;
template <>
constexpr Type kTypeOf<Event> = Type::Event;
template <>
constexpr Type kTypeOf<PageViaReply> = Type::PageViaReply;
template <>
constexpr Type kTypeOf<Unload> = Type::Unload;
template <>
constexpr Type kTypeOf<Log> = Type::Log;
template <>
constexpr Type kTypeOf<Post> = Type::Post;
template <>
constexpr Type kTypeOf<EventsDone> = Type::EventsDone;
template <>
constexpr Type kTypeOf<SlotFailed> = Type::SlotFailed;

// Decodes the body of the alternative whose type is `t`; false when no alternative has it.
template <std::size_t I = 0>
bool decode_as(Type t, Reader &r, Frame &out) {
    if constexpr (I == std::variant_size_v<Frame>) {
        return false;
    } else {
        using T = std::variant_alternative_t<I, Frame>;
        if (kTypeOf<T> != t) return decode_as<I + 1>(t, r, out);
        T f{};
        io(r, f);
        out = std::move(f);
        return true;
    }
}

bool valid_enums(const Frame &f, std::string &why) {
    if (const auto *c = std::get_if<Call>(&f)) {
        const auto m = static_cast<std::uint16_t>(c->method);
        if (m < static_cast<std::uint16_t>(Method::KnowsMobile) ||
            m > static_cast<std::uint16_t>(Method::SetActivity)) {
            why = "unknown call method " + std::to_string(m);
            return false;
        }
    }
    if (const auto *p = std::get_if<Post>(&f)) {
        const auto k = static_cast<std::uint16_t>(p->kind);
        if (k < static_cast<std::uint16_t>(PostKind::Signin) ||
            k > static_cast<std::uint16_t>(PostKind::Activity)) {
            why = "unknown post kind " + std::to_string(k);
            return false;
        }
    }
    return true;
}

using Clock = std::chrono::steady_clock;

// What is left of a deadline for poll(): -1 = no limit.
int remaining_ms(bool limited, Clock::time_point deadline) {
    if (!limited) return -1;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::string errno_text(const char *what, int err) {
    return std::string(what) + ": " + std::generic_category().message(err);
}

// Waits until fd is ready for `events`; ok, timeout or error.
Channel::Status wait_for(int fd, short events, bool limited, Clock::time_point deadline,
                         std::string &why) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, remaining_ms(limited, deadline));
        if (n > 0) return Channel::Status::ok;  // ready, or HUP/ERR: the next call says which
        if (n == 0) {
            why = "timed out";
            return Channel::Status::timeout;
        }
        if (errno == EINTR) continue;
        why = errno_text("poll", errno);
        return Channel::Status::error;
    }
}

}  // namespace

namespace {

template <std::size_t... I>
constexpr std::array<Type, sizeof...(I)> types_by_index(std::index_sequence<I...>) {
    return {kTypeOf<std::variant_alternative_t<I, Frame>>...};
}
// The type of each alternative of Frame, by its index.
constexpr auto kTypes = types_by_index(std::make_index_sequence<std::variant_size_v<Frame>>());

}  // namespace

Type type_of(const Frame &f) noexcept {
    // A Frame is never valueless here (its alternatives' moves do not throw); Hello otherwise.
    return f.index() < kTypes.size() ? kTypes[f.index()] : Type::Hello;
}

std::string encode(const Frame &f) {
    std::string out(4, '\0');
    Writer w(out);
    w.u16(static_cast<std::uint16_t>(type_of(f)));
    std::visit([&](const auto &x) { io(w, x); }, f);
    const std::size_t body = out.size() - 4;
    if (body > kMaxFrame)
        throw std::length_error("wire: a frame of " + std::to_string(body) +
                                " bytes exceeds kMaxFrame");
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<char>((body >> (8 * i)) & 0xff);
    return out;
}

bool decode(std::string_view body, Frame &out, std::string &why) {
    if (body.size() > kMaxFrame) {
        why = "a frame of " + std::to_string(body.size()) + " bytes exceeds " +
              std::to_string(kMaxFrame);
        return false;
    }
    Reader r(body);
    std::uint16_t type = 0;
    r.u16(type);
    if (!r.ok()) {
        why = "a frame without a type";
        return false;
    }
    Frame f;
    if (!decode_as(static_cast<Type>(type), r, f)) {
        why = "unknown frame type " + std::to_string(type);
        return false;
    }
    if (!r.ok()) {
        why = "frame type " + std::to_string(type) + ": " + r.why();
        return false;
    }
    if (r.left() != 0) {
        why = "frame type " + std::to_string(type) + ": " + std::to_string(r.left()) +
              " bytes left over";
        return false;
    }
    if (!valid_enums(f, why)) return false;
    out = std::move(f);
    return true;
}

Channel::~Channel() {
    close();
}

Channel::Channel(Channel &&o) noexcept : fd_(std::exchange(o.fd_, -1)), in_(std::move(o.in_)) {}

Channel &Channel::operator=(Channel &&o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
        in_ = std::move(o.in_);
    }
    return *this;
}

void Channel::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    in_.clear();
}

Channel::Status Channel::send(const Frame &f, int timeout_ms, std::string &why) {
    return send_raw(encode(f), timeout_ms, why);
}

Channel::Status Channel::send_raw(std::string_view bytes, int timeout_ms, std::string &why) {
    if (fd_ < 0) {
        why = "the channel is closed";
        return Status::closed;
    }
    const bool limited = timeout_ms >= 0;
    const auto deadline = Clock::now() + std::chrono::milliseconds(limited ? timeout_ms : 0);
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (const Status s = wait_for(fd_, POLLOUT, limited, deadline, why); s != Status::ok)
                return s;
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            why = "the peer closed the channel";
            return Status::closed;
        }
        why = errno_text("send", n < 0 ? errno : EIO);
        return Status::error;
    }
    return Status::ok;
}

Channel::Status Channel::receive(Frame &out, int timeout_ms, std::string &why) {
    if (fd_ < 0) {
        why = "the channel is closed";
        return Status::closed;
    }
    const bool limited = timeout_ms >= 0;
    const auto deadline = Clock::now() + std::chrono::milliseconds(limited ? timeout_ms : 0);
    for (;;) {
        if (in_.size() >= 4) {
            std::size_t size = 0;
            for (int i = 0; i < 4; ++i)
                size |= static_cast<std::size_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
            // Refused before its body is read: a peer cannot make us buffer more than a frame.
            if (size < 2 || size > kMaxFrame) {
                why = "a frame size of " + std::to_string(size) + " bytes (2.." +
                      std::to_string(kMaxFrame) + ")";
                return Status::malformed;
            }
            if (in_.size() >= 4 + size) {
                const bool ok = decode(std::string_view(in_).substr(4, size), out, why);
                in_.erase(0, 4 + size);
                return ok ? Status::ok : Status::malformed;
            }
        }
        // Read no further than the end of the current frame (or its size prefix), so that the
        // buffer never holds more than one frame.
        std::size_t want = 4 - std::min<std::size_t>(in_.size(), 4);
        if (in_.size() >= 4) {
            std::size_t size = 0;
            for (int i = 0; i < 4; ++i)
                size |= static_cast<std::size_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
            want = 4 + size - in_.size();
        }
        const std::size_t had = in_.size();
        in_.resize(had + want);
        const ssize_t n = ::recv(fd_, in_.data() + had, want, MSG_DONTWAIT);
        in_.resize(had + (n > 0 ? static_cast<std::size_t>(n) : 0));
        if (n > 0) continue;
        if (n == 0) {
            why = had == 0 ? "the peer closed the channel"
                           : "the peer closed the channel in the middle of a frame";
            return Status::closed;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (const Status s = wait_for(fd_, POLLIN, limited, deadline, why); s != Status::ok)
                return s;
            continue;
        }
        if (errno == ECONNRESET) {
            why = "the peer closed the channel";
            return Status::closed;
        }
        why = errno_text("recv", errno);
        return Status::error;
    }
}

}  // namespace msgr::core::wire

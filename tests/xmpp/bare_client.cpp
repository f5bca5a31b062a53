#include "bare_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <strophe.h>

namespace msgr::test {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// libstrophe's callbacks for sockets and certificates carry no userdata; they run on the
// client's own network thread, so the client is found through a thread-local.
thread_local BareClient *tl_client = nullptr;

std::once_flag strophe_init;

}  // namespace

std::mutex &libstrophe_process_mutex() {
    static std::mutex m;
    return m;
}

namespace {

std::string str(const char *s) {
    return s ? s : "";
}

constexpr std::size_t kLogLines = 200;

}  // namespace

struct BareClient::Impl {
    xmpp_log_t logger{};
    xmpp_ctx_t *ctx = nullptr;
    xmpp_conn_t *conn = nullptr;
    int sock = -1;  // the connection's socket while connecting/connected
    bool attempt_online = false;
    std::uint64_t next_id = 0;
    std::uint64_t activity = 0;  // log lines seen: libstrophe did something
    Clock::time_point created = Clock::now();
};

// The static callbacks, with access to BareClient's privates.
struct BareClientCallbacks {
    static void log(void *userdata, xmpp_log_level_t level, const char *area, const char *msg) {
        auto *c = static_cast<BareClient *>(userdata);
        ++c->impl_->activity;
        const char *names[] = {"debug", "info", "warn", "error"};
        std::string line = std::string(names[level]) + " " + str(area) + ": " + str(msg);
        if (c->options_.debug_log) {
            const auto ms =
                std::chrono::duration<double, std::milli>(Clock::now() - c->impl_->created).count();
            (void)std::fprintf(stderr, "[%s %.1f ms] %s\n", c->options_.jid.c_str(), ms,
                               line.c_str());
        }
        std::lock_guard lock(c->mutex_);
        // SASL failure as libstrophe reports it (it does not tell the connection handler why).
        if (const std::string a = str(area); a == "xmpp" || a == "auth") {
            const std::string m = str(msg);
            if (m.find("auth failed") != std::string::npos ||
                m.find("<failure xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\"") !=
                    std::string::npos ||
                m.find("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'") != std::string::npos)
                c->auth_failed_ = true;
        }
        if (level == XMPP_LEVEL_DEBUG && !c->options_.debug_log) return;  // keep the tail useful
        c->log_.push_back(std::move(line));
        if (c->log_.size() > kLogLines) c->log_.pop_front();
    }

    // Every new socket: remember it for poll(), and turn Nagle off. libstrophe writes each
    // stanza (and each XEP-0198 <r/>) separately; with Nagle the second small write waits for
    // the peer's delayed ACK, which adds ~40 ms to a round trip on loopback.
    static int sockopt(xmpp_conn_t *conn, void *sock) {
        const int fd = *static_cast<int *>(sock);
        if (tl_client) tl_client->impl_->sock = fd;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return xmpp_sockopt_cb_keepalive(conn, sock);
    }

    static int certfail(const xmpp_tlscert_t *, const char *errormsg) {
        if (!tl_client) return 0;
        std::lock_guard lock(tl_client->mutex_);
        tl_client->tls_failed_ = true;
        tl_client->last_error_ = "certificate verification failed: " + str(errormsg);
        return tl_client->options_.tls == TlsMode::TrustAny ? 1 : 0;
    }

    static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                             xmpp_stream_error_t *stream_error, void *userdata) {
        auto *c = static_cast<BareClient *>(userdata);
        if (event == XMPP_CONN_CONNECT) {
            c->impl_->attempt_online = true;
            {
                std::lock_guard lock(c->mutex_);
                c->state_ = ClientState::Online;
                ++c->connects_;
                c->secured_ = xmpp_conn_is_secured(conn) != 0;
                c->bound_jid_ = str(xmpp_conn_get_bound_jid(conn));
                c->last_error_.clear();
            }
            if (c->options_.initial_presence) {
                xmpp_stanza_t *p = xmpp_presence_new(c->impl_->ctx);
                xmpp_send(conn, p);
                xmpp_stanza_release(p);
            }
            c->cv_.notify_all();
            return;
        }
        if (event == XMPP_CONN_RAW_CONNECT) return;
        c->impl_->sock = -1;
        {
            std::lock_guard lock(c->mutex_);
            c->state_ = ClientState::Disconnected;
            ++c->disconnects_;
            std::string why;
            if (stream_error)
                why = "stream error " + std::to_string(stream_error->type) + " " +
                      str(stream_error->text);
            else if (error)
                why = "socket error " + std::to_string(error) + " (" + std::strerror(error) + ")";
            else if (!c->impl_->attempt_online && c->auth_failed_)
                why = "authentication failed";
            else if (!c->impl_->attempt_online)
                why = "connection attempt failed";
            else
                why = "disconnected";
            if (c->last_error_.empty() || c->impl_->attempt_online) c->last_error_ = why;
        }
        c->impl_->attempt_online = false;
        c->cv_.notify_all();
    }

    static int message(xmpp_conn_t *, xmpp_stanza_t *stanza, void *userdata) {
        auto *c = static_cast<BareClient *>(userdata);
        BareClient::Message m;
        m.from = str(xmpp_stanza_get_from(stanza));
        m.to = str(xmpp_stanza_get_to(stanza));
        m.type = str(xmpp_stanza_get_type(stanza));
        m.id = str(xmpp_stanza_get_id(stanza));
        const bool has_body = xmpp_stanza_get_child_by_name(stanza, "body") != nullptr;
        if (char *body = xmpp_message_get_body(stanza)) {
            m.body = body;
            xmpp_free(c->impl_->ctx, body);
        }
        if (!has_body && !c->options_.all_messages) {
            return 1;  // chat states, receipts and the like: not a message for most tests
        }
        {
            char *buf = nullptr;
            std::size_t len = 0;
            if (xmpp_stanza_to_text(stanza, &buf, &len) == XMPP_EOK) {
                m.xml.assign(buf, len);
                xmpp_free(c->impl_->ctx, buf);
            }
        }
        for (xmpp_stanza_t *e = xmpp_stanza_get_children(stanza); e; e = xmpp_stanza_get_next(e)) {
            const std::string name = str(xmpp_stanza_get_name(e)), ns = str(xmpp_stanza_get_ns(e));
            const std::string id = str(xmpp_stanza_get_attribute(e, "id"));
            if (ns == "urn:xmpp:sid:0" && name == "origin-id") m.origin_id = id;
            if (ns == "urn:xmpp:receipts" && name == "request") m.receipt_request = true;
            if (ns == "urn:xmpp:receipts" && name == "received") m.receipt_for = id;
            if (ns == "urn:xmpp:chat-markers:0" && name == "markable") m.markable = true;
            if (ns == "urn:xmpp:chat-markers:0" && name == "displayed") m.displayed_for = id;
            if (ns == "http://jabber.org/protocol/chatstates") m.chat_state = name;
        }
        m.received_at = Clock::now();
        BareClient::MessageHandler h;
        {
            std::lock_guard lock(c->mutex_);
            ++c->messages_received_;
            h = c->handler_;
        }
        if (h && !h(*c, m)) return 1;
        {
            std::lock_guard lock(c->mutex_);
            c->messages_.push_back(std::move(m));
        }
        c->cv_.notify_all();
        return 1;
    }

    static int presence(xmpp_conn_t *, xmpp_stanza_t *stanza, void *userdata) {
        auto *c = static_cast<BareClient *>(userdata);
        BareClient::Presence p;
        p.from = str(xmpp_stanza_get_from(stanza));
        p.type = str(xmpp_stanza_get_type(stanza));
        if (xmpp_stanza_t *show = xmpp_stanza_get_child_by_name(stanza, "show")) {
            if (char *t = xmpp_stanza_get_text(show)) {
                p.show = t;
                xmpp_free(c->impl_->ctx, t);
            }
        }
        if (xmpp_stanza_t *status = xmpp_stanza_get_child_by_name(stanza, "status")) {
            if (char *t = xmpp_stanza_get_text(status)) {
                p.status = t;
                xmpp_free(c->impl_->ctx, t);
            }
        }
        {
            std::lock_guard lock(c->mutex_);
            c->presences_.push_back(std::move(p));
        }
        c->cv_.notify_all();
        return 1;
    }
};

BareClient::BareClient(BareClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    std::call_once(strophe_init, [] { xmpp_initialize(); });
    if (const char *e = std::getenv("MSGR_XMPP_DEBUG"); e && *e && *e != '0')
        options_.debug_log = true;
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
    impl_->logger.handler = &BareClientCallbacks::log;
    impl_->logger.userdata = this;
    impl_->ctx = xmpp_ctx_new(nullptr, &impl_->logger);
    impl_->conn = xmpp_conn_new(impl_->ctx);
    if (!impl_->ctx || !impl_->conn) throw std::runtime_error("libstrophe: out of memory");
    long flags = 0;
    switch (options_.tls) {
        case TlsMode::Disabled:
            flags |= XMPP_CONN_FLAG_DISABLE_TLS;
            break;
        case TlsMode::Optional:
            break;
        case TlsMode::Required:
            flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
            break;
        case TlsMode::TrustAny:
            flags |= XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS;
            break;
    }
    if (!options_.stream_management) flags |= XMPP_CONN_FLAG_DISABLE_SM;
    xmpp_conn_set_flags(impl_->conn, flags);
    xmpp_conn_set_jid(impl_->conn, options_.jid.c_str());
    xmpp_conn_set_pass(impl_->conn, options_.password.c_str());
    if (!options_.ca_file.empty()) xmpp_conn_set_cafile(impl_->conn, options_.ca_file.c_str());
    xmpp_conn_set_certfail_handler(impl_->conn, &BareClientCallbacks::certfail);
    xmpp_conn_set_sockopt_callback(impl_->conn, &BareClientCallbacks::sockopt);
    xmpp_handler_add(impl_->conn, &BareClientCallbacks::message, nullptr, "message", nullptr, this);
    xmpp_handler_add(impl_->conn, &BareClientCallbacks::presence, nullptr, "presence", nullptr,
                     this);
    thread_ = std::thread([this] { run(); });
}

BareClient::~BareClient() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
    std::lock_guard strophe(libstrophe_process_mutex());
    xmpp_conn_release(impl_->conn);
    xmpp_ctx_free(impl_->ctx);
    ::close(wake_fd_);
}

void BareClient::post(std::function<void()> fn) {
    {
        std::lock_guard lock(mutex_);
        commands_.push_back(std::move(fn));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void BareClient::run() {
    // libstrophe writes with plain send()/SSL_write: when the server has died, that raises
    // SIGPIPE, whose default action ends the whole test process. Blocked on this thread, the
    // write fails with EPIPE instead and libstrophe reports a disconnect.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    tl_client = this;
    Impl &im = *impl_;
    for (;;) {
        std::deque<std::function<void()>> todo;
        bool stopping;
        {
            std::lock_guard lock(mutex_);
            todo.swap(commands_);
            stopping = stop_;
        }
        for (auto &fn : todo)
            fn();
        if (stopping) break;

        pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {im.sock, POLLIN, 0}};
        nfds_t n = im.sock >= 0 ? 2 : 1;
        if (im.sock >= 0 &&
            (xmpp_conn_send_queue_len(im.conn) > 0 || xmpp_conn_is_connecting(im.conn)))
            fds[1].events |= POLLOUT;
        // libstrophe's timed handlers (SM acks, timeouts) need a tick; TLS may hold decrypted
        // bytes poll() cannot see, so a secured link is polled more often.
        const int timeout = xmpp_conn_is_secured(im.conn) ? 1 : 20;
        ::poll(fds, n, timeout);
        if (fds[0].revents & POLLIN) {
            std::uint64_t v;
            [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
        }
        // xmpp_run_once writes what was queued before it, then reads; what its handlers queue
        // in reply (SASL steps, bind, SM acks) waits for the next call, and poll() cannot tell
        // (xmpp_conn_send_queue_len counts only user stanzas). So run again while libstrophe
        // reports activity (it logs every stanza sent and received), a few times at most.
        std::lock_guard strophe(libstrophe_process_mutex());
        for (int i = 0; i < 8; ++i) {
            const std::uint64_t before = im.activity;
            xmpp_run_once(im.ctx, 0);
            if (im.activity == before) break;
        }
    }
    // A polite close, bounded.
    std::lock_guard strophe(libstrophe_process_mutex());
    if (!xmpp_conn_is_disconnected(im.conn)) {
        xmpp_disconnect(im.conn);
        const auto deadline = Clock::now() + milliseconds(500);
        while (!xmpp_conn_is_disconnected(im.conn) && Clock::now() < deadline)
            xmpp_run_once(im.ctx, 5);
    }
    tl_client = nullptr;
}

void BareClient::start_connect() {
    {
        std::lock_guard lock(mutex_);
        state_ = ClientState::Connecting;
        auth_failed_ = tls_failed_ = false;
        last_error_.clear();
    }
    post([this] {
        Impl &im = *impl_;
        if (!xmpp_conn_is_disconnected(im.conn)) return;
        im.attempt_online = false;
        const int rc = xmpp_connect_client(im.conn, options_.host.c_str(), options_.port,
                                           &BareClientCallbacks::conn_handler, this);
        if (rc != XMPP_EOK) {
            std::lock_guard lock(mutex_);
            state_ = ClientState::Disconnected;
            last_error_ = "xmpp_connect_client failed: " + std::to_string(rc);
            cv_.notify_all();
        }
    });
}

bool BareClient::connect(milliseconds timeout) {
    start_connect();
    return wait_online(timeout);
}

bool BareClient::wait_online(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] {
        return state_ == ClientState::Online || state_ == ClientState::Disconnected;
    });
    if (state_ == ClientState::Connecting && last_error_.empty())
        last_error_ = "timed out after " + std::to_string(timeout.count()) + " ms";
    return state_ == ClientState::Online;
}

bool BareClient::wait_disconnected(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
        return state_ == ClientState::Disconnected || state_ == ClientState::Idle;
    });
}

void BareClient::disconnect() {
    post([this] {
        if (!xmpp_conn_is_disconnected(impl_->conn)) xmpp_disconnect(impl_->conn);
    });
}

void BareClient::drop_connection() {
    post([this] {
        if (impl_->sock >= 0) ::shutdown(impl_->sock, SHUT_RDWR);
    });
}

void BareClient::send_message(const std::string &to, const std::string &body,
                              const std::string &type, const std::string &id) {
    post([this, to, body, type, id] {
        Impl &im = *impl_;
        const std::string the_id = id.empty() ? "m" + std::to_string(++im.next_id) : id;
        xmpp_stanza_t *m = xmpp_message_new(im.ctx, type.empty() ? nullptr : type.c_str(),
                                            to.c_str(), the_id.c_str());
        xmpp_message_set_body(m, body.c_str());
        xmpp_send(im.conn, m);
        xmpp_stanza_release(m);
    });
}

void BareClient::send_presence(const std::string &show, const std::string &status,
                               const std::string &type) {
    post([this, show, status, type] {
        Impl &im = *impl_;
        xmpp_stanza_t *p = xmpp_presence_new(im.ctx);
        if (!type.empty()) xmpp_stanza_set_type(p, type.c_str());
        auto child = [&](const char *name, const std::string &text) {
            if (text.empty()) return;
            xmpp_stanza_t *e = xmpp_stanza_new(im.ctx);
            xmpp_stanza_set_name(e, name);
            xmpp_stanza_t *t = xmpp_stanza_new(im.ctx);
            xmpp_stanza_set_text(t, text.c_str());
            xmpp_stanza_add_child(e, t);
            xmpp_stanza_release(t);
            xmpp_stanza_add_child(p, e);
            xmpp_stanza_release(e);
        };
        child("show", show);
        child("status", status);
        xmpp_send(im.conn, p);
        xmpp_stanza_release(p);
    });
}

void BareClient::send_chat(const std::string &to, const std::string &body, const std::string &id) {
    post([this, to, body, id] {
        Impl &im = *impl_;
        xmpp_stanza_t *m = xmpp_message_new(im.ctx, "chat", to.c_str(), id.c_str());
        xmpp_message_set_body(m, body.c_str());
        auto add = [&](const char *name, const char *ns) {
            xmpp_stanza_t *e = xmpp_stanza_new(im.ctx);
            xmpp_stanza_set_name(e, name);
            xmpp_stanza_set_ns(e, ns);
            xmpp_stanza_add_child(m, e);
            xmpp_stanza_release(e);
            return e;
        };
        xmpp_stanza_set_attribute(add("origin-id", "urn:xmpp:sid:0"), "id", id.c_str());
        add("request", "urn:xmpp:receipts");
        add("markable", "urn:xmpp:chat-markers:0");
        xmpp_send(im.conn, m);
        xmpp_stanza_release(m);
    });
}

void BareClient::send_raw(const std::string &xml) {
    post([this, xml] { xmpp_send_raw(impl_->conn, xml.data(), xml.size()); });
}

std::optional<BareClient::Message> BareClient::wait_message(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !messages_.empty(); })) return std::nullopt;
    Message m = std::move(messages_.front());
    messages_.pop_front();
    return m;
}

std::optional<BareClient::Presence> BareClient::wait_presence(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !presences_.empty(); })) return std::nullopt;
    Presence p = std::move(presences_.front());
    presences_.pop_front();
    return p;
}

void BareClient::set_message_handler(MessageHandler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

std::size_t BareClient::messages_received() const {
    std::lock_guard lock(mutex_);
    return messages_received_;
}

ClientState BareClient::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}
int BareClient::connects() const {
    std::lock_guard lock(mutex_);
    return connects_;
}
int BareClient::disconnects() const {
    std::lock_guard lock(mutex_);
    return disconnects_;
}
bool BareClient::auth_failed() const {
    std::lock_guard lock(mutex_);
    return auth_failed_;
}
bool BareClient::tls_failed() const {
    std::lock_guard lock(mutex_);
    return tls_failed_;
}
bool BareClient::secured() const {
    std::lock_guard lock(mutex_);
    return secured_;
}
std::string BareClient::bound_jid() const {
    std::lock_guard lock(mutex_);
    return bound_jid_;
}
std::string BareClient::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}
std::string BareClient::log_tail() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto &l : log_)
        out += l + "\n";
    return out;
}

}  // namespace msgr::test

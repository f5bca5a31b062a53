// A minimal XMPP client on libstrophe, for tests and as the benchmark baseline: the other party
// in the XMPP add-in's tests, and two of them exchanging messages through prosody.
//
// Each BareClient owns one xmpp_ctx_t and one connection, used only on the client's own network
// thread (libstrophe is not thread-safe). Every public method is thread-safe: commands go through
// a queue and wake the network thread with an eventfd; what arrives is kept in queues you wait
// on with a timeout. Nothing here waits without a bound.
//
//   BareClient alice({.jid = server.jid("alice"), .password = "pw", .port = server.port()});
//   ASSERT_TRUE(alice.connect(5s));                  // false + alice.last_error() on failure
//   alice.send_message(server.jid("bob"), "hi");
//   auto m = bob.wait_message(2s);                    // std::optional<BareClient::Message>
//
// The network loop polls the eventfd and the connection's socket (learned through libstrophe's
// sockopt callback) and then runs xmpp_run_once(ctx, 0), so a queued send goes out at once
// instead of after a select() timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace msgr::test {

// libstrophe 0.12's SHA-1 keeps its work block in a static buffer, so two threads hashing at
// once corrupt each other's digests even with separate contexts: two connections doing
// SCRAM-SHA-1 at the same moment in one process fail with "not-authorized" now and then.
// Every BareClient holds this mutex while it is inside libstrophe. Other libstrophe users in
// the same test process (the XMPP add-in's thread) are not covered; against those, sign in one
// at a time or start the server with ProsodyOptions::scram = false (SASL PLAIN, no SHA-1).
std::mutex &libstrophe_process_mutex();

enum class TlsMode {
    Disabled,  // XMPP_CONN_FLAG_DISABLE_TLS: plaintext only
    Optional,  // STARTTLS if the server offers it, certificate verified
    Required,  // XMPP_CONN_FLAG_MANDATORY_TLS, certificate verified (against ca_file if set)
    TrustAny,  // mandatory TLS, certificate not verified (XMPP_CONN_FLAG_TRUST_TLS)
};

struct BareClientOptions {
    std::string jid;  // bare or full JID; the domain is the server's XMPP domain
    std::string password;
    std::string host = "127.0.0.1";  // where to connect (instead of DNS SRV for the domain)
    std::uint16_t port = 5222;
    TlsMode tls = TlsMode::Disabled;
    std::string ca_file;            // PEM CA to verify the server with (empty: system store)
    bool stream_management = true;  // XEP-0198 (libstrophe's built-in); false disables it
    bool initial_presence = true;   // send <presence/> once online
    // Queue messages without a body too (receipts, read markers, chat states, carbons, archive
    // results): what the XMPP add-in sends besides text, for tests that look at the stanzas.
    bool all_messages = false;
    bool debug_log = false;  // libstrophe's debug log to stderr
};

enum class ClientState { Idle, Connecting, Online, Disconnected };

class BareClient {
  public:
    struct Message {
        std::string from, to, type, id, body;
        std::chrono::steady_clock::time_point received_at;
        std::string xml;  // the whole stanza as received
        // What it carries besides the body ("" / false when absent):
        std::string origin_id;         // XEP-0359 <origin-id id/>
        bool receipt_request = false;  // XEP-0184 <request/>
        std::string receipt_for;       // XEP-0184 <received id/>
        bool markable = false;         // XEP-0333 <markable/>
        std::string displayed_for;     // XEP-0333 <displayed id/>
        std::string chat_state;        // XEP-0085 element name (active, composing, ...)
    };
    struct Presence {
        std::string from, type, show, status;  // type "" = available
    };
    // Called on the network thread for each incoming message, before it is queued. It may call
    // send_message (queued, sent right after the handler). Return false to not queue it.
    using MessageHandler = std::function<bool(BareClient &, const Message &)>;

    explicit BareClient(BareClientOptions options);
    ~BareClient();  // disconnects (bounded), stops and joins the network thread
    BareClient(const BareClient &) = delete;
    BareClient &operator=(const BareClient &) = delete;

    // Starts connecting (again, after a disconnect) and returns at once.
    void start_connect();
    // start_connect() and wait: true once online (bound, session started), false if the attempt
    // ended first (see last_error, auth_failed, tls_failed) or the timeout passed.
    bool connect(std::chrono::milliseconds timeout);
    bool wait_online(std::chrono::milliseconds timeout);
    bool wait_disconnected(std::chrono::milliseconds timeout);
    // Closes the stream politely (</stream:stream>).
    void disconnect();
    // Shuts the TCP socket down under libstrophe: the link is lost without a goodbye.
    void drop_connection();

    void send_message(const std::string &to, const std::string &body,
                      const std::string &type = "chat", const std::string &id = {});
    void send_presence(const std::string &show = {}, const std::string &status = {},
                       const std::string &type = {});
    void send_raw(const std::string &xml);  // sent as is, no checking
    // A chat message as modern clients send it: origin-id = id (XEP-0359), a receipt request
    // (XEP-0184) and <markable/> (XEP-0333).
    void send_chat(const std::string &to, const std::string &body, const std::string &id);

    std::optional<Message> wait_message(std::chrono::milliseconds timeout);
    std::optional<Presence> wait_presence(std::chrono::milliseconds timeout);
    void set_message_handler(MessageHandler handler);
    std::size_t messages_received() const;

    ClientState state() const;
    bool online() const { return state() == ClientState::Online; }
    int connects() const;      // times it came online
    int disconnects() const;   // times a connection (or attempt) ended
    bool auth_failed() const;  // the last attempt failed at SASL
    bool tls_failed() const;   // the last attempt failed certificate verification
    bool secured() const;      // the current/last session ran over TLS
    std::string bound_jid() const;
    std::string last_error() const;  // a readable reason for the last disconnect
    std::string log_tail() const;    // libstrophe's recent log lines
    const BareClientOptions &options() const { return options_; }

  private:
    struct Impl;
    void post(std::function<void()> fn);
    void run();

    BareClientOptions options_;
    std::unique_ptr<Impl> impl_;  // libstrophe objects, touched only on the network thread

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> commands_;
    std::deque<Message> messages_;
    std::deque<Presence> presences_;
    std::deque<std::string> log_;
    MessageHandler handler_;
    std::size_t messages_received_ = 0;
    ClientState state_ = ClientState::Idle;
    int connects_ = 0, disconnects_ = 0;
    bool auth_failed_ = false, tls_failed_ = false, secured_ = false;
    std::string bound_jid_, last_error_;
    bool stop_ = false;
    int wake_fd_ = -1;
    std::thread thread_;

    friend struct BareClientCallbacks;
};

}  // namespace msgr::test

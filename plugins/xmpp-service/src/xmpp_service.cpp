// The XMPP service add-in: a contact service over XMPP with libstrophe. It sees only sdk/
// (msgr/addin.h) and reaches the runtime only through the host functions.
//
// Threads: libstrophe is not thread-safe and its connect, TLS and SASL work takes longer than a
// frame, so one libstrophe context lives on the add-in's own network thread. The runtime's
// calls (on the host's thread) only queue commands for it and return at once; everything the
// network says goes back through the host's post functions (the runtime's inbox).
//
// Mapping (what Windows Messenger's results mean on XMPP):
//  - sign-in: the name given to msgr_signin is the account's JID (a bare JID; the resource is
//    [xmpp] resource). OnSignin gets S_OK once the stream is bound; MSGR_E_INVALID_PASSWORD
//    when SASL fails (or the server says not-authorized); MSGR_E_CONNECT when the server cannot
//    be reached or its TLS certificate is not trusted; MSGR_E_INVALID_SERVER_NAME when the
//    server does not serve the JID's domain (host-unknown); MSGR_E_LOGON_TIMEOUT when nothing
//    completes within [xmpp] logon_timeout_ms.
//  - roster items are the contact list (OnContactListAdd/Remove, roster pushes included); the
//    roster name is the friendly name, else the contact's own XEP-0172 nickname. Adding,
//    removing, requests, blocking and the user's own name (add-in ABI 1.6): contact_list.hpp.
//  - presence -> MISTATUS: available (no show) and chat -> ONLINE, away -> AWAY, xa -> IDLE
//    (extended away is what clients set by themselves after long inactivity, which is what
//    Messenger's Idle meant), dnd -> BUSY, unavailable -> OFFLINE. With several resources the
//    most available one wins.
//  - my status -> presence: ONLINE -> available; AWAY, BE_RIGHT_BACK, OUT_TO_LUNCH -> away;
//    IDLE -> xa; BUSY, ON_THE_PHONE -> dnd; INVISIBLE -> unavailable.
//  - chat and normal messages with a body <-> conversation windows.
//  - pages (stanza.hpp has the wire format): with [xmpp] accept_pages = true the client lists
//    urn:msgr:paging:0 in its disco#info and announces it with XEP-0115 caps in its presence. A
//    contact with an online resource that advertises it "has mobile services" (describe's
//    mobile), and send_page sends the page to that resource; the paging add-in hands pages to
//    the service through msgr_host_page_via_service. A page that arrives is posted with
//    msgr_host_post_page: it opens the conversation window like a message, marked as a page.
//  - losing the connection: the add-in reconnects with exponential backoff and resumes the
//    stream with XEP-0198 (libstrophe's stream management state moves to the new connection,
//    which re-sends what the server had not acknowledged). Messages the user sends meanwhile
//    wait in the add-in's outbox and go out after the reconnect. Only when the link stays down
//    longer than [xmpp] reconnect_grace_ms does the client "go offline" (OnSignout with
//    MSGR_E_DISCONNECTED, windows dereferenced); what still waited is then reported as failed
//    in its window, never dropped.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strophe.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "archive_mark.hpp"
#include "contact_list.hpp"
#include "msgr/addin.h"
#include "msgr/addin_host.hpp"
#include "outgoing.hpp"
#include "stanza.hpp"
#include "stream_management.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint32_t kMaxMessageBytes = msgr_xmpp::kMaxBodyBytes;
using msgr_xmpp::kRosterNs;

// libstrophe 0.12's SHA-1 (SCRAM) keeps global state: two connections authenticating at once
// in one process (two runtimes) corrupt each other. Connections that are not yet signed in
// take turns; signed-in ones run freely.
std::mutex g_auth_mutex;

class Xmpp;
// The instance whose network thread this is (libstrophe's certificate callback has no user
// data; it runs on that thread, inside xmpp_run_once).
thread_local Xmpp *t_self = nullptr;

using msgr_xmpp::bare_of;

// What the host gives the add-in.
using Host = msgr::addin::HostFunctions;

struct Invalid {
    std::string message;
};

enum class Tls { required, optional, disabled };

struct Settings {
    std::string service_id = "xmpp";
    std::string host;  // "" : the JID's domain (DNS SRV, then the domain itself)
    std::int64_t port = 0;
    Tls tls = Tls::required;
    std::string ca_file;
    std::string password;  // from password_file; used when msgr_signin gives ""
    std::string resource = "msgr";
    std::int64_t logon_timeout_ms = 30000;
    std::int64_t reconnect_grace_ms = 60000;
    std::int64_t reconnect_backoff_ms = 500;
    std::int64_t reconnect_backoff_max_ms = 10000;
    bool accept_subscriptions = false;
    bool accept_pages = false;
    std::vector<std::string> subscribe;
    // XEP-0313: how many of the newest archived messages the first sign-in of an account
    // fetches (later sign-ins fetch everything after the last one fetched); 0: none.
    std::int64_t mam_catch_up_max = 10000;
};

bool is_loopback_host(const std::string &h) {
    return h == "127.0.0.1" || h == "::1" || h == "localhost";
}

Settings read_settings(const Host &h) {
    Settings s;
    const char *o = h.config_origin(h.ctx);
    const std::string origin = (o != nullptr && *o != '\0') ? o : "the embedded defaults";
    auto bad = [&](const std::string &key, const std::string &what) {
        return Invalid{origin + ": xmpp." + key + " " + what};
    };
    const std::vector<std::string> known = {"service_id",
                                            "host",
                                            "port",
                                            "tls",
                                            "ca_file",
                                            "password_file",
                                            "resource",
                                            "logon_timeout_ms",
                                            "reconnect_grace_ms",
                                            "reconnect_backoff_ms",
                                            "reconnect_backoff_max_ms",
                                            "accept_subscriptions",
                                            "accept_pages",
                                            "subscribe",
                                            "mam_catch_up_max"};
    for (std::size_t i = 0;; ++i) {
        const char *k = nullptr;
        if (h.config_key(h.ctx, i, &k) != MSGR_S_OK) break;
        if (std::find(known.begin(), known.end(), k) == known.end())
            throw Invalid{origin + ": unknown key " + k + " in [xmpp]"};
    }
    auto str = [&](const char *key, std::string &out) {
        const char *v = nullptr;
        const msgr_hresult hr = h.config_string(h.ctx, key, &v);
        if (hr == MSGR_S_FALSE) return false;
        if (hr != MSGR_S_OK) throw bad(key, "must be a string");
        out = v;
        return true;
    };
    auto num = [&](const char *key, std::int64_t &out, std::int64_t lo, std::int64_t hi) {
        std::int64_t v = 0;
        const msgr_hresult hr = h.config_int(h.ctx, key, &v);
        if (hr == MSGR_S_FALSE) return;
        if (hr != MSGR_S_OK || v < lo || v > hi)
            throw bad(
                key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
        out = v;
    };
    str("service_id", s.service_id);
    str("host", s.host);
    num("port", s.port, 1, 65535);
    std::string tls;
    if (str("tls", tls)) {
        if (tls == "required") {
            s.tls = Tls::required;
        } else if (tls == "optional") {
            s.tls = Tls::optional;
        } else if (tls == "disabled") {
            s.tls = Tls::disabled;
        } else {
            throw bad("tls", "is \"" + tls + "\"; expected required, optional or disabled");
        }
    }
    if (s.tls == Tls::disabled && !is_loopback_host(s.host)) {
        throw bad("tls",
                  "= \"disabled\" is allowed only with host = \"127.0.0.1\", \"::1\" or "
                  "\"localhost\" (a test server on this machine): passwords would cross "
                  "the network in the clear");
    }
    str("ca_file", s.ca_file);
    if (!s.ca_file.empty() && !std::ifstream(s.ca_file)) throw bad("ca_file", "cannot be read");
    std::string password_file;
    if (str("password_file", password_file)) {
        std::ifstream in(password_file);
        if (!in) throw bad("password_file", "cannot be read: " + password_file);
        std::getline(in, s.password);
        while (!s.password.empty() && (s.password.back() == '\r' || s.password.back() == '\n'))
            s.password.pop_back();
    }
    str("resource", s.resource);
    if (s.resource.empty() || s.resource.size() > 64) throw bad("resource", "must be 1-64 bytes");
    num("logon_timeout_ms", s.logon_timeout_ms, 100, 600000);
    num("reconnect_grace_ms", s.reconnect_grace_ms, 0, 86400000);
    num("reconnect_backoff_ms", s.reconnect_backoff_ms, 10, 600000);
    num("reconnect_backoff_max_ms", s.reconnect_backoff_max_ms, 10, 3600000);
    num("mam_catch_up_max", s.mam_catch_up_max, 0, 1000000);
    auto flag = [&](const char *key, bool &out) {
        int b = 0;
        const msgr_hresult hr = h.config_bool(h.ctx, key, &b);
        if (hr == MSGR_S_OK) {
            out = b != 0;
        } else if (hr != MSGR_S_FALSE) {
            throw bad(key, "must be true or false");
        }
    };
    flag("accept_subscriptions", s.accept_subscriptions);
    flag("accept_pages", s.accept_pages);
    std::size_t n = 0;
    const msgr_hresult ahr = h.config_array_size(h.ctx, "subscribe", &n);
    if (ahr == MSGR_S_OK) {
        for (std::size_t i = 0; i < n; ++i) {
            const char *v = nullptr;
            if (h.config_array_string(h.ctx, "subscribe", i, &v) != MSGR_S_OK)
                throw bad("subscribe", "must be an array of JIDs");
            s.subscribe.emplace_back(v);
        }
    } else if (ahr != MSGR_S_FALSE) {
        throw bad("subscribe", "must be an array of JIDs");
    }
    return s;
}

// How available a status is (to pick among several resources).
int rank(std::int32_t s) {
    switch (s) {
        case MSGR_STATUS_ONLINE:
            return 5;
        case MSGR_STATUS_BUSY:
            return 4;
        case MSGR_STATUS_AWAY:
            return 3;
        case MSGR_STATUS_IDLE:
            return 2;
        default:
            return 0;
    }
}

const char *show_for(std::int32_t s) {
    switch (s) {
        case MSGR_STATUS_AWAY:
        case MSGR_STATUS_BE_RIGHT_BACK:
        case MSGR_STATUS_OUT_TO_LUNCH:
            return "away";
        case MSGR_STATUS_IDLE:
            return "xa";
        case MSGR_STATUS_BUSY:
        case MSGR_STATUS_ON_THE_PHONE:
            return "dnd";
        default:
            return nullptr;
    }
}

struct Outgoing {
    std::uint64_t id = 0;
    std::string to;
    std::string text;
    bool page = false;  // a page (to the contact's resource that accepts pages), not a chat
    // The stanza id and XEP-0359 origin-id: the runtime's origin id, or one the add-in made
    // (a page, a runtime before ABI 1.4). The same on every resend, so the receiver dedups.
    std::string stanza_id;
};

// A message on the wire that the server has not acknowledged yet (XEP-0198).
struct Unacked {
    std::uint64_t number = 0;  // its number on the stream (StreamCounter::sent)
    Outgoing message;
};

struct Command {
    enum Kind {
        signin,
        signout,
        status,
        send,
        chat_state,
        displayed,
        fetch_older,
        add_contact,     // name: the JID
        remove_contact,  // name: the JID
        authorize,       // name: the JID; status_value: accept
        set_blocked,     // name: the JID; status_value: blocked
        set_nick,        // name: the nickname
        set_activity,    // name: the activity text ("" clears it)
    } kind;
    explicit Command(Kind k) : kind(k) {}
    std::uint64_t session = 0;
    std::string name, password;
    std::int32_t status_value = 0;  // status; chat_state: the msgr_chat_state
    Outgoing message;               // send; chat_state, displayed, fetch_older: message.to
    std::string id;                 // displayed: the receipt id; fetch_older: the archive id
    std::uint32_t max = 0;          // fetch_older
};

// An archive query in progress (XEP-0313): the sign-in's catch-up or a fetch_older.
struct ArchiveFetch {
    enum Kind { catch_up_after, catch_up_newest, older } kind = catch_up_after;
    std::string peer;        // older: the conversation
    std::string iq_id;       // the current page's query
    std::size_t wanted = 0;  // catch_up_newest, older: how many at most
    // Results of the current page (catch_up_after posts them as they come); catch_up_newest
    // gathers pages newest first until it has enough, then posts them oldest first.
    std::vector<msgr_xmpp::Incoming> page;
    std::deque<std::vector<msgr_xmpp::Incoming>> pages;
    std::size_t gathered = 0;
};

// How many results one archive query asks for (a server may give fewer: prosody's default is
// 50), and how many a fetch_older may ask for (ABI: 1..500).
constexpr unsigned kArchivePage = 250;

struct Resource {
    std::int32_t status = MSGR_STATUS_OFFLINE;
    std::string activity;  // its presence's <status/> text, cleaned ("" : none)
    std::string ver;       // its XEP-0115 caps ver ("" : it announced none)
    bool pages = false;    // its client accepts pages (from its disco#info)
};

struct RosterEntry {
    std::string name;                           // the roster's name for the contact ("" : none)
    std::string nick;                           // the contact's own XEP-0172 nickname ("" : none)
    std::map<std::string, Resource> resources;  // the available ones
    bool in_roster = false;
    std::string subscription = "none";  // the roster item's: none, to, from, both
    // The name the user sees: the one they gave the contact, else the contact's own.
    const std::string &friendly() const { return name.empty() ? nick : name; }
    std::int32_t status() const {
        std::int32_t best = MSGR_STATUS_OFFLINE;
        for (const auto &[name, r] : resources) {
            if (rank(r.status) > rank(best)) best = r.status;
        }
        return best;
    }
    // What the contact is doing: the status message of its most available resource.
    std::string activity() const {
        const Resource *best = nullptr;
        for (const auto &[name, r] : resources) {
            if (best == nullptr || rank(r.status) > rank(best->status)) best = &r;
        }
        return best != nullptr ? best->activity : std::string();
    }
    // The resource a page goes to: the most available one whose client accepts pages.
    const std::string *page_resource() const {
        const std::string *best = nullptr;
        std::int32_t best_status = MSGR_STATUS_OFFLINE;
        for (const auto &[name, r] : resources) {
            if (r.pages && (best == nullptr || rank(r.status) > rank(best_status))) {
                best = &name;
                best_status = r.status;
            }
        }
        return best;
    }
};

// What a disco#info query that is still unanswered was about.
struct DiscoQuery {
    std::string bare, resource, ver, hash;
};

// Bounds on what a contact's caps can make the add-in keep or send.
constexpr std::size_t kMaxCapsCache = 256;
constexpr std::size_t kMaxDiscoQueries = 64;
// How many contact list calls may wait for a reconnect.
constexpr std::size_t kMaxContactWaiting = 1024;

class Xmpp {
  public:
    Xmpp(Host host, Settings s) : h_(host), s_(std::move(s)) {}
    ~Xmpp() { stop(); }

    bool start(std::string &why) {
        static std::once_flag once;
        std::call_once(once, [] { xmpp_initialize(); });
        // MSGR_XMPP_DEBUG=1 in the environment: libstrophe's own log (every stanza) on stderr.
        const char *debug = std::getenv("MSGR_XMPP_DEBUG");
        debug_ = debug != nullptr && *debug == '1';
        // libstrophe 0.12 reports a refused TCP connection and a failed SASL exchange alike
        // (XMPP_CONN_DISCONNECT, error 0); only its log tells them apart, so the add-in reads it.
        logger_.handler = &Xmpp::on_log;
        logger_.userdata = this;
        ctx_ = xmpp_ctx_new(nullptr, &logger_);
        if (ctx_ != nullptr) {
            xmpp_ctx_set_verbosity(ctx_, debug_ ? 1 : 0);
            my_ver_ = msgr_xmpp::caps_ver(ctx_, my_disco_info());
        }
        wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake_fd_ < 0) {
            why = "eventfd failed";
            return false;
        }
        if (ctx_ == nullptr) {
            why = "xmpp_ctx_new failed";
            return false;
        }
        try {
            thread_ = std::thread([this] { run(); });
        } catch (const std::exception &e) {
            why = std::string("cannot start the network thread: ") + e.what();
            return false;
        }
        return true;
    }

    void stop() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake();
        if (thread_.joinable()) thread_.join();
        if (wake_fd_ >= 0) ::close(wake_fd_);
        wake_fd_ = -1;
        if (ctx_ != nullptr) {
            xmpp_ctx_free(ctx_);
            ctx_ = nullptr;
        }
    }

    void push(Command c) {
        // The runtime's sign-in or sign-out call, as the runtime sees it (advance_mark), at
        // once: the network thread comes to the command later.
        if (c.kind == Command::signin) host_session_.store(c.session);
        if (c.kind == Command::signout) host_session_.store(0);
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            commands_.push_back(std::move(c));
        }
        wake();
    }

    // Wakes the network thread (from any thread).
    void wake() {
        const std::uint64_t one = 1;
        if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
    }

    // On the runtime's thread: what the roster and presence say now.
    void describe(const char *signin, msgr_contact_info *out) {
        const std::lock_guard<std::mutex> lock(roster_mutex_);
        auto it = roster_.find(bare_of(signin));
        if (it == roster_.end()) {
            out->status = MSGR_STATUS_OFFLINE;
            return;
        }
        describe_name_ = it->second.friendly();
        if (!describe_name_.empty()) out->friendly = describe_name_.c_str();
        out->status = it->second.status();
        out->mobile = it->second.page_resource() != nullptr ? 1 : 0;
    }

    // On the runtime's thread (send_page): whether a client of the contact accepts pages now.
    bool carries_pages_to(const char *signin) {
        const std::lock_guard<std::mutex> lock(roster_mutex_);
        auto it = roster_.find(bare_of(signin));
        return it != roster_.end() && it->second.page_resource() != nullptr;
    }

    const Settings &settings() const { return s_; }
    msgr_contact_service table{};

  private:
    enum class Phase { idle, connecting, online, reconnecting };

    // ---- the network thread ----
    void run() {
        t_self = this;
        // A write to a connection the server dropped raises SIGPIPE, whose default action
        // would kill the host. Blocked on this thread only (the host's own handling is left
        // alone): the write fails with EPIPE and libstrophe sees the disconnect.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        for (;;) {
            // Wait for the socket, a command (the eventfd) or the next timer. While signing in
            // libstrophe drives a non-blocking connect and the TLS handshake itself, so it gets
            // short slices instead; once online the socket is watched directly and libstrophe
            // runs as soon as something arrives (20 ms at most, for its own timers and for TLS
            // records it has already buffered).
            if (conn_ == nullptr || phase_ == Phase::online) {
                pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, POLLIN, 0}};
                if (conn_ != nullptr) fds[1].fd = sock_fd_;
                const int timeout =
                    conn_ != nullptr ? 20 : (phase_ == Phase::reconnecting ? 10 : 200);
                ::poll(fds, 2, timeout);
                std::uint64_t n = 0;
                while (::read(wake_fd_, &n, sizeof n) > 0) {
                }
            }
            std::deque<Command> cmds;
            {
                const std::lock_guard<std::mutex> lock(mutex_);
                if (stopping_) break;
                cmds.swap(commands_);
            }
            for (auto &c : cmds)
                handle(c);
            if (conn_ != nullptr) {
                if (phase_ == Phase::online) {
                    for (int i = 0; i < 4 && conn_ != nullptr && !ended_; ++i)
                        xmpp_run_once(ctx_, 0);
                } else {
                    const std::lock_guard<std::mutex> lock(g_auth_mutex);
                    xmpp_run_once(ctx_, 2);
                }
            }
            if (parse_error_ && conn_ != nullptr && !ended_) {
                parse_error_ = false;
                h_.say(MSGR_LOG_WARNING,
                       "the XMPP server sent XML that does not parse; reconnecting");
                // Sends </stream:stream>; libstrophe closes the socket itself if the server
                // does not answer within its disconnect timeout (2 s).
                xmpp_disconnect(conn_);
            }
            if (ended_) on_ended();
            timers();
            const timespec zero{0, 0};
            while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
            }  // consume SIGPIPEs left pending on this thread
        }
        if (conn_ != nullptr) {
            disconnect_now();
        }
        fail_outbox(MSGR_E_DISCONNECTED);
        flush_mark();
    }

    void handle(Command &c) {
        if (debug_) (void)std::fprintf(stderr, "msgr-xmpp: command %d\n", static_cast<int>(c.kind));
        switch (c.kind) {
            case Command::signin:
                if (conn_ != nullptr) disconnect_now();
                fail_outbox(MSGR_E_DISCONNECTED);
                flush_mark();
                session_ = c.session;
                jid_ = bare_of(c.name);
                mark_path_ = msgr_xmpp::archive_mark_path(data_home(), jid_);
                mark_ = msgr_xmpp::read_archive_mark(mark_path_);
                pending_mark_.clear();
                password_ = c.password.empty() ? s_.password : c.password;
                my_status_ = MSGR_STATUS_ONLINE;
                my_nick_.clear();  // the runtime's name starts as the sign-in name again
                my_activity_.clear();
                nick_unpublished_ = false;
                contact_waiting_.clear();
                {
                    const std::lock_guard<std::mutex> lock(roster_mutex_);
                    roster_.clear();
                }
                phase_ = Phase::connecting;
                deadline_ = Clock::now() + milliseconds(s_.logon_timeout_ms);
                if (!connect()) {
                    finish_signin(MSGR_E_CONNECT, "cannot start connecting");
                }
                break;
            case Command::signout:
                if (conn_ != nullptr) {
                    send_presence(true);
                    disconnect_now();
                }
                fail_outbox(MSGR_E_NOT_LOGGED_ON);
                flush_mark();
                phase_ = Phase::idle;
                session_ = 0;
                break;
            case Command::status:
                my_status_ = c.status_value;
                if (phase_ == Phase::online) send_presence(false);
                break;
            case Command::send:
                if (c.message.stanza_id.empty()) c.message.stanza_id = new_id("m-");
                if (phase_ == Phase::online && conn_ != nullptr) {
                    send_out(c.message);
                    ack_wanted_ = true;
                } else if (phase_ == Phase::reconnecting) {
                    outbox_.push_back(std::move(c.message));
                } else {
                    h_.post_delivery(h_.ctx, c.message.id, MSGR_DELIVERY_FAILED,
                                     MSGR_E_NOT_LOGGED_ON);
                }
                break;
            case Command::chat_state:
                // Chat states and read markers are of the moment: not kept for a reconnect.
                if (phase_ == Phase::online && conn_ != nullptr)
                    send(msgr_xmpp::chat_state_message(ctx_, c.message.to, c.status_value));
                break;
            case Command::displayed:
                if (phase_ == Phase::online && conn_ != nullptr)
                    send(msgr_xmpp::displayed_message(ctx_, c.message.to, c.id));
                break;
            case Command::fetch_older:
                fetch_older(c.message.to, c.id, c.max);
                break;
            case Command::add_contact:
            case Command::remove_contact:
            case Command::authorize:
            case Command::set_blocked:
            case Command::set_nick:
                contact_list_command(c);
                break;
            case Command::set_activity:
                my_activity_ = c.name;
                if (phase_ == Phase::online && conn_ != nullptr) send_presence(false);
                break;  // (else it goes out with the next presence: the sign-in or reconnect)
        }
    }

    // ---- the contact list (contact_list.hpp says how each call maps) ----
    // A call made while the link reconnects waits and goes out once it is back (the runtime has
    // applied it already); one made while signed out is answered as the runtime expects: an add
    // fails (MSGR_E_DISCONNECTED), the rest are logged.
    void contact_list_command(const Command &c) {
        if (c.kind == Command::set_nick) {
            my_nick_ = c.name;
            nick_unpublished_ = true;
        }
        if (phase_ == Phase::reconnecting || phase_ == Phase::connecting) {
            if (contact_waiting_.size() < kMaxContactWaiting) {
                contact_waiting_.push_back(c);
            } else {
                h_.say(MSGR_LOG_WARNING,
                       "too many contact list changes while reconnecting: one was not sent");
            }
            return;
        }
        if (phase_ != Phase::online || conn_ == nullptr) {
            if (c.kind == Command::add_contact) {
                h_.post_add_result(h_.ctx, s_.service_id.c_str(), session_, c.name.c_str(),
                                   MSGR_E_DISCONNECTED);
            } else if (c.kind != Command::set_nick) {
                h_.say(MSGR_LOG_WARNING,
                       "not connected: the server was not told of the change for " + c.name);
            }
            return;
        }
        const std::string bare = c.kind == Command::set_nick ? std::string() : bare_of(c.name);
        switch (c.kind) {
            case Command::add_contact:
                if (c.name.find('/') != std::string::npos) {  // a full JID names no contact
                    h_.post_add_result(h_.ctx, s_.service_id.c_str(), session_, c.name.c_str(),
                                       MSGR_E_USER_NOT_FOUND);
                    return;
                }
                adding_.insert(bare);
                // The subscription request follows the server's result (contact_iq_answered):
                // a refused roster set sends none.
                send_tracked(msgr_xmpp::roster_set(ctx_, track(ContactIq::add, bare), bare, false));
                break;
            case Command::remove_contact:
                adding_.erase(bare);
                send_tracked(
                    msgr_xmpp::roster_set(ctx_, track(ContactIq::remove, bare), bare, true));
                break;
            case Command::authorize: {
                const bool accept = c.status_value != 0;
                send(msgr_xmpp::subscription_presence(ctx_, bare,
                                                      accept ? "subscribed" : "unsubscribed"));
                bool listed = false;
                {
                    const std::lock_guard<std::mutex> lock(roster_mutex_);
                    auto it = roster_.find(bare);
                    listed = it != roster_.end() && it->second.in_roster;
                }
                // Accepting a friend request makes friends both ways.
                if (accept && !listed)
                    send(msgr_xmpp::subscription_presence(ctx_, bare, "subscribe", my_nick_));
                break;
            }
            case Command::set_blocked: {
                const bool block = c.status_value != 0;
                send_tracked(msgr_xmpp::blocking_set(
                    ctx_, track(block ? ContactIq::block : ContactIq::unblock, bare), bare, block));
                if (block) {
                    blocked_.insert(bare);
                } else {
                    blocked_.erase(bare);
                }
                break;
            }
            case Command::set_nick:
                publish_nick();
                break;
            default:
                break;
        }
    }

    // Whether a stanza comes from the account's own server: no 'from', or exactly the bare JID
    // (RFC 6121 2.1.6; the account's other clients have full JIDs).
    bool from_own_server(const char *from) const {
        if (from == nullptr) return true;
        return std::strchr(from, '/') == nullptr && bare_of(from) == jid_;
    }

    // What an IQ of the contact list was for, until the server answers it.
    struct ContactIq {
        enum Kind { add, remove, block, unblock, blocklist, nick } kind;
        std::string jid;
    };

    // A fresh IQ id for a contact list request, remembered with what it is about.
    std::string track(ContactIq::Kind kind, const std::string &jid) {
        std::string id = new_id("cl-");
        contact_iqs_[id] = ContactIq{kind, jid};
        return id;
    }

    // Sends an IQ that track() named, with the handler for its answer.
    void send_tracked(xmpp_stanza_t *iq) {
        if (iq == nullptr) return;
        if (const char *id = xmpp_stanza_get_id(iq))
            xmpp_id_handler_add(conn_, &Xmpp::on_contact_iq, id, this);
        send(iq);
    }

    // The user's name, once per change (a reconnect does not publish it again over a newer one
    // set on another device).
    void publish_nick() {
        if (my_nick_.empty() || !nick_unpublished_) return;
        nick_unpublished_ = false;
        send_tracked(msgr_xmpp::nick_publish(ctx_, track(ContactIq::nick, jid_), my_nick_));
    }

    // The server's answer to a contact list IQ. Only a result or an error from the account's
    // own server answers it.
    static int on_contact_iq(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *id = xmpp_stanza_get_id(stanza);
        auto it = self->contact_iqs_.find(id != nullptr ? id : "");
        if (it == self->contact_iqs_.end()) return 0;
        const char *type = xmpp_stanza_get_type(stanza);
        const bool result = type != nullptr && std::strcmp(type, "result") == 0;
        const bool error = type != nullptr && std::strcmp(type, "error") == 0;
        if ((!result && !error) || !self->from_own_server(xmpp_stanza_get_from(stanza)))
            return 1;  // not the answer: keep waiting
        const ContactIq q = std::move(it->second);
        self->contact_iqs_.erase(it);
        self->contact_iq_answered(q, result, stanza);
        return 0;
    }

    void contact_iq_answered(const ContactIq &q, bool ok, xmpp_stanza_t *stanza) {
        const char *sid = s_.service_id.c_str();
        switch (q.kind) {
            case ContactIq::add: {
                if (adding_.count(q.jid) == 0) return;  // removed meanwhile
                if (!ok) {
                    adding_.erase(q.jid);
                    h_.say(MSGR_LOG_WARNING,
                           "the server refused to add " + q.jid + " to the roster");
                    h_.post_add_result(h_.ctx, sid, session_, q.jid.c_str(),
                                       msgr_xmpp::add_refusal(stanza));
                    return;
                }
                const std::string id = new_id("sub-");
                subscribe_ids_[q.jid] = id;
                xmpp_stanza_t *p =
                    msgr_xmpp::subscription_presence(ctx_, q.jid, "subscribe", my_nick_);
                if (p != nullptr) xmpp_stanza_set_id(p, id.c_str());
                send(p);
                return;
            }
            case ContactIq::remove:
                if (!ok) h_.say(MSGR_LOG_WARNING, "the server refused to remove " + q.jid);
                return;
            case ContactIq::block:
            case ContactIq::unblock:
                if (!ok) {
                    h_.say(MSGR_LOG_WARNING,
                           "the server did not take the " +
                               std::string(q.kind == ContactIq::block ? "block" : "unblock") +
                               " of " + q.jid + " (no XEP-0191?): it holds on this device only");
                }
                return;
            case ContactIq::blocklist: {
                if (!ok) return;  // a server without XEP-0191: nothing to learn
                const msgr_xmpp::Blocking b = msgr_xmpp::read_blocking(stanza);
                if (b.kind != msgr_xmpp::Blocking::list) return;
                // The list as it is now: what was unblocked meanwhile (on another device, while
                // this one reconnected) is reported too.
                const std::set<std::string> now(b.jids.begin(), b.jids.end());
                for (const auto &jid : blocked_) {
                    if (now.count(jid) == 0) h_.post_blocked(h_.ctx, sid, session_, jid.c_str(), 0);
                }
                for (const auto &jid : now) {
                    if (blocked_.count(jid) == 0)
                        h_.post_blocked(h_.ctx, sid, session_, jid.c_str(), 1);
                }
                blocked_ = now;
                return;
            }
            case ContactIq::nick:
                if (!ok) h_.say(MSGR_LOG_INFO, "the server did not publish the nickname (no PEP?)");
                return;
        }
    }

    // XEP-0191 3.3, 3.4: a block or unblock made on another of the user's devices.
    void blocking_push(xmpp_stanza_t *iq) {
        const msgr_xmpp::Blocking b = msgr_xmpp::read_blocking(iq);
        if (b.kind != msgr_xmpp::Blocking::block && b.kind != msgr_xmpp::Blocking::unblock) {
            reply_error(iq, "modify", "bad-request");
            return;
        }
        send(reply_to(iq, "result"));
        if (h_.post_blocked == nullptr) return;
        const bool block = b.kind == msgr_xmpp::Blocking::block;
        std::vector<std::string> jids = b.jids;
        if (b.all) jids.assign(blocked_.begin(), blocked_.end());
        for (const auto &jid : jids) {
            if (block && blocked_.count(jid) == 0 && blocked_.size() >= msgr_xmpp::kMaxBlockItems) {
                h_.say(MSGR_LOG_WARNING, "the block list is full: a pushed block was not taken");
                break;
            }
            if (block) {
                blocked_.insert(jid);
            } else {
                blocked_.erase(jid);
            }
            h_.post_blocked(h_.ctx, s_.service_id.c_str(), session_, jid.c_str(), block ? 1 : 0);
        }
    }

    // A subscription presence from `bare` (RFC 6121 3): a request, or the answer to an add.
    void subscription(const std::string &bare, msgr_xmpp::Subscription sub,
                      xmpp_stanza_t *presence) {
        using msgr_xmpp::Subscription;
        const char *sid = s_.service_id.c_str();
        const bool contact_list = h_.has_contact_list_functions();
        switch (sub) {
            case Subscription::subscribe: {
                bool asked_them =
                    adding_.count(bare) != 0 ||
                    std::find(s_.subscribe.begin(), s_.subscribe.end(), bare) != s_.subscribe.end();
                {
                    const std::lock_guard<std::mutex> lock(roster_mutex_);
                    auto it = roster_.find(bare);
                    asked_them = asked_them || (it != roster_.end() && it->second.in_roster);
                }
                if (s_.accept_subscriptions || asked_them) {
                    send(msgr_xmpp::subscription_presence(ctx_, bare, "subscribed"));
                    if (!asked_them)
                        send(msgr_xmpp::subscription_presence(ctx_, bare, "subscribe", my_nick_));
                    return;
                }
                if (!contact_list) return;  // a runtime before 1.6 cannot ask the user
                const msgr_xmpp::Nick nick = msgr_xmpp::read_nick(presence);
                if (!nick.text.empty()) set_nick_of(bare, nick.text);
                h_.post_authorization_request(h_.ctx, sid, session_, bare.c_str());
                return;
            }
            case Subscription::subscribed:
                if (adding_.erase(bare) == 0) return;
                subscribe_ids_.erase(bare);
                {
                    const std::lock_guard<std::mutex> lock(roster_mutex_);
                    roster_[bare].in_roster = true;
                }
                // On the list now: this answers the runtime's add, also one asked for before
                // this sign-in (which the runtime no longer waits for).
                h_.post_contact(h_.ctx, sid, session_, bare.c_str(), 1);
                return;
            case Subscription::unsubscribed:
            case Subscription::error: {
                if (!contact_list || adding_.count(bare) == 0) return;
                if (sub == Subscription::error) {
                    // Only the error answering the request itself (by its id) refuses it.
                    const char *id = xmpp_stanza_get_id(presence);
                    auto want = subscribe_ids_.find(bare);
                    if (id == nullptr || want == subscribe_ids_.end() || want->second != id) return;
                }
                adding_.erase(bare);
                subscribe_ids_.erase(bare);
                refuse_add(bare, sub == Subscription::error
                                     ? msgr_xmpp::add_refusal(presence)
                                     : static_cast<std::int32_t>(MSGR_E_FAIL));
                return;
            }
            case Subscription::unsubscribe:
            case Subscription::none:
                return;
        }
    }

    // An add refused (declined, or the contact does not exist): the item goes off the roster
    // again, so the contact stays off the list on every device; but one who may see the user's
    // presence (subscription 'from', granted before) keeps that, and its item stays.
    void refuse_add(const std::string &bare, std::int32_t hr) {
        bool keep = false;
        {
            const std::lock_guard<std::mutex> lock(roster_mutex_);
            auto it = roster_.find(bare);
            keep = it != roster_.end() && it->second.subscription == "from";
        }
        if (!keep) {
            refusing_.insert(bare);
            send_tracked(msgr_xmpp::roster_set(ctx_, track(ContactIq::remove, bare), bare, true));
        }
        h_.post_add_result(h_.ctx, s_.service_id.c_str(), session_, bare.c_str(), hr);
    }

    // The adds the full roster answers (asked before it was requested, on an earlier stream):
    // one whose item is gone, or is there without a subscription or a pending ask, was declined
    // (or lost with the link); the runtime is told, never left waiting.
    void adds_answered_by_roster(const std::set<std::string> &in_result,
                                 const std::set<std::string> &still_asking) {
        for (const auto &bare : adding_at_roster_request_) {
            if (adding_.count(bare) == 0 || still_asking.count(bare) != 0) continue;
            adding_.erase(bare);
            subscribe_ids_.erase(bare);
            if (in_result.count(bare) != 0) {
                refuse_add(bare, MSGR_E_FAIL);
            } else {
                h_.post_add_result(h_.ctx, s_.service_id.c_str(), session_, bare.c_str(),
                                   MSGR_E_FAIL);
            }
        }
        adding_at_roster_request_.clear();
    }

    // A contact's own nickname (XEP-0172) changed: reported when the user has not named them.
    void set_nick_of(const std::string &bare, const std::string &nick) {
        bool report = false;
        {
            const std::lock_guard<std::mutex> lock(roster_mutex_);
            RosterEntry &e = roster_[bare];
            report = e.nick != nick && e.name.empty();
            e.nick = nick;
        }
        if (report && h_.post_friendly_name != nullptr)
            h_.post_friendly_name(h_.ctx, s_.service_id.c_str(), session_, bare.c_str(),
                                  nick.c_str());
    }

    // A PEP event (XEP-0163) <message/>: a nickname of a contact, or the user's own published
    // on another device. Returns whether the message was one (nothing else to read in it).
    bool pep_event(xmpp_stanza_t *message) {
        const msgr_xmpp::Nick nick = msgr_xmpp::read_nick(message);
        if (!nick.from_event) return false;
        const char *from = xmpp_stanza_get_from(message);
        // XEP-0163 4.3.1: the server sends a notification from the owner's bare JID, and only
        // to those who share presence: anything else (a full JID, a stranger) is dropped.
        if (from == nullptr || nick.text.empty() || std::strchr(from, '/') != nullptr) return true;
        const std::string bare = bare_of(from);
        if (bare != jid_) {
            const std::lock_guard<std::mutex> lock(roster_mutex_);
            auto it = roster_.find(bare);
            if (it == roster_.end() || !it->second.in_roster) return true;
        }
        if (bare == jid_) {
            if (nick.text == my_nick_) return true;
            my_nick_ = nick.text;
            if (h_.post_friendly_name != nullptr)
                h_.post_friendly_name(h_.ctx, s_.service_id.c_str(), session_, bare.c_str(),
                                      nick.text.c_str());
            return true;
        }
        set_nick_of(bare, nick.text);
        return true;
    }

    bool connect() {
        conn_ = xmpp_conn_new(ctx_);
        if (conn_ == nullptr) return false;
        const std::string full = jid_ + "/" + s_.resource;
        xmpp_conn_set_jid(conn_, full.c_str());
        xmpp_conn_set_pass(conn_, password_.c_str());
        // Stream management is the add-in's own (stream_management.hpp says why).
        long flags = XMPP_CONN_FLAG_DISABLE_SM;
        if (s_.tls == Tls::required) flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
        if (s_.tls == Tls::disabled) flags |= XMPP_CONN_FLAG_DISABLE_TLS;
        xmpp_conn_set_flags(conn_, flags);
        if (!s_.ca_file.empty()) xmpp_conn_set_cafile(conn_, s_.ca_file.c_str());
        xmpp_conn_set_certfail_handler(conn_, &Xmpp::on_certfail);
        xmpp_conn_set_sockopt_callback(conn_, &Xmpp::on_socket);
        sock_fd_ = -1;
        cert_failed_ = false;
        ended_ = false;
        reached_ = false;
        auth_failed_ = false;
        parse_error_ = false;
        socket_error_ = 0;
        sm_offered_ = false;
        sm_ = msgr_xmpp::StreamCounter{};
        // First: every stanza is counted for XEP-0198 before any other handler runs.
        xmpp_handler_add(conn_, &Xmpp::on_any, nullptr, nullptr, nullptr, this);
        xmpp_handler_add(conn_, &Xmpp::on_sm, msgr_xmpp::kStreamManagementNs, nullptr, nullptr,
                         this);
        xmpp_handler_add(conn_, &Xmpp::on_message, nullptr, "message", nullptr, this);
        xmpp_handler_add(conn_, &Xmpp::on_presence, nullptr, "presence", nullptr, this);
        xmpp_handler_add(conn_, &Xmpp::on_iq, nullptr, "iq", nullptr, this);
        disco_queries_.clear();  // their handlers went with the old connection
        end_fetches();
        const char *host = s_.host.empty() ? nullptr : s_.host.c_str();
        const auto port = static_cast<unsigned short>(s_.port);
        int rc = 0;
        {
            const std::lock_guard<std::mutex> lock(g_auth_mutex);
            rc = xmpp_connect_client(conn_, host, port, &Xmpp::on_conn, this);
        }
        if (rc != XMPP_EOK) {
            xmpp_conn_release(conn_);
            conn_ = nullptr;
            return false;
        }
        return true;
    }

    void disconnect_now() {
        if (debug_) (void)std::fprintf(stderr, "msgr-xmpp: disconnect_now\n");
        xmpp_disconnect(conn_);
        for (int i = 0; i < 100 && !xmpp_conn_is_disconnected(conn_); ++i)
            xmpp_run_once(ctx_, 5);
        release_conn();
    }

    // Releases the connection. What the server had not acknowledged goes to the front of the
    // outbox: it is sent again, under the same ids, on the next connection (or failed with the
    // outbox when the add-in goes offline).
    void release_conn() {
        if (conn_ == nullptr) return;
        if (debug_)
            (void)std::fprintf(stderr, "msgr-xmpp: release (phase %d)\n", static_cast<int>(phase_));
        xmpp_conn_release(conn_);
        conn_ = nullptr;
        ended_ = false;
        while (!unacked_.empty()) {
            outbox_.push_front(std::move(unacked_.back().message));
            unacked_.pop_back();
        }
        end_fetches();
    }

    void finish_signin(msgr_hresult hr, const std::string &why) {
        if (hr != MSGR_S_OK) {
            h_.say(MSGR_LOG_WARNING, "sign-in as " + jid_ + " failed: " + why);
            release_conn();
            fail_outbox(MSGR_E_CONNECT);
            phase_ = Phase::idle;
        }
        h_.post_signin(h_.ctx, s_.service_id.c_str(), session_, hr);
    }

    void on_ended() {
        const int error = end_error_ != 0 ? end_error_ : socket_error_;
        const bool stream_error = end_has_stream_error_;
        const xmpp_error_type_t type = end_stream_type_;
        if (phase_ == Phase::connecting) {
            msgr_hresult hr = MSGR_E_CONNECT;
            std::string why = "the server closed the connection during sign-in";
            if (cert_failed_) {
                hr = MSGR_E_CONNECT;
                why = "the server's TLS certificate is not trusted (" + cert_reason_ + ")";
            } else if (stream_error && type == XMPP_SE_HOST_UNKNOWN) {
                hr = MSGR_E_INVALID_SERVER_NAME;
                why = "the server does not serve this JID's domain";
            } else if (stream_error && type == XMPP_SE_NOT_AUTHORIZED) {
                hr = MSGR_E_INVALID_PASSWORD;
            } else if (stream_error) {
                hr = MSGR_E_CONNECT;
                why = "stream error " + std::to_string(static_cast<int>(type));
            } else if (error == ETIMEDOUT) {
                hr = MSGR_E_LOGON_TIMEOUT;
                why = "the connection timed out";
            } else if (error != 0 || !reached_) {
                hr = MSGR_E_CONNECT;
                why = "cannot reach the server (" +
                      (error != 0 ? std::generic_category().message(error)
                                  : std::string("no connection")) +
                      ")";
            } else if (auth_failed_) {
                hr = MSGR_E_INVALID_PASSWORD;
                why = "the server refused the credentials";
            } else if (s_.tls == Tls::required && !secured_) {
                hr = MSGR_E_CONNECT;
                why = "the server does not offer TLS, and [xmpp] tls = \"required\"";
            }
            finish_signin(hr, why);
            return;
        }
        if (phase_ == Phase::online || phase_ == Phase::reconnecting) {
            if (phase_ == Phase::online) {
                h_.say(MSGR_LOG_WARNING,
                       "the connection to the XMPP server was lost; reconnecting");
                grace_deadline_ = Clock::now() + milliseconds(s_.reconnect_grace_ms);
                backoff_ = milliseconds(s_.reconnect_backoff_ms);
            } else {
                backoff_ = std::min(backoff_ * 2, milliseconds(s_.reconnect_backoff_max_ms));
            }
            release_conn();
            phase_ = Phase::reconnecting;
            next_attempt_ = Clock::now() + backoff_;
            return;
        }
        release_conn();
    }

    void timers() {
        const auto now = Clock::now();
        if (phase_ == Phase::online && conn_ != nullptr && sm_.is_enabled()) {
            // One <r/> after a burst of messages, and again while some stay unacknowledged.
            if (ack_wanted_ || (!unacked_.empty() && now - last_r_ >= milliseconds(1000))) {
                xmpp_send_raw_string(conn_, "<r xmlns='%s'/>", msgr_xmpp::kStreamManagementNs);
                last_r_ = now;
                ack_wanted_ = false;
            }
        }
        if (!pending_mark_.empty() && now - last_mark_write_ >= milliseconds(500)) flush_mark();
        if (phase_ == Phase::connecting && now >= deadline_) {
            finish_signin(MSGR_E_LOGON_TIMEOUT, "no answer within [xmpp] logon_timeout_ms");
            return;
        }
        if (phase_ != Phase::reconnecting) return;
        if (now >= grace_deadline_) {
            h_.say(MSGR_LOG_WARNING, "the XMPP server stayed unreachable; going offline");
            release_conn();
            fail_outbox(MSGR_E_DISCONNECTED);
            flush_mark();
            h_.post_offline(h_.ctx, s_.service_id.c_str(), session_, MSGR_E_DISCONNECTED);
            phase_ = Phase::idle;
            session_ = 0;
            return;
        }
        if (conn_ == nullptr && now >= next_attempt_) {
            if (!connect()) {
                backoff_ = std::min(backoff_ * 2, milliseconds(s_.reconnect_backoff_max_ms));
                next_attempt_ = now + backoff_;
            }
        }
    }

    void fail_outbox(msgr_hresult hr) {
        for (const auto &m : outbox_)
            h_.post_delivery(h_.ctx, m.id, MSGR_DELIVERY_FAILED, hr);
        outbox_.clear();
    }

    // The full JID of the contact's resource that accepts pages now; "" when none does.
    std::string page_target(const std::string &contact) {
        const std::lock_guard<std::mutex> lock(roster_mutex_);
        auto it = roster_.find(bare_of(contact));
        const std::string *resource = it != roster_.end() ? it->second.page_resource() : nullptr;
        return resource != nullptr ? it->first + "/" + *resource : std::string();
    }

    // A message or a page. A page goes to the contact's resource that accepts pages now, as a
    // normal message (stored by the server if that client has just gone away); when no client
    // of the contact accepts pages any more, the page fails with MSGR_E_PAGING_UNAVAILABLE.
    void send_out(const Outgoing &m) {
        std::string to = m.to;
        if (m.page) {
            to = page_target(m.to);
            // Reported outside the roster lock: post_delivery may wait for room in the runtime's
            // inbox, and the runtime's thread may be waiting for the lock (describe).
            if (to.empty()) {
                h_.post_delivery(h_.ctx, m.id, MSGR_DELIVERY_FAILED, MSGR_E_PAGING_UNAVAILABLE);
                return;
            }
        }
        xmpp_stanza_t *msg = msgr_xmpp::chat_message(ctx_, to, m.stanza_id, m.text, m.page);
        if (msg == nullptr) {
            h_.post_delivery(h_.ctx, m.id, MSGR_DELIVERY_FAILED, MSGR_E_OUTOFMEMORY);
            return;
        }
        const std::uint64_t number = send(msg);
        if (number == 0) {
            // No stream management on this stream: handed to the connection is all we know.
            h_.post_delivery(h_.ctx, m.id, MSGR_DELIVERY_SENT, MSGR_S_OK);
            return;
        }
        // SENT once the server acknowledges it (on_sm); until then it is sent again after a
        // reconnect.
        unacked_.push_back({number, m});
    }

    // Adds a new element to parent and returns it (parent holds the only reference).
    xmpp_stanza_t *add_child(xmpp_stanza_t *parent, const char *name, const char *ns = nullptr) {
        return msgr_xmpp::add_element(ctx_, parent, name, ns);
    }

    void send_presence(bool unavailable) {
        xmpp_stanza_t *p = xmpp_presence_new(ctx_);
        if (p == nullptr) return;
        if (unavailable || my_status_ == MSGR_STATUS_INVISIBLE) {
            xmpp_stanza_set_type(p, "unavailable");
        } else {
            if (const char *show = show_for(my_status_)) {
                xmpp_stanza_t *t = xmpp_stanza_new(ctx_);
                xmpp_stanza_set_text(t, show);
                xmpp_stanza_add_child(add_child(p, "show"), t);
                xmpp_stanza_release(t);
            }
            // Rich presence: what the player is doing, as the status message every client shows.
            if (!my_activity_.empty())
                (void)msgr_xmpp::add_text_element(ctx_, p, "status", my_activity_);
            // XEP-0115: what this client can do (whether it accepts pages) is in its disco#info.
            if (!my_ver_.empty()) {
                xmpp_stanza_t *c = add_child(p, "c", msgr_xmpp::kCapsNs);
                xmpp_stanza_set_attribute(c, "hash", "sha-1");
                xmpp_stanza_set_attribute(c, "node", msgr_xmpp::kCapsNode);
                xmpp_stanza_set_attribute(c, "ver", my_ver_.c_str());
            }
        }
        send(p);
    }

    // This client's XEP-0030 identity and features.
    msgr_xmpp::DiscoInfo my_disco_info() const {
        msgr_xmpp::DiscoInfo info;
        info.identities.push_back({"client", "pc", "", "msgr"});
        info.features = {msgr_xmpp::kCapsNs, msgr_xmpp::kDiscoInfoNs, msgr_xmpp::kNickNotify,
                         msgr_xmpp::kPingNs};
        if (s_.accept_pages) info.features.emplace_back(msgr_xmpp::kPagingNs);
        return info;
    }

    // Answers an <iq type='get'/> with an error (RFC 6120 8.2.3: every get and set is answered).
    // The answer to iq, of type "result" or "error": its id, to its sender. Unlike
    // xmpp_stanza_reply it also answers an iq without a 'from' (the server's own, such as a
    // roster push), which goes back to the server.
    xmpp_stanza_t *reply_to(xmpp_stanza_t *iq, const char *type) {
        const char *id = xmpp_stanza_get_id(iq);
        xmpp_stanza_t *r = xmpp_iq_new(ctx_, type, id != nullptr ? id : "");
        if (r == nullptr) return nullptr;
        if (const char *from = xmpp_stanza_get_from(iq)) xmpp_stanza_set_to(r, from);
        return r;
    }

    // Sends a stanza this thread built and releases it (nothing when building it failed).
    // Returns its XEP-0198 number on this stream, 0 when stream management is not on.
    std::uint64_t send(xmpp_stanza_t *stanza) {
        if (stanza == nullptr) return 0;
        xmpp_send(conn_, stanza);
        xmpp_stanza_release(stanza);
        return sm_.sent();
    }

    void reply_error(xmpp_stanza_t *iq, const char *type, const char *condition) {
        xmpp_stanza_t *r = reply_to(iq, "error");
        if (r == nullptr) return;
        xmpp_stanza_t *e = add_child(r, "error");
        xmpp_stanza_set_type(e, type);
        add_child(e, condition, msgr_xmpp::kStanzaErrorNs);
        send(r);
    }

    void answer_disco(xmpp_stanza_t *iq, xmpp_stanza_t *query) {
        const char *node = xmpp_stanza_get_attribute(query, "node");
        const std::string mine = std::string(msgr_xmpp::kCapsNode) + "#" + my_ver_;
        if (node != nullptr && mine != node) {
            reply_error(iq, "cancel", "item-not-found");
            return;
        }
        xmpp_stanza_t *r = reply_to(iq, "result");
        if (r == nullptr) return;
        xmpp_stanza_t *q = add_child(r, "query", msgr_xmpp::kDiscoInfoNs);
        if (node != nullptr) xmpp_stanza_set_attribute(q, "node", node);
        const msgr_xmpp::DiscoInfo info = my_disco_info();
        for (const auto &i : info.identities) {
            xmpp_stanza_t *id = add_child(q, "identity");
            xmpp_stanza_set_attribute(id, "category", i.category.c_str());
            xmpp_stanza_set_attribute(id, "type", i.type.c_str());
            xmpp_stanza_set_attribute(id, "name", i.name.c_str());
        }
        for (const auto &f : info.features)
            xmpp_stanza_set_attribute(add_child(q, "feature"), "var", f.c_str());
        send(r);
    }

    // Asks a contact's resource what its client can do (once per unknown caps ver).
    void query_disco(const std::string &bare, const std::string &resource,
                     const msgr_xmpp::Caps &caps) {
        for (const auto &[id, q] : disco_queries_) {
            if (q.ver == caps.ver) return;  // already asked: the answer is applied to all
        }
        if (disco_queries_.size() >= kMaxDiscoQueries) return;
        // Unique, not a counter: the contact's client numbers its own queries, and an id handler
        // matches every IQ with that id, its queries to us included.
        char *uuid = xmpp_uuid_gen(ctx_);
        if (uuid == nullptr) return;
        const std::string id = std::string("disco-") + uuid;
        xmpp_free(ctx_, uuid);
        xmpp_stanza_t *iq = xmpp_iq_new(ctx_, "get", id.c_str());
        if (iq == nullptr) return;
        xmpp_stanza_set_to(iq, (bare + "/" + resource).c_str());
        xmpp_stanza_t *q = add_child(iq, "query", msgr_xmpp::kDiscoInfoNs);
        xmpp_stanza_set_attribute(q, "node", (caps.node + "#" + caps.ver).c_str());
        disco_queries_[id] = {bare, resource, caps.ver, caps.hash};
        xmpp_id_handler_add(conn_, &Xmpp::on_disco_result, id.c_str(), this);
        send(iq);
    }

    void request_roster() {
        adding_at_roster_request_ = adding_;
        xmpp_stanza_t *iq = xmpp_iq_new(ctx_, "get", "roster1");
        xmpp_stanza_t *q = xmpp_stanza_new(ctx_);
        xmpp_stanza_set_name(q, "query");
        xmpp_stanza_set_ns(q, kRosterNs);
        xmpp_stanza_add_child(iq, q);
        xmpp_stanza_release(q);
        xmpp_id_handler_add(conn_, &Xmpp::on_roster_result, "roster1", this);
        send(iq);
    }

    // Roster items, from the full roster (full: the answer to request_roster) or a push.
    void roster_items(xmpp_stanza_t *query, bool full) {
        const bool contact_list = h_.has_contact_list_functions();
        std::set<std::string> in_result, still_asking;
        for (xmpp_stanza_t *item = xmpp_stanza_get_children(query); item != nullptr;
             item = xmpp_stanza_get_next(item)) {
            const char *name = xmpp_stanza_get_name(item);
            const char *jid = xmpp_stanza_get_attribute(item, "jid");
            if (name == nullptr || std::strcmp(name, "item") != 0 || jid == nullptr) continue;
            const std::string bare = bare_of(jid);
            const char *sub_attr = xmpp_stanza_get_attribute(item, "subscription");
            const std::string sub = sub_attr != nullptr ? sub_attr : "none";
            const bool remove = sub == "remove";
            const char *friendly = xmpp_stanza_get_attribute(item, "name");
            const char *ask_attr = xmpp_stanza_get_attribute(item, "ask");
            const bool asking = ask_attr != nullptr && std::strcmp(ask_attr, "subscribe") == 0;
            // An item the user is adding (subscription none) joins the list when the contact
            // accepts ('subscribed'), also one asked for before this sign-in (a pending ask);
            // one whose add was refused stays off until its removal comes back. An item with
            // 'from' (the contact may see the user) is on the list whatever is asked.
            const bool subscribed_to = sub == "to" || sub == "both";
            if (remove || subscribed_to || sub == "from") {
                adding_.erase(bare);
                refusing_.erase(bare);
                subscribe_ids_.erase(bare);
            } else if (asking && contact_list) {
                adding_.insert(bare);
            }
            if (full) {
                in_result.insert(bare);
                if (asking) still_asking.insert(bare);
            }
            const bool waiting =
                !remove && (adding_.count(bare) != 0 || refusing_.count(bare) != 0);
            bool changed = false, renamed = false;
            std::string shown;
            {
                const std::lock_guard<std::mutex> lock(roster_mutex_);
                RosterEntry &e = roster_[bare];
                const std::string before = e.friendly();
                e.name = friendly != nullptr ? msgr_xmpp::clean_name(friendly) : std::string();
                e.subscription = remove ? "none" : sub;
                shown = e.friendly();
                renamed = e.in_roster && !remove && shown != before;
                changed = !waiting && e.in_roster == remove;
                if (!waiting) e.in_roster = !remove;
            }
            if (changed && h_.post_contact(h_.ctx, s_.service_id.c_str(), session_, bare.c_str(),
                                           remove ? 0 : 1) != MSGR_S_OK) {
                h_.say(MSGR_LOG_WARNING, "ignored a roster item the runtime refused: " + bare);
            }
            if (renamed && h_.post_friendly_name != nullptr)
                h_.post_friendly_name(h_.ctx, s_.service_id.c_str(), session_, bare.c_str(),
                                      shown.c_str());
        }
        if (full && contact_list) adds_answered_by_roster(in_result, still_asking);
    }

    // ---- libstrophe callbacks (on the network thread, inside xmpp_run_once) ----
    // Every new socket: remembered for poll(), Nagle off (libstrophe writes each stanza and
    // each XEP-0198 <r/> separately; with Nagle a small write waits for the peer's delayed ACK),
    // TCP keepalive on.
    static int on_socket(xmpp_conn_t *conn, void *sock) {
        const int fd = *static_cast<int *>(sock);
        if (t_self != nullptr) t_self->sock_fd_ = fd;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return xmpp_sockopt_cb_keepalive(conn, sock);
    }

    static void on_log(void *user, xmpp_log_level_t level, const char *area, const char *msg) {
        auto *self = static_cast<Xmpp *>(user);
        if (self->debug_) (void)std::fprintf(stderr, "libstrophe %s: %s\n", area, msg);
        if (msg == nullptr) return;
        if (std::strstr(msg, "connection successful") != nullptr) self->reached_ = true;
        // libstrophe 0.12 tells no handler what the stream offers; it logs each element it
        // receives. XEP-0198 is enabled only when the server offers it (an <enable/> it does
        // not know would end the stream).
        if (std::strncmp(msg, "RECV: <features", 15) == 0 ||
            std::strncmp(msg, "RECV: <stream:features", 22) == 0)
            self->sm_offered_ = std::strstr(msg, msgr_xmpp::kStreamManagementNs) != nullptr;
        if (const char *f = std::strstr(msg, "connection failed, error ")) {
            self->socket_error_ = static_cast<int>(
                std::strtol(f + std::strlen("connection failed, error "), nullptr, 10));
        }
        // libstrophe 0.12 answers XML it cannot parse (invalid UTF-8, say) with a stream error
        // but keeps the connection open with a dead parser: nothing more would ever arrive. The
        // add-in then closes the link itself and reconnects (run()).
        if (area != nullptr && std::strcmp(area, "xmpp") == 0 &&
            std::strncmp(msg, "parse error", 11) == 0)
            self->parse_error_ = true;
        if (std::strstr(msg, "auth failed") != nullptr ||
            std::strstr(msg, "Cannot authenticate") != nullptr)
            self->auth_failed_ = true;
        (void)level;
    }

    static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                        xmpp_stream_error_t *stream_error, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        if (self->debug_) {
            (void)std::fprintf(stderr, "msgr-xmpp: connection event %d error %d stream error %d\n",
                               static_cast<int>(event), error,
                               stream_error != nullptr ? static_cast<int>(stream_error->type) : -1);
        }
        if (event == XMPP_CONN_RAW_CONNECT) return;
        if (event == XMPP_CONN_CONNECT) {
            self->reached_ = true;
            self->secured_ = xmpp_conn_is_secured(conn) != 0;
            self->on_connected();
            return;
        }
        // XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL: handled after xmpp_run_once returns.
        self->ended_ = true;
        self->end_error_ = error;
        self->end_has_stream_error_ = stream_error != nullptr;
        self->end_stream_type_ = stream_error != nullptr ? stream_error->type : XMPP_SE_BAD_FORMAT;
        self->secured_ = xmpp_conn_is_secured(conn) != 0;
    }

    void on_connected() {
        const bool first = phase_ == Phase::connecting;
        if (!first && phase_ != Phase::reconnecting) return;
        phase_ = Phase::online;
        // XEP-0198 first, so that every stanza after it is counted; then carbons (XEP-0280)
        // so that this device sees what the user's others send and receive.
        if (sm_offered_) {
            xmpp_send_raw_string(conn_, "<enable xmlns='%s'/>", msgr_xmpp::kStreamManagementNs);
            sm_.enable_sent();
        }
        send(msgr_xmpp::carbons_enable(ctx_, new_id("carbons-")));
        contact_iqs_.clear();  // their answers belonged to the old stream
        if (first) {
            blocked_.clear();
            adding_.clear();
            refusing_.clear();
            subscribe_ids_.clear();
        }
        request_roster();
        if (h_.has_contact_list_functions())
            send_tracked(msgr_xmpp::blocklist_get(ctx_, track(ContactIq::blocklist, "")));
        send_presence(false);
        publish_nick();
        if (first) {
            for (const auto &jid : s_.subscribe)
                send(msgr_xmpp::subscription_presence(ctx_, jid, "subscribe", my_nick_));
            finish_signin(MSGR_S_OK, "");
        } else {
            h_.say(MSGR_LOG_INFO, "reconnected to the XMPP server");
        }
        // What waited (sent before and not acknowledged, or queued while the link was down)
        // goes out now, under its first ids.
        std::deque<Outgoing> waiting;
        waiting.swap(outbox_);
        for (const auto &m : waiting)
            send_out(m);
        ack_wanted_ = !waiting.empty();
        std::deque<Command> changes;
        changes.swap(contact_waiting_);
        for (const auto &c : changes)
            contact_list_command(c);
        start_catch_up();
    }

    static int on_certfail(const xmpp_tlscert_t *, const char *errormsg) {
        Xmpp *self = t_self;
        if (self != nullptr) {
            self->cert_failed_ = true;
            self->cert_reason_ = errormsg != nullptr ? errormsg : "verification failed";
        }
        return 0;  // never accept an untrusted certificate
    }

    // Bodies past msgr_xmpp::kMaxBodyBytes arrive cut and marked; messages that are not
    // delivered (from the account itself, without a sender, refused by the runtime) are logged.
    // Carbons and archive results are unwrapped (only from the account's own server); archive
    // results go to the query that asked for them.
    static int on_message(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        if (self->pep_event(stanza)) return 1;
        const msgr_xmpp::Unwrapped u = msgr_xmpp::unwrap(stanza, self->jid_);
        if (u.inner == nullptr) {
            self->h_.say(MSGR_LOG_WARNING, "dropped " + u.why);
            return 1;
        }
        const bool wrapped = u.envelope != msgr_xmpp::Envelope::none;
        msgr_xmpp::Incoming in = msgr_xmpp::read_message(self->ctx_, u.inner, self->jid_,
                                                         msgr_xmpp::kMaxBodyBytes, wrapped);
        if (u.envelope == msgr_xmpp::Envelope::archive_result) {
            self->archive_result(u, std::move(in));
            return 1;
        }
        if (!in.why.empty()) self->h_.say(MSGR_LOG_INFO, "ignored " + in.why);
        if (in.peer.empty()) return 1;
        const bool live = u.envelope == msgr_xmpp::Envelope::none;
        // What the contact's client says about the user's messages: to this device, or (a
        // received carbon) to another device of the user's.
        if (!in.from_me) {
            if (!in.received_id.empty())
                self->post_receipt(in.peer, in.received_id, MSGR_DELIVERY_DELIVERED);
            if (!in.displayed_id.empty())
                self->post_receipt(in.peer, in.displayed_id, MSGR_DELIVERY_READ);
            if (in.chat_state != MSGR_CHAT_STATE_NONE && self->h_.post_chat_state != nullptr)
                self->h_.post_chat_state(self->h_.ctx, self->s_.service_id.c_str(), self->session_,
                                         in.peer.c_str(),
                                         static_cast<msgr_chat_state>(in.chat_state));
        }
        if (!in.deliver) return 1;
        // XEP-0184: the client that received the message answers (a carbon's original
        // recipient does that itself).
        if (live && in.wants_receipt)
            self->send(msgr_xmpp::receipt_message(self->ctx_, in.from_full, in.id));
        std::uint32_t flags = 0;
        if (in.time_unix_ms != 0 && live) flags |= MSGR_INCOMING_ARCHIVED;  // offline storage
        if (in.archive_id.empty() && u.time_unix_ms != 0) in.time_unix_ms = u.time_unix_ms;
        self->post_incoming(in, flags);
        // A live message's archive id is where the next catch-up starts (not while a catch-up
        // is filling the gap before it).
        if (self->catch_up_.empty()) self->advance_mark(in.archive_id);
        return 1;
    }

    // The archive mark moves to a message posted to the runtime only while the session it was
    // posted with still lasts there: the runtime applies what came before its sign-out call
    // returned, and drops later posts as stale. A message posted as the user signs out is
    // fetched again by the next catch-up (and the runtime shows it once).
    void advance_mark(const std::string &archive_id) {
        if (!archive_id.empty() && session_ != 0 && host_session_.load() == session_)
            pending_mark_ = archive_id;
    }

    // Posts a message to the runtime (post_message_ex when it has it).
    void post_incoming(const msgr_xmpp::Incoming &in, std::uint32_t flags) {
        if (in.page) {
            flags |= MSGR_INCOMING_PAGE;
            h_.say(MSGR_LOG_INFO, "a page from " + in.peer);
        }
        if (in.from_me) flags |= MSGR_INCOMING_FROM_ME;
        if (in.truncated) {
            h_.say(MSGR_LOG_WARNING, "a message from " + in.peer + " was longer than " +
                                         std::to_string(msgr_xmpp::kMaxBodyBytes) +
                                         " bytes and was cut");
        }
        msgr_hresult hr = MSGR_S_OK;
        if (h_.post_message_ex != nullptr) {
            msgr_incoming_message m{};
            m.struct_size = sizeof m;
            m.service = s_.service_id.c_str();
            m.session = session_;
            m.peer = in.peer.c_str();
            m.text = in.text.data();
            m.text_size = in.text.size();
            m.flags = flags;
            m.time_unix_ms = in.time_unix_ms;
            m.origin_id = in.origin_id.c_str();
            m.archive_id = in.archive_id.c_str();
            m.receipt_id = in.markable ? in.id.c_str() : "";
            hr = h_.post_message_ex(h_.ctx, &m);
        } else if (in.from_me || (flags & MSGR_INCOMING_OLDER) != 0) {
            return;  // an older runtime has no place for these
        } else {
            const msgr_host_post_message_fn post =
                in.page && h_.post_page != nullptr ? h_.post_page : h_.post_message;
            hr = post(h_.ctx, s_.service_id.c_str(), session_, in.peer.c_str(), in.text.data(),
                      in.text.size());
        }
        if (hr != MSGR_S_OK) {
            h_.say(MSGR_LOG_WARNING,
                   "dropped a message the runtime refused (with " +
                       msgr_xmpp::sanitize_utf8(std::string_view(in.peer).substr(0, 200)) + ", " +
                       std::to_string(in.text.size()) + " bytes)");
        }
    }

    void post_receipt(const std::string &peer, const std::string &origin_id,
                      msgr_delivery_state state) {
        if (h_.post_receipt == nullptr) return;
        h_.post_receipt(h_.ctx, s_.service_id.c_str(), session_, peer.c_str(), origin_id.c_str(),
                        state);
    }

    // ---- XEP-0198, the add-in's own ----

    // Every stanza, before any other handler: the count the server's <r/> is answered with.
    static int on_any(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *name = xmpp_stanza_get_name(stanza);
        if (name != nullptr && (std::strcmp(name, "message") == 0 ||
                                std::strcmp(name, "presence") == 0 || std::strcmp(name, "iq") == 0))
            self->sm_.received();
        return 1;
    }

    // <enabled/>, <failed/>, <r/> and <a h/> from the server.
    static int on_sm(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *name = xmpp_stanza_get_name(stanza);
        const char *ns = xmpp_stanza_get_ns(stanza);
        if (name == nullptr || ns == nullptr ||
            std::strcmp(ns, msgr_xmpp::kStreamManagementNs) != 0)
            return 1;  // a stanza with a child of that namespace: not ours
        if (std::strcmp(name, "enabled") == 0) {
            self->sm_.enabled();
        } else if (std::strcmp(name, "failed") == 0) {
            // No stream management after all: what waited for an ack counts as sent.
            self->h_.say(MSGR_LOG_INFO, "the XMPP server refused stream management (XEP-0198)");
            self->sm_.failed();
            for (const auto &u : self->unacked_)
                self->h_.post_delivery(self->h_.ctx, u.message.id, MSGR_DELIVERY_SENT, MSGR_S_OK);
            self->unacked_.clear();
        } else if (std::strcmp(name, "r") == 0) {
            if (self->sm_.is_enabled())
                xmpp_send_raw_string(self->conn_, "<a xmlns='%s' h='%u'/>",
                                     msgr_xmpp::kStreamManagementNs, self->sm_.handled());
        } else if (std::strcmp(name, "a") == 0) {
            const char *h = xmpp_stanza_get_attribute(stanza, "h");
            std::uint32_t value = 0;
            std::uint64_t upto = 0;
            if (h == nullptr || !msgr_xmpp::parse_h(h, value) || !self->sm_.ack(value, &upto)) {
                // XEP-0198 section 4: an impossible h breaks the stream.
                self->h_.say(MSGR_LOG_WARNING,
                             "the XMPP server acknowledged stanzas it was never sent; "
                             "reconnecting");
                xmpp_disconnect(self->conn_);
                return 1;
            }
            while (!self->unacked_.empty() && self->unacked_.front().number <= upto) {
                self->h_.post_delivery(self->h_.ctx, self->unacked_.front().message.id,
                                       MSGR_DELIVERY_SENT, MSGR_S_OK);
                self->unacked_.pop_front();
            }
        }
        return 1;
    }

    // ---- XEP-0313, the archive ----

    // The sign-in's catch-up: what arrived after the last archive id handed to the runtime, or
    // on an account's first sign-in the newest [xmpp] mam_catch_up_max.
    void start_catch_up() {
        if (s_.mam_catch_up_max == 0 && mark_.empty()) return;
        ArchiveFetch f;
        f.kind = mark_.empty() ? ArchiveFetch::catch_up_newest : ArchiveFetch::catch_up_after;
        f.wanted = static_cast<std::size_t>(s_.mam_catch_up_max);
        catch_up_ = new_id("mam-");
        fetches_[catch_up_] = std::move(f);
        query_page(catch_up_, mark_, false, "");
    }

    // Fetch up to max older messages with peer, before archive_id ("": the newest).
    void fetch_older(const std::string &peer, const std::string &archive_id, std::uint32_t max) {
        if (phase_ != Phase::online || conn_ == nullptr) {
            if (h_.post_history_end != nullptr)
                h_.post_history_end(h_.ctx, s_.service_id.c_str(), session_, peer.c_str(), 0);
            return;
        }
        ArchiveFetch f;
        f.kind = ArchiveFetch::older;
        f.peer = bare_of(peer);
        f.wanted = std::min<std::size_t>(std::max<std::uint32_t>(max, 1), 500);
        const std::string qid = new_id("old-");
        fetches_[qid] = std::move(f);
        query_page(qid, "", true, archive_id);
    }

    // Asks for one page of the query qid: after `after`, or (backward) before `before`.
    void query_page(const std::string &qid, const std::string &after, bool backward,
                    const std::string &before) {
        ArchiveFetch &f = fetches_[qid];
        msgr_xmpp::ArchiveQuery q;
        q.query_id = qid;
        q.with = f.peer;
        if (f.kind == ArchiveFetch::catch_up_newest) backward = true;
        q.after = backward ? "" : after;
        q.before_set = backward;
        q.before = before;
        q.max = kArchivePage;
        if (f.kind != ArchiveFetch::catch_up_after)
            q.max =
                static_cast<unsigned>(std::min<std::size_t>(kArchivePage, f.wanted - f.gathered));
        f.iq_id = new_id("mamq-");
        f.page.clear();
        xmpp_id_handler_add(conn_, &Xmpp::on_archive_fin, f.iq_id.c_str(), this);
        send(msgr_xmpp::archive_query(ctx_, f.iq_id, q));
    }

    // A result of one of the add-in's queries (any other is dropped: a result nobody asked for).
    void archive_result(const msgr_xmpp::Unwrapped &u, msgr_xmpp::Incoming in) {
        auto it = fetches_.find(u.query_id);
        if (it == fetches_.end()) {
            h_.say(MSGR_LOG_INFO, "ignored an archive result for no query of this client");
            return;
        }
        if (!in.deliver) return;  // chat states, receipts, markers: history only holds messages
        in.archive_id = u.archive_id;
        if (u.time_unix_ms != 0) in.time_unix_ms = u.time_unix_ms;
        ArchiveFetch &f = it->second;
        if (f.kind == ArchiveFetch::older && in.peer != f.peer) return;  // not what was asked
        if (f.kind == ArchiveFetch::catch_up_after) {
            post_incoming(in, MSGR_INCOMING_ARCHIVED);  // oldest first, as they come
            advance_mark(in.archive_id);
        } else if (f.page.size() < kArchivePage) {
            f.page.push_back(std::move(in));
        }
    }

    // The end of a page: the next one, or the end of the query.
    static int on_archive_fin(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *id = xmpp_stanza_get_id(stanza);
        const std::string iq_id = id != nullptr ? id : "";
        auto it = std::find_if(self->fetches_.begin(), self->fetches_.end(),
                               [&](const auto &e) { return e.second.iq_id == iq_id; });
        if (it == self->fetches_.end()) return 0;
        const std::string qid = it->first;
        ArchiveFetch &f = it->second;
        const msgr_xmpp::ArchiveFin fin = msgr_xmpp::read_archive_fin(stanza);
        if (!fin.ok) {
            const bool expired = f.kind == ArchiveFetch::catch_up_after;
            self->h_.say(MSGR_LOG_WARNING, "the XMPP server's archive refused a query");
            self->finish_fetch(qid, true);
            // The id the catch-up started after is gone (expired): the newest, then.
            if (expired && qid == self->catch_up_) {
                self->mark_.clear();
                self->start_catch_up();
            }
            return 0;
        }
        if (f.kind == ArchiveFetch::catch_up_after) {
            self->flush_mark();
            if (!fin.complete && !fin.last.empty()) {
                self->query_page(qid, fin.last, false, "");
                return 0;
            }
        } else {
            f.gathered += f.page.size();
            f.pages.push_front(std::move(f.page));
            f.page.clear();
            if (!fin.complete && !fin.first.empty() && f.gathered < f.wanted &&
                f.kind == ArchiveFetch::catch_up_newest) {
                self->query_page(qid, "", true, fin.first);
                return 0;
            }
        }
        self->finish_fetch(qid, fin.complete);
        return 0;
    }

    // Posts what a query gathered and forgets it.
    void finish_fetch(const std::string &qid, bool complete) {
        auto it = fetches_.find(qid);
        if (it == fetches_.end()) return;
        ArchiveFetch f = std::move(it->second);
        fetches_.erase(it);
        if (f.kind == ArchiveFetch::catch_up_newest) {
            std::string newest;
            for (const auto &page : f.pages) {  // oldest page first, each oldest first
                for (const auto &in : page) {
                    post_incoming(in, MSGR_INCOMING_ARCHIVED);
                    newest = in.archive_id;
                }
            }
            advance_mark(newest);
        } else if (f.kind == ArchiveFetch::older) {
            for (auto page = f.pages.rbegin(); page != f.pages.rend(); ++page) {  // newest first
                for (auto in = page->rbegin(); in != page->rend(); ++in)
                    post_incoming(*in, MSGR_INCOMING_ARCHIVED | MSGR_INCOMING_OLDER);
            }
            if (h_.post_history_end != nullptr)
                h_.post_history_end(h_.ctx, s_.service_id.c_str(), session_, f.peer.c_str(),
                                    complete ? 1 : 0);
        }
        if (qid == catch_up_) {
            catch_up_.clear();
            flush_mark();
        }
    }

    // The connection went: queries in progress end (a fetch_older with what it had, not
    // complete; the catch-up starts again on the next connection).
    void end_fetches() {
        std::vector<std::string> ids;
        for (const auto &[qid, f] : fetches_)
            ids.push_back(qid);
        for (const auto &qid : ids) {
            auto it = fetches_.find(qid);
            if (it != fetches_.end() && it->second.kind != ArchiveFetch::older) {
                it->second.pages.clear();  // posted again by the next catch-up
                it->second.kind = ArchiveFetch::catch_up_after;
            }
            finish_fetch(qid, false);
        }
        catch_up_.clear();
    }

    // Writes the pending archive id to the account's mark file.
    void flush_mark() {
        last_mark_write_ = Clock::now();
        if (pending_mark_.empty() || pending_mark_ == mark_) return;
        std::string why;
        if (msgr_xmpp::write_archive_mark(mark_path_, pending_mark_, why)) {
            mark_ = pending_mark_;
        } else {
            h_.say(MSGR_LOG_WARNING, "cannot keep where the archive catch-up resumes: " + why);
        }
        pending_mark_.clear();
    }

    static std::string data_home() {
        const char *d = std::getenv("XDG_DATA_HOME");
        return d != nullptr && d[0] == '/' ? std::string(d) : std::string();
    }

    // A fresh unique id (stanza ids, query ids).
    std::string new_id(const char *prefix) {
        char *uuid = xmpp_uuid_gen(ctx_);
        std::string id = prefix;
        if (uuid != nullptr) {
            id += uuid;
            xmpp_free(ctx_, uuid);
        } else {
            id += std::to_string(++id_counter_);
        }
        return id;
    }

    static int on_presence(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *from = xmpp_stanza_get_from(stanza);
        if (from == nullptr) return 1;
        const std::string bare = bare_of(from);
        if (bare == self->jid_) return 1;  // my own other resources
        const char *type = xmpp_stanza_get_type(stanza);
        if (const msgr_xmpp::Subscription sub = msgr_xmpp::subscription_of(stanza);
            sub != msgr_xmpp::Subscription::none) {
            self->subscription(bare, sub, stanza);
            return 1;
        }
        if (type != nullptr && std::strcmp(type, "unavailable") != 0) return 1;  // probe, ...
        const std::string_view full(from);
        const auto slash = full.find('/');
        const std::string resource(slash == std::string_view::npos ? "" : full.substr(slash + 1));
        std::int32_t before = MSGR_STATUS_OFFLINE, after = MSGR_STATUS_OFFLINE;
        std::string activity_before, activity_after;
        const msgr_xmpp::Caps caps = msgr_xmpp::read_caps(stanza);
        bool ask = false;
        {
            const std::lock_guard<std::mutex> lock(self->roster_mutex_);
            RosterEntry &e = self->roster_[bare];
            before = e.status();
            activity_before = e.activity();
            const std::int32_t s = msgr_xmpp::presence_status(stanza);
            if (s == MSGR_STATUS_OFFLINE) {
                e.resources.erase(resource);
            } else {
                Resource &r = e.resources[resource];
                r.status = s;
                r.activity = msgr_xmpp::status_text(stanza);
                if (caps.ver != r.ver) {
                    r.ver = caps.ver;
                    auto known = self->caps_cache_.find(caps.ver);
                    r.pages = known != self->caps_cache_.end() && known->second;
                    ask = !caps.ver.empty() && known == self->caps_cache_.end();
                }
            }
            after = e.status();
            activity_after = e.activity();
        }
        if (ask) self->query_disco(bare, resource, caps);
        // Rich presence: the status message is what the contact is doing (ABI 1.7).
        if (activity_after != activity_before && self->h_.post_activity != nullptr) {
            self->h_.post_activity(self->h_.ctx, self->s_.service_id.c_str(), self->session_,
                                   bare.c_str(), activity_after.c_str());
        }
        if (before != after) {
            self->h_.post_status(self->h_.ctx, self->s_.service_id.c_str(), self->session_,
                                 bare.c_str(), after);
        }
        return 1;
    }

    static int on_roster_result(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        if (self->debug_) (void)std::fprintf(stderr, "msgr-xmpp: roster result\n");
        if (xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(stanza, kRosterNs))
            self->roster_items(q, true);
        return 0;  // once
    }

    // Every <iq/> that is not the answer to one of ours: roster pushes, disco#info and ping are
    // answered; any other get or set gets service-unavailable (RFC 6120 8.2.3).
    static int on_iq(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *type = xmpp_stanza_get_type(stanza);
        const bool get = type != nullptr && std::strcmp(type, "get") == 0;
        const bool set = type != nullptr && std::strcmp(type, "set") == 0;
        if (!get && !set) return 1;  // results and errors: the id handlers take them
        if (set && xmpp_stanza_get_child_by_ns(stanza, kRosterNs) != nullptr) {
            self->roster_push(stanza);
        } else if (set && xmpp_stanza_get_child_by_ns(stanza, msgr_xmpp::kBlockingNs) != nullptr) {
            if (self->from_own_server(xmpp_stanza_get_from(stanza))) {
                self->blocking_push(stanza);
            } else {
                self->reply_error(stanza, "cancel", "not-allowed");
            }
        } else if (xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(stanza, msgr_xmpp::kDiscoInfoNs);
                   get && q != nullptr) {
            self->answer_disco(stanza, q);
        } else if (get && xmpp_stanza_get_child_by_ns(stanza, msgr_xmpp::kPingNs) != nullptr) {
            self->send(self->reply_to(stanza, "result"));
        } else {
            self->reply_error(stanza, "cancel", "service-unavailable");
        }
        return 1;
    }

    // The answer to a disco#info query of query_disco: whether that client accepts pages. A
    // verified answer (its XEP-0115 hash matches) is kept per ver and applies to every resource
    // that announced the same ver; an unverified one only to the resource that gave it.
    static int on_disco_result(xmpp_conn_t *, xmpp_stanza_t *stanza, void *user) {
        auto *self = static_cast<Xmpp *>(user);
        const char *id = xmpp_stanza_get_id(stanza);
        auto it = self->disco_queries_.find(id != nullptr ? id : "");
        if (it == self->disco_queries_.end()) return 0;
        const char *type = xmpp_stanza_get_type(stanza);
        const bool answered = type != nullptr && std::strcmp(type, "result") == 0;
        const bool failed = type != nullptr && std::strcmp(type, "error") == 0;
        // Only the queried resource answers (the server stamps 'from'); anything else with
        // this id is not the answer: keep waiting.
        const char *from = xmpp_stanza_get_from(stanza);
        const std::string_view full = from != nullptr ? from : "";
        const std::size_t slash = full.find('/');
        const bool from_queried = slash != std::string_view::npos &&
                                  msgr_xmpp::bare_of(full.substr(0, slash)) == it->second.bare &&
                                  full.substr(slash + 1) == it->second.resource;
        if ((!answered && !failed) || !from_queried) return 1;
        const DiscoQuery q = std::move(it->second);
        self->disco_queries_.erase(it);
        const msgr_xmpp::DiscoInfo info =
            answered ? msgr_xmpp::read_disco_info(stanza) : msgr_xmpp::DiscoInfo{};
        const bool pages = msgr_xmpp::has_feature(info, msgr_xmpp::kPagingNs);
        const bool verified =
            answered && q.hash == "sha-1" && msgr_xmpp::caps_ver(self->ctx_, info) == q.ver;
        const std::lock_guard<std::mutex> lock(self->roster_mutex_);
        if (verified) {
            if (self->caps_cache_.size() >= kMaxCapsCache) self->caps_cache_.clear();
            self->caps_cache_[q.ver] = pages;
            for (auto &[bare, e] : self->roster_) {
                for (auto &[name, r] : e.resources) {
                    if (r.ver == q.ver) r.pages = pages;
                }
            }
        } else {
            auto e = self->roster_.find(q.bare);
            if (e == self->roster_.end()) return 0;
            auto r = e->second.resources.find(q.resource);
            if (r != e->second.resources.end() && r->second.ver == q.ver) r->second.pages = pages;
        }
        return 0;  // once
    }

    // RFC 6121 2.1.6: a push that is not from the account itself is ignored, unanswered.
    void roster_push(xmpp_stanza_t *stanza) {
        const char *from = xmpp_stanza_get_from(stanza);
        if (!msgr_xmpp::roster_push_allowed(from, jid_)) {
            h_.say(MSGR_LOG_WARNING,
                   "ignored a roster push from " +
                       msgr_xmpp::sanitize_utf8(std::string_view(from).substr(0, 200)) +
                       " (only the account itself may push)");
            return;
        }
        if (xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(stanza, kRosterNs))
            roster_items(q, false);
        send(reply_to(stanza, "result"));
    }

    Host h_;
    Settings s_;
    xmpp_ctx_t *ctx_ = nullptr;
    std::thread thread_;

    std::mutex mutex_;  // commands_ and stopping_
    int wake_fd_ = -1;  // an eventfd: commands and stop wake the network thread
    int sock_fd_ = -1;  // the connection's socket (network thread)
    std::deque<Command> commands_;
    bool stopping_ = false;

    std::mutex roster_mutex_;  // roster_ (read by describe on the runtime's thread)
    std::map<std::string, RosterEntry> roster_;
    std::string describe_name_;               // the friendly name handed out by describe
    std::map<std::string, bool> caps_cache_;  // verified caps ver -> accepts pages

    // Network thread only.
    xmpp_conn_t *conn_ = nullptr;
    msgr_xmpp::StreamCounter sm_;  // XEP-0198 on the current stream
    bool sm_offered_ = false;      // the stream's features offer XEP-0198
    std::deque<Unacked> unacked_;  // sent, not yet acknowledged, in order
    bool ack_wanted_ = false;      // messages went out since the last <r/>
    Clock::time_point last_r_{};
    std::map<std::string, ArchiveFetch> fetches_;  // archive queries by queryid
    std::string catch_up_;                         // the catch-up's queryid ("" : none running)
    std::string mark_path_, mark_;  // the account's archive mark file and the id in it
    std::string pending_mark_;      // a newer id to write there
    Clock::time_point last_mark_write_{};
    std::uint64_t id_counter_ = 0;
    Phase phase_ = Phase::idle;
    std::uint64_t session_ = 0;
    // The session the runtime signed this service in with, 0 from its sign-out call on (set by
    // push on the runtime's thread, read on the network thread after a post: advance_mark).
    std::atomic<std::uint64_t> host_session_{0};
    std::string jid_, password_;
    std::int32_t my_status_ = MSGR_STATUS_ONLINE;
    Clock::time_point deadline_{}, grace_deadline_{}, next_attempt_{};
    milliseconds backoff_{500};
    std::deque<Outgoing> outbox_;
    bool ended_ = false, reached_ = false, secured_ = false, cert_failed_ = false;
    bool end_has_stream_error_ = false;
    int end_error_ = 0;
    xmpp_error_type_t end_stream_type_ = XMPP_SE_BAD_FORMAT;
    std::string cert_reason_;
    bool debug_ = false;
    bool auth_failed_ = false;
    bool parse_error_ = false;
    int socket_error_ = 0;
    xmpp_log_t logger_{};
    std::string my_ver_;                               // this client's XEP-0115 ver
    std::map<std::string, DiscoQuery> disco_queries_;  // by IQ id
    std::map<std::string, ContactIq> contact_iqs_;     // by IQ id
    std::set<std::string> adding_;    // bare JIDs the user asked to add, not answered yet
    std::set<std::string> refusing_;  // refused adds whose roster removal has not come back
    std::set<std::string> blocked_;   // bare JIDs the server's block list holds (as we know it)
    std::string my_nick_;             // the user's friendly name ("" : none set)
    std::string my_activity_;         // the user's activity, sent as the status message
    bool nick_unpublished_ = false;   // my_nick_ changed since it was last published
    std::map<std::string, std::string> subscribe_ids_;  // adding_: the request's presence id
    std::deque<Command> contact_waiting_;               // contact list calls while reconnecting
    // adding_ when the roster was last asked for: the full roster answers those.
    std::set<std::string> adding_at_roster_request_;
};

// ---- the contact service table --------------------------------------------------------------

msgr_hresult svc_signin(void *state, std::uint64_t session, const char *name,
                        const char *password) {
    Command c{Command::signin};
    c.session = session;
    c.name = name;
    c.password = password;
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

msgr_hresult svc_signout(void *state) {
    static_cast<Xmpp *>(state)->push(Command{Command::signout});
    return MSGR_S_OK;
}

msgr_hresult svc_set_status(void *state, std::int32_t status) {
    Command c{Command::status};
    c.status_value = status;
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

msgr_hresult svc_describe(void *state, const char *signin, msgr_contact_info *out) {
    static_cast<Xmpp *>(state)->describe(signin, out);
    return MSGR_S_OK;
}

msgr_hresult svc_send(void *state, std::uint64_t id, const char *to, const char *text,
                      std::size_t size) {
    Command c{Command::send};
    c.message = {id, to, std::string(text, size), false, {}};
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

// ABI 1.4: the runtime's origin id is the stanza id and XEP-0359 origin-id, on every resend.
msgr_hresult svc_send_ex(void *state, const msgr_outgoing_message *m) {
    Command c{Command::send};
    c.message = {m->message_id, m->to, std::string(m->text, m->text_size), false,
                 m->origin_id != nullptr ? m->origin_id : ""};
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

msgr_hresult svc_send_chat_state(void *state, const char *to, msgr_chat_state chat_state) {
    if (msgr_xmpp::chat_state_name(chat_state) == nullptr) return MSGR_S_OK;  // NONE: nothing
    Command c{Command::chat_state};
    c.message.to = to;
    c.status_value = chat_state;
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

msgr_hresult svc_send_displayed(void *state, const char *to, const char *receipt_id) {
    Command c{Command::displayed};
    c.message.to = to;
    c.id = receipt_id;
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

msgr_hresult svc_fetch_older(void *state, const char *peer, const char *archive_id,
                             std::uint32_t max) {
    Command c{Command::fetch_older};
    c.message.to = peer;
    c.id = archive_id != nullptr ? archive_id : "";
    c.max = max;
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}

// ABI 1.6: the contact list. Each call is queued for the network thread (contact_list.hpp).
msgr_hresult push_contact_command(void *state, Command::Kind kind, const char *name,
                                  std::int32_t value = 0) {
    Command c{kind};
    c.name = name;
    c.status_value = value;
    static_cast<Xmpp *>(state)->push(std::move(c));
    return MSGR_S_OK;
}
msgr_hresult svc_add_contact(void *state, const char *signin) {
    return push_contact_command(state, Command::add_contact, signin);
}
msgr_hresult svc_remove_contact(void *state, const char *signin) {
    return push_contact_command(state, Command::remove_contact, signin);
}
msgr_hresult svc_authorize(void *state, const char *signin, int accept) {
    return push_contact_command(state, Command::authorize, signin, accept != 0 ? 1 : 0);
}
msgr_hresult svc_set_blocked(void *state, const char *signin, int blocked) {
    return push_contact_command(state, Command::set_blocked, signin, blocked != 0 ? 1 : 0);
}
msgr_hresult svc_set_friendly_name(void *state, const char *name) {
    return push_contact_command(state, Command::set_nick, name);
}

// ABI 1.7: the user's activity, carried in presence as its status message.
msgr_hresult svc_set_activity(void *state, const char *text) {
    return push_contact_command(state, Command::set_activity, text != nullptr ? text : "");
}

msgr_hresult svc_send_page(void *state, std::uint64_t id, const char *to, const char *text,
                           std::size_t size) {
    auto *x = static_cast<Xmpp *>(state);
    if (!x->carries_pages_to(to)) return MSGR_S_FALSE;  // the paging add-in's gateway, then
    Command c{Command::send};
    c.message = {id, to, std::string(text, size), true, {}};
    x->push(std::move(c));
    return MSGR_S_OK;
}

msgr_hresult load(const msgr_host *host, void **state) {
    const Host h(*host);
    if (!h.has_config_functions() || !h.has_service_functions()) {
        if (h.set_error != nullptr)
            h.set_error(host->ctx, "this runtime has no contact services (ABI < 1.1)");
        return MSGR_E_NOTIMPL;
    }
    // Without an [xmpp] table the add-in stays idle: no service, no thread.
    const char *first_key = nullptr;
    if (h.config_key(host->ctx, 0, &first_key) != MSGR_S_OK) {
        h.say(MSGR_LOG_DEBUG, "no [xmpp] table: the XMPP service is not configured");
        *state = nullptr;
        return MSGR_S_OK;
    }
    std::unique_ptr<Xmpp> x;
    try {
        x = std::make_unique<Xmpp>(h, read_settings(h));
        std::string why;
        if (!x->start(why)) {
            h.set_error(host->ctx, why.c_str());
            return MSGR_E_FAIL;
        }
    } catch (const Invalid &e) {
        h.set_error(host->ctx, e.message.c_str());
        return MSGR_E_INVALID_DATA;
    } catch (const std::exception &e) {
        h.set_error(host->ctx, e.what());
        return MSGR_E_OUTOFMEMORY;
    }
    msgr_contact_service &t = x->table;
    // A runtime before ABI 1.4 gets the table as it knew it (ending at send_page), one before
    // 1.6 the table without the contact list, one before 1.7 the table without set_activity.
    std::size_t size = offsetof(msgr_contact_service, send_message_ex);
    if (h.has_activity_functions()) {
        size = sizeof t;
    } else if (h.has_contact_list_functions()) {
        size = offsetof(msgr_contact_service, set_activity);
    } else if (h.has_conversation_functions()) {
        size = offsetof(msgr_contact_service, add_contact);
    }
    t.struct_size = static_cast<std::uint32_t>(size);
    t.state = x.get();
    t.id = x->settings().service_id.c_str();
    t.flags = MSGR_SERVICE_CAN_PAGE | MSGR_SERVICE_HAS_ARCHIVE;
    t.max_message_bytes = kMaxMessageBytes;
    t.signin = svc_signin;
    t.signout = svc_signout;
    t.set_status = svc_set_status;
    t.describe = svc_describe;
    t.send_message = svc_send;
    t.send_page = svc_send_page;
    t.send_message_ex = svc_send_ex;
    t.send_chat_state = svc_send_chat_state;
    t.send_displayed = svc_send_displayed;
    t.fetch_older = svc_fetch_older;
    t.add_contact = svc_add_contact;
    t.remove_contact = svc_remove_contact;
    t.authorize = svc_authorize;
    t.set_blocked = svc_set_blocked;
    t.set_friendly_name = svc_set_friendly_name;
    t.set_activity = svc_set_activity;
    const msgr_hresult hr = h.register_service(host->ctx, &t);
    if (MSGR_FAILED(hr)) return hr;  // x stops its thread
    *state = x.release();
    return MSGR_S_OK;
}

void unload(void *state) {
    delete static_cast<Xmpp *>(state);
}

const msgr_addin_descriptor descriptor = {
    sizeof descriptor,
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    "xmpp",
    "0.1",
    "the XMPP contact service (libstrophe): roster, presence, chat, stream management, "
    "receipts, read markers, chat states, carbons, the archive, the contact list (requests, "
    "blocking, nicknames)",
    "xmpp",
    nullptr,
    load,
    unload,
};

const msgr_addin_descriptor *entry() {
    return &descriptor;
}

}  // namespace

MSGR_ADDIN_ENTRY(entry);

// The XMPP service add-in against a hostile server: a fake XMPP server in this test (a plain
// TCP socket on 127.0.0.1 that speaks just enough of the stream, SASL PLAIN and bind handshake,
// TLS off) signs the add-in in and then sends a corpus of hostile stanzas: a 4 MB body, deep
// nesting, unknown namespaces, odd senders (no localpart, 4000 bytes long, resources, the
// account itself), garbage presence, spoofed roster pushes, error stanzas and finally invalid
// UTF-8 (which breaks the stream: the add-in must reconnect, not crash or go offline). A fake
// server gives control a real one cannot: prosody would refuse to relay most of these.
// Every wait is bounded (hang guards only; nothing asserts time).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../support/addin_fixture.hpp"

using namespace msgr::test;

namespace {

const fs::path kAddins = MSGR_ADDIN_OUTPUT_DIR;
using Clock = std::chrono::steady_clock;

bool valid_utf8(const std::string &s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80         ? 1
                        : (b >> 5) == 6  ? 2
                        : (b >> 4) == 14 ? 3
                        : (b >> 3) == 30 ? 4
                                         : 0;
        if (n == 0 || i + n > s.size() || (n == 2 && b < 0xC2)) return false;
        std::uint32_t cp = n == 1 ? b : (b & (0x7F >> n));
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
            return false;
        i += n;
    }
    return true;
}

// The fake server: one connection at a time; connection k gets scripts[k] after the handshake
// (the last script again for later connections).
class FakeServer {
  public:
    explicit FakeServer(std::vector<std::vector<std::string>> scripts)
        : scripts_(std::move(scripts)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        const int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
            ::listen(listen_fd_, 4) != 0)
            return;
        socklen_t len = sizeof a;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeServer() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        ::close(listen_fd_);
    }
    int port() const { return port_; }
    int connections() const { return connections_; }
    std::string problem() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return problem_;
    }
    // Everything the client sent after the script (the last connection).
    std::string heard() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return heard_;
    }

  private:
    void note(const std::string &p) {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (problem_.empty()) problem_ = p;
    }

    void run() {
        while (!stop_) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            const int k = connections_++;
            serve(fd, scripts_[std::min<std::size_t>(k, scripts_.size() - 1)]);
            ::close(fd);
        }
    }

    // Reads until `needle` is in what was read since the last call; false on timeout or EOF.
    bool read_until(int fd, const std::string &needle) {
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        for (;;) {
            const auto at = in_.find(needle);
            if (at != std::string::npos) {
                in_.erase(0, at + needle.size());
                return true;
            }
            if (stop_ || Clock::now() > deadline) return false;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return false;
            in_.append(buf, static_cast<std::size_t>(n));
        }
    }
    bool send_all(int fd, const std::string &s) {
        std::size_t off = 0;
        while (off < s.size() && !stop_) {
            const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }

    void serve(int fd, const std::vector<std::string> &script) {
        in_.clear();
        const std::string header =
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' "
            "version='1.0'>";
        if (!read_until(fd, "<stream:stream") || !read_until(fd, ">")) return note("no stream");
        send_all(fd, header +
                         "<stream:features><mechanisms "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
                         "</mechanisms></stream:features>");
        if (!read_until(fd, "</auth>")) return note("no SASL PLAIN auth");
        send_all(fd, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        if (!read_until(fd, "<stream:stream") || !read_until(fd, ">"))
            return note("no stream restart");
        send_all(fd, header +
                         "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                         "</stream:features>");
        if (!read_until(fd, "<iq")) return note("no bind");
        std::string id = "bind1";
        if (!read_until(fd, "id=\"")) return note("bind without id");
        const auto q = in_.find('"');
        if (q != std::string::npos) id = in_.substr(0, q);
        if (!read_until(fd, "</iq>")) return note("bind incomplete");
        send_all(fd, "<iq type='result' id='" + id +
                         "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/"
                         "msgr</jid></bind></iq>");
        if (!read_until(fd, "roster1")) return note("no roster request");
        send_all(fd,
                 "<iq type='result' id='roster1' to='alice@localhost/msgr'><query "
                 "xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob' "
                 "subscription='both'/></query></iq>");
        for (const auto &s : script) {
            if (!send_all(fd, s)) return;
        }
        // Then idle, reading what the client says, until it leaves or the test ends.
        while (!stop_) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return;
            const std::lock_guard<std::mutex> lock(mutex_);
            heard_.append(buf, static_cast<std::size_t>(n));
        }
    }

    std::vector<std::vector<std::string>> scripts_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::string in_;
    std::mutex mutex_;
    std::string problem_;
    std::string heard_;
    std::thread thread_;
};

struct Seen {
    msgr_event_type type;
    msgr_hresult hr;
    std::string contact;
    std::string text;
};

std::string msg(const std::string &from, const std::string &body, const std::string &type = "chat",
                const std::string &extra = "") {
    return "<message from='" + from + "' to='alice@localhost/msgr' type='" + type + "'><body>" +
           body + "</body>" + extra + "</message>";
}

}  // namespace

TEST(XmppHostileServer, ACorpusOfHostileStanzasNeitherCrashesNorLeaksBadText) {
    const std::string long_jid = std::string(4000, 'l') + "@localhost/r";
    std::string huge(std::size_t{4} * 1024 * 1024, 'a');
    for (std::size_t i = 0; i + 2 < huge.size(); i += 1000) {
        huge[i] = '\xC3';  // é every 1000 bytes, so a cut can fall inside a character
        huge[i + 1] = '\xA9';
    }
    std::string deep = "<x xmlns='urn:hostile:deep'>";
    for (int i = 0; i < 20000; ++i)
        deep += "<y>";
    for (int i = 0; i < 20000; ++i)
        deep += "</y>";
    deep += "</x>";
    const std::vector<std::string> first = {
        msg("bob@localhost/pc", huge),
        msg("bob@localhost/pc", "deep", "chat", deep),
        "<foo xmlns='urn:unknown:top'><bar xmlns='urn:other'/></foo>",
        msg("bob@localhost/pc", "unknown ns", "chat", "<z xmlns='urn:unknown:child'><w/></z>"),
        msg("localhost", "server notice"),
        msg(long_jid, "from a long jid"),
        msg("alice@localhost/other", "from myself"),
        msg("Bob@LOCALHOST/Some/Resource", "with resource"),
        msg("bob@localhost/pc", "bounced", "error",
            "<error type='cancel'><item-not-found "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"),
        msg("bob@localhost/pc", "a &lt;b&gt; &amp; c"),
        "<message type='chat'><body>no sender</body></message>",
        "<presence from='bob@localhost/pc'><show>dnd</show></presence>",
        "<presence from='bob@localhost/pc'><show>\xE2\x98\x83 garbage</show></presence>",
        "<presence from='bob@localhost/other' type='bogus-type'/>",
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one stanza in two literals
        "<iq from='bob@localhost/pc' type='set' id='spoof1'><query xmlns='jabber:iq:roster'>"
        "<item jid='evil@localhost' name='Evil'/></query></iq>",
        "<iq from='localhost' type='set' id='spoof2'><query xmlns='jabber:iq:roster'>"
        "<item jid='evil2@localhost'/></query></iq>",
        "<iq type='set' id='push1'><query xmlns='jabber:iq:roster'>"
        "<item jid='good@localhost' name='Good'/></query></iq>",
        "<iq from='alice@localhost' type='set' id='push2'><query xmlns='jabber:iq:roster'>"
        "<item jid='good2@localhost'/></query></iq>",
        "<iq type='error' id='nobody-asked' from='localhost'><error type='cancel'>"
        "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        "<iq type='get' id='q1' from='bob@localhost/pc'><query xmlns='urn:unknown:q'/></iq>",
        msg("bob@localhost/pc", "sentinel-1"),
        // Invalid UTF-8 is not XML: the stream breaks here and the add-in reconnects.
        msg("bob@localhost/pc", "bad \xFF\xFE \xC0\xAF"),
    };
    const std::vector<std::string> second = {msg("bob@localhost/pc", "sentinel-2")};
    FakeServer server({first, second});
    ASSERT_NE(server.port(), 0);

    // Before the host: destroying its runtime raises AppShutdown into the subscription.
    std::vector<Seen> events;
    Host host(
        "[runtime]\nprimary_service = \"xmpp\"\naddin_default_paths = false\n"
        "addin_paths = [" +
        toml_string(kAddins) +
        "]\n\n[xmpp]\nhost = \"127.0.0.1\"\nport = " + std::to_string(server.port()) +
        "\ntls = \"disabled\"\nlogon_timeout_ms = 10000\nreconnect_backoff_ms = 50\n"
        "reconnect_backoff_max_ms = 200\n");
    ASSERT_EQ(host.create_hr, MSGR_S_OK) << msgr_last_error();
    msgr_subscription sub = 0;
    msgr_subscribe(
        host.rt, static_cast<msgr_event_type>(0),
        [](const msgr_event *ev, void *u) {
            const char *name = "";
            if (ev->contact != nullptr) msgr_contact_signin_name(ev->contact, &name);
            static_cast<std::vector<Seen> *>(u)->push_back(
                {ev->type, ev->hr, name, ev->text != nullptr ? ev->text : ""});
        },
        &events, &sub);
    auto got = [&](msgr_event_type t, const std::string &contact, const std::string &text = "") {
        for (const auto &e : events) {
            if (e.type == t && e.contact == contact && (text.empty() || e.text == text))
                return true;
        }
        return false;
    };
    auto until = [&](auto pred) {
        for (int i = 0; i < 3000; ++i) {  // ~15 s hang guard
            msgr_runtime_tick(host.rt);
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    };
    auto dump = [&] {
        std::string out = server.problem() + "\n";
        for (const auto &e : events) {
            out += std::string(msgr_event_type_name(e.type)) + " " + msgr_hresult_name(e.hr) + " " +
                   e.contact.substr(0, 60) + " " + e.text.substr(0, 60) + "\n";
        }
        return out;
    };

    ASSERT_EQ(msgr_signin(host.rt, "alice@localhost", "pw"), MSGR_S_OK);
    ASSERT_TRUE(until([&] {
        return got(MSGR_EVENT_MESSAGE_RECEIVED, "bob@localhost", "sentinel-1");
    })) << dump();
    ASSERT_TRUE(until([&] {
        return got(MSGR_EVENT_MESSAGE_RECEIVED, "bob@localhost", "sentinel-2");
    })) << "after the invalid UTF-8 broke the stream, the add-in reconnects\n"
        << dump();
    EXPECT_GE(server.connections(), 2);
    EXPECT_EQ(server.problem(), "");

    // Still signed in: a broken stream reconnects within the grace period.
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(host.rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_ONLINE);
    for (const auto &e : events)
        EXPECT_NE(e.type, MSGR_EVENT_SIGNOUT) << dump();

    // Every text that reached the core is valid UTF-8 and bounded.
    bool truncated = false;
    for (const auto &e : events) {
        if (e.type != MSGR_EVENT_MESSAGE_RECEIVED) continue;
        EXPECT_TRUE(valid_utf8(e.text)) << e.text.substr(0, 80);
        EXPECT_LE(e.text.size(), 64u * 1024 + 64);
        if (e.text.find("[message truncated: 4194304 bytes]") != std::string::npos) {
            truncated = true;
            EXPECT_EQ(e.text.compare(0, 1000, huge, 0, 1000), 0);
        }
    }
    EXPECT_TRUE(truncated) << "the 4 MB body arrives cut and marked, not dropped";
    EXPECT_TRUE(got(MSGR_EVENT_MESSAGE_RECEIVED, "bob@localhost", "deep"));
    EXPECT_TRUE(got(MSGR_EVENT_MESSAGE_RECEIVED, "bob@localhost", "unknown ns"));
    EXPECT_TRUE(got(MSGR_EVENT_MESSAGE_RECEIVED, "bob@localhost", "with resource"));
    EXPECT_TRUE(got(MSGR_EVENT_MESSAGE_RECEIVED, "bob@localhost", "a <b> & c"));
    EXPECT_TRUE(got(MSGR_EVENT_MESSAGE_RECEIVED, "localhost", "server notice"))
        << "a server's notice (a JID without localpart) is shown as from the server";
    for (const auto &e : events) {
        if (e.type != MSGR_EVENT_MESSAGE_RECEIVED) continue;
        EXPECT_NE(e.text, "from a long jid") << "no sign-in name is 4000 bytes long";
        EXPECT_NE(e.text, "from myself");
        EXPECT_NE(e.text, "bounced") << "error stanzas are not messages";
        EXPECT_NE(e.text, "no sender");
        EXPECT_EQ(e.text.find("bad "), std::string::npos);
    }
    // Roster pushes: only from the account (or without from); spoofed ones are ignored.
    EXPECT_TRUE(got(MSGR_EVENT_CONTACT_LIST_ADD, "good@localhost")) << dump();
    EXPECT_TRUE(got(MSGR_EVENT_CONTACT_LIST_ADD, "good2@localhost")) << dump();
    EXPECT_FALSE(got(MSGR_EVENT_CONTACT_LIST_ADD, "evil@localhost")) << dump();
    EXPECT_FALSE(got(MSGR_EVENT_CONTACT_LIST_ADD, "evil2@localhost")) << dump();
    // Presence: dnd, then a garbage show, which is still available.
    msgr_contact *bob = nullptr;
    ASSERT_EQ(msgr_get_contact(host.rt, "bob@localhost", nullptr, &bob), MSGR_S_OK);
    std::int32_t bob_status = -1;
    msgr_contact_status(bob, &bob_status);
    msgr_contact_release(bob);
    EXPECT_EQ(bob_status, MSGR_STATUS_ONLINE);
    bool saw_busy = false;
    for (const auto &e : events) {
        saw_busy = saw_busy ||
                   (e.type == MSGR_EVENT_CONTACT_STATUS_CHANGE && e.contact == "bob@localhost");
    }
    EXPECT_TRUE(saw_busy);
    EXPECT_EQ(msgr_signout(host.rt), MSGR_S_OK);
}

// A contact's server floods presences, each from another resource announcing another XEP-0115
// ver: the add-in asks at most 64 of them what they can do (it does not answer a flood with a
// flood), stays signed in, and none of them makes the contact pageable unasked.
TEST(XmppHostileServer, ACapsFloodGetsABoundedNumberOfQueries) {
    std::vector<std::string> script;
    script.reserve(301);
    for (int i = 0; i < 300; ++i) {
        script.push_back("<presence from='bob@localhost/r" + std::to_string(i) +
                         "'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                         "node='urn:evil' ver='v" +
                         std::to_string(i) + "='/></presence>");
    }
    script.push_back(msg("bob@localhost/r1", "sentinel"));
    FakeServer server({script});
    ASSERT_NE(server.port(), 0);
    std::vector<std::string> texts;
    Host host(
        "[runtime]\nprimary_service = \"xmpp\"\naddin_default_paths = false\n"
        "addin_paths = [" +
        toml_string(kAddins) + "]\n\n[xmpp]\nhost = \"127.0.0.1\"\nport = " +
        std::to_string(server.port()) + "\ntls = \"disabled\"\nlogon_timeout_ms = 10000\n");
    ASSERT_EQ(host.create_hr, MSGR_S_OK) << msgr_last_error();
    msgr_subscription sub = 0;
    msgr_subscribe(
        host.rt, MSGR_EVENT_MESSAGE_RECEIVED,
        [](const msgr_event *ev, void *u) {
            static_cast<std::vector<std::string> *>(u)->emplace_back(ev->text);
        },
        &texts, &sub);
    auto count = [](const std::string &hay, const std::string &needle) {
        std::size_t n = 0;
        for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
            ++n;
        return n;
    };
    ASSERT_EQ(msgr_signin(host.rt, "alice@localhost", "pw"), MSGR_S_OK);
    bool sentinel = false;
    std::size_t queries = 0;
    for (int i = 0; i < 3000 && (!sentinel || queries < 64); ++i) {  // ~15 s hang guard
        msgr_runtime_tick(host.rt);
        sentinel = !texts.empty() && texts.back() == "sentinel";
        queries = count(server.heard(), "http://jabber.org/protocol/disco#info");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(sentinel) << server.problem();
    for (int i = 0; i < 100; ++i) {  // time for any query past the bound to show
        msgr_runtime_tick(host.rt);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    queries = count(server.heard(), "http://jabber.org/protocol/disco#info");
    EXPECT_EQ(queries, 64u) << "one query per unknown ver, at most 64 unanswered";
    EXPECT_EQ(count(server.heard(), "node='urn:evil#v0='") +
                  count(server.heard(), "node=\"urn:evil#v0=\""),
              1u)
        << server.heard().substr(0, 400);
    msgr_contact *bob = nullptr;
    ASSERT_EQ(msgr_get_contact(host.rt, "bob@localhost", nullptr, &bob), MSGR_S_OK);
    std::int32_t status = 0;
    EXPECT_EQ(msgr_contact_status(bob, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_ONLINE);
    int pageable = -1;
    EXPECT_EQ(msgr_contact_can_page(bob, &pageable), MSGR_S_OK);
    EXPECT_EQ(pageable, 0) << "no resource answered that it accepts pages";
    msgr_contact_release(bob);
}

// The paging add-in end to end: loaded from the build tree's lib/msgr/addins, paging mobile
// contacts, its length limit, its own mobile directory, the outbox, and the webhook against a
// real HTTP sink on loopback (cpp-httplib).
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <functional>

#include "../support/addin_fixture.hpp"

using namespace msgr::test;

namespace {

const fs::path kAddins = MSGR_ADDIN_OUTPUT_DIR;

// An HTTP server on 127.0.0.1 that records what it receives and answers as told.
class Sink {
  public:
    struct Request {
        std::string body;
        httplib::Headers headers;
        std::string path;
    };

    explicit Sink(std::function<int(std::size_t n)> status = [](std::size_t) { return 200; })
        : status_(std::move(status)) {
        server_.Post(".*", [this](const httplib::Request &req, httplib::Response &res) {
            std::size_t n = 0;
            {
                const std::lock_guard<std::mutex> lock(mutex_);
                requests_.push_back({req.body, req.headers, req.path});
                n = requests_.size();
            }
            cv_.notify_all();
            if (hold_) {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait_for(lock, std::chrono::seconds(20), [&] { return !hold_; });
            }
            res.status = status_(n);
            res.set_content("{}", "application/json");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~Sink() { stop(); }

    void stop() {
        release();
        server_.stop();
        if (thread_.joinable()) thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/pages"; }
    int port() const { return port_; }

    std::vector<Request> requests() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }
    // Holds every answer until release(): a slow gateway.
    void hold() { hold_ = true; }
    void release() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            hold_ = false;
        }
        cv_.notify_all();
    }
    bool wait_for_requests(std::size_t n) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return requests_.size() >= n; });
    }

  private:
    httplib::Server server_;
    std::function<int(std::size_t)> status_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Request> requests_;
    std::atomic<bool> hold_{false};
    int port_ = 0;
    std::thread thread_;
};

std::string paging_config(const std::string &paging_table, const fs::path &outbox) {
    return addin_config({kAddins},
                        "[paging]\noutbox = " + toml_string(outbox) + "\n" + paging_table);
}

std::string webhook_config(const std::string &url, const std::string &more = "") {
    return addin_config({kAddins}, "[paging]\ngateway = \"webhook\"\nwebhook_url = \"" + url +
                                       "\"\nretry_backoff_ms = 5\n" + more);
}

// Pages mobile@loopback with text; returns the window (caller releases) and the entry index.
msgr_window *send_page(Host &h, const char *text, std::size_t &index,
                       const char *who = "mobile@loopback") {
    msgr_window *w = nullptr;
    EXPECT_EQ(h.page(who, &w), MSGR_S_OK) << msgr_last_error();
    if (w == nullptr) return nullptr;
    EXPECT_EQ(msgr_ui_send(w, text, &index), MSGR_S_OK) << msgr_last_error();
    return w;
}

TEST(PagingAddin, PageEndToEndThroughTheOutbox) {
    TempDir d;
    Host h(paging_config("", d / "out" / "outbox.jsonl"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "Running late \"10 min\"\nsorry", index);
    ASSERT_NE(w, nullptr);
    msgr_window_kind kind{};
    EXPECT_EQ(msgr_window_kind_of(w, &kind), MSGR_S_OK);
    EXPECT_EQ(kind, MSGR_WINDOW_PAGE);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
    const std::string line = read_file(d / "out" / "outbox.jsonl");
    EXPECT_NE(line.find(R"("text":"Running late \"10 min\"\nsorry")"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("from":"player@loopback")"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("to":"mobile@loopback")"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("service":"loopback")"), std::string::npos) << line;
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
    // A second page appends a second line.
    ASSERT_EQ(msgr_ui_send(w, "second", &index), MSGR_S_OK);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    const std::string both = read_file(d / "out" / "outbox.jsonl");
    EXPECT_EQ(std::count(both.begin(), both.end(), '\n'), 2);
    msgr_window_release(w);
}

TEST(PagingAddin, DefaultOutboxIsUnderXdgDataHome) {
    TempDir d;
    const char *old = std::getenv("XDG_DATA_HOME");
    const std::string saved = old ? old : "";
    ::setenv("XDG_DATA_HOME", d.path().c_str(), 1);
    {
        Host h(addin_config({kAddins}));
        h.signin();
        std::size_t index = 0;
        msgr_window *w = send_page(h, "hi", index);
        ASSERT_NE(w, nullptr);
        EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
        msgr_window_release(w);
    }
    if (old) {
        ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_DATA_HOME");
    }
    EXPECT_NE(read_file(d / "msgr" / "outbox.jsonl").find("\"text\":\"hi\""), std::string::npos);
}

TEST(PagingAddin, LengthLimitIs160Utf16Units) {
    TempDir d;
    Host h(paging_config("", d / "outbox.jsonl"));
    h.signin();
    std::size_t max = 0;
    ASSERT_EQ(msgr_ui_max_page_length(h.rt, &max), MSGR_S_OK);
    EXPECT_EQ(max, 160u);
    msgr_window *w = nullptr;
    ASSERT_EQ(h.page("mobile@loopback", &w), MSGR_S_OK);
    std::size_t index = 0;
    EXPECT_EQ(msgr_ui_send(w, std::string(161, 'x').c_str(), &index), MSGR_E_MESSAGE_TOO_LONG);
    std::string e_acute;  // U+00E9: 2 bytes of UTF-8, 1 UTF-16 unit
    for (int i = 0; i < 160; ++i)
        e_acute += "\xC3\xA9";
    EXPECT_EQ(msgr_ui_send(w, e_acute.c_str(), &index), MSGR_S_OK);
    std::string emoji;  // U+1F600: 2 UTF-16 units each
    for (int i = 0; i < 81; ++i)
        emoji += "\xF0\x9F\x98\x80";
    EXPECT_EQ(msgr_ui_send(w, emoji.c_str(), &index), MSGR_E_MESSAGE_TOO_LONG);
    emoji.resize(std::size_t{80} * 4);
    EXPECT_EQ(msgr_ui_send(w, emoji.c_str(), &index), MSGR_S_OK);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    msgr_window_release(w);
}

TEST(PagingAddin, ConfiguredLengthLimit) {
    TempDir d;
    Host h(paging_config("max_length = 20\n", d / "outbox.jsonl"));
    std::size_t max = 0;
    ASSERT_EQ(msgr_ui_max_page_length(h.rt, &max), MSGR_S_OK);
    EXPECT_EQ(max, 20u);
}

TEST(PagingAddin, MobileDecision) {
    TempDir d;
    Host h(paging_config("mobile = [\"Alice@Loopback\"]\n", d / "outbox.jsonl"));
    h.signin();
    msgr_window *w = nullptr;
    // The service's word: mobile@loopback is mobile in the loopback directory.
    EXPECT_EQ(h.page("mobile@loopback", &w), MSGR_S_OK);
    msgr_window_release(w);
    w = nullptr;
    // Neither the service nor the add-in's directory knows a phone for bob.
    EXPECT_EQ(h.page("bob@loopback", &w), MSGR_E_PAGING_UNAVAILABLE);
    EXPECT_EQ(w, nullptr);
    // The add-in's own directory (case-insensitive).
    EXPECT_EQ(h.page("alice@loopback", &w), MSGR_S_OK);
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_get_contact(h.rt, "alice@loopback", nullptr, &c), MSGR_S_OK);
    int can = 0;
    EXPECT_EQ(msgr_contact_can_page(c, &can), MSGR_S_OK);
    EXPECT_EQ(can, 1);
    msgr_contact_release(c);
    msgr_window_release(w);
}

TEST(PagingAddin, BadConfigurationRefusesTheAddinAndRuntimeGoesOn) {
    TempDir d;
    Host h(paging_config("colour = \"red\"\n", d / "outbox.jsonl"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    const auto in = h.find("paging");
    EXPECT_EQ(in.state, MSGR_ADDIN_REFUSED);
    EXPECT_NE(std::string(in.reason).find("unknown key paging.colour"), std::string::npos)
        << in.reason;
    h.signin();
    msgr_window *w = nullptr;
    EXPECT_EQ(h.page("mobile@loopback", &w), MSGR_E_NOTIMPL);
    h.still_works();
}

TEST(PagingAddin, BadGatewayIsRefused) {
    Host h(addin_config({kAddins}, "[paging]\ngateway = \"pigeon\"\n"));
    EXPECT_NE(std::string(h.find("paging").reason).find("expected \"outbox\" or \"webhook\""),
              std::string::npos);
    Host h2(
        addin_config({kAddins}, "[paging]\ngateway = \"webhook\"\nwebhook_url = \"ftp://x\"\n"));
    EXPECT_NE(std::string(h2.find("paging").reason).find("http:// or https://"), std::string::npos);
}

TEST(PagingAddin, UnwritableOutboxFailsInTheWindow) {
    TempDir d;
    write_file(d / "file", "a file, not a directory");
    Host h(paging_config("retries = 2\nretry_backoff_ms = 1\n", d / "file" / "outbox.jsonl"));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "hello", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_FAIL);
    msgr_window_release(w);
}

// ---- the webhook ----

TEST(PagingWebhook, PostsJsonWithHeaders) {
    Sink sink;
    Host h(webhook_config(sink.url(),
                          "webhook_token = \"s3cret\"\nwebhook_topic = \"pages\"\n"
                          "webhook_priority = 4\nwebhook_headers = [\"X-Game: quake\"]\n"));
    ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "GG \"wp\" \xC3\xA9", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    const auto reqs = sink.requests();
    ASSERT_EQ(reqs.size(), 1u);
    const auto &r = reqs[0];
    EXPECT_EQ(r.path, "/pages");
    EXPECT_EQ(r.headers.find("Content-Type")->second, "application/json");
    EXPECT_EQ(r.headers.find("Authorization")->second, "Bearer s3cret");
    EXPECT_EQ(r.headers.find("X-Game")->second, "quake");
    EXPECT_NE(r.body.find(R"("message":"GG \"wp\" )"
                          "\xC3\xA9\""),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find(R"("title":"Page from player@loopback")"), std::string::npos);
    EXPECT_NE(r.body.find(R"("topic":"pages")"), std::string::npos);
    EXPECT_NE(r.body.find(R"("priority":4)"), std::string::npos);
    EXPECT_NE(r.body.find(R"("to":"mobile@loopback")"), std::string::npos);
    msgr_window_release(w);
}

TEST(PagingWebhook, RetriesAfterServerErrors) {
    Sink sink([](std::size_t n) { return n <= 2 ? 500 : 200; });
    Host h(webhook_config(sink.url(), "retries = 3\n"));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "third time lucky", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    const auto reqs = sink.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].body, reqs[2].body) << "the same page each time";
    msgr_window_release(w);
}

TEST(PagingWebhook, GivesUpAfterRetriesAndSaysSo) {
    Sink sink([](std::size_t) { return 503; });
    Host h(webhook_config(sink.url(), "retries = 2\n"));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "nobody home", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_SERVER_UNAVAILABLE);
    EXPECT_EQ(sink.requests().size(), 3u) << "one attempt and two retries";
    msgr_window_release(w);
}

TEST(PagingWebhook, ClientErrorIsNotRetried) {
    Sink sink([](std::size_t) { return 400; });
    Host h(webhook_config(sink.url(), "retries = 5\n"));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "bad", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_FAIL);
    EXPECT_EQ(sink.requests().size(), 1u);
    msgr_window_release(w);
}

TEST(PagingWebhook, SinkDown) {
    std::string url;
    {
        Sink gone;
        url = gone.url();
    }  // nothing listens on that port any more
    Host h(webhook_config(url, "retries = 2\n"));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "anyone?", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_CONNECT);
    msgr_window_release(w);
    h.still_works();
}

TEST(PagingWebhook, SlowSinkDoesNotStallTicks) {
    Sink sink;
    sink.hold();
    Host h(webhook_config(sink.url()));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "slow", index);  // returns while the sink holds its answer
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(sink.wait_for_requests(1)) << "the request is in flight";
    // Ticks go on while the gateway sits on the request; the page is still pending. (Had send
    // or tick waited for the answer, the sink would have been released by its own timeout and
    // the page would no longer be pending here.)
    for (int i = 0; i < 50; ++i)
        h.tick();
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_PENDING);
    // Other work goes on meanwhile.
    h.still_works();
    sink.release();
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    msgr_window_release(w);
}

TEST(PagingWebhook, UnloadWithPageInFlightIsRefused) {
    Sink sink;
    sink.hold();
    Host h(webhook_config(sink.url()));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "in flight", index);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(sink.wait_for_requests(1));
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging"), MSGR_E_BUSY) << "a page is being delivered";
    sink.release();
    msgr_window_release(w);
}

}  // namespace

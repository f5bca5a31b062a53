// The paging add-in end to end: loaded from the build tree's lib/msgr/addins, paging mobile
// contacts, its length limit, its own mobile directory, the outbox, and the webhook against a
// real HTTP sink on loopback (cpp-httplib). The outbox on real file systems: a full tmpfs, a
// read-only one, a directory the add-in may not write, a file size limit; and the retry journal
// that keeps the pages still owed when a runtime is destroyed.
#include <fcntl.h>
#include <httplib.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
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

// A journal of its own for each webhook runtime (the default lives under the user's data
// directory): a page left in flight by one test is never resumed by another.
fs::path fresh_journal() {
    static const TempDir dir;
    static std::atomic<int> n{0};
    return dir / ("journal-" + std::to_string(++n) + ".jsonl");
}

std::string webhook_config(const std::string &url, const std::string &more = "",
                           const fs::path &journal = fresh_journal()) {
    const std::string backoff =
        more.find("retry_backoff_ms") == std::string::npos ? "retry_backoff_ms = 5\n" : "";
    return addin_config({kAddins}, "[paging]\ngateway = \"webhook\"\nwebhook_url = \"" + url +
                                       "\"\n" + backoff + "journal = " + toml_string(journal) +
                                       "\n" + more);
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

// ---- the outbox on real file systems ----

// A valid outbox line (with its newline) of exactly `size` bytes: what a previous run wrote.
std::string outbox_line(std::size_t size) {
    const std::string head = R"({"text":")";
    const std::string rest = R"(","id":0,"time":0,"from":"","to":"","service":""})"
                             "\n";
    return head + std::string(size - head.size() - rest.size(), 'p') + rest;
}

// Ticks until the file's content holds `needle` (or ~10 s pass).
bool wait_for_content(Host &h, const fs::path &p, const std::string &needle) {
    for (int i = 0; i < 2000; ++i) {
        h.tick();
        if (read_file(p).find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

fs::perms mode_of(const fs::path &p) {
    return fs::status(p).permissions() & fs::perms::mask;
}

TEST(PagingOutbox, ExistingDirectoriesKeepTheirModes) {
    TempDir d;
    const fs::path shared = d.subdir("shared");  // 0755
    const fs::path group = d.subdir("group");
    fs::permissions(group, fs::perms(0775));
    Host h(paging_config("", shared / "outbox.jsonl"));
    Host h2(paging_config("", group / "outbox.jsonl"));
    // A directory the add-in creates is private; each one it creates, not only the last.
    Host h3(paging_config("", shared / "new" / "deeper" / "outbox.jsonl"));
    for (Host *host : {&h, &h2, &h3}) {
        host->signin();
        std::size_t index = 0;
        msgr_window *w = send_page(*host, "modes", index);
        ASSERT_NE(w, nullptr);
        EXPECT_EQ(host->wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
        msgr_window_release(w);
    }
    EXPECT_EQ(mode_of(shared), fs::perms(0755));
    EXPECT_EQ(mode_of(group), fs::perms(0775));
    EXPECT_EQ(mode_of(shared / "new"), fs::perms(0700));
    EXPECT_EQ(mode_of(shared / "new" / "deeper"), fs::perms(0700));
    EXPECT_EQ(mode_of(shared / "outbox.jsonl"), fs::perms(0600));
}

TEST(PagingOutbox, TornLastLineIsCutOffBeforeTheNextPage) {
    TempDir d;
    const std::string whole = outbox_line(100);
    write_file(d / "outbox.jsonl", whole + R"({"text":"cut by a cra)");
    LogCapture logs;
    Host h(paging_config("", d / "outbox.jsonl"));
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "after the crash", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    const std::string text = read_file(d / "outbox.jsonl");
    ASSERT_EQ(text.substr(0, whole.size()), whole);
    EXPECT_EQ(text.find(R"({"text":"after the crash")"), whole.size()) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    EXPECT_EQ(logs.count("ended in a torn line (21 bytes"), 1u);
    msgr_window_release(w);
}

// RLIMIT_FSIZE for the whole process while it lives (the add-in writes on its own thread):
// a write past it is cut short, the next one fails with EFBIG. SIGXFSZ is ignored meanwhile.
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0) return;
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        if (old_handler_ == SIG_ERR) return;
        rlimit lim = saved_;
        lim.rlim_cur = bytes;
        ok = ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
    }
    ~FileSizeLimit() {
        if (old_handler_ == SIG_ERR) return;  // nothing was changed
        (void)::setrlimit(RLIMIT_FSIZE, &saved_);
        (void)std::signal(SIGXFSZ, old_handler_);
    }
    FileSizeLimit(const FileSizeLimit &) = delete;
    FileSizeLimit &operator=(const FileSizeLimit &) = delete;
    bool ok = false;

  private:
    rlimit saved_{};
    void (*old_handler_)(int) = SIG_ERR;
};

TEST(PagingOutbox, ShortWriteIsCutOffAgainAndThePageFails) {
    TempDir d;
    const fs::path outbox = d / "outbox.jsonl";
    // 256 KiB of earlier pages: the limit below stays above any log file the test's own output
    // may go to meanwhile.
    std::string before;
    for (int i = 0; i < 256; ++i)
        before += outbox_line(1024);
    write_file(outbox, before);
    LogCapture logs;
    // In-process: the limit is this process's (set below, after the add-in started) and so is
    // the SIGXFSZ it ignores; an add-in process of its own has neither (the write past the limit
    // would kill it with SIGXFSZ). A short write that cuts the line off, and the page failed with
    // MSGR_E_DISK_FULL, isolated too: PagingOutboxFs.FullDiskCutsTheLineOffAndFailsThePageWith...
    Host h(
        paging_config("retries = 3\nretry_backoff_ms = 1\n"
                      "[addin.paging]\nisolation = \"in_process\"\n",
                      outbox));
    ASSERT_EQ(h.find("paging").isolation, MSGR_ADDIN_ISOLATION_IN_PROCESS);
    h.signin();
    std::size_t index = 0;
    msgr_message m{};
    msgr_window *w = nullptr;
    {
        // Room for 40 bytes of the line: the first write() is short, the second fails (EFBIG).
        const FileSizeLimit limit(before.size() + 40);
        ASSERT_TRUE(limit.ok) << std::strerror(errno);
        w = send_page(h, "this page does not fit under the file size limit", index);
        ASSERT_NE(w, nullptr);
        m = h.wait_delivery(w, index);
    }
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_DISK_FULL) << msgr_hresult_name(m.delivery_result);
    EXPECT_STREQ(msgr_hresult_name(MSGR_E_DISK_FULL), "MSGR_E_DISK_FULL");
    EXPECT_TRUE(read_file(outbox) == before) << "the outbox is as it was before the page";
    EXPECT_EQ(logs.count("cannot write " + outbox.string() + ": File too large (40 of "), 1u);
    EXPECT_EQ(logs.count("cut off again"), 1u);
    EXPECT_EQ(logs.count("attempt 1 failed"), 0u) << "a file size limit is not retried";
    // Without the limit the next page is appended after the earlier ones, whole.
    ASSERT_EQ(msgr_ui_send(w, "fits now", &index), MSGR_S_OK);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    const std::string after = read_file(outbox);
    ASSERT_GT(after.size(), before.size());
    EXPECT_EQ(after.substr(0, before.size()), before);
    EXPECT_EQ(after.substr(before.size(), 18), R"({"text":"fits now")");
    EXPECT_EQ(after.back(), '\n');
    msgr_window_release(w);
}

// Drops the capabilities that let root ignore file modes from this thread's effective set, and
// so from the threads it starts meanwhile (the add-in's delivery thread): capabilities belong to
// a thread in Linux. A program this thread starts meanwhile (an isolated add-in's process) would
// get every capability back when exec'ed as root: SECBIT_NOROOT, for this thread too, keeps it
// without any. Both restored at the end (the capabilities stay in the permitted set).
class WithoutFileCapabilities {
  public:
    WithoutFileCapabilities() {
        hdr_.version = _LINUX_CAPABILITY_VERSION_3;
        hdr_.pid = 0;  // this thread
        if (::syscall(SYS_capget, &hdr_, saved_) != 0) {
            error = std::string("capget: ") + std::strerror(errno);
            return;
        }
        __user_cap_data_struct less[2];
        std::memcpy(less, saved_, sizeof less);
        for (const int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER})
            less[cap / 32].effective &= ~(1u << (cap % 32));
        const int bits = ::prctl(PR_GET_SECUREBITS);
        if (bits < 0 || ::prctl(PR_SET_SECUREBITS, bits | SECBIT_NOROOT) != 0) {
            error = std::string("PR_SET_SECUREBITS: ") + std::strerror(errno);
            return;
        }
        saved_bits_ = bits;
        if (::syscall(SYS_capset, &hdr_, less) != 0) {
            error = std::string("capset: ") + std::strerror(errno);
            return;
        }
        dropped_ = true;
    }
    ~WithoutFileCapabilities() {
        if (dropped_) (void)::syscall(SYS_capset, &hdr_, saved_);
        // After the capabilities: setting securebits takes CAP_SETPCAP.
        if (saved_bits_ >= 0) (void)::prctl(PR_SET_SECUREBITS, saved_bits_);
    }
    WithoutFileCapabilities(const WithoutFileCapabilities &) = delete;
    WithoutFileCapabilities &operator=(const WithoutFileCapabilities &) = delete;
    std::string error;

  private:
    __user_cap_header_struct hdr_{};
    __user_cap_data_struct saved_[2]{};
    int saved_bits_ = -1;
    bool dropped_ = false;
};

TEST(PagingOutbox, AccessDeniedNamesItsCause) {
    TempDir d;
    const fs::path locked = d.subdir("locked");
    fs::permissions(locked, fs::perms(0555));  // nobody may create the outbox in it
    LogCapture logs;
    {
        // As root, modes bind only without CAP_DAC_OVERRIDE: dropped while the runtime lives.
        std::unique_ptr<WithoutFileCapabilities> caps;
        if (::geteuid() == 0) {
            caps = std::make_unique<WithoutFileCapabilities>();
            if (!caps->error.empty())
                GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE: " << caps->error;
        }
        Host h(paging_config("retries = 3\nretry_backoff_ms = 1\n", locked / "outbox.jsonl"));
        h.signin();
        std::size_t index = 0;
        msgr_window *w = send_page(h, "let me in", index);
        ASSERT_NE(w, nullptr);
        const msgr_message m = h.wait_delivery(w, index);
        EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
        EXPECT_EQ(m.delivery_result, MSGR_E_ACCESSDENIED) << msgr_hresult_name(m.delivery_result);
        msgr_window_release(w);
    }
    EXPECT_STREQ(msgr_hresult_name(MSGR_E_ACCESSDENIED), "MSGR_E_ACCESSDENIED");
    EXPECT_FALSE(fs::exists(locked / "outbox.jsonl"));
    EXPECT_EQ(
        logs.count("cannot open " + (locked / "outbox.jsonl").string() + ": Permission denied"),
        1u);
    EXPECT_EQ(logs.count("attempt 1 failed"), 0u) << "a refusal is not retried";
    fs::permissions(locked, fs::perms(0755));
}

// Ends the test process with a message if it is still alive after `seconds` (a hang fails the
// test instead of hanging it), unless disarmed by its destructor first.
class Watchdog {
  public:
    Watchdog(int seconds, std::string what) : what_(std::move(what)) {
        thread_ = std::thread([this, seconds] {
            std::unique_lock<std::mutex> lock(mutex_);
            if (!cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return done_; })) {
                (void)std::fprintf(stderr, "watchdog: %s did not end within %d s\n", what_.c_str(),
                                   seconds);
                std::_Exit(3);
            }
        });
    }
    ~Watchdog() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Watchdog(const Watchdog &) = delete;
    Watchdog &operator=(const Watchdog &) = delete;

  private:
    std::string what_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

TEST(PagingOutbox, AFifoOrADirectoryIsRefusedAtOnceAndDestroyReturns) {
    TempDir d;
    const fs::path fifo = d / "outbox.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    const fs::path dir = d.subdir("outbox.dir");
    // Nobody reads the FIFO: a page larger than a pipe's 64 KiB would block a writer for good
    // (and the destroy that joins it).
    const Watchdog dog(60, "paging into a FIFO and a directory");
    LogCapture logs;
    const std::string big(65000, 'p');
    for (const auto &[path, kind] : {std::pair<fs::path, std::string>{fifo, "a FIFO"},
                                     std::pair<fs::path, std::string>{dir, "a directory"}}) {
        {
            Host h(paging_config("max_length = 65535\nretries = 5\nretry_backoff_ms = 1\n", path));
            ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
            h.signin();
            std::size_t index = 0;
            msgr_window *w = send_page(h, big.c_str(), index);
            ASSERT_NE(w, nullptr);
            const msgr_message m = h.wait_delivery(w, index);
            EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED) << kind;
            EXPECT_EQ(m.delivery_result, MSGR_E_INVALID_DATA)
                << kind << ": " << msgr_hresult_name(m.delivery_result);
            msgr_window_release(w);
        }  // the destroy returns
        EXPECT_EQ(logs.count(path.string() + " is " + kind + ", not a regular file"), 1u) << kind;
    }
    EXPECT_EQ(logs.count("attempt 1 failed"), 0u) << "a path of the wrong kind is not retried";
    EXPECT_TRUE(fs::is_fifo(fifo));
    EXPECT_TRUE(fs::is_directory(dir) && fs::is_empty(dir));
}

// Gives this process a mount namespace of its own (once): a tmpfs mounted there is seen by no
// one else and goes with the process, even when a test is killed before it unmounts. The threads
// started afterwards (the add-in's) inherit it. Returns "" or why not.
std::string private_mount_namespace() {
    static const std::string error = [] {
        if (::unshare(CLONE_NEWNS) != 0)
            return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
        // Mounts made here must not propagate back to the machine's namespace.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return std::string("making / private: ") + std::strerror(errno);
        return std::string();
    }();
    return error;
}

// A small tmpfs mounted for one test (in the process's own mount namespace), unmounted at its
// end whatever happened.
class Tmpfs {
  public:
    Tmpfs(const fs::path &at, const std::string &options) : at_(at) {
        fs::create_directories(at_);
        if (const std::string why = private_mount_namespace(); !why.empty()) {
            error = "cannot have a mount namespace of its own (" + why +
                    "): the machine does not allow it (needs CAP_SYS_ADMIN)";
            return;
        }
        if (::mount("tmpfs", at_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
            error = std::string("cannot mount a tmpfs (") + std::strerror(errno) +
                    "): the machine does not allow it (needs CAP_SYS_ADMIN)";
            return;
        }
        mounted_ = true;
    }
    ~Tmpfs() {
        if (mounted_) (void)::umount2(at_.c_str(), MNT_DETACH);
    }
    Tmpfs(const Tmpfs &) = delete;
    Tmpfs &operator=(const Tmpfs &) = delete;

    bool remount_read_only() {
        return ::mount("tmpfs", at_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                       nullptr) == 0;
    }
    std::string error;

  private:
    fs::path at_;
    bool mounted_ = false;
};

// Fills the file system that holds `p` with the file `p` until nothing more fits.
void fill(const fs::path &p) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const std::string block(4096, 'f');
    for (std::size_t size = block.size(); size > 0; size /= 2) {
        while (::write(fd, block.data(), size) == static_cast<ssize_t>(size)) {
        }
    }
    ::close(fd);
}

TEST(PagingOutboxFs, FullDiskCutsTheLineOffAndFailsThePageWithDiskFull) {
    TempDir d;
    const Tmpfs tmpfs(d / "mnt", "size=64k,mode=0755");
    if (!tmpfs.error.empty()) GTEST_SKIP() << tmpfs.error;
    const fs::path outbox = d / "mnt" / "outbox.jsonl";
    // Earlier pages fill the outbox's first 4 KiB page of memory but for 40 bytes: the next line
    // starts there and needs a page the full file system does not have (a short write).
    const std::string before = outbox_line(4096 - 40);
    write_file(outbox, before);
    fill(d / "mnt" / "filler");
    LogCapture logs;
    Host h(paging_config("retries = 0\n", outbox));
    h.signin();
    std::size_t index = 0;
    msgr_window *w =
        send_page(h, "a page that finds the disk full, longer than forty bytes", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_DISK_FULL) << msgr_hresult_name(m.delivery_result);
    EXPECT_TRUE(read_file(outbox) == before) << "byte-identical to before the page";
    EXPECT_EQ(logs.count("cannot write " + outbox.string() + ": No space left on device (40 of "),
              1u);
    // Room again: the next page is appended whole.
    fs::remove(d / "mnt" / "filler");
    ASSERT_EQ(msgr_ui_send(w, "room again", &index), MSGR_S_OK);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    const std::string after = read_file(outbox);
    EXPECT_EQ(after.substr(0, before.size()), before);
    EXPECT_EQ(after.substr(before.size(), 20), R"({"text":"room again")");
    EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 2);
    msgr_window_release(w);
}

TEST(PagingOutboxFs, ReadOnlyFileSystemFailsThePageWithWriteProtect) {
    TempDir d;
    Tmpfs tmpfs(d / "mnt", "size=64k,mode=0755");
    if (!tmpfs.error.empty()) GTEST_SKIP() << tmpfs.error;
    const fs::path outbox = d / "mnt" / "outbox.jsonl";
    const std::string before = outbox_line(200);
    write_file(outbox, before);
    ASSERT_TRUE(tmpfs.remount_read_only()) << std::strerror(errno);
    // Mounted in this process's own namespace: the parent process (ctest, a shell) sees none.
    const std::string mnt = (d / "mnt").string();
    EXPECT_NE(read_file("/proc/self/mounts").find(mnt), std::string::npos);
    EXPECT_EQ(read_file("/proc/" + std::to_string(::getppid()) + "/mounts").find(mnt),
              std::string::npos);
    LogCapture logs;
    Host h(paging_config("", outbox));
    // A directory that does not exist yet cannot be made there either.
    Host h2(paging_config("", d / "mnt" / "new" / "outbox.jsonl"));
    h.signin();
    h2.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "read-only", index);
    ASSERT_NE(w, nullptr);
    msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_WRITE_PROTECT) << msgr_hresult_name(m.delivery_result);
    EXPECT_STREQ(msgr_hresult_name(MSGR_E_WRITE_PROTECT), "MSGR_E_WRITE_PROTECT");
    EXPECT_TRUE(read_file(outbox) == before);
    EXPECT_EQ(logs.count("cannot open " + outbox.string() + ": Read-only file system"), 1u);
    msgr_window_release(w);
    w = send_page(h2, "read-only too", index);
    ASSERT_NE(w, nullptr);
    m = h2.wait_delivery(w, index);
    EXPECT_EQ(m.delivery_result, MSGR_E_WRITE_PROTECT) << msgr_hresult_name(m.delivery_result);
    EXPECT_EQ(logs.count("cannot create directory " + (d / "mnt" / "new").string() +
                         ": Read-only file system"),
              1u);
    msgr_window_release(w);
}

// What a host sees of a runtime's events: their types and results, in order.
struct EventLog {
    struct Seen {
        msgr_event_type type;
        msgr_hresult hr;
        std::size_t index;
    };
    std::vector<Seen> seen;
    static void record(const msgr_event *ev, void *user) {
        static_cast<EventLog *>(user)->seen.push_back({ev->type, ev->hr, ev->index});
    }
};

// A page the journal cannot take at the runtime's destroy (its file system is full, or read-only)
// is reported failed with the cause before APP_SHUTDOWN: the host sees it, it is not lost in
// silence.
TEST(PagingJournalFs, PagesTheJournalCannotTakeAtDestroyAreReportedFailedBeforeAppShutdown) {
    for (const bool read_only : {false, true}) {
        TempDir d;
        Tmpfs tmpfs(d / "mnt", "size=64k,mode=0755");
        if (!tmpfs.error.empty()) GTEST_SKIP() << tmpfs.error;
        const fs::path journal = d / "mnt" / "journal.jsonl";
        Sink sink([](std::size_t) { return 503; });
        LogCapture logs;
        EventLog events;
        Host h(webhook_config(sink.url(), "retries = 5\nretry_backoff_ms = 60000\n", journal));
        msgr_subscription sub = 0;
        ASSERT_EQ(
            msgr_subscribe(h.rt, static_cast<msgr_event_type>(0), &EventLog::record, &events, &sub),
            MSGR_S_OK)
            << msgr_last_error();
        h.signin();
        std::size_t index = 0;
        msgr_window *w = send_page(h, "nowhere to keep it", index);
        ASSERT_NE(w, nullptr);
        ASSERT_TRUE(sink.wait_for_requests(1));  // tried once; the retry is a minute away
        if (read_only) {
            ASSERT_TRUE(tmpfs.remount_read_only()) << std::strerror(errno);
        } else {
            fill(d / "mnt" / "filler");
        }
        h.tick(5);
        events.seen.clear();
        msgr_runtime_destroy(h.rt);
        h.rt = nullptr;
        msgr_window_release(w);
        const msgr_hresult want = read_only ? MSGR_E_WRITE_PROTECT : MSGR_E_DISK_FULL;
        ASSERT_GE(events.seen.size(), 2u) << logs.all();
        std::size_t change = events.seen.size();
        for (std::size_t i = 0; i < events.seen.size(); ++i) {
            if (events.seen[i].type == MSGR_EVENT_DELIVERY_CHANGE && change == events.seen.size())
                change = i;
        }
        ASSERT_LT(change, events.seen.size()) << "no DELIVERY_CHANGE at destroy";
        EXPECT_EQ(events.seen[change].hr, want) << msgr_hresult_name(events.seen[change].hr);
        EXPECT_EQ(events.seen[change].index, index);
        EXPECT_EQ(events.seen.back().type, MSGR_EVENT_APP_SHUTDOWN) << "APP_SHUTDOWN comes last";
        EXPECT_EQ(logs.count("cannot keep 1 page(s) still owed (1) in the journal"), 1u);
        EXPECT_EQ(logs.count("page(s) not journaled, reported failed: "), 1u);
        EXPECT_EQ(logs.count("not reported"), 0u);
    }
}

// The destroy unloads the paging add-in before APP_SHUTDOWN, while its delivery thread may be
// waiting for room in a full inbox (a host that did not tick): the destroy must not wait for it
// for ever, and what it reported is seen before APP_SHUTDOWN.
TEST(PagingOutbox, DestroyReturnsWhileTheAddinWaitsForRoomInAFullInbox) {
    TempDir d;
    const fs::path outbox = d / "outbox.jsonl";
    Host h(addin_config({kAddins}, "[paging]\noutbox = " + toml_string(outbox) + "\n",
                        "inbox_capacity = 1\n"));
    ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
    h.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(h.page("mobile@loopback", &w), MSGR_S_OK) << msgr_last_error();
    std::size_t index = 0;
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(msgr_ui_send(w, ("page " + std::to_string(i)).c_str(), &index), MSGR_S_OK);
    // No tick: the first report fills the inbox, the second waits for room.
    const auto lines = [&] {
        const std::string text = read_file(outbox);
        return std::count(text.begin(), text.end(), '\n');
    };
    for (int i = 0; i < 2000 && lines() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(lines(), 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EventLog events;
    msgr_subscription sub = 0;
    ASSERT_EQ(
        msgr_subscribe(h.rt, static_cast<msgr_event_type>(0), &EventLog::record, &events, &sub),
        MSGR_S_OK);
    {
        const Watchdog dog(60, "destroying a runtime whose inbox is full");
        msgr_runtime_destroy(h.rt);
        h.rt = nullptr;
    }
    msgr_window_release(w);
    ASSERT_FALSE(events.seen.empty());
    EXPECT_EQ(events.seen.back().type, MSGR_EVENT_APP_SHUTDOWN);
    std::size_t sent = 0;
    for (const auto &e : events.seen)
        sent += e.type == MSGR_EVENT_DELIVERY_CHANGE && e.hr == MSGR_S_OK ? 1 : 0;
    EXPECT_GE(sent, 2u) << "the pages written were reported, before APP_SHUTDOWN";
}

// ---- the retry journal ----

// The claims of a journal: the pages a running add-in took from it (<journal>.claim.<pid>.<ns>).
std::vector<fs::path> claims_of(const fs::path &journal) {
    std::vector<fs::path> out;
    const std::string head = journal.filename().string() + ".claim.";
    for (const auto &e : fs::directory_iterator(journal.parent_path())) {
        if (e.path().filename().string().rfind(head, 0) == 0) out.push_back(e.path());
    }
    return out;
}

TEST(PagingJournal, PagesOwedAtDestroyAreDeliveredByTheNextRuntime) {
    TempDir d;
    const fs::path journal = d / "journal.jsonl";
    std::atomic<bool> up{false};
    Sink sink([&](std::size_t) { return up ? 200 : 503; });
    LogCapture logs;
    {
        // The first attempt fails and the retry is a minute away when the runtime goes.
        Host h(webhook_config(sink.url(), "retries = 5\nretry_backoff_ms = 60000\n", journal));
        h.signin();
        std::size_t index = 0;
        msgr_window *w = send_page(h, "waiting for a retry", index);
        ASSERT_NE(w, nullptr);
        ASSERT_TRUE(sink.wait_for_requests(1));
        // A second page is in flight: the gateway sits on it.
        sink.hold();
        ASSERT_EQ(msgr_ui_send(w, "in flight", &index), MSGR_S_OK);
        ASSERT_TRUE(sink.wait_for_requests(2));
        msgr_message m{};
        m.struct_size = sizeof m;
        ASSERT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
        EXPECT_EQ(m.delivery, MSGR_DELIVERY_PENDING);
        msgr_window_release(w);
    }
    sink.release();
    const std::string kept = read_file(journal);
    EXPECT_EQ(std::count(kept.begin(), kept.end(), '\n'), 2) << kept;
    EXPECT_NE(kept.find(R"("text":"waiting for a retry")"), std::string::npos) << kept;
    EXPECT_NE(kept.find(R"("text":"in flight","in_flight":true)"), std::string::npos) << kept;
    EXPECT_EQ(logs.count("2 page(s) still owed (1, 2) kept in the journal " + journal.string()),
              1u);
    // The gateway is back; the next runtime delivers both, and the journal is empty again.
    up = true;
    {
        Host h(webhook_config(sink.url(), "", journal));
        ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
        ASSERT_TRUE(sink.wait_for_requests(4));
        for (int i = 0; i < 2000 && logs.count("from the journal was delivered") < 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto reqs = sink.requests();
    ASSERT_EQ(reqs.size(), 4u);
    std::string bodies = reqs[2].body + reqs[3].body;
    EXPECT_NE(bodies.find(R"("message":"waiting for a retry")"), std::string::npos) << bodies;
    EXPECT_NE(bodies.find(R"("message":"in flight")"), std::string::npos) << bodies;
    EXPECT_EQ(logs.count("from the journal was delivered"), 2u);
    EXPECT_EQ(logs.count("resuming 2 page(s) from the journal " + journal.string()), 1u);
    EXPECT_EQ(read_file(journal), "") << "nothing owed any more";
    EXPECT_TRUE(claims_of(journal).empty());
}

TEST(PagingJournal, PagesOfARuntimeKilledWhileDeliveringThemAreDeliveredByTheNext) {
    TempDir d;
    const fs::path journal = d / "journal.jsonl";
    const std::string slow = "retries = 5\nretry_backoff_ms = 60000\n";
    int ready[2] = {-1, -1};
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0) << std::strerror(errno);
    // Forked before this process starts any thread: the child runs on its own.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << std::strerror(errno);
    if (child == 0) {
        ::close(ready[0]);
        // The child's temporary directories (its configuration files) go under d: it is killed
        // before it could remove them, and the parent's TempDir removes d.
        const fs::path tmp = d.subdir("child-tmp");
        ::setenv("TMPDIR", tmp.c_str(), 1);
        Sink sink([](std::size_t) { return 503; });  // the gateway is down throughout
        {
            // A first runtime journals two pages at its destroy.
            Host h(webhook_config(sink.url(), slow, journal));
            h.signin();
            std::size_t index = 0;
            msgr_window *w = send_page(h, "owed one", index);
            if (w == nullptr || !sink.wait_for_requests(1)) ::_exit(1);
            if (msgr_ui_send(w, "owed two", &index) != MSGR_S_OK || !sink.wait_for_requests(2))
                ::_exit(1);
            msgr_window_release(w);
        }
        // A second one resumes them, tries each once (503: still owed), and is killed.
        const Host h(webhook_config(sink.url(), slow, journal));
        if (!sink.wait_for_requests(4)) ::_exit(1);
        if (::write(ready[1], "r", 1) != 1) ::_exit(1);
        for (;;)
            ::pause();
    }
    ::close(ready[1]);
    pollfd p{ready[0], POLLIN, 0};
    char c = 0;
    const bool resumed = ::poll(&p, 1, 60000) == 1 && ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    std::vector<fs::path> claims = claims_of(journal);
    LogCapture logs;
    Sink sink;  // the gateway is up
    if (resumed) {
        // While the child holds them, another runtime sharing the journal does not deliver them.
        Host h(webhook_config(sink.url(), "", journal));
        EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    EXPECT_EQ(sink.requests().size(), 0u) << "the pages of a runtime that lives are its own";
    ::kill(child, SIGKILL);  // no destroy, no journal written at stop
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(resumed) << "the child never resumed the pages (exit status " << status << ")";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_EQ(read_file(journal), "") << "the journal was emptied into the child's claim";
    ASSERT_EQ(claims.size(), 1u);
    const std::string claimed = read_file(claims[0]);
    EXPECT_NE(claimed.find(R"("text":"owed one")"), std::string::npos) << claimed;
    EXPECT_NE(claimed.find(R"("text":"owed two")"), std::string::npos) << claimed;
    {
        // The third runtime finds the claim the killed one left, and delivers both pages.
        const Host h(webhook_config(sink.url(), "", journal));
        ASSERT_TRUE(sink.wait_for_requests(2));
        for (int i = 0; i < 2000 && logs.count("from the journal was delivered") < 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto reqs = sink.requests();
    ASSERT_EQ(reqs.size(), 2u);
    // Both at once (the webhook's transfers run side by side): in either order.
    const std::string bodies = reqs[0].body + reqs[1].body;
    EXPECT_NE(bodies.find(R"("message":"owed one")"), std::string::npos) << bodies;
    EXPECT_NE(bodies.find(R"("message":"owed two")"), std::string::npos) << bodies;
    EXPECT_EQ(logs.count("the claim " + claims[0].string() +
                         " was left by a runtime that did "
                         "not stop cleanly; 2 page(s) in it are still owed"),
              1u);
    EXPECT_EQ(logs.count("from the journal was delivered"), 2u);
    EXPECT_EQ(read_file(journal), "");
    EXPECT_TRUE(claims_of(journal).empty()) << "the claims are gone: nothing is owed";
}

TEST(PagingJournal, PagesDoneAreNotDeliveredAgainFromAClaimLeftBehind) {
    TempDir d;
    const fs::path journal = d / "journal.jsonl";
    // A claim whose runtime died (nobody holds its lock) after its first page was delivered.
    write_file(fs::path(journal.string() + ".claim.4242.17"),
               R"({"v":1,"id":1,"time":1,"to":"mobile@loopback","text":"delivered"})"
               "\n"
               R"({"v":1,"id":2,"time":2,"to":"mobile@loopback","text":"still owed"})"
               "\n"
               R"({"v":1,"done":0})"
               "\n");
    Sink sink;
    LogCapture logs;
    {
        const Host h(webhook_config(sink.url(), "", journal));
        ASSERT_TRUE(sink.wait_for_requests(1));
        for (int i = 0; i < 2000 && logs.count("from the journal was delivered") < 1; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto reqs = sink.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_NE(reqs[0].body.find(R"("message":"still owed")"), std::string::npos) << reqs[0].body;
    EXPECT_TRUE(claims_of(journal).empty());
}

TEST(PagingJournal, UnreadableLinesAreSkippedWithALogLine) {
    TempDir d;
    const fs::path journal = d / "journal.jsonl";
    const std::string good =
        R"({"v":1,"id":7,"time":1700000000000,"from":"player@loopback","to":"mobile@loopback",)"
        R"("service":"loopback","text":"kept \u00e9 \ud83d\ude00"})";
    write_file(journal, "garbage\n" + good + "\n" +
                            R"({"v":1,"id":8,"time":1,"to":"x","text":"bad )"
                            "\xC3\x28"
                            R"("})"
                            "\n"
                            R"({"v":2,"id":9,"time":1,"to":"x","text":"later format"})"
                            "\n" +
                            outbox_line(100) +  // a line of an outbox is not a page owed
                            R"({"v":1,"id":10,"time":1,"to":"x","text":"torn)");
    const fs::path outbox = d / "outbox.jsonl";
    LogCapture logs;
    Host h(paging_config("journal = " + toml_string(journal) + "\n", outbox));
    ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
    ASSERT_TRUE(wait_for_content(h, outbox, "\"text\":\"kept \xC3\xA9 \xF0\x9F\x98\x80\""))
        << read_file(outbox);
    const std::string out = read_file(outbox);
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(R"("id":7,"time":1700000000000,"from":"player@loopback")"),
              std::string::npos)
        << out;
    const std::string where = "the journal " + journal.string() + ", line ";
    EXPECT_EQ(logs.count(where + "1: not a page"), 1u);
    EXPECT_EQ(logs.count(where + "3: not a page: a string is not valid UTF-8"), 1u);
    EXPECT_EQ(logs.count(where + "4: not a page: the format version"), 1u);
    EXPECT_EQ(logs.count(where + "5: not a page: \"v\", \"id\", \"time\", \"to\" or \"text\" is "
                                 "missing"),
              1u);
    EXPECT_EQ(logs.count(where + "6: the line is incomplete"), 1u);
    EXPECT_EQ(logs.count("resuming 1 page(s)"), 1u);
    EXPECT_EQ(read_file(journal), "") << "taken: the next start does not deliver them again";
    h.still_works();
}

TEST(PagingJournal, TheJournalCannotBeTheOutbox) {
    TempDir d;
    Host h(paging_config("journal = " + toml_string(d / "x" / ".." / "outbox.jsonl") + "\n",
                         d / "outbox.jsonl"));
    const auto in = h.find("paging");
    EXPECT_EQ(in.state, MSGR_ADDIN_REFUSED);
    EXPECT_NE(std::string(in.reason).find("paging.journal is the outbox"), std::string::npos)
        << in.reason;
}

TEST(PagingJournal, PagesOwedKeepTheOrderTheyWereAcceptedIn) {
    TempDir d;
    const fs::path journal = d / "journal.jsonl";
    // Two pages a previous runtime left, with its ids: the first accepted has the larger one.
    write_file(journal, R"({"v":1,"id":9,"time":1,"to":"mobile@loopback","text":"first"})"
                        "\n"
                        R"({"v":1,"id":3,"time":2,"to":"mobile@loopback","text":"second"})"
                        "\n");
    Sink sink([](std::size_t) { return 503; });
    {
        Host h(webhook_config(sink.url(), "retries = 5\nretry_backoff_ms = 60000\n", journal));
        h.signin();
        ASSERT_TRUE(sink.wait_for_requests(2)) << "the pages from the journal were tried";
        std::size_t index = 0;
        msgr_window *w = send_page(h, "third", index);  // this runtime's id 1 or so
        ASSERT_NE(w, nullptr);
        ASSERT_TRUE(sink.wait_for_requests(3));
        msgr_window_release(w);
    }
    const std::string kept = read_file(journal);
    const auto first = kept.find(R"("text":"first")");
    const auto second = kept.find(R"("text":"second")");
    const auto third = kept.find(R"("text":"third")");
    ASSERT_NE(first, std::string::npos) << kept;
    ASSERT_NE(second, std::string::npos) << kept;
    ASSERT_NE(third, std::string::npos) << kept;
    EXPECT_LT(first, second) << kept;
    EXPECT_LT(second, third) << kept;
}

}  // namespace

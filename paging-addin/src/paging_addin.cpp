// The paging add-in: gives the runtime its paging capability (the component the Page
// documentation says must be installed) and delivers pages through a gateway.
//
// It sees only sdk/ (msgr/addin.h). Decisions it makes:
//  - who can be paged: the runtime asks it only about contacts whose service did not say they
//    have mobile services; it answers from its own directory ([paging] mobile = [...]).
//  - the page length limit: 160 UTF-16 code units by default ([paging] max_length), the length
//    of one SMS and what pagers and SMS gateways count in; a page is one short message, and
//    a limit a phone delivers in one piece keeps it that way.
//  - the contact's own service first: when the runtime has msgr_host_page_via_service (add-in
//    ABI 1.3) and [paging] through_services is not false, each page is offered to the service
//    the contact is on (an XMPP contact whose client accepts pages, say). A service that takes it
//    reports its delivery; one that carries no page to that contact (S_FALSE) leaves it to the
//    gateway below; when the service fails on it (and is disabled for that), the page is
//    reported failed with the runtime's result rather than sent again through the gateway: it
//    may have left already, and a page that arrives twice is worse than one marked failed.
//  - delivery: on its own thread, never on the host's. "outbox" (the default) appends a JSON line
//    to a file under the user's data directory; "webhook" POSTs JSON (ntfy / Gotify style) with
//    libcurl's multi interface. A failed attempt is retried with exponential backoff; the final
//    outcome is reported to the runtime, which marks the page sent or failed in its window.
//  - the outbox holds whole lines only: a line is appended whole or not at all (a short write on
//    a full disk is cut off again), and a page is sent only once its line is on disk (fsync). A
//    failed write fails the page with its cause: MSGR_E_DISK_FULL (ENOSPC, EDQUOT, EFBIG),
//    MSGR_E_WRITE_PROTECT (EROFS), MSGR_E_ACCESSDENIED (EACCES, EPERM), MSGR_E_FAIL otherwise;
//    the log has the path and the system's words. Only directories the add-in creates get its
//    mode (0700); existing ones are the user's and keep theirs.
//  - nothing accepted is lost at unload: pages still owed then (waiting for a retry, queued, or
//    in flight) go to the retry journal ([paging] journal, by default paging-journal.jsonl next
//    to the outbox), and the next start delivers them through the gateway it is configured with
//    and logs the outcome (their windows belonged to the runtime that is gone). A journal line
//    that cannot be read is skipped with a log line. The journal keeps a page until it has a
//    final outcome, across a crash too: the next start moves the journal's pages into a claim
//    it holds locked while it lives, marks each page done there, and at stop gives what is still
//    owed back to the journal; a claim left by a process that died is taken by the next start
//    (see "the journal and the claims" below). A page the journal cannot take at unload (a full
//    disk) is reported failed with its cause: the runtime unloads this add-in before it raises
//    APP_SHUTDOWN, so its host sees that.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <vector>

#include "curl_library.hpp"
#include "journal.hpp"
#include "msgr/addin.h"
#include "msgr/addin_host.hpp"

namespace {

using msgr::paging::json_string;
using msgr::paging::PageRecord;

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::size_t kMaxQueued = 1024;             // pages waiting; past it a page fails at once
constexpr off_t kMaxJournalBytes = off_t{64} << 20;  // a larger journal is set aside, not read

enum class Gateway { outbox, webhook };

struct Settings {
    std::uint32_t max_length = 160;
    std::unordered_set<std::string> mobile;  // case-folded sign-in names
    Gateway gateway = Gateway::outbox;
    std::string outbox;
    std::string journal;  // pages still owed at unload, delivered at the next start
    std::string url;
    std::string token;
    std::string topic;
    std::int64_t priority = -1;  // -1: not sent
    std::vector<std::string> headers;
    std::int64_t timeout_ms = 10000;
    std::int64_t retries = 3;  // attempts after the first
    std::int64_t backoff_ms = 1000;
    std::int64_t backoff_max_ms = 60000;
    bool through_services = true;  // offer each page to the contact's own service first
};

std::string fold(std::string_view s) {
    std::string out(s);
    for (auto &c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

struct Job {
    std::uint64_t id = 0;
    PageRecord page;        // what the journal keeps of it
    std::string body;       // the JSON object (a line of the outbox, or the webhook's body)
    bool resumed = false;   // from the journal: its window belonged to a runtime that is gone
    std::uint64_t seq = 0;  // the order it was accepted (or resumed) in by this add-in
    std::uint64_t claim_line = 0;  // resumed: its line in this add-in's claim (see claim())
    int attempts = 0;
    Clock::time_point due{};
    CURL *easy = nullptr;
    curl_slist *headers = nullptr;
};

class Pager {
  public:
    Pager(const msgr::addin::HostFunctions &host, Settings settings)
        : host_(host), s_(std::move(settings)) {}

    ~Pager() { stop(); }

    bool start(std::string &why) {
        if (s_.gateway == Gateway::webhook) {
            curl_ = msgr::paging::load_curl(why);
            if (curl_ == nullptr) return false;
            if (curl_->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                why = "curl_global_init failed";
                return false;
            }
            curl_inited_ = true;
            multi_ = curl_->multi_init();
            if (multi_ == nullptr) {
                why = "curl_multi_init failed";
                return false;
            }
        }
        try {
            thread_ = std::thread([this] { run(); });
        } catch (const std::exception &e) {
            why = std::string("cannot start the delivery thread: ") + e.what();
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
        report_unkept();
        if (multi_ != nullptr) {
            curl_->multi_cleanup(multi_);
            multi_ = nullptr;
        }
        if (curl_inited_) {
            curl_->global_cleanup();
            curl_inited_ = false;
        }
    }

    const Settings &settings() const { return s_; }

    msgr_hresult submit(const msgr_page_request &req) {
        // page_via_service is NULL on a runtime older than ABI 1.3: every page goes through the
        // gateway.
        if (s_.through_services && host_.page_via_service != nullptr) {
            const msgr_hresult hr = host_.page_via_service(host_.ctx, &req);
            if (hr == MSGR_S_OK) {
                log(MSGR_LOG_DEBUG, "page " + std::to_string(req.message_id) +
                                        " handed to the contact's service " +
                                        (req.to_service ? req.to_service : ""));
                return MSGR_S_OK;  // the service reports its delivery now, not us
            }
            if (MSGR_FAILED(hr)) {
                // The service broke on it (and is disabled): the page fails in its window.
                host_.post_delivery(host_.ctx, req.message_id, MSGR_DELIVERY_FAILED, hr);
                return MSGR_S_OK;
            }
            // S_FALSE: the service carries no page to this contact; the gateway does.
        }
        return queue(req);
    }

  private:
    // Pages owed at stop that the journal could not take: reported failed with the cause. The
    // runtime unloads this add-in before APP_SHUTDOWN and still takes reports then, so its host
    // sees them; an unload at another time has reported them failed itself already.
    void report_unkept() {
        std::string failed_ids;
        std::string unreported;
        for (const auto &[id, hr] : unkept_) {
            const msgr_hresult posted =
                host_.post_delivery(host_.ctx, id, MSGR_DELIVERY_FAILED, hr);
            std::string &to = MSGR_SUCCEEDED(posted) ? failed_ids : unreported;
            to += (to.empty() ? "" : ", ") + std::to_string(id);
        }
        unkept_.clear();
        if (!failed_ids.empty())
            log(MSGR_LOG_WARNING, "page(s) not journaled, reported failed: " + failed_ids);
        if (!unreported.empty()) {
            log(MSGR_LOG_ERROR,
                "page(s) not journaled and not reported (the runtime takes no "
                "report any more): " +
                    unreported);
        }
    }

    // The body the gateway is given: the outbox's JSON line or the webhook's JSON.
    std::string body_of(const PageRecord &p) const {
        std::string b = "{";
        if (s_.gateway == Gateway::webhook) {
            if (!s_.topic.empty()) {
                b += "\"topic\":";
                json_string(b, s_.topic);
                b += ",";
            }
            b += "\"title\":";
            json_string(b, "Page from " + p.from);
            b += ",\"message\":";
            json_string(b, p.text);
            if (s_.priority >= 0) b += ",\"priority\":" + std::to_string(s_.priority);
            b += ",";
        } else {
            b += "\"text\":";
            json_string(b, p.text);
            b += ",";
        }
        msgr::paging::page_fields(b, p);
        b += "}";
        return b;
    }

    // Queues a page for the delivery thread (the outbox or the webhook).
    msgr_hresult queue(const msgr_page_request &req) {
        auto job = std::make_unique<Job>();
        job->id = req.message_id;
        PageRecord &p = job->page;
        p.id = req.message_id;
        p.time = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
        if (req.text != nullptr) p.text.assign(req.text, req.text_size);
        p.from = req.from ? req.from : "";
        p.to = req.to ? req.to : "";
        p.service = req.to_service ? req.to_service : "";
        job->body = body_of(p);
        job->seq = next_seq_++;
        bool full = false;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            full = incoming_.size() >= kMaxQueued;
            if (!full) incoming_.push_back(std::move(job));
        }
        if (full) {
            // Reported, not dropped: the page fails in its window.
            host_.post_delivery(host_.ctx, req.message_id, MSGR_DELIVERY_FAILED, MSGR_E_BUSY);
            return MSGR_S_OK;
        }
        wake();
        return MSGR_S_OK;
    }

    void wake() {
        if (multi_ != nullptr) {
            curl_->multi_wakeup(multi_);
        } else {
            cv_.notify_all();
        }
    }

    void log(msgr_log_level level, const std::string &m) { host_.say(level, m); }

    void finish(Job &job, msgr_delivery_state state, msgr_hresult hr) {
        if (job.resumed) {
            // Its window belonged to the runtime that journaled it: the log is where it ends, and
            // the claim says it ended (a crash from now on does not deliver it again).
            mark_done(job);
            if (state == MSGR_DELIVERY_SENT) {
                log(MSGR_LOG_INFO, "page " + std::to_string(job.id) + " to " + job.page.to +
                                       " from the journal was delivered");
            }
            return;
        }
        host_.post_delivery(host_.ctx, job.id, state, hr);
    }

    // One attempt failed: retry later, or report the page failed for good.
    void failed(std::unique_ptr<Job> job, msgr_hresult hr, bool retryable, const std::string &why) {
        if (retryable && job->attempts <= s_.retries) {
            std::int64_t delay = s_.backoff_ms;
            for (int i = 1; i < job->attempts && delay < s_.backoff_max_ms; ++i)
                delay *= 2;
            delay = std::min(delay, s_.backoff_max_ms);
            log(MSGR_LOG_INFO, "page " + std::to_string(job->id) + ": attempt " +
                                   std::to_string(job->attempts) + " failed (" + why +
                                   "); retrying in " + std::to_string(delay) + " ms");
            job->due = Clock::now() + std::chrono::milliseconds(delay);
            waiting_.push_back(std::move(job));
            return;
        }
        log(MSGR_LOG_WARNING,
            "page " + std::to_string(job->id) +
                (job->resumed ? " to " + job->page.to + " from the journal" : "") +
                " failed after " + std::to_string(job->attempts) + " attempt(s): " + why);
        finish(*job, MSGR_DELIVERY_FAILED, hr);
    }

    // The result a failed file operation gives the page (HRESULT_FROM_WIN32 of the Windows error
    // for the same cause, as COM reports it), and whether trying again later may help.
    struct FileError {
        msgr_hresult hr;
        bool retryable;
    };
    static FileError file_error(int err) {
        switch (err) {
            case ENOSPC:
            case EDQUOT:
                return {MSGR_E_DISK_FULL, true};  // space may be freed
            case EFBIG:
                return {MSGR_E_DISK_FULL, false};  // the file may grow no more (RLIMIT_FSIZE)
            case EROFS:
                return {MSGR_E_WRITE_PROTECT, false};
            case EACCES:
            case EPERM:
                return {MSGR_E_ACCESSDENIED, false};
            case kNotRegular:
                return {MSGR_E_INVALID_DATA, false};  // a configuration to fix, not a moment
            default:
                return {MSGR_E_FAIL, true};
        }
    }

    static std::string cause(int err) { return std::generic_category().message(err); }

    // The error append_whole gives for a path that is not a regular file (no errno has this
    // value: they are all positive).
    static constexpr int kNotRegular = -1;

    // What a file that is not a regular one is (core's config.cpp has its own: an add-in sees
    // only sdk/).
    static const char *kind_of(mode_t mode) {
        if (S_ISDIR(mode)) return "a directory";
        if (S_ISFIFO(mode)) return "a FIFO";
        if (S_ISSOCK(mode)) return "a socket";
        if (S_ISCHR(mode)) return "a character device";
        if (S_ISBLK(mode)) return "a block device";
        return "not a regular file";
    }

    // Creates the missing directories above `file`, mode 0700 (pages are private). Directories
    // that exist keep their modes: they are the user's (a home, a shared data directory).
    // Returns 0, or the errno of what failed with `why` saying what.
    static int make_parents(const fs::path &file, std::string &why) {
        std::vector<fs::path> missing;  // the nearest first
        for (fs::path dir = file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
            struct stat st {};
            if (::stat(dir.c_str(), &st) == 0) break;
            if (errno != ENOENT) {
                const int err = errno;
                why = "cannot reach directory " + dir.string() + ": " + cause(err);
                return err;
            }
            missing.push_back(dir);
            if (dir == dir.parent_path()) break;
        }
        for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
            if (::mkdir(it->c_str(), 0700) == 0) {
                (void)::chmod(it->c_str(), 0700);  // ours: exactly 0700, whatever the umask
            } else if (errno != EEXIST) {          // EEXIST: made meanwhile by someone else; theirs
                const int err = errno;
                why = "cannot create directory " + it->string() + ": " + cause(err);
                return err;
            }
        }
        return 0;
    }

    // Appends `data` (whole lines) to the file at `path` (created 0600) whole or not at all: a
    // short write (a full disk, a file size limit) or a failed fsync is cut off again, so the file
    // is as it was. A line torn before (a crash in the middle of a write) is cut off first, so a
    // line appended never joins it. Writers lock the file (flock) so that a cut never takes
    // another writer's line. Returns 0, or the errno of what failed with `why` saying what.
    int append_whole(const std::string &path, std::string_view data, std::string &why) {
        if (const int err = make_parents(path, why); err != 0) return err;
        // Read too: a torn line is found by reading the end. O_NONBLOCK: a FIFO there must not
        // block this thread (and the runtime's destroy, which joins it); a regular file ignores
        // it. Symbolic links are followed: a user may link the outbox elsewhere.
        const int fd =
            ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0) {
            const int err = errno;
            if (err == EISDIR) {
                why = path + " is a directory, not a regular file";
                return kNotRegular;
            }
            why = "cannot open " + path + ": " + cause(err);
            return err;
        }
        while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            const int err = errno;
            ::close(fd);
            why = "cannot read the size of " + path + ": " + cause(err);
            return err;
        }
        if (!S_ISREG(st.st_mode)) {
            ::close(fd);
            why = path + " is " + kind_of(st.st_mode) + ", not a regular file";
            return kNotRegular;
        }
        off_t before = st.st_size;
        if (before > 0) cut_torn_line(fd, path, before);
        std::size_t done = 0;
        int err = write_all(fd, data, done);
        if (err == 0 && ::fsync(fd) != 0) err = errno;
        if (err != 0) {
            why = "cannot write " + path + ": " + cause(err);
            if (done > 0) {
                why += " (" + std::to_string(done) + " of " + std::to_string(data.size()) +
                       " bytes written";
                if (::ftruncate(fd, before) == 0) {
                    (void)::fsync(fd);
                    why += ", cut off again)";
                } else {
                    const int terr = errno;
                    why += ")";
                    log(MSGR_LOG_ERROR, "cannot cut the partial line off " + path + " again: " +
                                            cause(terr) + "; the next write cuts it off");
                }
            }
        }
        ::close(fd);
        return err;
    }

    // Writes all of `data`; returns 0 or the errno that stopped it, `done` the bytes written.
    static int write_all(int fd, std::string_view data, std::size_t &done) {
        while (done < data.size()) {
            const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return n < 0 ? errno : EIO;
            done += static_cast<std::size_t>(n);
        }
        return 0;
    }

    // Makes the names in `dir` durable (a file created, renamed or removed there).
    static void sync_dir(const fs::path &dir) {
        const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return;
        (void)::fsync(fd);
        ::close(fd);
    }

    // The file ends in the middle of a line (a crash during an append): cuts that line off.
    void cut_torn_line(int fd, const std::string &path, off_t &size) {
        char last = '\n';
        if (::pread(fd, &last, 1, size - 1) != 1 || last == '\n') return;
        off_t end = size - 1;  // the torn line ends here: find the newline before it
        bool found = false;
        char buf[4096];
        while (end > 0 && !found) {
            const off_t from = std::max<off_t>(0, end - static_cast<off_t>(sizeof buf));
            const ssize_t n = ::pread(fd, buf, static_cast<std::size_t>(end - from), from);
            if (n != end - from) return;  // cannot read it: leave the file alone
            for (ssize_t i = n; i-- > 0;) {
                if (buf[i] == '\n') {
                    end = from + i + 1;
                    found = true;
                    break;
                }
            }
            if (!found) end = from;
        }
        if (::ftruncate(fd, end) != 0) return;
        log(MSGR_LOG_WARNING, path + " ended in a torn line (" + std::to_string(size - end) +
                                  " bytes, left by a write that never finished); cut off");
        size = end;
    }

    void write_outbox(std::unique_ptr<Job> job) {
        ++job->attempts;
        std::string why;
        const int err = append_whole(s_.outbox, job->body + "\n", why);
        if (err != 0) {
            const FileError fe = file_error(err);
            failed(std::move(job), fe.hr, fe.retryable, why);
            return;
        }
        finish(*job, MSGR_DELIVERY_SENT, MSGR_S_OK);
    }

    static size_t discard(char *, size_t size, size_t n, void *) { return size * n; }

    void start_request(std::unique_ptr<Job> job) {
        ++job->attempts;
        CURL *e = curl_->easy_init();
        if (e == nullptr) {
            failed(std::move(job), MSGR_E_OUTOFMEMORY, true, "curl_easy_init failed");
            return;
        }
        curl_slist *h = curl_->slist_append(nullptr, "Content-Type: application/json");
        h = curl_->slist_append(h, "User-Agent: msgr-paging/1.0");
        if (!s_.token.empty())
            h = curl_->slist_append(h, ("Authorization: Bearer " + s_.token).c_str());
        for (const auto &extra : s_.headers)
            h = curl_->slist_append(h, extra.c_str());
        curl_->easy_setopt(e, CURLOPT_URL, s_.url.c_str());
        curl_->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_->easy_setopt(e, CURLOPT_HTTPHEADER, h);
        curl_->easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(job->body.size()));
        curl_->easy_setopt(e, CURLOPT_POSTFIELDS, job->body.c_str());
        curl_->easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.timeout_ms));
        curl_->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s_.timeout_ms));
        curl_->easy_setopt(e, CURLOPT_WRITEFUNCTION, &Pager::discard);
        curl_->easy_setopt(e, CURLOPT_PRIVATE, job.get());
        job->easy = e;
        job->headers = h;
        curl_->multi_add_handle(multi_, e);
        active_.push_back(std::move(job));
    }

    void request_done(CURL *e, CURLcode code) {
        auto it = std::find_if(active_.begin(), active_.end(),
                               [&](const std::unique_ptr<Job> &j) { return j->easy == e; });
        if (it == active_.end()) return;
        std::unique_ptr<Job> job = std::move(*it);
        active_.erase(it);
        long status = 0;
        curl_->easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_->multi_remove_handle(multi_, e);
        curl_->easy_cleanup(e);
        curl_->slist_free_all(job->headers);
        job->easy = nullptr;
        job->headers = nullptr;
        if (code != CURLE_OK) {
            failed(std::move(job), MSGR_E_CONNECT, true, curl_->easy_strerror(code));
        } else if (status >= 200 && status < 300) {
            finish(*job, MSGR_DELIVERY_SENT, MSGR_S_OK);
        } else {
            const bool retry = status >= 500 || status == 408 || status == 429;
            failed(std::move(job), retry ? MSGR_E_SERVER_UNAVAILABLE : MSGR_E_FAIL, retry,
                   "the gateway answered HTTP " + std::to_string(status));
        }
    }

    void run() {
        resume_journal();
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                if (stopping_) break;
                while (!incoming_.empty()) {
                    waiting_.push_back(std::move(incoming_.front()));
                    incoming_.pop_front();
                }
            }
            const auto now = Clock::now();
            auto next_due = now + std::chrono::seconds(1);
            for (auto it = waiting_.begin(); it != waiting_.end();) {
                if ((*it)->due <= now) {
                    std::unique_ptr<Job> job = std::move(*it);
                    it = waiting_.erase(it);
                    if (s_.gateway == Gateway::webhook) {
                        start_request(std::move(job));
                    } else {
                        write_outbox(std::move(job));
                    }
                } else {
                    next_due = std::min(next_due, (*it)->due);
                    ++it;
                }
            }
            // A retry scheduled just now may be due before the computed wake-up.
            for (const auto &j : waiting_)
                next_due = std::min(next_due, j->due);
            const auto wait_ms = std::max<std::int64_t>(
                0, std::chrono::duration_cast<std::chrono::milliseconds>(next_due - Clock::now())
                       .count());
            if (multi_ != nullptr) {
                int running = 0;
                curl_->multi_perform(multi_, &running);
                int left = 0;
                while (CURLMsg *m = curl_->multi_info_read(multi_, &left)) {
                    if (m->msg == CURLMSG_DONE) request_done(m->easy_handle, m->data.result);
                }
                if (!waiting_.empty() && wait_ms == 0) continue;
                curl_->multi_poll(multi_, nullptr, 0,
                                  static_cast<int>(std::min<std::int64_t>(wait_ms, 1000)), nullptr);
            } else {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                             [&] { return stopping_ || !incoming_.empty(); });
            }
        }
        // Stopping: every page still owed (in flight, waiting for a retry, queued) goes to the
        // journal and is delivered at the next start. A transfer in flight is abandoned: the
        // gateway may have had it, so its line says so (the next start delivers it again; a page
        // twice is better than a page lost).
        std::vector<std::unique_ptr<Job>> owed;
        for (auto &job : active_) {
            curl_->multi_remove_handle(multi_, job->easy);
            curl_->easy_cleanup(job->easy);
            curl_->slist_free_all(job->headers);
            job->easy = nullptr;
            job->headers = nullptr;
            job->page.in_flight = true;
            owed.push_back(std::move(job));
        }
        active_.clear();
        for (auto &job : waiting_)
            owed.push_back(std::move(job));
        waiting_.clear();
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            for (auto &job : incoming_)
                owed.push_back(std::move(job));
            incoming_.clear();
        }
        // In the order they were accepted, those from the journal (older) first: the next start
        // sends them in that order. Not by id: the ids of pages from the journal are those of
        // the runtime that accepted them, and may equal or pass this runtime's.
        std::sort(owed.begin(), owed.end(), [](const auto &a, const auto &b) {
            return a->resumed != b->resumed ? a->resumed : a->seq < b->seq;
        });
        const bool kept = keep_in_journal(owed);
        // The pages from the claim are in the journal again (or done): the claim goes. When they
        // could not be journaled it stays, unlocked from now on: the next start takes them.
        if (claim_fd_ >= 0) {
            if (kept && ::unlink(claim_path_.c_str()) == 0) {
                sync_dir(fs::path(claim_path_).parent_path());
            } else if (kept) {
                log(MSGR_LOG_WARNING, "cannot remove the claim " + claim_path_ + ": " +
                                          cause(errno) +
                                          "; its pages may be delivered again at the next start");
            }
            ::close(claim_fd_);  // unlinked first: a start waiting for it finds it gone
            claim_fd_ = -1;
        }
    }

    // Appends the pages still owed to the journal (one write: all of them or none). Returns
    // whether they are there.
    bool keep_in_journal(const std::vector<std::unique_ptr<Job>> &owed) {
        if (owed.empty()) return true;
        std::string data;
        std::string ids;
        for (const auto &job : owed) {
            data += msgr::paging::journal_line(job->page) + "\n";
            ids += (ids.empty() ? "" : ", ") + std::to_string(job->id);
        }
        std::string why;
        const int err = append_whole(s_.journal, data, why);
        if (err != 0) {
            // Reported failed, with the cause, by stop() on the runtime's thread (which does not
            // wait for room in the runtime's inbox, as this thread would while the runtime's
            // thread waits for it). Those from the journal stay in the claim.
            const msgr_hresult hr = file_error(err).hr;
            for (const auto &job : owed) {
                if (!job->resumed) unkept_.emplace_back(job->id, hr);
            }
            std::string m = "cannot keep " + std::to_string(owed.size()) + " page(s) still owed (" +
                            ids + ") in the journal: " + why;
            if (claim_fd_ >= 0) m += "; those from the journal stay in the claim " + claim_path_;
            log(MSGR_LOG_ERROR, m);
            return false;
        }
        log(MSGR_LOG_INFO, std::to_string(owed.size()) + " page(s) still owed (" + ids +
                               ") kept in the journal " + s_.journal +
                               "; the next start delivers them");
        return true;
    }

    // ---- the journal and the claims ----
    //
    // A page stays on disk until it has a final outcome. At start, the pages in the journal move
    // (under the journal's lock) into a claim: a file next to the journal,
    // <journal>.claim.<pid>.<ns>, that this add-in holds locked (flock) for its life. The journal
    // is emptied only once the claim is on disk. A page from the claim that reaches its final
    // outcome gets a done line there. At stop, the pages still owed go to the journal and the
    // claim is removed. A claim nobody holds locked was left by a process that died (a crash,
    // SIGKILL: the kernel drops its locks); the next start takes the pages in it that are not
    // done. A page is in the journal or in one locked claim, so two runtimes sharing a journal
    // never both deliver it; a crash between two of these steps may deliver a page twice, never
    // lose it.

    // Whether `name` is that of a claim of the journal `journal_name`.
    static bool is_claim_name(const std::string &name, const std::string &journal_name) {
        const std::string head = journal_name + ".claim.";
        if (name.size() <= head.size() || name.compare(0, head.size(), head) != 0) return false;
        return name.find_first_not_of("0123456789.", head.size()) == std::string::npos;
    }

    // Reads the pages of a journal or a claim (open and locked): skips with a log line the lines
    // that cannot be read, and the pages a done line marks. False (with a log line) when the
    // file is not read at all.
    bool read_pages(int fd, const std::string &what, const std::string &path,
                    std::vector<PageRecord> &out) {
        const std::string named = what + " " + path;
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            log(MSGR_LOG_WARNING, named + " is not a regular file; not read");
            return false;
        }
        if (st.st_size > kMaxJournalBytes) {
            // Too large for one this add-in wrote: kept for a person to look at, out of the way.
            const std::string aside = path + ".unread";
            const bool moved = ::rename(path.c_str(), aside.c_str()) == 0;
            log(MSGR_LOG_ERROR,
                named + " is larger than " + std::to_string(kMaxJournalBytes >> 20) + " MiB; " +
                    (moved ? "moved to " + aside : "left as it is") + ", not resumed");
            return false;
        }
        std::string text(static_cast<std::size_t>(st.st_size), '\0');
        std::size_t got = 0;
        while (got < text.size()) {
            const ssize_t n =
                ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        if (got != text.size()) {
            log(MSGR_LOG_WARNING,
                "cannot read " + named + ": " + cause(errno) + "; left as it is, not resumed");
            return false;
        }
        std::vector<std::pair<std::uint64_t, PageRecord>> pages;  // with their line (0-based)
        std::unordered_set<std::uint64_t> done;
        std::uint64_t line_no = 0;
        std::string_view rest(text);
        for (; !rest.empty(); ++line_no) {
            const std::size_t nl = rest.find('\n');
            const std::string_view line = rest.substr(0, nl);
            rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
            if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
            PageRecord page;
            std::string why;
            std::uint64_t done_at = 0;
            if (nl == std::string_view::npos) {
                why = "the line is incomplete (no newline: a write that never finished)";
            } else if (msgr::paging::parse_done_line(line, done_at)) {
                done.insert(done_at);
                continue;
            } else if (!msgr::paging::parse_journal_line(line, page, why)) {
                why.insert(0, "not a page: ");
            }
            if (!why.empty()) {
                std::string m = named + ", line " + std::to_string(line_no + 1) + ": ";
                m += why;
                m += "; skipped";
                log(MSGR_LOG_WARNING, m);
                continue;
            }
            pages.emplace_back(line_no, std::move(page));
        }
        for (auto &[at, page] : pages) {
            if (done.count(at) == 0) out.push_back(std::move(page));
        }
        return true;
    }

    // Writes `pages` to a new claim, locked by this add-in from now on (claim_fd_). The caller
    // holds the journal's lock, so no start looking for claims left behind sees it half written.
    bool claim(const std::vector<PageRecord> &pages) {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        const std::string path =
            s_.journal + ".claim." + std::to_string(::getpid()) + "." + std::to_string(ns);
        const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            log(MSGR_LOG_ERROR, "cannot create the claim " + path + ": " + cause(errno) +
                                    "; the journal's pages are left in it for the next start");
            return false;
        }
        while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
        }
        std::string data;
        for (const auto &page : pages)
            data += msgr::paging::journal_line(page) + "\n";
        std::size_t done = 0;
        int err = write_all(fd, data, done);
        if (err == 0 && ::fsync(fd) != 0) err = errno;
        if (err != 0) {
            log(MSGR_LOG_ERROR, "cannot write the claim " + path + ": " + cause(err) +
                                    "; the journal's pages are left in it for the next start");
            (void)::unlink(path.c_str());
            ::close(fd);
            return false;
        }
        sync_dir(fs::path(path).parent_path());
        claim_fd_ = fd;
        claim_path_ = path;
        return true;
    }

    // Notes in the claim that a page from it has its final outcome.
    void mark_done(const Job &job) {
        if (claim_fd_ < 0) return;
        const std::string line = msgr::paging::done_line(job.claim_line) + "\n";
        std::size_t done = 0;
        int err = write_all(claim_fd_, line, done);
        if (err == 0 && ::fsync(claim_fd_) != 0) err = errno;
        if (err != 0) {
            log(MSGR_LOG_WARNING, "cannot note in the claim " + claim_path_ + " that page " +
                                      std::to_string(job.id) + " is done: " + cause(err) +
                                      "; should this runtime not stop cleanly, it is delivered "
                                      "again");
        }
    }

    // Takes the pages a previous run left in the journal, and those in claims whose runtime died,
    // into a claim of this add-in's (so that two runtimes sharing the journal do not both
    // deliver them), and queues them first.
    void resume_journal() {
        const std::string &path = s_.journal;
        // Created when missing (empty): its lock guards the claims too. Not its directory: where
        // there is none, there is no journal and no claim.
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno != ENOENT) {
                log(MSGR_LOG_WARNING, "cannot open the journal " + path + ": " + cause(errno) +
                                          "; the pages in it are not resumed");
            }
            return;
        }
        while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
        }
        std::vector<PageRecord> pages;
        if (!read_pages(fd, "the journal", path, pages)) {
            ::close(fd);
            return;
        }
        const std::size_t from_journal = pages.size();
        struct stat st {};
        const bool journal_empty = ::fstat(fd, &st) == 0 && st.st_size == 0;
        // Claims left by runtimes that died: their lock is free.
        std::vector<std::pair<int, std::string>> orphans;
        const fs::path dir = fs::path(path).parent_path();
        const std::string journal_name = fs::path(path).filename().string();
        std::error_code ec;
        for (fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec), end;
             !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!is_claim_name(name, journal_name)) continue;
            const std::string claim_path = (dir / name).string();
            const int cfd = ::open(claim_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
            if (cfd < 0) continue;
            struct stat cst {};
            // Locked: its runtime lives. No link any more: taken by another start meanwhile.
            if (::flock(cfd, LOCK_EX | LOCK_NB) != 0 || ::fstat(cfd, &cst) != 0 ||
                cst.st_nlink == 0) {
                ::close(cfd);
                continue;
            }
            const std::size_t before = pages.size();
            if (!read_pages(cfd, "the claim", claim_path, pages)) {
                ::close(cfd);
                continue;
            }
            log(MSGR_LOG_WARNING,
                "the claim " + claim_path + " was left by a runtime that did not stop cleanly; " +
                    std::to_string(pages.size() - before) + " page(s) in it are still owed");
            orphans.emplace_back(cfd, claim_path);
        }
        // In the order they were accepted, across the runtimes that accepted them.
        // By time, then by where each was read. (Not std::stable_sort: under clang's ASan its
        // temporary buffer from libstdc++ 12 is reported as an operator new / free mismatch.)
        std::vector<std::size_t> order(pages.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return pages[a].time != pages[b].time ? pages[a].time < pages[b].time : a < b;
        });
        std::vector<PageRecord> sorted;
        sorted.reserve(pages.size());
        for (const std::size_t i : order)
            sorted.push_back(std::move(pages[i]));
        pages = std::move(sorted);
        const bool claimed = pages.empty() || claim(pages);
        if (claimed) {
            // Emptied, not removed: a writer waiting for the lock holds this file open.
            if (!journal_empty && (::ftruncate(fd, 0) != 0 || ::fsync(fd) != 0)) {
                log(MSGR_LOG_WARNING, "cannot empty the journal " + path + ": " + cause(errno) +
                                          "; its pages may be delivered again at the next start");
            }
            for (const auto &[cfd, claim_path] : orphans)
                (void)::unlink(claim_path.c_str());
            if (!orphans.empty()) sync_dir(dir);
        }
        for (const auto &[cfd, claim_path] : orphans)
            ::close(cfd);
        ::close(fd);
        if (!claimed) return;
        for (std::size_t i = 0; i < pages.size(); ++i) {
            PageRecord &page = pages[i];
            auto job = std::make_unique<Job>();
            job->id = page.id;
            job->resumed = true;
            job->seq = next_seq_++;
            job->claim_line = i;
            job->body = body_of(page);
            if (page.in_flight) {
                log(MSGR_LOG_INFO, "page " + std::to_string(page.id) +
                                       " from the journal was in flight when it was journaled; "
                                       "the gateway may have had it already");
            }
            job->page = std::move(page);
            job->page.in_flight = false;
            waiting_.push_back(std::move(job));
        }
        if (!pages.empty()) {
            log(MSGR_LOG_INFO,
                "resuming " + std::to_string(pages.size()) + " page(s) from the journal " + path +
                    " (" + std::to_string(from_journal) + " from it, " +
                    std::to_string(pages.size() - from_journal) + " from claims left behind)");
        }
    }

    msgr::addin::HostFunctions host_;
    Settings s_;
    const msgr::paging::Curl *curl_ = nullptr;  // the webhook gateway's libcurl (curl_library.hpp)
    CURLM *multi_ = nullptr;
    bool curl_inited_ = false;
    std::thread thread_;

    std::mutex mutex_;  // guards incoming_ and stopping_
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Job>> incoming_;
    std::atomic<std::uint64_t> next_seq_{0};  // Job::seq (the host's thread and the delivery one)
    bool stopping_ = false;

    // The delivery thread's own.
    std::list<std::unique_ptr<Job>> waiting_;
    std::list<std::unique_ptr<Job>> active_;
    std::vector<std::pair<std::uint64_t, msgr_hresult>> unkept_;  // see report_unkept()
    int claim_fd_ = -1;       // this add-in's claim, locked while it lives (-1: none)
    std::string claim_path_;  // its path
};

// ---- configuration ------------------------------------------------------------------------

struct ConfigReader {
    const msgr::addin::HostFunctions &h;
    std::string error;

    bool get(const char *k, std::string &out) {
        const char *v = nullptr;
        const msgr_hresult hr = h.config_string(h.ctx, k, &v);
        if (hr == MSGR_E_INVALIDARG) return bad(k, "a string");
        if (hr == MSGR_S_OK) out = v;
        return true;
    }
    bool get(const char *k, std::int64_t &out, std::int64_t lo, std::int64_t hi) {
        std::int64_t v = 0;
        const msgr_hresult hr = h.config_int(h.ctx, k, &v);
        const std::string range =
            "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
        if (hr == MSGR_E_INVALIDARG) return bad(k, range);
        if (hr != MSGR_S_OK) return true;
        if (v < lo || v > hi) return bad(k, range);
        out = v;
        return true;
    }
    bool get(const char *k, bool &out) {
        int v = 0;
        const msgr_hresult hr = h.config_bool(h.ctx, k, &v);
        if (hr == MSGR_E_INVALIDARG) return bad(k, "true or false");
        if (hr == MSGR_S_OK) out = v != 0;
        return true;
    }
    bool get(const char *k, std::vector<std::string> &out) {
        std::size_t n = 0;
        msgr_hresult hr = h.config_array_size(h.ctx, k, &n);
        if (hr == MSGR_E_INVALIDARG) return bad(k, "an array of strings");
        if (hr != MSGR_S_OK) return true;
        out.clear();
        for (std::size_t i = 0; i < n; ++i) {
            const char *v = nullptr;
            if (h.config_array_string(h.ctx, k, i, &v) != MSGR_S_OK)
                return bad(k, "an array of strings");
            out.emplace_back(v);
        }
        return true;
    }
    bool bad(const char *k, const std::string &want) {
        error = std::string(h.config_origin(h.ctx)) + ": paging." + k + " must be " + want;
        return false;
    }
};

std::string default_outbox() {
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && xdg[0] == '/') {
        return (fs::path(xdg) / "msgr" / "outbox.jsonl").string();
    }
    if (const char *home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
        return (fs::path(home) / ".local" / "share" / "msgr" / "outbox.jsonl").string();
    }
    return "msgr-outbox.jsonl";
}

bool read_settings(const msgr::addin::HostFunctions &host, Settings &s, std::string &why) {
    ConfigReader r{host, {}};
    if (!host.has_config_functions()) {
        why = "the runtime lacks the configuration functions this add-in needs";
        return false;
    }
    static const char *const known[] = {"max_length",
                                        "mobile",
                                        "gateway",
                                        "outbox",
                                        "journal",
                                        "webhook_url",
                                        "webhook_token",
                                        "webhook_topic",
                                        "webhook_priority",
                                        "webhook_headers",
                                        "webhook_timeout_ms",
                                        "retries",
                                        "retry_backoff_ms",
                                        "retry_backoff_max_ms",
                                        "through_services"};
    const char *k = nullptr;
    for (std::size_t i = 0; host.config_key(host.ctx, i, &k) == MSGR_S_OK; ++i) {
        bool ok = false;
        for (const char *n : known)
            ok = ok || std::strcmp(n, k) == 0;
        if (!ok) {
            why = std::string(host.config_origin(host.ctx)) + ": unknown key paging." + k;
            return false;
        }
    }
    std::int64_t max_length = s.max_length;
    std::vector<std::string> mobile;
    std::string gateway = "outbox";
    std::string outbox;
    std::string journal;
    const bool ok = r.get("max_length", max_length, 1, 65535) && r.get("mobile", mobile) &&
                    r.get("gateway", gateway) && r.get("outbox", outbox) &&
                    r.get("journal", journal) && r.get("webhook_url", s.url) &&
                    r.get("webhook_token", s.token) && r.get("webhook_topic", s.topic) &&
                    r.get("webhook_priority", s.priority, 0, 10) &&
                    r.get("webhook_headers", s.headers) &&
                    r.get("webhook_timeout_ms", s.timeout_ms, 1, 600000) &&
                    r.get("retries", s.retries, 0, 100) &&
                    r.get("retry_backoff_ms", s.backoff_ms, 0, 3600000) &&
                    r.get("retry_backoff_max_ms", s.backoff_max_ms, 0, 86400000) &&
                    r.get("through_services", s.through_services);
    if (!ok) {
        why = r.error;
        return false;
    }
    s.max_length = static_cast<std::uint32_t>(max_length);
    for (const auto &m : mobile)
        s.mobile.insert(fold(m));
    if (gateway == "outbox") {
        s.gateway = Gateway::outbox;
    } else if (gateway == "webhook") {
        s.gateway = Gateway::webhook;
        if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) {
            why = std::string(host.config_origin(host.ctx)) +
                  ": paging.gateway is \"webhook\", so paging.webhook_url must be an http:// or "
                  "https:// URL";
            return false;
        }
    } else {
        why = std::string(host.config_origin(host.ctx)) + ": paging.gateway is \"" + gateway +
              "\"; expected \"outbox\" or \"webhook\"";
        return false;
    }
    for (const auto &h : s.headers) {
        if (h.find(':') == std::string::npos || h.find_first_of("\r\n") != std::string::npos) {
            why = std::string(host.config_origin(host.ctx)) + ": paging.webhook_headers: \"" + h +
                  "\" is not a \"Name: value\" header";
            return false;
        }
    }
    // Relative paths are relative to the configuration file.
    const std::string origin = host.config_origin(host.ctx);
    const auto resolve = [&](const std::string &given) {
        fs::path p(given);
        if (p.is_relative() && !origin.empty()) p = fs::path(origin).parent_path() / p;
        return p.string();
    };
    s.outbox = outbox.empty() ? default_outbox() : resolve(outbox);
    // The journal lives next to the outbox unless told otherwise (with the webhook too: the
    // outbox's directory is the add-in's data directory).
    s.journal = journal.empty()
                    ? (fs::path(s.outbox).parent_path() / "paging-journal.jsonl").string()
                    : resolve(journal);
    std::error_code ec1;
    std::error_code ec2;
    const fs::path j = fs::weakly_canonical(s.journal, ec1);
    const fs::path o = fs::weakly_canonical(s.outbox, ec2);
    if (!ec1 && !ec2 && j == o) {
        // The next start would take the outbox's lines for pages owed and empty it.
        why =
            origin + ": paging.journal is the outbox (" + s.outbox + "); give it a file of its own";
        return false;
    }
    return true;
}

// ---- the C boundary -------------------------------------------------------------------------

msgr_hresult knows_mobile(void *state, const char *, const char *signin, int *out) {
    auto *p = static_cast<Pager *>(state);
    *out = p->settings().mobile.count(fold(signin ? signin : "")) > 0 ? 1 : 0;
    return MSGR_S_OK;
}

msgr_hresult submit(void *state, const msgr_page_request *page) {
    try {
        return static_cast<Pager *>(state)->submit(*page);
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;  // never let an exception cross the C boundary
    }
}

msgr_hresult paging_load(const msgr_host *host, void **state) {
    const msgr::addin::HostFunctions h(*host);
    if (!h.has_paging_functions()) return MSGR_E_NOTIMPL;
    try {
        Settings settings;
        std::string why;
        if (!read_settings(h, settings, why)) {
            h.set_error(host->ctx, why.c_str());
            return MSGR_E_INVALID_DATA;
        }
        auto pager = std::make_unique<Pager>(h, std::move(settings));
        msgr_paging_provider provider{};
        provider.struct_size = sizeof provider;
        provider.state = pager.get();
        provider.max_page_utf16 = pager->settings().max_length;
        provider.knows_mobile = &knows_mobile;
        provider.submit = &submit;
        const msgr_hresult hr = h.register_paging(host->ctx, &provider);
        if (MSGR_FAILED(hr)) return hr;  // the host recorded why
        if (!pager->start(why)) {
            h.set_error(host->ctx, why.c_str());
            return MSGR_E_FAIL;
        }
        *state = pager.release();
        return MSGR_S_OK;
    } catch (const std::exception &e) {
        h.set_error(host->ctx, e.what());
        return MSGR_E_FAIL;
    } catch (...) {
        return MSGR_E_FAIL;
    }
}

void paging_unload(void *state) {
    delete static_cast<Pager *>(state);
}

const msgr_addin_descriptor descriptor = {
    sizeof(msgr_addin_descriptor),
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    "paging",
    "1.0.0",
    "pages mobile contacts through a local outbox or an HTTP webhook",
    "paging",
    nullptr,
    &paging_load,
    &paging_unload,
};

const msgr_addin_descriptor *paging_entry() {
    return &descriptor;
}

}  // namespace

MSGR_ADDIN_ENTRY(paging_entry);

// The history store against real SQLite files in a temporary directory: every public method,
// what survives a reopen, forgetting and retention, search, the files it refuses or moves
// aside, file modes, and durability across a SIGKILL and a full disk (in forked children).
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "history/store.hpp"
#include "support/post_queue.hpp"

namespace msgr::core::history {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// How many rows a table holds, through a connection of the test's own (what is in the file).
std::int64_t count_rows(const std::string &path, const std::string &sql) {
    sqlite3 *db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW) {
            n = sqlite3_column_int64(s, 0);
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return n;
}

void run_sql(const std::string &path, const std::string &sql) {
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char *err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string why = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << why;
}

// The owner thread's side of a store: the test's thread runs what the store posts (as the
// runtime's tick runs its inbox), and keeps the log lines.
class Owner {
  public:
    Options options(const std::string &path) {
        Options o;
        o.path = path;
        o.post = [this](std::function<void()> fn) { posted_.post(std::move(fn)); };
        o.log = [this](msgr_log_level level, const std::string &line) {
            const std::lock_guard<std::mutex> lock(mu_);
            logs_.emplace_back(level, line);
        };
        return o;
    }

    // Runs what was posted until pred holds (or 20 s pass).
    bool pump_until(const std::function<bool()> &pred) {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!pred()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            pump();
            std::this_thread::sleep_for(1ms);
        }
        return true;
    }
    void pump() { posted_.pump(); }

    // Starts a store and runs its posts until it reports opened.
    std::unique_ptr<Store> open(Options o, msgr_hresult &hr, std::string &why) {
        bool done = false;
        auto store = Store::start(std::move(o), [&](msgr_hresult h, std::string w) {
            hr = h;
            why = std::move(w);
            done = true;
        });
        EXPECT_TRUE(pump_until([&] { return done; })) << "the store never reported opened";
        return store;
    }
    std::unique_ptr<Store> open_ok(Options o) {
        msgr_hresult hr = MSGR_E_FAIL;
        std::string why;
        auto store = open(std::move(o), hr, why);
        EXPECT_EQ(hr, MSGR_S_OK) << why;
        return store;
    }

    std::size_t logged(msgr_log_level level, const std::string &needle) {
        const std::lock_guard<std::mutex> lock(mu_);
        std::size_t n = 0;
        for (const auto &[l, line] : logs_)
            n += l == level && line.find(needle) != std::string::npos;
        return n;
    }

  private:
    msgr::test::PostQueue posted_;
    std::mutex mu_;  // logs_
    std::vector<std::pair<msgr_log_level, std::string>> logs_;
};

struct SearchResult {
    bool done = false;
    msgr_hresult hr = MSGR_E_FAIL;
    std::vector<Hit> hits;
};

class HistoryStore : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "msgr-store-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/acc.sqlite3";
    }
    void TearDown() override {
        std::error_code ec;
        fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir_, ec);
    }

    std::unique_ptr<Store> open(std::uint32_t days = 0, std::uint64_t messages = 0) {
        Options o = owner_.options(path_);
        o.retain_days = days;
        o.retain_messages = messages;
        return owner_.open_ok(std::move(o));
    }

    static Record message(std::string text, msgr_message_direction dir = MSGR_MESSAGE_INCOMING,
                          std::int64_t time = now_ms()) {
        Record r;
        r.direction = dir;
        r.delivery = dir == MSGR_MESSAGE_OUTGOING ? MSGR_DELIVERY_PENDING : MSGR_DELIVERY_NONE;
        r.time_unix_ms = time;
        r.text = std::move(text);
        return r;
    }

    static ConversationKey key(const std::string &peer,
                               msgr_window_kind kind = MSGR_WINDOW_CONVERSATION) {
        return ConversationKey{"loopback", peer, kind};
    }

    ConversationId conv(Store &s, const std::string &peer) {
        ConversationId id = 0;
        EXPECT_EQ(s.conversation(key(peer), id), MSGR_S_OK);
        return id;
    }

    SearchResult search(Store &s, const std::string &q, std::size_t max = 100) {
        SearchResult r;
        const std::uint64_t id = s.search(q, max, [&r](msgr_hresult hr, std::vector<Hit> hits) {
            r.done = true;
            r.hr = hr;
            r.hits = std::move(hits);
        });
        EXPECT_GT(id, 0u);
        EXPECT_TRUE(owner_.pump_until([&] { return r.done; })) << "search never done: " << q;
        return r;
    }

    std::vector<Record> read_all(Store &s, ConversationId id) {
        const Store::Span span = s.span(id);
        std::vector<Record> out;
        EXPECT_EQ(s.read(id, span.first_seq, static_cast<std::size_t>(span.count), out), MSGR_S_OK);
        return out;
    }

    Owner owner_;
    std::string dir_;
    std::string path_;
};

// ---- files, modes, paths ------------------------------------------------------------------

TEST_F(HistoryStore, CreatesItsDirectoriesPrivateAndTheFile0600) {
    path_ = dir_ + "/a/b/acc.sqlite3";
    auto s = open();
    ASSERT_NE(s, nullptr);
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    for (const char *d : {"/a", "/a/b"}) {
        ASSERT_EQ(::stat((dir_ + d).c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
    }
    // The WAL files SQLite makes next to it get the file's mode.
    Record r = message("hi");
    ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
    ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(HistoryPaths, DefaultPathEscapesEveryNameIntoOneFile) {
    EXPECT_EQ(default_path("/d", "loopback", "alice@example.com"),
              "/d/loopback/alice@example.com.sqlite3");
    EXPECT_EQ(default_path("/d/", "xmpp", "a/b"), "/d/xmpp/a%2Fb.sqlite3");
    EXPECT_EQ(default_path("/d", "..", ".."), "/d/%2E./%2E..sqlite3");
    EXPECT_EQ(default_path("/d", "s", ".hidden"), "/d/s/%2Ehidden.sqlite3");
    EXPECT_EQ(default_path("/d", "s", "zoë 😀"), "/d/s/zo%C3%AB%20%F0%9F%98%80.sqlite3");
    EXPECT_EQ(default_path("/d", "s", "a%b"), "/d/s/a%25b.sqlite3");
    EXPECT_EQ(default_path("/d", "s", ""), "");
}

TEST(HistoryPaths, DefaultPathUsesXdgDataHomeThenHome) {
    const char *xdg = std::getenv("XDG_DATA_HOME");  // NOLINT(concurrency-mt-unsafe)
    const char *home = std::getenv("HOME");          // NOLINT(concurrency-mt-unsafe)
    const std::string saved_xdg = xdg != nullptr ? xdg : "";
    const std::string saved_home = home != nullptr ? home : "";
    ::setenv("XDG_DATA_HOME", "/x/data", 1);  // NOLINT(concurrency-mt-unsafe): one thread here
    EXPECT_EQ(default_path("", "s", "a"), "/x/data/msgr/history/s/a.sqlite3");
    ::setenv("XDG_DATA_HOME", "relative", 1);  // NOLINT(concurrency-mt-unsafe)
    ::setenv("HOME", "/home/u", 1);            // NOLINT(concurrency-mt-unsafe)
    EXPECT_EQ(default_path("", "s", "a"), "/home/u/.local/share/msgr/history/s/a.sqlite3");
    ::unsetenv("XDG_DATA_HOME");  // NOLINT(concurrency-mt-unsafe)
    ::unsetenv("HOME");           // NOLINT(concurrency-mt-unsafe)
    EXPECT_EQ(default_path("", "s", "a"), "");
    if (xdg != nullptr) ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);  // NOLINT
    if (home != nullptr) ::setenv("HOME", saved_home.c_str(), 1);         // NOLINT
}

TEST_F(HistoryStore, CorruptFileIsMovedAsideAndAFreshOneMade) {
    {
        std::ofstream out(path_, std::ios::binary);
        out << std::string(8192, 'x');
    }
    const std::string garbage = read_file(path_);
    auto s = open();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(owner_.logged(MSGR_LOG_ERROR, "moved to " + path_ + ".corrupt-"), 1u);
    std::vector<std::string> aside;
    for (const auto &e : fs::directory_iterator(dir_)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("acc.sqlite3.corrupt-", 0) == 0) aside.push_back(e.path().string());
    }
    ASSERT_EQ(aside.size(), 1u);
    EXPECT_EQ(read_file(aside[0]), garbage);
    Record r = message("works");
    EXPECT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
}

// Ours, but its schema page overwritten: SQLite finds it corrupt.
TEST_F(HistoryStore, OurDatabaseCorruptedIsMovedAside) {
    {
        auto s = open();
        Record r = message("lost to the corruption");
        ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
    }
    ASSERT_FALSE(fs::exists(path_ + "-wal"));  // the last close checkpointed it into the file
    {
        std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(100);  // past the header (application_id and user_version stay)
        const std::string junk(4096 - 100, '\xA5');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    auto s = open();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(owner_.logged(MSGR_LOG_ERROR, "or is corrupt"), 1u);
    EXPECT_EQ(s->span(conv(*s, "bob")).count, 0);
    Record r = message("a fresh start");
    EXPECT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
}

TEST_F(HistoryStore, AnotherProgramsDatabaseIsMovedAside) {
    run_sql(path_, "CREATE TABLE theirs (x); INSERT INTO theirs VALUES (42);");
    auto s = open();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(owner_.logged(MSGR_LOG_ERROR, "is not a msgr history database"), 1u);
    bool found = false;
    for (const auto &e : fs::directory_iterator(dir_)) {
        const std::string p = e.path().string();
        if (p.find(".corrupt-") != std::string::npos && p.find("-wal") == std::string::npos) {
            EXPECT_EQ(count_rows(p, "SELECT x FROM theirs"), 42);
            found = true;
        }
    }
    EXPECT_TRUE(found);
}

TEST_F(HistoryStore, NewerSchemaIsRefusedAndLeftUntouched) {
    {
        auto s = open();
        Record r = message("from the future");
        ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
    }
    run_sql(path_, "PRAGMA user_version = 99");
    const std::string before = read_file(path_);
    msgr_hresult hr = MSGR_S_OK;
    std::string why;
    auto s = owner_.open(owner_.options(path_), hr, why);
    EXPECT_EQ(hr, MSGR_E_SERVER_VERSION);
    EXPECT_NE(why.find("newer"), std::string::npos) << why;
    s.reset();
    EXPECT_EQ(read_file(path_), before);
    EXPECT_EQ(count_rows(path_, "PRAGMA user_version"), 99);
    // Every call then fails (or finds nothing) instead of crashing.
    ConversationId id = 0;
    auto again = owner_.open(owner_.options(path_), hr, why);
    EXPECT_EQ(again->conversation(key("bob"), id), MSGR_E_FAIL);
    EXPECT_EQ(search(*again, "future").hr, MSGR_E_SERVER_VERSION);
}

// A directory the process may not write to (as root, the child drops to nobody: root writes
// anywhere).
// ---- the search index's own file ------------------------------------------------------------

// The index is a file of its own, 0600 like the history, that the history itself does not hold.
TEST_F(HistoryStore, TheSearchIndexIsAPrivateFileOfItsOwn) {
    auto s = open();
    Record r = message("indexed elsewhere");
    ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
    s->wait_idle();
    EXPECT_EQ(search(*s, "elsewhere").hits.size(), 1u);
    struct stat st {};
    ASSERT_EQ(::stat((path_ + "-index").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(count_rows(path_ + "-index",
                         "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'elsewhere'"),
              1);
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%fts%'"), 0);
}

// An owner-thread append never needs the index's lock: another process holding the index's
// write lock for longer than the owner's longest wait (2 s) makes no append fail, and what was
// appended meanwhile is indexed once the lock is let go.
TEST_F(HistoryStore, AppendsGoOnWhileTheIndexIsLockedByAnotherProcess) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    Record first = message("before the lock");
    ASSERT_EQ(s->append(bob, first), MSGR_S_OK);
    s->wait_idle();
    sqlite3 *other = nullptr;
    ASSERT_EQ(sqlite3_open((path_ + "-index").c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    const auto until = std::chrono::steady_clock::now() + 2500ms;
    int appended = 0;
    while (std::chrono::steady_clock::now() < until) {
        Record r = message("while locked " + std::to_string(appended));
        ASSERT_EQ(s->append(bob, r), MSGR_S_OK) << msgr::core::last_error();
        ++appended;
        owner_.pump();
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    s->wait_idle();
    EXPECT_EQ(s->span(bob).count, appended + 1);
    EXPECT_EQ(search(*s, "locked", 1000).hits.size(), static_cast<std::size_t>(appended));
}

// Derived data: an index that is not one, or indexes another history database (this one was
// moved aside, replaced or copied without it), is made again from the history, with a warning;
// nothing of the history is lost and nothing of the other database is found.
TEST_F(HistoryStore, AnUnusableSearchIndexIsMadeAgainFromTheHistory) {
    {
        auto s = open();
        Record r = message("from the first database");
        ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
        s->wait_idle();
    }
    const std::string old_index = dir_ + "/old-index";
    fs::copy_file(path_ + "-index", old_index);
    for (const char *suffix : {"", "-wal", "-shm", "-index", "-index-wal", "-index-shm"})
        fs::remove(path_ + suffix);
    {
        auto s = open();
        Record r = message("from the second database");
        ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
        s->wait_idle();
    }
    fs::copy_file(old_index, path_ + "-index", fs::copy_options::overwrite_existing);
    {
        auto s = open();
        EXPECT_EQ(owner_.logged(MSGR_LOG_WARNING, "the index of another history database"), 1u);
        EXPECT_TRUE(search(*s, "first").hits.empty());
        ASSERT_EQ(search(*s, "second").hits.size(), 1u);
    }
    {
        std::ofstream garbage(path_ + "-index", std::ios::binary | std::ios::trunc);
        garbage << std::string(8192, '\x5A');
    }
    fs::remove(path_ + "-index-wal");
    fs::remove(path_ + "-index-shm");
    auto s = open();
    EXPECT_EQ(owner_.logged(MSGR_LOG_WARNING, "was made again"), 2u);
    ASSERT_EQ(search(*s, "second").hits.size(), 1u);
    Record r = message("and a third");
    ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
    EXPECT_EQ(search(*s, "third").hits.size(), 1u);
}

// A database of schema 2 (its index inside it) keeps every message, and its index moves out:
// dropped from the history, made again in the index file.
TEST_F(HistoryStore, ASchema2DatabaseMovesItsIndexToItsOwnFile) {
    {
        auto s = open();
        for (int i = 0; i < 20; ++i) {
            Record r = message("older schema " + std::to_string(i));
            ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
        }
    }
    // What schema 2 had: the index in the file, its mark in meta, no uid.
    run_sql(path_,
            "CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages', "
            "content_rowid = 'id'); INSERT INTO messages_fts (messages_fts) VALUES ('rebuild'); "
            "DELETE FROM meta WHERE key = 'uid'; "
            "INSERT INTO meta (key, value) VALUES ('indexed_upto', 20); "
            "ALTER TABLE messages DROP COLUMN sender; PRAGMA user_version = 2");
    fs::remove(path_ + "-index");
    auto s = open();
    EXPECT_EQ(count_rows(path_, "PRAGMA user_version"), 4);
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%fts%'"), 0);
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM meta WHERE key = 'uid'"), 1);
    EXPECT_EQ(s->span(conv(*s, "bob")).count, 20);
    EXPECT_EQ(search(*s, "schema").hits.size(), 20u);
}

TEST_F(HistoryStore, UnwritableDirectoryIsAccessDenied) {
    const std::string ro = dir_ + "/ro";
    ASSERT_EQ(::mkdir(ro.c_str(), 0500), 0);
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
        Owner child;
        for (const std::string &p : {ro + "/acc.sqlite3", ro + "/sub/acc.sqlite3"}) {
            msgr_hresult hr = MSGR_S_OK;
            std::string why;
            auto s = child.open(child.options(p), hr, why);
            if (hr != MSGR_E_ACCESSDENIED) ::_exit(11);
            if (why.find(ro) == std::string::npos) ::_exit(12);
        }
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

// ---- the owner thread's calls -------------------------------------------------------------

TEST_F(HistoryStore, AppendReadAndSpanSurviveAReopen) {
    ConversationId bob = 0;
    std::vector<Record> written;
    {
        auto s = open();
        bob = conv(*s, "bob");
        EXPECT_EQ(conv(*s, "bob"), bob);
        EXPECT_NE(conv(*s, "carol"), bob);
        ConversationId page = 0;
        ASSERT_EQ(s->conversation(key("bob", MSGR_WINDOW_PAGE), page), MSGR_S_OK);
        EXPECT_NE(page, bob);
        EXPECT_EQ(s->span(bob).count, 0);
        Record a = message(std::string("nul\0inside", 10));
        a.origin_id = "o1";
        a.archive_id = "arch1";
        a.receipt_id = "rc1";
        a.flags = MSGR_MESSAGE_ARCHIVED;
        Record b = message("héllo 😀", MSGR_MESSAGE_OUTGOING);
        b.delivery = MSGR_DELIVERY_FAILED;
        b.delivery_result = MSGR_E_FAIL;
        b.delivery_reason = "it failed";
        Record c = message("");
        for (Record *r : {&a, &b, &c}) {
            ASSERT_EQ(s->append(bob, *r), MSGR_S_OK);
            written.push_back(*r);
        }
        EXPECT_EQ(a.seq + 1, b.seq);
        EXPECT_EQ(b.seq + 1, c.seq);
        EXPECT_LT(a.id, b.id);
        EXPECT_EQ(s->span(bob).first_seq, a.seq);
        EXPECT_EQ(s->span(bob).count, 3);
        std::vector<Record> page2;
        ASSERT_EQ(s->read(bob, a.seq + 1, 64, page2), MSGR_S_OK);
        ASSERT_EQ(page2.size(), 2u);
        EXPECT_EQ(page2[0].text, b.text);
    }
    auto s = open();
    EXPECT_EQ(conv(*s, "bob"), bob);
    EXPECT_EQ(s->span(bob).count, 3);
    const std::vector<Record> back = read_all(*s, bob);
    ASSERT_EQ(back.size(), written.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
        EXPECT_EQ(back[i].id, written[i].id);
        EXPECT_EQ(back[i].seq, written[i].seq);
        EXPECT_EQ(back[i].direction, written[i].direction);
        EXPECT_EQ(back[i].delivery, written[i].delivery);
        EXPECT_EQ(back[i].delivery_result, written[i].delivery_result);
        EXPECT_EQ(back[i].delivery_reason, written[i].delivery_reason);
        EXPECT_EQ(back[i].time_unix_ms, written[i].time_unix_ms);
        EXPECT_EQ(back[i].flags, written[i].flags);
        EXPECT_EQ(back[i].text, written[i].text);
        EXPECT_EQ(back[i].origin_id, written[i].origin_id);
        EXPECT_EQ(back[i].archive_id, written[i].archive_id);
        EXPECT_EQ(back[i].receipt_id, written[i].receipt_id);
    }
    Record d = message("after");
    ASSERT_EQ(s->append(bob, d), MSGR_S_OK);
    EXPECT_EQ(d.seq, written.back().seq + 1);
    EXPECT_GT(d.id, written.back().id);
    // An unknown conversation is refused, not created.
    Record e = message("x");
    EXPECT_EQ(s->append(9999, e), MSGR_E_INVALIDARG);
    std::vector<Record> none;
    EXPECT_EQ(s->read(9999, 0, 10, none), MSGR_E_INVALIDARG);
}

TEST_F(HistoryStore, PrependTakesTheSeqBeforeTheFirstAndSurvivesAReopen) {
    ConversationId bob = 0;
    std::int64_t first = 0;
    {
        auto s = open();
        bob = conv(*s, "bob");
        Record a = message("newest");
        ASSERT_EQ(s->append(bob, a), MSGR_S_OK);
        first = a.seq;
        for (int i = 1; i <= 3; ++i) {
            Record older = message("older " + std::to_string(i));
            older.archive_id = "arch" + std::to_string(i);
            ASSERT_EQ(s->prepend(bob, older), MSGR_S_OK);
            EXPECT_EQ(older.seq, first - i);
        }
        EXPECT_EQ(s->span(bob).first_seq, first - 3);
        EXPECT_EQ(s->span(bob).count, 4);
        EXPECT_EQ(s->oldest_archive_id(bob), "arch3");
    }
    auto s = open();
    EXPECT_EQ(s->span(bob).first_seq, first - 3);
    EXPECT_EQ(s->span(bob).count, 4);
    const std::vector<Record> all = read_all(*s, bob);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].text, "older 3");
    EXPECT_EQ(all[3].text, "newest");
    EXPECT_EQ(s->oldest_archive_id(bob), "arch3");
    EXPECT_EQ(s->oldest_archive_id(conv(*s, "nobody")), "");
}

TEST_F(HistoryStore, BatchIsOneTransactionCommittedAtEndBatch) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    s->begin_batch();
    ConversationId carol = 0;
    ASSERT_EQ(s->conversation(key("carol"), carol), MSGR_S_OK);
    for (int i = 0; i < 3; ++i) {
        Record r = message("batched " + std::to_string(i));
        ASSERT_EQ(s->append(i % 2 == 0 ? bob : carol, r), MSGR_S_OK);
    }
    EXPECT_EQ(s->span(bob).count, 2);
    // Not in the file for anybody else yet.
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 0);
    ASSERT_EQ(s->end_batch(), MSGR_S_OK);
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 3);
    EXPECT_EQ(s->end_batch(), MSGR_E_FAIL);  // no batch open
}

TEST_F(HistoryStore, SetDeliveryIsStoredAndAnUnknownIdIsSFalse) {
    ConversationId bob = 0;
    std::int64_t id = 0;
    {
        auto s = open();
        bob = conv(*s, "bob");
        Record r = message("out", MSGR_MESSAGE_OUTGOING);
        ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
        id = r.id;
        EXPECT_EQ(s->set_delivery(id, MSGR_DELIVERY_FAILED, MSGR_E_FAIL, "no route"), MSGR_S_OK);
        EXPECT_EQ(s->set_delivery(id + 100, MSGR_DELIVERY_SENT, MSGR_S_OK, ""), MSGR_S_FALSE);
    }
    auto s = open();
    const std::vector<Record> all = read_all(*s, bob);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(all[0].delivery_result, MSGR_E_FAIL);
    EXPECT_EQ(all[0].delivery_reason, "no route");
}

TEST_F(HistoryStore, UnfinishedListsWhatWasLeftPendingAcrossAReopen) {
    std::vector<std::int64_t> pending;
    {
        auto s = open();
        const ConversationId bob = conv(*s, "bob");
        ConversationId page = 0;
        ASSERT_EQ(s->conversation(key("carol", MSGR_WINDOW_PAGE), page), MSGR_S_OK);
        for (int i = 0; i < 4; ++i) {
            Record r = message("m" + std::to_string(i), MSGR_MESSAGE_OUTGOING);
            r.origin_id = "origin" + std::to_string(i);
            ASSERT_EQ(s->append(i == 2 ? page : bob, r), MSGR_S_OK);
            if (i == 1) {
                ASSERT_EQ(s->set_delivery(r.id, MSGR_DELIVERY_SENT, MSGR_S_OK, ""), MSGR_S_OK);
            } else {
                pending.push_back(r.id);
            }
        }
        Record in = message("incoming");
        ASSERT_EQ(s->append(bob, in), MSGR_S_OK);
    }
    auto s = open();
    std::vector<Unfinished> left;
    ASSERT_EQ(s->unfinished(left), MSGR_S_OK);
    ASSERT_EQ(left.size(), 3u);
    for (std::size_t i = 0; i < left.size(); ++i)
        EXPECT_EQ(left[i].record.id, pending[i]);
    EXPECT_EQ(left[0].conversation.peer, "bob");
    EXPECT_EQ(left[0].record.origin_id, "origin0");
    EXPECT_EQ(left[1].conversation.peer, "carol");
    EXPECT_EQ(left[1].conversation.kind, MSGR_WINDOW_PAGE);
    ConversationId carol_page = 0;
    ASSERT_EQ(s->conversation(key("carol", MSGR_WINDOW_PAGE), carol_page), MSGR_S_OK);
    EXPECT_EQ(left[1].conversation_id, carol_page);
    EXPECT_EQ(left[2].record.text, "m3");
}

TEST_F(HistoryStore, HoldsFindsOriginOrArchiveIdsInThatConversationOnly) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    const ConversationId carol = conv(*s, "carol");
    Record r = message("x");
    r.origin_id = "o-1";
    r.archive_id = "a-1";
    ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
    Record plain = message("no ids");
    ASSERT_EQ(s->append(bob, plain), MSGR_S_OK);
    EXPECT_TRUE(s->holds(bob, "o-1", ""));
    EXPECT_TRUE(s->holds(bob, "", "a-1"));
    EXPECT_TRUE(s->holds(bob, "other", "a-1"));
    EXPECT_FALSE(s->holds(bob, "", ""));
    EXPECT_FALSE(s->holds(bob, "a-1", "o-1"));
    EXPECT_FALSE(s->holds(carol, "o-1", "a-1"));
}

TEST_F(HistoryStore, OutgoingByOriginFindsOnlyOutgoing) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    Record in = message("in");
    in.origin_id = "same";
    ASSERT_EQ(s->append(bob, in), MSGR_S_OK);
    EXPECT_FALSE(s->outgoing_by_origin(bob, "same").has_value());
    Record out = message("out", MSGR_MESSAGE_OUTGOING);
    out.origin_id = "same";
    ASSERT_EQ(s->append(bob, out), MSGR_S_OK);
    const std::optional<Record> found = s->outgoing_by_origin(bob, "same");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, out.id);
    EXPECT_EQ(found->text, "out");
    EXPECT_FALSE(s->outgoing_by_origin(bob, "").has_value());
    EXPECT_FALSE(s->outgoing_by_origin(conv(*s, "carol"), "same").has_value());
}

TEST_F(HistoryStore, AddFlagsUpToMarksIncomingOnlyUpToTheSeq) {
    ConversationId bob = 0;
    std::vector<Record> rs;
    {
        auto s = open();
        bob = conv(*s, "bob");
        for (int i = 0; i < 6; ++i) {
            Record r = message("m", i % 3 == 2 ? MSGR_MESSAGE_OUTGOING : MSGR_MESSAGE_INCOMING);
            ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
            rs.push_back(r);
        }
        ASSERT_EQ(s->add_flags_up_to(bob, rs[3].seq, MSGR_MESSAGE_SEEN), MSGR_S_OK);
        ASSERT_EQ(s->add_flags_up_to(bob, rs[0].seq, MSGR_MESSAGE_OTHER_DEVICE), MSGR_S_OK);
    }
    auto s = open();
    const std::vector<Record> all = read_all(*s, bob);
    ASSERT_EQ(all.size(), 6u);
    const std::uint32_t want[] = {MSGR_MESSAGE_SEEN | MSGR_MESSAGE_OTHER_DEVICE,
                                  MSGR_MESSAGE_SEEN,
                                  0,
                                  MSGR_MESSAGE_SEEN,
                                  0,
                                  0};
    for (std::size_t i = 0; i < all.size(); ++i)
        EXPECT_EQ(all[i].flags, want[i]) << i;
}

// ---- forgetting and retention -------------------------------------------------------------

TEST_F(HistoryStore, ForgetHidesAtOnceDeletesOnTheStoresThreadAndSearchNeverFindsIt) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    const ConversationId carol = conv(*s, "carol");
    for (int i = 0; i < 300; ++i) {
        Record r = message("secret number " + std::to_string(i), MSGR_MESSAGE_OUTGOING);
        r.origin_id = "o" + std::to_string(i);
        ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
    }
    Record kept = message("secret kept");
    ASSERT_EQ(s->append(carol, kept), MSGR_S_OK);
    s->wait_idle();
    EXPECT_EQ(search(*s, "secret").hits.size(), 100u);

    ASSERT_EQ(s->forget(bob), MSGR_S_OK);
    // At once: nothing left to the owner thread's calls, or to a search.
    EXPECT_EQ(s->span(bob).count, 0);
    EXPECT_TRUE(read_all(*s, bob).empty());
    EXPECT_FALSE(s->holds(bob, "o1", ""));
    EXPECT_FALSE(s->outgoing_by_origin(bob, "o1").has_value());
    std::vector<Unfinished> left;
    ASSERT_EQ(s->unfinished(left), MSGR_S_OK);
    EXPECT_TRUE(left.empty());
    const SearchResult hidden = search(*s, "secret");
    ASSERT_EQ(hidden.hits.size(), 1u);
    EXPECT_EQ(hidden.hits[0].record.id, kept.id);

    // Then gone from the file, index included.
    s->wait_idle();
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 1);
    EXPECT_EQ(count_rows(path_ + "-index",
                         "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH "
                         "'number'"),
              0);
    // The conversation goes on from an empty span.
    Record again = message("a new start");
    ASSERT_EQ(s->append(bob, again), MSGR_S_OK);
    EXPECT_EQ(s->span(bob).count, 1);
    EXPECT_EQ(s->span(bob).first_seq, again.seq);
    Record older = message("older page");
    ASSERT_EQ(s->prepend(bob, older), MSGR_S_OK);
    s.reset();
    s = open();
    EXPECT_EQ(s->span(bob).count, 2);
    EXPECT_EQ(read_all(*s, bob)[1].text, "a new start");
}

TEST_F(HistoryStore, ForgetAllForgetsEveryConversation) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    const ConversationId carol = conv(*s, "carol");
    for (const ConversationId c : {bob, carol}) {
        for (int i = 0; i < 5; ++i) {
            Record r = message("everything " + std::to_string(i));
            ASSERT_EQ(s->append(c, r), MSGR_S_OK);
        }
    }
    ASSERT_EQ(s->forget_all(), MSGR_S_OK);
    EXPECT_EQ(s->span(bob).count, 0);
    EXPECT_EQ(s->span(carol).count, 0);
    EXPECT_TRUE(search(*s, "everything").hits.empty());
    s->wait_idle();
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 0);
    s.reset();
    s = open();
    EXPECT_EQ(s->span(bob).count, 0);
    EXPECT_EQ(conv(*s, "bob"), bob);
}

TEST_F(HistoryStore, ForgettingSurvivesAReopenBeforeTheDeletesFinish) {
    ConversationId bob = 0;
    {
        auto s = open();
        bob = conv(*s, "bob");
        s->begin_batch();
        for (int i = 0; i < 2000; ++i) {
            Record r = message("bulk");
            ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
        }
        ASSERT_EQ(s->end_batch(), MSGR_S_OK);
        ASSERT_EQ(s->forget(bob), MSGR_S_OK);
    }  // closed right away: the store's thread may not have deleted them all
    auto s = open();
    EXPECT_EQ(s->span(bob).count, 0);
    EXPECT_TRUE(search(*s, "bulk").hits.empty());
    s->wait_idle();
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 0);
}

TEST_F(HistoryStore, RetentionKeepsTheNewestMessagesOfEachConversation) {
    ConversationId bob = 0;
    ConversationId carol = 0;
    {
        auto s = open();
        bob = conv(*s, "bob");
        carol = conv(*s, "carol");
        for (int i = 0; i < 10; ++i) {
            Record r = message("kept? " + std::to_string(i));
            ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
        }
        Record one = message("alone");
        ASSERT_EQ(s->append(carol, one), MSGR_S_OK);
    }
    auto s = open(0, 3);
    EXPECT_EQ(s->span(bob).count, 3);
    const std::vector<Record> all = read_all(*s, bob);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].text, "kept? 7");
    EXPECT_EQ(s->span(carol).count, 1);
    s->wait_idle();
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 4);
    EXPECT_EQ(search(*s, "kept").hits.size(), 3u);
    // New messages go on after the kept ones.
    Record r = message("next");
    ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
    EXPECT_EQ(r.seq, all[2].seq + 1);
}

TEST_F(HistoryStore, RetentionDropsMessagesOlderThanTheDays) {
    ConversationId bob = 0;
    ConversationId carol = 0;
    const std::int64_t day = 24LL * 3600 * 1000;
    {
        auto s = open();
        bob = conv(*s, "bob");
        carol = conv(*s, "carol");
        for (int i = 0; i < 5; ++i) {
            Record old = message("old", MSGR_MESSAGE_INCOMING, now_ms() - (10 - 2 * i) * day);
            ASSERT_EQ(s->append(bob, old), MSGR_S_OK);
        }
        Record fresh = message("fresh", MSGR_MESSAGE_INCOMING, now_ms() - day / 2);
        ASSERT_EQ(s->append(bob, fresh), MSGR_S_OK);
        Record ancient = message("ancient", MSGR_MESSAGE_INCOMING, now_ms() - 100 * day);
        ASSERT_EQ(s->append(carol, ancient), MSGR_S_OK);
    }
    auto s = open(7, 0);  // keeps the last week: the "old" ones of 6, 4 and 2 days, and "fresh"
    const std::vector<Record> all = read_all(*s, bob);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[3].text, "fresh");
    EXPECT_EQ(s->span(carol).count, 0);
    Record r = message("new for carol");
    ASSERT_EQ(s->append(carol, r), MSGR_S_OK);
    EXPECT_EQ(s->span(carol).count, 1);
    s->wait_idle();
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 5);
    EXPECT_TRUE(search(*s, "ancient").hits.empty());
}

// The daily timer: a store left running applies the retention again (retention_every, a day
// unless a test makes it shorter), without a restart.
TEST_F(HistoryStore, RetentionIsAppliedAgainWhileTheStoreRuns) {
    const std::int64_t day = 24LL * 3600 * 1000;
    Options o = owner_.options(path_);
    o.retain_days = 7;
    o.retention_every = 100ms;
    auto s = owner_.open_ok(std::move(o));
    const ConversationId bob = conv(*s, "bob");
    // Appended after the retention of the open, so only the timer's can remove it.
    Record stale = message("stale", MSGR_MESSAGE_INCOMING, now_ms() - 30 * day);
    ASSERT_EQ(s->append(bob, stale), MSGR_S_OK);
    Record recent = message("recent", MSGR_MESSAGE_INCOMING, now_ms() - day);
    ASSERT_EQ(s->append(bob, recent), MSGR_S_OK);
    // The floor reaches the owner thread through a post: nothing changes until it is pumped.
    EXPECT_EQ(s->span(bob).count, 2);
    EXPECT_TRUE(owner_.pump_until([&] { return s->span(bob).count == 1; }))
        << "the retention was not applied again";
    const std::vector<Record> left = read_all(*s, bob);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].text, "recent");
    s->wait_idle();
    EXPECT_EQ(count_rows(path_, "SELECT count(*) FROM messages"), 1);
    EXPECT_TRUE(search(*s, "stale").hits.empty());
    // New messages go on after it.
    Record next = message("next");
    ASSERT_EQ(s->append(bob, next), MSGR_S_OK);
    EXPECT_EQ(next.seq, recent.seq + 1);
}

// ---- search -------------------------------------------------------------------------------

TEST_F(HistoryStore, SearchMatchesEveryWordTheLastAsAPrefixNewestFirst) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    const ConversationId page = [&] {
        ConversationId id = 0;
        EXPECT_EQ(s->conversation(key("carol", MSGR_WINDOW_PAGE), id), MSGR_S_OK);
        return id;
    }();
    std::vector<Record> rs;
    for (const char *t : {"hello world", "Hello there, WORLD!", "world only", "helicopter world",
                          "Crème brûlée at the CAFÉ", "nothing here"}) {
        Record r = message(t, MSGR_MESSAGE_OUTGOING);
        ASSERT_EQ(s->append(rs.size() == 1 ? page : bob, r), MSGR_S_OK);
        rs.push_back(r);
    }
    s->wait_idle();

    const SearchResult hel = search(*s, "world hel");
    ASSERT_EQ(hel.hr, MSGR_S_OK);
    ASSERT_EQ(hel.hits.size(), 3u);
    EXPECT_EQ(hel.hits[0].record.id, rs[3].id);  // newest first
    EXPECT_EQ(hel.hits[1].record.id, rs[1].id);
    EXPECT_EQ(hel.hits[2].record.id, rs[0].id);
    EXPECT_EQ(hel.hits[1].conversation.peer, "carol");
    EXPECT_EQ(hel.hits[1].conversation.kind, MSGR_WINDOW_PAGE);
    EXPECT_EQ(hel.hits[1].record.text, "Hello there, WORLD!");
    EXPECT_EQ(hel.hits[1].record.direction, MSGR_MESSAGE_OUTGOING);

    // The prefix is the last word only.
    EXPECT_TRUE(search(*s, "hel world").hits.empty());
    // Case and accents do not matter, either way round.
    EXPECT_EQ(search(*s, "creme BRULEE cafe").hits.size(), 1u);
    EXPECT_EQ(search(*s, "CAFÉ").hits.size(), 1u);
    EXPECT_EQ(search(*s, "cafe").hits[0].record.id, rs[4].id);
    // At most max, the newest.
    const SearchResult two = search(*s, "world", 2);
    ASSERT_EQ(two.hits.size(), 2u);
    EXPECT_EQ(two.hits[0].record.id, rs[3].id);
    EXPECT_EQ(two.hits[1].record.id, rs[2].id);
}

TEST_F(HistoryStore, SearchSnippetMarksTheMatchesWithStxEtx) {
    auto s = open();
    Record r = message("the quick brown fox jumps over the lazy dog");
    ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
    s->wait_idle();
    const SearchResult res = search(*s, "fox la");
    ASSERT_EQ(res.hits.size(), 1u);
    EXPECT_EQ(res.hits[0].snippet,
              "the quick brown \x02"
              "fox\x03 jumps over the \x02"
              "lazy\x03 dog");
}

TEST_F(HistoryStore, SearchTakesUserTextNeverAsFts5Syntax) {
    auto s = open();
    Record a = message("say \"NEAR\" or not: a OR b AND c*");
    Record b = message("don't stop");
    const ConversationId bob = conv(*s, "bob");
    ASSERT_EQ(s->append(bob, a), MSGR_S_OK);
    ASSERT_EQ(s->append(bob, b), MSGR_S_OK);
    s->wait_idle();
    for (const char *q : {"NEAR(", "\"NEAR\"", "a OR", "c*", "col:umn", "-x", "^a", "AND"}) {
        const SearchResult r = search(*s, q);
        EXPECT_EQ(r.hr, MSGR_S_OK) << q;
    }
    EXPECT_EQ(search(*s, "\"NEAR\" or").hits.size(), 1u);
    EXPECT_EQ(search(*s, "don't").hits.size(), 1u);
    EXPECT_TRUE(search(*s, "OR AND NOT x").hits.empty());
    EXPECT_EQ(search(*s, "").hr, MSGR_E_INVALIDARG);
    EXPECT_EQ(search(*s, "!!! ???").hr, MSGR_E_INVALIDARG);
    EXPECT_EQ(search(*s, "\xff\xfe").hr, MSGR_E_INVALIDARG);
}

TEST_F(HistoryStore, SearchFindsOnlyWhatTheIndexHoldsAndUnicodeText) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    static constexpr char kText[] = "Привет мир 你好 \0 tail";
    Record r = message(std::string(kText, sizeof kText - 1));
    ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
    s->wait_idle();
    EXPECT_EQ(search(*s, "привет").hits.size(), 1u);
    EXPECT_EQ(search(*s, "ПРИВ").hits.size(), 1u);
    const SearchResult tail = search(*s, "tail");
    ASSERT_EQ(tail.hits.size(), 1u);
    EXPECT_EQ(tail.hits[0].record.text, r.text);
}

// Emoji are words too: one finds the messages it is in, alone or in a ZWJ sequence, with or
// without its variation selector. Words of scripts with vowel signs (Devanagari, Thai) are
// whole words: a prefix of one finds it.
TEST_F(HistoryStore, SearchFindsEmojiAndWholeWordsOfScriptsWithMarks) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    std::vector<Record> rs;
    for (const char *t :
         {"great game \U0001F600", "family \U0001F468\u200D\U0001F469\u200D\U0001F467 photo",
          "\u2764\uFE0F you",
          "\u0928\u092E\u0938\u094D\u0924\u0947 \u0926\u0941\u0928\u093F\u092F\u093E",
          "\u0E20\u0E32\u0E29\u0E32\u0E44\u0E17\u0E22 ok", "no emoji here"}) {
        Record r = message(t);
        ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
        rs.push_back(r);
    }
    s->wait_idle();
    const auto only = [&](const char *q, std::size_t which) {
        const SearchResult res = search(*s, q);
        ASSERT_EQ(res.hr, MSGR_S_OK) << q;
        ASSERT_EQ(res.hits.size(), 1u) << q;
        EXPECT_EQ(res.hits[0].record.id, rs[which].id) << q;
    };
    only("\U0001F600", 0);
    only("game \U0001F600", 0);
    only("\U0001F469", 1);  // one emoji of the family
    only("\U0001F468\u200D\U0001F469\u200D\U0001F467", 1);
    only("\u2764", 2);  // without the variation selector
    only("\u2764\uFE0F", 2);
    only("\u0926\u0941\u0928\u093F", 3);  // a prefix of "world" in Hindi
    only("\u0E20\u0E32\u0E29\u0E32", 4);  // a prefix of "Thai language"
    EXPECT_TRUE(search(*s, "\U0001F389").hits.empty()) << "an emoji no message has";
    // The snippet is the text as written: the emoji marked, nothing added around it.
    const SearchResult smile = search(*s, "\U0001F600");
    ASSERT_EQ(smile.hits.size(), 1u);
    EXPECT_EQ(smile.hits[0].snippet, "great game \x02\U0001F600\x03");
}

// An index made by an earlier version (another tokenizer) is made again from the history when
// the store opens: what it held is found the new way.
TEST_F(HistoryStore, AnIndexOfAnEarlierVersionIsMadeAgain) {
    {
        auto s = open();
        Record r = message("party \U0001F389 tonight");
        ASSERT_EQ(s->append(conv(*s, "bob"), r), MSGR_S_OK);
        s->wait_idle();
    }
    run_sql(path_ + "-index", "PRAGMA user_version = 1");
    auto s = open();
    EXPECT_EQ(owner_.logged(MSGR_LOG_WARNING, "not a msgr search index of this version"), 1u);
    EXPECT_EQ(search(*s, "\U0001F389").hits.size(), 1u);
    EXPECT_EQ(search(*s, "tonight").hits.size(), 1u);
}

// A search indexes what was appended before it: the message just written is found at once.
TEST_F(HistoryStore, SearchFindsWhatWasJustAppended) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    for (int i = 0; i < 3; ++i) {
        Record r = message("fresh news " + std::to_string(i));
        ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
        EXPECT_EQ(search(*s, "fresh").hits.size(), static_cast<std::size_t>(i) + 1);
    }
}

TEST_F(HistoryStore, CancelledSearchNeverCallsDone) {
    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    s->begin_batch();
    for (int i = 0; i < 5000; ++i) {
        Record r = message("common words everywhere " + std::to_string(i));
        ASSERT_EQ(s->append(bob, r), MSGR_S_OK);
    }
    ASSERT_EQ(s->end_batch(), MSGR_S_OK);
    s->wait_idle();
    int called = 0;
    const auto count_call = [&called](msgr_hresult, const std::vector<Hit> &) { ++called; };
    std::vector<std::uint64_t> ids;
    ids.reserve(20);
    for (int i = 0; i < 20; ++i)
        ids.push_back(s->search("common", 1000, count_call));
    for (const std::uint64_t id : ids)
        s->cancel(id);
    // One that is not cancelled, after them, runs: everything before it has been decided.
    const SearchResult after = search(*s, "everywhere", 5);
    EXPECT_EQ(after.hits.size(), 5u);
    owner_.pump();
    EXPECT_EQ(called, 0);
    // Ids are distinct and never 0; cancelling an unknown or finished one is harmless.
    EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), ids.size());
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 0u), 0);
    s->cancel(ids[0]);
    s->cancel(12345);
    // A search still queued when the store is destroyed is dropped.
    EXPECT_GT(s->search("common", 10, count_call), 0u);
    s.reset();
    owner_.pump();
    EXPECT_EQ(called, 0);
}

TEST(HistoryQuery, CheckQueryExplainsWhatIsWrong) {
    EXPECT_EQ(check_query("hello"), "");
    EXPECT_EQ(check_query("  zoë  "), "");
    EXPECT_EQ(check_query("日本"), "");
    EXPECT_NE(check_query(""), "");
    EXPECT_NE(check_query("   "), "");
    EXPECT_NE(check_query("!? -- **"), "");
    EXPECT_NE(check_query("bad \xc3"), "");
    EXPECT_EQ(check_query(std::string(1024, 'a')), "");
    EXPECT_NE(check_query(std::string(1025, 'a')), "");
}

// ---- durability ---------------------------------------------------------------------------

// A child appends and kills itself with SIGKILL the moment append returns: the row is in the
// file (the WAL, handed to the OS) when the parent reopens it.
TEST_F(HistoryStore, AnAppendSurvivesSigkillRightAfterItReturns) {
    std::int64_t stored_id = 0;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(fds[0]);
        Owner child;
        msgr_hresult hr = MSGR_E_FAIL;
        std::string why;
        auto s = child.open(child.options(path_), hr, why);
        ConversationId id = 0;
        if (hr != MSGR_S_OK || s->conversation(key("bob"), id) != MSGR_S_OK) ::_exit(2);
        Record r = message("sent just before the crash", MSGR_MESSAGE_OUTGOING);
        if (s->append(id, r) != MSGR_S_OK) ::_exit(3);
        if (::write(fds[1], &r.id, sizeof r.id) != static_cast<ssize_t>(sizeof r.id)) ::_exit(4);
        (void)::raise(SIGKILL);
    }
    ::close(fds[1]);
    ASSERT_EQ(::read(fds[0], &stored_id, sizeof stored_id), static_cast<ssize_t>(sizeof stored_id));
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    auto s = open();
    const ConversationId bob = conv(*s, "bob");
    const std::vector<Record> all = read_all(*s, bob);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].id, stored_id);
    EXPECT_EQ(all[0].text, "sent just before the crash");
    std::vector<Unfinished> left;
    ASSERT_EQ(s->unfinished(left), MSGR_S_OK);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].record.id, stored_id);
}

// Makes `dir` a tmpfs of `size` in a mount namespace of this (single-threaded, forked) process
// alone: as root directly, otherwise in a user namespace of its own. False when the system
// allows neither.
bool mount_small_disk(const std::string &dir, const char *size) {
    if (::geteuid() != 0) {
        const uid_t uid = ::getuid();
        const gid_t gid = ::getgid();
        if (::unshare(CLONE_NEWUSER) != 0) return false;
        std::ofstream("/proc/self/setgroups") << "deny";
        std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
        std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    if (::unshare(CLONE_NEWNS) != 0) return false;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
    const std::string options = std::string("size=") + size + ",mode=0700";
    return ::mount("none", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

// A real full disk: in a child, the database lives on a tmpfs of 1 MB (a mount namespace of
// its own). append then says E_DISK_FULL and takes nothing; once the disk has room again
// (remounted bigger) the store goes on, with everything it accepted before, also after a
// reopen.
TEST_F(HistoryStore, AFullDiskIsEDiskFullAndTheStoreStaysUsable) {
    const std::string disk = dir_ + "/disk";
    ASSERT_EQ(::mkdir(disk.c_str(), 0700), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (!mount_small_disk(disk, "1m")) ::_exit(77);
        Owner child;
        const std::string path = disk + "/acc.sqlite3";
        msgr_hresult hr = MSGR_E_FAIL;
        std::string why;
        auto s = child.open(child.options(path), hr, why);
        ConversationId id = 0;
        if (hr != MSGR_S_OK || s->conversation(key("bob"), id) != MSGR_S_OK) ::_exit(2);
        int accepted = 0;
        for (;; ++accepted) {
            Record r = message(std::string(20000, static_cast<char>('a' + accepted % 26)));
            hr = s->append(id, r);
            if (hr != MSGR_S_OK) break;
            if (accepted > 1000) ::_exit(3);  // never filled
        }
        if (hr != MSGR_E_DISK_FULL) {
            (void)std::fprintf(stderr, "append: 0x%08x %s\n", static_cast<unsigned>(hr),
                               last_error());
            ::_exit(4);
        }
        if (s->span(id).count != accepted) ::_exit(5);
        if (::mount("none", disk.c_str(), "tmpfs", MS_REMOUNT, "size=16m,mode=0700") != 0) {
            ::_exit(6);
        }
        Record r = message("room again");
        if (s->append(id, r) != MSGR_S_OK) ::_exit(7);
        s.reset();
        s = child.open(child.options(path), hr, why);
        std::vector<Record> all;
        if (hr != MSGR_S_OK || s->read(id, s->span(id).first_seq, 10000, all) != MSGR_S_OK) {
            ::_exit(8);
        }
        if (static_cast<int>(all.size()) != accepted + 1 || all.back().text != "room again") {
            ::_exit(9);
        }
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
    if (WEXITSTATUS(status) == 77) {
        GTEST_SKIP() << "this system lets a test mount no tmpfs (no root, no user namespaces)";
    }
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace msgr::core::history

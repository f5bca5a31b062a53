// Fuzzes the history search's query language (core/src/history/query.cpp) through the store's
// real search on a small database: a query is what a player types, never FTS5 syntax. Beyond
// memory errors: check_query's verdict is what search answers (E_INVALIDARG or S_OK, never an
// FTS5 syntax error), the hits are at most max, newest first, and every snippet marks its
// matches with balanced STX/ETX pairs.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fuzz_check.hpp"
#include "history/query.hpp"
#include "history/store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace msgr::core::history;

constexpr std::size_t kMax = 8;

// A store on a small database in a temporary directory, for the whole run; the fuzzer's thread
// is its owner thread and runs what it posts.
class Fixture {
  public:
    Fixture() {
        std::string tmpl = (fs::temp_directory_path() / "msgr-fuzz-history-XXXXXX").string();
        FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
        dir_ = tmpl;
        Options o;
        o.path = dir_ + "/fuzz.sqlite3";
        o.post = [this](std::function<void()> fn) {
            const std::lock_guard<std::mutex> lock(mu_);
            posted_.push_back(std::move(fn));
        };
        bool opened = false;
        store_ = Store::start(std::move(o), [&](msgr_hresult hr, const std::string &) {
            FUZZ_CHECK(hr == MSGR_S_OK);
            opened = true;
        });
        pump_until(opened);
        ConversationId id = 0;
        FUZZ_CHECK(store_->conversation({"loopback", "bob", MSGR_WINDOW_CONVERSATION}, id) ==
                   MSGR_S_OK);
        const char *const texts[] = {
            "hello world",          "Hello there, WORLD!", "say \"NEAR\" or not: a OR b AND c*",
            "Crème brûlée au café", "日本語のテキスト",    "don't stop me now",
            "col:umn {x y} -z ^a",  "emoji 😀 and more",    "hello hello hello hello",
        };
        for (int round = 0; round < 4; ++round) {
            for (const char *t : texts) {
                Record r;
                r.direction = MSGR_MESSAGE_INCOMING;
                r.text = t;
                FUZZ_CHECK(store_->append(id, r) == MSGR_S_OK);
            }
        }
        store_->wait_idle();
    }
    ~Fixture() {
        store_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Fixture(const Fixture &) = delete;
    Fixture &operator=(const Fixture &) = delete;

    void pump_until(const bool &done) {
        while (!done) {
            std::deque<std::function<void()>> now;
            {
                const std::lock_guard<std::mutex> lock(mu_);
                now.swap(posted_);
            }
            for (auto &fn : now)
                fn();
            if (!done) std::this_thread::yield();
        }
    }

    Store &store() { return *store_; }

  private:
    std::string dir_;
    std::mutex mu_;
    std::deque<std::function<void()>> posted_;
    std::unique_ptr<Store> store_;
};

// STX and ETX alternate, starting with STX, and every STX is closed.
bool balanced_marks(const std::string &snippet) {
    bool open = false;
    for (const char c : snippet) {
        if (c == '\x02') {
            if (open) return false;
            open = true;
        } else if (c == '\x03') {
            if (!open) return false;
            open = false;
        }
    }
    return !open;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static Fixture fixture;
    const std::string query(reinterpret_cast<const char *>(data), size);
    const std::string why = check_query(query);
    if (why.empty()) {
        // Every word is one quoted FTS5 string: the quotes balance.
        std::size_t quotes = 0;
        for (const char c : fts_query(query))
            quotes += c == '"' ? 1 : 0;
        FUZZ_CHECK(quotes % 2 == 0 && quotes > 0);
    }

    bool done = false;
    msgr_hresult hr = MSGR_E_FAIL;
    std::vector<Hit> hits;
    fixture.store().search(query, kMax, [&](msgr_hresult h, std::vector<Hit> found) {
        hr = h;
        hits = std::move(found);
        done = true;
    });
    fixture.pump_until(done);
    FUZZ_CHECK(hr == (why.empty() ? MSGR_S_OK : MSGR_E_INVALIDARG));
    FUZZ_CHECK(hits.size() <= kMax);
    for (std::size_t i = 0; i < hits.size(); ++i) {
        if (i > 0) FUZZ_CHECK(hits[i - 1].record.id > hits[i].record.id);
        FUZZ_CHECK(!hits[i].record.text.empty());
        FUZZ_CHECK(balanced_marks(hits[i].snippet));
    }
    return 0;
}

// What the history store costs (core/src/history), on real files in a temporary directory.
// Run build/bin/history_store_bench for the numbers; ctest only smoke-runs it on 1000 messages.
//
//   BM_Append_OwnerThread/messages:N  N appends one by one on the owner thread while the
//     store's thread indexes them: p50_us/p99_us/max_us of one append (target: never > 1 ms),
//     cpu_max_us (the longest an append computed; the rest of max_us is waiting), over_1ms (how
//     many took longer than 1 ms; over_1ms_blocked: of those, the ones that blocked at least once
//     (a lock, I/O), over_1ms_preempted: the ones only preempted), cpu_over_1ms (how many computed
//     that long: a preempted append is not among them, a long busy wait may be), and rss_growth_mb:
//     the resident set after the N appends (and the index caught up) minus before (target: <= 10 MB
//     over 1,000,000); wal_mb, the WAL's size then (its file: the longest the WAL was since it was
//     last truncated); wal_appended_mb: the same before the index caught up.
//   BM_Append_GameLoop/messages:N  the same N appends as a game's frame loop makes them: 64 a
//     frame in one batch, one frame a millisecond: the store's part of each tick (p50_us,
//     p99_us, max_us, cpu_max_us, over_1ms, cpu_over_1ms; target: never > 1 ms), wal_peak_mb,
//     wal_mb and rss_growth_mb.
//   BM_Ingest_Batched/messages:N  N appends in batches of 256 (a catch-up from the server's
//     archive): items_per_second on the owner thread, batch_max_us (the longest end_batch plus
//     its appends), and index_tail_s: how long the store's thread took after the last batch to
//     have indexed everything (it indexes during the ingest too).
//   BM_Open/messages:N  opening a database whose one conversation holds N messages: start to
//     opened (the store's thread; the owner thread only runs the opened callback), then span
//     and the last page of 64 read on the owner thread (read_us).
//   BM_Search/messages:N  a search over N messages (two words, the last a prefix, at most 50
//     hits), from search() to done: p50_ms/p99_ms (target: p50 <= 20 ms over 1,000,000).
//
// The databases of BM_Open and BM_Search are built once per run (batched, then indexed).
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"
#include "history/store.hpp"
#include "support/post_queue.hpp"

namespace {

namespace fs = std::filesystem;
using msgr::bench::fail;
using msgr::bench::percentile;
using namespace msgr::core::history;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatch = 256;

double us_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// This thread's CPU time: what an append computed itself, apart from waiting (for the other
// connection's lock, or for a core on a busy machine).
double thread_cpu_us() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// This thread's context switches so far: voluntary ones (it blocked: a lock, a sleep in a busy
// handler, I/O) and involuntary ones (preempted: the machine was busy).
struct Switches {
    long blocked = 0;
    long preempted = 0;
};
Switches thread_switches() {
    rusage ru{};
    ::getrusage(RUSAGE_THREAD, &ru);
    return {ru.ru_nvcsw, ru.ru_nivcsw};
}

// What a slow call (over 1 ms) waited for: blocked at least once, or only preempted.
struct SlowCalls {
    std::size_t blocked = 0;
    std::size_t preempted = 0;
    void count(double us, const Switches &before) {
        if (us <= 1000) return;
        const Switches after = thread_switches();
        if (after.blocked > before.blocked) {
            ++blocked;
        } else if (after.preempted > before.preempted) {
            ++preempted;
        }
    }
    void report(benchmark::State &state) const {
        state.counters["over_1ms_blocked"] = static_cast<double>(blocked);
        state.counters["over_1ms_preempted"] = static_cast<double>(preempted);
    }
};

double rss_mb() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0;
    long resident = 0;
    statm >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1e6;
}

// A temporary directory, removed with everything in it at the end of the run.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "msgr-store-bench-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) != nullptr) path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

TempDir &temp() {
    static TempDir dir;
    return dir;
}

// The owner thread: runs what the store posts, as the runtime's tick does.
class Owner {
  public:
    Options options(const std::string &path) {
        Options o;
        o.path = path;
        o.post = [this](std::function<void()> fn) { posted_.post(std::move(fn)); };
        return o;
    }
    void pump() { posted_.pump(); }
    bool pump_until(const std::function<bool()> &done) {
        const auto deadline = Clock::now() + std::chrono::minutes(5);
        while (!done()) {
            if (Clock::now() > deadline) return false;
            pump();
            std::this_thread::yield();
        }
        return true;
    }
    // Starts a store and waits for opened; null (and the benchmark failed) when it did not open.
    std::unique_ptr<Store> open(benchmark::State &state, const std::string &path) {
        bool done = false;
        msgr_hresult hr = MSGR_E_FAIL;
        std::string why;
        auto store = Store::start(options(path), [&](msgr_hresult h, std::string w) {
            hr = h;
            why = std::move(w);
            done = true;
        });
        if (!pump_until([&] { return done; }) || hr != MSGR_S_OK) {
            fail(state, "the store did not open: " + why);
            return nullptr;
        }
        return store;
    }

  private:
    msgr::test::PostQueue posted_;
};

// Chat-like text: 4..14 words from a vocabulary of 20,000 made-up words, the common ones far
// more often than the rare ones (roughly Zipf), so that a search meets long and short lists.
class Text {
  public:
    // The same text every run, so that runs compare.
    Text() : rng_(12345) {  // NOLINT(cert-msc32-c,cert-msc51-cpp): predictable on purpose
        static const char *const kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi",
                                                 "ze", "pa", "qu", "do", "fe", "gi", "ho", "ju"};
        for (int i = 0; i < 20000; ++i) {
            std::string w;
            int n = i;
            do {
                w += kSyllables[n % 16];
                n /= 16;
            } while (n > 0);
            words_.push_back(w + kSyllables[(i * 7) % 16]);
        }
    }
    const std::string &word() {
        // u^3 puts most draws near the start of the vocabulary.
        const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
        return words_[static_cast<std::size_t>(u * u * u * static_cast<double>(words_.size()))];
    }
    std::string message() {
        std::string out;
        const int n = std::uniform_int_distribution<int>(4, 14)(rng_);
        for (int i = 0; i < n; ++i) {
            if (i > 0) out += ' ';
            out += word();
        }
        return out;
    }
    // Two words of a message-like draw, the second cut to a prefix of 3+ characters.
    std::string query() {
        const std::string a = word();
        const std::string b = word();
        const std::size_t keep = std::max<std::size_t>(3, b.size() - 2);
        return a + " " + b.substr(0, keep);
    }

  private:
    std::mt19937 rng_;
    std::vector<std::string> words_;
};

Record incoming(std::string text, std::int64_t time) {
    Record r;
    r.direction = MSGR_MESSAGE_INCOMING;
    r.time_unix_ms = time;
    r.text = std::move(text);
    return r;
}

// Appends n messages to the conversation in batches; false (and the benchmark failed) on error.
bool ingest(benchmark::State &state, Store &s, ConversationId id, std::size_t n, Text &text,
            double *batch_max_us) {
    for (std::size_t done = 0; done < n;) {
        const Clock::time_point t0 = Clock::now();
        s.begin_batch();
        for (std::size_t i = 0; i < kBatch && done < n; ++i, ++done) {
            Record r = incoming(text.message(), static_cast<std::int64_t>(done));
            if (s.append(id, r) != MSGR_S_OK) {
                fail(state, "append failed");
                return false;
            }
        }
        if (s.end_batch() != MSGR_S_OK) {
            fail(state, "end_batch failed");
            return false;
        }
        if (batch_max_us != nullptr) *batch_max_us = std::max(*batch_max_us, us_since(t0));
    }
    return true;
}

// The database of BM_Open and BM_Search: n messages in one conversation, indexed.
std::string built_database(benchmark::State &state, std::size_t n) {
    static std::map<std::size_t, std::string> built;
    if (const auto it = built.find(n); it != built.end()) return it->second;
    std::string path = (temp().path / ("built-" + std::to_string(n) + ".sqlite3")).string();
    Owner owner;
    auto s = owner.open(state, path);
    if (!s) return {};
    ConversationId id = 0;
    Text text;
    if (s->conversation({"loopback", "bob", MSGR_WINDOW_CONVERSATION}, id) != MSGR_S_OK ||
        !ingest(state, *s, id, n, text, nullptr)) {
        return {};
    }
    s->wait_idle();
    built[n] = path;
    return path;
}

// What the append benchmarks share: a store with one conversation, chat-like texts to append,
// and each timed call's wall and CPU time with what the slow ones waited for.
struct AppendBench {
    Owner owner;
    std::unique_ptr<Store> s;
    ConversationId id = 0;
    std::vector<std::string> texts;
    std::string path;

    // False (the benchmark failed) when the store does not open.
    bool open(benchmark::State &state, const std::string &name) {
        path = (temp().path / (name + ".sqlite3")).string();
        s = owner.open(state, path);
        if (!s) return false;
        if (s->conversation({"loopback", "echo", MSGR_WINDOW_CONVERSATION}, id) != MSGR_S_OK) {
            fail(state, "conversation failed");
            return false;
        }
        Text text;
        texts.reserve(4096);
        for (int i = 0; i < 4096; ++i)
            texts.push_back(text.message());
        return true;
    }
    Record record(std::size_t i) const {
        return incoming(texts[i % texts.size()], static_cast<std::int64_t>(i));
    }
    double wal_mb() const {
        std::error_code ec;
        const auto wal = fs::file_size(path + "-wal", ec);
        return ec ? 0.0 : static_cast<double>(wal) / 1e6;
    }
};

struct CallTimes {
    std::vector<double> us;  // each call's wall time
    std::size_t calls = 0;
    SlowCalls slow;
    double cpu_max_us = 0;
    std::size_t over_1ms = 0;
    std::size_t cpu_over_1ms = 0;

    // Room for n calls, touched now (its pages are in an RSS "before").
    explicit CallTimes(std::size_t n) : us(n, 0.0) {}
    // Times call(); returns what it returned.
    template <typename F>
    bool time(F &&call) {
        const Switches sw0 = thread_switches();
        const double cpu0 = thread_cpu_us();
        const Clock::time_point t0 = Clock::now();
        const bool ok = call();
        const double wall = us_since(t0);
        const double cpu = thread_cpu_us() - cpu0;
        if (calls < us.size()) us[calls++] = wall;
        slow.count(wall, sw0);
        cpu_max_us = std::max(cpu_max_us, cpu);
        cpu_over_1ms += cpu > 1000 ? 1 : 0;
        over_1ms += wall > 1000 ? 1 : 0;
        return ok;
    }
    void report(benchmark::State &state) {
        us.resize(calls);
        state.counters["p50_us"] = percentile(us, 0.50);
        state.counters["p99_us"] = percentile(us, 0.99);
        state.counters["max_us"] = percentile(us, 1.0);
        state.counters["cpu_max_us"] = cpu_max_us;
        state.counters["over_1ms"] = static_cast<double>(over_1ms);
        state.counters["cpu_over_1ms"] = static_cast<double>(cpu_over_1ms);
        slow.report(state);
    }
};

void BM_Append_OwnerThread(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    AppendBench b;
    if (!b.open(state, "append-" + std::to_string(n))) return;
    CallTimes times(n);
    const double rss_before = rss_mb();
    for (auto _ : state) {
        for (std::size_t i = 0; i < n; ++i) {
            Record r = b.record(i);
            if (!times.time([&] { return b.s->append(b.id, r) == MSGR_S_OK; }))
                return fail(state, "append failed");
            // A real owner thread runs its inbox every frame (the store posts nothing here).
            if (i % 1024 == 0) b.owner.pump();
        }
    }
    state.counters["wal_appended_mb"] = b.wal_mb();
    b.s->wait_idle();
    const double rss_after = rss_mb();
    state.counters["wal_mb"] = b.wal_mb();
    times.report(state);
    state.counters["rss_growth_mb"] = rss_after - rss_before;
}
BENCHMARK(BM_Append_OwnerThread)
    ->ArgName("messages")
    ->Arg(1000)
    ->Arg(1000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// A game's frame loop: each frame of kFramePeriod, one tick appends kPerFrame messages in one
// batch (what a tick does with what arrived since the last), then the frame waits for its end.
// Per tick: p50_us/p99_us/max_us of the store's part (the appends and end_batch), cpu_max_us,
// over_1ms and cpu_over_1ms, as BM_Append_OwnerThread counts them; wal_peak_mb (the WAL's
// file, looked at every 64 frames) and wal_mb at the end; rss_growth_mb.
constexpr std::size_t kPerFrame = 64;
constexpr auto kFramePeriod = std::chrono::milliseconds(1);

void BM_Append_GameLoop(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    AppendBench b;
    if (!b.open(state, "loop-" + std::to_string(n))) return;
    CallTimes times(n / kPerFrame + 1);
    double wal_peak = 0;
    const double rss_before = rss_mb();
    for (auto _ : state) {
        Clock::time_point frame = Clock::now();
        for (std::size_t done = 0; done < n;) {
            const bool ok = times.time([&] {
                b.s->begin_batch();
                for (std::size_t i = 0; i < kPerFrame && done < n; ++i, ++done) {
                    Record r = b.record(done);
                    if (b.s->append(b.id, r) != MSGR_S_OK) return false;
                }
                return b.s->end_batch() == MSGR_S_OK;
            });
            if (!ok) return fail(state, "append or end_batch failed");
            b.owner.pump();
            if (times.calls % 64 == 0) wal_peak = std::max(wal_peak, b.wal_mb());
            frame += kFramePeriod;
            std::this_thread::sleep_until(frame);
        }
    }
    b.s->wait_idle();
    const double rss_after = rss_mb();
    state.counters["wal_mb"] = b.wal_mb();
    state.counters["wal_peak_mb"] = wal_peak;
    times.report(state);
    state.counters["rss_growth_mb"] = rss_after - rss_before;
}
BENCHMARK(BM_Append_GameLoop)
    ->ArgName("messages")
    ->Arg(1000)
    ->Arg(1000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_Ingest_Batched(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::size_t round = 0;
    double batch_max_us = 0;
    double index_seconds = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const std::string path = (temp().path / ("ingest-" + std::to_string(n) + "-" +
                                                 std::to_string(round++) + ".sqlite3"))
                                     .string();
        Owner owner;
        auto s = owner.open(state, path);
        if (!s) return;
        ConversationId id = 0;
        (void)s->conversation({"xmpp", "carol", MSGR_WINDOW_CONVERSATION}, id);
        Text text;
        state.ResumeTiming();
        if (!ingest(state, *s, id, n, text, &batch_max_us)) return;
        state.PauseTiming();
        const Clock::time_point t0 = Clock::now();
        s->wait_idle();
        index_seconds += us_since(t0) / 1e6;
        s.reset();
        std::error_code ec;
        fs::remove(path, ec);
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
    state.counters["batch_max_us"] = batch_max_us;
    // The index caught up this long after the last batch (it was indexing during it too).
    state.counters["index_tail_s"] = index_seconds / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Ingest_Batched)
    ->ArgName("messages")
    ->Arg(1000)
    ->Arg(1000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_Open(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string path = built_database(state, n);
    if (path.empty()) return;
    std::vector<double> read_us;
    std::size_t rows = 0;
    for (auto _ : state) {
        Owner owner;
        auto s = owner.open(state, path);
        if (!s) return;
        ConversationId id = 0;
        const Clock::time_point t0 = Clock::now();
        if (s->conversation({"loopback", "bob", MSGR_WINDOW_CONVERSATION}, id) != MSGR_S_OK) {
            return fail(state, "conversation failed");
        }
        const Store::Span span = s->span(id);
        std::vector<Record> page;
        if (s->read(id, span.first_seq + span.count - 64, 64, page) != MSGR_S_OK) {
            return fail(state, "read failed");
        }
        read_us.push_back(us_since(t0));
        rows = static_cast<std::size_t>(span.count);
        state.PauseTiming();
        s.reset();
        state.ResumeTiming();
    }
    if (rows != n) return fail(state, "the conversation has " + std::to_string(rows));
    state.counters["read_us"] = percentile(read_us, 0.5);
}
BENCHMARK(BM_Open)->ArgName("messages")->Arg(1000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_Search(benchmark::State &state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string path = built_database(state, n);
    if (path.empty()) return;
    Owner owner;
    auto s = owner.open(state, path);
    if (!s) return;
    Text text;
    std::vector<double> ms;
    std::size_t hits = 0;
    for (auto _ : state) {
        bool done = false;
        msgr_hresult hr = MSGR_E_FAIL;
        const Clock::time_point t0 = Clock::now();
        s->search(text.query(), 50, [&](msgr_hresult h, const std::vector<Hit> &found) {
            hr = h;
            hits += found.size();
            done = true;
        });
        if (!owner.pump_until([&] { return done; }) || hr != MSGR_S_OK) {
            return fail(state, "the search failed");
        }
        ms.push_back(us_since(t0) / 1000);
    }
    state.counters["p50_ms"] = percentile(ms, 0.50);
    state.counters["p99_ms"] = percentile(ms, 0.99);
    state.counters["hits_avg"] = static_cast<double>(hits) / static_cast<double>(ms.size());
}
BENCHMARK(BM_Search)->ArgName("messages")->Arg(1000)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char **argv) {
    if (temp().path.empty()) {
        (void)std::fprintf(stderr, "history_store_bench: cannot make a temporary directory\n");
        return 1;
    }
    return msgr::bench::run(argc, argv);
}

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"

using namespace msgr::core;

// fuzz_config found it (tests/fuzz/regressions/config/toml-unreachable-nonascii-whitespace):
// toml++ 3.3.0 reached __builtin_unreachable() when it asked whether some non-ASCII code points
// are whitespace (marzer/tomlplusplus#190, #295). core/src/toml.hpp compiles that check with
// the upstream fix; under UBSan (make asan) these inputs trapped before it.
TEST(ConfigParser, NonAsciiWhereWhitespaceMayBeIsNotUndefinedBehaviour) {
    Config c;
    EXPECT_EQ(parse_config("[loop\xC3\xA9]\n", "t.toml", c), MSGR_E_INVALID_DATA);         // U+00E9
    EXPECT_EQ(parse_config("[runtime]\n\xE3\x81\x82", "t.toml", c), MSGR_E_INVALID_DATA);  // U+3042
    EXPECT_EQ(parse_config("a = 1\xEF\xBB\xBF\n", "t.toml", c), MSGR_E_INVALID_DATA);      // U+FEFF
    // Valid TOML: a line-ending backslash, then U+00A7 on the next line.
    EXPECT_EQ(parse_config("s = \"\"\"\\\n\xC2\xA7\"\"\"\n", "t.toml", c), MSGR_S_OK);
}

TEST(ConfigParser, ReadsEveryKey) {
    Config c;
    ASSERT_EQ(parse_config("[runtime]\nmax_windows = 3\ninbox_capacity = 10\n"
                           "addin_paths = [\"/opt/addins\"]\n[loopback]\necho = \"e@loopback\"\n",
                           "t.toml", c),
              MSGR_S_OK);
    EXPECT_EQ(c.max_windows, 3u);
    EXPECT_EQ(c.inbox_capacity, 10u);
    EXPECT_EQ(c.addin_paths, std::vector<std::string>{"/opt/addins"});
}

TEST(ConfigParser, FailureLeavesTheConfigUntouched) {
    Config c;
    c.max_windows = 7;
    EXPECT_EQ(parse_config("[runtime]\nmax_windows = 2\nmax_windowz = 1\n", "t.toml", c),
              MSGR_E_INVALID_DATA);
    EXPECT_EQ(c.max_windows, 7u);
}

// runtime.secondary_services: absent means every service; [] means the primary alone.
TEST(ConfigParser, SecondaryServicesAbsentEmptyOrListed) {
    Config absent;
    ASSERT_EQ(parse_config("[runtime]\nmax_windows = 3\n", "t.toml", absent), MSGR_S_OK);
    EXPECT_FALSE(absent.secondary_services.has_value());
    Config none;
    ASSERT_EQ(parse_config("[runtime]\nsecondary_services = []\n", "t.toml", none), MSGR_S_OK);
    ASSERT_TRUE(none.secondary_services.has_value());
    EXPECT_TRUE(none.secondary_services->empty());
    Config listed;
    ASSERT_EQ(parse_config("[runtime]\nsecondary_services = [\"exchange\"]\n", "t.toml", listed),
              MSGR_S_OK);
    EXPECT_EQ(listed.secondary_services, std::vector<std::string>{"exchange"});
    Config bad;
    EXPECT_EQ(parse_config("[runtime]\nsecondary_services = \"exchange\"\n", "t.toml", bad),
              MSGR_E_INVALID_DATA);
    EXPECT_NE(std::string(msgr_last_error()).find("runtime.secondary_services must be an array"),
              std::string::npos)
        << msgr_last_error();
}

// ---- the file itself: only a regular file, and at most kMaxConfigBytes of it ----

namespace {

// A private temporary directory, removed at the end.
struct TempDir {
    std::string path;
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "msgr-config-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string &name, const std::string &text) const {
        std::string p = path + "/" + name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
};

bool has(const std::string &needle) {
    return std::string(msgr_last_error()).find(needle) != std::string::npos;
}

// Runs fn on a thread with a stack of `stack` bytes (what a host's small worker thread has).
template <typename F>
void on_small_stack(std::size_t stack, F fn) {
    pthread_attr_t attr;
    ASSERT_EQ(pthread_attr_init(&attr), 0);
    ASSERT_EQ(pthread_attr_setstacksize(&attr, stack), 0);
    pthread_t t{};
    ASSERT_EQ(pthread_create(
                  &t, &attr,
                  [](void *p) -> void * {
                      (*static_cast<F *>(p))();
                      return nullptr;
                  },
                  &fn),
              0);
    pthread_attr_destroy(&attr);
    pthread_join(t, nullptr);
}

std::string dotted_keys(std::size_t parts) {
    std::string s = "a";
    for (std::size_t i = 1; i < parts; ++i)
        s += ".a";
    return s + " = 1\n";
}

}  // namespace

TEST(ConfigFile, MissingFileIsFileNotFound) {
    TempDir d;
    Config c;
    EXPECT_EQ(load_config((d.path + "/none.toml").c_str(), c), MSGR_E_FILE_NOT_FOUND);
    EXPECT_TRUE(has("none.toml: No such file or directory")) << msgr_last_error();
}

TEST(ConfigFile, DirectoryIsAnErrorNotTheDefaults) {
    TempDir d;
    Config c;
    c.max_windows = 7;
    EXPECT_EQ(load_config(d.path.c_str(), c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("is a directory, not a regular file")) << msgr_last_error();
    EXPECT_EQ(c.max_windows, 7u);
}

// A FIFO with no writer: opening it for reading, or reading it, would block until one came.
// The watchdog opens it for writing after 10 s, which ends such a wait: a hang fails the test.
TEST(ConfigFile, FifoIsAnErrorNotAHang) {
    TempDir d;
    const std::string fifo = d.path + "/msgr.toml";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto result = std::async(std::launch::async, [&] {
        Config c;
        const msgr_hresult hr = load_config(fifo.c_str(), c);
        return std::make_pair(hr, std::string(msgr_last_error()));
    });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        ADD_FAILURE() << "load_config hung on a FIFO";
        const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (w >= 0) ::close(w);
    }
    const auto [hr, why] = result.get();
    EXPECT_EQ(hr, MSGR_E_INVALID_DATA);
    EXPECT_NE(why.find("is a FIFO (named pipe), not a regular file"), std::string::npos) << why;
}

TEST(ConfigFile, DevZeroIsAnErrorNotAnEndlessRead) {
    Config c;
    EXPECT_EQ(load_config("/dev/zero", c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("/dev/zero is a character device, not a regular file")) << msgr_last_error();
}

TEST(ConfigFile, FileOverTheCapIsRefusedUnread) {
    TempDir d;
    // Valid TOML (a comment line), one byte over the cap.
    const std::string big = d.file("big.toml", "#" + std::string(kMaxConfigBytes - 1, 'x') + "\n");
    Config c;
    EXPECT_EQ(load_config(big.c_str(), c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("is 1048577 bytes; a configuration file may have at most 1048576 bytes"))
        << msgr_last_error();
    // At the cap it is read.
    const std::string at = d.file("at.toml", "#" + std::string(kMaxConfigBytes - 2, 'x') + "\n");
    EXPECT_EQ(load_config(at.c_str(), c), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(parse_config(std::string(kMaxConfigBytes + 1, '\n'), "t.toml", c),
              MSGR_E_INVALID_DATA);
}

// A file whose size says 0 (as /proc's do) is still read only up to the cap.
TEST(ConfigFile, ProcFileIsReadWithABound) {
    Config c;
    // /proc/self/maps is a regular file of size 0; as TOML it is a syntax error, read whole.
    EXPECT_EQ(load_config("/proc/self/maps", c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("/proc/self/maps:1:")) << msgr_last_error();
}

// The configuration path through the C API: the error and its reason reach the host.
TEST(ConfigFile, RuntimeCreateReportsTheFileError) {
    TempDir d;
    msgr_runtime *rt = nullptr;
    EXPECT_EQ(msgr_runtime_create(d.path.c_str(), &rt), MSGR_E_INVALID_DATA);
    EXPECT_EQ(rt, nullptr);
    EXPECT_TRUE(has("is a directory, not a regular file")) << msgr_last_error();
    const std::string deep = d.file("deep.toml", dotted_keys(40));
    EXPECT_EQ(msgr_runtime_create(deep.c_str(), &rt), MSGR_E_INVALID_DATA);
    EXPECT_EQ(rt, nullptr);
    EXPECT_TRUE(has("deep.toml:1:32: nested more than 16 levels deep")) << msgr_last_error();
}

// ---- nesting: bounded before toml++ (which recurses) sees the text ----

// 8 KB of dotted keys overflowed a 64 KiB stack inside toml++: now refused, on that stack.
TEST(ConfigNesting, DottedKeysOnASmallStackAreRefusedNotACrash) {
    TempDir d;
    const std::string path = d.file("dotted.toml", dotted_keys(4096));
    ASSERT_GE(std::filesystem::file_size(path), 8192u);
    msgr_hresult parsed = MSGR_S_OK, loaded = MSGR_S_OK;
    std::string why;
    on_small_stack(std::size_t{64} * 1024, [&] {
        Config c;
        parsed = parse_config(dotted_keys(4096), "t.toml", c);
        loaded = load_config(path.c_str(), c);
        why = msgr_last_error();
    });
    EXPECT_EQ(parsed, MSGR_E_INVALID_DATA);
    EXPECT_EQ(loaded, MSGR_E_INVALID_DATA);
    // Where: the dot that made the key 17 levels deep (line 1, column 32).
    EXPECT_NE(why.find("dotted.toml:1:32: nested more than 16 levels deep"), std::string::npos)
        << why;
}

TEST(ConfigNesting, DeepArraysAndInlineTablesAreRefused) {
    Config c;
    EXPECT_EQ(
        parse_config("a = " + std::string(5000, '[') + std::string(5000, ']') + "\n", "t.toml", c),
        MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("t.toml:1:20: nested more than 16 levels deep")) << msgr_last_error();
    std::string inl = "[runtime]\nx = ";
    for (int i = 0; i < 3000; ++i)
        inl += "{a=";
    EXPECT_EQ(parse_config(inl, "t.toml", c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("nested more than 16 levels deep")) << msgr_last_error();
    std::string header = "[a";
    for (int i = 0; i < 3000; ++i)
        header += ".a";
    EXPECT_EQ(parse_config(header + "]\n", "t.toml", c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("t.toml:1:17: nested more than 16 levels deep")) << msgr_last_error();
}

// Brackets, dots and quotes inside strings and comments are text, not nesting; multi-line
// strings (basic and literal) keep the line count.
TEST(ConfigNesting, StringsAndCommentsDoNotCount) {
    const std::string deep(100, '[');
    Config c;
    const std::string text = "# " + deep + "\n" +                                 // comment
                             "[loopback]\n" +                                     //
                             "a = \"" + deep + " \\\" " + deep + "\"\n" +         // basic
                             "b = '" + deep + "'\n" +                             // literal
                             "c = \"\"\"\n" + deep + "\n\"\" \\\"\"\" " + deep +  // multi-line
                             "\"\"\"\"\"\n" +                                     // ends "" + """
                             "d = '''\n" + deep + "''" + deep + "'''''\n" +       // multi literal
                             "\"e." + std::string(100, '.') + "\" = 1\n" +        // quoted key
                             "f = [1.5, 2.5e3, \"x.y.z\", 1979-05-27T07:32:00Z]\n";
    EXPECT_EQ(parse_config(text, "t.toml", c), MSGR_S_OK) << msgr_last_error();
    // ... and after them the scan still counts (and knows the line).
    EXPECT_EQ(parse_config(text + "g = " + deep + "\n", "t.toml", c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("t.toml:12:18: nested more than 16 levels deep")) << msgr_last_error();
}

// What the limit lets through parses on a small stack too (toml++ at kMaxConfigDepth).
TEST(ConfigNesting, AtTheLimitParsesOnASmallStack) {
    std::string arrays = "a = " + std::string(15, '[') + std::string(15, ']') + "\n";
    std::string inl = "b = ";
    for (int i = 0; i < 15; ++i)
        inl += "{a=";
    inl += "1" + std::string(15, '}') + "\n";
    const std::string keys = dotted_keys(16);
    for (const auto &text : {arrays, inl, keys})
        EXPECT_EQ(scan_toml_nesting(text, kMaxConfigDepth).depth, kMaxConfigDepth) << text;
    std::vector<msgr_hresult> results;
    // 256 KiB: an optimized build needs about 28 KiB here, AddressSanitizer's about 110 KiB.
    on_small_stack(std::size_t{256} * 1024, [&] {
        for (const auto &text : {arrays, inl, keys}) {
            Config c;
            results.push_back(parse_config(text, "t.toml", c));
        }
    });
    EXPECT_EQ(results, std::vector<msgr_hresult>(3, MSGR_S_OK)) << msgr_last_error();
    Config c;
    EXPECT_EQ(parse_config(dotted_keys(17), "t.toml", c), MSGR_E_INVALID_DATA);
}

// ---- runtime.disabled_addins ----

TEST(ConfigParser, DisabledAddinsIsAnArrayOfAddinNames) {
    Config c;
    ASSERT_EQ(parse_config("[runtime]\ndisabled_addins = [\"paging\", \"x-1.2_b\"]\n", "t.toml", c),
              MSGR_S_OK)
        << msgr_last_error();
    EXPECT_EQ(c.disabled_addins, (std::vector<std::string>{"paging", "x-1.2_b"}));
    EXPECT_EQ(parse_config("[runtime]\ndisabled_addins = \"paging\"\n", "t.toml", c),
              MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("t.toml:2:19: runtime.disabled_addins must be an array of strings"))
        << msgr_last_error();
    EXPECT_EQ(parse_config("[runtime]\ndisabled_addins = [1]\n", "t.toml", c), MSGR_E_INVALID_DATA);
    for (const char *bad : {"", "../paging", "pag ing", "paging.so"}) {
        EXPECT_EQ(parse_config(std::string("[runtime]\ndisabled_addins = [\"") + bad + "\"]\n",
                               "t.toml", c),
                  MSGR_E_INVALID_DATA)
            << bad;
        EXPECT_TRUE(has("is not an add-in name (the add-in file's name without \".so\"")) << bad;
    }
    EXPECT_EQ(c.disabled_addins, (std::vector<std::string>{"paging", "x-1.2_b"}));
}

// fuzz_config found it (tests/fuzz/regressions/config/prescan-bom-before-table-header): after a
// byte order mark the pre-scan did not see the line's table header ([[a.b]] is 4 levels deep)
// and counted less than toml++ built. toml++ skips the mark; so does the scan.
TEST(ConfigNesting, ByteOrderMarkBeforeATableHeader) {
    EXPECT_EQ(scan_toml_nesting("\xEF\xBB\xBF[[a.b]]\nc = 1\n", kMaxConfigDepth).depth, 5u);
    std::string deep = "\xEF\xBB\xBF[a";
    for (int i = 0; i < 100; ++i)
        deep += ".a";
    Config c;
    EXPECT_EQ(parse_config(deep + "]\n", "t.toml", c), MSGR_E_INVALID_DATA);
    EXPECT_TRUE(has("t.toml:1:17: nested more than 16 levels deep")) << msgr_last_error();
}

// ---- [addin.<stem>] and runtime.addin_host ----

TEST(ConfigAddins, SettingsPerAddinFileWithDefaults) {
    Config c;
    ASSERT_EQ(parse_config("[runtime]\naddin_host = \"/opt/msgr/msgr-addin-host\"\n"
                           "[addin.xmpp]\nisolation = \"in_process\"\ncall_timeout_ms = 100\n"
                           "load_timeout_ms = 7000\nmax_restarts = 0\nrestart_backoff_ms = 50\n"
                           "address_space_mb = 512\nopen_files = 64\n"
                           "[addin.paging]\nisolation = \"process\"\n",
                           "t.toml", c),
              MSGR_S_OK)
        << msgr_last_error();
    EXPECT_EQ(c.addin_host, "/opt/msgr/msgr-addin-host");
    const AddinSettings &x = c.addin("xmpp");
    EXPECT_EQ(x.isolation, MSGR_ADDIN_ISOLATION_IN_PROCESS);
    EXPECT_EQ(x.call_timeout_ms, 100u);
    EXPECT_EQ(x.load_timeout_ms, 7000u);
    EXPECT_EQ(x.max_restarts, 0u);
    EXPECT_EQ(x.restart_backoff_ms, 50u);
    EXPECT_EQ(x.address_space_mb, 512u);
    EXPECT_EQ(x.open_files, 64u);
    EXPECT_EQ(c.addin("paging").isolation, MSGR_ADDIN_ISOLATION_PROCESS);
    EXPECT_EQ(c.addin("paging").call_timeout_ms, 2000u);
    // An add-in without a table: every default.
    const AddinSettings &d = c.addin("loopback");
    EXPECT_FALSE(d.isolation.has_value());
    EXPECT_EQ(d.call_timeout_ms, 2000u);
    EXPECT_EQ(d.load_timeout_ms, 5000u);
    EXPECT_EQ(d.max_restarts, 3u);
    EXPECT_EQ(d.restart_backoff_ms, 200u);
    EXPECT_EQ(d.address_space_mb, 0u);
    EXPECT_EQ(d.open_files, 256u);
}

TEST(ConfigAddins, BadKeysTypesAndRangesAreErrorsWithTheirPlace) {
    struct Case {
        const char *text;
        const char *error;
    };
    const Case cases[] = {
        {"[addin.xmpp]\nisolaton = \"process\"\n",
         "t.toml:2:12: unknown key addin.xmpp.isolaton in [addin.xmpp]"},
        {"[addin.xmpp]\nisolation = \"thread\"\n",
         "t.toml:2:13: addin.xmpp.isolation must be \"process\" or \"in_process\""},
        {"[addin.xmpp]\nisolation = 1\n", "addin.xmpp.isolation must be \"process\""},
        {"[addin.xmpp]\ncall_timeout_ms = 0\n",
         "t.toml:2:19: addin.xmpp.call_timeout_ms must be an integer from 1 to 600000"},
        {"[addin.xmpp]\ncall_timeout_ms = 600001\n", "must be an integer from 1 to 600000"},
        {"[addin.xmpp]\ncall_timeout_ms = \"2000\"\n", "must be an integer from 1 to 600000"},
        {"[addin.xmpp]\nmax_restarts = 1001\n", "addin.xmpp.max_restarts must be an integer"},
        {"[addin.xmpp]\nmax_restarts = -1\n", "from 0 to 1000"},
        {"[addin.xmpp]\nopen_files = 1\n", "addin.xmpp.open_files must be an integer"},
        {"addin = 3\n", "t.toml:1:9: [addin] must be a table"},
        {"[addin]\nxmpp = 1\n", "t.toml:2:8: addin.xmpp must be a table"},
        {"[addin.\"x y\"]\n", "[addin.x y]: not an add-in name"},
        {"[runtime]\naddin_host = 1\n", "runtime.addin_host must be a string"},
    };
    for (const auto &k : cases) {
        Config c;
        c.max_windows = 5;
        EXPECT_EQ(parse_config(k.text, "t.toml", c), MSGR_E_INVALID_DATA) << k.text;
        EXPECT_TRUE(has(k.error)) << k.text << " -> " << msgr_last_error();
        EXPECT_EQ(c.max_windows, 5u) << "untouched";
    }
}

// MSGR_ADDIN_ISOLATION sets the default of add-ins without an explicit isolation.
TEST(ConfigAddins, IsolationFromTheTableThenTheEnvironmentThenTheDefault) {
    struct EnvRestore {
        std::string old;
        bool had = false;
        EnvRestore() {
            if (const char *v = std::getenv("MSGR_ADDIN_ISOLATION")) {
                old = v;
                had = true;
            }
        }
        ~EnvRestore() {
            if (had) {
                ::setenv("MSGR_ADDIN_ISOLATION", old.c_str(), 1);
            } else {
                ::unsetenv("MSGR_ADDIN_ISOLATION");
            }
        }
    } restore;
    AddinSettings none, pinned;
    pinned.isolation = MSGR_ADDIN_ISOLATION_IN_PROCESS;
    std::string warning;
    ::unsetenv("MSGR_ADDIN_ISOLATION");
    EXPECT_EQ(resolve_isolation(none, warning), kDefaultIsolation);
    EXPECT_EQ(warning, "");
    ::setenv("MSGR_ADDIN_ISOLATION", "process", 1);
    EXPECT_EQ(resolve_isolation(none, warning), MSGR_ADDIN_ISOLATION_PROCESS);
    EXPECT_EQ(resolve_isolation(pinned, warning), MSGR_ADDIN_ISOLATION_IN_PROCESS);
    ::setenv("MSGR_ADDIN_ISOLATION", "in_process", 1);
    EXPECT_EQ(resolve_isolation(none, warning), MSGR_ADDIN_ISOLATION_IN_PROCESS);
    ::setenv("MSGR_ADDIN_ISOLATION", "sandbox", 1);
    EXPECT_EQ(resolve_isolation(none, warning), kDefaultIsolation);
    EXPECT_NE(warning.find("MSGR_ADDIN_ISOLATION=sandbox is neither"), std::string::npos)
        << warning;
}

TEST(ConfigHistory, DefaultsAreOnWithTheDocumentedValues) {
    Config c;
    ASSERT_EQ(parse_config("", "t.toml", c), MSGR_S_OK);
    EXPECT_TRUE(c.history.enabled);
    EXPECT_EQ(c.history.path, "");
    EXPECT_EQ(c.history.retain_days, 0u);
    EXPECT_EQ(c.history.retain_messages, 0u);
    EXPECT_EQ(c.history.memory_messages, 256u);
    EXPECT_TRUE(c.history.resend_after_restart);
}

TEST(ConfigHistory, ReadsEveryKeyAndARelativePathIsTheFilesDirectory) {
    Config c;
    ASSERT_EQ(parse_config("[history]\nenabled = false\npath = \"hist\"\nretain_days = 30\n"
                           "retain_messages = 1000\nmemory_messages = 16\n"
                           "resend_after_restart = false\n",
                           "/etc/msgr/msgr.toml", c),
              MSGR_S_OK)
        << msgr_last_error();
    EXPECT_FALSE(c.history.enabled);
    EXPECT_EQ(c.history.path, "/etc/msgr/hist");
    EXPECT_EQ(c.history.retain_days, 30u);
    EXPECT_EQ(c.history.retain_messages, 1000u);
    EXPECT_EQ(c.history.memory_messages, 16u);
    EXPECT_FALSE(c.history.resend_after_restart);
    ASSERT_EQ(parse_config("[history]\npath = \"/var/h\"\n", "/etc/msgr/msgr.toml", c), MSGR_S_OK);
    EXPECT_EQ(c.history.path, "/var/h");
}

TEST(ConfigHistory, BadKeysTypesAndRangesAreErrorsWithTheirPlace) {
    const std::pair<const char *, const char *> cases[] = {
        {"[history]\nenabeld = true\n", "t.toml:2:1: unknown key history.enabeld in [history]"},
        {"[history]\nenabled = 1\n", "t.toml:2:11: history.enabled must be true or false"},
        {"[history]\npath = 3\n", "history.path must be a string"},
        {"[history]\nretain_days = -1\n", "history.retain_days must be an integer from 0"},
        {"[history]\nretain_messages = -5\n", "history.retain_messages must be an integer from 0"},
        {"[history]\nmemory_messages = 15\n",
         "history.memory_messages must be an integer from 16 to 1000000"},
        {"[history]\nmemory_messages = 1000001\n", "history.memory_messages must be an integer"},
        {"[history]\nresend_after_restart = \"yes\"\n",
         "history.resend_after_restart must be true or false"},
        {"history = 3\n", "[history] must be a table"},
    };
    for (const auto &[text, want] : cases) {
        Config c;
        EXPECT_EQ(parse_config(text, "t.toml", c), MSGR_E_INVALID_DATA) << text;
        EXPECT_NE(std::string(msgr_last_error()).find(want), std::string::npos)
            << text << " -> " << msgr_last_error();
        EXPECT_TRUE(c.history.enabled);  // untouched
    }
}

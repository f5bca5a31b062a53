// Helpers for the add-in and paging tests: temporary directories, configuration files, a
// runtime driven through the C ABI exactly as a host drives it, and waiting for deliveries.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "log_capture.hpp"
#include "msgr/addin.h"
#include "msgr/msgr.h"
#include "msgr/ui.h"
#include "wait.hpp"

namespace msgr::test {

namespace fs = std::filesystem;

// A private temporary directory (mode 0700), removed at the end.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "msgr-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, ec);
        fs::remove_all(path_, ec);
    }
    const fs::path &path() const { return path_; }
    fs::path operator/(const std::string &s) const { return path_ / s; }
    // A subdirectory with mode 0755.
    fs::path subdir(const std::string &name) const {
        fs::create_directories(path_ / name);
        fs::permissions(path_ / name, fs::perms(0755));
        return path_ / name;
    }

  private:
    fs::path path_;
};

inline void write_file(const fs::path &p, const std::string &text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

inline std::string read_file(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Copies a built add-in into dir (as name), keeping it private to the test.
inline fs::path copy_addin(const fs::path &from, const fs::path &dir, const std::string &name) {
    fs::path to = dir / name;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    fs::permissions(to, fs::perms(0755));
    return to;
}

inline std::string toml_string(const fs::path &p) {
    return "\"" + p.string() + "\"";
}

// A runtime made from configuration text (with add-in search limited to what the text says).
class Host {
  public:
    explicit Host(const std::string &config_text) {
        config_ = dir_ / "msgr.toml";
        write_file(config_, config_text);
        create_hr = msgr_runtime_create(config_.string().c_str(), &rt);
    }
    ~Host() {
        if (rt != nullptr) msgr_runtime_destroy(rt);
    }
    Host(const Host &) = delete;
    Host &operator=(const Host &) = delete;

    void tick(int n = 1) {
        for (int i = 0; i < n; ++i)
            msgr_runtime_tick(rt);
    }

    // Signs in and ticks until signed in.
    void signin(const char *name = "player@loopback") {
        ASSERT_EQ(msgr_signin(rt, name, ""), MSGR_S_OK) << msgr_last_error();
        for (int i = 0; i < 10; ++i) {
            tick();
            std::int32_t status = 0;
            msgr_my_status(rt, &status);
            if (status == MSGR_STATUS_ONLINE) return;
        }
        FAIL() << "did not sign in";
    }

    msgr_addin_info info(std::size_t i) {
        msgr_addin_info out{};
        out.struct_size = sizeof out;
        EXPECT_EQ(msgr_addin_get_info(rt, i, &out), MSGR_S_OK) << msgr_last_error();
        return out;
    }
    std::size_t count() {
        std::size_t n = 0;
        EXPECT_EQ(msgr_addin_count(rt, &n), MSGR_S_OK);
        return n;
    }
    // The info of the add-in with this name (fails the test if there is none).
    msgr_addin_info find(const std::string &name) {
        for (std::size_t i = 0; i < count(); ++i) {
            const auto in = info(i);
            if (name == in.name) return in;
        }
        ADD_FAILURE() << "no add-in named " << name;
        return msgr_addin_info{};
    }

    msgr_hresult page(const char *who, msgr_window **out) {
        msgr_variant v{};
        v.vt = MSGR_VT_BSTR;
        v.bstr = who;
        return msgr_page(rt, v, out);
    }
    msgr_hresult im(const char *who, msgr_window **out) {
        msgr_variant v{};
        v.vt = MSGR_VT_BSTR;
        v.bstr = who;
        return msgr_instant_message(rt, v, out);
    }

    // Ticks until the history entry is no longer pending (or ~20 s pass: a hang guard only).
    msgr_message wait_delivery(msgr_window *w, std::size_t index) {
        msgr_message m{};
        m.struct_size = sizeof m;
        for (int i = 0; i < 4000; ++i) {
            tick();
            EXPECT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
            if (m.delivery != MSGR_DELIVERY_PENDING) return m;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        ADD_FAILURE() << "the delivery never finished";
        return m;
    }

    // The runtime still does its job: sign-in (if needed), a conversation, a message delivered.
    void still_works() {
        std::int32_t status = 0;
        msgr_my_status(rt, &status);
        if (status != MSGR_STATUS_ONLINE) signin();
        msgr_window *w = nullptr;
        ASSERT_EQ(im("echo@loopback", &w), MSGR_S_OK) << msgr_last_error();
        std::size_t index = 0;
        ASSERT_EQ(msgr_ui_send(w, "still here?", &index), MSGR_S_OK);
        const msgr_message m = wait_delivery(w, index);
        // The loopback echo reports receipts too (SENT, then DELIVERED and READ): any of them.
        EXPECT_TRUE(m.delivery == MSGR_DELIVERY_SENT || m.delivery == MSGR_DELIVERY_DELIVERED ||
                    m.delivery == MSGR_DELIVERY_READ)
            << "delivery " << m.delivery << ": " << (m.delivery_reason ? m.delivery_reason : "");
        msgr_window_release(w);
    }

    // Pages still go out: a page window to a mobile contact of the loopback service, the page
    // delivered by the paging add-in (the runtime must list one).
    void still_pages(const char *who = "mobile@loopback") {
        std::int32_t status = 0;
        msgr_my_status(rt, &status);
        if (status != MSGR_STATUS_ONLINE) signin();
        msgr_window *w = nullptr;
        ASSERT_EQ(page(who, &w), MSGR_S_OK) << msgr_last_error();
        std::size_t index = 0;
        ASSERT_EQ(msgr_ui_send(w, "still paging?", &index), MSGR_S_OK) << msgr_last_error();
        const msgr_message m = wait_delivery(w, index);
        EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
        EXPECT_EQ(msgr_window_close(w), MSGR_S_OK);
        msgr_window_release(w);
    }

    // Ticks (sleeping 2 ms between ticks) until done() or timeout; whether done() came true.
    template <typename Done>
    bool tick_until(Done done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        return step_until([&] { tick(); }, done, timeout, std::chrono::milliseconds(2));
    }

    TempDir dir_;
    fs::path config_;
    msgr_runtime *rt = nullptr;
    msgr_hresult create_hr = MSGR_E_FAIL;
};

// The directory that holds only the loopback service add-in (the primary service).
inline fs::path loopback_only_dir() {
#ifdef MSGR_LOOPBACK_ONLY_DIR
    return MSGR_LOOPBACK_ONLY_DIR;
#else
    return {};
#endif
}

// Configuration text that searches only `dirs` for add-ins, then the directory with the
// loopback service add-in (so that the runtime has its primary service; it is listed last).
inline std::string addin_config(const std::vector<fs::path> &dirs, const std::string &more = "",
                                const std::string &runtime_more = "") {
    std::string s = "[runtime]\naddin_default_paths = false\naddin_paths = [";
    for (std::size_t i = 0; i < dirs.size(); ++i)
        s += (i ? ", " : "") + toml_string(dirs[i]);
    s += std::string(dirs.empty() ? "" : ", ") + toml_string(loopback_only_dir());
    s += "]\n" + runtime_more + "\n" + more;
    return s;
}

// The configuration of a runtime whose primary service is the test add-in `name` found in
// `dir` (tests/addins/<name>), with `table` as its [name] table's settings.
inline std::string primary_test_addin(const fs::path &dir, const std::string &name,
                                      const std::string &table) {
    return addin_config({dir / name}, "[" + name + "]\n" + table,
                        "primary_service = \"" + name + "\"");
}

// "0x80070057": a result code as the test add-ins log it.
inline std::string hr_hex(msgr_hresult hr) {
    char buf[16];
    (void)std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(hr));
    return buf;
}

}  // namespace msgr::test

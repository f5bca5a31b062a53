// msgr.h: "Out-pointers are set to NULL (or 0) on every failure". One table holds every function
// of msgr.h, ui.h and addin.h that has an out-pointer; each is called in every failure class that
// applies to it (a NULL, a disconnected or a released handle, the wrong thread) with its
// out-pointer filled with garbage first, and must fail and leave it all zero. A new function is
// one row.
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "c_abi/host.hpp"

namespace msgr::test {
namespace {

enum class Target { runtime, window, contact };

// The objects a row is called on (some NULL, disconnected or released, by failure class).
struct Objects {
    msgr_runtime *rt = nullptr;
    msgr_window *w = nullptr;
    msgr_contact *c = nullptr;
};

struct Outcome {
    msgr_hresult hr;
    bool cleared;  // every byte of the out-value is 0 (a struct: past its struct_size field)
};

bool all_zero(const void *p, std::size_t n) {
    const auto *b = static_cast<const unsigned char *>(p);
    for (std::size_t i = 0; i < n; ++i) {
        if (b[i] != 0) return false;
    }
    return true;
}

// Calls f(&out) with out full of garbage.
template <typename Out, typename F>
Outcome probe(F &&f) {
    Out out;
    // The out-value's own bytes (Out is often a pointer type: sizeof(Out) is what is meant).
    std::memset(&out, 0xA5, sizeof(Out));  // NOLINT(bugprone-sizeof-expression)
    const msgr_hresult hr = f(&out);
    return {hr, all_zero(&out, sizeof(Out))};  // NOLINT(bugprone-sizeof-expression)
}
// The same for a struct the library fills: struct_size set as a caller sets it, and kept.
template <typename S, typename F>
Outcome probe_struct(F &&f) {
    S s;
    std::memset(&s, 0xA5, sizeof s);
    s.struct_size = sizeof s;
    const msgr_hresult hr = f(&s);
    const std::size_t at = sizeof s.struct_size;
    return {hr, s.struct_size == sizeof s &&
                    all_zero(reinterpret_cast<const unsigned char *>(&s) + at, sizeof s - at)};
}

struct Row {
    const char *name;
    Target target;
    std::function<Outcome(const Objects &)> call;
};

const std::vector<Row> &rows() {
    using O = const Objects &;
    static const std::vector<Row> table = {
        // ---- msgr.h: the runtime ----
        {"msgr_my_status", Target::runtime,
         [](O o) { return probe<int32_t>([&](auto *out) { return msgr_my_status(o.rt, out); }); }},
        {"msgr_my_signin_name", Target::runtime,
         [](O o) {
             return probe<const char *>([&](auto *out) { return msgr_my_signin_name(o.rt, out); });
         }},
        {"msgr_my_service_id", Target::runtime,
         [](O o) {
             return probe<const char *>([&](auto *out) { return msgr_my_service_id(o.rt, out); });
         }},
        {"msgr_signin_dialog_visible", Target::runtime,
         [](O o) {
             return probe<int>([&](auto *out) { return msgr_signin_dialog_visible(o.rt, out); });
         }},
        {"msgr_get_contact", Target::runtime,
         [](O o) {
             return probe<msgr_contact *>(
                 [&](auto *out) { return msgr_get_contact(o.rt, "echo@loopback", nullptr, out); });
         }},
        {"msgr_my_contacts_count", Target::runtime,
         [](O o) {
             return probe<size_t>([&](auto *out) { return msgr_my_contacts_count(o.rt, out); });
         }},
        {"msgr_my_contacts_get", Target::runtime,
         [](O o) {
             return probe<msgr_contact *>(
                 [&](auto *out) { return msgr_my_contacts_get(o.rt, 0, out); });
         }},
        {"msgr_instant_message", Target::runtime,
         [](O o) {
             return probe<msgr_window *>([&](auto *out) {
                 return msgr_instant_message(o.rt, by_name("echo@loopback"), out);
             });
         }},
        {"msgr_page", Target::runtime,
         [](O o) {
             return probe<msgr_window *>(
                 [&](auto *out) { return msgr_page(o.rt, by_name("mobile@loopback"), out); });
         }},
        {"msgr_script_invoke", Target::runtime,
         [](O o) {
             return probe<msgr_window *>([&](auto *out) {
                 return msgr_script_invoke(o.rt, "InstantMessage", by_name("echo@loopback"), out);
             });
         }},
        {"msgr_subscribe", Target::runtime,
         [](O o) {
             return probe<msgr_subscription>([&](auto *out) {
                 return msgr_subscribe(
                     o.rt, MSGR_EVENT_SIGNIN, [](const msgr_event *, void *) {}, nullptr, out);
             });
         }},
        // ---- ui.h ----
        {"msgr_ui_max_page_length", Target::runtime,
         [](O o) {
             return probe<size_t>([&](auto *out) { return msgr_ui_max_page_length(o.rt, out); });
         }},
        {"msgr_ui_window_count", Target::runtime,
         [](O o) {
             return probe<size_t>([&](auto *out) { return msgr_ui_window_count(o.rt, out); });
         }},
        {"msgr_ui_window_get", Target::runtime,
         [](O o) {
             return probe_struct<msgr_ui_window_info>(
                 [&](auto *out) { return msgr_ui_window_get(o.rt, 0, out); });
         }},
        {"msgr_ui_send", Target::window,
         [](O o) {
             return probe<size_t>([&](auto *out) { return msgr_ui_send(o.w, "hi", out); });
         }},
        // ---- addin.h ----
        {"msgr_addin_count", Target::runtime,
         [](O o) { return probe<size_t>([&](auto *out) { return msgr_addin_count(o.rt, out); }); }},
        {"msgr_addin_get_info", Target::runtime,
         [](O o) {
             return probe_struct<msgr_addin_info>(
                 [&](auto *out) { return msgr_addin_get_info(o.rt, 0, out); });
         }},
        {"msgr_addin_has_drawers", Target::runtime,
         [](O o) {
             return probe<int>([&](auto *out) { return msgr_addin_has_drawers(o.rt, out); });
         }},
        // ---- msgr.h: contacts ----
        {"msgr_contact_signin_name", Target::contact,
         [](O o) {
             return probe<const char *>(
                 [&](auto *out) { return msgr_contact_signin_name(o.c, out); });
         }},
        {"msgr_contact_friendly_name", Target::contact,
         [](O o) {
             return probe<const char *>(
                 [&](auto *out) { return msgr_contact_friendly_name(o.c, out); });
         }},
        {"msgr_contact_service_id", Target::contact,
         [](O o) {
             return probe<const char *>(
                 [&](auto *out) { return msgr_contact_service_id(o.c, out); });
         }},
        {"msgr_contact_status", Target::contact,
         [](O o) {
             return probe<int32_t>([&](auto *out) { return msgr_contact_status(o.c, out); });
         }},
        {"msgr_contact_is_self", Target::contact,
         [](O o) { return probe<int>([&](auto *out) { return msgr_contact_is_self(o.c, out); }); }},
        {"msgr_contact_can_page", Target::contact,
         [](O o) {
             return probe<int>([&](auto *out) { return msgr_contact_can_page(o.c, out); });
         }},
        // ---- msgr.h: windows ----
        {"msgr_window_kind_of", Target::window,
         [](O o) {
             return probe<msgr_window_kind>(
                 [&](auto *out) { return msgr_window_kind_of(o.w, out); });
         }},
        {"msgr_window_is_closed", Target::window,
         [](O o) {
             return probe<int>([&](auto *out) { return msgr_window_is_closed(o.w, out); });
         }},
        {"msgr_window_get_left", Target::window,
         [](O o) {
             return probe<int32_t>([&](auto *out) { return msgr_window_get_left(o.w, out); });
         }},
        {"msgr_window_get_top", Target::window,
         [](O o) {
             return probe<int32_t>([&](auto *out) { return msgr_window_get_top(o.w, out); });
         }},
        {"msgr_window_get_width", Target::window,
         [](O o) {
             return probe<int32_t>([&](auto *out) { return msgr_window_get_width(o.w, out); });
         }},
        {"msgr_window_get_height", Target::window,
         [](O o) {
             return probe<int32_t>([&](auto *out) { return msgr_window_get_height(o.w, out); });
         }},
        {"msgr_window_contact", Target::window,
         [](O o) {
             return probe<msgr_contact *>([&](auto *out) { return msgr_window_contact(o.w, out); });
         }},
        {"msgr_window_get_draft", Target::window,
         [](O o) {
             return probe<const char *>([&](auto *out) { return msgr_window_get_draft(o.w, out); });
         }},
        {"msgr_window_history_count", Target::window,
         [](O o) {
             return probe<size_t>([&](auto *out) { return msgr_window_history_count(o.w, out); });
         }},
        {"msgr_window_history_get", Target::window,
         [](O o) {
             return probe_struct<msgr_message>(
                 [&](auto *out) { return msgr_window_history_get(o.w, 0, out); });
         }},
    };
    return table;
}

// Checks every row of `target` on `objects`, on this thread or on another one.
void check_all(Target target, const Objects &objects, const char *failure, bool other_thread,
               msgr_hresult expected) {
    int checked = 0;
    for (const Row &row : rows()) {
        if (row.target != target) continue;
        ++checked;
        Outcome outcome{};
        if (other_thread) {
            std::thread([&] { outcome = row.call(objects); }).join();
        } else {
            outcome = row.call(objects);
        }
        EXPECT_EQ(outcome.hr, expected)
            << row.name << " (" << failure << "): " << msgr_hresult_name(outcome.hr);
        EXPECT_TRUE(outcome.cleared)
            << row.name << " (" << failure << ") left its out-pointer as it was";
    }
    EXPECT_GT(checked, 0);
}

// A signed-in runtime with an open conversation window and a contact, all held.
struct Live {
    Host host;
    msgr_window *w = nullptr;
    msgr_contact *c = nullptr;
    Live() {
        host.signin();
        EXPECT_EQ(msgr_instant_message(host.rt, by_name("echo@loopback"), &w), MSGR_S_OK);
        EXPECT_EQ(msgr_get_contact(host.rt, "echo@loopback", nullptr, &c), MSGR_S_OK);
    }
    ~Live() {
        msgr_window_release(w);
        msgr_contact_release(c);
    }
    Live(const Live &) = delete;
    Live &operator=(const Live &) = delete;
    Objects objects() const { return {host.rt, w, c}; }
};

TEST(OutPointers, TheTableCoversEveryFunctionWithAnOutPointer) {
    EXPECT_EQ(rows().size(), 34u) << "a function with an out-pointer was added or removed";
}

TEST(OutPointers, ClearedForANullRuntimeOrHandle) {
    const Objects none;
    check_all(Target::runtime, none, "NULL runtime", false, MSGR_E_INVALIDARG);
    check_all(Target::window, none, "NULL window", false, MSGR_E_INVALIDARG);
    check_all(Target::contact, none, "NULL contact", false, MSGR_E_INVALIDARG);
}

TEST(OutPointers, ClearedOnTheWrongThread) {
    const Live live;
    check_all(Target::runtime, live.objects(), "wrong thread", true, MSGR_RPC_E_WRONG_THREAD);
    check_all(Target::window, live.objects(), "wrong thread", true, MSGR_RPC_E_WRONG_THREAD);
    check_all(Target::contact, live.objects(), "wrong thread", true, MSGR_RPC_E_WRONG_THREAD);
}

TEST(OutPointers, ClearedForADisconnectedHandle) {
    Live live;
    live.host.destroy();  // the handles still held now answer RPC_E_DISCONNECTED
    check_all(Target::window, live.objects(), "disconnected", false, MSGR_RPC_E_DISCONNECTED);
    check_all(Target::contact, live.objects(), "disconnected", false, MSGR_RPC_E_DISCONNECTED);
}

TEST(OutPointers, ClearedForAReleasedHandle) {
    LogCapture log;
    Objects gone;
    {
        Live live;
        live.host.destroy();
        gone = live.objects();
    }  // the last references go: both objects are freed
    check_all(Target::window, gone, "released", false, MSGR_E_INVALIDARG);
    check_all(Target::contact, gone, "released", false, MSGR_E_INVALIDARG);
    EXPECT_GT(log.count_at(MSGR_LOG_ERROR, "is not a live window handle"), 0u) << log.all();
}

// Failures of each function's own (not of its handle) clear the out-pointer as well.
TEST(OutPointers, ClearedOnTheFunctionsOwnFailures) {
    Host host;  // not signed in
    msgr_contact *c = reinterpret_cast<msgr_contact *>(0x1);
    EXPECT_EQ(msgr_get_contact(host.rt, "echo@loopback", nullptr, &c), MSGR_E_NOT_LOGGED_ON);
    EXPECT_EQ(c, nullptr);
    const char *name = "garbage";
    EXPECT_EQ(msgr_my_signin_name(host.rt, &name), MSGR_E_NOT_LOGGED_ON);
    EXPECT_EQ(name, nullptr);
    msgr_window *w = reinterpret_cast<msgr_window *>(0x1);
    EXPECT_EQ(msgr_script_invoke(host.rt, nullptr, by_name("echo@loopback"), &w),
              MSGR_E_INVALIDARG);
    EXPECT_EQ(w, nullptr);
    w = reinterpret_cast<msgr_window *>(0x1);
    EXPECT_EQ(msgr_script_invoke(host.rt, "Page", by_name("echo@loopback"), &w), MSGR_E_NOTIMPL);
    EXPECT_EQ(w, nullptr);
    size_t n = 7;
    ASSERT_EQ(msgr_addin_count(host.rt, &n), MSGR_S_OK);
    const Outcome info = probe_struct<msgr_addin_info>(
        [&](auto *out) { return msgr_addin_get_info(host.rt, n, out); });  // past the end
    EXPECT_EQ(info.hr, MSGR_E_INVALIDARG);
    EXPECT_TRUE(info.cleared);
    const Outcome ui = probe_struct<msgr_ui_window_info>(
        [&](auto *out) { return msgr_ui_window_get(host.rt, 0, out); });  // no window is open
    EXPECT_EQ(ui.hr, MSGR_E_INVALIDARG);
    EXPECT_TRUE(ui.cleared);
}

TEST(OutPointers, TheIndexOfASendThatFailedIsZero) {
    Live live;
    size_t index = 99;
    EXPECT_EQ(msgr_ui_send(live.w, "", &index), MSGR_E_INVALIDARG);
    EXPECT_EQ(index, 0u);
    ASSERT_EQ(msgr_window_close(live.w), MSGR_S_OK);
    index = 99;
    EXPECT_EQ(msgr_ui_send(live.w, "hello", &index), MSGR_E_FAIL);  // a closed window
    EXPECT_EQ(index, 0u);
}

}  // namespace
}  // namespace msgr::test

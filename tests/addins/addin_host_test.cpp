// The add-in host: discovery, verification before any code runs, trust, the ABI checks, guarded
// calls, states and reasons, unload rules. Every bad add-in is a real file; after each, the
// runtime must still work.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../support/addin_fixture.hpp"
#include "elf_check.hpp"

using namespace msgr::test;

namespace {

const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;
const fs::path kPaging = fs::path(MSGR_ADDIN_OUTPUT_DIR) / "paging.so";
const fs::path kHello = fs::path(MSGR_EXAMPLE_ADDIN_DIR) / "hello.so";

fs::path built(const std::string &name) {
    return kTestAddins / name / (name + ".so");
}

// Every runtime here also lists the loopback service add-in (its primary service), last.
constexpr std::size_t kLoopback = 1;

std::string sha256_of(const fs::path &f) {
    const int fd = ::open(f.c_str(), O_RDONLY);
    if (fd < 0) return {};
    std::string hash = msgr::core::sha256_file(fd);
    ::close(fd);
    return hash;
}

bool contains(const char *haystack, const std::string &needle) {
    return haystack != nullptr && std::string(haystack).find(needle) != std::string::npos;
}

// One add-in file alone in a directory: refused with a reason, and the runtime goes on.
void expect_refused(const fs::path &dir, msgr_addin_state state, msgr_addin_problem problem,
                    const std::string &reason, const std::string &extra_config = "",
                    const std::string &runtime_more = "") {
    LogCapture logs;
    Host h(addin_config({dir}, extra_config, runtime_more));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.count(), 1u + kLoopback);
    const msgr_addin_info in = h.info(0);
    EXPECT_EQ(in.state, state);
    EXPECT_EQ(in.problem, problem) << "reason: " << in.reason;
    EXPECT_TRUE(contains(in.reason, reason)) << "reason: " << in.reason;
    EXPECT_TRUE(MSGR_FAILED(in.result));
    EXPECT_EQ(in.provides, 0u);
    EXPECT_GE(logs.count(reason), 1u) << "the refusal is logged";
    // The event reports it on the first tick.
    struct Seen {
        int n = 0;
        std::string text;
    } seen;
    msgr_subscription sub = 0;
    ASSERT_EQ(msgr_subscribe(
                  h.rt, MSGR_EVENT_ADDIN_STATE_CHANGE,
                  [](const msgr_event *ev, void *u) {
                      auto *s = static_cast<Seen *>(u);
                      if (ev->index != 0) return;  // the loopback add-in's "loaded"
                      ++s->n;
                      s->text = ev->text;
                  },
                  &seen, &sub),
              MSGR_S_OK);
    h.tick();
    EXPECT_EQ(seen.n, 1);
    EXPECT_NE(seen.text.find(reason), std::string::npos) << seen.text;
    msgr_unsubscribe(h.rt, sub);
    h.still_works();
    msgr_window *w = nullptr;
    EXPECT_EQ(h.page("mobile@loopback", &w), MSGR_E_NOTIMPL);
}

TEST(AddinHost, NoAddinsMeansNoPaging) {
    TempDir empty;
    Host h(addin_config({empty.path()}));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    EXPECT_EQ(h.count(), kLoopback);
    h.signin();
    msgr_window *w = nullptr;
    EXPECT_EQ(h.page("mobile@loopback", &w), MSGR_E_NOTIMPL);
    EXPECT_EQ(w, nullptr);
}

// Skipped, with a warning: a directory the configuration names is most likely a typo.
TEST(AddinHost, MissingDirectoryIsSkippedWithAWarning) {
    LogCapture logs;
    TempDir d;
    write_file(d / "file", "");
    Host h(addin_config({"/nonexistent/msgr/addins", d / "file"}));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    EXPECT_EQ(h.count(), kLoopback);
    EXPECT_EQ(
        logs.count_at(MSGR_LOG_WARNING,
                      "add-in directory /nonexistent/msgr/addins (from runtime.addin_paths in " +
                          h.config_.string() + ") does not exist; skipped"),
        1u);
    EXPECT_EQ(logs.count_at(MSGR_LOG_WARNING, "/file (from runtime.addin_paths in " +
                                                  h.config_.string() + ") is not a directory"),
              1u);
}

TEST(AddinHost, LoadsPagingAddinAndListsIt) {
    Host h(addin_config({kPaging.parent_path()}));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    const msgr_addin_info in = h.find("paging");
    EXPECT_EQ(in.state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(in.provides, MSGR_ADDIN_PROVIDES_PAGING);
    EXPECT_STREQ(in.version, "1.0.0");
    EXPECT_STREQ(in.reason, "");
    EXPECT_EQ(in.result, MSGR_S_OK);
    EXPECT_EQ(in.abi_major, MSGR_ADDIN_ABI_MAJOR);
    EXPECT_TRUE(contains(in.path, "paging.so"));
}

TEST(AddinHost, BoostDllAliasEntryLoads) {
    Host h(addin_config({kTestAddins / "boost_alias"}));
    ASSERT_EQ(h.count(), 1u + kLoopback);
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << h.info(0).reason;
}

TEST(AddinHost, InfoChecksItsArguments) {
    Host h(addin_config({kPaging.parent_path()}));
    msgr_addin_info in{};
    in.struct_size = 4;
    EXPECT_EQ(msgr_addin_get_info(h.rt, 0, &in), MSGR_E_INVALIDARG);
    in.struct_size = sizeof in;
    EXPECT_EQ(msgr_addin_get_info(h.rt, 99, &in), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_addin_get_info(h.rt, 0, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    EXPECT_EQ(msgr_addin_count(h.rt, nullptr), MSGR_RPC_X_NULL_REF_POINTER);
    EXPECT_EQ(msgr_addin_unload(h.rt, nullptr), MSGR_E_INVALIDARG);
    EXPECT_EQ(msgr_addin_unload(h.rt, "nobody"), MSGR_E_INVALIDARG);
    std::size_t n = 0;
    std::thread([&] { EXPECT_EQ(msgr_addin_count(h.rt, &n), MSGR_RPC_E_WRONG_THREAD); }).join();
}

// ---- refused before any code runs ----

TEST(BadAddin, WrongAbiMajor) {
    expect_refused(kTestAddins / "wrong_major", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_WRONG_ABI,
                   "the major version must match");
}

TEST(BadAddin, NewerAbiMinor) {
    expect_refused(kTestAddins / "newer_minor", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_WRONG_ABI,
                   "newer than this runtime's");
}

TEST(BadAddin, MissingEntryPoint) {
    expect_refused(kTestAddins / "no_entry", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_NO_ENTRY,
                   "no entry point");
}

TEST(BadAddin, EntryPointThatIsAFunctionNotTheAlias) {
    expect_refused(kTestAddins / "function_entry", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_NO_ENTRY,
                   "is not an alias");
}

// The alias section is read from the file's own section table (check_elf), stripped or not.
TEST(BadAddin, EntryPointPointerOutsideTheAliasSection) {
    expect_refused(kTestAddins / "plain_pointer", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_NO_ENTRY,
                   "is not an alias");
}

TEST(BadAddin, EntryPointReturnsNull) {
    expect_refused(kTestAddins / "null_entry", MSGR_ADDIN_REFUSED,
                   MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR, "returned NULL");
}

TEST(BadAddin, DescriptorWithBadSize) {
    expect_refused(kTestAddins / "bad_size", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
                   "bad descriptor size: 12 bytes");
}

TEST(BadAddin, NotAnElfFile) {
    TempDir d;
    write_file(d / "readme.so", "this is not a shared library\n");
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_FILE, "not an ELF file");
}

TEST(BadAddin, EmptyFile) {
    TempDir d;
    write_file(d / "empty.so", "");
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_FILE, "not an ELF file");
}

TEST(BadAddin, TruncatedElf) {
    TempDir d;
    const std::string whole = read_file(kPaging);
    write_file(d / "paging.so", whole.substr(0, whole.size() / 2));
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_FILE, "truncated ELF file");
}

TEST(BadAddin, TruncatedElfHeader) {
    TempDir d;
    write_file(d / "paging.so", read_file(kPaging).substr(0, 40));
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_FILE, "truncated ELF file");
}

TEST(BadAddin, WrongArchitecture) {
    TempDir d;
    std::string bytes = read_file(kPaging);
    // e_machine (offset 18, little-endian) := EM_AARCH64 (183), or EM_X86_64 (62) on AArch64.
    const unsigned char other = bytes[18] == 62 ? 183 : 62;
    bytes[18] = static_cast<char>(other);
    bytes[19] = 0;
    write_file(d / "paging.so", bytes);
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_FILE, "wrong architecture");
}

TEST(BadAddin, WorldWritableFile) {
    TempDir d;
    const fs::path f = copy_addin(kPaging, d.path(), "paging.so");
    fs::permissions(f, fs::perms(0666));
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE,
                   "writable by other users");
}

TEST(BadAddin, WorldWritableDirectory) {
    TempDir d;
    const fs::path sub = d.subdir("addins");
    copy_addin(kPaging, sub, "paging.so");
    fs::permissions(sub, fs::perms(0777));
    expect_refused(sub, MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE,
                   "writable by other users");
}

TEST(BadAddin, HashNotOnAllowList) {
    TempDir d;
    copy_addin(kPaging, d.path(), "paging.so");
    expect_refused(d.path(), MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE,
                   "is not on the allow-list", "",
                   "addin_sha256 = [\"" + std::string(64, '0') + "\", \"" +
                       sha256_of(loopback_only_dir() / "loopback.so") + "\"]");
}

TEST(AddinHost, HashOnAllowListLoads) {
    TempDir d;
    const fs::path f = copy_addin(kPaging, d.path(), "paging.so");
    const int fd = ::open(f.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    const std::string hash = msgr::core::sha256_file(fd);
    ::close(fd);
    std::string upper = hash;
    for (auto &c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Host h(addin_config({d.path()}, "",
                        "addin_sha256 = [\"" + upper + "\", \"" +
                            sha256_of(loopback_only_dir() / "loopback.so") + "\"]"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << h.info(0).reason;
}

TEST(AddinHost, MalformedAllowListIsAConfigurationError) {
    TempDir d;
    Host h(addin_config({d.path()}, "", "addin_sha256 = [\"abc\"]"));
    EXPECT_EQ(h.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "not a SHA-256"));
}

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(msgr::core::sha256_hex("", 0),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(msgr::core::sha256_hex("abc", 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string million(1000000, 'a');
    EXPECT_EQ(msgr::core::sha256_hex(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// ---- pointers out of the add-in's own image: checked after loading, before they are followed ----

TEST(BadAddin, EntryPointIsADataObjectHolding42) {  // crashed msgr_runtime_create
    expect_refused(kTestAddins / "data_entry", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_NO_ENTRY,
                   "the entry point msgr_addin_entry holds 0x2a, which is not an address in the "
                   "add-in's own code");
}

TEST(BadAddin, EntryPointPointsIntoLibc) {  // called abort()
    expect_refused(kTestAddins / "libc_entry", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_NO_ENTRY,
                   "which is not an address in the add-in's own code");
}

TEST(BadAddin, DescriptorOnTheHeap) {
    expect_refused(
        kTestAddins / "heap_descriptor", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
        "which is not in the add-in's own image (or not aligned): the descriptor must be static");
}

TEST(BadAddin, DescriptorOnTheStack) {
    expect_refused(
        kTestAddins / "stack_descriptor", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
        "which is not in the add-in's own image (or not aligned): the descriptor must be static");
}

TEST(BadAddin, DescriptorInLibcData) {
    expect_refused(
        kTestAddins / "libc_descriptor", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
        "which is not in the add-in's own image (or not aligned): the descriptor must be static");
}

TEST(BadAddin, MisalignedDescriptor) {  // a read of its struct_size was undefined behaviour
    expect_refused(kTestAddins / "misaligned_descriptor", MSGR_ADDIN_REFUSED,
                   MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
                   "which is not in the add-in's own image (or not aligned)");
}

TEST(BadAddin, LoadFunctionInLibc) {
    expect_refused(kTestAddins / "libc_load", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
                   "the descriptor's load or unload function");
}

TEST(BadAddin, NameOnTheHeap) {
    expect_refused(kTestAddins / "heap_name", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
                   "the descriptor's name (0x");
}

// The same C file with its own pointers: the checks refuse only what leaves the image.
TEST(AddinHost, CAddinWithAHandMadeEntryLoads) {
    Host h(addin_config({kTestAddins / "good_c_entry"}));
    ASSERT_EQ(h.count(), 1u + kLoopback);
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << h.info(0).reason;
    EXPECT_STREQ(h.info(0).name, "good_c_entry");
}

// Stripped (no .symtab): the checks read only what the loader reads too.
TEST(AddinHost, StrippedAddinLoads) {
    TempDir d;
    const fs::path f = copy_addin(built("good_c_entry"), d.path(), "good_c_entry.so");
    const std::string strip = std::string(MSGR_STRIP) + " --strip-all " + f.string();
    ASSERT_EQ(std::system(strip.c_str()), 0) << strip;
    Host h(addin_config({d.path()}));
    ASSERT_EQ(h.count(), 1u + kLoopback);
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << h.info(0).reason;
}

int a_static_variable = 1;

TEST(LoadedImage, FindsTheSegmentsOfALoadedLibrary) {
    void *self = ::dlopen(nullptr, RTLD_NOW);  // this test program
    ASSERT_NE(self, nullptr);
    msgr::core::LoadedImage image;
    std::string why;
    ASSERT_TRUE(msgr::core::loaded_image(self, image, why)) << why;
    const auto code = reinterpret_cast<std::uintptr_t>(&sha256_of);
    const auto data = reinterpret_cast<std::uintptr_t>(&a_static_variable);
    EXPECT_TRUE(image.holds(code, 1, true));
    EXPECT_TRUE(image.holds(data, sizeof a_static_variable));
    EXPECT_FALSE(image.holds(data, 1, true)) << "data is not code";
    const auto heap = std::make_unique<int>(1);
    EXPECT_FALSE(image.holds(reinterpret_cast<std::uintptr_t>(heap.get()), 1));
    EXPECT_FALSE(image.holds(reinterpret_cast<std::uintptr_t>(&why), 1)) << "the stack";
    // libc's own abort, the next one after this program's: under a sanitizer, ::abort is its
    // interceptor, linked into this program. (A dlopen of libc here would leave the loader's
    // dependency list behind, which LeakSanitizer reports.)
    const auto libc_abort = reinterpret_cast<std::uintptr_t>(::dlsym(RTLD_NEXT, "abort"));
    ASSERT_NE(libc_abort, 0u);
    EXPECT_FALSE(image.holds(libc_abort, 1, true)) << "libc";
    ::dlclose(self);
    EXPECT_FALSE(msgr::core::loaded_image(nullptr, image, why));
}

TEST(LoadedImage, SpansEndAtTheSegmentAndNeverWrap) {
    msgr::core::LoadedImage image;
    image.segments.push_back({0x1000, 0x2000, true, false});
    image.segments.push_back({0x3000, 0x4000, true, true});
    EXPECT_EQ(image.span(0x1000), 0x1000u);
    EXPECT_EQ(image.span(0x1fff), 1u);
    EXPECT_EQ(image.span(0x2000), 0u);
    EXPECT_EQ(image.span(0xfff), 0u);
    EXPECT_EQ(image.span(0x1000, true), 0u);
    EXPECT_EQ(image.span(0x3800, true), 0x800u);
    EXPECT_TRUE(image.holds(0x1ffc, 4));
    EXPECT_FALSE(image.holds(0x1ffc, 5)) << "runs past the end";
    EXPECT_FALSE(image.holds(0x1ffc, SIZE_MAX)) << "no wrap-around";
    EXPECT_FALSE(image.holds(0x1000, 0));
    EXPECT_FALSE(image.holds(UINTPTR_MAX, 1));
}

// ---- runtime.disabled_addins: a third-party paging add-in instead of the shipped one ----

TEST(DisabledAddins, ShippedPagingSwitchedOffForAnotherProvider) {
    TempDir d;
    copy_addin(kPaging, d.path(), "paging.so");
    copy_addin(built("pager2"), d.path(), "zz-pager2.so");  // found after paging.so
    {
        // Without the setting the shipped add-in, found first, wins: the other is refused.
        Host h(addin_config({d.path()}, "[pager2]\npaging = true\n"));
        ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
        EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
        EXPECT_EQ(h.find("pager2").state, MSGR_ADDIN_REFUSED);
    }
    LogCapture logs;
    Host h(addin_config({d.path()}, "[pager2]\npaging = true\n", "disabled_addins = [\"paging\"]"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.count(), 2u + kLoopback);
    const msgr_addin_info pager = h.find("pager2");
    EXPECT_EQ(pager.state, MSGR_ADDIN_LOADED) << pager.reason;
    EXPECT_EQ(pager.provides, MSGR_ADDIN_PROVIDES_PAGING);
    // The shipped one is listed under its file's name: nothing of it ran, its descriptor unread.
    const msgr_addin_info shipped = h.find("paging.so");
    EXPECT_EQ(shipped.state, MSGR_ADDIN_DISABLED_BY_CONFIG);
    EXPECT_EQ(shipped.result, MSGR_S_OK);
    EXPECT_EQ(shipped.problem, MSGR_ADDIN_PROBLEM_DISABLED_BY_CONFIG);
    EXPECT_EQ(shipped.provides, 0u);
    EXPECT_STREQ(shipped.version, "");
    EXPECT_TRUE(contains(shipped.path, "/paging.so"));
    EXPECT_TRUE(contains(shipped.reason, "disabled by configuration: runtime.disabled_addins in " +
                                             h.config_.string() + " lists \"paging\""))
        << shipped.reason;
    EXPECT_EQ(logs.count_at(MSGR_LOG_WARNING, "add-in"), 0u) << "no refusal, no warning";
    EXPECT_EQ(logs.count("paging.so: disabled by configuration"), 1u);
    // Page works, through pager2.
    h.signin();
    std::size_t max = 0;
    EXPECT_EQ(msgr_ui_max_page_length(h.rt, &max), MSGR_S_OK);
    EXPECT_EQ(max, 100u) << "pager2's limit";
    msgr_window *w = nullptr;
    ASSERT_EQ(h.page("mobile@loopback", &w), MSGR_S_OK) << msgr_last_error();
    std::size_t index = 0;
    ASSERT_EQ(msgr_ui_send(w, "through pager2", &index), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    msgr_window_release(w);
    // Unloading it by its file's name is no unload: it is not loaded.
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging.so"), MSGR_S_FALSE);
}

TEST(DisabledAddins, ANameNoAddinHasIsAWarning) {
    LogCapture logs;
    TempDir d;
    copy_addin(kPaging, d.path(), "paging.so");
    Host h(addin_config({d.path()}, "", "disabled_addins = [\"pagign\"]"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(logs.count_at(MSGR_LOG_WARNING,
                            "lists \"pagign\", but no add-in file is named \"pagign.so\""),
              1u);
}

TEST(DisabledAddins, DisablingThePrimaryServiceSaysSo) {
    Host h(addin_config({}, "", "disabled_addins = [\"loopback\"]"));
    EXPECT_EQ(h.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "loopback.so was disabled by configuration"))
        << msgr_last_error();
}

TEST(DisabledAddins, TheSettingIsChecked) {
    Host h(addin_config({}, "", "disabled_addins = \"paging\""));
    EXPECT_EQ(h.create_hr, MSGR_E_INVALID_DATA);
    EXPECT_TRUE(contains(msgr_last_error(), "runtime.disabled_addins must be an array of strings"));
}

// ---- code that runs and misbehaves ----

TEST(BadAddin, LoadThrows) {
    expect_refused(kTestAddins / "misbehave", MSGR_ADDIN_DISABLED, MSGR_ADDIN_PROBLEM_THREW,
                   "load threw an exception", "[misbehave]\nthrow = [\"load\"]\n");
}

TEST(BadAddin, LoadFails) {
    expect_refused(kTestAddins / "misbehave", MSGR_ADDIN_REFUSED, MSGR_ADDIN_PROBLEM_LOAD_FAILED,
                   "configured to fail", "[misbehave]\nfail = [\"load\"]\n");
}

// An add-in that throws from every call: each is caught, the add-in disabled, the page failed.
void misbehaving_calls(const std::string &how) {
    LogCapture logs;
    Host h(addin_config(
        {kTestAddins / "misbehave"},
        "[misbehave]\npaging = true\n" + how + " = [\"knows_mobile\", \"submit\", \"event\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    ASSERT_EQ(h.info(0).state, MSGR_ADDIN_LOADED) << h.info(0).reason;
    h.signin();
    // knows_mobile is asked about a contact whose service did not say "mobile".
    msgr_window *w = nullptr;
    EXPECT_EQ(h.page("nobody@loopback", &w), MSGR_E_PAGING_UNAVAILABLE);
    msgr_addin_info in = h.info(0);
    EXPECT_EQ(in.state, MSGR_ADDIN_DISABLED);
    EXPECT_TRUE(contains(in.reason, "knows_mobile")) << in.reason;
    EXPECT_EQ(in.problem,
              how == "throw" ? MSGR_ADDIN_PROBLEM_THREW : MSGR_ADDIN_PROBLEM_CALL_FAILED);
    h.tick();  // the withdrawn provider is freed here
    EXPECT_EQ(h.page("mobile@loopback", &w), MSGR_E_NOTIMPL);
    h.still_works();
}

TEST(BadAddin, ThrowsFromEveryCall) {
    misbehaving_calls("throw");
}

TEST(BadAddin, ReturnsErrorsFromEveryCall) {
    misbehaving_calls("fail");
}

void misbehaving_submit(const std::string &how, msgr_hresult expected) {
    Host h(addin_config({kTestAddins / "misbehave"},
                        "[misbehave]\npaging = true\n" + how + " = [\"submit\"]\n"));
    h.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(h.page("mobile@loopback", &w), MSGR_S_OK) << msgr_last_error();
    std::size_t index = 0;
    EXPECT_EQ(msgr_ui_send(w, "hello", &index), expected);
    msgr_message m{};
    m.struct_size = sizeof m;
    ASSERT_EQ(msgr_window_history_get(w, index, &m), MSGR_S_OK);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED) << "kept in the window, marked failed";
    EXPECT_EQ(m.delivery_result, expected);
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_DISABLED);
    EXPECT_TRUE(contains(h.info(0).reason, "submit")) << h.info(0).reason;
    EXPECT_EQ(h.info(0).problem,
              how == "throw" ? MSGR_ADDIN_PROBLEM_THREW : MSGR_ADDIN_PROBLEM_CALL_FAILED);
    h.tick();
    EXPECT_EQ(msgr_ui_send(w, "again", &index), MSGR_E_NOTIMPL);
    msgr_window_release(w);
    h.still_works();
}

TEST(BadAddin, SubmitThrows) {
    misbehaving_submit("throw", MSGR_E_UNEXPECTED);
}

TEST(BadAddin, SubmitFails) {
    misbehaving_submit("fail", MSGR_E_FAIL);
}

TEST(BadAddin, EventCallbackThrows) {
    Host h(addin_config({kTestAddins / "misbehave"},
                        "[misbehave]\nevents = true\nthrow = [\"event\"]\n"));
    ASSERT_EQ(h.info(0).state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(h.info(0).provides, MSGR_ADDIN_PROVIDES_EVENTS);
    // Its own "loaded" event reaches it at the next tick, and it throws. Isolated, the event is
    // one-way: the failure comes back from its process a tick or so later.
    EXPECT_TRUE(h.tick_until([&] { return h.info(0).state != MSGR_ADDIN_LOADED; }));
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_DISABLED);
    EXPECT_TRUE(contains(h.info(0).reason, "callback threw")) << h.info(0).reason;
    EXPECT_EQ(h.info(0).problem, MSGR_ADDIN_PROBLEM_THREW);
    h.still_works();
}

TEST(BadAddin, TwoPagingProviders) {
    TempDir d;
    copy_addin(kPaging, d.path(), "paging.so");
    copy_addin(built("pager2"), d.path(), "pager2.so");  // found first: "pager2" < "paging"
    LogCapture logs;
    Host h(addin_config({d.path()}, "[pager2]\npaging = true\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    ASSERT_EQ(h.count(), 2u + kLoopback);
    EXPECT_EQ(h.find("pager2").state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(h.find("pager2").provides, MSGR_ADDIN_PROVIDES_PAGING);
    const msgr_addin_info second = h.find("paging");
    EXPECT_EQ(second.state, MSGR_ADDIN_REFUSED);
    EXPECT_TRUE(contains(second.reason, "paging is already provided by \"pager2\""))
        << second.reason;
    EXPECT_EQ(second.problem, MSGR_ADDIN_PROBLEM_LOAD_FAILED);
    h.signin();
    size_t max = 0;
    EXPECT_EQ(msgr_ui_max_page_length(h.rt, &max), MSGR_S_OK);
    EXPECT_EQ(max, 100u) << "pager2's limit: it is the one provider";
    h.still_works();
}

TEST(BadAddin, DuplicateName) {
    TempDir a, b;
    copy_addin(kPaging, a.path(), "paging.so");
    copy_addin(kPaging, b.path(), "paging-copy.so");
    Host h(addin_config({a.path(), b.path()}));
    ASSERT_EQ(h.count(), 2u + kLoopback);
    EXPECT_EQ(h.info(0).state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(h.info(1).state, MSGR_ADDIN_REFUSED);
    EXPECT_TRUE(contains(h.info(1).reason, "another add-in named \"paging\"")) << h.info(1).reason;
    EXPECT_EQ(h.info(1).problem, MSGR_ADDIN_PROBLEM_DUPLICATE);
    EXPECT_EQ(h.info(0).problem, MSGR_ADDIN_PROBLEM_NONE);
}

// ---- lifetime ----

TEST(AddinLifetime, UnloadRefusedWhilePageWindowOpen) {
    TempDir out;
    Host h(addin_config({kPaging.parent_path()},
                        "[paging]\noutbox = " + toml_string(out / "outbox.jsonl") + "\n"));
    h.signin();
    msgr_window *w = nullptr;
    ASSERT_EQ(h.page("mobile@loopback", &w), MSGR_S_OK);
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging"), MSGR_E_BUSY);
    EXPECT_TRUE(contains(msgr_last_error(), "page window is open"));
    EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    h.tick();
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging"), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_UNLOADED);
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging"), MSGR_S_FALSE);
    h.tick();
    msgr_window *w2 = nullptr;
    EXPECT_EQ(h.page("mobile@loopback", &w2), MSGR_E_NOTIMPL);
    msgr_window_release(w);
    h.still_works();
}

TEST(AddinLifetime, DependenciesLoadInOrderAndBlockUnload) {
    TempDir d;
    copy_addin(built("dependent"), d.path(), "a-dependent.so");  // found before hello
    copy_addin(kHello, d.path(), "hello.so");
    Host h(addin_config({d.path()}));
    ASSERT_EQ(h.count(), 2u + kLoopback);
    EXPECT_EQ(h.find("dependent").state, MSGR_ADDIN_LOADED) << h.find("dependent").reason;
    EXPECT_EQ(h.find("hello").state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(msgr_addin_unload(h.rt, "hello"), MSGR_E_BUSY);
    EXPECT_TRUE(contains(msgr_last_error(), "depends on"));
    EXPECT_EQ(msgr_addin_unload(h.rt, "dependent"), MSGR_S_OK);
    EXPECT_EQ(msgr_addin_unload(h.rt, "hello"), MSGR_S_OK);
}

TEST(AddinLifetime, MissingDependencyIsRefused) {
    expect_refused(kTestAddins / "dependent", MSGR_ADDIN_REFUSED,
                   MSGR_ADDIN_PROBLEM_MISSING_DEPENDENCY, "depends on \"hello\"");
}

TEST(AddinLifetime, ExampleAddinReceivesEventsUntilUnloaded) {
    LogCapture logs;
    TempDir d;
    copy_addin(kHello, d.path(), "hello.so");
    Host h(addin_config({d.path()}, "[hello]\ngreeting = \"ahoy\"\n"));
    ASSERT_EQ(h.find("hello").state, MSGR_ADDIN_LOADED) << h.find("hello").reason;
    EXPECT_EQ(h.find("hello").provides, MSGR_ADDIN_PROVIDES_EVENTS);
    h.still_works();  // echo answers: one message received
    // Isolated, the event is one-way and its log line comes from the add-in's process a tick or
    // so later.
    EXPECT_TRUE(h.tick_until([&] { return logs.count("ahoy (MSGR_EVENT_MESSAGE_RECEIVED") > 0; }))
        << logs.all();
    EXPECT_EQ(logs.count("ahoy (MSGR_EVENT_MESSAGE_RECEIVED 1: still here?)"), 1u);
    ASSERT_EQ(msgr_addin_unload(h.rt, "hello"), MSGR_S_OK);
    h.still_works();  // its slot is gone: no second line, and nothing calls unmapped code
    EXPECT_EQ(logs.count("ahoy (MSGR_EVENT_MESSAGE_RECEIVED"), 1u);
}

TEST(AddinLifetime, UnknownConfigTableIsReported) {
    LogCapture logs;
    TempDir d;
    Host h(addin_config({d.path()}, "[pagign]\nmax_length = 10\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK);
    EXPECT_EQ(logs.count("[pagign] is not read by any loaded add-in"), 1u);
}

}  // namespace

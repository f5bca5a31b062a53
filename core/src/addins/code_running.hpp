// Room: the mark "add-in code is running on this thread", set around every call into an
// in-process add-in (guard(), and the library's static constructors and entry point while it is
// opened) and read by the UI functions (msgr_ui_*), which refuse add-in code: only the user
// sends, moves and activates windows. A count per thread (calls nest: a paging provider's
// submit hands a page to a contact's service, another guarded call); add-in code runs on the
// owner thread here, and the UI functions refuse every other thread anyway.
#pragma once

namespace msgr::core {

inline thread_local unsigned g_addin_code_depth = 0;

// Whether add-in code is running on this thread (a guarded call is on its stack).
inline bool addin_code_running() noexcept {
    return g_addin_code_depth != 0;
}

// Marks add-in code running for its lifetime.
class AddinCodeScope {
  public:
    AddinCodeScope() noexcept { ++g_addin_code_depth; }
    ~AddinCodeScope() { --g_addin_code_depth; }
    AddinCodeScope(const AddinCodeScope &) = delete;
    AddinCodeScope &operator=(const AddinCodeScope &) = delete;
};

}  // namespace msgr::core

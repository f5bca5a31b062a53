// libcurl loaded on demand: see curl_library.hpp.
#include "curl_library.hpp"

#include <dlfcn.h>

namespace msgr::paging {

namespace {

struct Loaded {
    Curl curl{};
    bool ok = false;
    std::string why;
};

// dlsym's answer as the function pointer type of `slot`; false (and why) when it is missing.
template <class F>
bool resolve(void *lib, const char *name, F &slot, std::string &why) {
    void *sym = ::dlsym(lib, name);
    if (sym == nullptr) {
        why = std::string(MSGR_CURL_SONAME " has no ") + name;
        return false;
    }
    slot = reinterpret_cast<F>(sym);  // POSIX: a function's address as void *
    return true;
}

Loaded load() {
    Loaded l;
    void *lib = ::dlopen(MSGR_CURL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib == nullptr) {
        const char *err = ::dlerror();  // NOLINT(concurrency-mt-unsafe): once, under the static
        l.why = std::string("cannot load " MSGR_CURL_SONAME ": ") + (err != nullptr ? err : "?");
        return l;
    }
    Curl &c = l.curl;
    std::string &why = l.why;
    l.ok = resolve(lib, "curl_global_init", c.global_init, why) &&
           resolve(lib, "curl_global_cleanup", c.global_cleanup, why) &&
           resolve(lib, "curl_easy_init", c.easy_init, why) &&
           resolve(lib, "curl_easy_cleanup", c.easy_cleanup, why) &&
           resolve(lib, "curl_easy_setopt", c.easy_setopt, why) &&
           resolve(lib, "curl_easy_getinfo", c.easy_getinfo, why) &&
           resolve(lib, "curl_easy_strerror", c.easy_strerror, why) &&
           resolve(lib, "curl_slist_append", c.slist_append, why) &&
           resolve(lib, "curl_slist_free_all", c.slist_free_all, why) &&
           resolve(lib, "curl_multi_init", c.multi_init, why) &&
           resolve(lib, "curl_multi_cleanup", c.multi_cleanup, why) &&
           resolve(lib, "curl_multi_add_handle", c.multi_add_handle, why) &&
           resolve(lib, "curl_multi_remove_handle", c.multi_remove_handle, why) &&
           resolve(lib, "curl_multi_perform", c.multi_perform, why) &&
           resolve(lib, "curl_multi_info_read", c.multi_info_read, why) &&
           resolve(lib, "curl_multi_poll", c.multi_poll, why) &&
           resolve(lib, "curl_multi_wakeup", c.multi_wakeup, why);
    return l;  // the handle is never closed (RTLD_NODELETE keeps it anyway)
}

}  // namespace

const Curl *load_curl(std::string &why) {
    static const Loaded loaded = load();  // thread-safe, once
    if (!loaded.ok) {
        why = loaded.why;
        return nullptr;
    }
    return &loaded.curl;
}

}  // namespace msgr::paging

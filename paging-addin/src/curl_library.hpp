// libcurl for the paging add-in's webhook gateway, loaded when that gateway is configured rather
// than linked: libcurl brings some thirty libraries (GnuTLS, nghttp2, LDAP, SSH, Kerberos, ...),
// and loading them costs ~7 ms, which is most of the add-in's start in a process of its own. The
// default gateway (the outbox file) never needs them, so it does not pay for them.
//
// The table holds exactly the functions the add-in calls, each with libcurl's own type
// (decltype of the declaration in <curl/curl.h>), resolved once per process.
#pragma once

#include <string>

#include <curl/curl.h>

namespace msgr::paging {

struct Curl {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_global_cleanup) global_cleanup;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
    decltype(&::curl_multi_init) multi_init;
    decltype(&::curl_multi_cleanup) multi_cleanup;
    decltype(&::curl_multi_add_handle) multi_add_handle;
    decltype(&::curl_multi_remove_handle) multi_remove_handle;
    decltype(&::curl_multi_perform) multi_perform;
    decltype(&::curl_multi_info_read) multi_info_read;
    decltype(&::curl_multi_poll) multi_poll;
    decltype(&::curl_multi_wakeup) multi_wakeup;
};

// The library (MSGR_CURL_SONAME), loaded and resolved on the first call and kept for the life of
// the process (never unloaded: its TLS libraries' destructors do not survive a dlclose). nullptr
// when it cannot be loaded or lacks a function, with why (the loader's words); every later call
// answers the same.
const Curl *load_curl(std::string &why);

}  // namespace msgr::paging

// Room: the answers of msgr_host_config_* from an add-in's own table (shared by the runtime and
// the add-in host program). It may touch the given toml::table only: no msgr_host_ctx, no
// AddinHost, no Runtime.
#include "config_view.hpp"

#include <iterator>
#include <string_view>

namespace msgr::core::config_view {

namespace {

msgr_hresult node(const toml::table *table, const char *key, const toml::node *&out) {
    if (key == nullptr) return MSGR_E_INVALIDARG;
    if (table == nullptr) return MSGR_S_FALSE;
    const auto view = table->at_path(std::string_view(key));
    if (!view) return MSGR_S_FALSE;
    out = view.node();
    return MSGR_S_OK;
}

// The index-th key of t (a toml::key owns a std::string: NUL-terminated).
msgr_hresult nth_key(const toml::table &t, std::size_t index, const char **out) {
    if (index >= t.size()) return MSGR_S_FALSE;
    auto it = t.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(index));
    *out = it->first.str().data();
    return MSGR_S_OK;
}

}  // namespace

msgr_hresult string(const toml::table *table, const char *key, const char **out) {
    if (out == nullptr) return MSGR_E_INVALIDARG;
    const toml::node *n = nullptr;
    const msgr_hresult hr = node(table, key, n);
    if (hr != MSGR_S_OK) return hr;
    const auto *s = n->as_string();
    if (s == nullptr) return MSGR_E_INVALIDARG;
    *out = s->get().c_str();
    return MSGR_S_OK;
}

msgr_hresult integer(const toml::table *table, const char *key, std::int64_t *out) {
    if (out == nullptr) return MSGR_E_INVALIDARG;
    const toml::node *n = nullptr;
    const msgr_hresult hr = node(table, key, n);
    if (hr != MSGR_S_OK) return hr;
    const auto *i = n->as_integer();
    if (i == nullptr) return MSGR_E_INVALIDARG;
    *out = i->get();
    return MSGR_S_OK;
}

msgr_hresult boolean(const toml::table *table, const char *key, int *out) {
    if (out == nullptr) return MSGR_E_INVALIDARG;
    const toml::node *n = nullptr;
    const msgr_hresult hr = node(table, key, n);
    if (hr != MSGR_S_OK) return hr;
    const auto *b = n->as_boolean();
    if (b == nullptr) return MSGR_E_INVALIDARG;
    *out = b->get() ? 1 : 0;
    return MSGR_S_OK;
}

msgr_hresult array_size(const toml::table *table, const char *key, std::size_t *out) {
    if (out == nullptr) return MSGR_E_INVALIDARG;
    const toml::node *n = nullptr;
    const msgr_hresult hr = node(table, key, n);
    if (hr != MSGR_S_OK) return hr;
    const auto *a = n->as_array();
    if (a == nullptr) return MSGR_E_INVALIDARG;
    *out = a->size();
    return MSGR_S_OK;
}

msgr_hresult array_string(const toml::table *table, const char *key, std::size_t index,
                          const char **out) {
    if (out == nullptr) return MSGR_E_INVALIDARG;
    const toml::node *n = nullptr;
    const msgr_hresult hr = node(table, key, n);
    if (hr != MSGR_S_OK) return hr;
    const auto *a = n->as_array();
    if (a == nullptr || index >= a->size()) return MSGR_E_INVALIDARG;
    const auto *s = a->get(index)->as_string();
    if (s == nullptr) return MSGR_E_INVALIDARG;
    *out = s->get().c_str();
    return MSGR_S_OK;
}

msgr_hresult key(const toml::table *table, std::size_t index, const char **out) {
    if (out == nullptr) return MSGR_E_INVALIDARG;
    if (table == nullptr) return MSGR_S_FALSE;
    return nth_key(*table, index, out);
}

msgr_hresult key_at(const toml::table *table, const char *path, std::size_t index,
                    const char **out) {
    if (path == nullptr || out == nullptr) return MSGR_E_INVALIDARG;
    if (table == nullptr) return MSGR_S_FALSE;
    const toml::table *t = table;
    if (*path != '\0') {
        const auto view = table->at_path(std::string_view(path));
        if (!view) return MSGR_S_FALSE;
        t = view.node()->as_table();
        if (t == nullptr) return MSGR_E_INVALIDARG;
    }
    return nth_key(*t, index, out);
}

}  // namespace msgr::core::config_view

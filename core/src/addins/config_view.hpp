// The configuration host functions' answers (msgr_host_config_*), computed from an add-in's own
// table: shared by the runtime (in-process add-ins) and the add-in host program (isolated ones,
// which get their table as TOML text in the Load frame), so that both answer the same way.
// Strings returned point into the table: valid while it lives.
#pragma once

#include <cstddef>
#include <cstdint>

#include "msgr/msgr.h"
#include "toml.hpp"

namespace msgr::core::config_view {

// table: the add-in's table, or nullptr when it has none (every key is then absent: S_FALSE).
msgr_hresult string(const toml::table *table, const char *key, const char **out);
msgr_hresult integer(const toml::table *table, const char *key, std::int64_t *out);
msgr_hresult boolean(const toml::table *table, const char *key, int *out);
msgr_hresult array_size(const toml::table *table, const char *key, std::size_t *out);
msgr_hresult array_string(const toml::table *table, const char *key, std::size_t index,
                          const char **out);
msgr_hresult key(const toml::table *table, std::size_t index, const char **out);
msgr_hresult key_at(const toml::table *table, const char *path, std::size_t index,
                    const char **out);

}  // namespace msgr::core::config_view

// Where the database files live, and making that place: directories 0700, the file 0600 (the
// history is private: only its user may read it).
#pragma once

#include <cstdint>
#include <string>

#include "msgr/msgr.h"

namespace msgr::core::history {

// Records a file system failure: hresult_of_errno(err) (sqlite.hpp), "<what>: <strerror>".
msgr_hresult errno_fail(int err, const std::string &what);

// Makes the file's missing parent directories (mode 0700) and, when it does not exist, the
// file itself, empty, with mode 0600 (SQLite gives its -wal and -shm files the same mode).
msgr_hresult prepare_file(const std::string &path);

// The search index's file of the history database at `path`: "<path>-index" (its own -wal and
// -shm beside it).
std::string index_path(const std::string &path);

// Moves a database that is not ours (or corrupt) aside: path -> "<path>.corrupt-<unix_ms>" (its
// -wal with it; the -shm is only a cache of the -wal and is removed). Returns the new name.
msgr_hresult move_aside(const std::string &path, std::int64_t unix_ms, std::string &moved_to);

}  // namespace msgr::core::history

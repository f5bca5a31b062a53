// Where the add-in's XEP-0313 catch-up resumes: the archive id of the last message it handed to
// the runtime, per account, in a small file of its own, $XDG_DATA_HOME/msgr/xmpp/<account>.mam
// (the directory 0700, the file 0600: it says when the user last read what). Written whole to a
// temporary file and renamed over the old one, so a crash leaves the old or the new id.
#pragma once

#include <string>

namespace msgr_xmpp {

// The file of an account (its bare JID; bytes other than [A-Za-z0-9._@-] are written %xx).
// data_home: $XDG_DATA_HOME, or "" for $HOME/.local/share. "" when neither is known.
std::string archive_mark_path(const std::string &data_home, const std::string &account);

// The id in the file; "" when there is none (no file, unreadable, or not an id).
std::string read_archive_mark(const std::string &path);

// Writes the id; false with why on failure (the catch-up then starts from the older id).
bool write_archive_mark(const std::string &path, const std::string &id, std::string &why);

}  // namespace msgr_xmpp

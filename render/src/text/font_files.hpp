// The font files the overlay draws with, in order of preference: a code point is drawn from
// the first file that has a glyph for it. Each file is mapped into memory once (read-only,
// shared by every atlas build, on any thread) and stays mapped while the FontFiles lives.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace msgr::render::text {

struct FontFile {
    std::string path;
    const unsigned char *data = nullptr;
    std::size_t size = 0;
};

class FontFiles {
  public:
    // Maps every file of `paths`; one that cannot be opened is left out with a log line (on
    // stderr) and counted in missing(). An empty `paths`: debian_defaults().
    explicit FontFiles(std::vector<std::string> paths);
    ~FontFiles();
    FontFiles(const FontFiles &) = delete;
    FontFiles &operator=(const FontFiles &) = delete;

    const std::vector<FontFile> &files() const noexcept { return files_; }
    std::size_t missing() const noexcept { return missing_; }

    // Debian's Noto fonts (fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji): Latin,
    // Greek and Cyrillic, Arabic, Hebrew, Chinese / Japanese / Korean, colour emoji, symbols.
    static std::vector<std::string> debian_defaults();

  private:
    std::vector<FontFile> files_;
    std::size_t missing_ = 0;
};

}  // namespace msgr::render::text

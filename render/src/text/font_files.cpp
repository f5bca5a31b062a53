#include "font_files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace msgr::render::text {

std::vector<std::string> FontFiles::debian_defaults() {
    return {
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansSymbols-Regular.ttf",
    };
}

FontFiles::FontFiles(std::vector<std::string> paths) {
    if (paths.empty()) paths = debian_defaults();
    for (std::string &path : paths) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        void *data = MAP_FAILED;
        if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size > 0)
            data = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd,
                          0);
        const int err = errno;
        char why[128] = "";
        if (fd >= 0) ::close(fd);
        if (data == MAP_FAILED) {
            const char *reason = strerror_r(err, why, sizeof why);
            (void)std::fprintf(stderr, "msgr overlay: font file %s not usable (%s); left out\n",
                               path.c_str(), reason);
            ++missing_;
            continue;
        }
        files_.push_back(FontFile{std::move(path), static_cast<const unsigned char *>(data),
                                  static_cast<std::size_t>(st.st_size)});
    }
    if (files_.empty()) {
        (void)std::fprintf(stderr,
                           "msgr overlay: no font file usable; drawing with ImGui's default "
                           "font (Latin only)\n");
    }
}

FontFiles::~FontFiles() {
    for (const FontFile &f : files_)
        ::munmap(const_cast<unsigned char *>(f.data), f.size);
}

}  // namespace msgr::render::text

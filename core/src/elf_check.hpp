// Checks an add-in file without running any of it: a bounds-checked reading of the ELF header,
// section table and dynamic symbol table. (Not Boost.DLL 1.74's library_info: it trusts the
// offsets it reads, does not look at the machine, and names symbols from the wrong string
// table in some files -- a C add-in with debug information had its alias listed as "ine_str".)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace msgr::core {

struct ElfReport {
    bool ok = false;
    std::string reason;             // why the file is refused, when !ok
    bool has_symtab = false;        // a static symbol table is present (not stripped)
    bool dynsym_entry = false;      // the dynamic symbol table defines `entry` (what dlsym finds)
    bool entry_is_pointer = false;  // ... as a data object the size of a pointer (an alias)
    bool entry_in_alias_section = false;  // ... in the section "boostdll" (BOOST_DLL_ALIAS's)
};

// Reads the open file `fd` of `size` bytes. `entry` is the symbol to look for in .dynsym.
ElfReport check_elf(int fd, std::uint64_t size, const char *entry);

// An add-in as the loader mapped it: its PT_LOAD segments (from dl_iterate_phdr), to check that
// the pointers it hands over point into itself before they are followed. Its entry point must
// hold the address of its own code, and its descriptor (with every string and function in it)
// must lie in its own image: anything else -- a data object holding 42, a pointer to libc, a
// descriptor on the heap or the stack -- would be called or read blind.
struct LoadedImage {
    struct Segment {
        std::uintptr_t begin = 0, end = 0;  // [begin, end) as mapped (p_memsz: .bss included)
        bool readable = false, executable = false;
    };
    std::vector<Segment> segments;

    // The bytes from p to the end of the segment that holds p, among the readable segments
    // (or, with code, the executable ones); 0 when none holds it.
    std::size_t span(std::uintptr_t p, bool code = false) const noexcept;
    // Whether [p, p + n) lies inside one segment (n >= 1).
    bool holds(std::uintptr_t p, std::size_t n, bool code = false) const noexcept {
        return n > 0 && span(p, code) >= n;
    }
};

// The image of the library `handle` (what dlopen returned) came from: found through its link
// map's dynamic section (dlinfo RTLD_DI_LINKMAP), then its program headers (dl_iterate_phdr).
// False, with the reason in `why`, when it cannot be found.
bool loaded_image(void *handle, LoadedImage &out, std::string &why);

// The lowercase hex SHA-256 of the open file `fd` (read from offset 0); "" if it cannot be read.
std::string sha256_file(int fd);
std::string sha256_hex(const void *data, std::size_t size);

}  // namespace msgr::core

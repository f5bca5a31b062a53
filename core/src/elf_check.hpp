// Checks an add-in file without running any of it: a bounds-checked reading of the ELF header,
// section table and dynamic symbol table. Boost.DLL 1.74's library_info trusts the offsets it
// reads (and does not look at the machine), so this runs first and library_info only reads
// files this accepted.
#pragma once

#include <cstdint>
#include <string>

namespace msgr::core {

struct ElfReport {
    bool ok = false;
    std::string reason;             // why the file is refused, when !ok
    bool has_symtab = false;        // a static symbol table is present (library_info needs it)
    bool dynsym_entry = false;      // the dynamic symbol table defines `entry` (what dlsym finds)
    bool entry_is_pointer = false;  // ... as a data object the size of a pointer (an alias)
};

// Reads the open file `fd` of `size` bytes. `entry` is the symbol to look for in .dynsym.
ElfReport check_elf(int fd, std::uint64_t size, const char *entry);

// The lowercase hex SHA-256 of the open file `fd` (read from offset 0); "" if it cannot be read.
std::string sha256_file(int fd);
std::string sha256_hex(const void *data, std::size_t size);

}  // namespace msgr::core

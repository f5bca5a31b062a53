// Fuzzes the add-in file check (core/src/elf_check.cpp): the bytes of a file found in an add-in
// folder are untrusted, and they are parsed before anything of them runs. The input becomes an
// in-memory file; check_elf must answer (accept or refuse with a reason) for any bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "elf_check.hpp"
#include "fuzz_check.hpp"
#include "msgr/addin.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const int fd = memfd_create("addin", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0);
        done += static_cast<std::size_t>(n);
    }
    const msgr::core::ElfReport report = msgr::core::check_elf(fd, size, MSGR_ADDIN_ENTRY_SYMBOL);
    FUZZ_CHECK(report.ok == report.reason.empty());
    // What is said of the entry point is said of a symbol that was found.
    FUZZ_CHECK(report.dynsym_entry || (!report.entry_is_pointer && !report.entry_in_alias_section));
    // The file hash (the allow-list's) agrees with the in-memory one.
    FUZZ_CHECK(msgr::core::sha256_file(fd) == msgr::core::sha256_hex(data, size));
    close(fd);
    return 0;
}

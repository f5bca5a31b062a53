#include "elf_check.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

namespace msgr::core {

namespace {

#if defined(__x86_64__)
constexpr std::uint16_t kMachine = EM_X86_64;
constexpr const char *kMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr std::uint16_t kMachine = EM_AARCH64;
constexpr const char *kMachineName = "AArch64";
#elif defined(__i386__)
constexpr std::uint16_t kMachine = EM_386;
constexpr const char *kMachineName = "i386";
#elif defined(__riscv)
constexpr std::uint16_t kMachine = EM_RISCV;
constexpr const char *kMachineName = "RISC-V";
#else
#error "add the ELF machine of this architecture"
#endif

#if UINTPTR_MAX == 0xffffffffffffffffu
using Ehdr = Elf64_Ehdr;
using Shdr = Elf64_Shdr;
using Sym = Elf64_Sym;
constexpr unsigned char kClass = ELFCLASS64;
#else
using Ehdr = Elf32_Ehdr;
using Shdr = Elf32_Shdr;
using Sym = Elf32_Sym;
constexpr unsigned char kClass = ELFCLASS32;
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kData = ELFDATA2LSB;
#else
constexpr unsigned char kData = ELFDATA2MSB;
#endif

bool read_at(int fd, std::uint64_t offset, void *out, std::size_t n) {
    auto *p = static_cast<unsigned char *>(out);
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
        offset += static_cast<std::uint64_t>(r);
    }
    return true;
}

// off + len within size, without overflow.
bool in_file(std::uint64_t off, std::uint64_t len, std::uint64_t size) {
    return off <= size && len <= size - off;
}

const char *machine_name(std::uint16_t m) {
    switch (m) {
        case EM_X86_64:
            return "x86-64";
        case EM_386:
            return "i386";
        case EM_AARCH64:
            return "AArch64";
        case EM_ARM:
            return "ARM";
        case EM_RISCV:
            return "RISC-V";
        case EM_PPC64:
            return "PowerPC64";
        default:
            return nullptr;
    }
}

}  // namespace

ElfReport check_elf(int fd, std::uint64_t size, const char *entry) {
    ElfReport r;
    unsigned char ident[EI_NIDENT] = {};
    if (size < 4 || !read_at(fd, 0, ident, 4) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
        r.reason = "not an ELF file";
        return r;
    }
    if (size < sizeof(Ehdr)) {
        r.reason =
            "truncated ELF file (" + std::to_string(size) + " bytes, shorter than its header)";
        return r;
    }
    Ehdr eh{};
    if (!read_at(fd, 0, &eh, sizeof eh)) {
        r.reason = "cannot read the ELF header";
        return r;
    }
    if (eh.e_ident[EI_CLASS] != kClass) {
        r.reason = std::string("wrong architecture: a ") +
                   (eh.e_ident[EI_CLASS] == ELFCLASS32 ? "32" : "64") +
                   "-bit ELF file, this runtime is " + (kClass == ELFCLASS64 ? "64" : "32") +
                   "-bit";
        return r;
    }
    if (eh.e_ident[EI_DATA] != kData) {
        r.reason = "wrong architecture: the ELF file has the other byte order";
        return r;
    }
    if (eh.e_machine != kMachine) {
        const char *name = machine_name(eh.e_machine);
        r.reason = std::string("wrong architecture: built for ") +
                   (name ? name : "ELF machine " + std::to_string(eh.e_machine)) +
                   ", this runtime is " + kMachineName;
        return r;
    }
    if (eh.e_type != ET_DYN) {
        r.reason = "not a shared library (ELF type " + std::to_string(eh.e_type) + ")";
        return r;
    }
    if (eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum) {
        r.reason = "malformed ELF file: no usable section table";
        return r;
    }
    if (!in_file(eh.e_shoff, std::uint64_t{eh.e_shnum} * sizeof(Shdr), size)) {
        r.reason = "truncated ELF file: the section table lies past its end (" +
                   std::to_string(size) + " bytes)";
        return r;
    }
    if (!in_file(eh.e_phoff, std::uint64_t{eh.e_phnum} * eh.e_phentsize, size)) {
        r.reason = "truncated ELF file: the program headers lie past its end";
        return r;
    }
    std::vector<Shdr> sh(eh.e_shnum);
    if (!read_at(fd, eh.e_shoff, sh.data(), sh.size() * sizeof(Shdr))) {
        r.reason = "cannot read the section table";
        return r;
    }
    for (std::size_t i = 0; i < sh.size(); ++i) {
        if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_type == SHT_NULL) continue;
        if (!in_file(sh[i].sh_offset, sh[i].sh_size, size)) {
            r.reason = "truncated ELF file: section " + std::to_string(i) + " lies past its end (" +
                       std::to_string(size) + " bytes)";
            return r;
        }
    }
    // String tables must end with a NUL, so that no name read from them runs off the end.
    auto strtab_ok = [&](std::size_t i) {
        if (i >= sh.size() || sh[i].sh_type != SHT_STRTAB || sh[i].sh_size == 0) return false;
        char last = 1;
        return read_at(fd, sh[i].sh_offset + sh[i].sh_size - 1, &last, 1) && last == '\0';
    };
    if (!strtab_ok(eh.e_shstrndx)) {
        r.reason = "malformed ELF file: bad section name table";
        return r;
    }
    for (std::size_t i = 0; i < sh.size(); ++i) {
        if (sh[i].sh_type == SHT_STRTAB && !strtab_ok(i)) {
            r.reason =
                "malformed ELF file: string table " + std::to_string(i) + " is not terminated";
            return r;
        }
        if (sh[i].sh_type == SHT_SYMTAB || sh[i].sh_type == SHT_DYNSYM) {
            if (sh[i].sh_entsize != sizeof(Sym) || !strtab_ok(sh[i].sh_link)) {
                r.reason = "malformed ELF file: bad symbol table " + std::to_string(i);
                return r;
            }
        }
        if (sh[i].sh_type == SHT_SYMTAB) r.has_symtab = true;
    }
    // Whether section i is named `want` (the name table ends with a NUL: checked above).
    auto section_named = [&](std::size_t i, const char *want) {
        const Shdr &names = sh[eh.e_shstrndx];
        if (i >= sh.size() || sh[i].sh_name >= names.sh_size) return false;
        const std::size_t len = std::strlen(want);
        if (names.sh_size - sh[i].sh_name < len + 1) return false;
        std::vector<char> got(len + 1);
        return read_at(fd, names.sh_offset + sh[i].sh_name, got.data(), got.size()) &&
               std::memcmp(got.data(), want, len + 1) == 0;
    };
    // The dynamic symbol table: what the loader (and dlsym) will find.
    const std::size_t entry_len = std::strlen(entry);
    for (const auto &s : sh) {
        if (s.sh_type != SHT_DYNSYM) continue;
        const Shdr &str = sh[s.sh_link];
        const std::uint64_t count = s.sh_size / sizeof(Sym);
        if (count > (1u << 22)) {
            r.reason = "malformed ELF file: implausibly many dynamic symbols";
            return r;
        }
        std::vector<Sym> syms(static_cast<std::size_t>(count));
        if (count > 0 && !read_at(fd, s.sh_offset, syms.data(), syms.size() * sizeof(Sym))) {
            r.reason = "cannot read the dynamic symbol table";
            return r;
        }
        std::vector<char> name(entry_len + 1);
        for (const auto &sym : syms) {
            if (sym.st_shndx == SHN_UNDEF || sym.st_name >= str.sh_size) continue;
            if (str.sh_size - sym.st_name < entry_len + 1) continue;
            if (!read_at(fd, str.sh_offset + sym.st_name, name.data(), name.size())) continue;
            if (std::memcmp(name.data(), entry, entry_len + 1) != 0) continue;
            r.dynsym_entry = true;
#if UINTPTR_MAX == 0xffffffffffffffffu
            const unsigned type = ELF64_ST_TYPE(sym.st_info);
#else
            const unsigned type = ELF32_ST_TYPE(sym.st_info);
#endif
            r.entry_is_pointer = type == STT_OBJECT && sym.st_size == sizeof(void *);
            r.entry_in_alias_section = section_named(sym.st_shndx, "boostdll");
        }
    }
    r.ok = true;
    return r;
}

// ---- the loaded image ------------------------------------------------------------------------

std::size_t LoadedImage::span(std::uintptr_t p, bool code) const noexcept {
    for (const auto &s : segments) {
        if (!(code ? s.executable : s.readable)) continue;
        if (p >= s.begin && p < s.end) return static_cast<std::size_t>(s.end - p);
    }
    return 0;
}

namespace {

struct FindImage {
    std::uintptr_t dynamic;  // the library's PT_DYNAMIC as mapped (its link map's l_ld)
    LoadedImage *out;
    bool found;
};

int find_image(struct dl_phdr_info *info, std::size_t, void *data) {
    auto *f = static_cast<FindImage *>(data);
    bool mine = false;
    for (std::size_t i = 0; i < info->dlpi_phnum; ++i) {
        const auto &ph = info->dlpi_phdr[i];
        mine = mine || (ph.p_type == PT_DYNAMIC && info->dlpi_addr + ph.p_vaddr == f->dynamic);
    }
    if (!mine) return 0;
    for (std::size_t i = 0; i < info->dlpi_phnum; ++i) {
        const auto &ph = info->dlpi_phdr[i];
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        LoadedImage::Segment s;
        s.begin = info->dlpi_addr + ph.p_vaddr;
        s.end = s.begin + ph.p_memsz;
        if (s.end < s.begin) continue;  // wraps: no such mapping
        s.readable = (ph.p_flags & PF_R) != 0;
        s.executable = (ph.p_flags & PF_X) != 0;
        f->out->segments.push_back(s);
    }
    f->found = true;
    return 1;
}

}  // namespace

bool loaded_image(void *handle, LoadedImage &out, std::string &why) {
    out.segments.clear();
    struct link_map *lm = nullptr;
    if (handle == nullptr || ::dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || lm == nullptr) {
        const char *e = ::dlerror();
        why = std::string("dlinfo: ") + (e != nullptr ? e : "no link map");
        return false;
    }
    FindImage f{reinterpret_cast<std::uintptr_t>(lm->l_ld), &out, false};
    ::dl_iterate_phdr(&find_image, &f);
    if (!f.found || out.segments.empty()) {
        why = "the loader lists no program headers for it";
        return false;
    }
    return true;
}

// ---- SHA-256 (FIPS 180-4) -------------------------------------------------------------------

namespace {

class Sha256 {
  public:
    void update(const unsigned char *p, std::size_t n) {
        total_ += n;
        while (n > 0) {
            const std::size_t take = std::min(n, std::size_t{64} - used_);
            std::memcpy(buf_.data() + used_, p, take);
            used_ += take;
            p += take;
            n -= take;
            if (used_ == 64) {
                block(buf_.data());
                used_ = 0;
            }
        }
    }
    std::string hex() {
        const std::uint64_t bits = total_ * 8;
        const unsigned char pad = 0x80;
        update(&pad, 1);
        const unsigned char zero = 0;
        while (used_ != 56)
            update(&zero, 1);
        unsigned char len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
        update(len, 8);
        static const char digits[] = "0123456789abcdef";
        std::string out;
        for (std::uint32_t v : h_) {
            for (int i = 28; i >= 0; i -= 4)
                out.push_back(digits[(v >> i) & 0xf]);
        }
        return out;
    }

  private:
    static std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
    void block(const unsigned char *p) {
        static constexpr std::uint32_t k[64] = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2};
        std::uint32_t w[64];
        for (std::size_t i = 0; i < 16; ++i) {
            w[i] = (std::uint32_t{p[4 * i]} << 24) | (std::uint32_t{p[4 * i + 1]} << 16) |
                   (std::uint32_t{p[4 * i + 2]} << 8) | std::uint32_t{p[4 * i + 3]};
        }
        for (int i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6],
                      h = h_[7];
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
            const std::uint32_t ch = (e & f) ^ (~e & g);
            const std::uint32_t t1 = h + s1 + ch + k[i] + w[i];
            const std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
            const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
            const std::uint32_t t2 = s0 + maj;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h_[0] += a;
        h_[1] += b;
        h_[2] += c;
        h_[3] += d;
        h_[4] += e;
        h_[5] += f;
        h_[6] += g;
        h_[7] += h;
    }

    std::array<std::uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<unsigned char, 64> buf_{};
    std::size_t used_ = 0;
    std::uint64_t total_ = 0;
};

}  // namespace

std::string sha256_hex(const void *data, std::size_t size) {
    Sha256 s;
    s.update(static_cast<const unsigned char *>(data), size);
    return s.hex();
}

std::string sha256_file(int fd) {
    Sha256 s;
    std::vector<unsigned char> buf(1 << 16);
    std::uint64_t off = 0;
    for (;;) {
        const ssize_t r = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off));
        if (r < 0) return "";
        if (r == 0) break;
        s.update(buf.data(), static_cast<std::size_t>(r));
        off += static_cast<std::uint64_t>(r);
    }
    return s.hex();
}

}  // namespace msgr::core

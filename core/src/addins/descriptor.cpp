// Room: reading and checking an add-in's descriptor (shared by the runtime and the add-in host
// program). It may touch the loaded library (dlsym, its mapped image) and nothing of the
// runtime: no msgr_host_ctx, no AddinHost, no Runtime, no logging.
#include "descriptor.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>

#include "elf_check.hpp"

namespace msgr::core {

namespace {

constexpr std::size_t kDescriptorV1Size =
    offsetof(msgr_addin_descriptor, unload) + sizeof(msgr_addin_descriptor::unload);
constexpr std::size_t kMaxDepends = 32;

// An address as a number (a function's too), for the image checks.
template <typename T>
std::uintptr_t address(T *p) {
    return reinterpret_cast<std::uintptr_t>(p);
}

// Whether p is aligned for a T (a misaligned read is undefined behaviour, even inside the image).
template <typename T>
bool aligned(const T *p) {
    return address(p) % alignof(T) == 0;
}

std::string hex(std::uintptr_t v) {
    char buf[24];
    (void)std::snprintf(buf, sizeof buf, "0x%jx", static_cast<std::uintmax_t>(v));
    return buf;
}

bool refuse(Refusal &why, msgr_hresult hr, msgr_addin_problem problem, std::string reason) {
    why.hr = hr;
    why.problem = problem;
    why.reason = std::move(reason);
    return false;
}

bool bad_descriptor(Refusal &why, std::string reason) {
    return refuse(why, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR, std::move(reason));
}

bool no_entry(Refusal &why, std::string reason) {
    return refuse(why, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_NO_ENTRY, std::move(reason));
}

}  // namespace

bool valid_addin_name(std::string_view n) noexcept {
    if (n.empty() || n.size() > 64) return false;
    for (const char ch : n) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        if (!ok) return false;
    }
    return true;
}

bool check_descriptor_fields(const wire::Descriptor &d, Refusal &why) {
    const std::string abi = std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor);
    const std::string host_abi =
        std::to_string(MSGR_ADDIN_ABI_MAJOR) + "." + std::to_string(MSGR_ADDIN_ABI_MINOR);
    if (d.abi_major != MSGR_ADDIN_ABI_MAJOR) {
        return refuse(why, MSGR_E_SERVER_VERSION, MSGR_ADDIN_PROBLEM_WRONG_ABI,
                      "built for add-in ABI " + abi + "; this runtime has " + host_abi +
                          " and the major version must match");
    }
    if (d.abi_minor > MSGR_ADDIN_ABI_MINOR) {
        return refuse(why, MSGR_E_SERVER_VERSION, MSGR_ADDIN_PROBLEM_WRONG_ABI,
                      "built for add-in ABI " + abi + ", newer than this runtime's " + host_abi);
    }
    if (!valid_addin_name(d.name)) {
        return bad_descriptor(
            why, "the descriptor's name is missing or not 1-64 letters, digits, '-', '_', '.'");
    }
    if (d.depends.size() > kMaxDepends) {
        return refuse(why, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
                      "more than " + std::to_string(kMaxDepends) + " dependencies");
    }
    if (d.version.size() > 256 || d.description.size() > 1024 || d.config_table.size() > 65) {
        return bad_descriptor(why,
                              "the descriptor's version, description or config_table is "
                              "too long");
    }
    for (const auto &dep : d.depends) {
        if (dep.size() > 65) return bad_descriptor(why, "a dependency's name is too long");
    }
    return true;
}

bool read_descriptor(void *native_handle, DescriptorInfo &out, Refusal &why) {
    out = DescriptorInfo{};
    // From here on its pointers are followed only into its own image (see LoadedImage): the
    // file check saw a pointer-sized data object, not what it holds.
    LoadedImage image;
    std::string no_image;
    if (!loaded_image(native_handle, image, no_image)) {
        return refuse(why, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_BAD_FILE,
                      "cannot find its segments after loading it: " + no_image);
    }
    (void)::dlerror();
    const void *sym = ::dlsym(native_handle, MSGR_ADDIN_ENTRY_SYMBOL);
    if (sym == nullptr) {
        const char *err = ::dlerror();
        return refuse(why, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_NO_ENTRY,
                      std::string("no entry point: ") +
                          (err != nullptr ? err : MSGR_ADDIN_ENTRY_SYMBOL " is NULL"));
    }
    const auto *slot = static_cast<const msgr_addin_entry_fn *>(sym);
    if (!image.holds(address(slot), sizeof *slot) || !aligned(slot)) {
        return no_entry(why, "the entry point " MSGR_ADDIN_ENTRY_SYMBOL " (at " +
                                 hex(address(slot)) +
                                 ") is not in the add-in's own data (or not aligned)");
    }
    const msgr_addin_entry_fn entry = *slot;
    if (entry == nullptr)
        return no_entry(why, "the entry point " MSGR_ADDIN_ENTRY_SYMBOL " is NULL");
    if (!image.holds(address(entry), 1, true)) {
        return no_entry(why, "the entry point " MSGR_ADDIN_ENTRY_SYMBOL " holds " +
                                 hex(address(entry)) +
                                 ", which is not an address in the add-in's own code: it must "
                                 "point to its entry function (export it with MSGR_ADDIN_ENTRY "
                                 "or BOOST_DLL_ALIAS)");
    }
    const msgr_addin_descriptor *d = nullptr;
    try {
        d = entry();
    } catch (const std::exception &e) {
        return refuse(why, MSGR_E_UNEXPECTED, MSGR_ADDIN_PROBLEM_THREW,
                      std::string("the entry point threw an exception: ") + e.what());
    } catch (...) {
        return refuse(why, MSGR_E_UNEXPECTED, MSGR_ADDIN_PROBLEM_THREW,
                      "the entry point threw an exception");
    }
    if (d == nullptr) return bad_descriptor(why, "the entry point returned NULL");
    if (!image.holds(address(d), sizeof d->struct_size) || !aligned(d)) {
        return bad_descriptor(why, "the entry point returned " + hex(address(d)) +
                                       ", which is not in the add-in's own image (or not "
                                       "aligned): the descriptor must be static data of the "
                                       "add-in (not on the heap or the stack, not another "
                                       "library's)");
    }
    if (d->struct_size < kDescriptorV1Size || d->struct_size > 4096) {
        return bad_descriptor(why, "bad descriptor size: " + std::to_string(d->struct_size) +
                                       " bytes (ABI " + std::to_string(MSGR_ADDIN_ABI_MAJOR) + "." +
                                       std::to_string(MSGR_ADDIN_ABI_MINOR) + " needs at least " +
                                       std::to_string(kDescriptorV1Size) + ")");
    }
    if (!image.holds(address(d), d->struct_size)) {
        return bad_descriptor(why, "the descriptor at " + hex(address(d)) + " (struct_size " +
                                       std::to_string(d->struct_size) +
                                       ") runs past the end of the add-in's segment that holds "
                                       "it");
    }
    msgr_addin_descriptor &desc = out.desc;
    std::memcpy(&desc, d, std::min<std::size_t>(d->struct_size, sizeof desc));
    // A string of the descriptor: in the add-in's image, read no further than its segment.
    auto image_string = [&](const char *p, std::size_t max, std::string &s) {
        s.clear();
        if (p == nullptr) return true;
        const std::size_t avail = image.span(address(p));
        if (avail == 0) return false;
        s.assign(p, strnlen(p, std::min(max, avail)));
        return true;
    };
    auto not_in_image = [&](const std::string &what, const void *p) {
        return bad_descriptor(why, "the descriptor's " + what + " (" + hex(address(p)) +
                                       ") is not in the add-in's own image");
    };
    if (desc.magic != MSGR_ADDIN_MAGIC) {
        char buf[16];
        (void)std::snprintf(buf, sizeof buf, "0x%08X", desc.magic);
        return bad_descriptor(why,
                              std::string("bad magic ") + buf + ": not an msgr add-in descriptor");
    }
    wire::Descriptor &f = out.fields;
    f.abi_major = desc.abi_major;
    f.abi_minor = desc.abi_minor;
    // The ABI first: the rest of the layout is only known for this runtime's major version.
    wire::Descriptor abi_only;
    abi_only.abi_major = f.abi_major;
    abi_only.abi_minor = f.abi_minor;
    abi_only.name = "x";
    if (!check_descriptor_fields(abi_only, why)) return false;
    if (!image_string(desc.name, 65, f.name)) return not_in_image("name", desc.name);
    if (!valid_addin_name(f.name)) return check_descriptor_fields(f, why);
    if (!image_string(desc.version, 256, f.version)) return not_in_image("version", desc.version);
    if (!image_string(desc.description, 1024, f.description))
        return not_in_image("description", desc.description);
    if (desc.load == nullptr || desc.unload == nullptr)
        return bad_descriptor(why, "the descriptor has no load or no unload function");
    if (!image.holds(address(desc.load), 1, true) || !image.holds(address(desc.unload), 1, true)) {
        return bad_descriptor(why, "the descriptor's load or unload function (" +
                                       hex(address(desc.load)) + ", " + hex(address(desc.unload)) +
                                       ") is not in the add-in's own code");
    }
    if (desc.depends != nullptr) {
        for (std::size_t i = 0;; ++i) {
            if (!image.holds(address(desc.depends + i), sizeof(const char *)) ||
                !aligned(desc.depends + i)) {
                return not_in_image("depends array", desc.depends + i);
            }
            if (desc.depends[i] == nullptr) break;
            if (i == kMaxDepends) {
                return bad_descriptor(why,
                                      "more than " + std::to_string(kMaxDepends) + " dependencies");
            }
            std::string dep;
            if (!image_string(desc.depends[i], 65, dep))
                return not_in_image("depends[" + std::to_string(i) + "]", desc.depends[i]);
            f.depends.push_back(std::move(dep));
        }
    }
    if (desc.config_table != nullptr && !image_string(desc.config_table, 65, f.config_table))
        return not_in_image("config_table", desc.config_table);
    return check_descriptor_fields(f, why);
}

}  // namespace msgr::core

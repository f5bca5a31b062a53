// Room: discovery, finding add-in files and verifying them without running them (owner, mode,
// directory, allow-list, ELF), then opening a verified one (dlopen and read_descriptor). It may
// touch the add-in's record up to Stage::verified (or refuse it) and read the runtime's
// configuration; it never calls an add-in's load (lifecycle.cpp does).
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "addins/context.hpp"
#include "addins/descriptor.hpp"
#include "config.hpp"
#include "elf_check.hpp"
#include "error.hpp"
#include "runtime.hpp"

namespace fs = std::filesystem;

namespace msgr::core {

namespace {

constexpr std::uint64_t kMaxAddinBytes = 512ull << 20;

std::string mode_text(mode_t m) {
    char buf[8];
    (void)std::snprintf(buf, sizeof buf, "0%03o", static_cast<unsigned>(m & 07777));
    return buf;
}

// Why a file or directory with these attributes cannot be trusted; "" when it can.
std::string untrusted(const struct stat &st, const char *what) {
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
        return std::string(what) + " is owned by uid " + std::to_string(st.st_uid) +
               ", neither root nor the user running the runtime";
    }
    if (st.st_mode & S_IWOTH) {
        return std::string(what) + " is writable by other users (mode " + mode_text(st.st_mode) +
               ")";
    }
    if ((st.st_mode & S_IWGRP) && st.st_gid != ::getegid() && st.st_gid != 0) {
        return std::string(what) + " is writable by group " + std::to_string(st.st_gid) +
               " (mode " + mode_text(st.st_mode) + ")";
    }
    return {};
}

// The directory libmsgr.so (or the program msgr_core is linked into) was loaded from.
std::string own_directory() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void *>(&own_directory), &info) == 0 ||
        info.dli_fname == nullptr) {
        return {};
    }
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::path(info.dli_fname), ec);
    return ec ? fs::path(info.dli_fname).parent_path().string() : p.parent_path().string();
}

}  // namespace

std::vector<std::string> AddinHost::search_directories() const {
    std::vector<std::string> dirs;
    for (auto &d : search_list())
        dirs.push_back(std::move(d.path));
    return dirs;
}

std::vector<AddinHost::SearchDirectory> AddinHost::search_list() const {
    const Config &c = rt_.config();
    std::vector<SearchDirectory> dirs;
    const fs::path base =
        c.source_origin.empty() ? fs::path() : fs::path(c.source_origin).parent_path();
    for (const auto &p : c.addin_paths) {
        const fs::path path(p);
        dirs.push_back({path.is_absolute() || base.empty() ? p : (base / path).string(),
                        "runtime.addin_paths in " + c.source_origin});
    }
    if (c.addin_default_paths) {
        if (const char *env = std::getenv("MSGR_ADDIN_PATH")) {
            std::string_view rest(env);
            while (!rest.empty()) {
                const auto colon = rest.find(':');
                const std::string_view part = rest.substr(0, colon);
                if (!part.empty()) dirs.push_back({std::string(part), "MSGR_ADDIN_PATH"});
                if (colon == std::string_view::npos) break;
                rest.remove_prefix(colon + 1);
            }
        }
        const std::string own = own_directory();
        if (!own.empty()) dirs.push_back({(fs::path(own) / "msgr" / "addins").string(), ""});
    }
    return dirs;
}

msgr_host_ctx &AddinHost::add(const std::string &path) {
    auto ctx = std::make_unique<msgr_host_ctx>();
    ctx->host = this;
    ctx->index = addins_.size();
    ctx->path = path;
    ctx->name = fs::path(path).filename().string();
    ctx->stem = fs::path(path).stem().string();
    std::string warning;
    ctx->isolation = resolve_isolation(rt_.config().addin(ctx->stem), warning);
    if (!warning.empty()) log(MSGR_LOG_WARNING, "add-in " + path + ": " + warning);
    ctx->inbox = &rt_.inbox();
    addins_.push_back(std::move(ctx));
    return *addins_.back();
}

void AddinHost::discover() {
    std::vector<std::string> seen_dirs;
    std::vector<std::string> seen_files;
    const auto &disabled = rt_.config().disabled_addins;
    std::vector<bool> disabled_matched(disabled.size(), false);
    std::vector<std::pair<msgr_host_ctx *, struct stat>> found;  // verified, to be opened
    for (const auto &[dir, from] : search_list()) {
        std::error_code ec;
        const fs::path canon = fs::weakly_canonical(dir, ec);
        const std::string key = ec ? dir : canon.string();
        if (std::find(seen_dirs.begin(), seen_dirs.end(), key) != seen_dirs.end()) continue;
        seen_dirs.push_back(key);
        if (!fs::is_directory(key, ec)) {
            // One that was asked for (runtime.addin_paths, MSGR_ADDIN_PATH) is most likely a
            // typo; the installed folder need not exist (a build tree, a host without add-ins).
            const bool exists = fs::exists(key, ec);
            log(from.empty() ? MSGR_LOG_DEBUG : MSGR_LOG_WARNING,
                "add-in directory " + dir + (from.empty() ? "" : " (from " + from + ")") +
                    (exists ? " is not a directory" : " does not exist") + "; skipped");
            continue;
        }
        std::vector<std::string> files;
        for (fs::directory_iterator it(key, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path &p = it->path();
            if (p.extension() == ".so") files.push_back(p.string());
        }
        if (ec) {
            log(MSGR_LOG_WARNING, "cannot list add-in directory " + dir + ": " + ec.message());
            continue;
        }
        std::sort(files.begin(), files.end());
        for (const auto &f : files) {
            const fs::path fc = fs::weakly_canonical(f, ec);
            const std::string fkey = ec ? f : fc.string();
            if (std::find(seen_files.begin(), seen_files.end(), fkey) != seen_files.end()) continue;
            seen_files.push_back(fkey);
            // runtime.disabled_addins names add-ins by file: the file's name without ".so"
            // (paging.so: "paging"), matched before the file is opened, so nothing of a
            // disabled add-in runs (not its static constructors, not its entry point). The
            // descriptor's name is never read for it: a replacement may call itself "paging".
            const std::string stem = fs::path(f).stem().string();
            const auto hit = std::find(disabled.begin(), disabled.end(), stem);
            if (hit != disabled.end()) {
                disabled_matched[static_cast<std::size_t>(hit - disabled.begin())] = true;
                msgr_host_ctx &ctx = add(f);
                ctx.stage = Stage::disabled_by_config;
                ctx.problem = MSGR_ADDIN_PROBLEM_DISABLED_BY_CONFIG;
                ctx.reason = "disabled by configuration: runtime.disabled_addins in " +
                             rt_.config().source_origin + " lists \"" + stem +
                             "\"; the file was not opened";
                report(ctx);
                continue;
            }
            msgr_host_ctx &ctx = add(f);
            struct stat st {};
            if (!verify(ctx, st)) continue;
            // An isolated add-in's process starts now and is waited for below, once every
            // process has been started: their starts (exec, dynamic linking, the library's
            // load) overlap instead of adding up. What is opened in this process waits too,
            // so that add-ins are accepted in the order they were found (the first of two
            // with one name wins).
            if (ctx.isolation == MSGR_ADDIN_ISOLATION_PROCESS) spawn_process(ctx, st);
            found.emplace_back(&ctx, st);
        }
    }
    for (const auto &[ctx, st] : found)
        open(*ctx, st);
    for (std::size_t i = 0; i < disabled.size(); ++i) {
        if (disabled_matched[i]) continue;
        std::string dirs;
        for (const auto &d : search_directories())
            dirs += (dirs.empty() ? "" : ", ") + d;
        log(MSGR_LOG_WARNING,
            "runtime.disabled_addins in " + rt_.config().source_origin + " lists \"" + disabled[i] +
                "\", but no add-in file is named \"" + disabled[i] +
                ".so\" (searched: " + (dirs.empty() ? std::string("no directories") : dirs) + ")");
    }
}

void AddinHost::verify_and_open(msgr_host_ctx &ctx) {
    struct stat st {};
    if (!verify(ctx, st)) return;
    if (ctx.isolation == MSGR_ADDIN_ISOLATION_PROCESS) spawn_process(ctx, st);
    open(ctx, st);
}

namespace {

// Whether the file at path is still the one whose status was st (the same inode, size and
// modification time): what was verified is what is opened.
bool unchanged(const std::string &path, const struct stat &st) {
    struct stat now {};
    return ::stat(path.c_str(), &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
           now.st_size == st.st_size && now.st_mtim.tv_sec == st.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == st.st_mtim.tv_nsec;
}

}  // namespace

bool AddinHost::verify(msgr_host_ctx &ctx, struct stat &st) {
    const int fd = ::open(ctx.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        refuse(ctx, MSGR_E_FILE_NOT_FOUND, MSGR_ADDIN_PROBLEM_NOT_FOUND,
               std::string("cannot open: ") + std::generic_category().message(errno));
        return false;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_BAD_FILE, "not a regular file");
        return false;
    }
    std::string why = untrusted(st, "the file");
    if (why.empty()) {
        struct stat dst {};
        const std::string dir = fs::path(ctx.path).parent_path().string();
        if (::stat(dir.empty() ? "." : dir.c_str(), &dst) != 0) {
            why = "cannot examine its directory";
        } else {
            why = untrusted(dst, ("its directory " + dir).c_str());
        }
    }
    if (!why.empty()) {
        refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE, "not trusted: " + why);
        return false;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > kMaxAddinBytes) {
        refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_BAD_FILE,
               "implausibly large (" + std::to_string(size) + " bytes)");
        return false;
    }
    const auto &allow = rt_.config().addin_sha256;
    if (!allow.empty()) {
        const std::string hash = sha256_file(fd);
        if (std::find(allow.begin(), allow.end(), hash) == allow.end()) {
            refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE,
                   "not trusted: its SHA-256 " + hash +
                       " is not on the allow-list (runtime.addin_sha256)");
            return false;
        }
    }
    const ElfReport elf = check_elf(fd, size, MSGR_ADDIN_ENTRY_SYMBOL);
    if (!elf.ok) {
        refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_BAD_FILE, elf.reason);
        return false;
    }
    // Boost.DLL and dlopen take a path. (Not /proc/self/fd/N: glibc's dlopen matches an already
    // loaded library by name, and fd numbers are reused.) The directory is trusted, so the file
    // can only be swapped by its owner; open() makes sure it was not swapped anyway.
    if (!elf.dynsym_entry) {
        refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_NO_ENTRY,
               "no entry point: the file does not export " MSGR_ADDIN_ENTRY_SYMBOL
               " (use MSGR_ADDIN_ENTRY or BOOST_DLL_ALIAS)");
        return false;
    }
    if (!elf.entry_is_pointer || !elf.entry_in_alias_section) {
        refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_NO_ENTRY,
               MSGR_ADDIN_ENTRY_SYMBOL
               " is not an alias (a pointer in the boostdll section): "
               "export it with MSGR_ADDIN_ENTRY or BOOST_DLL_ALIAS");
        return false;
    }
    return true;
}

void AddinHost::open(msgr_host_ctx &ctx, const struct stat &st) {
    if (ctx.isolation == MSGR_ADDIN_ISOLATION_PROCESS) {
        if (ctx.process) open_in_process_of_its_own(ctx);  // else spawn_process refused it
        return;
    }
    // The file is what it should be: load it. Its static constructors run here.
    if (!unchanged(ctx.path, st)) {
        refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE,
               "the file changed while it was being verified");
        return;
    }
    open_here(ctx);
}

void AddinHost::open_here(msgr_host_ctx &ctx) {
    try {
        // Its static constructors are add-in code (code_running.hpp).
        const AddinCodeScope running;
        // RTLD_NODELETE: its code stays mapped after it is unloaded, so a thread it failed to
        // stop, or a callback it left registered somewhere, never jumps into unmapped memory.
        namespace mode = boost::dll::load_mode;
        const auto flags = static_cast<mode::type>(static_cast<unsigned>(mode::rtld_now) |
                                                   static_cast<unsigned>(mode::rtld_local) |
                                                   static_cast<unsigned>(RTLD_NODELETE));
        ctx.lib = std::make_unique<boost::dll::shared_library>(ctx.path, flags);
        ctx.code_ran = true;  // its static constructors ran: it may have started threads
    } catch (const std::exception &e) {
        refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_BAD_FILE,
               std::string("cannot load: ") + e.what());
        return;
    }
    DescriptorInfo info;
    Refusal why_not;
    bool read = false;
    {
        const AddinCodeScope running;  // its entry point is add-in code
        read = read_descriptor(ctx.lib->native(), info, why_not);
    }
    ctx.abi_major = info.fields.abi_major;
    ctx.abi_minor = info.fields.abi_minor;
    if (!read) {
        refuse(ctx, why_not.hr, why_not.problem, why_not.reason);
        return;
    }
    ctx.desc = info.desc;
    accept_descriptor(ctx, info.fields);
}

void AddinHost::spawn_process(msgr_host_ctx &ctx, const struct stat &st) {
    // The file is what it should be: its process loads it (and checks again that it is).
    if (!unchanged(ctx.path, st)) {
        refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_UNTRUSTED_FILE,
               "the file changed while it was being verified");
        return;
    }
    const AddinSettings &s = rt_.config().addin(ctx.stem);
    ProcessOptions options;
    options.program = addin_host_program();
    options.call_timeout_ms = static_cast<int>(s.call_timeout_ms);
    options.load_timeout_ms = static_cast<int>(s.load_timeout_ms);
    options.address_space_bytes = s.address_space_mb << 20;
    options.open_files = s.open_files;
    ProcessFault fault;
    ctx.process = AddinProcess::spawn(ctx.path, st, options, fault);
    if (!ctx.process) refuse_start(ctx, fault);
}

void AddinHost::refuse_start(msgr_host_ctx &ctx, const ProcessFault &fault) {
    const msgr_hresult hr = MSGR_FAILED(fault.hr) ? fault.hr : MSGR_E_FAIL;
    const msgr_addin_problem problem = fault ? fault.problem : MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST;
    if (fault.state == MSGR_ADDIN_CRASHED || fault.state == MSGR_ADDIN_HUNG) {
        // Its process died (or hung) before it could say Hello: its static constructors or
        // its entry point. A fault like any other: restarted with backoff while restarts
        // are left (a crash there may be as passing as one in its load).
        record_fault(ctx, fault);
        return;
    }
    std::string reason = "cannot run it in a process of its own: " + fault.reason;
    if (problem == MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST) {
        reason += " (set [addin." + ctx.stem +
                  "] isolation = \"in_process\" to run it in the host's process)";
    }
    refuse(ctx, hr, problem, reason);
}

void AddinHost::open_in_process_of_its_own(msgr_host_ctx &ctx) {
    ProcessFault fault;
    if (!ctx.process->hello(fault)) {
        ctx.process.reset();
        refuse_start(ctx, fault);
        return;
    }
    // The process read and checked the descriptor in its own image; what it says is checked
    // again here, as anything that crosses from the add-in's side is.
    const wire::Descriptor &d = ctx.process->descriptor();
    ctx.abi_major = d.abi_major;
    ctx.abi_minor = d.abi_minor;
    Refusal why_not;
    if (!check_descriptor_fields(d, why_not)) {
        refuse(ctx, why_not.hr, why_not.problem, "its process reported: " + why_not.reason);
        return;
    }
    ctx.desc = msgr_addin_descriptor{};  // its load and unload run in the process
    accept_descriptor(ctx, d);
}

std::string AddinHost::addin_host_program() const {
    const Config &c = rt_.config();
    if (!c.addin_host.empty()) {
        const fs::path p(c.addin_host);
        if (p.is_absolute() || c.source_origin.empty()) return p.string();
        return (fs::path(c.source_origin).parent_path() / p).string();
    }
    if (const char *env = std::getenv("MSGR_ADDIN_HOST"); env != nullptr && *env != '\0')
        return env;
    const std::string own = own_directory();
    if (own.empty()) return "msgr-addin-host";  // start() names what it tried
    const fs::path next_to = fs::path(own) / "msgr" / "msgr-addin-host";
    const fs::path in_lib = fs::path(own) / ".." / "lib" / "msgr" / "msgr-addin-host";
    if (::access(next_to.c_str(), X_OK) != 0 && ::access(in_lib.c_str(), X_OK) == 0)
        return in_lib.lexically_normal().string();
    return next_to.string();
}

void AddinHost::accept_descriptor(msgr_host_ctx &ctx, const wire::Descriptor &d) {
    const std::string &name = d.name;
    ctx.name = name;
    ctx.version = d.version;
    ctx.description = d.description;
    ctx.depends = d.depends;
    for (const auto &o : addins_) {
        if (o.get() != &ctx && o->name == name && (o->stage == Stage::verified || o->loaded())) {
            refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_DUPLICATE,
                   "another add-in named \"" + name + "\" was found first, in " + o->path);
            return;
        }
    }
    // An add-in reads its own table only: not the runtime's ([runtime], [addin]) and not one
    // another add-in reads (its password, its account): the first one found keeps it.
    if (d.config_table == "runtime" || d.config_table == "addin") {
        refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_BAD_DESCRIPTOR,
               "its descriptor names the runtime's own configuration table [" + d.config_table +
                   "] as its config_table");
        return;
    }
    for (const auto &o : addins_) {
        if (o.get() != &ctx && !d.config_table.empty() && o->config_table == d.config_table &&
            (o->stage == Stage::verified || o->loaded())) {
            refuse(ctx, MSGR_E_FAIL, MSGR_ADDIN_PROBLEM_DUPLICATE,
                   "the configuration table [" + d.config_table + "] is read by add-in \"" +
                       o->name + "\" (" + o->path + "), found first");
            return;
        }
    }
    ctx.config_table = d.config_table;
    ctx.config = nullptr;
    if (!ctx.config_table.empty() && config_) {
        if (const toml::node *n = config_->root.get(ctx.config_table)) {
            ctx.config = n->as_table();
            if (ctx.config == nullptr) {
                refuse(ctx, MSGR_E_INVALID_DATA, MSGR_ADDIN_PROBLEM_LOAD_FAILED,
                       "[" + ctx.config_table + "] in " + rt_.config().source_origin +
                           " must be a table");
                return;
            }
        }
    }
    ctx.stage = Stage::verified;
}

}  // namespace msgr::core

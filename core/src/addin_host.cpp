#include "addin_host.hpp"

#include <string>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <unordered_set>

#include <boost/dll/shared_library.hpp>
#include <boost/signals2/connection.hpp>

#include "addins/config_view.hpp"
#include "addins/descriptor.hpp"
#include "c_enum.hpp"
#include "capabilities.hpp"
#include "config.hpp"
#include "elf_check.hpp"
#include "error.hpp"
#include "runtime.hpp"
#include "text.hpp"
#include "toml.hpp"

namespace fs = std::filesystem;

// One per add-in found: what the listing shows, what the add-in registered, and its library.
struct msgr_host_ctx {
    msgr::core::AddinHost *host = nullptr;
    std::size_t index = 0;
    std::string path;

    msgr_addin_state state = MSGR_ADDIN_REFUSED;
    msgr_hresult result = MSGR_S_OK;
    std::string reason;
    bool pending = false;  // verified and its descriptor read; load not called yet
    bool loading = false;  // inside load: registration is open
    bool ran = false;      // load succeeded: unload must be called
    std::string load_error;

    std::string name, version, description, config_table;
    std::vector<std::string> depends;
    std::uint16_t abi_major = 0, abi_minor = 0;
    std::uint32_t provides = 0;

    std::unique_ptr<boost::dll::shared_library> lib;
    msgr_addin_descriptor desc{};
    void *state_ptr = nullptr;

    bool has_paging = false;
    msgr_paging_provider paging{};
    msgr::core::PagingProvider *adapter = nullptr;  // installed in the runtime while loaded
    // The page its submit is running for (owner thread; NULL outside submit): the one page that
    // msgr_host_page_via_service accepts from it.
    const msgr::core::PageRequest *submitting = nullptr;

    struct Sub {
        msgr_event_type type;
        msgr_addin_event_fn fn;
        void *user;
    };
    std::vector<Sub> subs;
    std::vector<boost::signals2::connection> connections;

    const toml::table *config = nullptr;
    msgr::core::RuntimeInbox *inbox = nullptr;

    // Contact services it registered (during load; fixed afterwards).
    struct ServiceReg {
        std::string id;
        msgr_contact_service table{};
        msgr::core::Service *adapter = nullptr;  // installed in the runtime while loaded
    };
    std::vector<ServiceReg> services;

    // Drawers it registered (during load; fixed afterwards). ABI 1.2.
    std::vector<msgr_drawer> drawers;

    std::mutex owed_mutex;  // pages and messages handed over whose outcome the add-in owes
    std::unordered_set<std::uint64_t> owed;
    // The id being handed to one of its services (send_message, send_page) that it did not owe
    // before (owner thread; 0 when none). If that call fails, whoever handed it over reports it,
    // so disabling the add-in inside the call does not report it a second time.
    std::uint64_t handing_over = 0;
    // Whether the add-in's reports are taken (false once it is disabled or unloaded).
    std::atomic<bool> accepting{true};
    // Service ids the add-in may report for (read by its threads; guarded by owed_mutex).
    std::vector<std::string> service_ids;
};

namespace msgr::core {

struct AddinHost::ConfigTree {
    toml::table root;
};

namespace {

constexpr std::size_t kPagingV1Size =
    offsetof(msgr_paging_provider, submit) + sizeof(msgr_paging_provider::submit);
constexpr std::size_t kServiceV1Size =
    offsetof(msgr_contact_service, send_message) + sizeof(msgr_contact_service::send_message);
constexpr std::size_t kServiceV3Size =  // ABI 1.3: send_page
    offsetof(msgr_contact_service, send_page) + sizeof(msgr_contact_service::send_page);
constexpr std::size_t kPageRequestV1Size =
    offsetof(msgr_page_request, text_size) + sizeof(msgr_page_request::text_size);
constexpr std::size_t kDrawerV1Size = offsetof(msgr_drawer, draw) + sizeof(msgr_drawer::draw);
constexpr std::size_t kDrawContextV1Size =
    offsetof(msgr_draw_context, frame) + sizeof(msgr_draw_context::frame);
constexpr std::size_t kDrawGuardV1Size =
    offsetof(msgr_draw_guard, after) + sizeof(msgr_draw_guard::after);
constexpr std::size_t kMaxDrawers = 8;
constexpr std::uint64_t kMaxAddinBytes = 512ull << 20;
constexpr std::size_t kMaxPostedText = 1u << 20;

// Libraries that cannot be unmapped safely (their load or unload threw, so their threads may
// still run): kept mapped until the process exits.
std::vector<std::unique_ptr<boost::dll::shared_library>> &never_unmapped() {
    static std::vector<std::unique_ptr<boost::dll::shared_library>> libs;
    return libs;
}
std::mutex g_never_unmapped_mutex;

std::string hr_text(msgr_hresult hr) {
    char buf[16];
    (void)std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(hr));
    return std::string(msgr_hresult_name(hr)) + " (" + buf + ")";
}

const char *state_name(msgr_addin_state s) {
    switch (s) {
        case MSGR_ADDIN_LOADED:
            return "loaded";
        case MSGR_ADDIN_REFUSED:
            return "refused";
        case MSGR_ADDIN_DISABLED:
            return "disabled";
        case MSGR_ADDIN_UNLOADED:
            return "unloaded";
        case MSGR_ADDIN_DISABLED_BY_CONFIG:
            return "disabled by configuration";
        case MSGR_ADDIN_CRASHED:
            return "crashed";
        case MSGR_ADDIN_HUNG:
            return "hung";
    }
    return "?";
}

// A bounded copy of a C string from an add-in.
std::string bounded(const char *s, std::size_t max = 256) {
    if (s == nullptr) return {};
    return std::string(s, strnlen(s, max));
}

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

// ---- the add-in's view of the runtime: the host functions ---------------------------------

bool on_owner(msgr_host_ctx *ctx) {
    return ctx != nullptr && ctx->host->runtime().on_owner_thread();
}

void host_log(msgr_host_ctx *ctx, msgr_log_level level, const char *message) {
    if (ctx == nullptr || message == nullptr) return;
    // An add-in may pass any int as the level: clamp it into the enumeration (see c_enum.hpp).
    const int raw = raw_enum(level);
    const msgr_log_level lvl = raw <= MSGR_LOG_DEBUG   ? MSGR_LOG_DEBUG
                               : raw >= MSGR_LOG_ERROR ? MSGR_LOG_ERROR
                                                       : static_cast<msgr_log_level>(raw);
    try {
        log(lvl, "add-in " + ctx->name + ": " + bounded(message, 4096));
    } catch (...) {
    }
}

void host_set_error(msgr_host_ctx *ctx, const char *reason) {
    if (ctx == nullptr || reason == nullptr) return;
    try {
        ctx->load_error = bounded(reason, 1024);
    } catch (...) {
    }
}

// The configuration answers come from the add-in's own table (config_view, shared with the
// add-in host program).
const toml::table *table_of(msgr_host_ctx *ctx) {
    return ctx->config;
}

msgr_hresult host_config_string(msgr_host_ctx *ctx, const char *key, const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::string(table_of(ctx), key, out);
}

msgr_hresult host_config_int(msgr_host_ctx *ctx, const char *key, std::int64_t *out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::integer(table_of(ctx), key, out);
}

msgr_hresult host_config_bool(msgr_host_ctx *ctx, const char *key, int *out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::boolean(table_of(ctx), key, out);
}

msgr_hresult host_config_array_size(msgr_host_ctx *ctx, const char *key, std::size_t *out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::array_size(table_of(ctx), key, out);
}

msgr_hresult host_config_array_string(msgr_host_ctx *ctx, const char *key, std::size_t index,
                                      const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::array_string(table_of(ctx), key, index, out);
}

msgr_hresult host_config_key(msgr_host_ctx *ctx, std::size_t index, const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::key(table_of(ctx), index, out);
}

msgr_hresult host_config_key_at(msgr_host_ctx *ctx, const char *path, std::size_t index,
                                const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return config_view::key_at(table_of(ctx), path, index, out);
}

const char *host_config_origin(msgr_host_ctx *ctx) {
    if (ctx == nullptr) return "";
    return ctx->host->runtime().config().source_origin.c_str();
}

msgr_hresult host_register_paging(msgr_host_ctx *ctx, const msgr_paging_provider *p) {
    if (!on_owner(ctx) || !ctx->loading) return MSGR_E_UNEXPECTED;
    if (p == nullptr || p->struct_size < kPagingV1Size || p->submit == nullptr ||
        p->max_page_utf16 == 0) {
        ctx->load_error = "registered an invalid paging provider table";
        return MSGR_E_INVALIDARG;
    }
    if (ctx->has_paging) {
        ctx->load_error = "registered paging twice";
        return MSGR_E_FAIL;
    }
    if (ctx->host->runtime().has_paging()) {
        const PagingProvider *current = ctx->host->runtime().paging_provider();
        ctx->load_error = "paging is already provided by \"" + current->name() +
                          "\"; a runtime has one paging provider";
        return MSGR_E_FAIL;
    }
    std::memset(&ctx->paging, 0, sizeof ctx->paging);
    std::memcpy(&ctx->paging, p, std::min<std::size_t>(p->struct_size, sizeof ctx->paging));
    ctx->has_paging = true;
    return MSGR_S_OK;
}

msgr_hresult host_register_drawer(msgr_host_ctx *ctx, const msgr_drawer *d) {
    if (!on_owner(ctx) || !ctx->loading) return MSGR_E_UNEXPECTED;
    if (d == nullptr || d->struct_size < kDrawerV1Size || d->draw == nullptr) {
        ctx->load_error = "registered an invalid drawer table";
        return MSGR_E_INVALIDARG;
    }
    if (ctx->drawers.size() >= kMaxDrawers) {
        ctx->load_error = "registered more than " + std::to_string(kMaxDrawers) + " drawers";
        return MSGR_E_FAIL;
    }
    msgr_drawer copy{};
    std::memcpy(&copy, d, std::min<std::size_t>(d->struct_size, sizeof copy));
    copy.struct_size = sizeof copy;
    try {
        ctx->drawers.push_back(copy);
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

msgr_hresult host_subscribe(msgr_host_ctx *ctx, msgr_event_type type, msgr_addin_event_fn fn,
                            void *user) {
    if (!on_owner(ctx) || !ctx->loading) return MSGR_E_UNEXPECTED;
    if (fn == nullptr || !valid_event_type(type)) return MSGR_E_INVALIDARG;
    try {
        ctx->subs.push_back({type, fn, user});
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

msgr_hresult host_post_delivery(msgr_host_ctx *ctx, std::uint64_t message_id,
                                msgr_delivery_state state, msgr_hresult hr) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    const int raw_state = raw_enum(state);  // from the add-in: any int (see c_enum.hpp)
    if (raw_state != MSGR_DELIVERY_SENT && raw_state != MSGR_DELIVERY_FAILED)
        return MSGR_E_INVALIDARG;
    if (!ctx->accepting.load()) return MSGR_E_DISCONNECTED;
    {
        const std::lock_guard<std::mutex> lock(ctx->owed_mutex);
        if (ctx->owed.erase(message_id) == 0) return MSGR_E_INVALIDARG;
    }
    if (state == MSGR_DELIVERY_FAILED && MSGR_SUCCEEDED(hr)) hr = MSGR_E_FAIL;
    if (state == MSGR_DELIVERY_SENT) hr = MSGR_S_OK;
    try {
        if (!ctx->inbox->push(DeliveryDone{message_id, state, hr})) return MSGR_E_DISCONNECTED;
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

msgr_hresult host_register_service(msgr_host_ctx *ctx, const msgr_contact_service *t) {
    if (!on_owner(ctx) || !ctx->loading) return MSGR_E_UNEXPECTED;
    if (t == nullptr || t->struct_size < kServiceV1Size || t->signin == nullptr ||
        t->signout == nullptr || t->set_status == nullptr || t->describe == nullptr ||
        t->send_message == nullptr || t->max_message_bytes == 0) {
        ctx->load_error = "registered an invalid contact service table";
        return MSGR_E_INVALIDARG;
    }
    const std::string id = bounded(t->id, 65);
    if (!valid_addin_name(id)) {
        ctx->load_error =
            "registered a contact service whose id is missing or not 1-64 letters, "
            "digits, '-', '_', '.'";
        return MSGR_E_INVALIDARG;
    }
    for (const auto &reg : ctx->services) {
        if (reg.id == id) {
            ctx->load_error = "registered the contact service \"" + id + "\" twice";
            return MSGR_E_FAIL;
        }
    }
    if (ctx->host->runtime().find_service(id) != nullptr) {
        ctx->load_error =
            "a contact service with the id \"" + id + "\" is already provided by another add-in";
        return MSGR_E_FAIL;
    }
    try {
        msgr_host_ctx::ServiceReg reg;
        reg.id = id;
        // reg.table is zeroed: what an older add-in's table lacks stays NULL (send_page of a
        // table built for ABI 1.1 or 1.2: it carries no pages itself). A size that ends inside
        // send_page did not come from any header; it has none either.
        std::memcpy(&reg.table, t, std::min<std::size_t>(t->struct_size, sizeof reg.table));
        if (t->struct_size < kServiceV3Size) reg.table.send_page = nullptr;
        reg.table.struct_size = sizeof reg.table;
        ctx->services.push_back(std::move(reg));
        const std::lock_guard<std::mutex> lock(ctx->owed_mutex);
        ctx->service_ids.push_back(id);
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

// Checks that a report comes from a live add-in, for a service it registered.
msgr_hresult check_report(msgr_host_ctx *ctx, const char *service) {
    if (ctx == nullptr || service == nullptr) return MSGR_E_INVALIDARG;
    if (!ctx->accepting.load()) return MSGR_E_DISCONNECTED;
    const std::string_view id(service, strnlen(service, 65));
    const std::lock_guard<std::mutex> lock(ctx->owed_mutex);
    for (const auto &s : ctx->service_ids) {
        if (s == id) return MSGR_S_OK;
    }
    return MSGR_E_INVALIDARG;
}

template <typename Item>
msgr_hresult post_item(msgr_host_ctx *ctx, Item &&item) {
    try {
        if (!ctx->inbox->push(std::forward<Item>(item))) return MSGR_E_DISCONNECTED;
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

msgr_hresult host_post_signin(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_item(ctx, SigninDone{service, session, MSGR_SUCCEEDED(hr) ? MSGR_S_OK : hr});
}

msgr_hresult host_post_offline(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_item(ctx,
                     WentOffline{service, session, MSGR_FAILED(hr) ? hr : MSGR_E_DISCONNECTED});
}

msgr_hresult host_post_contact(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *signin, int added) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const char *why = nullptr;
    if (check_signin_name(signin, &why) != MSGR_S_OK) return MSGR_E_INVALIDARG;
    return post_item(ctx, ContactListChange{service, session, signin, added != 0});
}

bool known_status(std::int32_t status) {
    return status != MSGR_STATUS_UNKNOWN &&
           std::strcmp(msgr_status_name(status), "UNKNOWN_STATUS") != 0;
}

msgr_hresult host_post_status(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              const char *signin, std::int32_t status) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const char *why = nullptr;
    if (check_signin_name(signin, &why) != MSGR_S_OK || !known_status(status))
        return MSGR_E_INVALIDARG;
    return post_item(ctx, ContactStatusChange{service, session, signin, status});
}

// A message (or, with page, a page) from a contact.
msgr_hresult post_arrival(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                          const char *from, const char *text, std::size_t text_size, bool page) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const char *why = nullptr;
    if (check_signin_name(from, &why) != MSGR_S_OK || text == nullptr ||
        text_size > kMaxPostedText) {
        return MSGR_E_INVALIDARG;
    }
    try {
        return post_item(
            ctx, MessageArrived{service, session, from, std::string(text, text_size), page});
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
}

msgr_hresult host_post_message(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *from, const char *text, std::size_t text_size) {
    return post_arrival(ctx, service, session, from, text, text_size, false);
}

msgr_hresult host_post_page(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                            const char *from, const char *text, std::size_t text_size) {
    return post_arrival(ctx, service, session, from, text, text_size, true);
}

msgr_hresult host_page_via_service(msgr_host_ctx *ctx, const msgr_page_request *page);

msgr_proc host_get_proc(const char *name) {
    if (name == nullptr) return nullptr;
    struct Entry {
        const char *name;
        msgr_proc fn;
    };
#define MSGR_PROC(n, f) \
    { n, reinterpret_cast<msgr_proc>(&(f)) }
    static const Entry table[] = {
        MSGR_PROC(MSGR_HOST_LOG, host_log),
        MSGR_PROC(MSGR_HOST_SET_ERROR, host_set_error),
        MSGR_PROC(MSGR_HOST_CONFIG_STRING, host_config_string),
        MSGR_PROC(MSGR_HOST_CONFIG_INT, host_config_int),
        MSGR_PROC(MSGR_HOST_CONFIG_BOOL, host_config_bool),
        MSGR_PROC(MSGR_HOST_CONFIG_ARRAY_SIZE, host_config_array_size),
        MSGR_PROC(MSGR_HOST_CONFIG_ARRAY_STRING, host_config_array_string),
        MSGR_PROC(MSGR_HOST_CONFIG_KEY, host_config_key),
        MSGR_PROC(MSGR_HOST_CONFIG_KEY_AT, host_config_key_at),
        MSGR_PROC(MSGR_HOST_CONFIG_ORIGIN, host_config_origin),
        MSGR_PROC(MSGR_HOST_REGISTER_PAGING, host_register_paging),
        MSGR_PROC(MSGR_HOST_SUBSCRIBE, host_subscribe),
        MSGR_PROC(MSGR_HOST_POST_DELIVERY, host_post_delivery),
        MSGR_PROC(MSGR_HOST_REGISTER_SERVICE, host_register_service),
        MSGR_PROC(MSGR_HOST_POST_SIGNIN, host_post_signin),
        MSGR_PROC(MSGR_HOST_POST_OFFLINE, host_post_offline),
        MSGR_PROC(MSGR_HOST_POST_CONTACT, host_post_contact),
        MSGR_PROC(MSGR_HOST_POST_STATUS, host_post_status),
        MSGR_PROC(MSGR_HOST_POST_MESSAGE, host_post_message),
        MSGR_PROC(MSGR_HOST_POST_PAGE, host_post_page),
        MSGR_PROC(MSGR_HOST_REGISTER_DRAWER, host_register_drawer),
        MSGR_PROC(MSGR_HOST_PAGE_VIA_SERVICE, host_page_via_service),
    };
#undef MSGR_PROC
    for (const auto &e : table) {
        if (std::strcmp(e.name, name) == 0) return e.fn;
    }
    return nullptr;
}

// Runs an add-in call; on an exception, says what it was.
template <typename F>
msgr_hresult guard(F &&f, std::string &threw) noexcept {
    try {
        return f();
    } catch (const std::exception &e) {
        try {
            threw = std::string("threw an exception: ") + e.what();
        } catch (...) {
        }
    } catch (...) {
        threw = "threw an exception";
    }
    return MSGR_E_UNEXPECTED;
}

// ---- the paging capability, as the runtime sees it ------------------------------------------

class AddinPaging final : public PagingProvider {
  public:
    explicit AddinPaging(msgr_host_ctx &ctx) : ctx_(ctx) {}

    const std::string &name() const override { return ctx_.name; }
    std::size_t max_page_utf16() const override { return ctx_.paging.max_page_utf16; }

    bool knows_mobile(std::string_view service, std::string_view signin) override {
        if (ctx_.state != MSGR_ADDIN_LOADED || ctx_.paging.knows_mobile == nullptr) return false;
        const std::string s(service), n(signin);
        int out = 0;
        std::string threw;
        const msgr_hresult hr = guard(
            [&] { return ctx_.paging.knows_mobile(ctx_.paging.state, s.c_str(), n.c_str(), &out); },
            threw);
        if (MSGR_FAILED(hr)) {
            ctx_.host->disable(
                ctx_, hr, "knows_mobile " + (threw.empty() ? "returned " + hr_text(hr) : threw));
            return false;
        }
        return out != 0;
    }

    msgr_hresult submit(const PageRequest &page) override {
        if (ctx_.state != MSGR_ADDIN_LOADED) {
            return fail(MSGR_E_NOTIMPL, "the paging add-in \"" + ctx_.name + "\" is " +
                                            state_name(ctx_.state) + ": " + ctx_.reason);
        }
        {
            const std::lock_guard<std::mutex> lock(ctx_.owed_mutex);
            ctx_.owed.insert(page.message_id);  // before the call: its thread may answer at once
        }
        const msgr_page_request req{
            sizeof(msgr_page_request), page.message_id,   page.from.c_str(), page.to.c_str(),
            page.to_service.c_str(),   page.text.c_str(), page.text.size()};
        std::string threw;
        ctx_.submitting = &page;  // it may hand this page to the contact's service meanwhile
        const msgr_hresult hr =
            guard([&] { return ctx_.paging.submit(ctx_.paging.state, &req); }, threw);
        ctx_.submitting = nullptr;
        if (MSGR_FAILED(hr)) {
            {
                const std::lock_guard<std::mutex> lock(ctx_.owed_mutex);
                ctx_.owed.erase(page.message_id);  // the caller marks this page failed itself
            }
            const std::string why = "submit " + (threw.empty() ? "returned " + hr_text(hr) : threw);
            ctx_.host->disable(ctx_, hr, why);
            return fail(hr, "the paging add-in \"" + ctx_.name + "\" failed: " + why);
        }
        return MSGR_S_OK;
    }

  private:
    msgr_host_ctx &ctx_;
};

// ---- a contact service, as the runtime sees it ----------------------------------------------

class AddinService final : public Service {
  public:
    AddinService(msgr_host_ctx &ctx, std::size_t index)
        : ctx_(ctx), index_(index), id_(ctx.services[index].id) {}

    const std::string &id() const override { return id_; }
    bool supports_paging() const override { return (table().flags & MSGR_SERVICE_CAN_PAGE) != 0; }
    std::size_t max_message_bytes() const override { return table().max_message_bytes; }

    msgr_hresult signin(std::uint64_t session, const std::string &name,
                        const std::string &password) override {
        if (!alive()) return gone();
        const msgr_contact_service &t = table();
        return call("signin",
                    [&] { return t.signin(t.state, session, name.c_str(), password.c_str()); });
    }
    void signout() override {
        if (!alive()) return;
        const msgr_contact_service &t = table();
        call("signout", [&] { return t.signout(t.state); });
    }
    msgr_hresult set_status(std::int32_t status) override {
        if (!alive()) return gone();
        const msgr_contact_service &t = table();
        return call("set_status", [&] { return t.set_status(t.state, status); });
    }
    ContactInfo describe(std::string_view signin) override {
        ContactInfo out;
        if (!alive()) return out;
        const msgr_contact_service &t = table();
        const std::string name(signin);
        msgr_contact_info info{};
        info.struct_size = sizeof info;
        info.status = MSGR_STATUS_UNKNOWN;
        const msgr_hresult hr = call("describe", [&] {
            const msgr_hresult r = t.describe(t.state, name.c_str(), &info);
            // Copied inside the guard: the add-in's string is valid only during the call.
            if (MSGR_SUCCEEDED(r) && info.friendly != nullptr)
                out.friendly = bounded(info.friendly, 1024);
            return r;
        });
        if (MSGR_FAILED(hr)) return ContactInfo{};
        out.status = known_status(info.status) ? info.status : MSGR_STATUS_UNKNOWN;
        out.mobile = info.mobile != 0;
        return out;
    }
    msgr_hresult send_message(std::uint64_t message_id, const std::string &to,
                              const std::string &text) override {
        if (!alive()) return gone();
        const msgr_contact_service &t = table();
        // A failure: the caller marks this message failed itself.
        return hand_over("send_message", message_id, false, [&] {
            return t.send_message(t.state, message_id, to.c_str(), text.c_str(), text.size());
        });
    }
    msgr_hresult send_page(const PageRequest &page) override {
        if (!alive()) return MSGR_S_FALSE;
        const msgr_contact_service &t = table();
        if (t.send_page == nullptr) return MSGR_S_FALSE;  // it carries no pages (or ABI < 1.3)
        // S_FALSE or a failure: the paging provider delivers or reports this page itself.
        return hand_over("send_page", page.message_id, true, [&] {
            return t.send_page(t.state, page.message_id, page.to.c_str(), page.text.c_str(),
                               page.text.size());
        });
    }

  private:
    const msgr_contact_service &table() const { return ctx_.services[index_].table; }
    bool alive() const { return ctx_.state == MSGR_ADDIN_LOADED; }
    msgr_hresult gone() const {
        return fail(MSGR_E_FAIL, "the contact service \"" + id_ + "\" is gone: its add-in \"" +
                                     ctx_.name + "\" is " + state_name(ctx_.state) +
                                     (ctx_.reason.empty() ? "" : " (" + ctx_.reason + ")"));
    }
    // Runs one call into the add-in; a failure or an exception disables it.
    template <typename F>
    msgr_hresult call(const char *what, F &&f) {
        std::string threw;
        const msgr_hresult hr = guard(std::forward<F>(f), threw);
        if (MSGR_FAILED(hr)) {
            const std::string why = "the contact service \"" + id_ + "\": " + what + " " +
                                    (threw.empty() ? "returned " + hr_text(hr) : threw);
            ctx_.host->disable(ctx_, hr, why);
            return fail(MSGR_E_FAIL, "the service add-in \"" + ctx_.name + "\" failed: " + why);
        }
        return MSGR_S_OK;
    }

    // Hands the add-in `id` to deliver (f makes the call and returns its answer). The id is
    // owed from before the call, since the add-in's thread may report it at once. When the
    // add-in fails, or declines (S_FALSE, when it may_decline), it owes the id no longer and
    // the caller deals with it. An id the add-in owed already stays owed: the add-in's own
    // paging provider handing a page to the add-in's own service.
    // Returns S_OK (taken), S_FALSE (declined) or the failure.
    template <typename F>
    msgr_hresult hand_over(const char *what, std::uint64_t id, bool may_decline, F &&f) {
        bool inserted = false;
        {
            const std::lock_guard<std::mutex> lock(ctx_.owed_mutex);
            inserted = ctx_.owed.insert(id).second;
        }
        if (inserted) ctx_.handing_over = id;
        msgr_hresult answer = MSGR_S_OK;
        msgr_hresult hr = call(what, [&] {
            answer = f();
            return answer;
        });
        ctx_.handing_over = 0;
        if (MSGR_SUCCEEDED(hr) && may_decline && answer != MSGR_S_OK) hr = MSGR_S_FALSE;
        if (hr != MSGR_S_OK && inserted) {
            const std::lock_guard<std::mutex> lock(ctx_.owed_mutex);
            ctx_.owed.erase(id);
        }
        return hr;
    }

    msgr_host_ctx &ctx_;
    std::size_t index_;
    std::string id_;
};

// Whether the add-in's request is the page `mine` (the one its submit is running for), field
// by field: the paging provider may hand a service that page and no other, so that no add-in
// can make a service send text of its choosing (only the user sends).
bool same_page(const msgr_page_request *page, const PageRequest &mine) {
    if (page == nullptr || page->struct_size < kPageRequestV1Size) return false;
    if (page->from == nullptr || page->to == nullptr || page->to_service == nullptr ||
        page->text == nullptr) {
        return false;
    }
    // strcmp reads the add-in's strings no further than the length of ours plus one.
    return page->message_id == mine.message_id && std::strcmp(page->from, mine.from.c_str()) == 0 &&
           std::strcmp(page->to, mine.to.c_str()) == 0 &&
           std::strcmp(page->to_service, mine.to_service.c_str()) == 0 &&
           page->text_size == mine.text.size() &&
           std::memcmp(page->text, mine.text.data(), mine.text.size()) == 0;
}

// The paging provider hands the page it is submitting to the contact's own service (ABI 1.3).
// On S_OK the service owes the page's delivery report, and the paging provider no longer does.
msgr_hresult host_page_via_service(msgr_host_ctx *ctx, const msgr_page_request *page) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    // On the owner thread, inside the paging provider's submit. The mark is lifted while the
    // service is called, so that nothing the service does can nest a call.
    if (!on_owner(ctx) || ctx->submitting == nullptr || ctx->state != MSGR_ADDIN_LOADED)
        return MSGR_E_UNEXPECTED;
    const PageRequest &mine = *ctx->submitting;
    if (!same_page(page, mine)) return MSGR_E_INVALIDARG;  // another page
    {
        const std::lock_guard<std::mutex> lock(ctx->owed_mutex);
        if (ctx->owed.count(mine.message_id) == 0) return MSGR_E_INVALIDARG;  // reported already
    }
    Service *service = ctx->host->runtime().find_service(mine.to_service);
    if (service == nullptr) return MSGR_S_FALSE;  // its add-in is gone: the gateway's turn
    bool own = false;  // the paging provider's add-in provides the service too
    for (const auto &reg : ctx->services)
        own = own || reg.adapter == service;
    ctx->submitting = nullptr;
    const msgr_hresult hr = service->send_page(mine);  // guarded: a failure disables the service
    ctx->submitting = &mine;
    if (MSGR_FAILED(hr)) return MSGR_E_FAIL;
    if (hr != MSGR_S_OK) return MSGR_S_FALSE;
    if (!own) {  // the debt moves to the service's add-in; within one add-in it stays put, once
        const std::lock_guard<std::mutex> lock(ctx->owed_mutex);
        ctx->owed.erase(mine.message_id);
    }
    return MSGR_S_OK;
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

// ---- the host ---------------------------------------------------------------------------------

AddinHost::AddinHost(Runtime &rt) : rt_(rt) {
    const Config &c = rt_.config();
    if (!c.source_text.empty()) {
        try {
            config_ = std::make_unique<ConfigTree>(ConfigTree{toml::parse(c.source_text)});
        } catch (const std::exception &e) {
            // load_config already accepted this text; this cannot happen, but must not throw.
            log(MSGR_LOG_ERROR, std::string("add-ins get no configuration: ") + e.what());
        }
    }
}

AddinHost::~AddinHost() {
    graveyard_.clear();
    service_graveyard_.clear();
    for (auto it = addins_.rbegin(); it != addins_.rend(); ++it)
        stop(**it);
}

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
    ctx->inbox = &rt_.inbox();
    addins_.push_back(std::move(ctx));
    return *addins_.back();
}

void AddinHost::load_all() {
    std::vector<std::string> seen_dirs;
    std::vector<std::string> seen_files;
    const auto &disabled = rt_.config().disabled_addins;
    std::vector<bool> disabled_matched(disabled.size(), false);
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
                ctx.state = MSGR_ADDIN_DISABLED_BY_CONFIG;
                ctx.reason = "disabled by configuration: runtime.disabled_addins in " +
                             rt_.config().source_origin + " lists \"" + stem +
                             "\"; the file was not opened";
                report(ctx);
                continue;
            }
            verify_and_open(add(f));
        }
    }
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
    // Load in dependency order: an add-in starts once everything it depends on is loaded.
    for (bool progress = true; progress;) {
        progress = false;
        for (auto &ctx : addins_) {
            if (!ctx->pending) continue;
            bool ready = true;
            for (const auto &dep : ctx->depends) {
                bool loaded = false;
                for (const auto &o : addins_)
                    loaded = loaded || (o->name == dep && o->state == MSGR_ADDIN_LOADED);
                ready = ready && loaded;
            }
            if (!ready) continue;
            start(*ctx);
            progress = true;
        }
    }
    for (auto &ctx : addins_) {
        if (!ctx->pending) continue;
        std::string missing;
        for (const auto &dep : ctx->depends) {
            bool loaded = false;
            for (const auto &o : addins_)
                loaded = loaded || (o->name == dep && o->state == MSGR_ADDIN_LOADED);
            if (!loaded) missing += (missing.empty() ? "\"" : ", \"") + dep + "\"";
        }
        refuse(*ctx, MSGR_E_FAIL,
               "depends on " + missing +
                   ", which is not loaded (missing, refused, disabled or a cycle)");
    }
    // A configuration table nobody reads is most likely a typo.
    if (config_) {
        for (const auto &[key, node] : config_->root) {
            if (key == "runtime") continue;
            bool claimed = false;
            for (const auto &ctx : addins_)
                claimed = claimed || (ctx->state == MSGR_ADDIN_LOADED && ctx->config_table == key);
            if (!claimed) {
                log(MSGR_LOG_WARNING, "configuration table [" + std::string(key.str()) +
                                          "] is not read by any loaded add-in");
            }
        }
    }
}

void AddinHost::verify_and_open(msgr_host_ctx &ctx) {
    const int fd = ::open(ctx.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        refuse(ctx, MSGR_E_FILE_NOT_FOUND,
               std::string("cannot open: ") + std::generic_category().message(errno));
        return;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        refuse(ctx, MSGR_E_INVALID_DATA, "not a regular file");
        return;
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
        refuse(ctx, MSGR_E_FAIL, "not trusted: " + why);
        return;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > kMaxAddinBytes) {
        refuse(ctx, MSGR_E_INVALID_DATA, "implausibly large (" + std::to_string(size) + " bytes)");
        return;
    }
    const auto &allow = rt_.config().addin_sha256;
    if (!allow.empty()) {
        const std::string hash = sha256_file(fd);
        if (std::find(allow.begin(), allow.end(), hash) == allow.end()) {
            refuse(ctx, MSGR_E_FAIL,
                   "not trusted: its SHA-256 " + hash +
                       " is not on the allow-list (runtime.addin_sha256)");
            return;
        }
    }
    const ElfReport elf = check_elf(fd, size, MSGR_ADDIN_ENTRY_SYMBOL);
    if (!elf.ok) {
        refuse(ctx, MSGR_E_INVALID_DATA, elf.reason);
        return;
    }
    // Boost.DLL and dlopen take a path. (Not /proc/self/fd/N: glibc's dlopen matches an already
    // loaded library by name, and fd numbers are reused.) The directory is trusted, so the file
    // can only be swapped by its owner; the checks below make sure it was not swapped anyway.
    const std::string &open_path = ctx.path;
    auto same_file = [&] {
        struct stat now {};
        return ::stat(open_path.c_str(), &now) == 0 && now.st_dev == st.st_dev &&
               now.st_ino == st.st_ino && now.st_size == st.st_size &&
               now.st_mtim.tv_sec == st.st_mtim.tv_sec && now.st_mtim.tv_nsec == st.st_mtim.tv_nsec;
    };
    if (!elf.dynsym_entry) {
        refuse(ctx, MSGR_E_INVALID_DATA,
               "no entry point: the file does not export " MSGR_ADDIN_ENTRY_SYMBOL
               " (use MSGR_ADDIN_ENTRY or BOOST_DLL_ALIAS)");
        return;
    }
    if (!elf.entry_is_pointer || !elf.entry_in_alias_section) {
        refuse(ctx, MSGR_E_INVALID_DATA,
               MSGR_ADDIN_ENTRY_SYMBOL
               " is not an alias (a pointer in the boostdll section): "
               "export it with MSGR_ADDIN_ENTRY or BOOST_DLL_ALIAS");
        return;
    }

    // The file is what it should be: load it. Its static constructors run here.
    if (!same_file()) {
        refuse(ctx, MSGR_E_FAIL, "the file changed while it was being verified");
        return;
    }
    try {
        namespace mode = boost::dll::load_mode;
        ctx.lib = std::make_unique<boost::dll::shared_library>(open_path,
                                                               mode::rtld_now | mode::rtld_local);
    } catch (const std::exception &e) {
        refuse(ctx, MSGR_E_FAIL, std::string("cannot load: ") + e.what());
        return;
    }
    DescriptorInfo info;
    Refusal why_not;
    const bool read = read_descriptor(ctx.lib->native(), info, why_not);
    ctx.abi_major = info.fields.abi_major;
    ctx.abi_minor = info.fields.abi_minor;
    if (!read) {
        refuse(ctx, why_not.hr, why_not.reason);
        return;
    }
    const std::string &name = info.fields.name;
    ctx.name = name;
    ctx.version = info.fields.version;
    ctx.description = info.fields.description;
    ctx.depends = info.fields.depends;
    const msgr_addin_descriptor &desc = info.desc;
    for (const auto &o : addins_) {
        if (o.get() != &ctx && o->name == name && (o->pending || o->state == MSGR_ADDIN_LOADED)) {
            refuse(ctx, MSGR_E_FAIL,
                   "another add-in named \"" + name + "\" was found first, in " + o->path);
            return;
        }
    }
    if (!info.fields.config_table.empty()) {
        ctx.config_table = info.fields.config_table;
        if (config_) {
            if (const toml::node *n = config_->root.get(ctx.config_table)) {
                ctx.config = n->as_table();
                if (ctx.config == nullptr) {
                    refuse(ctx, MSGR_E_INVALID_DATA,
                           "[" + ctx.config_table + "] in " + rt_.config().source_origin +
                               " must be a table");
                    return;
                }
            }
        }
    }
    ctx.desc = desc;
    ctx.pending = true;
}

void AddinHost::start(msgr_host_ctx &ctx) {
    ctx.pending = false;
    const msgr_host host{sizeof(msgr_host), MSGR_ADDIN_ABI_MAJOR, MSGR_ADDIN_ABI_MINOR, &ctx,
                         &host_get_proc};
    ctx.loading = true;
    std::string threw;
    const msgr_hresult hr = guard([&] { return ctx.desc.load(&host, &ctx.state_ptr); }, threw);
    ctx.loading = false;
    if (!threw.empty()) {
        // It ran and broke: whatever it started may still run, so its code stays mapped.
        ctx.has_paging = false;
        ctx.subs.clear();
        ctx.services.clear();
        ctx.accepting = false;
        ctx.state = MSGR_ADDIN_DISABLED;
        ctx.result = hr;
        ctx.reason = "load " + threw;
        {
            const std::lock_guard<std::mutex> lock(g_never_unmapped_mutex);
            never_unmapped().push_back(std::move(ctx.lib));
        }
        report(ctx);
        return;
    }
    if (MSGR_FAILED(hr)) {
        ctx.has_paging = false;
        ctx.subs.clear();
        ctx.services.clear();
        ctx.accepting = false;
        refuse(ctx, hr,
               "load failed with " + hr_text(hr) +
                   (ctx.load_error.empty() ? std::string() : ": " + ctx.load_error));
        return;
    }
    ctx.ran = true;
    ctx.state = MSGR_ADDIN_LOADED;
    for (std::size_t i = 0; i < ctx.services.size(); ++i) {
        auto adapter = std::make_unique<AddinService>(ctx, i);
        ctx.services[i].adapter = adapter.get();
        rt_.add_service(std::move(adapter));
        ctx.provides |= MSGR_ADDIN_PROVIDES_SERVICE;
    }
    if (ctx.has_paging) {
        auto adapter = std::make_unique<AddinPaging>(ctx);
        ctx.adapter = adapter.get();
        rt_.set_paging_provider(std::move(adapter));
        ctx.provides |= MSGR_ADDIN_PROVIDES_PAGING;
    }
    if (!ctx.drawers.empty()) ctx.provides |= MSGR_ADDIN_PROVIDES_DRAWING;
    for (const auto &sub : ctx.subs) {
        msgr_host_ctx *c = &ctx;
        const auto fn = sub.fn;
        void *user = sub.user;
        ctx.connections.push_back(rt_.connect(sub.type, [c, fn, user](const msgr_event &ev) {
            if (c->state != MSGR_ADDIN_LOADED) return;
            std::string threw;
            const msgr_hresult hr = guard([&] { return fn(&ev, user); }, threw);
            if (MSGR_FAILED(hr)) {
                c->host->disable(*c, hr,
                                 std::string("its ") + msgr_event_type_name(ev.type) +
                                     " callback " +
                                     (threw.empty() ? "returned " + hr_text(hr) : threw));
            }
        }));
        ctx.provides |= MSGR_ADDIN_PROVIDES_EVENTS;
    }
    report(ctx);
}

void AddinHost::refuse(msgr_host_ctx &ctx, msgr_hresult hr, const std::string &reason) {
    ctx.pending = false;
    ctx.state = MSGR_ADDIN_REFUSED;
    ctx.result = hr;
    ctx.reason = reason;
    ctx.lib.reset();  // nothing of it runs any more (its load, if called, cleaned up)
    report(ctx);
}

void AddinHost::report(msgr_host_ctx &ctx) {
    std::string text = ctx.name + ": " + state_name(ctx.state);
    if (!ctx.reason.empty()) text += ": " + ctx.reason;
    const bool bad = ctx.state == MSGR_ADDIN_REFUSED || ctx.state == MSGR_ADDIN_DISABLED;
    log(bad ? MSGR_LOG_WARNING : MSGR_LOG_INFO, "add-in " + ctx.path + ": " + text);
    rt_.raise_addin_event(ctx.index, ctx.result, std::move(text));
}

void AddinHost::withdraw(msgr_host_ctx &ctx) {
    ctx.accepting = false;
    for (auto &c : ctx.connections)
        c.disconnect();
    ctx.connections.clear();
    // Its services leave the runtime (which signs out of a primary service that vanishes). The
    // adapters may be on the stack (the add-in failed inside a call): freed in collect().
    for (auto &reg : ctx.services) {
        if (reg.adapter == nullptr) continue;
        const char *became = ctx.state == MSGR_ADDIN_LOADED ? "unloaded" : state_name(ctx.state);
        auto gone = rt_.remove_service(
            reg.adapter, "the service \"" + reg.id + "\" of add-in \"" + ctx.name + "\" was " +
                             became + (ctx.reason.empty() ? std::string() : ": " + ctx.reason));
        if (gone) service_graveyard_.push_back(std::move(gone));
        reg.adapter = nullptr;
    }
    if (ctx.adapter != nullptr) {
        if (rt_.paging_provider() == ctx.adapter) {
            // It may be on the stack (the add-in failed inside a call): freed in collect().
            graveyard_.push_back(rt_.release_paging_provider());
        }
        ctx.adapter = nullptr;
    }
    // Pages it still owed: reported as failed, never silently dropped.
    std::unordered_set<std::uint64_t> owed;
    {
        const std::lock_guard<std::mutex> lock(ctx.owed_mutex);
        owed.swap(ctx.owed);
    }
    // Except the one whose hand-over failed just now (disabling it): its caller reports it, or
    // (a page) the paging provider may still deliver it through its own gateway.
    if (ctx.handing_over != 0) owed.erase(ctx.handing_over);
    for (const auto id : owed)
        ctx.inbox->push(DeliveryDone{id, MSGR_DELIVERY_FAILED, MSGR_E_FAIL});
}

void AddinHost::disable(msgr_host_ctx &ctx, msgr_hresult hr, const std::string &reason) {
    if (ctx.state != MSGR_ADDIN_LOADED) return;
    ctx.state = MSGR_ADDIN_DISABLED;
    ctx.result = MSGR_SUCCEEDED(hr) ? MSGR_E_FAIL : hr;
    ctx.reason = reason;
    withdraw(ctx);
    report(ctx);
}

void AddinHost::stop(msgr_host_ctx &ctx) {
    withdraw(ctx);
    run_unload(ctx);
    ctx.lib.reset();
}

bool AddinHost::settle_paging() {
    for (auto &c : addins_) {
        msgr_host_ctx &ctx = *c;
        // Only an add-in that provides paging and no contact service: a service must leave the
        // runtime (withdraw) before its code is unloaded.
        if (ctx.state != MSGR_ADDIN_LOADED || ctx.adapter == nullptr ||
            rt_.paging_provider() != ctx.adapter || !ctx.services.empty()) {
            continue;
        }
        graveyard_.push_back(rt_.release_paging_provider());  // no page reaches it from now on
        ctx.adapter = nullptr;
        // Still accepting: it reports the pages it cannot keep. Its threads, which this one
        // waits for in the unload, must not wait for room in the inbox meanwhile.
        ctx.inbox->set_bounded(false);
        run_unload(ctx);
        ctx.inbox->set_bounded(true);
        std::size_t kept = 0;
        {
            const std::lock_guard<std::mutex> lock(ctx.owed_mutex);
            kept = ctx.owed.size();
            ctx.owed.clear();
        }
        if (kept > 0) {
            log(MSGR_LOG_INFO, "add-in " + ctx.name + " kept " + std::to_string(kept) +
                                   " page(s) it still owed for its next start");
        }
        stop(ctx);  // disconnects and unmaps it
        ctx.state = MSGR_ADDIN_UNLOADED;
        return true;
    }
    return false;
}

void AddinHost::run_unload(msgr_host_ctx &ctx) {
    if (ctx.ran) {
        ctx.ran = false;
        std::string threw;
        guard(
            [&] {
                ctx.desc.unload(ctx.state_ptr);
                return MSGR_S_OK;
            },
            threw);
        if (!threw.empty()) {
            log(MSGR_LOG_ERROR, "add-in " + ctx.name + ": unload " + threw +
                                    "; its code stays mapped until the process exits");
            const std::lock_guard<std::mutex> lock(g_never_unmapped_mutex);
            never_unmapped().push_back(std::move(ctx.lib));
        }
    }
}

std::string AddinHost::explain_missing_service(const std::string &setting,
                                               const std::string &id) const {
    std::string why;
    for (const auto &c : addins_) {
        if (c->state != MSGR_ADDIN_REFUSED && c->state != MSGR_ADDIN_DISABLED &&
            c->state != MSGR_ADDIN_DISABLED_BY_CONFIG) {
            continue;
        }
        why += "; add-in " + c->path + " was " + state_name(c->state) + ": " + c->reason;
    }
    std::string dirs;
    for (const auto &d : search_directories())
        dirs += (dirs.empty() ? "" : ", ") + d;
    return setting + " \"" + id +
           "\", which no loaded service provides (contact services come from add-ins; the "
           "loopback service is the add-in loopback.so in lib/msgr/addins; searched: " +
           (dirs.empty() ? std::string("no directories") : dirs) + ")" + why;
}

bool AddinHost::has_drawers() const noexcept {
    for (const auto &c : addins_) {
        if (c->state == MSGR_ADDIN_LOADED && !c->drawers.empty()) return true;
    }
    return false;
}

msgr_hresult AddinHost::draw(const msgr_draw_context &dc, const msgr_draw_guard *g) {
    if (drawing_) return fail(MSGR_E_UNEXPECTED, "msgr_addin_draw called from a drawer");
    if (dc.struct_size < kDrawContextV1Size) {
        return fail(MSGR_E_INVALIDARG, "msgr_draw_context.struct_size is too small");
    }
    if (g != nullptr && g->struct_size < kDrawGuardV1Size) {
        return fail(MSGR_E_INVALIDARG, "msgr_draw_guard.struct_size is too small");
    }
    drawing_ = true;
    for (const auto &cp : addins_) {
        msgr_host_ctx &ctx = *cp;
        for (std::size_t i = 0; i < ctx.drawers.size() && ctx.state == MSGR_ADDIN_LOADED; ++i) {
            const msgr_drawer &d = ctx.drawers[i];
            if (g != nullptr && g->before != nullptr) g->before(g->user, ctx.name.c_str());
            std::string threw;
            const msgr_hresult hr = guard([&] { return d.draw(d.state, &dc); }, threw);
            char why[256] = "";
            const msgr_hresult checked = (g != nullptr && g->after != nullptr)
                                             ? g->after(g->user, why, sizeof why)
                                             : MSGR_S_OK;
            if (MSGR_FAILED(hr)) {
                std::string reason =
                    "its draw callback " + (threw.empty() ? "returned " + hr_text(hr) : threw);
                if (!ctx.load_error.empty()) reason += ": " + ctx.load_error;
                if (MSGR_FAILED(checked)) reason += "; " + bounded(why, sizeof why);
                disable(ctx, hr, reason);
            } else if (MSGR_FAILED(checked)) {
                disable(ctx, checked, "its draw callback " + bounded(why, sizeof why));
            }
        }
    }
    drawing_ = false;
    return MSGR_S_OK;
}

void AddinHost::collect() {
    graveyard_.clear();
    service_graveyard_.clear();
}

msgr_hresult AddinHost::info(std::size_t index, msgr_addin_info &out) const {
    if (index >= addins_.size()) {
        return fail(MSGR_E_INVALIDARG, "add-in index " + std::to_string(index) +
                                           " is out of range (" + std::to_string(addins_.size()) +
                                           " add-ins)");
    }
    const std::uint32_t caller_size = out.struct_size;
    if (caller_size < offsetof(msgr_addin_info, abi_major)) {
        return fail(MSGR_E_INVALIDARG, "msgr_addin_info.struct_size is " +
                                           std::to_string(caller_size) + "; set it to sizeof");
    }
    const msgr_host_ctx &c = *addins_[index];
    msgr_addin_info full{};
    full.struct_size = caller_size;
    full.state = c.state;
    full.result = c.result;
    full.provides = c.provides;
    full.name = c.name.c_str();
    full.version = c.version.c_str();
    full.description = c.description.c_str();
    full.path = c.path.c_str();
    full.reason = c.reason.c_str();
    full.abi_major = c.abi_major;
    full.abi_minor = c.abi_minor;
    std::memcpy(&out, &full, std::min<std::size_t>(caller_size, sizeof full));
    return MSGR_S_OK;
}

msgr_hresult AddinHost::unload(const char *name) {
    if (name == nullptr) return fail(MSGR_E_INVALIDARG, "the add-in name is NULL");
    msgr_host_ctx *target = nullptr;
    for (auto &c : addins_) {
        if (c->name == name && (target == nullptr || c->state == MSGR_ADDIN_LOADED))
            target = c.get();
    }
    if (target == nullptr)
        return fail(MSGR_E_INVALIDARG, std::string("no add-in is named \"") + name + "\"");
    if (target->state != MSGR_ADDIN_LOADED) return MSGR_S_FALSE;
    if (rt_.in_callback()) {
        return fail(MSGR_E_BUSY,
                    "cannot unload an add-in from inside an event callback; do it after the tick");
    }
    for (auto &c : addins_) {
        if (c->state != MSGR_ADDIN_LOADED) continue;
        for (const auto &dep : c->depends) {
            if (dep == target->name) {
                return fail(MSGR_E_BUSY, "add-in \"" + c->name + "\" depends on \"" + target->name +
                                             "\"; unload it first");
            }
        }
    }
    if (!target->services.empty() && rt_.session_active()) {
        return fail(MSGR_E_BUSY, "add-in \"" + target->name +
                                     "\" provides a contact service and the user is signed in "
                                     "(or signing in); sign out first");
    }
    if (target->adapter != nullptr && rt_.paging_in_use()) {
        return fail(MSGR_E_BUSY, "add-in \"" + target->name +
                                     "\" provides paging and a page window is open or a page "
                                     "is being delivered");
    }
    stop(*target);
    target->state = MSGR_ADDIN_UNLOADED;
    target->result = MSGR_S_OK;
    target->reason.clear();
    target->provides = 0;
    report(*target);
    return MSGR_S_OK;
}

}  // namespace msgr::core

// Room: the host functions, the msgr_host table an add-in gets (msgr_host.get_proc): the add-in's
// view of the runtime. It may touch the add-in's record (msgr_host_ctx: its registration while
// it loads, its owed ids, its inbox) and ask the runtime questions (owner thread, services,
// paging, configuration origin); it never changes an add-in's state (lifecycle.cpp does).
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "addins/config_view.hpp"
#include "addins/context.hpp"
#include "addins/descriptor.hpp"
#include "c_enum.hpp"
#include "capabilities.hpp"
#include "config.hpp"
#include "error.hpp"
#include "runtime.hpp"
#include "text.hpp"

namespace msgr::core {

namespace {

bool on_owner(msgr_host_ctx *ctx) {
    return ctx != nullptr && !ctx->retired.load() && ctx->host->runtime().on_owner_thread();
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
    return ctx->retired.load() ? nullptr : ctx->config;  // a retired context's table is gone
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
    if (ctx == nullptr || ctx->retired.load()) return "";
    return ctx->host->runtime().config().source_origin.c_str();
}

msgr_hresult host_register_paging(msgr_host_ctx *ctx, const msgr_paging_provider *p) {
    if (!on_owner(ctx) || ctx->stage != Stage::loading) return MSGR_E_UNEXPECTED;
    if (const char *problem = paging_table_problem(p)) {
        ctx->load_error = problem;
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
    ctx->paging = copy_paging_table(*p);
    ctx->has_paging = true;
    return MSGR_S_OK;
}

msgr_hresult host_register_drawer(msgr_host_ctx *ctx, const msgr_drawer *d) {
    if (!on_owner(ctx) || ctx->stage != Stage::loading) return MSGR_E_UNEXPECTED;
    if (const char *problem = drawer_table_problem(d)) {
        ctx->load_error = problem;
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
    if (!on_owner(ctx) || ctx->stage != Stage::loading) return MSGR_E_UNEXPECTED;
    if (!valid_subscription(type, fn)) return MSGR_E_INVALIDARG;
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
    if (!on_owner(ctx) || ctx->stage != Stage::loading) return MSGR_E_UNEXPECTED;
    std::string id;
    if (const char *problem = service_table_problem(t, id)) {
        ctx->load_error = problem;
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
        reg.table = copy_service_table(*t);  // what an older add-in's table lacks is NULL
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

// Makes a report's inbox item (make()) and pushes it: a failed allocation in either is
// E_OUTOFMEMORY, so that no exception leaves a host function.
template <typename Make>
msgr_hresult post_item(msgr_host_ctx *ctx, Make &&make) {
    try {
        if (!ctx->inbox->push(make())) return MSGR_E_DISCONNECTED;
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

msgr_hresult host_post_signin(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_item(ctx, [&] {
        return SigninDone{service, session, MSGR_SUCCEEDED(hr) ? MSGR_S_OK : hr};
    });
}

msgr_hresult host_post_offline(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_item(ctx, [&] {
        return WentOffline{service, session, MSGR_FAILED(hr) ? hr : MSGR_E_DISCONNECTED};
    });
}

msgr_hresult host_post_contact(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *signin, int added) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!valid_name(signin)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] { return ContactListChange{service, session, signin, added != 0}; });
}

msgr_hresult host_post_status(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              const char *signin, std::int32_t status) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!valid_name(signin) || !known_status(status)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] { return ContactStatusChange{service, session, signin, status}; });
}

// A message (or, with page, a page) from a contact.
msgr_hresult post_arrival(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                          const char *from, const char *text, std::size_t text_size, bool page) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!valid_arrival(from, text, text_size)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] {
        return MessageArrived{service, session, from, std::string(text, text_size), page};
    });
}

msgr_hresult host_post_message(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *from, const char *text, std::size_t text_size) {
    return post_arrival(ctx, service, session, from, text, text_size, false);
}

msgr_hresult host_post_page(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                            const char *from, const char *text, std::size_t text_size) {
    return post_arrival(ctx, service, session, from, text, text_size, true);
}

// ---- ABI 1.4: what a service reports about conversations ----

msgr_hresult host_post_message_ex(msgr_host_ctx *ctx, const msgr_incoming_message *message) {
    msgr_incoming_message m{};
    if (ctx == nullptr || !read_incoming(message, m)) return MSGR_E_INVALIDARG;
    const msgr_hresult ok = check_report(ctx, m.service);
    if (ok != MSGR_S_OK) return ok;
    return post_item(ctx, [&] {
        MessageArrived item{m.service, m.session, m.peer, std::string(m.text, m.text_size),
                            (m.flags & MSGR_INCOMING_PAGE) != 0};
        item.from_me = (m.flags & MSGR_INCOMING_FROM_ME) != 0;
        item.archived = (m.flags & MSGR_INCOMING_ARCHIVED) != 0;
        item.older = (m.flags & MSGR_INCOMING_OLDER) != 0;
        item.time_unix_ms = m.time_unix_ms;
        item.origin_id = bounded(m.origin_id, kMaxReportId);
        item.archive_id = bounded(m.archive_id, kMaxReportId);
        item.receipt_id = bounded(m.receipt_id, kMaxReportId);
        item.group = bounded(m.group, kMaxGroupId);
        return item;
    });
}

msgr_hresult host_post_receipt(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *peer, const char *origin_id, msgr_delivery_state state) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const int raw_state = raw_enum(state);  // from the add-in: any int (see c_enum.hpp)
    if (!valid_receipt(peer, origin_id, raw_state)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] {
        return ReceiptArrived{service, session, peer, origin_id,
                              static_cast<msgr_delivery_state>(raw_state)};
    });
}

msgr_hresult host_post_chat_state(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                  const char *peer, msgr_chat_state chat_state) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const int raw_state = raw_enum(chat_state);
    if (!valid_chat_state_report(peer, raw_state)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] {
        return ChatStateChange{service, session, peer, static_cast<msgr_chat_state>(raw_state)};
    });
}

msgr_hresult host_post_history_end(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                   const char *peer, int complete) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!valid_name(peer)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] { return HistoryEnd{service, session, peer, complete != 0}; });
}

// ---- ABI 1.6: what a service reports about the contact list ----

// One contact list report (checked: a live add-in, one of its services, a sign-in name).
msgr_hresult post_contact_report(msgr_host_ctx *ctx, ContactReport::Kind kind, const char *service,
                                 std::uint64_t session, const char *signin, msgr_hresult hr,
                                 bool flag, const char *text) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!valid_name(signin)) return MSGR_E_INVALIDARG;
    return post_item(ctx, [&] {
        return ContactReport{
            kind, service, session, signin, hr, flag, bounded(text, kMaxFriendlyName)};
    });
}

msgr_hresult host_post_add_result(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                  const char *signin, msgr_hresult hr) {
    if (!valid_add_result(signin, hr)) return MSGR_E_INVALIDARG;
    return post_contact_report(ctx, ContactReport::Kind::add_result, service, session, signin, hr,
                               false, nullptr);
}

msgr_hresult host_post_authorization_request(msgr_host_ctx *ctx, const char *service,
                                             std::uint64_t session, const char *from) {
    return post_contact_report(ctx, ContactReport::Kind::authorization_request, service, session,
                               from, MSGR_S_OK, false, nullptr);
}

msgr_hresult host_post_blocked(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *signin, int blocked) {
    return post_contact_report(ctx, ContactReport::Kind::blocked, service, session, signin,
                               MSGR_S_OK, blocked != 0, nullptr);
}

msgr_hresult host_post_friendly_name(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                     const char *signin, const char *name) {
    if (!valid_friendly_report(signin, name)) return MSGR_E_INVALIDARG;
    return post_contact_report(ctx, ContactReport::Kind::friendly_name, service, session, signin,
                               MSGR_S_OK, false, name);
}

// ---- ABI 1.7: rich presence ----

msgr_hresult host_post_activity(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                const char *signin, const char *text) {
    if (!valid_activity_report(signin, text)) return MSGR_E_INVALIDARG;
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_item(ctx, [&] {
        return ContactReport{
            ContactReport::Kind::activity,    service, session, signin, MSGR_S_OK, false,
            bounded(text, kMaxActivityReport)};
    });
}

// The paging provider hands the page it is submitting to the contact's own service (ABI 1.3).
// On S_OK the service owes the page's delivery report, and the paging provider no longer does.
msgr_hresult host_page_via_service(msgr_host_ctx *ctx, const msgr_page_request *page) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    // On the owner thread, inside the paging provider's submit. The mark is lifted while the
    // service is called, so that nothing the service does can nest a call.
    if (!on_owner(ctx) || ctx->submitting == nullptr || !ctx->loaded()) return MSGR_E_UNEXPECTED;
    const PageRequest &mine = *ctx->submitting;
    if (!same_page(page, mine.message_id, mine.from, mine.to, mine.to_service, mine.text))
        return MSGR_E_INVALIDARG;  // another page
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

}  // namespace

msgr_proc host_get_proc(const char *name) {
    static const ProcEntry table[] = {MSGR_ADDIN_HOST_FUNCTIONS(MSGR_ADDIN_PROC_ENTRY)};
    return find_proc(table, name);
}

}  // namespace msgr::core

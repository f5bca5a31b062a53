// The msgr_host functions an isolated add-in is given: the runtime's names and answers. What the
// runtime decides (its inbox, its other add-ins) crosses the post channel or, for
// msgr_host_page_via_service, the call channel; what can be checked here is checked with the
// runtime's rules first, so that the add-in gets the same codes in both isolation modes. The
// runtime checks everything again: nothing from here is trusted there.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "addin.hpp"
#include "addins/abi_rules.hpp"
#include "addins/config_view.hpp"
#include "addins/descriptor.hpp"
#include "c_enum.hpp"
#include "text.hpp"

namespace msgr::addin_host {

namespace wire = core::wire;

namespace {

using core::bounded;
using core::kMaxDrawers;
using core::kMaxReportId;
using core::known_status;

bool on_main(const msgr_host_ctx *ctx) {
    return ctx != nullptr && std::this_thread::get_id() == ctx->main_thread;
}

bool registering(const msgr_host_ctx *ctx) {
    return on_main(ctx) && ctx->phase.load() == msgr_host_ctx::Phase::loading;
}

void set_load_error(msgr_host_ctx *ctx, std::string text) {
    const std::lock_guard<std::mutex> lock(ctx->mutex);
    ctx->load_error = std::move(text);
}

void host_log(msgr_host_ctx *ctx, msgr_log_level level, const char *message) {
    if (ctx == nullptr || message == nullptr) return;
    try {
        // The level travels as the add-in gave it: the runtime's log function clamps it.
        ctx->posts->send(wire::Log{core::raw_enum(level), bounded(message, wire::kMaxShort)});
    } catch (...) {
    }
}

void host_set_error(msgr_host_ctx *ctx, const char *reason) {
    if (ctx == nullptr || reason == nullptr) return;
    try {
        set_load_error(ctx, bounded(reason, 1024));
    } catch (...) {
    }
}

msgr_hresult host_config_string(msgr_host_ctx *ctx, const char *key, const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::string(ctx->config.get(), key, out);
}
msgr_hresult host_config_int(msgr_host_ctx *ctx, const char *key, std::int64_t *out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::integer(ctx->config.get(), key, out);
}
msgr_hresult host_config_bool(msgr_host_ctx *ctx, const char *key, int *out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::boolean(ctx->config.get(), key, out);
}
msgr_hresult host_config_array_size(msgr_host_ctx *ctx, const char *key, std::size_t *out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::array_size(ctx->config.get(), key, out);
}
msgr_hresult host_config_array_string(msgr_host_ctx *ctx, const char *key, std::size_t index,
                                      const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::array_string(ctx->config.get(), key, index, out);
}
msgr_hresult host_config_key(msgr_host_ctx *ctx, std::size_t index, const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::key(ctx->config.get(), index, out);
}
msgr_hresult host_config_key_at(msgr_host_ctx *ctx, const char *path, std::size_t index,
                                const char **out) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    return core::config_view::key_at(ctx->config.get(), path, index, out);
}
const char *host_config_origin(msgr_host_ctx *ctx) {
    if (ctx == nullptr) return "";
    return ctx->origin.c_str();
}

msgr_hresult host_register_paging(msgr_host_ctx *ctx, const msgr_paging_provider *p) {
    if (!registering(ctx)) return MSGR_E_UNEXPECTED;
    if (const char *problem = core::paging_table_problem(p)) {
        set_load_error(ctx, problem);
        return MSGR_E_INVALIDARG;
    }
    if (ctx->registration.paging) {
        set_load_error(ctx, "registered paging twice");
        return MSGR_E_FAIL;
    }
    // Whether another add-in provides paging is the runtime's to say (at the LoadReply).
    ctx->paging = core::copy_paging_table(*p);
    ctx->registration.paging = true;
    ctx->registration.max_page_utf16 = ctx->paging.max_page_utf16;
    ctx->registration.has_knows_mobile = ctx->paging.knows_mobile != nullptr;
    return MSGR_S_OK;
}

msgr_hresult host_register_service(msgr_host_ctx *ctx, const msgr_contact_service *t) {
    if (!registering(ctx)) return MSGR_E_UNEXPECTED;
    std::string id;
    if (const char *problem = core::service_table_problem(t, id)) {
        set_load_error(ctx, problem);
        return MSGR_E_INVALIDARG;
    }
    for (const auto &s : ctx->registration.services) {
        if (s.id == id) {
            set_load_error(ctx, "registered the contact service \"" + id + "\" twice");
            return MSGR_E_FAIL;
        }
    }
    if (ctx->services.size() >= wire::kMaxList) {
        set_load_error(ctx, "registered more than " + std::to_string(wire::kMaxList) +
                                " contact services (the most an add-in process carries)");
        return MSGR_E_FAIL;
    }
    try {
        msgr_contact_service table = core::copy_service_table(*t);  // what it lacks is NULL
        table.id = nullptr;  // the add-in's string is borrowed for this call: the copy is in id
        ctx->services.push_back(table);
        ctx->registration.services.push_back(
            {id, table.flags, table.max_message_bytes, table.send_page != nullptr,
             table.send_message_ex != nullptr, table.send_chat_state != nullptr,
             table.send_displayed != nullptr, table.fetch_older != nullptr,
             table.add_contact != nullptr, table.remove_contact != nullptr,
             table.authorize != nullptr, table.set_blocked != nullptr,
             table.set_friendly_name != nullptr, table.set_activity != nullptr});
        const std::lock_guard<std::mutex> lock(ctx->mutex);
        ctx->service_ids.push_back(id);
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

msgr_hresult host_subscribe(msgr_host_ctx *ctx, msgr_event_type type, msgr_addin_event_fn fn,
                            void *user) {
    if (!registering(ctx)) return MSGR_E_UNEXPECTED;
    if (!core::valid_subscription(type, fn)) return MSGR_E_INVALIDARG;
    if (ctx->subs.size() >= wire::kMaxList) return MSGR_E_FAIL;
    try {
        ctx->subs.push_back({fn, user});
        ctx->registration.subscriptions.push_back(core::raw_enum(type));
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
    return MSGR_S_OK;
}

// Drawers draw with the host's ImGui, in the host's process: they cannot cross a process. The
// table is checked as the runtime checks it; a good one is refused with S_FALSE (a success: the
// add-in's load goes on and the rest of it works, as the runtime's reason for it says), so that an
// add-in that stops at a failed registration still runs isolated.
msgr_hresult host_register_drawer(msgr_host_ctx *ctx, const msgr_drawer *d) {
    if (!registering(ctx)) return MSGR_E_UNEXPECTED;
    if (const char *problem = core::drawer_table_problem(d)) {
        set_load_error(ctx, problem);
        return MSGR_E_INVALIDARG;
    }
    if (ctx->registration.drawers_refused >= kMaxDrawers) {
        set_load_error(ctx, "registered more than " + std::to_string(kMaxDrawers) + " drawers");
        return MSGR_E_FAIL;
    }
    ++ctx->registration.drawers_refused;
    log_line(*ctx, MSGR_LOG_WARNING,
             "drawers run in the host's process: set [addin." + ctx->stem +
                 "] isolation = \"in_process\" to draw");
    return MSGR_S_FALSE;
}

// Sends one report; MSGR_E_DISCONNECTED when the runtime's end is gone.
msgr_hresult post(msgr_host_ctx *ctx, wire::Post p) {
    return ctx->posts->send(p) ? MSGR_S_OK : MSGR_E_DISCONNECTED;
}

msgr_hresult host_post_delivery(msgr_host_ctx *ctx, std::uint64_t message_id,
                                msgr_delivery_state state, msgr_hresult hr) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    const int raw_state = core::raw_enum(state);  // from the add-in: any int
    if (raw_state != MSGR_DELIVERY_SENT && raw_state != MSGR_DELIVERY_FAILED)
        return MSGR_E_INVALIDARG;
    if (!ctx->accepting.load()) return MSGR_E_DISCONNECTED;
    {
        const std::lock_guard<std::mutex> lock(ctx->mutex);
        if (ctx->owed.erase(message_id) == 0) return MSGR_E_INVALIDARG;
    }
    wire::Post p;
    p.kind = wire::PostKind::Delivery;
    p.id = message_id;
    p.i32 = raw_state;
    p.hr = hr;  // the runtime's post_delivery takes it as in-process
    return post(ctx, std::move(p));
}

// A report from a live add-in, for a service it registered.
msgr_hresult check_report(msgr_host_ctx *ctx, const char *service) {
    if (ctx == nullptr || service == nullptr) return MSGR_E_INVALIDARG;
    if (!ctx->accepting.load()) return MSGR_E_DISCONNECTED;
    const std::string_view id(service, strnlen(service, 65));
    const std::lock_guard<std::mutex> lock(ctx->mutex);
    for (const auto &s : ctx->service_ids) {
        if (s == id) return MSGR_S_OK;
    }
    return MSGR_E_INVALIDARG;
}

// Sends one report of a service (checked: one of its ids); fill sets the fields beyond the
// service's. A failed allocation is E_OUTOFMEMORY: no exception leaves a host function.
template <typename Fill>
msgr_hresult post_report(msgr_host_ctx *ctx, wire::PostKind kind, const char *service,
                         std::uint64_t session, Fill &&fill) {
    try {
        wire::Post p;
        p.kind = kind;
        p.service = service;
        p.session = session;
        fill(p);
        return post(ctx, std::move(p));
    } catch (...) {
        return MSGR_E_OUTOFMEMORY;
    }
}

// The results travel as the add-in gave them: the runtime's post functions take them as they
// take an in-process add-in's.
msgr_hresult host_post_signin(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_report(ctx, wire::PostKind::Signin, service, session,
                       [&](wire::Post &p) { p.hr = hr; });
}

msgr_hresult host_post_offline(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    return post_report(ctx, wire::PostKind::Offline, service, session,
                       [&](wire::Post &p) { p.hr = hr; });
}

msgr_hresult host_post_contact(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *signin, int added) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_name(signin)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::Contact, service, session, [&](wire::Post &p) {
        p.who = signin;
        p.i32 = added != 0 ? 1 : 0;
    });
}

msgr_hresult host_post_status(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                              const char *signin, std::int32_t status) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_name(signin) || !known_status(status)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::Status, service, session, [&](wire::Post &p) {
        p.who = signin;
        p.i32 = status;
    });
}

// A message (or, with page, a page) from a contact.
msgr_hresult post_arrival(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                          const char *from, const char *text, std::size_t text_size, bool page) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_arrival(from, text, text_size)) return MSGR_E_INVALIDARG;
    const auto kind = page ? wire::PostKind::Page : wire::PostKind::Message;
    return post_report(ctx, kind, service, session, [&](wire::Post &p) {
        p.who = from;
        p.text.assign(text, text_size);
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
    if (ctx == nullptr || !core::read_incoming(message, m)) return MSGR_E_INVALIDARG;
    const msgr_hresult ok = check_report(ctx, m.service);
    if (ok != MSGR_S_OK) return ok;
    return post_report(ctx, wire::PostKind::MessageEx, m.service, m.session, [&](wire::Post &p) {
        p.who = m.peer;
        p.text.assign(m.text, m.text_size);
        p.i32 = static_cast<std::int32_t>(m.flags);  // checked: known flags only
        p.i64 = m.time_unix_ms;
        p.origin_id = bounded(m.origin_id, kMaxReportId);
        p.archive_id = bounded(m.archive_id, kMaxReportId);
        p.receipt_id = bounded(m.receipt_id, kMaxReportId);
        p.group = bounded(m.group, core::kMaxGroupId);
    });
}

msgr_hresult host_post_receipt(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *peer, const char *origin_id, msgr_delivery_state state) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const int raw_state = core::raw_enum(state);  // from the add-in: any int
    if (!core::valid_receipt(peer, origin_id, raw_state)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::Receipt, service, session, [&](wire::Post &p) {
        p.who = peer;
        p.origin_id = origin_id;
        p.i32 = raw_state;
    });
}

msgr_hresult host_post_chat_state(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                  const char *peer, msgr_chat_state chat_state) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    const int raw_state = core::raw_enum(chat_state);
    if (!core::valid_chat_state_report(peer, raw_state)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::ChatState, service, session, [&](wire::Post &p) {
        p.who = peer;
        p.i32 = raw_state;
    });
}

msgr_hresult host_post_history_end(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                   const char *peer, int complete) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_name(peer)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::HistoryEnd, service, session, [&](wire::Post &p) {
        p.who = peer;
        p.i32 = complete != 0 ? 1 : 0;
    });
}

// ---- ABI 1.6: what a service reports about the contact list ----

msgr_hresult host_post_add_result(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                  const char *signin, msgr_hresult hr) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_add_result(signin, hr)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::AddResult, service, session, [&](wire::Post &p) {
        p.who = signin;
        p.hr = hr;
    });
}

msgr_hresult host_post_authorization_request(msgr_host_ctx *ctx, const char *service,
                                             std::uint64_t session, const char *from) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_name(from)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::AuthorizationRequest, service, session,
                       [&](wire::Post &p) { p.who = from; });
}

msgr_hresult host_post_blocked(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                               const char *signin, int blocked) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_name(signin)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::Blocked, service, session, [&](wire::Post &p) {
        p.who = signin;
        p.i32 = blocked != 0 ? 1 : 0;
    });
}

msgr_hresult host_post_friendly_name(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                     const char *signin, const char *name) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_friendly_report(signin, name)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::FriendlyName, service, session, [&](wire::Post &p) {
        p.who = signin;
        p.text = bounded(name, core::kMaxFriendlyName);
    });
}

// ---- ABI 1.7: rich presence ----

msgr_hresult host_post_activity(msgr_host_ctx *ctx, const char *service, std::uint64_t session,
                                const char *signin, const char *text) {
    const msgr_hresult ok = check_report(ctx, service);
    if (ok != MSGR_S_OK) return ok;
    if (!core::valid_activity_report(signin, text)) return MSGR_E_INVALIDARG;
    return post_report(ctx, wire::PostKind::Activity, service, session, [&](wire::Post &p) {
        p.who = signin;
        p.text = bounded(text, core::kMaxActivityReport);
    });
}

// The paging provider hands the page it is submitting to the contact's service: the runtime
// decides (PageVia on the call channel). While it does, a Call may come in: the runtime handing
// the page to a service of this same add-in.
msgr_hresult host_page_via_service(msgr_host_ctx *ctx, const msgr_page_request *page) {
    if (ctx == nullptr) return MSGR_E_INVALIDARG;
    if (!on_main(ctx) || ctx->submitting == nullptr ||
        ctx->phase.load() != msgr_host_ctx::Phase::running || !ctx->accepting.load()) {
        return MSGR_E_UNEXPECTED;
    }
    const wire::Call &mine = *ctx->submitting;
    if (!core::same_page(page, mine.id, mine.a, mine.b, mine.c, mine.d)) return MSGR_E_INVALIDARG;
    {
        const std::lock_guard<std::mutex> lock(ctx->mutex);
        if (ctx->owed.count(mine.id) == 0) return MSGR_E_INVALIDARG;  // reported already
    }
    std::string why;
    const auto sent =
        ctx->call->send(wire::PageVia{mine.id, mine.a, mine.b, mine.c, mine.d}, -1, why);
    if (sent != wire::Channel::Status::ok) call_channel_lost(sent, why);
    // Lifted while the runtime answers: nothing the service does can nest a page-via.
    ctx->submitting = nullptr;
    ctx->handed_to_own = false;
    msgr_hresult hr = MSGR_E_UNEXPECTED;
    for (;;) {
        wire::Frame f;
        const auto st = ctx->call->receive(f, -1, why);
        if (st != wire::Channel::Status::ok) call_channel_lost(st, why);
        if (const auto *r = std::get_if<wire::PageViaReply>(&f)) {
            hr = r->hr;
            break;
        }
        const auto *c = std::get_if<wire::Call>(&f);
        if (c == nullptr) {
            call_channel_lost(wire::Channel::Status::malformed,
                              "an unexpected frame (type " +
                                  std::to_string(static_cast<unsigned>(wire::type_of(f))) +
                                  ") while waiting for the answer to a page-via");
        }
        if (c->method == wire::Method::SendPage && c->id == mine.id) ctx->handed_to_own = true;
        send_answer(*ctx, serve_call(*ctx, *c));
    }
    ctx->submitting = &mine;
    if (hr == MSGR_S_OK && !ctx->handed_to_own) {
        // The debt moved to the service's add-in; within one add-in it stays put, once.
        const std::lock_guard<std::mutex> lock(ctx->mutex);
        ctx->owed.erase(mine.id);
    }
    return hr;
}

msgr_proc host_get_proc(const char *name) {
    using core::ProcEntry;
    static const ProcEntry table[] = {MSGR_ADDIN_HOST_FUNCTIONS(MSGR_ADDIN_PROC_ENTRY)};
    return core::find_proc(table, name);
}

}  // namespace

msgr_host make_host(msgr_host_ctx &ctx) {
    return msgr_host{sizeof(msgr_host), MSGR_ADDIN_ABI_MAJOR, MSGR_ADDIN_ABI_MINOR, &ctx,
                     &host_get_proc};
}

void log_line(msgr_host_ctx &ctx, msgr_log_level level, const std::string &text) {
    host_log(&ctx, level, text.c_str());
}

}  // namespace msgr::addin_host

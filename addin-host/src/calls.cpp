// The runtime's calls into the add-in's paging provider and contact services, made here as the
// runtime makes them in its own process: guarded, with the ids the add-in owes kept as the
// runtime keeps them (owed from before the call, no longer owed when the call failed or
// declined).
#include <cstring>

#include "addin.hpp"
#include "addins/abi_rules.hpp"

namespace msgr::addin_host {

namespace wire = core::wire;

namespace {

void owe(msgr_host_ctx &ctx, std::uint64_t id, bool &inserted) {
    const std::lock_guard<std::mutex> lock(ctx.mutex);
    inserted = ctx.owed.insert(id).second;
}

void forgive(msgr_host_ctx &ctx, std::uint64_t id) {
    const std::lock_guard<std::mutex> lock(ctx.mutex);
    ctx.owed.erase(id);
}

wire::Reply submit(msgr_host_ctx &ctx, const wire::Call &c) {
    wire::Reply r;
    bool inserted = false;
    owe(ctx, c.id, inserted);  // before the call: its thread may answer at once
    const msgr_page_request req{sizeof(msgr_page_request),
                                c.id,
                                c.a.c_str(),
                                c.b.c_str(),
                                c.c.c_str(),
                                c.d.c_str(),
                                c.d.size()};
    ctx.submitting = &c;  // it may hand this page to the contact's service meanwhile
    r.hr = guard([&] { return ctx.paging.submit(ctx.paging.state, &req); }, r.threw);
    ctx.submitting = nullptr;
    if (MSGR_FAILED(r.hr)) forgive(ctx, c.id);  // the runtime marks this page failed itself
    return r;
}

// send_message / send_page: the id is owed from before the call; when the call fails (or, for
// a page, declines) the add-in owes it no longer, unless it owed it already (its own paging
// provider handing a page to its own service).
template <typename F>
wire::Reply hand_over(msgr_host_ctx &ctx, std::uint64_t id, bool may_decline, F &&f) {
    wire::Reply r;
    bool inserted = false;
    owe(ctx, id, inserted);
    r.hr = guard(std::forward<F>(f), r.threw);
    const bool declined = may_decline && r.hr != MSGR_S_OK;
    if ((MSGR_FAILED(r.hr) || declined) && inserted) forgive(ctx, id);
    return r;
}

// ABI 1.6: the contact list calls. The runtime calls only what the table has (it registered
// which): a function the table lacks is the runtime's bug, answered E_INVALIDARG.
wire::Reply contact_list_call(const msgr_contact_service &t, const wire::Call &c) {
    wire::Reply r;
    const char *a = c.a.c_str();
    const int flag = c.i32 != 0 ? 1 : 0;
    r.hr = MSGR_E_INVALIDARG;
    switch (c.method) {
        case wire::Method::AddContact:
            if (t.add_contact != nullptr)
                r.hr = guard([&] { return t.add_contact(t.state, a); }, r.threw);
            break;
        case wire::Method::RemoveContact:
            if (t.remove_contact != nullptr)
                r.hr = guard([&] { return t.remove_contact(t.state, a); }, r.threw);
            break;
        case wire::Method::Authorize:
            if (t.authorize != nullptr)
                r.hr = guard([&] { return t.authorize(t.state, a, flag); }, r.threw);
            break;
        case wire::Method::SetBlocked:
            if (t.set_blocked != nullptr)
                r.hr = guard([&] { return t.set_blocked(t.state, a, flag); }, r.threw);
            break;
        case wire::Method::SetFriendlyName:
            if (t.set_friendly_name != nullptr)
                r.hr = guard([&] { return t.set_friendly_name(t.state, a); }, r.threw);
            break;
        case wire::Method::SetActivity:  // ABI 1.7
            if (t.set_activity != nullptr)
                r.hr = guard([&] { return t.set_activity(t.state, a); }, r.threw);
            break;
        default:
            break;
    }
    return r;
}

wire::Reply service_call(msgr_host_ctx &ctx, const wire::Call &c) {
    if (c.target >= ctx.services.size()) {
        wire::Reply r;
        r.hr = MSGR_E_INVALIDARG;  // the runtime's bug: no service has that index
        return r;
    }
    const msgr_contact_service &t = ctx.services[c.target];
    wire::Reply r;
    switch (c.method) {
        case wire::Method::Signin:
            r.hr =
                guard([&] { return t.signin(t.state, c.id, c.a.c_str(), c.b.c_str()); }, r.threw);
            break;
        case wire::Method::Signout:
            r.hr = guard([&] { return t.signout(t.state); }, r.threw);
            break;
        case wire::Method::SetStatus:
            r.hr = guard([&] { return t.set_status(t.state, c.i32); }, r.threw);
            break;
        case wire::Method::Describe: {
            msgr_contact_info info{};
            info.struct_size = sizeof info;
            info.status = MSGR_STATUS_UNKNOWN;
            r.hr = guard(
                [&] {
                    const msgr_hresult h = t.describe(t.state, c.a.c_str(), &info);
                    // Copied inside the guard: the add-in's string is valid only during the call.
                    if (MSGR_SUCCEEDED(h) && info.friendly != nullptr)
                        r.friendly.assign(info.friendly, strnlen(info.friendly, 1024));
                    return h;
                },
                r.threw);
            r.out = info.status;
            r.mobile = info.mobile != 0 ? 1 : 0;
            break;
        }
        case wire::Method::SendMessage:
            r = hand_over(ctx, c.id, false, [&] {
                return t.send_message(t.state, c.id, c.a.c_str(), c.b.c_str(), c.b.size());
            });
            break;
        case wire::Method::SendPage:
            if (t.send_page == nullptr) {  // it carries no pages (or ABI < 1.3)
                r.hr = MSGR_S_FALSE;
                break;
            }
            r = hand_over(ctx, c.id, true, [&] {
                return t.send_page(t.state, c.id, c.a.c_str(), c.b.c_str(), c.b.size());
            });
            break;
        case wire::Method::SendMessageEx: {
            if (t.send_message_ex == nullptr) {  // the runtime calls it only when registered
                r.hr = MSGR_E_INVALIDARG;
                break;
            }
            const msgr_outgoing_message m{.struct_size = sizeof(msgr_outgoing_message),
                                          .message_id = c.id,
                                          .to = c.a.c_str(),
                                          .text = c.b.c_str(),
                                          .text_size = c.b.size(),
                                          .origin_id = c.c.c_str(),
                                          .resend = c.i32 != 0 ? 1 : 0,
                                          .time_unix_ms = c.i64,
                                          .group = c.group.empty() ? nullptr : c.group.c_str(),
                                          .members = c.group.empty() ? nullptr : c.members.c_str()};
            r = hand_over(ctx, c.id, false, [&] { return t.send_message_ex(t.state, &m); });
            break;
        }
        case wire::Method::SendChatState:
            // Only a state the ABI has is cast into the enumeration (the runtime sends no other).
            if (t.send_chat_state == nullptr || !core::known_chat_state(c.i32)) {
                r.hr = MSGR_E_INVALIDARG;
                break;
            }
            r.hr = guard(
                [&] {
                    return t.send_chat_state(t.state, c.a.c_str(),
                                             static_cast<msgr_chat_state>(c.i32));
                },
                r.threw);
            break;
        case wire::Method::SendDisplayed:
            if (t.send_displayed == nullptr) {
                r.hr = MSGR_E_INVALIDARG;
                break;
            }
            r.hr =
                guard([&] { return t.send_displayed(t.state, c.a.c_str(), c.c.c_str()); }, r.threw);
            break;
        case wire::Method::FetchOlder:
            if (t.fetch_older == nullptr || c.i32 < 1 ||
                static_cast<std::uint32_t>(c.i32) > core::kMaxFetchOlder) {
                r.hr = MSGR_E_INVALIDARG;
                break;
            }
            r.hr = guard(
                [&] {
                    return t.fetch_older(t.state, c.a.c_str(), c.c.c_str(),
                                         static_cast<std::uint32_t>(c.i32));
                },
                r.threw);
            break;
        case wire::Method::AddContact:
        case wire::Method::RemoveContact:
        case wire::Method::Authorize:
        case wire::Method::SetBlocked:
        case wire::Method::SetFriendlyName:
        case wire::Method::SetActivity:
            r = contact_list_call(t, c);
            break;
        default:
            r.hr = MSGR_E_INVALIDARG;
    }
    return r;
}

}  // namespace

wire::Reply serve_call(msgr_host_ctx &ctx, const wire::Call &c) {
    wire::Reply r;
    if (ctx.phase.load() != msgr_host_ctx::Phase::running) {
        r.hr = MSGR_E_UNEXPECTED;  // before a successful load, or after unload began
    } else if (c.method == wire::Method::KnowsMobile) {
        if (!ctx.registration.paging) {
            r.hr = MSGR_E_INVALIDARG;
        } else if (ctx.paging.knows_mobile != nullptr) {
            int out = 0;
            r.hr = guard(
                [&] {
                    return ctx.paging.knows_mobile(ctx.paging.state, c.a.c_str(), c.b.c_str(),
                                                   &out);
                },
                r.threw);
            r.out = out != 0 ? 1 : 0;
        }
    } else if (c.method == wire::Method::Submit) {
        if (ctx.registration.paging) {
            r = submit(ctx, c);
        } else {
            r.hr = MSGR_E_INVALIDARG;
        }
    } else {
        r = service_call(ctx, c);
    }
    if (!r.threw.empty()) r.hr = MSGR_E_UNEXPECTED;
    r.seq = c.seq;
    return r;
}

}  // namespace msgr::addin_host

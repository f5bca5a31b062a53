// Room: the adapters, what an add-in registered (msgr/addin.h, C tables) as the runtime's C++
// interfaces (PagingProvider, Service). Every call into the add-in goes through guard(); a
// failure asks the add-in host to disable it (AddinHost::disable). It may touch the add-in's
// record (owed ids, the page being submitted) and nothing else of the runtime.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "addins/context.hpp"
#include "c_enum.hpp"
#include "capabilities.hpp"
#include "error.hpp"

namespace msgr::core {

namespace {

// ---- the paging capability, as the runtime sees it ------------------------------------------

class AddinPaging final : public PagingProvider {
  public:
    explicit AddinPaging(msgr_host_ctx &ctx) : ctx_(ctx) {}

    const std::string &name() const override { return ctx_.name; }
    std::size_t max_page_utf16() const override { return ctx_.paging.max_page_utf16; }

    bool knows_mobile(std::string_view service, std::string_view signin) override {
        if (!ctx_.loaded() || ctx_.paging.knows_mobile == nullptr) return false;
        const std::string s(service), n(signin);
        int out = 0;
        std::string threw;
        const msgr_hresult hr = guard(
            [&] { return ctx_.paging.knows_mobile(ctx_.paging.state, s.c_str(), n.c_str(), &out); },
            threw);
        if (MSGR_FAILED(hr)) {
            ctx_.host->disable(
                ctx_, hr, call_problem(threw),
                "knows_mobile " + (threw.empty() ? "returned " + hr_text(hr) : threw));
            return false;
        }
        return out != 0;
    }

    msgr_hresult submit(const PageRequest &page) override {
        if (!ctx_.loaded()) {
            return fail(MSGR_E_NOTIMPL, "the paging add-in \"" + ctx_.name + "\" is " +
                                            state_name(ctx_.stage) + ": " + ctx_.reason);
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
            ctx_.host->disable(ctx_, hr, call_problem(threw), why);
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

    // ---- ABI 1.4 ----
    msgr_hresult send_message_ex(const Outgoing &m) override {
        if (!alive()) return gone();
        const msgr_contact_service &t = table();
        if (t.send_message_ex == nullptr) return send_message(m.message_id, m.to, m.text);
        msgr_outgoing_message out{};
        out.struct_size = sizeof out;
        out.message_id = m.message_id;
        out.to = m.to.c_str();
        out.text = m.text.c_str();
        out.text_size = m.text.size();
        out.origin_id = m.origin_id.c_str();
        out.resend = m.resend ? 1 : 0;
        out.time_unix_ms = m.time_unix_ms;
        if (!m.group.empty()) {
            out.group = m.group.c_str();
            out.members = m.members.c_str();
        }
        return hand_over("send_message_ex", m.message_id, false,
                         [&] { return t.send_message_ex(t.state, &out); });
    }
    bool supports_multi_party() const override {
        return (table().flags & MSGR_SERVICE_MULTI_PARTY) != 0;
    }
    bool has_archive() const override {
        return (table().flags & MSGR_SERVICE_HAS_ARCHIVE) != 0 && table().fetch_older != nullptr;
    }
    msgr_hresult send_chat_state(const std::string &to, msgr_chat_state state) override {
        // NONE ("not known") tells the contact nothing: not sent, in either isolation mode (the
        // add-in host program refuses a state no report may carry).
        if (!known_chat_state(raw_enum(state))) return MSGR_S_FALSE;
        const msgr_contact_service &t = table();
        return optional_call("send_chat_state", t.send_chat_state != nullptr,
                             [&] { return t.send_chat_state(t.state, to.c_str(), state); });
    }
    msgr_hresult send_displayed(const std::string &to, const std::string &receipt_id) override {
        const msgr_contact_service &t = table();
        return optional_call("send_displayed", t.send_displayed != nullptr, [&] {
            return t.send_displayed(t.state, to.c_str(), receipt_id.c_str());
        });
    }
    msgr_hresult fetch_older(const std::string &peer, const std::string &archive_id,
                             std::uint32_t max) override {
        const msgr_contact_service &t = table();
        const std::uint32_t n = std::clamp<std::uint32_t>(max, 1, kMaxFetchOlder);  // addin.h
        return optional_call("fetch_older", has_archive(), [&] {
            return t.fetch_older(t.state, peer.c_str(), archive_id.c_str(), n);
        });
    }

    // ---- ABI 1.6: the contact list (MSGR_E_NOTIMPL when the table has no such function) ----
    msgr_hresult add_contact(const std::string &signin) override {
        const msgr_contact_service &t = table();
        return list_call("add_contact", t.add_contact != nullptr,
                         [&] { return t.add_contact(t.state, signin.c_str()); });
    }
    msgr_hresult remove_contact(const std::string &signin) override {
        const msgr_contact_service &t = table();
        return list_call("remove_contact", t.remove_contact != nullptr,
                         [&] { return t.remove_contact(t.state, signin.c_str()); });
    }
    msgr_hresult authorize(const std::string &signin, bool accept) override {
        const msgr_contact_service &t = table();
        return list_call("authorize", t.authorize != nullptr,
                         [&] { return t.authorize(t.state, signin.c_str(), accept ? 1 : 0); });
    }
    msgr_hresult set_blocked(const std::string &signin, bool blocked) override {
        const msgr_contact_service &t = table();
        return list_call("set_blocked", t.set_blocked != nullptr,
                         [&] { return t.set_blocked(t.state, signin.c_str(), blocked ? 1 : 0); });
    }
    msgr_hresult set_friendly_name(const std::string &name) override {
        const msgr_contact_service &t = table();
        return list_call("set_friendly_name", t.set_friendly_name != nullptr,
                         [&] { return t.set_friendly_name(t.state, name.c_str()); });
    }

    // ---- ABI 1.7: rich presence (MSGR_E_NOTIMPL when the table has no set_activity) ----
    msgr_hresult set_activity(const std::string &text) override {
        const msgr_contact_service &t = table();
        return list_call("set_activity", t.set_activity != nullptr,
                         [&] { return t.set_activity(t.state, text.c_str()); });
    }

  private:
    const msgr_contact_service &table() const { return ctx_.services[index_].table; }
    bool alive() const { return ctx_.loaded(); }
    msgr_hresult gone() const {
        return fail(MSGR_E_FAIL, "the contact service \"" + id_ + "\" is gone: its add-in \"" +
                                     ctx_.name + "\" is " + state_name(ctx_.stage) +
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
            ctx_.host->disable(ctx_, hr, call_problem(threw), why);
            return fail(MSGR_E_FAIL, "the service add-in \"" + ctx_.name + "\" failed: " + why);
        }
        return MSGR_S_OK;
    }

    // A call the add-in may not have (a function of a newer ABI than its table's): S_FALSE
    // when it has not (`present`), else the call, guarded as every call; its S_FALSE (or any
    // other success but S_OK) passes on as S_FALSE: it did not do it.
    template <typename F>
    msgr_hresult optional_call(const char *what, bool present, F &&f) {
        if (!alive()) return gone();
        if (!present) return MSGR_S_FALSE;
        msgr_hresult answer = MSGR_S_OK;
        const msgr_hresult hr = call(what, [&] {
            answer = f();
            return answer;
        });
        if (MSGR_FAILED(hr)) return hr;
        return answer == MSGR_S_OK ? MSGR_S_OK : MSGR_S_FALSE;
    }

    // A contact list call (ABI 1.6): MSGR_E_NOTIMPL when the add-in's table does not have it
    // (`present`: an add-in built for 1.5 or older, whose shorter table was copied with these
    // NULL; the runtime says why), else the call, guarded as every call.
    template <typename F>
    msgr_hresult list_call(const char *what, bool present, F &&f) {
        if (!alive()) return gone();
        if (!present) return MSGR_E_NOTIMPL;
        return call(what, std::forward<F>(f));
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

}  // namespace

std::unique_ptr<PagingProvider> make_paging_adapter(msgr_host_ctx &ctx) {
    return std::make_unique<AddinPaging>(ctx);
}

std::unique_ptr<Service> make_service_adapter(msgr_host_ctx &ctx, std::size_t index) {
    return std::make_unique<AddinService>(ctx, index);
}

}  // namespace msgr::core

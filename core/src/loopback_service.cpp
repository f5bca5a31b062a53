#include "loopback_service.hpp"

#include "error.hpp"
#include "text.hpp"

namespace msgr::core {

LoopbackService::LoopbackService(LoopbackServiceConfig self, const Config &config,
                                 RuntimeInbox &inbox)
    : self_(std::move(self)), password_(config.loopback_password), inbox_(inbox) {
    // The echo contact lives on the first loopback service (id "loopback").
    if (config.loopback_services.front().id == self_.id)
        echo_key_ = fold_case(config.loopback_echo);
    for (const auto &c : config.loopback_contacts) {
        if (c.service == self_.id) directory_.push_back(c);
    }
}

const LoopbackContact *LoopbackService::directory_entry(std::string_view signin) const {
    const std::string key = fold_case(signin);
    for (const auto &c : directory_) {
        if (fold_case(c.signin) == key) return &c;
    }
    return nullptr;
}

msgr_hresult LoopbackService::signin(std::uint64_t session, const std::string &,
                                     const std::string &password) {
    const msgr_hresult hr =
        (password_.empty() || password == password_) ? MSGR_S_OK : MSGR_E_INVALID_PASSWORD;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        session_ = hr == MSGR_S_OK ? session : 0;
    }
    // The answer arrives on a later tick, as a network service's would.
    inbox_.push(SigninDone{self_.id, session, hr});
    if (hr != MSGR_S_OK) return MSGR_S_OK;
    for (const auto &c : directory_) {
        inbox_.push(ContactListChange{self_.id, session, c.signin, true});
    }
    return MSGR_S_OK;
}

void LoopbackService::signout() {
    const std::lock_guard<std::mutex> lock(mutex_);
    session_ = 0;
}

msgr_hresult LoopbackService::set_status(std::int32_t) {
    return MSGR_S_OK;
}

ContactInfo LoopbackService::describe(std::string_view signin) {
    if (const LoopbackContact *c = directory_entry(signin)) {
        return {c->friendly, c->status, c->mobile};
    }
    if (!echo_key_.empty() && fold_case(signin) == echo_key_)
        return {"Echo", MSGR_STATUS_ONLINE, false};
    // Contacts exist on demand: a name nobody configured is a contact that is not online.
    return {"", MSGR_STATUS_OFFLINE, false};
}

msgr_hresult LoopbackService::send_message(std::uint64_t message_id, const std::string &to,
                                           const std::string &text) {
    std::uint64_t session = 0;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        session = session_;
    }
    if (session == 0) return fail(MSGR_E_NOT_LOGGED_ON, "the loopback service is not signed in");
    inbox_.push(DeliveryDone{message_id, MSGR_DELIVERY_SENT, MSGR_S_OK});
    if (!echo_key_.empty() && fold_case(to) == echo_key_) {
        inbox_.push(MessageArrived{self_.id, session, to, text});
    }
    return MSGR_S_OK;
}

void LoopbackService::drop_connection(msgr_hresult why) {
    std::uint64_t session = 0;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        session = session_;
        session_ = 0;
    }
    if (session != 0) inbox_.push(WentOffline{self_.id, session, why});
}

void LoopbackService::deliver_from(const std::string &from, const std::string &text) {
    std::uint64_t session = 0;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        session = session_;
    }
    if (session != 0) inbox_.push(MessageArrived{self_.id, session, from, text});
}

}  // namespace msgr::core

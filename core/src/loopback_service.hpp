// The loopback service: the embedded default contact service. Sign-in with any well-formed
// name succeeds (or, when a password is configured, only with it), contacts exist on demand,
// the configured directory supplies friendly names, presence and mobile flags, and the echo
// contact answers every message. Everything it reports goes through the inbox, so it behaves
// to the runtime exactly as a network service does.
#pragma once

#include <mutex>

#include "capabilities.hpp"
#include "config.hpp"

namespace msgr::core {

class LoopbackService final : public Service {
  public:
    LoopbackService(LoopbackServiceConfig self, const Config &config, RuntimeInbox &inbox);

    const std::string &id() const override { return self_.id; }
    bool supports_paging() const override { return self_.paging; }
    std::size_t max_message_bytes() const override { return kMaxMessageBytes; }

    msgr_hresult signin(std::uint64_t session, const std::string &name,
                        const std::string &password) override;
    void signout() override;
    msgr_hresult set_status(std::int32_t status) override;
    ContactInfo describe(std::string_view signin) override;
    msgr_hresult send_message(std::uint64_t message_id, const std::string &to,
                              const std::string &text) override;

    // Simulates the network going away under a signed-in session ("the client goes offline").
    void drop_connection(msgr_hresult why = MSGR_E_DISCONNECTED);
    // Makes a contact say something, as if it arrived from the network (any thread).
    void deliver_from(const std::string &from, const std::string &text);

    static constexpr std::size_t kMaxMessageBytes = 64 * 1024;

  private:
    const LoopbackContact *directory_entry(std::string_view signin) const;

    LoopbackServiceConfig self_;
    std::string echo_key_;
    std::string password_;
    std::vector<LoopbackContact> directory_;
    RuntimeInbox &inbox_;
    std::mutex mutex_;  // guards session_ (deliver_from may run on any thread)
    std::uint64_t session_ = 0;
};

}  // namespace msgr::core

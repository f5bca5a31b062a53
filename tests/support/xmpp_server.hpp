// What a test XMPP server offers the tests that run against either implementation
// (ProsodyFixture, EjabberdFixture): start and stop it, accounts, contacts, where to connect.
#pragma once

#include <cstdint>
#include <string>

namespace msgr::test {

class XmppServer {
  public:
    virtual ~XmppServer() = default;
    virtual const char *implementation() const = 0;  // "prosody", "ejabberd"
    virtual void start() = 0;
    virtual void stop() = 0;
    virtual void kill() = 0;
    virtual void restart() = 0;
    virtual bool running() = 0;
    virtual void add_user(const std::string &user, const std::string &password) = 0;
    // Each in the other's roster with subscription "both" (and the given display names).
    virtual void make_contacts(const std::string &user_a, const std::string &user_b,
                               const std::string &name_a = {}, const std::string &name_b = {}) = 0;
    virtual const std::string &host() const = 0;
    virtual std::uint16_t port() const = 0;
    virtual const std::string &domain() const = 0;
    std::string jid(const std::string &user) const { return user + "@" + domain(); }
};

}  // namespace msgr::test

// XEP-0198 stream management, the add-in's own bookkeeping of one stream: how many stanzas it
// sent and how many of them the server acknowledged (<a h=/>), and how many it received (the h
// it answers the server's <r/> with). Pure arithmetic on the counters, no libstrophe: the add-in
// does stream management itself (libstrophe 0.12's own tells nobody which stanza was
// acknowledged, and loses its queue when a resumption fails), and the fuzzer and the unit tests
// reach this directly.
#pragma once

#include <cstdint>
#include <string_view>

namespace msgr_xmpp {

constexpr const char *kStreamManagementNs = "urn:xmpp:sm:3";

// h as XEP-0198 writes it: a decimal number of 32 bits (false for anything else).
bool parse_h(std::string_view text, std::uint32_t &out);

class StreamCounter {
  public:
    // The client sent <enable/>: it counts what it sends from here (the server counts what it
    // receives after the <enable/>), and nothing is acknowledged yet.
    void enable_sent();
    // The server answered <enabled/>: the client counts what it receives from here.
    void enabled();
    // The server answered <failed/>: no stream management on this stream.
    void failed();
    // A stanza was sent: its number on this stream (1, 2, ...), or 0 when not counting.
    std::uint64_t sent();
    // A stanza was received (counted only once enabled).
    void received();
    // The h to answer an <r/> with: the received count modulo 2^32.
    std::uint32_t handled() const { return static_cast<std::uint32_t>(received_); }
    // An <a h=/> from the server: true with *upto = every stanza numbered up to it has arrived;
    // false when h acknowledges more than was sent (a broken or hostile server).
    bool ack(std::uint32_t h, std::uint64_t *upto);

    bool counting() const { return counting_; }
    bool is_enabled() const { return enabled_; }
    std::uint64_t sent_count() const { return sent_; }
    std::uint64_t acked_count() const { return acked_; }

  private:
    bool counting_ = false, enabled_ = false;
    std::uint64_t sent_ = 0, acked_ = 0, received_ = 0;
};

}  // namespace msgr_xmpp

// The window manager: the open windows of a runtime, their lifecycle (open, find, close, the
// session's end), their z-order, their geometry and their contacts. The runtime decides when
// (the documented checks, history, events); this module owns what a window is and where it is.
// Owner thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "objects.hpp"

namespace msgr::core {

class WindowManager {
  public:
    explicit WindowManager(std::thread::id owner) : owner_(owner) {}

    // Open windows, oldest first.
    const std::vector<WindowRef> &open() const noexcept { return windows_; }
    // The same windows from back to front. Every open window is in it exactly once.
    const std::vector<msgr_window *> &z_order() const noexcept { return z_order_; }
    std::size_t count() const noexcept { return windows_.size(); }

    // The open one-to-one window of that kind with c (never a group window), or null.
    WindowRef find(msgr_window_kind kind, const msgr_contact &c) const;
    // The open window whose group id (msgr_window::group) is `group`, or null.
    WindowRef find_group(const std::string &service, const std::string &group) const;
    // A new window of that kind with one contact, cascaded, in front of the others. It belongs
    // to `rt` until it closes.
    WindowRef create(Runtime *rt, msgr_window_kind kind, ContactRef contact);
    // Takes an open window out (it closes); false if it was not open.
    bool remove(msgr_window &w);
    // Takes every window out (the session ended): returned oldest first.
    std::vector<WindowRef> take_all();

    // Gives w the keyboard focus and brings it to the front.
    void focus(msgr_window &w);
    // Moves an open window to the front of the z-order (the user activated it, or it got focus).
    void bring_to_front(msgr_window &w);

    // ---- geometry ----
    // Automation sets one of left/top (size = false) or width/height (size = true).
    static msgr_hresult set_geometry(msgr_window &w, std::int32_t msgr_window::*field,
                                     std::int32_t value, bool size);
    // The drawing layer reports where the user put the window.
    static msgr_hresult moved(msgr_window &w, std::int32_t left, std::int32_t top,
                              std::int32_t width, std::int32_t height);

    // ---- contacts ----
    // Adds c to w's contacts: S_FALSE when it is there already. Turns a one-to-one window into a
    // group window (group_id names it from then on). The caller did the documented checks.
    static msgr_hresult add_contact(msgr_window &w, ContactRef c, const std::string &group_id);
    // Removes c from w's contacts: S_FALSE when it is not one of them.
    static msgr_hresult remove_contact(msgr_window &w, const msgr_contact &c);
    static bool has_contact(const msgr_window &w, const msgr_contact &c) noexcept;
    // The sign-in names of w's contacts, one per line (the add-in ABI's members).
    static std::string members(const msgr_window &w);
    // Who wrote e (msgr_message.sender): as recorded (the store keeps a group's writers), else
    // `me` for outgoing and in a one-to-one window the contact; "" for an incoming group line
    // of no known writer (one stored by a build before schema 4).
    static const std::string &sender_of(const msgr_window &w, const msgr_window::Entry &e,
                                        const std::string &me) noexcept;
    // The history store's peer for a group conversation: " group:" + its id. A sign-in name
    // never starts with a space (InstantMessage's checks), so no contact's key is ever one.
    static std::string group_key(const std::string &group);
    static bool is_group_key(const std::string &peer) noexcept;

  private:
    std::pair<std::int32_t, std::int32_t> cascade_spot() const;

    const std::thread::id owner_;
    std::vector<WindowRef> windows_;      // open windows, oldest first
    std::vector<msgr_window *> z_order_;  // the same windows, back to front
    std::uint64_t next_window_id_ = 1;
    std::uint64_t windows_created_ = 0;
    std::uint64_t focus_serial_ = 0;
};

}  // namespace msgr::core

#include "windows/window_manager.hpp"

#include <algorithm>

#include "error.hpp"

namespace msgr::core {

WindowRef WindowManager::find(msgr_window_kind kind, const msgr_contact &c) const {
    for (const auto &w : windows_) {
        if (w->kind == kind && w->group.empty() && w->contact.get() == &c) return w;
    }
    return nullptr;
}

WindowRef WindowManager::find_group(const std::string &service, const std::string &group) const {
    for (const auto &w : windows_) {
        if (!w->group.empty() && w->group == group && w->contact->service == service) return w;
    }
    return nullptr;
}

WindowRef WindowManager::create(Runtime *rt, msgr_window_kind kind, ContactRef contact) {
    WindowRef w(new msgr_window);
    w->owner = owner_;
    w->rt = rt;
    w->id = next_window_id_++;
    w->kind = kind;
    w->contacts.push_back(contact);
    w->contact = std::move(contact);
    const auto [left, top] = cascade_spot();
    ++windows_created_;
    w->left = left;
    w->top = top;
    w->width = kind == MSGR_WINDOW_PAGE ? 340 : 380;
    w->height = kind == MSGR_WINDOW_PAGE ? 240 : 420;
    windows_.push_back(w);
    z_order_.push_back(w.get());  // a new window opens in front
    return w;
}

// Where a new window goes: down and right of the one before by a title bar and a bit (28 px),
// 8 to a cascade, so each title stays in sight; the 9th starts a cascade of its own 200 px to
// the right of the first (its title hides only the right of the titles it lies over), 4 of them.
// The first spot no open window sits on is taken (a closed window's spot is used again, a moved
// window frees its own); when all 32 are taken they are used again in turn.
std::pair<std::int32_t, std::int32_t> WindowManager::cascade_spot() const {
    constexpr int kPerCascade = 8, kCascades = 4, kStep = 28, kCascadeStep = 200, kOrigin = 60;
    constexpr int kSpots = kPerCascade * kCascades;
    auto spot = [&](int k) {
        const int in = k % kPerCascade, cascade = k / kPerCascade;
        return std::pair<std::int32_t, std::int32_t>(kOrigin + in * kStep + cascade * kCascadeStep,
                                                     kOrigin + in * kStep);
    };
    for (int k = 0; k < kSpots; ++k) {
        const auto at = spot(k);
        const bool taken = std::any_of(windows_.begin(), windows_.end(), [&](const WindowRef &o) {
            return o->left == at.first && o->top == at.second;
        });
        if (!taken) return at;
    }
    return spot(static_cast<int>(windows_created_ % std::uint64_t{kSpots}));
}

bool WindowManager::remove(msgr_window &w) {
    auto it = std::find_if(windows_.begin(), windows_.end(),
                           [&](const WindowRef &o) { return o.get() == &w; });
    if (it == windows_.end()) return false;
    windows_.erase(it);  // (the caller holds a reference: w outlives this)
    std::erase(z_order_, &w);
    return true;
}

std::vector<WindowRef> WindowManager::take_all() {
    std::vector<WindowRef> out;
    out.swap(windows_);
    z_order_.clear();
    return out;
}

void WindowManager::focus(msgr_window &w) {
    w.focus_serial = ++focus_serial_;
    bring_to_front(w);
}

void WindowManager::bring_to_front(msgr_window &w) {
    auto it = std::find(z_order_.begin(), z_order_.end(), &w);
    if (it == z_order_.end()) return;  // not open
    // A rotation, not an erase + push_back: the vector never reallocates here.
    std::rotate(it, it + 1, z_order_.end());
}

msgr_hresult WindowManager::set_geometry(msgr_window &w, std::int32_t msgr_window::*field,
                                         std::int32_t value, bool size) {
    if (size && value <= 0)
        return fail(MSGR_E_INVALIDARG, "a window's width and height must be positive");
    w.*field = value;
    ++w.geometry_serial;  // the drawing layer applies it on its next frame
    return MSGR_S_OK;
}

msgr_hresult WindowManager::moved(msgr_window &w, std::int32_t left, std::int32_t top,
                                  std::int32_t width, std::int32_t height) {
    if (width <= 0 || height <= 0)
        return fail(MSGR_E_INVALIDARG, "a window's width and height must be positive");
    w.left = left;
    w.top = top;
    w.width = width;
    w.height = height;
    return MSGR_S_OK;
}

bool WindowManager::has_contact(const msgr_window &w, const msgr_contact &c) noexcept {
    return std::any_of(w.contacts.begin(), w.contacts.end(),
                       [&](const ContactRef &o) { return o.get() == &c; });
}

msgr_hresult WindowManager::add_contact(msgr_window &w, ContactRef c, const std::string &group_id) {
    if (has_contact(w, *c)) return MSGR_S_FALSE;
    if (w.group.empty()) w.group = group_id;
    w.contacts.push_back(std::move(c));
    ++w.contacts_serial;
    return MSGR_S_OK;
}

msgr_hresult WindowManager::remove_contact(msgr_window &w, const msgr_contact &c) {
    auto it = std::find_if(w.contacts.begin(), w.contacts.end(),
                           [&](const ContactRef &o) { return o.get() == &c; });
    if (it == w.contacts.end()) return MSGR_S_FALSE;
    w.contacts.erase(it);
    ++w.contacts_serial;
    return MSGR_S_OK;
}

std::string WindowManager::members(const msgr_window &w) {
    std::string out;
    for (const auto &c : w.contacts) {
        if (!out.empty()) out += '\n';
        out += c->signin;
    }
    return out;
}

const std::string &WindowManager::sender_of(const msgr_window &w, const msgr_window::Entry &e,
                                            const std::string &me) noexcept {
    if (!e.sender.empty()) return e.sender;
    if (e.direction == MSGR_MESSAGE_OUTGOING) return me;
    return w.group.empty() ? w.contact->signin : e.sender;  // a group's line of no known writer
}

namespace {
constexpr std::string_view kGroupKeyPrefix = " group:";
}

std::string WindowManager::group_key(const std::string &group) {
    return std::string(kGroupKeyPrefix) + group;
}

bool WindowManager::is_group_key(const std::string &peer) noexcept {
    return peer.compare(0, kGroupKeyPrefix.size(), kGroupKeyPrefix) == 0;
}

}  // namespace msgr::core

// The keyboard as a queue of events: see key_queue.hpp.
#include "input/key_queue.hpp"

#include <imgui_internal.h>  // ImTextCharFromUtf8

#include <cstring>

namespace msgr::render::input {

namespace {

unsigned io_modifiers(const ImGuiIO &io) {
    return (io.KeyCtrl ? kModCtrl : 0u) | (io.KeyShift ? kModShift : 0u) |
           (io.KeyAlt ? kModAlt : 0u) | (io.KeySuper ? kModSuper : 0u);
}

void set_io_modifiers(ImGuiIO &io, unsigned mods) {
    io.KeyCtrl = (mods & kModCtrl) != 0;
    io.KeyShift = (mods & kModShift) != 0;
    io.KeyAlt = (mods & kModAlt) != 0;
    io.KeySuper = (mods & kModSuper) != 0;
}

}  // namespace

KeyQueue::KeyQueue() {
    // Room for a burst of typing; more only when more is typed between two frames.
    events_.reserve(64);
    chars_.reserve(256);
}

bool KeyQueue::is_action(const ImGuiIO &io, int key) {
    for (int i = 0; i < ImGuiKey_COUNT; ++i) {
        if (io.KeyMap[i] != key || i == ImGuiKey_Space) continue;
        const bool letter = i == ImGuiKey_A || i == ImGuiKey_C || i == ImGuiKey_V ||
                            i == ImGuiKey_X || i == ImGuiKey_Y || i == ImGuiKey_Z;
        if (!letter || io.KeyCtrl || io.KeySuper) return true;
    }
    return false;
}

void KeyQueue::start_over_if_applied() {
    if (head_ == events_.size()) {  // everything applied: start over at the front
        events_.clear();
        chars_.clear();
        head_ = 0;
    }
}

void KeyQueue::push(const Event &e) {
    start_over_if_applied();
    events_.push_back(e);
}

void KeyQueue::take_text(ImGuiIO &io) {
    if (io.InputQueueCharacters.Size == 0) return;
    start_over_if_applied();
    const std::size_t from = chars_.size();
    chars_.insert(chars_.end(), io.InputQueueCharacters.begin(), io.InputQueueCharacters.end());
    io.InputQueueCharacters.resize(0);
    add_text_event(from);
}

void KeyQueue::add_text_event(std::size_t from) {
    if (!events_.empty() && head_ < events_.size() && events_.back().kind == Kind::text) {
        events_.back().to = chars_.size();  // one run with the text before it
        return;
    }
    Event e{Kind::text};
    e.from = from;
    e.to = chars_.size();
    events_.push_back(e);
}

void KeyQueue::text(ImGuiIO &io, const char *utf8) {
    take_text(io);
    if (utf8 == nullptr || *utf8 == '\0') return;
    start_over_if_applied();
    const std::size_t from = chars_.size();
    const char *end = utf8 + std::strlen(utf8);
    for (const char *p = utf8; p < end;) {
        unsigned int c = 0;
        const int n = ImTextCharFromUtf8(&c, p, end);
        if (n <= 0) break;
        p += n;
        chars_.push_back(c <= IM_UNICODE_CODEPOINT_MAX ? static_cast<ImWchar>(c)
                                                       : static_cast<ImWchar>(0xFFFD));
    }
    add_text_event(from);
}

void KeyQueue::key(ImGuiIO &io, int key, bool down) {
    if (key < 0 || key >= static_cast<int>(changed_.size()) || key >= IM_ARRAYSIZE(io.KeysDown))
        return;
    take_text(io);
    Event e{Kind::key};
    e.key = key;
    e.down = down;
    push(e);
}

void KeyQueue::modifiers(ImGuiIO &io, unsigned mods) {
    mods &= kModCtrl | kModShift | kModAlt | kModSuper;
    take_text(io);
    if (mods == mods_) return;
    mods_ = mods;
    Event e{Kind::mods};
    e.mods = mods;
    push(e);
}

void KeyQueue::hold() {
    holding_ = true;
    hold_frames_ = 0;
}

void KeyQueue::input_active() {
    holding_ = false;
}

void KeyQueue::apply(ImGuiIO &io) {
    take_text(io);  // typed since the last key: the queue's, put back below if it may act now
    if (holding_ && ++hold_frames_ > kMaxHoldFrames) holding_ = false;
    if (head_ == events_.size()) return;  // a steady frame: nothing to apply
    changed_.fill(false);
    unsigned mods_changed = 0;
    bool action_pressed = false;  // an action key went down in this batch
    bool text = false;            // text was given in this batch
    for (; head_ < events_.size(); ++head_) {
        const Event &e = events_[head_];
        if (e.kind == Kind::key) {
            if (io.KeysDown[e.key] == e.down) continue;  // a repeat: ImGui repeats by itself
            if (changed_[static_cast<std::size_t>(e.key)]) break;
            if (e.down) {
                if (holding_) break;
                const bool action = is_action(io, e.key);
                if (action && (action_pressed || text)) break;
                action_pressed = action_pressed || action;
            }
            io.KeysDown[e.key] = e.down;
            changed_[static_cast<std::size_t>(e.key)] = true;
        } else if (e.kind == Kind::mods) {
            const unsigned diff = io_modifiers(io) ^ e.mods;
            if (diff == 0) continue;
            if ((diff & mods_changed) != 0 || action_pressed || text) break;
            set_io_modifiers(io, e.mods);
            mods_changed |= diff;
        } else {
            if (holding_ || action_pressed) break;
            if (sink_ != nullptr) {
                sink_(sink_user_, chars_.data() + e.from, chars_.data() + e.to);
            } else {
                for (std::size_t i = e.from; i < e.to; ++i)
                    io.InputQueueCharacters.push_back(chars_[i]);
            }
            text = true;
        }
    }
    start_over_if_applied();
}

}  // namespace msgr::render::input

// The keyboard as a queue of events (Debian's ImGui 1.86 has none: ImGuiIO::KeysDown is state,
// so a key pressed and released between two frames is never seen). Events are applied to ImGuiIO
// at the start of each NewFrame, as many as can act in one frame without changing what each
// does; the rest wait for the next frame. Every press is seen by ImGui once, in order, and typed
// text stays in its place among the keys.
//
// Text comes in order with the keys: Overlay::add_input_text gives it here (text(), in the
// overlay's drawn form: code points above U+FFFF as their BMP stand-ins), and characters a host
// put into ImGuiIO::InputQueueCharacters itself are taken out before each event, so the queue
// knows where each key stands in the text. What may act this frame goes to the text sink (the
// overlay: its focused input inserts it at the caret, as ImGui 1.86 drops Private Use Area
// characters given as typed text), or back into io.InputQueueCharacters when there is none.
//
// A frame's batch ends before
//  - a second change of the same key (a press and its release are seen in two frames);
//  - a second press of an action key (ImGui's InputText acts on one such key a frame);
//  - text after an action key's press (text typed after Enter would land before the send), and
//    an action key's press after text (the input inserts the text after ImGui handled the
//    frame's keys: Backspace would act before the characters typed ahead of it);
//  - a modifier change after a press or after text (Shift+Tab stays Shift+Tab; Ctrl held over
//    text would make InputText drop it), or a second change of the same modifier.
// Action keys are the keys in ImGuiIO::KeyMap (arrows, Enter, Backspace, Tab, ...), except the
// letters (ImGuiKey_A, C, V, X, Y, Z) when no Ctrl or Super is held.
//
// The overlay holds the queue while an input it is giving the keyboard to is not ready: after
// Enter sent, InputText lets go of the keyboard, ImGui activates it again (SetKeyboardFocusHere)
// one frame after it is asked to, and in the frame it activates it drops that frame's text and
// ignores its keys. hold() stops text and presses (releases go on) until input_active() (the
// input has the keyboard: from the next frame on it takes both); a hold ends by itself after a
// few frames (the window closed meanwhile, the player clicked elsewhere).
#pragma once

#include <imgui.h>

#include <array>
#include <cstddef>
#include <vector>

#include "msgr/render/overlay.hpp"

namespace msgr::render::input {

class KeyQueue {
  public:
    KeyQueue();

    // A key went down or up: `key` is its index in ImGuiIO::KeysDown (what the host's KeyMap
    // uses). Out-of-range indices are ignored. Call between ImGui::Render and ImGui::NewFrame.
    void key(ImGuiIO &io, int key, bool down);
    // The modifiers (KeyModifier bits) held from now on.
    void modifiers(ImGuiIO &io, unsigned mods);
    // Typed text (UTF-8; its code points must fit ImWchar: the overlay's drawn form), after the
    // events queued so far.
    void text(ImGuiIO &io, const char *utf8);
    // Where a batch's text goes (called from apply); none: into io.InputQueueCharacters.
    using TextSink = void (*)(void *user, const ImWchar *begin, const ImWchar *end);
    void set_text_sink(TextSink sink, void *user) noexcept {
        sink_ = sink;
        sink_user_ = user;
    }
    // At the start of NewFrame: applies this frame's batch to io.
    void apply(ImGuiIO &io);

    void hold();
    void input_active();
    bool holding() const noexcept { return holding_; }

  private:
    enum class Kind : unsigned char { key, mods, text };
    struct Event {
        Kind kind;
        bool down = false;
        int key = 0;           // Kind::key
        unsigned mods = 0;     // Kind::mods
        std::size_t from = 0;  // Kind::text: [from, to) in chars_
        std::size_t to = 0;
    };
    static constexpr int kMaxHoldFrames = 4;

    void take_text(ImGuiIO &io);
    // Once every event was applied, the buffers are reused from their start.
    void start_over_if_applied();
    // Appends chars_[from, chars_.size()) as text, joined to a text event just before it.
    void add_text_event(std::size_t from);
    void push(const Event &e);
    static bool is_action(const ImGuiIO &io, int key);

    std::vector<Event> events_;
    std::size_t head_ = 0;
    std::vector<ImWchar> chars_;
    unsigned mods_ = 0;  // as last queued
    bool holding_ = false;
    int hold_frames_ = 0;
    std::array<bool, 512> changed_{};  // keys changed in the batch being applied
    TextSink sink_ = nullptr;
    void *sink_user_ = nullptr;
};

}  // namespace msgr::render::input

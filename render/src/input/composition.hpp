// An IME's composition (pre-edit) text: what the player is composing, shown at the caret of the
// focused input until the IME commits it (as typed text, Overlay::add_input_text) or drops it.
// It is never part of the draft.
#pragma once

#include <imgui.h>

#include <cstddef>

namespace msgr::render::input {

class Composition {
  public:
    // utf8: the composition ("" or NULL: none); cursor: the IME's cursor in it, in code points
    // (SDL_TEXTEDITING's start). Cut at a character boundary when longer than the buffer.
    void set(const char *utf8, int cursor) noexcept;
    bool active() const noexcept { return text_[0] != '\0'; }
    const char *text() const noexcept { return text_; }

    // Draws it with its top-left at `at` (the caret's top), as IMEs show it: on an opaque box of
    // `bg` over what follows the caret, underlined, with the IME's cursor. Clipped to
    // [clip_min, clip_max].
    void draw(ImDrawList *dl, ImVec2 at, ImU32 text_colour, ImU32 bg, ImVec2 clip_min,
              ImVec2 clip_max) const;

  private:
    static constexpr std::size_t kBytes = 256;  // SDL_TEXTEDITING_EXT may be longer than 32
    char text_[kBytes] = "";
    int cursor_ = 0;
};

}  // namespace msgr::render::input

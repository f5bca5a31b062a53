// msgr/render/sdl2_input.hpp — an SDL2 host's input into the overlay and ImGui's SDL2 backend.
//
// Header-only, so that the overlay library itself depends on no platform: a host that uses SDL2
// includes it (and links SDL2 and ImGui's SDL2 backend, as it does anyway).
//
//     msgr::render::Sdl2Input input(overlay);
//     each frame:
//         while (SDL_PollEvent(&ev)) input.process_event(ev);  // instead of ImGui's ProcessEvent
//         msgr_runtime_tick(rt); <renderer>_NewFrame(); ImGui_ImplSDL2_NewFrame();
//         ImGui::NewFrame(); overlay.draw(); <the host's own ImGui>; input.update_text_input();
//         ImGui::Render(); ...
//
// What it does:
//  - keys go to Overlay::add_key_event with the modifiers each event carries (the SDL scancode is
//    the io.KeysDown index ImGui's SDL2 backend maps), so a key pressed and released within one
//    frame still acts once, in order with the typed text (ImGui 1.86 has no input queue);
//  - typed text (SDL_TEXTINPUT) goes to Overlay::add_input_text, the IME's composition
//    (SDL_TEXTEDITING, SDL_TEXTEDITING_EXT) to Overlay::set_composition;
//  - everything else (mouse, wheel, window, clipboard) to ImGui_ImplSDL2_ProcessEvent;
//  - text input (and with it the IME) is on while the overlay or the host's own ImGui takes text,
//    off otherwise (an IME would take the game's keys), and the IME's candidate window is placed
//    at the caret of the focused input (SDL_SetTextInputRect: ImGui 1.86's SDL2 backend does not).
// All on the thread that owns the overlay, like the overlay itself.
#pragma once

#include <SDL.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>

#include <cmath>

#include "msgr/render/overlay.hpp"

namespace msgr::render {

class Sdl2Input {
  public:
    explicit Sdl2Input(Overlay &overlay) noexcept : overlay_(overlay) {}

    // One polled event. Returns true when the event was the keyboard's or text (the overlay's
    // queue has it), false when it went to ImGui's SDL2 backend.
    bool process_event(const SDL_Event &ev) {
        switch (ev.type) {
            case SDL_KEYDOWN:
            case SDL_KEYUP:
                overlay_.set_modifiers(modifiers(ev.key.keysym.mod));
                overlay_.add_key_event(static_cast<int>(ev.key.keysym.scancode),
                                       ev.type == SDL_KEYDOWN);
                return true;
            case SDL_TEXTINPUT:
                overlay_.add_input_text(ev.text.text);
                return true;
            case SDL_TEXTEDITING:
                overlay_.set_composition(ev.edit.text, ev.edit.start);
                return true;
#if SDL_VERSION_ATLEAST(2, 0, 22)
            case SDL_TEXTEDITING_EXT:  // with SDL_HINT_IME_SUPPORT_EXTENDED_TEXT: ours to free
                overlay_.set_composition(ev.editExt.text, ev.editExt.start);
                SDL_free(ev.editExt.text);
                return true;
#endif
            default:
                ImGui_ImplSDL2_ProcessEvent(&ev);
                return false;
        }
    }

    // Once a frame after the overlay's draw (and the host's own ImGui): text input on or off,
    // and the IME's candidate window at the caret.
    void update_text_input() {
        const bool want = overlay_.wants_text_input() ||
                          (ImGui::GetCurrentContext() != nullptr && ImGui::GetIO().WantTextInput);
        if (want && SDL_IsTextInputActive() == SDL_FALSE) SDL_StartTextInput();
        if (!want && SDL_IsTextInputActive() == SDL_TRUE) {
            SDL_StopTextInput();
            overlay_.set_composition("", 0);  // what was being composed is gone with it
        }
        DrawnRect caret;
        if (!want || !overlay_.caret_rect(caret)) return;
        const SDL_Rect r{static_cast<int>(caret.x), static_cast<int>(caret.y),
                         caret.w < 1.0f ? 1 : static_cast<int>(caret.w),
                         static_cast<int>(std::lround(caret.h))};
        if (r.x == rect_.x && r.y == rect_.y && r.w == rect_.w && r.h == rect_.h) return;
        rect_ = r;
        SDL_SetTextInputRect(&rect_);
    }

    // The rectangle last given to SDL_SetTextInputRect (all 0 before the first).
    const SDL_Rect &text_input_rect() const noexcept {
        return rect_;
    }

    static unsigned modifiers(Uint16 mod) noexcept {
        return ((mod & KMOD_CTRL) != 0 ? kModCtrl : 0u) |
               ((mod & KMOD_SHIFT) != 0 ? kModShift : 0u) | ((mod & KMOD_ALT) != 0 ? kModAlt : 0u) |
               ((mod & KMOD_GUI) != 0 ? kModSuper : 0u);
    }

  private:
    Overlay &overlay_;
    SDL_Rect rect_{0, 0, 0, 0};
};

}  // namespace msgr::render

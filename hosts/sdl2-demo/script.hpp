// The demo's scripted session (--script, or no display): input events played through the same
// path as a keyboard and mouse, checks of what the runtime and the overlay did, PNG screenshots
// and a transcript in the --out directory. main.cpp hooks it into its frame loop with a few calls;
// an integrator copying the frame loop leaves them out.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include <SDL.h>

#include "game.hpp"
#include "msgr/msgr.h"
#include "msgr/render/overlay.hpp"

namespace demo {

// The demo's log: stdout, and the transcript file in a scripted session.
struct Transcript {
    FILE *file = nullptr;
    int failures = 0;
    // printf-style, and checked as such by the compiler (the format attribute).
    void line(const char *fmt, ...)  // NOLINT(cert-dcl50-cpp)
        __attribute__((format(printf, 2, 3)));
    void check(bool ok, const char *what);
    // The transcript file, DIR/transcript.txt (DIR is created).
    bool open(const std::string &dir);
    void close();
};

class Script {
  public:
    // peer: chat with this contact over the configured network instead of the loopback tour.
    Script(Transcript &tr, msgr_runtime *rt, msgr::render::Overlay &overlay, const Game &game,
           SDL_Window *window, std::string out, const char *peer);
    ~Script();
    Script(const Script &) = delete;
    Script &operator=(const Script &) = delete;

    // At the start of a frame, before its events are polled: plays the step due (pushing its
    // input events). False once the session is over.
    bool before_frame(int frame);
    // After ImGui_ImplSDL2_NewFrame: the mouse as the script holds it.
    void apply_input() const;
    // After the frame is drawn, before the swap: the screenshot a step asked for.
    void after_frame();
    // From the overlay's activated callback (after the game was paused or resumed).
    void on_overlay(bool open);
    // The session's result: 0 when every check passed.
    int finish();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace demo

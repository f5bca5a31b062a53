// Test support for the overlay's input: a real SDL2 host, offscreen (SDL's offscreen driver, EGL
// on Mesa's llvmpipe), with ImGui's SDL2 and OpenGL 3 backends, the overlay fed by
// msgr/render/sdl2_input.hpp as the demo's loop does, and a runtime signed in to the loopback
// service. Keys, text and IME compositions are real SDL events (SDL_PushEvent) polled by the
// frame; frames are rendered and can be read back as pixels.
#pragma once

#include <gtest/gtest.h>

#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "msgr/render/overlay.hpp"
#include "msgr/render/sdl2_input.hpp"
#include "support/session.hpp"
#include "support/wait.hpp"

namespace msgr::test {

// The frame read back, top row first, RGBA.
struct Pixels {
    int w = 0, h = 0;
    std::vector<unsigned char> px;
    const unsigned char *at(int x, int y) const {
        x = std::clamp(x, 0, w - 1);
        y = std::clamp(y, 0, h - 1);
        return &px[(static_cast<std::size_t>(y) * w + x) * 4];
    }
    // Pixels in the rectangle brighter than `level` in every channel (ImGui's text is near white
    // in the dark style; the input's background is dark).
    int bright(int x0, int y0, int x1, int y1, int level = 160) const {
        int n = 0;
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
                const unsigned char *p = at(x, y);
                n += (p[0] > level && p[1] > level && p[2] > level) ? 1 : 0;
            }
        return n;
    }
};

class SdlHostTest : public Session {
  protected:
    static constexpr int kWidth = 1024, kHeight = 640;

    void SetUp() override {
        setenv("SDL_VIDEODRIVER", "offscreen", 1);  // NOLINT(concurrency-mt-unsafe): no thread yet
        ASSERT_EQ(SDL_Init(SDL_INIT_VIDEO), 0) << SDL_GetError();
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
        SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
        window_ = SDL_CreateWindow("msgr input test", 0, 0, kWidth, kHeight, SDL_WINDOW_OPENGL);
        ASSERT_NE(window_, nullptr) << SDL_GetError();
        gl_ = SDL_GL_CreateContext(window_);
        ASSERT_NE(gl_, nullptr) << SDL_GetError();
        SDL_GL_MakeCurrent(window_, gl_);
        ImGui::CreateContext();
        ImGui::GetIO().IniFilename = nullptr;
        ImGui::StyleColorsDark();
        ImGui_ImplSDL2_InitForOpenGL(window_, gl_);
        ImGui_ImplOpenGL3_Init("#version 330");
        ASSERT_EQ(signin(), MSGR_S_OK);
        msgr::render::OverlayOptions options;
        options.start_open = true;
        overlay = std::make_unique<msgr::render::Overlay>(rt, options);
        overlay->set_exclusive_input(true);
        input = std::make_unique<msgr::render::Sdl2Input>(*overlay);
        for (int i = 0; i < 3; ++i)  // the contact list and its windows settle
            frame();
    }

    void TearDown() override {
        input.reset();
        overlay.reset();
        destroy();
        if (ImGui::GetCurrentContext() != nullptr) {
            ImGui_ImplOpenGL3_Shutdown();
            ImGui_ImplSDL2_Shutdown();
            ImGui::DestroyContext();
        }
        if (gl_ != nullptr) SDL_GL_DeleteContext(gl_);
        if (window_ != nullptr) SDL_DestroyWindow(window_);
        SDL_Quit();
    }

    // One frame of the demo's loop: poll, tick, NewFrame, overlay, text input, render.
    void frame() {
        SDL_Event ev;
        while (SDL_PollEvent(&ev))
            input->process_event(ev);
        msgr_runtime_tick(rt);
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplSDL2_NewFrame();
        // The offscreen driver has no mouse focus: the mouse as the test holds it.
        ImGui::GetIO().MousePos = mouse;
        ImGui::GetIO().MouseDown[0] = button;
        ImGui::NewFrame();
        overlay->draw();
        input->update_text_input();
        ImGui::Render();
        glViewport(0, 0, kWidth, kHeight);
        glClearColor(0.1f, 0.3f, 0.1f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        ++frames;
    }

    // Frames until done() holds, or a hang guard of wall-clock time passes.
    template <class Done>
    bool frames_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
        return step_until([&] { frame(); }, done, limit, std::chrono::milliseconds(1));
    }

    // A key going down or up, as SDL delivers it: the scancode, its key and the modifiers the
    // event carries.
    void key(SDL_Scancode sc, bool down, Uint16 mod = KMOD_NONE) {
        SDL_Event ev{};
        ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
        ev.key.windowID = SDL_GetWindowID(window_);
        ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
        ev.key.keysym.scancode = sc;
        ev.key.keysym.sym = SDL_GetKeyFromScancode(sc);
        ev.key.keysym.mod = mod;
        ASSERT_EQ(SDL_PushEvent(&ev), 1) << SDL_GetError();
    }
    void tap(SDL_Scancode sc, Uint16 mod = KMOD_NONE) {
        key(sc, true, mod);
        key(sc, false, mod);
    }
    // The tap test's events: "t1 Enter t2 Enter t3 Enter", queued, for one frame to poll.
    void type_three_messages_with_enter() {
        text("t1");
        tap(SDL_SCANCODE_RETURN);
        text("t2");
        tap(SDL_SCANCODE_RETURN);
        text("t3");
        tap(SDL_SCANCODE_RETURN);
    }
    // Typed text, as SDL_TEXTINPUT delivers it (at most 31 bytes an event).
    void text(std::string_view utf8) {
        for (std::size_t at = 0; at < utf8.size();) {
            SDL_Event ev{};
            ev.type = SDL_TEXTINPUT;
            ev.text.windowID = SDL_GetWindowID(window_);
            std::size_t n = std::min(utf8.size() - at, sizeof ev.text.text - 1);
            while (at + n < utf8.size() && n > 0 &&
                   (static_cast<unsigned char>(utf8[at + n]) & 0xC0) == 0x80)
                --n;
            std::memcpy(ev.text.text, utf8.data() + at, n);
            ASSERT_EQ(SDL_PushEvent(&ev), 1) << SDL_GetError();
            at += n;
        }
    }
    // An IME's composition, as SDL_TEXTEDITING delivers it ("" ends it).
    void editing(const char *utf8, int start) {
        SDL_Event ev{};
        ev.type = SDL_TEXTEDITING;
        ev.edit.windowID = SDL_GetWindowID(window_);
        std::strncpy(ev.edit.text, utf8, sizeof ev.edit.text - 1);
        ev.edit.start = start;
        ev.edit.length = 0;
        ASSERT_EQ(SDL_PushEvent(&ev), 1) << SDL_GetError();
    }

    // The last frame rendered, read back (before the next frame clears it).
    Pixels pixels() const {
        Pixels p;
        p.w = kWidth;
        p.h = kHeight;
        std::vector<unsigned char> raw(static_cast<std::size_t>(kWidth) * kHeight * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, kWidth, kHeight, GL_RGBA, GL_UNSIGNED_BYTE, raw.data());
        p.px.resize(raw.size());
        const std::size_t row = static_cast<std::size_t>(kWidth) * 4;
        for (int y = 0; y < kHeight; ++y)  // OpenGL's rows go bottom-up
            std::memcpy(&p.px[static_cast<std::size_t>(y) * row],
                        &raw[static_cast<std::size_t>(kHeight - 1 - y) * row], row);
        return p;
    }

    // Opens the conversation with the echo contact and waits until its input has the keyboard.
    void open_echo(HeldWindow &w) {
        ASSERT_EQ(msgr_instant_message(rt, by_name("echo@loopback"), w.out()), MSGR_S_OK);
        msgr_window_history_count(w, &base_);  // the history store keeps earlier runs' messages
        msgr::render::DrawnRect caret;
        ASSERT_TRUE(frames_until([&] { return overlay->caret_rect(caret); }))
            << "the conversation's input never took the keyboard";
    }

    // The entries since open_echo (and entry i of those).
    std::size_t history_count(msgr_window *w) {
        std::size_t n = 0;
        EXPECT_EQ(msgr_window_history_count(w, &n), MSGR_S_OK);
        return n - base_;
    }
    bool history_get(msgr_window *w, std::size_t i, msgr_message &m) {
        m = msgr_message{};
        m.struct_size = sizeof m;
        return msgr_window_history_get(w, base_ + i, &m) == MSGR_S_OK && m.text != nullptr;
    }
    std::string history_text(msgr_window *w, std::size_t i) {
        msgr_message m{};
        return history_get(w, i, m) ? m.text : "";
    }
    std::string draft(msgr_window *w) {
        const char *d = nullptr;
        EXPECT_EQ(msgr_window_get_draft(w, &d), MSGR_S_OK);
        return d != nullptr ? d : "";
    }

    SDL_Window *window_ = nullptr;
    SDL_GLContext gl_ = nullptr;
    std::unique_ptr<msgr::render::Overlay> overlay;
    std::unique_ptr<msgr::render::Sdl2Input> input;
    ImVec2 mouse{-1.0f, -1.0f};
    bool button = false;
    int frames = 0;
    std::size_t base_ = 0;
};

}  // namespace msgr::test

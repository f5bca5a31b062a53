// Test support for the overlay's text: a real offscreen OpenGL 3 context (SDL's offscreen
// driver: EGL and Mesa's llvmpipe), ImGui's OpenGL 3 renderer, a runtime signed in to the
// loopback service and an overlay that owns the font atlas. Each frame is rendered for real,
// and the screen is read back (glReadPixels) to check what the player would see.
#pragma once

#include <SDL.h>
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <backends/imgui_impl_opengl3.h>

#include <GL/gl.h>
#include <stb_image_write.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "msgr/render/overlay.hpp"
#include "overlay_windows.hpp"
#include "support/session.hpp"
#include "support/wait.hpp"

namespace msgr::test {

class TextGlTest : public Session {
  public:
    static constexpr int kW = 1024, kH = 640;
    // The screen as the player sees it, top row first: RGBA.
    struct Shot {
        std::vector<unsigned char> px;
        const unsigned char *at(int x, int y) const {
            return &px[(static_cast<std::size_t>(y) * kW + static_cast<std::size_t>(x)) * 4];
        }
    };

  protected:
    void SetUp() override {
        setenv("SDL_VIDEODRIVER", "offscreen", 0);
        ASSERT_EQ(SDL_Init(SDL_INIT_VIDEO), 0) << SDL_GetError();
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
        window_ = SDL_CreateWindow("text", 0, 0, kW, kH, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
        ASSERT_NE(window_, nullptr) << SDL_GetError();
        gl_ = SDL_GL_CreateContext(window_);
        ASSERT_NE(gl_, nullptr) << SDL_GetError();
        SDL_GL_MakeCurrent(window_, gl_);
        ctx_ = ImGui::CreateContext();
        ImGuiIO &io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.LogFilename = nullptr;
        io.DisplaySize = ImVec2(kW, kH);
        io.DeltaTime = 1.0f / 60.0f;
        io.KeyMap[ImGuiKey_Enter] = kEnter;
        ASSERT_TRUE(ImGui_ImplOpenGL3_Init("#version 330"));
        create();
    }

    void TearDown() override {
        overlay.reset();
        destroy();
        ImGui_ImplOpenGL3_Shutdown();
        ImGui::DestroyContext(ctx_);
        if (gl_ != nullptr) SDL_GL_DeleteContext(gl_);
        if (window_ != nullptr) SDL_DestroyWindow(window_);
        SDL_Quit();
    }

    void make_overlay(msgr::render::OverlayOptions options = {}) {
        options.start_open = true;
        options.font_build_thread = async_builds;
        overlay = std::make_unique<msgr::render::Overlay>(rt, options);
    }

    // One host frame, as the demo runs it: tick, fonts (re-uploaded when they changed),
    // NewFrame, overlay, Render, then the draw data rasterised.
    void frame() {
        msgr_runtime_tick(rt);
        ImGui_ImplOpenGL3_NewFrame();  // creates the renderer's objects on the first frame
        if (overlay->update_fonts()) {
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
            ++uploads;
        }
        ImGui::NewFrame();
        overlay->draw();
        ImGui::Render();
        glViewport(0, 0, kW, kH);
        glClearColor(0.1f, 0.1f, 0.1f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        glFinish();
    }

    template <class Done>
    bool frames_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
        return step_until([&] { frame(); }, done, limit, std::chrono::milliseconds(1));
    }

    // Frames until the atlas has every glyph the text on screen asked for, and one more
    // frame drawn with it.
    bool settle_fonts() {
        const bool ok = frames_until([&] { return !overlay->fonts_pending(); });
        frame();
        return ok && !overlay->fonts_pending();
    }

    void press_enter() {
        ImGuiIO &io = ImGui::GetIO();
        io.KeysDown[kEnter] = true;
        frame();
        io.KeysDown[kEnter] = false;
        frame();
    }

    Shot shot() const {
        Shot s;
        std::vector<unsigned char> up(static_cast<std::size_t>(kW) * kH * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, kW, kH, GL_RGBA, GL_UNSIGNED_BYTE, up.data());
        s.px.resize(up.size());
        const std::size_t row = static_cast<std::size_t>(kW) * 4;
        for (int y = 0; y < kH; ++y)
            std::copy_n(&up[static_cast<std::size_t>(kH - 1 - y) * row], row,
                        &s.px[static_cast<std::size_t>(y) * row]);
        return s;
    }

    // Keeps a screenshot for people to look at (CI artifacts): MSGR_TEXT_SHOTS/<name>.png.
    static void keep(const Shot &s, const char *name) {
#ifdef MSGR_TEXT_SHOTS
        const std::string path = std::string(MSGR_TEXT_SHOTS) + "/" + name + ".png";
        (void)stbi_write_png(path.c_str(), kW, kH, 4, s.px.data(), kW * 4);
#else
        (void)s;
        (void)name;
#endif
    }

    static constexpr int kEnter = 2;
    bool async_builds = true;
    int uploads = 0;
    ImGuiContext *ctx_ = nullptr;
    SDL_Window *window_ = nullptr;
    SDL_GLContext gl_ = nullptr;
    std::unique_ptr<msgr::render::Overlay> overlay;
};

}  // namespace msgr::test

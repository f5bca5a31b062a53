// msgr-sdl2-demo: a small "game" (an animated scene drawn with OpenGL 3) with the msgr overlay on
// top, running the embedded default runtime (the loopback service: echo@loopback answers every
// message, mobile@loopback can be paged once a paging add-in is installed), or the runtime a
// configuration file describes (--config: an XMPP account, for instance; --signin fills the
// sign-in dialog's name).
//
// With a display it is interactive: Shift+Tab opens the overlay, F3 searches the history (which
// persists across runs), Esc quits while the overlay is closed.
// Without one (no DISPLAY / WAYLAND_DISPLAY), or with --script, it renders offscreen through
// SDL's offscreen driver (EGL on Mesa's llvmpipe), plays a scripted session of input events,
// writes PNG screenshots and a transcript into --out (default ./msgr-demo-out) and exits 0 when
// every step of the session did what it should. With --peer CONTACT the script is a chat over
// the configured network instead: sign in through the dialog (password from $MSGR_PASSWORD), say
// hello to CONTACT and wait for an answer (tests/xmpp_service runs it against prosody, with a
// second runtime answering).
//
// The scripted session feeds keys and text as SDL events, through the same path as a keyboard
// (SDL_PushEvent -> msgr::render::Sdl2Input, which gives keys, text and the IME's composition to
// the overlay and the rest to ImGui_ImplSDL2_ProcessEvent). The mouse is set in ImGuiIO after the
// SDL backend's NewFrame: the offscreen driver gives no window mouse or keyboard focus, so SDL's
// polled mouse state, which the 1.86 backend reads, never changes there.
//
// The frame loop below is the part to copy into a game: the Script's calls (the scripted
// session, script.cpp) are the demo's own test and can be left out. The game (game.cpp) pauses
// while the overlay is open, told by the overlay's activated callback.
#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "game.hpp"
#include "msgr/msgr.h"
#include "msgr/render/overlay.hpp"
#include "msgr/render/sdl2_input.hpp"
#include "script.hpp"

namespace {

struct Host {
    demo::Game game;
    demo::Transcript log;
    demo::Script *script = nullptr;
    msgr_runtime *rt = nullptr;
};

// The overlay's activated callback: the game pauses while the overlay is open.
void on_overlay(bool open, void *user) {
    auto *host = static_cast<Host *>(user);
    host->game.set_paused(open);
    // Rich presence: what the player is doing, for their contacts to see (NOT_LOGGED_ON while
    // signed out: nothing to tell then).
    if (host->rt != nullptr)
        (void)msgr_set_my_activity(host->rt, open ? "In the menus" : "Playing the demo");
    host->log.line("overlay %s (the game %s)", open ? "opened" : "closed",
                   open ? "pauses" : "resumes");
    if (host->script != nullptr) host->script->on_overlay(open);
}

// Without vsync (a driver may ignore the swap interval: Mesa's llvmpipe, Xvfb) a frame loop
// spins a whole core: sleep out the rest of the frame's budget.
constexpr double kFrameRate = 60.0;
void sleep_rest_of_frame(Uint64 frame_start) {
    const double freq = static_cast<double>(SDL_GetPerformanceFrequency());
    const double spent = static_cast<double>(SDL_GetPerformanceCounter() - frame_start) / freq;
    const double rest_ms = (1.0 / kFrameRate - spent) * 1000.0;
    if (rest_ms >= 1.0) SDL_Delay(static_cast<Uint32>(rest_ms));
}

}  // namespace

int main(int argc, char **argv) {
    bool script = false;
    std::string out = "msgr-demo-out";
    const char *config = nullptr;  // NULL: the embedded defaults (the loopback service)
    const char *signin = nullptr;  // the sign-in dialog's name
    const char *peer = nullptr;    // --script: chat with this contact instead of the loopback tour
    float font_scale = 1.0f;       // the overlay's text size
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--script") == 0) {
            script = true;
        } else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (std::strcmp(argv[i], "--signin") == 0 && i + 1 < argc) {
            signin = argv[++i];
        } else if (std::strcmp(argv[i], "--peer") == 0 && i + 1 < argc) {
            peer = argv[++i];
        } else if (std::strcmp(argv[i], "--font-scale") == 0 && i + 1 < argc) {
            font_scale = std::strtof(argv[++i], nullptr);
        } else {
            (void)std::fprintf(
                stderr,
                "usage: msgr-sdl2-demo [--config FILE] [--signin NAME] [--script] [--out DIR]\n"
                "                      [--peer CONTACT] [--font-scale X]\n"
                "  --config FILE   the runtime's configuration (e.g. an [xmpp] account)\n"
                "  --signin NAME   the name the sign-in dialog starts with\n"
                "  --script        play a scripted session (always, without a display)\n"
                "  --peer CONTACT  the script signs in (password: $MSGR_PASSWORD), chats with\n"
                "                  CONTACT and waits for an answer, instead of the loopback tour\n"
                "  --font-scale X  the overlay's text size (1: 16 pixels)\n"
                "  Shift+Tab opens the overlay; F3 searches the history (kept across runs);\n"
                "  Ctrl+= and Ctrl+- make the overlay's text larger and smaller;\n"
                "  Esc quits while the overlay is closed.\n");
            return 2;
        }
    }
    const bool no_display =
        std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr;
    const char *driver = std::getenv("SDL_VIDEODRIVER");
    if (no_display && driver == nullptr)
        setenv("SDL_VIDEODRIVER", "offscreen", 1);  // NOLINT(concurrency-mt-unsafe): no thread yet
    driver = std::getenv("SDL_VIDEODRIVER");
    const bool offscreen = driver != nullptr && std::strcmp(driver, "offscreen") == 0;
    script = script || offscreen;

    Host host;
    demo::Transcript &tr = host.log;
    if (script && !tr.open(out)) return 1;

    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        (void)std::fprintf(stderr, "msgr-sdl2-demo: SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_Window *window =
        SDL_CreateWindow("msgr demo", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, demo::kWidth,
                         demo::kHeight, SDL_WINDOW_OPENGL | SDL_WINDOW_SHOWN);
    if (window == nullptr) {
        (void)std::fprintf(stderr, "msgr-sdl2-demo: SDL_CreateWindow: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GLContext gl = SDL_GL_CreateContext(window);
    if (gl == nullptr) {
        (void)std::fprintf(stderr, "msgr-sdl2-demo: SDL_GL_CreateContext: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_MakeCurrent(window, gl);
    SDL_GL_SetSwapInterval(script ? 0 : 1);
    tr.line("video driver %s, GL %s on %s", SDL_GetCurrentVideoDriver(),
            reinterpret_cast<const char *>(glGetString(GL_VERSION)),
            reinterpret_cast<const char *>(glGetString(GL_RENDERER)));

    // The host owns ImGui: its context, its backends, its frame.
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    ImGui::StyleColorsDark();
    ImGui_ImplSDL2_InitForOpenGL(window, gl);
    ImGui_ImplOpenGL3_Init("#version 330");

    msgr_runtime *rt = nullptr;
    if (msgr_runtime_create(config, &rt) != MSGR_S_OK) {
        (void)std::fprintf(stderr, "msgr-sdl2-demo: %s\n", msgr_last_error());
        return 1;
    }
    int result = 0;
    std::unique_ptr<demo::Script> session;  // outlives the overlay: it unsubscribes after it
    {
        msgr::render::OverlayOptions options;
        options.start_open = !script;  // interactive: straight to the sign-in dialog
        if (signin != nullptr) options.default_signin_name = signin;
        options.font_scale = font_scale;
        msgr::render::Overlay overlay(rt, options);
        msgr::render::Sdl2Input input(overlay);  // SDL's events into the overlay and ImGui
        overlay.set_activated_callback(on_overlay, &host);
        overlay.set_exclusive_input(true);
        host.game.set_paused(overlay.is_open());  // it starts open: no callback for that
        host.rt = rt;

        if (script) {
            session = std::make_unique<demo::Script>(tr, rt, overlay, host.game, window, out, peer);
            host.script = session.get();
        }

        bool running = true;
        for (int frame = 0; running; ++frame) {
            const Uint64 frame_start = SDL_GetPerformanceCounter();
            if (session && !session->before_frame(frame)) running = false;
            SDL_Event ev;
            while (SDL_PollEvent(&ev)) {
                input.process_event(ev);
                if (ev.type == SDL_QUIT) running = false;
                // The game's own input: only what the overlay does not take.
                if (ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_ESCAPE &&
                    !overlay.wants_keyboard())
                    running = false;
                // F3: search the history (it opens the overlay).
                if (ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_F3 && ev.key.repeat == 0)
                    overlay.show_search();
                // Ctrl+= / Ctrl+-: the player's text size, a tenth at a time.
                if (ev.type == SDL_KEYDOWN && (ev.key.keysym.mod & KMOD_CTRL) != 0 &&
                    (ev.key.keysym.sym == SDLK_EQUALS || ev.key.keysym.sym == SDLK_MINUS))
                    overlay.set_font_scale(overlay.font_scale() +
                                           (ev.key.keysym.sym == SDLK_EQUALS ? 0.1f : -0.1f));
            }
            msgr_runtime_tick(rt);
            ImGui_ImplOpenGL3_NewFrame();
            // The overlay's font atlas gained glyphs that its text needs: upload it again.
            if (overlay.update_fonts()) {
                ImGui_ImplOpenGL3_DestroyFontsTexture();
                ImGui_ImplOpenGL3_CreateFontsTexture();
            }
            ImGui_ImplSDL2_NewFrame();
            if (session) session->apply_input();
            ImGui::NewFrame();
            overlay.draw();
            input.update_text_input();  // the IME on while the overlay takes text, at its caret
            ImGui::Render();
            host.game.advance();  // stands still while paused
            host.game.draw();
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
            if (session) session->after_frame();
            SDL_GL_SwapWindow(window);
            if (!session) sleep_rest_of_frame(frame_start);  // the script runs flat out
        }
        if (session) result = session->finish();
        host.script = nullptr;
    }
    session.reset();
    msgr_runtime_destroy(rt);
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(window);
    SDL_Quit();
    tr.close();
    return result;
}

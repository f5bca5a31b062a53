// The overlay's text (render/src/text/): what glyphs on demand cost.
//  - BM_EmptyImGuiFrame: an empty ImGui frame, the baseline of this run;
//  - BM_SteadyFrame: tick + draw of a conversation in mixed scripts with emoji, fonts settled,
//    next to the same conversation in ASCII;
//  - BM_NewScriptFrame: the frames in which text needing new glyphs first appears, until the
//    atlas that has them is swapped in: the worst frame of each episode is the iteration time,
//    with counters for the frame the text appears in, the frame the build starts in, the swap
//    frame, and the build's own time (on its thread). build_thread:0 builds on the host thread
//    instead, to show what the thread saves;
//  - BM_AtlasBuild: the atlas after 2,000 distinct CJK characters against the whole CJK range
//    (CJK Unified Ideographs, kana, CJK punctuation, full-width forms) built up front: time and
//    texture bytes;
//  - BM_ShapeMessage: a message of ~200 characters laid out once by text::Bidi (levels, Arabic
//    joining, wrapping at 80 bytes, each line in visual order), what a right-to-left
//    message costs when it is first laid out or the width changes (never on a steady frame:
//    Text caches it); script:0 is the same length of ASCII through the same code, the baseline;
//  - BM_TextureUpload: the font texture upload (as ImGui_ImplOpenGL3_CreateFontsTexture does it:
//    glTexImage2D of the RGBA32 atlas) on an offscreen OpenGL 3 context (EGL, llvmpipe).
#include <SDL.h>
#include <benchmark/benchmark.h>
#include <imgui.h>

#include <GL/gl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_imgui.hpp"
#include "bench_main.hpp"
#include "c_api_internal.hpp"
#include "msgr/msgr.h"
#include "msgr/render/overlay.hpp"
#include "msgr/ui.h"
#include "runtime.hpp"
#include "text/atlas.hpp"
#include "text/bidi.hpp"
#include "text/font_files.hpp"
#include "text/utf8.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double g_empty_ns = 0.0;

// The host thread's own CPU time, microseconds: a frame that is slow on the wall clock but not
// in CPU time was preempted (2 shared cores: the build's thread, other processes).
double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double us_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

using msgr::bench::Context;
using msgr::bench::drain;

std::string utf8_of(char32_t cp) {
    char b[4];
    return {b, msgr::render::text::encode_utf8(cp, b)};
}

// A signed-in runtime with one conversation of `messages` lines in mixed scripts.
struct Chat {
    msgr_runtime *rt = nullptr;
    msgr_window *w = nullptr;
    std::string name;
    bool ok = false;
    explicit Chat(int messages, bool mixed = true) {
        if (msgr_runtime_create(nullptr, &rt) != MSGR_S_OK) return;
        msgr_signin(rt, "player@loopback", "");
        for (int i = 0; i < 3; ++i)
            msgr_runtime_tick(rt);
        // A contact of its own: the store keeps every other benchmark's conversation.
        static int chats = 0;
        name = "friend" + std::to_string(chats++) + "@loopback";
        msgr_variant v{MSGR_VT_BSTR, name.c_str(), nullptr};
        if (MSGR_FAILED(msgr_instant_message(rt, v, &w))) return;
        static const char *lines[] = {"Привет, как дела?",
                                      "Γειά σου κόσμε",
                                      "你好，今天天气很好",
                                      "こんにちは、元気ですか",
                                      "مرحبا بالعالم",
                                      "שלום עולם",
                                      "\U0001F600\U0001F44D\U0001F389 nice",
                                      "plain ASCII text"};
        for (int m = 0; m < messages; ++m)
            post(std::string(lines[mixed ? m % 8 : 7]) + " " + std::to_string(m), m % 2 != 0);
        drain(rt);
        ok = true;
    }
    void post(std::string text, bool from_me = false) {
        msgr::core::Runtime &core = *msgr::core::runtime_of(rt);
        msgr::core::MessageArrived in;
        in.service = core.primary_service_id();
        in.session = core.session();
        in.from = name;
        in.text = std::move(text);
        in.from_me = from_me;
        core.inbox().push(std::move(in));
    }
    ~Chat() {
        if (w != nullptr) msgr_window_release(w);
        if (rt != nullptr) msgr_runtime_destroy(rt);
    }
};

// The host's frame with the overlay's fonts (the texture "upload" is a new ID here).
struct Host {
    msgr_runtime *rt;
    msgr::render::Overlay &overlay;
    std::intptr_t tex = 1;
    bool changed = false;
    void frame() {
        msgr_runtime_tick(rt);
        changed = overlay.update_fonts();
        if (changed) ImGui::GetIO().Fonts->SetTexID(reinterpret_cast<ImTextureID>(++tex));
        ImGui::NewFrame();
        overlay.draw();
        ImGui::Render();
    }
    bool settle() {
        const auto deadline = Clock::now() + std::chrono::seconds(60);
        frame();
        while (overlay.fonts_pending()) {
            if (Clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            frame();
        }
        for (int i = 0; i < 5; ++i)
            frame();
        return true;
    }
};

void BM_EmptyImGuiFrame(benchmark::State &state) {
    Context c;
    double total = 0;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        ImGui::NewFrame();
        ImGui::Render();
        const double us = us_since(t0);
        total += us;
        state.SetIterationTime(us / 1e6);
    }
    g_empty_ns = state.iterations() ? total * 1000.0 / static_cast<double>(state.iterations()) : 0;
    state.counters["us_per_frame"] = g_empty_ns / 1000.0;
}

void BM_SteadyFrame(benchmark::State &state) {
    Context c;
    Chat chat(1000, state.range(0) != 0);
    if (!chat.ok) return msgr::bench::fail(state, "no conversation");
    msgr::render::Overlay overlay(chat.rt);
    overlay.set_open(true);
    Host host{chat.rt, overlay};
    if (!host.settle()) return msgr::bench::fail(state, "the fonts never settled");
    double total = 0;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        host.frame();
        const double us = us_since(t0);
        total += us;
        state.SetIterationTime(us / 1e6);
    }
    const double ns = total * 1000.0 / static_cast<double>(state.iterations());
    state.counters["us_per_frame"] = ns / 1000.0;
    if (g_empty_ns > 0) state.counters["ratio_to_empty"] = ns / g_empty_ns;
    const msgr::render::FontStats fs = overlay.font_stats();
    state.counters["atlas_glyphs"] = static_cast<double>(fs.glyphs);
    state.counters["texture_kb"] = static_cast<double>(fs.texture_bytes) / 1024.0;
}

void BM_NewScriptFrame(benchmark::State &state) {
    const bool thread = state.range(0) != 0;
    Context c;
    Chat chat(200);
    if (!chat.ok) return msgr::bench::fail(state, "no conversation");
    msgr::render::OverlayOptions o;
    o.font_build_thread = thread;
    msgr::render::Overlay overlay(chat.rt, o);
    overlay.set_open(true);
    Host host{chat.rt, overlay};
    if (!host.settle()) return msgr::bench::fail(state, "the fonts never settled");
    static char32_t next = 0x5000;  // CJK ideographs nothing drew yet, 8 more each episode
    std::vector<double> appear, start, swap, build;
    double worst_all = 0, worst_cpu_all = 0;
    double first_cpu_max = 0, swap_cpu_max = 0, wait_cpu_max = 0;  // host CPU, per kind of frame
    std::vector<double> worst_frames;
    for (auto _ : state) {
        state.PauseTiming();
        std::string text = "new: ";
        for (int i = 0; i < 8; ++i)
            text += utf8_of(next++);
        chat.post(text);
        drain(chat.rt);
        state.ResumeTiming();
        // The frame the text appears in (drawn with fallback glyphs, the new ones noted).
        auto t0 = Clock::now();
        double c0 = thread_cpu_us();
        host.frame();
        double worst = us_since(t0);
        double worst_cpu = thread_cpu_us() - c0;
        first_cpu_max = std::max(first_cpu_max, worst_cpu);
        appear.push_back(worst);
        // The next frame starts the build (or, without the thread, builds).
        t0 = Clock::now();
        c0 = thread_cpu_us();
        host.frame();
        const double s = us_since(t0);
        worst_cpu = std::max(worst_cpu, thread_cpu_us() - c0);
        first_cpu_max = std::max(first_cpu_max, worst_cpu);
        start.push_back(s);
        worst = std::max(worst, s);
        // Frames until the new atlas is swapped in (host thread only; the build runs beside).
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        while (overlay.fonts_pending() && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            t0 = Clock::now();
            c0 = thread_cpu_us();
            host.frame();
            const double f = us_since(t0);
            const double cpu = thread_cpu_us() - c0;
            worst_cpu = std::max(worst_cpu, cpu);
            worst = std::max(worst, f);
            if (host.changed) {
                swap.push_back(f);
                swap_cpu_max = std::max(swap_cpu_max, cpu);
            } else {
                wait_cpu_max = std::max(wait_cpu_max, cpu);
            }
        }
        if (!thread && host.changed) swap.push_back(s);
        build.push_back(overlay.font_stats().last_build_ms);
        worst_all = std::max(worst_all, worst);
        worst_cpu_all = std::max(worst_cpu_all, worst_cpu);
        worst_frames.push_back(worst);
        state.SetIterationTime(worst / 1e6);
    }
    using msgr::bench::percentile;
    state.counters["appear_frame_us_p50"] = percentile(appear, 0.5);
    state.counters["build_start_frame_us_p50"] = percentile(start, 0.5);
    state.counters["swap_frame_us_p50"] = percentile(swap, 0.5);
    state.counters["worst_frame_us"] = worst_all;
    state.counters["worst_frame_us_p50"] = percentile(worst_frames, 0.5);
    state.counters["worst_frame_cpu_us"] = worst_cpu_all;
    state.counters["first_frames_cpu_us_max"] = first_cpu_max;
    state.counters["swap_frame_cpu_us_max"] = swap_cpu_max;
    state.counters["waiting_frames_cpu_us_max"] = wait_cpu_max;
    state.counters["build_ms_p50"] = percentile(build, 0.5);
    state.counters["atlas_glyphs"] = static_cast<double>(overlay.font_stats().glyphs);
}

// The code points of the first atlas (ASCII, Latin-1) and then `cjk` more.
std::vector<std::pair<char32_t, char32_t>> wanted(bool full, int cjk) {
    std::vector<char32_t> cps;
    for (char32_t c = 0x20; c < 0x7F; ++c)
        cps.push_back(c);
    for (char32_t c = 0xA0; c <= 0xFF; ++c)
        cps.push_back(c);
    if (full) {
        for (char32_t c = 0x3000; c <= 0x30FF; ++c)
            cps.push_back(c);
        for (char32_t c = 0x4E00; c <= 0x9FFF; ++c)
            cps.push_back(c);
        for (char32_t c = 0xFF00; c <= 0xFFEF; ++c)
            cps.push_back(c);
    } else {
        for (int i = 0; i < cjk; ++i)
            cps.push_back(0x4E00 + static_cast<char32_t>(i));
    }
    std::vector<std::pair<char32_t, char32_t>> w;
    w.reserve(cps.size());
    for (char32_t c : cps)
        w.emplace_back(c, c);
    return w;
}

void BM_AtlasBuild(benchmark::State &state) {
    const bool full = state.range(0) == 0;
    const int cjk = static_cast<int>(state.range(0));
    msgr::render::text::FontFiles files({});
    std::size_t bytes = 0, glyphs = 0;
    for (auto _ : state) {
        msgr::render::text::AtlasBuild b;
        b.wanted = wanted(full, cjk);
        msgr::render::text::build_atlas(files, 16.0f, b);
        if (!b.ok) return msgr::bench::fail(state, "the atlas was not built");
        bytes = static_cast<std::size_t>(b.atlas->TexWidth) *
                static_cast<std::size_t>(b.atlas->TexHeight) * 4;
        glyphs = b.glyphs;
        state.SetIterationTime(b.ms / 1000.0);
    }
    state.counters["texture_mb"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
    state.counters["glyphs"] = static_cast<double>(glyphs);
}

void BM_TextureUpload(benchmark::State &state) {
    const int cjk = static_cast<int>(state.range(0));
    setenv("SDL_VIDEODRIVER", "offscreen", 0);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) return msgr::bench::fail(state, SDL_GetError());
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_Window *window =
        SDL_CreateWindow("bench", 0, 0, 64, 64, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    SDL_GLContext gl = window != nullptr ? SDL_GL_CreateContext(window) : nullptr;
    if (gl == nullptr) {
        if (window != nullptr) SDL_DestroyWindow(window);
        SDL_Quit();
        return msgr::bench::fail(state, "no OpenGL context");
    }
    msgr::render::text::FontFiles files({});
    msgr::render::text::AtlasBuild b;
    b.wanted = wanted(false, cjk);
    msgr::render::text::build_atlas(files, 16.0f, b);
    unsigned char *pixels = nullptr;
    int w = 0, h = 0;
    b.atlas->GetTexDataAsRGBA32(&pixels, &w, &h);
    for (auto _ : state) {
        const auto t0 = Clock::now();
        GLuint tex = 0;
        glGenTextures(1, &tex);
        glBindTexture(GL_TEXTURE_2D, tex);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
        glFinish();
        state.SetIterationTime(us_since(t0) / 1e6);
        glDeleteTextures(1, &tex);
    }
    state.counters["texture_mb"] = static_cast<double>(w) * h * 4 / (1024.0 * 1024.0);
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(window);
    SDL_Quit();
}

void BM_ShapeMessage(benchmark::State &state) {
    static const char *words[] = {"plain", "\u0645\u0631\u062d\u0628\u0627",
                                  "\u05e9\u05dc\u05d5\u05dd"};
    std::string message;
    while (message.size() < (state.range(0) == 0 ? 200u : 400u))  // ~200 code points
        message += std::string(words[state.range(0)]) + " ";
    // Monospaced: the cost is FriBidi's and the reordering's, not ImGui's glyph lookup.
    const auto measure = [](void *, const char *b, const char *e) {
        return static_cast<float>(e - b);
    };
    const auto wrap = [](void *, const char *b, const char *e, float width) -> const char * {
        const char *cut = b + std::min<std::ptrdiff_t>(e - b, static_cast<std::ptrdiff_t>(width));
        if (cut == e) return e;
        for (const char *p = cut; p > b; --p)
            if (*p == ' ') return p;
        return cut;
    };
    msgr::render::text::Bidi bidi;
    msgr::render::text::Visual out;
    for (auto _ : state) {
        bidi.lay_out(message.data(), message.data() + message.size(), 80.0f, wrap, measure, nullptr,
                     nullptr, nullptr, out);
        benchmark::DoNotOptimize(out.text.data());
    }
    state.counters["lines"] = static_cast<double>(out.lines.size());
    state.counters["bytes"] = static_cast<double>(message.size());
}

}  // namespace

BENCHMARK(BM_EmptyImGuiFrame)->UseManualTime()->Unit(benchmark::kMicrosecond);
// mixed:1, lines in 8 scripts with emoji; mixed:0, the same conversation in ASCII only.
BENCHMARK(BM_SteadyFrame)
    ->ArgName("mixed")
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NewScriptFrame)
    ->ArgName("build_thread")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(30)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
// 2,000 distinct CJK characters; 0: the whole CJK range up front.
BENCHMARK(BM_AtlasBuild)
    ->ArgName("cjk")
    ->Arg(1)  // the first atlas: ASCII, Latin-1 (and one CJK character)
    ->Arg(2000)
    ->Arg(0)
    ->Iterations(2)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
// script:0 ASCII (the baseline), 1 Arabic, 2 Hebrew.
BENCHMARK(BM_ShapeMessage)
    ->ArgName("script")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TextureUpload)
    ->ArgName("cjk")
    ->Arg(0)
    ->Arg(2000)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char **argv) {
    setenv("MSGR_ADDIN_PATH", MSGR_LOOPBACK_ONLY_DIR, 0);
    char data[] = "/tmp/msgr-text-bench-XXXXXX";
    if (mkdtemp(data) == nullptr) return 1;
    setenv("XDG_DATA_HOME", data, 1);
    const int rc = msgr::bench::run(argc, argv);
    std::error_code ignored;
    std::filesystem::remove_all(data, ignored);
    return rc;
}

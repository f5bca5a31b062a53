// Glyphs on demand: the font atlas holds the glyphs that text on screen needed, not a whole
// script. During a frame the overlay says which (drawn) code points its text uses (need());
// those the atlas has never seen are collected, and between frames (update()) a new atlas with
// them is built — off the host thread, into a second ImFontAtlas — and swapped into the
// host's ImGui atlas once it is ready, after which the host re-uploads its font texture.
//
// A build takes every code point seen so far: each is drawn from the first font file with a
// glyph for it. Outline glyphs of the Basic Multilingual Plane are rasterised by ImGui's own
// FreeType builder (imgui_freetype); stand-ins (code points above U+FFFF, real PUA characters,
// see stand_ins.hpp) and colour glyphs (emoji) are rasterised here with FreeType and placed as
// custom rect glyphs (ImFontAtlas::AddCustomRectFontGlyph), colour ones flagged Colored so
// that the text colour does not tint them.
//
// Threads: update() and need() on the host thread; the build runs on a thread of its own and
// touches only its own ImFontAtlas and the (read-only) font files. Known limitation of ImGui
// 1.86: its MemAlloc counts every allocation in the current context's
// IO.MetricsActiveAllocations without synchronisation, so that debug counter is approximate
// while a build runs.
#pragma once

#include <atomic>
#include <bitset>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "font_files.hpp"
#include "stand_ins.hpp"

struct ImFontAtlas;

namespace msgr::render::text {

struct AtlasStats {
    std::size_t builds = 0;         // atlases built (the first one included)
    std::size_t code_points = 0;    // code points asked for so far (ASCII included)
    std::size_t glyphs = 0;         // of those, glyphs in the current atlas
    std::size_t custom_glyphs = 0;  // of those, rasterised here (stand-ins, colour)
    std::size_t without_glyph = 0;  // code points no font file has (drawn as ImGui's fallback)
    int texture_width = 0, texture_height = 0;
    std::size_t texture_bytes = 0;  // RGBA32, what the host uploads
    double last_build_ms = 0.0;     // wall time of the last build (on its thread)
    std::size_t font_files = 0;     // usable font files
    std::size_t missing_files = 0;  // font files that could not be opened
};

// One build's inputs and result; build() may run on any thread.
struct AtlasBuild {
    // (drawn code point, the code point whose glyph it shows): equal except for stand-ins
    std::vector<std::pair<char32_t, char32_t>> wanted;
    std::unique_ptr<ImFontAtlas> atlas;
    std::size_t glyphs = 0, custom_glyphs = 0, without_glyph = 0;
    double ms = 0.0;
    bool ok = false;
};
void build_atlas(const FontFiles &files, float pixel_size, AtlasBuild &b);

class FontAtlas {
  public:
    // async: builds after the first one run on their own thread (false: in update()).
    FontAtlas(std::vector<std::string> font_files, float pixel_size, bool async);
    ~FontAtlas();
    FontAtlas(const FontAtlas &) = delete;
    FontAtlas &operator=(const FontAtlas &) = delete;

    // During a frame: the drawn text uses code point cp (after stand-ins). No allocation.
    void need(char32_t cp) noexcept {
        if (cp < 0x80 || cp > 0xFFFF || known_.test(cp)) return;
        pending_.set(cp);
        has_pending_ = true;
    }
    // Between frames (before NewFrame; refused while `target` is locked by a frame): starts a
    // build for what the last frames needed, and swaps a finished one into `target`. True when
    // `target` changed: the host re-uploads its font texture.
    bool update(ImFontAtlas &target, const StandIns &stand_ins);
    // The size glyphs are rasterised at. A change rebuilds the atlas with every glyph asked for
    // so far at the new size, between frames like any build (the text drawn meanwhile keeps the
    // old size). Sizes outside [kMinPixelSize, kMaxPixelSize] are clamped; NaN is ignored.
    static constexpr float kMinPixelSize = 6.0f, kMaxPixelSize = 96.0f;
    void set_pixel_size(float px) noexcept;
    float pixel_size() const noexcept { return pixel_size_; }
    // Whether glyphs are wanted or being built (for tests and benchmarks: wait until false).
    bool busy() const noexcept { return has_pending_ || worker_.joinable(); }
    // Changes each time a new atlas is swapped in (text measured before must be measured again).
    std::size_t generation() const noexcept { return stats_.builds; }
    const AtlasStats &stats() const noexcept { return stats_; }

  private:
    void start(const StandIns &stand_ins);
    bool apply(ImFontAtlas &target);

    FontFiles files_;
    float pixel_size_;
    bool async_;
    std::bitset<0x10000> known_;    // asked for (in the atlas, or being built into it)
    std::bitset<0x10000> pending_;  // needed by a frame and not asked for yet
    bool has_pending_ = true;       // the first build (ASCII and Latin-1) is due
    std::unique_ptr<AtlasBuild> build_;
    std::unique_ptr<AtlasBuild>
        retired_;  // the atlas swapped out: freed by the next build's thread
    std::thread worker_;
    std::atomic<bool> done_{false};
    AtlasStats stats_;
};

}  // namespace msgr::render::text

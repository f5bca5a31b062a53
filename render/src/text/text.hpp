// The overlay's text boundary: what it gives ImGui to draw and edit (the drawn form, with
// stand-ins for what 16-bit ImWchar cannot carry, see stand_ins.hpp) and what it gives the
// runtime (the exact UTF-8), and the font atlas that grows with the text drawn (atlas.hpp).
// Host thread only. Buffers grow only when a longer text than any before is met: mapping on a
// steady frame does not allocate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atlas.hpp"
#include "bidi.hpp"
#include "stand_ins.hpp"

namespace msgr::render::text {

class Text {
  public:
    Text(std::vector<std::string> font_files, float pixel_size, bool async);
    // The context's atlas keeps its glyphs and texture, but no longer its sources (our font
    // files are unmapped with us): ImGui cannot rebuild it from memory that is gone.
    ~Text();
    Text(const Text &) = delete;
    Text &operator=(const Text &) = delete;

    // The drawn form of [b, e), its glyphs noted for the atlas. Valid until the next drawn().
    // ASCII comes back as it is, with no copy.
    std::string_view drawn(const char *b, const char *e);
    std::string_view drawn(const char *s) {
        return drawn(s, s + std::char_traits<char>::length(s));
    }
    // The same into a fixed buffer (NUL-terminated, cut at a code point); returns its length.
    std::size_t drawn_into(const char *s, char *out, std::size_t cap);
    // Typed text (SDL_TEXTINPUT's UTF-8) in drawn form: a code point with no stand-in left is
    // left out (never turned into U+FFFD). Valid until the next typed().
    const char *typed(const char *utf8);
    // The exact UTF-8 of drawn text (the input's buffer). Valid until the next exact().
    const char *exact(const char *drawn_text);
    // Notes the glyphs of text already in drawn form (what the input shows).
    void note(const char *drawn_text) noexcept;

    // Right-to-left text (bidi.hpp). The visual form of exact UTF-8 [b, e) (a text for which
    // has_rtl() is true) wrapped at `width` with the current ImGui font: drawn form, Arabic
    // joined, each line in visual order. Cached by content, width and font (kVisuals entries,
    // the least recently used replaced): a steady frame finds what it draws there and does not
    // allocate. Valid until the next visual().
    const Visual &visual(const char *b, const char *e, float width);
    // Draws [b, e) at the cursor in visual order, wrapped at `width`, as one item (hover works
    // as for ImGui::TextUnformatted), a right-to-left paragraph's lines flush right: within
    // `width` when `flush_to_width`, else within the widest line. Returns false, drawing
    // nothing, when the text has no right-to-left character: the caller draws it as before.
    bool draw_rtl(const char *b, const char *e, float width, std::uint32_t colour,
                  bool flush_to_width);

    // Between frames: see FontAtlas::update (on the current ImGui context's atlas).
    bool update();
    bool busy() const noexcept { return atlas_.busy(); }
    void set_pixel_size(float px) noexcept { atlas_.set_pixel_size(px); }
    float pixel_size() const noexcept { return atlas_.pixel_size(); }
    std::size_t generation() const noexcept { return atlas_.generation(); }
    const AtlasStats &stats() const noexcept { return atlas_.stats(); }
    StandIns &stand_ins() noexcept { return stand_ins_; }

  private:
    static void grow(std::vector<char> &buf, std::size_t n) {
        if (buf.size() < n) buf.resize(n);
    }
    static constexpr std::size_t kVisuals = 128;
    struct CachedVisual {
        std::uint64_t hash = 0;  // FNV-1a of the exact text
        std::size_t size = 0;
        float width = 0.0f, font_size = 0.0f;
        const void *font = nullptr;
        std::uint64_t used = 0;  // 0: empty
        Visual visual;
    };
    StandIns stand_ins_;
    FontAtlas atlas_;
    std::vector<char> drawn_, typed_, exact_, bidi_in_;
    Bidi bidi_;
    std::array<CachedVisual, kVisuals> visuals_{};
    std::uint64_t visual_clock_ = 0;
};

}  // namespace msgr::render::text

// Right-to-left text (Arabic, Hebrew) for ImGui, which draws code points left to right one by
// one: FriBidi's Unicode Bidirectional Algorithm and Arabic joining. For a paragraph (the text
// between line breaks), in drawn form (stand-ins.hpp: a stand-in counts as a neutral, as the
// emoji it stands for):
//   1. the embedding levels, the base direction from the first strong character (as chat
//      clients do; none: left to right);
//   2. Arabic letters joined: each replaced by its presentation form (isolated, initial, medial,
//      final; lam-alef ligatures), mirrored brackets in right-to-left runs;
//   3. wrapped in logical order (the caller's wrap function, ImGui's word wrap), so that the
//      first line holds the first words, and each line then put in visual order.
// A presentation form the font has no glyph for falls back to its base letter (has_glyph).
// No ImGui here: it is tested on its own (bidi_test.cpp). Buffers are reused: laying out a
// paragraph no longer than one before does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace msgr::render::text {

// Whether [b, e) (UTF-8) holds a right-to-left character or control: text without one is
// drawn as it is, in logical order. Cheap: ASCII is skipped byte by byte.
bool has_rtl(const char *b, const char *e) noexcept;

// A paragraph laid out in visual order.
struct VisualLine {
    std::uint32_t begin, end;  // bytes in Visual::text
    bool rtl;                  // its paragraph is right-to-left: drawn flush right
    float width;               // as measured by the caller's measure function
};
struct Visual {
    std::string text;  // the lines in visual order, '\n' between them
    std::vector<VisualLine> lines;
    float width = 0.0f;  // the widest line
    bool rtl = false;    // the first paragraph is right-to-left
};

class Bidi {
  public:
    // wrap(user, b, e, width): where the line starting at b ends (ImFont::CalcWordWrapPositionA
    // semantics: before the blanks that follow its last word); b when nothing fits.
    using WrapFn = const char *(*)(void *user, const char *b, const char *e, float width);
    // measure(user, b, e): the width of one line of text.
    using MeasureFn = float (*)(void *user, const char *b, const char *e);
    using HasGlyphFn = bool (*)(void *user, char32_t cp);

    // [b, e): UTF-8 in drawn form, lines broken at '\n'. width: the wrap width (a huge value:
    // no wrapping). has_glyph may be nullptr (every presentation form is there).
    void lay_out(const char *b, const char *e, float width, WrapFn wrap, MeasureFn measure,
                 void *user, HasGlyphFn has_glyph, void *glyph_user, Visual &out);

    // The last paragraph analysed (for tests): its embedding levels, its logical code points
    // shaped (presentation forms), and whether its base direction is right-to-left.
    const std::vector<signed char> &levels() const noexcept { return levels_; }
    const std::vector<std::uint32_t> &shaped() const noexcept { return shaped_; }
    bool paragraph_rtl() const noexcept { return rtl_; }

    // Analyses one paragraph (no '\n') of UTF-8: levels, joining, shaping.
    void analyse(const char *b, const char *e, HasGlyphFn has_glyph, void *glyph_user);

  private:
    void paragraph(const char *b, const char *e, float width, WrapFn wrap, MeasureFn measure,
                   void *user, HasGlyphFn has_glyph, void *glyph_user, Visual &out);
    void emit_line(std::size_t from, std::size_t to, MeasureFn measure, void *user, Visual &out);

    // FriBidi's arrays, one entry per code point of the paragraph
    std::vector<std::uint32_t> logical_, shaped_, visual_, types_, brackets_;
    std::vector<signed char> levels_;
    std::vector<std::uint8_t> joining_;
    std::string utf8_;                    // shaped_ in UTF-8, for the wrap function
    std::vector<std::uint32_t> offsets_;  // byte offset in utf8_ of each code point, and the end
    std::uint32_t base_ = 0;              // FriBidiParType
    bool rtl_ = false;
};

}  // namespace msgr::render::text

// FreeType faces over the font files, for what ImGui 1.86's own FreeType builder cannot do:
// which file has a glyph for a code point, and glyphs that do not pass through 16-bit ImWchar
// (drawn for a stand-in) or that are colour bitmaps (Noto Color Emoji's CBDT strikes, which
// ImGui's builder cannot scale). A Faces is used by one thread at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "font_files.hpp"

struct FT_LibraryRec_;
struct FT_FaceRec_;

namespace msgr::render::text {

// A glyph rasterised for the atlas: RGBA (R in the low byte, as IM_COL32), straight alpha; a
// plain glyph is white with its coverage as alpha, so that the text colour tints it.
struct GlyphBitmap {
    int width = 0, height = 0;
    int left = 0;  // from the pen to the bitmap's left edge, pixels
    int top = 0;   // from the baseline up to the bitmap's top edge, pixels
    float advance = 0.0f;
    bool colour = false;
    std::vector<std::uint32_t> rgba;
};

class Faces {
  public:
    Faces(const FontFiles &files, float pixel_size);
    ~Faces();
    Faces(const Faces &) = delete;
    Faces &operator=(const Faces &) = delete;

    std::size_t size() const noexcept { return faces_.size(); }
    // The first file with a glyph for cp; -1 when none has one.
    int font_of(char32_t cp) const noexcept;
    // Whether ImGui's builder draws file `font` as it is (an outline font without colour).
    bool plain(int font) const noexcept;
    // Rasterises cp from file `font` at the pixel size; false when FreeType fails.
    bool rasterise(int font, char32_t cp, GlyphBitmap &out) const;

  private:
    struct Face {
        FT_FaceRec_ *face = nullptr;
        bool colour = false;  // colour bitmaps (scaled here to the pixel size)
        float scale = 1.0f;   // from the face's strike to the pixel size
    };
    FT_LibraryRec_ *library_ = nullptr;
    std::vector<Face> faces_;
};

}  // namespace msgr::render::text

#include "faces.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cmath>

namespace msgr::render::text {

Faces::Faces(const FontFiles &files, float pixel_size) {
    if (FT_Init_FreeType(&library_) != 0) {
        library_ = nullptr;
        return;
    }
    for (const FontFile &f : files.files()) {
        Face face;
        if (FT_New_Memory_Face(library_, f.data, static_cast<FT_Long>(f.size), 0, &face.face) !=
            0) {
            faces_.push_back(Face{});  // keeps the files' order: this one has no glyph
            continue;
        }
        FT_Face ft = face.face;
        if (FT_HAS_COLOR(ft) && !FT_IS_SCALABLE(ft) && ft->num_fixed_sizes > 0) {
            // A colour bitmap font: its largest strike, scaled down here.
            int best = 0;
            for (int i = 1; i < ft->num_fixed_sizes; ++i) {
                if (ft->available_sizes[i].height > ft->available_sizes[best].height) best = i;
            }
            FT_Select_Size(ft, best);
            face.colour = true;
            const float strike = static_cast<float>(ft->size->metrics.height) / 64.0f;
            face.scale = strike > 0.0f ? pixel_size / strike : 1.0f;
        } else {
            // As ImGui's builder sizes a face: ascender - descender is the pixel size.
            FT_Size_RequestRec req{};
            req.type = FT_SIZE_REQUEST_TYPE_REAL_DIM;
            req.height = static_cast<FT_Long>(std::lround(pixel_size * 64.0f));
            FT_Request_Size(ft, &req);
        }
        faces_.push_back(face);
    }
}

Faces::~Faces() {
    for (Face &f : faces_) {
        if (f.face != nullptr) FT_Done_Face(f.face);
    }
    if (library_ != nullptr) FT_Done_FreeType(library_);
}

int Faces::font_of(char32_t cp) const noexcept {
    for (std::size_t i = 0; i < faces_.size(); ++i) {
        if (faces_[i].face != nullptr && FT_Get_Char_Index(faces_[i].face, cp) != 0)
            return static_cast<int>(i);
    }
    return -1;
}

bool Faces::plain(int font) const noexcept {
    return font >= 0 && static_cast<std::size_t>(font) < faces_.size() &&
           faces_[static_cast<std::size_t>(font)].face != nullptr &&
           !faces_[static_cast<std::size_t>(font)].colour;
}

bool Faces::rasterise(int font, char32_t cp, GlyphBitmap &out) const {
    if (font < 0 || static_cast<std::size_t>(font) >= faces_.size()) return false;
    const Face &face = faces_[static_cast<std::size_t>(font)];
    FT_Face ft = face.face;
    if (ft == nullptr) return false;
    const FT_UInt index = FT_Get_Char_Index(ft, cp);
    if (index == 0) return false;
    const FT_Int32 flags = face.colour ? FT_LOAD_COLOR : FT_LOAD_DEFAULT;
    if (FT_Load_Glyph(ft, index, flags) != 0) return false;
    FT_GlyphSlot slot = ft->glyph;
    if (slot->format != FT_GLYPH_FORMAT_BITMAP &&
        FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL) != 0) {
        return false;
    }
    const FT_Bitmap &bm = slot->bitmap;
    const int sw = static_cast<int>(bm.width), sh = static_cast<int>(bm.rows);
    out.colour = bm.pixel_mode == FT_PIXEL_MODE_BGRA;
    if (!face.colour) {
        out.width = sw;
        out.height = sh;
        out.left = slot->bitmap_left;
        out.top = slot->bitmap_top;
        out.advance = static_cast<float>(slot->advance.x) / 64.0f;
        out.rgba.assign(static_cast<std::size_t>(sw) * static_cast<std::size_t>(sh), 0);
        for (int y = 0; y < sh; ++y) {
            const unsigned char *row = bm.buffer + static_cast<std::ptrdiff_t>(y) * bm.pitch;
            for (int x = 0; x < sw; ++x) {
                std::uint32_t a = 0;
                if (bm.pixel_mode == FT_PIXEL_MODE_GRAY) {
                    a = row[x];
                } else if (bm.pixel_mode == FT_PIXEL_MODE_MONO) {
                    a = (row[x >> 3] & (0x80 >> (x & 7))) != 0 ? 255 : 0;
                }
                out.rgba[static_cast<std::size_t>(y) * static_cast<std::size_t>(sw) +
                         static_cast<std::size_t>(x)] = 0x00FFFFFFu | (a << 24);
            }
        }
        return true;
    }
    // A colour strike: box-filtered down to the pixel size, premultiplied as FreeType gives
    // it, then made straight alpha for ImGui's blending.
    const float s = face.scale;
    const int dw = std::max(1, static_cast<int>(std::lround(static_cast<float>(sw) * s)));
    const int dh = std::max(1, static_cast<int>(std::lround(static_cast<float>(sh) * s)));
    out.width = dw;
    out.height = dh;
    out.left = static_cast<int>(std::lround(static_cast<float>(slot->bitmap_left) * s));
    out.top = static_cast<int>(std::lround(static_cast<float>(slot->bitmap_top) * s));
    out.advance = std::round(static_cast<float>(slot->advance.x) / 64.0f * s);
    out.rgba.assign(static_cast<std::size_t>(dw) * static_cast<std::size_t>(dh), 0);
    for (int y = 0; y < dh; ++y) {
        const int y0 = y * sh / dh, y1 = std::max(y0 + 1, (y + 1) * sh / dh);
        for (int x = 0; x < dw; ++x) {
            const int x0 = x * sw / dw, x1 = std::max(x0 + 1, (x + 1) * sw / dw);
            unsigned r = 0, g = 0, b = 0, a = 0, n = 0;
            for (int yy = y0; yy < y1 && yy < sh; ++yy) {
                const unsigned char *row = bm.buffer + static_cast<std::ptrdiff_t>(yy) * bm.pitch;
                for (int xx = x0; xx < x1 && xx < sw; ++xx) {
                    const unsigned char *p =
                        row + static_cast<std::ptrdiff_t>(xx) * 4;  // BGRA, premultiplied
                    b += p[0], g += p[1], r += p[2], a += p[3], ++n;
                }
            }
            if (n == 0 || a == 0) continue;
            const unsigned ra = a / n;
            const auto straight = [&](unsigned c) { return std::min(255u, c * 255u / a); };
            out.rgba[static_cast<std::size_t>(y) * static_cast<std::size_t>(dw) +
                     static_cast<std::size_t>(x)] =
                straight(r) | (straight(g) << 8) | (straight(b) << 16) | (ra << 24);
        }
    }
    return true;
}

}  // namespace msgr::render::text

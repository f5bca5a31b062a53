#include "atlas.hpp"

#include <imgui.h>
#include <imgui_freetype.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "faces.hpp"

namespace msgr::render::text {

namespace {

// ImGui glyph ranges (pairs, 0-terminated) of ascending code points.
std::vector<ImWchar> ranges_of(const std::vector<ImWchar> &cps) {
    std::vector<ImWchar> r;
    for (std::size_t i = 0; i < cps.size();) {
        std::size_t j = i;
        while (j + 1 < cps.size() && cps[j + 1] == cps[j] + 1)
            ++j;
        r.push_back(cps[i]);
        r.push_back(cps[j]);
        i = j + 1;
    }
    r.push_back(0);
    return r;
}

// Swaps two atlases' contents. ImFontAtlas holds no pointer into itself, only its fonts point
// back to it (ContainerAtlas); so its bytes may move, and those pointers are set again.
void swap_atlases(ImFontAtlas &a, ImFontAtlas &b) noexcept {
    alignas(ImFontAtlas) unsigned char tmp[sizeof(ImFontAtlas)];
    std::memcpy(tmp, static_cast<void *>(&a), sizeof(ImFontAtlas));
    std::memcpy(static_cast<void *>(&a), static_cast<void *>(&b), sizeof(ImFontAtlas));
    std::memcpy(static_cast<void *>(&b), tmp, sizeof(ImFontAtlas));
    for (ImFont *f : a.Fonts)
        f->ContainerAtlas = &a;
    for (ImFont *f : b.Fonts)
        f->ContainerAtlas = &b;
}

}  // namespace

void build_atlas(const FontFiles &files, float pixel_size, AtlasBuild &b) {
    const auto t0 = std::chrono::steady_clock::now();
    b = AtlasBuild{std::move(b.wanted), nullptr, 0, 0, 0, 0.0, false};
    Faces faces(files, pixel_size);
    std::vector<std::vector<ImWchar>> cps(faces.size());
    struct Custom {
        char32_t drawn;
        GlyphBitmap bitmap;
        int rect = -1;
    };
    std::vector<Custom> customs;
    for (const auto &[drawn, shown] : b.wanted) {
        const int f = faces.font_of(shown);
        if (f < 0) {
            ++b.without_glyph;
            continue;
        }
        if (drawn == shown && faces.plain(f)) {
            cps[static_cast<std::size_t>(f)].push_back(static_cast<ImWchar>(drawn));
            continue;
        }
        Custom c{drawn, {}, -1};
        if (faces.rasterise(f, shown, c.bitmap)) {
            customs.push_back(std::move(c));
        } else {
            ++b.without_glyph;
        }
    }

    auto atlas = std::make_unique<ImFontAtlas>();
    atlas->FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
    atlas->FontBuilderFlags = ImGuiFreeTypeBuilderFlags_LightHinting;
    atlas->TexPixelsUseColors = true;
    std::vector<std::vector<ImWchar>> ranges(faces.size());
    bool added = false;
    for (std::size_t i = 0; i < faces.size(); ++i) {
        if (!faces.plain(static_cast<int>(i))) continue;
        if (cps[i].empty() && added) continue;
        if (cps[i].empty()) cps[i].push_back(' ');  // the base font: there must be one
        ranges[i] = ranges_of(cps[i]);
        ImFontConfig cfg;
        cfg.FontDataOwnedByAtlas = false;
        cfg.MergeMode = added;
        cfg.OversampleH = cfg.OversampleV = 1;
        (void)std::snprintf(cfg.Name, sizeof cfg.Name, "msgr font %zu", i);
        const FontFile &file = files.files()[i];
        atlas->AddFontFromMemoryTTF(const_cast<unsigned char *>(file.data),
                                    static_cast<int>(file.size), pixel_size, &cfg,
                                    ranges[i].data());
        added = true;
    }
    if (!added) {
        // No usable font file: ImGui's own font (Latin only), so the overlay still draws.
        ImFontConfig cfg;
        cfg.SizePixels = std::round(pixel_size);
        atlas->AddFontDefault(&cfg);
    }
    ImFont *font = atlas->Fonts[0];
    for (Custom &c : customs) {
        const GlyphBitmap &bm = c.bitmap;
        c.rect = atlas->AddCustomRectFontGlyph(
            font, static_cast<ImWchar>(c.drawn), std::max(bm.width, 1), std::max(bm.height, 1),
            bm.advance, ImVec2(static_cast<float>(bm.left), 0.0f));
    }
    if (!atlas->Build()) {
        (void)std::fprintf(stderr, "msgr overlay: the font atlas could not be built\n");
        return;
    }
    unsigned char *pixels = nullptr;
    int tw = 0, th = 0;
    atlas->GetTexDataAsRGBA32(&pixels, &tw, &th);
    auto *texels = reinterpret_cast<std::uint32_t *>(pixels);
    const float ascent = std::round(font->Ascent);
    for (const Custom &c : customs) {
        const ImFontAtlasCustomRect *r = atlas->GetCustomRectByIndex(c.rect);
        const GlyphBitmap &bm = c.bitmap;
        for (int y = 0; y < bm.height; ++y) {
            std::memcpy(
                texels + static_cast<std::size_t>(r->Y + y) * static_cast<std::size_t>(tw) + r->X,
                bm.rgba.data() + static_cast<std::size_t>(y) * bm.width,
                static_cast<std::size_t>(bm.width) * sizeof(std::uint32_t));
        }
        auto *g =
            const_cast<ImFontGlyph *>(font->FindGlyphNoFallback(static_cast<ImWchar>(c.drawn)));
        if (g == nullptr) continue;
        g->Y0 = ascent - static_cast<float>(bm.top);
        g->Y1 = g->Y0 + static_cast<float>(std::max(bm.height, 1));
        g->Colored = bm.colour ? 1u : 0u;
    }
    b.custom_glyphs = customs.size();
    b.glyphs = static_cast<std::size_t>(font->Glyphs.Size);
    b.atlas = std::move(atlas);
    b.ok = true;
    b.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

FontAtlas::FontAtlas(std::vector<std::string> font_files, float pixel_size, bool async)
    : files_(std::move(font_files)),
      pixel_size_(pixel_size == pixel_size ? std::clamp(pixel_size, kMinPixelSize, kMaxPixelSize)
                                           : 16.0f),
      async_(async) {
    // What the first atlas holds: printable ASCII, Latin-1, the replacement character and
    // the ellipsis; everything else comes when text needs it.
    for (char32_t c = 0x20; c < 0x7F; ++c)
        pending_.set(c);
    for (char32_t c = 0xA0; c <= 0xFF; ++c)
        pending_.set(c);
    pending_.set(0xFFFD);
    pending_.set(0x2026);
    stats_.font_files = files_.files().size();
    stats_.missing_files = files_.missing();
}

void FontAtlas::set_pixel_size(float px) noexcept {
    if (!(px == px)) return;  // NaN
    px = std::clamp(px, kMinPixelSize, kMaxPixelSize);
    if (px == pixel_size_) return;
    pixel_size_ = px;
    has_pending_ = true;  // every known glyph again, at the new size
}

FontAtlas::~FontAtlas() {
    if (worker_.joinable()) worker_.join();
}

void FontAtlas::start(const StandIns &stand_ins) {
    known_ |= pending_;
    pending_.reset();
    has_pending_ = false;
    build_ = std::make_unique<AtlasBuild>();
    build_->wanted.reserve(known_.count());
    // libstdc++'s bitset scan: a word at a time, not 65,536 tests on the host thread.
    for (std::size_t i = known_._Find_first(); i < known_.size(); i = known_._Find_next(i)) {
        const auto c = static_cast<char32_t>(i);
        char32_t shown = c;
        if (StandIns::is_stand_in_range(c) && stand_ins.original(c) != 0)
            shown = stand_ins.original(c);
        build_->wanted.emplace_back(c, shown);
    }
    stats_.code_points = build_->wanted.size();
    done_.store(false);
    const float px = pixel_size_;  // (the host thread may change pixel_size_ meanwhile)
    if (async_ && stats_.builds > 0) {
        worker_ = std::thread([this, px, old = std::move(retired_)]() mutable {
            old.reset();  // the atlas swapped out last time, freed off the host thread
            build_atlas(files_, px, *build_);
            done_.store(true, std::memory_order_release);
        });
    } else {
        build_atlas(files_, px, *build_);
        done_.store(true, std::memory_order_release);
    }
}

bool FontAtlas::apply(ImFontAtlas &target) {
    if (worker_.joinable()) worker_.join();
    std::unique_ptr<AtlasBuild> b = std::move(build_);
    done_.store(false);
    if (b == nullptr || !b->ok) return false;
    retired_.reset();  // (only when no build ran since the last swap)
    const ImTextureID tex = target.TexID;
    swap_atlases(target, *b->atlas);
    target.TexID = tex;  // the host's texture until it uploads the new one
    ++stats_.builds;
    stats_.glyphs = b->glyphs;
    stats_.custom_glyphs = b->custom_glyphs;
    stats_.without_glyph = b->without_glyph;
    stats_.texture_width = target.TexWidth;
    stats_.texture_height = target.TexHeight;
    stats_.texture_bytes =
        static_cast<std::size_t>(target.TexWidth) * static_cast<std::size_t>(target.TexHeight) * 4;
    stats_.last_build_ms = b->ms;
    retired_ = std::move(b);  // the old atlas, now in b: freed later, on the build's thread
    return true;
}

bool FontAtlas::update(ImFontAtlas &target, const StandIns &stand_ins) {
    if (target.Locked) return false;
    bool changed = false;
    if (build_ != nullptr && done_.load(std::memory_order_acquire)) changed = apply(target);
    if (build_ == nullptr && has_pending_) {
        start(stand_ins);
        if (done_.load(std::memory_order_acquire) && !worker_.joinable())
            changed = apply(target) || changed;
    }
    return changed;
}

}  // namespace msgr::render::text

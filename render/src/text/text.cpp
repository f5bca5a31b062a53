#include "text.hpp"

#include <imgui.h>

#include <cfloat>
#include <cstring>
#include <utility>

#include "utf8.hpp"

namespace msgr::render::text {

Text::Text(std::vector<std::string> font_files, float pixel_size, bool async)
    : atlas_(std::move(font_files), pixel_size, async),
      drawn_(std::size_t{16} * 1024),
      typed_(1024),
      exact_(std::size_t{16} * 1024) {}

Text::~Text() {
    if (atlas_.stats().builds == 0 || ImGui::GetCurrentContext() == nullptr) return;
    ImFontAtlas &fonts = *ImGui::GetIO().Fonts;
    if (!fonts.Locked) fonts.ClearInputData();
}

std::string_view Text::drawn(const char *b, const char *e) {
    if (all_ascii(b, e)) return {b, static_cast<std::size_t>(e - b)};
    const std::size_t n = static_cast<std::size_t>(e - b);
    grow(drawn_, StandIns::max_drawn_size(n));
    const std::size_t len = stand_ins_.to_drawn(b, e, drawn_.data(), drawn_.size(),
                                                [this](char32_t cp) { atlas_.need(cp); });
    return {drawn_.data(), len};
}

std::size_t Text::drawn_into(const char *s, char *out, std::size_t cap) {
    if (cap == 0) return 0;
    const std::string_view d = drawn(s, s + std::strlen(s));
    std::size_t len = std::min(d.size(), cap - 1);
    while (len > 0 && len < d.size() && (static_cast<unsigned char>(d[len]) & 0xC0) == 0x80)
        --len;
    std::memmove(out, d.data(), len);
    out[len] = '\0';
    return len;
}

const char *Text::typed(const char *utf8) {
    const std::size_t n = std::strlen(utf8);
    grow(typed_, StandIns::max_drawn_size(n));
    stand_ins_.to_drawn(
        utf8, utf8 + n, typed_.data(), typed_.size(), [this](char32_t cp) { atlas_.need(cp); },
        true);
    return typed_.data();
}

const char *Text::exact(const char *drawn_text) {
    const std::size_t n = std::strlen(drawn_text);
    grow(exact_, StandIns::max_exact_size(n));
    stand_ins_.to_exact(drawn_text, drawn_text + n, exact_.data(), exact_.size());
    return exact_.data();
}

void Text::note(const char *drawn_text) noexcept {
    const char *e = drawn_text + std::strlen(drawn_text);
    for (const char *p = drawn_text; p < e;) {
        std::size_t len = 0;
        atlas_.need(decode_utf8(p, e, len));
        p += len;
    }
}

namespace {

struct FontAt {
    ImFont *font;
    float size;
};

const char *wrap_at(void *user, const char *b, const char *e, float width) {
    const auto &f = *static_cast<const FontAt *>(user);
    if (width >= FLT_MAX) return e;
    return f.font->CalcWordWrapPositionA(f.size / f.font->FontSize, b, e, width);
}

float measure(void *user, const char *b, const char *e) {
    const auto &f = *static_cast<const FontAt *>(user);
    return f.font->CalcTextSizeA(f.size, FLT_MAX, 0.0f, b, e).x;
}

std::uint64_t fnv1a(const char *b, const char *e) noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (; b < e; ++b)
        h = (h ^ static_cast<unsigned char>(*b)) * 1099511628211ull;
    return h;
}

}  // namespace

const Visual &Text::visual(const char *b, const char *e, float width) {
    ImFont *font = ImGui::GetFont();
    const float font_size = ImGui::GetFontSize();
    const std::uint64_t hash = fnv1a(b, e);
    const auto size = static_cast<std::size_t>(e - b);
    CachedVisual *oldest = &visuals_[0];
    for (CachedVisual &c : visuals_) {
        if (c.used != 0 && c.hash == hash && c.size == size && c.width == width && c.font == font &&
            c.font_size == font_size) {
            c.used = ++visual_clock_;
            return c.visual;
        }
        if (c.used < oldest->used) oldest = &c;
    }
    // Not there: laid out (the drawn form first, its glyphs noted when drawn) into the least
    // recently used entry, whose buffers are reused.
    grow(bidi_in_, StandIns::max_drawn_size(size));
    const std::size_t n = stand_ins_.to_drawn(b, e, bidi_in_.data(), bidi_in_.size());
    FontAt at{font, font_size};
    bidi_.lay_out(bidi_in_.data(), bidi_in_.data() + n, width, &wrap_at, &measure, &at, nullptr,
                  nullptr, oldest->visual);
    oldest->hash = hash;
    oldest->size = size;
    oldest->width = width;
    oldest->font = font;
    oldest->font_size = font_size;
    oldest->used = ++visual_clock_;
    return oldest->visual;
}

bool Text::draw_rtl(const char *b, const char *e, float width, std::uint32_t colour,
                    bool flush_to_width) {
    if (!has_rtl(b, e)) return false;
    const Visual &v = visual(b, e, width);
    ImFont *font = ImGui::GetFont();
    const float font_size = ImGui::GetFontSize();
    ImDrawList *dl = ImGui::GetWindowDrawList();
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float box = flush_to_width ? width : v.width;
    float y = at.y;
    for (const VisualLine &l : v.lines) {
        const char *lb = v.text.data() + l.begin;
        const char *le = v.text.data() + l.end;
        for (const char *p = lb; p < le;) {
            std::size_t len = 0;
            atlas_.need(decode_utf8(p, le, len));
            p += len;
        }
        const float x = l.rtl ? at.x + box - l.width : at.x;
        dl->AddText(font, font_size, ImVec2(x, y), ImGui::GetColorU32(colour), lb, le);
        y += font_size;
    }
    ImGui::Dummy(ImVec2(box, static_cast<float>(v.lines.size()) * font_size));
    return true;
}

bool Text::update() {
    if (ImGui::GetCurrentContext() == nullptr) return false;
    return atlas_.update(*ImGui::GetIO().Fonts, stand_ins_);
}

}  // namespace msgr::render::text

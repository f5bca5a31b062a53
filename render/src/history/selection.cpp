#include "history/selection.hpp"

#include <algorithm>

#include "text/utf8.hpp"

namespace msgr::render::history {

namespace {

// The length in the drawn form of the code point at p, whose exact length is len.
std::size_t drawn_len(char32_t cp, std::size_t len) noexcept {
    if (cp > 0xFFFF || (cp >= 0xE000 && cp <= 0xF8FF)) return 3;
    if (cp == 0xFFFD) return 3;  // an invalid sequence is drawn as U+FFFD
    return len;
}

}  // namespace

bool Selection::range_in(std::size_t message, std::size_t size, std::size_t &b,
                         std::size_t &e) const noexcept {
    if (empty()) return false;
    const Point l = lo(), h = hi();
    if (message < l.message || message > h.message) return false;
    b = message == l.message ? std::min(l.offset, size) : 0;
    e = message == h.message ? std::min(h.offset, size) : size;
    return e > b;
}

std::size_t drawn_offset(const char *exact, const char *exact_end, std::size_t exact_off) noexcept {
    std::size_t drawn = 0;
    const char *p = exact;
    const char *stop = exact + std::min<std::size_t>(exact_off, exact_end - exact);
    while (p < stop) {
        std::size_t len = 1;
        const char32_t cp = text::decode_utf8(p, exact_end, len);
        drawn += drawn_len(cp, len);
        p += std::max<std::size_t>(len, 1);
    }
    return drawn;
}

std::size_t exact_offset(const char *exact, const char *exact_end, std::size_t drawn_off) noexcept {
    std::size_t drawn = 0;
    const char *p = exact;
    while (p < exact_end && drawn < drawn_off) {
        std::size_t len = 1;
        const char32_t cp = text::decode_utf8(p, exact_end, len);
        drawn += drawn_len(cp, len);
        p += std::max<std::size_t>(len, 1);
    }
    return static_cast<std::size_t>(p - exact);
}

std::size_t hit_offset(const ImFont &font, float size, float wrap, const char *b, const char *e,
                       ImVec2 at) {
    if (at.y < 0.0f) return 0;
    std::size_t best = static_cast<std::size_t>(e - b);
    bool on_line = false;
    bool done = false;
    for_each_glyph(font, size, wrap, b, e,
                   [&](const char *g, const char *next, float x, float y, float advance) {
                       if (done) return;
                       const bool line = at.y >= y && at.y < y + size;
                       if (line) {
                           on_line = true;
                           best = static_cast<std::size_t>(next - b);  // right of this glyph
                           if (*g == '\n' || at.x < x + advance * 0.5f) {
                               best = static_cast<std::size_t>(g - b);
                               done = true;
                           }
                       } else if (on_line || y > at.y) {
                           done = true;  // past the line: its end stays
                           if (!on_line) best = static_cast<std::size_t>(g - b);
                       }
                   });
    return best;
}

void draw_highlight(ImDrawList &dl, const ImFont &font, float size, float wrap, const char *b,
                    const char *e, std::size_t sel_b, std::size_t sel_e, ImVec2 origin,
                    ImU32 colour) {
    float line_y = -1.0f, x0 = 0.0f, x1 = 0.0f;
    auto flush = [&] {
        if (line_y >= 0.0f && x1 > x0)
            dl.AddRectFilled(ImVec2(origin.x + x0, origin.y + line_y),
                             ImVec2(origin.x + x1, origin.y + line_y + size), colour);
    };
    for_each_glyph(font, size, wrap, b, e,
                   [&](const char *g, const char *, float x, float y, float advance) {
                       const auto at = static_cast<std::size_t>(g - b);
                       if (at < sel_b || at >= sel_e) return;
                       // A selected line break shows as a little space at the line's end.
                       const float w = *g == '\n' ? size * 0.3f : advance;
                       if (y != line_y) {
                           flush();
                           line_y = y;
                           x0 = x;
                       }
                       x1 = x + w;
                   });
    flush();
}

}  // namespace msgr::render::history

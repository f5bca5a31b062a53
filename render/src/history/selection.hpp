// Selecting text in a conversation's history: a point is a message and a byte offset in its
// exact UTF-8; a selection runs from where the drag started (anchor) to where the pointer is
// (head), across lines and messages. Hit testing and the highlight walk a row's drawn form
// (stand-ins, render/src/text/) glyph by glyph exactly as ImGui 1.86's ImFont::RenderText
// wraps it, and map its offsets back to the exact text, so that a copy gives what was
// received or typed, emoji included. Nothing here allocates but the copied text.
#pragma once

#include <imgui.h>
#include <imgui_internal.h>  // ImTextCharFromUtf8

#include <cstddef>
#include <string>

namespace msgr::render::history {

struct Point {
    static constexpr std::size_t kNone = ~std::size_t{0};
    std::size_t message = kNone;  // the history's index
    std::size_t offset = 0;       // bytes into the message's exact text
    bool valid() const noexcept { return message != kNone; }
    friend bool operator<(const Point &a, const Point &b) noexcept {
        return a.message != b.message ? a.message < b.message : a.offset < b.offset;
    }
    friend bool operator==(const Point &a, const Point &b) noexcept {
        return a.message == b.message && a.offset == b.offset;
    }
};

struct Selection {
    Point anchor, head;
    bool dragging = false;
    bool empty() const noexcept { return !anchor.valid() || !head.valid() || anchor == head; }
    Point lo() const noexcept { return head < anchor ? head : anchor; }
    Point hi() const noexcept { return head < anchor ? anchor : head; }
    void clear() noexcept { *this = Selection{}; }
    // The selected bytes of message `message`, whose exact text is `size` bytes: [b, e); false
    // when none of it is selected.
    bool range_in(std::size_t message, std::size_t size, std::size_t &b,
                  std::size_t &e) const noexcept;
};

// Offsets between a text's exact form [exact, exact_end) and its drawn form (each code point
// above U+FFFF and each Private Use Area one stands for a 3-byte stand-in).
std::size_t drawn_offset(const char *exact, const char *exact_end, std::size_t exact_off) noexcept;
std::size_t exact_offset(const char *exact, const char *exact_end, std::size_t drawn_off) noexcept;

// The glyphs of drawn text [b, e) as ImFont::RenderText places them at `size` wrapped at
// `wrap` (<= 0: no wrapping): visit(const char *glyph, const char *next, float x, float y,
// float advance), x and y from the text's top left, one line being `size` high.
template <typename Visit>
void for_each_glyph(const ImFont &font, float size, float wrap, const char *b, const char *e,
                    Visit &&visit) {
    const float scale = size / font.FontSize;
    const bool wrapping = wrap > 0.0f;
    const char *eol = nullptr;
    float x = 0.0f, y = 0.0f;
    const char *s = b;
    while (s < e) {
        if (wrapping) {
            if (eol == nullptr) {
                eol = font.CalcWordWrapPositionA(scale, s, e, wrap - x);
                if (eol == s) ++eol;  // too narrow for anything: one character, as ImGui does
            }
            if (s >= eol) {
                x = 0.0f;
                y += size;
                eol = nullptr;
                while (s < e) {  // a wrap skips the blanks that follow
                    const char c = *s;
                    if (c == ' ' || c == '\t') {
                        ++s;
                    } else if (c == '\n') {
                        ++s;
                        break;
                    } else {
                        break;
                    }
                }
                continue;
            }
        }
        const char *glyph = s;
        unsigned int c = static_cast<unsigned char>(*s);
        if (c < 0x80) {
            ++s;
        } else {
            s += ImTextCharFromUtf8(&c, s, e);
            if (c == 0) break;
        }
        if (c == '\n') {
            visit(glyph, s, x, y, 0.0f);
            x = 0.0f;
            y += size;
            continue;
        }
        if (c == '\r') continue;
        const ImFontGlyph *g = font.FindGlyph(static_cast<ImWchar>(c));
        const float advance = g == nullptr ? 0.0f : g->AdvanceX * scale;
        visit(glyph, s, x, y, advance);
        x += advance;
    }
}

// The offset in drawn text [b, e) nearest to `at` (from the text's top left).
std::size_t hit_offset(const ImFont &font, float size, float wrap, const char *b, const char *e,
                       ImVec2 at);

// The highlight of drawn text [b, e)'s bytes [sel_b, sel_e), one rectangle per line, added to
// dl at `origin` (the text's top left on screen).
void draw_highlight(ImDrawList &dl, const ImFont &font, float size, float wrap, const char *b,
                    const char *e, std::size_t sel_b, std::size_t sel_e, ImVec2 origin,
                    ImU32 colour);

// The selected text: each message's selected part, exact, one line break between messages.
// text(i) -> std::string_view gives message i's exact text.
template <typename Text>
std::string selected_text(const Selection &sel, Text &&text) {
    std::string out;
    if (sel.empty()) return out;
    const Point lo = sel.lo(), hi = sel.hi();
    for (std::size_t m = lo.message; m <= hi.message; ++m) {
        const auto t = text(m);
        std::size_t b = 0, e = 0;
        if (!sel.range_in(m, t.size(), b, e)) continue;
        if (m != lo.message) out.push_back('\n');
        out.append(t.data() + b, e - b);
    }
    return out;
}

}  // namespace msgr::render::history

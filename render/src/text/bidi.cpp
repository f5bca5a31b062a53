#include "bidi.hpp"

#include <fribidi.h>

#include <algorithm>

#include "stand_ins.hpp"
#include "utf8.hpp"

namespace msgr::render::text {

namespace {

bool rtl_code_point(char32_t cp) noexcept {
    return (cp >= 0x0590 && cp <= 0x08FF) ||    // Hebrew, Arabic, Syriac, Thaana, NKo, ...
           (cp >= 0xFB1D && cp <= 0xFDFF) ||    // Hebrew and Arabic presentation forms A
           (cp >= 0xFE70 && cp <= 0xFEFE) ||    // Arabic presentation forms B
           (cp >= 0x10800 && cp <= 0x10FFF) ||  // historic right-to-left scripts
           (cp >= 0x1E800 && cp <= 0x1EFFF) ||  // Mende Kikakui, Adlam, Arabic math
           cp == 0x200F || cp == 0x202B || cp == 0x202E || cp == 0x2067;  // RLM, RLE, RLO, RLI
}

// Drawn as nothing: what FriBidi leaves for a ligature's second letter, and the bidi controls
// (their work is done; ImGui would draw them as the fallback glyph).
bool invisible(std::uint32_t cp) noexcept {
    return cp == 0xFEFF || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool blank(std::uint32_t cp) noexcept {
    return cp == ' ' || cp == '\t';
}

}  // namespace

bool has_rtl(const char *b, const char *e) noexcept {
    for (const char *p = b; p < e;) {
        if ((static_cast<unsigned char>(*p) & 0x80) == 0) {
            ++p;
            continue;
        }
        std::size_t len = 0;
        if (rtl_code_point(decode_utf8(p, e, len))) return true;
        p += len;
    }
    return false;
}

void Bidi::analyse(const char *b, const char *e, HasGlyphFn has_glyph, void *glyph_user) {
    logical_.clear();
    for (const char *p = b; p < e;) {
        std::size_t len = 0;
        logical_.push_back(decode_utf8(p, e, len));
        p += len;
    }
    const std::size_t n = logical_.size();
    types_.resize(n);
    brackets_.resize(n);
    levels_.resize(n);
    joining_.resize(n);
    const auto len = static_cast<FriBidiStrIndex>(n);
    fribidi_get_bidi_types(logical_.data(), len, types_.data());
    // A stand-in is a private-use code point (strong left-to-right to FriBidi) for an emoji or
    // a rare ideograph: as neutral as the emoji, so that it takes the direction around it.
    for (std::size_t i = 0; i < n; ++i) {
        if (StandIns::is_stand_in_range(logical_[i])) types_[i] = FRIBIDI_TYPE_ON;
    }
    fribidi_get_bracket_types(logical_.data(), len, types_.data(), brackets_.data());
    FriBidiParType base = FRIBIDI_PAR_ON;  // from the first strong character; none: LTR
    if (fribidi_get_par_embedding_levels_ex(types_.data(), brackets_.data(), len, &base,
                                            levels_.data()) == 0) {
        base = FRIBIDI_PAR_LTR;  // out of memory: left to right, as before
        std::fill(levels_.begin(), levels_.end(), static_cast<signed char>(0));
    }
    base_ = base;
    rtl_ = FRIBIDI_IS_RTL(base);
    fribidi_get_joining_types(logical_.data(), len, joining_.data());
    fribidi_join_arabic(types_.data(), len, levels_.data(), joining_.data());
    shaped_ = logical_;
    fribidi_shape(FRIBIDI_FLAGS_DEFAULT | FRIBIDI_FLAGS_ARABIC, levels_.data(), len,
                  joining_.data(), shaped_.data());
    if (has_glyph == nullptr) return;
    for (std::size_t i = 0; i < n; ++i) {
        if (shaped_[i] == logical_[i] || shaped_[i] == 0xFEFF) continue;
        const bool ligature = i + 1 < n && shaped_[i + 1] == 0xFEFF && logical_[i + 1] != 0xFEFF;
        if (has_glyph(glyph_user, shaped_[i])) continue;
        shaped_[i] = logical_[i];  // the base letter, unjoined
        if (ligature) shaped_[i + 1] = logical_[i + 1];
    }
}

void Bidi::lay_out(const char *b, const char *e, float width, WrapFn wrap, MeasureFn measure,
                   void *user, HasGlyphFn has_glyph, void *glyph_user, Visual &out) {
    out.text.clear();
    out.lines.clear();
    out.width = 0.0f;
    out.rtl = false;
    bool first = true;
    for (const char *p = b;;) {
        const char *nl = std::find(p, e, '\n');
        paragraph(p, nl, width, wrap, measure, user, has_glyph, glyph_user, out);
        if (first) out.rtl = rtl_;
        first = false;
        if (nl == e) break;
        p = nl + 1;
    }
    for (const VisualLine &l : out.lines)
        out.width = std::max(out.width, l.width);
}

void Bidi::paragraph(const char *b, const char *e, float width, WrapFn wrap, MeasureFn measure,
                     void *user, HasGlyphFn has_glyph, void *glyph_user, Visual &out) {
    analyse(b, e, has_glyph, glyph_user);
    const std::size_t n = shaped_.size();
    // The shaped text in logical order, in UTF-8, for the wrap function.
    utf8_.resize(n * 4);
    offsets_.resize(n + 1);
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i) {
        offsets_[i] = static_cast<std::uint32_t>(at);
        at += encode_utf8(static_cast<char32_t>(shaped_[i]), &utf8_[at]);
    }
    offsets_[n] = static_cast<std::uint32_t>(at);
    visual_ = shaped_;
    if (n == 0) {
        emit_line(0, 0, measure, user, out);
        return;
    }
    const char *text = utf8_.data();
    std::size_t i = 0;  // the line's first code point
    while (i < n) {
        const char *s = text + offsets_[i];
        const char *end = wrap(user, s, text + at, width);
        auto cut = static_cast<std::size_t>(
            std::lower_bound(offsets_.begin() + static_cast<std::ptrdiff_t>(i), offsets_.end(),
                             static_cast<std::uint32_t>(end - text)) -
            offsets_.begin());
        if (cut <= i) cut = i + 1;  // not one code point fits: it goes alone
        const auto len = static_cast<FriBidiStrIndex>(cut - i);
        // Reorders visual_ and levels_ over [i, cut) only: the lines are disjoint.
        if (fribidi_reorder_line(FRIBIDI_FLAGS_DEFAULT, types_.data(), len,
                                 static_cast<FriBidiStrIndex>(i), base_, levels_.data(),
                                 visual_.data(), nullptr) == 0) {
            std::copy(shaped_.begin() + static_cast<std::ptrdiff_t>(i),
                      shaped_.begin() + static_cast<std::ptrdiff_t>(cut),
                      visual_.begin() + static_cast<std::ptrdiff_t>(i));
        }
        emit_line(i, cut, measure, user, out);
        // The blanks after a wrap are dropped, as ImGui's own wrapping does.
        i = cut;
        while (i < n && blank(shaped_[i]))
            ++i;
    }
}

void Bidi::emit_line(std::size_t from, std::size_t to, MeasureFn measure, void *user, Visual &out) {
    // Blanks at either end (a right-to-left line's trailing ones are on its left) take no room.
    while (from < to && blank(visual_[from]))
        ++from;
    while (to > from && blank(visual_[to - 1]))
        --to;
    if (!out.lines.empty()) out.text.push_back('\n');
    const auto begin = static_cast<std::uint32_t>(out.text.size());
    char buf[4];
    for (std::size_t i = from; i < to; ++i) {
        if (invisible(visual_[i])) continue;
        out.text.append(buf, encode_utf8(static_cast<char32_t>(visual_[i]), buf));
    }
    const auto end = static_cast<std::uint32_t>(out.text.size());
    const float w = measure(user, out.text.data() + begin, out.text.data() + end);
    out.lines.push_back(VisualLine{begin, end, rtl_, w});
}

}  // namespace msgr::render::text

// Right-to-left text (render/src/text/bidi.hpp), with no rendering: embedding levels, visual
// order, Arabic presentation forms, mirrored brackets, wrapping in logical order.
#include <ft2build.h>
#include FT_FREETYPE_H
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "text/bidi.hpp"
#include "text/utf8.hpp"

using msgr::render::text::Bidi;
using msgr::render::text::decode_utf8;
using msgr::render::text::encode_utf8;
using msgr::render::text::has_rtl;
using msgr::render::text::Visual;

namespace {

std::u32string decode(const std::string &s) {
    std::u32string out;
    for (const char *p = s.data(), *e = s.data() + s.size(); p < e;) {
        std::size_t len = 0;
        out.push_back(decode_utf8(p, e, len));
        p += len;
    }
    return out;
}

// A monospaced font: every code point one unit wide; wraps after the last word that fits, as
// ImFont::CalcWordWrapPositionA does.
float measure(void *, const char *b, const char *e) {
    return static_cast<float>(decode(std::string(b, e)).size());
}
const char *wrap(void *, const char *b, const char *e, float width) {
    const char *last_word_end = nullptr;
    float w = 0.0f;
    for (const char *p = b; p < e;) {
        std::size_t len = 0;
        const char32_t cp = decode_utf8(p, e, len);
        if (cp == ' ') last_word_end = p;
        w += 1.0f;
        if (w > width) return last_word_end != nullptr ? last_word_end : p;
        p += len;
    }
    return e;
}

Visual lay_out(Bidi &bidi, const std::string &s, float width = 1e9f) {
    Visual v;
    bidi.lay_out(s.data(), s.data() + s.size(), width, &wrap, &measure, nullptr, nullptr, nullptr,
                 v);
    return v;
}

std::string line(const Visual &v, std::size_t i) {
    return v.text.substr(v.lines[i].begin, v.lines[i].end - v.lines[i].begin);
}

const std::string kShalom = "\u05e9\u05dc\u05d5\u05dd";        // שלום, logical
const std::string kShalomVisual = "\u05dd\u05d5\u05dc\u05e9";  // as drawn left to right
const std::string kBayt = "\u0628\u064a\u062a";                // بيت (beh yeh teh)

}  // namespace

TEST(Bidi, RightToLeftIsFoundOnlyWhereItIs) {
    const std::string latin = "hello, world \xc3\xa9t\xc3\xa9 \xd0\x9f\xd1\x80\xd0\xb8";
    EXPECT_FALSE(has_rtl(latin.data(), latin.data() + latin.size()));
    const std::string mixed = "abc " + kShalom;
    EXPECT_TRUE(has_rtl(mixed.data(), mixed.data() + mixed.size()));
    EXPECT_TRUE(has_rtl(kBayt.data(), kBayt.data() + kBayt.size()));
}

TEST(Bidi, LevelsAndBaseDirectionFromTheFirstStrongCharacter) {
    Bidi bidi;
    const std::string rtl_first = "123 " + kShalom + " abc";
    bidi.analyse(rtl_first.data(), rtl_first.data() + rtl_first.size(), nullptr, nullptr);
    EXPECT_TRUE(bidi.paragraph_rtl());
    const std::vector<signed char> &l = bidi.levels();
    ASSERT_EQ(l.size(), 12u);
    EXPECT_EQ(l[0], 2);  // digits in a right-to-left paragraph
    EXPECT_EQ(l[4], 1);  // Hebrew
    EXPECT_EQ(l[9], 2);  // Latin
    const std::string ltr_first = "abc " + kShalom;
    bidi.analyse(ltr_first.data(), ltr_first.data() + ltr_first.size(), nullptr, nullptr);
    EXPECT_FALSE(bidi.paragraph_rtl());
    EXPECT_EQ(bidi.levels()[0], 0);
    EXPECT_EQ(bidi.levels()[4], 1);
    const std::string neutral = "123 !?";
    bidi.analyse(neutral.data(), neutral.data() + neutral.size(), nullptr, nullptr);
    EXPECT_FALSE(bidi.paragraph_rtl());  // no strong character: left to right
}

TEST(Bidi, HebrewIsDrawnInVisualOrder) {
    Bidi bidi;
    const Visual v = lay_out(bidi, kShalom);
    ASSERT_EQ(v.lines.size(), 1u);
    EXPECT_EQ(line(v, 0), kShalomVisual);
    EXPECT_TRUE(v.rtl);
    EXPECT_TRUE(v.lines[0].rtl);
}

TEST(Bidi, AMixedLineKeepsItsLatinRunLeftToRight) {
    Bidi bidi;
    const Visual v = lay_out(bidi, "abc " + kShalom + " 123");
    ASSERT_EQ(v.lines.size(), 1u);
    // The digits after the Hebrew word belong to its run (UAX #9, W7 and L2).
    EXPECT_EQ(line(v, 0), "abc 123 " + kShalomVisual);
    EXPECT_FALSE(v.rtl);
    const Visual w = lay_out(bidi, kShalom + " abc def");
    EXPECT_EQ(line(w, 0), "abc def " + kShalomVisual);
    EXPECT_TRUE(w.rtl);
}

TEST(Bidi, ArabicLettersTakeTheirJoinedForms) {
    Bidi bidi;
    bidi.analyse(kBayt.data(), kBayt.data() + kBayt.size(), nullptr, nullptr);
    // beh initial, yeh medial, teh final (Arabic Presentation Forms-B)
    EXPECT_EQ(bidi.shaped(), (std::vector<std::uint32_t>{0xFE91, 0xFEF4, 0xFE96}));
    const Visual v = lay_out(bidi, kBayt);
    EXPECT_EQ(decode(line(v, 0)), (std::u32string{0xFE96, 0xFEF4, 0xFE91}));
    // A lone letter is isolated; lam + alef is one ligature (its filler is not drawn).
    const Visual la = lay_out(bidi, "\u0644\u0627 \u0628");
    EXPECT_EQ(decode(line(la, 0)), (std::u32string{0xFE8F, ' ', 0xFEFB}));
}

TEST(Bidi, WithoutTheGlyphAPresentationFormFallsBackToItsLetter) {
    Bidi bidi;
    bidi.analyse(
        kBayt.data(), kBayt.data() + kBayt.size(), [](void *, char32_t cp) { return cp != 0xFEF4; },
        nullptr);
    EXPECT_EQ(bidi.shaped(), (std::vector<std::uint32_t>{0xFE91, 0x064A, 0xFE96}));
}

TEST(Bidi, BracketsAreMirroredInRightToLeftRuns) {
    Bidi bidi;
    const Visual v = lay_out(bidi, "(" + kShalom + ")");
    EXPECT_EQ(line(v, 0), "(" + kShalomVisual + ")");
    const Visual l = lay_out(bidi, "a (" + kShalom + ") b");
    EXPECT_EQ(line(l, 0), "a (" + kShalomVisual + ") b");
}

TEST(Bidi, ALineBreakInsideARightToLeftRunKeepsTheFirstWordsOnTheFirstLine) {
    Bidi bidi;
    const std::string a = "\u05d0\u05d0\u05d0", b = "\u05d1\u05d1\u05d1", c = "\u05d2\u05d2\u05d2";
    const Visual v = lay_out(bidi, a + " " + b + " " + c, 7.0f);
    ASSERT_EQ(v.lines.size(), 2u);
    EXPECT_EQ(line(v, 0), b + " " + a);  // the first two words, the first on the right
    EXPECT_EQ(line(v, 1), c);
    EXPECT_TRUE(v.lines[1].rtl);
    EXPECT_FLOAT_EQ(v.width, 7.0f);
    // A break in the text starts a paragraph of its own, with its own direction.
    const Visual p = lay_out(bidi, kShalom + "\nabc " + kShalom);
    ASSERT_EQ(p.lines.size(), 2u);
    EXPECT_TRUE(p.lines[0].rtl);
    EXPECT_FALSE(p.lines[1].rtl);
    EXPECT_EQ(line(p, 1), "abc " + kShalomVisual);
}

TEST(Bidi, AStandInIsNeutralAsTheEmojiItStandsFor) {
    Bidi bidi;
    // U+E000: the drawn form's stand-in for an emoji, between two Hebrew words.
    const Visual v = lay_out(bidi, kShalom + " \ue000 " + kShalom);
    EXPECT_EQ(line(v, 0), kShalomVisual + " \ue000 " + kShalomVisual);
    EXPECT_TRUE(v.rtl);
}

// Every form FriBidi gives an Arabic letter (U+0621 to U+06D3, in every position) has a glyph
// in the Noto Sans Arabic that Debian ships: nothing falls back to the base letter.
TEST(Bidi, NotoSansArabicHasEveryPresentationFormFriBidiGives) {
    FT_Library lib = nullptr;
    ASSERT_EQ(FT_Init_FreeType(&lib), 0);
    FT_Face face = nullptr;
    ASSERT_EQ(
        FT_New_Face(lib, "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf", 0, &face), 0);
    Bidi bidi;
    std::set<std::uint32_t> forms, missing;
    const std::string beh = "\u0628";
    for (char32_t letter = 0x0621; letter <= 0x06D3; ++letter) {
        char buf[4];
        const std::string l(buf, encode_utf8(letter, buf));
        // Alone, initial, final and medial: the letter before, after and between behs.
        std::string initial = l, final_form = beh, medial = beh;
        initial += beh;
        final_form += l;
        medial += l;
        medial += beh;
        for (const std::string &s : {l, initial, final_form, medial}) {
            bidi.analyse(s.data(), s.data() + s.size(), nullptr, nullptr);
            for (const std::uint32_t cp : bidi.shaped()) {
                if (cp < 0xFB50) continue;
                forms.insert(cp);
                if (FT_Get_Char_Index(face, cp) == 0) missing.insert(cp);
            }
        }
    }
    EXPECT_GT(forms.size(), 150u);
    EXPECT_TRUE(missing.empty()) << missing.size() << " missing, the first U+" << std::hex
                                 << (missing.empty() ? 0 : *missing.begin());
    FT_Done_Face(face);
    FT_Done_FreeType(lib);
}

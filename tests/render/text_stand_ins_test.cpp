// The stand-ins for code points ImGui 1.86 cannot carry (render/src/text/stand_ins.hpp): every
// text maps to a drawn form ImGui can hold and back to exactly the same bytes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "text/stand_ins.hpp"
#include "text/utf8.hpp"

using msgr::render::text::StandIns;

namespace {

std::string drawn(StandIns &s, const std::string &in, bool drop = false) {
    std::vector<char> out(StandIns::max_drawn_size(in.size()));
    const std::size_t n = s.to_drawn(
        in.data(), in.data() + in.size(), out.data(), out.size(), [](char32_t) {}, drop);
    return {out.data(), n};
}

std::string exact(const StandIns &s, const std::string &in) {
    std::vector<char> out(StandIns::max_exact_size(in.size()));
    const std::size_t n = s.to_exact(in.data(), in.data() + in.size(), out.data(), out.size());
    return {out.data(), n};
}

// Every code point of a drawn form fits 16-bit ImWchar.
bool fits_imwchar(const std::string &d) {
    const char *p = d.data(), *e = d.data() + d.size();
    while (p < e) {
        std::size_t len = 0;
        const char32_t cp = msgr::render::text::decode_utf8(p, e, len);
        if (cp > 0xFFFF) return false;
        p += len;
    }
    return true;
}

// Cyrillic, Greek, Chinese, Japanese, Arabic, Hebrew, then three emoji and CJK extension B.
const std::string kMixed = std::string("Привет, Γειά σου, 你好, こんにちは, ") + "مرحبا, שלום, " +
                           "\U0001F600\U0001F44D\U0001F3FD and \U00020B9F";

}  // namespace

TEST(TextStandIns, MixedScriptsRoundTripExactly) {
    StandIns s;
    const std::string d = drawn(s, kMixed);
    EXPECT_TRUE(fits_imwchar(d));
    EXPECT_NE(d, kMixed);  // the emoji and 𠮟 were replaced
    EXPECT_EQ(exact(s, d), kMixed);
    // 😀 👍 🏽 𠮟: four stand-ins, handed out in order from U+E000.
    EXPECT_EQ(s.size(), 4u);
    EXPECT_EQ(s.original(0xE000), U'😀');
    EXPECT_EQ(s.find(U'𠮟'), 0xE003u);
    // The same code point again: the same stand-in, none handed out.
    EXPECT_EQ(drawn(s, "😀"), "\xEE\x80\x80");
    EXPECT_EQ(s.size(), 4u);
}

TEST(TextStandIns, AsciiAndBmpPassUnchanged) {
    StandIns s;
    const std::string t = "plain text, and 漢字 and ÿ";
    EXPECT_EQ(drawn(s, t), t);
    EXPECT_EQ(s.size(), 0u);
}

TEST(TextStandIns, RealPrivateUseCharactersSurvive) {
    StandIns s;
    // A stand-in is handed out first, then the player types the very PUA code point it uses
    // (U+E000) and another one (U+F8FF, Apple's logo on some systems).
    const std::string emoji = "😀";
    const std::string d1 = drawn(s, emoji);
    const std::string real = "\xEE\x80\x80 and \xEF\xA3\xBF";  // U+E000, U+F8FF
    const std::string d2 = drawn(s, real);
    EXPECT_NE(d2, real);             // they got stand-ins of their own
    EXPECT_NE(d2.substr(0, 3), d1);  // not the emoji's
    EXPECT_EQ(exact(s, d1), emoji);
    EXPECT_EQ(exact(s, d2), real);
    EXPECT_EQ(exact(s, d1 + d2), emoji + real);
}

TEST(TextStandIns, InvalidUtf8NeverCrashesAndDrawsReplacement) {
    StandIns s;
    const std::string bad[] = {
        std::string("\xF0\x9F\x98", 3),      // truncated emoji
        std::string("\x80\x80\xBF", 3),      // stray continuation bytes
        std::string("\xC0\xAF", 2),          // overlong '/'
        std::string("\xED\xA0\x80", 3),      // a surrogate
        std::string("\xF4\x90\x80\x80", 4),  // above U+10FFFF
        std::string("\xFF\xFE", 2),         std::string("a\0b", 3),
    };
    for (const std::string &b : bad) {
        const std::string d = drawn(s, b);
        EXPECT_TRUE(fits_imwchar(d));
        EXPECT_LE(d.size() + 1, StandIns::max_drawn_size(b.size()));
        // Mapping back copies what is not ours byte for byte.
        EXPECT_EQ(exact(s, b), b);
    }
    EXPECT_EQ(drawn(s, std::string("\x80", 1)), "\xEF\xBF\xBD");
    // Random bytes: never a crash, never an overrun (the output bound holds).
    std::mt19937 rng(13);  // NOLINT(cert-msc32-c,cert-msc51-cpp): the same inputs every run
    for (int i = 0; i < 2000; ++i) {
        std::string r(static_cast<std::size_t>(rng() % 64), '\0');
        for (char &c : r)
            c = static_cast<char>(rng() & 0xFF);
        const std::string d = drawn(s, r);
        EXPECT_TRUE(fits_imwchar(d));
        (void)exact(s, d);
        (void)exact(s, r);
    }
}

TEST(TextStandIns, FullTableDrawsReplacementAndTypingDropsIt) {
    StandIns s;
    std::string many;
    char buf[4];
    for (char32_t cp = 0x20000; cp < 0x20000 + StandIns::kCapacity; ++cp)
        many.append(buf, msgr::render::text::encode_utf8(cp, buf));
    const std::string d = drawn(s, many);
    EXPECT_EQ(s.size(), StandIns::kCapacity);
    EXPECT_EQ(exact(s, d), many);
    // One more: no stand-in is left.
    EXPECT_EQ(drawn(s, "🦀"), "\xEF\xBF\xBD");
    EXPECT_EQ(drawn(s, "a🦀b", true), "ab");  // typed: left out, never U+FFFD
    EXPECT_EQ(s.stand_in(U'🦀'), 0u);
}

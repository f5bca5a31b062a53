#include <gtest/gtest.h>

#include "text.hpp"

using namespace msgr::core;

TEST(Text, Utf8Validity) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
}

// A contact's activity as the runtime keeps it (rich presence): valid UTF-8, tab / CR / LF as a
// space, other C0 and C1 controls, DEL and the bidi embeddings, overrides and isolates dropped,
// cut at a character boundary to the bound in UTF-16 units.
TEST(Text, ACleanedStatusTextHasNoControlsAndIsCutAtACharacter) {
    EXPECT_EQ(clean_status_text("In a match \xe2\x80\x94 3/4", 128), "In a match \xe2\x80\x94 3/4");
    EXPECT_EQ(clean_status_text("a\tb\r\nc", 128), "a b  c");
    EXPECT_EQ(clean_status_text(std::string("a\0b\x01\x1f\x7f"
                                            "c",
                                            7),
                                128),
              "abc");
    EXPECT_EQ(clean_status_text("a\xc2\x85"
                                "b\xc2\x9f"
                                "c",
                                128),
              "abc");  // C1: NEL, APC
    EXPECT_EQ(clean_status_text("\xe2\x80\xae"
                                "evil\xe2\x80\xac \xe2\x81\xa6x\xe2\x81\xa9",
                                128),
              "evil x");                                          // RLO, PDF, LRI, PDI
    EXPECT_EQ(clean_status_text("\xc3(", 128), "\xef\xbf\xbd(");  // invalid: U+FFFD
    EXPECT_EQ(clean_status_text(std::string(200, 'x'), 128), std::string(128, 'x'));
    // An emoji is two units: the one that would end past the bound is left out whole.
    std::string emoji;
    for (int i = 0; i < 65; ++i)
        emoji += "\xf0\x9f\x8e\xae";
    EXPECT_EQ(clean_status_text("x" + emoji, 128), "x" + emoji.substr(0, std::size_t{63} * 4));
    EXPECT_EQ(utf16_length(clean_status_text(emoji, 128)), 128u);
    EXPECT_EQ(clean_status_text("\xd7\x91\xd7\x9e\xd7\xa9\xd7\x97\xd7\xa7 \xf0\x9f\x8e\xae", 128),
              "\xd7\x91\xd7\x9e\xd7\xa9\xd7\x97\xd7\xa7 \xf0\x9f\x8e\xae");  // Hebrew kept
}

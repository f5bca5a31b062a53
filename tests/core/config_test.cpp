#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config.hpp"

using namespace msgr::core;

// fuzz_config found it (tests/fuzz/regressions/config/toml-unreachable-nonascii-whitespace):
// toml++ 3.3.0 reached __builtin_unreachable() when it asked whether some non-ASCII code points
// are whitespace (marzer/tomlplusplus#190, #295). core/src/toml.hpp compiles that check with
// the upstream fix; under UBSan (make asan) these inputs trapped before it.
TEST(ConfigParser, NonAsciiWhereWhitespaceMayBeIsNotUndefinedBehaviour) {
    Config c;
    EXPECT_EQ(parse_config("[loop\xC3\xA9]\n", "t.toml", c), MSGR_E_INVALID_DATA);         // U+00E9
    EXPECT_EQ(parse_config("[runtime]\n\xE3\x81\x82", "t.toml", c), MSGR_E_INVALID_DATA);  // U+3042
    EXPECT_EQ(parse_config("a = 1\xEF\xBB\xBF\n", "t.toml", c), MSGR_E_INVALID_DATA);      // U+FEFF
    // Valid TOML: a line-ending backslash, then U+00A7 on the next line.
    EXPECT_EQ(parse_config("s = \"\"\"\\\n\xC2\xA7\"\"\"\n", "t.toml", c), MSGR_S_OK);
}

TEST(ConfigParser, ReadsEveryKey) {
    Config c;
    ASSERT_EQ(parse_config("[runtime]\nmax_windows = 3\ninbox_capacity = 10\n"
                           "addin_paths = [\"/opt/addins\"]\n[loopback]\necho = \"e@loopback\"\n",
                           "t.toml", c),
              MSGR_S_OK);
    EXPECT_EQ(c.max_windows, 3u);
    EXPECT_EQ(c.inbox_capacity, 10u);
    EXPECT_EQ(c.addin_paths, std::vector<std::string>{"/opt/addins"});
}

TEST(ConfigParser, FailureLeavesTheConfigUntouched) {
    Config c;
    c.max_windows = 7;
    EXPECT_EQ(parse_config("[runtime]\nmax_windows = 2\nmax_windowz = 1\n", "t.toml", c),
              MSGR_E_INVALID_DATA);
    EXPECT_EQ(c.max_windows, 7u);
}

// runtime.secondary_services: absent means every service; [] means the primary alone.
TEST(ConfigParser, SecondaryServicesAbsentEmptyOrListed) {
    Config absent;
    ASSERT_EQ(parse_config("[runtime]\nmax_windows = 3\n", "t.toml", absent), MSGR_S_OK);
    EXPECT_FALSE(absent.secondary_services.has_value());
    Config none;
    ASSERT_EQ(parse_config("[runtime]\nsecondary_services = []\n", "t.toml", none), MSGR_S_OK);
    ASSERT_TRUE(none.secondary_services.has_value());
    EXPECT_TRUE(none.secondary_services->empty());
    Config listed;
    ASSERT_EQ(parse_config("[runtime]\nsecondary_services = [\"exchange\"]\n", "t.toml", listed),
              MSGR_S_OK);
    EXPECT_EQ(listed.secondary_services, std::vector<std::string>{"exchange"});
    Config bad;
    EXPECT_EQ(parse_config("[runtime]\nsecondary_services = \"exchange\"\n", "t.toml", bad),
              MSGR_E_INVALID_DATA);
    EXPECT_NE(std::string(msgr_last_error()).find("runtime.secondary_services must be an array"),
              std::string::npos)
        << msgr_last_error();
}

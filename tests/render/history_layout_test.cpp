// The history layout on its own: rows, cached heights, prefix sums, binary search.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "history_layout.hpp"

using msgr::render::HistoryLayout;

namespace {

// A monospace "font": 10 px a character, 20 px a line; wraps at width.
struct Mono {
    int natural_calls = 0;
    int wrapped_calls = 0;
    std::vector<std::string> msgs;
    std::size_t update(HistoryLayout &l, float width) {
        return l.update(
            msgs.size(), width, 20.0f, 4.0f,
            [&](std::size_t i) { return std::string_view(msgs[i]); },
            [&](const char *b, const char *e) {
                ++natural_calls;
                for (const char *p = b; p < e; ++p)
                    if (*p == '\n') return -1.0f;
                return static_cast<float>(e - b) * 10.0f;
            },
            [&](const char *b, const char *e, float w) {
                ++wrapped_calls;
                const int per_line = std::max(1, static_cast<int>(w / 10.0f));
                int lines = 1, col = 0;
                for (const char *p = b; p < e; ++p) {
                    if (*p == '\n' || col == per_line) {
                        ++lines;
                        col = 0;
                    }
                    if (*p != '\n') ++col;
                }
                return static_cast<float>(lines) * 20.0f;
            });
    }
};

}  // namespace

TEST(HistoryLayout, HeightsDifferAndTheVisibleRangeMatchesALinearScan) {
    Mono m;
    for (int i = 0; i < 1000; ++i)
        m.msgs.emplace_back(static_cast<std::size_t>((i * 37) % 95 + 1), 'x');
    HistoryLayout l;
    const std::size_t measured = m.update(l, 300.0f);
    EXPECT_EQ(measured, 1000u + static_cast<std::size_t>(m.wrapped_calls));
    EXPECT_GT(m.wrapped_calls, 0);
    ASSERT_EQ(l.row_count(), 1000u);
    float y = 0;
    for (std::size_t r = 0; r < l.row_count(); ++r) {
        const float chars = static_cast<float>(m.msgs[r].size());
        const float lines = std::max(1.0f, std::ceil(chars * 10.0f / 300.0f));
        ASSERT_EQ(l.height(r), lines * 20.0f + 4.0f) << r;
        ASSERT_EQ(l.top(r), y);
        y += l.height(r);
    }
    EXPECT_EQ(l.total_height(), y);
    for (float y0 : {0.0f, 1.0f, 123.5f, 5000.0f, y - 10.0f}) {
        const float y1 = y0 + 400.0f;
        std::size_t first = l.row_count(), last = 0;
        for (std::size_t r = 0; r < l.row_count(); ++r) {
            if (l.top(r) + l.height(r) > y0 && l.top(r) < y1) {
                first = std::min(first, r);
                last = r + 1;
            }
        }
        const auto [f, e] = l.visible(y0, y1);
        EXPECT_EQ(f, first) << y0;
        EXPECT_EQ(e, last) << y0;
    }
    EXPECT_EQ(l.visible(y + 100.0f, y + 200.0f).first, l.row_count() - 1);
}

TEST(HistoryLayout, ASteadyUpdateMeasuresNothingAndNewMessagesOnlyThemselves) {
    Mono m;
    m.msgs = {"a", "bb", "ccc"};
    HistoryLayout l;
    m.update(l, 100.0f);
    EXPECT_EQ(m.update(l, 100.0f), 0u);
    m.msgs.emplace_back("dddd");
    m.natural_calls = 0;
    EXPECT_EQ(m.update(l, 100.0f), 1u);
    EXPECT_EQ(m.natural_calls, 1);
    EXPECT_EQ(l.row_count(), 4u);
}

TEST(HistoryLayout, ANewWidthRewrapsOnlyWhatDoesNotFitOnOneLine) {
    Mono m;
    m.msgs = {"short", std::string(50, 'x'), "two\nlines"};
    HistoryLayout l;
    m.update(l, 1000.0f);
    m.wrapped_calls = 0;
    m.update(l, 200.0f);
    EXPECT_EQ(m.wrapped_calls, 2);  // the 50-character one and the two-line one
    EXPECT_EQ(l.height(0), 24.0f);
    EXPECT_EQ(l.height(1), 3 * 20.0f + 4.0f);
    EXPECT_EQ(l.height(2), 2 * 20.0f + 4.0f);
}

TEST(HistoryLayout, HugeMessagesAreSplitIntoRowsAtSafePlaces) {
    Mono m;
    std::string big;
    for (int i = 0; i < 100000; ++i)
        big += "\xC3\xA9";  // é, two bytes: no space anywhere
    m.msgs = {big, std::string(10000, 'y') + " " + std::string(10, 'z')};
    HistoryLayout l;
    m.update(l, 500.0f);
    EXPECT_GT(l.row_count(), 100u);
    std::size_t covered = 0;
    for (std::size_t r = 0; r < l.row_count(); ++r) {
        const auto &row = l.row(r);
        if (row.message != 0) continue;
        EXPECT_LE(row.end - row.begin, HistoryLayout::kChunkBytes);
        EXPECT_NE(static_cast<unsigned char>(big[row.begin]) & 0xC0, 0x80u) << "cut inside é";
        EXPECT_EQ(row.begin, covered);
        covered = row.end;
    }
    EXPECT_EQ(covered, big.size());
}

TEST(HistoryLayout, EmptyHistoryAndEmptyMessages) {
    Mono m;
    HistoryLayout l;
    m.update(l, 100.0f);
    EXPECT_EQ(l.visible(0, 100).first, 0u);
    EXPECT_EQ(l.visible(0, 100).second, 0u);
    m.msgs = {""};
    m.update(l, 100.0f);
    ASSERT_EQ(l.row_count(), 1u);
    EXPECT_EQ(l.height(0), 24.0f);
}

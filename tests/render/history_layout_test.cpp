// The history layout on its own: rows, cached heights, prefix sums, binary search.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "history_layout.hpp"

using msgr::render::HistoryLayout;

namespace {

// A monospace "font": char_w px a character (10 unless changed: another atlas), 20 px a line;
// wraps at width.
struct Mono {
    int natural_calls = 0;
    int wrapped_calls = 0;
    float char_w = 10.0f;
    std::vector<std::string> msgs;
    auto text() {
        return [this](std::size_t i) { return std::string_view(msgs[i]); };
    }
    auto natural() {
        return [this](const char *b, const char *e) {
            ++natural_calls;
            for (const char *p = b; p < e; ++p)
                if (*p == '\n') return -1.0f;
            return static_cast<float>(e - b) * char_w;
        };
    }
    auto wrapped() {
        return [this](const char *b, const char *e, float w) {
            ++wrapped_calls;
            const int per_line = std::max(1, static_cast<int>(w / char_w));
            int lines = 1, col = 0;
            for (const char *p = b; p < e; ++p) {
                if (*p == '\n' || col == per_line) {
                    ++lines;
                    col = 0;
                }
                if (*p != '\n') ++col;
            }
            return static_cast<float>(lines) * 20.0f;
        };
    }
    std::size_t update(HistoryLayout &l, float width) {
        return l.update(msgs.size(), width, 20.0f, 4.0f, text(), natural(), wrapped());
    }
    std::size_t remeasure(HistoryLayout &l, float width) {
        return l.remeasure(width, 20.0f, 4.0f, text(), natural(), wrapped());
    }
};

}  // namespace

TEST(HistoryLayout, HeightsDifferAndTheVisibleRangeMatchesALinearScan) {
    Mono m;
    for (int i = 0; i < 1000; ++i)
        m.msgs.emplace_back(static_cast<std::size_t>((i * 37) % 95 + 1), 'x');
    HistoryLayout l(1000, 1000);
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

// Long histories: only a window is laid out, it follows the newest, grows upward and downward
// within its limit, re-centres on an entry, and reports what changed above it.
TEST(HistoryLayout, OnlyAWindowEndingAtTheNewestIsLaidOut) {
    Mono m;
    for (int i = 0; i < 10000; ++i)
        m.msgs.push_back("m" + std::to_string(i));
    HistoryLayout l(100, 20);
    m.natural_calls = 0;
    m.update(l, 1000.0f);
    EXPECT_EQ(m.natural_calls, 20);  // the texts of only the newest 20 were read
    EXPECT_EQ(l.first_message(), 9980u);
    EXPECT_EQ(l.end_message(), 10000u);
    EXPECT_EQ(l.message_of(0), 9980u);
    EXPECT_TRUE(l.at_end());
    // New messages follow while it ends at the newest; past 100 its oldest go, and the height
    // removed above is reported.
    for (int i = 0; i < 90; ++i)
        m.msgs.emplace_back("n");
    m.update(l, 1000.0f);
    EXPECT_EQ(l.end_message(), 10090u);
    EXPECT_EQ(l.first_message(), 9990u);
    EXPECT_EQ(l.take_front_delta(), -10 * 24.0f);
    EXPECT_EQ(l.take_front_delta(), 0.0f);
}

TEST(HistoryLayout, ExtendingUpAddsAboveAndDropsBelowPastTheLimit) {
    Mono m;
    for (int i = 0; i < 1000; ++i)
        m.msgs.emplace_back(static_cast<std::size_t>(i % 3 + 1), 'x');
    HistoryLayout l(50, 20);
    m.update(l, 1000.0f);
    ASSERT_EQ(l.first_message(), 980u);
    EXPECT_EQ(l.extend_up(
                  10, [&](std::size_t i) { return std::string_view(m.msgs[i]); },
                  [](const char *b, const char *e) { return static_cast<float>(e - b) * 10.0f; },
                  [](const char *, const char *, float) { return 20.0f; }),
              10u);
    EXPECT_EQ(l.first_message(), 970u);
    EXPECT_EQ(l.row_count(), 30u);
    EXPECT_EQ(l.message_of(0), 970u);
    EXPECT_EQ(l.message_of(29), 999u);
    EXPECT_EQ(l.take_front_delta(), 10 * 24.0f);
    EXPECT_EQ(l.top(10), 10 * 24.0f);
    // Up by 40 more: the window holds 50 at most, so the newest 20 go; it no longer ends at
    // the newest, and a new message is counted but not laid out.
    auto text = [&](std::size_t i) { return std::string_view(m.msgs[i]); };
    auto natural = [](const char *b, const char *e) { return static_cast<float>(e - b) * 10.0f; };
    auto wrapped = [](const char *, const char *, float) { return 20.0f; };
    EXPECT_EQ(l.extend_up(40, text, natural, wrapped), 40u);
    EXPECT_EQ(l.first_message(), 930u);
    EXPECT_EQ(l.end_message(), 980u);
    EXPECT_FALSE(l.at_end());
    m.msgs.emplace_back("new");
    m.update(l, 1000.0f);
    EXPECT_EQ(l.message_count(), 1001u);
    EXPECT_EQ(l.end_message(), 980u);
    // Down again: what follows is laid out, the oldest go.
    EXPECT_EQ(l.extend_down(30, text, natural, wrapped), 21u);
    EXPECT_TRUE(l.at_end());
    EXPECT_EQ(l.end_message(), 1001u);
    EXPECT_EQ(l.first_message(), 951u);
    (void)l.take_front_delta();
    // The top of the history: nothing more to add.
    EXPECT_EQ(l.row_of(951), 0u);
    EXPECT_EQ(l.row_of(950), HistoryLayout::npos);
    EXPECT_EQ(l.row_of(1000), 49u);
}

TEST(HistoryLayout, CenteringOnAnEntryAndOlderEntriesInFront) {
    Mono m;
    for (int i = 0; i < 1000; ++i)
        m.msgs.push_back("m" + std::to_string(i));
    HistoryLayout l(100, 20);
    m.update(l, 1000.0f);
    auto text = [&](std::size_t i) { return std::string_view(m.msgs[i]); };
    auto natural = [](const char *b, const char *e) { return static_cast<float>(e - b) * 10.0f; };
    auto wrapped = [](const char *, const char *, float) { return 20.0f; };
    l.center_on(500, m.msgs.size(), text, natural, wrapped);
    EXPECT_EQ(l.first_message(), 490u);
    EXPECT_EQ(l.end_message(), 510u);
    ASSERT_NE(l.row_of(500), HistoryLayout::npos);
    EXPECT_EQ(l.message_of(l.row_of(500)), 500u);
    // 7 older entries arrive in front (an archive page): the same rows, 7 places further.
    m.msgs.insert(m.msgs.begin(), 7, "old");
    l.shift(7);
    EXPECT_EQ(m.update(l, 1000.0f), 0u);
    EXPECT_EQ(l.first_message(), 497u);
    EXPECT_EQ(l.message_of(l.row_of(507)), 507u);
    EXPECT_EQ(text(507), "m500");
    // Forgotten (the history shrank): laid out again from the newest.
    m.msgs.resize(3);
    m.update(l, 1000.0f);
    EXPECT_EQ(l.first_message(), 0u);
    EXPECT_EQ(l.end_message(), 3u);
}

// A new atlas (here: characters twice as wide) measures every row again where it is: the same
// messages laid out in the same rows, each as tall as the new widths make it, with nothing
// asked of the messages outside the window.
TEST(HistoryLayout, RemeasuringKeepsTheRowsAndGivesTheNewHeights) {
    Mono m;
    for (int i = 0; i < 1000; ++i)
        m.msgs.emplace_back(static_cast<std::size_t>(i % 40 + 1), 'x');
    m.msgs[995] = std::string(5000, 'y');  // three rows
    HistoryLayout l(100, 50);
    m.update(l, 300.0f);
    (void)l.extend_up(20, m.text(), m.natural(), m.wrapped());
    (void)l.take_front_delta();
    const std::size_t first = l.first_message(), end = l.end_message(), rows = l.row_count();
    ASSERT_EQ(first, 930u);
    ASSERT_EQ(rows, 72u);
    const float before = l.total_height();
    m.char_w = 20.0f;
    m.natural_calls = 0;
    EXPECT_GE(m.remeasure(l, 300.0f), rows);
    EXPECT_EQ(m.natural_calls, static_cast<int>(rows)) << "only the rows laid out";
    EXPECT_EQ(l.first_message(), first);
    EXPECT_EQ(l.end_message(), end);
    ASSERT_EQ(l.row_count(), rows);
    EXPECT_EQ(l.take_front_delta(), 0.0f);
    EXPECT_GT(l.total_height(), before);
    float y = 0;
    for (std::size_t r = 0; r < l.row_count(); ++r) {
        ASSERT_EQ(l.top(r), y) << r;
        const HistoryLayout::Row &row = l.row(r);
        const float chars = static_cast<float>(row.end - row.begin);
        const float lines = std::max(1.0f, std::ceil(chars * 20.0f / 300.0f));
        EXPECT_EQ(row.natural_width, chars * 20.0f) << r;
        EXPECT_EQ(l.height(r), lines * 20.0f + 4.0f) << r;
        y += l.height(r);
    }
    // A steady update after it measures nothing.
    EXPECT_EQ(m.update(l, 300.0f), 0u);
}

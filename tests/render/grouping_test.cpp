// The history's labels: time_label and day_label against libc's own formatting of the same
// moment, in zones with whole-minute offsets and with offsets in seconds (Monrovia and
// Amsterdam before 1972 and 1937), around minute, day and DST boundaries, before 1970.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include "history/grouping.hpp"

namespace {

std::string strftime_of(std::int64_t unix_ms, const char *format) {
    std::int64_t s = unix_ms / 1000;
    if (unix_ms % 1000 < 0) --s;
    const auto t = static_cast<std::time_t>(s);
    std::tm tm{};
    (void)localtime_r(&t, &tm);
    char out[64];
    const std::size_t n = std::strftime(out, sizeof out, format, &tm);
    return std::string(out, n);
}

std::string time_label_of(std::int64_t unix_ms) {
    char out[16];
    msgr::render::history::time_label(unix_ms, out, sizeof out);
    return out;
}

class InZone {
  public:
    explicit InZone(const char *tz) {
        const char *was = std::getenv("TZ");
        had_ = was != nullptr;
        if (had_) was_ = was;
        setenv("TZ", tz, 1);
        tzset();
    }
    ~InZone() {
        if (had_) {
            setenv("TZ", was_.c_str(), 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
    }
    InZone(const InZone &) = delete;
    InZone &operator=(const InZone &) = delete;

  private:
    bool had_ = false;
    std::string was_;
};

// Moments around the edges: seconds either side of minute and hour boundaries, a DST change
// (Europe: 2026-03-29 01:00 UTC), before 1970, milliseconds below zero.
const std::int64_t kMoments[] = {
    0,
    -1,
    -61'001,
    59'999,
    60'000,
    1'774'745'999'000,  // 2026-03-29 00:59:59 UTC
    1'774'746'000'000,  // 01:00:00 UTC: Berlin jumps from 02:00 to 03:00
    1'774'746'059'999,
    1'796'000'123'456,
    -1'000'000'000'000,  // 1938
};

TEST(Grouping, TheTimeLabelIsTheLocalHourAndMinuteInEveryZone) {
    for (const char *tz : {"UTC0", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns",
                           "Africa/Monrovia", "Europe/Amsterdam"}) {
        InZone zone(tz);
        for (const std::int64_t ms : kMoments) {
            EXPECT_EQ(time_label_of(ms), strftime_of(ms, "%H:%M")) << tz << " at " << ms;
        }
        // Every seventh second of five minutes, and the same three days on.
        for (std::int64_t s = 1'796'000'000; s < 1'796'000'000 + 300; s += 7) {
            EXPECT_EQ(time_label_of(s * 1000), strftime_of(s * 1000, "%H:%M")) << tz << " " << s;
            const std::int64_t later = s + std::int64_t{86'400} * 3;
            EXPECT_EQ(time_label_of(later * 1000), strftime_of(later * 1000, "%H:%M"));
        }
    }
}

TEST(Grouping, TheDayLabelNamesTodayYesterdayAndElseTheDate) {
    InZone zone("Europe/Berlin");
    const std::int64_t now = 1'796'000'123'456;  // Monday 2026-11-30, 01:55 local
    char out[48];
    msgr::render::history::day_label(now - 60'000, now, out, sizeof out);
    EXPECT_STREQ(out, "Today");
    msgr::render::history::day_label(now - 86'400'000, now, out, sizeof out);
    EXPECT_STREQ(out, "Yesterday");
    msgr::render::history::day_label(now - 3 * 86'400'000LL, now, out, sizeof out);
    EXPECT_EQ(std::string(out), strftime_of(now - 3 * 86'400'000LL, "%A %-d %B %Y"));
    // Too small a buffer: cut, never overrun.
    char small[4];
    msgr::render::history::day_label(now - 86'400'000, now, small, sizeof small);
    EXPECT_STREQ(small, "Yes");
    char tiny[3] = "xx";
    msgr::render::history::time_label(now, tiny, sizeof tiny);
    EXPECT_STREQ(tiny, "");
}

}  // namespace

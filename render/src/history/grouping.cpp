#include "history/grouping.hpp"

#include <cstdio>
#include <ctime>

#include "history_layout.hpp"

namespace msgr::render::history {

namespace {

std::tm local_tm(std::int64_t unix_ms) noexcept {
    const auto t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    (void)localtime_r(&t, &tm);
    return tm;
}

// Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's days_from_civil).
std::int32_t days_from_civil(int y, int m, int d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

std::int32_t local_day(std::int64_t unix_ms) noexcept {
    const std::tm tm = local_tm(unix_ms);
    return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::uint32_t lead_between(const msgr_message *prev, const msgr_message &m) noexcept {
    if (prev == nullptr) return HistoryLayout::kLeadHeader | HistoryLayout::kLeadDay;
    if (local_day(prev->time_unix_ms) != local_day(m.time_unix_ms))
        return HistoryLayout::kLeadHeader | HistoryLayout::kLeadDay;
    if (from_user(*prev) != from_user(m) || m.time_unix_ms - prev->time_unix_ms > kGroupGapMs)
        return HistoryLayout::kLeadHeader;
    return 0;
}

void time_label(std::int64_t unix_ms, char *out, std::size_t cap) noexcept {
    const std::tm tm = local_tm(unix_ms);
    (void)std::snprintf(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void day_label(std::int64_t unix_ms, std::int64_t now_ms, char *out, std::size_t cap) noexcept {
    static constexpr const char *kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
    static constexpr const char *kMonths[] = {"January",   "February", "March",    "April",
                                              "May",       "June",     "July",     "August",
                                              "September", "October",  "November", "December"};
    const std::int32_t day = local_day(unix_ms);
    const std::int32_t today = local_day(now_ms);
    if (day == today) {
        (void)std::snprintf(out, cap, "Today");
    } else if (day == today - 1) {
        (void)std::snprintf(out, cap, "Yesterday");
    } else {
        const std::tm tm = local_tm(unix_ms);
        (void)std::snprintf(out, cap, "%s %d %s %d", kDays[tm.tm_wday % 7], tm.tm_mday,
                            kMonths[tm.tm_mon % 12], tm.tm_year + 1900);
    }
}

}  // namespace msgr::render::history

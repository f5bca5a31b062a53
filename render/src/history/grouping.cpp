#include "history/grouping.hpp"

#include <strings.h>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "history_layout.hpp"
#include "text/utf8.hpp"

namespace msgr::render::history {

namespace {

// The local time of a moment (floored to its second, also before 1970).
std::tm local_tm(std::int64_t unix_ms) noexcept {
    std::int64_t s = unix_ms / 1000;
    if (unix_ms % 1000 < 0) --s;
    const auto t = static_cast<std::time_t>(s);
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
    if (other_writer(*prev, m) || m.time_unix_ms - prev->time_unix_ms > kGroupGapMs)
        return HistoryLayout::kLeadHeader;
    return 0;
}

bool other_writer(const msgr_message &a, const msgr_message &b) noexcept {
    if (from_user(a) != from_user(b)) return true;
    if (from_user(a)) return false;
    const char *sa = a.sender != nullptr ? a.sender : "";
    const char *sb = b.sender != nullptr ? b.sender : "";
    return *sa != '\0' && *sb != '\0' && strcasecmp(sa, sb) != 0;
}

void sender_name(msgr_window *w, const msgr_message &m, const char *peer, const char *user,
                 char *out, std::size_t cap) noexcept {
    const char *name = from_user(m) ? user : peer;
    std::size_t n = 0;
    const bool named = !from_user(m) && m.sender != nullptr && *m.sender != '\0';
    if (named && msgr_window_contacts_count(w, &n) == MSGR_S_OK && n > 1) {
        // A group: the writer among the window's contacts; a writer who left is shown by the
        // sign-in name the message keeps.
        name = m.sender;
        for (std::size_t i = 0; i < n; ++i) {
            msgr_contact *c = nullptr;
            if (msgr_window_contacts_get(w, i, &c) != MSGR_S_OK) continue;
            const char *signin = nullptr;
            const char *friendly = nullptr;
            const bool it = msgr_contact_signin_name(c, &signin) == MSGR_S_OK &&
                            strcasecmp(signin, m.sender) == 0 &&
                            msgr_contact_friendly_name(c, &friendly) == MSGR_S_OK;
            if (it) text::copy_cstr(out, cap, friendly);
            msgr_contact_release(c);
            if (it) return;
        }
    }
    text::copy_cstr(out, cap, name);
}

void time_label(std::int64_t unix_ms, char *out, std::size_t cap) noexcept {
    if (cap < 6) {
        if (cap > 0) out[0] = '\0';
        return;
    }
    const std::tm tm = local_tm(unix_ms);
    const auto two = [](int v, char *at) {
        at[0] = static_cast<char>('0' + v / 10 % 10);
        at[1] = static_cast<char>('0' + v % 10);
    };
    // "%02d:%02d" without the formatting machinery: every header asks, every frame.
    two(tm.tm_hour, out);
    out[2] = ':';
    two(tm.tm_min, out + 3);
    out[5] = '\0';
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
        text::copy_cstr(out, cap, "Today");
    } else if (day == today - 1) {
        text::copy_cstr(out, cap, "Yesterday");
    } else {
        const std::tm tm = local_tm(unix_ms);
        (void)std::snprintf(out, cap, "%s %d %s %d", kDays[tm.tm_wday % 7], tm.tm_mday,
                            kMonths[tm.tm_mon % 12], tm.tm_year + 1900);
    }
}

}  // namespace msgr::render::history

#include "cron/fire_times.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ctlflow {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
// One Gregorian cycle: every (month, day, weekday) combination that exists at
// all occurs in any run of this many consecutive days.
constexpr int64_t kMaxSearchDays = 146097;
// UTC offsets are strictly within +-26 hours (TimeZone rejects others).
constexpr int64_t kOffsetWindow = 26 * 3600 + 60;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Whether some real date satisfies the day columns (February 29 exists, and
// falls on every weekday over the 400-year cycle, like every other date).
bool CanEverMatch(const CronSpec& spec) {
  if (spec.minutes.none() || spec.hours.none()) return false;
  static constexpr std::array<int, 13> kMaxDay = {0,  31, 29, 31, 30, 31, 30,
                                                  31, 31, 30, 31, 30, 31};
  for (int m = 1; m <= 12; ++m) {
    for (int d = 1; d <= kMaxDay[static_cast<std::size_t>(m)]; ++d) {
      for (int w = 0; w < 7; ++w) {
        if (spec.MatchesDay(m, d, w)) return true;
      }
    }
  }
  return false;
}

// Minutes of the day (hour * 60 + minute) the spec names, ascending.
std::vector<int> MinutesOfDay(const CronSpec& spec) {
  std::vector<int> out;
  for (int h = 0; h < 24; ++h) {
    if (!spec.hours[static_cast<std::size_t>(h)]) continue;
    for (int m = 0; m < 60; ++m) {
      if (spec.minutes[static_cast<std::size_t>(m)]) out.push_back(h * 60 + m);
    }
  }
  return out;
}

// The latest local wall time (in local seconds) shown at any instant <= t.
// A local minute M fires at or before t exactly when M <= this value (M
// fires at the earliest instant whose wall time is >= M). After a fall-back
// this is the wall time just before the clocks went back.
int64_t LatestLocalUpTo(const TimeZone& tz, UnixSeconds t) {
  int64_t latest = t + tz.OffsetAt(t);
  // Earlier stretches end below t - 2 * window + 26 h < t + OffsetAt(t).
  for (const OffsetTransition& tr : tz.TransitionsBetween(t - 2 * kOffsetWindow, t)) {
    latest = std::max(latest, tr.at - 1 + tr.offset_before);
  }
  return latest;
}

CivilTime LocalMinute(int64_t day, int minute_of_day) {
  CivilTime c = CivilFromDays(day);
  c.hour = minute_of_day / 60;
  c.minute = minute_of_day % 60;
  return c;
}

}  // namespace

std::optional<UnixSeconds> NextFireTime(const CronSpec& spec, const TimeZone& tz,
                                        UnixSeconds after) {
  if (!CanEverMatch(spec) || after >= kMaxUnixSeconds) return std::nullopt;
  after = std::max(after, -kMaxUnixSeconds);
  const std::vector<int> minutes = MinutesOfDay(spec);
  // Local minutes up to `bound` fire at or before `after`; the first matching
  // minute past it is the answer, since fire times increase with M.
  const int64_t bound = LatestLocalUpTo(tz, after);
  int64_t day = FloorDiv(bound, kSecondsPerDay);
  for (int64_t i = 0; i <= kMaxSearchDays; ++i, ++day) {
    CivilTime date = CivilFromDays(day);
    if (!spec.MatchesDay(date.month, date.day, date.weekday)) continue;
    for (int minute_of_day : minutes) {
      if (day * kSecondsPerDay + int64_t{minute_of_day} * 60 <= bound) continue;
      UnixSeconds t = tz.EarliestAtOrAfter(LocalMinute(day, minute_of_day));
      if (t > after) return t;
    }
  }
  return std::nullopt;
}

std::optional<UnixSeconds> PreviousFireTime(const CronSpec& spec, const TimeZone& tz,
                                            UnixSeconds at) {
  if (!CanEverMatch(spec) || at <= -kMaxUnixSeconds) return std::nullopt;
  at = std::min(at, kMaxUnixSeconds);
  const std::vector<int> minutes = MinutesOfDay(spec);
  const int64_t bound = LatestLocalUpTo(tz, at);
  int64_t day = FloorDiv(bound, kSecondsPerDay);
  for (int64_t i = 0; i <= kMaxSearchDays; ++i, --day) {
    CivilTime date = CivilFromDays(day);
    if (!spec.MatchesDay(date.month, date.day, date.weekday)) continue;
    for (auto it = minutes.rbegin(); it != minutes.rend(); ++it) {
      if (day * kSecondsPerDay + int64_t{*it} * 60 > bound) continue;
      UnixSeconds t = tz.EarliestAtOrAfter(LocalMinute(day, *it));
      if (t <= at) return t;
    }
  }
  return std::nullopt;
}

std::optional<DataInterval> IntervalEndingAt(const CronSpec& spec, const TimeZone& tz,
                                             UnixSeconds fire) {
  if (fire <= -kMaxUnixSeconds) return std::nullopt;
  std::optional<UnixSeconds> start = PreviousFireTime(spec, tz, fire - 1);
  if (!start) return std::nullopt;
  return DataInterval{*start, fire, FormatDate(tz.ToLocal(*start))};
}

std::optional<UnixSeconds> LocalBoundToUtc(const std::string& text, const TimeZone& tz) {
  if (text.empty()) return std::nullopt;
  auto civil = ParseCivil(text);
  if (!civil.ok()) return std::nullopt;
  CivilTime c = *civil;
  for (int step = 0; step < 4 * 60; ++step) {
    auto instants = tz.FromLocal(c);
    if (!instants.empty()) return instants.front();
    c = CivilFromUnix(SecondsFromCivil(c) + 60);
  }
  return std::nullopt;
}

std::optional<DataInterval> NextScheduledInterval(const CronSpec& spec, const TimeZone& tz, UnixSeconds now,
                                                  std::optional<UnixSeconds> start, std::optional<UnixSeconds> end) {
  auto fire = NextFireTime(spec, tz, now);
  if (!fire) return std::nullopt;
  auto interval = IntervalEndingAt(spec, tz, *fire);
  if (!interval) return std::nullopt;
  if (start && interval->start < *start) {
    // The first interval that starts at or after start_dt, and the fire that ends it.
    auto first = NextFireTime(spec, tz, *start - 1);
    if (!first) return std::nullopt;
    auto second = NextFireTime(spec, tz, *first);
    if (!second) return std::nullopt;
    interval = IntervalEndingAt(spec, tz, *second);
    if (!interval) return std::nullopt;
  }
  if (end && interval->start > *end) return std::nullopt;
  return interval;
}

}  // namespace ctlflow

// Tests for cron fire times in time zones: daily schedules in UTC and a
// fixed-offset zone, the DST rules (a gap time fires once at the end of the
// gap, an overlap time fires once at its first occurrence, steps keep local
// wall-time semantics), the Vixie day rule, long searches (Feb 29), specs that
// never fire, Next/Previous symmetry, and data intervals. Fixed instants only.
#include "cron/fire_times.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cron/cron.h"
#include "cron/timezone.h"

namespace ctlflow {
namespace {

CronSpec Cron(const std::string& text) {
  std::istringstream in(text);
  CronFields f;
  in >> f.minutes >> f.hours >> f.day_month >> f.months >> f.day_week;
  Result<CronSpec> spec = ParseCron(f);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status().message();
  return spec.ok() ? *spec : CronSpec{};
}

// "YYYY-MM-DD HH:MM[:SS]" as UTC.
UnixSeconds Z(const std::string& text) {
  Result<CivilTime> c = ParseCivil(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  return c.ok() ? SecondsFromCivil(*c) : 0;
}

TimeZone Zone(const std::string& name) {
  Result<TimeZone> tz = TimeZone::Load(name);
  EXPECT_TRUE(tz.ok()) << name << ": " << tz.status().message();
  return tz.ok() ? *tz : TimeZone::Utc();
}

// The unique instant of an unambiguous local time.
UnixSeconds Local(const TimeZone& tz, const std::string& text) {
  Result<CivilTime> c = ParseCivil(text);
  EXPECT_TRUE(c.ok()) << text;
  std::vector<UnixSeconds> all = tz.FromLocal(c.ok() ? *c : CivilTime{});
  EXPECT_EQ(all.size(), 1u) << text << " is not a unique local time in " << tz.name();
  return all.empty() ? 0 : all.front();
}

std::string Utc(std::optional<UnixSeconds> t) {
  return t ? FormatDateTime(CivilFromUnix(*t)) + "Z" : "none";
}
std::string InZone(const TimeZone& tz, std::optional<UnixSeconds> t) {
  return t ? FormatDateTime(tz.ToLocal(*t)) : "none";
}

// Fire instants in [from, to).
std::vector<UnixSeconds> Fires(const CronSpec& spec, const TimeZone& tz, UnixSeconds from,
                               UnixSeconds to) {
  std::vector<UnixSeconds> out;
  std::optional<UnixSeconds> t = NextFireTime(spec, tz, from - 1);
  while (t && *t < to) {
    out.push_back(*t);
    t = NextFireTime(spec, tz, *t);
  }
  return out;
}

// Fires during one local calendar day.
std::vector<UnixSeconds> FiresOnLocalDay(const CronSpec& spec, const TimeZone& tz,
                                         const std::string& date) {
  CivilTime day = *ParseCivil(date);
  CivilTime next = CivilFromDays(DaysFromCivil(day.year, day.month, day.day) + 1);
  return Fires(spec, tz, tz.EarliestAtOrAfter(day), tz.EarliestAtOrAfter(next));
}

std::vector<std::string> Strings(const std::vector<UnixSeconds>& ts) {
  std::vector<std::string> out;
  for (UnixSeconds t : ts) out.push_back(Utc(t));
  return out;
}

// ---------------------------------------------------------------------------
// Plain schedules.

TEST(FireTimesTest, DailyInUtc) {
  TimeZone utc = TimeZone::Utc();
  CronSpec daily = Cron("0 15 * * *");
  EXPECT_EQ(Utc(NextFireTime(daily, utc, Z("2024-05-01 10:00"))), "2024-05-01 15:00:00Z");
  // Strictly after: a fire time itself moves on to the next day.
  EXPECT_EQ(Utc(NextFireTime(daily, utc, Z("2024-05-01 15:00"))), "2024-05-02 15:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(daily, utc, Z("2024-05-01 14:59:59"))), "2024-05-01 15:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(daily, utc, Z("2024-12-31 16:00"))), "2025-01-01 15:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(daily, utc, Z("2024-05-01 15:00"))), "2024-05-01 15:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(daily, utc, Z("2024-05-01 14:59:59"))), "2024-04-30 15:00:00Z");
}

TEST(FireTimesTest, DailyInBangkok) {
  TimeZone bangkok = Zone("Asia/Bangkok");
  CronSpec daily = Cron("0 15 * * *");
  EXPECT_EQ(Utc(NextFireTime(daily, bangkok, Z("2024-05-01 00:00"))), "2024-05-01 08:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(daily, bangkok, Z("2024-05-01 08:00"))), "2024-05-02 08:00:00Z");
  // 09:00Z is already 16:00 local.
  EXPECT_EQ(Utc(NextFireTime(daily, bangkok, Z("2024-05-01 09:00"))), "2024-05-02 08:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(daily, bangkok, Z("2024-05-01 07:59"))), "2024-04-30 08:00:00Z");
  // A local date differs from the UTC date late in the UTC day.
  CronSpec morning = Cron("0 2 * * *");
  EXPECT_EQ(Utc(NextFireTime(morning, bangkok, Z("2024-05-01 18:00"))), "2024-05-01 19:00:00Z");
  EXPECT_EQ(InZone(bangkok, NextFireTime(morning, bangkok, Z("2024-05-01 18:00"))),
            "2024-05-02 02:00:00");
}

// ---------------------------------------------------------------------------
// DST: a single daily time.

TEST(FireTimesTest, BerlinSpringForwardGapFiresOnceAtEndOfGap) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec spec = Cron("30 2 * * *");
  std::optional<UnixSeconds> t = NextFireTime(spec, berlin, Z("2024-03-30 12:00"));
  EXPECT_EQ(Utc(t), "2024-03-31 01:00:00Z");
  EXPECT_EQ(InZone(berlin, t), "2024-03-31 03:00:00");
  // Once only, then the next day at 02:30 CEST.
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, *t)), "2024-04-01 00:30:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2024-03-31 00:59:59"))), "2024-03-31 01:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, *t)), "2024-03-31 01:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, *t - 1)), "2024-03-30 01:30:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, Z("2024-04-01 00:29"))), "2024-03-31 01:00:00Z");
  EXPECT_EQ(FiresOnLocalDay(spec, berlin, "2024-03-31").size(), 1u);
}

TEST(FireTimesTest, BerlinFallBackOverlapFiresOnceAtFirstOccurrence) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec spec = Cron("30 2 * * *");
  std::optional<UnixSeconds> t = NextFireTime(spec, berlin, Z("2024-10-26 12:00"));
  EXPECT_EQ(Utc(t), "2024-10-27 00:30:00Z");  // 02:30 CEST
  EXPECT_EQ(berlin.OffsetAt(*t), 7200);
  // Not again at 02:30 CET (01:30Z): the next fire is the next day.
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, *t)), "2024-10-28 01:30:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2024-10-27 01:29"))), "2024-10-28 01:30:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2024-10-27 01:30"))), "2024-10-28 01:30:00Z");
  // During the second 02:xx hour the latest fire is the first 02:30.
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, Z("2024-10-27 01:30"))), "2024-10-27 00:30:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, Z("2024-10-28 01:29"))), "2024-10-27 00:30:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, Z("2024-10-27 00:29"))), "2024-10-26 00:30:00Z");
  EXPECT_EQ(FiresOnLocalDay(spec, berlin, "2024-10-27").size(), 1u);
}

TEST(FireTimesTest, NewYorkDstDays) {
  TimeZone ny = Zone("America/New_York");
  CronSpec two_thirty = Cron("30 2 * * *");
  // Spring: 02:00 EST -> 03:00 EDT at 07:00Z; 02:30 does not exist.
  std::optional<UnixSeconds> spring = NextFireTime(two_thirty, ny, Z("2024-03-09 12:00"));
  EXPECT_EQ(Utc(spring), "2024-03-10 07:00:00Z");
  EXPECT_EQ(InZone(ny, spring), "2024-03-10 03:00:00");
  EXPECT_EQ(Utc(NextFireTime(two_thirty, ny, *spring)), "2024-03-11 06:30:00Z");
  // Fall: 02:00 EDT -> 01:00 EST at 06:00Z; 02:30 is unambiguous.
  EXPECT_EQ(Utc(NextFireTime(two_thirty, ny, Z("2024-11-02 12:00"))), "2024-11-03 07:30:00Z");
  // 01:30 happens twice; it fires at 01:30 EDT only.
  CronSpec one_thirty = Cron("30 1 * * *");
  std::optional<UnixSeconds> fall = NextFireTime(one_thirty, ny, Z("2024-11-02 12:00"));
  EXPECT_EQ(Utc(fall), "2024-11-03 05:30:00Z");
  EXPECT_EQ(Utc(NextFireTime(one_thirty, ny, *fall)), "2024-11-04 06:30:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(one_thirty, ny, Z("2024-11-03 06:30"))), "2024-11-03 05:30:00Z");
}

TEST(FireTimesTest, GapTimeDoesNotDuplicateARegularFire) {
  TimeZone berlin = Zone("Europe/Berlin");
  // 02:00 and 02:30 are skipped and collapse onto 03:00, which is itself in
  // the schedule: one fire at 03:00, then 03:30.
  CronSpec spec = Cron("0,30 2,3 * * *");
  EXPECT_EQ(Strings(FiresOnLocalDay(spec, berlin, "2024-03-31")),
            (std::vector<std::string>{"2024-03-31 01:00:00Z", "2024-03-31 01:30:00Z"}));
  EXPECT_EQ(Strings(FiresOnLocalDay(spec, berlin, "2024-03-30")),
            (std::vector<std::string>{"2024-03-30 01:00:00Z", "2024-03-30 01:30:00Z",
                                      "2024-03-30 02:00:00Z", "2024-03-30 02:30:00Z"}));
  // On the fall day 02:00/02:30 fire in CEST, then 03:00/03:30 CET.
  EXPECT_EQ(Strings(FiresOnLocalDay(spec, berlin, "2024-10-27")),
            (std::vector<std::string>{"2024-10-27 00:00:00Z", "2024-10-27 00:30:00Z",
                                      "2024-10-27 02:00:00Z", "2024-10-27 02:30:00Z"}));
}

// ---------------------------------------------------------------------------
// DST: steps keep local wall-time semantics.

TEST(FireTimesTest, EveryFifteenMinutesThroughBerlinTransitions) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec spec = Cron("*/15 * * * *");
  EXPECT_EQ(FiresOnLocalDay(spec, berlin, "2024-03-30").size(), 96u);
  // 23-hour day: 02:00-02:45 collapse onto 03:00 (a fire time anyway).
  std::vector<UnixSeconds> spring = FiresOnLocalDay(spec, berlin, "2024-03-31");
  EXPECT_EQ(spring.size(), 92u);
  EXPECT_EQ(Strings(Fires(spec, berlin, Z("2024-03-31 00:30"), Z("2024-03-31 01:31"))),
            (std::vector<std::string>{"2024-03-31 00:30:00Z", "2024-03-31 00:45:00Z",
                                      "2024-03-31 01:00:00Z", "2024-03-31 01:15:00Z",
                                      "2024-03-31 01:30:00Z"}));
  // 25-hour day: once per local wall time, so the repeated 02:xx hour fires
  // only in CEST and there is a one-hour pause before 03:00 CET.
  std::vector<UnixSeconds> fall = FiresOnLocalDay(spec, berlin, "2024-10-27");
  EXPECT_EQ(fall.size(), 96u);
  EXPECT_EQ(Strings(Fires(spec, berlin, Z("2024-10-27 00:30"), Z("2024-10-27 02:31"))),
            (std::vector<std::string>{"2024-10-27 00:30:00Z", "2024-10-27 00:45:00Z",
                                      "2024-10-27 02:00:00Z", "2024-10-27 02:15:00Z",
                                      "2024-10-27 02:30:00Z"}));
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2024-10-27 01:07"))), "2024-10-27 02:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, berlin, Z("2024-10-27 01:50"))), "2024-10-27 00:45:00Z");
  EXPECT_EQ(FiresOnLocalDay(spec, berlin, "2024-10-28").size(), 96u);
  // Every fire is a distinct, increasing instant.
  for (const std::vector<UnixSeconds>* day : {&spring, &fall}) {
    for (std::size_t i = 1; i < day->size(); ++i) ASSERT_LT((*day)[i - 1], (*day)[i]);
  }
}

TEST(FireTimesTest, StepsThroughNewYorkTransitions) {
  TimeZone ny = Zone("America/New_York");
  CronSpec quarter = Cron("*/15 * * * *");
  EXPECT_EQ(FiresOnLocalDay(quarter, ny, "2024-03-10").size(), 92u);
  EXPECT_EQ(FiresOnLocalDay(quarter, ny, "2024-11-03").size(), 96u);
  EXPECT_EQ(FiresOnLocalDay(quarter, ny, "2024-11-04").size(), 96u);
  CronSpec minutely = Cron("* * * * *");
  EXPECT_EQ(FiresOnLocalDay(minutely, ny, "2024-03-10").size(), 23u * 60u);
  EXPECT_EQ(FiresOnLocalDay(minutely, ny, "2024-11-03").size(), 24u * 60u);
  CronSpec hourly = Cron("0 * * * *");
  EXPECT_EQ(FiresOnLocalDay(hourly, ny, "2024-03-10").size(), 23u);
  EXPECT_EQ(FiresOnLocalDay(hourly, ny, "2024-11-03").size(), 24u);
}

TEST(FireTimesTest, FarFutureTransitionUsesFooterRule) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec spec = Cron("30 2 * * *");
  // Last Sunday of March 2100 is the 28th.
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2100-03-27 12:00"))), "2100-03-28 01:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2100-10-30 12:00"))), "2100-10-31 00:30:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, berlin, Z("2100-10-31 00:30"))), "2100-11-01 01:30:00Z");
}

// ---------------------------------------------------------------------------
// Day columns and long searches.

TEST(FireTimesTest, VixieDayOfMonthOrDayOfWeek) {
  TimeZone utc = TimeZone::Utc();
  // Both day columns restricted: the 13th OR any Friday.
  CronSpec spec = Cron("0 0 13 * FRI");
  EXPECT_EQ(Strings(Fires(spec, utc, Z("2024-09-01 00:00"), Z("2024-11-01 00:00"))),
            (std::vector<std::string>{
                "2024-09-06 00:00:00Z", "2024-09-13 00:00:00Z", "2024-09-20 00:00:00Z",
                "2024-09-27 00:00:00Z", "2024-10-04 00:00:00Z", "2024-10-11 00:00:00Z",
                "2024-10-13 00:00:00Z", "2024-10-18 00:00:00Z", "2024-10-25 00:00:00Z"}));
  // A '*'-prefixed day-of-month ANDs: Fridays that are the 1st, 14th or 27th.
  CronSpec both = Cron("0 0 */13 * FRI");
  EXPECT_EQ(Strings(Fires(both, utc, Z("2024-09-01 00:00"), Z("2025-01-01 00:00"))),
            (std::vector<std::string>{"2024-09-27 00:00:00Z", "2024-11-01 00:00:00Z",
                                      "2024-12-27 00:00:00Z"}));
}

TEST(FireTimesTest, LeapDay) {
  TimeZone utc = TimeZone::Utc();
  CronSpec spec = Cron("0 12 29 2 *");
  EXPECT_EQ(Utc(NextFireTime(spec, utc, Z("2024-03-01 00:00"))), "2028-02-29 12:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, utc, Z("2024-02-29 11:59"))), "2024-02-29 12:00:00Z");
  // 2100 is not a leap year: eight years from 2096 to 2104.
  EXPECT_EQ(Utc(NextFireTime(spec, utc, Z("2096-03-01 00:00"))), "2104-02-29 12:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, utc, Z("2104-02-29 11:59"))), "2096-02-29 12:00:00Z");
  TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(InZone(berlin, NextFireTime(spec, berlin, Z("2024-03-01 00:00"))),
            "2028-02-29 12:00:00");
}

TEST(FireTimesTest, SearchesBeyondEightYearsWhenNeeded) {
  TimeZone utc = TimeZone::Utc();
  // Day-of-week "*/7" (Sunday) is unrestricted, so it ANDs with Feb 29:
  // only leap days that fall on a Sunday (2032, 2060, 2088, 2128).
  CronSpec spec = Cron("0 0 29 2 */7");
  EXPECT_EQ(Utc(NextFireTime(spec, utc, Z("2024-01-01 00:00"))), "2032-02-29 00:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, utc, Z("2033-01-01 00:00"))), "2060-02-29 00:00:00Z");
  EXPECT_EQ(Utc(NextFireTime(spec, utc, Z("2089-01-01 00:00"))), "2128-02-29 00:00:00Z");
  EXPECT_EQ(Utc(PreviousFireTime(spec, utc, Z("2128-01-01 00:00"))), "2088-02-29 00:00:00Z");
}

TEST(FireTimesTest, NeverMatchingSpecs) {
  TimeZone berlin = Zone("Europe/Berlin");
  for (const char* text : {"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 */7"}) {
    CronSpec spec = Cron(text);
    EXPECT_EQ(NextFireTime(spec, berlin, Z("2024-01-01 00:00")), std::nullopt) << text;
    EXPECT_EQ(PreviousFireTime(spec, berlin, Z("2024-01-01 00:00")), std::nullopt) << text;
    EXPECT_EQ(IntervalEndingAt(spec, berlin, Z("2024-01-01 00:00")), std::nullopt) << text;
  }
  // A hand-built spec with no minutes never fires either.
  CronSpec empty = Cron("0 0 * * *");
  empty.minutes.reset();
  EXPECT_EQ(NextFireTime(empty, berlin, 0), std::nullopt);
  // Extreme instants do not overflow.
  CronSpec daily = Cron("0 0 * * *");
  EXPECT_EQ(NextFireTime(daily, berlin, INT64_MAX), std::nullopt);
  EXPECT_EQ(PreviousFireTime(daily, berlin, INT64_MIN), std::nullopt);
  EXPECT_NE(NextFireTime(daily, berlin, INT64_MIN), std::nullopt);
  EXPECT_NE(PreviousFireTime(daily, berlin, INT64_MAX), std::nullopt);
}

// ---------------------------------------------------------------------------
// Next/Previous consistency.

TEST(FireTimesTest, PreviousIsTheMirrorOfNext) {
  struct Case {
    const char* zone;
    const char* spec;
    const char* from;
  };
  for (const Case& c : {Case{"Europe/Berlin", "*/15 * * * *", "2024-03-30 20:00"},
                        Case{"Europe/Berlin", "*/15 * * * *", "2024-10-26 20:00"},
                        Case{"Europe/Berlin", "30 2 * * *", "2024-03-25 00:00"},
                        Case{"Europe/Berlin", "30 2 * * *", "2024-10-20 00:00"},
                        Case{"Europe/Berlin", "0,30 2,3 * * *", "2024-03-29 00:00"},
                        Case{"Europe/Berlin", "59 1,2 * * *", "2024-10-25 00:00"},
                        Case{"America/New_York", "*/20 1-3 * * *", "2024-11-01 00:00"},
                        Case{"America/New_York", "0 0 13 * FRI", "2024-01-01 00:00"},
                        Case{"Asia/Bangkok", "0 15 * * *", "2024-01-01 00:00"},
                        Case{"UTC", "0 12 29 2 *", "2020-01-01 00:00"}}) {
    SCOPED_TRACE(std::string(c.zone) + " '" + c.spec + "' from " + c.from);
    TimeZone tz = Zone(c.zone);
    CronSpec spec = Cron(c.spec);
    std::vector<UnixSeconds> fires;
    std::optional<UnixSeconds> t = NextFireTime(spec, tz, Z(c.from));
    for (int i = 0; i < 40 && t; ++i) {
      fires.push_back(*t);
      t = NextFireTime(spec, tz, *t);
    }
    ASSERT_EQ(fires.size(), 40u);
    for (std::size_t i = 0; i < fires.size(); ++i) {
      ASSERT_EQ(PreviousFireTime(spec, tz, fires[i]), fires[i]);
      if (i > 0) {
        ASSERT_EQ(PreviousFireTime(spec, tz, fires[i] - 1), fires[i - 1]) << Utc(fires[i]);
        // Nothing fires strictly between consecutive fires.
        UnixSeconds mid = fires[i - 1] + (fires[i] - fires[i - 1]) / 2;
        ASSERT_EQ(NextFireTime(spec, tz, mid), fires[i]) << Utc(mid);
        ASSERT_EQ(PreviousFireTime(spec, tz, mid), fires[i - 1]) << Utc(mid);
      }
    }
  }
}

// Scans every minute of both Berlin DST days and compares with the rule
// stated in fire_times.h, computed independently from FromLocal.
TEST(FireTimesTest, MatchesTheDocumentedRuleMinuteByMinute) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec spec = Cron("*/10 1-3 * * *");
  for (const char* date : {"2024-03-31", "2024-10-27"}) {
    CivilTime day = *ParseCivil(date);
    std::vector<UnixSeconds> expected;
    for (int h = 0; h < 24; ++h) {
      for (int m = 0; m < 60; ++m) {
        if (!spec.Matches(day.month, day.day, day.weekday, h, m)) continue;
        CivilTime local = day;
        local.hour = h;
        local.minute = m;
        std::vector<UnixSeconds> at = berlin.FromLocal(local);
        // Gap: the first valid instant after it; overlap: the first one.
        UnixSeconds t =
            at.empty()
                ? berlin.TransitionsBetween(SecondsFromCivil(local) - 7200, SecondsFromCivil(local))
                      .front()
                      .at
                : at.front();
        if (expected.empty() || expected.back() != t) expected.push_back(t);
      }
    }
    EXPECT_EQ(Strings(FiresOnLocalDay(spec, berlin, date)), Strings(expected)) << date;
  }
}

// ---------------------------------------------------------------------------
// Data intervals.

TEST(FireTimesTest, IntervalEndingAt) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec daily = Cron("0 15 * * *");
  const UnixSeconds fire = Local(berlin, "2024-11-17 15:00");
  EXPECT_EQ(fire, Z("2024-11-17 14:00"));
  std::optional<DataInterval> interval = IntervalEndingAt(daily, berlin, fire);
  ASSERT_TRUE(interval.has_value());
  EXPECT_EQ(Utc(interval->start), "2024-11-16 14:00:00Z");
  EXPECT_EQ(interval->end, fire);
  EXPECT_EQ(interval->data_dt, "2024-11-16");
}

TEST(FireTimesTest, IntervalsFollowLocalDaysAcrossDst) {
  TimeZone berlin = Zone("Europe/Berlin");
  CronSpec midnight = Cron("0 0 * * *");
  // The interval covering the 23-hour local day 2024-03-31.
  std::optional<DataInterval> spring =
      IntervalEndingAt(midnight, berlin, Local(berlin, "2024-04-01 00:00"));
  ASSERT_TRUE(spring.has_value());
  EXPECT_EQ(Utc(spring->start), "2024-03-30 23:00:00Z");
  EXPECT_EQ(spring->end - spring->start, 23 * 3600);
  EXPECT_EQ(spring->data_dt, "2024-03-31");
  std::optional<DataInterval> fall =
      IntervalEndingAt(midnight, berlin, Local(berlin, "2024-10-28 00:00"));
  ASSERT_TRUE(fall.has_value());
  EXPECT_EQ(fall->end - fall->start, 25 * 3600);
  EXPECT_EQ(fall->data_dt, "2024-10-27");
  // Late-evening UTC start: the local date is the next UTC day.
  TimeZone bangkok = Zone("Asia/Bangkok");
  CronSpec early = Cron("0 1 * * *");
  std::optional<DataInterval> bkk =
      IntervalEndingAt(early, bangkok, Local(bangkok, "2024-05-03 01:00"));
  ASSERT_TRUE(bkk.has_value());
  EXPECT_EQ(Utc(bkk->start), "2024-05-01 18:00:00Z");
  EXPECT_EQ(bkk->data_dt, "2024-05-02");
}

// The next run a schedule makes: its interval must start within the
// schedule's start_dt / end_dt, as the scheduler requires.
TEST(FireTimesTest, NextScheduledIntervalKeepsWithinStartAndEnd) {
  const CronSpec daily = Cron("0 6 * * *");
  const TimeZone berlin = Zone("Europe/Berlin");
  const UnixSeconds now = Z("2024-03-10 12:00");  // 13:00 in Berlin
  // No bounds: tomorrow 06:00 Berlin, covering today.
  auto next = NextScheduledInterval(daily, berlin, now, std::nullopt, std::nullopt);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->end, Z("2024-03-11 05:00"));
  EXPECT_EQ(next->data_dt, "2024-03-10");
  // start_dt in the future: the first interval starting at or after it.
  auto later = NextScheduledInterval(daily, berlin, now, LocalBoundToUtc("2024-03-20", berlin), std::nullopt);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->data_dt, "2024-03-20");
  EXPECT_EQ(later->end, Z("2024-03-21 05:00"));
  // end_dt before the next interval starts: the schedule has ended.
  EXPECT_FALSE(NextScheduledInterval(daily, berlin, now, std::nullopt, LocalBoundToUtc("2024-03-10 05:00", berlin)));
  // end_dt at the interval's start still runs it.
  EXPECT_TRUE(NextScheduledInterval(daily, berlin, now, std::nullopt, LocalBoundToUtc("2024-03-10 06:00", berlin)));
  // A bound in a DST gap moves to the first instant after it.
  EXPECT_EQ(LocalBoundToUtc("2024-03-31 02:30", berlin), Z("2024-03-31 01:00"));
  EXPECT_FALSE(LocalBoundToUtc("", berlin).has_value());
}

}  // namespace
}  // namespace ctlflow

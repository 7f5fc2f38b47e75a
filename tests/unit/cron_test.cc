// Tests for the crontab-expression parser: exact bit sets for every syntax
// form, the Vixie day-of-month/day-of-week rule, and error messages that name
// the column the user has to fix.
#include "cron/cron.h"

#include <gtest/gtest.h>

#include <bitset>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace ctlflow {
namespace {

template <std::size_t N>
std::bitset<N> Set(std::initializer_list<int> values) {
  std::bitset<N> bits;
  for (int v : values) bits.set(static_cast<std::size_t>(v));
  return bits;
}

template <std::size_t N>
std::bitset<N> Span(int lo, int hi) {
  std::bitset<N> bits;
  for (int v = lo; v <= hi; ++v) bits.set(static_cast<std::size_t>(v));
  return bits;
}

CronFields Fields(std::string minutes, std::string hours, std::string day_month,
                  std::string months, std::string day_week) {
  return CronFields{std::move(minutes), std::move(hours), std::move(day_month),
                    std::move(months), std::move(day_week)};
}

// Every column "*" except one.
CronFields Only(std::string CronFields::*column, std::string value) {
  CronFields fields = Fields("*", "*", "*", "*", "*");
  fields.*column = std::move(value);
  return fields;
}

CronSpec MustParse(const CronFields& fields) {
  Result<CronSpec> spec = ParseCron(fields);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? spec.value() : CronSpec{};
}

std::string ErrorOf(const CronFields& fields) {
  Result<CronSpec> spec = ParseCron(fields);
  if (spec.ok()) return "<parsed without error>";
  EXPECT_EQ(spec.status().code(), ErrorCode::kInvalid);
  return spec.status().message();
}

TEST(CronTest, StarSetsEveryValueAndNothingOutsideTheColumn) {
  CronSpec spec = MustParse(Fields("*", "*", "*", "*", "*"));
  EXPECT_EQ(spec.minutes, Span<60>(0, 59));
  EXPECT_EQ(spec.hours, Span<24>(0, 23));
  EXPECT_EQ(spec.days_of_month, Span<32>(1, 31));  // bit 0 stays clear
  EXPECT_EQ(spec.months, Span<13>(1, 12));         // bit 0 stays clear
  EXPECT_EQ(spec.days_of_week, Span<7>(0, 6));
  EXPECT_FALSE(spec.dom_restricted);
  EXPECT_FALSE(spec.dow_restricted);
}

TEST(CronTest, SingleNumbersAndLists) {
  CronSpec spec = MustParse(Fields("0,15,30,45", "7", "1,31", "2", "0,6"));
  EXPECT_EQ(spec.minutes, Set<60>({0, 15, 30, 45}));
  EXPECT_EQ(spec.hours, Set<24>({7}));
  EXPECT_EQ(spec.days_of_month, Set<32>({1, 31}));
  EXPECT_EQ(spec.months, Set<13>({2}));
  EXPECT_EQ(spec.days_of_week, Set<7>({0, 6}));
}

TEST(CronTest, RangesAreInclusive) {
  CronSpec spec = MustParse(Fields("58-59", "9-17", "28-31", "11-12", "1-5"));
  EXPECT_EQ(spec.minutes, Set<60>({58, 59}));
  EXPECT_EQ(spec.hours, Span<24>(9, 17));
  EXPECT_EQ(spec.days_of_month, Span<32>(28, 31));
  EXPECT_EQ(spec.months, Set<13>({11, 12}));
  EXPECT_EQ(spec.days_of_week, Span<7>(1, 5));
}

TEST(CronTest, SingleValueRangeIsAllowed) {
  EXPECT_EQ(MustParse(Only(&CronFields::hours, "4-4")).hours, Set<24>({4}));
}

TEST(CronTest, StepOverStarStartsAtColumnMinimum) {
  CronSpec spec = MustParse(Fields("*/15", "*/5", "*/10", "*/4", "*"));
  EXPECT_EQ(spec.minutes, Set<60>({0, 15, 30, 45}));
  EXPECT_EQ(spec.hours, Set<24>({0, 5, 10, 15, 20}));
  EXPECT_EQ(spec.days_of_month, Set<32>({1, 11, 21, 31}));
  EXPECT_EQ(spec.months, Set<13>({1, 5, 9}));
}

TEST(CronTest, StepOverRange) {
  EXPECT_EQ(MustParse(Only(&CronFields::minutes, "10-30/7")).minutes, Set<60>({10, 17, 24}));
  EXPECT_EQ(MustParse(Only(&CronFields::months, "FEB-DEC/3")).months, Set<13>({2, 5, 8, 11}));
}

TEST(CronTest, StepFromStartRunsToColumnMaximum) {
  EXPECT_EQ(MustParse(Only(&CronFields::minutes, "5/20")).minutes, Set<60>({5, 25, 45}));
  EXPECT_EQ(MustParse(Only(&CronFields::day_month, "10/10")).days_of_month,
            Set<32>({10, 20, 30}));
  EXPECT_EQ(MustParse(Only(&CronFields::months, "OCT/2")).months, Set<13>({10, 12}));
}

TEST(CronTest, MixedListUnionsItsItems) {
  EXPECT_EQ(MustParse(Only(&CronFields::minutes, "1,5-7,*/30,7")).minutes,
            Set<60>({0, 1, 5, 6, 7, 30}));
}

TEST(CronTest, MonthNamesAreCaseInsensitiveAndWorkInRanges) {
  EXPECT_EQ(MustParse(Only(&CronFields::months, "jan,Mar,DEC")).months, Set<13>({1, 3, 12}));
  EXPECT_EQ(MustParse(Only(&CronFields::months, "jun-AUG")).months, Set<13>({6, 7, 8}));
  EXPECT_EQ(MustParse(Only(&CronFields::months, "JAN-3")).months, Set<13>({1, 2, 3}));
}

TEST(CronTest, DayNamesAreCaseInsensitiveAndWorkInRanges) {
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "MON-FRI")).days_of_week, Span<7>(1, 5));
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "sun,Sat")).days_of_week, Set<7>({0, 6}));
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "SUN-SAT")).days_of_week, Span<7>(0, 6));
}

TEST(CronTest, SevenIsSunday) {
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "7")).days_of_week, Set<7>({0}));
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "5-7")).days_of_week, Set<7>({5, 6, 0}));
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "0-7")).days_of_week, Span<7>(0, 6));
}

TEST(CronTest, SundayNameEndingARangeWrapsToSeven) {
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "MON-SUN")).days_of_week, Span<7>(0, 6));
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "fri-sun")).days_of_week, Set<7>({5, 6, 0}));
  // SUN-SUN is just Sunday, not the whole week.
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "SUN-SUN")).days_of_week, Set<7>({0}));
}

TEST(CronTest, DayOfWeekStepsSpanZeroToSevenLikeVixie) {
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "*/2")).days_of_week, Set<7>({0, 2, 4, 6}));
  // 1,3,5,7 with 7 folded into Sunday.
  EXPECT_EQ(MustParse(Only(&CronFields::day_week, "1/2")).days_of_week, Set<7>({0, 1, 3, 5}));
}

TEST(CronTest, EmptyDayWeekMeansStar) {
  for (const char* text : {"", "  "}) {
    SCOPED_TRACE(std::string("day_week='") + text + "'");
    CronSpec spec = MustParse(Fields("0", "0", "1", "*", text));
    EXPECT_EQ(spec.days_of_week, Span<7>(0, 6));
    EXPECT_FALSE(spec.dow_restricted);
    // Unrestricted, so the 1st matches whatever weekday it falls on and the
    // 2nd never does.
    EXPECT_TRUE(spec.MatchesDay(1, 1, 3));
    EXPECT_FALSE(spec.MatchesDay(1, 2, 1));
  }
}

TEST(CronTest, OuterWhitespaceIsTrimmed) {
  CronSpec spec = MustParse(Fields(" 5 ", "\t1-2\n", "*", " JAN", "MON "));
  EXPECT_EQ(spec.minutes, Set<60>({5}));
  EXPECT_EQ(spec.hours, Set<24>({1, 2}));
  EXPECT_EQ(spec.months, Set<13>({1}));
  EXPECT_EQ(spec.days_of_week, Set<7>({1}));
}

TEST(CronTest, RestrictedMeansFirstCharacterIsNotStar) {
  struct Case {
    const char* text;
    bool restricted;
  };
  for (const Case& c : std::vector<Case>{
           {"*", false}, {"*/1", false}, {"*/2", false}, {" *", false},
           {"1-7", true}, {"5", true}, {"1,*", true}}) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(MustParse(Only(&CronFields::day_month, c.text)).dom_restricted, c.restricted);
    EXPECT_EQ(MustParse(Only(&CronFields::day_week, c.text)).dow_restricted, c.restricted);
  }
}

TEST(CronTest, BothDayColumnsRestrictedMatchEither) {
  // "the 1st of the month, and every Monday"
  CronSpec spec = MustParse(Fields("0", "0", "1", "*", "MON"));
  EXPECT_TRUE(spec.MatchesDay(3, 1, 3));   // 1st, a Wednesday
  EXPECT_TRUE(spec.MatchesDay(3, 8, 1));   // a Monday, the 8th
  EXPECT_TRUE(spec.MatchesDay(3, 1, 1));   // both
  EXPECT_FALSE(spec.MatchesDay(3, 9, 2));  // neither
}

TEST(CronTest, OnlyDayOfMonthRestrictedRequiresBoth) {
  CronSpec spec = MustParse(Fields("0", "0", "1", "*", "*"));
  EXPECT_TRUE(spec.MatchesDay(3, 1, 3));
  EXPECT_FALSE(spec.MatchesDay(3, 8, 1));
}

TEST(CronTest, OnlyDayOfWeekRestrictedRequiresBoth) {
  CronSpec spec = MustParse(Fields("0", "0", "*", "*", "MON"));
  EXPECT_TRUE(spec.MatchesDay(3, 8, 1));
  EXPECT_FALSE(spec.MatchesDay(3, 1, 3));
}

TEST(CronTest, StarStepDayOfMonthIsUnrestrictedSoDaysAreAnded) {
  // Vixie: "*/2" starts with '*', so the OR rule does not apply: odd days
  // that are also Mondays.
  CronSpec spec = MustParse(Fields("0", "0", "*/2", "*", "MON"));
  EXPECT_FALSE(spec.dom_restricted);
  EXPECT_TRUE(spec.dow_restricted);
  EXPECT_TRUE(spec.MatchesDay(3, 3, 1));   // odd Monday
  EXPECT_FALSE(spec.MatchesDay(3, 2, 1));  // even Monday
  EXPECT_FALSE(spec.MatchesDay(3, 3, 2));  // odd Tuesday
}

TEST(CronTest, MonthAlwaysFiltersEvenUnderTheOrRule) {
  CronSpec spec = MustParse(Fields("0", "0", "1", "JUN", "MON"));
  EXPECT_TRUE(spec.MatchesDay(6, 1, 3));
  EXPECT_FALSE(spec.MatchesDay(5, 1, 3));
  EXPECT_FALSE(spec.MatchesDay(5, 8, 1));
}

TEST(CronTest, MatchesChecksEveryColumn) {
  CronSpec spec = MustParse(Fields("30", "9", "*", "*", "MON-FRI"));
  EXPECT_TRUE(spec.Matches(1, 5, 1, 9, 30));
  EXPECT_FALSE(spec.Matches(1, 5, 1, 9, 31));
  EXPECT_FALSE(spec.Matches(1, 5, 1, 10, 30));
  EXPECT_FALSE(spec.Matches(1, 5, 0, 9, 30));
  EXPECT_FALSE(spec.Matches(1, 5, 6, 9, 30));
}

TEST(CronTest, WeekdaySevenIsSundayInMatches) {
  CronSpec spec = MustParse(Only(&CronFields::day_week, "SUN"));
  EXPECT_TRUE(spec.MatchesDay(1, 7, 7));
  EXPECT_TRUE(spec.MatchesDay(1, 7, 0));
}

TEST(CronTest, OutOfRangeArgumentsNeverMatch) {
  CronSpec spec = MustParse(Fields("*", "*", "*", "*", "*"));
  EXPECT_TRUE(spec.Matches(12, 31, 6, 23, 59));
  EXPECT_FALSE(spec.Matches(13, 1, 0, 0, 0));
  EXPECT_FALSE(spec.Matches(0, 1, 0, 0, 0));
  EXPECT_FALSE(spec.Matches(1, 0, 0, 0, 0));
  EXPECT_FALSE(spec.Matches(1, 32, 0, 0, 0));
  EXPECT_FALSE(spec.Matches(1, 1, -1, 0, 0));
  EXPECT_FALSE(spec.Matches(1, 1, 8, 0, 0));
  EXPECT_FALSE(spec.Matches(1, 1, 0, 24, 0));
  EXPECT_FALSE(spec.Matches(1, 1, 0, 0, 60));
  EXPECT_FALSE(spec.Matches(1, 1, 0, -1, 0));
}

struct ErrorCase {
  std::string CronFields::*column;
  const char* text;
  const char* message;
};

TEST(CronTest, ErrorsNameTheColumnAndTheProblem) {
  const std::vector<ErrorCase> cases = {
      // Out of range, in every column and at both ends.
      {&CronFields::minutes, "60", "column minutes: '60' is out of range 0-59"},
      {&CronFields::hours, "25", "column hours: '25' is out of range 0-23"},
      {&CronFields::hours, "20-25", "column hours: '25' is out of range 0-23"},
      {&CronFields::day_month, "0", "column day_month: '0' is out of range 1-31"},
      {&CronFields::day_month, "32", "column day_month: '32' is out of range 1-31"},
      {&CronFields::months, "13", "column months: '13' is out of range 1-12"},
      {&CronFields::months, "0", "column months: '0' is out of range 1-12"},
      {&CronFields::day_week, "8", "column day_week: '8' is out of range 0-7"},
      {&CronFields::minutes, "99999999999", "column minutes: '99999999999' is out of range 0-59"},
      // Not a number / unknown names; names only belong to their column.
      {&CronFields::day_week, "FOO",
       "column day_week: 'FOO' is not a number or a day name (SUN..SAT)"},
      {&CronFields::day_week, "MON-FOO",
       "column day_week: 'FOO' is not a number or a day name (SUN..SAT)"},
      {&CronFields::day_week, "MONDAY",
       "column day_week: 'MONDAY' is not a number or a day name (SUN..SAT)"},
      {&CronFields::months, "JANUARY",
       "column months: 'JANUARY' is not a number or a month name (JAN..DEC)"},
      {&CronFields::months, "MON",
       "column months: 'MON' is not a number or a month name (JAN..DEC)"},
      {&CronFields::hours, "MON", "column hours: 'MON' is not a number"},
      {&CronFields::day_month, "1x", "column day_month: '1x' is not a number"},
      // Steps.
      {&CronFields::minutes, "*/0", "column minutes: step '*/0' must be at least 1"},
      {&CronFields::hours, "1-5/0", "column hours: step '1-5/0' must be at least 1"},
      {&CronFields::minutes, "*/61", "column minutes: step '*/61' must be at most 60"},
      {&CronFields::day_week, "*/MON", "column day_week: step '*/MON' must be a number"},
      {&CronFields::minutes, "*/", "column minutes: step '*/' must be a number"},
      // Empty columns; only day_week may be empty.
      {&CronFields::minutes, "", "column minutes: empty field; use '*' for every value"},
      {&CronFields::hours, " ", "column hours: empty field; use '*' for every value"},
      {&CronFields::day_month, "", "column day_month: empty field; use '*' for every value"},
      {&CronFields::months, "", "column months: empty field; use '*' for every value"},
      // Reversed ranges.
      {&CronFields::hours, "5-1",
       "column hours: range '5-1' is reversed; write the smaller value first, or split a "
       "wrap-around into a list such as '22-23,0-1'"},
      {&CronFields::day_week, "FRI-MON",
       "column day_week: range 'FRI-MON' is reversed; write the smaller value first, or "
       "split a wrap-around into a list such as '22-23,0-1'"},
      // Stray commas and inner whitespace.
      {&CronFields::minutes, "1,2,", "column minutes: '1,2,' has an empty list item (stray ',')"},
      {&CronFields::months, ",1", "column months: ',1' has an empty list item (stray ',')"},
      {&CronFields::day_month, "1,,2",
       "column day_month: '1,,2' has an empty list item (stray ',')"},
      {&CronFields::minutes, "1, 2",
       "column minutes: '1, 2' contains whitespace; separate list items with ',' only"},
      {&CronFields::day_week, "MON - FRI",
       "column day_week: 'MON - FRI' contains whitespace; separate list items with ',' only"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ErrorOf(Only(c.column, c.text)), c.message);
  }
}

TEST(CronTest, MalformedEntriesAreRejected) {
  const char* const kSuffix =
      " is not a valid entry; expected *, N, N-M or a step (*/S, N/S, N-M/S)";
  for (const char* text : {"1-2-3", "-5", "5-", "/5", "1/2/3", "-"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(Only(&CronFields::hours, text)),
              std::string("column hours: '") + text + "'" + kSuffix);
  }
  EXPECT_EQ(ErrorOf(Only(&CronFields::minutes, "*-5")), "column minutes: '*' is not a number");
  EXPECT_EQ(ErrorOf(Only(&CronFields::minutes, "**")), "column minutes: '**' is not a number");
}

TEST(CronTest, FirstBadColumnIsReported) {
  EXPECT_EQ(ErrorOf(Fields("*", "24", "*", "13", "*")),
            "column hours: '24' is out of range 0-23");
}

}  // namespace
}  // namespace ctlflow

// Crontab schedule expressions: parses the five crontab(5) columns into bit
// sets and answers whether a calendar minute is part of the schedule.
//
// The scheduler turns these sets into concrete fire times; parsing is kept
// here so that every column error can name the column the user must fix.
#pragma once

#include <bitset>
#include <string>

#include "common/status.h"

namespace ctlflow {

// The five columns as written by the user. Leading and trailing whitespace in
// each column is ignored.
struct CronFields {
  std::string minutes;
  std::string hours;
  std::string day_month;
  std::string months;
  std::string day_week;  // empty means "*": most schedules never set it
};

struct CronSpec {
  std::bitset<60> minutes;        // 0..59
  std::bitset<24> hours;          // 0..23
  std::bitset<32> days_of_month;  // bit 1..31; bit 0 is never set
  std::bitset<13> months;         // bit 1..12; bit 0 is never set
  std::bitset<7> days_of_week;    // 0=Sunday..6; a written 7 is stored as 0

  // False when the column's text starts with '*' ("*", "*/1", and also
  // "*/2"), true otherwise. This is Vixie cron's rule and only affects how
  // the two day columns combine in MatchesDay.
  bool dom_restricted = false;
  bool dow_restricted = false;

  // Vixie cron rule: when both day columns are restricted a day matches if
  // EITHER matches ("0 0 1 * MON" = the 1st and every Monday); otherwise both
  // must match. `weekday` is 0=Sunday..6 (7 is also accepted as Sunday).
  // Out-of-range arguments never match.
  bool MatchesDay(int month, int day_of_month, int weekday) const;
  bool Matches(int month, int day_of_month, int weekday, int hour, int minute) const;
};

// Each column accepts comma lists of: "*", N, N-M, "*/S", "N-M/S" and "N/S"
// (N to the column's maximum, step S). months also accepts JAN..DEC and
// day_week SUN..SAT, case-insensitive, anywhere a number is allowed except
// in a step. day_week accepts 0-7 where 7 is Sunday; as in Vixie cron "*" and
// "N/S" span 0-7 there, and a range ending in SUN after a later day
// ("MON-SUN", "FRI-SUN") reads SUN as 7 so that it wraps to Sunday.
//
// Errors are Status::Invalid and start with "column <name>: ", where name is
// one of minutes, hours, day_month, months, day_week.
Result<CronSpec> ParseCron(const CronFields& fields);

}  // namespace ctlflow

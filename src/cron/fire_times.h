// Cron fire times in a time zone, with daylight-saving transitions.
//
// A cron spec names local wall-clock minutes (crontab semantics: the
// schedule is read in the zone's wall time, not in elapsed time). Each
// matching local minute M fires at the earliest instant whose local time is
// at or after M (TimeZone::EarliestAtOrAfter), and the fire times are the set
// of those instants. That one rule gives the DST behaviour:
//
//  - Spring forward (gap): a local time that does not exist, e.g. 02:30 on
//    the day Europe/Berlin jumps 02:00 -> 03:00, fires once at the first
//    instant after the gap (03:00 local). All skipped minutes collapse into
//    that single instant, and when 03:00 itself is also in the schedule it
//    still fires only once: the fire times are a set, never a multiset.
//    "*/15 * * * *" fires 92 times on Berlin's 23-hour day.
//  - Fall back (overlap): a local time that occurs twice, e.g. 02:30 on the
//    day Berlin goes 03:00 -> 02:00, fires once, at the first (daylight
//    time) occurrence. The repeated hour fires nothing the second time
//    round: "*/15 * * * *" fires 96 times on Berlin's 25-hour day, and the
//    fire after 02:45 CEST is 03:00 CET, 75 real minutes later.
//
// "Earliest instant at or after M" never decreases as M increases, so fire
// times are in the order of the local minutes they come from (equal only
// where minutes collapse in a gap). This is what makes the day-by-day search
// exact: the next fire after t comes from the first matching minute later
// than the latest wall time shown up to t.
//
// Search bound: a spec whose day columns can never match any real date
// (e.g. "0 0 31 2 *", "0 0 30 2 *") is recognised up front and returns
// std::nullopt at once. Any other spec matches within one 400-year Gregorian
// cycle (146097 days, a whole number of weeks), so the search walks at most
// that many local days, checking each with CronSpec::MatchesDay and only
// expanding hours and minutes on matching days. In practice the walk stops
// within a day for ordinary schedules, 8 years for "0 0 29 2 *" across a
// non-leap century year, and at most 40 years for "February 29 that is a
// Sunday" style specs (dom restricted, dow "*/7", which cron ANDs).
#pragma once

#include <optional>
#include <string>

#include "cron/cron.h"
#include "cron/timezone.h"

namespace ctlflow {

// The first fire instant strictly after `after`, or nullopt if the spec
// never fires (or only beyond kMaxUnixSeconds).
std::optional<UnixSeconds> NextFireTime(const CronSpec& spec, const TimeZone& tz,
                                        UnixSeconds after);

// The last fire instant <= at, or nullopt if there is none.
std::optional<UnixSeconds> PreviousFireTime(const CronSpec& spec, const TimeZone& tz,
                                            UnixSeconds at);

// The data interval of the scheduled run that fires at `fire`: [the previous
// fire instant, fire). data_dt is the local date (in tz) of the interval
// start, "YYYY-MM-DD". `fire` is normally a fire time; if it is not, the
// interval still ends at `fire` and starts at the last fire before it.
// nullopt when there is no fire before `fire`.
struct DataInterval {
  UnixSeconds start = 0;
  UnixSeconds end = 0;
  std::string data_dt;
};
std::optional<DataInterval> IntervalEndingAt(const CronSpec& spec, const TimeZone& tz,
                                             UnixSeconds fire);

// A schedule's start_dt / end_dt: local times in its zone ("YYYY-MM-DD[
// HH:MM[:SS]]"); a time in a DST gap moves to the first instant after it.
// nullopt for empty or unparsable text (no bound).
std::optional<UnixSeconds> LocalBoundToUtc(const std::string& text, const TimeZone& tz);

// The next run the scheduler makes of its own accord after `now`: the first
// fire time whose interval starts within [start, end] (either bound may be
// absent), or nullopt when there is none (the schedule has ended).
std::optional<DataInterval> NextScheduledInterval(const CronSpec& spec, const TimeZone& tz, UnixSeconds now,
                                                  std::optional<UnixSeconds> start, std::optional<UnixSeconds> end);

}  // namespace ctlflow

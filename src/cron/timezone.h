// Time zones from the IANA database (TZif files, RFC 8536) and civil-calendar
// helpers.
//
// libstdc++ 12 has no std::chrono::tzdb, and setenv("TZ") + localtime_r is
// process-global state, so ctlflow reads the TZif files itself. A TimeZone is
// immutable after loading: copies share the parsed data and every method may
// be called from any thread.
//
// Supported: TZif versions 1 to 4 (the 64-bit section is used from version 2
// on), and the POSIX TZ footer for instants after the last transition,
// including the version 3 extensions (transition hours -167..167, DST all
// year). Not supported: leap-second ("right/") files, which are rejected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace ctlflow {

// Seconds since the Unix epoch, UTC, without leap seconds.
using UnixSeconds = int64_t;

// Conversions clamp instants to +-kMaxUnixSeconds (about a billion years
// around 1970) so that years always fit an int; nothing in ctlflow gets
// anywhere near this.
inline constexpr UnixSeconds kMaxUnixSeconds = int64_t{1} << 55;

// A calendar date and wall-clock time (proleptic Gregorian calendar).
struct CivilTime {
  int year = 1970;
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..59
  int weekday = 4;  // 0=Sunday..6; filled by the conversions, ignored as input

  friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

// A change of UTC offset: from `at` on the offset is `offset_after`.
struct OffsetTransition {
  UnixSeconds at;
  int offset_before;  // seconds east of UTC
  int offset_after;
};

class TimeZone {
 public:
  // Reads /usr/share/zoneinfo/<name>. Names that are empty, start with '/'
  // or contain ".." are rejected, as are names without a file, all with
  // Status::Invalid("unknown time zone '<name>'; use an IANA name such as
  // Europe/Berlin"). A file that is not valid TZif is Status::Invalid naming
  // the file and the problem. "UTC" works even when tzdata is not installed.
  static Result<TimeZone> Load(const std::string& name);
  // As Load, reading <zoneinfo_dir>/<name> instead (tests, other layouts).
  static Result<TimeZone> LoadFrom(const std::string& name, const std::string& zoneinfo_dir);
  static TimeZone Utc();

  const std::string& name() const;

  // UTC offset in seconds (east positive) in effect at instant t.
  int OffsetAt(UnixSeconds t) const;
  // Local wall time at instant t, with weekday.
  CivilTime ToLocal(UnixSeconds t) const;

  // All instants whose local wall time is exactly `local` (to the second),
  // earliest first: none in a spring-forward gap, two in a fall-back overlap,
  // else one. Fields out of range are normalized as timegm(3) does (hour 24
  // is 00 of the next day); `weekday` is ignored.
  std::vector<UnixSeconds> FromLocal(const CivilTime& local) const;

  // The earliest instant whose local wall time is at or after `local`: the
  // unique instant normally, the earlier one in an overlap, and the end of
  // the gap (the transition instant) for a time skipped by a gap. This is
  // monotonic in `local`, which is what cron fire times are built on.
  UnixSeconds EarliestAtOrAfter(const CivilTime& local) const;

  // Offset changes with from < at <= to, in order. Transitions that change
  // only the abbreviation or the DST flag are not reported.
  std::vector<OffsetTransition> TransitionsBetween(UnixSeconds from, UnixSeconds to) const;

  struct Data;  // parsed zone, defined in timezone.cc

 private:
  explicit TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

// Days from 1970-01-01 to the given date (negative before). Out-of-range
// months and days are normalized (month 13 = January of the next year, day 0
// = the last day of the previous month).
int64_t DaysFromCivil(int y, int m, int d);
// The UTC calendar time of an instant, with weekday.
CivilTime CivilFromUnix(UnixSeconds t);
// Days since 1970-01-01 to a date (with time of day 00:00:00 and weekday).
CivilTime CivilFromDays(int64_t days);
// 0=Sunday..6 for days since 1970-01-01.
int WeekdayFromDays(int64_t days);
// Seconds of a civil time counted as if it were UTC (the "local seconds"
// used to compare wall-clock times).
int64_t SecondsFromCivil(const CivilTime& c);

// "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS", also with 'T'
// between date and time. Fields must be in range (Feb 29 only in leap years).
// The result has its weekday set.
Result<CivilTime> ParseCivil(const std::string& text);
std::string FormatDate(const CivilTime& c);      // YYYY-MM-DD
std::string FormatDateTime(const CivilTime& c);  // YYYY-MM-DD HH:MM:SS

}  // namespace ctlflow

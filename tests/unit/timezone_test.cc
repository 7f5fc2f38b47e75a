// Tests for the TZif reader and civil-time helpers: offsets and transition
// instants of real zones (Debian tzdata), local-time lookups in DST gaps and
// overlaps, the POSIX TZ footer rules (checked against the explicit
// transition tables zic wrote for the same years), hand-written TZif files,
// and rejection of malformed files without crashing.
#include "cron/timezone.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ctlflow {
namespace {

constexpr const char* kZoneinfo = "/usr/share/zoneinfo";

// "YYYY-MM-DD HH:MM:SS" read as UTC.
UnixSeconds Z(const std::string& text) {
  Result<CivilTime> c = ParseCivil(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  return c.ok() ? SecondsFromCivil(*c) : 0;
}

CivilTime Civil(const std::string& text) {
  Result<CivilTime> c = ParseCivil(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  return c.ok() ? *c : CivilTime{};
}

TimeZone MustLoad(const std::string& name) {
  Result<TimeZone> tz = TimeZone::Load(name);
  EXPECT_TRUE(tz.ok()) << name << ": " << tz.status().message();
  return tz.ok() ? *tz : TimeZone::Utc();
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------
// A TZif writer for hand-made test files.

struct TestType {
  int32_t utoff;
  bool isdst;
};

void Put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void Put64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void PutHeader(std::string& out, char version, uint32_t timecnt, uint32_t typecnt,
               uint32_t charcnt) {
  out += "TZif";
  out += version;
  out.append(15, '\0');
  Put32(out, 0);  // isutcnt
  Put32(out, 0);  // isstdcnt
  Put32(out, 0);  // leapcnt
  Put32(out, timecnt);
  Put32(out, typecnt);
  Put32(out, charcnt);
}

void PutBlock(std::string& out, int time_size, const std::vector<int64_t>& times,
              const std::vector<uint8_t>& type_of, const std::vector<TestType>& types) {
  for (int64_t t : times) {
    if (time_size == 8) {
      Put64(out, static_cast<uint64_t>(t));
    } else {
      Put32(out, static_cast<uint32_t>(static_cast<int32_t>(t)));
    }
  }
  for (uint8_t i : type_of) out += static_cast<char>(i);
  for (const TestType& type : types) {
    Put32(out, static_cast<uint32_t>(type.utoff));
    out += static_cast<char>(type.isdst ? 1 : 0);
    out += '\0';  // abbreviation index: "ZZZ"
  }
  out += std::string("ZZZ\0", 4);
}

// Version '\0' writes one 32-bit block; later versions write the same data in
// both blocks plus the footer.
std::string Tzif(char version, const std::vector<int64_t>& times,
                 const std::vector<uint8_t>& type_of, const std::vector<TestType>& types,
                 const std::string& footer = "") {
  std::string out;
  auto count = [](std::size_t n) { return static_cast<uint32_t>(n); };
  PutHeader(out, version, count(times.size()), count(types.size()), 4);
  PutBlock(out, 4, times, type_of, types);
  if (version == '\0') return out;
  PutHeader(out, version, count(times.size()), count(types.size()), 4);
  PutBlock(out, 8, times, type_of, types);
  out += '\n' + footer + '\n';
  return out;
}

std::string FooterOnly(const std::string& footer) {
  return Tzif('2', {}, {}, {{0, false}}, footer);
}

// A fresh directory for test zone files, removed afterwards.
class TempZoneDir {
 public:
  TempZoneDir() {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base += '/';
    std::string pattern = base + "ctlflow_tz_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    char* made = mkdtemp(buf.data());
    EXPECT_NE(made, nullptr);
    dir_ = made ? made : ::testing::TempDir();
  }
  ~TempZoneDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& dir() const { return dir_; }

  Result<TimeZone> Load(const std::string& bytes, const std::string& name = "Test/Zone") {
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + name).parent_path());
    std::ofstream(dir_ + "/" + name, std::ios::binary | std::ios::trunc) << bytes;
    return TimeZone::LoadFrom(name, dir_);
  }

 private:
  std::string dir_;
};

TimeZone MustLoadBytes(TempZoneDir& dir, const std::string& bytes) {
  Result<TimeZone> tz = dir.Load(bytes);
  EXPECT_TRUE(tz.ok()) << tz.status().message();
  return tz.ok() ? *tz : TimeZone::Utc();
}

// ---------------------------------------------------------------------------
// Civil calendar.

TEST(CivilTimeTest, DaysFromCivilKnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2024, 3, 31) * 86400 + 3600, 1711846800);
  EXPECT_EQ(DaysFromCivil(1600, 1, 1), -135140);
  // Normalization like timegm: month 13 and day 0.
  EXPECT_EQ(DaysFromCivil(2023, 13, 1), DaysFromCivil(2024, 1, 1));
  EXPECT_EQ(DaysFromCivil(2024, 3, 0), DaysFromCivil(2024, 2, 29));
  EXPECT_EQ(DaysFromCivil(2024, 0, 1), DaysFromCivil(2023, 12, 1));
}

TEST(CivilTimeTest, RoundTripAndWeekdays) {
  for (int64_t days = -800000; days <= 800000; days += 37) {
    CivilTime c = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), days);
    ASSERT_GE(c.month, 1);
    ASSERT_LE(c.month, 12);
    ASSERT_GE(c.day, 1);
    ASSERT_LE(c.day, 31);
    ASSERT_EQ(c.weekday, WeekdayFromDays(days));
  }
  EXPECT_EQ(CivilFromDays(0).weekday, 4);  // 1970-01-01 was a Thursday
  EXPECT_EQ(Civil("2024-03-31").weekday, 0);
  EXPECT_EQ(Civil("2024-09-13").weekday, 5);
  EXPECT_EQ(Civil("1969-12-31").weekday, 3);
  EXPECT_EQ(Civil("2100-02-28").weekday, 0);
}

TEST(CivilTimeTest, CivilFromUnix) {
  CivilTime c = CivilFromUnix(1711846800);
  EXPECT_EQ(FormatDateTime(c), "2024-03-31 01:00:00");
  EXPECT_EQ(c.weekday, 0);
  EXPECT_EQ(FormatDateTime(CivilFromUnix(-1)), "1969-12-31 23:59:59");
  EXPECT_EQ(FormatDateTime(CivilFromUnix(0)), "1970-01-01 00:00:00");
  // Extreme inputs are clamped, never undefined behaviour.
  EXPECT_GT(CivilFromUnix(INT64_MAX).year, 1000000);
  EXPECT_LT(CivilFromUnix(INT64_MIN).year, -1000000);
}

TEST(CivilTimeTest, ParseCivilForms) {
  CivilTime date = Civil("2024-02-29");
  EXPECT_EQ(date, (CivilTime{2024, 2, 29, 0, 0, 0, 4}));
  EXPECT_EQ(Civil("2024-03-31 02:30"), (CivilTime{2024, 3, 31, 2, 30, 0, 0}));
  EXPECT_EQ(Civil("2024-03-31T02:30:15"), (CivilTime{2024, 3, 31, 2, 30, 15, 0}));
  EXPECT_EQ(Civil("2024-03-31 23:59:59"), (CivilTime{2024, 3, 31, 23, 59, 59, 0}));
}

TEST(CivilTimeTest, ParseCivilRejects) {
  for (const char* bad :
       {"", "2024", "2024-3-31", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10",
        "2024-04-31", "2024-03-31 24:00", "2024-03-31 12:60", "2024-03-31 12:00:60",
        "2024-03-31X12:00", "2024-03-31 12:00:", "2024/03/31", "2024-03-31 1:00",
        "2024-03-31 12:00:00Z", " 2024-03-31", "20a4-03-31"}) {
    Result<CivilTime> c = ParseCivil(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), ErrorCode::kInvalid);
    EXPECT_NE(c.status().message().find("YYYY-MM-DD"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << c.status().message();
  }
}

TEST(CivilTimeTest, Format) {
  CivilTime c{7, 3, 4, 5, 6, 7, 0};
  EXPECT_EQ(FormatDate(c), "0007-03-04");
  EXPECT_EQ(FormatDateTime(c), "0007-03-04 05:06:07");
  EXPECT_EQ(FormatDateTime(Civil("2024-11-16 14:00")), "2024-11-16 14:00:00");
}

// ---------------------------------------------------------------------------
// Real zones.

TEST(TimeZoneTest, Utc) {
  TimeZone utc = TimeZone::Utc();
  EXPECT_EQ(utc.name(), "UTC");
  EXPECT_EQ(utc.OffsetAt(0), 0);
  EXPECT_EQ(utc.OffsetAt(Z("2024-07-01 00:00:00")), 0);
  EXPECT_TRUE(utc.TransitionsBetween(Z("1900-01-01 00:00:00"), Z("2200-01-01 00:00:00")).empty());
  EXPECT_EQ(utc.FromLocal(Civil("2024-03-31 02:30")),
            std::vector<UnixSeconds>{Z("2024-03-31 02:30:00")});

  TimeZone loaded = MustLoad("UTC");
  EXPECT_EQ(loaded.name(), "UTC");
  EXPECT_EQ(loaded.OffsetAt(Z("2024-07-01 00:00:00")), 0);
  EXPECT_EQ(loaded.OffsetAt(Z("2200-07-01 00:00:00")), 0);
  EXPECT_EQ(FormatDateTime(loaded.ToLocal(Z("2024-07-01 12:34:56"))), "2024-07-01 12:34:56");
}

TEST(TimeZoneTest, BerlinOffsetsAndTransitions) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.name(), "Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(Z("2024-01-15 12:00:00")), 3600);
  EXPECT_EQ(berlin.OffsetAt(Z("2024-07-15 12:00:00")), 7200);

  const UnixSeconds spring = Z("2024-03-31 01:00:00");
  const UnixSeconds fall = Z("2024-10-27 01:00:00");
  EXPECT_EQ(spring, 1711846800);
  EXPECT_EQ(fall, 1729990800);
  EXPECT_EQ(berlin.OffsetAt(spring - 1), 3600);
  EXPECT_EQ(berlin.OffsetAt(spring), 7200);
  EXPECT_EQ(berlin.OffsetAt(fall - 1), 7200);
  EXPECT_EQ(berlin.OffsetAt(fall), 3600);

  std::vector<OffsetTransition> trs =
      berlin.TransitionsBetween(Z("2024-01-01 00:00:00"), Z("2025-01-01 00:00:00"));
  ASSERT_EQ(trs.size(), 2u);
  EXPECT_EQ(trs[0].at, spring);
  EXPECT_EQ(trs[0].offset_before, 3600);
  EXPECT_EQ(trs[0].offset_after, 7200);
  EXPECT_EQ(trs[1].at, fall);
  EXPECT_EQ(trs[1].offset_before, 7200);
  EXPECT_EQ(trs[1].offset_after, 3600);
  // (from, to]: a transition exactly at `from` is excluded, at `to` included.
  EXPECT_TRUE(berlin.TransitionsBetween(spring, spring + 3600).empty());
  EXPECT_EQ(berlin.TransitionsBetween(spring - 1, spring).size(), 1u);
}

TEST(TimeZoneTest, BerlinToLocal) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  CivilTime c = berlin.ToLocal(Z("2024-03-31 00:59:59"));
  EXPECT_EQ(FormatDateTime(c), "2024-03-31 01:59:59");
  EXPECT_EQ(c.weekday, 0);
  EXPECT_EQ(FormatDateTime(berlin.ToLocal(Z("2024-03-31 01:00:00"))), "2024-03-31 03:00:00");
  // Both occurrences of 02:30 on the fall-back day.
  EXPECT_EQ(FormatDateTime(berlin.ToLocal(Z("2024-10-27 00:30:00"))), "2024-10-27 02:30:00");
  EXPECT_EQ(FormatDateTime(berlin.ToLocal(Z("2024-10-27 01:30:00"))), "2024-10-27 02:30:00");
  // Near midnight the local date differs from the UTC date.
  CivilTime late = berlin.ToLocal(Z("2024-11-16 23:30:00"));
  EXPECT_EQ(FormatDateTime(late), "2024-11-17 00:30:00");
  EXPECT_EQ(late.weekday, 0);
}

TEST(TimeZoneTest, BerlinFromLocalGapAndOverlap) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_TRUE(berlin.FromLocal(Civil("2024-03-31 02:30")).empty());
  EXPECT_TRUE(berlin.FromLocal(Civil("2024-03-31 02:00")).empty());
  EXPECT_TRUE(berlin.FromLocal(Civil("2024-03-31 02:59:59")).empty());
  EXPECT_EQ(berlin.FromLocal(Civil("2024-03-31 01:59:59")),
            std::vector<UnixSeconds>{Z("2024-03-31 00:59:59")});
  EXPECT_EQ(berlin.FromLocal(Civil("2024-03-31 03:00")),
            std::vector<UnixSeconds>{Z("2024-03-31 01:00:00")});

  EXPECT_EQ(berlin.FromLocal(Civil("2024-10-27 02:30")),
            (std::vector<UnixSeconds>{Z("2024-10-27 00:30:00"), Z("2024-10-27 01:30:00")}));
  EXPECT_EQ(berlin.FromLocal(Civil("2024-10-27 02:00")),
            (std::vector<UnixSeconds>{Z("2024-10-27 00:00:00"), Z("2024-10-27 01:00:00")}));
  EXPECT_EQ(berlin.FromLocal(Civil("2024-10-27 03:00")),
            std::vector<UnixSeconds>{Z("2024-10-27 02:00:00")});
  EXPECT_EQ(berlin.FromLocal(Civil("2024-10-27 01:59:59")),
            std::vector<UnixSeconds>{Z("2024-10-26 23:59:59")});
  EXPECT_EQ(berlin.FromLocal(Civil("2024-07-01 12:00")),
            std::vector<UnixSeconds>{Z("2024-07-01 10:00:00")});
}

TEST(TimeZoneTest, EarliestAtOrAfter) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  // A gap time resolves to the end of the gap.
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-03-31 02:00")), Z("2024-03-31 01:00:00"));
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-03-31 02:30")), Z("2024-03-31 01:00:00"));
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-03-31 03:00")), Z("2024-03-31 01:00:00"));
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-03-31 03:01")), Z("2024-03-31 01:01:00"));
  // An overlap time resolves to its first occurrence.
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-10-27 02:30")), Z("2024-10-27 00:30:00"));
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-10-27 03:00")), Z("2024-10-27 02:00:00"));
  EXPECT_EQ(berlin.EarliestAtOrAfter(Civil("2024-07-01 12:00")), Z("2024-07-01 10:00:00"));
}

TEST(TimeZoneTest, NewYork) {
  TimeZone ny = MustLoad("America/New_York");
  const UnixSeconds spring = Z("2024-03-10 07:00:00");
  const UnixSeconds fall = Z("2024-11-03 06:00:00");
  EXPECT_EQ(spring, 1710054000);
  EXPECT_EQ(fall, 1730613600);
  EXPECT_EQ(ny.OffsetAt(spring - 1), -18000);
  EXPECT_EQ(ny.OffsetAt(spring), -14400);
  EXPECT_EQ(ny.OffsetAt(fall - 1), -14400);
  EXPECT_EQ(ny.OffsetAt(fall), -18000);
  EXPECT_TRUE(ny.FromLocal(Civil("2024-03-10 02:30")).empty());
  EXPECT_EQ(ny.FromLocal(Civil("2024-11-03 01:30")),
            (std::vector<UnixSeconds>{Z("2024-11-03 05:30:00"), Z("2024-11-03 06:30:00")}));
  EXPECT_EQ(ny.FromLocal(Civil("2024-11-03 02:30")),
            std::vector<UnixSeconds>{Z("2024-11-03 07:30:00")});
  // Before the first transition: local mean time, -4:56:02.
  EXPECT_EQ(ny.OffsetAt(Z("1850-01-01 00:00:00")), -17762);
}

TEST(TimeZoneTest, BangkokHasNoDst) {
  TimeZone bangkok = MustLoad("Asia/Bangkok");
  for (const char* t : {"2024-01-15 00:00:00", "2024-07-15 00:00:00", "2100-07-01 00:00:00",
                        "1990-03-31 01:00:00"}) {
    EXPECT_EQ(bangkok.OffsetAt(Z(t)), 25200) << t;
  }
  EXPECT_TRUE(
      bangkok.TransitionsBetween(Z("1990-01-01 00:00:00"), Z("2200-01-01 00:00:00")).empty());
  EXPECT_EQ(FormatDateTime(bangkok.ToLocal(Z("2024-05-01 08:00:00"))), "2024-05-01 15:00:00");
}

TEST(TimeZoneTest, FarFutureUsesFooterRule) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(Z("2100-07-01 00:00:00")), 7200);
  EXPECT_EQ(berlin.OffsetAt(Z("2100-01-15 00:00:00")), 3600);
  // Last Sundays of 2100: March 28 and October 31.
  EXPECT_EQ(berlin.OffsetAt(Z("2100-03-28 00:59:59")), 3600);
  EXPECT_EQ(berlin.OffsetAt(Z("2100-03-28 01:00:00")), 7200);
  EXPECT_EQ(berlin.OffsetAt(Z("2100-10-31 00:59:59")), 7200);
  EXPECT_EQ(berlin.OffsetAt(Z("2100-10-31 01:00:00")), 3600);
  EXPECT_TRUE(berlin.FromLocal(Civil("2100-03-28 02:30")).empty());
  EXPECT_EQ(berlin.FromLocal(Civil("2100-10-31 02:30")).size(), 2u);
  TimeZone ny = MustLoad("America/New_York");
  EXPECT_EQ(ny.OffsetAt(Z("2100-07-01 00:00:00")), -14400);
  EXPECT_EQ(ny.OffsetAt(Z("2100-12-01 00:00:00")), -18000);
}

// The footer rule of each zone, alone in a hand-made file, must agree with
// the transition table zic wrote for the years both cover (Debian ships
// "fat" files with explicit transitions up to 2037).
TEST(TimeZoneTest, FooterRulesAgreeWithTransitionTables) {
  TempZoneDir dir;
  for (const char* name :
       {"Europe/Berlin", "America/New_York", "America/Santiago", "Asia/Jerusalem", "America/Nuuk",
        "Australia/Lord_Howe", "Europe/Dublin", "Australia/Sydney", "Pacific/Auckland",
        "Asia/Bangkok", "Asia/Kolkata"}) {
    SCOPED_TRACE(name);
    TimeZone real = MustLoad(name);
    std::string bytes = ReadBytes(std::string(kZoneinfo) + "/" + name);
    ASSERT_GE(bytes.size(), 2u);
    std::size_t end = bytes.size() - 1;
    std::size_t start = bytes.rfind('\n', end - 1);
    ASSERT_NE(start, std::string::npos);
    std::string footer = bytes.substr(start + 1, end - start - 1);
    TimeZone rule_only = MustLoadBytes(dir, FooterOnly(footer));
    int mismatches = 0;
    for (UnixSeconds t = Z("2031-01-01 00:00:00"); t < Z("2037-12-01 00:00:00"); t += 1800) {
      if (real.OffsetAt(t) != rule_only.OffsetAt(t) && ++mismatches <= 3) {
        ADD_FAILURE() << footer << " at " << FormatDateTime(CivilFromUnix(t)) << "Z: table "
                      << real.OffsetAt(t) << " rule " << rule_only.OffsetAt(t);
      }
    }
    std::vector<OffsetTransition> a =
        real.TransitionsBetween(Z("2031-01-01 00:00:00"), Z("2037-12-01 00:00:00"));
    std::vector<OffsetTransition> b =
        rule_only.TransitionsBetween(Z("2031-01-01 00:00:00"), Z("2037-12-01 00:00:00"));
    ASSERT_EQ(a.size(), b.size()) << footer;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].at, b[i].at) << footer << " transition " << i;
      EXPECT_EQ(a[i].offset_after, b[i].offset_after) << footer << " transition " << i;
    }
  }
}

TEST(TimeZoneTest, UnknownZones) {
  for (const char* name : {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
                           "Europe/../UTC", "", "Europe", "Europe/"}) {
    Result<TimeZone> tz = TimeZone::Load(name);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_EQ(tz.status().code(), ErrorCode::kInvalid);
    EXPECT_EQ(tz.status().message(), std::string("unknown time zone '") + name +
                                         "'; use an IANA name such as Europe/Berlin");
  }
}

TEST(TimeZoneTest, NonTzifFileInZoneinfo) {
  TempZoneDir dir;
  Result<TimeZone> tz = dir.Load("# tzdb zone descriptions\n", "zone.tab");
  ASSERT_FALSE(tz.ok());
  EXPECT_EQ(tz.status().code(), ErrorCode::kInvalid);
  EXPECT_NE(tz.status().message().find("time zone 'zone.tab'"), std::string::npos)
      << tz.status().message();
  EXPECT_NE(tz.status().message().find("not a TZif file"), std::string::npos)
      << tz.status().message();
}

TEST(TimeZoneTest, CopiesShareDataAcrossThreads) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  std::vector<std::thread> threads;
  std::vector<int64_t> sums(4, 0);
  for (std::size_t i = 0; i < sums.size(); ++i) {
    threads.emplace_back([berlin, &sums, i] {
      for (UnixSeconds t = Z("2020-01-01 00:00:00"); t < Z("2060-01-01 00:00:00"); t += 86400) {
        sums[i] += berlin.OffsetAt(t);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int64_t sum : sums) EXPECT_EQ(sum, sums[0]);
}

// ---------------------------------------------------------------------------
// Hand-written files.

TEST(TzifFileTest, FooterOnlyFile) {
  TempZoneDir dir;
  TimeZone tz = MustLoadBytes(dir, FooterOnly("CET-1CEST,M3.5.0,M10.5.0/3"));
  EXPECT_EQ(tz.name(), "Test/Zone");
  EXPECT_EQ(tz.OffsetAt(Z("2024-01-15 12:00:00")), 3600);
  EXPECT_EQ(tz.OffsetAt(Z("2024-03-31 00:59:59")), 3600);
  EXPECT_EQ(tz.OffsetAt(Z("2024-03-31 01:00:00")), 7200);
  EXPECT_EQ(tz.OffsetAt(Z("2024-10-27 00:59:59")), 7200);
  EXPECT_EQ(tz.OffsetAt(Z("2024-10-27 01:00:00")), 3600);
  EXPECT_EQ(tz.OffsetAt(Z("1900-07-01 00:00:00")), 7200);  // the rule applies to all time
  EXPECT_TRUE(tz.FromLocal(Civil("2024-03-31 02:30")).empty());
  EXPECT_EQ(tz.FromLocal(Civil("2024-10-27 02:30")).size(), 2u);
}

TEST(TzifFileTest, FooterWithoutDst) {
  TempZoneDir dir;
  TimeZone plus7 = MustLoadBytes(dir, FooterOnly("<+07>-7"));
  EXPECT_EQ(plus7.OffsetAt(Z("2024-07-01 00:00:00")), 25200);
  TimeZone minus0330 = MustLoadBytes(dir, FooterOnly("<-0330>3:30"));
  EXPECT_EQ(minus0330.OffsetAt(0), -12600);
  TimeZone plus_sign = MustLoadBytes(dir, FooterOnly("ABC+5:45:30"));
  EXPECT_EQ(plus_sign.OffsetAt(0), -(5 * 3600 + 45 * 60 + 30));
  // An empty footer: after the last transition its type stays in effect.
  TimeZone empty = MustLoadBytes(dir, Tzif('2', {1000}, {1}, {{0, false}, {3600, false}}, ""));
  EXPECT_EQ(empty.OffsetAt(999), 0);
  EXPECT_EQ(empty.OffsetAt(Z("2200-01-01 00:00:00")), 3600);
}

TEST(TzifFileTest, FooterRuleDateForms) {
  TempZoneDir dir;
  // n: zero-based day of year counting Feb 29 (59 is Feb 29 in leap years).
  TimeZone zero_based = MustLoadBytes(dir, FooterOnly("AAA0BBB,59/0,J300/0"));
  EXPECT_EQ(zero_based.OffsetAt(Z("2024-02-28 23:59:59")), 0);
  EXPECT_EQ(zero_based.OffsetAt(Z("2024-02-29 00:00:00")), 3600);
  EXPECT_EQ(zero_based.OffsetAt(Z("2023-02-28 23:59:59")), 0);
  EXPECT_EQ(zero_based.OffsetAt(Z("2023-03-01 00:00:00")), 3600);
  // Jn: 1..365, never counting Feb 29 (J60 is always March 1).
  TimeZone julian = MustLoadBytes(dir, FooterOnly("AAA0BBB,J60/0,J300/0"));
  EXPECT_EQ(julian.OffsetAt(Z("2024-02-29 23:59:59")), 0);
  EXPECT_EQ(julian.OffsetAt(Z("2024-03-01 00:00:00")), 3600);
  // J300 is October 27 in every year; the end time is in DST local time.
  EXPECT_EQ(julian.OffsetAt(Z("2024-10-26 22:59:59")), 3600);
  EXPECT_EQ(julian.OffsetAt(Z("2024-10-26 23:00:00")), 0);
  // Default transition time 02:00 and default DST offset (one hour ahead).
  TimeZone defaults = MustLoadBytes(dir, FooterOnly("EST5EDT,M3.2.0,M11.1.0"));
  EXPECT_EQ(defaults.OffsetAt(Z("2024-03-10 06:59:59")), -18000);
  EXPECT_EQ(defaults.OffsetAt(Z("2024-03-10 07:00:00")), -14400);
  EXPECT_EQ(defaults.OffsetAt(Z("2024-11-03 05:59:59")), -14400);
  EXPECT_EQ(defaults.OffsetAt(Z("2024-11-03 06:00:00")), -18000);
  // No rule at all: the US rule, as in glibc.
  TimeZone no_rule = MustLoadBytes(dir, FooterOnly("EST5EDT"));
  EXPECT_EQ(no_rule.OffsetAt(Z("2024-03-10 07:00:00")), -14400);
  EXPECT_EQ(no_rule.OffsetAt(Z("2024-11-03 06:00:00")), -18000);
  // Week 5 means the last such weekday: February 2024 has five Thursdays,
  // February 2023 only four.
  TimeZone last = MustLoadBytes(dir, FooterOnly("AAA0BBB,M2.5.4/0,M6.5.1/0"));
  EXPECT_EQ(last.OffsetAt(Z("2024-02-29 00:00:00")), 3600);  // 5th Thursday exists
  EXPECT_EQ(last.OffsetAt(Z("2024-02-28 23:59:59")), 0);
  EXPECT_EQ(last.OffsetAt(Z("2023-02-23 00:00:00")), 3600);  // only four: the last one
  EXPECT_EQ(last.OffsetAt(Z("2023-02-22 23:59:59")), 0);
}

TEST(TzifFileTest, FooterVersion3Extensions) {
  TempZoneDir dir;
  // Times beyond 24 h: Thursday of the 4th week at 26:00 = Friday 02:00.
  TimeZone jerusalem =
      MustLoadBytes(dir, Tzif('3', {}, {}, {{7200, false}}, "IST-2IDT,M3.4.4/26,M10.5.0"));
  EXPECT_EQ(jerusalem.OffsetAt(Z("2024-03-28 23:59:59")), 7200);
  EXPECT_EQ(jerusalem.OffsetAt(Z("2024-03-29 00:00:00")), 10800);
  // Negative times: one hour before midnight of the last Saturday-to-Sunday.
  TimeZone nuuk = MustLoadBytes(dir, FooterOnly("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"));
  EXPECT_EQ(nuuk.OffsetAt(Z("2024-03-31 00:59:59")), -7200);
  EXPECT_EQ(nuuk.OffsetAt(Z("2024-03-31 01:00:00")), -3600);
  EXPECT_EQ(nuuk.OffsetAt(Z("2024-10-27 00:59:59")), -3600);
  EXPECT_EQ(nuuk.OffsetAt(Z("2024-10-27 01:00:00")), -7200);
  // DST all year: starts January 1 00:00, ends December 31 at 24:00 + 1 h.
  TimeZone permanent = MustLoadBytes(dir, FooterOnly("EST5EDT,0/0,J365/25"));
  for (const char* t :
       {"2024-01-01 00:00:00", "2024-01-01 05:00:00", "2024-07-01 00:00:00", "2024-12-31 23:59:59",
        "2025-01-01 04:59:59", "2025-01-01 05:00:00", "2025-01-01 05:00:01"}) {
    EXPECT_EQ(permanent.OffsetAt(Z(t)), -14400) << t;
  }
  // Southern hemisphere with a 30-minute DST shift and explicit offsets.
  TimeZone lord_howe = MustLoadBytes(dir, FooterOnly("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"));
  EXPECT_EQ(lord_howe.OffsetAt(Z("2024-01-15 00:00:00")), 39600);
  EXPECT_EQ(lord_howe.OffsetAt(Z("2024-07-15 00:00:00")), 37800);
  // Negative DST (Dublin): "summer" time is standard, winter is the DST type.
  TimeZone dublin = MustLoadBytes(dir, FooterOnly("IST-1GMT0,M10.5.0,M3.5.0/1"));
  EXPECT_EQ(dublin.OffsetAt(Z("2024-01-15 00:00:00")), 0);
  EXPECT_EQ(dublin.OffsetAt(Z("2024-07-15 00:00:00")), 3600);
}

TEST(TzifFileTest, Version1File) {
  TempZoneDir dir;
  TimeZone tz = MustLoadBytes(dir, Tzif('\0', {1000, 2000}, {1, 0}, {{3600, false}, {7200, true}}));
  EXPECT_EQ(tz.OffsetAt(-5000000000), 3600);
  EXPECT_EQ(tz.OffsetAt(999), 3600);
  EXPECT_EQ(tz.OffsetAt(1000), 7200);
  EXPECT_EQ(tz.OffsetAt(1999), 7200);
  EXPECT_EQ(tz.OffsetAt(2000), 3600);
  EXPECT_EQ(tz.OffsetAt(Z("2200-07-01 00:00:00")), 3600);  // no footer in version 1
  std::vector<OffsetTransition> trs = tz.TransitionsBetween(0, 3000);
  ASSERT_EQ(trs.size(), 2u);
  EXPECT_EQ(trs[0].at, 1000);
  EXPECT_EQ(trs[1].at, 2000);
}

TEST(TzifFileTest, BeforeFirstTransitionUsesFirstStandardType) {
  TempZoneDir dir;
  TimeZone tz = MustLoadBytes(dir, Tzif('2', {1000}, {0}, {{7200, true}, {3600, false}}, ""));
  EXPECT_EQ(tz.OffsetAt(999), 3600);
  EXPECT_EQ(tz.OffsetAt(1000), 7200);
  TimeZone all_dst = MustLoadBytes(dir, Tzif('2', {1000}, {1}, {{7200, true}, {10800, true}}, ""));
  EXPECT_EQ(all_dst.OffsetAt(999), 7200);  // no standard type: type 0
}

TEST(TzifFileTest, TransitionsThenFooter) {
  TempZoneDir dir;
  // 64-bit transitions before 1901 and after 2038, then the footer.
  const UnixSeconds early = Z("1850-01-01 00:00:00");
  const UnixSeconds late = Z("2050-01-01 00:00:00");
  TimeZone tz = MustLoadBytes(
      dir, Tzif('2', {early, late}, {1, 2}, {{100, false}, {3600, false}, {3600, false}},
                "CET-1CEST,M3.5.0,M10.5.0/3"));
  EXPECT_EQ(tz.OffsetAt(early - 1), 100);
  EXPECT_EQ(tz.OffsetAt(early), 3600);
  EXPECT_EQ(tz.OffsetAt(Z("2040-07-01 00:00:00")), 3600);  // table: no DST yet
  EXPECT_EQ(tz.OffsetAt(Z("2050-07-01 00:00:00")), 7200);  // footer from 2050 on
  std::vector<OffsetTransition> trs =
      tz.TransitionsBetween(Z("2049-01-01 00:00:00"), Z("2051-01-01 00:00:00"));
  // The switch from the table to the footer on 2050-01-01 keeps +1:00, so
  // only the footer's two 2050 transitions change the offset.
  ASSERT_EQ(trs.size(), 2u);
  EXPECT_EQ(trs[0].at, Z("2050-03-27 01:00:00"));
  EXPECT_EQ(trs[1].at, Z("2050-10-30 01:00:00"));
}

// ---------------------------------------------------------------------------
// Malformed files.

void ExpectBad(TempZoneDir& dir, const std::string& bytes, const std::string& fragment) {
  Result<TimeZone> tz = dir.Load(bytes);
  ASSERT_FALSE(tz.ok()) << "expected an error containing: " << fragment;
  EXPECT_EQ(tz.status().code(), ErrorCode::kInvalid);
  EXPECT_NE(tz.status().message().find(fragment), std::string::npos) << tz.status().message();
  EXPECT_NE(tz.status().message().find("time zone 'Test/Zone'"), std::string::npos)
      << tz.status().message();
}

TEST(TzifFileTest, MalformedFiles) {
  TempZoneDir dir;
  const std::vector<TestType> one = {{3600, false}};
  ExpectBad(dir, "", "truncated");
  ExpectBad(dir, "TZif2", "truncated");
  ExpectBad(dir, std::string(60, 'x'), "not a TZif file");
  std::string wrong_magic = FooterOnly("UTC0");
  wrong_magic[0] = 'X';
  ExpectBad(dir, wrong_magic, "not a TZif file");
  std::string bad_version = FooterOnly("UTC0");
  bad_version[4] = '1';
  ExpectBad(dir, bad_version, "version");

  // Counts larger than the file.
  std::string huge;
  PutHeader(huge, '2', 0xffffffffu, 0xffffffffu, 0xffffffffu);
  ExpectBad(dir, huge, "announces");
  std::string short_block = Tzif('\0', {1000, 2000}, {0, 0}, one);
  short_block.resize(short_block.size() - 1);
  ExpectBad(dir, short_block, "truncated");

  ExpectBad(dir, Tzif('2', {}, {}, {}, "UTC0"), "typecnt is 0");
  ExpectBad(dir, Tzif('2', {1000}, {1}, one, ""), "type 1 of only 1");
  ExpectBad(dir, Tzif('2', {2000, 1000}, {0, 0}, one, ""), "ascending");
  ExpectBad(dir, Tzif('2', {1000, 1000}, {0, 0}, one, ""), "ascending");
  ExpectBad(dir, Tzif('2', {}, {}, {{100000, false}}, ""), "outside +-26 hours");
  ExpectBad(dir, Tzif('2', {}, {}, {{-100000, false}}, ""), "outside +-26 hours");

  std::string bad_isdst = Tzif('\0', {}, {}, one);
  bad_isdst[44 + 4] = 2;  // isdst of the only type
  ExpectBad(dir, bad_isdst, "isdst");
  std::string bad_desig = Tzif('\0', {}, {}, one);
  bad_desig[44 + 5] = 9;  // abbreviation index past the 4 bytes
  ExpectBad(dir, bad_desig, "abbreviation");

  std::string leap = Tzif('\0', {}, {}, one);
  leap[20 + 8 + 3] = 1;  // leapcnt = 1
  leap += std::string(8, '\0');
  ExpectBad(dir, leap, "leap-second");

  std::string no_footer = FooterOnly("UTC0");
  ExpectBad(dir, no_footer.substr(0, no_footer.size() - 6), "missing footer");
  ExpectBad(dir, no_footer.substr(0, no_footer.size() - 1), "not terminated");
}

TEST(TzifFileTest, BadFooters) {
  TempZoneDir dir;
  for (const char* footer : {"CET",
                             "CET-1CEST,M3.5.0",
                             "CET-1CEST,M13.5.0,M10.5.0",
                             "CET-1CEST,M3.6.0,M10.5.0",
                             "CET-1CEST,M3.5.7,M10.5.0",
                             "CET-1CEST,J0,J300",
                             "CET-1CEST,J366,J300",
                             "CET-1CEST,366,300",
                             "CET-1CEST,M3.5.0/168,M10.5.0",
                             "CET-1CEST,M3.5.0,M10.5.0junk",
                             "C-1",
                             "CET-25",
                             "CET-1:60",
                             "CET-1:00:60",
                             "<CET-1",
                             "<C?T>-1",
                             "<+0>-1",
                             "CET-1CE",
                             "-1",
                             "CET-1CEST,",
                             "CET-1CEST,M3.5.0,",
                             "CET-1CEST,M3..0,M10.5.0",
                             "CET1234-1",
                             "CET-1CEST-2X"}) {
    SCOPED_TRACE(footer);
    ExpectBad(dir, FooterOnly(footer), "bad footer TZ string");
  }
}

TEST(TzifFileTest, EveryTruncationOfARealFileIsAnError) {
  TempZoneDir dir;
  const std::string berlin = ReadBytes(std::string(kZoneinfo) + "/Europe/Berlin");
  ASSERT_GT(berlin.size(), 1000u);
  ASSERT_TRUE(dir.Load(berlin).ok());
  // Every length in the headers and the footer, a sample in between.
  for (std::size_t n = 0; n < berlin.size(); n += (n < 64 || n + 64 > berlin.size()) ? 1 : 7) {
    ASSERT_FALSE(dir.Load(berlin.substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
}

TEST(TzifFileTest, CorruptedBytesNeverCrash) {
  TempZoneDir dir;
  const std::string original = ReadBytes(std::string(kZoneinfo) + "/America/New_York");
  ASSERT_GT(original.size(), 1000u);
  int loaded = 0;
  for (std::size_t i = 0; i < original.size(); i += 7) {
    for (unsigned char value : {0x00, 0x80, 0xff}) {
      std::string bytes = original;
      bytes[i] = static_cast<char>(value);
      Result<TimeZone> tz = dir.Load(bytes);
      if (!tz.ok()) continue;
      ++loaded;
      // Whatever loaded must answer sanely.
      for (UnixSeconds t : {INT64_MIN, Z("1900-01-01 00:00:00"), Z("2024-11-03 06:00:00"),
                            Z("2100-07-01 00:00:00"), INT64_MAX}) {
        int offset = tz->OffsetAt(t);
        ASSERT_GT(offset, -26 * 3600);
        ASSERT_LT(offset, 26 * 3600);
      }
      EXPECT_LE(tz->FromLocal(Civil("2024-11-03 01:30")).size(), 2u);
    }
  }
  EXPECT_GT(loaded, 0);  // e.g. corrupted abbreviation bytes are harmless
}

}  // namespace
}  // namespace ctlflow

#include "cron/timezone.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctlflow {
namespace {

constexpr const char* kDefaultZoneinfoDir = "/usr/share/zoneinfo";
constexpr int64_t kSecondsPerDay = 86400;
// Every UTC offset we accept is strictly inside +-26 hours (RFC 8536 calls
// [-89999, 93599] the realistic range; POSIX allows +-24:59:59). Local-time
// searches look this far around an instant.
constexpr int kMaxOffset = 26 * 3600;
constexpr int64_t kLocalWindow = kMaxOffset + 60;
// Real TZif files are a few kilobytes.
constexpr std::uintmax_t kMaxFileSize = 1 << 20;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

UnixSeconds Clamp(UnixSeconds t) { return std::clamp(t, -kMaxUnixSeconds, kMaxUnixSeconds); }

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr std::array<int, 13> kDays = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[static_cast<std::size_t>(m)];
}

// ---------------------------------------------------------------------------
// POSIX TZ strings (the TZif footer), e.g. "CET-1CEST,M3.5.0,M10.5.0/3".

struct RuleDate {
  enum class Kind { kJulian, kZeroBased, kMonthWeekDay };
  Kind kind = Kind::kMonthWeekDay;
  int n = 0;      // Jn: 1..365; n: 0..365
  int month = 0;  // Mm.w.d
  int week = 0;
  int wday = 0;
  int time = 7200;  // seconds after local midnight; may be negative or > 24h
};

struct PosixRule {
  int std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  int dst_offset = 0;
  RuleDate start;
  RuleDate end;
};

// Days since the epoch of a rule date in year y.
int64_t RuleDateDays(const RuleDate& date, int64_t y) {
  int64_t jan1 = DaysFromCivil(static_cast<int>(y), 1, 1);
  switch (date.kind) {
    case RuleDate::Kind::kJulian:
      // Jn counts 1..365 and never counts February 29.
      return jan1 + date.n - 1 + (IsLeap(y) && date.n >= 60 ? 1 : 0);
    case RuleDate::Kind::kZeroBased:
      return jan1 + date.n;
    case RuleDate::Kind::kMonthWeekDay: {
      int64_t first = DaysFromCivil(static_cast<int>(y), date.month, 1);
      int64_t offset = FloorMod(date.wday - WeekdayFromDays(first), 7) + (date.week - 1) * 7;
      // Week 5 means "the last such weekday": step back when it overflows.
      while (offset >= DaysInMonth(y, date.month)) offset -= 7;
      return first + offset;
    }
  }
  return jan1;
}

struct RuleTransition {
  UnixSeconds at;
  bool dst;  // whether DST is in effect from `at` on
};

// The DST start and end instants of rule years first..last, sorted. At equal
// instants the start sorts after the end, so that "DST all year" (a start on
// Jan 1 00:00 equal to the previous year's end) stays DST.
std::vector<RuleTransition> RuleTransitions(const PosixRule& rule, int64_t first, int64_t last) {
  std::vector<RuleTransition> out;
  for (int64_t y = first; y <= last; ++y) {
    // The start is written in standard time, the end in daylight time.
    out.push_back(
        {RuleDateDays(rule.start, y) * kSecondsPerDay + rule.start.time - rule.std_offset, true});
    out.push_back(
        {RuleDateDays(rule.end, y) * kSecondsPerDay + rule.end.time - rule.dst_offset, false});
  }
  std::sort(out.begin(), out.end(), [](const RuleTransition& a, const RuleTransition& b) {
    return a.at != b.at ? a.at < b.at : a.dst < b.dst;
  });
  return out;
}

int RuleOffsetAt(const PosixRule& rule, UnixSeconds t) {
  if (!rule.has_dst) return rule.std_offset;
  // Transition times may lie up to a week (167 h) outside their year, so
  // look at the neighbouring years as well.
  int64_t y = CivilFromUnix(t).year;
  bool dst = false;
  for (const RuleTransition& tr : RuleTransitions(rule, y - 2, y + 1)) {
    if (tr.at > t) break;
    dst = tr.dst;
  }
  return dst ? rule.dst_offset : rule.std_offset;
}

class PosixParser {
 public:
  explicit PosixParser(std::string_view text) : text_(text) {}

  Result<PosixRule> Parse() {
    PosixRule rule;
    CTL_RETURN_IF_ERROR(ParseName("standard time name"));
    CTL_ASSIGN_OR_RETURN(int std_west, ParseHms(/*max_hours=*/24, "standard offset"));
    rule.std_offset = -std_west;
    if (AtEnd()) return rule;

    CTL_RETURN_IF_ERROR(ParseName("daylight time name"));
    rule.has_dst = true;
    rule.dst_offset = rule.std_offset + 3600;
    if (!AtEnd() && Peek() != ',') {
      CTL_ASSIGN_OR_RETURN(int dst_west, ParseHms(/*max_hours=*/24, "daylight offset"));
      rule.dst_offset = -dst_west;
    }
    if (AtEnd()) {
      // POSIX leaves the default rule to the implementation; like glibc use
      // the US rule. TZif footers always spell the rule out.
      rule.start = RuleDate{RuleDate::Kind::kMonthWeekDay, 0, 3, 2, 0, 7200};
      rule.end = RuleDate{RuleDate::Kind::kMonthWeekDay, 0, 11, 1, 0, 7200};
      return rule;
    }
    CTL_RETURN_IF_ERROR(Expect(','));
    CTL_ASSIGN_OR_RETURN(rule.start, ParseDate("start"));
    CTL_RETURN_IF_ERROR(Expect(','));
    CTL_ASSIGN_OR_RETURN(rule.end, ParseDate("end"));
    if (!AtEnd()) return Error("unexpected text after the end rule");
    return rule;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

  Status Error(const std::string& what) const {
    return Status::Invalid(what + " at position " + std::to_string(pos_ + 1));
  }

  Status Expect(char c) {
    if (Peek() != c) return Error(std::string("expected '") + c + "'");
    ++pos_;
    return Status::Ok();
  }

  // Either at least three letters, or <...> with letters, digits, '+', '-'.
  Status ParseName(const char* what) {
    std::size_t len = 0;
    if (Peek() == '<') {
      ++pos_;
      while (!AtEnd() && Peek() != '>') {
        char c = Peek();
        if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-') {
          return Error(std::string("bad character in quoted ") + what);
        }
        ++pos_;
        ++len;
      }
      if (AtEnd()) return Error(std::string("unterminated quoted ") + what);
      ++pos_;  // '>'
    } else {
      while (IsAlpha(Peek())) {
        ++pos_;
        ++len;
      }
    }
    if (len < 3) return Error(std::string(what) + " must have at least 3 characters");
    return Status::Ok();
  }

  // Up to `max_digits` digits.
  Result<int> ParseNumber(int max_digits, const char* what) {
    if (!IsDigit(Peek())) return Error(std::string("expected a number for ") + what);
    int v = 0;
    int digits = 0;
    while (IsDigit(Peek())) {
      if (++digits > max_digits) return Error(std::string("number too long for ") + what);
      v = v * 10 + (Peek() - '0');
      ++pos_;
    }
    return v;
  }

  // [+|-]hh[:mm[:ss]] in seconds.
  Result<int> ParseHms(int max_hours, const char* what) {
    int sign = 1;
    if (Peek() == '+' || Peek() == '-') {
      if (Peek() == '-') sign = -1;
      ++pos_;
    }
    CTL_ASSIGN_OR_RETURN(int hours, ParseNumber(3, what));
    if (hours > max_hours) return Error(std::string(what) + " hours out of range");
    int minutes = 0;
    int seconds = 0;
    if (Peek() == ':') {
      ++pos_;
      CTL_ASSIGN_OR_RETURN(minutes, ParseNumber(2, what));
      if (minutes > 59) return Error(std::string(what) + " minutes out of range");
      if (Peek() == ':') {
        ++pos_;
        CTL_ASSIGN_OR_RETURN(seconds, ParseNumber(2, what));
        if (seconds > 59) return Error(std::string(what) + " seconds out of range");
      }
    }
    return sign * (hours * 3600 + minutes * 60 + seconds);
  }

  Result<RuleDate> ParseDate(const char* which) {
    RuleDate date;
    std::string what = std::string(which) + " date";
    if (Peek() == 'J') {
      ++pos_;
      date.kind = RuleDate::Kind::kJulian;
      CTL_ASSIGN_OR_RETURN(date.n, ParseNumber(3, what.c_str()));
      if (date.n < 1 || date.n > 365) return Error("Julian day must be 1..365");
    } else if (Peek() == 'M') {
      ++pos_;
      date.kind = RuleDate::Kind::kMonthWeekDay;
      CTL_ASSIGN_OR_RETURN(date.month, ParseNumber(2, what.c_str()));
      CTL_RETURN_IF_ERROR(Expect('.'));
      CTL_ASSIGN_OR_RETURN(date.week, ParseNumber(1, what.c_str()));
      CTL_RETURN_IF_ERROR(Expect('.'));
      CTL_ASSIGN_OR_RETURN(date.wday, ParseNumber(1, what.c_str()));
      if (date.month < 1 || date.month > 12 || date.week < 1 || date.week > 5 || date.wday > 6) {
        return Error("Mm.w.d needs m 1..12, w 1..5, d 0..6");
      }
    } else {
      date.kind = RuleDate::Kind::kZeroBased;
      CTL_ASSIGN_OR_RETURN(date.n, ParseNumber(3, what.c_str()));
      if (date.n > 365) return Error("day of year must be 0..365");
    }
    if (Peek() == '/') {
      ++pos_;
      // TZif version 3 allows -167..167 hours.
      std::string time_what = std::string(which) + " time";
      CTL_ASSIGN_OR_RETURN(date.time, ParseHms(167, time_what.c_str()));
    }
    return date;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------
// Parsed zone.

struct TimeZone::Data {
  struct Type {
    int utoff = 0;
    bool isdst = false;
  };
  std::string name;
  std::vector<UnixSeconds> times;  // transition instants, strictly ascending
  std::vector<uint8_t> type_of;    // type index per transition
  std::vector<Type> types;
  int initial_offset = 0;         // before the first transition
  std::optional<PosixRule> rule;  // from the last transition on (or always)

  int OffsetAt(UnixSeconds t) const {
    t = Clamp(t);
    if (times.empty() || t < times.front()) {
      if (times.empty() && rule) return RuleOffsetAt(*rule, t);
      return initial_offset;
    }
    if (rule && t >= times.back()) return RuleOffsetAt(*rule, t);
    auto it = std::upper_bound(times.begin(), times.end(), t);
    std::size_t i = static_cast<std::size_t>(std::distance(times.begin(), it)) - 1;
    return types[type_of[i]].utoff;
  }
};

namespace {

using Data = TimeZone::Data;

// Big-endian reader over the file's bytes; every read is bounds-checked by
// the caller through Remaining().
class ByteReader {
 public:
  explicit ByteReader(const std::string& bytes) : bytes_(bytes) {}
  std::size_t Remaining() const { return bytes_.size() - pos_; }
  std::size_t pos() const { return pos_; }
  uint8_t U8() { return static_cast<uint8_t>(bytes_[pos_++]); }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  int64_t I32() { return static_cast<int32_t>(U32()); }
  int64_t I64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | U8();
    return static_cast<int64_t>(v);
  }
  std::string_view View(std::size_t n) const { return std::string_view(bytes_).substr(pos_, n); }
  void Skip(std::size_t n) { pos_ += n; }

 private:
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  uint64_t BlockSize(uint64_t time_size) const {
    return uint64_t{timecnt} * time_size + timecnt + uint64_t{typecnt} * 6 + charcnt +
           uint64_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

Status Bad(const std::string& message) { return Status::Invalid(message); }

Result<Header> ReadHeader(ByteReader& in, const char* which) {
  // Compare what there is of the magic first: a short text file is "not
  // TZif" rather than "truncated".
  std::string_view magic = in.View(4);
  if (magic != std::string_view("TZif").substr(0, magic.size())) {
    return Bad(std::string("not a TZif file (bad magic in the ") + which + " header)");
  }
  if (in.Remaining() < 44) {
    return Bad(std::string("truncated: no room for the ") + which + " 44-byte header");
  }
  in.Skip(4);
  Header h;
  h.version = static_cast<char>(in.U8());
  if (h.version != '\0' && h.version < '2') {
    return Bad("unknown TZif version byte " + std::to_string(static_cast<int>(h.version)));
  }
  in.Skip(15);
  h.isutcnt = in.U32();
  h.isstdcnt = in.U32();
  h.leapcnt = in.U32();
  h.timecnt = in.U32();
  h.typecnt = in.U32();
  h.charcnt = in.U32();
  return h;
}

Status CheckBlockFits(const ByteReader& in, const Header& h, uint64_t time_size,
                      const char* which) {
  uint64_t need = h.BlockSize(time_size);
  if (need > in.Remaining()) {
    return Bad(std::string("truncated: the ") + which + " header announces " +
               std::to_string(need) + " bytes of data but only " + std::to_string(in.Remaining()) +
               " remain");
  }
  return Status::Ok();
}

// Reads one data block into `data` (transitions and types only).
Status ReadBlock(ByteReader& in, const Header& h, int time_size, Data& data) {
  if (h.typecnt == 0) return Bad("no local time types (typecnt is 0)");
  if (h.typecnt > 256) return Bad("more than 256 local time types");
  if (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) return Bad("isstdcnt is neither 0 nor typecnt");
  if (h.isutcnt != 0 && h.isutcnt != h.typecnt) return Bad("isutcnt is neither 0 nor typecnt");
  if (h.leapcnt != 0) {
    return Bad(
        "leap-second TZif files (right/...) are not supported; use the zone without "
        "the right/ prefix");
  }
  data.times.resize(h.timecnt);
  for (uint32_t i = 0; i < h.timecnt; ++i) {
    data.times[i] = time_size == 8 ? in.I64() : in.I32();
    if (i > 0 && data.times[i] <= data.times[i - 1]) {
      return Bad("transition times are not strictly ascending (entry " + std::to_string(i) + ")");
    }
  }
  data.type_of.resize(h.timecnt);
  for (uint32_t i = 0; i < h.timecnt; ++i) {
    data.type_of[i] = in.U8();
    if (data.type_of[i] >= h.typecnt) {
      return Bad("transition " + std::to_string(i) + " uses local time type " +
                 std::to_string(data.type_of[i]) + " of only " + std::to_string(h.typecnt));
    }
  }
  data.types.resize(h.typecnt);
  for (uint32_t i = 0; i < h.typecnt; ++i) {
    int64_t utoff = in.I32();
    uint8_t isdst = in.U8();
    uint8_t desigidx = in.U8();
    if (utoff <= -kMaxOffset || utoff >= kMaxOffset) {
      return Bad("local time type " + std::to_string(i) + " has UTC offset " +
                 std::to_string(utoff) + " s, outside +-26 hours");
    }
    if (isdst > 1) return Bad("local time type " + std::to_string(i) + " has isdst > 1");
    if (desigidx >= h.charcnt) {
      return Bad("local time type " + std::to_string(i) + " has an abbreviation index past " +
                 "the abbreviation bytes");
    }
    data.types[i] = Data::Type{static_cast<int>(utoff), isdst == 1};
  }
  // Abbreviations, standard/wall and UT/local indicators are not needed.
  in.Skip(uint64_t{h.charcnt} + h.isstdcnt + h.isutcnt);
  return Status::Ok();
}

Result<std::shared_ptr<const Data>> ParseTzif(const std::string& bytes, const std::string& name) {
  auto data = std::make_shared<Data>();
  data->name = name;
  ByteReader in(bytes);
  CTL_ASSIGN_OR_RETURN(Header v1, ReadHeader(in, "first"));
  CTL_RETURN_IF_ERROR(CheckBlockFits(in, v1, 4, "first"));
  if (v1.version == '\0') {
    CTL_RETURN_IF_ERROR(ReadBlock(in, v1, 4, *data));
  } else {
    // Version 2+: skip the 32-bit block, use the 64-bit one and the footer.
    in.Skip(v1.BlockSize(4));
    CTL_ASSIGN_OR_RETURN(Header v2, ReadHeader(in, "second"));
    CTL_RETURN_IF_ERROR(CheckBlockFits(in, v2, 8, "second"));
    CTL_RETURN_IF_ERROR(ReadBlock(in, v2, 8, *data));
    if (in.Remaining() == 0 || in.U8() != '\n') return Bad("missing footer after the data");
    std::string_view rest = in.View(in.Remaining());
    std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return Bad("footer is not terminated by a newline");
    std::string_view footer = rest.substr(0, nl);
    if (!footer.empty()) {
      Result<PosixRule> rule = PosixParser(footer).Parse();
      if (!rule.ok()) {
        return Bad("bad footer TZ string '" + std::string(footer) +
                   "': " + rule.status().message());
      }
      data->rule = *rule;
    }
  }
  data->initial_offset = data->types[0].utoff;
  for (const Data::Type& type : data->types) {
    if (!type.isdst) {
      data->initial_offset = type.utoff;
      break;
    }
  }
  return std::shared_ptr<const Data>(std::move(data));
}

Status UnknownZone(const std::string& name) {
  return Status::Invalid("unknown time zone '" + name +
                         "'; use an IANA name such as Europe/Berlin");
}

bool AcceptableName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// One stretch of constant offset: instants [start, end).
struct Segment {
  UnixSeconds start;
  UnixSeconds end;
  int offset;
};

// The stretches of constant offset covering every instant whose local time
// can be `local_seconds` (any offset is within +-26 h).
std::vector<Segment> SegmentsAround(const TimeZone& tz, int64_t local_seconds) {
  UnixSeconds from = local_seconds - kLocalWindow;
  UnixSeconds to = local_seconds + kLocalWindow;
  std::vector<Segment> segments;
  UnixSeconds start = from;
  int offset = tz.OffsetAt(from);
  for (const OffsetTransition& tr : tz.TransitionsBetween(from, to)) {
    segments.push_back({start, tr.at, offset});
    start = tr.at;
    offset = tr.offset_after;
  }
  segments.push_back({start, to + 1, offset});
  return segments;
}

}  // namespace

// ---------------------------------------------------------------------------
// TimeZone.

Result<TimeZone> TimeZone::Load(const std::string& name) {
  if (name == "UTC") {
    std::error_code ec;
    if (!std::filesystem::exists(std::string(kDefaultZoneinfoDir) + "/UTC", ec)) return Utc();
  }
  return LoadFrom(name, kDefaultZoneinfoDir);
}

Result<TimeZone> TimeZone::LoadFrom(const std::string& name, const std::string& zoneinfo_dir) {
  if (!AcceptableName(name)) return UnknownZone(name);
  std::string path = zoneinfo_dir + "/" + name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return UnknownZone(name);
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  std::string context = "time zone '" + name + "': " + path;
  if (ec) return Status::Io(context + ": " + ec.message());
  if (size > kMaxFileSize) return Status::Invalid(context + ": too large for a TZif file");
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::Io(context + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad() || bytes.size() > kMaxFileSize) return Status::Io(context + ": read failed");
  Result<std::shared_ptr<const Data>> data = ParseTzif(bytes, name);
  if (!data.ok()) return data.status().WithContext(context);
  return TimeZone(std::move(data).value());
}

TimeZone TimeZone::Utc() {
  static const std::shared_ptr<const Data> kUtc = [] {
    auto data = std::make_shared<Data>();
    data->name = "UTC";
    data->types.push_back(Data::Type{0, false});
    return std::shared_ptr<const Data>(std::move(data));
  }();
  return TimeZone(kUtc);
}

const std::string& TimeZone::name() const { return data_->name; }

int TimeZone::OffsetAt(UnixSeconds t) const { return data_->OffsetAt(t); }

CivilTime TimeZone::ToLocal(UnixSeconds t) const {
  t = Clamp(t);
  return CivilFromUnix(t + OffsetAt(t));
}

std::vector<OffsetTransition> TimeZone::TransitionsBetween(UnixSeconds from, UnixSeconds to) const {
  from = Clamp(from);
  to = Clamp(to);
  std::vector<OffsetTransition> out;
  if (from >= to) return out;
  const Data& d = *data_;
  std::vector<UnixSeconds> candidates(std::upper_bound(d.times.begin(), d.times.end(), from),
                                      std::upper_bound(d.times.begin(), d.times.end(), to));
  if (d.rule && d.rule->has_dst) {
    // The rule governs from the last transition on.
    UnixSeconds lo = d.times.empty() ? from : std::max(from, d.times.back());
    if (lo < to) {
      int64_t first_year = CivilFromUnix(lo).year - 2;
      int64_t last_year = CivilFromUnix(to).year + 1;
      for (const RuleTransition& tr : RuleTransitions(*d.rule, first_year, last_year)) {
        if (tr.at > lo && tr.at <= to) candidates.push_back(tr.at);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  int previous = d.OffsetAt(from);
  for (UnixSeconds at : candidates) {
    int offset = d.OffsetAt(at);
    if (offset != previous) out.push_back({at, previous, offset});
    previous = offset;
  }
  return out;
}

std::vector<UnixSeconds> TimeZone::FromLocal(const CivilTime& local) const {
  int64_t l = SecondsFromCivil(local);
  std::vector<UnixSeconds> out;
  for (const Segment& s : SegmentsAround(*this, l)) {
    if (s.start + s.offset <= l && l < s.end + s.offset) out.push_back(l - s.offset);
  }
  return out;
}

UnixSeconds TimeZone::EarliestAtOrAfter(const CivilTime& local) const {
  int64_t l = SecondsFromCivil(local);
  std::vector<Segment> segments = SegmentsAround(*this, l);
  for (const Segment& s : segments) {
    // The whole stretch is later on the wall clock: its first instant (only
    // possible after a gap; the window starts well before l).
    if (l < s.start + s.offset) return s.start;
    if (l < s.end + s.offset) return l - s.offset;
  }
  return segments.back().end;  // unreachable: offsets are within the window
}

// ---------------------------------------------------------------------------
// Civil calendar (proleptic Gregorian, days counted from 1970-01-01).

int64_t DaysFromCivil(int y, int m, int d) {
  int64_t year = int64_t{y} + FloorDiv(int64_t{m} - 1, 12);
  int64_t month = FloorMod(int64_t{m} - 1, 12) + 1;
  // Count years from March so that the leap day ends the year.
  if (month <= 2) --year;
  int64_t era = FloorDiv(year, 400);
  int64_t year_of_era = year - era * 400;                            // 0..399
  int64_t day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + d - 1;  // from March 1
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;  // 719468: 0000-03-01 to 1970-01-01
}

int WeekdayFromDays(int64_t days) { return static_cast<int>(FloorMod(days + 4, 7)); }

CivilTime CivilFromDays(int64_t days) {
  int64_t z = days + 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t day_of_era = z - era * 146097;  // 0..146096
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t mp = (5 * day_of_year + 2) / 153;  // 0 = March
  CivilTime c;
  c.day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(year_of_era + era * 400 + (c.month <= 2 ? 1 : 0));
  c.weekday = WeekdayFromDays(days);
  return c;
}

CivilTime CivilFromUnix(UnixSeconds t) {
  t = Clamp(t);
  int64_t days = FloorDiv(t, kSecondsPerDay);
  int64_t secs = t - days * kSecondsPerDay;
  CivilTime c = CivilFromDays(days);
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs / 60 % 60);
  c.second = static_cast<int>(secs % 60);
  return c;
}

int64_t SecondsFromCivil(const CivilTime& c) {
  return DaysFromCivil(c.year, c.month, c.day) * kSecondsPerDay + int64_t{c.hour} * 3600 +
         int64_t{c.minute} * 60 + c.second;
}

Result<CivilTime> ParseCivil(const std::string& text) {
  auto bad = [&text](const std::string& why) {
    return Status::Invalid("invalid date/time '" + text + "': " + why +
                           " (expected YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS])");
  };
  // Positions of digits in "YYYY-MM-DD HH:MM:SS".
  auto digits = [&text](std::size_t at, std::size_t n, int& out) {
    if (at + n > text.size()) return false;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    out = v;
    return true;
  };
  CivilTime c;
  if (!(text.size() == 10 || text.size() == 16 || text.size() == 19)) {
    return bad("wrong length");
  }
  if (!digits(0, 4, c.year) || text[4] != '-' || !digits(5, 2, c.month) || text[7] != '-' ||
      !digits(8, 2, c.day)) {
    return bad("malformed date");
  }
  if (text.size() > 10) {
    if ((text[10] != ' ' && text[10] != 'T') || !digits(11, 2, c.hour) || text[13] != ':' ||
        !digits(14, 2, c.minute)) {
      return bad("malformed time");
    }
    if (text.size() == 19 && (text[16] != ':' || !digits(17, 2, c.second))) {
      return bad("malformed seconds");
    }
  }
  if (c.month < 1 || c.month > 12) return bad("month out of range");
  if (c.day < 1 || c.day > DaysInMonth(c.year, c.month)) return bad("day out of range");
  if (c.hour > 23 || c.minute > 59 || c.second > 59) return bad("time out of range");
  c.weekday = WeekdayFromDays(DaysFromCivil(c.year, c.month, c.day));
  return c;
}

namespace {

void AppendPadded(std::string& out, int64_t v, int width) {
  if (v < 0) {
    out += '-';
    v = -v;
  }
  std::string digits = std::to_string(v);
  if (digits.size() < static_cast<std::size_t>(width)) {
    out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  }
  out += digits;
}

}  // namespace

std::string FormatDate(const CivilTime& c) {
  std::string out;
  AppendPadded(out, c.year, 4);
  out += '-';
  AppendPadded(out, c.month, 2);
  out += '-';
  AppendPadded(out, c.day, 2);
  return out;
}

std::string FormatDateTime(const CivilTime& c) {
  std::string out = FormatDate(c);
  out += ' ';
  AppendPadded(out, c.hour, 2);
  out += ':';
  AppendPadded(out, c.minute, 2);
  out += ':';
  AppendPadded(out, c.second, 2);
  return out;
}

}  // namespace ctlflow

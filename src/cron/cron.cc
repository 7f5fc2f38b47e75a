#include "cron/cron.h"

#include <array>
#include <bitset>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

namespace ctlflow {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

// Widest column is minutes (60 values); one scratch set fits every column.
using Bits = std::bitset<64>;

struct Column {
  const char* name;
  int min;
  int max;
  int max_step;  // a larger step can only ever hit the first value
  const std::string_view* names;  // nullptr when the column has no names
  int names_count;
  int first_name_value;
  const char* names_hint;  // completes "is not a number or a ..."
};

constexpr Column kMinutes{"minutes", 0, 59, 60, nullptr, 0, 0, nullptr};
constexpr Column kHours{"hours", 0, 23, 24, nullptr, 0, 0, nullptr};
constexpr Column kDayMonth{"day_month", 1, 31, 31, nullptr, 0, 0, nullptr};
constexpr Column kMonths{"months", 1, 12, 12, kMonthNames.data(), kMonthNames.size(), 1,
                         "month name (JAN..DEC)"};
// 0-7 rather than 0-6 because crontab(5) allows 7 for Sunday; the caller folds
// bit 7 into bit 0.
constexpr Column kDayWeek{"day_week", 0, 7, 7, kDayNames.data(), kDayNames.size(), 0,
                          "day name (SUN..SAT)"};

Status ColumnError(const Column& col, const std::string& message) {
  return Status::Invalid(std::string("column ") + col.name + ": " + message);
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Digits only; more than 9 digits saturates so that huge inputs report as
// out of range instead of overflowing int.
int ParseDigits(std::string_view s) {
  if (s.size() > 9) return 1'000'000'000;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// One value of a range: a number in the column's range or a name.
Result<int> ParseValue(const Column& col, std::string_view token) {
  if (AllDigits(token)) {
    int v = ParseDigits(token);
    if (v < col.min || v > col.max) {
      return ColumnError(col, Quote(token) + " is out of range " + std::to_string(col.min) +
                                  "-" + std::to_string(col.max));
    }
    return v;
  }
  if (col.names != nullptr) {
    for (int i = 0; i < col.names_count; ++i) {
      if (EqualsIgnoreCase(token, col.names[i])) return col.first_name_value + i;
    }
    return ColumnError(col, Quote(token) + " is not a number or a " + col.names_hint);
  }
  return ColumnError(col, Quote(token) + " is not a number");
}

Status Malformed(const Column& col, std::string_view item) {
  return ColumnError(col, Quote(item) +
                              " is not a valid entry; expected *, N, N-M or a step "
                              "(*/S, N/S, N-M/S)");
}

// One comma-separated item: "*", N, N-M, each optionally followed by "/S".
Status ParseItem(const Column& col, std::string_view item, Bits& bits) {
  std::string_view base = item;
  int step = 1;
  bool has_step = false;
  if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    std::string_view step_text = item.substr(slash + 1);
    if (base.empty() || step_text.find('/') != std::string_view::npos) {
      return Malformed(col, item);
    }
    if (!AllDigits(step_text)) {
      return ColumnError(col, "step " + Quote(item) + " must be a number");
    }
    step = ParseDigits(step_text);
    if (step < 1) return ColumnError(col, "step " + Quote(item) + " must be at least 1");
    if (step > col.max_step) {
      return ColumnError(col, "step " + Quote(item) + " must be at most " +
                                  std::to_string(col.max_step));
    }
    has_step = true;
  }

  int lo = col.min;
  int hi = col.max;
  if (base == "*") {
    // Whole column; lo/hi already set.
  } else if (std::size_t dash = base.find('-'); dash != std::string_view::npos) {
    std::string_view lo_text = base.substr(0, dash);
    std::string_view hi_text = base.substr(dash + 1);
    if (lo_text.empty() || hi_text.empty() || hi_text.find('-') != std::string_view::npos) {
      return Malformed(col, item);
    }
    CTL_ASSIGN_OR_RETURN(lo, ParseValue(col, lo_text));
    CTL_ASSIGN_OR_RETURN(hi, ParseValue(col, hi_text));
    // "MON-SUN" is how people write "weekdays and the weekend"; SUN is 0, so
    // without this it would be a reversed range.
    if (col.names == kDayNames.data() && hi == 0 && lo > 0 &&
        EqualsIgnoreCase(hi_text, "SUN")) {
      hi = 7;
    }
    if (lo > hi) {
      return ColumnError(col, "range " + Quote(base) +
                                  " is reversed; write the smaller value first, or split "
                                  "a wrap-around into a list such as '22-23,0-1'");
    }
  } else {
    CTL_ASSIGN_OR_RETURN(lo, ParseValue(col, base));
    // crontab(5): "N/S" means N through the column's maximum, every S.
    hi = has_step ? col.max : lo;
  }

  for (int v = lo; v <= hi; v += step) bits.set(static_cast<std::size_t>(v));
  return Status::Ok();
}

// Parses one column; `restricted` reports Vixie's "does not start with '*'".
Result<Bits> ParseColumn(const Column& col, std::string_view raw, bool& restricted) {
  std::string_view text = Trim(raw);
  if (text.empty()) return ColumnError(col, "empty field; use '*' for every value");
  for (char c : text) {
    if (IsSpace(c)) {
      return ColumnError(col, Quote(text) +
                                  " contains whitespace; separate list items with ',' only");
    }
  }
  // Vixie cron looks only at the first character: "*/2" counts as
  // unrestricted for the day-of-month/day-of-week OR rule.
  restricted = text.front() != '*';

  Bits bits;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
    if (item.empty()) {
      return ColumnError(col, Quote(text) + " has an empty list item (stray ',')");
    }
    CTL_RETURN_IF_ERROR(ParseItem(col, item, bits));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

template <std::size_t N>
std::bitset<N> Narrow(const Bits& bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

}  // namespace

bool CronSpec::MatchesDay(int month, int day_of_month, int weekday) const {
  if (month < 1 || month > 12 || day_of_month < 1 || day_of_month > 31 || weekday < 0 ||
      weekday > 7) {
    return false;
  }
  if (!months[static_cast<std::size_t>(month)]) return false;
  bool dom = days_of_month[static_cast<std::size_t>(day_of_month)];
  bool dow = days_of_week[static_cast<std::size_t>(weekday % 7)];
  if (dom_restricted && dow_restricted) return dom || dow;
  return dom && dow;
}

bool CronSpec::Matches(int month, int day_of_month, int weekday, int hour, int minute) const {
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  return minutes[static_cast<std::size_t>(minute)] && hours[static_cast<std::size_t>(hour)] &&
         MatchesDay(month, day_of_month, weekday);
}

Result<CronSpec> ParseCron(const CronFields& fields) {
  CronSpec spec;
  bool ignored = false;
  CTL_ASSIGN_OR_RETURN(Bits minutes, ParseColumn(kMinutes, fields.minutes, ignored));
  CTL_ASSIGN_OR_RETURN(Bits hours, ParseColumn(kHours, fields.hours, ignored));
  CTL_ASSIGN_OR_RETURN(Bits dom,
                       ParseColumn(kDayMonth, fields.day_month, spec.dom_restricted));
  CTL_ASSIGN_OR_RETURN(Bits months, ParseColumn(kMonths, fields.months, ignored));
  std::string_view day_week = Trim(fields.day_week);
  CTL_ASSIGN_OR_RETURN(
      Bits dow, ParseColumn(kDayWeek, day_week.empty() ? "*" : day_week, spec.dow_restricted));

  spec.minutes = Narrow<60>(minutes);
  spec.hours = Narrow<24>(hours);
  spec.days_of_month = Narrow<32>(dom);
  spec.months = Narrow<13>(months);
  if (dow[7]) dow.set(0);
  spec.days_of_week = Narrow<7>(dow);
  return spec;
}

}  // namespace ctlflow

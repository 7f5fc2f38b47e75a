#include "cron/describe.h"

#include <cctype>
#include <cstdio>

namespace ctlflow {

namespace {

bool IsNumber(const std::string& s) {
  if (s.empty() || s.size() > 2) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool IsAny(const std::string& s) { return s.empty() || s == "*"; }

std::string TwoDigits(const std::string& s) { return s.size() == 1 ? "0" + s : s; }

std::string DayOfWeekWords(const std::string& dow) {
  static const char* kNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  std::string out;
  for (char c : dow) {
    if (std::isdigit(static_cast<unsigned char>(c)) && c <= '7') out += kNames[c - '0'];
    else if (c == ',') out += ", ";
    else out += c;
  }
  return out;
}

}  // namespace

std::string DescribeCron(const CronFields& f) {
  const std::string raw = "cron " + f.minutes + " " + f.hours + " " + f.day_month + " " + f.months + " " +
                          (f.day_week.empty() ? "*" : f.day_week);
  if (!ParseCron(f).ok()) return raw;
  std::string when;
  if (IsAny(f.minutes) && IsAny(f.hours)) {
    when = "every minute";
  } else if (IsNumber(f.minutes) && IsAny(f.hours)) {
    when = "every hour at :" + TwoDigits(f.minutes);
  } else if (IsNumber(f.minutes) && IsNumber(f.hours)) {
    when = "at " + TwoDigits(f.hours) + ":" + TwoDigits(f.minutes);
  } else if (f.minutes.rfind("*/", 0) == 0 && IsAny(f.hours) && IsNumber(f.minutes.substr(2))) {
    when = "every " + f.minutes.substr(2) + " minutes";
  } else if (IsNumber(f.minutes) && f.hours.rfind("*/", 0) == 0 && IsNumber(f.hours.substr(2))) {
    when = "every " + f.hours.substr(2) + " hours at :" + TwoDigits(f.minutes);
  } else {
    return raw;
  }
  bool any_dom = IsAny(f.day_month), any_mon = IsAny(f.months), any_dow = IsAny(f.day_week);
  if (any_dom && any_mon && any_dow) {
    return when.rfind("at ", 0) == 0 ? "every day " + when : when;
  }
  if (any_dom && any_mon) return when + " on " + DayOfWeekWords(f.day_week);
  if (IsNumber(f.day_month) && any_mon && any_dow) return when + " on day " + f.day_month + " of every month";
  return raw;
}

}  // namespace ctlflow

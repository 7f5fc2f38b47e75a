#include "processes/ingest_schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "common/strings.h"

namespace ctlflow {

namespace {

Result<Value> ParseInteger(const std::string& raw, int64_t lo, int64_t hi, const char* what) {
  const std::string_view t = TrimView(raw);
  const char* begin = t.data();
  if (!t.empty() && t[0] == '+') ++begin;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    if (ec == std::errc::result_out_of_range) return Status::Invalid("'" + raw + "' is out of range for " + what);
    return Status::Invalid("'" + raw + "' is not " + (what[0] == 'i' ? "an " : "a ") + what);
  }
  if (v < lo || v > hi) return Status::Invalid("'" + raw + "' is out of range for " + what);
  return Value(v);
}

Result<Value> ParseDouble(const std::string& raw) {
  const std::string_view view = TrimView(raw);
  if (view.empty()) return Status::Invalid("'' is not a double");
  // from_chars is exact and fast; what it does not take (a leading '+',
  // hex floats) goes through strtod as before.
  double v = 0;
  auto [ptr, ec] = std::from_chars(view.data(), view.data() + view.size(), v);
  if (ec == std::errc() && ptr == view.data() + view.size()) return Value(v);
  const std::string t(view);
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return Status::Invalid("'" + raw + "' is not a double");
  return Value(v);
}

// Digits at text[at, at + n) as a number, or -1.
int FixedDigits(std::string_view text, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// The default formats, YYYY-MM-DD[ HH:MM:SS], checked by hand: most raw
// files use them, and strptime + strftime per field is the slowest part of
// an ingest. The text is already what the slow path would print. Anything
// unusual (other widths, leap seconds, years before 1000) takes the slow path.
bool IsCanonicalDateTime(std::string_view t, bool with_time) {
  if (t.size() != (with_time ? 19u : 10u) || t[4] != '-' || t[7] != '-') return false;
  const int year = FixedDigits(t, 0, 4), month = FixedDigits(t, 5, 2), day = FixedDigits(t, 8, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  if (!with_time) return true;
  if (t[10] != ' ' || t[13] != ':' || t[16] != ':') return false;
  const int hour = FixedDigits(t, 11, 2), minute = FixedDigits(t, 14, 2), second = FixedDigits(t, 17, 2);
  return hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60;
}

Result<Value> ParseDateTime(const IngestColumn& c, const std::string& raw, bool with_time) {
  const std::string_view view = TrimView(raw);
  if (c.format == (with_time ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d") && IsCanonicalDateTime(view, with_time)) {
    return Value(std::string(view));
  }
  std::string t(view);
  std::tm tm{};
  tm.tm_mday = 1;
  const char* end = strptime(t.c_str(), c.format.c_str(), &tm);
  if (!end || *end != '\0') {
    return Status::Invalid("'" + raw + "' does not match the " + (with_time ? "timestamp" : "date") +
                           " format " + c.format);
  }
  std::tm check = tm;
  check.tm_isdst = 0;
  time_t secs = timegm(&check);
  std::tm back{};
  gmtime_r(&secs, &back);
  if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday ||
      back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min) {
    return Status::Invalid("'" + raw + "' is not a valid " + (with_time ? "timestamp" : "date"));
  }
  char buf[32];
  std::strftime(buf, sizeof buf, with_time ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d", &tm);
  return Value(std::string(buf));
}

}  // namespace

WarehouseType IngestColumn::StorageType() const {
  using Kind = WarehouseType::Kind;
  switch (type) {
    case IngestType::kInt: return {Kind::kInteger};
    case IngestType::kBigint: return {Kind::kBigint};
    case IngestType::kBoolean: return {Kind::kBoolean};
    case IngestType::kDouble: return {Kind::kDouble};
    case IngestType::kDecimal: return {Kind::kDecimal, precision, scale};
    case IngestType::kDate: return {Kind::kDate};
    case IngestType::kTimestamp: return {Kind::kTimestamp};
    case IngestType::kString: return {Kind::kText};
  }
  return {Kind::kText};
}

Result<IngestSchema> ParseIngestSchema(const std::string& json_text, const std::string& source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    return Status::Invalid(source + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("columns") || !doc["columns"].is_array() ||
      doc["columns"].empty()) {
    return Status::Invalid(source + ": expected {\"columns\": [{\"name\": ..., \"type\": ...}, ...]}");
  }
  static const std::regex kDecimal(R"(decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\))");
  IngestSchema schema;
  int index = 0;
  for (const auto& col : doc["columns"]) {
    ++index;
    std::string where = source + ": column " + std::to_string(index);
    if (!col.is_object() || !col.contains("name") || !col["name"].is_string() ||
        col["name"].get<std::string>().empty()) {
      return Status::Invalid(where + ": needs a non-empty string \"name\"");
    }
    IngestColumn c;
    c.name = col["name"].get<std::string>();
    where += " (" + c.name + ")";
    if (c.name.find('"') != std::string::npos) return Status::Invalid(where + ": the name may not contain '\"'");
    for (const auto& other : schema.columns) {
      if (Lower(other.name) == Lower(c.name)) return Status::Invalid(where + ": duplicate column name");
    }
    if (!col.contains("type") || !col["type"].is_string()) {
      return Status::Invalid(where + ": needs a string \"type\"");
    }
    c.type_text = Lower(Trim(col["type"].get<std::string>()));
    std::smatch m;
    if (c.type_text == "string") c.type = IngestType::kString;
    else if (c.type_text == "int") c.type = IngestType::kInt;
    else if (c.type_text == "bigint") c.type = IngestType::kBigint;
    else if (c.type_text == "double") c.type = IngestType::kDouble;
    else if (c.type_text == "boolean") c.type = IngestType::kBoolean;
    else if (c.type_text == "date") c.type = IngestType::kDate;
    else if (c.type_text == "timestamp") c.type = IngestType::kTimestamp;
    else if (std::regex_match(c.type_text, m, kDecimal)) {
      c.type = IngestType::kDecimal;
      c.precision = std::stoi(m[1].str());
      c.scale = std::stoi(m[2].str());
      if (c.precision < 1 || c.precision > 38 || c.scale > c.precision) {
        return Status::Invalid(where + ": decimal(p,s) needs 1 <= p <= 38 and s <= p, got " + c.type_text);
      }
    } else {
      return Status::Invalid(where + ": unknown type '" + col["type"].get<std::string>() +
                             "'; use string, int, bigint, double, decimal(p,s), boolean, date or timestamp");
    }
    if (col.contains("nullable")) {
      if (!col["nullable"].is_boolean()) return Status::Invalid(where + ": \"nullable\" must be true or false");
      c.nullable = col["nullable"].get<bool>();
    }
    if (c.type == IngestType::kDate) c.format = "%Y-%m-%d";
    if (c.type == IngestType::kTimestamp) c.format = "%Y-%m-%d %H:%M:%S";
    if (col.contains("format") && !col["format"].is_null()) {
      if (!col["format"].is_string()) return Status::Invalid(where + ": \"format\" must be a string");
      c.format = col["format"].get<std::string>();
    }
    schema.columns.push_back(std::move(c));
  }
  return schema;
}

Result<IngestSchema> ReadIngestSchema(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read the schema file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIngestSchema(text.str(), path);
}

Result<Value> ConvertField(const IngestColumn& c, const std::string& text) {
  switch (c.type) {
    case IngestType::kString:
      return Value(text);
    case IngestType::kInt:
      return ParseInteger(text, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), "int");
    case IngestType::kBigint:
      return ParseInteger(text, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), "bigint");
    case IngestType::kDouble:
      return ParseDouble(text);
    case IngestType::kDecimal: {
      // [+-]digits[.digits], at least one digit; hand-parsed, since this
      // runs for every field of every row.
      const std::string_view t = TrimView(text);
      size_t i = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
      size_t whole_begin = i;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
      size_t whole_end = i, frac_digits = 0;
      if (i < t.size() && t[i] == '.') {
        ++i;
        size_t frac_begin = i;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
        frac_digits = i - frac_begin;
      }
      if (i != t.size() || (whole_end == whole_begin && frac_digits == 0)) {
        return Status::Invalid("'" + text + "' is not a " + c.type_text);
      }
      while (whole_begin < whole_end && t[whole_begin] == '0') ++whole_begin;
      if (static_cast<int>(whole_end - whole_begin) > c.precision - c.scale ||
          static_cast<int>(frac_digits) > c.scale) {
        return Status::Invalid("'" + text + "' does not fit " + c.type_text);
      }
      if (whole_end - whole_begin + frac_digits <= 15) {
        // Up to 15 digits: the digits as an integer and one division by an
        // exact power of ten round correctly, as strtod would.
        static const double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        int64_t digits = 0;
        for (size_t k = whole_begin; k < whole_end; ++k) digits = digits * 10 + (t[k] - '0');
        for (size_t k = whole_end + 1; k < whole_end + 1 + frac_digits; ++k) digits = digits * 10 + (t[k] - '0');
        const double v = static_cast<double>(digits) / kPow10[frac_digits];
        return Value(t[0] == '-' ? -v : v);
      }
      // Checked above: [+-]digits[.digits]; from_chars takes no '+'.
      double v = 0;
      const size_t skip = t[0] == '+' ? 1 : 0;
      std::from_chars(t.data() + skip, t.data() + t.size(), v);
      return Value(v);
    }
    case IngestType::kBoolean: {
      std::string t = Lower(Trim(text));
      if (t == "true" || t == "1" || t == "yes") return Value(int64_t{1});
      if (t == "false" || t == "0" || t == "no") return Value(int64_t{0});
      return Status::Invalid("'" + text + "' is not a boolean (true/false/1/0/yes/no)");
    }
    case IngestType::kDate:
      return ParseDateTime(c, text, false);
    case IngestType::kTimestamp:
      return ParseDateTime(c, text, true);
  }
  return Status::Internal("unknown column type");
}

std::string Latin1ToUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    if (ch < 0x80) {
      out += static_cast<char>(ch);
    } else {
      out += static_cast<char>(0xC0 | (ch >> 6));
      out += static_cast<char>(0x80 | (ch & 0x3F));
    }
  }
  return out;
}

}  // namespace ctlflow

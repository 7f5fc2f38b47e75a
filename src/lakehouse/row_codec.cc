#include "lakehouse/row_codec.h"

#include <cmath>
#include <cstdio>

#include "common/civil_date.h"

namespace ctlflow {

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Reads exactly `n` digits at text[*pos].
bool Digits(const std::string& text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool DatePart(const std::string& text, size_t* pos, int64_t* days) {
  int y, m, d;
  if (!Digits(text, pos, 4, &y) || *pos >= text.size() || text[(*pos)++] != '-' || !Digits(text, pos, 2, &m) ||
      *pos >= text.size() || text[(*pos)++] != '-' || !Digits(text, pos, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  int64_t yy;
  unsigned mm, dd;
  CivilFromDays(*days, &yy, &mm, &dd);
  return static_cast<int>(mm) == m && static_cast<int>(dd) == d;  // no 31 February
}

}  // namespace

ParquetType ParquetTypeFor(WarehouseType::Kind kind) {
  switch (kind) {
    case WarehouseType::Kind::kText: return ParquetType::kString;
    case WarehouseType::Kind::kInteger: return ParquetType::kInt32;
    case WarehouseType::Kind::kBigint: return ParquetType::kInt64;
    case WarehouseType::Kind::kDouble: return ParquetType::kDouble;
    case WarehouseType::Kind::kDecimal: return ParquetType::kDecimal;
    case WarehouseType::Kind::kBoolean: return ParquetType::kBoolean;
    case WarehouseType::Kind::kDate: return ParquetType::kDate;
    case WarehouseType::Kind::kTimestamp: return ParquetType::kTimestamp;
  }
  return ParquetType::kString;
}

WarehouseType WarehouseTypeFor(const ParquetColumn& c) {
  using K = WarehouseType::Kind;
  switch (c.type) {
    case ParquetType::kInt32: return {K::kInteger};
    case ParquetType::kInt64: return {K::kBigint};
    case ParquetType::kDouble: return {K::kDouble};
    case ParquetType::kBoolean: return {K::kBoolean};
    case ParquetType::kString: return {K::kText};
    case ParquetType::kDate: return {K::kDate};
    case ParquetType::kTimestamp: return {K::kTimestamp};
    case ParquetType::kDecimal: return {K::kDecimal, c.precision, c.scale};
  }
  return {K::kText};
}

Result<int64_t> ParseIsoDate(const std::string& text) {
  size_t pos = 0;
  int64_t days = 0;
  if (!DatePart(text, &pos, &days) || pos != text.size()) {
    return Status::Invalid("'" + text + "' is not a date (YYYY-MM-DD)");
  }
  return days;
}

Result<int64_t> ParseIsoTimestamp(const std::string& text) {
  auto bad = [&] { return Status::Invalid("'" + text + "' is not a timestamp (YYYY-MM-DD HH:MM:SS)"); };
  size_t pos = 0;
  int64_t days = 0;
  if (!DatePart(text, &pos, &days)) return bad();
  int64_t micros = days * 86400LL * 1000000LL;
  if (pos == text.size()) return micros;
  if (text[pos] != ' ' && text[pos] != 'T') return bad();
  ++pos;
  int h, mi, s;
  if (!Digits(text, &pos, 2, &h) || pos >= text.size() || text[pos++] != ':' || !Digits(text, &pos, 2, &mi) ||
      pos >= text.size() || text[pos++] != ':' || !Digits(text, &pos, 2, &s) || h > 23 || mi > 59 || s > 60) {
    return bad();
  }
  micros += (h * 3600LL + mi * 60LL + s) * 1000000LL;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t frac = 0;
    int n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 6) frac = frac * 10 + (text[pos] - '0'), ++n;
      ++pos;
    }
    if (n == 0) return bad();
    while (n++ < 6) frac *= 10;
    micros += frac;
  }
  if (pos < text.size() && (text.compare(pos, std::string::npos, "Z") == 0 ||
                            text.compare(pos, std::string::npos, "+00:00") == 0)) {
    pos = text.size();
  }
  if (pos != text.size()) return bad();
  return micros;
}

std::string FormatIsoDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string FormatIsoTimestamp(int64_t micros) {
  const int64_t day_us = 86400LL * 1000000LL;
  int64_t days = FloorDiv(micros, day_us);
  int64_t rest = micros - days * day_us;
  int64_t secs = rest / 1000000, frac = rest % 1000000;
  char buf[48];
  std::snprintf(buf, sizeof buf, " %02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  std::string out = FormatIsoDate(days) + buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

BatchBuilder::BatchBuilder(const ParquetSchema& schema) : schema_(schema) {
  batch_.columns.resize(schema.columns.size());
  for (const auto& c : schema.columns) decimal_factors_.push_back(std::pow(10.0, c.scale));
}

Status BatchBuilder::Append(std::span<const Value> row) {
  if (row.size() != schema_.columns.size()) {
    return Status::Internal("a row of " + std::to_string(row.size()) + " values for " +
                            std::to_string(schema_.columns.size()) + " columns");
  }
  for (size_t i = 0; i < row.size(); ++i) {
    Status st = Put(i, row[i]);
    if (!st.ok()) {
      // Keep the columns the same length: undo this row's earlier cells.
      for (size_t j = 0; j <= i && j < batch_.columns.size(); ++j) {
        ColumnData& c = batch_.columns[j];
        const size_t n = static_cast<size_t>(batch_.rows);
        if (c.ints.size() > n) c.ints.resize(n);
        if (c.doubles.size() > n) c.doubles.resize(n);
        if (c.strings.size() > n) c.strings.resize(n);
        if (c.valid.size() > n) c.valid.resize(n);
      }
      return st.WithContext("column " + schema_.columns[i].name);
    }
  }
  ++batch_.rows;
  return Status::Ok();
}

Status BatchBuilder::Put(size_t index, const Value& v) {
  const ParquetColumn& col = schema_.columns[index];
  ColumnData& c = batch_.columns[index];
  const bool null = std::holds_alternative<std::monostate>(v);
  if (null && !col.nullable) return Status::Invalid("null in a required column");
  // `valid` is materialized only once a null appears.
  if (null && c.valid.empty()) c.valid.assign(static_cast<size_t>(batch_.rows), 1);
  if (!c.valid.empty()) c.valid.push_back(null ? 0 : 1);
  auto as_int = [&](int64_t* out) -> Status {
    if (const auto* i = std::get_if<int64_t>(&v)) *out = *i;
    else if (const auto* d = std::get_if<double>(&v)) *out = static_cast<int64_t>(std::llround(*d));
    else return Status::Invalid("'" + std::get<std::string>(v) + "' is not a number");
    return Status::Ok();
  };
  int64_t iv = 0;
  switch (col.type) {
    case ParquetType::kString:
      if (null) c.strings.emplace_back();
      else if (const auto* s = std::get_if<std::string>(&v)) c.strings.push_back(*s), bytes_ += s->size();
      else c.strings.push_back(ValueToString(v));
      bytes_ += 8;
      return Status::Ok();
    case ParquetType::kDouble:
      if (null) c.doubles.push_back(0);
      else if (const auto* d = std::get_if<double>(&v)) c.doubles.push_back(*d);
      else if (const auto* i = std::get_if<int64_t>(&v)) c.doubles.push_back(static_cast<double>(*i));
      else return Status::Invalid("'" + std::get<std::string>(v) + "' is not a number");
      bytes_ += 8;
      return Status::Ok();
    case ParquetType::kDecimal:
      if (!null) {
        double scaled;
        if (const auto* d = std::get_if<double>(&v)) scaled = *d * decimal_factors_[index];
        else if (const auto* i = std::get_if<int64_t>(&v)) scaled = static_cast<double>(*i) * decimal_factors_[index];
        else return Status::Invalid("'" + std::get<std::string>(v) + "' is not a number");
        iv = std::llround(scaled);
      }
      break;
    case ParquetType::kDate:
      if (!null) {
        if (const auto* s = std::get_if<std::string>(&v)) {
          CTL_ASSIGN_OR_RETURN(iv, ParseIsoDate(*s));
        } else {
          CTL_RETURN_IF_ERROR(as_int(&iv));
        }
      }
      break;
    case ParquetType::kTimestamp:
      if (!null) {
        if (const auto* s = std::get_if<std::string>(&v)) {
          CTL_ASSIGN_OR_RETURN(iv, ParseIsoTimestamp(*s));
        } else {
          CTL_RETURN_IF_ERROR(as_int(&iv));
        }
      }
      break;
    case ParquetType::kInt32:
    case ParquetType::kInt64:
    case ParquetType::kBoolean:
      if (!null) CTL_RETURN_IF_ERROR(as_int(&iv));
      if (col.type == ParquetType::kBoolean) iv = iv != 0;
      if (col.type == ParquetType::kInt32 && (iv < INT32_MIN || iv > INT32_MAX)) {
        return Status::Invalid(std::to_string(iv) + " does not fit a 32-bit int");
      }
      break;
  }
  c.ints.push_back(iv);
  bytes_ += 8;
  return Status::Ok();
}

RecordBatch BatchBuilder::Take() {
  RecordBatch out = std::move(batch_);
  batch_ = RecordBatch();
  batch_.columns.resize(schema_.columns.size());
  bytes_ = 0;
  return out;
}

Value CellValue(const ParquetColumn& col, const ColumnData& c, size_t row) {
  if (c.IsNull(row)) return std::monostate();
  switch (col.type) {
    case ParquetType::kString: return c.strings[row];
    case ParquetType::kDouble: return c.doubles[row];
    case ParquetType::kDecimal: return static_cast<double>(c.ints[row]) / std::pow(10.0, col.scale);
    case ParquetType::kDate: return FormatIsoDate(c.ints[row]);
    case ParquetType::kTimestamp: return FormatIsoTimestamp(c.ints[row]);
    case ParquetType::kInt32:
    case ParquetType::kInt64:
    case ParquetType::kBoolean: return c.ints[row];
  }
  return std::monostate();
}

}  // namespace ctlflow

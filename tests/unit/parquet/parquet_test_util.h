// Shared helpers of the parquet tests: deterministic batches of every type,
// reading a whole file back, comparing batches, and running the DuckDB
// scripts in tests/js as an independent reader and writer.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/io.h"
#include "parquet/parquet.h"

namespace ctlflow {

inline ParquetSchema AllTypesSchema() {
  ParquetSchema s;
  const std::pair<const char*, ParquetType> types[] = {
      {"i32", ParquetType::kInt32},    {"i64", ParquetType::kInt64},
      {"dbl", ParquetType::kDouble},   {"flag", ParquetType::kBoolean},
      {"str", ParquetType::kString},   {"day", ParquetType::kDate},
      {"ts", ParquetType::kTimestamp}, {"dec", ParquetType::kDecimal},
  };
  int field_id = 1;
  for (bool nullable : {true, false}) {
    for (const auto& [name, type] : types) {
      ParquetColumn c;
      c.name = std::string(nullable ? "n_" : "r_") + name;
      c.type = type;
      c.nullable = nullable;
      c.field_id = field_id++;
      if (type == ParquetType::kDecimal) {
        c.precision = nullable ? 18 : 9;
        c.scale = nullable ? 4 : 2;
      }
      s.columns.push_back(c);
    }
  }
  return s;
}

// Row `r`'s value of a column, with extremes, repeats (for dictionaries) and,
// in nullable columns, about one null in eight.
inline void FillBatch(const ParquetSchema& schema, int64_t first_row, int64_t rows,
                      RecordBatch* batch) {
  batch->rows = rows;
  batch->columns.assign(schema.columns.size(), ColumnData());
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ParquetColumn& col = schema.columns[c];
    ColumnData& d = batch->columns[c];
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t r = first_row + i;
      const uint64_t h = static_cast<uint64_t>(r) * 0x9E3779B97F4A7C15ULL + c * 1315423911ULL;
      const bool null = col.nullable && (h >> 61) == 0;
      if (col.nullable) d.valid.push_back(null ? 0 : 1);
      switch (col.type) {
        case ParquetType::kInt32:
          d.ints.push_back(r % 97 == 1   ? std::numeric_limits<int32_t>::min()
                           : r % 97 == 2 ? std::numeric_limits<int32_t>::max()
                                         : (r * 7919) % 2001 - 1000);
          break;
        case ParquetType::kInt64:
          d.ints.push_back(r % 89 == 1   ? std::numeric_limits<int64_t>::min()
                           : r % 89 == 2 ? std::numeric_limits<int64_t>::max()
                                         : static_cast<int64_t>(h >> 20) - (1LL << 42));
          break;
        case ParquetType::kDouble:
          d.doubles.push_back(r % 50 == 3   ? 1e300
                              : r % 50 == 4 ? -2.5e-300
                                            : (r % 300) * 0.37 - 55);
          break;
        case ParquetType::kBoolean:
          d.ints.push_back(h % 3 == 0 ? 1 : 0);
          break;
        case ParquetType::kString:
          d.strings.push_back(
              r % 13 == 0   ? std::string()
              : r % 13 == 1 ? "h\xC3\xA9llo \xE2\x9C\x93 \"q\" \\ tab\t" + std::to_string(r)
              : r % 13 == 2 ? std::string(200 + r % 50, static_cast<char>('a' + r % 26))
                            : "name_" + std::to_string(r % 41));
          break;
        case ParquetType::kDate:
          d.ints.push_back(r % 40000 - 15000);
          break;
        case ParquetType::kTimestamp:
          d.ints.push_back(1700000000000000LL + (r % 2 ? 1 : -1) * static_cast<int64_t>(h >> 14));
          break;
        case ParquetType::kDecimal: {
          const int64_t limit = col.precision == 18 ? 999999999999999999LL : 999999999LL;
          d.ints.push_back(r % 71 == 5   ? limit
                           : r % 71 == 6 ? -limit
                                         : static_cast<int64_t>(h % 2000001) - 1000000);
          break;
        }
      }
    }
  }
}

inline Result<std::unique_ptr<ParquetReader>> OpenBytes(const std::string& bytes,
                                                        const std::string& name = "mem.parquet") {
  return ParquetReader::Open(std::make_unique<StringSource>(bytes, name));
}

// Every row group of a file, concatenated into one batch.
inline Result<RecordBatch> ReadAll(ParquetReader* reader) {
  RecordBatch all;
  all.columns.resize(reader->schema().columns.size());
  for (int g = 0; g < reader->num_row_groups(); ++g) {
    CTL_ASSIGN_OR_RETURN(RecordBatch b, reader->ReadRowGroup(g));
    all.rows += b.rows;
    for (size_t c = 0; c < b.columns.size(); ++c) {
      ColumnData& to = all.columns[c];
      ColumnData& from = b.columns[c];
      to.ints.insert(to.ints.end(), from.ints.begin(), from.ints.end());
      to.doubles.insert(to.doubles.end(), from.doubles.begin(), from.doubles.end());
      for (std::string& s : from.strings) to.strings.push_back(std::move(s));
      if (from.valid.empty()) from.valid.assign(static_cast<size_t>(b.rows), 1);
      to.valid.insert(to.valid.end(), from.valid.begin(), from.valid.end());
    }
  }
  return all;
}

// Expects `actual` (as read) to hold `expected`'s values and nulls.
inline void ExpectSameBatch(const ParquetSchema& schema, const RecordBatch& expected,
                            const RecordBatch& actual) {
  ASSERT_EQ(expected.rows, actual.rows);
  ASSERT_EQ(expected.columns.size(), actual.columns.size());
  int failures = 0;
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ColumnData& e = expected.columns[c];
    const ColumnData& a = actual.columns[c];
    const ParquetType type = schema.columns[c].type;
    for (size_t r = 0; r < static_cast<size_t>(expected.rows) && failures < 10; ++r) {
      const bool null = e.IsNull(r);
      bool same = null == a.IsNull(r);
      if (same && !null) {
        if (type == ParquetType::kDouble) {
          same = std::memcmp(&e.doubles[r], &a.doubles[r], sizeof(double)) == 0;
        } else if (type == ParquetType::kString) {
          same = e.strings[r] == a.strings[r];
        } else if (type == ParquetType::kBoolean) {
          same = (e.ints[r] != 0) == (a.ints[r] != 0);
        } else {
          same = e.ints[r] == a.ints[r];
        }
      }
      if (!same) {
        ++failures;
        ADD_FAILURE() << "column " << schema.columns[c].name << " row " << r << " differs";
      }
    }
  }
}

// ---- DuckDB, through node and tests/js ----

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'')
      out += "'\\''";
    else
      out += ch;
  }
  return out + "'";
}

// Runs a shell command; its stdout, or an error with its exit status.
inline Result<std::string> RunCommand(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return Status::Io("popen failed: " + command);
  std::string out;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) return Status::Io("command failed (" + std::to_string(status) + "): " + command);
  return out;
}

inline std::string JsScript(const std::string& name) {
  return std::string(CTLFLOW_SOURCE_DIR) + "/tests/js/" + name;
}

inline Result<std::string> DuckDbDump(const std::string& path) {
  return RunCommand("/usr/bin/node " + ShellQuote(JsScript("parquet_dump.mjs")) + " " +
                    ShellQuote(path));
}

inline Result<std::string> DuckDbStats(const std::string& path) {
  return RunCommand("/usr/bin/node " + ShellQuote(JsScript("parquet_stats.mjs")) + " " +
                    ShellQuote(path));
}

inline Status DuckDbMake(const std::string& path, const std::string& sql,
                         const std::string& options) {
  auto r = RunCommand("/usr/bin/node " + ShellQuote(JsScript("parquet_make.mjs")) + " " +
                      ShellQuote(path) + " " + ShellQuote(sql) + " " + ShellQuote(options));
  return r.ok() ? Status::Ok() : r.status();
}

inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Parses one line of parquet_dump.mjs: a JSON array of strings and nulls.
inline bool ParseDumpLine(const std::string& line, std::vector<std::optional<std::string>>* out) {
  out->clear();
  size_t i = 0;
  auto hex4 = [&](uint32_t* v) {
    if (i + 4 > line.size()) return false;
    *v = static_cast<uint32_t>(std::stoul(line.substr(i, 4), nullptr, 16));
    i += 4;
    return true;
  };
  if (i >= line.size() || line[i++] != '[') return false;
  if (i < line.size() && line[i] == ']') return true;
  while (i < line.size()) {
    if (line.compare(i, 4, "null") == 0) {
      out->emplace_back(std::nullopt);
      i += 4;
    } else if (line[i] == '"') {
      ++i;
      std::string s;
      while (i < line.size() && line[i] != '"') {
        char ch = line[i++];
        if (ch != '\\') {
          s.push_back(ch);
          continue;
        }
        if (i >= line.size()) return false;
        ch = line[i++];
        switch (ch) {
          case 'n':
            s.push_back('\n');
            break;
          case 't':
            s.push_back('\t');
            break;
          case 'r':
            s.push_back('\r');
            break;
          case 'b':
            s.push_back('\b');
            break;
          case 'f':
            s.push_back('\f');
            break;
          case 'u': {
            uint32_t cp = 0;
            if (!hex4(&cp)) return false;
            if (cp >= 0xD800 && cp < 0xDC00 && line.compare(i, 2, "\\u") == 0) {
              i += 2;
              uint32_t low = 0;
              if (!hex4(&low)) return false;
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            AppendUtf8(cp, &s);
            break;
          }
          default:
            s.push_back(ch);
        }
      }
      if (i >= line.size()) return false;
      ++i;
      out->emplace_back(std::move(s));
    } else {
      return false;
    }
    if (i < line.size() && line[i] == ',') {
      ++i;
    } else if (i < line.size() && line[i] == ']') {
      return true;
    } else {
      return false;
    }
  }
  return false;
}

inline std::string FormatDate(int64_t days) {
  // Civil-from-days (proleptic Gregorian), as DuckDB prints dates.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

inline std::string FormatDecimal(int64_t unscaled, int scale) {
  const bool negative = unscaled < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) {
      digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return negative ? "-" + digits : digits;
}

inline std::string DuckDbTypeName(const ParquetColumn& c) {
  switch (c.type) {
    case ParquetType::kInt32:
      return "INTEGER";
    case ParquetType::kInt64:
      return "BIGINT";
    case ParquetType::kDouble:
      return "DOUBLE";
    case ParquetType::kBoolean:
      return "BOOLEAN";
    case ParquetType::kString:
      return "VARCHAR";
    case ParquetType::kDate:
      return "DATE";
    case ParquetType::kTimestamp:
      return "TIMESTAMP WITH TIME ZONE";
    case ParquetType::kDecimal:
      return "DECIMAL(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
  }
  return "";
}

// Compares a parquet_dump.mjs output with `batch` row for row; any
// difference fails the calling test. `check_types` also compares DuckDB's
// column types with the ones ctlflow's types map to.
inline void ExpectDumpMatches(const std::string& dump, const ParquetSchema& schema,
                              const RecordBatch& batch, bool check_types) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < dump.size()) {
    size_t end = dump.find('\n', start);
    if (end == std::string::npos) end = dump.size();
    lines.push_back(dump.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), static_cast<size_t>(batch.rows) + 1) << "DuckDB's row count differs";
  std::vector<std::optional<std::string>> values;
  ASSERT_TRUE(ParseDumpLine(lines[0], &values)) << lines[0];
  ASSERT_EQ(values.size(), schema.columns.size());
  if (check_types) {
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      EXPECT_EQ(values[c].value_or(""), DuckDbTypeName(schema.columns[c]))
          << "column " << schema.columns[c].name;
    }
  }
  int failures = 0;
  for (size_t r = 0; r < static_cast<size_t>(batch.rows) && failures < 10; ++r) {
    ASSERT_TRUE(ParseDumpLine(lines[r + 1], &values)) << lines[r + 1];
    ASSERT_EQ(values.size(), schema.columns.size());
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      const ParquetColumn& col = schema.columns[c];
      const ColumnData& d = batch.columns[c];
      const std::optional<std::string>& theirs = values[c];
      bool same;
      std::string ours = "null";
      if (d.IsNull(r)) {
        same = !theirs.has_value();
      } else if (!theirs.has_value()) {
        same = false;
      } else if (col.type == ParquetType::kDouble) {
        const double v = std::strtod(theirs->c_str(), nullptr);
        same = v == d.doubles[r] || (std::isnan(v) && std::isnan(d.doubles[r]));
        ours = std::to_string(d.doubles[r]);
      } else {
        switch (col.type) {
          case ParquetType::kBoolean:
            ours = d.ints[r] ? "true" : "false";
            break;
          case ParquetType::kString:
            ours = d.strings[r];
            break;
          case ParquetType::kDate:
            ours = FormatDate(d.ints[r]);
            break;
          case ParquetType::kDecimal:
            ours = FormatDecimal(d.ints[r], col.scale);
            break;
          default:
            ours = std::to_string(d.ints[r]);
        }
        same = ours == *theirs;
      }
      if (!same) {
        ++failures;
        ADD_FAILURE() << "row " << r << " column " << col.name << ": ctlflow " << ours
                      << ", DuckDB " << theirs.value_or("null");
      }
    }
  }
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

// `batch` written by our writer into the file at `path`; the file's summary.
inline Result<ParquetFileSummary> WriteOurFile(const ParquetSchema& schema, const RecordBatch& batch,
                                               const ParquetWriterOptions& options, const std::string& path) {
  StringSink sink;
  CTL_ASSIGN_OR_RETURN(std::unique_ptr<ParquetWriter> writer, ParquetWriter::Open(schema, options, &sink));
  CTL_RETURN_IF_ERROR(writer->Write(batch));
  CTL_ASSIGN_OR_RETURN(ParquetFileSummary summary, writer->Finish());
  WriteFile(path, sink.data());
  return summary;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) out.append(buffer, n);
  std::fclose(f);
  return out;
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ctlflow_parquet_XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "/tmp";
  }
  ~TempDir() {
    if (path_ != "/tmp") (void)std::system(("rm -rf " + ShellQuote(path_)).c_str());
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace ctlflow

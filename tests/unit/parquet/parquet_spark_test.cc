// Files shaped the way Spark writes them with its defaults, which DuckDB
// never writes: INT96 timestamps (spark.sql.parquet.outputTimestampType),
// every decimal as a FIXED_LEN_BYTE_ARRAY (spark.sql.parquet.writeLegacyFormat),
// a root named "spark_schema", and ConvertedType annotations without
// LogicalType (DATE, UTF8, DECIMAL). There is no JVM here, so
// tests/js/parquet_spark_make.mjs writes them with hyparquet-writer. Each
// file is checked three ways: DuckDB confirms it has that shape, our reader
// returns exactly the values the test put in, and DuckDB reads the same
// values, so a file that both readers misread cannot pass.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

#include "parquet/parquet.h"
#include "parquet_test_util.h"

namespace ctlflow {
namespace {

// One value of a column as the test states it; monostate is a null.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

struct SparkColumn {
  ParquetColumn column;
  std::vector<Value> edges;               // the first rows' values
  std::function<Value(uint64_t)> values;  // the later rows', from a hash of the row
};

ParquetColumn Column(const char* name, ParquetType type, bool nullable, int precision = 0,
                     int scale = 0) {
  ParquetColumn c;
  c.name = name;
  c.type = type;
  c.nullable = nullable;
  c.precision = precision;
  c.scale = scale;
  return c;
}

constexpr int64_t kMicrosPerDay = 86400000000LL;
constexpr int64_t k1900 = -2208988800000000LL;  // 1900-01-01T00:00:00Z in µs

// Spark's kind of table: a nullable and a required column of every type
// that changes under Spark's defaults, plus the plain types. Edge values
// come first; the later rows are spread over 1900-2100 and the decimals'
// whole range, some columns drawing from few distinct values so that they
// get dictionary pages, as Spark's do.
std::vector<SparkColumn> SparkColumns() {
  const int64_t i64_min = std::numeric_limits<int64_t>::min();
  const int64_t i64_max = std::numeric_limits<int64_t>::max();
  const int64_t i32_min = std::numeric_limits<int32_t>::min();
  const int64_t i32_max = std::numeric_limits<int32_t>::max();
  const Value null;
  std::vector<SparkColumn> columns;
  columns.push_back({Column("event_ts", ParquetType::kTimestamp, true),
                     {
                         int64_t{0},   // 1970-01-01T00:00:00Z
                         int64_t{-1},  // 1969-12-31T23:59:59.999999Z
                         null,
                         -kMicrosPerDay + 1,           // 1969-12-31T00:00:00.000001Z
                         -kMicrosPerDay,               // 1969-12-31T00:00:00Z
                         int64_t{1700000000123456},    // 2023-11-14T22:13:20.123456Z
                         k1900,                        // 1900-01-01T00:00:00Z
                         int64_t{-616850703210988},    // 1950-06-15T12:34:56.789012Z
                         int64_t{951782400000001},     // 2000-02-29T00:00:00.000001Z
                         int64_t{253402300799999999},  // 9999-12-31T23:59:59.999999Z
                     },
                     [](uint64_t h) -> Value {
                       return k1900 + static_cast<int64_t>(h % 40) * 157784630123457LL;
                     }});
  columns.push_back(
      {Column("created_ts", ParquetType::kTimestamp, false),
       {int64_t{-616850703210988}, int64_t{-1}, -kMicrosPerDay, int64_t{0}},
       [](uint64_t h) -> Value { return k1900 + static_cast<int64_t>(h % 6311433600000000ULL); }});
  columns.push_back({Column("amount", ParquetType::kDecimal, true, 10, 2),
                     {
                         int64_t{9999999999},   // 99999999.99, the largest decimal(10,2)
                         int64_t{-9999999999},  // -99999999.99
                         null,
                         int64_t{0},
                         int64_t{-1},          // -0.01
                         int64_t{1},           // 0.01
                         int64_t{-12345},      // -123.45
                         int64_t{4294967296},  // 2^32: needs the fifth byte
                         int64_t{-4294967297},
                         int64_t{2147483647},
                     },
                     [](uint64_t h) -> Value {
                       return static_cast<int64_t>(h % 61) * 327868852LL - 9999999999LL;
                     }});
  columns.push_back({Column("balance", ParquetType::kDecimal, false, 18, 4),
                     {
                         int64_t{999999999999999999},  // the largest decimal(18,4)
                         int64_t{-999999999999999999},
                         int64_t{0},
                         int64_t{-1},
                         int64_t{1},
                         int64_t{72057594037927936},  // 2^56: only the top byte's low bit
                         int64_t{-72057594037927937},
                         int64_t{-128},
                         int64_t{255},
                         int64_t{-256},
                     },
                     [](uint64_t h) -> Value {
                       return static_cast<int64_t>(h % 1999999999999999999ULL) -
                              999999999999999999LL;
                     }});
  columns.push_back({Column("trade_date", ParquetType::kDate, true),
                     {
                         int64_t{0},             // 1970-01-01
                         int64_t{-1},            // 1969-12-31
                         null, int64_t{-25567},  // 1900-01-01
                         int64_t{11016},         // 2000-02-29
                         int64_t{2932896},       // 9999-12-31
                         int64_t{-165},          // 1969-07-20
                     },
                     [](uint64_t h) -> Value { return static_cast<int64_t>(h % 73049) - 25567; }});
  columns.push_back({Column("customer", ParquetType::kString, true),
                     {
                         std::string(),
                         std::string("h\xC3\xA9llo \xE2\x9C\x93"),
                         null,
                         std::string("\xF0\x9D\x84\x9E clef"),  // four UTF-8 bytes
                         std::string("quote \" backslash \\ tab\t newline\n"),
                         std::string(300, 'x') + "end",
                         std::string("Z\xC3\xBCrich"),
                     },
                     [](uint64_t h) -> Value { return "customer_" + std::to_string(h % 97); }});
  columns.push_back({Column("code", ParquetType::kString, false),
                     {std::string(), std::string("\xE6\x97\xA5\xE6\x9C\xAC")},
                     [](uint64_t h) -> Value { return "C" + std::to_string(h); }});
  columns.push_back({Column("id", ParquetType::kInt64, false),
                     {i64_min, i64_max, int64_t{0}, int64_t{-1}},
                     [](uint64_t h) -> Value { return static_cast<int64_t>(h); }});
  columns.push_back({Column("qty", ParquetType::kInt32, true),
                     {i32_min, i32_max, null, int64_t{0}, int64_t{-1}},
                     [](uint64_t h) -> Value { return static_cast<int64_t>(h % 2001) - 1000; }});
  columns.push_back({Column("price", ParquetType::kDouble, true),
                     {0.1, -0.0, null, 1e300, -2.5e-300, 5e-324, 123.456, -1e-5},
                     [](uint64_t h) -> Value {
                       return static_cast<double>(static_cast<int64_t>(h % 2000001) - 1000000) /
                              100.0;
                     }});
  columns.push_back({Column("active", ParquetType::kBoolean, true),
                     {int64_t{1}, int64_t{0}, null},
                     [](uint64_t h) -> Value { return int64_t{h % 3 == 0 ? 1 : 0}; }});
  return columns;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The rows as a batch; nullable columns get about one null in eight after
// their edge values.
RecordBatch Rows(const std::vector<SparkColumn>& columns, int64_t rows) {
  RecordBatch batch;
  batch.rows = rows;
  batch.columns.resize(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    const SparkColumn& spark = columns[c];
    ColumnData& d = batch.columns[c];
    for (int64_t r = 0; r < rows; ++r) {
      const uint64_t h = Mix(static_cast<uint64_t>(r) * 131 + c);
      Value v;
      if (static_cast<size_t>(r) < spark.edges.size()) {
        v = spark.edges[static_cast<size_t>(r)];
      } else if (!spark.column.nullable || (h >> 61) != 0) {
        v = spark.values(h);
      }
      const bool null = std::holds_alternative<std::monostate>(v);
      if (spark.column.nullable) d.valid.push_back(null ? 0 : 1);
      switch (spark.column.type) {
        case ParquetType::kDouble:
          d.doubles.push_back(null ? 0.0 : std::get<double>(v));
          break;
        case ParquetType::kString:
          d.strings.push_back(null ? std::string() : std::get<std::string>(v));
          break;
        default:
          d.ints.push_back(null ? 0 : std::get<int64_t>(v));
      }
    }
  }
  return batch;
}

const char* SpecType(ParquetType type) {
  switch (type) {
    case ParquetType::kInt32:
      return "int32";
    case ParquetType::kInt64:
      return "int64";
    case ParquetType::kDouble:
      return "double";
    case ParquetType::kBoolean:
      return "boolean";
    case ParquetType::kString:
      return "string";
    case ParquetType::kDate:
      return "date";
    case ParquetType::kTimestamp:
      return "timestamp";
    case ParquetType::kDecimal:
      return "decimal";
  }
  return "";
}

// The input of parquet_spark_make.mjs for `batch`.
nlohmann::json Spec(const ParquetSchema& schema, const RecordBatch& batch, int64_t row_group_rows,
                    const std::string& codec) {
  nlohmann::json spec = {{"rowGroupSize", row_group_rows}, {"codec", codec}};
  spec["columns"] = nlohmann::json::array();
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ParquetColumn& col = schema.columns[c];
    const ColumnData& d = batch.columns[c];
    nlohmann::json column = {
        {"name", col.name}, {"type", SpecType(col.type)}, {"nullable", col.nullable}};
    if (col.type == ParquetType::kDecimal) {
      column["precision"] = col.precision;
      column["scale"] = col.scale;
    }
    nlohmann::json values = nlohmann::json::array();
    for (size_t r = 0; r < static_cast<size_t>(batch.rows); ++r) {
      if (d.IsNull(r)) {
        values.push_back(nullptr);
      } else if (col.type == ParquetType::kDouble) {
        char text[32];
        std::snprintf(text, sizeof(text), "%.17g", d.doubles[r]);
        values.push_back(text);
      } else if (col.type == ParquetType::kString) {
        values.push_back(d.strings[r]);
      } else {
        values.push_back(std::to_string(d.ints[r]));
      }
    }
    column["values"] = std::move(values);
    spec["columns"].push_back(std::move(column));
  }
  return spec;
}

// Has parquet_spark_make.mjs write `batch` to `path`.
Status MakeSparkFile(const std::string& path, const ParquetSchema& schema, const RecordBatch& batch,
                     int64_t row_group_rows, const std::string& codec = "SNAPPY") {
  const std::string spec_path = path + ".spec.json";
  WriteFile(spec_path, Spec(schema, batch, row_group_rows, codec).dump());
  auto out = RunCommand("/usr/bin/node " + ShellQuote(JsScript("parquet_spark_make.mjs")) + " " +
                        ShellQuote(path) + " " + ShellQuote(spec_path));
  return out.ok() ? Status::Ok() : out.status();
}

// How Spark's legacy format stores a column: physical type, width and
// converted type, as DuckDB's parquet_schema() names them.
struct Stored {
  std::string type;
  std::optional<std::string> type_length;
  std::optional<std::string> converted_type;
};

Stored SparkStorage(const ParquetColumn& c) {
  switch (c.type) {
    case ParquetType::kInt32:
      return {"INT32", std::nullopt, std::nullopt};
    case ParquetType::kInt64:
      return {"INT64", std::nullopt, std::nullopt};
    case ParquetType::kDouble:
      return {"DOUBLE", std::nullopt, std::nullopt};
    case ParquetType::kBoolean:
      return {"BOOLEAN", std::nullopt, std::nullopt};
    case ParquetType::kString:
      return {"BYTE_ARRAY", std::nullopt, "UTF8"};
    case ParquetType::kDate:
      return {"INT32", std::nullopt, "DATE"};
    case ParquetType::kTimestamp:
      return {"INT96", std::nullopt, std::nullopt};
    case ParquetType::kDecimal:
      // Spark's minimal widths: 5 bytes hold precision 10, 8 hold 18.
      return {"FIXED_LEN_BYTE_ARRAY",
              c.precision == 10   ? "5"
              : c.precision == 18 ? "8"
                                  : "?",
              "DECIMAL"};
  }
  return {};
}

std::optional<std::string> Text(const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  return v.get<std::string>();
}

// The file's layout as DuckDB decodes its footer (parquet_layout.mjs).
Result<nlohmann::json> DuckDbLayout(const std::string& path) {
  CTL_ASSIGN_OR_RETURN(std::string out,
                       RunCommand("/usr/bin/node " + ShellQuote(JsScript("parquet_layout.mjs")) +
                                  " " + ShellQuote(path)));
  nlohmann::json layout = nlohmann::json::parse(out, nullptr, false);
  if (!layout.is_object()) return Status::Invalid("parquet_layout.mjs printed " + out);
  return layout;
}

// Expects `layout` to be how Spark's legacy format lays out `schema`.
void ExpectSparkLayout(const nlohmann::json& layout, const ParquetSchema& schema) {
  EXPECT_EQ(Text(layout["created_by"]).value_or("").rfind("parquet-mr version", 0), 0u);
  const nlohmann::json& elements = layout["schema"];
  ASSERT_EQ(elements.size(), schema.columns.size() + 1);
  EXPECT_EQ(Text(elements[0]["name"]), "spark_schema");
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ParquetColumn& col = schema.columns[c];
    const nlohmann::json& e = elements[c + 1];
    const Stored stored = SparkStorage(col);
    SCOPED_TRACE("column " + col.name);
    EXPECT_EQ(Text(e["name"]), col.name);
    EXPECT_EQ(Text(e["type"]), stored.type);
    EXPECT_EQ(Text(e["type_length"]), stored.type_length);
    EXPECT_EQ(Text(e["converted_type"]), stored.converted_type);
    EXPECT_EQ(Text(e["logical_type"]), std::nullopt);
    EXPECT_EQ(Text(e["repetition_type"]), col.nullable ? "OPTIONAL" : "REQUIRED");
    if (col.type == ParquetType::kDecimal) {
      EXPECT_EQ(Text(e["precision"]), std::to_string(col.precision));
      EXPECT_EQ(Text(e["scale"]), std::to_string(col.scale));
    }
  }
}

// The encodings of column `name`'s chunks in the layout, joined.
std::string Encodings(const nlohmann::json& layout, const std::string& name) {
  std::string all;
  for (const nlohmann::json& chunk : layout["chunks"]) {
    if (Text(chunk["column"]) == name) all += Text(chunk["encodings"]).value_or("") + ";";
  }
  return all;
}

// DuckDB's type for a column in Spark's format: INT96 carries no time zone
// flag, so DuckDB reads it as a plain TIMESTAMP.
std::string DuckDbTypeOfSparkColumn(const ParquetColumn& c) {
  return c.type == ParquetType::kTimestamp ? "TIMESTAMP" : DuckDbTypeName(c);
}

TEST(ParquetSpark, ReadsSparkLegacyFormatAsDuckDbDoes) {
  TempDir dir;
  const std::vector<SparkColumn> columns = SparkColumns();
  ParquetSchema schema;
  for (const SparkColumn& c : columns) schema.columns.push_back(c.column);
  const int64_t rows = 2500;
  const RecordBatch expected = Rows(columns, rows);
  const std::string path = dir.File("spark.parquet");
  Status made = MakeSparkFile(path, schema, expected, /*row_group_rows=*/1000);
  ASSERT_TRUE(made.ok()) << made.message();

  // The file has Spark's shape, including dictionary pages of INT96 and
  // FIXED_LEN_BYTE_ARRAY values as well as plain ones.
  auto layout = DuckDbLayout(path);
  ASSERT_TRUE(layout.ok()) << layout.status().message();
  ExpectSparkLayout(*layout, schema);
  EXPECT_NE(Encodings(*layout, "event_ts").find("RLE_DICTIONARY"), std::string::npos);
  EXPECT_EQ(Encodings(*layout, "created_ts").find("DICTIONARY"), std::string::npos);
  EXPECT_NE(Encodings(*layout, "amount").find("RLE_DICTIONARY"), std::string::npos);
  EXPECT_EQ(Encodings(*layout, "balance").find("DICTIONARY"), std::string::npos);

  // Our reader: the schema as ctlflow's types, and exactly the values.
  auto reader = OpenBytes(ReadFileBytes(path), path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const ParquetSchema& read = (*reader)->schema();
  ASSERT_EQ(read.columns.size(), schema.columns.size());
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ParquetColumn& want = schema.columns[c];
    const ParquetColumn& got = read.columns[c];
    SCOPED_TRACE("column " + want.name);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(static_cast<int>(got.type), static_cast<int>(want.type));
    EXPECT_EQ(got.nullable, want.nullable);
    EXPECT_EQ(got.precision, want.precision);
    EXPECT_EQ(got.scale, want.scale);
    EXPECT_EQ(got.field_id, -1);
  }
  EXPECT_EQ((*reader)->num_rows(), rows);
  EXPECT_EQ((*reader)->num_row_groups(), 3);
  auto all = ReadAll(reader->get());
  ASSERT_TRUE(all.ok()) << all.status().message();
  ExpectSameBatch(schema, expected, *all);

  // DuckDB, reading the same file, finds the same values.
  auto dump = DuckDbDump(path);
  ASSERT_TRUE(dump.ok()) << dump.status().message();
  std::vector<std::optional<std::string>> types;
  ASSERT_TRUE(ParseDumpLine(dump->substr(0, dump->find('\n')), &types));
  ASSERT_EQ(types.size(), schema.columns.size());
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    EXPECT_EQ(types[c].value_or(""), DuckDbTypeOfSparkColumn(schema.columns[c]))
        << "column " << schema.columns[c].name;
  }
  ExpectDumpMatches(*dump, schema, expected, /*check_types=*/false);
}

// Spark's decimals wider than 18 digits (its default for sums is
// decimal(38,18)) are out of ctlflow's scope: opening such a file is an
// error that names the column and its type, not a crash or wrong values.
TEST(ParquetSpark, WideDecimalIsAnErrorNamingTheColumn) {
  TempDir dir;
  ParquetSchema schema;
  schema.columns.push_back(Column("total", ParquetType::kDecimal, true, 38, 10));
  RecordBatch batch;
  batch.rows = 2;
  batch.columns.resize(1);
  batch.columns[0].ints = {12345, 0};
  batch.columns[0].valid = {1, 0};
  const std::string path = dir.File("wide.parquet");
  Status made = MakeSparkFile(path, schema, batch, 1000);
  ASSERT_TRUE(made.ok()) << made.message();
  auto reader = OpenBytes(ReadFileBytes(path), path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kInvalid);
  EXPECT_NE(reader.status().message().find("'total'"), std::string::npos)
      << reader.status().message();
  EXPECT_NE(reader.status().message().find("decimal(38,10)"), std::string::npos)
      << reader.status().message();
}

// An INT96 whose Julian day is beyond what µs since 1970 in an int64 can
// hold (about ±292,000 years; Spark never writes one, a corrupt file may) is
// an error naming the column, not an overflowed value.
TEST(ParquetSpark, Int96BeyondInt64MicrosIsAnError) {
  TempDir dir;
  ParquetSchema schema;
  schema.columns.push_back(Column("created_ts", ParquetType::kTimestamp, false));
  const int64_t micros = 1700000000123456;  // 2023-11-14T22:13:20.123456Z
  RecordBatch batch;
  batch.rows = 1;
  batch.columns.resize(1);
  batch.columns[0].ints = {micros};
  const std::string path = dir.File("int96.parquet");
  Status made = MakeSparkFile(path, schema, batch, 1000, "UNCOMPRESSED");
  ASSERT_TRUE(made.ok()) << made.message();

  // The value's 12 bytes, found in the uncompressed page: nanoseconds of the
  // day, then the Julian day, both little-endian.
  const int64_t days = micros / kMicrosPerDay;
  const uint64_t nanos = static_cast<uint64_t>(micros - days * kMicrosPerDay) * 1000;
  const uint32_t julian_day = static_cast<uint32_t>(days + 2440588);
  std::string int96;
  for (int i = 0; i < 8; ++i) int96.push_back(static_cast<char>(nanos >> (8 * i)));
  for (int i = 0; i < 4; ++i) int96.push_back(static_cast<char>(julian_day >> (8 * i)));
  std::string bytes = ReadFileBytes(path);
  const size_t at = bytes.find(int96);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find(int96, at + 1), std::string::npos);
  {
    auto reader = OpenBytes(bytes, path);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    auto all = ReadAll(reader->get());
    ASSERT_TRUE(all.ok()) << all.status().message();
    ASSERT_EQ(all->columns[0].ints, std::vector<int64_t>{micros});
  }

  for (uint32_t day : {0x7FFFFFFFu, 0x80000000u}) {
    for (int i = 0; i < 4; ++i) bytes[at + 8 + i] = static_cast<char>(day >> (8 * i));
    auto reader = OpenBytes(bytes, path);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    auto all = ReadAll(reader->get());
    ASSERT_FALSE(all.ok()) << "Julian day " << day << " read as " << all->columns[0].ints[0];
    EXPECT_EQ(all.status().code(), ErrorCode::kInvalid);
    EXPECT_NE(all.status().message().find("created_ts"), std::string::npos)
        << all.status().message();
    EXPECT_NE(all.status().message().find("INT96"), std::string::npos) << all.status().message();
  }
}

}  // namespace
}  // namespace ctlflow

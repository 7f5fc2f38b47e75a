// DuckDB as an independent implementation, both ways: DuckDB reads files
// ctlflow writes, and ctlflow reads files DuckDB writes with its codecs,
// page versions and row group sizes; both must agree row for row with what
// DuckDB itself reads (tests/js/parquet_dump.mjs).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "parquet/parquet.h"
#include "parquet_test_util.h"

namespace ctlflow {
namespace {

struct Variant {
  ParquetCodec codec;
  bool dictionary;
  int64_t dictionary_bytes;
};

TEST(ParquetDuckDb, DuckDbReadsWhatWeWrite) {
  TempDir dir;
  const ParquetSchema schema = AllTypesSchema();
  RecordBatch batch;
  FillBatch(schema, 0, 6000, &batch);
  const Variant variants[] = {
      {ParquetCodec::kUncompressed, true, 1 << 20}, {ParquetCodec::kSnappy, true, 1 << 20},
      {ParquetCodec::kZstd, true, 1 << 20},         {ParquetCodec::kZstd, false, 1 << 20},
      {ParquetCodec::kSnappy, true, 2048},  // dictionary fallback mid-chunk
  };
  int n = 0;
  for (const Variant& v : variants) {
    SCOPED_TRACE("variant " + std::to_string(n));
    ParquetWriterOptions options;
    options.codec = v.codec;
    options.dictionary = v.dictionary;
    options.dictionary_bytes = v.dictionary_bytes;
    options.page_bytes = 4096;
    options.row_group_bytes = 96 << 10;
    const std::string path = dir.File("ours" + std::to_string(n++) + ".parquet");
    auto summary = WriteOurFile(schema, batch, options, path);
    ASSERT_TRUE(summary.ok()) << summary.status().message();
    EXPECT_GT(summary->row_groups, 1);
    auto dump = DuckDbDump(path);
    ASSERT_TRUE(dump.ok()) << dump.status().message();
    ExpectDumpMatches(*dump, schema, batch, /*check_types=*/true);
  }
}

// The min/max/null-count statistics we write in the footer, per column chunk,
// are what DuckDB decodes from it, and equal what DuckDB computes from the
// chunk's own rows.
TEST(ParquetDuckDb, DuckDbReadsOurStatisticsAndTheyHoldForEveryRowGroup) {
  TempDir dir;
  const ParquetSchema schema = AllTypesSchema();
  RecordBatch batch;
  FillBatch(schema, 0, 6000, &batch);
  ParquetWriterOptions options;
  options.page_bytes = 4096;
  options.row_group_bytes = 64 << 10;
  const std::string path = dir.File("stats.parquet");
  auto summary = WriteOurFile(schema, batch, options, path);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  ASSERT_GT(summary->row_groups, 1);
  auto out = DuckDbStats(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  auto chunks = nlohmann::json::parse(*out, nullptr, false);
  ASSERT_TRUE(chunks.is_array()) << *out;
  ASSERT_EQ(chunks.size(), schema.columns.size() * static_cast<size_t>(summary->row_groups));
  int64_t nulls = 0;
  for (const auto& c : chunks) {
    SCOPED_TRACE(c.dump());
    ASSERT_FALSE(c["stats_nulls"].is_null());
    EXPECT_EQ(c["stats_nulls"], c["nulls"]);
    EXPECT_EQ(c["stats_min"], c["min"]);
    EXPECT_EQ(c["stats_max"], c["max"]);
    nulls += std::stoll(c["nulls"].get<std::string>());
  }
  EXPECT_GT(nulls, 0);  // the nullable columns do hold nulls
}

// Columns DuckDB writes in every physical layout our reader maps.
constexpr const char* kDuckDbSql = R"sql(
SELECT
  i::INTEGER AS i32,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1000003 - 2000000000 END::BIGINT AS i64,
  (i * 0.25 - 17.5)::DOUBLE AS dbl,
  (i % 3 = 0) AS flag,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 1 END AS nflag,
  CASE WHEN i % 11 = 0 THEN NULL ELSE 'name_' || (i % 37) END AS low_card,
  md5(i::VARCHAR) || repeat('x', i % 17) AS high_card,
  DATE '2020-01-01' + (i % 1000 - 500)::INTEGER AS d,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 1234567) AS tstz,
  TIMESTAMP '1969-12-31 23:00:00' + to_microseconds(i * 1000) AS ts,
  (TIMESTAMP '2024-01-01' + to_microseconds(i * 1000))::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '2024-01-01' + to_microseconds(i * 7))::TIMESTAMP_NS AS ts_ns,
  (i * 0.01 - 20)::DECIMAL(9,2) AS dec9,
  CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 1.5 - 300)::DECIMAL(18,3) END AS dec18,
  (i % 100)::DECIMAL(4,1) AS dec4,
  (i % 100 - 50)::TINYINT AS tiny,
  (i % 30000)::SMALLINT AS small,
  (i * 0.5)::FLOAT AS flt
FROM range(0, 5000) t(i)
)sql";

// Corrupts a DuckDB file (delta encodings, v2 pages) in many ways; reading
// must fail cleanly or succeed, never crash.
void FuzzFile(const std::string& good) {
  std::mt19937_64 rng(99);
  for (int iteration = 0; iteration < 150; ++iteration) {
    std::string bytes = good;
    for (int f = 0; f < 3; ++f) {
      const size_t at = rng() % bytes.size();
      bytes[at] = static_cast<char>(bytes[at] ^ (1 + rng() % 255));
    }
    auto reader = ParquetReader::Open(std::make_unique<StringSource>(bytes, "fuzz.parquet"));
    if (!reader.ok()) continue;
    for (int g = 0; g < (*reader)->num_row_groups(); ++g) {
      auto batch = (*reader)->ReadRowGroup(g);
      if (!batch.ok()) {
        EXPECT_EQ(batch.status().code(), ErrorCode::kInvalid) << batch.status().message();
      }
    }
  }
}

struct DuckDbVariant {
  const char* name;
  const char* options;
};

TEST(ParquetDuckDb, WeReadWhatDuckDbWrites) {
  TempDir dir;
  const DuckDbVariant variants[] = {
      {"default", ""},
      {"zstd", "COMPRESSION zstd"},
      {"snappy", "COMPRESSION snappy"},
      {"uncompressed", "COMPRESSION uncompressed"},
      {"gzip", "COMPRESSION gzip"},
      {"v2", "PARQUET_VERSION v2"},
      {"v2_zstd", "PARQUET_VERSION v2, COMPRESSION zstd"},
      {"v2_uncompressed", "PARQUET_VERSION v2, COMPRESSION uncompressed"},
      {"small_groups", "ROW_GROUP_SIZE 1000"},
  };
  for (const DuckDbVariant& v : variants) {
    SCOPED_TRACE(v.name);
    const std::string path = dir.File(std::string(v.name) + ".parquet");
    Status made = DuckDbMake(path, kDuckDbSql, v.options);
    ASSERT_TRUE(made.ok()) << made.message();
    auto reader = ParquetReader::Open(std::make_unique<StringSource>(ReadFileBytes(path), path));
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    const ParquetSchema& schema = (*reader)->schema();
    ASSERT_EQ(schema.columns.size(), 18u);
    EXPECT_EQ(schema.columns[0].type, ParquetType::kInt32);
    EXPECT_EQ(schema.columns[1].type, ParquetType::kInt64);
    EXPECT_EQ(schema.columns[2].type, ParquetType::kDouble);
    EXPECT_EQ(schema.columns[3].type, ParquetType::kBoolean);
    EXPECT_EQ(schema.columns[5].type, ParquetType::kString);
    EXPECT_EQ(schema.columns[7].type, ParquetType::kDate);
    for (int c : {8, 9, 10, 11}) EXPECT_EQ(schema.columns[c].type, ParquetType::kTimestamp) << c;
    for (int c : {12, 13, 14}) EXPECT_EQ(schema.columns[c].type, ParquetType::kDecimal) << c;
    EXPECT_EQ(schema.columns[13].precision, 18);
    EXPECT_EQ(schema.columns[13].scale, 3);
    EXPECT_EQ(schema.columns[15].type, ParquetType::kInt32);
    EXPECT_EQ(schema.columns[17].type, ParquetType::kDouble);
    if (std::string(v.name) == "small_groups") {
      EXPECT_GE((*reader)->num_row_groups(), 3);  // DuckDB rounds groups to 2048 rows
    }
    auto all = ReadAll(reader->get());
    ASSERT_TRUE(all.ok()) << all.status().message();
    auto dump = DuckDbDump(path);
    ASSERT_TRUE(dump.ok()) << dump.status().message();
    ExpectDumpMatches(*dump, schema, *all, /*check_types=*/false);
    if (std::string(v.name).rfind("v2", 0) == 0) FuzzFile(ReadFileBytes(path));
  }
}

TEST(ParquetDuckDb, NestedAndWideDecimalColumnsAreClearErrors) {
  TempDir dir;
  const std::string nested = dir.File("nested.parquet");
  ASSERT_TRUE(DuckDbMake(nested, "SELECT 1 AS id, [1, 2] AS tags", "").ok());
  auto r = ParquetReader::Open(std::make_unique<StringSource>(ReadFileBytes(nested), nested));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tags"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(nested), std::string::npos) << r.status().message();

  const std::string wide = dir.File("wide.parquet");
  ASSERT_TRUE(DuckDbMake(wide, "SELECT 1.5::DECIMAL(30,2) AS amount", "").ok());
  r = ParquetReader::Open(std::make_unique<StringSource>(ReadFileBytes(wide), wide));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("amount"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace ctlflow

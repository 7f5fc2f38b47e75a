// Files ctlflow writes and reads back itself: every type, nullable and
// required, each codec with and without dictionaries, several row groups
// and pages, statistics, and projections.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "parquet/parquet.h"
#include "parquet_test_util.h"

namespace ctlflow {
namespace {

struct Written {
  std::string bytes;
  ParquetFileSummary summary;
  RecordBatch all;  // every row written, in order
};

// Writes `rows` rows of AllTypesSchema in batches of `batch_rows`.
Written WriteAllTypes(const ParquetWriterOptions& options, int64_t rows, int64_t batch_rows,
                      const ParquetSchema& schema = AllTypesSchema()) {
  Written w;
  StringSink sink;
  auto writer = ParquetWriter::Open(schema, options, &sink);
  EXPECT_TRUE(writer.ok()) << writer.status().message();
  if (!writer.ok()) return w;
  FillBatch(schema, 0, rows, &w.all);
  for (int64_t first = 0; first < rows; first += batch_rows) {
    RecordBatch batch;
    FillBatch(schema, first, std::min(batch_rows, rows - first), &batch);
    Status st = (*writer)->Write(batch);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  auto summary = (*writer)->Finish();
  EXPECT_TRUE(summary.ok()) << summary.status().message();
  if (summary.ok()) w.summary = *summary;
  w.bytes = sink.data();
  return w;
}

class RoundTripTest : public ::testing::TestWithParam<std::tuple<ParquetCodec, bool>> {};

TEST_P(RoundTripTest, EveryTypeNullableAndRequired) {
  ParquetWriterOptions options;
  options.codec = std::get<0>(GetParam());
  options.dictionary = std::get<1>(GetParam());
  options.page_bytes = 2048;           // many pages per chunk
  options.row_group_bytes = 48 << 10;  // several row groups
  const ParquetSchema schema = AllTypesSchema();
  Written w = WriteAllTypes(options, 20000, 7000);
  ASSERT_FALSE(w.bytes.empty());
  EXPECT_EQ(w.summary.rows, 20000);
  EXPECT_EQ(w.summary.bytes, static_cast<int64_t>(w.bytes.size()));
  EXPECT_GT(w.summary.row_groups, 1);

  auto reader = OpenBytes(w.bytes);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->num_rows(), 20000);
  EXPECT_EQ((*reader)->num_row_groups(), w.summary.row_groups);
  const ParquetSchema& read_schema = (*reader)->schema();
  ASSERT_EQ(read_schema.columns.size(), schema.columns.size());
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ParquetColumn& a = schema.columns[c];
    const ParquetColumn& b = read_schema.columns[c];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type) << a.name;
    EXPECT_EQ(a.nullable, b.nullable) << a.name;
    EXPECT_EQ(a.field_id, b.field_id) << a.name;
    EXPECT_EQ(a.precision, b.precision) << a.name;
    EXPECT_EQ(a.scale, b.scale) << a.name;
  }
  auto all = ReadAll(reader->get());
  ASSERT_TRUE(all.ok()) << all.status().message();
  ExpectSameBatch(schema, w.all, *all);
}

INSTANTIATE_TEST_SUITE_P(CodecsAndDictionary, RoundTripTest,
                         ::testing::Combine(::testing::Values(ParquetCodec::kUncompressed,
                                                              ParquetCodec::kSnappy,
                                                              ParquetCodec::kZstd),
                                            ::testing::Bool()));

TEST(ParquetRoundTrip, StatisticsMatchTheData) {
  ParquetWriterOptions options;
  options.row_group_bytes = 16 << 10;
  const ParquetSchema schema = AllTypesSchema();
  Written w = WriteAllTypes(options, 5000, 5000);
  ASSERT_EQ(w.summary.columns.size(), schema.columns.size());
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ParquetColumn& col = schema.columns[c];
    const ColumnData& d = w.all.columns[c];
    const ColumnStats& s = w.summary.columns[c];
    SCOPED_TRACE(col.name);
    EXPECT_EQ(s.value_count, 5000);
    int64_t nulls = 0;
    bool first = true;
    int64_t min_i = 0, max_i = 0;
    double min_d = 0, max_d = 0;
    std::string min_s, max_s;
    for (size_t r = 0; r < 5000; ++r) {
      if (d.IsNull(r)) {
        ++nulls;
        continue;
      }
      if (col.type == ParquetType::kDouble) {
        min_d = first ? d.doubles[r] : std::min(min_d, d.doubles[r]);
        max_d = first ? d.doubles[r] : std::max(max_d, d.doubles[r]);
      } else if (col.type == ParquetType::kString) {
        if (first || d.strings[r] < min_s) min_s = d.strings[r];
        if (first || d.strings[r] > max_s) max_s = d.strings[r];
      } else {
        min_i = first ? d.ints[r] : std::min(min_i, d.ints[r]);
        max_i = first ? d.ints[r] : std::max(max_i, d.ints[r]);
      }
      first = false;
    }
    EXPECT_EQ(s.null_count, nulls);
    EXPECT_TRUE(s.has_bounds);
    EXPECT_GT(s.compressed_bytes, 0);
    if (col.type == ParquetType::kDouble) {
      EXPECT_EQ(s.min_double, min_d);
      EXPECT_EQ(s.max_double, max_d);
    } else if (col.type == ParquetType::kString) {
      EXPECT_EQ(s.min_string, min_s);
      EXPECT_EQ(s.max_string, max_s);
    } else {
      EXPECT_EQ(s.min_int, min_i);
      EXPECT_EQ(s.max_int, max_i);
    }
  }
}

TEST(ParquetRoundTrip, AllNullColumnHasNoBounds) {
  ParquetSchema schema;
  schema.columns.push_back({"s", ParquetType::kString, true, 0, 0, -1});
  schema.columns.push_back({"i", ParquetType::kInt64, true, 0, 0, -1});
  StringSink sink;
  auto writer = ParquetWriter::Open(schema, ParquetWriterOptions(), &sink);
  ASSERT_TRUE(writer.ok());
  RecordBatch batch;
  batch.rows = 100;
  batch.columns.resize(2);
  batch.columns[0].strings.assign(100, "");
  batch.columns[0].valid.assign(100, 0);
  batch.columns[1].ints.assign(100, 0);
  batch.columns[1].valid.assign(100, 0);
  ASSERT_TRUE((*writer)->Write(batch).ok());
  auto summary = (*writer)->Finish();
  ASSERT_TRUE(summary.ok());
  EXPECT_FALSE(summary->columns[0].has_bounds);
  EXPECT_EQ(summary->columns[0].null_count, 100);
  auto reader = OpenBytes(sink.data());
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto all = ReadAll(reader->get());
  ASSERT_TRUE(all.ok()) << all.status().message();
  ExpectSameBatch(schema, batch, *all);
}

TEST(ParquetRoundTrip, EmptyFileAndEmptyBatches) {
  const ParquetSchema schema = AllTypesSchema();
  StringSink sink;
  auto writer = ParquetWriter::Open(schema, ParquetWriterOptions(), &sink);
  ASSERT_TRUE(writer.ok());
  RecordBatch empty;
  FillBatch(schema, 0, 0, &empty);
  ASSERT_TRUE((*writer)->Write(empty).ok());
  auto summary = (*writer)->Finish();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->rows, 0);
  EXPECT_EQ(summary->row_groups, 0);
  auto reader = OpenBytes(sink.data());
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->num_rows(), 0);
  EXPECT_EQ((*reader)->schema().columns.size(), schema.columns.size());
}

TEST(ParquetRoundTrip, ProjectionReturnsColumnsInTheAskedOrder) {
  const ParquetSchema schema = AllTypesSchema();
  Written w = WriteAllTypes(ParquetWriterOptions(), 1000, 1000);
  auto reader = OpenBytes(w.bytes);
  ASSERT_TRUE(reader.ok());
  auto batch = (*reader)->ReadRowGroup(0, {4, 0});
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->columns.size(), 2u);
  ParquetSchema projected;
  projected.columns = {schema.columns[4], schema.columns[0]};
  RecordBatch expected;
  expected.rows = 1000;
  expected.columns = {w.all.columns[4], w.all.columns[0]};
  ExpectSameBatch(projected, expected, *batch);
  EXPECT_FALSE((*reader)->ReadRowGroup(0, {99}).ok());
  EXPECT_FALSE((*reader)->ReadRowGroup(5).ok());
}

TEST(ParquetRoundTrip, DictionaryFallsBackToPlain) {
  ParquetWriterOptions options;
  options.dictionary_bytes = 4096;  // the high-cardinality strings overflow it
  options.page_bytes = 4096;
  ParquetSchema schema;
  schema.columns.push_back({"s", ParquetType::kString, true, 0, 0, -1});
  schema.columns.push_back({"i", ParquetType::kInt64, false, 0, 0, -1});
  RecordBatch batch;
  batch.rows = 20000;
  batch.columns.resize(2);
  for (int64_t r = 0; r < batch.rows; ++r) {
    batch.columns[0].strings.push_back("value-" + std::to_string(r * 31 % 17000));
    batch.columns[0].valid.push_back(r % 9 != 0);
    batch.columns[1].ints.push_back(r * r);
  }
  StringSink sink;
  auto writer = ParquetWriter::Open(schema, options, &sink);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(batch).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = OpenBytes(sink.data());
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto all = ReadAll(reader->get());
  ASSERT_TRUE(all.ok()) << all.status().message();
  ExpectSameBatch(schema, batch, *all);
}

TEST(ParquetRoundTrip, DictionaryMakesRepetitiveDataSmall) {
  ParquetSchema schema;
  schema.columns.push_back({"s", ParquetType::kString, false, 0, 0, -1});
  RecordBatch batch;
  batch.rows = 100000;
  batch.columns.resize(1);
  for (int64_t r = 0; r < batch.rows; ++r) {
    batch.columns[0].strings.push_back("category-" + std::to_string(r % 10));
  }
  auto size_with = [&](bool dictionary) {
    ParquetWriterOptions options;
    options.codec = ParquetCodec::kUncompressed;
    options.dictionary = dictionary;
    StringSink sink;
    auto writer = ParquetWriter::Open(schema, options, &sink);
    EXPECT_TRUE(writer.ok() && (*writer)->Write(batch).ok() && (*writer)->Finish().ok());
    return sink.data().size();
  };
  EXPECT_LT(size_with(true) * 20, size_with(false));
}

}  // namespace
}  // namespace ctlflow

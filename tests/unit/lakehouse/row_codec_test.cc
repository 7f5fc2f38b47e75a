#include "lakehouse/row_codec.h"

#include <gtest/gtest.h>

namespace ctlflow {
namespace {

TEST(RowCodec, DatesAndTimestampsRoundTripAroundTheEpochAndLeapDays) {
  EXPECT_EQ(*ParseIsoDate("1970-01-01"), 0);
  EXPECT_EQ(*ParseIsoDate("1969-12-31"), -1);
  EXPECT_EQ(*ParseIsoDate("2000-03-01"), 11017);
  EXPECT_EQ(*ParseIsoDate("2024-02-29"), 19782);
  for (const char* d : {"1900-02-28", "1999-12-31", "2024-02-29", "2100-03-01", "0001-01-01"}) {
    EXPECT_EQ(FormatIsoDate(*ParseIsoDate(d)), d);
  }
  EXPECT_FALSE(ParseIsoDate("2023-02-29").ok());
  EXPECT_FALSE(ParseIsoDate("2023-13-01").ok());
  EXPECT_FALSE(ParseIsoDate("2023-1-01").ok());
  EXPECT_FALSE(ParseIsoDate("2023-01-01x").ok());

  EXPECT_EQ(*ParseIsoTimestamp("1970-01-01 00:00:01"), 1000000);
  EXPECT_EQ(*ParseIsoTimestamp("1969-12-31 23:59:59"), -1000000);
  EXPECT_EQ(*ParseIsoTimestamp("2021-01-01T10:00:00.5Z"), 1609495200500000);
  EXPECT_EQ(FormatIsoTimestamp(-1000000), "1969-12-31 23:59:59");
  EXPECT_EQ(FormatIsoTimestamp(1609495200500000), "2021-01-01 10:00:00.5");
  EXPECT_EQ(FormatIsoTimestamp(*ParseIsoTimestamp("2023-06-30 23:59:59")), "2023-06-30 23:59:59");
  EXPECT_FALSE(ParseIsoTimestamp("2021-01-01 24:00:00").ok());
  EXPECT_FALSE(ParseIsoTimestamp("2021-01-01 10:00").ok());
}

TEST(RowCodec, BatchesHoldEveryTypeAndCellsReadBackAsTheWarehouseWroteThem) {
  ParquetSchema schema;
  schema.columns = {{"s", ParquetType::kString},  {"i", ParquetType::kInt32},   {"b", ParquetType::kInt64},
                    {"d", ParquetType::kDouble},  {"m", ParquetType::kDecimal, true, 10, 2},
                    {"f", ParquetType::kBoolean}, {"dt", ParquetType::kDate},   {"ts", ParquetType::kTimestamp}};
  BatchBuilder builder(schema);
  std::vector<Value> row1 = {std::string("a"), int64_t{7}, int64_t{1} << 40, 2.5, 12.34, int64_t{1},
                             std::string("2021-01-02"), std::string("2021-01-02 03:04:05")};
  std::vector<Value> row2(8, std::monostate());
  ASSERT_TRUE(builder.Append(row1).ok());
  ASSERT_TRUE(builder.Append(row2).ok());
  RecordBatch batch = builder.Take();
  ASSERT_EQ(batch.rows, 2);
  EXPECT_EQ(batch.columns[4].ints[0], 1234);  // unscaled
  EXPECT_EQ(batch.columns[6].ints[0], 18629);
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    EXPECT_EQ(CellValue(schema.columns[c], batch.columns[c], 0), row1[c]) << schema.columns[c].name;
    EXPECT_EQ(CellValue(schema.columns[c], batch.columns[c], 1), Value()) << schema.columns[c].name;
  }
  EXPECT_EQ(builder.rows(), 0);
}

TEST(RowCodec, ABadCellNamesItsColumnAndLeavesTheBatchConsistent) {
  ParquetSchema schema;
  schema.columns = {{"id", ParquetType::kInt32, false}, {"dt", ParquetType::kDate}};
  BatchBuilder builder(schema);
  ASSERT_TRUE(builder.Append({int64_t{1}, std::string("2021-01-01")}).ok());
  Status bad = builder.Append({int64_t{2}, std::string("yesterday")});
  EXPECT_NE(bad.message().find("column dt"), std::string::npos) << bad.message();
  Status null = builder.Append({std::monostate(), std::string("2021-01-01")});
  EXPECT_NE(null.message().find("column id: null in a required column"), std::string::npos) << null.message();
  Status wide = builder.Append({int64_t{1} << 40, std::monostate()});
  EXPECT_NE(wide.message().find("32-bit"), std::string::npos);
  RecordBatch batch = builder.Take();
  EXPECT_EQ(batch.rows, 1);
  EXPECT_EQ(batch.columns[0].ints.size(), 1u);
  EXPECT_EQ(batch.columns[1].ints.size(), 1u);
}

}  // namespace
}  // namespace ctlflow

// Ingest schema parsing and typed field conversion (process type 4).
#include <gtest/gtest.h>

#include "processes/ingest_schema.h"

namespace ctlflow {
namespace {

IngestColumn Column(const std::string& json_column) {
  auto schema = ParseIngestSchema("{\"columns\": [" + json_column + "]}", "s.json");
  EXPECT_TRUE(schema.ok()) << schema.status().message();
  return schema.ok() ? schema->columns[0] : IngestColumn{};
}

std::string Error(const IngestColumn& c, const std::string& text) {
  auto v = ConvertField(c, text);
  return v.ok() ? "" : v.status().message();
}

TEST(IngestSchema, ErrorsNameTheFileAndTheColumn) {
  auto bad = ParseIngestSchema(R"j({"columns": [{"name": "a", "type": "string"}, {"name": "b", "type": "float"}]})j",
                               "lake/s.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("lake/s.json: column 2 (b): unknown type 'float'", 0), 0u)
      << bad.status().message();
  EXPECT_FALSE(ParseIngestSchema("{", "x.json").ok());
  EXPECT_FALSE(ParseIngestSchema(R"j({"columns": [{"name": "a", "type": "decimal(3,4)"}]})j", "x.json").ok());
  EXPECT_FALSE(ParseIngestSchema(R"j({"columns": [{"name": "a", "type": "int"}, {"name": "A", "type": "int"}]})j",
                                 "x.json").ok());
}

TEST(IngestSchema, IntegersCheckTheirRange) {
  IngestColumn i = Column(R"j({"name": "a", "type": "int"})j");
  EXPECT_EQ(std::get<int64_t>(*ConvertField(i, " 42 ")), 42);
  EXPECT_EQ(std::get<int64_t>(*ConvertField(i, "-7")), -7);
  EXPECT_NE(Error(i, "3000000000"), "");
  EXPECT_NE(Error(i, "4.5"), "");
  IngestColumn b = Column(R"j({"name": "a", "type": "bigint"})j");
  EXPECT_EQ(std::get<int64_t>(*ConvertField(b, "3000000000")), 3000000000);
  EXPECT_NE(Error(b, "99999999999999999999"), "");
}

TEST(IngestSchema, DecimalsCheckPrecisionAndScale) {
  IngestColumn d = Column(R"j({"name": "a", "type": "decimal(5,2)"})j");
  EXPECT_DOUBLE_EQ(std::get<double>(*ConvertField(d, "123.45")), 123.45);
  EXPECT_DOUBLE_EQ(std::get<double>(*ConvertField(d, "-0.5")), -0.5);
  EXPECT_EQ(Error(d, "1234.5"), "'1234.5' does not fit decimal(5,2)");
  EXPECT_NE(Error(d, "1.234"), "");
  EXPECT_NE(Error(d, "1e3"), "");
}

TEST(IngestSchema, BooleansDatesAndTimestamps) {
  IngestColumn b = Column(R"j({"name": "a", "type": "boolean"})j");
  EXPECT_EQ(std::get<int64_t>(*ConvertField(b, "YES")), 1);
  EXPECT_EQ(std::get<int64_t>(*ConvertField(b, "false")), 0);
  EXPECT_NE(Error(b, "maybe"), "");
  IngestColumn d = Column(R"j({"name": "a", "type": "date"})j");
  EXPECT_EQ(std::get<std::string>(*ConvertField(d, "2024-02-29")), "2024-02-29");
  EXPECT_EQ(Error(d, "2023-02-29"), "'2023-02-29' is not a valid date");
  EXPECT_NE(Error(d, "2024-01-02 10:00"), "");
  IngestColumn t = Column(R"j({"name": "a", "type": "timestamp", "format": "%d.%m.%Y %H:%M"})j");
  EXPECT_EQ(std::get<std::string>(*ConvertField(t, "05.01.2024 13:45")), "2024-01-05 13:45:00");
}

TEST(IngestSchema, Latin1BecomesUtf8) {
  EXPECT_EQ(Latin1ToUtf8("Caf\xE9"), "Caf\xC3\xA9");
  EXPECT_EQ(Latin1ToUtf8("plain"), "plain");
}

}  // namespace
}  // namespace ctlflow

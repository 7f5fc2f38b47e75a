// Ingest schema parsing and typed field conversion (process type 4).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

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

// The hand-written fast paths (decimals of up to 15 digits, doubles through
// from_chars, the default date and timestamp formats) give exactly what
// the general parsers (strtod, strptime + strftime) give.
TEST(IngestSchema, FastPathsAgreeWithTheGeneralParsers) {
  IngestColumn dec = Column(R"j({"name": "a", "type": "decimal(18,6)"})j");
  IngestColumn dbl = Column(R"j({"name": "a", "type": "double"})j");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const int whole_digits = static_cast<int>(rng() % 13), frac_digits = static_cast<int>(rng() % 7);
    std::string text = rng() % 3 == 0 ? "-" : rng() % 5 == 0 ? "+" : "";
    for (int k = 0; k < whole_digits; ++k) text += static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0) text += '.';
    for (int k = 0; k < frac_digits; ++k) text += static_cast<char>('0' + rng() % 10);
    if (whole_digits + frac_digits == 0) text += "0";
    const double expected = std::strtod(text.c_str(), nullptr);
    auto got = ConvertField(dec, text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().message();
    EXPECT_EQ(std::get<double>(*got), expected) << text;
    EXPECT_EQ(std::get<double>(*ConvertField(dbl, " " + text + " ")), expected) << text;
  }
  EXPECT_EQ(std::get<double>(*ConvertField(dbl, "0x1p3")), 8.0);  // strtod's hex floats still work

  IngestColumn fast = Column(R"j({"name": "a", "type": "timestamp"})j");
  IngestColumn slow = Column(R"j({"name": "a", "type": "timestamp", "format": "%Y-%m-%dT%H:%M:%S"})j");
  for (const std::string text : {"2024-02-29 23:59:59", "1999-12-31 00:00:00", "2000-02-29 12:30:45"}) {
    std::string t_form = text;
    t_form[10] = 'T';
    EXPECT_EQ(std::get<std::string>(*ConvertField(fast, text)), std::get<std::string>(*ConvertField(slow, t_form)));
  }
  for (const std::string bad : {"2023-02-29 10:00:00", "2024-13-01 10:00:00", "2024-04-31 10:00:00", "2024-01-01 25:00:00",
                                "2024-01-01 10:61:00"}) {
    EXPECT_NE(Error(fast, bad), "") << bad;
  }
  IngestColumn date = Column(R"j({"name": "a", "type": "date"})j");
  EXPECT_EQ(std::get<std::string>(*ConvertField(date, " 1900-02-28 ")), "1900-02-28");
  EXPECT_NE(Error(date, "1900-02-29"), "");  // not a leap year
  EXPECT_EQ(std::get<std::string>(*ConvertField(date, "2024-1-5")), "2024-01-05");  // the general path
}

TEST(IngestSchema, Latin1BecomesUtf8) {
  EXPECT_EQ(Latin1ToUtf8("Caf\xE9"), "Caf\xC3\xA9");
  EXPECT_EQ(Latin1ToUtf8("plain"), "plain");
}

}  // namespace
}  // namespace ctlflow

#include "common/csv.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ctlflow {
namespace {

// Reads every record, or returns the error message prefixed with "ERROR ".
struct ReadAll {
  std::vector<CsvRecord> records;
  std::string error;
};

ReadAll Read(const std::string& text, char delimiter = ',') {
  std::istringstream in(text);
  CsvReader reader(in, "in.csv", delimiter);
  ReadAll out;
  for (;;) {
    CsvRecord record;
    auto more = reader.Next(&record);
    if (!more.ok()) {
      out.error = more.status().message();
      return out;
    }
    if (!*more) return out;
    out.records.push_back(std::move(record));
  }
}

std::vector<std::string> Texts(const CsvRecord& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fields) out.push_back(f.text);
  return out;
}

using Strings = std::vector<std::string>;

TEST(CsvReader, SimpleRecordsWithLf) {
  auto r = Read("a,b,c\n1,2,3\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(Texts(r.records[0]), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Texts(r.records[1]), (Strings{"1", "2", "3"}));
  EXPECT_EQ(r.records[0].line, 1);
  EXPECT_EQ(r.records[1].line, 2);
}

TEST(CsvReader, CrLfAndBareCr) {
  auto r = Read("a,b\r\n1,2\r\n3,4\r5,6");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(Texts(r.records[1]), (Strings{"1", "2"}));
  EXPECT_EQ(Texts(r.records[3]), (Strings{"5", "6"}));
  EXPECT_EQ(r.records[3].line, 4);
}

TEST(CsvReader, FinalLineWithoutNewline) {
  auto r = Read("x,y\n1,");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(Texts(r.records[1]), (Strings{"1", ""}));
}

TEST(CsvReader, QuotedFieldsWithDelimiterQuotesAndNewlines) {
  auto r = Read("\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\r\nline3\"\nnext,row,here\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(Texts(r.records[0]), (Strings{"a,b", "say \"hi\"", "line1\nline2\r\nline3"}));
  EXPECT_EQ(r.records[0].line, 1);
  // The embedded line breaks still count, so later errors point at the right line.
  EXPECT_EQ(r.records[1].line, 4);
}

TEST(CsvReader, QuotedEmptyDiffersFromUnquotedEmpty) {
  auto r = Read(",\"\",x\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 1u);
  const auto& f = r.records[0].fields;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_FALSE(f[0].quoted);
  EXPECT_TRUE(f[1].quoted);
  EXPECT_EQ(f[1].text, "");
  EXPECT_FALSE(f[2].quoted);
}

TEST(CsvReader, SkipsBlankLinesButKeepsLineNumbers) {
  auto r = Read("\n\na\r\n\r\n\nb\n\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].line, 3);
  EXPECT_EQ(r.records[1].line, 6);
}

TEST(CsvReader, DropsBomOnlyAtStart) {
  auto r = Read("\xEF\xBB\xBFname\n\xEF\xBB\xBFx\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].fields[0].text, "name");
  EXPECT_EQ(r.records[1].fields[0].text, "\xEF\xBB\xBFx");
}

TEST(CsvReader, PartialBomIsData) {
  auto r = Read("\xEF\xBBx,y\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(Texts(r.records[0]), (Strings{"\xEF\xBBx", "y"}));
}

TEST(CsvReader, UnterminatedQuoteReportsLineWhereItOpened) {
  auto r = Read("a,b\n1,\"open\nstill open\n");
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.error.rfind("in.csv:2: unterminated quoted field", 0), 0u) << r.error;
}

TEST(CsvReader, GarbageAfterClosingQuote) {
  auto r = Read("a\n\"ab\"c,d\n");
  EXPECT_EQ(r.error.rfind("in.csv:2: unexpected 'c' after the closing quote", 0), 0u) << r.error;
}

TEST(CsvReader, ErrorIsSticky) {
  std::istringstream in("\"x\"y\nok\n");
  CsvReader reader(in, "in.csv");
  CsvRecord record;
  EXPECT_FALSE(reader.Next(&record).ok());
  EXPECT_FALSE(reader.Next(&record).ok());
}

TEST(CsvReader, OtherDelimiterAndEmptyInput) {
  auto r = Read("a;\"b;c\";d\n", ';');
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(Texts(r.records[0]), (Strings{"a", "b;c", "d"}));
  EXPECT_TRUE(Read("").records.empty());
  EXPECT_EQ(Read("").error, "");
}

TEST(CsvQuote, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvQuote("plain"), "plain");
  EXPECT_EQ(CsvQuote("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(CsvQuote(""), "\"\"");
  EXPECT_EQ(CsvQuote("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvQuote("a;b"), "a;b");
  EXPECT_EQ(CsvQuote("a;b", ';'), "\"a;b\"");
  EXPECT_EQ(CsvQuote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvQuote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvQuote("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvQuote(" lead"), "\" lead\"");
  EXPECT_EQ(CsvQuote("trail "), "\"trail \"");
  EXPECT_EQ(CsvQuote("in side"), "in side");
}

TEST(CsvQuote, RoundTripsThroughReader) {
  const Strings values = {"", "x", "a,b", "\"", "\"\"", "multi\r\nline\n", " pad ", "null"};
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvQuote(values[i]);
  }
  auto r = Read(line + "\r\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(Texts(r.records[0]), values);
}

}  // namespace
}  // namespace ctlflow

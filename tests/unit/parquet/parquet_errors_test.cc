// Bad input on both sides: batches that do not match the schema, and files
// that are not Parquet, truncated or corrupt (including a fuzz loop that
// must never crash, hang or allocate without bound).
#include <gtest/gtest.h>

#include <random>

#include "parquet/encoding.h"
#include "parquet/parquet.h"
#include "parquet_test_util.h"

namespace ctlflow {
namespace {

std::string SmallFile(ParquetCodec codec, bool dictionary) {
  const ParquetSchema schema = AllTypesSchema();
  ParquetWriterOptions options;
  options.codec = codec;
  options.dictionary = dictionary;
  options.page_bytes = 512;
  options.row_group_bytes = 8 << 10;
  StringSink sink;
  auto writer = ParquetWriter::Open(schema, options, &sink);
  EXPECT_TRUE(writer.ok());
  RecordBatch batch;
  FillBatch(schema, 0, 400, &batch);
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
  return sink.data();
}

Status WriteOne(const ParquetSchema& schema, const RecordBatch& batch) {
  StringSink sink;
  CTL_ASSIGN_OR_RETURN(auto writer, ParquetWriter::Open(schema, ParquetWriterOptions(), &sink));
  return writer->Write(batch);
}

TEST(ParquetWriterErrors, NullInRequiredColumnNamesIt) {
  const ParquetSchema schema = AllTypesSchema();
  RecordBatch batch;
  FillBatch(schema, 0, 10, &batch);
  const size_t c = 12;  // r_str
  ASSERT_EQ(schema.columns[c].name, "r_str");
  batch.columns[c].valid.assign(10, 1);
  batch.columns[c].valid[3] = 0;
  Status st = WriteOne(schema, batch);
  EXPECT_EQ(st.code(), ErrorCode::kInvalid);
  EXPECT_NE(st.message().find("r_str"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("row 3"), std::string::npos) << st.message();
}

TEST(ParquetWriterErrors, ShapeMismatchesNameTheColumn) {
  const ParquetSchema schema = AllTypesSchema();
  RecordBatch batch;
  FillBatch(schema, 0, 10, &batch);
  RecordBatch missing = batch;
  missing.columns.pop_back();
  EXPECT_EQ(WriteOne(schema, missing).code(), ErrorCode::kInvalid);

  RecordBatch short_vector = batch;
  short_vector.columns[2].doubles.pop_back();  // n_dbl
  Status st = WriteOne(schema, short_vector);
  EXPECT_EQ(st.code(), ErrorCode::kInvalid);
  EXPECT_NE(st.message().find("n_dbl"), std::string::npos) << st.message();

  RecordBatch wrong_valid = batch;
  wrong_valid.columns[4].valid.resize(3);
  st = WriteOne(schema, wrong_valid);
  EXPECT_NE(st.message().find("n_str"), std::string::npos) << st.message();

  RecordBatch too_big = batch;
  too_big.columns[8].ints[0] = 1LL << 40;  // r_i32
  st = WriteOne(schema, too_big);
  EXPECT_NE(st.message().find("r_i32"), std::string::npos) << st.message();
}

TEST(ParquetWriterErrors, BadSchemas) {
  StringSink sink;
  ParquetSchema schema;
  EXPECT_FALSE(ParquetWriter::Open(schema, ParquetWriterOptions(), &sink).ok());
  schema.columns.push_back({"d", ParquetType::kDecimal, true, 30, 2, -1});
  auto r = ParquetWriter::Open(schema, ParquetWriterOptions(), &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'d'"), std::string::npos);
  schema.columns[0] = {"x", ParquetType::kInt32, true, 0, 0, -1};
  schema.columns.push_back(schema.columns[0]);
  EXPECT_FALSE(ParquetWriter::Open(schema, ParquetWriterOptions(), &sink).ok());
}

TEST(ParquetReaderErrors, NotParquetTruncatedAndCorruptFooter) {
  const std::string good = SmallFile(ParquetCodec::kZstd, true);
  auto expect_invalid = [](const std::string& bytes, const std::string& why) {
    auto r = OpenBytes(bytes, "bad.parquet");
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalid) << why;
    EXPECT_NE(r.status().message().find("bad.parquet"), std::string::npos)
        << why << ": " << r.status().message();
  };
  expect_invalid("", "empty");
  expect_invalid("id,name\n1,a\n2,b\n", "csv");
  expect_invalid(good.substr(0, good.size() - 1), "last byte cut");
  expect_invalid(good.substr(0, good.size() / 2), "cut in half");
  std::string bad_head = good;
  bad_head[0] = 'X';
  expect_invalid(bad_head, "bad leading magic");
  std::string long_footer = good;
  long_footer[good.size() - 5] = '\x7f';  // footer length now exceeds the file
  expect_invalid(long_footer, "footer length");
  std::string garbage_footer = good;
  const uint32_t footer_len = static_cast<uint8_t>(good[good.size() - 8]) |
                              (static_cast<uint8_t>(good[good.size() - 7]) << 8);
  for (size_t i = good.size() - 8 - footer_len; i < good.size() - 8; ++i)
    garbage_footer[i] = '\xff';
  expect_invalid(garbage_footer, "garbage footer");
}

TEST(ParquetReaderErrors, CorruptPagesAreErrorsNamingTheColumn) {
  std::string bytes = SmallFile(ParquetCodec::kUncompressed, false);
  // Overwrite the first data page's bytes (after the magic) with garbage.
  for (size_t i = 4; i < 40; ++i) bytes[i] = '\xee';
  auto reader = OpenBytes(bytes, "pages.parquet");
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto batch = (*reader)->ReadRowGroup(0);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("pages.parquet"), std::string::npos);
  EXPECT_NE(batch.status().message().find("row group 0"), std::string::npos);
  EXPECT_NE(batch.status().message().find("n_i32"), std::string::npos) << batch.status().message();
}

// Flips and truncates bytes of valid files; reading must fail cleanly or
// succeed, never crash (run under ASan to catch out-of-bounds reads).
TEST(ParquetReaderErrors, FuzzedFilesNeverCrash) {
  std::mt19937_64 rng(12345);
  int opened = 0, failed = 0;
  for (ParquetCodec codec :
       {ParquetCodec::kUncompressed, ParquetCodec::kSnappy, ParquetCodec::kZstd}) {
    for (bool dictionary : {true, false}) {
      const std::string good = SmallFile(codec, dictionary);
      for (int iteration = 0; iteration < 400; ++iteration) {
        std::string bytes = good;
        const int mode = static_cast<int>(rng() % 4);
        if (mode == 0) {
          bytes.resize(rng() % bytes.size());
        } else {
          const int flips = 1 + static_cast<int>(rng() % 4);
          for (int f = 0; f < flips; ++f) {
            // Half the flips land in the footer, where lengths and offsets live.
            const size_t footer_zone = std::min<size_t>(bytes.size(), 2000);
            const size_t at =
                mode == 1 ? bytes.size() - 1 - rng() % footer_zone : rng() % bytes.size();
            bytes[at] = static_cast<char>(bytes[at] ^ (1 + rng() % 255));
          }
        }
        auto reader = OpenBytes(bytes, "fuzz.parquet");
        if (!reader.ok()) {
          ++failed;
          continue;
        }
        ++opened;
        for (int g = 0; g < (*reader)->num_row_groups(); ++g) {
          auto batch = (*reader)->ReadRowGroup(g);
          if (!batch.ok()) {
            EXPECT_EQ(batch.status().code(), ErrorCode::kInvalid) << batch.status().message();
            continue;
          }
          for (const ColumnData& c : batch->columns) {
            const size_t rows = static_cast<size_t>(batch->rows);
            EXPECT_TRUE(c.ints.size() == rows || c.doubles.size() == rows ||
                        c.strings.size() == rows);
          }
        }
      }
    }
  }
  EXPECT_GT(opened, 0);
  EXPECT_GT(failed, 0);
}

TEST(ParquetEncoding, RleBitPackedRoundTrip) {
  std::mt19937 rng(7);
  for (int width : {1, 2, 3, 7, 8, 13, 20, 32}) {
    std::vector<uint32_t> values;
    const uint64_t limit = width == 32 ? 0xffffffffULL : (1ULL << width) - 1;
    for (int run = 0; run < 60; ++run) {
      const uint32_t v = static_cast<uint32_t>(rng() & limit);
      const int length = static_cast<int>(rng() % 20);
      for (int i = 0; i < length; ++i) {
        values.push_back(run % 2 ? v : static_cast<uint32_t>(rng() & limit));
      }
    }
    std::string encoded;
    EncodeRleBitPacked(values.data(), values.size(), width, &encoded);
    std::vector<uint32_t> decoded(values.size());
    RleBitPackedDecoder decoder(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size(),
                                width);
    ASSERT_TRUE(decoder.Decode(decoded.data(), decoded.size())) << width;
    EXPECT_EQ(decoded, values) << width;
    RleBitPackedDecoder again(reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size() / 2,
                              width);
    std::vector<uint32_t> partial(values.size());
    EXPECT_FALSE(again.Decode(partial.data(), partial.size()) && values.size() > 64) << width;
  }
}

}  // namespace
}  // namespace ctlflow

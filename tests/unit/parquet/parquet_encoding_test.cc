// The delta decoders against streams built here from the format's
// description (DuckDB writes DELTA_BINARY_PACKED and DELTA_LENGTH_BYTE_ARRAY
// in the cross tests, but not DELTA_BYTE_ARRAY).
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "parquet/encoding.h"

namespace ctlflow {
namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

// DELTA_BINARY_PACKED with blocks of 128 values in 4 miniblocks of 32.
std::string EncodeDelta(const std::vector<int64_t>& values) {
  std::string out;
  AppendUleb128(128, &out);
  AppendUleb128(4, &out);
  AppendUleb128(values.size(), &out);
  AppendUleb128(ZigZag(values.empty() ? 0 : values[0]), &out);
  std::vector<uint64_t> deltas;
  for (size_t i = 1; i < values.size(); ++i) {
    deltas.push_back(static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1]));
  }
  for (size_t block = 0; block < deltas.size(); block += 128) {
    const size_t end = std::min(deltas.size(), block + 128);
    int64_t min_delta = std::numeric_limits<int64_t>::max();
    for (size_t i = block; i < end; ++i)
      min_delta = std::min(min_delta, static_cast<int64_t>(deltas[i]));
    AppendUleb128(ZigZag(min_delta), &out);
    std::vector<int> widths(4, 0);
    for (size_t m = 0; m < 4; ++m) {
      for (size_t i = block + m * 32; i < std::min(end, block + m * 32 + 32); ++i) {
        widths[m] = std::max(widths[m], BitWidthOf(deltas[i] - static_cast<uint64_t>(min_delta)));
      }
    }
    for (int w : widths) out.push_back(static_cast<char>(w));
    for (size_t m = 0; m < 4 && block + m * 32 < end; ++m) {
      unsigned __int128 acc = 0;
      int bits = 0;
      for (size_t j = 0; j < 32; ++j) {
        const size_t i = block + m * 32 + j;
        const uint64_t v = i < end ? deltas[i] - static_cast<uint64_t>(min_delta) : 0;
        acc |= static_cast<unsigned __int128>(v) << bits;
        bits += widths[m];
        while (bits >= 8) {
          out.push_back(static_cast<char>(static_cast<uint8_t>(acc)));
          acc >>= 8;
          bits -= 8;
        }
      }
    }
  }
  return out;
}

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(ParquetDeltaEncoding, BinaryPackedIncludingExtremes) {
  std::vector<int64_t> values;
  for (int i = 0; i < 1000; ++i) values.push_back(i * i * (i % 2 ? -1 : 1));
  values.push_back(std::numeric_limits<int64_t>::max());
  values.push_back(std::numeric_limits<int64_t>::min());
  values.push_back(0);
  const std::string encoded = EncodeDelta(values);
  std::vector<int64_t> decoded;
  EXPECT_EQ(DecodeDeltaBinaryPacked(Bytes(encoded), encoded.size(), values.size(), &decoded),
            static_cast<int64_t>(encoded.size()));
  EXPECT_EQ(decoded, values);
  // More values than the page allows, and a cut stream, are errors.
  decoded.clear();
  EXPECT_LT(DecodeDeltaBinaryPacked(Bytes(encoded), encoded.size(), values.size() - 1, &decoded),
            0);
  decoded.clear();
  EXPECT_LT(DecodeDeltaBinaryPacked(Bytes(encoded), encoded.size() - 9, values.size(), &decoded),
            0);
}

TEST(ParquetDeltaEncoding, LengthByteArrayAndByteArray) {
  const std::vector<std::string> strings = {"apple", "applesauce", "apply", "",     "banana",
                                            "band",  "bandana",    "b",     "zebra"};
  std::vector<int64_t> lengths, prefixes, suffix_lengths;
  std::string concatenated, suffixes;
  std::string previous;
  for (const std::string& s : strings) {
    lengths.push_back(static_cast<int64_t>(s.size()));
    concatenated += s;
    size_t prefix = 0;
    while (prefix < s.size() && prefix < previous.size() && s[prefix] == previous[prefix]) ++prefix;
    prefixes.push_back(static_cast<int64_t>(prefix));
    suffix_lengths.push_back(static_cast<int64_t>(s.size() - prefix));
    suffixes += s.substr(prefix);
    previous = s;
  }
  const std::string dlba = EncodeDelta(lengths) + concatenated;
  std::vector<std::string> decoded;
  ASSERT_TRUE(DecodeDeltaLengthByteArray(Bytes(dlba), dlba.size(), strings.size(), &decoded));
  EXPECT_EQ(decoded, strings);

  const std::string dba = EncodeDelta(prefixes) + EncodeDelta(suffix_lengths) + suffixes;
  decoded.clear();
  ASSERT_TRUE(DecodeDeltaByteArray(Bytes(dba), dba.size(), strings.size(), &decoded));
  EXPECT_EQ(decoded, strings);
  decoded.clear();
  EXPECT_FALSE(DecodeDeltaByteArray(Bytes(dba), dba.size() - 3, strings.size(), &decoded));
  // A prefix longer than the previous value is corrupt.
  std::vector<int64_t> bad_prefixes = prefixes;
  bad_prefixes[1] = 50;
  const std::string bad = EncodeDelta(bad_prefixes) + EncodeDelta(suffix_lengths) + suffixes;
  decoded.clear();
  EXPECT_FALSE(DecodeDeltaByteArray(Bytes(bad), bad.size(), strings.size(), &decoded));
}

}  // namespace
}  // namespace ctlflow

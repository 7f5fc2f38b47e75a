// Parquet's value and level encodings: the RLE/bit-packed hybrid (levels,
// dictionary indexes, booleans), bit packing, ULEB128 varints and the delta
// encodings. Decoders take a bounded byte range and fail instead of reading
// past it, because every length in a page comes from an untrusted file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ctlflow {

// Bits needed to store `max_value` (0 for 0).
int BitWidthOf(uint64_t max_value);

void AppendUleb128(uint64_t value, std::string* out);

// Reads a ULEB128 at *pos; false when it runs past `size` or past 10 bytes.
bool ReadUleb128(const uint8_t* data, size_t size, size_t* pos, uint64_t* value);

// Encodes `values` (each < 2^bit_width) as the RLE/bit-packed hybrid,
// appending to `out`. Runs of 8 or more equal values become RLE runs, the
// rest bit-packed groups of 8 (the last one zero-padded).
void EncodeRleBitPacked(const uint32_t* values, size_t count, int bit_width, std::string* out);
void EncodeRleBitPacked(const uint8_t* values, size_t count, int bit_width, std::string* out);

// Decodes the hybrid encoding, one run at a time.
class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder(const uint8_t* data, size_t size, int bit_width)
      : data_(data), size_(size), bit_width_(bit_width) {}
  // Decodes exactly `count` values into `out`; false when the data ends
  // early or is malformed.
  bool Decode(uint32_t* out, size_t count);

 private:
  bool NextRun();
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  int bit_width_;
  // Current run: either `rle_left_` copies of `rle_value_`, or bit-packed
  // values starting at bit `packed_bit_` of data_, `packed_left_` of them.
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  uint64_t packed_bit_ = 0;
};

// DELTA_BINARY_PACKED: decodes up to `max_values` values (the header's count
// must not exceed it) into `out` and returns the bytes consumed, or -1.
int64_t DecodeDeltaBinaryPacked(const uint8_t* data, size_t size, size_t max_values,
                                std::vector<int64_t>* out);

// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY: appends `count` strings.
bool DecodeDeltaLengthByteArray(const uint8_t* data, size_t size, size_t count,
                                std::vector<std::string>* out);
bool DecodeDeltaByteArray(const uint8_t* data, size_t size, size_t count,
                          std::vector<std::string>* out);

}  // namespace ctlflow

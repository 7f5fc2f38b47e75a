#include "parquet/encoding.h"

#include <algorithm>

namespace ctlflow {

namespace {

// `bit_width` (<= 64) bits starting at bit `bit` of `base`, LSB first. The
// caller has checked that the bits lie inside the buffer.
uint64_t ReadBits(const uint8_t* base, uint64_t bit, int bit_width) {
  uint64_t value = 0;
  int got = 0;
  while (got < bit_width) {
    const uint64_t byte = base[bit >> 3];
    const int offset = static_cast<int>(bit & 7);
    const int take = std::min(8 - offset, bit_width - got);
    value |= ((byte >> offset) & ((1ULL << take) - 1)) << got;
    got += take;
    bit += static_cast<uint64_t>(take);
  }
  return value;
}

template <typename T>
size_t RunLengthAt(const T* values, size_t count, size_t pos) {
  size_t end = pos + 1;
  while (end < count && values[end] == values[pos]) ++end;
  return end - pos;
}

template <typename T>
void EncodeHybrid(const T* values, size_t count, int bit_width, std::string* out) {
  const int value_bytes = (bit_width + 7) / 8;
  size_t pos = 0;
  while (pos < count) {
    const size_t run = RunLengthAt(values, count, pos);
    if (run >= 8) {
      AppendUleb128(static_cast<uint64_t>(run) << 1, out);
      const uint32_t value = values[pos];
      for (int b = 0; b < value_bytes; ++b) out->push_back(static_cast<char>(value >> (8 * b)));
      pos += run;
      continue;
    }
    // A literal run of whole groups of 8, ending where an RLE run can start.
    const size_t start = pos;
    size_t groups = 0;
    while (pos < count) {
      pos = std::min(pos + 8, count);
      ++groups;
      if (pos < count && RunLengthAt(values, count, pos) >= 8) break;
    }
    AppendUleb128((static_cast<uint64_t>(groups) << 1) | 1, out);
    const size_t literal = pos - start;
    uint64_t acc = 0;
    int bits = 0;
    for (size_t k = 0; k < groups * 8; ++k) {
      const uint64_t value = k < literal ? values[start + k] : 0;
      acc |= value << bits;
      bits += bit_width;
      while (bits >= 8) {
        out->push_back(static_cast<char>(acc & 0xff));
        acc >>= 8;
        bits -= 8;
      }
    }
  }
}

int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

}  // namespace

int BitWidthOf(uint64_t max_value) {
  int width = 0;
  while (max_value != 0) {
    ++width;
    max_value >>= 1;
  }
  return width;
}

void AppendUleb128(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool ReadUleb128(const uint8_t* data, size_t size, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= size) return false;
    const uint8_t byte = data[(*pos)++];
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

void EncodeRleBitPacked(const uint32_t* values, size_t count, int bit_width, std::string* out) {
  EncodeHybrid(values, count, bit_width, out);
}

void EncodeRleBitPacked(const uint8_t* values, size_t count, int bit_width, std::string* out) {
  EncodeHybrid(values, count, bit_width, out);
}

bool RleBitPackedDecoder::NextRun() {
  if (bit_width_ < 0 || bit_width_ > 32) return false;
  uint64_t header = 0;
  if (!ReadUleb128(data_, size_, &pos_, &header)) return false;
  if (header & 1) {
    const uint64_t groups = header >> 1;
    if (groups == 0) return false;
    const uint64_t available = size_ - pos_;
    packed_bit_ = static_cast<uint64_t>(pos_) * 8;
    if (bit_width_ == 0) {
      packed_left_ = std::min<uint64_t>(groups, 1ULL << 40) * 8;
      return true;
    }
    // Each group takes bit_width >= 1 bytes, so more groups than bytes are
    // cut short; writers may also omit the padding of the last group.
    const uint64_t bounded = std::min(groups, available);
    packed_left_ = std::min(bounded * 8, available * 8 / static_cast<uint64_t>(bit_width_));
    if (packed_left_ == 0) return false;
    pos_ += static_cast<size_t>(std::min(bounded * static_cast<uint64_t>(bit_width_), available));
    return true;
  }
  rle_left_ = header >> 1;
  if (rle_left_ == 0) return false;
  const int value_bytes = (bit_width_ + 7) / 8;
  if (size_ - pos_ < static_cast<size_t>(value_bytes)) return false;
  uint64_t value = 0;
  for (int b = 0; b < value_bytes; ++b) value |= static_cast<uint64_t>(data_[pos_ + b]) << (8 * b);
  pos_ += static_cast<size_t>(value_bytes);
  if (bit_width_ < 32 && (value >> bit_width_) != 0) return false;
  rle_value_ = static_cast<uint32_t>(value);
  return true;
}

bool RleBitPackedDecoder::Decode(uint32_t* out, size_t count) {
  size_t done = 0;
  while (done < count) {
    if (rle_left_ > 0) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(rle_left_, count - done));
      std::fill(out + done, out + done + k, rle_value_);
      rle_left_ -= k;
      done += k;
      continue;
    }
    if (packed_left_ > 0) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(packed_left_, count - done));
      if (bit_width_ == 0) {
        std::fill(out + done, out + done + k, 0u);
      } else {
        for (size_t i = 0; i < k; ++i) {
          out[done + i] = static_cast<uint32_t>(ReadBits(data_, packed_bit_, bit_width_));
          packed_bit_ += static_cast<uint64_t>(bit_width_);
        }
      }
      packed_left_ -= k;
      done += k;
      continue;
    }
    if (!NextRun()) return false;
  }
  return true;
}

int64_t DecodeDeltaBinaryPacked(const uint8_t* data, size_t size, size_t max_values,
                                std::vector<int64_t>* out) {
  size_t pos = 0;
  uint64_t block_size = 0, miniblocks = 0, total = 0, first = 0;
  if (!ReadUleb128(data, size, &pos, &block_size) || !ReadUleb128(data, size, &pos, &miniblocks) ||
      !ReadUleb128(data, size, &pos, &total) || !ReadUleb128(data, size, &pos, &first)) {
    return -1;
  }
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 8 != 0 || total > max_values) {
    return -1;
  }
  const uint64_t per_miniblock = block_size / miniblocks;
  if (total == 0) return static_cast<int64_t>(pos);
  uint64_t value = static_cast<uint64_t>(ZigZagDecode(first));
  out->push_back(static_cast<int64_t>(value));
  uint64_t remaining = total - 1;
  while (remaining > 0) {
    uint64_t min_delta_zz = 0;
    if (!ReadUleb128(data, size, &pos, &min_delta_zz)) return -1;
    const uint64_t min_delta = static_cast<uint64_t>(ZigZagDecode(min_delta_zz));
    if (size - pos < miniblocks) return -1;
    const uint8_t* widths = data + pos;
    pos += static_cast<size_t>(miniblocks);
    for (uint64_t m = 0; m < miniblocks && remaining > 0; ++m) {
      const int width = widths[m];
      if (width > 64) return -1;
      const uint64_t bytes = per_miniblock * static_cast<uint64_t>(width) / 8;
      if (size - pos < bytes) return -1;
      const uint8_t* base = data + pos;
      for (uint64_t j = 0; j < per_miniblock && remaining > 0; ++j) {
        const uint64_t delta =
            width == 0 ? 0 : ReadBits(base, j * static_cast<uint64_t>(width), width);
        value += min_delta + delta;  // wraps like the writer's two's complement arithmetic
        out->push_back(static_cast<int64_t>(value));
        --remaining;
      }
      pos += static_cast<size_t>(bytes);
    }
  }
  return static_cast<int64_t>(pos);
}

bool DecodeDeltaLengthByteArray(const uint8_t* data, size_t size, size_t count,
                                std::vector<std::string>* out) {
  std::vector<int64_t> lengths;
  const int64_t used = DecodeDeltaBinaryPacked(data, size, count, &lengths);
  if (used < 0 || lengths.size() != count) return false;
  size_t pos = static_cast<size_t>(used);
  for (int64_t length : lengths) {
    if (length < 0 || static_cast<uint64_t>(length) > size - pos) return false;
    out->emplace_back(reinterpret_cast<const char*>(data + pos), static_cast<size_t>(length));
    pos += static_cast<size_t>(length);
  }
  return true;
}

bool DecodeDeltaByteArray(const uint8_t* data, size_t size, size_t count,
                          std::vector<std::string>* out) {
  std::vector<int64_t> prefixes, suffixes;
  const int64_t used1 = DecodeDeltaBinaryPacked(data, size, count, &prefixes);
  if (used1 < 0 || prefixes.size() != count) return false;
  size_t pos = static_cast<size_t>(used1);
  const int64_t used2 = DecodeDeltaBinaryPacked(data + pos, size - pos, count, &suffixes);
  if (used2 < 0 || suffixes.size() != count) return false;
  pos += static_cast<size_t>(used2);
  std::string previous;
  for (size_t i = 0; i < count; ++i) {
    const int64_t prefix = prefixes[i], suffix = suffixes[i];
    if (prefix < 0 || static_cast<uint64_t>(prefix) > previous.size() || suffix < 0 ||
        static_cast<uint64_t>(suffix) > size - pos) {
      return false;
    }
    std::string value = previous.substr(0, static_cast<size_t>(prefix));
    value.append(reinterpret_cast<const char*>(data + pos), static_cast<size_t>(suffix));
    pos += static_cast<size_t>(suffix);
    previous = value;
    out->push_back(std::move(value));
  }
  return true;
}

}  // namespace ctlflow

// ParquetReader: maps a file's flat schema onto ParquetSchema and decodes
// whole column chunks into dense ColumnData. Every length read from the file
// is checked against the bytes that remain before it is used, so a corrupt
// file yields an Invalid error rather than a crash or a huge allocation.
#include <cstring>
#include <limits>

#include "parquet/compression.h"
#include "parquet/encoding.h"
#include "parquet/parquet.h"
#include "parquet/thrift_metadata.h"

namespace ctlflow {

namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr int64_t kMaxFooterBytes = 256LL << 20;
// Days from the Julian day epoch to 1970-01-01, for INT96 timestamps.
constexpr int64_t kJulianUnixEpoch = 2440588;

// How a leaf's stored values become ParquetType values.
enum class Conversion { kNone, kUint32, kMillis, kNanos, kInt96, kFloat, kDecimalBytes };

struct Leaf {
  int32_t physical = 0;
  int32_t type_length = 0;
  Conversion conversion = Conversion::kNone;
};

enum class Output { kInts, kDoubles, kStrings };

Output OutputOf(ParquetType type) {
  if (type == ParquetType::kDouble) return Output::kDoubles;
  if (type == ParquetType::kString) return Output::kStrings;
  return Output::kInts;
}

uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

int64_t ConvertInt(Conversion c, int64_t v) {
  switch (c) {
    case Conversion::kUint32:
      return static_cast<int64_t>(static_cast<uint32_t>(v));
    case Conversion::kMillis:
      return static_cast<int64_t>(static_cast<uint64_t>(v) * 1000);
    case Conversion::kNanos:
      return v >= 0 ? v / 1000 : -((-(v + 1)) / 1000) - 1;  // floor
    default:
      return v;
  }
}

// A big-endian two's complement integer of at most 8 bytes (decimals in
// byte arrays); false when it does not fit in 64 bits.
bool BigEndianToInt(const uint8_t* p, size_t n, int64_t* out) {
  if (n == 0) {
    *out = 0;
    return true;
  }
  size_t skip = 0;
  // Sign-extension bytes beyond 8 are allowed when they carry no value.
  while (n - skip > 8) {
    const uint8_t sign = (p[skip + 1] & 0x80) ? 0xff : 0x00;
    if (p[skip] != sign) return false;
    ++skip;
  }
  uint64_t v = (p[skip] & 0x80) ? ~0ULL : 0;
  for (size_t i = skip; i < n; ++i) v = (v << 8) | p[i];
  *out = static_cast<int64_t>(v);
  return true;
}

Status Corrupt(const std::string& what) { return Status::Invalid(what); }

// PLAIN values of `leaf`, appended to the vector `out` uses.
Status DecodePlain(const Leaf& leaf, Output output, const uint8_t* data, size_t size, size_t count,
                   ColumnData* out) {
  auto need = [&](size_t width) -> Status {
    if (width != 0 && count > size / width) {
      return Corrupt("PLAIN data holds fewer than the page's " + std::to_string(count) + " values");
    }
    return Status::Ok();
  };
  switch (leaf.physical) {
    case kPhysBoolean:
      if (count > size * 8) return need(1);
      for (size_t i = 0; i < count; ++i) out->ints.push_back((data[i / 8] >> (i % 8)) & 1);
      return Status::Ok();
    case kPhysInt32:
      CTL_RETURN_IF_ERROR(need(4));
      for (size_t i = 0; i < count; ++i) {
        const int32_t v = static_cast<int32_t>(LoadLe32(data + 4 * i));
        out->ints.push_back(ConvertInt(leaf.conversion, v));
      }
      return Status::Ok();
    case kPhysInt64:
      CTL_RETURN_IF_ERROR(need(8));
      for (size_t i = 0; i < count; ++i) {
        out->ints.push_back(
            ConvertInt(leaf.conversion, static_cast<int64_t>(LoadLe64(data + 8 * i))));
      }
      return Status::Ok();
    case kPhysInt96:
      CTL_RETURN_IF_ERROR(need(12));
      for (size_t i = 0; i < count; ++i) {
        const uint64_t nanos = LoadLe64(data + 12 * i);
        const int64_t day = static_cast<int32_t>(LoadLe32(data + 12 * i + 8));
        // A Julian day can lie beyond what µs since 1970 in an int64 hold.
        int64_t micros = 0;
        if (__builtin_mul_overflow(day - kJulianUnixEpoch, 86400000000LL, &micros) ||
            __builtin_add_overflow(micros, static_cast<int64_t>(nanos / 1000), &micros)) {
          return Corrupt("INT96 timestamp with Julian day " + std::to_string(day) +
                         " is out of range");
        }
        out->ints.push_back(micros);
      }
      return Status::Ok();
    case kPhysFloat:
      CTL_RETURN_IF_ERROR(need(4));
      for (size_t i = 0; i < count; ++i) {
        float f;
        std::memcpy(&f, data + 4 * i, 4);
        out->doubles.push_back(f);
      }
      return Status::Ok();
    case kPhysDouble:
      CTL_RETURN_IF_ERROR(need(8));
      for (size_t i = 0; i < count; ++i) {
        double d;
        std::memcpy(&d, data + 8 * i, 8);
        out->doubles.push_back(d);
      }
      return Status::Ok();
    case kPhysByteArray:
    case kPhysFixedLenByteArray: {
      const bool fixed = leaf.physical == kPhysFixedLenByteArray;
      if (fixed) CTL_RETURN_IF_ERROR(need(static_cast<size_t>(leaf.type_length)));
      size_t pos = 0;
      for (size_t i = 0; i < count; ++i) {
        size_t length = static_cast<size_t>(leaf.type_length);
        if (!fixed) {
          if (size - pos < 4) return Corrupt("BYTE_ARRAY value runs past its page");
          length = LoadLe32(data + pos);
          pos += 4;
        }
        if (length > size - pos) return Corrupt("BYTE_ARRAY value runs past its page");
        if (output == Output::kStrings) {
          out->strings.emplace_back(reinterpret_cast<const char*>(data + pos), length);
        } else {
          int64_t v = 0;
          if (!BigEndianToInt(data + pos, length, &v)) return Corrupt("decimal exceeds 64 bits");
          out->ints.push_back(v);
        }
        pos += length;
      }
      return Status::Ok();
    }
    default:
      return Corrupt("unsupported physical type " + std::to_string(leaf.physical));
  }
}

// Copies dictionary entries picked by `indices` to `out`.
Status DecodeDictionaryIndexes(const uint8_t* data, size_t size, size_t count,
                               const ColumnData& dict, size_t dict_size, Output output,
                               ColumnData* out) {
  if (count == 0) return Status::Ok();
  if (size < 1) return Corrupt("dictionary-encoded page has no bit width");
  const int width = data[0];
  if (width > 32) return Corrupt("dictionary index bit width " + std::to_string(width));
  std::vector<uint32_t> indices(count);
  RleBitPackedDecoder decoder(data + 1, size - 1, width);
  if (!decoder.Decode(indices.data(), count)) {
    return Corrupt("dictionary indexes end before the page's values");
  }
  for (uint32_t index : indices) {
    if (index >= dict_size) {
      return Corrupt("dictionary index " + std::to_string(index) + " is past the dictionary's " +
                     std::to_string(dict_size) + " entries");
    }
    switch (output) {
      case Output::kInts:
        out->ints.push_back(dict.ints[index]);
        break;
      case Output::kDoubles:
        out->doubles.push_back(dict.doubles[index]);
        break;
      case Output::kStrings:
        out->strings.push_back(dict.strings[index]);
        break;
    }
  }
  return Status::Ok();
}

std::string EncodingName(int32_t encoding) {
  switch (encoding) {
    case kEncPlain:
      return "PLAIN";
    case kEncPlainDictionary:
      return "PLAIN_DICTIONARY";
    case kEncRle:
      return "RLE";
    case kEncBitPacked:
      return "BIT_PACKED";
    case kEncDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case kEncDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case kEncDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case kEncRleDictionary:
      return "RLE_DICTIONARY";
    case kEncByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
    default:
      return "encoding " + std::to_string(encoding);
  }
}

Status DecodeValues(const Leaf& leaf, Output output, int32_t encoding, const uint8_t* data,
                    size_t size, size_t count, const ColumnData& dict, size_t dict_size,
                    bool has_dict, ColumnData* out) {
  switch (encoding) {
    case kEncPlain:
      return DecodePlain(leaf, output, data, size, count, out);
    case kEncPlainDictionary:
    case kEncRleDictionary:
      if (!has_dict) return Corrupt("dictionary-encoded page without a dictionary page");
      return DecodeDictionaryIndexes(data, size, count, dict, dict_size, output, out);
    case kEncRle: {
      if (leaf.physical != kPhysBoolean) break;
      if (size < 4) return Corrupt("RLE booleans lack their length");
      const uint32_t length = LoadLe32(data);
      if (length > size - 4) return Corrupt("RLE booleans run past their page");
      std::vector<uint32_t> bits(count);
      RleBitPackedDecoder decoder(data + 4, length, 1);
      if (!decoder.Decode(bits.data(), count)) return Corrupt("RLE booleans end early");
      for (uint32_t b : bits) out->ints.push_back(b);
      return Status::Ok();
    }
    case kEncDeltaBinaryPacked: {
      if (leaf.physical != kPhysInt32 && leaf.physical != kPhysInt64) break;
      std::vector<int64_t> values;
      if (DecodeDeltaBinaryPacked(data, size, count, &values) < 0 || values.size() != count) {
        return Corrupt("DELTA_BINARY_PACKED data is corrupt");
      }
      for (int64_t v : values) {
        if (leaf.physical == kPhysInt32) v = static_cast<int32_t>(v);
        out->ints.push_back(ConvertInt(leaf.conversion, v));
      }
      return Status::Ok();
    }
    case kEncByteStreamSplit: {
      // Byte k of value i is at k * count + i; regathering gives PLAIN.
      size_t width = 0;
      switch (leaf.physical) {
        case kPhysInt32:
        case kPhysFloat:
          width = 4;
          break;
        case kPhysInt64:
        case kPhysDouble:
          width = 8;
          break;
        case kPhysFixedLenByteArray:
          width = static_cast<size_t>(leaf.type_length);
          break;
        default:
          break;
      }
      if (width == 0) break;
      if (count > size / width) return Corrupt("BYTE_STREAM_SPLIT data is shorter than its values");
      std::string plain(count * width, '\0');
      for (size_t i = 0; i < count; ++i) {
        for (size_t k = 0; k < width; ++k)
          plain[i * width + k] = static_cast<char>(data[k * count + i]);
      }
      return DecodePlain(leaf, output, reinterpret_cast<const uint8_t*>(plain.data()), plain.size(),
                         count, out);
    }
    case kEncDeltaLengthByteArray:
    case kEncDeltaByteArray: {
      if (leaf.physical != kPhysByteArray && leaf.physical != kPhysFixedLenByteArray) break;
      std::vector<std::string> strings;
      const bool ok = encoding == kEncDeltaByteArray
                          ? DecodeDeltaByteArray(data, size, count, &strings)
                          : DecodeDeltaLengthByteArray(data, size, count, &strings);
      if (!ok) return Corrupt(EncodingName(encoding) + " data is corrupt");
      for (std::string& s : strings) {
        if (output == Output::kStrings) {
          out->strings.push_back(std::move(s));
        } else {
          int64_t v = 0;
          if (!BigEndianToInt(reinterpret_cast<const uint8_t*>(s.data()), s.size(), &v)) {
            return Corrupt("decimal exceeds 64 bits");
          }
          out->ints.push_back(v);
        }
      }
      return Status::Ok();
    }
    default:
      break;
  }
  return Corrupt("unsupported encoding " + EncodingName(encoding) + " for physical type " +
                 std::to_string(leaf.physical));
}

bool IsDecimal(const ThriftSchemaElement& e) {
  return e.logical.kind == kLogicalDecimal || e.converted_type == kConvDecimal;
}

// Maps one leaf of the file's schema; `column` gets name, type and nullability.
Status MapLeaf(const ThriftSchemaElement& e, ParquetColumn* column, Leaf* leaf) {
  column->name = e.name;
  column->nullable = e.repetition.value_or(kRepRequired) == kRepOptional;
  column->field_id = e.field_id.value_or(-1);
  leaf->physical = *e.type;
  leaf->type_length = e.type_length.value_or(0);
  const int32_t conv = e.converted_type.value_or(-1);
  const ThriftLogicalType& l = e.logical;
  auto unsupported = [&](const std::string& what) {
    return Status::Invalid("column '" + e.name + "' has unsupported type " + what);
  };
  if (IsDecimal(e)) {
    column->type = ParquetType::kDecimal;
    column->precision = l.kind == kLogicalDecimal ? l.precision : e.precision.value_or(0);
    column->scale = l.kind == kLogicalDecimal ? l.scale : e.scale.value_or(0);
    if (column->precision < 1 || column->precision > 18 || column->scale < 0 ||
        column->scale > column->precision) {
      return unsupported("decimal(" + std::to_string(column->precision) + "," +
                         std::to_string(column->scale) + ") (precision up to 18 is supported)");
    }
    switch (leaf->physical) {
      case kPhysInt32:
      case kPhysInt64:
        return Status::Ok();
      case kPhysFixedLenByteArray:
        if (leaf->type_length < 1 || leaf->type_length > 16) return unsupported("decimal width");
        [[fallthrough]];
      case kPhysByteArray:
        leaf->conversion = Conversion::kDecimalBytes;
        return Status::Ok();
      default:
        return unsupported("decimal on physical type " + std::to_string(leaf->physical));
    }
  }
  const bool is_time = l.kind == kLogicalTime || conv == kConvTimeMillis || conv == kConvTimeMicros;
  if (is_time) return unsupported("TIME");
  switch (leaf->physical) {
    case kPhysBoolean:
      column->type = ParquetType::kBoolean;
      return Status::Ok();
    case kPhysInt32:
      if (l.kind == kLogicalDate || conv == kConvDate) {
        column->type = ParquetType::kDate;
      } else if ((l.kind == kLogicalInteger && !l.is_signed && l.bit_width == 32) ||
                 conv == kConvUint32) {
        column->type = ParquetType::kInt64;
        leaf->conversion = Conversion::kUint32;
      } else {
        column->type = ParquetType::kInt32;
      }
      return Status::Ok();
    case kPhysInt64: {
      int32_t unit = kUnitNone;
      if (l.kind == kLogicalTimestamp)
        unit = l.unit;
      else if (conv == kConvTimestampMillis)
        unit = kUnitMillis;
      else if (conv == kConvTimestampMicros)
        unit = kUnitMicros;
      if (unit == kUnitNone) {
        if (l.kind == kLogicalTimestamp) return unsupported("TIMESTAMP without a unit");
        column->type = ParquetType::kInt64;
        return Status::Ok();
      }
      column->type = ParquetType::kTimestamp;
      if (unit == kUnitMillis) leaf->conversion = Conversion::kMillis;
      if (unit == kUnitNanos) leaf->conversion = Conversion::kNanos;
      return Status::Ok();
    }
    case kPhysInt96:
      column->type = ParquetType::kTimestamp;
      leaf->conversion = Conversion::kInt96;
      return Status::Ok();
    case kPhysFloat:
      column->type = ParquetType::kDouble;
      leaf->conversion = Conversion::kFloat;
      return Status::Ok();
    case kPhysDouble:
      column->type = ParquetType::kDouble;
      return Status::Ok();
    case kPhysByteArray:
      column->type = ParquetType::kString;
      return Status::Ok();
    case kPhysFixedLenByteArray:
      return unsupported("FIXED_LEN_BYTE_ARRAY (only as decimal)");
    default:
      return unsupported("physical type " + std::to_string(leaf->physical));
  }
}

class ParquetReaderImpl final : public ParquetReader {
 public:
  ParquetReaderImpl(std::unique_ptr<RandomAccessSource> source, ThriftFileMetaData meta,
                    ParquetSchema schema, std::vector<Leaf> leaves, int64_t data_end)
      : source_(std::move(source)),
        meta_(std::move(meta)),
        schema_(std::move(schema)),
        leaves_(std::move(leaves)),
        data_end_(data_end) {}

  const ParquetSchema& schema() const override { return schema_; }
  int64_t num_rows() const override { return meta_.num_rows; }
  int num_row_groups() const override { return static_cast<int>(meta_.row_groups.size()); }
  Result<RecordBatch> ReadRowGroup(int index, const std::vector<int>& columns) override;

 private:
  Status ReadChunk(int group, int column, ColumnData* out);
  Status ReadPages(const ThriftRowGroup& group, int column, std::string_view chunk,
                   ColumnData* out);

  std::unique_ptr<RandomAccessSource> source_;
  ThriftFileMetaData meta_;
  ParquetSchema schema_;
  std::vector<Leaf> leaves_;
  int64_t data_end_;  // where the footer starts; chunks must end before it
};

Result<RecordBatch> ParquetReaderImpl::ReadRowGroup(int index, const std::vector<int>& columns) {
  if (index < 0 || index >= num_row_groups()) {
    return Status::Invalid(source_->Name() + ": row group " + std::to_string(index) +
                           " does not exist (the file has " + std::to_string(num_row_groups()) +
                           ")");
  }
  std::vector<int> wanted = columns;
  if (wanted.empty()) {
    for (size_t i = 0; i < schema_.columns.size(); ++i) wanted.push_back(static_cast<int>(i));
  }
  RecordBatch batch;
  batch.rows = meta_.row_groups[static_cast<size_t>(index)].num_rows;
  for (int c : wanted) {
    if (c < 0 || static_cast<size_t>(c) >= schema_.columns.size()) {
      return Status::Invalid(source_->Name() + ": column index " + std::to_string(c) +
                             " is out of range");
    }
    ColumnData data;
    Status st = ReadChunk(index, c, &data);
    if (!st.ok()) {
      return st.WithContext(source_->Name() + ": row group " + std::to_string(index) +
                            ", column '" + schema_.columns[static_cast<size_t>(c)].name + "'");
    }
    batch.columns.push_back(std::move(data));
  }
  return batch;
}

Status ParquetReaderImpl::ReadChunk(int group_index, int column, ColumnData* out) {
  const ThriftRowGroup& group = meta_.row_groups[static_cast<size_t>(group_index)];
  if (static_cast<size_t>(column) >= group.columns.size()) {
    return Corrupt("the row group has no chunk for this column");
  }
  const ThriftColumnChunk& chunk = group.columns[static_cast<size_t>(column)];
  if (chunk.file_path) return Corrupt("column chunks in other files are not supported");
  if (!chunk.meta_data) return Corrupt("the column chunk has no metadata");
  const ThriftColumnMetaData& m = *chunk.meta_data;
  if (m.type != leaves_[static_cast<size_t>(column)].physical) {
    return Corrupt("the chunk's physical type differs from the schema's");
  }
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  const int64_t length = m.total_compressed_size;
  if (start < static_cast<int64_t>(kMagic.size()) || length <= 0 || start > data_end_ ||
      length > data_end_ - start) {
    return Corrupt("the chunk's byte range (offset " + std::to_string(start) + ", " +
                   std::to_string(length) + " bytes) lies outside the file's data");
  }
  CTL_ASSIGN_OR_RETURN(std::string bytes, source_->ReadAt(start, length));
  return ReadPages(group, column, bytes, out);
}

Status ParquetReaderImpl::ReadPages(const ThriftRowGroup& group, int column, std::string_view chunk,
                                    ColumnData* out) {
  const ParquetColumn& col = schema_.columns[static_cast<size_t>(column)];
  const Leaf& leaf = leaves_[static_cast<size_t>(column)];
  const Output output = OutputOf(col.type);
  const int32_t codec = group.columns[static_cast<size_t>(column)].meta_data->codec;
  const int64_t rows = group.num_rows;
  const size_t reserve = static_cast<size_t>(std::min<int64_t>(rows, 1 << 20));
  switch (output) {
    case Output::kInts:
      out->ints.reserve(reserve);
      break;
    case Output::kDoubles:
      out->doubles.reserve(reserve);
      break;
    case Output::kStrings:
      out->strings.reserve(reserve);
      break;
  }
  if (col.nullable) out->valid.reserve(reserve);

  size_t pos = 0;
  int64_t done = 0;
  ColumnData dict, values;
  size_t dict_size = 0;
  bool has_dict = false;
  std::string page, decompressed;
  std::vector<uint32_t> levels;
  while (done < rows) {
    if (pos >= chunk.size()) {
      return Corrupt("the chunk ends after " + std::to_string(done) + " of " +
                     std::to_string(rows) + " rows");
    }
    size_t header_size = 0;
    CTL_ASSIGN_OR_RETURN(ThriftPageHeader header, ParsePageHeader(chunk.substr(pos), &header_size));
    pos += header_size;
    if (header.compressed_page_size < 0 ||
        static_cast<size_t>(header.compressed_page_size) > chunk.size() - pos ||
        header.uncompressed_page_size < 0) {
      return Corrupt("a page's size runs past the column chunk");
    }
    const std::string_view raw =
        chunk.substr(pos, static_cast<size_t>(header.compressed_page_size));
    pos += raw.size();
    const std::string where = " (page at chunk byte " + std::to_string(pos - raw.size()) + ")";

    if (header.type == kPageDictionary) {
      if (!header.dictionary_page) return Corrupt("dictionary page without its header" + where);
      const auto& d = *header.dictionary_page;
      if (d.encoding != kEncPlain && d.encoding != kEncPlainDictionary) {
        return Corrupt("dictionary page encoding " + EncodingName(d.encoding) + where);
      }
      CTL_RETURN_IF_ERROR(DecompressPage(codec, raw, header.uncompressed_page_size, &decompressed)
                              .WithContext("dictionary page" + where));
      if (d.num_values < 0) return Corrupt("negative dictionary size" + where);
      dict = ColumnData();
      CTL_RETURN_IF_ERROR(DecodePlain(leaf, output,
                                      reinterpret_cast<const uint8_t*>(decompressed.data()),
                                      decompressed.size(), static_cast<size_t>(d.num_values), &dict)
                              .WithContext("dictionary page" + where));
      dict_size = static_cast<size_t>(d.num_values);
      has_dict = true;
      continue;
    }
    if (header.type != kPageData && header.type != kPageDataV2) continue;  // index pages

    int64_t num_values = 0;
    int32_t encoding = 0;
    const uint8_t* level_data = nullptr;
    size_t level_size = 0;
    const uint8_t* value_data = nullptr;
    size_t value_size = 0;
    if (header.type == kPageData) {
      if (!header.data_page) return Corrupt("data page without its header" + where);
      const auto& d = *header.data_page;
      num_values = d.num_values;
      encoding = d.encoding;
      CTL_RETURN_IF_ERROR(DecompressPage(codec, raw, header.uncompressed_page_size, &decompressed)
                              .WithContext("data page" + where));
      const uint8_t* p = reinterpret_cast<const uint8_t*>(decompressed.data());
      size_t size = decompressed.size();
      if (col.nullable) {
        if (d.definition_level_encoding != kEncRle) {
          return Corrupt("definition levels in " + EncodingName(d.definition_level_encoding) +
                         " are not supported" + where);
        }
        if (size < 4 || LoadLe32(p) > size - 4)
          return Corrupt("definition levels run past the page" + where);
        level_data = p + 4;
        level_size = LoadLe32(p);
        p += 4 + level_size;
        size -= 4 + level_size;
      }
      value_data = p;
      value_size = size;
    } else {
      if (!header.data_page_v2) return Corrupt("data page v2 without its header" + where);
      const auto& d = *header.data_page_v2;
      num_values = d.num_values;
      encoding = d.encoding;
      const int64_t def_len = d.definition_levels_byte_length;
      const int64_t rep_len = d.repetition_levels_byte_length;
      if (def_len < 0 || rep_len < 0 || def_len + rep_len > static_cast<int64_t>(raw.size()) ||
          def_len + rep_len > header.uncompressed_page_size) {
        return Corrupt("data page v2 level lengths exceed the page" + where);
      }
      const uint8_t* p = reinterpret_cast<const uint8_t*>(raw.data());
      if (col.nullable) {
        level_data = p + rep_len;
        level_size = static_cast<size_t>(def_len);
      }
      const std::string_view compressed = raw.substr(static_cast<size_t>(def_len + rep_len));
      const int64_t uncompressed = header.uncompressed_page_size - def_len - rep_len;
      if (d.is_compressed) {
        CTL_RETURN_IF_ERROR(DecompressPage(codec, compressed, uncompressed, &decompressed)
                                .WithContext("data page v2" + where));
      } else {
        CTL_RETURN_IF_ERROR(
            DecompressPage(kCodecUncompressed, compressed, uncompressed, &decompressed)
                .WithContext("data page v2" + where));
      }
      value_data = reinterpret_cast<const uint8_t*>(decompressed.data());
      value_size = decompressed.size();
    }
    if (num_values < 0 || num_values > rows - done) {
      return Corrupt("a page holds " + std::to_string(num_values) + " values, more than the " +
                     std::to_string(rows - done) + " rows left in the row group" + where);
    }
    const size_t n = static_cast<size_t>(num_values);
    size_t defined = n;
    if (col.nullable) {
      levels.resize(n);
      RleBitPackedDecoder decoder(level_data, level_size, 1);
      if (!decoder.Decode(levels.data(), n)) {
        return Corrupt("definition levels end before the page's values" + where);
      }
      defined = 0;
      for (uint32_t level : levels) defined += level;
    }
    ColumnData* target = col.nullable ? &values : out;
    if (col.nullable) values = ColumnData();
    CTL_RETURN_IF_ERROR(DecodeValues(leaf, output, encoding, value_data, value_size, defined, dict,
                                     dict_size, has_dict, target)
                            .WithContext("data page" + where));
    if (col.nullable) {
      size_t k = 0;
      for (uint32_t level : levels) {
        out->valid.push_back(level ? 1 : 0);
        switch (output) {
          case Output::kInts:
            out->ints.push_back(level ? values.ints[k] : 0);
            break;
          case Output::kDoubles:
            out->doubles.push_back(level ? values.doubles[k] : 0.0);
            break;
          case Output::kStrings:
            if (level) {
              out->strings.push_back(std::move(values.strings[k]));
            } else {
              out->strings.emplace_back();
            }
            break;
        }
        k += level;
      }
    }
    done += num_values;
  }
  return Status::Ok();
}

Status MapSchema(const ThriftFileMetaData& meta, ParquetSchema* schema, std::vector<Leaf>* leaves) {
  if (meta.schema.empty()) return Status::Invalid("the schema is empty");
  const ThriftSchemaElement& root = meta.schema[0];
  const int64_t children = root.num_children.value_or(0);
  if (children != static_cast<int64_t>(meta.schema.size()) - 1) {
    for (size_t i = 1; i < meta.schema.size(); ++i) {
      if (meta.schema[i].num_children.value_or(0) > 0) {
        return Status::Invalid("column '" + meta.schema[i].name +
                               "' is nested (a group); only flat columns are supported");
      }
    }
    return Status::Invalid("the schema's root has " + std::to_string(children) + " children but " +
                           std::to_string(meta.schema.size() - 1) + " elements follow");
  }
  for (size_t i = 1; i < meta.schema.size(); ++i) {
    const ThriftSchemaElement& e = meta.schema[i];
    if (e.num_children.value_or(0) > 0 || !e.type) {
      return Status::Invalid("column '" + e.name +
                             "' is nested (a group); only flat columns are supported");
    }
    if (e.repetition.value_or(kRepRequired) == kRepRepeated) {
      return Status::Invalid("column '" + e.name +
                             "' is repeated (a list); only flat columns are supported");
    }
    ParquetColumn column;
    Leaf leaf;
    CTL_RETURN_IF_ERROR(MapLeaf(e, &column, &leaf));
    schema->columns.push_back(std::move(column));
    leaves->push_back(leaf);
  }
  int64_t rows = 0;
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    const ThriftRowGroup& group = meta.row_groups[g];
    if (group.num_rows < 0 || group.num_rows > std::numeric_limits<int32_t>::max() ||
        group.columns.size() != schema->columns.size()) {
      return Status::Invalid("row group " + std::to_string(g) + " has " +
                             std::to_string(group.num_rows) + " rows and " +
                             std::to_string(group.columns.size()) + " column chunks");
    }
    rows += group.num_rows;
  }
  if (rows != meta.num_rows) {
    return Status::Invalid("the row groups hold " + std::to_string(rows) +
                           " rows, the footer says " + std::to_string(meta.num_rows));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ParquetReader>> ParquetReader::Open(
    std::unique_ptr<RandomAccessSource> source) {
  const std::string name = source->Name();
  const int64_t size = source->Size();
  if (size < 12) {
    return Status::Invalid(name + ": not a Parquet file (" + std::to_string(size) +
                           " bytes, too short for its magic and footer)");
  }
  CTL_ASSIGN_OR_RETURN(std::string head, source->ReadAt(0, 4));
  CTL_ASSIGN_OR_RETURN(std::string tail, source->ReadAt(size - 8, 8));
  if (head != kMagic || tail.substr(4) != kMagic) {
    return Status::Invalid(name + ": not a Parquet file (no PAR1 magic at both ends; truncated?)");
  }
  const int64_t footer_size = LoadLe32(reinterpret_cast<const uint8_t*>(tail.data()));
  if (footer_size > size - 12 || footer_size > kMaxFooterBytes) {
    return Status::Invalid(name + ": footer length " + std::to_string(footer_size) +
                           " exceeds the file (" + std::to_string(size) + " bytes); truncated?");
  }
  const int64_t footer_start = size - 8 - footer_size;
  CTL_ASSIGN_OR_RETURN(std::string footer, source->ReadAt(footer_start, footer_size));
  Result<ThriftFileMetaData> meta = ParseFileMetaData(footer);
  if (!meta.ok()) return meta.status().WithContext(name);
  ParquetSchema schema;
  std::vector<Leaf> leaves;
  CTL_RETURN_IF_ERROR(MapSchema(*meta, &schema, &leaves).WithContext(name));
  return std::unique_ptr<ParquetReader>(
      std::make_unique<ParquetReaderImpl>(std::move(source), std::move(meta).value(),
                                          std::move(schema), std::move(leaves), footer_start));
}

}  // namespace ctlflow

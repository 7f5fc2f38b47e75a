// The Parquet footer and page headers as plain structs, with their Thrift
// compact-protocol encoding written field by field (ids from the Parquet
// format's parquet.thrift). Only the fields ctlflow uses are kept; readers
// skip the rest, so files from other writers with newer fields still parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctlflow {

// parquet.thrift enums, by value.
enum ThriftPhysicalType : int32_t {
  kPhysBoolean = 0,
  kPhysInt32 = 1,
  kPhysInt64 = 2,
  kPhysInt96 = 3,
  kPhysFloat = 4,
  kPhysDouble = 5,
  kPhysByteArray = 6,
  kPhysFixedLenByteArray = 7,
};
enum ThriftConvertedType : int32_t {
  kConvUtf8 = 0,
  kConvMap = 1,
  kConvMapKeyValue = 2,
  kConvList = 3,
  kConvEnum = 4,
  kConvDecimal = 5,
  kConvDate = 6,
  kConvTimeMillis = 7,
  kConvTimeMicros = 8,
  kConvTimestampMillis = 9,
  kConvTimestampMicros = 10,
  kConvUint8 = 11,
  kConvUint16 = 12,
  kConvUint32 = 13,
  kConvUint64 = 14,
  kConvInt8 = 15,
  kConvInt16 = 16,
  kConvInt32 = 17,
  kConvInt64 = 18,
  kConvJson = 19,
  kConvBson = 20,
  kConvInterval = 21,
};
enum ThriftRepetition : int32_t { kRepRequired = 0, kRepOptional = 1, kRepRepeated = 2 };
enum ThriftEncoding : int32_t {
  kEncPlain = 0,
  kEncPlainDictionary = 2,
  kEncRle = 3,
  kEncBitPacked = 4,
  kEncDeltaBinaryPacked = 5,
  kEncDeltaLengthByteArray = 6,
  kEncDeltaByteArray = 7,
  kEncRleDictionary = 8,
  kEncByteStreamSplit = 9,
};
enum ThriftPageType : int32_t {
  kPageData = 0,
  kPageIndex = 1,
  kPageDictionary = 2,
  kPageDataV2 = 3,
};
// LogicalType is a union; we keep which member is set (its field id).
enum ThriftLogicalKind : int32_t {
  kLogicalNone = 0,
  kLogicalString = 1,
  kLogicalMap = 2,
  kLogicalList = 3,
  kLogicalEnum = 4,
  kLogicalDecimal = 5,
  kLogicalDate = 6,
  kLogicalTime = 7,
  kLogicalTimestamp = 8,
  kLogicalInteger = 10,
  kLogicalUnknown = 11,
  kLogicalJson = 12,
  kLogicalBson = 13,
  kLogicalUuid = 14,
};
enum ThriftTimeUnit : int32_t { kUnitNone = 0, kUnitMillis = 1, kUnitMicros = 2, kUnitNanos = 3 };

struct ThriftStatistics {
  std::optional<std::string> max, min;  // deprecated, order undefined
  std::optional<int64_t> null_count;
  std::optional<std::string> max_value, min_value;
};

struct ThriftLogicalType {
  int32_t kind = kLogicalNone;
  int32_t scale = 0, precision = 0;  // decimal
  bool adjusted_to_utc = false;      // time, timestamp
  int32_t unit = kUnitNone;          // time, timestamp
  int32_t bit_width = 0;             // integer
  bool is_signed = true;             // integer
};

struct ThriftSchemaElement {
  std::optional<int32_t> type, type_length, repetition, num_children, converted_type, scale,
      precision, field_id;
  std::string name;
  ThriftLogicalType logical;
};

struct ThriftColumnMetaData {
  int32_t type = 0;
  std::vector<int32_t> encodings;
  std::vector<std::string> path_in_schema;
  int32_t codec = 0;
  int64_t num_values = 0, total_uncompressed_size = 0, total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<ThriftStatistics> statistics;
};

struct ThriftColumnChunk {
  std::optional<std::string> file_path;
  int64_t file_offset = 0;
  std::optional<ThriftColumnMetaData> meta_data;
};

struct ThriftRowGroup {
  std::vector<ThriftColumnChunk> columns;
  int64_t total_byte_size = 0, num_rows = 0;
  std::optional<int64_t> file_offset, total_compressed_size;
  std::optional<int16_t> ordinal;
};

struct ThriftFileMetaData {
  int32_t version = 1;
  std::vector<ThriftSchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<ThriftRowGroup> row_groups;
  std::optional<std::string> created_by;
  // Written as TypeDefinedOrder for every leaf, so readers trust min_value/max_value.
  int32_t type_defined_orders = 0;
};

struct ThriftPageHeader {
  int32_t type = 0, uncompressed_page_size = 0, compressed_page_size = 0;
  struct DataPage {
    int32_t num_values = 0, encoding = 0, definition_level_encoding = 0,
            repetition_level_encoding = 0;
  };
  struct DictionaryPage {
    int32_t num_values = 0, encoding = 0;
  };
  struct DataPageV2 {
    int32_t num_values = 0, num_nulls = 0, num_rows = 0, encoding = 0,
            definition_levels_byte_length = 0, repetition_levels_byte_length = 0;
    bool is_compressed = true;
  };
  std::optional<DataPage> data_page;
  std::optional<DictionaryPage> dictionary_page;
  std::optional<DataPageV2> data_page_v2;
};

std::string SerializeFileMetaData(const ThriftFileMetaData& meta);
std::string SerializePageHeader(const ThriftPageHeader& header);

// Parse errors are Invalid with a message saying what was wrong; callers add
// the file name.
Result<ThriftFileMetaData> ParseFileMetaData(std::string_view bytes);
// Parses the header at the start of `bytes` and sets *consumed to its size.
Result<ThriftPageHeader> ParsePageHeader(std::string_view bytes, size_t* consumed);

}  // namespace ctlflow

// Ingest schema files and typed conversion of raw text (process type 4).
//
// A schema file is the seed's JSON style:
//   {"columns": [{"name": "VendorID", "type": "int", "nullable": true,
//                 "format": "%Y-%m-%d"}, ...]}
// The ingest process reads it once and converts every raw field with
// ConvertField; a conversion error becomes a reject line, never a crash.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
#include "warehouse/warehouse.h"  // WarehouseType

namespace ctlflow {

enum class IngestType { kString, kInt, kBigint, kDouble, kDecimal, kBoolean, kDate, kTimestamp };

struct IngestColumn {
  std::string name;
  IngestType type = IngestType::kString;
  std::string type_text;  // as written, e.g. "decimal(10,2)"
  int precision = 0, scale = 0;  // decimal only
  bool nullable = true;
  std::string format;  // date/timestamp strptime format
  WarehouseType StorageType() const;  // spelled per engine by TypeName()
};

struct IngestSchema {
  std::vector<IngestColumn> columns;
};

// Parses a schema document; errors name `source` and the column.
Result<IngestSchema> ParseIngestSchema(const std::string& json_text, const std::string& source);
Result<IngestSchema> ReadIngestSchema(const std::string& path);

// Converts one raw text value to the column's stored value. Decimals are
// checked against precision/scale and stored as REAL; dates and timestamps
// are parsed with the column's format and stored as ISO text; booleans as
// 0/1. Errors say what was expected, without the column name.
Result<Value> ConvertField(const IngestColumn& column, const std::string& text);

// ISO-8859-1 bytes to UTF-8.
std::string Latin1ToUtf8(const std::string& text);

}  // namespace ctlflow

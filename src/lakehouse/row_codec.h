// RowCodec: rows as the warehouse sees them (Value: null, int64, double,
// text) to and from Parquet's typed columns, for the lakehouse's tables.
//
// The warehouse representation is ingest's (processes/ingest_schema.h):
// dates "YYYY-MM-DD", timestamps "YYYY-MM-DD HH:MM:SS" (UTC), booleans 0/1,
// decimals as REAL. In Parquet a date is days since 1970-01-01, a timestamp
// microseconds since 1970-01-01 UTC, and a decimal its unscaled integer.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
#include "parquet/parquet.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

ParquetType ParquetTypeFor(WarehouseType::Kind kind);
WarehouseType WarehouseTypeFor(const ParquetColumn& column);

// Days since 1970-01-01 for "YYYY-MM-DD", µs since the epoch for
// "YYYY-MM-DD[ T]HH:MM:SS[.ffffff]"; and back. Invalid on anything else.
Result<int64_t> ParseIsoDate(const std::string& text);
Result<int64_t> ParseIsoTimestamp(const std::string& text);
std::string FormatIsoDate(int64_t days);
std::string FormatIsoTimestamp(int64_t micros);  // fraction only when non-zero

// Accumulates rows into a RecordBatch for a schema.
class BatchBuilder {
 public:
  explicit BatchBuilder(const ParquetSchema& schema);
  // One row, a value per schema column. Errors name the column.
  Status Append(std::span<const Value> row);
  Status Append(const std::vector<Value>& row) { return Append(std::span<const Value>(row)); }
  int64_t rows() const { return batch_.rows; }
  // Bytes the buffered values take (strings by length), to bound memory.
  int64_t buffered_bytes() const { return bytes_; }
  // The batch so far; the builder starts empty again.
  RecordBatch Take();

 private:
  Status Put(size_t column, const Value& value);
  const ParquetSchema& schema_;
  std::vector<double> decimal_factors_;  // 10^scale per column
  RecordBatch batch_;
  int64_t bytes_ = 0;
};

// The value of one cell of a batch read from Parquet.
Value CellValue(const ParquetColumn& column, const ColumnData& data, size_t row);

}  // namespace ctlflow

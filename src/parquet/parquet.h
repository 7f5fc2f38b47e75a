// Apache Parquet files, written and read natively (Debian has no Arrow).
//
// Scope: the types ctlflow's schemas use (int32/int64, double, boolean,
// string, date, timestamp in µs UTC, decimal up to precision 18), nullable
// and required flat columns, PLAIN and dictionary encodings, RLE/bit-packed
// levels, uncompressed/snappy/zstd pages, row groups sized by bytes, and
// column statistics. The footer (FileMetaData) is Thrift compact protocol,
// written and read with Debian's libthrift. The reader also reads what DuckDB
// and Spark write for these types (data page v1 and v2, INT96 timestamps,
// dictionary pages, delta encodings where those writers use them).
//
// Used by the Iceberg tables (src/iceberg) for data files.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/io.h"
#include "common/status.h"

namespace ctlflow {

enum class ParquetType { kInt32, kInt64, kDouble, kBoolean, kString, kDate, kTimestamp, kDecimal };

struct ParquetColumn {
  std::string name;
  ParquetType type = ParquetType::kString;
  bool nullable = true;
  int precision = 0, scale = 0;  // decimal only
  int field_id = -1;             // Iceberg field id, written when >= 0
};

struct ParquetSchema {
  std::vector<ParquetColumn> columns;
};

// One column of a batch, dense: every vector that the type uses has one
// entry per row, nulls included (their value is ignored).
//   ints:    int32, int64, boolean (0/1), date (days since 1970-01-01),
//            timestamp (µs since 1970-01-01 UTC), decimal (unscaled value)
//   doubles: double
//   strings: string
// `valid` has one entry per row (1 = value, 0 = null); it may be empty when
// the batch has no nulls in this column.
struct ColumnData {
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;
  bool IsNull(size_t row) const { return !valid.empty() && valid[row] == 0; }
};

struct RecordBatch {
  int64_t rows = 0;
  std::vector<ColumnData> columns;  // in schema order
};

// Column statistics as Iceberg's manifests need them.
struct ColumnStats {
  int64_t value_count = 0;  // rows, nulls included
  int64_t null_count = 0;
  int64_t compressed_bytes = 0;  // all pages of the column, headers included
  bool has_bounds = false;       // false when every value is null
  int64_t min_int = 0, max_int = 0;            // for the ints types
  double min_double = 0, max_double = 0;       // double
  std::string min_string, max_string;          // string
};

struct ParquetFileSummary {
  int64_t rows = 0;
  int64_t bytes = 0;  // file size
  int64_t row_groups = 0;
  std::vector<ColumnStats> columns;  // in schema order
};

enum class ParquetCodec { kUncompressed, kSnappy, kZstd };

struct ParquetWriterOptions {
  ParquetCodec codec = ParquetCodec::kZstd;
  int zstd_level = 1;
  bool dictionary = true;                 // falls back to PLAIN when a dictionary grows too large
  int64_t dictionary_bytes = 1LL << 20;   // a column chunk's dictionary limit before that fallback
  int64_t row_group_bytes = 64LL << 20;   // encoded size at which a row group is flushed
  int64_t page_bytes = 1LL << 20;
  // Rows per data page at most, as parquet-mr's page row-count limit: a
  // dictionary page of a low-cardinality column is tiny when encoded but
  // buffers 4 bytes of index per row until it is flushed.
  int64_t page_rows = 20000;
  std::string created_by = "ctlflow";
};

class ParquetWriter {
 public:
  // `sink` must outlive the writer; Finish() does not close it.
  static Result<std::unique_ptr<ParquetWriter>> Open(const ParquetSchema& schema,
                                                     const ParquetWriterOptions& options, ByteSink* sink);
  virtual ~ParquetWriter() = default;
  // Appends rows; a batch's columns must match the schema (an Invalid error
  // names the column otherwise, e.g. a null in a required column).
  virtual Status Write(const RecordBatch& batch) = 0;
  // Flushes the last row group and writes the footer.
  virtual Result<ParquetFileSummary> Finish() = 0;
  // The file's size so far: bytes written to the sink plus the row group
  // still buffered, so a caller can roll files before a group is flushed.
  virtual int64_t EstimatedBytes() const = 0;
};

class ParquetReader {
 public:
  // Reads and checks the footer. A file that is not Parquet, is truncated
  // or whose footer does not parse is Invalid, naming source->Name().
  static Result<std::unique_ptr<ParquetReader>> Open(std::unique_ptr<RandomAccessSource> source);
  virtual ~ParquetReader() = default;
  virtual const ParquetSchema& schema() const = 0;
  virtual int64_t num_rows() const = 0;
  virtual int num_row_groups() const = 0;
  // The rows of one row group; `columns` are schema indexes (all when empty),
  // and the batch holds them in that order.
  virtual Result<RecordBatch> ReadRowGroup(int index, const std::vector<int>& columns = {}) = 0;
};

}  // namespace ctlflow

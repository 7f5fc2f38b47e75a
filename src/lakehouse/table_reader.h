// TableReader: the rows of an Iceberg table at a snapshot (the current one,
// one by id, or the one current at a time), optionally only one partition,
// read from its Parquet data files a row group at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakehouse/lakehouse.h"
#include "lakehouse/table_writer.h"  // TableColumn
#include "parquet/parquet.h"

namespace ctlflow {

struct TableScanOptions {
  std::optional<int64_t> snapshot_id;  // time travel by id
  std::optional<int64_t> as_of_ms;     // or by time: the snapshot current then
  // Only files whose identity partition on this column has this value.
  std::string partition_column, partition_value;
};

class TableReader {
 public:
  static Result<std::unique_ptr<TableReader>> Open(Lakehouse* lake, const TableIdent& ident,
                                                   const TableScanOptions& options = {});
  virtual ~TableReader() = default;
  // The schema of the snapshot read, in field order.
  virtual const std::vector<TableColumn>& columns() const = 0;
  virtual const ParquetSchema& parquet_schema() const = 0;
  virtual int64_t snapshot_id() const = 0;  // 0 for a table with no snapshot
  virtual int64_t file_count() const = 0;
  virtual int64_t record_count() const = 0;  // from the manifests
  // Calls `fn` with each row group's rows, columns in columns() order (a
  // column a data file lacks, added later, reads as null).
  virtual Status Read(const std::function<Status(const RecordBatch&)>& fn) = 0;
};

}  // namespace ctlflow

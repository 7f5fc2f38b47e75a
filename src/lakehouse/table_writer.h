// TableWriter: rows into one partition of an Iceberg table, as Parquet data
// files, committed as one snapshot that replaces the partition (so a re-run
// of a data_dt is idempotent) or appends to the table.
//
// Files are written under <table>/data/<partition>/ as rows arrive, rolled
// at target_file_bytes, so memory stays flat whatever the input's size.
// Nothing is visible until Commit(); a writer destroyed without a commit
// deletes the files it wrote, and a crash leaves them for `expire` to
// report as orphans. The table is created on first use, and columns it
// lacks are added (additive evolution only; a type change is refused,
// naming the column).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lakehouse/lakehouse.h"
#include "parquet/parquet.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

struct TableColumn {
  std::string name;
  WarehouseType type;
  bool nullable = true;
};

struct TableWriterOptions {
  // The partition: this column, replaced by Commit(). Empty: unpartitioned,
  // and Commit() appends. A new table is partitioned by
  // partition_transform(partition_column), "identity" or "day"; an existing
  // table keeps its spec, which must be one of those on the column.
  std::string partition_column = "data_dt";
  std::string partition_transform = "identity";
  std::string partition_value;  // "YYYY-MM-DD" for a date column
  int64_t target_file_bytes = 128LL << 20;
  ParquetWriterOptions parquet;
  // Called after every data file is closed, and every ~100,000 rows.
  std::function<void(const std::string& line)> progress;
};

struct TableCommit {
  int64_t snapshot_id = 0;
  int64_t files_added = 0, rows_added = 0, bytes_added = 0;
  int64_t files_removed = 0, rows_removed = 0;
  std::string metadata_location;
};

class TableWriter : public BulkInsert {
 public:
  static Result<std::unique_ptr<TableWriter>> Open(Lakehouse* lake, const TableIdent& ident,
                                                   const std::vector<TableColumn>& columns,
                                                   const TableWriterOptions& options);
  ~TableWriter() override = default;
  // BulkInsert: a row per call in the order of `columns`; Finish() closes
  // the last data file and returns the rows written.
  // Commits the files as one snapshot.
  virtual Result<TableCommit> Commit() = 0;
  virtual std::string Describe() const = 0;  // "lakehouse:staging.T (created|n columns added)"
};

}  // namespace ctlflow

// Table administration for `ctlflow lakehouse` and the server's lakehouse
// routes: what the catalog holds, recovering tables that sit in a bucket
// from their newest metadata file, deleting one data_dt's rows, and
// expiring old snapshots. Each returns data; the CLI and the API print it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lakehouse/lakehouse.h"

namespace ctlflow {

struct TableSummary {
  TableIdent ident;
  std::string location, metadata_location;
  int64_t snapshot_id = 0;  // 0: no snapshot yet
  int64_t records = 0, files = 0, bytes = 0;
  int64_t last_updated_ms = 0;
};

struct FieldDescription {
  int id = 0;
  std::string name, type;
  bool required = false;
};

struct TableDescription {
  TableSummary summary;
  int schema_id = 0;
  std::vector<FieldDescription> fields;
  std::vector<std::string> partition;  // "day(data_dt)", "identity(data_dt)"
  std::map<std::string, std::string> properties;
  std::string table_uuid;
};

struct SnapshotDescription {
  int64_t snapshot_id = 0, parent_id = 0, sequence_number = 0, timestamp_ms = 0;
  std::string operation, manifest_list;
  std::map<std::string, std::string> summary;
  bool current = false;
};

// Every table of the lakehouse's catalog, with its current snapshot's totals.
Result<std::vector<TableSummary>> ListTables(Lakehouse& lake);
// Time travel: the table as of a snapshot id, or as of a time (the
// snapshot current then), instead of now; the schema is that snapshot's.
struct AsOf {
  std::optional<int64_t> snapshot_id, time_ms;
};
Result<TableDescription> DescribeTable(Lakehouse& lake, const TableIdent& ident, const AsOf& as_of = {});
Result<std::vector<SnapshotDescription>> ListSnapshots(Lakehouse& lake, const TableIdent& ident);

struct RegisterOutcome {
  TableIdent ident;
  std::string metadata_location;
  bool already = false;  // registered before, at this very metadata file
  bool moved = false;    // was registered at an older metadata file of the same table
};
// Registers the table whose folder is `url` (inside the lakehouse) from its
// newest metadata file, as `ident` or, when empty, as the last two folders
// of its location (<namespace>/<table>).
Result<RegisterOutcome> RegisterTable(Lakehouse& lake, const std::string& url, const std::string& ident = "");

struct ScanOutcome {
  std::vector<RegisterOutcome> tables;
  std::vector<std::string> problems;  // folders that look like tables but could not be read
};
// Registers every table found under `url` (the lakehouse's root when empty).
Result<ScanOutcome> ScanTables(Lakehouse& lake, const std::string& url);

struct ExpireOptions {
  int64_t older_than_ms = 0;  // expire snapshots older than this (and not current)
  int retain_last = 1;        // always keep this many newest snapshots
  bool dry_run = false;
  bool delete_orphans = false;  // also delete files no metadata references
};
struct ExpireOutcome {
  std::vector<int64_t> expired_snapshots;
  std::vector<std::string> deleted_files;  // manifests, manifest lists, data files
  std::vector<std::string> orphan_files;   // unreferenced, e.g. left by a crashed commit
  bool orphans_deleted = false;
};
Result<ExpireOutcome> ExpireTable(Lakehouse& lake, const TableIdent& ident, const ExpireOptions& options);

struct DeletePartitionOutcome {
  TableIdent ident;
  std::string data_dt;
  std::string partition;  // the spec it went by: "identity(data_dt)" or "day(data_dt)"
  bool dry_run = false;
  // The data files that held the date (or would be removed, on a dry run),
  // as absolute URLs, with their totals. Empty: the date has no rows.
  std::vector<std::string> files;
  int64_t records = 0, bytes = 0;
  // The snapshot the delete started from and the one it committed (0: none
  // committed, on a dry run or when the date has no rows).
  int64_t previous_snapshot_id = 0, snapshot_id = 0;
  // The dates that have rows now (after the delete), oldest first, so a
  // date that matched nothing can be told apart from a typo.
  std::vector<std::string> dates;
};
// Removes every data file of one data_dt from a table partitioned by
// identity(data_dt) or day(data_dt), as one new snapshot (operation
// "delete"); the files stay for time travel until ExpireTable deletes
// them. A date with no rows commits nothing. Invalid for a date that is
// not YYYY-MM-DD or a table partitioned otherwise; NotFound for a table
// the catalog does not hold.
Result<DeletePartitionOutcome> DeleteDataDt(Lakehouse& lake, const TableIdent& ident, const std::string& data_dt,
                                            bool dry_run);
// The outcome as `ctlflow lakehouse delete-partition --json` prints it and
// the API returns it, so the two never drift apart.
nlohmann::ordered_json DeletePartitionJson(const DeletePartitionOutcome& outcome);

}  // namespace ctlflow

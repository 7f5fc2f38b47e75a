// IcebergTable: one Iceberg table in an object store, its metadata
// recorded in an IcebergCatalog. Reads (live files of a snapshot, time
// travel) and the operations that make a new snapshot or schema:
//
//   Append             adds data files
//   OverwritePartition replaces every file of one partition value (an
//                      idempotent re-run of a data_dt)
//   DeletePartition    removes every file of one partition value
//   AddColumns         additive schema evolution (new optional columns)
//   Expire             drops old snapshots and the files only they used
//
// Every operation is one optimistic commit: the new manifests, manifest
// list and vN+1.metadata.json are written beside the current ones, then
// the catalog swaps the table's metadata location only if it still points
// at the version the operation started from. When another writer got there
// first, the operation is re-applied on top of the new version (a
// partition overwrite re-reads which files are in its partition), so racing
// writers never lose a snapshot. Until the swap, readers see the previous
// version; a writer that dies before it leaves only unreferenced files,
// which Expire reports as orphans.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "iceberg/catalog.h"
#include "iceberg/manifest.h"
#include "iceberg/table_metadata.h"
#include "objstore/object_store.h"

namespace ctlflow {

struct CommitResult {
  int64_t snapshot_id = 0;
  std::string metadata_location;
  int64_t added_files = 0, added_records = 0, removed_files = 0, removed_records = 0;
  int attempts = 1;  // > 1 when other writers committed in between
};

struct ExpireResult {
  std::vector<int64_t> expired_snapshots;
  std::vector<std::string> deleted_files;  // keys relative to the store
  std::vector<std::string> orphan_files;   // keys, referenced by no metadata
  bool orphans_deleted = false;
};

class IcebergTable {
 public:
  // The table registered as `ident`; NotFound when it is not.
  static Result<IcebergTable> Load(ObjectStore* store, IcebergCatalog* catalog, const TableIdent& ident);
  // Creates and registers a table at `location_key` (relative to the store)
  // with a schema whose field ids are assigned here (1..n, in order) and a
  // partition spec over those columns by name ({"data_dt", "identity"}).
  static Result<IcebergTable> Create(ObjectStore* store, IcebergCatalog* catalog, const TableIdent& ident,
                                     const std::string& location_key, const std::vector<IcebergField>& fields,
                                     const std::vector<std::pair<std::string, std::string>>& partition_by,
                                     const std::map<std::string, std::string>& properties = {});

  const TableMetadata& metadata() const { return metadata_; }
  const std::string& metadata_location() const { return metadata_location_; }
  const TableIdent& ident() const { return ident_; }
  // The key (relative to the store) of an absolute URL of this table's files.
  Result<std::string> KeyOf(const std::string& url) const;

  // The live data files of a snapshot (the current one when empty).
  Result<std::vector<DataFile>> LiveFiles(std::optional<int64_t> snapshot_id = std::nullopt) const;
  Result<std::vector<ManifestFile>> Manifests(const Snapshot& snapshot) const;

  Result<CommitResult> Append(const std::vector<DataFile>& files);
  // `value` is the partition value of the spec's only field.
  Result<CommitResult> OverwritePartition(const nlohmann::json& value, const std::vector<DataFile>& files);
  Result<CommitResult> DeletePartition(const nlohmann::json& value);
  // New optional columns, given ids here; a name that exists with another
  // type is Invalid naming it. Returns the new schema.
  Result<IcebergSchema> AddColumns(const std::vector<IcebergField>& fields);
  // Keeps the current snapshot, the newest `retain_last`, and every
  // snapshot newer than older_than_ms; deletes the manifest lists,
  // manifests and data files no kept snapshot uses.
  Result<ExpireResult> Expire(int64_t older_than_ms, int retain_last, bool dry_run, bool delete_orphans);

  // Re-reads the current metadata from the catalog.
  Status Refresh();

 private:
  IcebergTable(ObjectStore* store, IcebergCatalog* catalog, TableIdent ident)
      : store_(store), catalog_(catalog), ident_(std::move(ident)) {}

  // One data change: files to add, and which live files to remove.
  struct Change {
    std::string operation;  // append | overwrite | delete
    std::vector<DataFile> add;
    std::function<bool(const DataFile&)> remove;  // null: remove nothing
  };
  Result<CommitResult> CommitChange(const Change& change);
  // The live data files listed by a snapshot's manifests (already read).
  Result<std::vector<DataFile>> LiveFilesOf(const Snapshot& snapshot, const std::vector<ManifestFile>& manifests) const;
  // Writes `next` as the version after the current one, through the
  // catalog's compare-and-set. Conflict when another writer moved first.
  Status SwapMetadata(TableMetadata next, const std::vector<std::string>& written_keys);
  // Runs `attempt` until it does not hit a Conflict (bounded, with backoff).
  template <typename Fn>
  auto Retry(Fn attempt) -> decltype(attempt(0));

  ObjectStore* store_;
  IcebergCatalog* catalog_;
  TableIdent ident_;
  TableMetadata metadata_;
  std::string metadata_location_;
};

// The newest metadata file under a table folder (relative key): the
// highest vN.metadata.json or NNNNN-uuid.metadata.json. NotFound names the
// folder when there is none; a file that does not parse is Invalid naming it.
struct FoundMetadata {
  std::string key;
  TableMetadata metadata;
};
Result<FoundMetadata> FindNewestMetadata(ObjectStore* store, const std::string& table_key);
// Every table folder (relative key) under `prefix`: folders holding
// metadata/*.metadata.json.
Result<std::vector<std::string>> FindTables(ObjectStore* store, const std::string& prefix);

// A new random UUID (v4) and a new snapshot id (positive, random).
std::string NewUuid();
int64_t NewSnapshotId();

}  // namespace ctlflow

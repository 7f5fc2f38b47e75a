// Iceberg manifests and manifest lists (Avro files), per the table spec's
// v2 schemas with their field ids.
//
// A manifest lists data files with their partition value and column
// statistics; a manifest list (one per snapshot) lists the manifests. Both
// are written and read through src/avro.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "iceberg/table_metadata.h"

namespace ctlflow {

// Per-column statistics of a data file, keyed by field id. Bounds use the
// spec's single-value binary serialization (SingleValue* below).
struct ColumnMetrics {
  int64_t column_size = -1, value_count = -1, null_count = -1;  // -1: unknown
  std::optional<std::string> lower, upper;
};

struct DataFile {
  std::string path;  // absolute URL
  std::string format = "PARQUET";
  // One value per partition field: null, an integer (identity of an
  // int/long/date, or day()), or a string.
  std::vector<nlohmann::json> partition;
  int64_t record_count = 0;
  int64_t file_size = 0;
  std::map<int, ColumnMetrics> metrics;
};

enum class EntryStatus { kExisting = 0, kAdded = 1, kDeleted = 2 };

struct ManifestEntry {
  EntryStatus status = EntryStatus::kAdded;
  int64_t snapshot_id = 0;
  int64_t sequence_number = 0, file_sequence_number = 0;
  DataFile file;
};

struct PartitionSummary {
  bool contains_null = false;
  std::optional<std::string> lower, upper;  // single-value binary
};

// A manifest list's entry.
struct ManifestFile {
  std::string path;  // absolute URL
  int64_t length = 0;
  int spec_id = 0;
  int64_t sequence_number = 0, min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int added_files = 0, existing_files = 0, deleted_files = 0;
  int64_t added_rows = 0, existing_rows = 0, deleted_rows = 0;
  std::vector<PartitionSummary> partitions;
};

// The Avro type of a partition field's values ("int" with logicalType date
// for a day or a date identity, else the source's type).
Result<std::string> PartitionValueType(const PartitionField& field, const IcebergSchema& schema);

Result<std::string> WriteManifest(const std::vector<ManifestEntry>& entries, const IcebergSchema& schema,
                                  const PartitionSpec& spec);
// `spec` gives the partition layout to expect.
Result<std::vector<ManifestEntry>> ReadManifest(const std::string& bytes, const std::string& name);

Result<std::string> WriteManifestList(const std::vector<ManifestFile>& manifests, int64_t snapshot_id,
                                      std::optional<int64_t> parent_id, int64_t sequence_number);
Result<std::vector<ManifestFile>> ReadManifestList(const std::string& bytes, const std::string& name);

// The spec's single-value serialization (little-endian ints and floats,
// UTF-8 strings, big-endian two's complement unscaled decimals, ...).
std::string SingleValueInt(int32_t v);
std::string SingleValueLong(int64_t v);
std::string SingleValueDouble(double v);
std::string SingleValueDecimal(int64_t unscaled);
// Summaries of partition values for a manifest list.
std::vector<PartitionSummary> SummarizePartitions(const std::vector<ManifestEntry>& entries, size_t fields,
                                                  const std::vector<std::string>& value_types);

}  // namespace ctlflow

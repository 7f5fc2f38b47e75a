// Iceberg table metadata (format version 2): the vN.metadata.json file.
//
// Field names and their meaning follow the Apache Iceberg table spec. Only
// what ctlflow writes and reads is modelled: flat schemas of primitive
// types, identity and day partition transforms, snapshots with their
// summaries, and the snapshot and metadata logs. Unknown keys of a file
// written by another engine are kept in `extra` and written back as they
// were, so a rewrite never drops what we do not understand.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ctlflow {

// Iceberg primitive types: "int", "long", "double", "boolean", "string",
// "date", "timestamptz" (µs, UTC), "timestamp", "decimal(P,S)", "float".
struct IcebergField {
  int id = 0;
  std::string name;
  std::string type;
  bool required = false;
  std::string doc;
};

struct IcebergSchema {
  int schema_id = 0;
  std::vector<IcebergField> fields;
  const IcebergField* Find(const std::string& name) const;  // case-insensitive
  const IcebergField* FindId(int id) const;
};

struct PartitionField {
  int source_id = 0;
  int field_id = 1000;
  std::string name;
  std::string transform;  // "identity" | "day"
};

struct PartitionSpec {
  int spec_id = 0;
  std::vector<PartitionField> fields;
};

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // absolute URL
  std::map<std::string, std::string> summary;  // "operation", "added-records", ...
  std::optional<int> schema_id;
};

struct SnapshotLogEntry {
  int64_t timestamp_ms = 0;
  int64_t snapshot_id = 0;
};

struct MetadataLogEntry {
  int64_t timestamp_ms = 0;
  std::string metadata_file;
};

struct TableMetadata {
  int format_version = 2;
  std::string table_uuid;
  std::string location;  // absolute URL of the table's folder
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int last_column_id = 0;
  std::vector<IcebergSchema> schemas;
  int current_schema_id = 0;
  std::vector<PartitionSpec> specs;
  int default_spec_id = 0;
  int last_partition_id = 999;
  std::map<std::string, std::string> properties;
  int64_t current_snapshot_id = -1;  // -1: no snapshot yet
  std::vector<Snapshot> snapshots;
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // keys we do not model

  const IcebergSchema& CurrentSchema() const;
  const PartitionSpec& DefaultSpec() const;
  const Snapshot* CurrentSnapshot() const;
  const Snapshot* FindSnapshot(int64_t id) const;
  // The snapshot that was current at `ms` (by the snapshot log), or null.
  const Snapshot* SnapshotAsOf(int64_t ms) const;
};

// Parses a metadata file; an error names `name` and what is wrong.
Result<TableMetadata> ParseTableMetadata(const std::string& text, const std::string& name);
std::string SerializeTableMetadata(const TableMetadata& metadata);

// The schema as the JSON object Iceberg stores (also the manifests'
// "schema" key and Parquet's "iceberg.schema").
nlohmann::ordered_json SchemaToJson(const IcebergSchema& schema);
nlohmann::ordered_json SpecFieldsToJson(const PartitionSpec& spec);

// Checks that `type` is a primitive type we read and write.
bool IsSupportedType(const std::string& type);

}  // namespace ctlflow

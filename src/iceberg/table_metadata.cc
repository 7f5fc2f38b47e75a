#include "iceberg/table_metadata.h"

#include <algorithm>
#include <regex>

#include "common/strings.h"

namespace ctlflow {

namespace {

using ojson = nlohmann::ordered_json;

// Keys this file models; the rest of a file's top level is kept verbatim.
const char* const kModelled[] = {"format-version", "table-uuid", "location", "last-sequence-number",
                                 "last-updated-ms", "last-column-id", "schemas", "current-schema-id",
                                 "schema", "partition-specs", "default-spec-id", "partition-spec",
                                 "last-partition-id", "properties", "current-snapshot-id", "snapshots",
                                 "snapshot-log", "metadata-log", "refs", "sort-orders",
                                 "default-sort-order-id"};

// A parse error that names the field.
struct Bad {
  std::string what;
};

template <typename T>
T Get(const ojson& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) throw Bad{where + ": \"" + key + "\" is missing"};
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Bad{where + ": \"" + key + "\" has the wrong type"};
  }
}

template <typename T>
T GetOr(const ojson& obj, const char* key, T fallback, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  return Get<T>(obj, key, where);
}

IcebergSchema ParseSchema(const ojson& j, const std::string& where) {
  IcebergSchema s;
  s.schema_id = GetOr<int>(j, "schema-id", 0, where);
  if (!j.contains("fields") || !j["fields"].is_array()) throw Bad{where + ": \"fields\" is missing"};
  for (const auto& f : j["fields"]) {
    IcebergField field;
    field.id = Get<int>(f, "id", where + " field");
    field.name = Get<std::string>(f, "name", where + " field " + std::to_string(field.id));
    if (!f.contains("type") || !f["type"].is_string()) {
      throw Bad{where + ": field " + field.name + " is nested (" + (f.contains("type") ? f["type"].dump() : "no type") +
                "); ctlflow reads flat tables of primitive types"};
    }
    field.type = f["type"].get<std::string>();
    field.required = GetOr<bool>(f, "required", false, where);
    field.doc = GetOr<std::string>(f, "doc", "", where);
    s.fields.push_back(std::move(field));
  }
  return s;
}

PartitionSpec ParseSpec(const ojson& j, const std::string& where) {
  PartitionSpec spec;
  spec.spec_id = GetOr<int>(j, "spec-id", 0, where);
  const ojson& fields = j.is_array() ? j : j.value("fields", ojson::array());
  for (const auto& f : fields) {
    PartitionField p;
    p.source_id = Get<int>(f, "source-id", where);
    p.field_id = GetOr<int>(f, "field-id", 1000, where);
    p.name = Get<std::string>(f, "name", where);
    p.transform = Get<std::string>(f, "transform", where);
    spec.fields.push_back(std::move(p));
  }
  return spec;
}

std::map<std::string, std::string> StringMap(const ojson& j, const std::string& where) {
  std::map<std::string, std::string> out;
  if (j.is_null()) return out;
  if (!j.is_object()) throw Bad{where + " is not an object"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    out[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  }
  return out;
}

}  // namespace

const IcebergField* IcebergSchema::Find(const std::string& name) const {
  for (const auto& f : fields) {
    if (Lower(f.name) == Lower(name)) return &f;
  }
  return nullptr;
}

const IcebergField* IcebergSchema::FindId(int id) const {
  for (const auto& f : fields) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const IcebergSchema& TableMetadata::CurrentSchema() const {
  for (const auto& s : schemas) {
    if (s.schema_id == current_schema_id) return s;
  }
  return schemas.back();
}

const PartitionSpec& TableMetadata::DefaultSpec() const {
  for (const auto& s : specs) {
    if (s.spec_id == default_spec_id) return s;
  }
  return specs.back();
}

const Snapshot* TableMetadata::CurrentSnapshot() const { return FindSnapshot(current_snapshot_id); }

const Snapshot* TableMetadata::FindSnapshot(int64_t id) const {
  for (const auto& s : snapshots) {
    if (s.snapshot_id == id) return &s;
  }
  return nullptr;
}

const Snapshot* TableMetadata::SnapshotAsOf(int64_t ms) const {
  const Snapshot* best = nullptr;
  int64_t best_ms = INT64_MIN;
  for (const auto& e : snapshot_log) {
    if (e.timestamp_ms <= ms && e.timestamp_ms >= best_ms) {
      const Snapshot* s = FindSnapshot(e.snapshot_id);
      if (s != nullptr) best = s, best_ms = e.timestamp_ms;
    }
  }
  return best;
}

bool IsSupportedType(const std::string& type) {
  static const std::regex kDecimal(R"(decimal\(\s*(\d+)\s*,\s*(\d+)\s*\))");
  static const char* const kTypes[] = {"int", "long", "double", "float", "boolean", "string", "date",
                                       "timestamptz", "timestamp"};
  for (const char* t : kTypes) {
    if (type == t) return true;
  }
  return std::regex_match(type, kDecimal);
}

Result<TableMetadata> ParseTableMetadata(const std::string& text, const std::string& name) {
  ojson j;
  try {
    j = ojson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::Invalid(name + ": not a valid Iceberg metadata file: " + e.what());
  }
  if (!j.is_object()) return Status::Invalid(name + ": not a valid Iceberg metadata file: not a JSON object");
  TableMetadata m;
  try {
    const std::string where = name;
    m.format_version = Get<int>(j, "format-version", where);
    if (m.format_version < 1 || m.format_version > 2) {
      throw Bad{where + ": format-version " + std::to_string(m.format_version) + " is not supported (1 or 2)"};
    }
    m.table_uuid = GetOr<std::string>(j, "table-uuid", "", where);
    m.location = Get<std::string>(j, "location", where);
    m.last_sequence_number = GetOr<int64_t>(j, "last-sequence-number", 0, where);
    m.last_updated_ms = Get<int64_t>(j, "last-updated-ms", where);
    m.last_column_id = Get<int>(j, "last-column-id", where);
    if (j.contains("schemas") && j["schemas"].is_array()) {
      for (const auto& s : j["schemas"]) m.schemas.push_back(ParseSchema(s, where + ": schema"));
      m.current_schema_id = GetOr<int>(j, "current-schema-id", 0, where);
    } else if (j.contains("schema")) {
      m.schemas.push_back(ParseSchema(j["schema"], where + ": schema"));
      m.current_schema_id = m.schemas[0].schema_id;
    }
    if (m.schemas.empty()) throw Bad{where + ": no schema"};
    bool found = false;
    for (const auto& s : m.schemas) found |= s.schema_id == m.current_schema_id;
    if (!found) throw Bad{where + ": current-schema-id " + std::to_string(m.current_schema_id) + " is not in schemas"};
    if (j.contains("partition-specs") && j["partition-specs"].is_array()) {
      for (const auto& s : j["partition-specs"]) m.specs.push_back(ParseSpec(s, where + ": partition spec"));
      m.default_spec_id = GetOr<int>(j, "default-spec-id", 0, where);
    } else if (j.contains("partition-spec")) {
      m.specs.push_back(ParseSpec(j["partition-spec"], where + ": partition spec"));
    }
    if (m.specs.empty()) m.specs.push_back(PartitionSpec{});
    m.last_partition_id = GetOr<int>(j, "last-partition-id", 999, where);
    if (j.contains("properties")) m.properties = StringMap(j["properties"], where + ": properties");
    m.current_snapshot_id = GetOr<int64_t>(j, "current-snapshot-id", -1, where);
    if (j.contains("refs") && j["refs"].contains("main")) {
      m.current_snapshot_id = GetOr<int64_t>(j["refs"]["main"], "snapshot-id", m.current_snapshot_id, where);
    }
    for (const auto& s : j.value("snapshots", ojson::array())) {
      Snapshot snap;
      snap.snapshot_id = Get<int64_t>(s, "snapshot-id", where + ": snapshot");
      const std::string sw = where + ": snapshot " + std::to_string(snap.snapshot_id);
      if (s.contains("parent-snapshot-id") && !s["parent-snapshot-id"].is_null()) {
        snap.parent_id = Get<int64_t>(s, "parent-snapshot-id", sw);
      }
      snap.sequence_number = GetOr<int64_t>(s, "sequence-number", 0, sw);
      snap.timestamp_ms = Get<int64_t>(s, "timestamp-ms", sw);
      snap.manifest_list = Get<std::string>(s, "manifest-list", sw);
      if (s.contains("summary")) snap.summary = StringMap(s["summary"], sw + " summary");
      if (s.contains("schema-id") && !s["schema-id"].is_null()) snap.schema_id = Get<int>(s, "schema-id", sw);
      m.snapshots.push_back(std::move(snap));
    }
    if (m.current_snapshot_id != -1 && m.FindSnapshot(m.current_snapshot_id) == nullptr) {
      throw Bad{where + ": current-snapshot-id " + std::to_string(m.current_snapshot_id) + " is not in snapshots"};
    }
    for (const auto& e : j.value("snapshot-log", ojson::array())) {
      m.snapshot_log.push_back({Get<int64_t>(e, "timestamp-ms", where), Get<int64_t>(e, "snapshot-id", where)});
    }
    for (const auto& e : j.value("metadata-log", ojson::array())) {
      m.metadata_log.push_back({Get<int64_t>(e, "timestamp-ms", where), Get<std::string>(e, "metadata-file", where)});
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (std::find_if(std::begin(kModelled), std::end(kModelled),
                       [&](const char* k) { return it.key() == k; }) == std::end(kModelled)) {
        m.extra[it.key()] = *it;
      }
    }
  } catch (const Bad& bad) {
    return Status::Invalid(bad.what);
  }
  return m;
}

ojson SchemaToJson(const IcebergSchema& schema) {
  ojson fields = ojson::array();
  for (const auto& f : schema.fields) {
    ojson field = {{"id", f.id}, {"name", f.name}, {"required", f.required}, {"type", f.type}};
    if (!f.doc.empty()) field["doc"] = f.doc;
    fields.push_back(std::move(field));
  }
  return {{"type", "struct"}, {"schema-id", schema.schema_id}, {"fields", fields}};
}

ojson SpecFieldsToJson(const PartitionSpec& spec) {
  ojson fields = ojson::array();
  for (const auto& f : spec.fields) {
    fields.push_back({{"name", f.name}, {"transform", f.transform}, {"source-id", f.source_id}, {"field-id", f.field_id}});
  }
  return fields;
}

std::string SerializeTableMetadata(const TableMetadata& m) {
  ojson j;
  j["format-version"] = 2;
  j["table-uuid"] = m.table_uuid;
  j["location"] = m.location;
  j["last-sequence-number"] = m.last_sequence_number;
  j["last-updated-ms"] = m.last_updated_ms;
  j["last-column-id"] = m.last_column_id;
  j["current-schema-id"] = m.current_schema_id;
  j["schemas"] = ojson::array();
  for (const auto& s : m.schemas) j["schemas"].push_back(SchemaToJson(s));
  j["default-spec-id"] = m.default_spec_id;
  j["partition-specs"] = ojson::array();
  for (const auto& s : m.specs) j["partition-specs"].push_back({{"spec-id", s.spec_id}, {"fields", SpecFieldsToJson(s)}});
  j["last-partition-id"] = m.last_partition_id;
  j["default-sort-order-id"] = 0;
  j["sort-orders"] = ojson::array({{{"order-id", 0}, {"fields", ojson::array()}}});
  j["properties"] = m.properties;
  j["current-snapshot-id"] = m.current_snapshot_id;
  j["refs"] = ojson::object();
  if (m.current_snapshot_id != -1) {
    j["refs"]["main"] = {{"snapshot-id", m.current_snapshot_id}, {"type", "branch"}};
  }
  j["snapshots"] = ojson::array();
  for (const auto& s : m.snapshots) {
    ojson snap = {{"snapshot-id", s.snapshot_id}};
    if (s.parent_id) snap["parent-snapshot-id"] = *s.parent_id;
    snap["sequence-number"] = s.sequence_number;
    snap["timestamp-ms"] = s.timestamp_ms;
    snap["manifest-list"] = s.manifest_list;
    snap["summary"] = s.summary;
    if (s.schema_id) snap["schema-id"] = *s.schema_id;
    j["snapshots"].push_back(std::move(snap));
  }
  j["snapshot-log"] = ojson::array();
  for (const auto& e : m.snapshot_log) j["snapshot-log"].push_back({{"timestamp-ms", e.timestamp_ms}, {"snapshot-id", e.snapshot_id}});
  j["metadata-log"] = ojson::array();
  for (const auto& e : m.metadata_log) {
    j["metadata-log"].push_back({{"timestamp-ms", e.timestamp_ms}, {"metadata-file", e.metadata_file}});
  }
  for (auto it = m.extra.begin(); it != m.extra.end(); ++it) j[it.key()] = *it;
  return j.dump(2) + "\n";
}

}  // namespace ctlflow

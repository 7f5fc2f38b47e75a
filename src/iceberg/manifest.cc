#include "iceberg/manifest.h"

#include <cstring>

#include "avro/avro_file.h"

namespace ctlflow {

namespace {

using json = nlohmann::json;

// "k117_v118": the record of a map stored as an array of key/value
// records, as the spec does for maps with non-string keys.
json IntMap(int field_id, int key_id, int value_id, const json& value_type) {
  json record = {{"type", "record"},
                 {"name", "k" + std::to_string(key_id) + "_v" + std::to_string(value_id)},
                 {"fields", json::array({{{"name", "key"}, {"type", "int"}, {"field-id", key_id}},
                                         {{"name", "value"}, {"type", value_type}, {"field-id", value_id}}})}};
  (void)field_id;
  return {"null", {{"type", "array"}, {"items", record}, {"logicalType", "map"}}};
}

json Opt(const json& type) { return json::array({"null", type}); }

Result<json> AvroPrimitive(const std::string& type) {
  if (type == "int") return json("int");
  if (type == "long") return json("long");
  if (type == "double") return json("double");
  if (type == "float") return json("float");
  if (type == "boolean") return json("boolean");
  if (type == "string") return json("string");
  if (type == "date") return json({{"type", "int"}, {"logicalType", "date"}});
  if (type == "timestamptz" || type == "timestamp") {
    return json({{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", type == "timestamptz"}});
  }
  return Status::Invalid("partition values of type " + type + " are not supported");
}

std::string ManifestSchema(const json& partition_type) {
  json data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       json::array({
           {{"name", "content"}, {"type", "int"}, {"field-id", 134}},
           {{"name", "file_path"}, {"type", "string"}, {"field-id", 100}},
           {{"name", "file_format"}, {"type", "string"}, {"field-id", 101}},
           {{"name", "partition"}, {"type", partition_type}, {"field-id", 102}},
           {{"name", "record_count"}, {"type", "long"}, {"field-id", 103}},
           {{"name", "file_size_in_bytes"}, {"type", "long"}, {"field-id", 104}},
           {{"name", "column_sizes"}, {"type", IntMap(108, 117, 118, "long")}, {"default", nullptr}, {"field-id", 108}},
           {{"name", "value_counts"}, {"type", IntMap(109, 119, 120, "long")}, {"default", nullptr}, {"field-id", 109}},
           {{"name", "null_value_counts"}, {"type", IntMap(110, 121, 122, "long")}, {"default", nullptr}, {"field-id", 110}},
           {{"name", "lower_bounds"}, {"type", IntMap(125, 126, 127, "bytes")}, {"default", nullptr}, {"field-id", 125}},
           {{"name", "upper_bounds"}, {"type", IntMap(128, 129, 130, "bytes")}, {"default", nullptr}, {"field-id", 128}},
           {{"name", "key_metadata"}, {"type", Opt("bytes")}, {"default", nullptr}, {"field-id", 131}},
           {{"name", "split_offsets"}, {"type", Opt({{"type", "array"}, {"items", "long"}, {"element-id", 133}})},
            {"default", nullptr}, {"field-id", 132}},
           {{"name", "sort_order_id"}, {"type", Opt("int")}, {"default", nullptr}, {"field-id", 140}},
       })}};
  json entry = {{"type", "record"},
                {"name", "manifest_entry"},
                {"fields", json::array({
                               {{"name", "status"}, {"type", "int"}, {"field-id", 0}},
                               {{"name", "snapshot_id"}, {"type", Opt("long")}, {"default", nullptr}, {"field-id", 1}},
                               {{"name", "sequence_number"}, {"type", Opt("long")}, {"default", nullptr}, {"field-id", 3}},
                               {{"name", "file_sequence_number"}, {"type", Opt("long")}, {"default", nullptr}, {"field-id", 4}},
                               {{"name", "data_file"}, {"type", data_file}, {"field-id", 2}},
                           })}};
  return entry.dump();
}

std::string ManifestListSchema() {
  json summary = {{"type", "record"},
                  {"name", "r508"},
                  {"fields", json::array({
                                 {{"name", "contains_null"}, {"type", "boolean"}, {"field-id", 509}},
                                 {{"name", "contains_nan"}, {"type", Opt("boolean")}, {"default", nullptr}, {"field-id", 518}},
                                 {{"name", "lower_bound"}, {"type", Opt("bytes")}, {"default", nullptr}, {"field-id", 510}},
                                 {{"name", "upper_bound"}, {"type", Opt("bytes")}, {"default", nullptr}, {"field-id", 511}},
                             })}};
  json list = {{"type", "record"},
               {"name", "manifest_file"},
               {"fields", json::array({
                              {{"name", "manifest_path"}, {"type", "string"}, {"field-id", 500}},
                              {{"name", "manifest_length"}, {"type", "long"}, {"field-id", 501}},
                              {{"name", "partition_spec_id"}, {"type", "int"}, {"field-id", 502}},
                              {{"name", "content"}, {"type", "int"}, {"field-id", 517}},
                              {{"name", "sequence_number"}, {"type", "long"}, {"field-id", 515}},
                              {{"name", "min_sequence_number"}, {"type", "long"}, {"field-id", 516}},
                              {{"name", "added_snapshot_id"}, {"type", "long"}, {"field-id", 503}},
                              {{"name", "added_files_count"}, {"type", "int"}, {"field-id", 504}},
                              {{"name", "existing_files_count"}, {"type", "int"}, {"field-id", 505}},
                              {{"name", "deleted_files_count"}, {"type", "int"}, {"field-id", 506}},
                              {{"name", "added_rows_count"}, {"type", "long"}, {"field-id", 512}},
                              {{"name", "existing_rows_count"}, {"type", "long"}, {"field-id", 513}},
                              {{"name", "deleted_rows_count"}, {"type", "long"}, {"field-id", 514}},
                              {{"name", "partitions"},
                               {"type", Opt({{"type", "array"}, {"items", summary}, {"element-id", 508}})},
                               {"default", nullptr},
                               {"field-id", 507}},
                              {{"name", "key_metadata"}, {"type", Opt("bytes")}, {"default", nullptr}, {"field-id", 519}},
                          })}};
  return list.dump();
}

json MetricMap(const std::map<int, ColumnMetrics>& metrics, int64_t ColumnMetrics::*member) {
  json arr = json::array();
  for (const auto& [id, m] : metrics) {
    if (m.*member >= 0) arr.push_back({{"key", id}, {"value", m.*member}});
  }
  return arr.empty() ? json(nullptr) : arr;
}

json BoundMap(const std::map<int, ColumnMetrics>& metrics, std::optional<std::string> ColumnMetrics::*member) {
  json arr = json::array();
  for (const auto& [id, m] : metrics) {
    if (m.*member) arr.push_back({{"key", id}, {"value", *(m.*member)}});
  }
  return arr.empty() ? json(nullptr) : arr;
}

// Reading: a typed accessor that throws a message naming the field.
struct Bad {
  std::string what;
};

template <typename T>
T Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) throw Bad{std::string("\"") + key + "\" is missing"};
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw Bad{std::string("\"") + key + "\" has the wrong type"};
  }
}

template <typename T>
T FieldOr(const json& obj, const char* key, T fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  return Field<T>(obj, key);
}

void ReadMetricMap(const json& obj, const char* key, std::map<int, ColumnMetrics>* out,
                   int64_t ColumnMetrics::*member) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return;
  for (const auto& kv : *it) (*out)[Field<int>(kv, "key")].*member = Field<int64_t>(kv, "value");
}

void ReadBoundMap(const json& obj, const char* key, std::map<int, ColumnMetrics>* out,
                  std::optional<std::string> ColumnMetrics::*member) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return;
  for (const auto& kv : *it) (*out)[Field<int>(kv, "key")].*member = Field<std::string>(kv, "value");
}

}  // namespace

Result<std::string> PartitionValueType(const PartitionField& field, const IcebergSchema& schema) {
  const IcebergField* source = schema.FindId(field.source_id);
  if (source == nullptr) {
    return Status::Invalid("partition field " + field.name + ": source column id " + std::to_string(field.source_id) +
                           " is not in the schema");
  }
  if (field.transform == "day") return std::string("date");
  if (field.transform == "identity") return source->type;
  return Status::Invalid("partition field " + field.name + ": transform " + field.transform +
                         " is not supported (identity, day)");
}

Result<std::string> WriteManifest(const std::vector<ManifestEntry>& entries, const IcebergSchema& schema,
                                  const PartitionSpec& spec) {
  json partition_fields = json::array();
  for (const auto& f : spec.fields) {
    CTL_ASSIGN_OR_RETURN(std::string type, PartitionValueType(f, schema));
    CTL_ASSIGN_OR_RETURN(json avro_type, AvroPrimitive(type));
    partition_fields.push_back({{"name", f.name}, {"type", Opt(avro_type)}, {"default", nullptr}, {"field-id", f.field_id}});
  }
  AvroFile file;
  file.schema_json = ManifestSchema({{"type", "record"}, {"name", "r102"}, {"fields", partition_fields}});
  file.metadata = {{"schema", SchemaToJson(schema).dump()},
                   {"schema-id", std::to_string(schema.schema_id)},
                   {"partition-spec", SpecFieldsToJson(spec).dump()},
                   {"partition-spec-id", std::to_string(spec.spec_id)},
                   {"format-version", "2"},
                   {"content", "data"}};
  for (const auto& e : entries) {
    json partition = json::object();
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      partition[spec.fields[i].name] = i < e.file.partition.size() ? e.file.partition[i] : json(nullptr);
    }
    json data_file = {{"content", 0},
                      {"file_path", e.file.path},
                      {"file_format", e.file.format},
                      {"partition", partition},
                      {"record_count", e.file.record_count},
                      {"file_size_in_bytes", e.file.file_size},
                      {"column_sizes", MetricMap(e.file.metrics, &ColumnMetrics::column_size)},
                      {"value_counts", MetricMap(e.file.metrics, &ColumnMetrics::value_count)},
                      {"null_value_counts", MetricMap(e.file.metrics, &ColumnMetrics::null_count)},
                      {"lower_bounds", BoundMap(e.file.metrics, &ColumnMetrics::lower)},
                      {"upper_bounds", BoundMap(e.file.metrics, &ColumnMetrics::upper)},
                      {"key_metadata", nullptr},
                      {"split_offsets", nullptr},
                      {"sort_order_id", nullptr}};
    file.records.push_back({{"status", static_cast<int>(e.status)},
                            {"snapshot_id", e.snapshot_id},
                            {"sequence_number", e.sequence_number},
                            {"file_sequence_number", e.file_sequence_number},
                            {"data_file", std::move(data_file)}});
  }
  return WriteAvroFile(file);
}

Result<std::vector<ManifestEntry>> ReadManifest(const std::string& bytes, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(AvroFile file, ReadAvroFile(bytes, name));
  // The partition's field order, from the file's own spec.
  std::vector<std::string> partition_names;
  auto spec = file.metadata.find("partition-spec");
  if (spec != file.metadata.end()) {
    json fields = json::parse(spec->second, nullptr, false);
    if (fields.is_array()) {
      for (const auto& f : fields) partition_names.push_back(f.value("name", ""));
    }
  }
  std::vector<ManifestEntry> out;
  for (size_t i = 0; i < file.records.size(); ++i) {
    const json& r = file.records[i];
    try {
      ManifestEntry e;
      e.status = static_cast<EntryStatus>(Field<int>(r, "status"));
      e.snapshot_id = FieldOr<int64_t>(r, "snapshot_id", 0);
      e.sequence_number = FieldOr<int64_t>(r, "sequence_number", -1);
      e.file_sequence_number = FieldOr<int64_t>(r, "file_sequence_number", -1);
      const json& d = r.at("data_file");
      if (FieldOr<int>(d, "content", 0) != 0) {
        throw Bad{"holds delete files (row-level deletes), which ctlflow does not read"};
      }
      e.file.path = Field<std::string>(d, "file_path");
      e.file.format = Field<std::string>(d, "file_format");
      const json& p = d.contains("partition") ? d["partition"] : json::object();
      if (!partition_names.empty()) {
        for (const auto& n : partition_names) e.file.partition.push_back(p.contains(n) ? p[n] : json(nullptr));
      } else {
        for (auto it = p.begin(); it != p.end(); ++it) e.file.partition.push_back(*it);
      }
      e.file.record_count = Field<int64_t>(d, "record_count");
      e.file.file_size = Field<int64_t>(d, "file_size_in_bytes");
      ReadMetricMap(d, "column_sizes", &e.file.metrics, &ColumnMetrics::column_size);
      ReadMetricMap(d, "value_counts", &e.file.metrics, &ColumnMetrics::value_count);
      ReadMetricMap(d, "null_value_counts", &e.file.metrics, &ColumnMetrics::null_count);
      ReadBoundMap(d, "lower_bounds", &e.file.metrics, &ColumnMetrics::lower);
      ReadBoundMap(d, "upper_bounds", &e.file.metrics, &ColumnMetrics::upper);
      out.push_back(std::move(e));
    } catch (const Bad& bad) {
      return Status::Invalid(name + ": manifest entry " + std::to_string(i) + ": " + bad.what);
    } catch (const json::exception& e) {
      return Status::Invalid(name + ": manifest entry " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

Result<std::string> WriteManifestList(const std::vector<ManifestFile>& manifests, int64_t snapshot_id,
                                      std::optional<int64_t> parent_id, int64_t sequence_number) {
  AvroFile file;
  file.schema_json = ManifestListSchema();
  file.metadata = {{"snapshot-id", std::to_string(snapshot_id)},
                   {"parent-snapshot-id", parent_id ? std::to_string(*parent_id) : "null"},
                   {"sequence-number", std::to_string(sequence_number)},
                   {"format-version", "2"}};
  for (const auto& m : manifests) {
    json partitions = json::array();
    for (const auto& p : m.partitions) {
      partitions.push_back({{"contains_null", p.contains_null},
                            {"contains_nan", false},
                            {"lower_bound", p.lower ? json(*p.lower) : json(nullptr)},
                            {"upper_bound", p.upper ? json(*p.upper) : json(nullptr)}});
    }
    file.records.push_back({{"manifest_path", m.path},
                            {"manifest_length", m.length},
                            {"partition_spec_id", m.spec_id},
                            {"content", 0},
                            {"sequence_number", m.sequence_number},
                            {"min_sequence_number", m.min_sequence_number},
                            {"added_snapshot_id", m.added_snapshot_id},
                            {"added_files_count", m.added_files},
                            {"existing_files_count", m.existing_files},
                            {"deleted_files_count", m.deleted_files},
                            {"added_rows_count", m.added_rows},
                            {"existing_rows_count", m.existing_rows},
                            {"deleted_rows_count", m.deleted_rows},
                            {"partitions", partitions},
                            {"key_metadata", nullptr}});
  }
  return WriteAvroFile(file);
}

Result<std::vector<ManifestFile>> ReadManifestList(const std::string& bytes, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(AvroFile file, ReadAvroFile(bytes, name));
  std::vector<ManifestFile> out;
  for (size_t i = 0; i < file.records.size(); ++i) {
    const json& r = file.records[i];
    try {
      ManifestFile m;
      m.path = Field<std::string>(r, "manifest_path");
      m.length = Field<int64_t>(r, "manifest_length");
      m.spec_id = Field<int>(r, "partition_spec_id");
      if (FieldOr<int>(r, "content", 0) != 0) throw Bad{"lists a delete manifest, which ctlflow does not read"};
      m.sequence_number = FieldOr<int64_t>(r, "sequence_number", 0);
      m.min_sequence_number = FieldOr<int64_t>(r, "min_sequence_number", 0);
      m.added_snapshot_id = Field<int64_t>(r, "added_snapshot_id");
      // v1 files spell the counts added_data_files_count etc.
      m.added_files = FieldOr<int>(r, "added_files_count", FieldOr<int>(r, "added_data_files_count", 0));
      m.existing_files = FieldOr<int>(r, "existing_files_count", FieldOr<int>(r, "existing_data_files_count", 0));
      m.deleted_files = FieldOr<int>(r, "deleted_files_count", FieldOr<int>(r, "deleted_data_files_count", 0));
      m.added_rows = FieldOr<int64_t>(r, "added_rows_count", 0);
      m.existing_rows = FieldOr<int64_t>(r, "existing_rows_count", 0);
      m.deleted_rows = FieldOr<int64_t>(r, "deleted_rows_count", 0);
      if (r.contains("partitions") && r["partitions"].is_array()) {
        for (const auto& p : r["partitions"]) {
          PartitionSummary s;
          s.contains_null = FieldOr<bool>(p, "contains_null", false);
          if (p.contains("lower_bound") && p["lower_bound"].is_string()) s.lower = p["lower_bound"].get<std::string>();
          if (p.contains("upper_bound") && p["upper_bound"].is_string()) s.upper = p["upper_bound"].get<std::string>();
          m.partitions.push_back(std::move(s));
        }
      }
      out.push_back(std::move(m));
    } catch (const Bad& bad) {
      return Status::Invalid(name + ": manifest list entry " + std::to_string(i) + ": " + bad.what);
    } catch (const json::exception& e) {
      return Status::Invalid(name + ": manifest list entry " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

std::string SingleValueInt(int32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((static_cast<uint32_t>(v) >> (8 * i)) & 0xff);
  return out;
}

std::string SingleValueLong(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return out;
}

std::string SingleValueDouble(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return SingleValueLong(static_cast<int64_t>(bits));
}

std::string SingleValueDecimal(int64_t unscaled) {
  // Big-endian two's complement in the fewest bytes that keep the sign.
  std::string out;
  for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<uint64_t>(unscaled) >> (8 * i)) & 0xff);
  while (out.size() > 1) {
    const auto b0 = static_cast<unsigned char>(out[0]), b1 = static_cast<unsigned char>(out[1]);
    if ((b0 == 0x00 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80))) out.erase(0, 1);
    else break;
  }
  return out;
}

std::vector<PartitionSummary> SummarizePartitions(const std::vector<ManifestEntry>& entries, size_t fields,
                                                  const std::vector<std::string>& value_types) {
  std::vector<PartitionSummary> out(fields);
  std::vector<std::optional<json>> lo(fields), hi(fields);
  for (const auto& e : entries) {
    if (e.status == EntryStatus::kDeleted) continue;
    for (size_t i = 0; i < fields && i < e.file.partition.size(); ++i) {
      const json& v = e.file.partition[i];
      if (v.is_null()) {
        out[i].contains_null = true;
        continue;
      }
      if (!lo[i] || v < *lo[i]) lo[i] = v;
      if (!hi[i] || v > *hi[i]) hi[i] = v;
    }
  }
  auto encode = [](const json& v, const std::string& type) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (type == "long" || type == "timestamptz" || type == "timestamp") return SingleValueLong(v.get<int64_t>());
    return SingleValueInt(static_cast<int32_t>(v.get<int64_t>()));
  };
  for (size_t i = 0; i < fields; ++i) {
    const std::string& type = i < value_types.size() ? value_types[i] : "int";
    if (lo[i]) out[i].lower = encode(*lo[i], type);
    if (hi[i]) out[i].upper = encode(*hi[i], type);
  }
  return out;
}

}  // namespace ctlflow

#include "lakehouse/table_admin.h"

#include <algorithm>
#include <set>

#include "iceberg/table.h"
#include "lakehouse/row_codec.h"

namespace ctlflow {

namespace {

Result<IcebergTable> LoadTable(Lakehouse& lake, const TableIdent& ident) {
  return IcebergTable::Load(lake.store.get(), lake.catalog.get(), ident);
}

Result<TableSummary> Summarize(const IcebergTable& table, const Snapshot* at = nullptr) {
  TableSummary t;
  t.ident = table.ident();
  t.location = table.metadata().location;
  t.metadata_location = table.metadata_location();
  t.last_updated_ms = at ? at->timestamp_ms : table.metadata().last_updated_ms;
  if (const Snapshot* s = at ? at : table.metadata().CurrentSnapshot()) t.snapshot_id = s->snapshot_id;
  CTL_ASSIGN_OR_RETURN(auto files, table.LiveFiles(at ? std::optional<int64_t>(at->snapshot_id) : std::nullopt));
  for (const auto& f : files) {
    t.records += f.record_count;
    t.bytes += f.file_size;
    ++t.files;
  }
  return t;
}

// The key of `url` below the lakehouse's root ("" for the root itself).
Result<std::string> KeyBelowRoot(Lakehouse& lake, const std::string& url) {
  std::string u = url;
  while (u.size() > 1 && u.back() == '/') u.pop_back();
  const std::string& root = lake.store->Root();
  if (u == root) return std::string();
  if (u.size() > root.size() && u.compare(0, root.size(), root) == 0 && u[root.size()] == '/') {
    return u.substr(root.size() + 1);
  }
  if (u.find("://") == std::string::npos && !u.empty() && u[0] != '/') return u;  // already relative
  return Status::Invalid(url + " is not inside lakehouse " + lake.name + " (" + root + ")");
}

// "identity(data_dt)": a partition field as `describe` shows it, its source
// column named from `schema`.
std::string PartitionFieldText(const PartitionField& p, const IcebergSchema& schema) {
  const IcebergField* source = schema.FindId(p.source_id);
  return p.transform + "(" + (source ? source->name : std::to_string(p.source_id)) + ")";
}

// "identity(data_dt)", ... for each field of the table's partition spec.
std::string DescribeSpec(const TableMetadata& m) {
  std::string out;
  for (const auto& p : m.DefaultSpec().fields) out += (out.empty() ? "" : ", ") + PartitionFieldText(p, m.CurrentSchema());
  return out;
}

// A data_dt partition value as a date: days since 1970 (a date column, or
// day()) or the text of a string column.
std::string DataDtText(const nlohmann::json& value) {
  if (value.is_number_integer()) return FormatIsoDate(value.get<int64_t>());
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

bool InPartition(const DataFile& f, const nlohmann::json& value) {
  return !f.partition.empty() && f.partition[0] == value;
}

}  // namespace

Result<std::vector<TableSummary>> ListTables(Lakehouse& lake) {
  CTL_ASSIGN_OR_RETURN(auto entries, lake.catalog->List());
  std::vector<TableSummary> out;
  for (const auto& e : entries) {
    CTL_ASSIGN_OR_RETURN(IcebergTable table, LoadTable(lake, e.ident));
    CTL_ASSIGN_OR_RETURN(TableSummary s, Summarize(table));
    out.push_back(std::move(s));
  }
  return out;
}

Result<TableDescription> DescribeTable(Lakehouse& lake, const TableIdent& ident, const AsOf& as_of) {
  CTL_ASSIGN_OR_RETURN(IcebergTable table, LoadTable(lake, ident));
  const TableMetadata& m = table.metadata();
  const Snapshot* at = nullptr;
  if (as_of.snapshot_id) {
    at = m.FindSnapshot(*as_of.snapshot_id);
    if (at == nullptr) {
      return Status::NotFound(ident.ToString() + " has no snapshot " + std::to_string(*as_of.snapshot_id) +
                              " (expired, or never); see ctlflow lakehouse snapshots");
    }
  } else if (as_of.time_ms) {
    at = m.SnapshotAsOf(*as_of.time_ms);
    if (at == nullptr) return Status::NotFound(ident.ToString() + " had no snapshot yet at that time");
  }
  TableDescription d;
  CTL_ASSIGN_OR_RETURN(d.summary, Summarize(table, at));
  const IcebergSchema* schema_at = &m.CurrentSchema();
  if (at != nullptr && at->schema_id) {
    for (const auto& s : m.schemas) {
      if (s.schema_id == *at->schema_id) schema_at = &s;
    }
  }
  const IcebergSchema& schema = *schema_at;
  d.schema_id = schema.schema_id;
  for (const auto& f : schema.fields) d.fields.push_back({f.id, f.name, f.type, f.required});
  for (const auto& p : m.DefaultSpec().fields) d.partition.push_back(PartitionFieldText(p, schema));
  d.properties = m.properties;
  d.table_uuid = m.table_uuid;
  return d;
}

Result<std::vector<SnapshotDescription>> ListSnapshots(Lakehouse& lake, const TableIdent& ident) {
  CTL_ASSIGN_OR_RETURN(IcebergTable table, LoadTable(lake, ident));
  std::vector<SnapshotDescription> out;
  for (const auto& s : table.metadata().snapshots) {
    SnapshotDescription d;
    d.snapshot_id = s.snapshot_id;
    d.parent_id = s.parent_id.value_or(0);
    d.sequence_number = s.sequence_number;
    d.timestamp_ms = s.timestamp_ms;
    auto op = s.summary.find("operation");
    d.operation = op == s.summary.end() ? "" : op->second;
    d.manifest_list = s.manifest_list;
    d.summary = s.summary;
    d.current = s.snapshot_id == table.metadata().current_snapshot_id;
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotDescription& a, const SnapshotDescription& b) {
    return a.sequence_number != b.sequence_number ? a.sequence_number < b.sequence_number : a.timestamp_ms < b.timestamp_ms;
  });
  return out;
}

Result<RegisterOutcome> RegisterTable(Lakehouse& lake, const std::string& url, const std::string& ident_text) {
  CTL_ASSIGN_OR_RETURN(std::string key, KeyBelowRoot(lake, url));
  if (key.empty()) return Status::Invalid(url + " is the lakehouse's root; give a table's folder");
  CTL_ASSIGN_OR_RETURN(FoundMetadata found, FindNewestMetadata(lake.store.get(), key));
  const std::string folder = lake.store->Url(key);
  std::string location = found.metadata.location;
  while (location.size() > 1 && location.back() == '/') location.pop_back();
  if (location != folder) {
    return Status::Invalid(lake.store->Url(found.key) + " says the table lives at " + found.metadata.location +
                           ", not " + folder + "; Iceberg files refer to each other by absolute URL, so restore "
                           "the bucket at its original URL");
  }
  RegisterOutcome out;
  if (!ident_text.empty()) {
    CTL_ASSIGN_OR_RETURN(out.ident, ParseTableIdent(ident_text, "--as"));
  } else {
    size_t slash = key.rfind('/');
    if (slash == std::string::npos) {
      return Status::Invalid(folder + ": give the table a name with --as NAMESPACE.TABLE (the folder has no parent)");
    }
    size_t before = key.rfind('/', slash - 1);
    out.ident = {key.substr(before == std::string::npos ? 0 : before + 1, slash - (before == std::string::npos ? 0 : before + 1)),
                 key.substr(slash + 1)};
  }
  out.metadata_location = lake.store->Url(found.key);
  CTL_ASSIGN_OR_RETURN(auto entry, lake.catalog->Load(out.ident));
  if (!entry) {
    CTL_RETURN_IF_ERROR(lake.catalog->Create(out.ident, out.metadata_location));
    return out;
  }
  if (entry->metadata_location == out.metadata_location) {
    out.already = true;
    return out;
  }
  // Registered at an older metadata file of this same table: move it on.
  auto old_key = KeyBelowRoot(lake, entry->metadata_location);
  if (old_key.ok() && old_key->rfind(key + "/metadata/", 0) == 0) {
    CTL_RETURN_IF_ERROR(lake.catalog->Commit(out.ident, entry->metadata_location,
                                             [&]() -> Result<std::string> { return out.metadata_location; }));
    out.moved = true;
    return out;
  }
  return Status::Conflict(out.ident.ToString() + " is already registered at " + entry->metadata_location +
                          "; register this folder under another name with --as");
}

Result<ScanOutcome> ScanTables(Lakehouse& lake, const std::string& url) {
  std::string prefix;
  if (!url.empty()) {
    CTL_ASSIGN_OR_RETURN(prefix, KeyBelowRoot(lake, url));
    if (!prefix.empty()) prefix += "/";
  }
  CTL_ASSIGN_OR_RETURN(auto folders, FindTables(lake.store.get(), prefix));
  ScanOutcome out;
  for (const auto& folder : folders) {
    auto r = RegisterTable(lake, lake.store->Url(folder));
    if (r.ok()) out.tables.push_back(std::move(*r));
    else out.problems.push_back(r.status().message());
  }
  return out;
}

Result<ExpireOutcome> ExpireTable(Lakehouse& lake, const TableIdent& ident, const ExpireOptions& options) {
  CTL_ASSIGN_OR_RETURN(IcebergTable table, LoadTable(lake, ident));
  CTL_ASSIGN_OR_RETURN(ExpireResult r, table.Expire(options.older_than_ms, options.retain_last, options.dry_run,
                                                    options.delete_orphans && !options.dry_run));
  ExpireOutcome out;
  out.expired_snapshots = r.expired_snapshots;
  for (const auto& k : r.deleted_files) out.deleted_files.push_back(lake.store->Url(k));
  for (const auto& k : r.orphan_files) out.orphan_files.push_back(lake.store->Url(k));
  out.orphans_deleted = r.orphans_deleted;
  return out;
}

Result<DeletePartitionOutcome> DeleteDataDt(Lakehouse& lake, const TableIdent& ident, const std::string& data_dt,
                                            bool dry_run) {
  auto days = ParseIsoDate(data_dt);
  if (!days.ok()) return Status::Invalid("data_dt '" + data_dt + "' is not a date; expected YYYY-MM-DD, e.g. 2024-11-16");
  CTL_ASSIGN_OR_RETURN(IcebergTable table, LoadTable(lake, ident));
  const TableMetadata& m = table.metadata();
  const std::vector<PartitionField>& spec = m.DefaultSpec().fields;
  const IcebergField* source = spec.size() == 1 ? m.CurrentSchema().FindId(spec[0].source_id) : nullptr;
  // What the table writer partitions by (identity or day of a date column),
  // and a string data_dt column as other writers may make it.
  const bool by_data_dt =
      source != nullptr && source->name == "data_dt" &&
      ((spec[0].transform == "identity" && (source->type == "date" || source->type == "string")) ||
       (spec[0].transform == "day" && source->type == "date"));
  if (!by_data_dt) {
    const std::string have = DescribeSpec(m);
    return Status::Invalid(ident.ToString() + " is not partitioned by data_dt (its partition spec is " +
                           (have.empty() ? std::string("empty: the table is unpartitioned") : have) +
                           "), so it has no data_dt partition to delete");
  }
  const nlohmann::json value = source->type == "string" ? nlohmann::json(data_dt) : nlohmann::json(*days);

  DeletePartitionOutcome out;
  out.ident = ident;
  out.data_dt = data_dt;
  out.partition = DescribeSpec(m);
  out.dry_run = dry_run;
  if (const Snapshot* current = m.CurrentSnapshot()) out.previous_snapshot_id = current->snapshot_id;
  CTL_ASSIGN_OR_RETURN(auto live, table.LiveFiles());
  std::set<std::string> dates;
  std::vector<DataFile> matching;
  for (auto& f : live) {
    if (InPartition(f, value)) matching.push_back(std::move(f));
    else if (!f.partition.empty()) dates.insert(DataDtText(f.partition[0]));
  }
  out.dates.assign(dates.begin(), dates.end());

  if (!matching.empty() && !dry_run) {
    CTL_ASSIGN_OR_RETURN(CommitResult commit, table.DeletePartition(value));
    out.snapshot_id = commit.snapshot_id;
    // Another writer may have committed first (the delete was re-applied on
    // top of it): report what the committed snapshot removed from its parent.
    const Snapshot* committed = table.metadata().FindSnapshot(commit.snapshot_id);
    const int64_t parent = committed && committed->parent_id ? *committed->parent_id : 0;
    if (parent != out.previous_snapshot_id) {
      out.previous_snapshot_id = parent;
      matching.clear();
      if (parent != 0) {
        CTL_ASSIGN_OR_RETURN(auto before, table.LiveFiles(parent));
        for (auto& f : before) {
          if (InPartition(f, value)) matching.push_back(std::move(f));
        }
      }
    }
  }
  for (const auto& f : matching) {
    out.files.push_back(f.path);
    out.records += f.record_count;
    out.bytes += f.file_size;
  }
  return out;
}

nlohmann::ordered_json DeletePartitionJson(const DeletePartitionOutcome& o) {
  auto id_or_null = [](int64_t id) { return id ? nlohmann::ordered_json(id) : nlohmann::ordered_json(); };
  return {{"table", o.ident.ToString()},
          {"data_dt", o.data_dt},
          {"partition", o.partition},
          {"dry_run", o.dry_run},
          {"committed", o.snapshot_id != 0},
          {"snapshot_id", id_or_null(o.snapshot_id)},
          {"previous_snapshot_id", id_or_null(o.previous_snapshot_id)},
          {"records", o.records},
          {"bytes", o.bytes},
          {"files", o.files},
          {"dates", o.dates}};
}

}  // namespace ctlflow

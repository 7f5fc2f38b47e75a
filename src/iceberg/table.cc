#include "iceberg/table.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "common/strings.h"

namespace ctlflow {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   (static_cast<uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()))
                                    << 1));
  return rng;
}

std::string FileName(const std::string& key) {
  size_t slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

// The version number of "v12.metadata.json" or "00012-<uuid>.metadata.json";
// -1 when the name is neither.
int64_t MetadataVersion(const std::string& name) {
  if (name.size() < 15 || name.compare(name.size() - 14, 14, ".metadata.json") != 0) return -1;
  size_t i = name[0] == 'v' ? 1 : 0;
  size_t start = i;
  int64_t v = 0;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && i - start < 18) {
    v = v * 10 + (name[i] - '0');
    ++i;
  }
  if (i == start) return -1;
  if (name[i] != '.' && name[i] != '-') return -1;
  return v;
}

int64_t SummaryNumber(const Snapshot* s, const char* key) {
  if (s == nullptr) return 0;
  auto it = s->summary.find(key);
  if (it == s->summary.end()) return 0;
  return std::strtoll(it->second.c_str(), nullptr, 10);
}

// Fault injection for the crash tests: CTLFLOW_FAULT names the point.
void MaybeCrash(const char* point) {
  const char* fault = std::getenv("CTLFLOW_FAULT");
  if (fault != nullptr && std::string(fault) == point) ::raise(SIGKILL);
}

constexpr int kMaxAttempts = 12;

}  // namespace

std::string NewUuid() {
  uint64_t a = Rng()(), b = Rng()();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

int64_t NewSnapshotId() { return static_cast<int64_t>(Rng()() >> 2) + 1; }

template <typename Fn>
auto IcebergTable::Retry(Fn attempt) -> decltype(attempt(0)) {
  for (int n = 0;; ++n) {
    if (n > 0) {
      CTL_RETURN_IF_ERROR(Refresh());
    }
    auto r = attempt(n);
    if (r.ok() || r.status().code() != ErrorCode::kConflict) return r;
    if (n + 1 == kMaxAttempts) {
      return Status::Conflict(ident_.ToString() + ": gave up after " + std::to_string(kMaxAttempts) +
                              " commit attempts, other writers kept committing first: " + r.status().message());
    }
    std::uniform_int_distribution<int> jitter(0, 10 << std::min(n, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds((5 << std::min(n, 6)) + jitter(Rng())));
  }
}

Result<std::string> IcebergTable::KeyOf(const std::string& url) const {
  const std::string& root = store_->Root();
  if (url.size() > root.size() + 1 && url.compare(0, root.size(), root) == 0 && url[root.size()] == '/') {
    return url.substr(root.size() + 1);
  }
  return Status::Invalid(ident_.ToString() + ": " + url + " is outside the lakehouse root " + root);
}

Status IcebergTable::Refresh() {
  CTL_ASSIGN_OR_RETURN(std::optional<CatalogEntry> entry, catalog_->Load(ident_));
  if (!entry) {
    return Status::NotFound("no Iceberg table " + ident_.ToString() + " in catalog " + catalog_->CatalogName());
  }
  CTL_ASSIGN_OR_RETURN(std::string key, KeyOf(entry->metadata_location));
  CTL_ASSIGN_OR_RETURN(std::string text, store_->Get(key));
  CTL_ASSIGN_OR_RETURN(metadata_, ParseTableMetadata(text, entry->metadata_location));
  metadata_location_ = entry->metadata_location;
  return Status::Ok();
}

Result<IcebergTable> IcebergTable::Load(ObjectStore* store, IcebergCatalog* catalog, const TableIdent& ident) {
  IcebergTable table(store, catalog, ident);
  CTL_RETURN_IF_ERROR(table.Refresh());
  return table;
}

Result<IcebergTable> IcebergTable::Create(ObjectStore* store, IcebergCatalog* catalog, const TableIdent& ident,
                                          const std::string& location_key, const std::vector<IcebergField>& fields,
                                          const std::vector<std::pair<std::string, std::string>>& partition_by,
                                          const std::map<std::string, std::string>& properties) {
  IcebergTable table(store, catalog, ident);
  TableMetadata& m = table.metadata_;
  m.table_uuid = NewUuid();
  m.location = store->Url(location_key);
  m.last_updated_ms = NowMs();
  IcebergSchema schema;
  std::set<std::string> names;
  for (const auto& f : fields) {
    if (!IsSupportedType(f.type)) return Status::Invalid(ident.ToString() + ": column " + f.name + ": type " + f.type + " is not supported");
    if (!names.insert(Lower(f.name)).second) return Status::Invalid(ident.ToString() + ": column " + f.name + " appears twice");
    IcebergField field = f;
    field.id = ++m.last_column_id;
    schema.fields.push_back(field);
  }
  m.schemas = {schema};
  PartitionSpec spec;
  for (const auto& [column, transform] : partition_by) {
    const IcebergField* source = schema.Find(column);
    if (source == nullptr) return Status::Invalid(ident.ToString() + ": partition column " + column + " is not in the schema");
    if (transform != "identity" && transform != "day") {
      return Status::Invalid(ident.ToString() + ": partition transform " + transform + " is not supported (identity, day)");
    }
    if (transform == "day" && source->type != "date" && source->type != "timestamptz" && source->type != "timestamp") {
      return Status::Invalid(ident.ToString() + ": day(" + column + ") needs a date or timestamp column, not " + source->type);
    }
    spec.fields.push_back({source->id, ++m.last_partition_id, transform == "identity" ? source->name : source->name + "_day", transform});
  }
  m.specs = {spec};
  m.properties = properties;
  m.properties.emplace("write.format.default", "parquet");
  m.properties.emplace("write.parquet.compression-codec", "zstd");
  const std::string key = location_key + "/metadata/v1.metadata.json";
  const std::string text = SerializeTableMetadata(m);
  Status st = catalog->Commit(ident, "", [&]() -> Result<std::string> {
    Status put = store->PutIfAbsent(key, text);
    if (put.code() == ErrorCode::kConflict) {
      return Status::Invalid("an Iceberg table already sits at " + m.location +
                             " (metadata/v1.metadata.json exists); register it with `ctlflow lakehouse register " +
                             m.location + "` instead of creating it again");
    }
    CTL_RETURN_IF_ERROR(put);
    return store->Url(key);
  });
  CTL_RETURN_IF_ERROR(st);
  (void)store->Put(location_key + "/metadata/version-hint.text", "1");
  table.metadata_location_ = store->Url(key);
  return table;
}

Result<std::vector<ManifestFile>> IcebergTable::Manifests(const Snapshot& snapshot) const {
  CTL_ASSIGN_OR_RETURN(std::string key, KeyOf(snapshot.manifest_list));
  auto bytes = store_->Get(key);
  if (!bytes.ok()) {
    return bytes.status().WithContext(ident_.ToString() + ": the manifest list of snapshot " +
                                      std::to_string(snapshot.snapshot_id));
  }
  return ReadManifestList(*bytes, snapshot.manifest_list);
}

Result<std::vector<DataFile>> IcebergTable::LiveFiles(std::optional<int64_t> snapshot_id) const {
  const Snapshot* snap = snapshot_id ? metadata_.FindSnapshot(*snapshot_id) : metadata_.CurrentSnapshot();
  if (snapshot_id && snap == nullptr) {
    return Status::NotFound(ident_.ToString() + " has no snapshot " + std::to_string(*snapshot_id));
  }
  if (snap == nullptr) return std::vector<DataFile>();
  CTL_ASSIGN_OR_RETURN(auto manifests, Manifests(*snap));
  return LiveFilesOf(*snap, manifests);
}

Result<std::vector<DataFile>> IcebergTable::LiveFilesOf(const Snapshot& snap,
                                                        const std::vector<ManifestFile>& manifests) const {
  std::vector<DataFile> out;
  for (const auto& mf : manifests) {
    CTL_ASSIGN_OR_RETURN(std::string key, KeyOf(mf.path));
    auto bytes = store_->Get(key);
    if (!bytes.ok()) return bytes.status().WithContext(ident_.ToString() + ": a manifest of snapshot " + std::to_string(snap.snapshot_id));
    CTL_ASSIGN_OR_RETURN(auto entries, ReadManifest(*bytes, mf.path));
    for (auto& e : entries) {
      if (e.status != EntryStatus::kDeleted) out.push_back(std::move(e.file));
    }
  }
  return out;
}

Status IcebergTable::SwapMetadata(TableMetadata next, const std::vector<std::string>& written_keys) {
  CTL_ASSIGN_OR_RETURN(std::string table_key, KeyOf(metadata_.location));
  const int64_t version = std::max<int64_t>(MetadataVersion(FileName(metadata_location_)), 0);
  next.last_updated_ms = std::max(NowMs(), metadata_.last_updated_ms + 1);
  next.metadata_log.push_back({metadata_.last_updated_ms, metadata_location_});
  if (next.metadata_log.size() > 100) next.metadata_log.erase(next.metadata_log.begin());
  const std::string text = SerializeTableMetadata(next);
  std::string written_url;
  int64_t written_version = 0;
  Status st = catalog_->Commit(ident_, metadata_location_, [&]() -> Result<std::string> {
    // A crashed writer may have left vN+1 unregistered: take the next free name.
    for (int64_t v = version + 1; v <= version + 50; ++v) {
      const std::string key = table_key + "/metadata/v" + std::to_string(v) + ".metadata.json";
      Status put = store_->PutIfAbsent(key, text);
      if (put.code() == ErrorCode::kConflict) continue;
      CTL_RETURN_IF_ERROR(put);
      written_url = store_->Url(key);
      written_version = v;
      return written_url;
    }
    return Status::Conflict(ident_.ToString() + ": metadata versions v" + std::to_string(version + 1) + " to v" +
                            std::to_string(version + 50) + " all exist");
  });
  if (!st.ok()) {
    // Nothing references what this attempt wrote.
    for (const auto& key : written_keys) (void)store_->Delete(key);
    if (!written_url.empty()) {
      auto key = KeyOf(written_url);
      if (key.ok()) (void)store_->Delete(*key);
    }
    return st;
  }
  metadata_ = std::move(next);
  metadata_location_ = written_url;
  // For readers that find the current version by the hint (icebird, Spark's
  // Hadoop tables); the catalog stays the authority.
  (void)store_->Put(table_key + "/metadata/version-hint.text", std::to_string(written_version));
  return Status::Ok();
}

Result<CommitResult> IcebergTable::CommitChange(const Change& change) {
  return Retry([&](int attempt) -> Result<CommitResult> {
    CTL_ASSIGN_OR_RETURN(std::string table_key, KeyOf(metadata_.location));
    const TableMetadata& base = metadata_;
    const IcebergSchema& schema = base.CurrentSchema();
    const PartitionSpec& spec = base.DefaultSpec();
    std::vector<std::string> value_types;
    for (const auto& f : spec.fields) {
      CTL_ASSIGN_OR_RETURN(std::string t, PartitionValueType(f, schema));
      value_types.push_back(t);
    }
    const int64_t snapshot_id = NewSnapshotId();
    const int64_t seq = base.last_sequence_number + 1;
    const Snapshot* parent = base.CurrentSnapshot();
    const std::string tag = NewUuid();
    std::vector<std::string> written;  // keys, deleted if the commit fails
    std::vector<ManifestFile> manifests;
    CommitResult result;
    result.attempts = attempt + 1;
    int manifest_no = 0;
    auto write_manifest = [&](const std::vector<ManifestEntry>& entries) -> Result<ManifestFile> {
      CTL_ASSIGN_OR_RETURN(std::string bytes, WriteManifest(entries, schema, spec));
      const std::string key = table_key + "/metadata/" + tag + "-m" + std::to_string(manifest_no++) + ".avro";
      CTL_RETURN_IF_ERROR(store_->PutIfAbsent(key, bytes));
      written.push_back(key);
      ManifestFile mf;
      mf.path = store_->Url(key);
      mf.length = static_cast<int64_t>(bytes.size());
      mf.spec_id = spec.spec_id;
      mf.sequence_number = seq;
      mf.min_sequence_number = seq;
      mf.added_snapshot_id = snapshot_id;
      for (const auto& e : entries) {
        mf.min_sequence_number = std::min(mf.min_sequence_number, e.sequence_number);
        int64_t rows = e.file.record_count;
        if (e.status == EntryStatus::kAdded) ++mf.added_files, mf.added_rows += rows;
        else if (e.status == EntryStatus::kExisting) ++mf.existing_files, mf.existing_rows += rows;
        else ++mf.deleted_files, mf.deleted_rows += rows;
      }
      mf.partitions = SummarizePartitions(entries, spec.fields.size(), value_types);
      return mf;
    };
    auto fail = [&](const Status& st) {
      for (const auto& key : written) (void)store_->Delete(key);
      return st;
    };

    // Carry the current manifests over; rewrite those holding removed files.
    if (parent != nullptr) {
      auto current = Manifests(*parent);
      if (!current.ok()) return fail(current.status());
      for (const auto& mf : *current) {
        if (!change.remove) {
          manifests.push_back(mf);
          continue;
        }
        auto key = KeyOf(mf.path);
        if (!key.ok()) return fail(key.status());
        auto bytes = store_->Get(*key);
        if (!bytes.ok()) return fail(bytes.status().WithContext(ident_.ToString() + ": a manifest of the current snapshot"));
        auto entries = ReadManifest(*bytes, mf.path);
        if (!entries.ok()) return fail(entries.status());
        std::vector<ManifestEntry> kept;
        bool touched = false;
        for (auto& e : *entries) {
          if (e.status == EntryStatus::kDeleted) {
            touched = true;  // dropped from the rewrite
            continue;
          }
          if (change.remove(e.file)) {
            e.status = EntryStatus::kDeleted;
            e.snapshot_id = snapshot_id;
            ++result.removed_files;
            result.removed_records += e.file.record_count;
            touched = true;
            kept.push_back(std::move(e));
          } else {
            e.status = EntryStatus::kExisting;
            kept.push_back(std::move(e));
          }
        }
        if (!touched) {
          manifests.push_back(mf);
          continue;
        }
        if (kept.empty()) continue;
        auto rewritten = write_manifest(kept);
        if (!rewritten.ok()) return fail(rewritten.status());
        manifests.push_back(*rewritten);
      }
    }
    if (!change.add.empty()) {
      std::vector<ManifestEntry> added;
      for (const auto& f : change.add) {
        ManifestEntry e;
        e.status = EntryStatus::kAdded;
        e.snapshot_id = snapshot_id;
        e.sequence_number = seq;
        e.file_sequence_number = seq;
        e.file = f;
        result.added_files++;
        result.added_records += f.record_count;
        added.push_back(std::move(e));
      }
      auto mf = write_manifest(added);
      if (!mf.ok()) return fail(mf.status());
      manifests.push_back(*mf);
    }
    auto list = WriteManifestList(manifests, snapshot_id,
                                  parent ? std::optional<int64_t>(parent->snapshot_id) : std::nullopt, seq);
    if (!list.ok()) return fail(list.status());
    const std::string list_key = table_key + "/metadata/snap-" + std::to_string(snapshot_id) + "-" +
                                 std::to_string(attempt + 1) + "-" + tag + ".avro";
    if (Status st = store_->PutIfAbsent(list_key, *list); !st.ok()) return fail(st);
    written.push_back(list_key);

    int64_t added_bytes = 0;
    for (const auto& f : change.add) added_bytes += f.file_size;
    Snapshot snap;
    snap.snapshot_id = snapshot_id;
    if (parent) snap.parent_id = parent->snapshot_id;
    snap.sequence_number = seq;
    snap.timestamp_ms = std::max(NowMs(), base.last_updated_ms + 1);
    snap.manifest_list = store_->Url(list_key);
    snap.schema_id = schema.schema_id;
    const int64_t total_records = SummaryNumber(parent, "total-records") + result.added_records - result.removed_records;
    const int64_t total_files = SummaryNumber(parent, "total-data-files") + result.added_files - result.removed_files;
    snap.summary = {{"operation", change.operation},
                    {"added-data-files", std::to_string(result.added_files)},
                    {"added-records", std::to_string(result.added_records)},
                    {"added-files-size", std::to_string(added_bytes)},
                    {"deleted-data-files", std::to_string(result.removed_files)},
                    {"deleted-records", std::to_string(result.removed_records)},
                    {"total-records", std::to_string(total_records)},
                    {"total-data-files", std::to_string(total_files)},
                    {"total-delete-files", "0"},
                    {"total-position-deletes", "0"},
                    {"total-equality-deletes", "0"}};
    TableMetadata next = base;
    next.last_sequence_number = seq;
    next.current_snapshot_id = snapshot_id;
    next.snapshots.push_back(snap);
    next.snapshot_log.push_back({snap.timestamp_ms, snapshot_id});

    MaybeCrash("iceberg-before-commit");
    CTL_RETURN_IF_ERROR(SwapMetadata(std::move(next), written));
    result.snapshot_id = snapshot_id;
    result.metadata_location = metadata_location_;
    return result;
  });
}

Result<CommitResult> IcebergTable::Append(const std::vector<DataFile>& files) {
  return CommitChange({"append", files, nullptr});
}

Result<CommitResult> IcebergTable::OverwritePartition(const nlohmann::json& value, const std::vector<DataFile>& files) {
  if (metadata_.DefaultSpec().fields.size() != 1) {
    return Status::Invalid(ident_.ToString() + ": overwriting a partition needs a table partitioned by one field");
  }
  return CommitChange({"overwrite", files, [value](const DataFile& f) {
                         return !f.partition.empty() && f.partition[0] == value;
                       }});
}

Result<CommitResult> IcebergTable::DeletePartition(const nlohmann::json& value) {
  if (metadata_.DefaultSpec().fields.size() != 1) {
    return Status::Invalid(ident_.ToString() + ": deleting a partition needs a table partitioned by one field");
  }
  return CommitChange({"delete", {}, [value](const DataFile& f) {
                         return !f.partition.empty() && f.partition[0] == value;
                       }});
}

Result<IcebergSchema> IcebergTable::AddColumns(const std::vector<IcebergField>& fields) {
  return Retry([&](int) -> Result<IcebergSchema> {
    const IcebergSchema& current = metadata_.CurrentSchema();
    IcebergSchema next = current;
    TableMetadata m = metadata_;
    for (const auto& f : fields) {
      if (const IcebergField* have = current.Find(f.name)) {
        if (have->type != f.type) {
          return Status::Invalid(ident_.ToString() + ": column " + f.name + " is " + have->type +
                                 " in the table but " + f.type +
                                 " in the new data; only additive changes (new optional columns) are allowed");
        }
        continue;
      }
      if (!IsSupportedType(f.type)) {
        return Status::Invalid(ident_.ToString() + ": column " + f.name + ": type " + f.type + " is not supported");
      }
      IcebergField field = f;
      field.required = false;  // existing rows have no value for it
      field.id = ++m.last_column_id;
      next.fields.push_back(field);
    }
    if (next.fields.size() == current.fields.size()) return current;
    int max_id = 0;
    for (const auto& s : m.schemas) max_id = std::max(max_id, s.schema_id);
    next.schema_id = max_id + 1;
    m.schemas.push_back(next);
    m.current_schema_id = next.schema_id;
    CTL_RETURN_IF_ERROR(SwapMetadata(std::move(m), {}));
    return next;
  });
}

Result<ExpireResult> IcebergTable::Expire(int64_t older_than_ms, int retain_last, bool dry_run, bool delete_orphans) {
  return Retry([&](int) -> Result<ExpireResult> {
    CTL_ASSIGN_OR_RETURN(std::string table_key, KeyOf(metadata_.location));
    std::vector<const Snapshot*> by_time;
    for (const auto& s : metadata_.snapshots) by_time.push_back(&s);
    std::sort(by_time.begin(), by_time.end(),
              [](const Snapshot* a, const Snapshot* b) { return a->timestamp_ms > b->timestamp_ms; });
    std::set<int64_t> keep;
    for (size_t i = 0; i < by_time.size(); ++i) {
      const Snapshot* s = by_time[i];
      if (s->snapshot_id == metadata_.current_snapshot_id || static_cast<int>(i) < retain_last ||
          s->timestamp_ms >= older_than_ms) {
        keep.insert(s->snapshot_id);
      }
    }
    // Every file each snapshot uses: its manifest list, manifests, live data files.
    auto refs = [&](const Snapshot& s, std::set<std::string>* out) -> Status {
      CTL_ASSIGN_OR_RETURN(std::string list_key, KeyOf(s.manifest_list));
      out->insert(list_key);
      CTL_ASSIGN_OR_RETURN(auto manifests, Manifests(s));
      for (const auto& mf : manifests) {
        CTL_ASSIGN_OR_RETURN(std::string key, KeyOf(mf.path));
        out->insert(key);
      }
      CTL_ASSIGN_OR_RETURN(auto files, LiveFilesOf(s, manifests));
      for (const auto& f : files) {
        CTL_ASSIGN_OR_RETURN(std::string key, KeyOf(f.path));
        out->insert(key);
      }
      return Status::Ok();
    };
    std::set<std::string> kept_refs, expired_refs;
    ExpireResult result;
    for (const auto& s : metadata_.snapshots) {
      if (keep.count(s.snapshot_id)) {
        CTL_RETURN_IF_ERROR(refs(s, &kept_refs));
      } else {
        result.expired_snapshots.push_back(s.snapshot_id);
        // An expired snapshot whose files are already gone has nothing more to delete.
        Status st = refs(s, &expired_refs);
        if (!st.ok() && st.code() != ErrorCode::kNotFound) return st;
      }
    }
    for (const auto& key : expired_refs) {
      if (!kept_refs.count(key)) result.deleted_files.push_back(key);
    }
    CTL_ASSIGN_OR_RETURN(ObjectListing listing, store_->List(table_key + "/"));
    for (const auto& o : listing.objects) {
      const std::string name = FileName(o.key);
      if (MetadataVersion(name) >= 0 || name == "version-hint.text") continue;
      if (kept_refs.count(o.key) || expired_refs.count(o.key)) continue;
      result.orphan_files.push_back(o.key);
    }
    if (dry_run) return result;
    if (!result.expired_snapshots.empty()) {
      TableMetadata next = metadata_;
      next.snapshots.clear();
      for (const auto& s : metadata_.snapshots) {
        if (keep.count(s.snapshot_id)) next.snapshots.push_back(s);
      }
      next.snapshot_log.clear();
      for (const auto& e : metadata_.snapshot_log) {
        if (keep.count(e.snapshot_id)) next.snapshot_log.push_back(e);
      }
      CTL_RETURN_IF_ERROR(SwapMetadata(std::move(next), {}));
      for (const auto& key : result.deleted_files) CTL_RETURN_IF_ERROR(store_->Delete(key));
    }
    if (delete_orphans) {
      for (const auto& key : result.orphan_files) CTL_RETURN_IF_ERROR(store_->Delete(key));
      result.orphans_deleted = !result.orphan_files.empty();
    }
    return result;
  });
}

Result<FoundMetadata> FindNewestMetadata(ObjectStore* store, const std::string& table_key) {
  CTL_ASSIGN_OR_RETURN(ObjectListing listing, store->List(table_key + "/metadata/"));
  int64_t best = -1;
  std::string best_key;
  for (const auto& o : listing.objects) {
    const std::string rest = o.key.substr(table_key.size() + 10);
    if (rest.find('/') != std::string::npos) continue;
    int64_t v = MetadataVersion(FileName(o.key));
    if (v > best) best = v, best_key = o.key;
  }
  if (best < 0) {
    return Status::NotFound(store->Url(table_key) + ": no Iceberg metadata file (metadata/*.metadata.json) in this folder");
  }
  CTL_ASSIGN_OR_RETURN(std::string text, store->Get(best_key));
  CTL_ASSIGN_OR_RETURN(TableMetadata m, ParseTableMetadata(text, store->Url(best_key)));
  return FoundMetadata{best_key, std::move(m)};
}

Result<std::vector<std::string>> FindTables(ObjectStore* store, const std::string& prefix) {
  CTL_ASSIGN_OR_RETURN(ObjectListing listing, store->List(prefix));
  std::set<std::string> tables;
  for (const auto& o : listing.objects) {
    size_t at = o.key.rfind("/metadata/");
    if (at == std::string::npos || at == 0) continue;
    if (MetadataVersion(o.key.substr(at + 10)) < 0) continue;
    tables.insert(o.key.substr(0, at));
  }
  return std::vector<std::string>(tables.begin(), tables.end());
}

}  // namespace ctlflow

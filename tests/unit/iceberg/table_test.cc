#include "iceberg/table.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "iceberg/memory_catalog.h"

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

class IcebergTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ctlflow-iceberg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::move(*OpenObjectStore("file://" + dir_));
    auto t = IcebergTable::Create(store_.get(), &catalog_, ident_, "staging/T",
                                  {{0, "id", "long", true, ""}, {0, "data_dt", "date", true, ""}},
                                  {{"data_dt", "identity"}});
    ASSERT_TRUE(t.ok()) << t.status().message();
  }
  void TearDown() override { fs::remove_all(dir_); }
  IcebergTable Load() { return std::move(*IcebergTable::Load(store_.get(), &catalog_, ident_)); }
  DataFile File(const std::string& name, int64_t day, int64_t rows) {
    EXPECT_TRUE(store_->Put("staging/T/data/" + name, "not really parquet").ok());
    DataFile f;
    f.path = store_->Url("staging/T/data/" + name);
    f.partition = {day};
    f.record_count = rows;
    f.file_size = 18;
    f.metrics[1] = {18, rows, 0, SingleValueLong(1), SingleValueLong(rows)};
    return f;
  }
  int64_t Records(const IcebergTable& t, std::optional<int64_t> snapshot = std::nullopt) {
    int64_t n = 0;
    auto files = t.LiveFiles(snapshot);
    EXPECT_TRUE(files.ok()) << files.status().message();
    if (!files.ok()) return -1;
    for (const auto& f : *files) n += f.record_count;
    return n;
  }
  std::string dir_;
  std::unique_ptr<ObjectStore> store_;
  MemoryCatalog catalog_;
  TableIdent ident_{"staging", "T"};
};

TEST_F(IcebergTableTest, MetadataRoundTripsThroughItsJson) {
  IcebergTable t = Load();
  auto again = ParseTableMetadata(SerializeTableMetadata(t.metadata()), "x");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(SerializeTableMetadata(*again), SerializeTableMetadata(t.metadata()));
  EXPECT_EQ(again->CurrentSchema().fields[1].id, 2);
  EXPECT_EQ(again->DefaultSpec().fields[0].field_id, 1000);
  auto bad = ParseTableMetadata("{\"format-version\": 2}", "s3://b/t/metadata/v9.metadata.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("v9.metadata.json"), std::string::npos) << bad.status().message();
}

TEST_F(IcebergTableTest, OverwriteReplacesOnlyItsPartitionAndTimeTravelSeesThePast) {
  IcebergTable t = Load();
  auto a = t.Append({File("a.parquet", 100, 10), File("b.parquet", 101, 20)});
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto o = t.OverwritePartition(100, {File("c.parquet", 100, 7)});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->removed_records, 10);
  EXPECT_EQ(Records(t), 27);
  EXPECT_EQ(Records(t, a->snapshot_id), 30);
  // The same overwrite again changes nothing but the snapshot.
  ASSERT_TRUE(t.OverwritePartition(100, {File("d.parquet", 100, 7)}).ok());
  EXPECT_EQ(Records(t), 27);
  ASSERT_TRUE(t.DeletePartition(101).ok());
  EXPECT_EQ(Records(t), 7);
  const Snapshot* first = t.metadata().FindSnapshot(a->snapshot_id);
  EXPECT_EQ(t.metadata().SnapshotAsOf(first->timestamp_ms)->snapshot_id, a->snapshot_id);
  EXPECT_EQ(Load().metadata().snapshots.size(), 4u);
}

TEST_F(IcebergTableTest, OnlyAdditiveSchemaChangesAreAccepted) {
  IcebergTable t = Load();
  auto s = t.AddColumns({{0, "note", "string", false, ""}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->fields.back().id, 3);
  EXPECT_EQ(Load().metadata().CurrentSchema().fields.size(), 3u);
  auto bad = t.AddColumns({{0, "id", "string", false, ""}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("column id is long"), std::string::npos) << bad.status().message();
}

TEST_F(IcebergTableTest, RacingWritersNeverLoseASnapshot) {
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([this, w] {
      IcebergTable t = Load();
      for (int i = 0; i < 5; ++i) {
        auto r = t.Append({File("w" + std::to_string(w) + "-" + std::to_string(i) + ".parquet", 100 + w, 1)});
        EXPECT_TRUE(r.ok()) << r.status().message();
      }
    });
  }
  for (auto& th : writers) th.join();
  IcebergTable t = Load();
  EXPECT_EQ(t.metadata().snapshots.size(), 20u);
  EXPECT_EQ(Records(t), 20);
}

// A catalog that lets the new metadata file be written, then fails to
// record it, as a database that goes away mid-commit would.
class CatalogThatFailsCommits final : public IcebergCatalog {
 public:
  explicit CatalogThatFailsCommits(IcebergCatalog* inner) : inner_(inner) {}
  const std::string& CatalogName() const override { return inner_->CatalogName(); }
  Result<std::optional<CatalogEntry>> Load(const TableIdent& ident) override { return inner_->Load(ident); }
  Result<std::vector<CatalogEntry>> List() override { return inner_->List(); }
  Status Create(const TableIdent& ident, const std::string& location) override { return inner_->Create(ident, location); }
  Status Commit(const TableIdent&, const std::string&, const std::function<Result<std::string>()>& write) override {
    CTL_RETURN_IF_ERROR(write().status());
    return Status::Io("the catalog's database went away");
  }
  Status Drop(const TableIdent& ident) override { return inner_->Drop(ident); }

 private:
  IcebergCatalog* inner_;
};

TEST_F(IcebergTableTest, AFailedCommitLeavesThePreviousSnapshotAndExpireFindsOrphans) {
  IcebergTable t = Load();
  ASSERT_TRUE(t.Append({File("a.parquet", 100, 5)}).ok());
  const std::string before = t.metadata_location();
  {
    CatalogThatFailsCommits failing(&catalog_);
    auto cut = IcebergTable::Load(store_.get(), &failing, ident_);
    ASSERT_TRUE(cut.ok()) << cut.status().message();
    auto r = cut->Append({File("orphan.parquet", 100, 5)});  // the data file stays, never committed
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("went away"), std::string::npos) << r.status().message();
  }
  IcebergTable fresh = Load();
  EXPECT_EQ(fresh.metadata_location(), before);
  EXPECT_EQ(Records(fresh), 5);
  // The failed attempt's manifests and metadata file were removed; only v1 and v2 remain.
  auto metadata = store_->List("staging/T/metadata/");
  ASSERT_TRUE(metadata.ok());
  int json_files = 0;
  for (const auto& o : metadata->objects) json_files += o.key.find(".metadata.json") != std::string::npos;
  EXPECT_EQ(json_files, 2);
  ASSERT_TRUE(t.Append({File("b.parquet", 100, 5)}).ok());
  ASSERT_TRUE(t.OverwritePartition(100, {File("c.parquet", 100, 1)}).ok());
  auto dry = t.Expire(INT64_MAX, 1, true, false);
  ASSERT_TRUE(dry.ok()) << dry.status().message();
  EXPECT_EQ(dry->expired_snapshots.size(), 2u);
  ASSERT_EQ(dry->orphan_files.size(), 1u);
  EXPECT_EQ(dry->orphan_files[0], "staging/T/data/orphan.parquet");
  auto done = t.Expire(INT64_MAX, 1, false, true);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_FALSE(store_->Head("staging/T/data/a.parquet").ok());
  EXPECT_TRUE(store_->Head("staging/T/data/c.parquet").ok());
  EXPECT_FALSE(store_->Head("staging/T/data/orphan.parquet").ok());
  EXPECT_EQ(Records(Load()), 1);
}

TEST_F(IcebergTableTest, NewestMetadataIsFoundInTheFolderAndAMissingManifestIsNamed) {
  IcebergTable t = Load();
  ASSERT_TRUE(t.Append({File("a.parquet", 100, 5)}).ok());
  auto found = FindNewestMetadata(store_.get(), "staging/T");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->key, "staging/T/metadata/v2.metadata.json");
  EXPECT_EQ(*FindTables(store_.get(), ""), std::vector<std::string>{"staging/T"});
  // A manifest gone from under the list: the error names the manifest.
  auto objects = store_->List("staging/T/metadata/");
  ASSERT_TRUE(objects.ok());
  std::string manifest;
  for (const auto& o : objects->objects) {
    const std::string name = o.key.substr(o.key.rfind('/') + 1);
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".avro") == 0 && name.rfind("snap-", 0) != 0) manifest = o.key;
  }
  ASSERT_FALSE(manifest.empty());
  const std::string saved = *store_->Get(manifest);
  ASSERT_TRUE(store_->Delete(manifest).ok());
  auto no_manifest = t.LiveFiles();
  ASSERT_FALSE(no_manifest.ok());
  EXPECT_NE(no_manifest.status().message().find(manifest.substr(manifest.rfind('/') + 1)), std::string::npos)
      << no_manifest.status().message();
  ASSERT_TRUE(store_->Put(manifest, saved).ok());
  ASSERT_TRUE(t.LiveFiles().ok());

  auto list = t.metadata().CurrentSnapshot()->manifest_list;
  ASSERT_TRUE(store_->Delete(*t.KeyOf(list)).ok());
  auto broken = t.LiveFiles();
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find(list.substr(list.rfind('/') + 1)), std::string::npos)
      << broken.status().message();
}

}  // namespace
}  // namespace ctlflow

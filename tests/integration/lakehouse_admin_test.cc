// `ctlflow lakehouse delete-partition` with the real binary: one data_dt's
// rows leave the table as one new snapshot, the other dates stay, time
// travel still reaches the rows until `expire` deletes their files; a
// dry run and a date with no rows commit nothing; bad input is named.
#include <filesystem>
#include <regex>
#include <set>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTable = "staging.PRCS_TEST_FRAMEWORK1";

class LakehouseAdminTest : public CtlflowTest {
 protected:
  std::string Staging() const { return home_ + "/lakehouse/staging/PRCS_TEST_FRAMEWORK1"; }

  nlohmann::json Snapshots(const std::string& table = kTable) {
    return Ctl({"lakehouse", "snapshots", table, "--json"}).Json();
  }
  nlohmann::json Describe(const std::string& table = kTable) {
    return Ctl({"lakehouse", "describe", table, "--json"}).Json();
  }
  // The Parquet files under one partition folder of the staging table.
  std::set<std::string> DataFiles(const std::string& partition) {
    std::set<std::string> out;
    const fs::path folder = fs::path(Staging()) / "data" / partition;
    if (!fs::exists(folder)) return out;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      if (e.path().extension() == ".parquet") out.insert("file://" + e.path().string());
    }
    return out;
  }
  // Registers a table folder holding only a hand-written metadata file with
  // columns id (long) and data_dt (date) and the given partition fields.
  void RegisterHandMade(const std::string& name, const std::string& partition_fields) {
    const std::string folder = home_ + "/lakehouse/staging/" + name;
    WriteFile(folder + "/metadata/v1.metadata.json",
              R"({"format-version": 2, "table-uuid": "4f0c1e1a-8f4e-4b7a-9d51-0c5a3b6a2e11", "location": "file://)" +
                  folder + R"(", "last-sequence-number": 0, "last-updated-ms": 1731715200000, "last-column-id": 2,)"
                  R"( "schemas": [{"type": "struct", "schema-id": 0, "fields": [)"
                  R"({"id": 1, "name": "id", "required": true, "type": "long"},)"
                  R"( {"id": 2, "name": "data_dt", "required": false, "type": "date"}]}],)"
                  R"( "current-schema-id": 0, "partition-specs": [{"spec-id": 0, "fields": [)" +
                  partition_fields + R"(]}], "default-spec-id": 0, "last-partition-id": 1000, "properties": {},)"
                  R"( "current-snapshot-id": -1, "snapshots": [], "snapshot-log": [], "metadata-log": []})");
    CliResult reg = Ctl({"lakehouse", "register", "file://" + folder});
    ASSERT_EQ(reg.exit_code, 0) << reg.out << reg.err;
  }
};

TEST_F(LakehouseAdminTest, DeletingADateCommitsOneSnapshotKeepsTheOtherDateAndExpireDeletesItsFiles) {
  ASSERT_EQ(Ctl({"example", "load", "--rows", "50"}).exit_code, 0);
  for (const char* date : {"2024-11-16", "2024-11-17"}) {
    CliResult run = Ctl({"run", "AF_TEST1", "--date", date});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  ASSERT_EQ(Describe()["records"], 100);
  const nlohmann::json before = Snapshots();
  ASSERT_EQ(before.size(), 2u) << before.dump(2);
  const int64_t previous = before[1]["snapshot_id"].get<int64_t>();
  const std::set<std::string> files16 = DataFiles("data_dt=2024-11-16"), files17 = DataFiles("data_dt=2024-11-17");
  ASSERT_EQ(files16.size(), 1u);
  ASSERT_EQ(files17.size(), 1u);

  // A dry run names the file and the rows, and changes nothing.
  CliResult dry = Ctl({"lakehouse", "delete-partition", kTable, "--data-dt", "2024-11-16", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find(std::string(kTable) + ": would delete data_dt 2024-11-16: 50 records in 1 file"),
            std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("would remove " + *files16.begin()), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("nothing committed"), std::string::npos) << dry.out;
  nlohmann::json dry_json =
      Ctl({"lakehouse", "delete-partition", kTable, "--data-dt", "2024-11-16", "--dry-run", "--json"}).Json();
  EXPECT_EQ(dry_json["committed"], false);
  EXPECT_TRUE(dry_json["snapshot_id"].is_null()) << dry_json.dump(2);
  EXPECT_EQ(dry_json["previous_snapshot_id"], previous);
  EXPECT_EQ(dry_json["records"], 50);
  EXPECT_EQ(dry_json["files"], nlohmann::json::array({*files16.begin()}));
  EXPECT_EQ(dry_json["partition"], "identity(data_dt)");
  EXPECT_EQ(Snapshots().size(), 2u);
  EXPECT_EQ(Describe()["records"], 100);

  // The delete: one new snapshot, the date's rows gone, the other date's kept.
  CliResult del = Ctl({"lakehouse", "delete-partition", kTable, "--data-dt", "2024-11-16"});
  ASSERT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_NE(del.out.find(std::string(kTable) + ": deleted data_dt 2024-11-16: 50 records in 1 file"), std::string::npos)
      << del.out;
  EXPECT_NE(del.out.find("removed " + *files16.begin()), std::string::npos) << del.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(del.out, m, std::regex(R"(; snapshot (\d+) \(was (\d+)\))"))) << del.out;
  const int64_t deleted_at = std::stoll(m[1].str());
  EXPECT_EQ(std::stoll(m[2].str()), previous);
  const nlohmann::json after = Snapshots();
  ASSERT_EQ(after.size(), 3u) << after.dump(2);
  EXPECT_EQ(after[2]["snapshot_id"], deleted_at);
  EXPECT_EQ(after[2]["parent_id"], previous);
  EXPECT_TRUE(after[2]["current"].get<bool>());
  EXPECT_EQ(after[2]["operation"], "delete");
  EXPECT_EQ(after[2]["summary"]["deleted-records"], "50");
  EXPECT_EQ(after[2]["summary"]["deleted-data-files"], "1");
  EXPECT_EQ(after[2]["summary"]["total-records"], "50");
  const nlohmann::json now = Describe();
  EXPECT_EQ(now["records"], 50);
  EXPECT_EQ(now["files"], 1);
  EXPECT_EQ(now["snapshot_id"], deleted_at);
  // What is left is the 17th, whole.
  nlohmann::json left =
      Ctl({"lakehouse", "delete-partition", kTable, "--data-dt", "2024-11-17", "--dry-run", "--json"}).Json();
  EXPECT_EQ(left["records"], 50);
  EXPECT_EQ(left["files"], nlohmann::json::array({*files17.begin()}));

  // Time travel still reads the deleted rows, and their file is still there.
  nlohmann::json then =
      Ctl({"lakehouse", "describe", kTable, "--json", "--snapshot", std::to_string(previous)}).Json();
  EXPECT_EQ(then["records"], 100);
  EXPECT_EQ(then["files"], 2);
  EXPECT_EQ(DataFiles("data_dt=2024-11-16"), files16);

  // Again: the date has no rows; it says so, lists the dates there are, and commits nothing.
  CliResult again = Ctl({"lakehouse", "delete-partition", kTable, "--data-dt", "2024-11-16"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(std::string(kTable) + " has no rows for data_dt 2024-11-16; nothing deleted, no snapshot committed"),
            std::string::npos) << again.out;
  EXPECT_NE(again.out.find("its dates: 2024-11-17\n"), std::string::npos) << again.out;
  nlohmann::json again_json = Ctl({"lakehouse", "delete-partition", kTable, "--data-dt", "2024-11-16", "--json"}).Json();
  EXPECT_EQ(again_json["committed"], false);
  EXPECT_EQ(again_json["records"], 0);
  EXPECT_EQ(again_json["files"], nlohmann::json::array());
  EXPECT_EQ(again_json["dates"], nlohmann::json::array({"2024-11-17"}));
  EXPECT_EQ(Snapshots().size(), 3u);

  // Expiring the older snapshots deletes the 16th's file and keeps the 17th's.
  CliResult expire = Ctl({"lakehouse", "expire", kTable, "--older-than", "0s"});
  ASSERT_EQ(expire.exit_code, 0) << expire.out << expire.err;
  EXPECT_NE(expire.out.find("expired 2 snapshots"), std::string::npos) << expire.out;
  EXPECT_NE(expire.out.find("deleted " + *files16.begin()), std::string::npos) << expire.out;
  EXPECT_TRUE(DataFiles("data_dt=2024-11-16").empty());
  EXPECT_EQ(DataFiles("data_dt=2024-11-17"), files17);
  EXPECT_EQ(Describe()["records"], 50);
  EXPECT_EQ(Ctl({"lakehouse", "describe", kTable, "--snapshot", std::to_string(previous)}).exit_code, 2);
}

// A day(data_dt) table keeps day numbers as its partition values, as the
// identity of a date column does; deleting one day leaves the other.
TEST_F(LakehouseAdminTest, ADayPartitionedTableLosesOnlyTheGivenDay) {
  WriteFile(home_ + "/lakehouse/config/t.json",
            R"({"columns": [{"name": "id", "type": "bigint", "nullable": false}, {"name": "note", "type": "string"}]})");
  WriteFile(home_ + "/lakehouse/raw/t.csv", "id,note\n1,one\n2,two\n3,\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("i.yaml", IcebergIngestStreamYaml("I", "ING", "T",
                                                                       "schema=config/t.json source=raw/t.csv partition=day"))})
                .exit_code,
            0);
  ASSERT_EQ(Ctl({"run", "I", "--date", "2024-03-01"}).exit_code, 0);
  WriteFile(home_ + "/lakehouse/raw/t.csv", "id,note\n7,seven\n8,eight\n");
  ASSERT_EQ(Ctl({"run", "I", "--date", "2024-03-02"}).exit_code, 0);
  ASSERT_EQ(Describe("staging.T")["records"], 5);

  nlohmann::json out = Ctl({"lakehouse", "delete-partition", "staging.T", "--data-dt", "2024-03-01", "--json"}).Json();
  EXPECT_EQ(out["partition"], "day(data_dt)");
  EXPECT_EQ(out["committed"], true);
  EXPECT_EQ(out["records"], 3);
  EXPECT_EQ(out["dates"], nlohmann::json::array({"2024-03-02"}));
  nlohmann::json now = Describe("staging.T");
  EXPECT_EQ(now["records"], 2);
  EXPECT_EQ(now["snapshot_id"], out["snapshot_id"]);
  EXPECT_EQ(Snapshots("staging.T").size(), 3u);
}

TEST_F(LakehouseAdminTest, BadInputIsNamedExitsTwoAndCommitsNothing) {
  ASSERT_EQ(Ctl({"init"}).exit_code, 0);
  auto expect_bad = [&](const std::vector<std::string>& args, const std::string& text) {
    std::vector<std::string> full{"lakehouse", "delete-partition"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = Ctl(full);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  };
  expect_bad({"staging.T", "--data-dt", "2024-02-30"}, "--data-dt: '2024-02-30' is not a date; expected YYYY-MM-DD");
  expect_bad({"staging.T", "--data-dt", "16-11-2024"}, "--data-dt: '16-11-2024' is not a date");
  expect_bad({"staging.T"}, "--data-dt is required");
  expect_bad({"T", "--data-dt", "2024-11-16"}, "table 'T': expected NAMESPACE.TABLE");
  expect_bad({"staging.NOPE", "--data-dt", "2024-11-16"}, "no Iceberg table staging.NOPE in catalog lakehouse");
  expect_bad({"staging.NOPE", "--data-dt", "2024-11-16", "--conn", "nowhere"}, "nowhere");

  // Tables not partitioned by data_dt: the table and its spec are named.
  RegisterHandMade("FLAT", "");
  expect_bad({"staging.FLAT", "--data-dt", "2024-11-16"},
             "staging.FLAT is not partitioned by data_dt (its partition spec is empty: the table is unpartitioned)");
  RegisterHandMade("BY_ID", R"({"source-id": 1, "field-id": 1000, "name": "id", "transform": "identity"})");
  expect_bad({"staging.BY_ID", "--data-dt", "2024-11-16", "--dry-run"},
             "staging.BY_ID is not partitioned by data_dt (its partition spec is identity(id))");
  EXPECT_EQ(Snapshots("staging.FLAT").size(), 0u);
  EXPECT_EQ(Snapshots("staging.BY_ID").size(), 0u);
  EXPECT_EQ(Describe("staging.FLAT")["metadata_location"],
            "file://" + home_ + "/lakehouse/staging/FLAT/metadata/v1.metadata.json");
}

}  // namespace
}  // namespace ctlflow::testing

// The lakehouse end to end, with the real binary: the seed's example staged
// in an Iceberg table, read back by icebird (an independent reader), the
// catalog recovered from the bucket alone, expiry, a commit killed halfway,
// and clear errors for broken files.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

class LakehouseTest : public CtlflowTest {
 protected:
  // node on tests/js/iceberg_read.mjs: {"metadata": ..., "rows": [...]}.
  nlohmann::json Icebird(const std::string& table_url, const std::map<std::string, std::string>& env = {}) {
    std::string cmd;
    for (const auto& [k, v] : env) cmd += k + "='" + v + "' ";
    cmd += "node " CTLFLOW_SOURCE_DIR "/tests/js/iceberg_read.mjs '" + table_url + "' 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return nullptr;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    EXPECT_EQ(rc, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  nlohmann::json Tables(const std::string& conn = "lakehouse") {
    return Ctl({"lakehouse", "tables", "--conn", conn, "--json"}).Json();
  }

  std::string Staging() const { return home_ + "/lakehouse/staging/PRCS_TEST_FRAMEWORK1"; }
};

// A cell as icebird gives it (number, bigint string, ISO time, null), in
// the CSV's spelling, so a row read back compares with the raw line.
std::string AsCsvCell(const nlohmann::json& v, const std::string& csv_cell) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    // 2024-11-16T08:01:02.000Z -> 2024-11-16 08:01:02
    if (s.size() >= 19 && s[4] == '-' && s[10] == 'T') return s.substr(0, 10) + " " + s.substr(11, 8);
    return s;
  }
  if (v.is_number_integer() && csv_cell.find('.') == std::string::npos) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    // Doubles and decimals: printed with the CSV cell's number of decimals.
    size_t dot = csv_cell.find('.');
    int decimals = dot == std::string::npos ? 0 : static_cast<int>(csv_cell.size() - dot - 1);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v.get<double>());
    return buf;
  }
  return v.dump();
}

// Compares rows, in order, with the CSV's data lines, skipping the line
// numbers in `rejected`.
void ExpectRowsMatchCsv(const nlohmann::json& rows, const std::string& csv, const std::string& data_dt,
                        const std::set<int>& rejected) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  for (std::istringstream h(line); std::getline(h, line, ',');) header.push_back(line);
  size_t i = 0;
  for (int number = 2; std::getline(in, line) && i < rows.size(); ++number) {
    if (rejected.count(number)) continue;
    std::vector<std::string> cells;
    std::istringstream c(line);
    for (std::string cell; std::getline(c, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    ASSERT_EQ(cells.size(), header.size()) << "CSV line " << number;
    const nlohmann::json& row = rows[i++];
    for (size_t k = 0; k < header.size(); ++k) {
      ASSERT_TRUE(row.contains(header[k])) << row.dump();
      EXPECT_EQ(AsCsvCell(row[header[k]], cells[k]), cells[k])
          << "CSV line " << number << ", column " << header[k] << ": icebird read " << row[header[k]].dump();
    }
    EXPECT_EQ(row["data_dt"].get<std::string>().substr(0, 10), data_dt) << row.dump();
  }
  EXPECT_EQ(i, rows.size()) << "icebird read more rows than the CSV has";
}

TEST_F(LakehouseTest, SeedExampleStagesInIcebergThatIcebirdReadsRowForRow) {
  ASSERT_EQ(Ctl({"example", "load", "--rows", "200"}).exit_code, 0);
  CliResult run = Ctl({"run", "AF_TEST1", "--date", "2024-11-16"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto log = Log({"--stream", "AF_TEST1"});
  auto ingest = RowFor(log, "PRCS_TEST_FRAMEWORK1");
  EXPECT_EQ(ingest["target_row"], 200);
  EXPECT_NE(ingest["message"].get<std::string>().find("lakehouse:staging.PRCS_TEST_FRAMEWORK1"), std::string::npos)
      << ingest.dump();
  EXPECT_EQ(RowFor(log, "PRCS_TEST_FRAMEWORK2")["source_row"], 200);
  EXPECT_EQ(RowFor(log, "PRCS_TEST_FRAMEWORK2")["target_row"], 197);

  auto tables = Tables();
  ASSERT_EQ(tables.size(), 1u) << tables.dump(2);
  EXPECT_EQ(tables[0]["table"], "staging.PRCS_TEST_FRAMEWORK1");
  EXPECT_EQ(tables[0]["records"], 200);

  // icebird reads the same 200 rows as the raw CSV holds, cell for cell.
  auto ice = Icebird("file://" + Staging());
  ASSERT_EQ(ice["rows"].size(), 200u) << ice.dump().substr(0, 2000);
  // The lines the ingest rejected (the example plants 3) are named in its reject file.
  std::smatch see;
  const std::string message = ingest["message"].get<std::string>();
  ASSERT_TRUE(std::regex_search(message, see, std::regex(R"(see (\S+\.rejects\.csv))"))) << message;
  std::set<int> rejected;
  std::istringstream rejects(ReadFile(see[1].str()));
  std::string reject;
  std::getline(rejects, reject);
  while (std::getline(rejects, reject)) rejected.insert(std::stoi(reject.substr(reject.find(',') + 1)));
  EXPECT_EQ(rejected, (std::set<int>{9, 45, 103}));
  ExpectRowsMatchCsv(ice["rows"], ReadFile(home_ + "/lakehouse/raw/test_project/ride.csv"), "2024-11-16", rejected);
  EXPECT_EQ(ice["metadata"]["format-version"], 2);

  // A re-run of the date replaces its partition: same rows, one more snapshot.
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-16"}).exit_code, 0);
  EXPECT_EQ(Tables()[0]["records"], 200);
  // Another date adds a partition.
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-17"}).exit_code, 0);
  EXPECT_EQ(Tables()[0]["records"], 400);
  auto snapshots = Ctl({"lakehouse", "snapshots", "staging.PRCS_TEST_FRAMEWORK1", "--json"}).Json();
  ASSERT_EQ(snapshots.size(), 3u) << snapshots.dump(2);
  EXPECT_EQ(snapshots[1]["summary"]["deleted-records"], "200");
  EXPECT_TRUE(snapshots[2]["current"].get<bool>());
  EXPECT_EQ(Icebird("file://" + Staging())["rows"].size(), 400u);
  // Time travel: the first snapshot still holds one date's 200 rows.
  auto first = Ctl({"lakehouse", "describe", "staging.PRCS_TEST_FRAMEWORK1", "--json", "--snapshot",
                    std::to_string(snapshots[0]["snapshot_id"].get<int64_t>())}).Json();
  EXPECT_EQ(first["records"], 200);
  // By time: a millisecond before the 17th was added, the table is the
  // re-run's snapshot with the 16th's 200 rows; before the first, nothing.
  auto utc_ms = [](int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(buf) + "." + std::to_string(1000 + ms % 1000).substr(1);
  };
  const int64_t added_ms = snapshots[2]["timestamp_ms"].get<int64_t>();
  ASSERT_GT(added_ms, snapshots[1]["timestamp_ms"].get<int64_t>());
  auto then = Ctl({"lakehouse", "describe", "staging.PRCS_TEST_FRAMEWORK1", "--json", "--as-of", utc_ms(added_ms - 1)}).Json();
  EXPECT_EQ(then["snapshot_id"], snapshots[1]["snapshot_id"]) << then.dump();
  EXPECT_EQ(then["records"], 200);
  CliResult before = Ctl({"lakehouse", "describe", "staging.PRCS_TEST_FRAMEWORK1", "--as-of",
                          utc_ms(snapshots[0]["timestamp_ms"].get<int64_t>() - 1)});
  EXPECT_EQ(before.exit_code, 2) << before.out;
  EXPECT_NE(before.err.find("had no snapshot yet at that time"), std::string::npos) << before.err;
  CliResult none = Ctl({"lakehouse", "describe", "staging.PRCS_TEST_FRAMEWORK1", "--snapshot", "42"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no snapshot 42"), std::string::npos) << none.err;

  auto describe = Ctl({"lakehouse", "describe", "staging.PRCS_TEST_FRAMEWORK1", "--json"}).Json();
  ASSERT_TRUE(describe["fields"].is_array());
  EXPECT_EQ(describe["fields"].size(), 21u);  // 18 taxi columns + data_dt, run_id, src_file
  EXPECT_EQ(describe["partition"][0], "identity(data_dt)");
}

TEST_F(LakehouseTest, EveryTableComesBackFromTheBucketAloneWithOneScan) {
  // The lakehouse lives outside the home, as a bucket would.
  const std::string bucket = scratch_ + "/bucket";
  fs::create_directories(bucket);
  ASSERT_EQ(Ctl({"connection", "add", "lake", "--type", "lakehouse", "--url", "file://" + bucket}).exit_code, 0);
  CliResult load = Ctl({"example", "load", "--rows", "50", "--lakehouse", "lake"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-16"}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-17"}).exit_code, 0);
  auto before = Tables("lake");
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["records"], 100);
  // The home, and the catalog in it, is gone; only the bucket is left.
  fs::remove_all(home_);
  ASSERT_EQ(Ctl({"init"}).exit_code, 0);
  ASSERT_EQ(Ctl({"connection", "add", "lake", "--type", "lakehouse", "--url", "file://" + bucket}).exit_code, 0);
  EXPECT_EQ(Tables("lake").size(), 0u);
  CliResult scan = Ctl({"lakehouse", "scan", "--conn", "lake"});
  ASSERT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  EXPECT_NE(scan.out.find("1 table found"), std::string::npos) << scan.out;
  auto after = Tables("lake");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["records"], before[0]["records"]);
  EXPECT_EQ(after[0]["snapshot_id"], before[0]["snapshot_id"]);
  EXPECT_EQ(Ctl({"lakehouse", "snapshots", "staging.PRCS_TEST_FRAMEWORK1", "--conn", "lake", "--json"}).Json().size(), 2u);
  // A second scan changes nothing; register of the same folder says so.
  EXPECT_NE(Ctl({"lakehouse", "scan", "--conn", "lake"}).out.find("0 registered"), std::string::npos);
  CliResult again = Ctl({"lakehouse", "register", "file://" + bucket + "/staging/PRCS_TEST_FRAMEWORK1", "--conn", "lake"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already registered"), std::string::npos) << again.out;
  // A folder with no table is an error naming it.
  CliResult none = Ctl({"lakehouse", "register", "file://" + bucket + "/raw/test_project", "--conn", "lake"});
  EXPECT_EQ(none.exit_code, 2) << none.out << none.err;
  EXPECT_NE(none.err.find(bucket + "/raw/test_project"), std::string::npos) << none.err;
  // A table restored at another URL is refused with the reason.
  fs::rename(bucket, scratch_ + "/moved");
  ASSERT_EQ(Ctl({"connection", "add", "moved", "--type", "lakehouse", "--url", "file://" + scratch_ + "/moved"}).exit_code, 0);
  CliResult moved = Ctl({"lakehouse", "scan", "--conn", "moved"});
  EXPECT_NE(moved.exit_code, 0);
  EXPECT_NE(moved.out.find("original URL"), std::string::npos) << moved.out;
}

TEST_F(LakehouseTest, ACommitKilledHalfwayLeavesThePreviousSnapshotAndExpireReportsTheOrphans) {
  ASSERT_EQ(Ctl({"example", "load", "--rows", "50"}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-16"}).exit_code, 0);
  auto before = Tables();
  // The fault point kills the process after the data files are written and
  // before the metadata is swapped.
  CliResult crashed = Ctl({"run", "AF_TEST1", "--date", "2024-11-17"}, "",
                          {{"CTLFLOW_FAULT", "iceberg-before-commit"}});
  EXPECT_NE(crashed.exit_code, 0);
  auto after = Tables();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["snapshot_id"], before[0]["snapshot_id"]);
  EXPECT_EQ(after[0]["records"], 50);
  EXPECT_EQ(Icebird("file://" + Staging())["rows"].size(), 50u);

  CliResult report = Ctl({"lakehouse", "expire", "staging.PRCS_TEST_FRAMEWORK1", "--dry-run"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("orphan file"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("data_dt=2024-11-17"), std::string::npos) << report.out;
  CliResult clean = Ctl({"lakehouse", "expire", "staging.PRCS_TEST_FRAMEWORK1", "--delete-orphans"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find("deleted"), std::string::npos);
  CliResult quiet = Ctl({"lakehouse", "expire", "staging.PRCS_TEST_FRAMEWORK1", "--dry-run"});
  EXPECT_EQ(quiet.out.find("orphan file"), std::string::npos) << quiet.out;
  // The interrupted date runs fine afterwards.
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-17"}).exit_code, 0);
  EXPECT_EQ(Tables()[0]["records"], 100);
}

TEST_F(LakehouseTest, ExpireKeepsTheNewestSnapshotsAndDeletesOnlyWhatNoneUses) {
  ASSERT_EQ(Ctl({"example", "load", "--rows", "30"}).exit_code, 0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-16"}).exit_code, 0);
  ASSERT_EQ(Ctl({"lakehouse", "snapshots", "staging.PRCS_TEST_FRAMEWORK1", "--json"}).Json().size(), 3u);
  CliResult expire = Ctl({"lakehouse", "expire", "staging.PRCS_TEST_FRAMEWORK1", "--older-than", "0s"});
  ASSERT_EQ(expire.exit_code, 0) << expire.err;
  EXPECT_NE(expire.out.find("expired 2 snapshots"), std::string::npos) << expire.out;
  auto left = Ctl({"lakehouse", "snapshots", "staging.PRCS_TEST_FRAMEWORK1", "--json"}).Json();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_TRUE(left[0]["current"].get<bool>());
  // What is left still reads, through us and through icebird.
  EXPECT_EQ(Icebird("file://" + Staging())["rows"].size(), 30u);
  int parquet = 0;
  for (const auto& e : fs::recursive_directory_iterator(Staging() + "/data")) {
    parquet += e.path().extension() == ".parquet";
  }
  EXPECT_EQ(parquet, 1);
  EXPECT_EQ(Ctl({"lakehouse", "expire", "staging.PRCS_TEST_FRAMEWORK1", "--older-than", "yesterday"}).exit_code, 2);
}

TEST_F(LakehouseTest, BrokenFilesAreNamedAndTheTableStaysAtItsLastGoodSnapshot) {
  ASSERT_EQ(Ctl({"example", "load", "--rows", "20"}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-16"}).exit_code, 0);
  // A stream whose only process loads the Iceberg staging table.
  const std::string copy_yaml = WriteFile("copy.yaml",
            "cntl_cfg_strem:\n  - {strem_nm: COPY}\n"
            "cntl_cfg_prcs_grp:\n  - {prcs_grp: CG, strem_nm: COPY, prir: 1}\n"
            "cntl_cfg_prcs:\n  - {prcs_nm: COPY1, prcs_grp: CG, prcs_typ: 5, load_mode: append,"
            " src_schm_nm: staging, src_tbl: PRCS_TEST_FRAMEWORK1, tgt_schm_nm: EDP, tgt_tbl: COPY,"
            " af_parm: source_conn=lakehouse}\n");
  ASSERT_EQ(Ctl({"apply", copy_yaml}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "COPY", "--date", "2024-11-16"}).exit_code, 0);
  auto copied = Ctl({"sql", "--conn", "warehouse", "--json", "SELECT count(*) AS n FROM EDP.COPY"}).Json();
  EXPECT_EQ(copied[0]["n"], 20);

  // A truncated data file: the load fails naming it.
  std::string data_file;
  for (const auto& e : fs::recursive_directory_iterator(Staging() + "/data")) {
    if (e.path().extension() == ".parquet") data_file = e.path().string();
  }
  ASSERT_FALSE(data_file.empty());
  const std::string good = ReadFile(data_file);
  { std::ofstream(data_file, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() / 2); }
  EXPECT_NE(Ctl({"run", "COPY", "--date", "2024-11-16"}).exit_code, 0);
  auto failed = Log({"--stream", "COPY"});
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_NE(failed[1]["message"].get<std::string>().find(fs::path(data_file).filename().string()), std::string::npos)
      << failed[1].dump();
  { std::ofstream(data_file, std::ios::binary | std::ios::trunc) << good; }

  // A metadata file that does not parse: register names it, and nothing changes.
  const std::string meta_dir = Staging() + "/metadata";
  int newest = 0;
  for (const auto& e : fs::directory_iterator(meta_dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind("v", 0) == 0 && n.find(".metadata.json") != std::string::npos) {
      newest = std::max(newest, std::stoi(n.substr(1)));
    }
  }
  const std::string bad = "v" + std::to_string(newest + 1) + ".metadata.json";
  { std::ofstream(meta_dir + "/" + bad) << "{\"format-version\": 2, \"table-uuid\": "; }
  CliResult reg = Ctl({"lakehouse", "register", "file://" + Staging(), "--as", "staging.OTHER"});
  EXPECT_NE(reg.exit_code, 0);
  EXPECT_NE(reg.err.find(bad), std::string::npos) << reg.err;
  fs::remove(meta_dir + "/" + bad);
  EXPECT_EQ(Tables().size(), 1u);

  // A missing manifest list: reading the table names it.
  auto snaps = Ctl({"lakehouse", "snapshots", "staging.PRCS_TEST_FRAMEWORK1", "--json"}).Json();
  std::string list = snaps.back()["manifest_list"].get<std::string>();
  ASSERT_EQ(list.rfind("file://", 0), 0u) << list;
  fs::rename(list.substr(7), list.substr(7) + ".moved");
  EXPECT_NE(Ctl({"run", "COPY", "--date", "2024-11-16"}).exit_code, 0);
  auto log = Log({"--stream", "COPY"});
  EXPECT_NE(log.back()["message"].get<std::string>().find(fs::path(list).filename().string()), std::string::npos)
      << log.back().dump();
  fs::rename(list.substr(7) + ".moved", list.substr(7));
  EXPECT_EQ(Ctl({"run", "COPY", "--date", "2024-11-16"}).exit_code, 0);
}

TEST_F(LakehouseTest, DayPartitionedTablesReplaceTheirDayAndIcebirdReadsThem) {
  WriteFile(home_ + "/lakehouse/config/t.json",
            R"({"columns": [{"name": "id", "type": "bigint", "nullable": false}, {"name": "note", "type": "string"}]})");
  WriteFile(home_ + "/lakehouse/raw/t.csv", "id,note\n1,one\n2,two\n3,\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("i.yaml", IcebergIngestStreamYaml("I", "ING", "T", "schema=config/t.json source=raw/t.csv partition=day"))})
                .exit_code,
            0);
  ASSERT_EQ(Ctl({"run", "I", "--date", "2024-03-01"}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "I", "--date", "2024-03-02"}).exit_code, 0);
  auto describe = Ctl({"lakehouse", "describe", "staging.T", "--json"}).Json();
  EXPECT_EQ(describe["partition"][0], "day(data_dt)") << describe.dump();
  EXPECT_EQ(describe["records"], 6);
  EXPECT_TRUE(fs::exists(home_ + "/lakehouse/staging/T/data/data_dt_day=2024-03-01"));

  // A re-run of the 1st replaces only that day.
  WriteFile(home_ + "/lakehouse/raw/t.csv", "id,note\n7,seven\n");
  ASSERT_EQ(Ctl({"run", "I", "--date", "2024-03-01"}).exit_code, 0);
  auto ice = Icebird("file://" + home_ + "/lakehouse/staging/T");
  ASSERT_EQ(ice["rows"].size(), 4u) << ice.dump();
  std::multiset<std::string> seen;
  for (const auto& r : ice["rows"]) {
    seen.insert(r["data_dt"].get<std::string>().substr(0, 10) + " " + AsCsvCell(r["id"], "") + " " + AsCsvCell(r["note"], ""));
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"2024-03-01 7 seven", "2024-03-02 1 one", "2024-03-02 2 two", "2024-03-02 3 "}));
  EXPECT_EQ(ice["metadata"]["partition-specs"][0]["fields"][0]["transform"], "day");

  // partition= is for Iceberg targets, and only identity or day.
  ASSERT_EQ(Ctl({"apply", WriteFile("bad.yaml", IcebergIngestStreamYaml("I", "ING", "T", "schema=config/t.json source=raw/t.csv partition=month"))})
                .exit_code,
            0);
  EXPECT_NE(Ctl({"run", "I", "--date", "2024-03-03"}).exit_code, 0);
  EXPECT_NE(Log({"--stream", "I"}).back()["message"].get<std::string>().find("partition must be identity or day"),
            std::string::npos);
}

TEST_F(LakehouseTest, AChangedColumnTypeIsRefusedNamingItAndTheTableKeepsItsSnapshot) {
  WriteFile(home_ + "/lakehouse/config/t.json",
            R"({"columns": [{"name": "id", "type": "bigint", "nullable": false}, {"name": "note", "type": "string"}]})");
  WriteFile(home_ + "/lakehouse/raw/t.csv", "id,note\n1,one\n2,two\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("i.yaml", IcebergIngestStreamYaml("I", "ING", "T", "schema=config/t.json source=raw/t.csv"))}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "I", "--date", "2024-03-01"}).exit_code, 0);
  auto before = Tables();
  ASSERT_EQ(before.size(), 1u);

  // An added column is fine; note turning into a number is not.
  WriteFile(home_ + "/lakehouse/config/t.json",
            R"({"columns": [{"name": "id", "type": "bigint", "nullable": false}, {"name": "note", "type": "double"},)"
            R"( {"name": "extra", "type": "int"}]})");
  WriteFile(home_ + "/lakehouse/raw/t.csv", "id,note,extra\n1,1.5,3\n");
  EXPECT_NE(Ctl({"run", "I", "--date", "2024-03-02"}).exit_code, 0);
  const std::string message = Log({"--stream", "I"}).back()["message"].get<std::string>();
  EXPECT_NE(message.find("note"), std::string::npos) << message;
  EXPECT_NE(message.find("staging.T"), std::string::npos) << message;
  auto after = Tables();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["snapshot_id"], before[0]["snapshot_id"]);
  EXPECT_EQ(after[0]["metadata_location"], before[0]["metadata_location"]);
  auto ice = Icebird("file://" + home_ + "/lakehouse/staging/T");
  ASSERT_EQ(ice["rows"].size(), 2u);
  EXPECT_EQ(ice["rows"][0]["note"], "one");
  EXPECT_FALSE(ice["rows"][0].contains("extra")) << "a refused change added a column: " << ice["rows"][0].dump();
}

// Two ctlflow processes ingesting into one Iceberg table at once: every
// commit lands (the loser of a race re-applies its change on the winner's
// snapshot), and no date's rows are lost.
TEST_F(LakehouseTest, ProcessesRacingOnOneTableNeverLoseASnapshot) {
  WriteFile(home_ + "/lakehouse/config/t.json",
            R"({"columns": [{"name": "id", "type": "bigint", "nullable": false}, {"name": "note", "type": "string"}]})");
  std::string csv = "id,note\n";
  for (int i = 0; i < 500; ++i) csv += std::to_string(i) + ",row " + std::to_string(i) + "\n";
  WriteFile(home_ + "/lakehouse/raw/t.csv", csv);
  for (const char* s : {"A", "B"}) {
    const std::string yaml = IcebergIngestStreamYaml(s, std::string("ING_") + s, "T", "schema=config/t.json source=raw/t.csv");
    ASSERT_EQ(Ctl({"apply", WriteFile(std::string("race_") + s + ".yaml", yaml)}).exit_code, 0);
  }
  // The table exists first, so both writers race on commits, not on creating it.
  ASSERT_EQ(Ctl({"run", "A", "--date", "2024-04-01"}).exit_code, 0);
  for (int day = 2; day <= 9; day += 2) {
    char a[16], b[16];
    std::snprintf(a, sizeof a, "2024-04-%02d", day);
    std::snprintf(b, sizeof b, "2024-04-%02d", day + 1);
    int pa = CtlStart({"run", "A", "--date", a}, "race_a");
    int pb = CtlStart({"run", "B", "--date", b}, "race_b");
    CliResult ra = Finish(pa, "race_a"), rb = Finish(pb, "race_b");
    ASSERT_EQ(ra.exit_code, 0) << ra.out << ra.err;
    ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err;
  }
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0]["records"], 9 * 500);
  auto snapshots = Ctl({"lakehouse", "snapshots", "staging.T", "--json"}).Json();
  EXPECT_EQ(snapshots.size(), 9u);
  auto ice = Icebird("file://" + home_ + "/lakehouse/staging/T");
  std::map<std::string, int> per_date;
  for (const auto& r : ice["rows"]) ++per_date[r["data_dt"].get<std::string>().substr(0, 10)];
  ASSERT_EQ(per_date.size(), 9u);
  for (const auto& [date, n] : per_date) EXPECT_EQ(n, 500) << date;
}

}  // namespace
}  // namespace ctlflow::testing

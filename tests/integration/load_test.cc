// Process type 5, load, through the real binary: every load_mode re-run for
// the same data_dt gives the same table, merge updates changed rows, scd2
// keeps history across dates, and configuration mistakes are named.
#include "harness.h"

namespace ctlflow::testing {
namespace {

class LoadTest : public CtlflowTest {
 protected:
  nlohmann::json Sql(const std::string& query) {
    CliResult r = Ctl({"sql", "--conn", "warehouse", "--json", query});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.Json();
  }

  // Staging rows for a date: (id, name, city) triples.
  void Stage(const std::string& date, const std::string& values) {
    Sql("CREATE TABLE IF NOT EXISTS STG.customers (id INTEGER, name TEXT, city TEXT, data_dt TEXT, "
        "run_id INTEGER, src_file TEXT)");
    Sql("DELETE FROM STG.customers WHERE data_dt = '" + date + "'");
    Sql("INSERT INTO STG.customers (id, name, city, data_dt, run_id, src_file) SELECT column1, column2, "
        "column3, '" + date + "', 1, 'f.csv' FROM (VALUES " + values + ")");
  }

  CliResult RunLoad(const std::string& mode, const std::string& keys, const std::string& date,
                    const std::string& af_parm = "") {
    std::string yaml =
        "cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S, prir: 1}\n"
        "cntl_cfg_prcs:\n  - prcs_nm: LOAD\n    prcs_grp: G\n    prcs_typ: 5\n"
        "    src_schm_nm: STG\n    src_tbl: customers\n    tgt_schm_nm: DW\n    tgt_tbl: dim_customer\n"
        "    load_mode: '" + mode + "'\n    key_cols: '" + keys + "'\n    af_parm: '" + af_parm + "'\n";
    EXPECT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
    return Ctl({"run", "S", "--date", date});
  }

  nlohmann::json LastRow() {
    auto log = Log();
    EXPECT_FALSE(log.empty());
    return log.empty() ? nlohmann::json::object() : log.back();
  }

  nlohmann::json Target(const std::string& order = "id, data_dt") {
    return Sql("SELECT * FROM DW.dim_customer ORDER BY " + order);
  }
};

TEST_F(LoadTest, AppendAndOverwriteReRunsGiveTheSameTable) {
  for (const std::string mode : {"append", "overwrite"}) {
    SCOPED_TRACE(mode);
    Sql("DROP TABLE IF EXISTS DW.dim_customer");
    Stage("2024-01-01", "(1, 'ann', 'Oslo'), (2, 'bob', 'Rome')");
    Stage("2024-01-02", "(3, 'cid', 'Lima')");
    ASSERT_EQ(RunLoad(mode, "", "2024-01-01").exit_code, 0);
    ASSERT_EQ(RunLoad(mode, "", "2024-01-02").exit_code, 0);
    auto first = Target();
    auto row = LastRow();
    EXPECT_EQ(row["source_row"], 1);
    EXPECT_EQ(row["target_row"], 1);
    ASSERT_EQ(RunLoad(mode, "", "2024-01-02").exit_code, 0);
    EXPECT_EQ(Target(), first);
    ASSERT_EQ(first.size(), 3u) << first.dump();
    EXPECT_EQ(first[0]["name"], "ann");
    EXPECT_EQ(first[2]["data_dt"], "2024-01-02");
    EXPECT_FALSE(first[0].contains("src_file"));
  }
}

TEST_F(LoadTest, MergeUpsertsByKeyAndReRunsChangeNothing) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo'), (2, 'bob', 'Rome')");
  Stage("2024-01-02", "(2, 'bob', 'Paris'), (3, 'cid', 'Lima'), (1, 'ann', 'Oslo')");
  ASSERT_EQ(RunLoad("merge", "id", "2024-01-01").exit_code, 0);
  CliResult run = RunLoad("merge", "id", "2024-01-02");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto row = LastRow();
  EXPECT_EQ(row["source_row"], 3);
  EXPECT_EQ(row["target_row"], 2);  // bob updated, cid inserted, ann unchanged
  auto first = Target("id");
  ASSERT_EQ(first.size(), 3u) << first.dump();
  EXPECT_EQ(first[0]["data_dt"], "2024-01-01");
  EXPECT_EQ(first[1]["city"], "Paris");
  EXPECT_EQ(first[1]["data_dt"], "2024-01-02");
  ASSERT_EQ(RunLoad("merge", "id", "2024-01-02").exit_code, 0);
  EXPECT_EQ(LastRow()["target_row"], 0);
  EXPECT_EQ(Target("id"), first);
}

TEST_F(LoadTest, Scd2KeepsHistoryAcrossDatesAndReRunsAddNoVersions) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo'), (2, 'bob', 'Rome')");
  Stage("2024-01-02", "(1, 'ann', 'Oslo'), (2, 'bob', 'Paris')");
  ASSERT_EQ(RunLoad("scd2", "id", "2024-01-01").exit_code, 0);
  ASSERT_EQ(RunLoad("scd2", "id", "2024-01-01").exit_code, 0);
  EXPECT_EQ(LastRow()["target_row"], 0);
  ASSERT_EQ(RunLoad("scd2", "id", "2024-01-02").exit_code, 0);
  EXPECT_EQ(LastRow()["target_row"], 2);  // one closed, one opened
  auto first = Target("id, valid_from");
  ASSERT_EQ(RunLoad("scd2", "id", "2024-01-02").exit_code, 0);
  EXPECT_EQ(Target("id, valid_from"), first);
  ASSERT_EQ(first.size(), 3u) << first.dump();
  EXPECT_EQ(first[0]["is_current"], 1);
  EXPECT_EQ(first[1]["city"], "Rome");
  EXPECT_EQ(first[1]["valid_from"], "2024-01-01");
  EXPECT_EQ(first[1]["valid_to"], "2024-01-02");
  EXPECT_EQ(first[1]["is_current"], 0);
  EXPECT_EQ(first[2]["city"], "Paris");
  EXPECT_EQ(first[2]["valid_from"], "2024-01-02");
  EXPECT_EQ(first[2]["valid_to"], "9999-12-31");
  EXPECT_EQ(first[2]["is_current"], 1);

  // The staging data of a date is corrected and the date re-run: the version
  // opened that day is corrected in place, no extra version appears.
  Stage("2024-01-02", "(1, 'ann', 'Oslo'), (2, 'bob', 'Berlin')");
  ASSERT_EQ(RunLoad("scd2", "id", "2024-01-02").exit_code, 0);
  auto fixed = Target("id, valid_from");
  ASSERT_EQ(fixed.size(), 3u) << fixed.dump();
  EXPECT_EQ(fixed[2]["city"], "Berlin");
}

TEST_F(LoadTest, ColumnMappingWithExpressionsAndAdditiveSchemaChange) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo')");
  ASSERT_EQ(RunLoad("merge", "customer_id", "2024-01-01", "customer_id=id \"name=upper(name)\"").exit_code, 0);
  CliResult run = RunLoad("merge", "customer_id", "2024-01-01",
                          "customer_id=id \"name=upper(name)\" \"loaded=:data_dt || \\\"/\\\" || city\"");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto rows = Sql("SELECT customer_id, name, loaded FROM DW.dim_customer");
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["customer_id"], 1);
  EXPECT_EQ(rows[0]["name"], "ANN");
  EXPECT_EQ(rows[0]["loaded"], "2024-01-01/Oslo");
}

TEST_F(LoadTest, MissingKeysAndModeAreNamed) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo')");
  EXPECT_EQ(RunLoad("merge", "", "2024-01-01").exit_code, 1);
  auto row = LastRow();
  EXPECT_EQ(row["status"], 99);
  EXPECT_NE(row["message"].get<std::string>().find("key_cols is empty"), std::string::npos) << row.dump();
  RunLoad("scd2", "id,zip", "2024-01-01");
  EXPECT_NE(LastRow()["message"].get<std::string>().find("key_cols: column zip is not a target column"),
            std::string::npos);
  RunLoad("", "", "2024-01-01");
  EXPECT_NE(LastRow()["message"].get<std::string>().find("load_mode is empty"), std::string::npos);
}

}  // namespace
}  // namespace ctlflow::testing

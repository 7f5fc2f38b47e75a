// Editing control tables with the real binary: apply/export round trips,
// bad input rejected with a precise message and nothing applied, process
// stamping, dag output.
#include <filesystem>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

const char* kBase = R"(cntl_cfg_strem:
  - {strem_nm: S1, owner: "team a", descr: "line one\nline \"two\""}
  - {strem_nm: S2, owner: team b, act_f: 1, max_active_runs: 3}
cntl_cfg_prcs_grp:
  - {prcs_grp: G1, strem_nm: S1, prir: 1}
  - {prcs_grp: G2, strem_nm: S2, prir: 1}
cntl_cfg_prcs:
  - {prcs_nm: A, prcs_grp: G1, prir: 1, prcs_typ: 3, af_path_nm: "true", af_parm: "", tgt_tbl: "007"}
  - {prcs_nm: B, prcs_grp: G1, prir: 2, prcs_typ: 2, af_parm: "SELECT 1", timeout_s: 30}
  - {prcs_nm: C, prcs_grp: G2, prir: 1, prcs_typ: 3, af_path_nm: "true", src_tbl: "null"}
cntl_cfg_prcs_depn:
  - {prcs_nm: C, dpnd_prcs_nm: B, depn_mode: wait, wait_timeout_s: 60}
cntl_cfg_schedule:
  - {prcs_nm: S1, minutes: "0", hours: "15", day_month: "*", months: "*", day_week: null, tz: Europe/Berlin}
)";

class ConfigTest : public CtlflowTest {
 protected:
  std::string Export() {
    CliResult r = Ctl({"export"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // Applies bad input and checks the exit code, the message and that the
  // store did not change.
  void ExpectRejected(const std::string& yaml, const std::vector<std::string>& fragments) {
    std::string before = Export();
    std::string path = WriteFile("bad.yaml", yaml);
    CliResult r = Ctl({"apply", path});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    for (const auto& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "missing '" << f << "' in:\n" << r.err;
    EXPECT_EQ(Export(), before) << "the store changed after a rejected apply";
    CliResult v = Ctl({"validate", path});
    EXPECT_EQ(v.exit_code, 2) << v.out;
  }
};

TEST_F(ConfigTest, YamlExportRoundTripsExactly) {
  CliResult apply = Ctl({"apply", WriteFile("base.yaml", kBase)});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("cntl_cfg_prcs: 3 inserted"), std::string::npos) << apply.out;
  std::string first = Export();
  EXPECT_NE(first.find("\"line one\\nline \\\"two\\\"\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"007\""), std::string::npos);

  // Into a fresh home, and back out: byte for byte the same.
  std::string exported = WriteFile("exported.yaml", first);
  home_ = scratch_ + "/home2";
  ASSERT_EQ(Ctl({"apply", exported}).exit_code, 0);
  EXPECT_EQ(Export(), first);
  // Re-applying the same file changes nothing.
  CliResult again = Ctl({"apply", exported});
  EXPECT_NE(again.out.find("cntl_cfg_prcs: 0 inserted, 0 updated, 3 unchanged"), std::string::npos) << again.out;
}

TEST_F(ConfigTest, CsvExportRoundTripsThroughAFolder) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  std::string yaml = Export();
  std::string dir = scratch_ + "/csv";
  ASSERT_EQ(Ctl({"export", "--format", "csv", dir}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir + "/cntl_cfg_prcs.csv"));
  home_ = scratch_ + "/home2";
  CliResult r = Ctl({"apply", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Export(), yaml);
}

TEST_F(ConfigTest, DryRunAndPrune) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  std::string before = Export();
  std::string smaller = WriteFile("small.yaml",
      "cntl_cfg_prcs_depn: []\n"
      "cntl_cfg_prcs:\n"
      "  - {prcs_nm: A, prcs_grp: G1, prir: 1, prcs_typ: 3, af_path_nm: \"false\"}\n");
  CliResult dry = Ctl({"apply", "--dry-run", "--prune", smaller});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("~ A"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("- B"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("- C/B"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("dry run"), std::string::npos);
  EXPECT_EQ(Export(), before);

  ASSERT_EQ(Ctl({"apply", "--prune", smaller}).exit_code, 0);
  auto procs = Ctl({"sql", "--json", "SELECT prcs_nm, af_path_nm, tgt_tbl FROM cntl_af.cntl_cfg_prcs"}).Json();
  ASSERT_EQ(procs.size(), 1u);
  EXPECT_EQ(procs[0]["af_path_nm"], "false");
  EXPECT_EQ(procs[0]["tgt_tbl"], "007");  // a column not given keeps its value
  // Tables not named in the input are never pruned.
  auto streams = Ctl({"sql", "--json", "SELECT count(*) AS n FROM cntl_af.cntl_cfg_strem"}).Json();
  EXPECT_EQ(streams[0]["n"], 2);
}

TEST_F(ConfigTest, RejectsDependencyCycleAcrossStreams) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  // C (S2) waits for B (S1); B waiting for C closes a cycle across streams.
  ExpectRejected("cntl_cfg_prcs_depn:\n  - {prcs_nm: B, dpnd_prcs_nm: C}\n",
                 {"bad.yaml:2", "cntl_cfg_prcs_depn", "dependency cycle", "B waits for C", "C waits for B"});
}

TEST_F(ConfigTest, RejectsCycleThroughPriorityOrder) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  // A has prir 1 and B prir 2 in G1, so B already waits for A.
  ExpectRejected("cntl_cfg_prcs_depn:\n  - {prcs_nm: A, dpnd_prcs_nm: B}\n",
                 {"dependency cycle", "A waits for B"});
}

TEST_F(ConfigTest, RejectsSelfDependency) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_prcs_depn:\n  - {prcs_nm: A, dpnd_prcs_nm: A}\n",
                 {"bad.yaml:2", "table cntl_cfg_prcs_depn row A/A column dpnd_prcs_nm", "cannot depend on itself"});
}

TEST_F(ConfigTest, RejectsUnknownNames) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_prcs:\n  - {prcs_nm: N, prcs_grp: NOPE, prcs_typ: 3, af_path_nm: x}\n",
                 {"bad.yaml:2", "table cntl_cfg_prcs row N column prcs_grp", "unknown process group 'NOPE'"});
  ExpectRejected("cntl_cfg_prcs_grp:\n  - {prcs_grp: GX, strem_nm: NOSTREAM}\n",
                 {"table cntl_cfg_prcs_grp row GX column strem_nm", "unknown stream 'NOSTREAM'"});
  ExpectRejected("cntl_cfg_prcs_depn:\n  - {prcs_nm: A, dpnd_prcs_nm: GHOST}\n",
                 {"column dpnd_prcs_nm", "unknown process 'GHOST'"});
}

TEST_F(ConfigTest, RejectsDuplicateKeys) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_strem:\n  - {strem_nm: S9}\n  - {strem_nm: S9}\n",
                 {"bad.yaml:3", "cntl_cfg_strem", "S9", "bad.yaml:2"});
}

TEST_F(ConfigTest, RejectsUnknownProcessType) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_prcs:\n  - {prcs_nm: A, prcs_grp: G1, prcs_typ: 7}\n",
                 {"bad.yaml:2", "row A column prcs_typ", "unknown prcs_typ 7", "3 (command)"});
}

TEST_F(ConfigTest, RejectsBadCronFields) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_schedule:\n  - {prcs_nm: S2, minutes: \"0\", hours: \"25\", day_month: \"*\", months: \"*\"}\n",
                 {"bad.yaml:2", "table cntl_cfg_schedule row S2 column hours", "25"});
  ExpectRejected("cntl_cfg_schedule:\n  - {prcs_nm: S2, minutes: \"0\", hours: \"1\", day_month: \"*\", months: \"*\", day_week: \"MON-FUNDAY\"}\n",
                 {"column day_week"});
  ExpectRejected("cntl_cfg_schedule:\n  - {prcs_nm: S2, minutes: \"0\", hours: \"1\", day_month: \"*\", months: \"*\", tz: Mars/Olympus}\n",
                 {"column tz", "Mars/Olympus"});
}

TEST_F(ConfigTest, RejectsWrongTypesAndUnknownColumns) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_prcs:\n  - {prcs_nm: A, prcs_grp: G1, prir: high, prcs_typ: 3}\n",
                 {"bad.yaml:2", "column prir", "expected an integer", "high"});
  ExpectRejected("cntl_cfg_prcs:\n  - {prcs_nm: A, prcs_grp: G1, prcs_typ: 3, colour: red}\n",
                 {"bad.yaml:2", "unknown column", "colour"});
  ExpectRejected("cntl_cfg_prcs:\n  - {prcs_nm: A, prcs_grp: G1, prcs_typ: 3, act_f: 2}\n",
                 {"column act_f"});
  ExpectRejected("cntl_cfg_nothing:\n  - {x: 1}\n", {"bad.yaml:1", "cntl_cfg_nothing"});
  // CSV input names its line too.
  std::string csv = WriteFile("cntl_cfg_prcs_grp.csv", "prcs_grp,strem_nm,prir\nG5,S1,1\nG6,S1,x\n");
  CliResult r = Ctl({"apply", csv});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cntl_cfg_prcs_grp.csv:3"), std::string::npos) << r.err;
  EXPECT_EQ(Ctl({"sql", "--json", "SELECT * FROM cntl_af.cntl_cfg_prcs_grp WHERE prcs_grp = 'G5'"}).Json().size(), 0u);
}

TEST_F(ConfigTest, ReportsEveryProblemAtOnce) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  ExpectRejected("cntl_cfg_prcs:\n"
                 "  - {prcs_nm: X1, prcs_grp: NOPE, prcs_typ: 3, af_path_nm: x}\n"
                 "  - {prcs_nm: X2, prcs_grp: G1, prcs_typ: 9}\n",
                 {"bad.yaml:2", "bad.yaml:3", "NOPE", "prcs_typ 9"});
}

TEST_F(ConfigTest, ProcessNewStampsFromAnExistingRow) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  CliResult r = Ctl({"process", "new", "A2", "--like", "A", "--set", "tgt_tbl=trips_2", "--set", "prir=5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = Ctl({"sql", "--json", "SELECT prcs_nm, prcs_grp, prir, prcs_typ, af_path_nm, tgt_tbl FROM cntl_af.cntl_cfg_prcs WHERE prcs_nm = 'A2'"}).Json();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["prcs_grp"], "G1");
  EXPECT_EQ(rows[0]["prir"], 5);
  EXPECT_EQ(rows[0]["af_path_nm"], "true");
  EXPECT_EQ(rows[0]["tgt_tbl"], "trips_2");

  CliResult dup = Ctl({"process", "new", "A2", "--like", "A"});
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos);
  CliResult bad = Ctl({"process", "new", "A3", "--like", "A", "--set", "prir=soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("prir"), std::string::npos) << bad.err;

  std::string csv = WriteFile("new.csv", "prcs_nm,tgt_tbl,like\nT1,t1,\nT2,t2,C\nT3,t3,NOPE\n");
  CliResult many = Ctl({"process", "new", "--like", "A", "--from-csv", csv});
  EXPECT_EQ(many.exit_code, 2);
  EXPECT_NE(many.err.find("new.csv:4"), std::string::npos) << many.err;
  EXPECT_NE(many.err.find("NOPE"), std::string::npos) << many.err;
  EXPECT_EQ(Ctl({"sql", "--json", "SELECT prcs_nm FROM cntl_af.cntl_cfg_prcs WHERE prcs_nm LIKE 'T%'"}).Json().size(), 0u);

  WriteFile("new.csv", "prcs_nm,tgt_tbl,like\nT1,t1,\nT2,t2,C\n");
  ASSERT_EQ(Ctl({"process", "new", "--like", "A", "--from-csv", csv}).exit_code, 0);
  auto stamped = Ctl({"sql", "--json", "SELECT prcs_nm, prcs_grp, tgt_tbl FROM cntl_af.cntl_cfg_prcs WHERE prcs_nm LIKE 'T%' ORDER BY 1"}).Json();
  ASSERT_EQ(stamped.size(), 2u);
  EXPECT_EQ(stamped[0]["prcs_grp"], "G1");
  EXPECT_EQ(stamped[1]["prcs_grp"], "G2");
  EXPECT_EQ(stamped[1]["tgt_tbl"], "t2");
}

TEST_F(ConfigTest, DagPrintsTextDotAndJson) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  CliResult text = Ctl({"dag", "S2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("waits for B of stream S1"), std::string::npos) << text.out;
  CliResult dot = Ctl({"dag", "S1", "--format", "dot"});
  EXPECT_NE(dot.out.find("\"A\" -> \"B\""), std::string::npos) << dot.out;
  auto json = Ctl({"dag", "S1", "--format", "json"}).Json();
  EXPECT_EQ(json["stream"], "S1");
  ASSERT_EQ(json["nodes"].size(), 2u);
  EXPECT_EQ(json["nodes"][1]["name"], "B");
  EXPECT_EQ(json["nodes"][1]["after"], nlohmann::json::array({"A"}));
}

TEST_F(ConfigTest, ValidateChecksTheStoreAndSeedSchemaIsReachable) {
  ASSERT_EQ(Ctl({"apply", WriteFile("base.yaml", kBase)}).exit_code, 0);
  EXPECT_EQ(Ctl({"validate"}).exit_code, 0);
  // A row inserted with SQL that breaks a reference is caught by validate.
  ASSERT_EQ(Ctl({"sql", "INSERT INTO cntl_af.cntl_cfg_prcs (prcs_nm, prcs_grp, prcs_typ) VALUES ('Z', 'NOGROUP', 3)"}).exit_code, 0);
  CliResult v = Ctl({"validate"});
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_NE(v.err.find("table cntl_cfg_prcs row Z column prcs_grp"), std::string::npos) << v.err;
  // Every seed column is there, under the seed's names.
  auto cols = Ctl({"sql", "--json", "SELECT name FROM pragma_table_info('cntl_cfg_log', 'cntl_af')"}).Json();
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c["name"]);
  for (const char* seed : {"prcs_nm", "data_dt", "start_dt", "end_dt", "status", "message", "source_row", "target_row",
                           "run_id", "attempt", "strem_nm", "log_path", "worker_nm"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), seed), names.end()) << seed;
  }
  // init is idempotent.
  EXPECT_EQ(Ctl({"init"}).exit_code, 0);
  EXPECT_EQ(Ctl({"init"}).exit_code, 0);
}

}  // namespace
}  // namespace ctlflow::testing

// Process type 4, ingest, through the real binary: typed CSV and JSONL into
// a staging table, reject files and the max_rejects threshold, idempotent
// re-runs per data_dt, audit columns, latin1 input and globs.
#include <filesystem>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

class IngestTest : public CtlflowTest {
 protected:
  void SetUp() override {
    CtlflowTest::SetUp();
    WriteFile(home_ + "/lakehouse/schema/trips.json",
              R"json({"columns": [
                   {"name": "id", "type": "bigint", "nullable": false},
                   {"name": "vendor", "type": "string"},
                   {"name": "fare", "type": "decimal(8,2)"},
                   {"name": "paid", "type": "boolean"},
                   {"name": "day", "type": "date", "format": "%d/%m/%Y"},
                   {"name": "pickup", "type": "timestamp"}]})json");
  }

  // Applies one stream with one ingest process and runs it for `date`.
  CliResult RunIngest(const std::string& af_parm, const std::string& date = "2024-01-02",
                      const std::string& src = "") {
    std::string yaml =
        "cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S, prir: 1}\n"
        "cntl_cfg_prcs:\n  - prcs_nm: ING\n    prcs_grp: G\n    prcs_typ: 4\n"
        "    tgt_schm_nm: STG\n    tgt_tbl: trips\n" + src +
        "    af_parm: '" + af_parm + "'\n";
    EXPECT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
    return Ctl({"run", "S", "--date", date});
  }

  nlohmann::json Sql(const std::string& query) {
    CliResult r = Ctl({"sql", "--conn", "warehouse", "--json", query});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.Json();
  }

  nlohmann::json LastRow() {
    auto log = Log();
    EXPECT_FALSE(log.empty());
    return log.empty() ? nlohmann::json::object() : log.back();
  }
};

const char* kGoodCsv =
    "id,vendor,fare,paid,day,pickup\n"
    "1,acme,12.50,true,02/01/2024,2024-01-02 08:00:00\n"
    "2,\"Smith, J\",7,no,02/01/2024,2024-01-02 09:30:00\n"
    "3,,,,,\n";

TEST_F(IngestTest, CsvIsTypedWithAuditColumnsAndCounts) {
  WriteFile(home_ + "/lakehouse/raw/trips.csv", kGoodCsv);
  CliResult run = RunIngest("schema=schema/trips.json source=raw/trips.csv");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto row = LastRow();
  EXPECT_EQ(row["status"], 0) << row.dump();
  EXPECT_EQ(row["source_row"], 3);
  EXPECT_EQ(row["target_row"], 3);
  auto rows = Sql("SELECT id, vendor, fare, paid, day, pickup, typeof(id) AS t_id, typeof(fare) AS t_fare, "
                  "data_dt, run_id, src_file FROM STG.trips ORDER BY id");
  ASSERT_EQ(rows.size(), 3u) << rows.dump();
  EXPECT_EQ(rows[0]["vendor"], "acme");
  EXPECT_EQ(rows[0]["fare"], 12.5);
  EXPECT_EQ(rows[0]["paid"], 1);
  EXPECT_EQ(rows[0]["day"], "2024-01-02");
  EXPECT_EQ(rows[0]["pickup"], "2024-01-02 08:00:00");
  EXPECT_EQ(rows[0]["t_id"], "integer");
  EXPECT_EQ(rows[0]["t_fare"], "real");
  EXPECT_EQ(rows[1]["vendor"], "Smith, J");
  EXPECT_EQ(rows[1]["paid"], 0);
  EXPECT_TRUE(rows[2]["vendor"].is_null());
  EXPECT_TRUE(rows[2]["fare"].is_null());
  EXPECT_EQ(rows[0]["data_dt"], "2024-01-02");
  EXPECT_EQ(rows[0]["src_file"], "raw/trips.csv");
  EXPECT_TRUE(rows[0]["run_id"].is_number_integer());
}

TEST_F(IngestTest, BadRowsGoToTheRejectFileAndTheThresholdDecides) {
  WriteFile(home_ + "/lakehouse/raw/trips.csv",
            "id,vendor,fare,paid,day,pickup\n"
            "1,acme,12.50,true,02/01/2024,2024-01-02 08:00:00\n"
            "x,acme,1,true,02/01/2024,2024-01-02 08:00:00\n"
            "3,acme,1\n"
            ",acme,1,true,02/01/2024,2024-01-02 08:00:00\n"
            "5,acme,123456789.5,maybe,31/02/2024,2024-01-02 08:00:00\n");
  // Default max_rejects = 0: the attempt fails and nothing is loaded.
  CliResult run = RunIngest("schema=schema/trips.json source=raw/trips.csv");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto row = LastRow();
  EXPECT_EQ(row["status"], 99);
  std::string message = row["message"];
  EXPECT_NE(message.find("4 rejected rows"), std::string::npos) << message;
  EXPECT_NE(message.find(".rejects.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("raw/trips.csv:3: column id: 'x' is not a bigint"), std::string::npos) << message;
  EXPECT_EQ(Sql("SELECT count(*) AS n FROM STG.trips")[0]["n"], 0);

  std::string rejects = ReadFile(row["log_path"].get<std::string>() + ".rejects.csv");
  EXPECT_NE(rejects.find("file,line,reason,raw\n"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("raw/trips.csv,3,column id: 'x' is not a bigint,"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("raw/trips.csv,4,\"expected 6 fields, found 3\",\"3,acme,1\""), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("raw/trips.csv,5,column id: null in a non-null column"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("raw/trips.csv,6,\"column fare: '123456789.5' does not fit decimal(8,2)"), std::string::npos)
      << rejects;

  // With a threshold of 4 the good row loads; the rejects are still written.
  run = RunIngest("schema=schema/trips.json source=raw/trips.csv max_rejects=4 reject_path=rejects/trips.csv");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  row = LastRow();
  EXPECT_EQ(row["status"], 0) << row.dump();
  EXPECT_EQ(row["source_row"], 5);
  EXPECT_EQ(row["target_row"], 1);
  EXPECT_NE(row["message"].get<std::string>().find("4 rejected"), std::string::npos) << row.dump();
  EXPECT_TRUE(fs::exists(home_ + "/lakehouse/rejects/trips.csv"));
  EXPECT_EQ(Sql("SELECT count(*) AS n FROM STG.trips")[0]["n"], 1);
}

TEST_F(IngestTest, ReRunOfADateReplacesItsRowsAndKeepsOtherDates) {
  WriteFile(home_ + "/lakehouse/raw/trips.csv", kGoodCsv);
  ASSERT_EQ(RunIngest("schema=schema/trips.json source=raw/trips.csv").exit_code, 0);
  ASSERT_EQ(RunIngest("schema=schema/trips.json source=raw/trips.csv").exit_code, 0);
  ASSERT_EQ(RunIngest("schema=schema/trips.json source=raw/trips.csv", "2024-01-03").exit_code, 0);
  auto rows = Sql("SELECT data_dt, count(*) AS n FROM STG.trips GROUP BY data_dt ORDER BY data_dt");
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0]["n"], 3);
  EXPECT_EQ(rows[1]["n"], 3);
}

TEST_F(IngestTest, JsonLinesAndSourceFromSrcColumns) {
  WriteFile(home_ + "/lakehouse/raw/trips.jsonl",
            "{\"id\": 1, \"vendor\": \"acme\", \"fare\": 3.25, \"paid\": true, \"day\": \"05/01/2024\"}\n"
            "\n"
            "{\"id\": 2, \"vendor\": null, \"pickup\": \"2024-01-05 10:00:00\"}\n"
            "[1, 2]\n"
            "{\"id\": 4, \"colour\": \"red\"}\n");
  CliResult run = RunIngest("schema=schema/trips.json max_rejects=2", "2024-01-05",
                            "    src_schm_nm: raw\n    src_tbl: trips.jsonl\n");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto row = LastRow();
  EXPECT_EQ(row["source_row"], 4);
  EXPECT_EQ(row["target_row"], 2);
  auto rows = Sql("SELECT id, vendor, fare, paid, day, pickup FROM STG.trips ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["fare"], 3.25);
  EXPECT_EQ(rows[0]["day"], "2024-01-05");
  EXPECT_EQ(rows[1]["pickup"], "2024-01-05 10:00:00");
  std::string rejects = ReadFile(row["log_path"].get<std::string>() + ".rejects.csv");
  EXPECT_NE(rejects.find("raw/trips.jsonl,4,expected a JSON object"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("raw/trips.jsonl,5,field 'colour' is not in the schema"), std::string::npos) << rejects;
}

TEST_F(IngestTest, Latin1IsConvertedAndAGlobReadsEveryFile) {
  WriteFile(home_ + "/lakehouse/raw/a.csv", "id;vendor\n1;Caf\xE9\n");
  WriteFile(home_ + "/lakehouse/raw/b.csv", "id;vendor\n2;Na\xEFve\n3;x\n");
  WriteFile(home_ + "/lakehouse/schema/v.json",
            R"({"columns": [{"name": "id", "type": "int"}, {"name": "vendor", "type": "string"}]})");
  CliResult run = RunIngest("schema=schema/v.json source=raw/*.csv delimiter=; encoding=latin1");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto row = LastRow();
  EXPECT_EQ(row["source_row"], 3);
  EXPECT_EQ(row["target_row"], 3);
  auto rows = Sql("SELECT id, vendor, src_file FROM STG.trips ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["vendor"], "Caf\xC3\xA9");
  EXPECT_EQ(rows[0]["src_file"], "raw/a.csv");
  EXPECT_EQ(rows[1]["vendor"], "Na\xC3\xAFve");
  EXPECT_EQ(rows[2]["src_file"], "raw/b.csv");
}

TEST_F(IngestTest, HeaderlessInputIsPositionalAndProgressIsLogged) {
  WriteFile(home_ + "/lakehouse/schema/v.json",
            R"j({"columns": [{"name": "id", "type": "int"}, {"name": "note", "type": "string"}]})j");
  std::string csv;
  for (int i = 1; i <= 100001; ++i) csv += std::to_string(i) + ",\"line\nbreak \"\"q\"\"\"\n";
  WriteFile(home_ + "/lakehouse/raw/big.csv", csv);
  CliResult run = RunIngest("schema=schema/v.json source=raw/big.csv header=0");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto row = LastRow();
  EXPECT_EQ(row["target_row"], 100001);
  EXPECT_NE(ReadFile(row["log_path"]).find("ctlflow: 100000 rows read"), std::string::npos);
  auto rows = Sql("SELECT note FROM STG.trips WHERE id = 100001");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["note"], "line\nbreak \"q\"");
}

TEST_F(IngestTest, MistakesInParametersAndSchemaAreNamed) {
  WriteFile(home_ + "/lakehouse/raw/trips.csv", kGoodCsv);
  RunIngest("schema=schema/trips.json source=raw/trips.csv delimeter=;");
  EXPECT_NE(LastRow()["message"].get<std::string>().find("unknown key 'delimeter'"), std::string::npos);
  WriteFile(home_ + "/lakehouse/schema/bad.json", R"({"columns": [{"name": "id", "type": "integer"}]})");
  RunIngest("schema=schema/bad.json source=raw/trips.csv");
  std::string message = LastRow()["message"];
  EXPECT_NE(message.find("bad.json: column 1 (id): unknown type 'integer'"), std::string::npos) << message;
  RunIngest("schema=schema/trips.json source=raw/none*.csv");
  EXPECT_NE(LastRow()["message"].get<std::string>().find("no source file matches"), std::string::npos);
}

}  // namespace
}  // namespace ctlflow::testing

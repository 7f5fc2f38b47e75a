// A PostgreSQL connection as the warehouse of sql (2), ingest (4) and load (5)
// processes, through the real binary against a real server: named
// parameters, rollback and statement/line in errors, a timeout cancelling a
// running statement, COPY escaping checked against the SQLite warehouse,
// every load mode re-run, and the seed's example giving the same datamart
// on both engines.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>

#include "harness.h"
#include "postgres_server.h"

namespace ctlflow::testing {
namespace {

class PgWarehouseTest : public CtlflowTest {
 protected:
  void SetUp() override {
    CtlflowTest::SetUp();
    const PostgresServer& pg = Postgres();
    ASSERT_TRUE(pg.ok) << pg.error;
    setenv("DWH_PASSWORD", pg.password.c_str(), 1);
    static int databases = 0;
    const std::string db = "wh_" + std::to_string(getpid()) + "_" + std::to_string(++databases);
    ASSERT_EQ(Ctl({"connection", "add", "admin", "--type", "postgres", "--url", pg.Url(), "--password-env",
                   "DWH_PASSWORD"}).exit_code, 0);
    CliResult created = Ctl({"sql", "--conn", "admin", "CREATE DATABASE " + db});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    ASSERT_EQ(Ctl({"connection", "add", "dwh", "--type", "postgres", "--url", pg.Url(db), "--password-env",
                   "DWH_PASSWORD"}).exit_code, 0);
  }

  nlohmann::json Sql(const std::string& conn, const std::string& query,
                     const std::vector<std::string>& params = {}) {
    std::vector<std::string> args{"sql", "--conn", conn, "--json"};
    for (const auto& p : params) {
      args.push_back("--param");
      args.push_back(p);
    }
    args.push_back(query);
    CliResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << query << ": " << r.err;
    return r.exit_code == 0 ? r.Json() : nlohmann::json::array();
  }

  // Applies a stream S with one group G holding `processes` (YAML items).
  void ApplyStream(const std::string& processes) {
    std::string yaml = "cntl_cfg_strem:\n  - {strem_nm: S}\n"
                       "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S, prir: 1}\n"
                       "cntl_cfg_prcs:\n" + processes;
    CliResult applied = Ctl({"apply", "--prune", WriteFile("s.yaml", yaml)});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }

  nlohmann::json RowFor(const std::string& prcs_nm) {
    nlohmann::json found = nlohmann::json::object();
    for (const auto& r : Log()) {
      if (r["prcs_nm"] == prcs_nm) found = r;  // the newest attempt
    }
    return found;
  }
};

// ---------------------------------------------------------------- sql (2)

TEST_F(PgWarehouseTest, SqlScriptBindsNamedParametersAndRollsBackNamingStatementAndLine) {
  WriteFile(home_ + "/sql/good.sql",
            "CREATE TABLE IF NOT EXISTS EDP.T (data_dt DATE, note TEXT, tag TEXT);\n"
            "DELETE FROM EDP.T WHERE data_dt = :data_dt::date;\n"
            "INSERT INTO EDP.T VALUES (:data_dt, :note, ':note @note $note');\n"
            "INSERT INTO EDP.T VALUES (CAST(@data_dt AS date), $prcs_nm, $$it's ; $note$$);\n"
            "SELECT count(*) AS target_row FROM EDP.T WHERE data_dt = :data_dt::date -- :nope\n");
  WriteFile(home_ + "/sql/bad.sql",
            "INSERT INTO EDP.T VALUES (:data_dt, 'rolled back', NULL);\n\nINSERT INTO nowhere VALUES (1);\n");
  ApplyStream("  - {prcs_nm: GOOD, prcs_grp: G, prir: 1, prcs_typ: 2, conn_nm: dwh, af_path_nm: sql/good.sql}\n"
              "  - {prcs_nm: BAD, prcs_grp: G, prir: 2, prcs_typ: 2, conn_nm: dwh, af_path_nm: sql/bad.sql}\n");
  const std::string evil = "x'); DROP TABLE EDP.T; --";
  for (int round = 0; round < 2; ++round) {  // the second run replaces the date's rows
    CliResult run = Ctl({"run", "S", "--date", "2024-01-02", "--param", "note=" + evil});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  }
  auto good = RowFor("GOOD");
  EXPECT_EQ(good["status"], 0) << good.dump();
  EXPECT_EQ(good["target_row"], 2);
  auto bad = RowFor("BAD");
  EXPECT_EQ(bad["status"], 99);
  const std::string message = bad["message"].get<std::string>();
  EXPECT_NE(message.find("statement 2 (line 3: INSERT INTO nowhere"), std::string::npos) << message;
  EXPECT_NE(message.find("relation \"nowhere\" does not exist"), std::string::npos) << message;

  auto rows = Sql("dwh", "SELECT data_dt::text AS data_dt, note, tag FROM EDP.T ORDER BY note");
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0]["note"], "GOOD");
  EXPECT_EQ(rows[0]["tag"], "it's ; $note");
  EXPECT_EQ(rows[1]["note"], evil);
  EXPECT_EQ(rows[1]["tag"], ":note @note $note");
  EXPECT_EQ(rows[1]["data_dt"], "2024-01-02");
}

TEST_F(PgWarehouseTest, TimeoutCancelsARunningStatementAndRollsTheScriptBack) {
  ApplyStream("  - prcs_nm: SLOW\n    prcs_grp: G\n    prcs_typ: 2\n    conn_nm: dwh\n    timeout_s: 2\n"
              "    af_parm: \"CREATE TABLE EDP.half (x int); INSERT INTO EDP.half VALUES (1); "
              "SELECT pg_sleep(30)\"\n");
  auto started = std::chrono::steady_clock::now();
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_LT(seconds, 20) << "pg_sleep(30) was not interrupted";
  auto row = RowFor("SLOW");
  EXPECT_EQ(row["status"], 98) << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find("timed out"), std::string::npos) << row.dump();
  auto gone = Sql("dwh", "SELECT to_regclass('edp.half') IS NULL AS gone");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]["gone"], 1) << "the script's first statements were not rolled back";
}

// ------------------------------------------------------------- ingest (4)

const char* kTripsSchema = R"json({"columns": [
  {"name": "id", "type": "bigint", "nullable": false},
  {"name": "vendor", "type": "string"},
  {"name": "fare", "type": "decimal(8,2)"},
  {"name": "paid", "type": "boolean"},
  {"name": "day", "type": "date", "format": "%d/%m/%Y"},
  {"name": "pickup", "type": "timestamp"}]})json";

std::string IngestProcess(const std::string& name, const std::string& conn, const std::string& table,
                          const std::string& af_parm) {
  return "  - prcs_nm: " + name + "\n    prcs_grp: G\n    prcs_typ: 4\n    conn_nm: " + conn +
         "\n    tgt_schm_nm: STG\n    tgt_tbl: " + table + "\n    af_parm: '" + af_parm + "'\n";
}

TEST_F(PgWarehouseTest, IngestCopiesTypedRowsRejectsBadOnesAndReRunsReplaceTheDate) {
  WriteFile(home_ + "/lakehouse/schema/trips.json", kTripsSchema);
  WriteFile(home_ + "/lakehouse/raw/trips.csv",
            "id,vendor,fare,paid,day,pickup\n"
            "1,acme,12.50,true,02/01/2024,2024-01-02 08:00:00\n"
            "2,\"Smith, J\",7,no,02/01/2024,2024-01-02 09:30:00\n"
            "3,bad,twelve,yes,02/01/2024,2024-01-02 10:00:00\n"
            "4,,,,,\n");
  ApplyStream(IngestProcess("ING", "dwh", "trips", "schema=schema/trips.json source=raw/trips.csv max_rejects=1"));
  const std::string query = "SELECT id, vendor, fare::text AS fare, paid, day::text AS day, pickup::text AS pickup, "
                            "data_dt, src_file FROM STG.trips ORDER BY data_dt, id";
  ASSERT_EQ(Ctl({"run", "S", "--date", "2024-01-02"}).exit_code, 0);
  auto row = RowFor("ING");
  EXPECT_EQ(row["source_row"], 4);
  EXPECT_EQ(row["target_row"], 3);
  std::string rejects = ReadFile(row["log_path"].get<std::string>() + ".rejects.csv");
  EXPECT_NE(rejects.find("raw/trips.csv,4,\"column fare: 'twelve'"), std::string::npos) << rejects;

  auto first = Sql("dwh", query);
  ASSERT_EQ(first.size(), 3u) << first.dump();
  EXPECT_EQ(first[0]["fare"], "12.50");
  EXPECT_EQ(first[0]["paid"], 1);
  EXPECT_EQ(first[0]["day"], "2024-01-02");
  EXPECT_EQ(first[0]["pickup"], "2024-01-02 08:00:00");
  EXPECT_EQ(first[1]["vendor"], "Smith, J");
  EXPECT_EQ(first[1]["paid"], 0);
  EXPECT_TRUE(first[2]["vendor"].is_null());
  EXPECT_EQ(first[2]["src_file"], "raw/trips.csv");
  auto types = Sql("dwh", "SELECT data_type FROM information_schema.columns WHERE table_schema = 'stg' "
                          "AND table_name = 'trips' ORDER BY ordinal_position");
  std::vector<std::string> got;
  for (const auto& t : types) got.push_back(t["data_type"]);
  EXPECT_EQ(got, (std::vector<std::string>{"bigint", "text", "numeric", "boolean", "date",
                                           "timestamp without time zone", "text", "bigint", "text"}));

  // Same date again: the same table. Another date: added beside it.
  ASSERT_EQ(Ctl({"run", "S", "--date", "2024-01-02"}).exit_code, 0);
  EXPECT_EQ(Sql("dwh", query), first);
  ASSERT_EQ(Ctl({"run", "S", "--date", "2024-01-03"}).exit_code, 0);
  EXPECT_EQ(Sql("dwh", "SELECT count(*) AS n FROM STG.trips")[0]["n"], 6);

  // Over the threshold: the attempt fails and the date keeps its rows.
  ApplyStream(IngestProcess("ING", "dwh", "trips", "schema=schema/trips.json source=raw/trips.csv max_rejects=0"));
  EXPECT_EQ(Ctl({"run", "S", "--date", "2024-01-02"}).exit_code, 1);
  EXPECT_NE(RowFor("ING")["message"].get<std::string>().find("nothing was loaded"), std::string::npos);
  EXPECT_EQ(Sql("dwh", "SELECT count(*) AS n FROM STG.trips")[0]["n"], 6);
}

TEST_F(PgWarehouseTest, CopyEscapingKeepsAwkwardTextExactlyAsTheSqliteWarehouseDoes) {
  WriteFile(home_ + "/lakehouse/schema/text.json",
            R"json({"columns": [{"name": "id", "type": "int", "nullable": false}, {"name": "txt", "type": "string"}]})json");
  const std::vector<std::string> expected = {
      "tab\there", "line1\nline2", "back\\slash \\N and \\t literally", "she said \"hi\"",
      "\xC3\xBCn\xC3\xAF c\xC3\xB6" "d\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80", "", " , spaced , "};
  std::string csv = "id,txt\n";
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string quoted;
    for (char c : expected[i]) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    csv += std::to_string(i + 1) + ",\"" + quoted + "\"\n";
  }
  csv += "99,\n";  // unquoted empty: NULL
  WriteFile(home_ + "/lakehouse/raw/text.csv", csv);
  const std::string af_parm = "schema=schema/text.json source=raw/text.csv";
  ApplyStream(IngestProcess("PG", "dwh", "text", af_parm) + IngestProcess("LITE", "warehouse", "text", af_parm));
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  const std::string query = "SELECT id, txt, txt IS NULL AS is_null FROM STG.text ORDER BY id";
  auto pg = Sql("dwh", query);
  ASSERT_EQ(pg.size(), expected.size() + 1) << pg.dump();
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(pg[i]["txt"], expected[i]) << "row " << i + 1;
    EXPECT_EQ(pg[i]["is_null"], 0);
  }
  EXPECT_EQ(pg.back()["is_null"], 1);
  EXPECT_EQ(pg, Sql("warehouse", query));
}

// --------------------------------------------------------------- load (5)

class PgLoadTest : public PgWarehouseTest {
 protected:
  // Staging rows for a date on the PostgreSQL warehouse: (id, name, city).
  void Stage(const std::string& date, const std::string& values) {
    Sql("dwh", "CREATE TABLE IF NOT EXISTS STG.customers (id INTEGER, name TEXT, city TEXT, data_dt TEXT, "
               "run_id INTEGER, src_file TEXT)");
    Sql("dwh", "DELETE FROM STG.customers WHERE data_dt = :d", {"d=" + date});
    Sql("dwh", "INSERT INTO STG.customers SELECT v.id, v.name, v.city, :d, 1, 'f.csv' FROM (VALUES " + values +
                   ") AS v (id, name, city)", {"d=" + date});
  }

  void RunLoad(const std::string& mode, const std::string& keys, const std::string& date,
               const std::string& af_parm = "") {
    ApplyStream("  - prcs_nm: LOAD\n    prcs_grp: G\n    prcs_typ: 5\n    conn_nm: dwh\n"
                "    src_schm_nm: STG\n    src_tbl: customers\n    tgt_schm_nm: DW\n    tgt_tbl: dim_customer\n"
                "    load_mode: '" + mode + "'\n    key_cols: '" + keys + "'\n    af_parm: '" + af_parm + "'\n");
    CliResult run = Ctl({"run", "S", "--date", date});
    ASSERT_EQ(run.exit_code, 0) << mode << " " << date << ": " << run.out << run.err << RowFor("LOAD").dump();
  }

  nlohmann::json Target(const std::string& order = "id, data_dt") {
    return Sql("dwh", "SELECT * FROM DW.dim_customer ORDER BY " + order);
  }
};

TEST_F(PgLoadTest, AppendAndOverwriteReRunsGiveTheSameTable) {
  for (const std::string mode : {"append", "overwrite"}) {
    SCOPED_TRACE(mode);
    Sql("dwh", "DROP TABLE IF EXISTS DW.dim_customer");
    Stage("2024-01-01", "(1, 'ann', 'Oslo'), (2, 'bob', 'Rome')");
    Stage("2024-01-02", "(3, 'cid', 'Lima')");
    RunLoad(mode, "", "2024-01-01");
    RunLoad(mode, "", "2024-01-02");
    auto first = Target();
    EXPECT_EQ(RowFor("LOAD")["target_row"], 1);
    RunLoad(mode, "", "2024-01-02");
    EXPECT_EQ(Target(), first);
    ASSERT_EQ(first.size(), 3u) << first.dump();
    EXPECT_EQ(first[0]["name"], "ann");
    EXPECT_EQ(first[2]["data_dt"], "2024-01-02");
    EXPECT_FALSE(first[0].contains("src_file"));
  }
}

TEST_F(PgLoadTest, MergeUpsertsByKeyLastRepeatedKeyWinsAndReRunsChangeNothing) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo'), (2, 'bob', 'Rome')");
  Stage("2024-01-02", "(2, 'bob', 'Paris'), (3, 'cid', 'Lima'), (1, 'ann', 'Oslo'), (3, 'cid', 'Quito')");
  RunLoad("merge", "id", "2024-01-01");
  RunLoad("merge", "id", "2024-01-02");
  auto row = RowFor("LOAD");
  EXPECT_EQ(row["source_row"], 4);
  EXPECT_EQ(row["target_row"], 2);  // bob updated, cid inserted, ann unchanged
  auto first = Target("id");
  ASSERT_EQ(first.size(), 3u) << first.dump();
  EXPECT_EQ(first[0]["data_dt"], "2024-01-01");  // unchanged rows keep their date
  EXPECT_EQ(first[1]["city"], "Paris");
  EXPECT_EQ(first[2]["city"], "Quito");
  RunLoad("merge", "id", "2024-01-02");
  EXPECT_EQ(RowFor("LOAD")["target_row"], 0);
  EXPECT_EQ(Target("id"), first);
}

TEST_F(PgLoadTest, Scd2KeepsHistoryAndReRunsAddNoVersions) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo'), (2, 'bob', 'Rome')");
  Stage("2024-01-02", "(1, 'ann', 'Oslo'), (2, 'bob', 'Paris')");
  RunLoad("scd2", "id", "2024-01-01");
  RunLoad("scd2", "id", "2024-01-01");
  EXPECT_EQ(RowFor("LOAD")["target_row"], 0);
  RunLoad("scd2", "id", "2024-01-02");
  EXPECT_EQ(RowFor("LOAD")["target_row"], 2);  // one closed, one opened
  auto first = Target("id, valid_from");
  RunLoad("scd2", "id", "2024-01-02");
  EXPECT_EQ(Target("id, valid_from"), first);
  ASSERT_EQ(first.size(), 3u) << first.dump();
  EXPECT_EQ(first[1]["city"], "Rome");
  EXPECT_EQ(first[1]["valid_to"], "2024-01-02");
  EXPECT_EQ(first[1]["is_current"], 0);
  EXPECT_EQ(first[2]["city"], "Paris");
  EXPECT_EQ(first[2]["valid_to"], "9999-12-31");
  EXPECT_EQ(first[2]["is_current"], 1);
  // Corrected staging for a date, re-run: the version of that day is fixed in place.
  Stage("2024-01-02", "(1, 'ann', 'Oslo'), (2, 'bob', 'Berlin')");
  RunLoad("scd2", "id", "2024-01-02");
  auto fixed = Target("id, valid_from");
  ASSERT_EQ(fixed.size(), 3u) << fixed.dump();
  EXPECT_EQ(fixed[2]["city"], "Berlin");
}

TEST_F(PgLoadTest, MappedExpressionsGetTypesInferredByTheServer) {
  Stage("2024-01-01", "(1, 'ann', 'Oslo')");
  RunLoad("merge", "customer_id", "2024-01-01", "customer_id=id \"name=upper(name)\"");
  auto rows = Sql("dwh", "SELECT customer_id, name, pg_typeof(customer_id)::text AS t FROM DW.dim_customer");
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0]["customer_id"], 1);
  EXPECT_EQ(rows[0]["name"], "ANN");
  EXPECT_EQ(rows[0]["t"], "integer");
}

// ------------------------------------------------------------ the example

TEST_F(PgWarehouseTest, SeedExampleOnPostgresGivesTheSameDatamartAsOnSqlite) {
  CliResult missing = Ctl({"example", "load", "--warehouse", "nope"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--warehouse nope"), std::string::npos) << missing.err;

  const std::string agg = "SELECT data_dt, passenger_count, trip_count, total_trip_distance FROM EDP.AGG_RIDE "
                          "ORDER BY data_dt, passenger_count IS NULL, passenger_count";
  ASSERT_EQ(Ctl({"example", "load", "--rows", "300"}).exit_code, 0);
  CliResult on_sqlite = Ctl({"run", "AF_TEST1", "--date", "2024-11-16"});
  ASSERT_EQ(on_sqlite.exit_code, 0) << on_sqlite.out << on_sqlite.err;
  auto expected = Sql("warehouse", agg);
  ASSERT_GE(expected.size(), 2u) << expected.dump();

  CliResult load = Ctl({"example", "load", "--rows", "300", "--warehouse", "dwh"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  const std::string trips = "SELECT * FROM EDP.PRCS_TEST_FRAMEWORK1 ORDER BY VendorID, tpep_pickup_datetime, "
                            "tpep_dropoff_datetime, PULocationID, DOLocationID";
  nlohmann::json first_trips;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    CliResult run = Ctl({"run", "AF_TEST1", "--date", "2024-11-16"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    for (const std::string prcs : {"PRCS_TEST_FRAMEWORK1", "PRCS_TEST_FRAMEWORK2", "PRCS_TEST_FRAMEWORK3",
                                   "PRCS_TEST_FRAMEWORK4"}) {
      EXPECT_EQ(RowFor(prcs)["status"], 0) << RowFor(prcs).dump();
    }
    EXPECT_EQ(Sql("dwh", agg), expected);
    auto now = Sql("dwh", trips);
    // The data-quality notebook read the PostgreSQL table, and every row passed.
    auto dq = RowFor("PRCS_TEST_FRAMEWORK4");
    EXPECT_EQ(dq["source_row"], now.size()) << dq.dump();
    EXPECT_EQ(dq["target_row"], now.size()) << dq.dump();
    for (auto& r : now) r.erase("run_id");  // which run last wrote the row
    if (round == 0) first_trips = now;
    EXPECT_EQ(now, first_trips);
  }
  EXPECT_EQ(first_trips.size(), Sql("warehouse", "SELECT count(*) AS n FROM EDP.PRCS_TEST_FRAMEWORK1")[0]["n"]);
}

}  // namespace
}  // namespace ctlflow::testing

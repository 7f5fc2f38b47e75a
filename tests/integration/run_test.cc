// Local runs of the real binary: ordering, parallelism, failure propagation,
// retries, log rows, process types 2 and 3, and the seed's example.
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

// One stream S with one group G; processes given as YAML list items.
std::string StreamYaml(const std::string& processes, const std::string& extra = "") {
  return "cntl_cfg_strem:\n  - {strem_nm: S, owner: test}\n"
         "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S, prir: 1}\n"
         "cntl_cfg_prcs:\n" + processes + extra;
}

// A command process running `sh -c SCRIPT` (written to a file to keep quoting simple).
std::string ShProcess(const std::string& name, int prir, const std::string& script_path,
                      const std::string& more = "") {
  return "  - {prcs_nm: " + name + ", prcs_grp: G, prir: " + std::to_string(prir) +
         ", prcs_typ: 3, af_path_nm: /bin/sh, af_parm: \"" + script_path + "\"" + more + "}\n";
}

// Runs ctlflow under a pseudo-terminal, as a user at a shell would, and
// returns everything it showed there (stdout and stderr together).
std::string RunOnTerminal(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::vector<std::string> words{CTLFLOW_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  winsize size{};
  size.ws_col = 200;
  size.ws_row = 40;
  int terminal = -1;
  pid_t pid = forkpty(&terminal, nullptr, nullptr, &size);
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) return "forkpty failed";
  std::string shown;
  char buf[4096];
  for (ssize_t n; (n = read(terminal, buf, sizeof buf)) > 0;) shown.append(buf, static_cast<size_t>(n));
  close(terminal);  // read ends with EIO once the child has exited
  int status = 0;
  waitpid(pid, &status, 0);
  return shown;
}

TEST_F(CtlflowTest, EqualPriorityRunsInParallelAndHigherPriorityWaits) {
  // A and B meet at a rendezvous: each waits for the other's file, so the
  // run only succeeds when they really run at the same time. C checks that
  // both finished before it started.
  std::string dir = scratch_ + "/marks";
  fs::create_directories(dir);
  auto rendezvous = [&](const std::string& me, const std::string& other) {
    return WriteFile(me + ".sh", "touch " + dir + "/" + me + ".ready\n"
                     "i=0; while [ ! -e " + dir + "/" + other + ".ready ]; do\n"
                     "  i=$((i+1)); [ $i -gt 200 ] && { echo 'never met " + other + "'; exit 1; }\n"
                     "  sleep 0.05; done\n"
                     "touch " + dir + "/" + me + ".done\n");
  };
  std::string a = rendezvous("A", "B"), b = rendezvous("B", "A");
  std::string c = WriteFile("C.sh", "[ -e " + dir + "/A.done ] && [ -e " + dir + "/B.done ] || { echo 'C started too early'; exit 1; }\n");
  std::string yaml = StreamYaml(ShProcess("A", 1, a) + ShProcess("B", 1, b) + ShProcess("C", 2, c));
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);

  CliResult run = Ctl({"run", "S", "--date", "2024-01-02", "--parallel", "4"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto log = Log({"--stream", "S"});
  ASSERT_EQ(log.size(), 3u);
  for (const auto& row : log) {
    EXPECT_EQ(row["status"], 0) << row.dump();
    EXPECT_EQ(row["data_dt"], "2024-01-02");
    EXPECT_EQ(row["attempt"], 1);
    EXPECT_FALSE(row["start_dt"].is_null());
    EXPECT_FALSE(row["end_dt"].is_null());
    EXPECT_TRUE(fs::exists(row["log_path"].get<std::string>())) << row.dump();
  }
  EXPECT_GE(RowFor(log, "C")["start_dt"].get<std::string>(), RowFor(log, "A")["end_dt"].get<std::string>());
  EXPECT_GE(RowFor(log, "C")["start_dt"].get<std::string>(), RowFor(log, "B")["end_dt"].get<std::string>());
}

TEST_F(CtlflowTest, FailureMarksDownstreamUpstreamFailedAndIndependentBranchesFinish) {
  std::string fail = WriteFile("fail.sh", "echo 'cannot reach the source'; exit 3\n");
  std::string ok = WriteFile("ok.sh", "echo fine\n");
  // Group G: A (fails) and D (independent) at prir 1, B at prir 2, E at 3.
  // Group H has the same group prir, so it is an independent branch.
  std::string yaml =
      "cntl_cfg_strem:\n  - {strem_nm: S}\n"
      "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S, prir: 1}\n  - {prcs_grp: H, strem_nm: S, prir: 1}\n"
      "cntl_cfg_prcs:\n" +
      ShProcess("A", 1, fail) + ShProcess("D", 1, ok) + ShProcess("B", 2, ok) + ShProcess("E", 3, ok) +
      "  - {prcs_nm: X, prcs_grp: H, prir: 1, prcs_typ: 3, af_path_nm: /bin/sh, af_parm: \"" + ok + "\"}\n";
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);

  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("failed"), std::string::npos) << run.out;
  auto log = Log();
  ASSERT_EQ(log.size(), 5u) << log.dump(2);
  auto a = RowFor(log, "A");
  EXPECT_EQ(a["status"], 99);
  EXPECT_NE(a["message"].get<std::string>().find("exit code 3"), std::string::npos) << a.dump();
  EXPECT_NE(a["message"].get<std::string>().find("cannot reach the source"), std::string::npos);
  EXPECT_EQ(RowFor(log, "D")["status"], 0);
  EXPECT_EQ(RowFor(log, "X")["status"], 0);
  EXPECT_EQ(RowFor(log, "B")["status"], 4);
  EXPECT_NE(RowFor(log, "B")["message"].get<std::string>().find("A"), std::string::npos);
  EXPECT_EQ(RowFor(log, "E")["status"], 4);
  // The captured output is attached to the attempt.
  EXPECT_NE(ReadFile(a["log_path"]).find("cannot reach the source"), std::string::npos);

  auto runs = Ctl({"runs", "--json"}).Json();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], 99);
  EXPECT_EQ(runs[0]["strem_nm"], "S");
}

TEST_F(CtlflowTest, ExplicitDependencyOrdersProcessesOfEqualPriority) {
  std::string dir = scratch_;
  std::string first = WriteFile("first.sh", "sleep 0.2; touch " + dir + "/first.done\n");
  std::string second = WriteFile("second.sh", "[ -e " + dir + "/first.done ] || { echo early; exit 1; }\n");
  std::string yaml = StreamYaml(ShProcess("P2", 1, second) + ShProcess("P1", 1, first),
                                "cntl_cfg_prcs_depn:\n  - {prcs_nm: P2, dpnd_prcs_nm: P1}\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

TEST_F(CtlflowTest, RetriesWriteOneRowPerAttempt) {
  std::string marker = scratch_ + "/tried";
  std::string flaky = WriteFile("flaky.sh", "if [ -e " + marker + " ]; then echo second; exit 0; fi\n"
                                "touch " + marker + "; echo 'first try fails'; exit 1\n");
  std::string yaml = StreamYaml(ShProcess("F", 1, flaky, ", retries: 2, retry_delay_s: 0"));
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto log = Log({"--process", "F"});
  ASSERT_EQ(log.size(), 2u) << log.dump(2);
  EXPECT_EQ(log[0]["attempt"], 1);
  EXPECT_EQ(log[0]["status"], 6);
  EXPECT_NE(log[0]["message"].get<std::string>().find("first try fails"), std::string::npos);
  EXPECT_EQ(log[1]["attempt"], 2);
  EXPECT_EQ(log[1]["status"], 0);
  EXPECT_NE(log[0]["log_path"], log[1]["log_path"]);
}

TEST_F(CtlflowTest, CommandGetsContextAsEnvironmentAndArgumentsAreNeverShellParsed) {
  std::string out = scratch_ + "/env.txt";
  std::string yaml = StreamYaml(
      "  - prcs_nm: ENV\n    prcs_grp: G\n    prcs_typ: 3\n    af_path_nm: /usr/bin/env\n"
      "    af_parm: \"-u PATH /bin/sh -c 'env | grep ^CTLFLOW_ | sort > " + out + "; printf \\\"%s|\\\" \\\"$@\\\" >> " + out + "' argv0 'a; rm -rf /' '$(whoami)' ${CTLFLOW_DATA_DT}\"\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  CliResult run = Ctl({"run", "S", "--date", "2024-03-04", "--param", "region=eu west", "--param", "n=1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::string env = ReadFile(out);
  EXPECT_NE(env.find("CTLFLOW_DATA_DT=2024-03-04\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CTLFLOW_PRCS_NM=ENV\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CTLFLOW_STREM_NM=S\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CTLFLOW_RUN_ID=1\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CTLFLOW_PARAM_REGION=eu west\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CTLFLOW_AF_PARM="), std::string::npos) << env;
  // The words arrive as data: no splitting, no command substitution.
  EXPECT_NE(env.find("a; rm -rf /|$(whoami)|2024-03-04|"), std::string::npos) << env;
}

TEST_F(CtlflowTest, SqlProcessBindsContextAndNamesTheFailingStatement) {
  WriteFile(home_ + "/sql/good.sql",
            "CREATE TABLE IF NOT EXISTS EDP.T (data_dt TEXT, note TEXT);\n"
            "DELETE FROM EDP.T WHERE data_dt = :data_dt;\n"
            "INSERT INTO EDP.T VALUES (:data_dt, :note);\n"
            "INSERT INTO EDP.T VALUES (:data_dt, :prcs_nm);\n");
  WriteFile(home_ + "/sql/bad.sql", "SELECT 1;\n\nINSERT INTO nowhere VALUES (1);\n");
  std::string yaml = StreamYaml(
      "  - {prcs_nm: GOOD, prcs_grp: G, prir: 1, prcs_typ: 2, af_path_nm: sql/good.sql}\n"
      "  - {prcs_nm: BAD, prcs_grp: G, prir: 2, prcs_typ: 2, af_path_nm: sql/bad.sql}\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  std::string evil = "x'); DROP TABLE T; --";
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02", "--param", "note=" + evil});
  EXPECT_EQ(run.exit_code, 1);
  auto log = Log();
  auto good = RowFor(log, "GOOD");
  EXPECT_EQ(good["status"], 0) << good.dump();
  EXPECT_EQ(good["target_row"], 1);
  auto bad = RowFor(log, "BAD");
  EXPECT_EQ(bad["status"], 99);
  EXPECT_NE(bad["message"].get<std::string>().find("statement 2 (line 3"), std::string::npos) << bad.dump();
  EXPECT_NE(bad["message"].get<std::string>().find("no such table: nowhere"), std::string::npos) << bad.dump();

  auto rows = Ctl({"sql", "--conn", "warehouse", "--json", "SELECT note FROM EDP.T ORDER BY note"}).Json();
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0]["note"], "GOOD");
  EXPECT_EQ(rows[1]["note"], evil);
}

TEST_F(CtlflowTest, InlineSqlInAfParmAndRowCountsFromFinalSelect) {
  std::string yaml = StreamYaml(
      "  - prcs_nm: INLINE\n    prcs_grp: G\n    prcs_typ: 2\n"
      "    af_parm: \"CREATE TABLE IF NOT EXISTS t(x); DELETE FROM t; INSERT INTO t VALUES (1),(2),(3); "
      "SELECT 7 AS source_row, count(*) AS target_row FROM t\"\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  ASSERT_EQ(Ctl({"run", "S", "--date", "2024-01-02"}).exit_code, 0);
  auto row = RowFor(Log(), "INLINE");
  EXPECT_EQ(row["source_row"], 7);
  EXPECT_EQ(row["target_row"], 3);
}

TEST_F(CtlflowTest, InactiveProcessIsSkippedAndDoesNotBlock) {
  std::string ok = WriteFile("ok.sh", "exit 0\n");
  std::string yaml = StreamYaml(ShProcess("A", 1, ok, ", act_f: 0") + ShProcess("B", 2, ok),
                                "cntl_cfg_prcs_depn:\n  - {prcs_nm: B, dpnd_prcs_nm: A}\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto log = Log();
  EXPECT_EQ(RowFor(log, "A")["status"], 3);
  EXPECT_EQ(RowFor(log, "B")["status"], 0);
  EXPECT_NE(RowFor(log, "B")["message"].get<std::string>().find("inactive"), std::string::npos);
}

TEST_F(CtlflowTest, MissingScriptOrNotebookFailsClearlyWithoutRunning) {
  std::string yaml = StreamYaml(
      "  - {prcs_nm: NB, prcs_grp: G, prir: 1, prcs_typ: 1, af_path_nm: notebooks/x.ipynb}\n"
      "  - {prcs_nm: SQ, prcs_grp: G, prir: 1, prcs_typ: 2, af_path_nm: sql/missing.sql}\n"
      "  - {prcs_nm: CM, prcs_grp: G, prir: 1, prcs_typ: 3, af_path_nm: /no/such/program}\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  EXPECT_EQ(Ctl({"run", "S", "--date", "2024-01-02"}).exit_code, 1);
  auto log = Log();
  auto nb = RowFor(log, "NB");
  EXPECT_EQ(nb["status"], 99);
  EXPECT_NE(nb["message"].get<std::string>().find("notebooks/x.ipynb"), std::string::npos) << nb.dump();
  EXPECT_NE(nb["message"].get<std::string>().find("does not exist"), std::string::npos) << nb.dump();
  auto sq = RowFor(log, "SQ");
  EXPECT_EQ(sq["status"], 99);
  EXPECT_NE(sq["message"].get<std::string>().find("cannot read the SQL file"), std::string::npos) << sq.dump();
  auto cm = RowFor(log, "CM");
  EXPECT_EQ(cm["status"], 99);
  EXPECT_NE(cm["message"].get<std::string>().find("cannot run '/no/such/program'"), std::string::npos) << cm.dump();
}

TEST_F(CtlflowTest, SqlInsertIntoControlTablesIsSeenByTheNextRun) {
  ASSERT_EQ(Ctl({"sql", "INSERT INTO cntl_af.cntl_cfg_strem (strem_nm, upt_dt, act_f, owner) "
                        "VALUES ('S', current_timestamp, 1, 'me')"}).exit_code, 0);
  ASSERT_EQ(Ctl({"sql", "INSERT INTO cntl_af.cntl_cfg_prcs_grp (prcs_grp, strem_nm, prir, act_f, upt_dt) "
                        "VALUES ('G', 'S', 1, 1, current_timestamp)"}).exit_code, 0);
  ASSERT_EQ(Ctl({"sql", "INSERT INTO cntl_af.cntl_cfg_prcs (prcs_nm, prcs_grp, prir, src_schm_nm, src_tbl,"
                        " tgt_schm_nm, tgt_tbl, prcs_typ, af_path_nm, af_parm, act_f, upt_dt) VALUES"
                        " ('P', 'G', 1, NULL, NULL, 'aaa', 'test', 3, 'true', '', 1, current_timestamp)"}).exit_code, 0);
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto rows = Ctl({"sql", "--json", "SELECT prcs_nm, status, data_dt FROM cntl_af.cntl_cfg_log"}).Json();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["prcs_nm"], "P");
  EXPECT_EQ(rows[0]["status"], 0);
  // A wrong type is refused by the table itself, naming table and column.
  CliResult wrong = Ctl({"sql", "UPDATE cntl_af.cntl_cfg_prcs SET prir = 'high'"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("cntl_cfg_prcs.prir"), std::string::npos) << wrong.err;
}

TEST_F(CtlflowTest, SeedExampleRunsThroughThreeTiersIdempotently) {
  CliResult load = Ctl({"example", "load", "--rows", "200"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  CliResult run = Ctl({"run", "AF_TEST1", "--date", "2024-11-16"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto log = Log({"--stream", "AF_TEST1"});
  ASSERT_EQ(log.size(), 4u) << log.dump(2);
  // Tier 1: 200 trips and 3 bad lines read; the bad lines are rejected, not dropped.
  auto ingest = RowFor(log, "PRCS_TEST_FRAMEWORK1");
  EXPECT_EQ(ingest["source_row"], 203);
  EXPECT_EQ(ingest["target_row"], 200);
  std::string rejects = ReadFile(ingest["log_path"].get<std::string>() + ".rejects.csv");
  EXPECT_EQ(std::count(rejects.begin(), rejects.end(), '\n'), 4) << rejects;  // header + 3
  EXPECT_NE(rejects.find("raw/test_project/ride.csv,9,column trip_distance"), std::string::npos) << rejects;
  // Tier 2: merged on the trip key, so the 3 repeated records collapse.
  EXPECT_EQ(RowFor(log, "PRCS_TEST_FRAMEWORK2")["source_row"], 200);
  EXPECT_EQ(RowFor(log, "PRCS_TEST_FRAMEWORK2")["target_row"], 197);
  EXPECT_EQ(RowFor(log, "PRCS_TEST_FRAMEWORK3")["target_row"], 6);
  // The notebook's data-quality report passes every row.
  auto dq = RowFor(log, "PRCS_TEST_FRAMEWORK4");
  EXPECT_EQ(dq["status"], 0) << dq.dump();
  EXPECT_EQ(dq["source_row"], 197);
  EXPECT_EQ(dq["target_row"], 197) << dq.dump();
  EXPECT_TRUE(fs::exists(dq["log_path"].get<std::string>() + ".ipynb"));

  const std::string agg = "SELECT passenger_count, trip_count, total_trip_distance FROM EDP.AGG_RIDE "
                          "WHERE data_dt = '2024-11-16' ORDER BY passenger_count";
  const std::string trips = "SELECT * FROM EDP.PRCS_TEST_FRAMEWORK1 ORDER BY VendorID, tpep_pickup_datetime, "
                            "tpep_dropoff_datetime, PULocationID, DOLocationID";
  auto first = Ctl({"sql", "--conn", "warehouse", "--json", agg}).Json();
  auto first_trips = Ctl({"sql", "--conn", "warehouse", "--json", trips}).Json();
  ASSERT_EQ(first.size(), 6u) << first.dump();
  ASSERT_EQ(first_trips.size(), 197u);
  int64_t count = 0;
  for (const auto& r : first) count += r["trip_count"].get<int64_t>();
  EXPECT_EQ(count, 197);

  // The same date again leaves identical tables; the log only grows.
  ASSERT_EQ(Ctl({"run", "AF_TEST1", "--date", "2024-11-16"}).exit_code, 0);
  EXPECT_EQ(Ctl({"sql", "--conn", "warehouse", "--json", agg}).Json(), first);
  auto second_trips = Ctl({"sql", "--conn", "warehouse", "--json", trips}).Json();
  ASSERT_EQ(second_trips.size(), first_trips.size());
  for (size_t i = 0; i < first_trips.size(); ++i) {
    auto a = first_trips[i], b = second_trips[i];
    a.erase("run_id");  // which run last wrote the row
    b.erase("run_id");
    EXPECT_EQ(a, b);
  }
  // The staging partition was replaced, not appended to.
  auto staged = Ctl({"lakehouse", "tables", "--json"}).Json();
  ASSERT_EQ(staged.size(), 1u);
  EXPECT_EQ(staged[0]["records"], 200);
  EXPECT_EQ(Log({"--stream", "AF_TEST1"}).size(), 8u);
}

TEST_F(CtlflowTest, RunRejectsBadFlagsAndUnknownStreams) {
  CliResult bad_date = Ctl({"run", "S", "--date", "2024-02-30"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.err.find("--date"), std::string::npos) << bad_date.err;
  CliResult unknown = Ctl({"run", "NOPE"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown stream 'NOPE'"), std::string::npos) << unknown.err;
  CliResult bad_param = Ctl({"run", "NOPE", "--param", "novalue"});
  EXPECT_EQ(bad_param.exit_code, 2);
  EXPECT_NE(bad_param.err.find("--param"), std::string::npos) << bad_param.err;
}

TEST_F(CtlflowTest, HomeComesFromEnvironmentWhenNoFlag) {
  std::string other = scratch_ + "/other_home";
  CliResult r = Ctl({"init"}, "", {{"CTLFLOW_HOME", other}}, /*pass_home=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(other + "/cntl_af.db"));
  EXPECT_FALSE(fs::exists(home_ + "/cntl_af.db"));
  // --home wins over the environment.
  ASSERT_EQ(Ctl({"init"}, "", {{"CTLFLOW_HOME", other}}).exit_code, 0);
  EXPECT_TRUE(fs::exists(home_ + "/cntl_af.db"));
}

// On a terminal the run shows a live line with the newest line a running
// attempt has logged (an ingest's rows so far, a command's own output);
// piped, it prints no progress line, only the attempts and the summary.
TEST_F(CtlflowTest, RunShowsTheNewestLogLineOfARunningAttemptOnATerminal) {
  std::string script = WriteFile("slow.sh", "echo 'halfway there: 512 rows'\nsleep 2\necho done\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("cfg.yaml", StreamYaml(ShProcess("P1", 1, script)))}).exit_code, 0);
  std::string shown = RunOnTerminal({"--home", home_, "run", "S", "--date", "2024-01-01"});
  EXPECT_NE(shown.find("S 2024-01-01 run 1 ["), std::string::npos) << shown;
  EXPECT_NE(shown.find("0/1 done, 1 running | P1: halfway there: 512 rows"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\033[K"), std::string::npos) << shown;  // the line is redrawn in place
  EXPECT_NE(shown.find("run 1 of S for 2024-01-01: success"), std::string::npos) << shown;

  CliResult piped = Ctl({"run", "S", "--date", "2024-01-02"});
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find("running |"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
  EXPECT_NE(piped.out.find("run 2 of S for 2024-01-02: success"), std::string::npos) << piped.out;
}

}  // namespace
}  // namespace ctlflow::testing

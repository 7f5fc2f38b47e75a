// The scheduler daemon with the real binary: catchup, max_active_runs,
// cross-stream dependencies that wait, trigger mode, timeouts, pause,
// clear, cancel, backfill, and kill -9 followed by a restart.
#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <set>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

std::string DaysAgo(int days) {
  std::time_t t = std::time(nullptr) - static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

class SchedulerTest : public CtlflowTest {
 protected:
  // Streams given as YAML; processes run `sh SCRIPT`.
  void Apply(const std::string& yaml) {
    CliResult r = Ctl({"apply", WriteFile("cfg.yaml", yaml)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string Sh(const std::string& name, const std::string& group, int prir, const std::string& body,
                 const std::string& more = "") {
    std::string path = WriteFile(name + ".sh", body);
    return "  - {prcs_nm: " + name + ", prcs_grp: " + group + ", prir: " + std::to_string(prir) +
           ", prcs_typ: 3, af_path_nm: /bin/sh, af_parm: \"" + path + "\"" + more + "}\n";
  }
  nlohmann::json Runs() { return Ctl({"runs", "--json"}).Json(); }
  // A script body that blocks until Open(name) is called, so a test sees an
  // attempt running however slow the machine is ("$CTLFLOW_DATA_DT" in the
  // name gives each date its own gate).
  std::string WaitGate(const std::string& name) {
    return "while [ ! -e " + scratch_ + "/gate." + name + " ]; do sleep 0.05; done\n";
  }
  void Open(const std::string& name) { WriteFile(scratch_ + "/gate." + name, ""); }
  // Polls a started process's stdout file until it holds `text` (~20 s).
  bool WaitForOutput(const std::string& text, const std::string& name = "async") {
    for (int i = 0; i < 400; ++i) {
      if (ReadFile(scratch_ + "/." + name + ".stdout").find(text) != std::string::npos) return true;
      usleep(50 * 1000);
    }
    return false;
  }
  // Successes per (prcs_nm, data_dt).
  std::map<std::pair<std::string, std::string>, int> Successes() {
    std::map<std::pair<std::string, std::string>, int> out;
    for (const auto& row : Log()) {
      if (row["status"] == 0) ++out[{row["prcs_nm"], row["data_dt"]}];
    }
    return out;
  }
};

TEST_F(SchedulerTest, CatchupCreatesOneRunPerMissedIntervalOldestFirstOneAtATime) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: S, max_active_runs: 1}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("P", "G", 1, "echo \"$CTLFLOW_DATA_DT\" >> " + scratch_ + "/order.txt; sleep 0.1\n") +
        "cntl_cfg_schedule:\n  - {prcs_nm: S, minutes: \"0\", hours: \"0\", day_month: \"*\", months: \"*\","
        " catchup: 1, start_dt: \"" + DaysAgo(3) + "\"}\n");
  CliResult sched = Ctl({"scheduler", "--once", "--workers", "2"});
  ASSERT_EQ(sched.exit_code, 0) << sched.out << sched.err;
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 3u) << runs.dump(2);
  std::vector<std::string> expected{DaysAgo(3), DaysAgo(2), DaysAgo(1)};
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i]["data_dt"], expected[i]);
    EXPECT_EQ(runs[i]["status"], 0) << runs[i].dump();
    EXPECT_EQ(runs[i]["run_typ"], "scheduled");
  }
  EXPECT_EQ(ReadFile(scratch_ + "/order.txt"), expected[0] + "\n" + expected[1] + "\n" + expected[2] + "\n");
  // max_active_runs = 1: each run starts after the previous one ended.
  for (size_t i = 1; i < runs.size(); ++i) {
    EXPECT_GE(runs[i]["start_dt"].get<std::string>(), runs[i - 1]["end_dt"].get<std::string>());
  }
  // A second pass creates nothing new.
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  EXPECT_EQ(Runs().size(), 3u);
}

TEST_F(SchedulerTest, WithoutCatchupOnlyTheLatestIntervalRunsAndPauseStopsScheduling) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("P", "G", 1, "exit 0\n") +
        "cntl_cfg_schedule:\n  - {prcs_nm: S, minutes: \"0\", hours: \"0\", day_month: \"*\", months: \"*\","
        " catchup: 0, start_dt: \"" + DaysAgo(10) + "\"}\n");
  ASSERT_EQ(Ctl({"pause", "S"}).exit_code, 0);
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  EXPECT_EQ(Runs().size(), 0u);
  ASSERT_EQ(Ctl({"unpause", "S"}).exit_code, 0);
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u) << runs.dump(2);
  EXPECT_EQ(runs[0]["data_dt"], DaysAgo(1));
  EXPECT_EQ(runs[0]["status"], 0);
}

TEST_F(SchedulerTest, CrossStreamDependencyWaitsThenStartsRightAfter) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: UP}\n  - {strem_nm: DOWN}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: GU, strem_nm: UP}\n  - {prcs_grp: GD, strem_nm: DOWN}\n"
        "cntl_cfg_prcs:\n" + Sh("PU", "GU", 1, "sleep 0.5\n") + Sh("PD", "GD", 1, "exit 0\n") +
        "cntl_cfg_prcs_depn:\n  - {prcs_nm: PD, dpnd_prcs_nm: PU}\n");
  ASSERT_EQ(Ctl({"trigger", "DOWN", "--date", "2024-05-01"}).exit_code, 0);
  ASSERT_EQ(Ctl({"trigger", "UP", "--date", "2024-05-01"}).exit_code, 0);
  CliResult sched = Ctl({"scheduler", "--once"});
  ASSERT_EQ(sched.exit_code, 0) << sched.out << sched.err;
  auto pd = Log({"--process", "PD"});
  ASSERT_EQ(pd.size(), 1u) << pd.dump(2);
  EXPECT_EQ(pd[0]["status"], 0);
  auto pu = Log({"--process", "PU"});
  ASSERT_EQ(pu.size(), 1u);
  EXPECT_GE(pd[0]["start_dt"].get<std::string>(), pu[0]["end_dt"].get<std::string>());
  EXPECT_NE(sched.out.find("PD waiting for a dependency"), std::string::npos) << sched.out;
}

TEST_F(SchedulerTest, TriggerModeStartsTheOtherStreamOnceForManyDependants) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: UP}\n  - {strem_nm: DOWN}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: GU, strem_nm: UP}\n  - {prcs_grp: GD, strem_nm: DOWN}\n"
        "cntl_cfg_prcs:\n" + Sh("PU", "GU", 1, "echo ran >> " + scratch_ + "/pu.txt\n") +
        Sh("D1", "GD", 1, "exit 0\n") + Sh("D2", "GD", 1, "exit 0\n") +
        "cntl_cfg_prcs_depn:\n  - {prcs_nm: D1, dpnd_prcs_nm: PU, depn_mode: trigger}\n"
        "  - {prcs_nm: D2, dpnd_prcs_nm: PU, depn_mode: trigger}\n");
  ASSERT_EQ(Ctl({"trigger", "DOWN", "--date", "2024-05-01"}).exit_code, 0);
  CliResult sched = Ctl({"scheduler", "--once"});
  ASSERT_EQ(sched.exit_code, 0) << sched.out << sched.err;
  auto runs = Runs();
  int up_runs = 0;
  for (const auto& r : runs) {
    EXPECT_EQ(r["status"], 0) << r.dump();
    if (r["strem_nm"] == "UP") {
      ++up_runs;
      EXPECT_EQ(r["run_typ"], "dependency");
      EXPECT_EQ(r["data_dt"], "2024-05-01");
    }
  }
  EXPECT_EQ(up_runs, 1) << runs.dump(2);
  EXPECT_EQ(ReadFile(scratch_ + "/pu.txt"), "ran\n");
}

TEST_F(SchedulerTest, WaitTimeoutNamesTheDependencyAndTheDate) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: UP}\n  - {strem_nm: DOWN}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: GU, strem_nm: UP}\n  - {prcs_grp: GD, strem_nm: DOWN}\n"
        "cntl_cfg_prcs:\n" + Sh("PU", "GU", 1, "exit 0\n") + Sh("PD", "GD", 1, "exit 0\n") +
        "cntl_cfg_prcs_depn:\n  - {prcs_nm: PD, dpnd_prcs_nm: PU, wait_timeout_s: 1}\n");
  CliResult run = Ctl({"run", "DOWN", "--date", "2024-05-01"});
  EXPECT_EQ(run.exit_code, 1);
  auto pd = Log({"--process", "PD"});
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_EQ(pd[0]["status"], 99);
  std::string message = pd[0]["message"];
  EXPECT_NE(message.find("PU of stream UP"), std::string::npos) << message;
  EXPECT_NE(message.find("2024-05-01"), std::string::npos) << message;
}

TEST_F(SchedulerTest, TimeoutKillsTheWholeProcessTree) {
  std::string pid_file = scratch_ + "/grandchild.pid";
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("SLOW", "G", 1, "sleep 30 & echo $! > " + pid_file + "; wait\n", ", timeout_s: 1"));
  CliResult run = Ctl({"run", "S", "--date", "2024-05-01"});
  EXPECT_EQ(run.exit_code, 1);
  auto row = Log()[0];
  EXPECT_EQ(row["status"], 98);
  EXPECT_NE(row["message"].get<std::string>().find("timeout_s = 1"), std::string::npos) << row.dump();
  int child = std::stoi(ReadFile(pid_file));
  EXPECT_TRUE(ProcessGone(child)) << "the grandchild sleep survived the timeout";
}

TEST_F(SchedulerTest, SqlTimeoutInterruptsTheStatement) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n  - {prcs_nm: Q, prcs_grp: G, prcs_typ: 2, timeout_s: 1, af_parm: "
        "\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c\"}\n");
  CliResult run = Ctl({"run", "S", "--date", "2024-05-01"});
  EXPECT_EQ(run.exit_code, 1);
  auto row = Log()[0];
  EXPECT_EQ(row["status"], 98) << row.dump();
}

TEST_F(SchedulerTest, ClearRequeuesFailedAttemptsAndKeepsTheOldOnes) {
  std::string flag = scratch_ + "/fixed";
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("A", "G", 1, "exit 0\n") +
        Sh("B", "G", 2, "[ -e " + flag + " ] || { echo broken; exit 1; }\n") + Sh("C", "G", 3, "exit 0\n"));
  ASSERT_EQ(Ctl({"run", "S", "--date", "2024-05-01"}).exit_code, 1);
  WriteFile(flag, "");
  CliResult clear = Ctl({"clear", "S", "--date", "2024-05-01", "--failed-only"});
  ASSERT_EQ(clear.exit_code, 0) << clear.err;
  EXPECT_NE(clear.out.find("B, C"), std::string::npos) << clear.out;
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], 0) << runs.dump(2);
  auto log = Log();
  ASSERT_EQ(log.size(), 5u) << log.dump(2);  // A once; B failed then succeeded; C upstream-failed then succeeded
  auto s = Successes();
  EXPECT_EQ((s[{"A", "2024-05-01"}]), 1);
  EXPECT_EQ((s[{"B", "2024-05-01"}]), 1);
  EXPECT_EQ((s[{"C", "2024-05-01"}]), 1);
}

TEST_F(SchedulerTest, CancelStopsARunningRun) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("SLOW", "G", 1, "sleep 30\n"));
  int pid = CtlStart({"run", "S", "--date", "2024-05-01"});
  ASSERT_TRUE(WaitForLog([](const nlohmann::json& rows) { return !rows.empty() && rows[0]["status"] == 1; }));
  CliResult cancel = Ctl({"cancel", "1"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  CliResult run = Finish(pid);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(Runs()[0]["status"], 97);
  EXPECT_NE(Log()[0]["message"].get<std::string>().find("cancelled"), std::string::npos);
  // A queued run is cancelled at once; a finished one cannot be.
  ASSERT_EQ(Ctl({"trigger", "S", "--date", "2024-05-02"}).exit_code, 0);
  EXPECT_EQ(Ctl({"cancel", "2"}).exit_code, 0);
  EXPECT_EQ(Runs()[1]["status"], 97);
  EXPECT_EQ(Ctl({"cancel", "2"}).exit_code, 2);
}

TEST_F(SchedulerTest, BackfillQueuesRunsInOrderAndRerunsFailedOnes) {
  std::string flag = scratch_ + "/fixed";
  Apply("cntl_cfg_strem:\n  - {strem_nm: S, max_active_runs: 2}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" +
        Sh("P", "G", 1, "[ \"$CTLFLOW_DATA_DT\" != 2024-01-02 ] || [ -e " + flag + " ] || exit 1\n"));
  CliResult bf = Ctl({"backfill", "S", "--from", "2024-01-01", "--to", "2024-01-03"});
  ASSERT_EQ(bf.exit_code, 0) << bf.err;
  EXPECT_NE(bf.out.find("3 runs queued"), std::string::npos) << bf.out;
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1]["status"], 99);
  WriteFile(flag, "");
  CliResult again = Ctl({"backfill", "S", "--from", "2024-01-01", "--to", "2024-01-03", "--rerun-failed"});
  EXPECT_NE(again.out.find("1 failed runs re-queued"), std::string::npos) << again.out;
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  runs = Runs();
  ASSERT_EQ(runs.size(), 3u);
  for (const auto& r : runs) EXPECT_EQ(r["status"], 0) << r.dump();
  CliResult bad = Ctl({"backfill", "S", "--from", "2024-01-05", "--to", "2024-01-01"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(SchedulerTest, KillNineAndRestartLosesNothing) {
  // Three dates, two processes each; every attempt takes a moment.
  Apply("cntl_cfg_strem:\n  - {strem_nm: S, max_active_runs: 3}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("P1", "G", 1, WaitGate("P1")) + Sh("P2", "G", 2, "sleep 0.2\n"));
  ASSERT_EQ(Ctl({"backfill", "S", "--from", "2024-02-01", "--to", "2024-02-03"}).exit_code, 0);
  int pid = CtlStart({"scheduler", "--workers", "2"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForLog([](const nlohmann::json& rows) {
    for (const auto& r : rows)
      if (r["status"] == 1) return true;
    return false;
  }));
  kill(pid, SIGKILL);
  Finish(pid);
  int running = 0;
  for (const auto& r : Log()) running += r["status"] == 1;
  EXPECT_GT(running, 0) << "kill -9 should leave attempts marked running";
  Open("P1");

  CliResult restart = Ctl({"scheduler", "--once", "--workers", "2"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  auto log = Log();
  int interrupted = 0;
  for (const auto& r : log) {
    EXPECT_NE(r["status"], 1) << "left running: " << r.dump();
    if (r["status"] == 6) {
      ++interrupted;
      EXPECT_NE(r["message"].get<std::string>().find("interrupted"), std::string::npos) << r.dump();
    }
  }
  EXPECT_EQ(interrupted, running);
  auto s = Successes();
  for (const char* p : {"P1", "P2"}) {
    for (const char* d : {"2024-02-01", "2024-02-02", "2024-02-03"}) {
      EXPECT_EQ((s[{p, d}]), 1) << p << " " << d << "\n" << log.dump(2);
    }
  }
  for (const auto& r : Runs()) EXPECT_EQ(r["status"], 0) << r.dump();
}

TEST_F(SchedulerTest, ChangesToControlTablesArePickedUpWithoutARestart) {
  int pid = CtlStart({"scheduler"});
  ASSERT_GT(pid, 0);
  // A stream scheduled every minute appears while the scheduler runs.
  Apply("cntl_cfg_strem:\n  - {strem_nm: LIVE}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: LIVE}\n"
        "cntl_cfg_prcs:\n" + Sh("P", "G", 1, "exit 0\n") +
        "cntl_cfg_schedule:\n  - {prcs_nm: LIVE, minutes: \"*\", hours: \"*\", day_month: \"*\", months: \"*\"}\n");
  bool ran = WaitForLog([](const nlohmann::json& rows) { return !rows.empty() && rows[0]["status"] == 0; });
  kill(pid, SIGTERM);
  CliResult stopped = Finish(pid);
  EXPECT_TRUE(ran) << stopped.out << stopped.err;
  EXPECT_EQ(stopped.exit_code, 0);
  auto runs = Runs();
  ASSERT_GE(runs.size(), 1u);
  EXPECT_EQ(runs[0]["strem_nm"], "LIVE");
  EXPECT_EQ(runs[0]["run_typ"], "scheduled");
}

TEST_F(SchedulerTest, AKilledForegroundRunIsFinishedByTheSchedulerAndALiveOneIsLeftAlone) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("P1", "G", 1, WaitGate("$CTLFLOW_DATA_DT")) +
        Sh("P2", "G", 2, "exit 0\n"));
  // Alive: a scheduler started meanwhile must not touch it.
  int live = CtlStart({"run", "S", "--date", "2024-04-01"});
  ASSERT_TRUE(WaitForLog([](const nlohmann::json& rows) { return !rows.empty() && rows[0]["status"] == 1; }));
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  Open("2024-04-01");
  CliResult done = Finish(live);
  EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
  EXPECT_EQ(Log({"--date", "2024-04-01"}).size(), 2u);

  // Killed: the scheduler takes the run over and finishes it.
  int dead = CtlStart({"run", "S", "--date", "2024-04-02"});
  ASSERT_TRUE(WaitForLog([](const nlohmann::json& rows) { return rows.size() == 3 && rows[2]["status"] == 1; }));
  kill(dead, SIGKILL);
  Finish(dead);
  Open("2024-04-02");
  CliResult sched = Ctl({"scheduler", "--once"});
  ASSERT_EQ(sched.exit_code, 0) << sched.out << sched.err;
  auto log = Log({"--date", "2024-04-02"});
  ASSERT_EQ(log.size(), 3u) << log.dump(2);
  EXPECT_EQ(log[0]["status"], 6);
  EXPECT_NE(log[0]["message"].get<std::string>().find("interrupted"), std::string::npos);
  EXPECT_EQ(log[1]["status"], 0);
  EXPECT_EQ(log[1]["prcs_nm"], "P1");
  EXPECT_EQ(log[2]["status"], 0);
  EXPECT_EQ(Runs()[1]["status"], 0);
}

TEST_F(SchedulerTest, SigtermDrainsRunningAttempts) {
  Apply("cntl_cfg_strem:\n  - {strem_nm: S}\n"
        "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
        "cntl_cfg_prcs:\n" + Sh("P1", "G", 1, WaitGate("P1")) + Sh("P2", "G", 2, "exit 0\n"));
  ASSERT_EQ(Ctl({"trigger", "S", "--date", "2024-03-01"}).exit_code, 0);
  int pid = CtlStart({"scheduler"});
  ASSERT_TRUE(WaitForLog([](const nlohmann::json& rows) { return !rows.empty() && rows[0]["status"] == 1; }));
  kill(pid, SIGTERM);
  EXPECT_TRUE(WaitForOutput("draining"));
  Open("P1");
  CliResult stopped = Finish(pid);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  EXPECT_NE(stopped.out.find("draining"), std::string::npos) << stopped.out;
  auto log = Log();
  ASSERT_EQ(log.size(), 1u) << log.dump(2);  // P1 finished; P2 did not start
  EXPECT_EQ(log[0]["status"], 0);
  // The next scheduler finishes the run.
  ASSERT_EQ(Ctl({"scheduler", "--once"}).exit_code, 0);
  EXPECT_EQ(Runs()[0]["status"], 0);
  EXPECT_EQ(Log().size(), 2u);
}

}  // namespace
}  // namespace ctlflow::testing

// Distributed execution on a real PostgreSQL: `ctlflow scheduler
// --no-local-workers` processes and `ctlflow worker` processes coordinating
// only through the database, with crashes (kill -9), a stopped worker that
// wakes up after losing its lease, and a database restart. Every test ends by
// checking the log.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "postgres_server.h"

namespace ctlflow::testing {
namespace {

class DistributedTest : public CtlflowTest {
 protected:
  void SetUp() override {
    CtlflowTest::SetUp();
    std::string error;
    url_ = CreateDatabase("dist", &error);
    ASSERT_FALSE(url_.empty()) << error;
    // Every ctlflow the test starts uses this database.
    setenv("CTLFLOW_DB", url_.c_str(), 1);
  }

  void TearDown() override {
    for (int pid : pids_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    unsetenv("CTLFLOW_DB");
    CtlflowTest::TearDown();
  }

  int Start(const std::string& name, const std::vector<std::string>& args) {
    int pid = CtlStart(args, name);
    EXPECT_GT(pid, 0);
    pids_.push_back(pid);
    return pid;
  }

  // Stops a started process and returns its result.
  CliResult Stop(int pid, const std::string& name, int sig = SIGTERM) {
    kill(pid, sig);
    pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
    return Finish(pid, name);
  }

  nlohmann::json Sql(const std::string& query) {
    CliResult r = Ctl({"sql", "--json", query});
    EXPECT_EQ(r.exit_code, 0) << query << "\n" << r.err;
    auto rows = nlohmann::json::parse(r.out, nullptr, false);
    return rows.is_discarded() ? nlohmann::json::array() : rows;
  }

  int64_t Count(const std::string& query) {
    auto rows = Sql(query);
    if (rows.empty()) return -1;
    return rows[0].begin()->get<int64_t>();
  }

  // Polls `query` (a count) until pred holds, for up to `seconds`.
  bool WaitUntil(const std::string& query, const std::function<bool(int64_t)>& pred, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      CliResult r = Ctl({"sql", "--json", query});
      if (r.exit_code == 0) {
        auto rows = nlohmann::json::parse(r.out, nullptr, false);
        if (!rows.is_discarded() && !rows.empty() && pred(rows[0].begin()->get<int64_t>())) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  // A stream of `groups` x `per_group` command processes, each a prir level
  // waiting for the one before, plus explicit edges inside the DAG.
  void ApplyDag(int groups, int per_group, const std::string& sleep_s, int retries) {
    std::string yaml = "cntl_cfg_strem:\n  - {strem_nm: DAG, max_active_runs: 10}\ncntl_cfg_prcs_grp:\n";
    for (int g = 1; g <= groups; ++g) {
      yaml += "  - {prcs_grp: G" + std::to_string(g) + ", strem_nm: DAG, prir: " + std::to_string(g) + "}\n";
    }
    yaml += "cntl_cfg_prcs:\n";
    for (int g = 1; g <= groups; ++g) {
      for (int p = 1; p <= per_group; ++p) {
        yaml += "  - {prcs_nm: P" + std::to_string(g) + "_" + std::to_string(p) + ", prcs_grp: G" +
                std::to_string(g) + ", prcs_typ: 3, af_path_nm: sleep, af_parm: '" + sleep_s +
                "', retries: " + std::to_string(retries) + ", retry_delay_s: 0}\n";
      }
    }
    yaml += groups > 1 ? "cntl_cfg_prcs_depn:\n" : "cntl_cfg_prcs_depn: []\n";
    for (int g = 2; g <= groups; ++g) {
      yaml += "  - {prcs_nm: P" + std::to_string(g) + "_1, dpnd_prcs_nm: P" + std::to_string(g - 1) + "_" +
              std::to_string(per_group) + "}\n";
    }
    WriteFile("dag.yaml", yaml);
    CliResult r = Ctl({"apply", scratch_ + "/dag.yaml"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string url_;
  std::vector<int> pids_;
};

std::string Host() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

TEST_F(DistributedTest, ThreeWorkersTwoSchedulersSurviveKillsAndADatabaseRestart) {
  ApplyDag(4, 5, "0.1", /*retries=*/3);  // 20 processes
  CliResult bf = Ctl({"backfill", "DAG", "--from", "2026-01-01", "--to", "2026-02-19"});
  ASSERT_EQ(bf.exit_code, 0) << bf.err;
  ASSERT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_strem_run"), 50);

  const std::vector<std::string> sched{"scheduler", "--no-local-workers", "--lease-s", "3"};
  const std::vector<std::string> work{"worker", "--slots", "4", "--lease-s", "3"};
  int s1 = Start("s1", sched);
  Start("s2", sched);
  int w1 = Start("w1", work);
  Start("w2", work);
  Start("w3", work);

  const std::string successes = "SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0";
  ASSERT_TRUE(WaitUntil(successes, [](int64_t n) { return n >= 100; }, 60));
  // kill -9 a worker in the middle of its attempts.
  const std::string w1_id = Host() + ":" + std::to_string(w1);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_task WHERE finished = 0 AND worker_id = '" + w1_id + "'",
                        [](int64_t n) { return n > 0; }, 20));
  kill(w1, SIGKILL);

  ASSERT_TRUE(WaitUntil(successes, [](int64_t n) { return n >= 300; }, 90));
  kill(s1, SIGKILL);

  ASSERT_TRUE(WaitUntil(successes, [](int64_t n) { return n >= 500; }, 90));
  ASSERT_TRUE(RestartPostgres());

  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE status IN (1, 2)",
                        [](int64_t n) { return n == 0; }, 240))
      << Ctl({"runs"}).out;

  // Every run succeeded, and every process has exactly one success per data_dt.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE status = 0"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT DISTINCT prcs_nm, data_dt FROM cntl_af.cntl_cfg_log"
                  " WHERE status = 0) s"),
            1000);
  EXPECT_EQ(Count(successes), 1000);
  // Nothing is left running, queued or waiting, and no task is left over.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status IN (1, 2, 5)"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_task"), 0);
  // No attempt is lost: each process's attempts are numbered 1..n.
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT run_id, prcs_nm FROM cntl_af.cntl_cfg_log"
                  " GROUP BY run_id, prcs_nm HAVING max(attempt) <> count(*)) s"),
            0);
  // Every interrupted attempt says why; the killed worker is named.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status <> 0"
                  " AND coalesce(message, '') = ''"),
            0);
  EXPECT_GT(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 6 AND message LIKE 'worker " +
                  w1_id + " lost%'"),
            0)
      << Sql("SELECT prcs_nm, status, message FROM cntl_af.cntl_cfg_log WHERE status <> 0").dump(1);
  // The surviving scheduler saw the database go away and come back.
  const std::string s2_out = ReadFile(scratch_ + "/.s2.stdout");
  EXPECT_NE(s2_out.find("database unavailable, retrying"), std::string::npos) << s2_out.substr(0, 3000);
  EXPECT_NE(s2_out.find("database reachable again"), std::string::npos);
  // The killed scheduler's runs were taken over by the other one.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE owner = '" + Host() + ":" +
                  std::to_string(s1) + "' AND status <> 0"),
            0);
}

TEST_F(DistributedTest, SigtermLetsAWorkerFinishItsAttemptsThenExit) {
  ApplyDag(1, 2, "1.5", 0);
  int s = Start("s", {"scheduler", "--no-local-workers"});
  int w = Start("w", {"worker", "--slots", "2"});
  ASSERT_EQ(Ctl({"trigger", "DAG", "--date", "2026-03-01"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 1",
                        [](int64_t n) { return n == 2; }, 20));
  CliResult stopped = Stop(w, "w");
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("draining: 2 running attempts will finish"), std::string::npos) << stopped.out;
  EXPECT_NE(stopped.out.find("worker stopped"), std::string::npos);
  // Both attempts finished and were reported before the worker exited.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0"), 2);
  EXPECT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE status = 0",
                        [](int64_t n) { return n == 1; }, 10));
  auto workers = Ctl({"workers", "--all", "--json"}).Json();
  bool seen_stopped = false;
  for (const auto& row : workers) {
    if (row["kind"] == "worker") seen_stopped = row["stopped_dt"] != "" && !row["alive"].get<bool>();
  }
  EXPECT_TRUE(seen_stopped) << workers.dump(1);
  Stop(s, "s");
}

TEST_F(DistributedTest, ALateResultFromAWorkerThatLostItsLeaseIsRefused) {
  ApplyDag(1, 1, "2", /*retries=*/1);
  Start("s", {"scheduler", "--no-local-workers", "--lease-s", "2"});
  int slow = Start("slow", {"worker", "--slots", "1", "--lease-s", "1"});
  ASSERT_EQ(Ctl({"trigger", "DAG", "--date", "2026-03-02"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 1",
                        [](int64_t n) { return n == 1; }, 20));
  // Frozen: no heartbeat, so its lease runs out and the attempt is retried
  // on another worker; woken later, its result must not count.
  kill(slow, SIGSTOP);
  Start("other", {"worker", "--slots", "1"});
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0",
                        [](int64_t n) { return n == 1; }, 30));
  kill(slow, SIGCONT);
  const std::string slow_id = Host() + ":" + std::to_string(slow);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_worker WHERE worker_id = '" + slow_id +
                            "' AND heartbeat_dt > (SELECT max(end_dt) FROM cntl_af.cntl_cfg_log)",
                        [](int64_t n) { return n == 1; }, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // its sleep 2 ends, result refused
  auto rows = Log();
  ASSERT_EQ(rows.size(), 2u) << rows.dump(1);
  EXPECT_EQ(rows[0]["status"], 6);
  EXPECT_NE(rows[0]["message"].get<std::string>().find("worker " + slow_id + " lost"), std::string::npos)
      << rows[0].dump();
  EXPECT_EQ(rows[1]["status"], 0);
  EXPECT_NE(ReadFile(rows[0]["log_path"].get<std::string>()).find("result refused"), std::string::npos);
  CliResult out = Stop(slow, "slow");
  EXPECT_NE(out.out.find("result refused"), std::string::npos) << out.out;
}

TEST_F(DistributedTest, CancelStopsAttemptsOnWorkersWithinSeconds) {
  ApplyDag(1, 3, "30", /*retries=*/2);
  Start("s", {"scheduler", "--no-local-workers"});
  Start("w", {"worker", "--slots", "2"});  // the third attempt waits in the queue
  ASSERT_EQ(Ctl({"trigger", "DAG", "--date", "2026-03-04"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 1",
                        [](int64_t n) { return n == 2; }, 20));
  const auto asked = std::chrono::steady_clock::now();
  CliResult cancel = Ctl({"cancel", "1"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE status = 97",
                        [](int64_t n) { return n == 1; }, 15));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  // All three end as failed, none retried, each saying why; no task is left.
  auto rows = Sql("SELECT status, message FROM cntl_af.cntl_cfg_log ORDER BY prcs_nm");
  ASSERT_EQ(rows.size(), 3u) << rows.dump(1);
  for (const auto& row : rows) {
    EXPECT_EQ(row["status"], 99) << row.dump();
    EXPECT_NE(row["message"].get<std::string>().find("cancel"), std::string::npos) << row.dump();
  }
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_task"), 0);
}

TEST_F(DistributedTest, QueuesRouteProcessesToTheWorkersServingThem) {
  ApplyDag(1, 2, "0", 0);
  ASSERT_EQ(Ctl({"sql", "UPDATE cntl_af.cntl_cfg_prcs SET queue = 'gpu' WHERE prcs_nm = 'P1_2'"}).exit_code, 0);
  Start("s", {"scheduler", "--no-local-workers"});
  int plain = Start("plain", {"worker"});
  ASSERT_EQ(Ctl({"trigger", "DAG", "--date", "2026-03-03"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0",
                        [](int64_t n) { return n == 1; }, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE prcs_nm = 'P1_2' AND status = 2"), 1);
  int gpu = Start("gpu", {"worker", "--queue", "gpu"});
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0",
                        [](int64_t n) { return n == 2; }, 20));
  auto rows = Sql("SELECT prcs_nm, worker_nm FROM cntl_af.cntl_cfg_log ORDER BY prcs_nm");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["worker_nm"], Host() + ":" + std::to_string(plain) + "/1");
  EXPECT_EQ(rows[1]["worker_nm"], Host() + ":" + std::to_string(gpu) + "/1");
  CliResult listed = Ctl({"workers"});
  EXPECT_NE(listed.out.find("gpu"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("alive"), std::string::npos);
}

TEST_F(DistributedTest, AQueueLimitHoldsOverAllWorkers) {
  ApplyDag(1, 4, "0.4", 0);
  ASSERT_EQ(Ctl({"sql", "UPDATE cntl_af.cntl_cfg_prcs SET queue = 'db'"}).exit_code, 0);
  CliResult limited = Ctl({"queue", "limit", "db", "--max-running", "1"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_NE(limited.out.find("at most 1 running"), std::string::npos) << limited.out;
  EXPECT_EQ(Ctl({"queue", "limit", "db"}).exit_code, 2);  // neither --max-running nor --unlimited
  Start("s", {"scheduler", "--no-local-workers"});
  Start("w1", {"worker", "--slots", "2", "--queue", "db"});
  Start("w2", {"worker", "--slots", "2", "--queue", "db"});
  ASSERT_EQ(Ctl({"trigger", "DAG", "--date", "2026-03-05"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 1",
                        [](int64_t n) { return n == 1; }, 20));
  auto listed = Ctl({"queue", "list", "--json"}).Json();
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["max_running"], 1);
  EXPECT_EQ(listed[0]["running"], 1);
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0",
                        [](int64_t n) { return n == 4; }, 30));
  // One at a time: no two attempts' [start, end] overlap.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log a JOIN cntl_af.cntl_cfg_log b"
                  " ON a.prcs_nm < b.prcs_nm AND a.start_dt < b.end_dt AND b.start_dt < a.end_dt"),
            0)
      << Sql("SELECT prcs_nm, worker_nm, start_dt, end_dt FROM cntl_af.cntl_cfg_log").dump(1);
}

TEST_F(DistributedTest, TwoSchedulersOnOneScheduleCreateEachRunOnce) {
  ApplyDag(1, 1, "0", 0);
  WriteFile("sched.yaml",
            "cntl_cfg_schedule:\n  - {prcs_nm: DAG, minutes: '0', hours: '0', day_month: '*', months: '*',"
            " catchup: 1, start_dt: '2026-01-01 00:00:00', end_dt: '2026-01-30 00:00:00'}\n");
  ASSERT_EQ(Ctl({"apply", scratch_ + "/sched.yaml"}).exit_code, 0);
  Start("s1", {"scheduler", "--no-local-workers"});
  Start("s2", {"scheduler", "--no-local-workers"});
  Start("w1", {"worker", "--slots", "4"});
  Start("w2", {"worker", "--slots", "4"});
  ASSERT_TRUE(WaitUntil("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE status = 0",
                        [](int64_t n) { return n == 30; }, 60))
      << Ctl({"runs"}).out;
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_strem_run"), 30);
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log"), 30);
  EXPECT_EQ(Count("SELECT count(DISTINCT data_dt) FROM cntl_af.cntl_cfg_log WHERE status = 0"), 30);
  // Both schedulers did some of the work.
  EXPECT_EQ(Count("SELECT count(DISTINCT owner) FROM cntl_af.cntl_strem_run"), 2);
}

TEST_F(DistributedTest, ForegroundRunsAndLocalSchedulersWorkOnPostgresToo) {
  ApplyDag(2, 2, "0", 0);
  CliResult run = Ctl({"run", "DAG", "--date", "2026-03-06"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  ASSERT_EQ(Ctl({"backfill", "DAG", "--from", "2026-03-07", "--to", "2026-03-08"}).exit_code, 0);
  CliResult sched = Ctl({"scheduler", "--once", "--workers", "2"});
  EXPECT_EQ(sched.exit_code, 0) << sched.out << sched.err;
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_strem_run WHERE status = 0"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_cfg_log WHERE status = 0"), 12);
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_task"), 0);  // local workers use no queue
  // Both registered and, having ended cleanly, are marked stopped.
  EXPECT_EQ(Count("SELECT count(*) FROM cntl_af.cntl_worker WHERE stopped_dt IS NULL"), 0);
  EXPECT_EQ(Count("SELECT count(DISTINCT kind) FROM cntl_af.cntl_worker"), 2);
}

TEST_F(DistributedTest, WorkersAndRemoteOnlySchedulersNeedPostgres) {
  unsetenv("CTLFLOW_DB");
  CliResult w = Ctl({"worker"});
  EXPECT_EQ(w.exit_code, 2);  // bad input
  EXPECT_NE(w.err.find("ctlflow worker needs a PostgreSQL metadata store"), std::string::npos) << w.err;
  CliResult s = Ctl({"scheduler", "--no-local-workers", "--once"});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("--no-local-workers needs a PostgreSQL metadata store"), std::string::npos) << s.err;
  CliResult bad = Ctl({"--db", "mysql://x", "runs"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--db must be a postgresql:// URL"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace ctlflow::testing

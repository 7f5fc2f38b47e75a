// The scheduler on a fake clock: which runs a schedule creates, with their
// data_dt and interval, for catchup, no catchup, pause, time zones and DST.
// No sleeping: time only moves when the test says so.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "cron/timezone.h"
#include "executor/run_engine.h"
#include "scheduler/scheduler.h"

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::seconds(unix_)); }
  int64_t UnixNow() const override { return unix_; }
  void Set(const std::string& utc) {
    auto c = ParseCivil(utc);
    ASSERT_TRUE(c.ok()) << utc;
    unix_ = SecondsFromCivil(*c);
  }

 private:
  int64_t unix_ = 0;
};

class SchedulerUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ctlflow-sched-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = OpenSqliteMetadataStore(dir_ + "/cntl_af.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
    connections_ = std::make_unique<ConnectionRegistry>(dir_);
    engine_ = std::make_unique<RunEngine>(*store_, *connections_, dir_, clock_, EngineOptions{1, "test-"});
    // Nothing runs in these tests: the engine is never polled.
    engine_->Drain();
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // One stream S with one process and the given schedule columns.
  void Configure(const std::string& minutes, const std::string& hours, const std::string& tz,
                 bool catchup, const std::string& start_dt, int64_t max_active_runs = 1) {
    std::string sql =
        "INSERT INTO cntl_cfg_strem (strem_nm, max_active_runs) VALUES ('S', " + std::to_string(max_active_runs) + ");"
        "INSERT INTO cntl_cfg_prcs_grp (prcs_grp, strem_nm) VALUES ('G', 'S');"
        "INSERT INTO cntl_cfg_prcs (prcs_nm, prcs_grp, prcs_typ, af_path_nm) VALUES ('P', 'G', 3, 'true');"
        "INSERT INTO cntl_cfg_schedule (prcs_nm, minutes, hours, day_month, months, tz, catchup, start_dt)"
        " VALUES ('S', '" + minutes + "', '" + hours + "', '*', '*', '" + tz + "', " + (catchup ? "1" : "0") +
        ", " + (start_dt.empty() ? std::string("NULL") : "'" + start_dt + "'") + ")";
    auto r = store_->ExecuteSql(sql);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }

  std::vector<RunRecord> Runs() {
    auto runs = store_->ListRuns(RunFilter{});
    EXPECT_TRUE(runs.ok());
    return runs.ok() ? *runs : std::vector<RunRecord>{};
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<ConnectionRegistry> connections_;
  std::unique_ptr<RunEngine> engine_;
};

TEST_F(SchedulerUnitTest, DataDtIsTheStartOfTheIntervalNotTheWallClock) {
  Configure("0", "15", "UTC", false, "");
  clock_.Set("2024-11-17 15:00:30");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].data_dt, "2024-11-16");
  EXPECT_EQ(runs[0].interval_start, "2024-11-16 15:00:00");
  EXPECT_EQ(runs[0].interval_end, "2024-11-17 15:00:00");
  EXPECT_EQ(runs[0].run_typ, "scheduled");
  // Later the same day: nothing new.
  clock_.Set("2024-11-17 23:00:00");
  ASSERT_TRUE(scheduler.Tick().ok());
  EXPECT_EQ(Runs().size(), 1u);
  // The next day's fire creates the next interval.
  clock_.Set("2024-11-18 15:00:00");
  ASSERT_TRUE(scheduler.Tick().ok());
  ASSERT_EQ(Runs().size(), 2u);
  EXPECT_EQ(Runs()[1].data_dt, "2024-11-17");
}

TEST_F(SchedulerUnitTest, CatchupCreatesEveryMissedIntervalOldestFirst) {
  Configure("0", "15", "UTC", true, "2024-11-10");
  clock_.Set("2024-11-15 16:00:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  // Fires on the 10th..15th at 15:00: five whole intervals.
  ASSERT_EQ(runs.size(), 5u);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].data_dt, "2024-11-1" + std::to_string(i));
  // max_active_runs = 1: only the oldest was started.
  int running = 0;
  for (const auto& r : runs) running += r.status == static_cast<int64_t>(RunStatus::kRunning);
  EXPECT_EQ(running, 1);
  EXPECT_EQ(runs[0].status, static_cast<int64_t>(RunStatus::kRunning));
  // A restart (a new Scheduler) does not create them again.
  Scheduler again(*store_, *engine_, clock_);
  ASSERT_TRUE(again.Tick().ok());
  EXPECT_EQ(Runs().size(), 5u);
}

TEST_F(SchedulerUnitTest, NoCatchupCreatesOnlyTheLatestAndUnpauseDoesNotFlood) {
  Configure("0", "15", "UTC", false, "2024-11-01");
  ASSERT_TRUE(store_->SetPaused("S", true).ok());
  clock_.Set("2024-11-03 16:00:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  EXPECT_EQ(Runs().size(), 0u);
  clock_.Set("2024-11-20 16:00:00");
  ASSERT_TRUE(store_->SetPaused("S", false).ok());
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].data_dt, "2024-11-19");
}

TEST_F(SchedulerUnitTest, CatchupAfterAPauseResumesFromTheLastRun) {
  Configure("0", "15", "UTC", true, "2024-11-10");
  clock_.Set("2024-11-11 16:00:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  ASSERT_EQ(Runs().size(), 1u);
  clock_.Set("2024-11-14 16:00:00");
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[3].data_dt, "2024-11-13");
}

TEST_F(SchedulerUnitTest, TimeZoneDecidesTheFireInstantAndTheDataDt) {
  // 15:00 in Bangkok is 08:00 UTC.
  Configure("0", "15", "Asia/Bangkok", false, "");
  clock_.Set("2024-11-17 07:59:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].data_dt, "2024-11-15");  // the interval that ended on the 16th
  clock_.Set("2024-11-17 08:00:00");
  ASSERT_TRUE(scheduler.Tick().ok());
  ASSERT_EQ(Runs().size(), 2u);
  EXPECT_EQ(Runs()[1].data_dt, "2024-11-16");
  EXPECT_EQ(Runs()[1].interval_end, "2024-11-17 08:00:00");
}

TEST_F(SchedulerUnitTest, SpringForwardGapRunsOnceAtTheFirstValidInstant) {
  // 02:30 does not exist in Berlin on 2024-03-31 (02:00 -> 03:00 CEST).
  Configure("30", "2", "Europe/Berlin", true, "2024-03-29");
  clock_.Set("2024-04-02 12:00:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  // Fires: 03-29, 03-30, 03-31 (at 03:00 CEST = 01:00Z), 04-01, 04-02.
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[1].data_dt, "2024-03-30");
  EXPECT_EQ(runs[1].interval_end, "2024-03-31 01:00:00");
  EXPECT_EQ(runs[2].data_dt, "2024-03-31");
  EXPECT_EQ(runs[2].interval_start, "2024-03-31 01:00:00");
  EXPECT_EQ(runs[2].interval_end, "2024-04-01 00:30:00");
}

TEST_F(SchedulerUnitTest, FallBackOverlapRunsOnce) {
  // 02:30 happens twice in Berlin on 2024-10-27; only the first counts.
  Configure("30", "2", "Europe/Berlin", true, "2024-10-26");
  clock_.Set("2024-10-28 12:00:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].interval_end, "2024-10-27 00:30:00");  // 02:30 CEST
  EXPECT_EQ(runs[1].interval_start, "2024-10-27 00:30:00");
  EXPECT_EQ(runs[1].interval_end, "2024-10-28 01:30:00");  // 02:30 CET
}

TEST_F(SchedulerUnitTest, NewYorkDaylightSavingDays) {
  Configure("30", "2", "America/New_York", true, "2024-03-09");
  clock_.Set("2024-03-12 12:00:00");
  Scheduler scheduler(*store_, *engine_, clock_);
  ASSERT_TRUE(scheduler.Tick().ok());
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 3u);
  // 2024-03-10 02:30 does not exist in New York: it fires at 03:00 EDT = 07:00Z.
  EXPECT_EQ(runs[0].interval_end, "2024-03-10 07:00:00");
  EXPECT_EQ(runs[1].interval_end, "2024-03-11 06:30:00");
}

TEST(RetryDelayTest, DoublesPerRetryAndIsCapped) {
  EXPECT_EQ(RetryDelay(60, 2).count(), 60);
  EXPECT_EQ(RetryDelay(60, 3).count(), 120);
  EXPECT_EQ(RetryDelay(60, 4).count(), 240);
  EXPECT_EQ(RetryDelay(60, 20).count(), 3600);
  EXPECT_EQ(RetryDelay(0, 5).count(), 0);
  EXPECT_EQ(RetryDelay(-5, 2).count(), 0);
}

}  // namespace
}  // namespace ctlflow

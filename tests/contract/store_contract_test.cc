// The metadata-store contract: every behaviour the scheduler, the engine,
// the workers and the CLI rely on, run once per backend. A backend is only
// supported if this whole suite passes on it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "postgres_server.h"
#include "store/metadata_store.h"

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      char tmpl[] = "/tmp/ctlflow-contract-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
    } else {
      std::string error;
      url_ = testing::CreateDatabase("contract", &error);
      ASSERT_FALSE(url_.empty()) << error;
    }
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<MetadataStore> Open() {
    auto s = url_.empty() ? OpenSqliteMetadataStore(dir_ + "/cntl_af.db") : OpenPostgresMetadataStore(url_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok()) return nullptr;
    Status migrated = (*s)->Migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.message();
    return std::move(*s);
  }

  // One upsert of `table` with the given columns set.
  static UpsertRow Upsert(const TableDef& t, const std::map<std::string, Value>& cols) {
    UpsertRow up;
    up.row.values.resize(t.columns.size());
    up.present.assign(t.columns.size(), false);
    for (const auto& [name, value] : cols) {
      int i = t.ColumnIndex(name);
      EXPECT_GE(i, 0) << name;
      up.row.values[i] = value;
      up.present[i] = true;
    }
    return up;
  }

  // A stream S with processes P1 (and P2) in group G.
  void ApplyStream(bool with_p2 = true) {
    std::vector<TableChange> changes(3);
    changes[0].table = FindControlTable(kStreamTable);
    changes[0].upserts.push_back(Upsert(*changes[0].table, {{"strem_nm", "S"}}));
    changes[1].table = FindControlTable(kGroupTable);
    changes[1].upserts.push_back(Upsert(*changes[1].table, {{"prcs_grp", "G"}, {"strem_nm", "S"}}));
    changes[2].table = FindControlTable(kProcessTable);
    changes[2].upserts.push_back(
        Upsert(*changes[2].table, {{"prcs_nm", "P1"}, {"prcs_grp", "G"}, {"prcs_typ", int64_t{3}}}));
    if (with_p2) {
      changes[2].upserts.push_back(Upsert(*changes[2].table, {{"prcs_nm", "P2"},
                                                              {"prcs_grp", "G"},
                                                              {"prcs_typ", int64_t{3}},
                                                              {"queue", "gpu"}}));
    }
    changes[2].prune = true;
    auto r = store_->ApplyChanges(changes, nullptr, false);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }

  int64_t NewRun(const std::string& date, const std::string& typ = "scheduled",
                 RunStatus status = RunStatus::kQueued) {
    RunRecord run;
    run.strem_nm = "S";
    run.data_dt = date;
    run.status = static_cast<int64_t>(status);
    run.run_typ = typ;
    auto id = store_->CreateRun(run);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : 0;
  }

  AttemptRecord Attempt(int64_t run_id, const std::string& prcs, int64_t n, AttemptStatus st) {
    AttemptRecord a;
    a.prcs_nm = prcs;
    a.data_dt = "2026-01-01";
    a.status = static_cast<int64_t>(st);
    a.run_id = run_id;
    a.attempt = n;
    a.strem_nm = "S";
    return a;
  }

  void Queue(int64_t run_id, const std::string& prcs, int64_t n, const std::string& queue = "default",
             int64_t prir = 1) {
    ASSERT_TRUE(store_->InsertAttempt(Attempt(run_id, prcs, n, AttemptStatus::kQueued)).ok());
    TaskRecord t;
    t.run_id = run_id;
    t.prcs_nm = prcs;
    t.attempt = n;
    t.queue = queue;
    t.prir = prir;
    t.spec = "{}";
    t.log_path = "/tmp/" + prcs + ".log";
    Status st = store_->EnqueueTask(t);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  WorkerRecord Worker(const std::string& id, int64_t lease_s = 30) {
    WorkerRecord w;
    w.worker_id = id;
    w.kind = "worker";
    w.host = "h";
    w.pid = 1;
    w.slots = 4;
    w.queues = "default";
    w.lease_s = lease_s;
    return w;
  }

  std::string dir_, url_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_P(StoreContract, MigrateIsIdempotentAndVersioned) {
  EXPECT_TRUE(store_->Migrate().ok());
  auto again = Open();
  ASSERT_NE(again, nullptr);
  auto v = store_->SchemaVersion();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  EXPECT_STREQ(store_->BackendName(), GetParam() == "sqlite" ? "sqlite" : "postgresql");
}

TEST_P(StoreContract, ApplyInsertsUpdatesPrunesAndReadsBack) {
  ApplyStream();
  auto tables = store_->ReadConfigTables();
  ASSERT_TRUE(tables.ok());
  const TableDef* prcs = FindControlTable(kProcessTable);
  for (const auto& t : *tables) {
    if (t.table != prcs) continue;
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(ValueToString(t.rows[0].values[prcs->ColumnIndex("prcs_nm")]), "P1");
    EXPECT_EQ(ValueToString(t.rows[0].values[prcs->ColumnIndex("conn_nm")]), "warehouse");  // default
    EXPECT_EQ(ValueToString(t.rows[1].values[prcs->ColumnIndex("queue")]), "gpu");
  }
  ApplyStream(/*with_p2=*/false);  // prune removes P2
  auto after = store_->ExecuteSql("SELECT count(*) FROM cntl_af.cntl_cfg_prcs");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->rows[0][0], Value(int64_t{1}));
}

TEST_P(StoreContract, ApplyValidatorAndDryRunLeaveNothing) {
  std::vector<TableChange> changes(1);
  changes[0].table = FindControlTable(kStreamTable);
  changes[0].upserts.push_back(Upsert(*changes[0].table, {{"strem_nm", "X"}}));
  auto refused = store_->ApplyChanges(changes, [](const std::vector<TableRows>&) {
    return Status::Invalid("no");
  }, false);
  EXPECT_FALSE(refused.ok());
  auto dry = store_->ApplyChanges(changes, nullptr, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->at(0).inserted.size(), 1u);
  auto n = store_->ExecuteSql("SELECT count(*) FROM cntl_af.cntl_cfg_strem");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->rows[0][0], Value(int64_t{0}));
}

TEST_P(StoreContract, BadValueIsRefusedNamingTheRow) {
  std::vector<TableChange> changes(1);
  changes[0].table = FindControlTable(kStreamTable);
  changes[0].upserts.push_back(Upsert(*changes[0].table, {{"strem_nm", "X"}, {"act_f", int64_t{7}}}));
  auto r = store_->ApplyChanges(changes, nullptr, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cntl_cfg_strem row X"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("act_f"), std::string::npos) << r.status().message();
}

TEST_P(StoreContract, ChangeCounterMovesOnConfigEditsOnly) {
  auto before = store_->ChangeCounter();
  ASSERT_TRUE(before.ok());
  NewRun("2026-01-01");  // not config
  auto same = store_->ChangeCounter();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *before);
  ApplyStream();
  auto moved = store_->ChangeCounter();
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(*moved, *before);
  // Plain SQL edits count too, and another connection sees them.
  auto other = Open();
  ASSERT_TRUE(other->ExecuteSql("UPDATE cntl_af.cntl_cfg_prcs SET prir = 2 WHERE prcs_nm = 'P1'").ok());
  auto seen = store_->ChangeCounter();
  ASSERT_TRUE(seen.ok());
  EXPECT_NE(*seen, *moved);
}

TEST_P(StoreContract, ExecuteSqlRunsSeveralStatementsAndReturnsTheLast) {
  auto r = store_->ExecuteSql(
      "INSERT INTO cntl_af.cntl_cfg_strem (strem_nm) VALUES ('A');"
      "INSERT INTO cntl_af.cntl_cfg_strem (strem_nm) VALUES ('B');"
      "SELECT strem_nm FROM cntl_af.cntl_cfg_strem ORDER BY strem_nm");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[1][0], Value(std::string("B")));
  auto bad = store_->ExecuteSql("SELECT no_such_column FROM cntl_af.cntl_cfg_strem");
  EXPECT_FALSE(bad.ok());
}

TEST_P(StoreContract, ScheduledRunsAreUniquePerDateManualOnesAreNot) {
  int64_t a = NewRun("2026-01-01");
  EXPECT_GT(a, 0);
  RunRecord dup;
  dup.strem_nm = "S";
  dup.data_dt = "2026-01-01";
  dup.status = static_cast<int64_t>(RunStatus::kQueued);
  dup.run_typ = "dependency";
  auto conflict = store_->CreateRun(dup);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), ErrorCode::kConflict);
  EXPECT_GT(NewRun("2026-01-01", "manual"), a);
  EXPECT_GT(NewRun("2026-01-01", "manual"), a);
}

TEST_P(StoreContract, AConflictInsideABatchDoesNotAbortIt) {
  NewRun("2026-01-01");
  Status st = store_->Batch([&]() -> Status {
    RunRecord dup;
    dup.strem_nm = "S";
    dup.data_dt = "2026-01-01";
    dup.status = static_cast<int64_t>(RunStatus::kQueued);
    dup.run_typ = "scheduled";
    auto r = store_->CreateRun(dup);
    EXPECT_EQ(r.status().code(), ErrorCode::kConflict);
    return store_->SetPaused("S", true);  // still works after the conflict
  });
  ASSERT_TRUE(st.ok()) << st.message();
  auto paused = store_->PausedStreams();
  ASSERT_TRUE(paused.ok());
  EXPECT_EQ(*paused, std::vector<std::string>{"S"});
}

TEST_P(StoreContract, AFailedBatchLeavesNothing) {
  Status st = store_->Batch([&]() -> Status {
    NewRun("2026-01-02");
    return Status::Internal("boom");
  });
  EXPECT_FALSE(st.ok());
  auto runs = store_->ListRuns({});
  ASSERT_TRUE(runs.ok());
  EXPECT_TRUE(runs->empty());
}

TEST_P(StoreContract, RunTransitionsAreCompareAndSet) {
  int64_t id = NewRun("2026-01-01");
  EXPECT_TRUE(store_->StartRun(id, "h:1").ok());
  EXPECT_EQ(store_->StartRun(id, "h:2").code(), ErrorCode::kConflict);
  auto runs = store_->ListRuns(RunFilter{.run_id = id});
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->at(0).owner, "h:1");
  EXPECT_FALSE(runs->at(0).start_dt.empty());
  EXPECT_EQ(store_->ClaimRun(id, "h:9", "h:2").code(), ErrorCode::kConflict);
  EXPECT_TRUE(store_->ClaimRun(id, "h:1", "h:2").ok());
  EXPECT_EQ(store_->TransitionRun(id, RunStatus::kQueued, RunStatus::kRunning, "").code(), ErrorCode::kConflict);
  EXPECT_TRUE(store_->TransitionRun(id, RunStatus::kRunning, RunStatus::kSuccess, "done").ok());
  EXPECT_EQ(store_->TransitionRun(id, RunStatus::kSuccess, RunStatus::kRunning, "").code(), ErrorCode::kInternal);
  auto done = store_->ListRuns(RunFilter{.statuses = {RunStatus::kSuccess}});
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(done->at(0).message, "done");
  EXPECT_FALSE(done->at(0).end_dt.empty());
}

TEST_P(StoreContract, ListRunsFiltersAndLimits) {
  NewRun("2026-01-01");
  NewRun("2026-01-02");
  int64_t third = NewRun("2026-01-03");
  auto by_date = store_->ListRuns(RunFilter{.data_dt = std::string("2026-01-02")});
  ASSERT_TRUE(by_date.ok());
  ASSERT_EQ(by_date->size(), 1u);
  auto last = store_->ListRuns(RunFilter{.stream = std::string("S"), .limit = 1});
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(last->at(0).run_id, third);
  auto none = store_->ListRuns(RunFilter{.stream = std::string("T")});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreContract, LastIntervalEndIsTheNewestScheduledOne) {
  RunRecord run;
  run.strem_nm = "S";
  run.status = static_cast<int64_t>(RunStatus::kQueued);
  run.run_typ = "scheduled";
  for (const char* d : {"2026-01-01", "2026-01-02"}) {
    run.data_dt = d;
    run.interval_start = std::string(d) + " 00:00:00";
    run.interval_end = std::string(d) + " 23:59:59";
    ASSERT_TRUE(store_->CreateRun(run).ok());
  }
  auto end = store_->LastIntervalEnd("S");
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, "2026-01-02 23:59:59");
  auto none = store_->LastIntervalEnd("T");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
}

TEST_P(StoreContract, CancelQueuedAtOnceRunningByRequest) {
  int64_t queued = NewRun("2026-01-01");
  int64_t running = NewRun("2026-01-02");
  ASSERT_TRUE(store_->StartRun(running, "h:1").ok());
  auto q = store_->RequestCancel(queued, "test");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, RunStatus::kQueued);
  auto r = store_->RequestCancel(running, "test");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RunStatus::kRunning);
  auto runs = store_->ListRuns({});
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->at(0).status, static_cast<int64_t>(RunStatus::kCancelled));
  EXPECT_EQ(runs->at(1).status, static_cast<int64_t>(RunStatus::kRunning));
  EXPECT_TRUE(runs->at(1).cancel_requested);
  EXPECT_EQ(store_->RequestCancel(999, "x").status().code(), ErrorCode::kNotFound);
}

TEST_P(StoreContract, ClearRequeuesAFinishedRunAndKeepsItsAttempts) {
  int64_t id = NewRun("2026-01-01");
  ASSERT_TRUE(store_->StartRun(id, "h:1").ok());
  ASSERT_TRUE(store_->InsertAttempt(Attempt(id, "P1", 1, AttemptStatus::kUpstreamFailed)).ok());
  ASSERT_TRUE(store_->TransitionRun(id, RunStatus::kRunning, RunStatus::kFailed, "x").ok());
  EXPECT_FALSE(store_->ClearRun(id, RunStatus::kRunning, {}).ok());
  ASSERT_TRUE(store_->ClearRun(id, RunStatus::kFailed, {{"P1", 1}}).ok());
  auto clears = store_->ListClears(id);
  ASSERT_TRUE(clears.ok());
  ASSERT_EQ(clears->size(), 1u);
  EXPECT_EQ(clears->at(0).after_attempt, 1);
  auto log = store_->QueryLog(LogFilter{.run_id = id});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 1u);
}

TEST_P(StoreContract, ConnectionsAndPause) {
  ConnectionDef d{"wh", "postgres", "postgresql://u@h/db", "PW", "", ""};
  ASSERT_TRUE(store_->UpsertConnection(d).ok());
  d.url = "postgresql://u@h/db2";
  ASSERT_TRUE(store_->UpsertConnection(d).ok());
  auto list = store_->ListConnections();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->at(0).url, "postgresql://u@h/db2");
  EXPECT_TRUE(store_->RemoveConnection("wh").ok());
  EXPECT_EQ(store_->RemoveConnection("wh").code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store_->SetPaused("S", true).ok());
  ASSERT_TRUE(store_->SetPaused("S", false).ok());
  auto paused = store_->PausedStreams();
  ASSERT_TRUE(paused.ok());
  EXPECT_TRUE(paused->empty());
}

TEST_P(StoreContract, AttemptsAreUniqueAndTransitionsChecked) {
  int64_t id = NewRun("2026-01-01");
  ASSERT_TRUE(store_->InsertAttempt(Attempt(id, "P1", 1, AttemptStatus::kQueued)).ok());
  EXPECT_EQ(store_->InsertAttempt(Attempt(id, "P1", 1, AttemptStatus::kQueued)).code(), ErrorCode::kConflict);
  EXPECT_EQ(store_->InsertAttempt(Attempt(id, "P1", 2, AttemptStatus::kRunning)).code(), ErrorCode::kInternal);
  EXPECT_EQ(store_->TransitionAttempt(id, "P1", 1, AttemptStatus::kRunning, AttemptStatus::kSuccess, {}).code(),
            ErrorCode::kConflict);
  EXPECT_EQ(store_->TransitionAttempt(id, "P1", 1, AttemptStatus::kQueued, AttemptStatus::kSuccess, {}).code(),
            ErrorCode::kInternal);
  ASSERT_TRUE(store_->TransitionAttempt(id, "P1", 1, AttemptStatus::kQueued, AttemptStatus::kRunning,
                                        AttemptUpdate{.start_dt = "t0", .worker_nm = "w/1"}).ok());
  ASSERT_TRUE(store_->TransitionAttempt(id, "P1", 1, AttemptStatus::kRunning, AttemptStatus::kSuccess,
                                        AttemptUpdate{.end_dt = "t1", .message = "ok", .source_row = 5,
                                                      .target_row = 4}).ok());
  auto log = store_->QueryLog(LogFilter{.process = std::string("P1")});
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  const auto& a = log->at(0);
  EXPECT_EQ(a.start_dt, "t0");
  EXPECT_EQ(a.end_dt, "t1");
  EXPECT_EQ(a.worker_nm, "w/1");
  EXPECT_EQ(a.source_row, 5);
  EXPECT_EQ(a.target_row, 4);
  auto ok = store_->HasSucceeded("P1", "2026-01-01");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  auto other = store_->HasSucceeded("P1", "2026-01-02");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);
}

TEST_P(StoreContract, ManyAttemptsGoInAndMoveTogether) {
  int64_t id = NewRun("2026-01-01");
  std::vector<AttemptRecord> rows;
  for (int i = 0; i < 1500; ++i) rows.push_back(Attempt(id, "P" + std::to_string(i), 1, AttemptStatus::kQueued));
  ASSERT_TRUE(store_->InsertAttempts(rows).ok());  // more than one statement's worth
  EXPECT_EQ(store_->InsertAttempts({rows[7]}).code(), ErrorCode::kConflict);
  auto queued = store_->QueryLog(LogFilter{.run_id = id});
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1500u);
  EXPECT_EQ(queued->at(1499).prcs_nm, "P1499");  // insertion order kept
  EXPECT_FALSE(queued->at(0).queued_dt.empty());
  std::vector<AttemptTransition> moves;
  for (int i = 0; i < 2; ++i) {
    moves.push_back({id, "P" + std::to_string(i), 1, AttemptStatus::kQueued, AttemptStatus::kRunning, "", "", {}, {}});
  }
  ASSERT_TRUE(store_->TransitionAttempts(moves).ok());
  std::vector<AttemptTransition> finals{
      {id, "P0", 1, AttemptStatus::kRunning, AttemptStatus::kSuccess, "t9", "ok", 10, 9},
      {id, "P1", 1, AttemptStatus::kRunning, AttemptStatus::kUpForRetry, "t9", "retrying", {}, {}}};
  ASSERT_TRUE(store_->TransitionAttempts(finals).ok());
  // A transition from the wrong state is a Conflict, never a silent write.
  EXPECT_EQ(store_->TransitionAttempts(finals).code(), ErrorCode::kConflict);
  EXPECT_EQ(store_->TransitionAttempts({{id, "P2", 1, AttemptStatus::kQueued, AttemptStatus::kSuccess, "", "", {}, {}}})
                .code(),
            ErrorCode::kInternal);
  auto p0 = store_->QueryLog(LogFilter{.process = std::string("P0")});
  ASSERT_TRUE(p0.ok());
  EXPECT_EQ(p0->at(0).status, 0);
  EXPECT_EQ(p0->at(0).end_dt, "t9");
  EXPECT_EQ(p0->at(0).target_row, 9);
}

TEST_P(StoreContract, ManyTasksAreQueuedTogether) {
  int64_t id = NewRun("2026-01-01");
  std::vector<TaskRecord> tasks;
  for (int i = 0; i < 5000; ++i) {
    TaskRecord t;
    t.run_id = id;
    t.prcs_nm = "P" + std::to_string(i);
    t.attempt = 1;
    t.spec = "{}";
    t.log_path = "/tmp/x";
    tasks.push_back(t);
  }
  ASSERT_TRUE(store_->EnqueueTasks(tasks).ok());
  auto listed = store_->ListTasks(id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 5000u);
  EXPECT_EQ(listed->at(0).queue, "default");
  EXPECT_EQ(store_->EnqueueTask(tasks[0]).code(), ErrorCode::kConflict);
}

TEST_P(StoreContract, LogKeepsInsertionOrderAndFilters) {
  int64_t id = NewRun("2026-01-01");
  for (const char* p : {"Z", "A", "M"}) {
    ASSERT_TRUE(store_->InsertAttempt(Attempt(id, p, 1, AttemptStatus::kSkipped)).ok());
  }
  auto log = store_->QueryLog(LogFilter{.run_id = id});
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ(log->at(0).prcs_nm, "Z");
  EXPECT_EQ(log->at(2).prcs_nm, "M");
  auto last = store_->QueryLog(LogFilter{.run_id = id, .limit = 1});
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(last->at(0).prcs_nm, "M");
  auto by_status = store_->QueryLog(LogFilter{.status = int64_t{0}});
  ASSERT_TRUE(by_status.ok());
  EXPECT_TRUE(by_status->empty());
}

TEST_P(StoreContract, RecoverInterruptedSparesAttemptsWorkersHold) {
  int64_t id = NewRun("2026-01-01");
  ASSERT_TRUE(store_->InsertAttempt(Attempt(id, "LOCAL", 1, AttemptStatus::kQueued)).ok());
  ASSERT_TRUE(store_->TransitionAttempt(id, "LOCAL", 1, AttemptStatus::kQueued, AttemptStatus::kRunning, {}).ok());
  Queue(id, "REMOTE", 1);
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1")).ok());
  auto claimed = store_->ClaimTasks("w1", {"default"}, {"w1/1"});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  auto recovered = store_->RecoverInterrupted(id, "interrupted: test");
  ASSERT_TRUE(recovered.ok());
  ASSERT_EQ(recovered->size(), 1u);
  EXPECT_EQ(recovered->at(0).prcs_nm, "LOCAL");
  auto log = store_->QueryLog(LogFilter{.process = std::string("REMOTE")});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->at(0).status, static_cast<int64_t>(AttemptStatus::kRunning));
}

TEST_P(StoreContract, WorkersRegisterHeartbeatAndStop) {
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1")).ok());
  auto alive = store_->WorkerAlive("w1");
  ASSERT_TRUE(alive.ok());
  ASSERT_TRUE(alive->has_value());
  EXPECT_TRUE(**alive);
  auto unknown = store_->WorkerAlive("nobody");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  auto beat = store_->Heartbeat("w1");
  ASSERT_TRUE(beat.ok()) << beat.status().message();
  ASSERT_TRUE(store_->StopWorker("w1").ok());
  EXPECT_EQ(store_->Heartbeat("w1").status().code(), ErrorCode::kNotFound);
  auto stopped = store_->WorkerAlive("w1");
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(**stopped);
  // Registering again (a restart with the same id) revives it.
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1")).ok());
  auto list = store_->ListWorkers();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->at(0).alive);
  EXPECT_EQ(list->at(0).slots, 4);
}

TEST_P(StoreContract, AWorkerPastItsLeaseIsNotAlive) {
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1", /*lease_s=*/1)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto alive = store_->WorkerAlive("w1");
  ASSERT_TRUE(alive.ok());
  EXPECT_FALSE(**alive);
}

TEST_P(StoreContract, ClaimTakesQueueAndOrderAndMarksRunning) {
  int64_t id = NewRun("2026-01-01");
  Queue(id, "LATE", 1, "default", 5);
  Queue(id, "GPU", 1, "gpu", 1);
  Queue(id, "FIRST", 1, "default", 1);
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1")).ok());
  auto claimed = store_->ClaimTasks("w1", {"default"}, {"w1/1"});
  ASSERT_TRUE(claimed.ok()) << claimed.status().message();
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->at(0).prcs_nm, "FIRST");
  EXPECT_FALSE(claimed->at(0).lease_until.empty());
  auto more = store_->ClaimTasks("w1", {"default"}, {"w1/2", "w1/3"});
  ASSERT_TRUE(more.ok());
  ASSERT_EQ(more->size(), 1u);
  EXPECT_EQ(more->at(0).prcs_nm, "LATE");
  auto log = store_->QueryLog(LogFilter{.process = std::string("FIRST")});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->at(0).status, static_cast<int64_t>(AttemptStatus::kRunning));
  EXPECT_EQ(log->at(0).worker_nm, "w1/1");
  EXPECT_EQ(log->at(0).log_path, "/tmp/FIRST.log");
  auto gpu = store_->QueryLog(LogFilter{.process = std::string("GPU")});
  EXPECT_EQ(gpu->at(0).status, static_cast<int64_t>(AttemptStatus::kQueued));
}

TEST_P(StoreContract, ConcurrentClaimersNeverShareATask) {
  int64_t id = NewRun("2026-01-01");
  constexpr int kTasks = 60;
  for (int i = 0; i < kTasks; ++i) Queue(id, "P" + std::to_string(i), 1);
  std::vector<std::unique_ptr<MetadataStore>> stores;
  for (int w = 0; w < 3; ++w) {
    stores.push_back(Open());
    ASSERT_TRUE(stores.back()->RegisterWorker(Worker("w" + std::to_string(w))).ok());
  }
  std::mutex mu;
  std::multiset<std::string> seen;
  std::vector<std::thread> threads;
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      const std::string me = "w" + std::to_string(w);
      for (int round = 0; round < 200; ++round) {
        auto got = stores[w]->ClaimTasks(me, {"default"}, {me + "/1", me + "/2"});
        if (!got.ok()) continue;  // SQLite: busy; try again
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& t : *got) seen.insert(t.prcs_nm);
        if (seen.size() >= kTasks) return;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTasks));
  for (const auto& name : seen) EXPECT_EQ(seen.count(name), 1u) << name;
}

TEST_P(StoreContract, QueueLimitsHoldAcrossClaimers) {
  int64_t id = NewRun("2026-01-01");
  for (int i = 0; i < 6; ++i) Queue(id, "DB" + std::to_string(i), 1, "db");
  Queue(id, "FREE", 1, "default");
  ASSERT_TRUE(store_->SetQueueLimit("db", 2).ok());
  EXPECT_EQ(store_->SetQueueLimit("db", -1).code(), ErrorCode::kInvalid);
  std::vector<std::unique_ptr<MetadataStore>> stores;
  for (int w = 0; w < 3; ++w) {
    stores.push_back(Open());
    ASSERT_TRUE(stores.back()->RegisterWorker(Worker("w" + std::to_string(w))).ok());
  }
  std::vector<std::thread> threads;
  std::atomic<int> claimed_db{0}, claimed_free{0};
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      const std::string me = "w" + std::to_string(w);
      for (int round = 0; round < 20; ++round) {
        auto got = stores[w]->ClaimTasks(me, {"db", "default"}, {me + "/1", me + "/2"});
        if (!got.ok()) continue;  // SQLite: busy
        for (const auto& t : *got) ++(t.queue == "db" ? claimed_db : claimed_free);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed_db.load(), 2);  // never more than the limit
  EXPECT_EQ(claimed_free.load(), 1);
  auto queues = store_->ListQueues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 2u);
  EXPECT_EQ(queues->at(0).queue, "db");
  EXPECT_EQ(queues->at(0).max_running, 2);
  EXPECT_EQ(queues->at(0).running, 2);
  EXPECT_EQ(queues->at(0).queued, 4);
  EXPECT_FALSE(queues->at(1).max_running.has_value());
  // Lifting the limit frees the rest.
  ASSERT_TRUE(store_->SetQueueLimit("db", std::nullopt).ok());
  auto rest = stores[0]->ClaimTasks("w0", {"db"}, {"a", "b", "c", "d", "e"});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 4u);
}

TEST_P(StoreContract, FinishIsRefusedOnceTheLeaseIsGone) {
  int64_t id = NewRun("2026-01-01");
  Queue(id, "P1", 1);
  Queue(id, "P2", 1);
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1", /*lease_s=*/1)).ok());
  auto claimed = store_->ClaimTasks("w1", {"default"}, {"w1/1", "w1/2"});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 2u);
  ASSERT_TRUE(store_->FinishTask(claimed->at(0).task_id, "w1",
                                 TaskResult{AttemptStatus::kSuccess, "ok", 3, 2, "2026-01-01 00:00:01.500"}).ok());
  EXPECT_EQ(store_->FinishTask(claimed->at(0).task_id, "w1", TaskResult{}).code(), ErrorCode::kConflict);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto expired = store_->ExpireLeases();
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ(expired->at(0).prcs_nm, "P2");
  EXPECT_NE(expired->at(0).result_message.find("worker w1 lost"), std::string::npos)
      << expired->at(0).result_message;
  Status late = store_->FinishTask(claimed->at(1).task_id, "w1", TaskResult{AttemptStatus::kSuccess, "late", {}, {}, ""});
  EXPECT_EQ(late.code(), ErrorCode::kConflict);
  EXPECT_NE(late.message().find("refused"), std::string::npos);
  auto taken = store_->TakeFinishedTasks({id});
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ(taken->at(0).result_status, 0);
  EXPECT_EQ(taken->at(0).source_row, 3);
  EXPECT_EQ(taken->at(0).finished_dt, "2026-01-01 00:00:01.500");  // the worker's end time
  EXPECT_FALSE(taken->at(1).finished_dt.empty());
  EXPECT_EQ(taken->at(1).result_status, 99);
  auto left = store_->ListTasks(id);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

TEST_P(StoreContract, HeartbeatRenewsLeasesAndReportsCancels) {
  int64_t id = NewRun("2026-01-01");
  Queue(id, "P1", 1);
  Queue(id, "P2", 1);
  ASSERT_TRUE(store_->RegisterWorker(Worker("w1", /*lease_s=*/2)).ok());
  auto claimed = store_->ClaimTasks("w1", {"default"}, {"w1/1"});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ASSERT_TRUE(store_->Heartbeat("w1").ok());
  }
  auto expired = store_->ExpireLeases();
  ASSERT_TRUE(expired.ok());
  EXPECT_TRUE(expired->empty());  // 2.4 s > lease, but renewed
  auto cancelled = store_->CancelTasks(id);
  ASSERT_TRUE(cancelled.ok());
  ASSERT_EQ(cancelled->size(), 1u);  // the unclaimed P2 is removed
  EXPECT_EQ(cancelled->at(0).prcs_nm, "P2");
  auto beat = store_->Heartbeat("w1");
  ASSERT_TRUE(beat.ok());
  EXPECT_EQ(*beat, std::vector<int64_t>{claimed->at(0).task_id});
}

TEST_P(StoreContract, NotificationsWakeListeners) {
  auto listener = store_->Listen({kTaskChannel});
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  int64_t id = NewRun("2026-01-01");
  Queue(id, "P1", 1, "q1");
  auto start = std::chrono::steady_clock::now();
  auto got = (*listener)->Wait(std::chrono::milliseconds(2000));
  ASSERT_TRUE(got.ok());
  if (GetParam() == "postgresql") {
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->at(0), "q1");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  } else {
    EXPECT_TRUE(got->empty());  // SQLite cannot notify: callers poll
  }
}

// Users, tokens and the audit trail of the server.
TEST_P(StoreContract, TokensBelongToUsersAreFoundByHashAndCanBeRevoked) {
  ASSERT_TRUE(store_->UpsertUser({"ann", "viewer", ""}).ok());
  ASSERT_TRUE(store_->UpsertUser({"ann", "operator", ""}).ok());  // a new role, one row
  auto bad_role = store_->UpsertUser({"bob", "superuser", ""});
  EXPECT_FALSE(bad_role.ok());
  auto users = store_->ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].role, "operator");

  EXPECT_EQ(store_->CreateToken("nobody", "h0", "x").status().code(), ErrorCode::kNotFound);
  auto id = store_->CreateToken("ann", "hash-1", "laptop");
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_FALSE(store_->CreateToken("ann", "hash-1", "again").ok());  // hashes are unique
  auto found = store_->FindToken("hash-1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->first.token_id, *id);
  EXPECT_EQ((*found)->second.role, "operator");
  EXPECT_FALSE((*found)->first.last_used_dt.empty());
  EXPECT_FALSE(store_->FindToken("hash-2")->has_value());

  ASSERT_TRUE(store_->RevokeToken(*id).ok());
  EXPECT_FALSE(store_->FindToken("hash-1")->has_value());
  EXPECT_EQ(store_->RevokeToken(9999).code(), ErrorCode::kNotFound);
  auto tokens = store_->ListTokens();
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_TRUE((*tokens)[0].revoked);
  EXPECT_EQ((*tokens)[0].label, "laptop");
}

TEST_P(StoreContract, AuditIsAppendOnlyNewestFirstAndPaged) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->AppendAudit({0, "", "ann", "trigger", "stream S" + std::to_string(i), "{}", "ok"}).ok());
  }
  auto page = store_->ListAudit(2, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].target, "stream S3");
  EXPECT_EQ((*page)[1].target, "stream S2");
  EXPECT_GT((*page)[0].audit_id, (*page)[1].audit_id);
  EXPECT_FALSE((*page)[0].at_dt.empty());
}

// The Iceberg catalog: Spark's JDBC catalog reads these rows, so the layout
// and the compare-and-set are part of the contract.
TEST_P(StoreContract, IcebergCatalogCommitsAreCompareAndSet) {
  int writes = 0;
  auto writer = [&writes](std::string location) {
    return [&writes, location]() -> Result<std::string> {
      ++writes;
      return location;
    };
  };
  ASSERT_TRUE(store_->CommitIcebergTable("ctlflow", "staging", "t1", "", writer("s3://b/t1/v1")).ok());
  // A second create of the same name loses, and never writes.
  Status again = store_->CommitIcebergTable("ctlflow", "staging", "t1", "", writer("s3://b/t1/x"));
  EXPECT_EQ(again.code(), ErrorCode::kConflict) << again.message();
  EXPECT_EQ(writes, 1);
  ASSERT_TRUE(store_->CommitIcebergTable("ctlflow", "staging", "t1", "s3://b/t1/v1", writer("s3://b/t1/v2")).ok());
  // A writer that read v1 is refused: it must reload and retry.
  Status stale = store_->CommitIcebergTable("ctlflow", "staging", "t1", "s3://b/t1/v1", writer("s3://b/t1/v2b"));
  EXPECT_EQ(stale.code(), ErrorCode::kConflict);
  EXPECT_NE(stale.message().find("s3://b/t1/v2"), std::string::npos) << stale.message();
  EXPECT_EQ(writes, 2);
  // A failing write records nothing.
  Status failed = store_->CommitIcebergTable("ctlflow", "staging", "t1", "s3://b/t1/v2", [] {
    return Result<std::string>(Status::Io("disk full"));
  });
  EXPECT_EQ(failed.code(), ErrorCode::kIo);

  auto row = store_->LoadIcebergTable("ctlflow", "staging", "t1");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->metadata_location, "s3://b/t1/v2");
  EXPECT_EQ((*row)->previous_metadata_location, "s3://b/t1/v1");
  auto missing = store_->LoadIcebergTable("other", "staging", "t1");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(store_->CommitIcebergTable("ctlflow", "dw", "t0", "", writer("file:///l/t0/v1")).ok());
  auto list = store_->ListIcebergTables("ctlflow");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].table_namespace, "dw");  // ordered by namespace, name
  // The JDBC catalog's own columns, readable with plain SQL.
  auto sql = store_->ExecuteSql(
      "SELECT iceberg_type FROM cntl_af.iceberg_tables WHERE table_name = 't1'");
  ASSERT_TRUE(sql.ok()) << sql.status().message();
  EXPECT_EQ(ValueToString(sql->rows.at(0).at(0)), "TABLE");

  ASSERT_TRUE(store_->DropIcebergTable("ctlflow", "dw", "t0").ok());
  EXPECT_EQ(store_->DropIcebergTable("ctlflow", "dw", "t0").code(), ErrorCode::kNotFound);
}

TEST_P(StoreContract, IcebergCommitsRacingFromTwoConnectionsNeverBothWin) {
  ASSERT_TRUE(store_->CommitIcebergTable("ctlflow", "s", "t", "", [] {
                return Result<std::string>(std::string("v0"));
              }).ok());
  auto other = Open();
  ASSERT_NE(other, nullptr);
  // Each writer reads v0 and tries to move it on; each retries on Conflict
  // from what it reloads, as an Iceberg writer does. Every commit lands once.
  std::atomic<int> landed{0};
  auto work = [&landed](MetadataStore* s, const std::string& tag) {
    for (int i = 0; i < 20; ++i) {
      for (int tries = 0; tries < 200; ++tries) {
        auto cur = s->LoadIcebergTable("ctlflow", "s", "t");
        if (!cur.ok() || !cur->has_value()) continue;
        std::string next = tag + std::to_string(i);
        Status st = s->CommitIcebergTable("ctlflow", "s", "t", (*cur)->metadata_location,
                                          [next] { return Result<std::string>(next); });
        if (st.ok()) {
          ++landed;
          break;
        }
        if (st.code() != ErrorCode::kConflict && st.code() != ErrorCode::kDatabase) break;
      }
    }
  };
  std::thread a(work, store_.get(), "a");
  std::thread b(work, other.get(), "b");
  a.join();
  b.join();
  EXPECT_EQ(landed.load(), 40);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ctlflow

// The embedded metadata store: one SQLite file attached as schema cntl_af, so
// the seed's table names (cntl_af.cntl_cfg_prcs, ...) work in user SQL.
#include <cassert>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <mutex>
#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "store/metadata_store.h"

namespace ctlflow {

namespace {

// Bumped whenever the schema gains a table or column.
// Version 2: cntl_conn. Version 3: cntl_worker, cntl_task,
// cntl_config_version, cntl_cfg_prcs.queue, cntl_cfg_log.queued_dt.
constexpr int64_t kSchemaVersion = 5;
constexpr const char* kSchema = "cntl_af";

// BEGIN ... COMMIT, rolled back unless committed. Inside an open
// transaction it joins that one instead (Batch calls other methods).
using Notifications = std::set<std::pair<std::string, std::string>>;

class Tx {
 public:
  Tx(SqlBackend& db, int& depth, Notifications& pending) : db_(db), depth_(depth), pending_(pending) {}
  ~Tx() { Rollback(); }
  Status Begin() {
    if (depth_ == 0) CTL_RETURN_IF_ERROR(db_.Begin());
    joined_ = depth_ > 0;
    ++depth_;
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    if (!open_) return Status::Ok();
    open_ = false;
    --depth_;
    if (joined_) return Status::Ok();
    // One notification per distinct (channel, payload), sent with the commit.
    Notifications pending;
    pending.swap(pending_);
    for (const auto& [channel, payload] : pending) {
      Status st = db_.Notify(channel, payload);
      if (!st.ok()) {
        db_.Rollback();
        return st;
      }
    }
    return db_.Commit();
  }
  void Rollback() {
    if (!open_) return;
    open_ = false;
    --depth_;
    if (joined_) return;
    pending_.clear();
    db_.Rollback();
  }

 private:
  SqlBackend& db_;
  int& depth_;
  Notifications& pending_;
  bool open_ = false;
  bool joined_ = false;
};

// iceberg_tables as Iceberg's JDBC catalog lays it out (catalog V1 schema).
constexpr const char* kIcebergSelect =
    "SELECT catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location"
    " FROM cntl_af.iceberg_tables";

IcebergTableRow IcebergRow(const std::vector<Value>& row) {
  return {ValueToString(row[0]), ValueToString(row[1]), ValueToString(row[2]),
          IsNull(row[3]) ? "" : ValueToString(row[3]), IsNull(row[4]) ? "" : ValueToString(row[4])};
}

// The WHERE clause of a filtered list, holding only the filters that are
// set, so the database can use its indexes (a catch-all "?1 IS NULL OR
// col = ?1" makes SQLite scan the whole table). Parameters are numbered in
// the order they are added.
class Where {
 public:
  // Every "?" in `condition` stands for `value`, e.g. "strem_nm = ?".
  void Add(std::string_view condition, Value value) {
    params_.push_back(std::move(value));
    std::string numbered;
    for (char ch : condition) {
      if (ch == '?') numbered += "?" + std::to_string(params_.size());
      else numbered += ch;
    }
    sql_ += (sql_.empty() ? " WHERE " : " AND ") + numbered;
  }
  // A condition without a parameter, e.g. "status IN (0, 99)".
  void AddLiteral(std::string_view condition) {
    sql_ += (sql_.empty() ? " WHERE " : " AND ") + std::string(condition);
  }
  // Ends the query with "ORDER BY order DESC LIMIT ? OFFSET ?".
  std::string NewestFirst(std::string_view order, int64_t limit, int64_t offset) {
    params_.push_back(Value(limit));
    params_.push_back(Value(std::max<int64_t>(0, offset)));
    return sql_ + " ORDER BY " + std::string(order) + " DESC LIMIT ?" + std::to_string(params_.size() - 1) +
           " OFFSET ?" + std::to_string(params_.size());
  }
  const std::vector<Value>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<Value> params_;
};

class SqlMetadataStore final : public MetadataStore {
 public:
  explicit SqlMetadataStore(std::unique_ptr<SqlBackend> db) : db_(std::move(db)) {}
  const char* BackendName() const override { return db_->Name(); }

  Status Migrate() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    // Every command calls this; when the schema is current it only reads,
    // so it never waits for a busy scheduler's write lock.
    auto installed = db_->Query("SELECT max(version) FROM cntl_af.cntl_schema_version");
    if (installed.ok() && !installed->rows.empty() && installed->rows[0][0] == Value(kSchemaVersion)) {
      return Status::Ok();
    }
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    CTL_RETURN_IF_ERROR(db_->Migrate(kSchemaVersion));
    CTL_ASSIGN_OR_RETURN(QueryResult current,
                         db_->Query("SELECT max(version) FROM cntl_af.cntl_schema_version"));
    const Value& v = current.rows[0][0];
    if (IsNull(v) || std::get<int64_t>(v) < kSchemaVersion) {
      CTL_ASSIGN_OR_RETURN(QueryResult unused,
                           db_->Query("INSERT INTO cntl_af.cntl_schema_version VALUES (?1, ?2)",
                                      {Value(kSchemaVersion), Value(NowTimestamp())}));
      (void)unused;
    } else if (std::get<int64_t>(v) > kSchemaVersion) {
      return Status::Invalid("the metadata store has schema version " +
                             std::to_string(std::get<int64_t>(v)) +
                             ", newer than this ctlflow (" + std::to_string(kSchemaVersion) +
                             "); upgrade ctlflow");
    }
    return tx.Commit();
  }

  Result<int64_t> SchemaVersion() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT max(version) FROM cntl_af.cntl_schema_version"));
    if (IsNull(r.rows[0][0])) return int64_t{0};
    return std::get<int64_t>(r.rows[0][0]);
  }

  Result<std::vector<TableRows>> ReadConfigTables() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return ReadConfigLocked();
  }

  Result<std::vector<TableChangeSummary>> ApplyChanges(const std::vector<TableChange>& changes,
                                                       const ConfigValidator& validate,
                                                       bool dry_run) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    std::vector<TableChangeSummary> summaries;
    for (const auto& change : changes) {
      CTL_ASSIGN_OR_RETURN(TableChangeSummary s, ApplyTable(change));
      summaries.push_back(std::move(s));
    }
    CTL_ASSIGN_OR_RETURN(std::vector<TableRows> after, ReadConfigLocked());
    if (validate) CTL_RETURN_IF_ERROR(validate(after));
    if (dry_run) {
      tx.Rollback();
    } else {
      CTL_RETURN_IF_ERROR(tx.Commit());
    }
    return summaries;
  }

  Result<QueryResult> ExecuteSql(const std::string& sql) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return db_->ExecuteScript(sql);
  }

  Status Batch(const std::function<Status()>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    CTL_RETURN_IF_ERROR(fn());
    return tx.Commit();
  }

  Result<int64_t> ChangeCounter() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT version FROM cntl_af.cntl_config_version WHERE id = 1"));
    if (r.rows.empty()) return int64_t{0};
    return std::get<int64_t>(r.rows[0][0]);
  }

  Result<int64_t> CreateRun(const RunRecord& run) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    // DO NOTHING rather than an error, so a lost race does not abort the
    // caller's transaction (PostgreSQL would).
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query(
            "INSERT INTO cntl_af.cntl_strem_run (strem_nm, data_dt, status, run_typ, params,"
            " queued_dt, start_dt, message, interval_start, interval_end, owner)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING RETURNING run_id",
            {run.strem_nm, run.data_dt, run.status, run.run_typ,
             run.params_json.empty() ? std::string("{}") : run.params_json,
             run.queued_dt.empty() ? NowTimestamp() : run.queued_dt, OptText(run.start_dt),
             OptText(run.message), OptText(run.interval_start), OptText(run.interval_end),
             OptText(run.owner)}));
    if (r.rows.empty()) {
      return Status::Conflict("stream " + run.strem_nm + " already has a run for data_dt " + run.data_dt);
    }
    return std::get<int64_t>(r.rows.at(0).at(0));
  }

  Result<std::string> LastIntervalEnd(const std::string& strem_nm) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT max(interval_end) FROM cntl_af.cntl_strem_run"
                                   " WHERE strem_nm = ?1 AND run_typ = 'scheduled'",
                                   {strem_nm}));
    return ValueToString(r.rows.at(0).at(0));
  }

  Result<RunStatus> RequestCancel(int64_t run_id, const std::string& reason) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query("SELECT status FROM cntl_af.cntl_strem_run"
                                                  " WHERE run_id = ?1", {run_id}));
    if (r.rows.empty()) return Status::NotFound("no run " + std::to_string(run_id));
    const auto status = static_cast<RunStatus>(std::get<int64_t>(r.rows[0][0]));
    if (status == RunStatus::kQueued) {
      CTL_ASSIGN_OR_RETURN(QueryResult u,
                           db_->Query("UPDATE cntl_af.cntl_strem_run SET status = ?1, end_dt = ?2,"
                                     " message = ?3, cancel_requested = 1 WHERE run_id = ?4",
                                     {static_cast<int64_t>(RunStatus::kCancelled), NowTimestamp(),
                                      "cancelled: " + reason, run_id}));
      (void)u;
    } else if (status == RunStatus::kRunning) {
      CTL_ASSIGN_OR_RETURN(QueryResult u,
                           db_->Query("UPDATE cntl_af.cntl_strem_run SET cancel_requested = 1,"
                                     " message = ?1 WHERE run_id = ?2",
                                     {"cancel requested: " + reason, run_id}));
      (void)u;
    }
    CTL_RETURN_IF_ERROR(tx.Commit());
    return status;
  }

  Status ClearRun(int64_t run_id, RunStatus from, const std::vector<RunClear>& clears) override {
    if (!IsLegalTransition(from, RunStatus::kQueued)) {
      return Status::Invalid(std::string("a ") + RunStatusName(static_cast<int64_t>(from)) +
                             " run cannot be cleared; wait until it has finished");
    }
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    std::string now = NowTimestamp();
    CTL_ASSIGN_OR_RETURN(
        QueryResult u,
        db_->Query("UPDATE cntl_af.cntl_strem_run SET status = ?1, queued_dt = ?2, end_dt = NULL,"
                  " cancel_requested = 0, message = ?3 WHERE run_id = ?4 AND status = ?5",
                  {static_cast<int64_t>(RunStatus::kQueued), now,
                   "cleared: " + std::to_string(clears.size()) + " processes to run again", run_id,
                   static_cast<int64_t>(from)}));
    if (u.changes != 1) {
      return Status::Conflict("run " + std::to_string(run_id) + " is not " +
                              RunStatusName(static_cast<int64_t>(from)));
    }
    for (const auto& c : clears) {
      CTL_ASSIGN_OR_RETURN(QueryResult i,
                           db_->Query("INSERT INTO cntl_af.cntl_run_clear VALUES (?1, ?2, ?3, ?4)",
                                     {run_id, c.prcs_nm, c.after_attempt, now}));
      (void)i;
    }
    return tx.Commit();
  }

  Result<std::vector<RunClear>> ListClears(int64_t run_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT prcs_nm, max(after_attempt) FROM cntl_af.cntl_run_clear"
                                   " WHERE run_id = ?1 GROUP BY prcs_nm ORDER BY prcs_nm",
                                   {run_id}));
    std::vector<RunClear> out;
    for (const auto& row : r.rows) out.push_back({ValueToString(row[0]), std::get<int64_t>(row[1])});
    return out;
  }

  Result<std::vector<ConnectionDef>> ListConnections() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT conn_nm, conn_typ, url, password_env, password_file, upt_dt"
                                   " FROM cntl_af.cntl_conn ORDER BY conn_nm"));
    std::vector<ConnectionDef> out;
    for (const auto& row : r.rows) {
      out.push_back({ValueToString(row[0]), ValueToString(row[1]), ValueToString(row[2]),
                     ValueToString(row[3]), ValueToString(row[4]), ValueToString(row[5])});
    }
    return out;
  }

  Status UpsertConnection(const ConnectionDef& d) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("INSERT INTO cntl_af.cntl_conn VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                  " ON CONFLICT (conn_nm) DO UPDATE SET conn_typ = excluded.conn_typ,"
                  " url = excluded.url, password_env = excluded.password_env,"
                  " password_file = excluded.password_file, upt_dt = excluded.upt_dt",
                  {d.conn_nm, d.conn_typ, d.url, OptText(d.password_env), OptText(d.password_file),
                   NowTimestamp()}));
    (void)r;
    return Status::Ok();
  }

  Status RemoveConnection(const std::string& conn_nm) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("DELETE FROM cntl_af.cntl_conn WHERE conn_nm = ?1", {conn_nm}));
    if (r.changes != 1) return Status::NotFound("no connection named '" + conn_nm + "'");
    return Status::Ok();
  }

  Status SetPaused(const std::string& strem_nm, bool paused) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("INSERT INTO cntl_af.cntl_strem_state (strem_nm, paused, upt_dt) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (strem_nm) DO UPDATE SET paused = excluded.paused,"
                  " upt_dt = excluded.upt_dt",
                  {strem_nm, int64_t{paused ? 1 : 0}, NowTimestamp()}));
    (void)r;
    return Status::Ok();
  }

  Result<std::vector<std::string>> PausedStreams() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query("SELECT strem_nm FROM cntl_af.cntl_strem_state"
                                                  " WHERE paused = 1 ORDER BY strem_nm"));
    std::vector<std::string> out;
    for (const auto& row : r.rows) out.push_back(ValueToString(row[0]));
    return out;
  }

  Status ClaimRun(int64_t run_id, const std::string& expected_owner, const std::string& owner) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("UPDATE cntl_af.cntl_strem_run SET owner = ?1 WHERE run_id = ?2"
                                   " AND status = ?3 AND coalesce(owner, '') = ?4",
                                   {owner, run_id, static_cast<int64_t>(RunStatus::kRunning), expected_owner}));
    if (r.changes != 1) {
      return Status::Conflict("run " + std::to_string(run_id) + " is no longer running under " +
                              (expected_owner.empty() ? std::string("no owner") : expected_owner));
    }
    return Status::Ok();
  }

  // Inside a transaction: sent once at its commit. Outside: now.
  Status NotifyOnCommit(const std::string& channel, const std::string& payload) {
    if (depth_ > 0) {
      pending_notify_.insert({channel, payload});
      return Status::Ok();
    }
    return db_->Notify(channel, payload);
  }

  Status StartRun(int64_t run_id, const std::string& owner) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("UPDATE cntl_af.cntl_strem_run SET status = ?1, owner = ?2,"
                   " start_dt = coalesce(start_dt, ?3) WHERE run_id = ?4 AND status = ?5",
                   {static_cast<int64_t>(RunStatus::kRunning), owner, NowTimestamp(), run_id,
                    static_cast<int64_t>(RunStatus::kQueued)}));
    if (r.changes != 1) return Status::Conflict("run " + std::to_string(run_id) + " is not queued");
    return Status::Ok();
  }

  Status RegisterWorker(const WorkerRecord& w) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const std::string now = db_->NowSql();
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("INSERT INTO cntl_af.cntl_worker (worker_id, kind, host, pid, slots, queues, lease_s,"
                   " started_dt, heartbeat_dt, stopped_dt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, " + now +
                       ", " + now + ", NULL) ON CONFLICT (worker_id) DO UPDATE SET kind = excluded.kind,"
                       " host = excluded.host, pid = excluded.pid, slots = excluded.slots,"
                       " queues = excluded.queues, lease_s = excluded.lease_s,"
                       " started_dt = excluded.started_dt, heartbeat_dt = excluded.heartbeat_dt,"
                       " stopped_dt = NULL",
                   {w.worker_id, w.kind, w.host, w.pid, w.slots, w.queues, w.lease_s}));
    (void)r;
    // Rows of processes long gone (every `ctlflow run` leaves one) are
    // kept a week for `workers --all`, then dropped.
    CTL_ASSIGN_OR_RETURN(QueryResult old,
                         db_->Query("DELETE FROM cntl_af.cntl_worker WHERE heartbeat_dt < " +
                                        db_->NowPlusSql("?1") +
                                        " AND NOT EXISTS (SELECT 1 FROM cntl_af.cntl_task t"
                                        " WHERE t.worker_id = cntl_worker.worker_id)",
                                    {int64_t{-7 * 24 * 3600}}));
    (void)old;
    return Status::Ok();
  }

  Result<std::vector<int64_t>> Heartbeat(const std::string& worker_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    CTL_ASSIGN_OR_RETURN(QueryResult w,
                         db_->Query("UPDATE cntl_af.cntl_worker SET heartbeat_dt = " + db_->NowSql() +
                                        " WHERE worker_id = ?1 AND stopped_dt IS NULL RETURNING lease_s",
                                    {worker_id}));
    if (w.rows.empty()) return Status::NotFound("worker " + worker_id + " is not registered or was stopped");
    CTL_ASSIGN_OR_RETURN(QueryResult leases,
                         db_->Query("UPDATE cntl_af.cntl_task SET lease_until = " + db_->NowPlusSql("?2") +
                                        " WHERE worker_id = ?1 AND finished = 0",
                                    {worker_id, w.rows[0][0]}));
    (void)leases;
    CTL_ASSIGN_OR_RETURN(QueryResult cancelled,
                         db_->Query("SELECT task_id FROM cntl_af.cntl_task WHERE worker_id = ?1"
                                    " AND finished = 0 AND cancel_requested = 1 ORDER BY task_id",
                                    {worker_id}));
    CTL_RETURN_IF_ERROR(tx.Commit());
    std::vector<int64_t> out;
    for (const auto& row : cancelled.rows) out.push_back(std::get<int64_t>(row[0]));
    return out;
  }

  Status StopWorker(const std::string& worker_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("UPDATE cntl_af.cntl_worker SET stopped_dt = " + db_->NowSql() +
                                        " WHERE worker_id = ?1 AND stopped_dt IS NULL",
                                    {worker_id}));
    (void)r;
    return Status::Ok();
  }

  Result<std::vector<WorkerRecord>> ListWorkers() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("SELECT worker_id, kind, host, pid, slots, queues, lease_s, started_dt, heartbeat_dt,"
                   " stopped_dt, " + AliveSql("w") + ", (SELECT count(*) FROM cntl_af.cntl_task t"
                   " WHERE t.worker_id = w.worker_id AND t.finished = 0)"
                   " FROM cntl_af.cntl_worker w ORDER BY heartbeat_dt DESC, worker_id"));
    std::vector<WorkerRecord> out;
    for (const auto& row : r.rows) {
      WorkerRecord w;
      w.worker_id = ValueToString(row[0]);
      w.kind = ValueToString(row[1]);
      w.host = ValueToString(row[2]);
      w.pid = std::get<int64_t>(row[3]);
      w.slots = std::get<int64_t>(row[4]);
      w.queues = ValueToString(row[5]);
      w.lease_s = std::get<int64_t>(row[6]);
      w.started_dt = ValueToString(row[7]);
      w.heartbeat_dt = ValueToString(row[8]);
      w.stopped_dt = ValueToString(row[9]);
      w.alive = std::get<int64_t>(row[10]) != 0;
      w.running = std::get<int64_t>(row[11]);
      out.push_back(std::move(w));
    }
    return out;
  }

  Result<std::optional<bool>> WorkerAlive(const std::string& worker_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query("SELECT " + AliveSql("w") +
                                                       " FROM cntl_af.cntl_worker w WHERE worker_id = ?1",
                                                   {worker_id}));
    if (r.rows.empty()) return std::optional<bool>();
    return std::optional<bool>(std::get<int64_t>(r.rows[0][0]) != 0);
  }

  Status SetQueueLimit(const std::string& queue, std::optional<int64_t> max_running) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (!max_running) {
      CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query("DELETE FROM cntl_af.cntl_queue WHERE queue = ?1", {queue}));
      (void)r;
      return Status::Ok();
    }
    if (*max_running < 0) return Status::Invalid("queue " + queue + ": max_running must be 0 or more");
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("INSERT INTO cntl_af.cntl_queue (queue, max_running, upt_dt) VALUES (?1, ?2, ?3)"
                                    " ON CONFLICT (queue) DO UPDATE SET max_running = excluded.max_running,"
                                    " upt_dt = excluded.upt_dt",
                                    {queue, *max_running, NowTimestamp()}));
    (void)r;
    return Status::Ok();
  }

  Result<std::vector<QueueRecord>> ListQueues() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("SELECT q.queue, (SELECT max_running FROM cntl_af.cntl_queue l WHERE l.queue = q.queue),"
                   " (SELECT count(*) FROM cntl_af.cntl_task t WHERE t.queue = q.queue AND t.worker_id IS NULL),"
                   " (SELECT count(*) FROM cntl_af.cntl_task t WHERE t.queue = q.queue"
                   "  AND t.worker_id IS NOT NULL AND t.finished = 0)"
                   " FROM (SELECT queue FROM cntl_af.cntl_queue UNION SELECT queue FROM cntl_af.cntl_task) q"
                   " ORDER BY q.queue"));
    std::vector<QueueRecord> out;
    for (const auto& row : r.rows) {
      QueueRecord q;
      q.queue = ValueToString(row[0]);
      if (!IsNull(row[1])) q.max_running = std::get<int64_t>(row[1]);
      q.queued = std::get<int64_t>(row[2]);
      q.running = std::get<int64_t>(row[3]);
      out.push_back(std::move(q));
    }
    return out;
  }

  Status EnqueueTasks(const std::vector<TaskRecord>& tasks) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    const std::string now = db_->NowSql();
    CTL_RETURN_IF_ERROR(InsertRows(
        "INSERT INTO cntl_af.cntl_task (run_id, prcs_nm, attempt, queue, prir, spec, log_path, enqueued_dt) VALUES ",
        7, tasks.size(), "", [&](size_t i, std::vector<Value>* params, std::string* row) {
          const TaskRecord& t = tasks[i];
          const std::string queue = t.queue.empty() ? std::string("default") : t.queue;
          params->insert(params->end(), {t.run_id, t.prcs_nm, t.attempt, queue, t.prir, t.spec, t.log_path});
          *row += ", " + now;
          return NotifyOnCommit(kTaskChannel, queue);
        }).status());
    return tx.Commit();
  }

  Result<std::vector<TaskRecord>> ClaimTasks(const std::string& worker_id,
                                             const std::vector<std::string>& queues,
                                             const std::vector<std::string>& slot_names) override {
    std::vector<TaskRecord> claimed;
    if (slot_names.empty() || queues.empty()) return claimed;
    if (!IsLegalTransition(AttemptStatus::kQueued, AttemptStatus::kRunning)) {
      return Status::Internal("claiming needs queued -> running");
    }
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    // Limited queues: lock their rows (claimers of them take turns), count
    // what runs, and leave out the queues that are full.
    std::vector<Value> qparams(queues.begin(), queues.end());
    CTL_ASSIGN_OR_RETURN(QueryResult limits,
                         db_->Query("SELECT queue, max_running FROM cntl_af.cntl_queue WHERE queue IN (" +
                                        Placeholders(1, queues.size()) + ") ORDER BY queue" + db_->ForUpdate(),
                                    qparams));
    std::map<std::string, int64_t> allowance;
    for (const auto& row : limits.rows) allowance[ValueToString(row[0])] = std::get<int64_t>(row[1]);
    std::vector<std::string> open = queues;
    if (!allowance.empty()) {
      CTL_ASSIGN_OR_RETURN(QueryResult running,
                           db_->Query("SELECT queue, count(*) FROM cntl_af.cntl_task WHERE worker_id IS NOT NULL"
                                      " AND finished = 0 AND queue IN (" + Placeholders(1, queues.size()) +
                                          ") GROUP BY queue",
                                      qparams));
      for (const auto& row : running.rows) allowance[ValueToString(row[0])] -= std::get<int64_t>(row[1]);
      open.clear();
      for (const auto& q : queues) {
        if (!allowance.count(q) || allowance[q] > 0) open.push_back(q);
      }
      if (open.empty()) {
        CTL_RETURN_IF_ERROR(tx.Commit());
        return claimed;
      }
    }
    // The free tasks, in claim order; rows other claimers hold are skipped.
    // `first` numbers the parameters: the limit, then the queues.
    auto free_tasks = [&](size_t first, bool with_queue) {
      return "SELECT task_id" + std::string(with_queue ? ", queue" : "") +
             " FROM cntl_af.cntl_task WHERE worker_id IS NULL AND queue IN (" + Placeholders(first + 1, open.size()) +
             ") ORDER BY prir, task_id LIMIT ?" + std::to_string(first) + db_->SkipLocked();
    };
    std::vector<Value> params{static_cast<int64_t>(slot_names.size())};
    params.insert(params.end(), open.begin(), open.end());
    const std::string take = "UPDATE cntl_af.cntl_task SET worker_id = ?1, claimed_dt = " + db_->NowSql() +
                             ", lease_until = " +
                             db_->NowPlusSql("(SELECT lease_s FROM cntl_af.cntl_worker WHERE worker_id = ?1)") +
                             " WHERE task_id IN (";
    QueryResult taken;
    if (allowance.empty()) {
      // Unlimited: one statement takes them.
      params.insert(params.begin(), worker_id);
      CTL_ASSIGN_OR_RETURN(taken, db_->Query(take + free_tasks(2, false) + ") RETURNING " + kTaskColumns, params));
    } else {
      CTL_ASSIGN_OR_RETURN(QueryResult candidates, db_->Query(free_tasks(1, true), params));
      std::vector<Value> chosen{worker_id};
      for (const auto& row : candidates.rows) {
        auto limit = allowance.find(ValueToString(row[1]));
        if (limit != allowance.end()) {
          if (limit->second <= 0) continue;
          --limit->second;
        }
        chosen.push_back(row[0]);
      }
      if (chosen.size() > 1) {
        CTL_ASSIGN_OR_RETURN(taken, db_->Query(take + Placeholders(2, chosen.size() - 1) +
                                                   ") RETURNING " + kTaskColumns,
                                               chosen));
      }
    }
    for (const auto& row : taken.rows) claimed.push_back(TaskFromRow(row));
    std::sort(claimed.begin(), claimed.end(), [](const TaskRecord& a, const TaskRecord& b) {
      return std::tie(a.prir, a.task_id) < std::tie(b.prir, b.task_id);
    });
    if (claimed.empty()) {
      CTL_RETURN_IF_ERROR(tx.Commit());
      return claimed;
    }
    // Their log rows: queued -> running, in one statement.
    std::vector<Value> log_params{NowTimestamp()};
    std::string values;
    for (size_t i = 0; i < claimed.size(); ++i) {
      TaskRecord& t = claimed[i];
      t.worker_nm = slot_names[i];
      AppendTypedRow(&values, &log_params, {"BIGINT", "TEXT", "BIGINT", "TEXT", "TEXT"},
                     {t.run_id, t.prcs_nm, t.attempt, t.log_path, t.worker_nm});
    }
    CTL_ASSIGN_OR_RETURN(
        QueryResult started,
        db_->Query("UPDATE cntl_af.cntl_cfg_log SET status = 1, start_dt = ?1, log_path = v.column4,"
                   " worker_nm = v.column5 FROM (VALUES " + values + ") AS v"
                   " WHERE cntl_cfg_log.run_id = v.column1 AND cntl_cfg_log.prcs_nm = v.column2"
                   " AND cntl_cfg_log.attempt = v.column3 AND cntl_cfg_log.status = 2"
                   " RETURNING run_id, prcs_nm, attempt",
                   log_params));
    if (started.rows.size() != claimed.size()) {
      // An attempt was cancelled or failed meanwhile: its task is stale.
      std::set<std::tuple<int64_t, std::string, int64_t>> live;
      for (const auto& row : started.rows) {
        live.insert({std::get<int64_t>(row[0]), ValueToString(row[1]), std::get<int64_t>(row[2])});
      }
      std::vector<TaskRecord> kept;
      for (auto& t : claimed) {
        if (live.count({t.run_id, t.prcs_nm, t.attempt})) {
          kept.push_back(std::move(t));
          continue;
        }
        CTL_ASSIGN_OR_RETURN(QueryResult gone, db_->Query("DELETE FROM cntl_af.cntl_task WHERE task_id = ?1",
                                                          {t.task_id}));
        (void)gone;
      }
      claimed.swap(kept);
    }
    CTL_RETURN_IF_ERROR(tx.Commit());
    return claimed;
  }

  Result<std::vector<Status>> FinishTasks(const std::string& worker_id,
                                          const std::vector<std::pair<int64_t, TaskResult>>& results) override {
    std::vector<Status> out;
    if (results.empty()) return out;
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    std::vector<Value> params;
    std::string values;
    for (const auto& [task_id, res] : results) {
      AppendTypedRow(&values, &params, {"BIGINT", "BIGINT", "TEXT", "BIGINT", "BIGINT", "TEXT"},
                     {task_id, static_cast<int64_t>(res.status), res.message, OptInt(res.source_row),
                      OptInt(res.target_row), OptText(res.end_dt)});
    }
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("UPDATE cntl_af.cntl_task SET finished = 1, result_status = v.column2,"
                   " result_message = v.column3, source_row = v.column4, target_row = v.column5,"
                   " finished_dt = coalesce(v.column6, " + db_->NowSql() + ") FROM (VALUES " + values + ") AS v"
                   " WHERE cntl_task.task_id = v.column1 AND cntl_task.worker_id = ?" +
                       std::to_string(params.size() + 1) +
                   " AND cntl_task.finished = 0 RETURNING task_id, run_id",
                   WithLast(params, worker_id)));
    std::set<int64_t> accepted;
    for (const auto& row : r.rows) {
      accepted.insert(std::get<int64_t>(row[0]));
      CTL_RETURN_IF_ERROR(NotifyOnCommit(kDoneChannel, ValueToString(row[1])));
    }
    CTL_RETURN_IF_ERROR(tx.Commit());
    for (const auto& [task_id, res] : results) {
      out.push_back(accepted.count(task_id)
                        ? Status::Ok()
                        : Status::Conflict("result refused: worker " + worker_id + " no longer holds task " +
                                           std::to_string(task_id) +
                                           " (its lease expired or the run was taken over)"));
    }
    return out;
  }

  Result<std::vector<TaskRecord>> ExpireLeases() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    const std::string now = db_->NowSql();
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("UPDATE cntl_af.cntl_task SET finished = 1, result_status = ?1,"
                   " result_message = 'worker ' || worker_id || ' lost: no heartbeat since its lease ran out at ' ||"
                   " lease_until || ' UTC', finished_dt = " + now +
                       " WHERE worker_id IS NOT NULL AND finished = 0 AND lease_until < " + now +
                       " RETURNING " + kTaskColumns,
                   {static_cast<int64_t>(AttemptStatus::kFailed)}));
    std::vector<TaskRecord> out;
    std::set<int64_t> runs;
    for (const auto& row : r.rows) {
      out.push_back(TaskFromRow(row));
      runs.insert(out.back().run_id);
    }
    for (int64_t run : runs) CTL_RETURN_IF_ERROR(NotifyOnCommit(kDoneChannel, std::to_string(run)));
    CTL_RETURN_IF_ERROR(tx.Commit());
    return out;
  }

  Result<std::vector<TaskRecord>> TakeFinishedTasks(const std::vector<int64_t>& run_ids) override {
    std::vector<TaskRecord> out;
    if (run_ids.empty()) return out;
    std::lock_guard<std::recursive_mutex> lock(mu_);
    std::vector<Value> params;
    std::string in;
    for (int64_t id : run_ids) {
      params.push_back(id);
      in += (in.empty() ? "?" : ", ?") + std::to_string(params.size());
    }
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("DELETE FROM cntl_af.cntl_task WHERE finished = 1 AND run_id IN (" + in +
                                        ") RETURNING " + kTaskColumns,
                                    params));
    for (const auto& row : r.rows) out.push_back(TaskFromRow(row));
    std::sort(out.begin(), out.end(), [](const TaskRecord& a, const TaskRecord& b) { return a.task_id < b.task_id; });
    return out;
  }

  Result<std::vector<TaskRecord>> ListTasks(std::optional<int64_t> run_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query(std::string("SELECT ") + kTaskColumns +
                                        " FROM cntl_af.cntl_task WHERE (CAST(?1 AS BIGINT) IS NULL OR run_id = ?1) ORDER BY task_id",
                                    {run_id ? Value(*run_id) : Value()}));
    std::vector<TaskRecord> out;
    for (const auto& row : r.rows) out.push_back(TaskFromRow(row));
    return out;
  }

  Result<std::vector<TaskRecord>> CancelTasks(int64_t run_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    CTL_ASSIGN_OR_RETURN(QueryResult unclaimed,
                         db_->Query("DELETE FROM cntl_af.cntl_task WHERE run_id = ?1 AND worker_id IS NULL"
                                    " RETURNING " + std::string(kTaskColumns),
                                    {run_id}));
    CTL_ASSIGN_OR_RETURN(QueryResult flagged,
                         db_->Query("UPDATE cntl_af.cntl_task SET cancel_requested = 1"
                                    " WHERE run_id = ?1 AND worker_id IS NOT NULL AND finished = 0",
                                    {run_id}));
    if (flagged.changes > 0) CTL_RETURN_IF_ERROR(NotifyOnCommit(kCancelChannel, kCancelPayloadPrefix + std::to_string(run_id)));
    CTL_RETURN_IF_ERROR(tx.Commit());
    std::vector<TaskRecord> out;
    for (const auto& row : unclaimed.rows) out.push_back(TaskFromRow(row));
    return out;
  }

  Result<std::unique_ptr<StoreListener>> Listen(const std::vector<std::string>& channels) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return db_->Listen(channels);
  }

  Result<std::vector<AttemptRecord>> RecoverInterrupted(int64_t run_id, const std::string& message) override {
    LogFilter running;
    running.run_id = run_id;
    running.status = static_cast<int64_t>(AttemptStatus::kRunning);
    CTL_ASSIGN_OR_RETURN(std::vector<AttemptRecord> stuck, QueryLog(running));
    CTL_ASSIGN_OR_RETURN(std::vector<TaskRecord> tasks, ListTasks(run_id));
    std::set<std::pair<std::string, int64_t>> on_workers;
    for (const auto& t : tasks) on_workers.insert({t.prcs_nm, t.attempt});
    std::vector<AttemptRecord> recovered;
    for (auto& a : stuck) {
      // A worker holds it (or its result waits to be applied): not lost.
      if (on_workers.count({a.prcs_nm, a.attempt})) continue;
      Status st = TransitionAttempt(a.run_id, a.prcs_nm, a.attempt, AttemptStatus::kRunning,
                                    AttemptStatus::kUpForRetry,
                                    AttemptUpdate{.end_dt = NowTimestamp(), .message = message});
      if (st.code() == ErrorCode::kConflict) continue;  // finished meanwhile
      CTL_RETURN_IF_ERROR(st);
      a.status = static_cast<int64_t>(AttemptStatus::kUpForRetry);
      a.message = message;
      recovered.push_back(std::move(a));
    }
    return recovered;
  }

  Status TransitionRun(int64_t run_id, RunStatus from, RunStatus to,
                       const std::string& message) override {
    if (!IsLegalTransition(from, to)) {
      return Status::Internal(std::string("illegal run transition ") +
                              RunStatusName(static_cast<int64_t>(from)) + " -> " +
                              RunStatusName(static_cast<int64_t>(to)));
    }
    std::lock_guard<std::recursive_mutex> lock(mu_);
    bool finished = to != RunStatus::kRunning;
    std::string now = NowTimestamp();
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("UPDATE cntl_af.cntl_strem_run SET status = ?1,"
                  " start_dt = coalesce(start_dt, ?2), end_dt = ?3,"
                  " message = coalesce(?4, message)"
                  " WHERE run_id = ?5 AND status = ?6",
                  {static_cast<int64_t>(to), now, finished ? Value(now) : Value(),
                   message.empty() ? Value() : Value(message), run_id,
                   static_cast<int64_t>(from)}));
    if (r.changes != 1) {
      return Status::Conflict("run " + std::to_string(run_id) + " is not " +
                              RunStatusName(static_cast<int64_t>(from)));
    }
    return Status::Ok();
  }

  Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Where where;
    if (filter.stream) where.Add("strem_nm = ?", Value(*filter.stream));
    if (filter.run_id) where.Add("run_id = ?", Value(*filter.run_id));
    if (filter.data_dt) where.Add("data_dt = ?", Value(*filter.data_dt));
    if (!filter.statuses.empty()) {
      std::string statuses;
      for (RunStatus st : filter.statuses) {
        statuses += (statuses.empty() ? "" : ", ") + std::to_string(static_cast<int64_t>(st));
      }
      where.AddLiteral("status IN (" + statuses + ")");
    }
    std::string sql =
        "SELECT run_id, strem_nm, data_dt, status, run_typ, params, queued_dt, start_dt, end_dt,"
        " message, interval_start, interval_end, cancel_requested, owner FROM cntl_af.cntl_strem_run" +
        where.NewestFirst("run_id", SqlLimit(filter.limit), filter.offset);
    const std::vector<Value>& params = where.params();
    CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query(sql, params));
    std::vector<RunRecord> out;
    for (const auto& row : r.rows) {
      RunRecord run;
      run.run_id = std::get<int64_t>(row[0]);
      run.strem_nm = ValueToString(row[1]);
      run.data_dt = ValueToString(row[2]);
      run.status = std::get<int64_t>(row[3]);
      run.run_typ = ValueToString(row[4]);
      run.params_json = ValueToString(row[5]);
      run.queued_dt = ValueToString(row[6]);
      run.start_dt = ValueToString(row[7]);
      run.end_dt = ValueToString(row[8]);
      run.message = ValueToString(row[9]);
      run.interval_start = ValueToString(row[10]);
      run.interval_end = ValueToString(row[11]);
      run.cancel_requested = std::get<int64_t>(row[12]) != 0;
      run.owner = ValueToString(row[13]);
      out.push_back(std::move(run));
    }
    if (!filter.newest_first) std::reverse(out.begin(), out.end());
    return out;
  }

  Status InsertAttempts(const std::vector<AttemptRecord>& attempts) override {
    for (const auto& a : attempts) {
      if (!IsLegalInitialState(static_cast<AttemptStatus>(a.status))) {
        return Status::Internal(std::string("an attempt cannot start as ") + AttemptStatusName(a.status));
      }
    }
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const std::string now = NowTimestamp();
    // DO NOTHING rather than an error, so a lost race does not abort the
    // caller's transaction (PostgreSQL would).
    CTL_ASSIGN_OR_RETURN(
        int64_t inserted,
        InsertRows("INSERT INTO cntl_af.cntl_cfg_log (prcs_nm, data_dt, start_dt, end_dt, status, message,"
                   " source_row, target_row, run_id, attempt, strem_nm, log_path, worker_nm, queued_dt) VALUES ",
                   14, attempts.size(), " ON CONFLICT DO NOTHING",
                   [&](size_t i, std::vector<Value>* params, std::string*) {
                     const AttemptRecord& a = attempts[i];
                     params->insert(params->end(),
                                    {a.prcs_nm, a.data_dt, OptText(a.start_dt), OptText(a.end_dt), a.status,
                                     OptText(a.message), OptInt(a.source_row), OptInt(a.target_row), a.run_id,
                                     a.attempt, a.strem_nm, OptText(a.log_path), OptText(a.worker_nm),
                                     a.status == static_cast<int64_t>(AttemptStatus::kQueued) ? Value(now)
                                                                                               : Value()});
                     return Status::Ok();
                   }));
    if (inserted != static_cast<int64_t>(attempts.size())) {
      const AttemptRecord& a = attempts.front();
      return Status::Conflict(attempts.size() == 1
                                  ? "attempt " + std::to_string(a.attempt) + " of " + a.prcs_nm + " in run " +
                                        std::to_string(a.run_id) + " already exists"
                                  : "some of " + std::to_string(attempts.size()) + " attempts already exist");
    }
    return Status::Ok();
  }

  Status TransitionAttempts(const std::vector<AttemptTransition>& ts) override {
    for (const auto& t : ts) {
      if (!IsLegalTransition(t.from, t.to)) {
        return Status::Internal(std::string("illegal attempt transition ") +
                                AttemptStatusName(static_cast<int64_t>(t.from)) + " -> " +
                                AttemptStatusName(static_cast<int64_t>(t.to)) + " for " + t.prcs_nm);
      }
    }
    if (ts.empty()) return Status::Ok();
    if (ts.size() == 1) {
      // One row: the plain UPDATE is cheaper to prepare than one FROM VALUES.
      const AttemptTransition& t = ts[0];
      AttemptUpdate u{.message = t.message, .source_row = t.source_row, .target_row = t.target_row};
      if (!t.end_dt.empty()) u.end_dt = t.end_dt;
      return TransitionAttempt(t.run_id, t.prcs_nm, t.attempt, t.from, t.to, u);
    }
    std::lock_guard<std::recursive_mutex> lock(mu_);
    constexpr size_t kChunk = 400;  // 8 values a row, well under SQLite's limit
    for (size_t first = 0; first < ts.size(); first += kChunk) {
      const size_t n = std::min(kChunk, ts.size() - first);
      std::vector<Value> params;
      std::string values;
      for (size_t i = first; i < first + n; ++i) {
        const AttemptTransition& t = ts[i];
        AppendTypedRow(&values, &params,
                       {"BIGINT", "TEXT", "BIGINT", "BIGINT", "BIGINT", "TEXT", "TEXT", "BIGINT", "BIGINT"},
                       {t.run_id, t.prcs_nm, t.attempt, static_cast<int64_t>(t.from), static_cast<int64_t>(t.to),
                        OptText(t.end_dt), t.message, OptInt(t.source_row), OptInt(t.target_row)});
      }
      CTL_ASSIGN_OR_RETURN(
          QueryResult r,
          db_->Query("UPDATE cntl_af.cntl_cfg_log SET status = v.column5,"
                     " end_dt = coalesce(v.column6, cntl_cfg_log.end_dt), message = v.column7,"
                     " source_row = coalesce(v.column8, cntl_cfg_log.source_row),"
                     " target_row = coalesce(v.column9, cntl_cfg_log.target_row)"
                     " FROM (VALUES " + values + ") AS v WHERE cntl_cfg_log.run_id = v.column1"
                     " AND cntl_cfg_log.prcs_nm = v.column2 AND cntl_cfg_log.attempt = v.column3"
                     " AND cntl_cfg_log.status = v.column4",
                     params));
      if (r.changes != static_cast<int64_t>(n)) {
        return Status::Conflict(std::to_string(n - r.changes) + " of " + std::to_string(n) +
                                " attempts were not in the state their transition expects");
      }
    }
    return Status::Ok();
  }

  Status TransitionAttempt(int64_t run_id, const std::string& prcs_nm, int64_t attempt,
                           AttemptStatus from, AttemptStatus to,
                           const AttemptUpdate& u) override {
    if (!IsLegalTransition(from, to)) {
      return Status::Internal(std::string("illegal attempt transition ") +
                              AttemptStatusName(static_cast<int64_t>(from)) + " -> " +
                              AttemptStatusName(static_cast<int64_t>(to)) + " for " + prcs_nm);
    }
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(
        QueryResult r,
        db_->Query("UPDATE cntl_af.cntl_cfg_log SET status = ?1,"
                  " start_dt = coalesce(?2, start_dt), end_dt = coalesce(?3, end_dt),"
                  " message = coalesce(?4, message), log_path = coalesce(?5, log_path),"
                  " worker_nm = coalesce(?6, worker_nm),"
                  " queued_dt = CASE WHEN ?1 = 2 THEN ?13 ELSE queued_dt END,"
                  " source_row = coalesce(?7, source_row), target_row = coalesce(?8, target_row)"
                  " WHERE run_id = ?9 AND prcs_nm = ?10 AND attempt = ?11 AND status = ?12",
                  {static_cast<int64_t>(to), Opt(u.start_dt), Opt(u.end_dt), Opt(u.message),
                   Opt(u.log_path), Opt(u.worker_nm), OptInt(u.source_row), OptInt(u.target_row),
                   run_id, prcs_nm, attempt, static_cast<int64_t>(from), NowTimestamp()}));
    if (r.changes != 1) {
      return Status::Conflict("attempt " + std::to_string(attempt) + " of " + prcs_nm +
                              " in run " + std::to_string(run_id) + " is not " +
                              AttemptStatusName(static_cast<int64_t>(from)));
    }
    return Status::Ok();
  }

  Result<std::vector<AttemptRecord>> QueryLog(const LogFilter& f) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Where where;
    if (f.stream) where.Add("strem_nm = ?", Value(*f.stream));
    if (f.process) where.Add("prcs_nm = ?", Value(*f.process));
    if (f.data_dt) where.Add("data_dt = ?", Value(*f.data_dt));
    if (f.run_id) where.Add("run_id = ?", Value(*f.run_id));
    if (f.status) where.Add("status = ?", Value(*f.status));
    if (f.search && !f.search->empty()) {
      where.Add("(LOWER(prcs_nm) LIKE ? OR LOWER(COALESCE(message, '')) LIKE ?)",
                Value("%" + LowerAscii(*f.search) + "%"));
    }
    std::string sql =
        "SELECT prcs_nm, data_dt, start_dt, end_dt, status, message, source_row, target_row,"
        " run_id, attempt, strem_nm, log_path, worker_nm, queued_dt FROM cntl_af.cntl_cfg_log" +
        where.NewestFirst(db_->LogOrder(), SqlLimit(f.limit), f.offset);
    CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query(sql, where.params()));
    std::vector<AttemptRecord> out;
    for (const auto& row : r.rows) {
      AttemptRecord a;
      a.prcs_nm = ValueToString(row[0]);
      a.data_dt = ValueToString(row[1]);
      a.start_dt = ValueToString(row[2]);
      a.end_dt = ValueToString(row[3]);
      a.status = std::get<int64_t>(row[4]);
      a.message = ValueToString(row[5]);
      if (!IsNull(row[6])) a.source_row = std::get<int64_t>(row[6]);
      if (!IsNull(row[7])) a.target_row = std::get<int64_t>(row[7]);
      a.run_id = IsNull(row[8]) ? 0 : std::get<int64_t>(row[8]);
      a.attempt = IsNull(row[9]) ? 0 : std::get<int64_t>(row[9]);
      a.strem_nm = ValueToString(row[10]);
      a.log_path = ValueToString(row[11]);
      a.worker_nm = ValueToString(row[12]);
      a.queued_dt = ValueToString(row[13]);
      out.push_back(std::move(a));
    }
    if (!f.newest_first) std::reverse(out.begin(), out.end());
    return out;
  }

  Result<bool> HasSucceeded(const std::string& prcs_nm, const std::string& data_dt) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT 1 FROM cntl_af.cntl_cfg_log WHERE prcs_nm = ?1"
                                   " AND data_dt = ?2 AND status = 0 LIMIT 1",
                                   {prcs_nm, data_dt}));
    return !r.rows.empty();
  }
  Status UpsertUser(const UserRecord& u) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("INSERT INTO cntl_af.cntl_user (user_nm, role, created_dt) VALUES (?1, ?2, ?3)"
                                    " ON CONFLICT (user_nm) DO UPDATE SET role = excluded.role",
                                    {u.user_nm, u.role, NowTimestamp()}));
    (void)r;
    return Status::Ok();
  }

  Result<std::vector<UserRecord>> ListUsers() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT user_nm, role, created_dt FROM cntl_af.cntl_user ORDER BY user_nm"));
    std::vector<UserRecord> out;
    for (const auto& row : r.rows) {
      out.push_back({ValueToString(row[0]), ValueToString(row[1]), ValueToString(row[2])});
    }
    return out;
  }

  Result<int64_t> CreateToken(const std::string& user_nm, const std::string& token_hash,
                              const std::string& label) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult user,
                         db_->Query("SELECT 1 FROM cntl_af.cntl_user WHERE user_nm = ?1", {user_nm}));
    if (user.rows.empty()) return Status::NotFound("no user named '" + user_nm + "'; add one with ctlflow user add");
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("INSERT INTO cntl_af.cntl_api_token (user_nm, token_hash, label, created_dt)"
                                    " VALUES (?1, ?2, ?3, ?4) RETURNING token_id",
                                    {user_nm, token_hash, label, NowTimestamp()}));
    if (r.rows.empty()) return Status::Internal("the new token's id was not returned");
    return std::get<int64_t>(r.rows[0][0]);
  }

  Result<std::optional<std::pair<TokenRecord, UserRecord>>> FindToken(const std::string& token_hash) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT t.token_id, t.user_nm, t.label, t.created_dt, t.last_used_dt,"
                                    " u.role, u.created_dt FROM cntl_af.cntl_api_token t"
                                    " JOIN cntl_af.cntl_user u ON u.user_nm = t.user_nm"
                                    " WHERE t.token_hash = ?1 AND t.revoked = 0",
                                    {token_hash}));
    if (r.rows.empty()) return std::optional<std::pair<TokenRecord, UserRecord>>();
    const auto& row = r.rows[0];
    TokenRecord token{std::get<int64_t>(row[0]), ValueToString(row[1]), ValueToString(row[2]),
                      ValueToString(row[3]), ValueToString(row[4]), false};
    UserRecord user{token.user_nm, ValueToString(row[5]), ValueToString(row[6])};
    // Last use is kept to the minute, so reads do not write on every request.
    std::string now = NowTimestamp();
    if (token.last_used_dt.substr(0, 16) != now.substr(0, 16)) {
      CTL_ASSIGN_OR_RETURN(QueryResult u, db_->Query("UPDATE cntl_af.cntl_api_token SET last_used_dt = ?2"
                                                     " WHERE token_id = ?1",
                                                     {token.token_id, now}));
      (void)u;
      token.last_used_dt = now;
    }
    return std::optional<std::pair<TokenRecord, UserRecord>>(std::make_pair(token, user));
  }

  Result<std::vector<TokenRecord>> ListTokens() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT token_id, user_nm, label, created_dt, last_used_dt, revoked"
                                    " FROM cntl_af.cntl_api_token ORDER BY token_id"));
    std::vector<TokenRecord> out;
    for (const auto& row : r.rows) {
      out.push_back({std::get<int64_t>(row[0]), ValueToString(row[1]), ValueToString(row[2]),
                     ValueToString(row[3]), ValueToString(row[4]), std::get<int64_t>(row[5]) != 0});
    }
    return out;
  }

  Status RevokeToken(int64_t token_id) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query("UPDATE cntl_af.cntl_api_token SET revoked = 1"
                                                   " WHERE token_id = ?1",
                                                   {token_id}));
    if (r.changes != 1) return Status::NotFound("no token with id " + std::to_string(token_id));
    return Status::Ok();
  }

  Status AppendAudit(const AuditRecord& a) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("INSERT INTO cntl_af.cntl_audit (at_dt, user_nm, action, target, detail,"
                                    " outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                    {a.at_dt.empty() ? NowTimestamp() : a.at_dt, a.user_nm, a.action, a.target,
                                     a.detail, a.outcome}));
    (void)r;
    return Status::Ok();
  }

  Result<std::vector<AuditRecord>> ListAudit(int64_t limit, int64_t offset) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("SELECT audit_id, at_dt, user_nm, action, target, detail, outcome"
                                    " FROM cntl_af.cntl_audit ORDER BY audit_id DESC LIMIT ?1 OFFSET ?2",
                                    {limit, offset}));
    std::vector<AuditRecord> out;
    for (const auto& row : r.rows) {
      out.push_back({std::get<int64_t>(row[0]), ValueToString(row[1]), ValueToString(row[2]),
                     ValueToString(row[3]), ValueToString(row[4]), ValueToString(row[5]),
                     ValueToString(row[6])});
    }
    return out;
  }

  Result<std::vector<IcebergTableRow>> ListIcebergTables(const std::string& catalog_name) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query(std::string(kIcebergSelect) +
                                        " WHERE catalog_name = ?1 ORDER BY table_namespace, table_name",
                                    {catalog_name}));
    std::vector<IcebergTableRow> out;
    for (const auto& row : r.rows) out.push_back(IcebergRow(row));
    return out;
  }

  Result<std::optional<IcebergTableRow>> LoadIcebergTable(const std::string& catalog_name,
                                                          const std::string& table_namespace,
                                                          const std::string& table_name) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return LoadIcebergLocked(catalog_name, table_namespace, table_name, "");
  }

  Status CommitIcebergTable(const std::string& catalog_name, const std::string& table_namespace,
                            const std::string& table_name, const std::string& expected,
                            const std::function<Result<std::string>()>& write) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const std::string table = table_namespace + "." + table_name;
    Tx tx(*db_, depth_, pending_notify_);
    CTL_RETURN_IF_ERROR(tx.Begin());
    CTL_ASSIGN_OR_RETURN(std::optional<IcebergTableRow> current,
                         LoadIcebergLocked(catalog_name, table_namespace, table_name, db_->ForUpdate()));
    const std::string now = current ? current->metadata_location : "";
    if (now != expected) {
      if (expected.empty()) return Status::Conflict("Iceberg table " + table + " already exists at " + now);
      if (!current) return Status::Conflict("Iceberg table " + table + " is no longer registered");
      return Status::Conflict("Iceberg table " + table + " moved on to " + now + " (expected " + expected +
                              "); another writer committed first");
    }
    CTL_ASSIGN_OR_RETURN(std::string location, write());
    if (!current) {
      CTL_ASSIGN_OR_RETURN(QueryResult r,
                           db_->Query("INSERT INTO cntl_af.iceberg_tables (catalog_name, table_namespace,"
                                      " table_name, metadata_location, previous_metadata_location,"
                                      " iceberg_type) VALUES (?1, ?2, ?3, ?4, NULL, 'TABLE')",
                                      {catalog_name, table_namespace, table_name, location}));
      (void)r;
    } else {
      CTL_ASSIGN_OR_RETURN(QueryResult r,
                           db_->Query("UPDATE cntl_af.iceberg_tables SET metadata_location = ?4,"
                                      " previous_metadata_location = ?5 WHERE catalog_name = ?1 AND"
                                      " table_namespace = ?2 AND table_name = ?3 AND metadata_location = ?5",
                                      {catalog_name, table_namespace, table_name, location, expected}));
      if (r.changes != 1) return Status::Conflict("Iceberg table " + table + " moved on during the commit");
    }
    return tx.Commit();
  }

  Status DropIcebergTable(const std::string& catalog_name, const std::string& table_namespace,
                          const std::string& table_name) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query("DELETE FROM cntl_af.iceberg_tables WHERE catalog_name = ?1 AND"
                                    " table_namespace = ?2 AND table_name = ?3",
                                    {catalog_name, table_namespace, table_name}));
    if (r.changes != 1) {
      return Status::NotFound("no Iceberg table " + table_namespace + "." + table_name + " in catalog " +
                              catalog_name);
    }
    return Status::Ok();
  }

 private:
  Result<std::optional<IcebergTableRow>> LoadIcebergLocked(const std::string& catalog_name,
                                                           const std::string& table_namespace,
                                                           const std::string& table_name,
                                                           const std::string& suffix) {
    CTL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Query(std::string(kIcebergSelect) +
                                        " WHERE catalog_name = ?1 AND table_namespace = ?2 AND"
                                        " table_name = ?3" + suffix,
                                    {catalog_name, table_namespace, table_name}));
    if (r.rows.empty()) return std::optional<IcebergTableRow>();
    return std::optional<IcebergTableRow>(IcebergRow(r.rows[0]));
  }

  // LIMIT for "no limit" that both databases take.
  static int64_t SqlLimit(int64_t limit) { return limit > 0 ? limit : (int64_t{1} << 62); }
  // Lower-cased ASCII for a LIKE that is case-insensitive on both
  // databases; % and _ in a search stay wildcards.
  static std::string LowerAscii(const std::string& text) {
    std::string out;
    for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  static constexpr const char* kTaskColumns =
      "task_id, run_id, prcs_nm, attempt, queue, prir, spec, log_path, worker_id, worker_nm, claimed_dt,"
      " lease_until, cancel_requested, finished, result_status, result_message, source_row, target_row,"
      " finished_dt";
  static TaskRecord TaskFromRow(const std::vector<Value>& row) {
    TaskRecord t;
    t.task_id = std::get<int64_t>(row[0]);
    t.run_id = std::get<int64_t>(row[1]);
    t.prcs_nm = ValueToString(row[2]);
    t.attempt = std::get<int64_t>(row[3]);
    t.queue = ValueToString(row[4]);
    t.prir = std::get<int64_t>(row[5]);
    t.spec = ValueToString(row[6]);
    t.log_path = ValueToString(row[7]);
    t.worker_id = ValueToString(row[8]);
    t.worker_nm = ValueToString(row[9]);
    t.claimed_dt = ValueToString(row[10]);
    t.lease_until = ValueToString(row[11]);
    t.cancel_requested = std::get<int64_t>(row[12]) != 0;
    t.finished = std::get<int64_t>(row[13]) != 0;
    t.result_status = IsNull(row[14]) ? 0 : std::get<int64_t>(row[14]);
    t.result_message = ValueToString(row[15]);
    if (!IsNull(row[16])) t.source_row = std::get<int64_t>(row[16]);
    if (!IsNull(row[17])) t.target_row = std::get<int64_t>(row[17]);
    t.finished_dt = ValueToString(row[18]);
    return t;
  }
  // A multi-row INSERT in chunks: `row(i, params, extra)` appends row i's
  // `width` values and may append more SQL to that row's tuple. Returns the
  // rows inserted.
  Result<int64_t> InsertRows(const std::string& head, size_t width, size_t count, const std::string& tail,
                             const std::function<Status(size_t, std::vector<Value>*, std::string*)>& row) {
    const size_t chunk = std::max<size_t>(1, 30000 / width);  // SQLite allows 32766 values
    int64_t inserted = 0;
    for (size_t first = 0; first < count; first += chunk) {
      const size_t n = std::min(chunk, count - first);
      std::vector<Value> params;
      std::string values;
      for (size_t i = first; i < first + n; ++i) {
        std::string tuple = "(";
        for (size_t c = 0; c < width; ++c) tuple += (c ? ", ?" : "?") + std::to_string(params.size() + c + 1);
        std::string extra;
        CTL_RETURN_IF_ERROR(row(i, &params, &extra));
        values += (values.empty() ? "" : ", ") + tuple + extra + ")";
      }
      CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query(head + values + tail, params));
      inserted += r.changes;
    }
    return inserted;
  }

  // 1 when the worker row `alias` is not stopped and within its lease.
  std::string AliveSql(const std::string& alias) const {
    return "CASE WHEN " + alias + ".stopped_dt IS NULL AND " + alias + ".heartbeat_dt >= " +
           db_->NowPlusSql("(-" + alias + ".lease_s)") + " THEN 1 ELSE 0 END";
  }
  // Appends one row to a VALUES list, and its values to `params`. Each
  // value is CAST to its SQL type, so PostgreSQL reads a NULL as that type.
  static void AppendTypedRow(std::string* values, std::vector<Value>* params,
                             std::initializer_list<const char*> types, std::initializer_list<Value> row) {
    assert(types.size() == row.size());
    *values += values->empty() ? "(" : ", (";
    auto type = types.begin();
    for (const Value& v : row) {
      params->push_back(v);
      *values += std::string(type == types.begin() ? "" : ", ") + "CAST(?" + std::to_string(params->size()) +
                 " AS " + *type + ")";
      ++type;
    }
    *values += ")";
  }

  // "?first, ?first+1, ..." for `count` parameters.
  static std::string Placeholders(size_t first, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += (i ? ", ?" : "?") + std::to_string(first + i);
    return out;
  }
  static Value OptText(const std::string& s) { return s.empty() ? Value() : Value(s); }
  static std::vector<Value> WithLast(std::vector<Value> params, Value last) {
    params.push_back(std::move(last));
    return params;
  }
  static Value Opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(); }
  static Value OptInt(const std::optional<int64_t>& i) { return i ? Value(*i) : Value(); }

  Result<std::vector<TableRows>> ReadConfigLocked() {
    std::vector<TableRows> out;
    for (const auto& t : ControlTableDefs()) {
      if (!t.config) continue;
      std::string sql = "SELECT ";
      for (size_t i = 0; i < t.columns.size(); ++i) sql += (i ? ", " : "") + t.columns[i].name;
      sql += std::string(" FROM ") + kSchema + "." + t.name + " ORDER BY ";
      for (size_t i = 0; i < t.key.size(); ++i) sql += (i ? ", " : "") + t.key[i];
      CTL_ASSIGN_OR_RETURN(QueryResult r, db_->Query(sql));
      TableRows rows;
      rows.table = &t;
      for (auto& values : r.rows) rows.rows.push_back(Row{std::move(values)});
      out.push_back(std::move(rows));
    }
    return out;
  }

  std::string KeyWhere(const TableDef& t, int first_param) {
    std::string where;
    for (size_t i = 0; i < t.key.size(); ++i) {
      where += (i ? " AND " : "") + t.key[i] + " = ?" + std::to_string(first_param + i);
    }
    return where;
  }

  Result<TableChangeSummary> ApplyTable(const TableChange& change) {
    const TableDef& t = *change.table;
    TableChangeSummary summary;
    summary.table = t.name;
    std::vector<int> key_idx = t.KeyIndexes();
    std::set<std::vector<std::string>> seen;
    std::string select = "SELECT ";
    for (size_t i = 0; i < t.columns.size(); ++i) select += (i ? ", " : "") + t.columns[i].name;
    select += std::string(" FROM ") + kSchema + "." + t.name + " WHERE " + KeyWhere(t, 1);
    const int upt_idx = t.ColumnIndex("upt_dt");

    for (const auto& up : change.upserts) {
      std::vector<Value> key;
      std::vector<std::string> key_text;
      for (int k : key_idx) {
        key.push_back(up.row.values[k]);
        key_text.push_back(ValueToString(up.row.values[k]));
      }
      seen.insert(key_text);
      const std::string key_label = RowKeyText(t, up.row);
      CTL_ASSIGN_OR_RETURN(QueryResult existing, db_->Query(select, key));
      std::vector<std::string> cols;
      std::vector<Value> vals;
      bool differs = false;
      for (size_t i = 0; i < t.columns.size(); ++i) {
        if (!up.present[i]) continue;
        cols.push_back(t.columns[i].name);
        vals.push_back(up.row.values[i]);
        if (!existing.rows.empty() && existing.rows[0][i] != up.row.values[i]) differs = true;
      }
      if (existing.rows.empty()) {
        std::string sql = std::string("INSERT INTO ") + kSchema + "." + t.name + " (";
        std::string placeholders;
        for (size_t i = 0; i < cols.size(); ++i) {
          sql += (i ? ", " : "") + cols[i];
          placeholders += (i ? ", ?" : "?") + std::to_string(i + 1);
        }
        sql += ") VALUES (" + placeholders + ")";
        auto r = db_->Query(sql, vals);
        if (!r.ok()) {
          return Status::Invalid("table " + t.name + " row " + key_label + ": " +
                                 r.status().message());
        }
        summary.inserted.push_back(key_label);
      } else if (differs) {
        std::string sql = std::string("UPDATE ") + kSchema + "." + t.name + " SET ";
        for (size_t i = 0; i < cols.size(); ++i) {
          sql += (i ? ", " : "") + cols[i] + " = ?" + std::to_string(i + 1);
        }
        if (upt_idx >= 0 && !up.present[upt_idx]) sql += ", upt_dt = CURRENT_TIMESTAMP";
        sql += " WHERE " + KeyWhere(t, static_cast<int>(cols.size()) + 1);
        for (const auto& k : key) vals.push_back(k);
        auto r = db_->Query(sql, vals);
        if (!r.ok()) {
          return Status::Invalid("table " + t.name + " row " + key_label + ": " +
                                 r.status().message());
        }
        summary.updated.push_back(key_label);
      } else {
        ++summary.unchanged;
      }
    }

    if (change.prune) {
      std::string sql = "SELECT ";
      for (size_t i = 0; i < t.key.size(); ++i) sql += (i ? ", " : "") + t.key[i];
      sql += std::string(" FROM ") + kSchema + "." + t.name;
      CTL_ASSIGN_OR_RETURN(QueryResult all, db_->Query(sql));
      for (const auto& row : all.rows) {
        std::vector<std::string> key_text;
        for (const auto& v : row) key_text.push_back(ValueToString(v));
        if (seen.count(key_text)) continue;
        CTL_ASSIGN_OR_RETURN(QueryResult unused,
                             db_->Query(std::string("DELETE FROM ") + kSchema + "." + t.name +
                                           " WHERE " + KeyWhere(t, 1),
                                       row));
        (void)unused;
        std::string label;
        for (const auto& k : key_text) label += (label.empty() ? "" : "/") + k;
        summary.deleted.push_back(label);
      }
    }
    return summary;
  }

  // Recursive, so a Batch can call the other methods while holding it.
  std::recursive_mutex mu_;
  std::unique_ptr<SqlBackend> db_;
  int depth_ = 0;  // open transactions (joined ones count too)
  Notifications pending_notify_;  // sent when the outermost transaction commits
};

}  // namespace

std::string NowTimestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Result<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const std::string& path) {
  CTL_ASSIGN_OR_RETURN(auto backend, OpenSqliteBackend(path));
  return std::unique_ptr<MetadataStore>(std::make_unique<SqlMetadataStore>(std::move(backend)));
}

Result<std::unique_ptr<MetadataStore>> OpenPostgresMetadataStore(const std::string& url) {
  CTL_ASSIGN_OR_RETURN(auto backend, OpenPostgresBackend(url));
  return std::unique_ptr<MetadataStore>(std::make_unique<SqlMetadataStore>(std::move(backend)));
}

}  // namespace ctlflow

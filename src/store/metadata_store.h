// MetadataStore: the one interface through which ctlflow reads and writes
// control tables, stream runs and attempt log rows.
//
// One implementation (sql_metadata_store.cc) runs on two SqlBackends:
// SQLite, embedded under the home folder, and PostgreSQL for several hosts.
// tests/contract runs one suite against both.
// The store never decides state transitions: it writes the transition the
// caller asks for after checking it with model/status_codes.h, inside a
// transaction that re-checks the expected previous state.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/entities.h"
#include "model/status_codes.h"
#include "model/tables.h"
#include "store/sql_backend.h"
#include "store/sqlite.h"

namespace ctlflow {

// One row to insert or update; `present` says which columns were given.
struct UpsertRow {
  Row row;
  std::vector<bool> present;
};

struct TableChange {
  const TableDef* table = nullptr;
  std::vector<UpsertRow> upserts;
  bool prune = false;  // delete rows of this table that are not upserted
};

struct TableChangeSummary {
  std::string table;
  std::vector<std::string> inserted, updated, deleted;  // row keys
  int64_t unchanged = 0;
};

// Checks the would-be state of the config tables before it is committed.
using ConfigValidator = std::function<Status(const std::vector<TableRows>&)>;

struct RunRecord {
  int64_t run_id = 0;
  std::string strem_nm;
  std::string data_dt;
  int64_t status = 0;
  std::string run_typ;      // manual | scheduled | backfill
  std::string params_json;  // {"k": "v"}
  std::string queued_dt, start_dt, end_dt;
  std::string message;
  // For scheduled runs: the data interval [start, end) in UTC, ISO text.
  std::string interval_start, interval_end;
  bool cancel_requested = false;
  // The process executing a running run, "host:pid"; a run whose owner has
  // died is taken over by the next scheduler.
  std::string owner;
};

// A named connection (warehouse, lakehouse). Secrets are never stored: only
// where to find them (an environment variable or an owner-only file).
struct ConnectionDef {
  std::string conn_nm;
  std::string conn_typ;  // sqlite | postgres | lakehouse
  std::string url;
  std::string password_env;
  std::string password_file;
  std::string upt_dt;
};

// Attempts to re-run in a cleared run: a process's attempts numbered
// <= after_attempt no longer count.
struct RunClear {
  std::string prcs_nm;
  int64_t after_attempt = 0;
};

struct AttemptRecord {
  std::string prcs_nm;
  std::string data_dt;
  std::string start_dt, end_dt;
  int64_t status = 0;
  std::string message;
  std::optional<int64_t> source_row, target_row;
  int64_t run_id = 0;
  int64_t attempt = 1;
  std::string strem_nm;
  std::string log_path;
  std::string worker_nm;
  std::string queued_dt;  // when it became queued (set by the store)
};

// Fields written together with an attempt's state change; unset = unchanged.
struct AttemptUpdate {
  std::optional<std::string> start_dt{}, end_dt{}, message{}, log_path{}, worker_nm{};
  std::optional<int64_t> source_row{}, target_row{};
};

struct AttemptTransition {
  int64_t run_id = 0;
  std::string prcs_nm;
  int64_t attempt = 0;
  AttemptStatus from = AttemptStatus::kRunning, to = AttemptStatus::kFailed;
  std::string end_dt, message;  // end_dt "" = unchanged
  std::optional<int64_t> source_row{}, target_row{};
};

struct LogFilter {
  std::optional<std::string> stream{}, process{}, data_dt{};
  std::optional<int64_t> run_id{};
  std::optional<int64_t> status{};
  // Case-insensitive text that prcs_nm or message contains.
  std::optional<std::string> search{};
  int64_t limit = 0;   // 0 = no limit; otherwise the newest `limit` rows
  int64_t offset = 0;  // skip this many of the newest rows first (paging)
  bool newest_first = false;  // default: oldest of the page first
};

struct RunFilter {
  std::optional<std::string> stream{};
  std::optional<int64_t> run_id{};
  std::optional<std::string> data_dt{};
  std::vector<RunStatus> statuses{};  // empty = any
  int64_t limit = 0;   // as in LogFilter
  int64_t offset = 0;
  bool newest_first = false;
};

// A process that executes work and heartbeats: a `ctlflow worker`, a
// scheduler, or a foreground `ctlflow run`. Run owners and task leases name
// it; it is alive while its heartbeat is younger than its lease.
struct WorkerRecord {
  std::string worker_id;  // "host:pid"
  std::string kind;       // worker | scheduler | run
  std::string host;
  int64_t pid = 0;
  int64_t slots = 0;
  std::string queues;     // comma-separated
  int64_t lease_s = 30;
  std::string started_dt, heartbeat_dt, stopped_dt;
  bool alive = false;     // computed on the database's clock
  int64_t running = 0;    // tasks it holds now
};

// An attempt handed to the workers: the log row (run_id, prcs_nm, attempt)
// is queued (2) until a worker claims the task, running (1) while its lease
// holds, and the run's engine applies the result the worker leaves here.
struct TaskRecord {
  int64_t task_id = 0;
  int64_t run_id = 0;
  std::string prcs_nm;
  int64_t attempt = 0;
  std::string queue = "default";
  int64_t prir = 1;
  std::string spec;      // JSON: what to run (executor/task_spec.h)
  std::string log_path;
  std::string worker_id, worker_nm, claimed_dt, lease_until;
  bool cancel_requested = false;
  bool finished = false;
  std::string finished_dt;  // when the attempt ended (the worker's clock)
  int64_t result_status = 0;
  std::string result_message;
  std::optional<int64_t> source_row, target_row;
};

// A queue with its optional limit: at most max_running of its attempts run
// at once over all workers (a pool, e.g. for a database that takes only so
// many connections). Queues without a row are unlimited.
struct QueueRecord {
  std::string queue;
  std::optional<int64_t> max_running;
  int64_t queued = 0, running = 0;  // tasks now
};

struct TaskResult {
  AttemptStatus status = AttemptStatus::kFailed;
  std::string message;
  std::optional<int64_t> source_row, target_row;
  std::string end_dt;  // when it ended, on the worker ("" = when reported)
};

// A row of iceberg_tables, the layout of Iceberg's JDBC catalog, so that
// Spark or Trino pointed at the same database see ctlflow's tables.
struct IcebergTableRow {
  std::string catalog_name, table_namespace, table_name;
  std::string metadata_location, previous_metadata_location;
};

// Who may use the server (src/server): viewer reads, operator also
// triggers, clears and pauses, admin also edits the control tables and
// connections. Tokens are stored as SHA-256 hex of the secret only.
struct UserRecord {
  std::string user_nm, role, created_dt;
};
struct TokenRecord {
  int64_t token_id = 0;
  std::string user_nm, label, created_dt, last_used_dt;
  bool revoked = false;
};
// One write through the server: who, what, when, and how it ended.
struct AuditRecord {
  int64_t audit_id = 0;
  std::string at_dt, user_nm, action, target, detail, outcome;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  virtual const char* BackendName() const = 0;  // "sqlite" | "postgresql"

  // Creates or upgrades the schema; idempotent.
  virtual Status Migrate() = 0;
  virtual Result<int64_t> SchemaVersion() = 0;

  // The five config tables (not the log), rows ordered by key.
  virtual Result<std::vector<TableRows>> ReadConfigTables() = 0;
  // Applies all changes in one transaction; `validate` sees the resulting
  // tables before commit. With dry_run, everything is rolled back.
  virtual Result<std::vector<TableChangeSummary>> ApplyChanges(
      const std::vector<TableChange>& changes, const ConfigValidator& validate, bool dry_run) = 0;

  // Runs user SQL (one or more statements); returns the last statement's rows.
  virtual Result<QueryResult> ExecuteSql(const std::string& sql) = 0;

  // Runs fn's reads and writes as one transaction (group commit): all of
  // them are durable together when it returns Ok, none if fn fails. Other
  // threads' calls wait until it ends.
  virtual Status Batch(const std::function<Status()>& fn) = 0;

  // A number that changes whenever another connection commits; the
  // scheduler reloads the config when it moves.
  virtual Result<int64_t> ChangeCounter() = 0;

  // Stream runs. Runs other than run_typ "manual" are unique per
  // (strem_nm, data_dt): a second one is a Conflict, so two paths asking
  // for the same date create it once.
  virtual Result<int64_t> CreateRun(const RunRecord& run) = 0;
  virtual Status TransitionRun(int64_t run_id, RunStatus from, RunStatus to,
                               const std::string& message) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) = 0;
  // The end of the newest scheduled interval of a stream ("" if none).
  virtual Result<std::string> LastIntervalEnd(const std::string& strem_nm) = 0;
  // Asks the process running the run to cancel it; a queued run is
  // cancelled at once. Returns the run's status before the request.
  virtual Result<RunStatus> RequestCancel(int64_t run_id, const std::string& reason) = 0;
  // Re-queues a finished run: the given processes run again (new attempts),
  // earlier attempts stay in the log. One transaction.
  virtual Status ClearRun(int64_t run_id, RunStatus from, const std::vector<RunClear>& clears) = 0;
  virtual Result<std::vector<RunClear>> ListClears(int64_t run_id) = 0;

  // Named connections (cntl_af.cntl_conn), by name.
  virtual Result<std::vector<ConnectionDef>> ListConnections() = 0;
  virtual Status UpsertConnection(const ConnectionDef& def) = 0;
  virtual Status RemoveConnection(const std::string& conn_nm) = 0;

  // Paused streams get no new scheduled runs.
  virtual Status SetPaused(const std::string& strem_nm, bool paused) = 0;
  virtual Result<std::vector<std::string>> PausedStreams() = 0;

  // Makes `owner` the owner of a running run, if it is still owned by
  // `expected_owner` (compare-and-set: two schedulers never both take it).
  virtual Status ClaimRun(int64_t run_id, const std::string& expected_owner,
                          const std::string& owner) = 0;
  // Attempts of a run left "running" by a process that died: each becomes
  // up_for_retry (6) with `message`, so a new attempt follows. Returns them.
  virtual Result<std::vector<AttemptRecord>> RecoverInterrupted(int64_t run_id,
                                                                const std::string& message) = 0;

  // queued -> running with `owner` in one statement, so no other scheduler
  // ever sees the run running without an owner. Conflict if not queued.
  virtual Status StartRun(int64_t run_id, const std::string& owner) = 0;

  // Workers, schedulers and foreground runs (cntl_worker).
  virtual Status RegisterWorker(const WorkerRecord& worker) = 0;
  // Renews the worker's heartbeat and the leases of the tasks it holds;
  // returns the ids of its tasks whose run was cancelled. NotFound when the
  // worker was marked stopped (it must not carry on).
  virtual Result<std::vector<int64_t>> Heartbeat(const std::string& worker_id) = 0;
  virtual Status StopWorker(const std::string& worker_id) = 0;
  // Every registered worker, alive or not, newest heartbeat first.
  virtual Result<std::vector<WorkerRecord>> ListWorkers() = 0;
  // Whether `worker_id` is registered, not stopped and within its lease.
  // nullopt when it never registered (then only a pid check can tell).
  virtual Result<std::optional<bool>> WorkerAlive(const std::string& worker_id) = 0;

  // The task queue (cntl_task). Enqueue inside the engine's batch; workers
  // are notified when it commits. Many rows go in few statements.
  virtual Status EnqueueTasks(const std::vector<TaskRecord>& tasks) = 0;
  Status EnqueueTask(const TaskRecord& task) { return EnqueueTasks({task}); }
  // Claims one free task of `queues` per free slot (their names become the
  // log's worker_nm), lowest prir then oldest first, skipping rows other
  // claimers hold; their log rows become running in the same transaction.
  // Queue limits are checked in that transaction too, with the limited
  // queues' rows locked, so concurrent claimers never exceed them.
  virtual Result<std::vector<TaskRecord>> ClaimTasks(const std::string& worker_id,
                                                     const std::vector<std::string>& queues,
                                                     const std::vector<std::string>& slot_names) = 0;
  // Limits (cntl_queue); nullopt removes the limit.
  virtual Status SetQueueLimit(const std::string& queue, std::optional<int64_t> max_running) = 0;
  // Queues with a limit or with tasks, by name.
  virtual Result<std::vector<QueueRecord>> ListQueues() = 0;
  // Records the results of claimed tasks in one transaction; one Status per
  // result: Ok, or Conflict when the worker no longer holds that task (its
  // lease expired): the result is refused.
  virtual Result<std::vector<Status>> FinishTasks(const std::string& worker_id,
                                                  const std::vector<std::pair<int64_t, TaskResult>>& results) = 0;
  Status FinishTask(int64_t task_id, const std::string& worker_id, const TaskResult& result) {
    CTL_ASSIGN_OR_RETURN(std::vector<Status> one, FinishTasks(worker_id, {{task_id, result}}));
    return one.at(0);
  }
  // Tasks whose lease ran out finish as failed, naming the worker. Returns them.
  virtual Result<std::vector<TaskRecord>> ExpireLeases() = 0;
  // Removes and returns the finished tasks of these runs (for their engine).
  virtual Result<std::vector<TaskRecord>> TakeFinishedTasks(const std::vector<int64_t>& run_ids) = 0;
  virtual Result<std::vector<TaskRecord>> ListTasks(std::optional<int64_t> run_id) = 0;
  // Cancels a run's tasks: unclaimed ones are removed and returned; claimed
  // ones are flagged for their worker (it sees it at its next heartbeat).
  virtual Result<std::vector<TaskRecord>> CancelTasks(int64_t run_id) = 0;
  // Waits for notifications on these channels (kTaskChannel, ...).
  virtual Result<std::unique_ptr<StoreListener>> Listen(const std::vector<std::string>& channels) = 0;

  // Attempts (rows of cntl_cfg_log), identified by (run_id, prcs_nm, attempt).
  // Many rows go in few statements; Conflict if any of them exists already.
  virtual Status InsertAttempts(const std::vector<AttemptRecord>& attempts) = 0;
  Status InsertAttempt(const AttemptRecord& attempt) { return InsertAttempts({attempt}); }
  virtual Status TransitionAttempt(int64_t run_id, const std::string& prcs_nm, int64_t attempt,
                                   AttemptStatus from, AttemptStatus to,
                                   const AttemptUpdate& update) = 0;
  // Several attempts' transitions in one statement; Conflict (and nothing
  // written once the caller rolls back) if any is not in its `from` state.
  virtual Status TransitionAttempts(const std::vector<AttemptTransition>& transitions) = 0;
  virtual Result<std::vector<AttemptRecord>> QueryLog(const LogFilter& filter) = 0;
  // Whether prcs_nm has a successful attempt for data_dt (in any run).
  virtual Result<bool> HasSucceeded(const std::string& prcs_nm, const std::string& data_dt) = 0;

  // Users and API tokens (cntl_user, cntl_api_token). UpsertUser sets the
  // role of an existing user. CreateToken returns the token's id;
  // FindToken finds a live (not revoked) token of an existing user by hash
  // and records its use.
  virtual Status UpsertUser(const UserRecord& user) = 0;
  virtual Result<std::vector<UserRecord>> ListUsers() = 0;
  virtual Result<int64_t> CreateToken(const std::string& user_nm, const std::string& token_hash,
                                      const std::string& label) = 0;
  virtual Result<std::optional<std::pair<TokenRecord, UserRecord>>> FindToken(const std::string& token_hash) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens() = 0;
  virtual Status RevokeToken(int64_t token_id) = 0;
  // The audit trail (cntl_audit), newest first.
  virtual Status AppendAudit(const AuditRecord& record) = 0;
  virtual Result<std::vector<AuditRecord>> ListAudit(int64_t limit, int64_t offset) = 0;

  // The Iceberg catalog (src/lakehouse/store_catalog.h wraps these).
  virtual Result<std::vector<IcebergTableRow>> ListIcebergTables(const std::string& catalog_name) = 0;
  virtual Result<std::optional<IcebergTableRow>> LoadIcebergTable(const std::string& catalog_name,
                                                                  const std::string& table_namespace,
                                                                  const std::string& table_name) = 0;
  // Compare-and-set of a table's metadata location, holding the row (or the
  // database's write lock) from the check to the update: when the current
  // location is `expected` ("" = the table must not exist), `write` runs and
  // the location it returns is recorded, `expected` becoming the previous
  // one. Conflict, without calling `write`, when the location has moved.
  virtual Status CommitIcebergTable(const std::string& catalog_name, const std::string& table_namespace,
                                    const std::string& table_name, const std::string& expected,
                                    const std::function<Result<std::string>()>& write) = 0;
  // NotFound when the table is not registered.
  virtual Status DropIcebergTable(const std::string& catalog_name, const std::string& table_namespace,
                                  const std::string& table_name) = 0;
};

// Notification channels: a task was queued (payload: queue), a task
// finished (payload: run_id), a run's tasks were cancelled (payload:
// "cancel:<run_id>").
inline constexpr const char* kTaskChannel = "ctlflow_task";
inline constexpr const char* kDoneChannel = "ctlflow_done";
inline constexpr const char* kCancelChannel = "ctlflow_cancel";
inline constexpr const char* kCancelPayloadPrefix = "cancel:";  // + run_id

// Opens the embedded store: <home>/cntl_af.db, attached as schema cntl_af.
Result<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const std::string& path);
// Opens the server store: a postgresql:// URL (password from PGPASSWORD or
// ~/.pgpass, as with psql); tables in schema cntl_af.
Result<std::unique_ptr<MetadataStore>> OpenPostgresMetadataStore(const std::string& url);

// Current UTC time as stored in the log: "YYYY-MM-DD HH:MM:SS.mmm".
std::string NowTimestamp();

}  // namespace ctlflow

// The embedded backend: one SQLite file attached as schema cntl_af, so the
// seed's table names (cntl_af.cntl_cfg_prcs, ...) work in user SQL.
#include <map>
#include <set>
#include <thread>

#include "store/sql_backend.h"

namespace ctlflow {

namespace {

class SqliteSleepListener final : public StoreListener {
 public:
  Result<std::vector<std::string>> Wait(std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(100)));
    return std::vector<std::string>{};
  }
};

// SQLite looks each "?N" up in a list while parsing, which makes a
// multi-row statement with thousands of them quadratic. When the numbers
// appear once each, in order (1, 2, 3, ...), plain "?" means the same thing
// and parses in linear time; otherwise the text is left alone.
std::string SequentialPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  long expected = 1;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      size_t j = i + 1;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
      if (j == i + 1 || std::stol(sql.substr(i + 1, j - i - 1)) != expected) return sql;
      ++expected;
      out += '?';
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

class SqliteBackend final : public SqlBackend {
 public:
  explicit SqliteBackend(SqliteDb db) : db_(std::move(db)) {}
  const char* Name() const override { return "sqlite"; }

  Result<QueryResult> Query(const std::string& sql, const std::vector<Value>& params) override {
    auto r = params.size() > 32 ? db_.Query(SequentialPlaceholders(sql), params) : Cached(sql, params);
    if (!r.ok() && r.status().message().find("UNIQUE constraint") != std::string::npos) {
      return Status::Conflict(r.status().message());
    }
    return r;
  }

  Result<QueryResult> ExecuteScript(const std::string& sql) override {
    QueryResult last;
    const char* cursor = sql.c_str();
    int statement = 0;
    while (cursor != nullptr && *cursor != '\0') {
      const char* tail = nullptr;
      ++statement;
      auto stmt = db_.PrepareNext(cursor, &tail);
      if (!stmt.ok()) {
        return Status::Database("statement " + std::to_string(statement) + ": " + stmt.status().message());
      }
      cursor = tail;
      if (stmt->get() == nullptr) continue;  // whitespace or a comment
      QueryResult result;
      for (int i = 0; i < stmt->ColumnCount(); ++i) result.columns.push_back(stmt->ColumnName(i));
      while (true) {
        auto has_row = stmt->Step();
        if (!has_row.ok()) {
          return Status::Database("statement " + std::to_string(statement) + ": " +
                                  has_row.status().message());
        }
        if (!*has_row) break;
        std::vector<Value> row;
        for (int i = 0; i < stmt->ColumnCount(); ++i) row.push_back(stmt->Column(i));
        result.rows.push_back(std::move(row));
      }
      result.changes = stmt->ReadOnly() ? 0 : db_.Changes();
      last = std::move(result);
    }
    return last;
  }

  Status Begin() override { return db_.Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return db_.Exec("COMMIT"); }
  void Rollback() override { (void)db_.Exec("ROLLBACK"); }

  Status Migrate(int64_t version) override;

  std::string NowSql() const override { return "strftime('%Y-%m-%d %H:%M:%f', 'now')"; }
  std::string NowPlusSql(const std::string& param) const override {
    return "strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+d seconds', " + param + "))";
  }
  std::string SkipLocked() const override { return ""; }  // BEGIN IMMEDIATE serializes claims
  std::string ForUpdate() const override { return ""; }
  std::string LogOrder() const override { return "rowid"; }
  Status Notify(const std::string&, const std::string&) override { return Status::Ok(); }
  Result<std::unique_ptr<StoreListener>> Listen(const std::vector<std::string>&) override {
    return std::unique_ptr<StoreListener>(std::make_unique<SqliteSleepListener>());
  }

 private:
  Status Run(const std::string& sql) { return db_.Exec(sql); }

  // The store's statements are few: each is prepared once and reset after
  // every use (SQLite re-prepares by itself after a schema change).
  Result<QueryResult> Cached(const std::string& sql, const std::vector<Value>& params) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      if (cache_.size() >= 500) return db_.Query(sql, params);
      CTL_ASSIGN_OR_RETURN(SqliteStmt stmt, db_.Prepare(sql));
      it = cache_.emplace(sql, std::move(stmt)).first;
    }
    auto r = db_.Run(it->second, params);
    (void)it->second.Reset();  // releases its locks and bindings
    return r;
  }

  // Declared after db_, so the statements are finalized before the connection closes.
  SqliteDb db_;
  std::map<std::string, SqliteStmt> cache_;
};

Status SqliteBackend::Migrate(int64_t version) {
  (void)version;  // every step below is idempotent, so any older schema catches up
  for (const auto& t : ControlTableDefs()) {
    CTL_RETURN_IF_ERROR(Run(ControlTableDdl(t, "INTEGER", "(CURRENT_TIMESTAMP)") + " STRICT"));
    // Columns added by later versions arrive through ALTER TABLE.
    CTL_ASSIGN_OR_RETURN(QueryResult info, db_.Query("PRAGMA cntl_af.table_info(" + t.name + ")"));
    std::set<std::string> existing;
    for (const auto& row : info.rows) existing.insert(ValueToString(row[1]));
    for (const auto& c : t.columns) {
      if (existing.count(c.name)) continue;
      CTL_RETURN_IF_ERROR(Run("ALTER TABLE cntl_af." + t.name + " ADD COLUMN " +
                              ControlColumnDdl(c, "INTEGER", "(CURRENT_TIMESTAMP)")));
    }
  }
  const char* statements[] = {
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_strem_run ("
      " run_id INTEGER PRIMARY KEY AUTOINCREMENT, strem_nm TEXT NOT NULL,"
      " data_dt TEXT NOT NULL, status INTEGER NOT NULL, run_typ TEXT NOT NULL,"
      " params TEXT NOT NULL DEFAULT '{}', queued_dt TEXT, start_dt TEXT, end_dt TEXT,"
      " message TEXT, interval_start TEXT, interval_end TEXT,"
      " cancel_requested INTEGER NOT NULL DEFAULT 0, owner TEXT)",
      "CREATE UNIQUE INDEX IF NOT EXISTS cntl_af.cntl_strem_run_once "
      "ON cntl_strem_run (strem_nm, data_dt) WHERE run_typ <> 'manual'",
      "CREATE INDEX IF NOT EXISTS cntl_af.cntl_strem_run_by_stream ON cntl_strem_run (strem_nm, data_dt)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_run_clear ("
      " run_id INTEGER NOT NULL, prcs_nm TEXT NOT NULL, after_attempt INTEGER NOT NULL,"
      " cleared_dt TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_conn ("
      " conn_nm TEXT PRIMARY KEY, conn_typ TEXT NOT NULL, url TEXT NOT NULL,"
      " password_env TEXT, password_file TEXT, upt_dt TEXT)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_strem_state ("
      " strem_nm TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0, upt_dt TEXT)",
      "CREATE UNIQUE INDEX IF NOT EXISTS cntl_af.cntl_cfg_log_attempt "
      "ON cntl_cfg_log (run_id, prcs_nm, attempt)",
      "CREATE INDEX IF NOT EXISTS cntl_af.cntl_cfg_log_by_date ON cntl_cfg_log (prcs_nm, data_dt, status)",
      // Version 3: workers, their tasks, and a config change counter.
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_worker ("
      " worker_id TEXT PRIMARY KEY, kind TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,"
      " slots INTEGER NOT NULL, queues TEXT NOT NULL, lease_s INTEGER NOT NULL,"
      " started_dt TEXT NOT NULL, heartbeat_dt TEXT NOT NULL, stopped_dt TEXT)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_task ("
      " task_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, prcs_nm TEXT NOT NULL,"
      " attempt INTEGER NOT NULL, queue TEXT NOT NULL, prir INTEGER NOT NULL, spec TEXT NOT NULL,"
      " log_path TEXT NOT NULL, enqueued_dt TEXT NOT NULL, worker_id TEXT, worker_nm TEXT,"
      " claimed_dt TEXT, lease_until TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,"
      " finished INTEGER NOT NULL DEFAULT 0, result_status INTEGER, result_message TEXT,"
      " source_row INTEGER, target_row INTEGER, finished_dt TEXT)",
      "CREATE UNIQUE INDEX IF NOT EXISTS cntl_af.cntl_task_attempt ON cntl_task (run_id, prcs_nm, attempt)",
      "CREATE INDEX IF NOT EXISTS cntl_af.cntl_task_free ON cntl_task (queue, prir, task_id) WHERE worker_id IS NULL",
      "CREATE INDEX IF NOT EXISTS cntl_af.cntl_task_finished ON cntl_task (run_id) WHERE finished = 1",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_queue ("
      " queue TEXT PRIMARY KEY, max_running INTEGER NOT NULL CHECK (max_running >= 0), upt_dt TEXT)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_config_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)",
      "INSERT OR IGNORE INTO cntl_af.cntl_config_version VALUES (1, 0)",
      // Version 4: the Iceberg catalog, in the JDBC catalog's layout.
      "CREATE TABLE IF NOT EXISTS cntl_af.iceberg_tables ("
      " catalog_name TEXT NOT NULL, table_namespace TEXT NOT NULL, table_name TEXT NOT NULL,"
      " metadata_location TEXT, previous_metadata_location TEXT, iceberg_type TEXT,"
      " PRIMARY KEY (catalog_name, table_namespace, table_name))",
      "CREATE TABLE IF NOT EXISTS cntl_af.iceberg_namespace_properties ("
      " catalog_name TEXT NOT NULL, namespace TEXT NOT NULL, property_key TEXT NOT NULL,"
      " property_value TEXT, PRIMARY KEY (catalog_name, namespace, property_key))",
      // Version 5: users, API tokens and the audit trail of the server.
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_user ("
      " user_nm TEXT PRIMARY KEY, role TEXT NOT NULL CONSTRAINT role_is_viewer_operator_or_admin"
      " CHECK (role IN ('viewer', 'operator', 'admin')), created_dt TEXT NOT NULL) STRICT",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_api_token ("
      " token_id INTEGER PRIMARY KEY AUTOINCREMENT, user_nm TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
      " label TEXT NOT NULL, created_dt TEXT NOT NULL, last_used_dt TEXT, revoked INTEGER NOT NULL DEFAULT 0)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_audit ("
      " audit_id INTEGER PRIMARY KEY AUTOINCREMENT, at_dt TEXT NOT NULL, user_nm TEXT NOT NULL,"
      " action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, outcome TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_schema_version (version INTEGER NOT NULL, applied_dt TEXT NOT NULL)",
  };
  for (const char* sql : statements) CTL_RETURN_IF_ERROR(Run(sql));
  // Any change to a config table, through ctlflow or plain SQL, moves the
  // counter the scheduler watches.
  for (const auto& t : ControlTableDefs()) {
    if (!t.config) continue;
    for (const char* op : {"INSERT", "UPDATE", "DELETE"}) {
      CTL_RETURN_IF_ERROR(Run("CREATE TRIGGER IF NOT EXISTS cntl_af." + t.name + "_" + op +
                              "_version AFTER " + op + " ON " + t.name +
                              " BEGIN UPDATE cntl_config_version SET version = version + 1; END"));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqlBackend>> OpenSqliteBackend(const std::string& path) {
  CTL_ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(":memory:"));
  CTL_RETURN_IF_ERROR(db.Attach(path, "cntl_af").WithContext("opening metadata store " + path));
  CTL_RETURN_IF_ERROR(db.Exec("PRAGMA cntl_af.journal_mode = WAL"));
  CTL_RETURN_IF_ERROR(db.Exec("PRAGMA cntl_af.synchronous = NORMAL"));
  return std::unique_ptr<SqlBackend>(std::make_unique<SqliteBackend>(std::move(db)));
}

}  // namespace ctlflow

// The server backend: PostgreSQL through libpq, tables in schema cntl_af as
// in the seed. One connection per store, re-established with backoff when
// the server goes away; LISTEN/NOTIFY on a second connection.
#include <thread>

#include "store/postgres.h"
#include "store/sql_backend.h"

namespace ctlflow {

namespace {

// The store writes ?N; libpq wants $N. Quoted text is left alone.
std::string DollarPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      c = '$';
    }
    out += c;
  }
  return out;
}

// Reconnect pauses: 0.1 s doubling to 3.2 s, about 6 s in all, before a
// call gives up with Io (the daemons then retry on their next loop).
template <typename Fn>
Result<PgConn> ConnectWithBackoff(const std::string& url, Fn&& should_stop) {
  Status last = Status::Io("postgresql: not connected");
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 0; attempt < 7; ++attempt) {
    auto conn = PgConn::Connect(url);
    if (conn.ok()) return conn;
    last = conn.status();
    if (should_stop()) break;
    std::this_thread::sleep_for(pause);
    pause *= 2;
  }
  return last;
}

class PgListener final : public StoreListener {
 public:
  PgListener(std::string url, std::vector<std::string> channels)
      : url_(std::move(url)), channels_(std::move(channels)) {}

  Status Connect() {
    CTL_ASSIGN_OR_RETURN(conn_, PgConn::Connect(url_));
    for (const auto& ch : channels_) CTL_RETURN_IF_ERROR(conn_.Listen(ch));
    return Status::Ok();
  }

  Result<std::vector<std::string>> Wait(std::chrono::milliseconds timeout) override {
    std::vector<std::string> out;
    if (conn_.Broken()) {
      // Notifications sent while we were away are lost; callers poll too.
      if (!Connect().ok()) {
        std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(200)));
        return out;
      }
    }
    auto got = conn_.WaitForNotifications(timeout);
    if (!got.ok()) return out;  // reconnects on the next call
    for (auto& n : *got) out.push_back(std::move(n.payload));
    return out;
  }

 private:
  std::string url_;
  std::vector<std::string> channels_;
  PgConn conn_;
};

class PgBackend final : public SqlBackend {
 public:
  PgBackend(std::string url, PgConn conn) : url_(std::move(url)), conn_(std::move(conn)) {
    conn_.CacheStatements();
  }
  const char* Name() const override { return "postgresql"; }

  Result<QueryResult> Query(const std::string& sql, const std::vector<Value>& params) override {
    CTL_RETURN_IF_ERROR(EnsureConnected());
    return Track(conn_.Query(DollarPlaceholders(sql), params));
  }

  Result<QueryResult> ExecuteScript(const std::string& sql) override {
    CTL_RETURN_IF_ERROR(EnsureConnected());
    return Track(conn_.Exec(sql));
  }

  Status Begin() override {
    CTL_RETURN_IF_ERROR(EnsureConnected());
    auto r = conn_.Exec("BEGIN");
    if (!r.ok()) return r.status();
    in_tx_ = true;
    tx_failed_ = false;
    return Status::Ok();
  }
  Status Commit() override {
    in_tx_ = false;
    if (tx_failed_) {
      // PostgreSQL would answer COMMIT with ROLLBACK and no error.
      (void)conn_.Exec("ROLLBACK");
      return Status::Database("the transaction was rolled back after an earlier error in it");
    }
    auto r = conn_.Exec("COMMIT");
    return r.ok() ? Status::Ok() : r.status();
  }
  void Rollback() override {
    in_tx_ = false;
    if (!conn_.Broken()) (void)conn_.Exec("ROLLBACK");
  }

  Status Migrate(int64_t version) override;

  std::string NowSql() const override {
    return "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')";
  }
  std::string NowPlusSql(const std::string& param) const override {
    return "to_char((clock_timestamp() + " + param +
           " * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')";
  }
  std::string SkipLocked() const override { return " FOR UPDATE SKIP LOCKED"; }
  std::string ForUpdate() const override { return " FOR UPDATE"; }
  std::string LogOrder() const override { return "log_id"; }

  Status Notify(const std::string& channel, const std::string& payload) override {
    auto r = Query("SELECT pg_notify(?1, ?2)", {channel, payload});
    return r.ok() ? Status::Ok() : r.status();
  }
  Result<std::unique_ptr<StoreListener>> Listen(const std::vector<std::string>& channels) override {
    auto listener = std::make_unique<PgListener>(url_, channels);
    CTL_RETURN_IF_ERROR(listener->Connect());
    return std::unique_ptr<StoreListener>(std::move(listener));
  }

 private:
  Result<QueryResult> Track(Result<QueryResult> r) {
    if (!r.ok() && in_tx_) tx_failed_ = true;
    return r;
  }
  Status EnsureConnected() {
    if (!conn_.Broken()) return Status::Ok();
    if (in_tx_) return Status::Io("postgresql connection lost inside a transaction");
    CTL_ASSIGN_OR_RETURN(conn_, ConnectWithBackoff(url_, [] { return false; }));
    conn_.CacheStatements();  // a new connection has none prepared yet
    return Status::Ok();
  }
  Status Run(const std::string& sql) {
    auto r = conn_.Exec(sql);
    return r.ok() ? Status::Ok() : r.status().WithContext("migrating the metadata store");
  }

  std::string url_;
  PgConn conn_;
  bool in_tx_ = false;
  bool tx_failed_ = false;
};

Status PgBackend::Migrate(int64_t version) {
  (void)version;  // every step below is idempotent, so any older schema catches up
  // Two processes starting at once migrate one after the other.
  CTL_RETURN_IF_ERROR(Run("SELECT pg_advisory_xact_lock(20261124)"));
  CTL_RETURN_IF_ERROR(Run("CREATE SCHEMA IF NOT EXISTS cntl_af"));
  const std::string now_default = "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))";
  for (const auto& t : ControlTableDefs()) {
    CTL_RETURN_IF_ERROR(Run(ControlTableDdl(t, "bigint", now_default)));
    for (const auto& c : t.columns) {
      CTL_RETURN_IF_ERROR(Run("ALTER TABLE cntl_af." + t.name + " ADD COLUMN IF NOT EXISTS " +
                              ControlColumnDdl(c, "bigint", now_default)));
    }
  }
  const char* statements[] = {
      "ALTER TABLE cntl_af.cntl_cfg_log ADD COLUMN IF NOT EXISTS log_id bigint GENERATED BY DEFAULT AS IDENTITY",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_strem_run ("
      " run_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, strem_nm text NOT NULL,"
      " data_dt text NOT NULL, status bigint NOT NULL, run_typ text NOT NULL,"
      " params text NOT NULL DEFAULT '{}', queued_dt text, start_dt text, end_dt text,"
      " message text, interval_start text, interval_end text,"
      " cancel_requested bigint NOT NULL DEFAULT 0, owner text)",
      "CREATE UNIQUE INDEX IF NOT EXISTS cntl_strem_run_once "
      "ON cntl_af.cntl_strem_run (strem_nm, data_dt) WHERE run_typ <> 'manual'",
      "CREATE INDEX IF NOT EXISTS cntl_strem_run_by_stream ON cntl_af.cntl_strem_run (strem_nm, data_dt)",
      "CREATE INDEX IF NOT EXISTS cntl_strem_run_by_status ON cntl_af.cntl_strem_run (status)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_run_clear ("
      " run_id bigint NOT NULL, prcs_nm text NOT NULL, after_attempt bigint NOT NULL,"
      " cleared_dt text NOT NULL)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_conn ("
      " conn_nm text PRIMARY KEY, conn_typ text NOT NULL, url text NOT NULL,"
      " password_env text, password_file text, upt_dt text)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_strem_state ("
      " strem_nm text PRIMARY KEY, paused bigint NOT NULL DEFAULT 0, upt_dt text)",
      "CREATE UNIQUE INDEX IF NOT EXISTS cntl_cfg_log_attempt ON cntl_af.cntl_cfg_log (run_id, prcs_nm, attempt)",
      "CREATE INDEX IF NOT EXISTS cntl_cfg_log_by_date ON cntl_af.cntl_cfg_log (prcs_nm, data_dt, status)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_worker ("
      " worker_id text PRIMARY KEY, kind text NOT NULL, host text NOT NULL, pid bigint NOT NULL,"
      " slots bigint NOT NULL, queues text NOT NULL, lease_s bigint NOT NULL,"
      " started_dt text NOT NULL, heartbeat_dt text NOT NULL, stopped_dt text)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_task ("
      " task_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, run_id bigint NOT NULL,"
      " prcs_nm text NOT NULL, attempt bigint NOT NULL, queue text NOT NULL, prir bigint NOT NULL,"
      " spec text NOT NULL, log_path text NOT NULL, enqueued_dt text NOT NULL, worker_id text,"
      " worker_nm text, claimed_dt text, lease_until text, cancel_requested bigint NOT NULL DEFAULT 0,"
      " finished bigint NOT NULL DEFAULT 0, result_status bigint, result_message text,"
      " source_row bigint, target_row bigint, finished_dt text)",
      "CREATE UNIQUE INDEX IF NOT EXISTS cntl_task_attempt ON cntl_af.cntl_task (run_id, prcs_nm, attempt)",
      "CREATE INDEX IF NOT EXISTS cntl_task_free ON cntl_af.cntl_task (queue, prir, task_id) WHERE worker_id IS NULL",
      "CREATE INDEX IF NOT EXISTS cntl_task_finished ON cntl_af.cntl_task (run_id) WHERE finished = 1",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_queue ("
      " queue text PRIMARY KEY, max_running bigint NOT NULL CHECK (max_running >= 0), upt_dt text)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_config_version (id bigint PRIMARY KEY, version bigint NOT NULL)",
      "INSERT INTO cntl_af.cntl_config_version VALUES (1, 0) ON CONFLICT DO NOTHING",
      "CREATE OR REPLACE FUNCTION cntl_af.cntl_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN UPDATE cntl_af.cntl_config_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$",
      // Version 4: the Iceberg catalog, in the JDBC catalog's layout.
      "CREATE TABLE IF NOT EXISTS cntl_af.iceberg_tables ("
      " catalog_name varchar(255) NOT NULL, table_namespace varchar(255) NOT NULL, table_name varchar(255) NOT NULL,"
      " metadata_location varchar(1000), previous_metadata_location varchar(1000), iceberg_type varchar(5),"
      " PRIMARY KEY (catalog_name, table_namespace, table_name))",
      "CREATE TABLE IF NOT EXISTS cntl_af.iceberg_namespace_properties ("
      " catalog_name varchar(255) NOT NULL, namespace varchar(255) NOT NULL, property_key varchar(255) NOT NULL,"
      " property_value varchar(1000), PRIMARY KEY (catalog_name, namespace, property_key))",
      // Version 5: users, API tokens and the audit trail of the server.
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_user ("
      " user_nm text PRIMARY KEY, role text NOT NULL CONSTRAINT role_is_viewer_operator_or_admin"
      " CHECK (role IN ('viewer', 'operator', 'admin')), created_dt text NOT NULL)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_api_token ("
      " token_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_nm text NOT NULL,"
      " token_hash text NOT NULL UNIQUE, label text NOT NULL, created_dt text NOT NULL, last_used_dt text,"
      " revoked bigint NOT NULL DEFAULT 0)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_audit ("
      " audit_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at_dt text NOT NULL, user_nm text NOT NULL,"
      " action text NOT NULL, target text NOT NULL, detail text NOT NULL, outcome text NOT NULL)",
      "CREATE TABLE IF NOT EXISTS cntl_af.cntl_schema_version (version bigint NOT NULL, applied_dt text NOT NULL)",
  };
  for (const char* sql : statements) CTL_RETURN_IF_ERROR(Run(sql));
  // Any change to a config table, through ctlflow or psql, moves the
  // counter the scheduler watches.
  for (const auto& t : ControlTableDefs()) {
    if (!t.config) continue;
    CTL_RETURN_IF_ERROR(Run("CREATE OR REPLACE TRIGGER " + t.name + "_version AFTER INSERT OR UPDATE OR DELETE ON cntl_af." +
                            t.name + " FOR EACH STATEMENT EXECUTE FUNCTION cntl_af.cntl_bump_config_version()"));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqlBackend>> OpenPostgresBackend(const std::string& url) {
  CTL_ASSIGN_OR_RETURN(PgConn conn, PgConn::Connect(url));
  return std::unique_ptr<SqlBackend>(std::make_unique<PgBackend>(url, std::move(conn)));
}

}  // namespace ctlflow

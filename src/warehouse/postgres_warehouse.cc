// A PostgreSQL database as a warehouse connection (conn_typ postgres).
//
// Scripts run statement by statement over PgConn with named parameters
// rewritten to $1..$n (never spliced), in one transaction unless the script
// has its own. A statement that creates something in a schema that does not
// exist yet (EDP in EDP.AGG_RIDE) gets the schema created and is retried, the
// way the SQLite warehouse attaches a file. Ingest writes with COPY FROM
// STDIN. A watcher thread turns `stop` into a server-side cancel, so a long
// statement is interrupted rather than waited for.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "common/strings.h"
#include "store/postgres.h"
#include "warehouse/sql_script.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace {

// While alive, polls `stop` and cancels the connection's running statement
// once it returns true.
class CancelWatcher {
 public:
  CancelWatcher(PgConn& conn, const std::function<bool()>& stop) {
    if (!stop) return;
    thread_ = std::thread([this, &conn, &stop] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!done_) {
        if (stop()) {
          conn.Cancel();
          return;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(50));
      }
    });
  }
  ~CancelWatcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  CancelWatcher(const CancelWatcher&) = delete;
  CancelWatcher& operator=(const CancelWatcher&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// One field of COPY's text format: backslash, tab, newline and carriage
// return escaped; NULL as \N.
void AppendCopyField(const Value& value, std::string* out) {
  if (IsNull(value)) {
    *out += "\\N";
    return;
  }
  if (!std::holds_alternative<std::string>(value)) {
    *out += ValueToString(value);
    return;
  }
  for (char c : std::get<std::string>(value)) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      default: *out += c;
    }
  }
}

class CopyInsert final : public BulkInsert {
 public:
  explicit CopyInsert(PgConn& conn) : conn_(conn) {}
  ~CopyInsert() override {
    if (!finished_) conn_.CopyAbort("ctlflow: the bulk insert was abandoned");
  }

  Status Add(const std::vector<Value>& values) override {
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) buffer_ += '\t';
      AppendCopyField(values[i], &buffer_);
    }
    buffer_ += '\n';
    if (buffer_.size() >= kFlushBytes) return Flush();
    return Status::Ok();
  }

  Result<int64_t> Finish() override {
    CTL_RETURN_IF_ERROR(Flush());
    finished_ = true;
    return conn_.CopyEnd();
  }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status st = conn_.CopyPut(buffer_);
    buffer_.clear();
    return st;
  }

  PgConn& conn_;
  std::string buffer_;
  bool finished_ = false;
};

// The schema a failed statement needed, from "schema \"edp\" does not exist".
std::string MissingSchema(const Status& status) {
  static const std::regex kMissing(R"re(schema "([^"]+)" does not exist.*SQLSTATE 3F000)re");
  std::smatch m;
  if (!std::regex_search(status.message(), m, kMissing)) return "";
  return m[1].str();
}

class PostgresWarehouse final : public WarehouseConnection {
 public:
  explicit PostgresWarehouse(PgConn conn) : conn_(std::move(conn)) {}
  ~PostgresWarehouse() override { (void)Rollback(); }

  Result<ScriptResult> RunScript(const std::string& script, const SqlParams& params, const ScriptLog& log,
                                 const std::function<bool()>& stop) override {
    std::vector<SqlStatement> statements = SplitSqlScript(script, SqlDialect::kPostgres);
    bool own_transaction = std::none_of(statements.begin(), statements.end(), [](const SqlStatement& s) {
      return IsTransactionControl(s.Keyword());
    });
    // One statement is atomic by itself, and may be one that refuses a
    // transaction block (CREATE DATABASE, VACUUM).
    own_transaction = own_transaction && statements.size() > 1;
    if (own_transaction) CTL_RETURN_IF_ERROR(Begin());
    ScriptResult result;
    for (const auto& st : statements) {
      auto started = std::chrono::steady_clock::now();
      auto positional = ToPositionalParameters(st.text, params);
      if (!positional.ok()) {
        (void)Rollback();
        return Status::Invalid(st.Where() + ": " + positional.status().message());
      }
      auto rows = RunStatement(st, *positional, own_transaction, stop);
      if (!rows.ok()) {
        (void)Rollback();
        return Status::Error(rows.status().code(), st.Where() + ": " + rows.status().message());
      }
      bool dml = IsDml(st.Keyword()) && rows->columns.empty();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                    .count();
      RecordStatement(st, std::move(*rows), dml, ms, &result, log);
    }
    if (own_transaction) CTL_RETURN_IF_ERROR(Commit());
    return result;
  }

  Result<std::optional<std::vector<WarehouseColumn>>> DescribeTable(const std::string& schema,
                                                                     const std::string& table) override {
    CTL_RETURN_IF_ERROR(EnsureSchema(schema));
    CTL_ASSIGN_OR_RETURN(
        QueryResult rows,
        conn_.Query("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                    "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = coalesce(nullif($1, ''), current_schema()) AND c.relname = $2 "
                    "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped "
                    "ORDER BY a.attnum",
                    {Value(Lower(schema)), Value(Lower(table))}));
    if (rows.rows.empty()) return std::optional<std::vector<WarehouseColumn>>();
    std::vector<WarehouseColumn> columns;
    for (const auto& r : rows.rows) columns.push_back({ValueToString(r[0]), ValueToString(r[1])});
    return std::optional(std::move(columns));
  }

  Result<QueryResult> Execute(const std::string& sql, const SqlParams& params) override {
    CTL_ASSIGN_OR_RETURN(PositionalSql positional, ToPositionalParameters(sql, params));
    CancelWatcher watcher(conn_, stop_);
    return conn_.Query(positional.sql, positional.values);
  }

  Result<std::unique_ptr<BulkInsert>> BeginBulkInsert(const std::string& schema, const std::string& table,
                                                      const std::vector<std::string>& columns) override {
    std::string sql = "COPY " + QualifiedName(schema, table) + " (";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + QuoteName(columns[i]);
    CTL_RETURN_IF_ERROR(conn_.CopyBegin(sql + ") FROM STDIN"));
    return std::unique_ptr<BulkInsert>(std::make_unique<CopyInsert>(conn_));
  }

  Status Begin() override { return Simple("BEGIN"); }
  Status Commit() override { return Simple("COMMIT"); }
  Status Rollback() override {
    if (conn_.Broken() || PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return Status::Ok();
    return Simple("ROLLBACK");
  }
  void SetStop(std::function<bool()> stop) override { stop_ = std::move(stop); }

  // PostgreSQL folds unquoted names to lower case; so do we, so that a
  // table ingest creates as EDP.PRCS_X is EDP.PRCS_X in a script too.
  std::string QuoteName(const std::string& name) const override { return QuoteIdent(Lower(name)); }

  std::string TypeName(const WarehouseType& type) const override {
    using Kind = WarehouseType::Kind;
    switch (type.kind) {
      case Kind::kInteger: return "integer";
      case Kind::kBigint: return "bigint";
      case Kind::kBoolean: return "boolean";
      case Kind::kDouble: return "double precision";
      case Kind::kDecimal:
        return "numeric(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
      case Kind::kDate: return "date";
      case Kind::kTimestamp: return "timestamp";
      case Kind::kText: return "text";
    }
    return "text";
  }

  std::string TempSchema() const override { return "pg_temp"; }
  std::string TempTable(const std::string& name) const override { return "pg_temp." + QuoteName(name); }

  std::string UniqueIndexSql(const std::string& schema, const std::string& table, const std::string& index,
                             const std::string& columns) const override {
    // PostgreSQL: the index name is unqualified; it lives in the table's schema.
    return "CREATE UNIQUE INDEX IF NOT EXISTS " + QuoteName(index) + " ON " + QualifiedName(schema, table) +
           " (" + columns + ")";
  }

 private:
  Status Simple(const std::string& sql) {
    auto r = conn_.Exec(sql);
    return r.ok() ? Status::Ok() : r.status();
  }

  Status EnsureSchema(const std::string& schema) {
    if (schema.empty() || ensured_.count(Lower(schema))) return Status::Ok();
    auto r = conn_.Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteName(schema));
    // Two sessions creating it at once: one loses the race, and it exists.
    if (!r.ok() && r.status().code() != ErrorCode::kConflict) return r.status();
    ensured_.insert(Lower(schema));
    return Status::Ok();
  }

  // One script statement. A CREATE in a schema that does not exist yet
  // creates the schema and runs again; inside the script's transaction a
  // savepoint keeps the earlier statements.
  Result<QueryResult> RunStatement(const SqlStatement& st, const PositionalSql& sql, bool in_transaction,
                                   const std::function<bool()>& stop) {
    const bool guarded = in_transaction && st.Keyword() == "CREATE";
    for (int tries = 0;; ++tries) {
      if (guarded) CTL_RETURN_IF_ERROR(Simple("SAVEPOINT ctlflow_statement"));
      Result<QueryResult> rows = [&] {
        CancelWatcher watcher(conn_, stop);
        return conn_.Query(sql.sql, sql.values);
      }();
      std::string schema = rows.ok() ? "" : MissingSchema(rows.status());
      if (schema.empty() || tries >= 8 || (!guarded && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE)) {
        if (guarded && rows.ok()) CTL_RETURN_IF_ERROR(Simple("RELEASE SAVEPOINT ctlflow_statement"));
        return rows;
      }
      if (guarded) CTL_RETURN_IF_ERROR(Simple("ROLLBACK TO SAVEPOINT ctlflow_statement"));
      ensured_.erase(schema);
      CTL_RETURN_IF_ERROR(EnsureSchema(schema));
    }
  }

  PgConn conn_;
  std::function<bool()> stop_;
  std::set<std::string> ensured_;  // schemas known to exist
};

}  // namespace

Result<std::unique_ptr<WarehouseConnection>> OpenPostgresWarehouse(const std::string& url,
                                                                  const std::string& password) {
  CTL_ASSIGN_OR_RETURN(PgConn conn, PgConn::Connect(url, password));
  // ctlflow's text is UTF-8 whatever the server's encoding.
  auto r = conn.Exec("SET client_encoding = 'UTF8'");
  if (!r.ok()) return r.status();
  return std::unique_ptr<WarehouseConnection>(std::make_unique<PostgresWarehouse>(std::move(conn)));
}

}  // namespace ctlflow

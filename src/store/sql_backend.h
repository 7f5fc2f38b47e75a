// SqlBackend: what the metadata store needs from a SQL engine, so that one
// implementation of MetadataStore (sql_metadata_store.cc) serves SQLite and
// PostgreSQL. A backend owns its connection, speaks its dialect's DDL and
// clock, and translates the store's "?N" placeholders when it must.
//
// The store's SQL is written once, in the common subset of both dialects
// (INSERT ... ON CONFLICT, RETURNING, coalesce, text timestamps); anything
// that differs is a method here.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
#include "store/sqlite.h"  // QueryResult

namespace ctlflow {

// Waits for notifications ("a task was queued", "a task finished") from
// other processes. PostgreSQL uses LISTEN/NOTIFY; SQLite has no such thing,
// so its listener just sleeps and callers poll.
class StoreListener {
 public:
  virtual ~StoreListener() = default;
  // Returns the payloads received, waiting up to `timeout` for the first.
  // An empty result means: timed out (or the backend cannot notify).
  virtual Result<std::vector<std::string>> Wait(std::chrono::milliseconds timeout) = 0;
};

class SqlBackend {
 public:
  virtual ~SqlBackend() = default;
  virtual const char* Name() const = 0;  // "sqlite" | "postgresql"

  // One statement with positional parameters written ?1..?N.
  // A unique violation is a Conflict; a lost connection is Io.
  virtual Result<QueryResult> Query(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // User SQL: one or more statements, the last one's rows returned.
  virtual Result<QueryResult> ExecuteScript(const std::string& sql) = 0;

  // Transactions; the store nests them by joining (see SqlMetadataStore).
  // Begin takes the database's write lock where the engine has one.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // Creates or upgrades the schema to `version` inside the open transaction,
  // serialized against other processes doing the same.
  virtual Status Migrate(int64_t version) = 0;

  // SQL expressions for the database's clock, as "YYYY-MM-DD HH:MM:SS.mmm"
  // UTC text: leases compare against the database's clock, never a host's.
  virtual std::string NowSql() const = 0;
  // now + seconds, where `param` is a placeholder for the seconds (may be
  // negative).
  virtual std::string NowPlusSql(const std::string& param) const = 0;
  // Appended to a SELECT that claims rows: other claimers skip locked rows.
  virtual std::string SkipLocked() const = 0;
  // Appended to a SELECT whose rows the transaction must hold until it ends.
  virtual std::string ForUpdate() const = 0;
  // A column that orders log rows by insertion.
  virtual std::string LogOrder() const = 0;

  // Queues a notification, delivered when the transaction commits.
  virtual Status Notify(const std::string& channel, const std::string& payload) = 0;
  virtual Result<std::unique_ptr<StoreListener>> Listen(const std::vector<std::string>& channels) = 0;
};

// <path> attached as schema cntl_af to an in-memory main database.
Result<std::unique_ptr<SqlBackend>> OpenSqliteBackend(const std::string& path);
// A postgresql:// URL (libpq). Reconnects with backoff when the server
// goes away; a statement on a lost connection fails with Io.
Result<std::unique_ptr<SqlBackend>> OpenPostgresBackend(const std::string& url);

// DDL shared by both dialects' migrations: one control column, and
// CREATE TABLE IF NOT EXISTS cntl_af.<table> with its primary key.
// `now_default` replaces a CURRENT_TIMESTAMP default.
std::string ControlColumnDdl(const ColumnDef& c, const char* integer_type, const std::string& now_default);
std::string ControlTableDdl(const TableDef& t, const char* integer_type, const std::string& now_default);

}  // namespace ctlflow

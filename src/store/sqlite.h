// Move-only RAII owners of sqlite3* and sqlite3_stmt*, with Status-returning
// calls. Used by the SQLite metadata store and the SQLite warehouse.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"

namespace ctlflow {

class SqliteStmt {
 public:
  SqliteStmt() = default;
  explicit SqliteStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Binds 1-based positional or named (":name") parameters.
  Status Bind(int index, const Value& value);
  Status Bind(const char* name, const Value& value);
  // Binds without copying text: `value` must stay alive and unchanged until
  // the next Step() has returned (bulk inserts, a row at a time).
  Status BindBorrowed(int index, const Value& value);
  // Steps once: true while a row is available, false when done.
  Result<bool> Step();
  Status Reset();  // to run again, with every parameter unbound
  void Rewind();   // to run again, keeping the bindings (all to be rebound)

  int ColumnCount() const;
  std::string ColumnName(int i) const;
  Value Column(int i) const;
  int ParameterCount() const;
  std::string ParameterName(int i) const;  // 1-based; "" for positional
  bool ReadOnly() const;
  std::string Sql() const;
  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

// Rows of a query, with column names, for printing and tests.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  int64_t changes = 0;  // rows changed by the last data-modifying statement
};

class SqliteDb {
 public:
  SqliteDb() = default;
  // Opens (and creates) a database file; ":memory:" for an in-memory one.
  // Sets a busy timeout so concurrent ctlflow processes wait, not fail.
  static Result<SqliteDb> Open(const std::string& path);

  Status Exec(const std::string& sql);
  Result<SqliteStmt> Prepare(const std::string& sql);
  // Prepares the first statement of `sql` and reports where the rest starts.
  Result<SqliteStmt> PrepareNext(const char* sql, const char** tail);
  // Runs one statement with positional parameters and returns every row.
  Result<QueryResult> Query(const std::string& sql, const std::vector<Value>& params = {});
  // The same for a statement prepared earlier (fresh or reset).
  Result<QueryResult> Run(SqliteStmt& stmt, const std::vector<Value>& params);
  Status Attach(const std::string& path, const std::string& schema);
  bool IsAttached(const std::string& schema);

  int64_t Changes() const;
  std::string LastError() const;
  sqlite3* get() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed. Inside an open
// transaction it joins that one instead (no nesting in SQLite).
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db) : db_(db) {}
  ~SqliteTransaction();
  Status Begin();
  Status Commit();
  void Rollback();

 private:
  SqliteDb& db_;
  bool open_ = false;
  bool joined_ = false;
};

}  // namespace ctlflow

// Warehouse connections: where sql, ingest and load processes read and
// write data. Each connection is named (conn_nm); the embedded default
// `warehouse` is a SQLite database under <home>/warehouse/, and a `postgres`
// connection is a PostgreSQL database.
//
// A schema name such as EDP in EDP.AGG_RIDE maps to its own SQLite file,
// <home>/warehouse/edp.db, attached on first use; on PostgreSQL the schema
// is created when a statement needs it. So scripts written for a server
// warehouse (the seed used Oracle schemas) run unchanged on both.
//
// Where the SQL that ingest and load generate differs between engines, the
// connection says how (QuoteName, TypeName, TempTable, UniqueIndexSql), so
// the process types stay free of per-engine branches.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
#include "store/metadata_store.h"  // ConnectionDef
#include "store/sqlite.h"

namespace ctlflow {

struct ScriptResult {
  int statements = 0;
  std::optional<int64_t> source_row, target_row;
  QueryResult last;  // rows of the last statement that returned columns
};

// Named values bound to :name / @name / $name parameters. Never spliced.
using SqlParams = std::map<std::string, Value>;
// Receives one line of progress per statement, for the attempt's log file.
using ScriptLog = std::function<void(const std::string&)>;

// Rows written in bulk into one table, inside the caller's transaction: the
// write path of ingest. SQLite reuses one prepared INSERT per row;
// PostgreSQL streams COPY ... FROM STDIN. Values are never spliced.
class BulkInsert {
 public:
  virtual ~BulkInsert() = default;
  // One row, values in the order of the columns given at the start.
  virtual Status Add(const std::vector<Value>& values) = 0;
  // Writes what is still buffered and ends the bulk insert; call it before
  // Commit. Returns the rows written.
  virtual Result<int64_t> Finish() = 0;
};

// A column type as ingest declares it; TypeName() spells it per engine.
struct WarehouseType {
  enum class Kind { kText, kInteger, kBigint, kDouble, kDecimal, kBoolean, kDate, kTimestamp };
  Kind kind = Kind::kText;
  int precision = 0, scale = 0;  // decimal only
};

struct WarehouseColumn {
  std::string name;
  std::string type;  // declared type, may be empty
};

class WarehouseConnection {
 public:
  virtual ~WarehouseConnection() = default;

  // Building blocks for ingest and load (process types 4 and 5). A schema
  // may be "" (the default database). Connections that do not support them
  // return an error saying so.
  //
  // The table's columns in order, or nullopt when it does not exist.
  // Makes the schema usable first (outside any transaction).
  virtual Result<std::optional<std::vector<WarehouseColumn>>> DescribeTable(
      const std::string& schema, const std::string& table);
  // Runs one statement with named parameters (only those it uses are bound).
  virtual Result<QueryResult> Execute(const std::string& sql, const SqlParams& params = {});
  // Starts a bulk insert into schema.table (columns named as given).
  virtual Result<std::unique_ptr<BulkInsert>> BeginBulkInsert(const std::string& schema,
                                                              const std::string& table,
                                                              const std::vector<std::string>& columns);
  virtual Status Begin();
  virtual Status Commit();
  virtual Status Rollback();
  // Polled while statements run; returning true interrupts them. Null: never.
  virtual void SetStop(std::function<bool()> stop);

  // Dialect hooks for generated SQL.
  //
  // An identifier quoted so that it names what the unquoted name names in
  // a user's script (PostgreSQL folds unquoted names to lower case).
  virtual std::string QuoteName(const std::string& name) const = 0;
  // schema.table with both parts quoted by QuoteName; schema may be "".
  std::string QualifiedName(const std::string& schema, const std::string& table) const;
  virtual std::string TypeName(const WarehouseType& type) const = 0;
  // How to name a session-private work table in any statement.
  virtual std::string TempTable(const std::string& name) const = 0;
  // The schema temporary tables live in, for BeginBulkInsert into one.
  virtual std::string TempSchema() const = 0;
  // CREATE UNIQUE INDEX IF NOT EXISTS `index` on schema.table (columns);
  // the columns are already quoted.
  virtual std::string UniqueIndexSql(const std::string& schema, const std::string& table,
                                     const std::string& index, const std::string& columns) const = 0;

  // Runs a multi-statement script in order. Without its own BEGIN/COMMIT it
  // runs in one transaction, so a failure leaves nothing half-written.
  // Errors name the statement number, its line and an excerpt.
  // `stop` (optional) is polled while statements run; when it returns true
  // the statement is interrupted and the script fails (and rolls back).
  virtual Result<ScriptResult> RunScript(const std::string& script, const SqlParams& params,
                                         const ScriptLog& log,
                                         const std::function<bool()>& stop = nullptr) = 0;
};

// Resolves connection names for a home folder.
class MetadataStore;

// Resolves conn_nm to an open connection: the built-ins, or the rows of
// cntl_af.cntl_conn (read at every Open, so connections added while a
// scheduler runs are seen). Thread-safe.
class ConnectionRegistry {
 public:
  // Without a store only the built-ins exist.
  explicit ConnectionRegistry(std::string home, MetadataStore* store = nullptr)
      : home_(std::move(home)), store_(store) {}
  Result<std::unique_ptr<WarehouseConnection>> Open(const std::string& conn_nm) const;
  // The effective definition of a connection of any type; NotFound names it.
  Result<ConnectionDef> Find(const std::string& conn_nm) const;
  const std::string& home() const { return home_; }
  MetadataStore* store() const { return store_; }

 private:
  std::string home_;
  MetadataStore* store_;
};

Result<std::unique_ptr<WarehouseConnection>> OpenSqliteWarehouse(const std::string& folder);
// `url` is a libpq URL without the password; `password` travels apart.
Result<std::unique_ptr<WarehouseConnection>> OpenPostgresWarehouse(const std::string& url,
                                                                  const std::string& password);

}  // namespace ctlflow

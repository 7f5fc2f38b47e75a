// Warehouse connections: where sql (and later ingest/load) processes read and
// write data. Each connection is named (conn_nm); the embedded default
// `warehouse` is a SQLite database under <home>/warehouse/.
//
// A schema name such as EDP in EDP.AGG_RIDE maps to its own SQLite file,
// <home>/warehouse/edp.db, attached on first use, so scripts written for a
// server warehouse (the seed used Oracle schemas) run unchanged.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
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

// One prepared statement run many times with positional values (?1..?n):
// the bulk path of ingest, one INSERT reused per row inside a transaction.
class BatchStatement {
 public:
  virtual ~BatchStatement() = default;
  virtual Status Run(const std::vector<Value>& values) = 0;
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
  virtual Result<std::unique_ptr<BatchStatement>> PrepareBatch(const std::string& sql);
  virtual Status Begin();
  virtual Status Commit();
  virtual Status Rollback();
  // Polled while statements run; returning true interrupts them. Null: never.
  virtual void SetStop(std::function<bool()> stop);

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

 private:
  std::string home_;
  MetadataStore* store_;
};

Result<std::unique_ptr<WarehouseConnection>> OpenSqliteWarehouse(const std::string& folder);

}  // namespace ctlflow

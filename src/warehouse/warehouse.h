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

class WarehouseConnection {
 public:
  virtual ~WarehouseConnection() = default;
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
class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(std::string home) : home_(std::move(home)) {}
  Result<std::unique_ptr<WarehouseConnection>> Open(const std::string& conn_nm) const;

 private:
  std::string home_;
};

Result<std::unique_ptr<WarehouseConnection>> OpenSqliteWarehouse(const std::string& folder);

}  // namespace ctlflow

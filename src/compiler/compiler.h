// The compiler: control-table rows -> validated, deterministic Plan.
//
// It does no I/O: callers read a ControlConfig from the store (or from files
// for `validate PATH`) and pass it in. Every problem is reported as a
// ValidationError naming the table, row key and column, so the CLI can add
// the file:line the row came from.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "compiler/plan.h"
#include "model/entities.h"

namespace ctlflow {

struct ValidationError {
  std::string table;
  std::string key;     // row key as shown to users
  std::string column;  // may be empty when the row as a whole is wrong
  std::string message;
  std::string ToString() const;
};

// Checks every stream, group, process, dependency and schedule, including
// dependency cycles across streams. Returns all problems, sorted.
std::vector<ValidationError> Validate(const ControlConfig& config);

// Joins errors into one Status (kInvalid), one per line; Ok when empty.
Status ValidationStatus(const std::vector<ValidationError>& errors);

// Converts rows to entities and validates them: the check `apply` runs on
// the would-be tables before it commits.
Status ValidateRows(const std::vector<TableRows>& rows);

// Validates the whole config, then builds the plan of one stream.
Result<Plan> Compile(const ControlConfig& config, const std::string& strem_nm);

}  // namespace ctlflow

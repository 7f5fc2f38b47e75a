// Printing rows for people (aligned text) and for programs (JSON arrays of
// objects keyed by column name).
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/tables.h"
#include "ops/json.h"
#include "store/metadata_store.h"

namespace ctlflow {

void PrintTable(std::ostream& out, const std::vector<std::string>& columns,
                const std::vector<std::vector<std::string>>& rows);
void PrintQueryResult(std::ostream& out, const QueryResult& result, bool json);

void PrintAttempts(std::ostream& out, const std::vector<AttemptRecord>& attempts, bool json);
void PrintRuns(std::ostream& out, const std::vector<RunRecord>& runs, bool json);

}  // namespace ctlflow

// Process type 5, load (tier 2): a warehouse source table (usually ingest's
// staging table) into a dimension or fact table on the same connection, by
// load_mode append, overwrite, merge (upsert on key_cols) or scd2 (type-2
// history on key_cols). Every mode is set-based SQL in one transaction and
// re-running a data_dt gives the same table. Called by RunProcess.
#pragma once

#include "processes/process_type.h"

namespace ctlflow {

ProcessOutcome RunLoadProcess(const ProcessContext& ctx);

}  // namespace ctlflow

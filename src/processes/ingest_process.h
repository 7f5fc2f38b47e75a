// Process type 4, ingest (tier 1): raw CSV or JSON Lines files from the
// lakehouse folder, typed by a JSON schema file, into a staging table on the
// warehouse connection. Bad rows go to a reject file; a re-run of the same
// data_dt replaces that date's rows. Called by RunProcess (process_type.cc).
#pragma once

#include "processes/process_type.h"

namespace ctlflow {

ProcessOutcome RunIngestProcess(const ProcessContext& ctx);

}  // namespace ctlflow

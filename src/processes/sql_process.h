// prcs_typ 2, sql: runs af_path_nm (a .sql file, relative to the home) or,
// when that is empty, the SQL in af_parm, against the connection conn_nm.
// The run context is bound as parameters (:data_dt, :run_id, :prcs_nm,
// :strem_nm, :attempt, :af_parm and every --param), never spliced.
#pragma once

#include "processes/process_type.h"

namespace ctlflow {

ProcessOutcome RunSqlProcess(const ProcessContext& ctx);

}  // namespace ctlflow

// prcs_typ 1, notebook: executes the Jupyter notebook af_path_nm (relative to
// the home) with the system's /usr/bin/python3, nbclient and ipykernel.
//
// A copy of the notebook gets a code cell tagged `injected-parameters` right
// after the first cell tagged `parameters` (or at the top), setting af_parm,
// data_dt, run_id, attempt, prcs_nm, strem_nm, ctlflow_home,
// ctlflow_result_path, params = {every --param}, and each --param whose name
// is a Python identifier as its own variable; all values are Python literals.
// Per attempt: <log_path>.input.ipynb is that copy, <log_path>.ipynb the
// executed notebook (also after a failure or a timeout, as far as it got).
// The first failing cell fails the attempt; timeout_s and cancellation kill
// the driver and the kernel's whole process group. Row counts come from
// {"source_row": N, "target_row": N} written to ctlflow_result_path (env
// CTLFLOW_RESULT_FILE), else from a printed line `CTLFLOW_RESULT {...}`.
#pragma once

#include "processes/process_type.h"

namespace ctlflow {

ProcessOutcome RunNotebookProcess(const ProcessContext& ctx);

}  // namespace ctlflow

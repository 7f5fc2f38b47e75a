// prcs_typ 3, command: af_path_nm is the program, af_parm its arguments,
// split like shell words and never run through a shell. ${CTLFLOW_...}
// inside a word is replaced by the run context value (as data: the word is
// not split again). The program may report row counts by writing JSON
// {"source_row": N, "target_row": N} to the file named in CTLFLOW_RESULT_FILE.
#pragma once

#include "processes/process_type.h"

namespace ctlflow {

ProcessOutcome RunCommandProcess(const ProcessContext& ctx);

// Replaces ${NAME} for NAME in `vars`; an unknown ${CTLFLOW_*} is an error,
// any other ${...} or $ is left as written.
Result<std::string> ExpandContextVariables(
    const std::string& word, const std::vector<std::pair<std::string, std::string>>& vars);

}  // namespace ctlflow

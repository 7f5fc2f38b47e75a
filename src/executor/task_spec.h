// TaskSpec: everything a worker needs to run one attempt, as the engine
// decided it when it queued the attempt (cntl_task.spec, JSON). Workers never
// compile the control tables themselves, so an edit made while an attempt
// waits in the queue cannot change what that attempt runs.
#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "model/entities.h"

namespace ctlflow {

struct TaskSpec {
  Process process;
  std::string strem_nm;
  std::string data_dt;
  std::map<std::string, std::string> params;
};

std::string EncodeTaskSpec(const TaskSpec& spec);
Result<TaskSpec> DecodeTaskSpec(const std::string& json);

}  // namespace ctlflow

#include "processes/process_type.h"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "processes/command_process.h"
#include "processes/ingest_process.h"
#include "processes/load_process.h"
#include "processes/notebook_process.h"
#include "processes/sql_process.h"

namespace ctlflow {

std::vector<std::pair<std::string, std::string>> ContextEnvironment(const ProcessContext& ctx) {
  std::vector<std::pair<std::string, std::string>> env{
      {"CTLFLOW_HOME", ctx.home},
      {"CTLFLOW_DATA_DT", ctx.data_dt},
      {"CTLFLOW_RUN_ID", std::to_string(ctx.run_id)},
      {"CTLFLOW_ATTEMPT", std::to_string(ctx.attempt)},
      {"CTLFLOW_PRCS_NM", ctx.process->prcs_nm},
      {"CTLFLOW_STREM_NM", ctx.strem_nm},
      {"CTLFLOW_AF_PARM", ctx.process->af_parm},
      {"CTLFLOW_LOG_PATH", ctx.log_path},
  };
  for (const auto& [name, value] : ctx.params) {
    std::string key = "CTLFLOW_PARAM_";
    for (char c : name) {
      key += std::isalnum(static_cast<unsigned char>(c))
                 ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                 : '_';
    }
    env.emplace_back(key, value);
  }
  return env;
}

StopCheck::StopCheck(const ProcessContext& ctx) : ctx_(ctx) {
  if (ctx.process->timeout_s) {
    deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(*ctx.process->timeout_s);
  }
}

bool StopCheck::ShouldStop() {
  if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) timed_out_ = true;
  return timed_out_ || cancelled();
}

std::string TimeoutMessage(const Process& process, const std::string& consequence) {
  std::string s = std::to_string(process.timeout_s.value_or(0));
  return "timed out after " + s + " s (timeout_s = " + s + "); " + consequence;
}

std::string CancelMessage(const ProcessContext& ctx, const std::string& consequence) {
  return "cancelled: " + (ctx.cancel ? ctx.cancel->reason() : std::string("stopped")) + "; " + consequence;
}

void AppendLogLine(const std::string& log_path, const std::string& line) {
  std::ofstream out(log_path, std::ios::app);
  out << "ctlflow: " << line << "\n";
}

ProcessOutcome RunProcess(const ProcessContext& ctx) {
  const Process& p = *ctx.process;
  switch (static_cast<ProcessType>(p.prcs_typ)) {
    case ProcessType::kCommand:
      return RunCommandProcess(ctx);
    case ProcessType::kSql:
      return RunSqlProcess(ctx);
    case ProcessType::kNotebook:
      return RunNotebookProcess(ctx);
    case ProcessType::kIngest:
      return RunIngestProcess(ctx);
    case ProcessType::kLoad:
      return RunLoadProcess(ctx);
  }
  ProcessOutcome out;
  out.message = "unknown prcs_typ " + std::to_string(p.prcs_typ);
  return out;
}

}  // namespace ctlflow

#include "processes/process_type.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

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
      {"CTLFLOW_CONN_NM", ctx.process->conn_nm},
  };
  // The binary running this attempt, so a notebook or command can call
  // back into ctlflow, e.g. `ctlflow sql --conn $CTLFLOW_CONN_NM`.
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) env.emplace_back("CTLFLOW_BIN", self.string());
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

Result<ResultRecord> ParseResultRecord(const std::string& text, const std::string& origin) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Invalid("the result record in " + origin + " is not a JSON object");
  }
  ResultRecord out;
  for (const char* key : {"source_row", "target_row"}) {
    if (!doc.contains(key) || doc[key].is_null()) continue;
    if (!doc[key].is_number_integer()) {
      return Status::Invalid(std::string("the result record field ") + key + " in " + origin +
                             " is not an integer");
    }
    (std::string(key) == "source_row" ? out.source_row : out.target_row) = doc[key].get<int64_t>();
  }
  if (doc.contains("message") && doc["message"].is_string()) out.message = doc["message"].get<std::string>();
  return out;
}

Result<std::optional<ResultRecord>> ReadResultFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<ResultRecord>();
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CTL_ASSIGN_OR_RETURN(ResultRecord record, ParseResultRecord(text, path));
  return std::optional<ResultRecord>(std::move(record));
}

std::string LastOutputLine(const std::string& log_path, size_t max_length) {
  std::ifstream in(log_path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line.rfind("ctlflow: ", 0) != 0 && line.rfind("ctlflow-notebook: ", 0) != 0) {
      last = line;
    }
  }
  if (last.size() > max_length) last = last.substr(0, max_length - 3) + "...";
  return last;
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

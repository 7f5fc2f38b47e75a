#include "processes/sql_process.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ctlflow {

namespace fs = std::filesystem;

ProcessOutcome RunSqlProcess(const ProcessContext& ctx) {
  const Process& p = *ctx.process;
  ProcessOutcome out;
  out.status = AttemptStatus::kFailed;

  std::string script = p.af_parm;
  std::string source = "af_parm";
  if (!p.af_path_nm.empty()) {
    fs::path path = p.af_path_nm;
    if (path.is_relative()) path = fs::path(ctx.home) / path;
    std::ifstream in(path);
    if (!in) {
      out.message = "cannot read the SQL file " + path.string() + " (af_path_nm)";
      return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    script = text.str();
    source = path.string();
  }

  SqlParams params{{"data_dt", ctx.data_dt},
                   {"run_id", ctx.run_id},
                   {"attempt", ctx.attempt},
                   {"prcs_nm", p.prcs_nm},
                   {"strem_nm", ctx.strem_nm},
                   {"af_parm", p.af_parm}};
  for (const auto& [k, v] : ctx.params) params[k] = v;

  AppendLogLine(ctx.log_path, "running SQL from " + source + " on connection " + p.conn_nm);
  auto conn = ctx.connections->Open(p.conn_nm);
  if (!conn.ok()) {
    out.message = "conn_nm: " + conn.status().message();
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }
  StopCheck stopper(ctx);
  const std::function<bool()> stop = stopper.AsFunction();
  auto result = (*conn)->RunScript(
      script, params, [&](const std::string& line) { AppendLogLine(ctx.log_path, line); }, stop);
  if (stopper.timed_out()) {
    out.status = AttemptStatus::kTimedOut;
    out.message = TimeoutMessage(p, "the script was interrupted and rolled back");
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }
  if (stopper.cancelled()) {
    out.message = CancelMessage(ctx, "the script was interrupted and rolled back");
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }
  if (!result.ok()) {
    out.message = (source == "af_parm" ? "" : source + ": ") + result.status().message();
    AppendLogLine(ctx.log_path, "failed: " + out.message);
    return out;
  }
  out.status = AttemptStatus::kSuccess;
  out.source_row = result->source_row;
  out.target_row = result->target_row;
  out.message = std::to_string(result->statements) + " statement" +
                (result->statements == 1 ? "" : "s") + " ran";
  return out;
}

}  // namespace ctlflow

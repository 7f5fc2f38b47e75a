#include "processes/command_process.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/shell_words.h"
#include "process/subprocess.h"

namespace ctlflow {

namespace fs = std::filesystem;

Result<std::string> ExpandContextVariables(
    const std::string& word, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out;
  size_t i = 0;
  while (i < word.size()) {
    size_t open = word.find("${", i);
    if (open == std::string::npos) break;
    size_t close = word.find('}', open + 2);
    if (close == std::string::npos) break;
    std::string name = word.substr(open + 2, close - open - 2);
    out += word.substr(i, open - i);
    const std::string* value = nullptr;
    for (const auto& [k, v] : vars)
      if (k == name) value = &v;
    if (value) {
      out += *value;
    } else if (name.rfind("CTLFLOW_", 0) == 0) {
      return Status::Invalid("unknown variable ${" + name + "} in af_parm");
    } else {
      out += word.substr(open, close + 1 - open);
    }
    i = close + 1;
  }
  out += word.substr(i);
  return out;
}

ProcessOutcome RunCommandProcess(const ProcessContext& ctx) {
  const Process& p = *ctx.process;
  ProcessOutcome out;
  out.status = AttemptStatus::kFailed;

  auto env = ContextEnvironment(ctx);
  // Per attempt (the log path is), so no earlier attempt's file can be here.
  std::string result_file = ctx.log_path + ".result.json";
  env.emplace_back("CTLFLOW_RESULT_FILE", result_file);

  auto words = SplitShellWords(p.af_parm);
  if (!words.ok()) {
    out.message = "af_parm: " + words.status().message();
    return out;
  }
  SubprocessOptions opts;
  std::string program = p.af_path_nm;
  if (program.find('/') != std::string::npos && fs::path(program).is_relative()) {
    program = (fs::path(ctx.home) / program).string();
  }
  opts.argv.push_back(program);
  for (const auto& w : *words) {
    auto expanded = ExpandContextVariables(w, env);
    if (!expanded.ok()) {
      out.message = expanded.status().message();
      return out;
    }
    opts.argv.push_back(*expanded);
  }
  opts.env = env;
  opts.cwd = ctx.home;
  opts.output_path = ctx.log_path;
  if (p.timeout_s) opts.timeout = std::chrono::seconds(*p.timeout_s);

  {
    std::ostringstream line;
    line << "running";
    for (const auto& a : opts.argv) line << " " << QuoteShellWord(a);
    AppendLogLine(ctx.log_path, line.str());
  }
  auto started = Subprocess::Start(opts);
  if (!started.ok()) {
    out.message = started.status().message();
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }
  Result<SubprocessResult> result = Status::Internal("not waited");
  {
    Subprocess& child = *started;
    CancelSubscription on_cancel(ctx.cancel, [&child] { child.Terminate(); });
    result = child.Wait();
  }
  if (ctx.cancel && ctx.cancel->cancelled()) {
    out.message = CancelMessage(ctx, "the process tree was stopped");
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }
  if (!result.ok()) {
    out.message = result.status().message();
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }
  AppendLogLine(ctx.log_path, "finished: " + result->Describe());
  if (result->timed_out) {
    out.status = AttemptStatus::kTimedOut;
    out.message = TimeoutMessage(p, "the process tree was killed");
    return out;
  }
  if (!result->ok()) {
    std::string last = LastOutputLine(ctx.log_path, 200);
    out.message = p.af_path_nm + " failed: " + result->Describe() +
                  (last.empty() ? "" : "; last output: " + last);
    return out;
  }

  auto record = ReadResultFile(result_file);
  if (!record.ok()) {
    out.message = record.status().message();
    return out;
  }
  if (*record) {
    out.source_row = (*record)->source_row;
    out.target_row = (*record)->target_row;
    if ((*record)->message) out.message = *(*record)->message;
  }
  out.status = AttemptStatus::kSuccess;
  if (out.message.empty()) out.message = "exit code 0";
  return out;
}

}  // namespace ctlflow

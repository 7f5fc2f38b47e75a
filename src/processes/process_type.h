// Process types (prcs_typ): what one attempt of a process does. The executor
// hands each attempt a ProcessContext and gets a ProcessOutcome back; it never
// needs to know which type ran.
//
// Types: 1 notebook, 2 sql, 3 command, 4 ingest (tier 1), 5 load (tier 2),
// one file each; RunProcess is the only switch over prcs_typ.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "model/entities.h"
#include "model/status_codes.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

struct ProcessContext {
  std::string home;       // working directory and base of relative paths
  const Process* process = nullptr;
  std::string strem_nm;
  std::string data_dt;    // YYYY-MM-DD, the run's logical date
  int64_t run_id = 0;
  int64_t attempt = 1;
  std::map<std::string, std::string> params;  // --param k=v
  std::string log_path;   // this attempt's stdout/stderr file (exists)
  const ConnectionRegistry* connections = nullptr;
  CancelToken* cancel = nullptr;  // may be null; when fired, stop at once
};

struct ProcessOutcome {
  AttemptStatus status = AttemptStatus::kFailed;  // success, failed or timed_out
  std::string message;
  std::optional<int64_t> source_row, target_row;
};

// For process types that run inside ctlflow (sql, ingest, load): whether
// the attempt must stop now, because timeout_s has passed or the run was
// cancelled. Poll it from long loops and from SQLite's progress handler.
class StopCheck {
 public:
  explicit StopCheck(const ProcessContext& ctx);
  bool ShouldStop();  // remembers a timeout once seen
  bool timed_out() const { return timed_out_; }
  bool cancelled() const { return ctx_.cancel != nullptr && ctx_.cancel->cancelled(); }
  // A callable view for APIs that take std::function; this must outlive it.
  std::function<bool()> AsFunction() {
    return [this] { return ShouldStop(); };
  }

 private:
  const ProcessContext& ctx_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool timed_out_ = false;
};

// "timed out after N s (timeout_s = N); <consequence>".
std::string TimeoutMessage(const Process& process, const std::string& consequence);
// "cancelled: <reason>; <consequence>".
std::string CancelMessage(const ProcessContext& ctx, const std::string& consequence);

// The small result record a command or notebook may leave:
// {"source_row": N, "target_row": N, "message": "..."}, all optional.
struct ResultRecord {
  std::optional<int64_t> source_row, target_row;
  std::optional<std::string> message;
};
// Counts must be integers or null. `origin` names where the text came from.
Result<ResultRecord> ParseResultRecord(const std::string& text, const std::string& origin);
// The record in the file at `path`, or nullopt when there is no such file.
Result<std::optional<ResultRecord>> ReadResultFile(const std::string& path);

// The last non-empty line a program wrote to an attempt's log (ctlflow's
// own lines skipped), cut to `max_length`, to make failure messages useful.
std::string LastOutputLine(const std::string& log_path, size_t max_length);

// The run context as environment variables (CTLFLOW_DATA_DT, ...).
std::vector<std::pair<std::string, std::string>> ContextEnvironment(const ProcessContext& ctx);

// Runs one attempt of ctx.process according to its prcs_typ.
ProcessOutcome RunProcess(const ProcessContext& ctx);

// Appends one line to an attempt's log file, prefixed "ctlflow: ".
void AppendLogLine(const std::string& log_path, const std::string& line);

}  // namespace ctlflow

// Subcommands that compile and run streams, and show what ran: dag, run,
// log, runs, init.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "executor/presence.h"
#include "cli/output.h"
#include "common/identity.h"
#include <nlohmann/json.hpp>

#include "executor/run_engine.h"

namespace ctlflow {

Status CmdInit(const Home& home) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(int64_t version, store->SchemaVersion());
  std::cout << "ctlflow home " << home.path << " is ready (metadata schema version " << version
            << ")\n";
  return Status::Ok();
}

Status CmdDag(const Home& home, const std::string& stream, const std::string& format) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(*store));
  CTL_ASSIGN_OR_RETURN(Plan plan, Compile(config, stream));
  if (format == "text") std::cout << plan.ToText();
  else if (format == "dot") std::cout << plan.ToDot();
  else if (format == "json") std::cout << plan.ToJson();
  else return Status::Invalid("--format: expected text, dot or json, got '" + format + "'");
  return Status::Ok();
}

namespace {

// The newest line of a log file, with control characters made spaces so
// that it cannot break the progress line ("" if there is none yet).
std::string NewestLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 4096);
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  size_t start = tail.find_last_of("\n\r");
  std::string line = start == std::string::npos ? (from == 0 ? tail : "") : tail.substr(start + 1);
  if (line.rfind("ctlflow: ", 0) == 0) line.erase(0, 9);
  for (char& ch : line)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
  return line;
}

// A live one-line progress display on a terminal (stderr): the run's counts,
// then the newest line a running attempt has logged (an ingest's rows and
// bytes so far, a command's own output), else the last event.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO)) {}
  ~ProgressLine() { Clear(); }

  void Update(const RunProgress& p) {
    if (!tty_) return;
    size_t finished = p.succeeded + p.failed + p.upstream_failed + p.skipped;
    char elapsed[32];
    std::snprintf(elapsed, sizeof(elapsed), "%.0f s", p.elapsed_s);
    std::string line = label_ + " run " + std::to_string(p.run_id) + " [" + elapsed + "]: " +
                       std::to_string(finished) + "/" + std::to_string(p.total) + " done, " +
                       std::to_string(p.running) + " running";
    if (p.waiting) line += ", " + std::to_string(p.waiting) + " waiting";
    if (p.retrying) line += ", " + std::to_string(p.retrying) + " retrying";
    if (p.failed + p.upstream_failed) {
      line += ", " + std::to_string(p.failed) + " failed, " + std::to_string(p.upstream_failed) +
              " upstream failed";
    }
    std::string detail = p.last_event;
    for (const auto& [prcs_nm, path] : p.running_logs) {
      std::string newest = NewestLine(path);
      if (newest.empty()) continue;
      detail = prcs_nm + ": " + newest;
      break;
    }
    line += " | " + detail;
    size_t width = 150;
    winsize ws{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col - 1;
    if (line.size() > width) {
      size_t cut = width - 3;
      while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
      line = line.substr(0, cut) + "...";
    }
    std::cerr << "\r\033[K" << line << std::flush;
    shown_ = true;
  }

  void Clear() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  std::string label_;
  bool tty_;
  bool shown_ = false;
};

}  // namespace

Status CmdRun(const Home& home, const RunOptions& options, bool* succeeded, int* exit_signal) {
  *succeeded = false;
  *exit_signal = 0;
  struct {
    std::string data_dt;
    std::map<std::string, std::string> params;
    int parallel = 2;
  } request;
  request.data_dt = options.date.empty() ? TodayUtc() : options.date;
  CTL_RETURN_IF_ERROR(CheckDate(request.data_dt, "--date"));
  CTL_ASSIGN_OR_RETURN(request.params, ParseParams(options.params));
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  request.parallel = options.parallel > 0 ? options.parallel : std::max(2, cpus);

  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(*store));
  CTL_ASSIGN_OR_RETURN(Plan plan, Compile(config, options.stream));
  if (!plan.stream().active) {
    return Status::Invalid("stream " + options.stream +
                           " is inactive (cntl_cfg_strem.act_f = 0); set act_f = 1 to run it");
  }
  ConnectionRegistry connections(home.path, store.get());
  SystemClock clock;
  RunRecord record;
  record.strem_nm = options.stream;
  record.data_dt = request.data_dt;
  record.status = static_cast<int64_t>(RunStatus::kRunning);
  record.run_typ = "manual";
  record.params_json = nlohmann::json(request.params).dump();
  record.start_dt = NowTimestamp();
  record.owner = ProcessIdentity();
  // Our heartbeat tells schedulers on other hosts that this run is alive.
  Presence presence(*store, SelfRecord("run", request.parallel, "", /*lease_s=*/30));
  CTL_RETURN_IF_ERROR(presence.Register());
  CTL_ASSIGN_OR_RETURN(record.run_id, store->CreateRun(record));

  SignalWatcher signals;
  RunEngine engine(*store, connections, home.path, clock,
                   EngineOptions{request.parallel, LocalWorkerName()});
  CTL_RETURN_IF_ERROR(engine.Adopt(record, std::make_shared<const Plan>(std::move(plan))));
  ProgressLine line(options.stream + " " + request.data_dt);
  RunSummary summary;
  bool cancel_sent = false;
  while (engine.IsActive(record.run_id)) {
    if (signals.signal() != 0 && !cancel_sent) {
      engine.CancelAll(signals.Describe());
      cancel_sent = true;
    }
    CTL_ASSIGN_OR_RETURN(auto finished, engine.Poll(std::chrono::milliseconds(200),
                                                    [&](const RunProgress& p) { line.Update(p); }));
    (void)presence.MaybeBeat();  // a missed beat is retried on the next loop
    for (auto& f : finished) summary = std::move(f);
  }
  line.Clear();
  *exit_signal = signals.signal();

  LogFilter filter;
  filter.run_id = summary.run_id;
  CTL_ASSIGN_OR_RETURN(auto attempts, store->QueryLog(filter));
  PrintAttempts(std::cout, attempts, /*json=*/false);
  std::cout << "run " << summary.run_id << " of " << options.stream << " for " << request.data_dt
            << ": " << RunStatusName(static_cast<int64_t>(summary.status)) << " ("
            << summary.message << ")\n";
  *succeeded = summary.status == RunStatus::kSuccess;
  return Status::Ok();
}

Status CmdLog(const Home& home, const LogOptions& o) {
  if (!o.date.empty()) CTL_RETURN_IF_ERROR(CheckDate(o.date, "--date"));
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  LogFilter filter;
  if (!o.stream.empty()) filter.stream = o.stream;
  if (!o.process.empty()) filter.process = o.process;
  if (!o.date.empty()) filter.data_dt = o.date;
  if (o.run_id > 0) filter.run_id = o.run_id;
  filter.limit = o.limit;
  CTL_ASSIGN_OR_RETURN(auto attempts, store->QueryLog(filter));
  PrintAttempts(std::cout, attempts, o.json);
  return Status::Ok();
}

Status CmdRuns(const Home& home, const std::string& stream, int64_t limit, bool json) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  RunFilter filter;
  if (!stream.empty()) filter.stream = stream;
  filter.limit = limit;
  CTL_ASSIGN_OR_RETURN(auto runs, store->ListRuns(filter));
  PrintRuns(std::cout, runs, json);
  return Status::Ok();
}

}  // namespace ctlflow

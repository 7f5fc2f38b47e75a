// The daemon and the commands that steer it: scheduler, trigger, backfill,
// pause, unpause, clear, cancel. They talk through the metadata store only,
// so they work whether or not a scheduler is running right now.
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/identity.h"
#include "cron/timezone.h"
#include "executor/presence.h"
#include "scheduler/scheduler.h"

namespace ctlflow {

namespace {

Status RequireStream(MetadataStore& store, const std::string& stream) {
  CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(store));
  for (const auto& s : config.streams)
    if (s.strem_nm == stream) return Status::Ok();
  return Status::NotFound("unknown stream '" + stream + "' in cntl_cfg_strem");
}


// Dates D1..D2 inclusive, YYYY-MM-DD.
std::vector<std::string> DatesBetween(const std::string& from, const std::string& to) {
  auto a = ParseCivil(from), b = ParseCivil(to);
  std::vector<std::string> out;
  if (!a.ok() || !b.ok()) return out;
  for (int64_t d = DaysFromCivil(a->year, a->month, a->day); d <= DaysFromCivil(b->year, b->month, b->day); ++d) {
    out.push_back(FormatDate(CivilFromUnix(d * 86400)));
  }
  return out;
}

// Processes whose latest attempt in the run did not succeed.
Result<std::vector<RunClear>> ClearsFor(MetadataStore& store, const RunRecord& run, bool failed_only,
                                        const std::set<std::string>& only) {
  LogFilter filter;
  filter.run_id = run.run_id;
  CTL_ASSIGN_OR_RETURN(auto attempts, store.QueryLog(filter));
  std::map<std::string, const AttemptRecord*> latest;
  for (const auto& a : attempts) {
    auto it = latest.find(a.prcs_nm);
    if (it == latest.end() || it->second->attempt < a.attempt) latest[a.prcs_nm] = &a;
  }
  std::vector<RunClear> clears;
  for (const auto& [name, a] : latest) {
    bool ok = a->status == static_cast<int64_t>(AttemptStatus::kSuccess) ||
              a->status == static_cast<int64_t>(AttemptStatus::kSkipped);
    if (failed_only && ok) continue;
    if (!only.empty() && !only.count(name)) continue;
    clears.push_back({name, a->attempt});
  }
  return clears;
}

}  // namespace

Status CmdScheduler(const Home& home, const SchedulerCliOptions& options) {
  // Before any thread starts, so every thread has the signals blocked.
  SignalWatcher stop;
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  if (!options.local_workers && home.db.empty()) {
    return Status::Invalid("--no-local-workers needs a PostgreSQL metadata store (--db postgresql://...): "
                           "workers find their attempts there");
  }
  ConnectionRegistry connections(home.path, store.get());
  SystemClock clock;
  EngineOptions engine_options{options.workers, LocalWorkerName(), /*remote=*/!options.local_workers};
  RunEngine engine(*store, connections, home.path, clock, engine_options);
  SchedulerOptions scheduler_options;
  scheduler_options.identity = ProcessIdentity();
  Presence presence(*store, SelfRecord("scheduler", options.local_workers ? options.workers : 0, "",
                                       options.lease_s));
  CTL_RETURN_IF_ERROR(presence.Register());
  Scheduler scheduler(*store, engine, clock, scheduler_options);
  CTL_RETURN_IF_ERROR(scheduler.Recover());
  std::cout << Stamp() << " scheduler " << scheduler_options.identity << " started on "
            << (home.db.empty() ? home.path : std::string("PostgreSQL")) << " with "
            << (options.local_workers ? std::to_string(options.workers) + " local workers"
                                      : std::string("no local workers (attempts go to ctlflow worker)"))
            << std::endl;
  std::map<int64_t, std::string> printed;
  auto print = [&](const RunProgress& p) {
    std::string& last = printed[p.run_id];
    if (p.last_event == last) return;
    last = p.last_event;
    std::cout << Stamp() << " run " << p.run_id << ": " << p.last_event << std::endl;
  };
  // A lost database connection is not fatal: the engine forgets its runs,
  // and the scheduler adopts them again from their rows once it is back.
  std::string last_problem;
  auto survive = [&](const Status& st) -> Status {
    if (st.ok()) return st;
    if (st.code() != ErrorCode::kIo) return st;
    if (st.message() != last_problem) {
      std::cout << Stamp() << " database unavailable, retrying: " << st.message() << std::endl;
    }
    last_problem = st.message();
    engine.Reset("the metadata store connection was lost");
    printed.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return Status::Ok();
  };
  auto last_tick = clock.Now() - std::chrono::seconds(10);
  bool draining = false;
  while (true) {
    if (!draining && stop.signal() != 0) {
      draining = true;
      engine.Drain();
      if (options.local_workers) {
        std::cout << Stamp() << " draining: " << engine.RunningAttempts()
                  << " running attempts will finish; nothing new starts" << std::endl;
      } else {
        std::cout << Stamp() << " stopping: attempts on workers go on; another scheduler takes over "
                  << engine.ActiveRuns() << " running runs" << std::endl;
      }
    }
    if (!draining && clock.Now() - last_tick >= std::chrono::milliseconds(500)) {
      last_tick = clock.Now();
      Status ticked = scheduler.Tick();
      if (ticked.ok()) {
        auto beat = presence.MaybeBeat();
        ticked = beat.ok() ? Status::Ok() : beat.status();
      }
      CTL_RETURN_IF_ERROR(survive(ticked));
      if (ticked.ok() && !last_problem.empty()) {
        std::cout << Stamp() << " database reachable again" << std::endl;
        last_problem.clear();
      }
    }
    auto finished = engine.Poll(std::chrono::milliseconds(200), print);
    if (!finished.ok()) {
      CTL_RETURN_IF_ERROR(survive(finished.status()));
      continue;
    }
    for (const auto& f : *finished) {
      std::cout << Stamp() << " run " << f.run_id << " " << RunStatusName(static_cast<int64_t>(f.status))
                << ": " << f.message << std::endl;
      printed.erase(f.run_id);
    }
    if (draining && engine.RunningAttempts() == 0) break;
    if (options.once && engine.ActiveRuns() == 0 && clock.Now() - last_tick < std::chrono::milliseconds(500)) {
      // --once: one tick, then run what it started to completion.
      RunFilter queued;
      queued.statuses = {RunStatus::kQueued};
      CTL_ASSIGN_OR_RETURN(auto waiting, store->ListRuns(queued));
      if (waiting.empty()) break;
    }
  }
  std::cout << Stamp() << " scheduler stopped" << std::endl;
  return Status::Ok();
}

Status CmdTrigger(const Home& home, const std::string& stream, const std::string& date,
                  const std::vector<std::string>& params) {
  std::string data_dt = date.empty() ? TodayUtc() : date;
  CTL_RETURN_IF_ERROR(CheckDate(data_dt, "--date"));
  CTL_ASSIGN_OR_RETURN(auto values, ParseParams(params));
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(RequireStream(*store, stream));
  RunRecord run;
  run.strem_nm = stream;
  run.data_dt = data_dt;
  run.status = static_cast<int64_t>(RunStatus::kQueued);
  run.run_typ = "manual";
  run.params_json = nlohmann::json(values).dump();
  CTL_ASSIGN_OR_RETURN(int64_t run_id, store->CreateRun(run));
  std::cout << "queued run " << run_id << " of " << stream << " for " << data_dt
            << "; a running `ctlflow scheduler` will start it\n";
  return Status::Ok();
}

Status CmdBackfill(const Home& home, const std::string& stream, const std::string& from,
                   const std::string& to, bool rerun_failed) {
  CTL_RETURN_IF_ERROR(CheckDate(from, "--from"));
  CTL_RETURN_IF_ERROR(CheckDate(to, "--to"));
  if (to < from) return Status::Invalid("--to " + to + " is before --from " + from);
  std::vector<std::string> dates = DatesBetween(from, to);
  if (dates.size() > 10000) return Status::Invalid("a backfill of more than 10,000 days; split it");
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(RequireStream(*store, stream));
  int created = 0, rerun = 0, kept = 0;
  for (const auto& d : dates) {
    RunRecord run;
    run.strem_nm = stream;
    run.data_dt = d;
    run.status = static_cast<int64_t>(RunStatus::kQueued);
    run.run_typ = "backfill";
    run.params_json = "{}";
    auto id = store->CreateRun(run);
    if (id.ok()) {
      ++created;
      continue;
    }
    if (id.status().code() != ErrorCode::kConflict) return id.status();
    // A run exists for that date: keep it, or re-run what failed in it.
    RunFilter filter;
    filter.stream = stream;
    filter.data_dt = d;
    CTL_ASSIGN_OR_RETURN(auto existing, store->ListRuns(filter));
    const RunRecord* latest = existing.empty() ? nullptr : &existing.back();
    if (rerun_failed && latest && (latest->status == static_cast<int64_t>(RunStatus::kFailed) ||
                                   latest->status == static_cast<int64_t>(RunStatus::kCancelled))) {
      CTL_ASSIGN_OR_RETURN(auto clears, ClearsFor(*store, *latest, true, {}));
      CTL_RETURN_IF_ERROR(store->ClearRun(latest->run_id, static_cast<RunStatus>(latest->status), clears));
      ++rerun;
    } else {
      ++kept;
    }
  }
  std::cout << "backfill of " << stream << " from " << from << " to " << to << ": " << created
            << " runs queued, " << rerun << " failed runs re-queued, " << kept
            << " dates already had a run\n";
  return Status::Ok();
}

Status CmdPause(const Home& home, const std::string& stream, bool paused) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(RequireStream(*store, stream));
  CTL_RETURN_IF_ERROR(store->SetPaused(stream, paused));
  std::cout << "stream " << stream << (paused ? " paused" : " unpaused") << "\n";
  return Status::Ok();
}

Status CmdClear(const Home& home, const std::string& stream, const std::string& date, bool failed_only,
                const std::vector<std::string>& processes) {
  CTL_RETURN_IF_ERROR(CheckDate(date, "--date"));
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(RequireStream(*store, stream));
  RunFilter filter;
  filter.stream = stream;
  filter.data_dt = date;
  CTL_ASSIGN_OR_RETURN(auto runs, store->ListRuns(filter));
  if (runs.empty()) return Status::NotFound("stream " + stream + " has no run for " + date);
  const RunRecord& run = runs.back();
  std::set<std::string> only(processes.begin(), processes.end());
  if (!only.empty()) {
    // A cleared process takes everything downstream of it along.
    CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(*store));
    CTL_ASSIGN_OR_RETURN(Plan plan, Compile(config, stream));
    std::vector<int> stack;
    for (const auto& p : processes) {
      int node = plan.FindProcess(p);
      if (node < 0) return Status::NotFound("--process: stream " + stream + " has no process '" + p + "'");
      stack.push_back(node);
    }
    while (!stack.empty()) {
      int n = stack.back();
      stack.pop_back();
      if (plan.nodes()[n].kind == PlanNode::Kind::kProcess) only.insert(plan.nodes()[n].name);
      for (int d : plan.nodes()[n].downstream) stack.push_back(d);
    }
  }
  CTL_ASSIGN_OR_RETURN(auto clears, ClearsFor(*store, run, failed_only, only));
  if (clears.empty()) {
    std::cout << "run " << run.run_id << " has nothing to clear\n";
    return Status::Ok();
  }
  CTL_RETURN_IF_ERROR(store->ClearRun(run.run_id, static_cast<RunStatus>(run.status), clears));
  std::cout << "run " << run.run_id << " of " << stream << " for " << date << " re-queued: ";
  for (size_t i = 0; i < clears.size(); ++i) std::cout << (i ? ", " : "") << clears[i].prcs_nm;
  std::cout << "\n";
  return Status::Ok();
}

Status CmdCancel(const Home& home, int64_t run_id) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(RunStatus before, store->RequestCancel(run_id, "requested with ctlflow cancel"));
  switch (before) {
    case RunStatus::kQueued:
      std::cout << "run " << run_id << " cancelled\n";
      break;
    case RunStatus::kRunning:
      std::cout << "run " << run_id << ": cancel requested; the process running it stops it within a second\n";
      break;
    default:
      return Status::Invalid("run " + std::to_string(run_id) + " has already finished (" +
                             RunStatusName(static_cast<int64_t>(before)) + ")");
  }
  return Status::Ok();
}

}  // namespace ctlflow

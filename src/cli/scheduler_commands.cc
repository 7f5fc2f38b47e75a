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

}  // namespace

Status CmdScheduler(const Home& home, const SchedulerCliOptions& options) {
  // Before any thread starts, so every thread has the signals blocked.
  SignalWatcher stop;
  return RunScheduler(home, options, stop);
}

Status RunScheduler(const Home& home, const SchedulerCliOptions& options, const SignalWatcher& stop) {
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
  CTL_ASSIGN_OR_RETURN(auto values, ParseParams(params));
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(TriggerResult run, TriggerRun(*store, stream, date, values));
  std::cout << "queued run " << run.run_id << " of " << stream << " for " << run.data_dt
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
  CTL_RETURN_IF_ERROR(PauseStream(*store, stream, paused));
  std::cout << "stream " << stream << (paused ? " paused" : " unpaused") << "\n";
  return Status::Ok();
}

Status CmdClear(const Home& home, const std::string& stream, const std::string& date, bool failed_only,
                const std::vector<std::string>& processes) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(ClearResult cleared, ClearStreamRun(*store, stream, date, failed_only, processes));
  if (cleared.clears.empty()) {
    std::cout << "run " << cleared.run_id << " has nothing to clear\n";
    return Status::Ok();
  }
  std::cout << "run " << cleared.run_id << " of " << stream << " for " << date << " re-queued: ";
  for (size_t i = 0; i < cleared.clears.size(); ++i) std::cout << (i ? ", " : "") << cleared.clears[i].prcs_nm;
  std::cout << "\n";
  return Status::Ok();
}

Status CmdCancel(const Home& home, int64_t run_id) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(std::string what, CancelRun(*store, run_id, "requested with ctlflow cancel"));
  std::cout << what << "\n";
  return Status::Ok();
}

}  // namespace ctlflow

// Scheduler: turns cntl_cfg_schedule rows into stream runs and starts them.
//
// It never runs user code: it creates runs (status 2, queued) when their
// interval is due, starts queued runs within max_active_runs by moving them
// to running and handing them to the RunEngine, and reloads the control
// tables when another process changes them. All of its state is in the
// metadata store, so a restarted scheduler carries on where it stopped.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"
#include "compiler/compiler.h"
#include "cron/fire_times.h"
#include "executor/run_engine.h"
#include "store/metadata_store.h"

namespace ctlflow {

struct SchedulerOptions {
  // At most this many new runs per stream per tick, so a catchup of years
  // does not stall the loop (the rest follow on the next ticks).
  int max_new_runs_per_tick = 500;
  // Recorded as the owner of the runs this scheduler executes.
  std::string identity;
};

// Where the scheduler's time goes between ticks is the caller's business;
// these are the periods of its housekeeping.
inline constexpr std::chrono::seconds kOrphanCheckEvery{2};
inline constexpr std::chrono::seconds kLeaseCheckEvery{1};

class Scheduler {
 public:
  Scheduler(MetadataStore& store, RunEngine& engine, const Clock& clock, SchedulerOptions options = {});

  // Takes over every running run whose owner is gone (a scheduler or a
  // foreground run that was killed): its attempts left running are marked
  // interrupted (they will be retried) and the run is adopted. Tick does
  // this too, every few seconds.
  Status Recover();
  // One pass: reload the config if it changed, create due runs, start
  // queued runs. Cheap when nothing changed.
  Status Tick();

  // For tests and `ctlflow scheduler --once`: the runs created so far.
  int64_t runs_created() const { return runs_created_; }

 private:
  Status ReloadIfChanged();
  Status CreateDueRuns(const Schedule& schedule);
  Status StartQueuedRuns();
  Status StartRun(const RunRecord& run);
  Status AdoptOrphans();
  Status Resume(const RunRecord& run, const std::string& previous_owner);

  MetadataStore& store_;
  RunEngine& engine_;
  const Clock& clock_;
  SchedulerOptions options_;

  std::optional<int64_t> seen_change_;
  std::optional<ControlConfig> config_;
  std::set<std::string> paused_;
  int64_t runs_created_ = 0;
  Clock::TimePoint last_orphan_check_{};
  Clock::TimePoint last_lease_check_{};
};

// The local calendar date of an instant, and its UTC text, for run rows.
std::string UtcText(UnixSeconds t);

}  // namespace ctlflow

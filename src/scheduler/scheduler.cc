#include "scheduler/scheduler.h"

#include <algorithm>
#include <ctime>

#include "common/identity.h"
#include "executor/presence.h"

namespace ctlflow {

std::string UtcText(UnixSeconds t) { return FormatDateTime(CivilFromUnix(t)); }

namespace {

std::optional<UnixSeconds> ParseUtc(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto civil = ParseCivil(text.substr(0, 19));
  if (!civil.ok()) return std::nullopt;
  return SecondsFromCivil(*civil);
}

}  // namespace

Scheduler::Scheduler(MetadataStore& store, RunEngine& engine, const Clock& clock, SchedulerOptions options)
    : store_(store), engine_(engine), clock_(clock), options_(options) {}

Status Scheduler::Recover() {
  CTL_RETURN_IF_ERROR(ReloadIfChanged());
  return AdoptOrphans();
}

// Runs left running by an owner that is gone, and our own runs that the
// engine forgot (after a lost database connection), are taken (back) over.
Status Scheduler::AdoptOrphans() {
  last_orphan_check_ = clock_.Now();
  RunFilter filter;
  filter.statuses = {RunStatus::kRunning};
  CTL_ASSIGN_OR_RETURN(std::vector<RunRecord> running, store_.ListRuns(filter));
  for (const auto& run : running) {
    if (engine_.IsActive(run.run_id)) continue;
    if (run.owner != options_.identity) {
      CTL_ASSIGN_OR_RETURN(bool alive, OwnerAlive(store_, run.owner));
      if (alive) continue;
      Status claimed = store_.ClaimRun(run.run_id, run.owner, options_.identity);
      if (claimed.code() == ErrorCode::kConflict) continue;  // someone else took it
      CTL_RETURN_IF_ERROR(claimed);
    }
    CTL_RETURN_IF_ERROR(Resume(run, run.owner));
  }
  return Status::Ok();
}

Status Scheduler::Resume(const RunRecord& run, const std::string& previous_owner) {
  // Attempts a worker holds are spared: their results still arrive.
  std::string why = previous_owner == options_.identity
                        ? std::string("this scheduler lost its metadata store connection")
                    : previous_owner.empty() ? std::string("the process running this attempt stopped")
                                             : previous_owner + " stopped";
  CTL_ASSIGN_OR_RETURN(auto interrupted,
                       store_.RecoverInterrupted(run.run_id, "interrupted: " + why +
                                                                 " before it finished; it will be retried"));
  (void)interrupted;
  auto plan = Compile(*config_, run.strem_nm);
  if (!plan.ok()) {
    return store_.TransitionRun(run.run_id, RunStatus::kRunning, RunStatus::kFailed,
                                "cannot resume: " + plan.status().message());
  }
  RunRecord mine = run;
  mine.owner = options_.identity;
  return engine_.Adopt(mine, std::make_shared<const Plan>(std::move(*plan)));
}

Status Scheduler::ReloadIfChanged() {
  CTL_ASSIGN_OR_RETURN(int64_t change, store_.ChangeCounter());
  if (config_ && seen_change_ && *seen_change_ == change) return Status::Ok();
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> rows, store_.ReadConfigTables());
  CTL_ASSIGN_OR_RETURN(ControlConfig config, ConfigFromRows(rows));
  config_ = std::move(config);
  seen_change_ = change;
  return Status::Ok();
}

Status Scheduler::Tick() {
  CTL_RETURN_IF_ERROR(ReloadIfChanged());
  // Cheap enough to read every tick, and it may be set from this process.
  CTL_ASSIGN_OR_RETURN(std::vector<std::string> paused, store_.PausedStreams());
  paused_ = std::set<std::string>(paused.begin(), paused.end());
  std::map<std::string, const Stream*> streams;
  for (const auto& s : config_->streams) streams[s.strem_nm] = &s;
  for (const auto& schedule : config_->schedules) {
    auto stream = streams.find(schedule.strem_nm);
    if (!schedule.active || stream == streams.end() || !stream->second->active ||
        paused_.count(schedule.strem_nm)) {
      continue;
    }
    CTL_RETURN_IF_ERROR(CreateDueRuns(schedule));
  }
  CTL_RETURN_IF_ERROR(StartQueuedRuns());
  if (clock_.Now() - last_lease_check_ >= kLeaseCheckEvery) {
    // Any scheduler may fail the tasks of a dead worker; the run's engine
    // then applies the failure (and the retry policy) like any other.
    last_lease_check_ = clock_.Now();
    CTL_ASSIGN_OR_RETURN(auto expired, store_.ExpireLeases());
    (void)expired;
  }
  if (clock_.Now() - last_orphan_check_ >= kOrphanCheckEvery) CTL_RETURN_IF_ERROR(AdoptOrphans());
  return Status::Ok();
}

Status Scheduler::CreateDueRuns(const Schedule& schedule) {
  auto cron = ParseCron(CronFields{schedule.minutes, schedule.hours, schedule.day_month,
                                   schedule.months, schedule.day_week});
  if (!cron.ok()) return Status::Ok();  // reported by validate; never fires
  auto tz = TimeZone::Load(schedule.tz);
  if (!tz.ok()) return Status::Ok();
  const UnixSeconds now = clock_.UnixNow();
  const std::optional<UnixSeconds> start = LocalBoundToUtc(schedule.start_dt, *tz);
  const std::optional<UnixSeconds> end = LocalBoundToUtc(schedule.end_dt, *tz);

  // Where the last scheduled interval ended.
  CTL_ASSIGN_OR_RETURN(std::string last_end_text, store_.LastIntervalEnd(schedule.strem_nm));
  const std::optional<UnixSeconds> last_end = ParseUtc(last_end_text);

  std::vector<DataInterval> due;
  if (schedule.catchup && (last_end || start)) {
    // Every interval since the last one (or since start_dt), oldest first.
    UnixSeconds cursor = last_end ? *last_end : *start - 1;
    auto first = last_end ? std::optional<UnixSeconds>(*last_end) : NextFireTime(*cron, *tz, cursor);
    while (first && static_cast<int>(due.size()) < options_.max_new_runs_per_tick) {
      auto next = NextFireTime(*cron, *tz, *first);
      if (!next || *next > now) break;
      if (end && *first > *end) break;
      DataInterval interval{*first, *next, FormatDate(tz->ToLocal(*first))};
      due.push_back(interval);
      first = next;
    }
  } else {
    // Only the latest interval; unpausing does not flood the backlog.
    auto fire = PreviousFireTime(*cron, *tz, now);
    if (fire && (!last_end || *fire > *last_end)) {
      auto interval = IntervalEndingAt(*cron, *tz, *fire);
      if (interval && (!start || interval->start >= *start) && (!end || interval->start <= *end)) {
        due.push_back(*interval);
      }
    }
  }

  for (const auto& interval : due) {
    RunRecord run;
    run.strem_nm = schedule.strem_nm;
    run.data_dt = interval.data_dt;
    run.status = static_cast<int64_t>(RunStatus::kQueued);
    run.run_typ = "scheduled";
    run.params_json = "{}";
    run.interval_start = UtcText(interval.start);
    run.interval_end = UtcText(interval.end);
    auto created = store_.CreateRun(run);
    if (created.ok()) {
      ++runs_created_;
    } else if (created.status().code() != ErrorCode::kConflict) {
      return created.status();
    }
    // A conflict: that data_dt has a run already (a backfill, a trigger, or
    // a sub-daily schedule whose earlier interval fell on the same date).
  }
  return Status::Ok();
}

Status Scheduler::StartQueuedRuns() {
  RunFilter filter;
  filter.statuses = {RunStatus::kQueued, RunStatus::kRunning};
  CTL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store_.ListRuns(filter));
  std::map<std::string, int64_t> active;
  for (const auto& r : runs) {
    if (r.status == static_cast<int64_t>(RunStatus::kRunning)) ++active[r.strem_nm];
  }
  std::vector<const RunRecord*> queued;
  for (const auto& r : runs) {
    if (r.status == static_cast<int64_t>(RunStatus::kQueued)) queued.push_back(&r);
  }
  // Oldest data first, then first come.
  std::stable_sort(queued.begin(), queued.end(), [](const RunRecord* a, const RunRecord* b) {
    return std::tie(a->data_dt, a->run_id) < std::tie(b->data_dt, b->run_id);
  });
  std::map<std::string, const Stream*> streams;
  for (const auto& s : config_->streams) streams[s.strem_nm] = &s;
  for (const RunRecord* r : queued) {
    auto stream = streams.find(r->strem_nm);
    int64_t limit = stream == streams.end() ? 1 : std::max<int64_t>(1, stream->second->max_active_runs);
    if (paused_.count(r->strem_nm) || active[r->strem_nm] >= limit) continue;
    CTL_RETURN_IF_ERROR(StartRun(*r));
    ++active[r->strem_nm];
  }
  return Status::Ok();
}

Status Scheduler::StartRun(const RunRecord& queued) {
  // queued -> running with this scheduler as owner, in one statement: a
  // second scheduler gets a Conflict and leaves the run alone.
  Status moved = store_.StartRun(queued.run_id, options_.identity);
  if (moved.code() == ErrorCode::kConflict) return Status::Ok();  // taken or cancelled meanwhile
  CTL_RETURN_IF_ERROR(moved);
  RunRecord run = queued;
  run.status = static_cast<int64_t>(RunStatus::kRunning);
  run.owner = options_.identity;
  auto plan = Compile(*config_, run.strem_nm);
  if (!plan.ok()) {
    return store_.TransitionRun(run.run_id, RunStatus::kRunning, RunStatus::kFailed,
                                "cannot compile the stream: " + plan.status().message());
  }
  return engine_.Adopt(run, std::make_shared<const Plan>(std::move(*plan)));
}

}  // namespace ctlflow

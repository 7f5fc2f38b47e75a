// RunEngine: executes stream runs on a bounded local worker pool, with all
// state durable in the metadata store, so a run can be picked up again by a
// new process after a crash (Adopt reads the run's attempt rows).
//
// Data flow: Adopt() loads a run and works out, from its attempt rows, which
// processes are done, retrying, waiting, queued or pending. Poll() is the
// engine's loop: it releases ready processes (a status-2 row, then a worker
// slot), checks dependency waits and retry timers, and applies the outcomes
// that worker threads post back. Only Poll's thread writes to the store,
// one transaction per loop iteration (group commit); workers only run
// attempts.
// `ctlflow run` drives one run with it in the foreground; the scheduler
// daemon drives many.
//
// Remote mode (EngineOptions::remote, `scheduler --no-local-workers`): a
// queued attempt becomes a row of cntl_task instead of a local thread; a
// `ctlflow worker` claims it, marks it running and leaves its result there.
// The engine takes finished tasks back (woken by NOTIFY, or every 200 ms)
// and applies them exactly like local completions, so retries, propagation
// and run state still have one owner: the engine of the run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "compiler/plan.h"
#include "executor/worker_pool.h"
#include "store/metadata_store.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

struct RunProgress {
  int64_t run_id = 0;
  size_t total = 0;  // processes in the plan
  size_t succeeded = 0, failed = 0, upstream_failed = 0, skipped = 0;
  size_t running = 0, queued = 0, waiting = 0, retrying = 0;
  double elapsed_s = 0;
  std::string last_event;  // "PRCS_X succeeded", for the progress line
  // The log files of the attempts running in this process (not those on
  // remote workers) as (prcs_nm, path), so a terminal can show their newest
  // line: an ingest's rows and bytes so far, a command's own output.
  std::vector<std::pair<std::string, std::string>> running_logs;
};

struct RunSummary {
  int64_t run_id = 0;
  RunStatus status = RunStatus::kFailed;
  RunProgress counts;
  std::string message;
};

using ProgressCallback = std::function<void(const RunProgress&)>;

struct EngineOptions {
  int workers = 2;          // attempts running at once, over all runs
  std::string worker_name;  // prefix for cntl_cfg_log.worker_nm
  bool remote = false;      // hand attempts to `ctlflow worker` processes
};

// Backoff before attempt `next_attempt` (2, 3, ...): retry_delay_s doubled
// per earlier retry, capped at one hour.
std::chrono::seconds RetryDelay(int64_t retry_delay_s, int64_t next_attempt);

class RunEngine {
 public:
  RunEngine(MetadataStore& store, const ConnectionRegistry& connections, std::string home,
            const Clock& clock, EngineOptions options);
  ~RunEngine();
  RunEngine(const RunEngine&) = delete;
  RunEngine& operator=(const RunEngine&) = delete;

  // Takes over a run in status running. Its attempt rows say where it is;
  // attempts cleared by `ctlflow clear` no longer count.
  Status Adopt(const RunRecord& run, std::shared_ptr<const Plan> plan);

  // Works for up to max_wait (less when a run finishes) and returns the
  // runs that finished. `progress` is called on every change and at least
  // every half second.
  Result<std::vector<RunSummary>> Poll(std::chrono::milliseconds max_wait,
                                       const ProgressCallback& progress = nullptr);

  // Stops a run: nothing new starts, running process trees are terminated,
  // waits end as failed; it finishes as cancelled.
  void Cancel(int64_t run_id, const std::string& reason);
  void CancelAll(const std::string& reason);
  // Stops starting attempts; running ones finish. The runs stay "running"
  // in the store for the next process to adopt.
  void Drain();

  // Forgets every run (after a failed store transaction left memory and
  // store apart). Local attempts still running are cancelled; the runs stay
  // running in the store, for the scheduler to adopt again from their rows.
  void Reset(const std::string& reason);

  bool IsActive(int64_t run_id) const;
  size_t ActiveRuns() const { return runs_.size(); }
  size_t RunningAttempts() const { return running_total_; }
  // Tells waiting processes to look again now (a dependency succeeded
  // somewhere), instead of on their next poll.
  void WakeWaiters() { recheck_waits_ = true; }

 private:
  struct NodeRun;
  struct ActiveRun;
  struct Completion;

  Status Load(ActiveRun& run);
  Status Propagate(ActiveRun& run, int node, bool ok);
  Status Release(ActiveRun& run);
  Status CheckWaits(ActiveRun& run);
  Status CheckRetries(ActiveRun& run);
  Status Dispatch(std::vector<std::function<void()>>* start);
  std::optional<std::pair<ActiveRun*, int>> PopQueued();
  std::string LogPath(const ActiveRun& run, int node) const;
  Status Apply(Completion done);
  Status Enqueue(ActiveRun& run, int node);
  Status CollectRemote(std::deque<Completion>* done);
  void ListenForResults();
  Status StartCancel(ActiveRun& run);
  Status CheckCancelRequests();
  Result<bool> MaybeFinish(ActiveRun& run, std::vector<RunSummary>* finished);
  Status InsertAttempt(ActiveRun& run, int node, AttemptStatus status, const std::string& message);
  // New attempt rows, tasks and final transitions of one loop iteration go
  // to the store in a few multi-row statements; Flush writes what is held.
  Status Flush();
  void Report(ActiveRun& run, std::string event);
  void Publish(ActiveRun& run);  // the run's counts to progress_

  MetadataStore& store_;
  const ConnectionRegistry& connections_;
  std::string home_;
  const Clock& clock_;
  EngineOptions options_;

  std::map<int64_t, std::unique_ptr<ActiveRun>> runs_;
  // Queued attempts waiting for a worker slot: (run_id, node).
  std::deque<std::pair<int64_t, int>> dispatch_;
  size_t running_total_ = 0;
  std::vector<bool> slot_busy_;  // worker slots, for worker_nm "...-<slot>"
  bool draining_ = false;
  bool recheck_waits_ = false;
  Clock::TimePoint last_cancel_check_{};
  Clock::TimePoint last_wait_check_{};
  Clock::TimePoint last_progress_{};  // the periodic progress report, across Poll calls
  ProgressCallback progress_;

  std::mutex mu_;  // guards completions_
  std::condition_variable cv_;
  std::deque<Completion> completions_;
  std::unique_ptr<WorkerPool> pool_;
  std::vector<AttemptRecord> new_attempts_;
  std::vector<TaskRecord> new_tasks_;
  std::vector<AttemptTransition> finals_;

  // Remote mode: finished tasks are looked for when a NOTIFY arrives (the
  // listener thread sets remote_wake_) and at least every 200 ms.
  std::unique_ptr<StoreListener> listener_;
  std::thread listener_thread_;
  std::atomic<bool> stop_listening_{false};
  bool remote_wake_ = false;  // guarded by mu_
  Clock::TimePoint last_task_check_{};
};

}  // namespace ctlflow

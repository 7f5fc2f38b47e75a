#include "worker/worker.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/cancel.h"
#include "executor/task_spec.h"
#include "executor/worker_pool.h"
#include "processes/process_type.h"

namespace ctlflow {

namespace fs = std::filesystem;

namespace {

// One claimed attempt while it runs on a slot.
struct Held {
  TaskRecord task;
  TaskSpec spec;
  CancelToken cancel;
  int slot = 0;
};

struct Finished {
  int64_t task_id = 0;
  TaskRecord task;
  ProcessOutcome outcome;
  int slot = 0;
  std::string end_dt;  // when the process ended
};

std::string Describe(const TaskRecord& t) {
  return t.prcs_nm + " attempt " + std::to_string(t.attempt) + " of run " + std::to_string(t.run_id);
}

// Waits for results from the slots and for NOTIFYs, whichever comes first.
class Mailbox {
 public:
  void Post(Finished f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_.push_back(std::move(f));
    }
    cv_.notify_one();
  }
  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
    }
    cv_.notify_one();
  }
  std::deque<Finished> Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return woken_ || !finished_.empty(); });
    woken_ = false;
    std::deque<Finished> out;
    out.swap(finished_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Finished> finished_;
  bool woken_ = false;
};

}  // namespace

// The state of one Worker::Run and its steps; one instance per run.
class WorkerLoop {
 public:
  WorkerLoop(MetadataStore& store, const ConnectionRegistry& connections, Presence& presence,
             const WorkerOptions& options, const std::function<void(const std::string&)>& on_event)
      : store_(store),
        connections_(connections),
        presence_(presence),
        options_(options),
        on_event_(on_event),
        pool_(options.slots),
        slot_busy_(static_cast<size_t>(options.slots), false) {}

  ~WorkerLoop() {
    stop_listening_ = true;
    if (listen_thread_.joinable()) listen_thread_.join();
    pool_.Stop();
  }

  // NOTIFY wakes us within milliseconds of a task being queued; without a
  // listener (or while it reconnects) the loop still polls.
  void Listen() {
    auto l = store_.Listen({kTaskChannel, kCancelChannel});
    if (!l.ok()) return;
    listener_ = std::move(*l);
    listen_thread_ = std::thread([this] {
      while (!stop_listening_) {
        auto got = listener_->Wait(std::chrono::milliseconds(250));
        if (!got.ok() || got->empty()) continue;
        for (const auto& payload : *got) {
          if (payload.rfind(kCancelPayloadPrefix, 0) == 0) cancel_notified_ = true;
        }
        mailbox_.Wake();
      }
    });
  }

  Status Run(const std::function<bool()>& stop) {
    while (true) {
      if (!draining_ && stop()) {
        draining_ = true;
        on_event_("draining: " + std::to_string(held_.size()) +
                  " running attempts will finish; claiming nothing new");
      }
      healthy_ = true;
      Beat();
      const bool more_waiting = ReportAndClaim();
      if (draining_ && held_.empty() && unreported_.empty()) return Status::Ok();
      auto timeout = more_waiting ? std::chrono::milliseconds(0)
                     : healthy_   ? std::chrono::milliseconds(listener_ ? 500 : 100)
                                  : std::chrono::milliseconds(500);
      for (auto& f : mailbox_.Wait(timeout)) {
        held_.erase(f.task_id);
        if (f.slot > 0) slot_busy_[static_cast<size_t>(f.slot - 1)] = false;
        unreported_.push_back(std::move(f));
      }
    }
  }

 private:
  // A database outage is reported once, not on every loop.
  void Problem(const Status& st) {
    if (st.message() != last_problem_) on_event_("database unavailable, retrying: " + st.message());
    last_problem_ = st.message();
    healthy_ = false;
  }

  // Heartbeat; at once when a cancel notification came, since the beat
  // says which of our attempts to stop.
  void Beat() {
    auto cancelled = presence_.MaybeBeat(cancel_notified_.exchange(false));
    if (!cancelled.ok()) return Problem(cancelled.status());
    for (int64_t id : *cancelled) {
      auto it = held_.find(id);
      if (it != held_.end() && !it->second->cancel.cancelled()) it->second->cancel.Cancel("the run was cancelled");
    }
  }

  // Results and the next claim share one transaction (one commit, one WAL
  // flush); on a database error both wait for the next loop. Returns
  // whether the claim filled every free slot (more may be waiting).
  bool ReportAndClaim() {
    std::vector<std::pair<int64_t, TaskResult>> results;
    for (const auto& f : unreported_) {
      results.push_back({f.task_id, TaskResult{f.outcome.status, f.outcome.message, f.outcome.source_row,
                                               f.outcome.target_row, f.end_dt}});
    }
    std::vector<std::string> names;
    std::vector<int> slots;
    for (size_t i = 0; !draining_ && i < slot_busy_.size(); ++i) {
      if (slot_busy_[i]) continue;
      slots.push_back(static_cast<int>(i) + 1);
      names.push_back(presence_.id() + "/" + std::to_string(i + 1));
    }
    if (!healthy_ || (results.empty() && names.empty())) return false;
    std::vector<Status> reported;
    std::vector<TaskRecord> claimed;
    Status st = store_.Batch([&]() -> Status {
      CTL_ASSIGN_OR_RETURN(reported, store_.FinishTasks(presence_.id(), results));
      if (names.empty()) return Status::Ok();
      CTL_ASSIGN_OR_RETURN(claimed, store_.ClaimTasks(presence_.id(), options_.queues, names));
      return Status::Ok();
    });
    if (!st.ok()) {
      Problem(st);
      return false;
    }
    last_problem_.clear();
    for (size_t i = 0; i < unreported_.size(); ++i) {
      const Finished& f = unreported_[i];
      const Status& r = reported.at(i);
      if (!r.ok()) AppendLogLine(f.task.log_path, r.message());  // refused: the lease was lost
      on_event_(Describe(f.task) + ": " +
                (r.ok() ? std::string(AttemptStatusName(static_cast<int64_t>(f.outcome.status))) : r.message()));
    }
    unreported_.clear();
    // Each claimed task carries the slot name it was given.
    for (auto& task : claimed) {
      const size_t i = std::find(names.begin(), names.end(), task.worker_nm) - names.begin();
      if (i < slots.size()) {
        Start(std::move(task), slots[i]);
        continue;
      }
      // Never expected; reported, so the attempt is not held forever.
      ProcessOutcome lost{AttemptStatus::kFailed, "internal error: claimed for unknown slot " + task.worker_nm, {}, {}};
      unreported_.push_back(Finished{task.task_id, task, lost, 0, NowTimestamp()});
    }
    return !names.empty() && claimed.size() == names.size();
  }

  void Start(TaskRecord task, int slot) {
    auto h = std::make_unique<Held>();
    h->task = std::move(task);
    h->slot = slot;
    auto spec = DecodeTaskSpec(h->task.spec);
    if (!spec.ok()) {
      // Reported as the attempt's failure, never silently dropped.
      ProcessOutcome bad{AttemptStatus::kFailed, "cannot run the task: " + spec.status().message(), {}, {}};
      unreported_.push_back(Finished{h->task.task_id, h->task, bad, 0, NowTimestamp()});
      return;
    }
    h->spec = std::move(*spec);
    slot_busy_[static_cast<size_t>(slot - 1)] = true;
    Held* raw = h.get();
    held_[raw->task.task_id] = std::move(h);
    on_event_(Describe(raw->task) + ": started on slot " + std::to_string(slot));
    pool_.Submit([this, raw] {
      std::error_code ec;
      fs::create_directories(fs::path(raw->task.log_path).parent_path(), ec);
      AppendLogLine(raw->task.log_path,
                    Describe(raw->task) + " for data_dt " + raw->spec.data_dt + " on " + raw->task.worker_nm);
      ProcessContext ctx;
      ctx.home = options_.home;
      ctx.process = &raw->spec.process;
      ctx.strem_nm = raw->spec.strem_nm;
      ctx.data_dt = raw->spec.data_dt;
      ctx.run_id = raw->task.run_id;
      ctx.attempt = raw->task.attempt;
      ctx.params = raw->spec.params;
      ctx.log_path = raw->task.log_path;
      ctx.connections = &connections_;
      ctx.cancel = &raw->cancel;
      ProcessOutcome outcome = RunProcess(ctx);
      mailbox_.Post(Finished{raw->task.task_id, raw->task, std::move(outcome), raw->slot, NowTimestamp()});
    });
  }

  MetadataStore& store_;
  const ConnectionRegistry& connections_;
  Presence& presence_;
  const WorkerOptions& options_;
  const std::function<void(const std::string&)>& on_event_;

  Mailbox mailbox_;
  std::unique_ptr<StoreListener> listener_;
  std::atomic<bool> stop_listening_{false};
  std::atomic<bool> cancel_notified_{false};  // a run of ours may be cancelled
  std::thread listen_thread_;

  std::map<int64_t, std::unique_ptr<Held>> held_;  // by task_id
  std::deque<Finished> unreported_;                // results waiting for the database
  bool draining_ = false;
  bool healthy_ = true;
  std::string last_problem_;
  // Declared last: destroyed first, after ~WorkerLoop has stopped it.
  WorkerPool pool_;
  std::vector<bool> slot_busy_;
};

Worker::Worker(MetadataStore& store, const ConnectionRegistry& connections, Presence& presence,
               WorkerOptions options)
    : store_(store), connections_(connections), presence_(presence), options_(std::move(options)) {}

Status Worker::Run(const std::function<bool()>& stop, const std::function<void(const std::string&)>& on_event) {
  CTL_RETURN_IF_ERROR(presence_.Register());
  WorkerLoop loop(store_, connections_, presence_, options_, on_event);
  loop.Listen();
  return loop.Run(stop);
}

}  // namespace ctlflow

#include "worker/worker.h"

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

Worker::Worker(MetadataStore& store, const ConnectionRegistry& connections, Presence& presence,
               WorkerOptions options)
    : store_(store), connections_(connections), presence_(presence), options_(std::move(options)) {}

Status Worker::Run(const std::function<bool()>& stop, const std::function<void(const std::string&)>& on_event) {
  CTL_RETURN_IF_ERROR(presence_.Register());
  Mailbox mailbox;
  // NOTIFY wakes us within milliseconds of a task being queued; without a
  // listener (or while it reconnects) the loop still polls.
  std::unique_ptr<StoreListener> listener;
  if (auto l = store_.Listen({kTaskChannel, kCancelChannel}); l.ok()) listener = std::move(*l);
  std::atomic<bool> stop_listening{false};
  std::atomic<bool> cancel_notified{false};  // a run of ours may be cancelled
  std::thread listen_thread;
  if (listener) {
    listen_thread = std::thread([&] {
      while (!stop_listening) {
        auto got = listener->Wait(std::chrono::milliseconds(250));
        if (!got.ok() || got->empty()) continue;
        for (const auto& payload : *got) {
          if (payload.rfind(kCancelPayloadPrefix, 0) == 0) cancel_notified = true;
        }
        mailbox.Wake();
      }
    });
  }

  WorkerPool pool(options_.slots);
  std::map<int64_t, std::unique_ptr<Held>> held;  // by task_id
  std::vector<bool> slot_busy(static_cast<size_t>(options_.slots), false);
  std::deque<Finished> unreported;  // results waiting for the database
  bool draining = false;
  bool more_waiting = false;  // the last claim filled every free slot
  std::string last_problem;
  auto problem = [&](const Status& st) {
    // A database outage is reported once, not on every loop.
    if (st.message() != last_problem) on_event("database unavailable, retrying: " + st.message());
    last_problem = st.message();
  };

  while (true) {
    if (!draining && stop()) {
      draining = true;
      on_event("draining: " + std::to_string(held.size()) +
               " running attempts will finish; claiming nothing new");
    }

    bool healthy = true;
    // A cancel notification makes us beat now: the beat says which of our
    // attempts to stop.
    auto cancelled = presence_.MaybeBeat(cancel_notified.exchange(false));
    if (!cancelled.ok()) {
      problem(cancelled.status());
      healthy = false;
    } else {
      for (int64_t id : *cancelled) {
        auto it = held.find(id);
        if (it != held.end() && !it->second->cancel.cancelled()) {
          it->second->cancel.Cancel("the run was cancelled");
        }
      }
    }

    // Results and the next claim share one transaction (one commit, one
    // WAL flush); on a database error both wait for the next loop.
    std::vector<std::pair<int64_t, TaskResult>> results;
    for (const auto& f : unreported) {
      results.push_back({f.task_id, TaskResult{f.outcome.status, f.outcome.message, f.outcome.source_row,
                                               f.outcome.target_row, f.end_dt}});
    }
    std::vector<std::string> names;
    std::vector<int> slots;
    for (size_t i = 0; !draining && i < slot_busy.size(); ++i) {
      if (slot_busy[i]) continue;
      slots.push_back(static_cast<int>(i) + 1);
      names.push_back(presence_.id() + "/" + std::to_string(i + 1));
    }
    std::vector<Status> reported;
    std::vector<TaskRecord> claimed;
    if (healthy && (!results.empty() || !names.empty())) {
      Status st = store_.Batch([&]() -> Status {
        CTL_ASSIGN_OR_RETURN(reported, store_.FinishTasks(presence_.id(), results));
        if (names.empty()) return Status::Ok();
        CTL_ASSIGN_OR_RETURN(claimed, store_.ClaimTasks(presence_.id(), options_.queues, names));
        return Status::Ok();
      });
      if (!st.ok()) {
        problem(st);
        healthy = false;
        claimed.clear();
      } else {
        last_problem.clear();
        for (size_t i = 0; i < unreported.size(); ++i) {
          const Finished& f = unreported[i];
          const Status& r = reported.at(i);
          if (!r.ok()) {
            AppendLogLine(f.task.log_path, r.message());
            on_event(Describe(f.task) + ": " + r.message());
          } else {
            on_event(Describe(f.task) + ": " + AttemptStatusName(static_cast<int64_t>(f.outcome.status)));
          }
        }
        unreported.clear();
      }
    }

    more_waiting = !names.empty() && claimed.size() == names.size();
    for (size_t i = 0; i < claimed.size(); ++i) {
      auto h = std::make_unique<Held>();
      h->task = std::move(claimed[i]);
      h->slot = slots[i];
      auto spec = DecodeTaskSpec(h->task.spec);
      if (!spec.ok()) {
        // Reported as the attempt's failure, never silently dropped.
        ProcessOutcome bad{AttemptStatus::kFailed, "cannot run the task: " + spec.status().message(), {}, {}};
        unreported.push_back(Finished{h->task.task_id, h->task, bad, 0, NowTimestamp()});
        continue;
      }
      h->spec = std::move(*spec);
      slot_busy[static_cast<size_t>(h->slot - 1)] = true;
      Held* raw = h.get();
      held[raw->task.task_id] = std::move(h);
      on_event(Describe(raw->task) + ": started on slot " + std::to_string(raw->slot));
      pool.Submit([this, raw, &mailbox] {
        std::error_code ec;
        fs::create_directories(fs::path(raw->task.log_path).parent_path(), ec);
        AppendLogLine(raw->task.log_path, Describe(raw->task) + " for data_dt " + raw->spec.data_dt +
                                              " on " + raw->task.worker_nm);
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
        mailbox.Post(Finished{raw->task.task_id, raw->task, std::move(outcome), raw->slot, NowTimestamp()});
      });
    }

    if (draining && held.empty() && unreported.empty()) break;
    auto timeout = more_waiting && healthy ? std::chrono::milliseconds(0)
                   : healthy              ? std::chrono::milliseconds(listener ? 500 : 100)
                                          : std::chrono::milliseconds(500);
    for (auto& f : mailbox.Wait(timeout)) {
      held.erase(f.task_id);
      if (f.slot > 0) slot_busy[static_cast<size_t>(f.slot - 1)] = false;
      unreported.push_back(std::move(f));
    }
  }
  stop_listening = true;
  if (listen_thread.joinable()) listen_thread.join();
  pool.Stop();
  return Status::Ok();
}

}  // namespace ctlflow

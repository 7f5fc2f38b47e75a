#include "executor/run_engine.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "executor/task_spec.h"
#include "processes/process_type.h"

namespace ctlflow {

namespace fs = std::filesystem;

std::chrono::seconds RetryDelay(int64_t retry_delay_s, int64_t next_attempt) {
  constexpr int64_t kCap = 3600;
  int64_t delay = std::max<int64_t>(retry_delay_s, 0);
  for (int64_t i = 2; i < next_attempt && delay < kCap; ++i) delay *= 2;
  return std::chrono::seconds(std::min(delay, kCap));
}

namespace {

std::string SafeFileName(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

enum class NodeState { kPending, kQueued, kRunning, kWaiting, kRetryDelay, kDone };

struct RunEngine::NodeRun {
  NodeState state = NodeState::kPending;
  size_t unmet = 0;       // upstream nodes not yet finished successfully
  int64_t attempt = 0;    // highest attempt number in the log
  bool ok = false;        // done and satisfies dependants
  Clock::TimePoint wait_until{};
};

struct RunEngine::ActiveRun {
  RunRecord record;
  std::shared_ptr<const Plan> plan;
  std::map<std::string, std::string> params;
  std::vector<NodeRun> nodes;
  std::map<std::string, int> node_by_name;  // process nodes, for remote results
  std::deque<int> ready;
  std::vector<int> waiting, retrying;
  RunProgress counts;
  Clock::TimePoint started{};
  fs::path log_dir;
  CancelToken cancel;  // terminates this run's attempts
  bool cancelling = false;
};

struct RunEngine::Completion {
  int64_t run_id;
  int node;
  int64_t attempt;
  int slot;
  ProcessOutcome outcome;
  std::string end_dt = {};  // "" = now; a worker's attempt says when it ended
};

RunEngine::RunEngine(MetadataStore& store, const ConnectionRegistry& connections, std::string home,
                     const Clock& clock, EngineOptions options)
    : store_(store),
      connections_(connections),
      home_(std::move(home)),
      clock_(clock),
      options_(std::move(options)),
      slot_busy_(static_cast<size_t>(std::max(1, options_.workers)), false),
      pool_(std::make_unique<WorkerPool>(std::max(1, options_.workers))) {
  if (options_.remote) {
    auto listener = store_.Listen({kDoneChannel});
    // Without a listener, results are still found by the 200 ms poll.
    if (listener.ok()) {
      listener_ = std::move(*listener);
      listener_thread_ = std::thread([this] { ListenForResults(); });
    }
  }
}

RunEngine::~RunEngine() {
  CancelAll("the engine is shutting down");
  pool_->Stop();
  stop_listening_ = true;
  if (listener_thread_.joinable()) listener_thread_.join();
}

void RunEngine::ListenForResults() {
  while (!stop_listening_) {
    auto got = listener_->Wait(std::chrono::milliseconds(250));
    if (got.ok() && !got->empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        remote_wake_ = true;
      }
      cv_.notify_one();
    }
  }
}

void RunEngine::Reset(const std::string& reason) {
  CancelAll(reason);
  runs_.clear();
  dispatch_.clear();
  // Local completions of forgotten runs are dropped when they arrive.
}

bool RunEngine::IsActive(int64_t run_id) const { return runs_.count(run_id) > 0; }

void RunEngine::Report(ActiveRun& run, std::string event) {
  run.counts.last_event = std::move(event);
  Publish(run);
}

void RunEngine::Publish(ActiveRun& run) {
  if (!progress_) return;
  run.counts.elapsed_s = std::chrono::duration<double>(clock_.Now() - run.started).count();
  run.counts.running_logs.clear();
  if (!options_.remote) {
    for (size_t i = 0; i < run.nodes.size(); ++i) {
      if (run.nodes[i].state != NodeState::kRunning) continue;
      run.counts.running_logs.emplace_back(run.plan->nodes()[i].name, LogPath(run, static_cast<int>(i)));
    }
  }
  progress_(run.counts);
}

Status RunEngine::InsertAttempt(ActiveRun& run, int node, AttemptStatus status,
                                const std::string& message) {
  const PlanNode& n = run.plan->nodes()[node];
  NodeRun& s = run.nodes[node];
  ++s.attempt;
  AttemptRecord a;
  a.prcs_nm = n.name;
  a.data_dt = run.record.data_dt;
  a.status = static_cast<int64_t>(status);
  a.message = message;
  a.run_id = run.record.run_id;
  a.attempt = s.attempt;
  a.strem_nm = run.record.strem_nm;
  if (IsTerminal(status)) a.end_dt = NowTimestamp();
  new_attempts_.push_back(std::move(a));
  return Status::Ok();
}

Status RunEngine::Flush() {
  // Rows first: tasks and transitions refer to them.
  if (!new_attempts_.empty()) {
    std::vector<AttemptRecord> rows;
    rows.swap(new_attempts_);
    CTL_RETURN_IF_ERROR(store_.InsertAttempts(rows));
  }
  if (!finals_.empty()) {
    std::vector<AttemptTransition> finals;
    finals.swap(finals_);
    CTL_RETURN_IF_ERROR(store_.TransitionAttempts(finals));
  }
  if (!new_tasks_.empty()) {
    std::vector<TaskRecord> tasks;
    tasks.swap(new_tasks_);
    CTL_RETURN_IF_ERROR(store_.EnqueueTasks(tasks));
  }
  return Status::Ok();
}

Status RunEngine::Adopt(const RunRecord& record, std::shared_ptr<const Plan> plan) {
  if (runs_.count(record.run_id)) return Status::Conflict("run " + std::to_string(record.run_id) + " is already active");
  auto run = std::make_unique<ActiveRun>();
  run->record = record;
  run->plan = std::move(plan);
  auto params = nlohmann::json::parse(record.params_json.empty() ? "{}" : record.params_json, nullptr, false);
  if (params.is_object()) {
    for (auto& [k, v] : params.items()) run->params[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  run->nodes.resize(run->plan->nodes().size());
  for (size_t i = 0; i < run->plan->nodes().size(); ++i) {
    const PlanNode& n = run->plan->nodes()[i];
    if (n.kind == PlanNode::Kind::kProcess) run->node_by_name[n.name] = static_cast<int>(i);
  }
  run->counts.run_id = record.run_id;
  run->counts.total = run->plan->ProcessCount();
  run->started = clock_.Now();
  run->log_dir = fs::path(home_) / "logs" / SafeFileName(record.strem_nm) / record.data_dt /
                 ("run_" + std::to_string(record.run_id));
  std::error_code ec;
  fs::create_directories(run->log_dir, ec);
  if (ec) return Status::Io("cannot create log folder " + run->log_dir.string() + ": " + ec.message());
  Status loaded = Load(*run);
  if (loaded.ok()) loaded = Flush();
  if (!loaded.ok()) {
    new_attempts_.clear();
    finals_.clear();
    new_tasks_.clear();
    return loaded;
  }
  int64_t id = record.run_id;
  runs_[id] = std::move(run);
  Report(*runs_[id], "run " + std::to_string(id) + " started");
  return Status::Ok();
}

// Works out each node's state from the run's attempt rows.
Status RunEngine::Load(ActiveRun& run) {
  const auto& nodes = run.plan->nodes();
  LogFilter filter;
  filter.run_id = run.record.run_id;
  CTL_ASSIGN_OR_RETURN(std::vector<AttemptRecord> attempts, store_.QueryLog(filter));
  CTL_ASSIGN_OR_RETURN(std::vector<RunClear> clears, store_.ListClears(run.record.run_id));
  // Attempts that a worker holds, or whose result waits in cntl_task.
  std::set<std::pair<std::string, int64_t>> on_workers;
  CTL_ASSIGN_OR_RETURN(std::vector<TaskRecord> tasks, store_.ListTasks(run.record.run_id));
  for (const auto& t : tasks) on_workers.insert({t.prcs_nm, t.attempt});
  std::map<std::string, int64_t> cleared_after;
  for (const auto& c : clears) cleared_after[c.prcs_nm] = c.after_attempt;
  std::map<std::string, const AttemptRecord*> latest;
  std::map<std::string, int64_t> highest;
  for (const auto& a : attempts) {
    highest[a.prcs_nm] = std::max(highest[a.prcs_nm], a.attempt);
    if (a.attempt <= cleared_after[a.prcs_nm]) continue;
    auto it = latest.find(a.prcs_nm);
    if (it == latest.end() || it->second->attempt < a.attempt) latest[a.prcs_nm] = &a;
  }

  for (int i : run.plan->order()) {
    const PlanNode& n = nodes[i];
    NodeRun& s = run.nodes[i];
    s.attempt = highest[n.name];
    bool upstream_failed = false;
    size_t unmet = 0;
    for (int u : n.upstream) {
      const NodeRun& us = run.nodes[u];
      if (us.state == NodeState::kDone && !us.ok) upstream_failed = true;
      if (!(us.state == NodeState::kDone && us.ok)) ++unmet;
    }
    s.unmet = unmet;
    auto row = n.kind == PlanNode::Kind::kProcess ? latest.find(n.name) : latest.end();
    if (row == latest.end()) {
      if (n.kind == PlanNode::Kind::kProcess && n.skipped) {
        CTL_RETURN_IF_ERROR(InsertAttempt(run, i, AttemptStatus::kSkipped, "skipped: inactive (act_f = 0)"));
        s.state = NodeState::kDone;
        s.ok = true;
        ++run.counts.skipped;
      } else if (upstream_failed) {
        CTL_RETURN_IF_ERROR(Propagate(run, i, false));
      } else if (unmet == 0) {
        if (n.kind == PlanNode::Kind::kBarrier) {
          s.state = NodeState::kDone;
          s.ok = true;
        } else {
          run.ready.push_back(i);
        }
      }
      continue;
    }
    auto status = static_cast<AttemptStatus>(row->second->status);
    if ((status == AttemptStatus::kQueued || status == AttemptStatus::kRunning) &&
        on_workers.count({n.name, row->second->attempt})) {
      s.state = NodeState::kRunning;  // its result comes back through cntl_task
      ++run.counts.running;
      continue;
    }
    switch (status) {
      case AttemptStatus::kSuccess:
      case AttemptStatus::kSkipped:
        s.state = NodeState::kDone;
        s.ok = true;
        ++(status == AttemptStatus::kSuccess ? run.counts.succeeded : run.counts.skipped);
        break;
      case AttemptStatus::kUpstreamFailed:
      case AttemptStatus::kFailed:
      case AttemptStatus::kTimedOut:
        s.state = NodeState::kDone;
        s.ok = false;
        ++(status == AttemptStatus::kUpstreamFailed ? run.counts.upstream_failed : run.counts.failed);
        break;
      case AttemptStatus::kUpForRetry: {
        s.state = NodeState::kRetryDelay;
        bool interrupted = row->second->message.rfind("interrupted", 0) == 0;
        s.wait_until = clock_.Now() + (interrupted ? std::chrono::seconds(0)
                                                   : RetryDelay(n.process.retry_delay_s, s.attempt + 1));
        run.retrying.push_back(i);
        ++run.counts.retrying;
        break;
      }
      case AttemptStatus::kQueued:
        s.state = NodeState::kQueued;
        dispatch_.emplace_back(run.record.run_id, i);
        ++run.counts.queued;
        break;
      case AttemptStatus::kWaiting: {
        s.state = NodeState::kWaiting;
        int64_t timeout = 0;
        for (const auto& e : n.external) timeout = timeout ? std::min(timeout, e.wait_timeout_s) : e.wait_timeout_s;
        s.wait_until = clock_.Now() + std::chrono::seconds(timeout);
        run.waiting.push_back(i);
        ++run.counts.waiting;
        break;
      }
      case AttemptStatus::kRunning:
        return Status::Conflict("attempt " + std::to_string(row->second->attempt) + " of " + n.name +
                                " in run " + std::to_string(run.record.run_id) +
                                " is running elsewhere");
    }
  }
  return Status::Ok();
}

// Marks a node finished. A failure finishes everything downstream as
// upstream-failed; a success releases dependants whose upstreams are done.
Status RunEngine::Propagate(ActiveRun& run, int node, bool ok) {
  const auto& nodes = run.plan->nodes();
  std::vector<std::pair<int, bool>> stack{{node, ok}};
  // The first failed node is named in the message of everything it blocks.
  std::string culprit = nodes[node].kind == PlanNode::Kind::kProcess ? nodes[node].name : "an earlier priority level";
  while (!stack.empty()) {
    auto [n, good] = stack.back();
    stack.pop_back();
    NodeRun& s = run.nodes[n];
    s.state = NodeState::kDone;
    s.ok = good;
    if (!good && n != node && nodes[n].kind == PlanNode::Kind::kProcess) {
      CTL_RETURN_IF_ERROR(InsertAttempt(run, n, AttemptStatus::kUpstreamFailed, "upstream failed: " + culprit));
      ++run.counts.upstream_failed;
    }
    for (int d : nodes[n].downstream) {
      NodeRun& ds = run.nodes[d];
      if (ds.state != NodeState::kPending) continue;
      if (!good) {
        stack.emplace_back(d, false);
      } else if (--ds.unmet == 0) {
        if (nodes[d].kind == PlanNode::Kind::kBarrier) {
          stack.emplace_back(d, true);
        } else {
          run.ready.push_back(d);
        }
      }
    }
  }
  return Status::Ok();
}

// Ready processes get their first row: waiting (external dependencies) or
// queued (then a worker slot in Dispatch).
Status RunEngine::Release(ActiveRun& run) {
  const auto& nodes = run.plan->nodes();
  while (!run.ready.empty() && !run.cancelling) {
    int i = run.ready.front();
    run.ready.pop_front();
    const PlanNode& n = nodes[i];
    NodeRun& s = run.nodes[i];
    if (s.state != NodeState::kPending) continue;
    if (!n.external.empty()) {
      const auto& first = n.external.front();
      CTL_RETURN_IF_ERROR(InsertAttempt(run, i, AttemptStatus::kWaiting,
                                        "waiting for " + first.prcs_nm + " of stream " +
                                            first.strem_nm + " for " + run.record.data_dt));
      s.state = NodeState::kWaiting;
      int64_t timeout = first.wait_timeout_s;
      for (const auto& e : n.external) timeout = std::min(timeout, e.wait_timeout_s);
      s.wait_until = clock_.Now() + std::chrono::seconds(timeout);
      run.waiting.push_back(i);
      ++run.counts.waiting;
      Report(run, n.name + " waiting for a dependency");
      recheck_waits_ = true;
      continue;
    }
    std::string note;
    for (const auto& text : n.notes) note += (note.empty() ? "" : "; ") + text;
    CTL_RETURN_IF_ERROR(InsertAttempt(run, i, AttemptStatus::kQueued, note));
    s.state = NodeState::kQueued;
    ++run.counts.queued;
    dispatch_.emplace_back(run.record.run_id, i);
  }
  return Status::Ok();
}

Status RunEngine::CheckWaits(ActiveRun& run) {
  CTL_RETURN_IF_ERROR(Flush());  // waits released this iteration are in the store
  const auto& nodes = run.plan->nodes();
  for (auto it = run.waiting.begin(); it != run.waiting.end();) {
    int i = *it;
    const PlanNode& n = nodes[i];
    NodeRun& s = run.nodes[i];
    std::string missing;
    for (const auto& e : n.external) {
      CTL_ASSIGN_OR_RETURN(bool done, store_.HasSucceeded(e.prcs_nm, run.record.data_dt));
      if (done) continue;
      missing = e.prcs_nm + " of stream " + e.strem_nm;
      if (e.mode == DependencyMode::kTrigger) {
        // Start the other stream's run for this date, once however many ask.
        RunRecord other;
        other.strem_nm = e.strem_nm;
        other.data_dt = run.record.data_dt;
        other.status = static_cast<int64_t>(RunStatus::kQueued);
        other.run_typ = "dependency";
        other.params_json = "{}";
        other.message = "triggered by " + n.name + " of run " + std::to_string(run.record.run_id);
        auto created = store_.CreateRun(other);
        if (!created.ok() && created.status().code() != ErrorCode::kConflict) return created.status();
      }
      break;
    }
    if (missing.empty()) {
      CTL_RETURN_IF_ERROR(store_.TransitionAttempt(run.record.run_id, n.name, s.attempt,
                                                   AttemptStatus::kWaiting, AttemptStatus::kQueued,
                                                   AttemptUpdate{}));
      --run.counts.waiting;
      ++run.counts.queued;
      s.state = NodeState::kQueued;
      dispatch_.emplace_back(run.record.run_id, i);
      it = run.waiting.erase(it);
    } else if (clock_.Now() >= s.wait_until) {
      std::string message = "dependency " + missing + " did not succeed for data_dt " +
                            run.record.data_dt + " within wait_timeout_s";
      CTL_RETURN_IF_ERROR(store_.TransitionAttempt(
          run.record.run_id, n.name, s.attempt, AttemptStatus::kWaiting, AttemptStatus::kFailed,
          AttemptUpdate{.end_dt = NowTimestamp(), .message = message}));
      --run.counts.waiting;
      ++run.counts.failed;
      it = run.waiting.erase(it);
      Report(run, n.name + " failed: " + message);
      CTL_RETURN_IF_ERROR(Propagate(run, i, false));
    } else {
      ++it;
    }
  }
  return Status::Ok();
}

Status RunEngine::CheckRetries(ActiveRun& run) {
  for (auto it = run.retrying.begin(); it != run.retrying.end();) {
    int i = *it;
    if (clock_.Now() < run.nodes[i].wait_until) {
      ++it;
      continue;
    }
    --run.counts.retrying;
    CTL_RETURN_IF_ERROR(InsertAttempt(run, i, AttemptStatus::kQueued, "retry"));
    run.nodes[i].state = NodeState::kQueued;
    ++run.counts.queued;
    dispatch_.emplace_back(run.record.run_id, i);
    it = run.retrying.erase(it);
  }
  return Status::Ok();
}

// The next queued attempt of a live run, oldest first; nullopt when there
// is none or the engine is draining. Entries of finished, cancelling or
// already moved nodes are dropped.
std::optional<std::pair<RunEngine::ActiveRun*, int>> RunEngine::PopQueued() {
  while (!draining_ && !dispatch_.empty()) {
    auto [run_id, node] = dispatch_.front();
    dispatch_.pop_front();
    auto it = runs_.find(run_id);
    if (it == runs_.end()) continue;
    ActiveRun& run = *it->second;
    if (run.cancelling || run.nodes[node].state != NodeState::kQueued) continue;
    return std::make_pair(&run, node);
  }
  return std::nullopt;
}

// <log_dir>/<process>.<attempt>.log for the node's current attempt.
std::string RunEngine::LogPath(const ActiveRun& run, int node) const {
  const std::string& name = run.plan->nodes()[node].name;
  return (run.log_dir / (SafeFileName(name) + "." + std::to_string(run.nodes[node].attempt) + ".log")).string();
}

// Hands queued attempts to free worker slots, oldest first. The attempt is
// marked running here, on the loop's thread, inside the loop's batch; the
// worker thread only runs it. The caller submits `start` after the batch
// has committed, so no process starts before its row says so.
Status RunEngine::Dispatch(std::vector<std::function<void()>>* start) {
  if (options_.remote) {
    for (auto queued = PopQueued(); queued; queued = PopQueued()) {
      CTL_RETURN_IF_ERROR(Enqueue(*queued->first, queued->second));
    }
  }
  CTL_RETURN_IF_ERROR(Flush());  // local slots move rows written this iteration
  while (true) {
    auto free_slot = std::find(slot_busy_.begin(), slot_busy_.end(), false);
    if (free_slot == slot_busy_.end()) break;
    auto queued = PopQueued();
    if (!queued) break;
    ActiveRun& run = *queued->first;
    const int node = queued->second;
    NodeRun& s = run.nodes[node];
    const int slot = static_cast<int>(free_slot - slot_busy_.begin()) + 1;
    const PlanNode* n = &run.plan->nodes()[node];
    const int64_t attempt = s.attempt;
    const std::string log_path = LogPath(run, node);
    const std::string worker = options_.worker_name + std::to_string(slot);
    CTL_RETURN_IF_ERROR(store_.TransitionAttempt(run.record.run_id, n->name, attempt,
                                                 AttemptStatus::kQueued, AttemptStatus::kRunning,
                                                 AttemptUpdate{.start_dt = NowTimestamp(),
                                                               .log_path = log_path,
                                                               .worker_nm = worker}));
    *free_slot = true;
    s.state = NodeState::kRunning;
    --run.counts.queued;
    ++run.counts.running;
    ++running_total_;
    ActiveRun* r = &run;
    start->push_back([this, r, n, node, attempt, slot, log_path, worker] {
      AppendLogLine(log_path, "attempt " + std::to_string(attempt) + " of " + n->name +
                                  " for data_dt " + r->record.data_dt + " (run " +
                                  std::to_string(r->record.run_id) + ") on " + worker);
      ProcessContext ctx;
      ctx.home = home_;
      ctx.process = &n->process;
      ctx.strem_nm = r->record.strem_nm;
      ctx.data_dt = r->record.data_dt;
      ctx.run_id = r->record.run_id;
      ctx.attempt = attempt;
      ctx.params = r->params;
      ctx.log_path = log_path;
      ctx.connections = &connections_;
      ctx.cancel = &r->cancel;
      ProcessOutcome outcome = RunProcess(ctx);
      {
        std::lock_guard<std::mutex> lock(mu_);
        completions_.push_back(Completion{r->record.run_id, node, attempt, slot, std::move(outcome)});
      }
      cv_.notify_one();
    });
    Report(run, n->name + " started");
  }
  return Status::Ok();
}

// The attempt goes to cntl_task; its log row stays queued until a worker
// claims it. The task row commits with the loop's batch.
Status RunEngine::Enqueue(ActiveRun& run, int node) {
  const PlanNode& n = run.plan->nodes()[node];
  NodeRun& s = run.nodes[node];
  TaskSpec spec{n.process, run.record.strem_nm, run.record.data_dt, run.params};
  TaskRecord task;
  task.run_id = run.record.run_id;
  task.prcs_nm = n.name;
  task.attempt = s.attempt;
  task.queue = n.process.queue.empty() ? "default" : n.process.queue;
  task.prir = n.process.prir;
  task.spec = EncodeTaskSpec(spec);
  task.log_path = LogPath(run, node);
  const std::string queue = task.queue;
  new_tasks_.push_back(std::move(task));
  s.state = NodeState::kRunning;
  --run.counts.queued;
  ++run.counts.running;
  Report(run, n.name + " queued for a worker (" + queue + ")");
  return Status::Ok();
}

// Finished tasks of this engine's runs, as completions.
Status RunEngine::CollectRemote(std::deque<Completion>* done) {
  bool woken = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(woken, remote_wake_);
  }
  if (!woken && clock_.Now() - last_task_check_ < std::chrono::milliseconds(200)) return Status::Ok();
  last_task_check_ = clock_.Now();
  std::vector<int64_t> ids;
  for (const auto& [id, run] : runs_) ids.push_back(id);
  CTL_ASSIGN_OR_RETURN(std::vector<TaskRecord> finished, store_.TakeFinishedTasks(ids));
  for (auto& t : finished) {
    auto run = runs_.find(t.run_id);
    if (run == runs_.end()) continue;
    auto node = run->second->node_by_name.find(t.prcs_nm);
    if (node == run->second->node_by_name.end()) continue;
    ProcessOutcome outcome;
    outcome.status = static_cast<AttemptStatus>(t.result_status);
    outcome.message = std::move(t.result_message);
    outcome.source_row = t.source_row;
    outcome.target_row = t.target_row;
    done->push_back(Completion{t.run_id, node->second, t.attempt, /*slot=*/0, std::move(outcome), t.finished_dt});
  }
  return Status::Ok();
}

Status RunEngine::Apply(Completion done) {
  if (done.slot > 0) {
    --running_total_;
    slot_busy_[static_cast<size_t>(done.slot - 1)] = false;
  }
  auto it = runs_.find(done.run_id);
  if (it == runs_.end()) return Status::Ok();  // a run forgotten by Reset
  ActiveRun& run = *it->second;
  const PlanNode& n = run.plan->nodes()[done.node];
  const Process& p = n.process;
  NodeRun& s = run.nodes[done.node];
  --run.counts.running;
  // A cancel may land while the attempt finishes: then it must neither be
  // retried nor fail its dependants.
  const bool stopping = run.cancelling || run.cancel.cancelled();
  AttemptStatus final_status = done.outcome.status;
  bool retry = !stopping && final_status != AttemptStatus::kSuccess && done.attempt <= p.retries;
  if (retry) final_status = AttemptStatus::kUpForRetry;
  std::string message = done.outcome.message;
  for (const auto& note : n.notes) message += "; " + note;
  if (retry) {
    message += "; retrying (attempt " + std::to_string(done.attempt + 1) + " of " +
               std::to_string(p.retries + 1) + ")";
  }
  finals_.push_back(AttemptTransition{run.record.run_id, n.name, done.attempt, AttemptStatus::kRunning,
                                      final_status, done.end_dt.empty() ? NowTimestamp() : done.end_dt,
                                      message, done.outcome.source_row, done.outcome.target_row});
  if (retry) {
    s.state = NodeState::kRetryDelay;
    s.wait_until = clock_.Now() + RetryDelay(p.retry_delay_s, done.attempt + 1);
    run.retrying.push_back(done.node);
    ++run.counts.retrying;
    Report(run, n.name + " failed, will retry: " + done.outcome.message);
    return Status::Ok();
  }
  if (final_status == AttemptStatus::kSuccess) {
    ++run.counts.succeeded;
    Report(run, n.name + " succeeded");
    recheck_waits_ = true;  // someone may be waiting for this one
    return Propagate(run, done.node, true);
  }
  ++run.counts.failed;
  Report(run, n.name + " " + AttemptStatusName(static_cast<int64_t>(final_status)) + ": " + message);
  if (stopping) {
    s.state = NodeState::kDone;
    s.ok = false;
    return Status::Ok();
  }
  return Propagate(run, done.node, false);
}

void RunEngine::Cancel(int64_t run_id, const std::string& reason) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  it->second->cancel.Cancel(reason);
}

void RunEngine::CancelAll(const std::string& reason) {
  for (auto& [id, run] : runs_) run->cancel.Cancel(reason);
}

void RunEngine::Drain() { draining_ = true; }

Status RunEngine::StartCancel(ActiveRun& run) {
  CTL_RETURN_IF_ERROR(Flush());
  run.cancelling = true;
  std::string message = "cancelled: " + run.cancel.reason();
  const auto& nodes = run.plan->nodes();
  for (int i : run.waiting) {
    CTL_RETURN_IF_ERROR(store_.TransitionAttempt(
        run.record.run_id, nodes[i].name, run.nodes[i].attempt, AttemptStatus::kWaiting,
        AttemptStatus::kFailed, AttemptUpdate{.end_dt = NowTimestamp(), .message = message}));
    run.nodes[i].state = NodeState::kDone;
    ++run.counts.failed;
  }
  run.counts.waiting = 0;
  run.waiting.clear();
  // Queued attempts that never got a worker end as failed too.
  for (size_t i = 0; i < run.nodes.size(); ++i) {
    if (run.nodes[i].state != NodeState::kQueued) continue;
    CTL_RETURN_IF_ERROR(store_.TransitionAttempt(run.record.run_id, nodes[i].name, run.nodes[i].attempt,
                                                 AttemptStatus::kQueued, AttemptStatus::kFailed,
                                                 AttemptUpdate{.end_dt = NowTimestamp(), .message = message}));
    run.nodes[i].state = NodeState::kDone;
    ++run.counts.failed;
  }
  run.counts.queued = 0;
  if (options_.remote) {
    // Tasks no worker has claimed are withdrawn; claimed ones are stopped
    // by their worker, whose result then arrives as usual.
    CTL_ASSIGN_OR_RETURN(std::vector<TaskRecord> withdrawn, store_.CancelTasks(run.record.run_id));
    for (const auto& t : withdrawn) {
      auto node = run.node_by_name.find(t.prcs_nm);
      if (node == run.node_by_name.end()) continue;
      CTL_RETURN_IF_ERROR(store_.TransitionAttempt(run.record.run_id, t.prcs_nm, t.attempt,
                                                   AttemptStatus::kQueued, AttemptStatus::kFailed,
                                                   AttemptUpdate{.end_dt = NowTimestamp(), .message = message}));
      run.nodes[node->second].state = NodeState::kDone;
      --run.counts.running;
      ++run.counts.failed;
    }
  }
  for (int i : run.retrying) run.nodes[i].state = NodeState::kDone;
  run.counts.retrying = 0;
  run.retrying.clear();
  run.ready.clear();
  Report(run, message);
  return Status::Ok();
}

Status RunEngine::CheckCancelRequests() {
  if (runs_.empty() || clock_.Now() - last_cancel_check_ < std::chrono::milliseconds(250)) return Status::Ok();
  last_cancel_check_ = clock_.Now();
  RunFilter filter;
  filter.statuses = {RunStatus::kRunning};
  CTL_ASSIGN_OR_RETURN(std::vector<RunRecord> running, store_.ListRuns(filter));
  for (const auto& r : running) {
    if (r.cancel_requested && runs_.count(r.run_id)) Cancel(r.run_id, "requested with ctlflow cancel");
  }
  return Status::Ok();
}

Result<bool> RunEngine::MaybeFinish(ActiveRun& run, std::vector<RunSummary>* finished) {
  if (run.counts.running > 0) return false;
  if (!run.cancelling) {
    bool open = std::any_of(run.nodes.begin(), run.nodes.end(),
                            [](const NodeRun& s) { return s.state != NodeState::kDone; });
    if (open) return false;
  }
  RunSummary summary;
  summary.run_id = run.record.run_id;
  summary.counts = run.counts;
  bool ok = run.counts.failed == 0 && run.counts.upstream_failed == 0;
  summary.status = run.cancelling ? RunStatus::kCancelled : ok ? RunStatus::kSuccess : RunStatus::kFailed;
  summary.message = std::to_string(run.counts.succeeded) + " succeeded, " +
                    std::to_string(run.counts.failed) + " failed, " +
                    std::to_string(run.counts.upstream_failed) + " upstream failed, " +
                    std::to_string(run.counts.skipped) + " skipped";
  if (run.cancelling) summary.message = "cancelled: " + run.cancel.reason() + "; " + summary.message;
  CTL_RETURN_IF_ERROR(store_.TransitionRun(run.record.run_id, RunStatus::kRunning, summary.status,
                                           summary.message));
  finished->push_back(std::move(summary));
  return true;
}

Result<std::vector<RunSummary>> RunEngine::Poll(std::chrono::milliseconds max_wait,
                                                const ProgressCallback& progress) {
  progress_ = progress;
  std::vector<RunSummary> finished;
  if (runs_.empty()) {
    // Nothing to drive: wait (for late local completions at most) instead of
    // letting an idle daemon spin on empty transactions.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, max_wait, [this] { return !completions_.empty(); });
    // Completions of runs forgotten by Reset only give their slot back.
    for (const auto& c : completions_) {
      if (c.slot <= 0) continue;
      --running_total_;
      slot_busy_[static_cast<size_t>(c.slot - 1)] = false;
    }
    completions_.clear();
    return finished;
  }
  const auto deadline = clock_.Now() + max_wait;
  std::deque<Completion> done;
  while (true) {
    // One iteration's state changes commit together (group commit).
    std::vector<std::function<void()>> start;
    Status batch = store_.Batch([&]() -> Status {
      if (options_.remote) CTL_RETURN_IF_ERROR(CollectRemote(&done));
      for (auto& c : done) CTL_RETURN_IF_ERROR(Apply(std::move(c)));
      done.clear();
      CTL_RETURN_IF_ERROR(CheckCancelRequests());
      bool check_waits = recheck_waits_ || clock_.Now() - last_wait_check_ >= std::chrono::milliseconds(100);
      recheck_waits_ = false;
      if (check_waits) last_wait_check_ = clock_.Now();
      for (auto& [id, run] : runs_) {
        if (!run->cancelling && run->cancel.cancelled()) CTL_RETURN_IF_ERROR(StartCancel(*run));
        if (draining_ || run->cancelling) continue;
        CTL_RETURN_IF_ERROR(Release(*run));
        if (check_waits) CTL_RETURN_IF_ERROR(CheckWaits(*run));
        CTL_RETURN_IF_ERROR(CheckRetries(*run));
      }
      CTL_RETURN_IF_ERROR(Dispatch(&start));
      for (auto it = runs_.begin(); it != runs_.end();) {
        CTL_ASSIGN_OR_RETURN(bool over, MaybeFinish(*it->second, &finished));
        it = over ? runs_.erase(it) : std::next(it);
      }
      return Flush();
    });
    if (!batch.ok()) {
      // Nothing of this iteration reached the store.
      new_attempts_.clear();
      finals_.clear();
      new_tasks_.clear();
      return batch;
    }
    for (auto& task : start) pool_->Submit(std::move(task));

    if (recheck_waits_) continue;
    if (!finished.empty() || runs_.empty() || (draining_ && running_total_ == 0)) break;
    auto now = clock_.Now();
    if (now >= deadline) break;

    // Wait for a completion, a cancel, or the next timer.
    bool timers = options_.remote || std::any_of(runs_.begin(), runs_.end(), [](const auto& entry) {
      return !entry.second->waiting.empty() || !entry.second->retrying.empty();
    });
    auto wait = std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(timers ? 50 : 250));
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, wait, [this] { return !completions_.empty() || remote_wake_; });
      done.swap(completions_);
    }
    if (progress_ && clock_.Now() - last_progress_ >= std::chrono::milliseconds(500)) {
      last_progress_ = clock_.Now();
      for (auto& [id, run] : runs_) Publish(*run);
    }
  }
  // Completions taken but not applied yet go back for the next Poll.
  if (!done.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    completions_.insert(completions_.begin(), std::make_move_iterator(done.begin()),
                        std::make_move_iterator(done.end()));
  }
  return finished;
}

}  // namespace ctlflow

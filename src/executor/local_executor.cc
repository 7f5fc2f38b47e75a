#include "executor/local_executor.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "executor/worker_pool.h"
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

enum class NodeState { kPending, kWaiting, kQueued, kRetryDelay, kDone };

struct NodeRun {
  NodeState state = NodeState::kPending;
  size_t unmet = 0;       // upstream nodes not yet finished
  int64_t attempt = 0;
  bool ok = false;        // finished and satisfies dependants
  Clock::TimePoint wait_until{};   // dependency-wait deadline or retry time
};

struct Completion {
  int node;
  int64_t attempt;
  ProcessOutcome outcome;
};

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

std::string SafeFileName(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out;
}

}  // namespace

LocalExecutor::LocalExecutor(MetadataStore& store, const ConnectionRegistry& connections,
                             std::string home, const Clock& clock)
    : store_(store), connections_(connections), home_(std::move(home)), clock_(clock) {}

Result<RunSummary> LocalExecutor::Run(const Plan& plan, const RunRequest& request,
                                      const ProgressCallback& progress) {
  const auto& nodes = plan.nodes();
  const std::string& stream = plan.stream().strem_nm;
  nlohmann::json params_json = request.params;

  RunRecord record;
  record.strem_nm = stream;
  record.data_dt = request.data_dt;
  record.status = static_cast<int64_t>(RunStatus::kRunning);
  record.run_typ = request.run_typ;
  record.params_json = params_json.dump();
  record.start_dt = NowTimestamp();
  CTL_ASSIGN_OR_RETURN(int64_t run_id, store_.CreateRun(record));

  RunProgress counts;
  counts.run_id = run_id;
  counts.total = plan.ProcessCount();
  const std::string worker_prefix = Hostname() + ":" + std::to_string(getpid()) + "/local-";
  const fs::path log_dir = fs::path(home_) / "logs" / SafeFileName(stream) /
                           request.data_dt / ("run_" + std::to_string(run_id));
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) return Status::Io("cannot create log folder " + log_dir.string() + ": " + ec.message());

  std::vector<NodeRun> state(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) state[i].unmet = nodes[i].upstream.size();

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Completion> completions;
  WorkerPool pool(request.parallel);
  Status fatal;  // a store failure stops the run

  auto report = [&](std::string event) {
    counts.last_event = std::move(event);
    if (progress) progress(counts);
  };

  std::deque<int> ready;
  // Marks a node finished and releases its dependants.
  std::function<void(int, bool)> finish = [&](int node, bool ok) {
    state[node].state = NodeState::kDone;
    state[node].ok = ok;
    for (int d : nodes[node].downstream) {
      if (state[d].state != NodeState::kPending) continue;
      if (!ok) {
        // Upstream failed: the dependant never runs.
        state[d].state = NodeState::kDone;
        if (nodes[d].kind == PlanNode::Kind::kProcess) {
          AttemptRecord a;
          a.prcs_nm = nodes[d].name;
          a.data_dt = request.data_dt;
          a.status = static_cast<int64_t>(AttemptStatus::kUpstreamFailed);
          a.end_dt = NowTimestamp();
          std::string culprit = nodes[node].kind == PlanNode::Kind::kProcess
                                    ? nodes[node].name
                                    : "an earlier priority level";
          a.message = "upstream failed: " + culprit;
          a.run_id = run_id;
          a.attempt = 1;
          a.strem_nm = stream;
          Status st = store_.InsertAttempt(a);
          if (!st.ok() && fatal.ok()) fatal = st;
          ++counts.upstream_failed;
        }
        finish(d, false);
        continue;
      }
      if (--state[d].unmet == 0) ready.push_back(d);
    }
  };

  auto start_attempt = [&](int node) {
    const PlanNode& n = nodes[node];
    NodeRun& s = state[node];
    s.state = NodeState::kQueued;
    std::string log_path = (log_dir / (SafeFileName(n.name) + "." + std::to_string(s.attempt) + ".log")).string();
    int64_t attempt = s.attempt;
    ++counts.running;
    pool.Submit([&, node, attempt, log_path](int slot) {
      const PlanNode& pn = nodes[node];
      std::string worker = worker_prefix + std::to_string(slot);
      ProcessOutcome outcome;
      Status st = store_.TransitionAttempt(run_id, pn.name, attempt, AttemptStatus::kQueued,
                                           AttemptStatus::kRunning,
                                           AttemptUpdate{.start_dt = NowTimestamp(),
                                                         .log_path = log_path,
                                                         .worker_nm = worker});
      if (!st.ok()) {
        outcome.message = "could not record the start: " + st.message();
      } else {
        AppendLogLine(log_path, "attempt " + std::to_string(attempt) + " of " + pn.name +
                                    " for data_dt " + request.data_dt + " (run " +
                                    std::to_string(run_id) + ") on " + worker);
        ProcessContext ctx;
        ctx.home = home_;
        ctx.process = &pn.process;
        ctx.strem_nm = stream;
        ctx.data_dt = request.data_dt;
        ctx.run_id = run_id;
        ctx.attempt = attempt;
        ctx.params = request.params;
        ctx.log_path = log_path;
        ctx.connections = &connections_;
        ctx.cancel = request.cancel;
        outcome = RunProcess(ctx);
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        completions.push_back(Completion{node, attempt, std::move(outcome)});
      }
      cv.notify_one();
    });
  };

  auto enqueue_attempt = [&](int node, AttemptStatus initial, const std::string& message) -> Status {
    const PlanNode& n = nodes[node];
    NodeRun& s = state[node];
    ++s.attempt;
    AttemptRecord a;
    a.prcs_nm = n.name;
    a.data_dt = request.data_dt;
    a.status = static_cast<int64_t>(initial);
    a.message = message;
    a.run_id = run_id;
    a.attempt = s.attempt;
    a.strem_nm = stream;
    return store_.InsertAttempt(a);
  };

  // Skipped (inactive) processes are logged once and never block.
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind == PlanNode::Kind::kProcess && nodes[i].skipped) {
      AttemptRecord a;
      a.prcs_nm = nodes[i].name;
      a.data_dt = request.data_dt;
      a.status = static_cast<int64_t>(AttemptStatus::kSkipped);
      a.end_dt = NowTimestamp();
      a.message = "skipped: inactive (act_f = 0)";
      a.run_id = run_id;
      a.attempt = 1;
      a.strem_nm = stream;
      fatal = store_.InsertAttempt(a);
      if (!fatal.ok()) break;
      ++counts.skipped;
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].skipped) {
      state[i].state = NodeState::kDone;
      state[i].ok = true;
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (state[i].state == NodeState::kPending && state[i].unmet == 0) ready.push_back(static_cast<int>(i));
  }
  report("run " + std::to_string(run_id) + " started");

  std::vector<int> waiting, retrying;
  const auto started_at = clock_.Now();
  bool cancelling = false;
  // Set under `mu` by the token's callback; the wait below reads it instead
  // of calling into the token, which would invert the lock order.
  bool cancel_signalled = false;
  CancelSubscription wake_on_cancel(request.cancel, [&] {
    std::lock_guard<std::mutex> lock(mu);
    cancel_signalled = true;
    cv.notify_all();
  });
  auto unfinished = [&] {
    return std::any_of(state.begin(), state.end(),
                       [](const NodeRun& s) { return s.state != NodeState::kDone; });
  };

  while (fatal.ok()) {
    // 0. Cancellation: start nothing new, end the waits, let running
    // attempts stop (their process trees are terminated by the token).
    if (!cancelling && request.cancel && request.cancel->cancelled()) {
      cancelling = true;
      std::string message = "cancelled: " + request.cancel->reason();
      for (int node : waiting) {
        fatal = store_.TransitionAttempt(run_id, nodes[node].name, state[node].attempt,
                                         AttemptStatus::kWaiting, AttemptStatus::kFailed,
                                         AttemptUpdate{.end_dt = NowTimestamp(), .message = message});
        if (!fatal.ok()) break;
        state[node].state = NodeState::kDone;
        --counts.waiting;
        ++counts.failed;
      }
      waiting.clear();
      for (int node : retrying) state[node].state = NodeState::kDone;
      counts.retrying = 0;
      retrying.clear();
      ready.clear();
      report(message);
    }
    if (cancelling && counts.running == 0) break;

    // 1. Release ready nodes.
    while (!cancelling && !ready.empty() && fatal.ok()) {
      int node = ready.front();
      ready.pop_front();
      const PlanNode& n = nodes[node];
      if (n.kind == PlanNode::Kind::kBarrier) {
        finish(node, true);
        continue;
      }
      std::string note;
      for (const auto& text : n.notes) note += (note.empty() ? "" : "; ") + text;
      if (!n.external.empty()) {
        fatal = enqueue_attempt(node, AttemptStatus::kWaiting,
                                "waiting for " + n.external.front().prcs_nm + " of stream " +
                                    n.external.front().strem_nm + " for " + request.data_dt);
        state[node].state = NodeState::kWaiting;
        int64_t timeout = n.external.front().wait_timeout_s;
        for (const auto& e : n.external) timeout = std::min(timeout, e.wait_timeout_s);
        state[node].wait_until = clock_.Now() + std::chrono::seconds(timeout);
        waiting.push_back(node);
        ++counts.waiting;
        report(n.name + " waiting for a dependency");
        continue;
      }
      fatal = enqueue_attempt(node, AttemptStatus::kQueued, note);
      if (fatal.ok()) {
        start_attempt(node);
        report(n.name + " started");
      }
    }
    if (!fatal.ok()) break;

    // 2. Check dependency waits and retry timers.
    for (auto it = waiting.begin(); it != waiting.end() && fatal.ok();) {
      int node = *it;
      const PlanNode& n = nodes[node];
      std::string missing;
      for (const auto& e : n.external) {
        if (e.mode == DependencyMode::kTrigger) {
          missing = "trigger";
          break;
        }
        auto done = store_.HasSucceeded(e.prcs_nm, request.data_dt);
        if (!done.ok()) {
          fatal = done.status();
          break;
        }
        if (!*done) {
          missing = e.prcs_nm + " of stream " + e.strem_nm;
          break;
        }
      }
      if (!fatal.ok()) break;
      bool timed_out = clock_.Now() >= state[node].wait_until;
      if (missing.empty()) {
        fatal = store_.TransitionAttempt(run_id, n.name, state[node].attempt, AttemptStatus::kWaiting,
                                         AttemptStatus::kQueued, AttemptUpdate{});
        --counts.waiting;
        if (fatal.ok()) start_attempt(node);
        it = waiting.erase(it);
      } else if (missing == "trigger" || timed_out) {
        std::string message =
            missing == "trigger"
                ? "depn_mode 'trigger' needs the scheduler, which this version does not have yet; "
                  "run the other stream first or use depn_mode 'wait'"
                : "dependency " + missing + " did not succeed for data_dt " + request.data_dt +
                      " within wait_timeout_s";
        fatal = store_.TransitionAttempt(run_id, n.name, state[node].attempt, AttemptStatus::kWaiting,
                                         AttemptStatus::kFailed,
                                         AttemptUpdate{.end_dt = NowTimestamp(), .message = message});
        --counts.waiting;
        ++counts.failed;
        report(n.name + " failed: " + message);
        finish(node, false);
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = retrying.begin(); it != retrying.end() && fatal.ok();) {
      int node = *it;
      if (clock_.Now() < state[node].wait_until) {
        ++it;
        continue;
      }
      --counts.retrying;
      fatal = enqueue_attempt(node, AttemptStatus::kQueued, "retry");
      if (fatal.ok()) start_attempt(node);
      it = retrying.erase(it);
    }
    if (!fatal.ok()) break;
    if (!ready.empty()) continue;
    if (!cancelling && !unfinished()) break;

    // 3. Wait for a completion; wake up regularly to refresh the progress
    // line and to check dependency waits and retry timers.
    Completion done{-1, 0, {}};
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::milliseconds(waiting.empty() && retrying.empty() ? 500 : 100),
                  [&] { return !completions.empty() || (cancel_signalled && !cancelling); });
      if (completions.empty()) {
        lock.unlock();
        counts.elapsed_s = std::chrono::duration<double>(clock_.Now() - started_at).count();
        if (progress) progress(counts);
        continue;
      }
      done = std::move(completions.front());
      completions.pop_front();
    }
    counts.elapsed_s = std::chrono::duration<double>(clock_.Now() - started_at).count();
    const PlanNode& n = nodes[done.node];
    const Process& p = n.process;
    --counts.running;
    AttemptStatus final_status = done.outcome.status;
    // A cancel may land between the top of the loop and this completion:
    // the attempt it stopped must not fail its dependants.
    const bool stopping = cancelling || (request.cancel && request.cancel->cancelled());
    bool retry = !stopping && final_status != AttemptStatus::kSuccess && done.attempt <= p.retries;
    if (retry) final_status = AttemptStatus::kUpForRetry;
    std::string message = done.outcome.message;
    for (const auto& note : n.notes) message += "; " + note;
    if (retry) {
      message += "; retrying (attempt " + std::to_string(done.attempt + 1) + " of " +
                 std::to_string(p.retries + 1) + ")";
    }
    fatal = store_.TransitionAttempt(run_id, n.name, done.attempt, AttemptStatus::kRunning,
                                     final_status,
                                     AttemptUpdate{.end_dt = NowTimestamp(),
                                                   .message = message,
                                                   .source_row = done.outcome.source_row,
                                                   .target_row = done.outcome.target_row});
    if (!fatal.ok()) break;
    if (retry) {
      state[done.node].state = NodeState::kRetryDelay;
      state[done.node].wait_until = clock_.Now() + RetryDelay(p.retry_delay_s, done.attempt + 1);
      retrying.push_back(done.node);
      ++counts.retrying;
      report(n.name + " failed, will retry: " + done.outcome.message);
    } else if (final_status == AttemptStatus::kSuccess) {
      ++counts.succeeded;
      report(n.name + " succeeded");
      finish(done.node, true);
    } else {
      ++counts.failed;
      report(n.name + " " + AttemptStatusName(static_cast<int64_t>(final_status)) + ": " + message);
      if (stopping) state[done.node].state = NodeState::kDone;
      else finish(done.node, false);
    }
  }
  pool.Stop();
  if (!fatal.ok()) {
    (void)store_.TransitionRun(run_id, RunStatus::kRunning, RunStatus::kFailed, fatal.message());
    return fatal.WithContext("run " + std::to_string(run_id));
  }

  RunSummary summary;
  summary.run_id = run_id;
  summary.counts = counts;
  bool ok = counts.failed == 0 && counts.upstream_failed == 0;
  summary.status = cancelling ? RunStatus::kCancelled : ok ? RunStatus::kSuccess : RunStatus::kFailed;
  summary.message = std::to_string(counts.succeeded) + " succeeded, " +
                    std::to_string(counts.failed) + " failed, " +
                    std::to_string(counts.upstream_failed) + " upstream failed, " +
                    std::to_string(counts.skipped) + " skipped";
  if (cancelling) summary.message = "cancelled: " + request.cancel->reason() + "; " + summary.message;
  CTL_RETURN_IF_ERROR(store_.TransitionRun(run_id, RunStatus::kRunning, summary.status, summary.message));
  return summary;
}

}  // namespace ctlflow

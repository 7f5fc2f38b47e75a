#include "model/status_codes.h"

namespace ctlflow {

const char* AttemptStatusName(int64_t code) {
  switch (static_cast<AttemptStatus>(code)) {
    case AttemptStatus::kSuccess: return "success";
    case AttemptStatus::kRunning: return "running";
    case AttemptStatus::kQueued: return "queued";
    case AttemptStatus::kSkipped: return "skipped";
    case AttemptStatus::kUpstreamFailed: return "upstream_failed";
    case AttemptStatus::kWaiting: return "waiting";
    case AttemptStatus::kUpForRetry: return "up_for_retry";
    case AttemptStatus::kTimedOut: return "timed_out";
    case AttemptStatus::kFailed: return "failed";
  }
  return "unknown";
}

const char* RunStatusName(int64_t code) {
  switch (static_cast<RunStatus>(code)) {
    case RunStatus::kSuccess: return "success";
    case RunStatus::kRunning: return "running";
    case RunStatus::kQueued: return "queued";
    case RunStatus::kCancelled: return "cancelled";
    case RunStatus::kFailed: return "failed";
  }
  return "unknown";
}

bool IsTerminal(AttemptStatus status) {
  switch (status) {
    case AttemptStatus::kSuccess:
    case AttemptStatus::kSkipped:
    case AttemptStatus::kUpstreamFailed:
    case AttemptStatus::kUpForRetry:
    case AttemptStatus::kTimedOut:
    case AttemptStatus::kFailed:
      return true;
    default:
      return false;
  }
}

bool SatisfiesDependency(AttemptStatus status) {
  return status == AttemptStatus::kSuccess || status == AttemptStatus::kSkipped;
}

bool IsLegalTransition(AttemptStatus from, AttemptStatus to) {
  using S = AttemptStatus;
  switch (from) {
    case S::kWaiting:
      return to == S::kQueued || to == S::kUpstreamFailed || to == S::kFailed;
    case S::kQueued:
      // failed: cancelled before a worker took it.
      return to == S::kRunning || to == S::kUpstreamFailed || to == S::kSkipped ||
             to == S::kFailed;
    case S::kRunning:
      return to == S::kSuccess || to == S::kFailed || to == S::kTimedOut ||
             to == S::kUpForRetry;
    default:
      return false;
  }
}

bool IsLegalInitialState(AttemptStatus status) {
  using S = AttemptStatus;
  return status == S::kQueued || status == S::kWaiting || status == S::kSkipped ||
         status == S::kUpstreamFailed;
}

bool IsLegalTransition(RunStatus from, RunStatus to) {
  using S = RunStatus;
  switch (from) {
    case S::kQueued:
      return to == S::kRunning || to == S::kCancelled;
    case S::kRunning:
      return to == S::kSuccess || to == S::kFailed || to == S::kCancelled;
    case S::kSuccess:
    case S::kFailed:
    case S::kCancelled:
      return to == S::kQueued;  // `ctlflow clear` re-queues a finished run
  }
  return false;
}

}  // namespace ctlflow

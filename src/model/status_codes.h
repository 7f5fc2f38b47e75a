// Run and attempt states, and the only place that decides which transition
// between them is legal (see Airflow's ADR on state machine invariants).
//
// The numeric codes are the ones stored in cntl_cfg_log.status and documented
// in PRODUCT.md. Store code writes a transition only after asking here, and
// re-checks the expected previous state inside its transaction.
#pragma once

#include <cstdint>
#include <string>

namespace ctlflow {

enum class AttemptStatus : int64_t {
  kSuccess = 0,
  kRunning = 1,
  kQueued = 2,
  kSkipped = 3,
  kUpstreamFailed = 4,
  kWaiting = 5,       // waiting for a dependency
  kUpForRetry = 6,    // this attempt failed; a later attempt is planned
  kTimedOut = 98,
  kFailed = 99,
};

enum class RunStatus : int64_t {
  kSuccess = 0,
  kRunning = 1,
  kQueued = 2,
  kCancelled = 97,
  kFailed = 99,
};

const char* AttemptStatusName(int64_t code);  // "success", ...; "unknown"
const char* RunStatusName(int64_t code);

// True for states an attempt never leaves.
bool IsTerminal(AttemptStatus status);
// True when a dependant may proceed (success, or skipped for inactive rows).
bool SatisfiesDependency(AttemptStatus status);

// The attempt state machine. Legal moves:
//   waiting  -> queued | upstream_failed | failed (wait timed out)
//   queued   -> running | upstream_failed | skipped | failed (cancelled)
//   running  -> success | failed | timed_out | up_for_retry
bool IsLegalTransition(AttemptStatus from, AttemptStatus to);
// Attempts are created in one of these states.
bool IsLegalInitialState(AttemptStatus status);

// Run state machine: queued -> running -> success | failed | cancelled, and
// a finished run -> queued when it is cleared.
bool IsLegalTransition(RunStatus from, RunStatus to);

}  // namespace ctlflow

// LocalExecutor: runs one stream run of a Plan to completion on a local
// worker pool, writing every attempt to the metadata store.
//
// Data flow: the main loop owns the run's bookkeeping (which nodes are
// ready, waiting, retrying, done); worker threads only run attempts and hand
// the outcome back through a queue. State transitions are written through
// MetadataStore, which checks them against model/status_codes.h.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/cancel.h"
#include "common/clock.h"
#include "compiler/plan.h"
#include "store/metadata_store.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

struct RunRequest {
  std::string data_dt;                        // YYYY-MM-DD
  std::map<std::string, std::string> params;  // --param k=v
  int parallel = 2;                           // worker threads
  std::string run_typ = "manual";
  CancelToken* cancel = nullptr;              // stops the run cleanly when fired
};

struct RunProgress {
  int64_t run_id = 0;
  size_t total = 0;        // processes in the plan
  size_t succeeded = 0, failed = 0, upstream_failed = 0, skipped = 0;
  size_t running = 0, waiting = 0, retrying = 0;
  double elapsed_s = 0;
  std::string last_event;  // "PRCS_X succeeded", for the progress line
};

struct RunSummary {
  int64_t run_id = 0;
  RunStatus status = RunStatus::kFailed;
  RunProgress counts;
  std::string message;
};

using ProgressCallback = std::function<void(const RunProgress&)>;

class LocalExecutor {
 public:
  LocalExecutor(MetadataStore& store, const ConnectionRegistry& connections, std::string home,
                const Clock& clock);

  Result<RunSummary> Run(const Plan& plan, const RunRequest& request,
                         const ProgressCallback& progress);

 private:
  MetadataStore& store_;
  const ConnectionRegistry& connections_;
  std::string home_;
  const Clock& clock_;
};

// Backoff before attempt `next_attempt` (2, 3, ...): retry_delay_s doubled per
// earlier retry, capped at one hour.
std::chrono::seconds RetryDelay(int64_t retry_delay_s, int64_t next_attempt);

}  // namespace ctlflow

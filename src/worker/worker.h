// Worker: the `ctlflow worker` loop. It claims queued attempts from
// cntl_task (FOR UPDATE SKIP LOCKED on PostgreSQL), runs each on one of its
// slots, heartbeats the leases of what it holds, and leaves each result in
// the task row for the run's engine to apply.
//
// It never decides an attempt's fate: it only moves queued -> running (in
// the claim) and reports an outcome. A result that arrives after the lease
// was lost is refused by the store and recorded in the attempt's log file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "executor/presence.h"
#include "store/metadata_store.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

struct WorkerOptions {
  std::string home;
  int slots = 2;
  std::vector<std::string> queues{"default"};
  int64_t lease_s = 10;
};

class Worker {
 public:
  Worker(MetadataStore& store, const ConnectionRegistry& connections, Presence& presence,
         WorkerOptions options);

  // Works until `stop()` returns true, then stops claiming, lets running
  // attempts finish, reports their results and returns. Transient database
  // failures are retried; `on_event` gets one line per claim and result.
  Status Run(const std::function<bool()>& stop, const std::function<void(const std::string&)>& on_event);

 private:
  MetadataStore& store_;
  const ConnectionRegistry& connections_;
  Presence& presence_;
  WorkerOptions options_;
};

}  // namespace ctlflow

// Presence: a process's row in cntl_worker, kept alive by heartbeats.
//
// Schedulers, workers and foreground runs register on start, beat at a
// third of their lease, and mark themselves stopped when they end cleanly.
// Others judge them by that row, on the database's clock: a run whose owner
// has not beaten within its lease is orphaned and is taken over; a task
// whose worker's lease ran out is failed and retried.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "store/metadata_store.h"

namespace ctlflow {

class Presence {
 public:
  Presence(MetadataStore& store, WorkerRecord self);
  ~Presence();  // marks the row stopped
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;

  Status Register();
  // Beats when a third of the lease has passed since the last beat (or
  // `force`). Returns the tasks of this worker whose run was cancelled.
  Result<std::vector<int64_t>> MaybeBeat(bool force = false);
  const std::string& id() const { return self_.worker_id; }
  int64_t lease_s() const { return self_.lease_s; }

 private:
  MetadataStore& store_;
  WorkerRecord self_;
  bool registered_ = false;
  std::chrono::steady_clock::time_point last_beat_{};
};

// Whether the owner of a running run is still there: its cntl_worker row is
// within its lease, and, on this host, its pid is still a ctlflow.
Result<bool> OwnerAlive(MetadataStore& store, const std::string& owner);

}  // namespace ctlflow

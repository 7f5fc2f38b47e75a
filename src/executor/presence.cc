#include "executor/presence.h"

#include "common/identity.h"

namespace ctlflow {

Presence::Presence(MetadataStore& store, WorkerRecord self) : store_(store), self_(std::move(self)) {}

Presence::~Presence() {
  if (registered_) (void)store_.StopWorker(self_.worker_id);
}

Status Presence::Register() {
  CTL_RETURN_IF_ERROR(store_.RegisterWorker(self_));
  registered_ = true;
  last_beat_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Result<std::vector<int64_t>> Presence::MaybeBeat(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const auto every = std::chrono::milliseconds(self_.lease_s * 1000 / 3);
  if (!force && now - last_beat_ < every) return std::vector<int64_t>{};
  auto cancelled = store_.Heartbeat(self_.worker_id);
  if (!cancelled.ok() && cancelled.status().code() == ErrorCode::kNotFound) {
    // Marked stopped by someone (or the row was lost): register again.
    CTL_RETURN_IF_ERROR(store_.RegisterWorker(self_));
    cancelled = std::vector<int64_t>{};
  }
  if (cancelled.ok()) last_beat_ = now;
  return cancelled;
}

Result<bool> OwnerAlive(MetadataStore& store, const std::string& owner) {
  if (owner.empty()) return false;
  // On this host the pid tells at once; elsewhere only the lease can.
  if (!ProcessAlive(owner)) return false;
  CTL_ASSIGN_OR_RETURN(std::optional<bool> registered, store.WorkerAlive(owner));
  return registered.value_or(true);
}

}  // namespace ctlflow

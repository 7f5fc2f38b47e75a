// `ctlflow worker` and `ctlflow workers`.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "executor/presence.h"
#include "worker/worker.h"

namespace ctlflow {

Status CmdWorker(const Home& home, const WorkerCliOptions& options) {
  // Before any thread starts, so every thread has the signals blocked.
  SignalWatcher stop;
  if (home.db.empty()) {
    return Status::Invalid("ctlflow worker needs a PostgreSQL metadata store (--db postgresql://... or "
                           "CTLFLOW_DB): workers on several hosts coordinate through it");
  }
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  ConnectionRegistry connections(home.path, store.get());
  WorkerOptions worker_options;
  worker_options.home = home.path;
  worker_options.slots = options.slots;
  if (!options.queues.empty()) worker_options.queues = options.queues;
  worker_options.lease_s = options.lease_s;
  std::string queues;
  for (const auto& q : worker_options.queues) queues += (queues.empty() ? "" : ",") + q;
  Presence presence(*store, SelfRecord("worker", options.slots, queues, options.lease_s));
  Worker worker(*store, connections, presence, worker_options);
  std::cout << Stamp() << " worker " << presence.id() << " started with " << options.slots
            << " slots on queues " << queues << std::endl;
  CTL_RETURN_IF_ERROR(worker.Run([&] { return stop.signal() != 0; },
                                 [](const std::string& line) { std::cout << Stamp() << " " << line << std::endl; }));
  std::cout << Stamp() << " worker stopped" << std::endl;
  return Status::Ok();
}

Status CmdWorkers(const Home& home, bool json, bool all) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store->ListWorkers());
  std::vector<WorkerRecord> shown;
  for (auto& w : workers) {
    if (all || w.alive) shown.push_back(std::move(w));
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& w : shown) {
      out.push_back({{"worker_id", w.worker_id}, {"kind", w.kind}, {"host", w.host}, {"pid", w.pid},
                     {"slots", w.slots}, {"queues", w.queues}, {"running", w.running},
                     {"lease_s", w.lease_s}, {"started_dt", w.started_dt},
                     {"heartbeat_dt", w.heartbeat_dt}, {"stopped_dt", w.stopped_dt},
                     {"alive", w.alive}});
    }
    std::cout << out.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : shown) {
    std::string state = w.alive ? "alive" : (w.stopped_dt.empty() ? "lost" : "stopped");
    rows.push_back({w.worker_id, w.kind, state, std::to_string(w.running) + "/" + std::to_string(w.slots),
                    w.queues, w.heartbeat_dt});
  }
  PrintTable(std::cout, {"worker", "kind", "state", "running/slots", "queues", "last heartbeat (UTC)"}, rows);
  if (shown.empty()) std::cout << (all ? "no workers have registered\n" : "no live workers (see --all)\n");
  return Status::Ok();
}

Status CmdQueueList(const Home& home, bool json) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(std::vector<QueueRecord> queues, store->ListQueues());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& q : queues) {
      out.push_back({{"queue", q.queue},
                     {"max_running", q.max_running ? nlohmann::json(*q.max_running) : nlohmann::json()},
                     {"queued", q.queued},
                     {"running", q.running}});
    }
    std::cout << out.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : queues) {
    rows.push_back({q.queue, q.max_running ? std::to_string(*q.max_running) : "unlimited",
                    std::to_string(q.queued), std::to_string(q.running)});
  }
  PrintTable(std::cout, {"queue", "max_running", "queued", "running"}, rows);
  if (queues.empty()) std::cout << "no queue has a limit or tasks\n";
  return Status::Ok();
}

Status CmdQueueLimit(const Home& home, const std::string& queue, std::optional<int64_t> max_running) {
  if (queue.empty()) return Status::Invalid("queue: the name must not be empty");
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(store->SetQueueLimit(queue, max_running));
  std::cout << "queue " << queue << ": "
            << (max_running ? "at most " + std::to_string(*max_running) + " running at once over all workers"
                            : std::string("unlimited"))
            << "\n";
  return Status::Ok();
}

}  // namespace ctlflow

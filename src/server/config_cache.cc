#include "server/config_cache.h"

#include "compiler/compiler.h"

namespace ctlflow {

const StreamFacts* ConfigSnapshot::Find(const std::string& strem_nm) const {
  auto it = streams.find(strem_nm);
  return it == streams.end() ? nullptr : &it->second;
}

namespace {

std::shared_ptr<ConfigSnapshot> Index(int64_t version, std::vector<TableRows> tables, ControlConfig config) {
  auto snap = std::make_shared<ConfigSnapshot>();
  snap->version = version;
  snap->tables = std::move(tables);
  snap->config = std::move(config);
  const ControlConfig& c = snap->config;
  for (const auto& s : c.streams) snap->streams[s.strem_nm].stream = &s;
  for (const auto& sch : c.schedules) {
    auto it = snap->streams.find(sch.strem_nm);
    if (it != snap->streams.end()) it->second.schedule = &sch;  // the last row wins, as it did before
  }
  std::map<std::string, std::string> stream_of_group;
  for (const auto& g : c.groups) {
    stream_of_group[g.prcs_grp] = g.strem_nm;
    auto it = snap->streams.find(g.strem_nm);
    if (it != snap->streams.end()) ++it->second.groups;
  }
  for (const auto& p : c.processes) {
    auto g = stream_of_group.find(p.prcs_grp);
    if (g == stream_of_group.end()) continue;
    snap->stream_of_process[p.prcs_nm] = g->second;
    auto it = snap->streams.find(g->second);
    if (it != snap->streams.end()) ++it->second.processes;
  }
  return snap;
}

}  // namespace

Result<std::shared_ptr<const ConfigSnapshot>> ConfigCache::Current() {
  CTL_ASSIGN_OR_RETURN(int64_t version, store_.ChangeCounter());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ && snapshot_->version == version) return snapshot_;
  }
  // Read outside the lock: a slow read does not hold up requests that can
  // still use the old version. Two threads may both read; the second wins.
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> tables, store_.ReadConfigTables());
  CTL_ASSIGN_OR_RETURN(ControlConfig config, ConfigFromRows(tables));
  std::shared_ptr<const ConfigSnapshot> fresh = Index(version, std::move(tables), std::move(config));
  std::lock_guard<std::mutex> lock(mu_);
  if (!snapshot_ || snapshot_->version != version) {
    snapshot_ = fresh;
    plans_.clear();
  }
  return snapshot_;
}

Result<std::shared_ptr<const Plan>> ConfigCache::PlanOf(const std::shared_ptr<const ConfigSnapshot>& snapshot,
                                                        const std::string& strem_nm) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot == snapshot_) {
      auto it = plans_.find(strem_nm);
      if (it != plans_.end()) return it->second;
    }
  }
  Result<std::shared_ptr<const Plan>> plan = [&]() -> Result<std::shared_ptr<const Plan>> {
    CTL_ASSIGN_OR_RETURN(Plan p, Compile(snapshot->config, strem_nm));
    return std::shared_ptr<const Plan>(std::make_shared<Plan>(std::move(p)));
  }();
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot == snapshot_) plans_.emplace(strem_nm, plan);
  return plan;
}

}  // namespace ctlflow

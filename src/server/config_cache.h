// The server's view of the control tables: read from the store once per
// change, not once per request.
//
// The store bumps a change counter (cntl_config_version, kept by triggers)
// on every commit to the control tables, from any process. Each call reads
// that counter, one indexed row, and reuses the parsed tables and the
// compiled plans of the version it saw; a change from `apply`, the API or
// plain SQL on another host is seen by the next request. Thread-safe: the
// HTTP server calls it from its worker threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "compiler/plan.h"
#include "model/entities.h"
#include "store/metadata_store.h"

namespace ctlflow {

// What a stream page needs about one stream, found without a scan.
struct StreamFacts {
  const Stream* stream = nullptr;
  const Schedule* schedule = nullptr;  // null: triggered only
  int64_t groups = 0;
  int64_t processes = 0;
};

// One version of the control tables, immutable once built.
struct ConfigSnapshot {
  int64_t version = 0;
  std::vector<TableRows> tables;  // the rows as stored, for the table pages
  ControlConfig config;
  std::map<std::string, StreamFacts> streams;       // by strem_nm
  std::map<std::string, std::string> stream_of_process;  // prcs_nm -> strem_nm

  const StreamFacts* Find(const std::string& strem_nm) const;
};

class ConfigCache {
 public:
  explicit ConfigCache(MetadataStore& store) : store_(store) {}

  // The control tables as the store holds them now. (The store's CHECK
  // constraints keep rows that would not make a config out of the tables.)
  Result<std::shared_ptr<const ConfigSnapshot>> Current();

  // The compiled plan of a stream in that snapshot (compiled on first use).
  Result<std::shared_ptr<const Plan>> PlanOf(const std::shared_ptr<const ConfigSnapshot>& snapshot,
                                             const std::string& strem_nm);

 private:
  MetadataStore& store_;
  std::mutex mu_;
  std::shared_ptr<const ConfigSnapshot> snapshot_;
  // Plans of snapshot_'s version only; a failed compile is kept too, so a
  // broken stream is not recompiled on every poll.
  std::map<std::string, Result<std::shared_ptr<const Plan>>> plans_;
};

}  // namespace ctlflow

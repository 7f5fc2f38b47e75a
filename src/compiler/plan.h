// Plan: the immutable, validated graph of one stream, built by the compiler
// and run by the executor. Building is separate from running (as in
// Taskflow's Taskflow vs Executor): a Plan holds no run state.
#pragma once

#include <string>
#include <vector>

#include "model/entities.h"

namespace ctlflow {

// A dependency on a process of another stream, awaited for the same data_dt.
struct ExternalDependency {
  std::string prcs_nm;
  std::string strem_nm;
  DependencyMode mode = DependencyMode::kWait;
  int64_t wait_timeout_s = 3600;
};

struct PlanNode {
  enum class Kind {
    kProcess,
    // A zero-cost join between two priority levels, so that N processes
    // followed by M processes need N+M edges instead of N*M.
    kBarrier,
  };
  Kind kind = Kind::kProcess;
  std::string name;         // prcs_nm, or "~barrier:<n>" for barriers
  Process process;          // valid for kProcess
  std::string group;        // prcs_grp
  int64_t group_prir = 0;
  bool skipped = false;     // act_f = 0: logged as skipped, never blocks
  std::vector<int> upstream;    // node indexes this node waits for
  std::vector<int> downstream;  // node indexes waiting for this node
  std::vector<ExternalDependency> external;
  std::vector<std::string> notes;  // e.g. a dependency on an inactive process
};

class Plan {
 public:
  Plan(Stream stream, std::vector<PlanNode> nodes, std::vector<int> order);

  const Stream& stream() const { return stream_; }
  const std::vector<PlanNode>& nodes() const { return nodes_; }
  // A deterministic topological order of node indexes.
  const std::vector<int>& order() const { return order_; }
  size_t ProcessCount() const;
  int FindProcess(const std::string& prcs_nm) const;  // -1 if absent

  // Upstream processes of a node with barriers looked through (for display).
  std::vector<int> ProcessUpstream(int node) const;

  std::string ToText() const;
  std::string ToDot() const;
  std::string ToJson() const;

 private:
  Stream stream_;
  std::vector<PlanNode> nodes_;
  std::vector<int> order_;
};

}  // namespace ctlflow

#include "compiler/compiler.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "common/shell_words.h"
#include "cron/cron.h"
#include "cron/timezone.h"

namespace ctlflow {

std::string ValidationError::ToString() const {
  std::string out = "table " + table + " row " + key;
  if (!column.empty()) out += " column " + column;
  return out + ": " + message;
}

Status ValidationStatus(const std::vector<ValidationError>& errors) {
  if (errors.empty()) return Status::Ok();
  std::string out;
  for (size_t i = 0; i < errors.size(); ++i) out += (i ? "\n" : "") + errors[i].ToString();
  return Status::Invalid(out);
}

namespace {

// Above this many edges between two priority levels, a barrier node joins
// them instead (N+M edges rather than N*M).
constexpr size_t kDirectEdgeLimit = 64;

// A directed graph where edge u -> v means "v waits for u".
struct Graph {
  std::vector<std::vector<int>> out;
  std::vector<std::string> names;  // "" for barriers

  int AddNode(std::string name) {
    out.emplace_back();
    names.push_back(std::move(name));
    return static_cast<int>(out.size()) - 1;
  }
  void AddEdge(int from, int to) { out[from].push_back(to); }

  // Connects every node of `before` to every node of `after`, through a
  // barrier when that would be many edges. Returns the new "before" set.
  void Chain(const std::vector<int>& before, const std::vector<int>& after) {
    if (before.empty() || after.empty()) return;
    if (before.size() == 1 || after.size() == 1 || before.size() * after.size() <= kDirectEdgeLimit) {
      for (int b : before)
        for (int a : after) AddEdge(b, a);
      return;
    }
    int barrier = AddNode("");
    for (int b : before) AddEdge(b, barrier);
    for (int a : after) AddEdge(barrier, a);
  }
};

struct Indexes {
  std::unordered_map<std::string, const Stream*> streams;
  std::unordered_map<std::string, const ProcessGroup*> groups;
  std::unordered_map<std::string, const Process*> processes;
  std::unordered_map<std::string, std::vector<const ProcessGroup*>> groups_by_stream;
  std::unordered_map<std::string, std::vector<const Process*>> processes_by_group;
};

Indexes BuildIndexes(const ControlConfig& config) {
  Indexes ix;
  for (const auto& s : config.streams) ix.streams.emplace(s.strem_nm, &s);
  for (const auto& g : config.groups) {
    ix.groups.emplace(g.prcs_grp, &g);
    ix.groups_by_stream[g.strem_nm].push_back(&g);
  }
  for (const auto& p : config.processes) {
    ix.processes.emplace(p.prcs_nm, &p);
    ix.processes_by_group[p.prcs_grp].push_back(&p);
  }
  for (auto& [name, list] : ix.groups_by_stream) {
    std::sort(list.begin(), list.end(), [](const ProcessGroup* a, const ProcessGroup* b) {
      return std::tie(a->prir, a->prcs_grp) < std::tie(b->prir, b->prcs_grp);
    });
  }
  for (auto& [name, list] : ix.processes_by_group) {
    std::sort(list.begin(), list.end(), [](const Process* a, const Process* b) {
      return std::tie(a->prir, a->prcs_nm) < std::tie(b->prir, b->prcs_nm);
    });
  }
  return ix;
}

// Splits an ordered list into runs of equal priority.
template <typename T, typename Prir>
std::vector<std::vector<T>> Levels(const std::vector<T>& sorted, Prir prir) {
  std::vector<std::vector<T>> levels;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i == 0 || prir(sorted[i]) != prir(sorted[i - 1])) levels.emplace_back();
    levels.back().push_back(sorted[i]);
  }
  return levels;
}

// Adds the priority-order edges of one stream: group tiers by group prir,
// and inside each group process levels by prir. `node_of` maps a process to
// its graph node, or -1 when it takes no part in ordering.
void AddOrderingEdges(const std::vector<const ProcessGroup*>& groups, const Indexes& ix,
                      const std::function<int(const Process*)>& node_of, Graph* graph) {
  std::vector<int> entry;  // what the next tier waits for
  auto group_levels = Levels(groups, [](const ProcessGroup* g) { return g->prir; });
  for (const auto& tier : group_levels) {
    std::vector<int> exit;
    std::vector<std::vector<std::vector<int>>> tier_levels;
    size_t first_level_total = 0;
    for (const ProcessGroup* g : tier) {
      auto it = ix.processes_by_group.find(g->prcs_grp);
      std::vector<std::vector<int>> levels;
      if (it != ix.processes_by_group.end()) {
        for (const auto& level : Levels(it->second, [](const Process* p) { return p->prir; })) {
          std::vector<int> nodes;
          for (const Process* p : level) {
            int n = node_of(p);
            if (n >= 0) nodes.push_back(n);
          }
          if (!nodes.empty()) levels.push_back(std::move(nodes));
        }
      }
      if (!levels.empty()) first_level_total += levels.front().size();
      tier_levels.push_back(std::move(levels));
    }
    if (entry.size() > 1 && entry.size() * first_level_total > kDirectEdgeLimit) {
      int barrier = graph->AddNode("");
      for (int e : entry) graph->AddEdge(e, barrier);
      entry = {barrier};
    }
    for (const auto& levels : tier_levels) {
      std::vector<int> previous = entry;
      for (const auto& level : levels) {
        graph->Chain(previous, level);
        previous = level;
      }
      if (!levels.empty()) exit.insert(exit.end(), levels.back().begin(), levels.back().end());
    }
    if (!exit.empty()) entry = std::move(exit);
  }
}

// Kahn's algorithm; returns the nodes left over (part of or behind a cycle).
std::vector<int> Unsorted(const Graph& g) {
  std::vector<int> indegree(g.out.size(), 0);
  for (const auto& edges : g.out)
    for (int v : edges) ++indegree[v];
  std::vector<int> ready;
  for (size_t i = 0; i < indegree.size(); ++i)
    if (indegree[i] == 0) ready.push_back(static_cast<int>(i));
  size_t done = 0;
  while (!ready.empty()) {
    int u = ready.back();
    ready.pop_back();
    ++done;
    for (int v : g.out[u])
      if (--indegree[v] == 0) ready.push_back(v);
  }
  std::vector<int> left;
  if (done == g.out.size()) return left;
  for (size_t i = 0; i < indegree.size(); ++i)
    if (indegree[i] > 0) left.push_back(static_cast<int>(i));
  return left;
}

// Finds one cycle among `candidates` (which contain at least one).
std::vector<int> FindCycle(const Graph& g, const std::vector<int>& candidates) {
  std::vector<char> in_set(g.out.size(), 0);
  for (int c : candidates) in_set[c] = 1;
  // Walk backwards-free: from any candidate, follow edges that stay inside
  // the candidate set; every such node has a successor inside the set only if
  // it lies on or before a cycle, so prune nodes without one first.
  std::vector<char> alive = in_set;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int c : candidates) {
      if (!alive[c]) continue;
      bool has_next = false;
      for (int v : g.out[c])
        if (alive[v]) { has_next = true; break; }
      if (!has_next) { alive[c] = 0; changed = true; }
    }
  }
  int start = -1;
  for (int c : candidates)
    if (alive[c]) { start = c; break; }
  if (start < 0) return {};
  std::unordered_map<int, size_t> position;
  std::vector<int> path;
  int u = start;
  while (!position.count(u)) {
    position[u] = path.size();
    path.push_back(u);
    for (int v : g.out[u])
      if (alive[v]) { u = v; break; }
  }
  return std::vector<int>(path.begin() + static_cast<long>(position[u]), path.end());
}

bool TimezoneExists(const std::string& tz) { return TimeZone::Load(tz).ok(); }

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

void CheckDuplicates(const ControlConfig& c, std::vector<ValidationError>* errors) {
  auto check = [&](const char* table, const std::string& key, std::unordered_set<std::string>* seen) {
    if (!seen->insert(key).second) errors->push_back({table, key, "", "duplicate key"});
  };
  std::unordered_set<std::string> s1, s2, s3, s4, s5;
  for (const auto& s : c.streams) check(kStreamTable, s.strem_nm, &s1);
  for (const auto& g : c.groups) check(kGroupTable, g.prcs_grp, &s2);
  for (const auto& p : c.processes) check(kProcessTable, p.prcs_nm, &s3);
  for (const auto& d : c.dependencies) check(kDependencyTable, d.prcs_nm + "/" + d.dpnd_prcs_nm, &s4);
  for (const auto& s : c.schedules) check(kScheduleTable, s.strem_nm, &s5);
}

void CheckProcess(const Process& p, const Indexes& ix, std::vector<ValidationError>* errors) {
  auto error = [&](const char* column, std::string message) {
    errors->push_back({kProcessTable, p.prcs_nm, column, std::move(message)});
  };
  if (p.prcs_nm.empty()) error("prcs_nm", "the process name is empty");
  if (!ix.groups.count(p.prcs_grp)) {
    error("prcs_grp", "unknown process group '" + p.prcs_grp +
                          "'; add it to cntl_cfg_prcs_grp or fix the name");
  }
  if (!IsKnownProcessType(p.prcs_typ)) {
    error("prcs_typ", "unknown prcs_typ " + std::to_string(p.prcs_typ) +
                          "; expected 1 (notebook), 2 (sql), 3 (command), 4 (ingest) or 5 (load)");
  } else if (p.prcs_typ == static_cast<int64_t>(ProcessType::kCommand)) {
    if (p.af_path_nm.empty()) error("af_path_nm", "a command process (prcs_typ 3) needs the program to run");
    auto words = SplitShellWords(p.af_parm);
    if (!words.ok()) error("af_parm", "cannot split into arguments: " + words.status().message());
  } else if (p.prcs_typ == static_cast<int64_t>(ProcessType::kSql)) {
    if (p.af_path_nm.empty() && p.af_parm.empty()) {
      error("af_path_nm", "a sql process (prcs_typ 2) needs a .sql file in af_path_nm or the SQL in af_parm");
    }
  }
  if (p.retries < 0) error("retries", "must be 0 or more, got " + std::to_string(p.retries));
  if (p.retry_delay_s < 0) error("retry_delay_s", "must be 0 or more, got " + std::to_string(p.retry_delay_s));
  if (p.timeout_s && *p.timeout_s <= 0) {
    error("timeout_s", "must be a positive number of seconds or null, got " + std::to_string(*p.timeout_s));
  }
}

}  // namespace

std::vector<ValidationError> Validate(const ControlConfig& config) {
  std::vector<ValidationError> errors;
  CheckDuplicates(config, &errors);
  Indexes ix = BuildIndexes(config);

  for (const auto& s : config.streams) {
    if (s.strem_nm.empty()) errors.push_back({kStreamTable, "", "strem_nm", "the stream name is empty"});
    if (s.max_active_runs < 1) {
      errors.push_back({kStreamTable, s.strem_nm, "max_active_runs",
                        "must be at least 1, got " + std::to_string(s.max_active_runs)});
    }
  }
  for (const auto& g : config.groups) {
    if (!ix.streams.count(g.strem_nm)) {
      errors.push_back({kGroupTable, g.prcs_grp, "strem_nm",
                        "unknown stream '" + g.strem_nm + "'; add it to cntl_cfg_strem or fix the name"});
    }
  }
  for (const auto& p : config.processes) CheckProcess(p, ix, &errors);
  for (const auto& d : config.dependencies) {
    std::string key = d.prcs_nm + "/" + d.dpnd_prcs_nm;
    if (!ix.processes.count(d.prcs_nm)) {
      errors.push_back({kDependencyTable, key, "prcs_nm", "unknown process '" + d.prcs_nm + "'"});
    }
    if (!ix.processes.count(d.dpnd_prcs_nm)) {
      errors.push_back({kDependencyTable, key, "dpnd_prcs_nm", "unknown process '" + d.dpnd_prcs_nm + "'"});
    }
    if (d.prcs_nm == d.dpnd_prcs_nm) {
      errors.push_back({kDependencyTable, key, "dpnd_prcs_nm", "a process cannot depend on itself"});
    }
    if (d.wait_timeout_s <= 0) {
      errors.push_back({kDependencyTable, key, "wait_timeout_s",
                        "must be a positive number of seconds, got " + std::to_string(d.wait_timeout_s)});
    }
  }
  for (const auto& s : config.schedules) {
    if (!ix.streams.count(s.strem_nm)) {
      errors.push_back({kScheduleTable, s.strem_nm, "prcs_nm",
                        "unknown stream '" + s.strem_nm + "' (in cntl_cfg_schedule, prcs_nm holds the stream name)"});
    }
    auto cron = ParseCron(CronFields{s.minutes, s.hours, s.day_month, s.months, s.day_week});
    if (!cron.ok()) {
      // The cron parser names the column first: "column hours: ...".
      std::string message = cron.status().message();
      std::string column;
      if (message.rfind("column ", 0) == 0) {
        size_t colon = message.find(':');
        column = message.substr(7, colon - 7);
        message = message.substr(colon + 2);
      }
      errors.push_back({kScheduleTable, s.strem_nm, column, message});
    }
    if (!TimezoneExists(s.tz)) {
      errors.push_back({kScheduleTable, s.strem_nm, "tz",
                        "unknown time zone '" + s.tz + "'; use an IANA name such as Europe/Berlin or UTC"});
    }
  }

  // Cycles: one graph over every process of every stream, with the priority
  // order and the explicit dependencies, so cross-stream cycles show too.
  Graph graph;
  std::unordered_map<const Process*, int> node;
  for (const auto& p : config.processes) node[&p] = graph.AddNode(p.prcs_nm);
  for (const auto& [stream, groups] : ix.groups_by_stream) {
    AddOrderingEdges(groups, ix, [&](const Process* p) { return node.at(p); }, &graph);
  }
  std::map<std::pair<int, int>, std::string> explicit_edges;
  for (const auto& d : config.dependencies) {
    if (!d.active || d.prcs_nm == d.dpnd_prcs_nm) continue;
    auto a = ix.processes.find(d.dpnd_prcs_nm);
    auto b = ix.processes.find(d.prcs_nm);
    if (a == ix.processes.end() || b == ix.processes.end()) continue;
    int from = node.at(a->second), to = node.at(b->second);
    graph.AddEdge(from, to);
    explicit_edges[{from, to}] = d.prcs_nm + "/" + d.dpnd_prcs_nm;
  }
  std::vector<int> left = Unsorted(graph);
  if (!left.empty()) {
    std::vector<int> cycle = FindCycle(graph, left);
    std::vector<std::string> names;
    // Print the cycle as "A waits for B waits for A": walk it backwards.
    for (size_t i = cycle.size(); i-- > 0;) {
      const std::string& name = graph.names[cycle[i]];
      if (!name.empty()) names.push_back(name);
    }
    if (!names.empty()) names.push_back(names.front());
    std::string message = "dependency cycle: " + Join(names, " waits for ") +
                          " (counting the prir order inside groups and streams)";
    // Every dependency row on the cycle is named, since removing any one of
    // them breaks it.
    for (size_t i = 0; i < cycle.size(); ++i) {
      auto it = explicit_edges.find({cycle[i], cycle[(i + 1) % cycle.size()]});
      if (it != explicit_edges.end()) errors.push_back({kDependencyTable, it->second, "dpnd_prcs_nm", message});
    }
  }

  std::sort(errors.begin(), errors.end(), [](const ValidationError& a, const ValidationError& b) {
    return std::tie(a.table, a.key, a.column, a.message) < std::tie(b.table, b.key, b.column, b.message);
  });
  return errors;
}

Status ValidateRows(const std::vector<TableRows>& rows) {
  CTL_ASSIGN_OR_RETURN(ControlConfig config, ConfigFromRows(rows));
  return ValidationStatus(Validate(config));
}

Result<Plan> Compile(const ControlConfig& config, const std::string& strem_nm) {
  CTL_RETURN_IF_ERROR(ValidationStatus(Validate(config)));
  Indexes ix = BuildIndexes(config);
  auto stream_it = ix.streams.find(strem_nm);
  if (stream_it == ix.streams.end()) {
    std::vector<std::string> known;
    for (const auto& s : config.streams) known.push_back(s.strem_nm);
    std::sort(known.begin(), known.end());
    return Status::NotFound("unknown stream '" + strem_nm + "' in cntl_cfg_strem" +
                            (known.empty() ? std::string("; the table is empty")
                                           : "; known streams: " + Join(known, ", ")));
  }
  const Stream& stream = *stream_it->second;

  std::vector<const ProcessGroup*> groups;
  auto git = ix.groups_by_stream.find(strem_nm);
  if (git != ix.groups_by_stream.end()) {
    for (const ProcessGroup* g : git->second)
      if (g->active) groups.push_back(g);
  }

  std::vector<PlanNode> nodes;
  Graph graph;
  std::unordered_map<std::string, int> index;
  for (const ProcessGroup* g : groups) {
    auto pit = ix.processes_by_group.find(g->prcs_grp);
    if (pit == ix.processes_by_group.end()) continue;
    for (const Process* p : pit->second) {
      PlanNode n;
      n.name = p->prcs_nm;
      n.process = *p;
      n.group = g->prcs_grp;
      n.group_prir = g->prir;
      n.skipped = !p->active;
      index[p->prcs_nm] = graph.AddNode(p->prcs_nm);
      nodes.push_back(std::move(n));
    }
  }
  AddOrderingEdges(groups, ix,
                   [&](const Process* p) { return p->active ? index.at(p->prcs_nm) : -1; }, &graph);

  auto inactive_reason = [&](const Process* p) -> std::string {
    const ProcessGroup* g = ix.groups.at(p->prcs_grp);
    auto s = ix.streams.find(g->strem_nm);
    if (!p->active) return "process " + p->prcs_nm + " is inactive";
    if (!g->active) return "its group " + g->prcs_grp + " is inactive";
    // The plan's own stream being inactive says nothing about this edge.
    if (g->strem_nm != strem_nm && s != ix.streams.end() && !s->second->active) {
      return "its stream " + g->strem_nm + " is inactive";
    }
    return "";
  };
  std::set<std::pair<int, int>> seen_edges;
  for (int u = 0; u < static_cast<int>(graph.out.size()); ++u)
    for (int v : graph.out[u]) seen_edges.insert({u, v});
  for (const auto& d : config.dependencies) {
    auto me = index.find(d.prcs_nm);
    if (!d.active || me == index.end() || nodes[me->second].skipped) continue;
    PlanNode& dependant = nodes[me->second];
    const Process* target = ix.processes.at(d.dpnd_prcs_nm);
    std::string reason = inactive_reason(target);
    if (!reason.empty()) {
      dependant.notes.push_back("dependency on " + d.dpnd_prcs_nm + " is satisfied: " + reason);
      continue;
    }
    auto local = index.find(d.dpnd_prcs_nm);
    if (local != index.end()) {
      if (seen_edges.insert({local->second, me->second}).second) {
        graph.AddEdge(local->second, me->second);
      }
      continue;
    }
    dependant.external.push_back(ExternalDependency{
        d.dpnd_prcs_nm, ix.groups.at(target->prcs_grp)->strem_nm, d.mode, d.wait_timeout_s});
  }

  // Barriers become plan nodes too; then copy the edges.
  for (size_t i = nodes.size(); i < graph.out.size(); ++i) {
    PlanNode b;
    b.kind = PlanNode::Kind::kBarrier;
    b.name = "~barrier:" + std::to_string(i - nodes.size() + 1);
    nodes.push_back(std::move(b));
  }
  for (int u = 0; u < static_cast<int>(graph.out.size()); ++u) {
    for (int v : graph.out[u]) {
      nodes[u].downstream.push_back(v);
      nodes[v].upstream.push_back(u);
    }
  }

  // Deterministic order: Kahn's algorithm, lowest construction index first
  // (groups by prir, then processes by prir and name).
  std::vector<int> indegree(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) indegree[i] = static_cast<int>(nodes[i].upstream.size());
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (indegree[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    int u = ready.top();
    ready.pop();
    order.push_back(u);
    for (int v : nodes[u].downstream)
      if (--indegree[v] == 0) ready.push(v);
  }
  if (order.size() != nodes.size()) {
    return Status::Internal("the plan of stream " + strem_nm + " has a cycle that validation missed");
  }
  return Plan(stream, std::move(nodes), std::move(order));
}

}  // namespace ctlflow

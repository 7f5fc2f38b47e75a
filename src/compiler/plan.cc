#include "compiler/plan.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace ctlflow {

Plan::Plan(Stream stream, std::vector<PlanNode> nodes, std::vector<int> order)
    : stream_(std::move(stream)), nodes_(std::move(nodes)), order_(std::move(order)) {}

size_t Plan::ProcessCount() const {
  return static_cast<size_t>(std::count_if(nodes_.begin(), nodes_.end(), [](const PlanNode& n) {
    return n.kind == PlanNode::Kind::kProcess;
  }));
}

int Plan::FindProcess(const std::string& prcs_nm) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].kind == PlanNode::Kind::kProcess && nodes_[i].name == prcs_nm) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<int> Plan::ProcessUpstream(int node) const {
  std::set<int> out;
  std::vector<int> stack(nodes_[node].upstream.begin(), nodes_[node].upstream.end());
  std::set<int> visited;
  while (!stack.empty()) {
    int u = stack.back();
    stack.pop_back();
    if (!visited.insert(u).second) continue;
    if (nodes_[u].kind == PlanNode::Kind::kProcess) {
      out.insert(u);
    } else {
      stack.insert(stack.end(), nodes_[u].upstream.begin(), nodes_[u].upstream.end());
    }
  }
  return std::vector<int>(out.begin(), out.end());
}

namespace {

const char* TypeName(const PlanNode& n) {
  const char* name = ProcessTypeName(n.process.prcs_typ);
  return name ? name : "?";
}

std::string DotId(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";  // a line break inside a label
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string Plan::ToText() const {
  std::ostringstream out;
  out << "stream " << stream_.strem_nm << ": " << ProcessCount() << " processes\n";
  std::string group;
  for (int i : order_) {
    const PlanNode& n = nodes_[i];
    if (n.kind != PlanNode::Kind::kProcess) continue;
    if (n.group != group) {
      group = n.group;
      out << "group " << n.group << " (prir " << n.group_prir << ")\n";
    }
    out << "  " << n.name << "  prir " << n.process.prir << ", " << TypeName(n);
    if (n.skipped) out << ", skipped (act_f = 0)";
    std::vector<int> up = ProcessUpstream(i);
    if (!up.empty()) {
      out << ", after ";
      for (size_t k = 0; k < up.size(); ++k) out << (k ? ", " : "") << nodes_[up[k]].name;
    }
    for (const auto& e : n.external) {
      out << ", waits for " << e.prcs_nm << " of stream " << e.strem_nm
          << (e.mode == DependencyMode::kTrigger ? " (trigger)" : "");
    }
    for (const auto& note : n.notes) out << "; " << note;
    out << "\n";
  }
  return out.str();
}

std::string Plan::ToDot() const {
  std::ostringstream out;
  out << "digraph " << DotId(stream_.strem_nm) << " {\n  rankdir=LR;\n  node [shape=box];\n";
  std::string group;
  int cluster = 0;
  for (int i : order_) {
    const PlanNode& n = nodes_[i];
    if (n.kind != PlanNode::Kind::kProcess) continue;
    if (n.group != group) {
      if (!group.empty()) out << "  }\n";
      group = n.group;
      out << "  subgraph cluster_" << cluster++ << " {\n    label=" << DotId(n.group) << ";\n";
    }
    out << "    " << DotId(n.name) << " [label=" << DotId(n.name + "\n" + TypeName(n))
        << (n.skipped ? ", style=dashed" : "") << "];\n";
  }
  if (!group.empty()) out << "  }\n";
  for (const PlanNode& n : nodes_) {
    if (n.kind == PlanNode::Kind::kBarrier) {
      out << "  " << DotId(n.name) << " [shape=point];\n";
    }
    for (const auto& e : n.external) {
      out << "  " << DotId(e.strem_nm + "." + e.prcs_nm) << " [style=dotted];\n";
      out << "  " << DotId(e.strem_nm + "." + e.prcs_nm) << " -> " << DotId(n.name)
          << " [style=dotted];\n";
    }
  }
  for (const PlanNode& n : nodes_) {
    for (int d : n.downstream) out << "  " << DotId(n.name) << " -> " << DotId(nodes_[d].name) << ";\n";
  }
  out << "}\n";
  return out.str();
}

std::string Plan::ToJson() const {
  nlohmann::ordered_json j;
  j["stream"] = stream_.strem_nm;
  j["active"] = stream_.active;
  nlohmann::ordered_json nodes = nlohmann::json::array();
  for (int i : order_) {
    const PlanNode& n = nodes_[i];
    nlohmann::ordered_json node;
    node["name"] = n.name;
    node["kind"] = n.kind == PlanNode::Kind::kProcess ? "process" : "barrier";
    if (n.kind == PlanNode::Kind::kProcess) {
      node["prcs_grp"] = n.group;
      node["group_prir"] = n.group_prir;
      node["prir"] = n.process.prir;
      node["prcs_typ"] = n.process.prcs_typ;
      node["skipped"] = n.skipped;
    }
    nlohmann::ordered_json up = nlohmann::json::array();
    for (int u : n.upstream) up.push_back(nodes_[u].name);
    node["upstream"] = up;
    nlohmann::ordered_json after = nlohmann::json::array();
    if (n.kind == PlanNode::Kind::kProcess)
      for (int u : ProcessUpstream(i)) after.push_back(nodes_[u].name);
    node["after"] = after;
    nlohmann::ordered_json ext = nlohmann::json::array();
    for (const auto& e : n.external) {
      ext.push_back({{"prcs_nm", e.prcs_nm},
                     {"strem_nm", e.strem_nm},
                     {"depn_mode", e.mode == DependencyMode::kTrigger ? "trigger" : "wait"},
                     {"wait_timeout_s", e.wait_timeout_s}});
    }
    node["external"] = ext;
    node["notes"] = n.notes;
    nodes.push_back(std::move(node));
  }
  j["nodes"] = std::move(nodes);
  return j.dump(2) + "\n";
}

}  // namespace ctlflow

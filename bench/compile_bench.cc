// compile_bench: how long Validate + Compile take on large control tables.
//
// Backs the claim "compiling 100,000 processes takes well under a second".
// The configs are built in memory, so only the compiler is timed (no store,
// no YAML). bench/run_compile_bench.sh runs this next to GNU make planning
// the same graphs (bench/compile_peer.sh) and writes docs/benchmarks.md.
//
// Usage: compile_bench [--json] [--reps N] [--shapes a,b,c]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "compiler/compiler.h"

namespace ctlflow {
namespace {

struct Shape {
  std::string id;           // a, b, c: the names compile_peer.sh uses too
  std::string description;
  ControlConfig config;
  std::string stream;       // the stream whose plan is built
  size_t processes = 0;     // in the whole config
};

// Names padded to a fixed width, like real process names, so that string
// hashing and comparison cost what they would in practice.
std::string Padded(const char* prefix, int n, size_t width) {
  std::string digits = std::to_string(n);
  // Appending rather than `prefix + std::string(...)`: GCC 12 at -O2 reports
  // a false -Wrestrict on operator+(const char*, string&&).
  std::string out(prefix);
  if (digits.size() < width) out.append(width - digits.size(), '0');
  return out + digits;
}

Process MakeProcess(std::string name, const std::string& group, int64_t prir) {
  Process p;
  p.prcs_nm = std::move(name);
  p.prcs_grp = group;
  p.prir = prir;
  p.prcs_typ = static_cast<int64_t>(ProcessType::kNotebook);
  p.af_path_nm = "notebooks/" + p.prcs_nm + ".ipynb";
  p.tgt_schm_nm = "dwh";
  p.tgt_tbl = p.prcs_nm;
  return p;
}

void AddStream(ControlConfig* c, const std::string& name) {
  Stream s;
  s.strem_nm = name;
  c->streams.push_back(std::move(s));
}

void AddGroup(ControlConfig* c, const std::string& name, const std::string& stream, int64_t prir) {
  ProcessGroup g;
  g.prcs_grp = name;
  g.strem_nm = stream;
  g.prir = prir;
  c->groups.push_back(std::move(g));
}

// (a) One stream, 100 groups run one after another (group prir 1..100), each
// with 1,000 processes in 10 levels of 100: every level pair and every group
// boundary is joined by a barrier.
Shape Levels() {
  Shape s{"a", "1 stream, 100 groups x 10 levels x 100 processes", {}, "S", 0};
  AddStream(&s.config, "S");
  for (int g = 0; g < 100; ++g) {
    std::string group = Padded("G", g, 3);
    AddGroup(&s.config, group, "S", g + 1);
    for (int level = 1; level <= 10; ++level)
      for (int i = 0; i < 100; ++i) {
        s.config.processes.push_back(
            MakeProcess(group + Padded("_L", level, 2) + Padded("_P", i, 3), group, level));
      }
  }
  s.processes = s.config.processes.size();
  return s;
}

// (b) One group, 100,000 processes, each with its own prir: a chain, the
// deepest graph possible.
Shape Chain() {
  Shape s{"b", "1 stream, 1 group, chain of 100,000 prir levels", {}, "S", 0};
  AddStream(&s.config, "S");
  AddGroup(&s.config, "G", "S", 1);
  for (int i = 0; i < 100000; ++i) s.config.processes.push_back(MakeProcess(Padded("P", i, 6), "G", i + 1));
  s.processes = s.config.processes.size();
  return s;
}

// (c) 1,000 streams of 100 parallel processes; process i of stream k waits
// for process i of stream k-1. Compile validates all 100,000 processes and
// 99,900 cross-stream dependencies (cycle check over every stream), then
// builds the plan of the last stream, whose processes get external waits.
Shape CrossStream() {
  Shape s{"c", "1,000 streams x 100 processes, 1 cross-stream dependency each", {}, "", 0};
  for (int k = 0; k < 1000; ++k) {
    std::string stream = Padded("S", k, 4);
    std::string group = stream + "_G";
    AddStream(&s.config, stream);
    AddGroup(&s.config, group, stream, 1);
    for (int i = 0; i < 100; ++i) {
      std::string name = stream + Padded("_P", i, 3);
      s.config.processes.push_back(MakeProcess(name, group, 1));
      if (k > 0) {
        Dependency d;
        d.prcs_nm = name;
        d.dpnd_prcs_nm = Padded("S", k - 1, 4) + Padded("_P", i, 3);
        s.config.dependencies.push_back(std::move(d));
      }
    }
    s.stream = stream;
  }
  s.processes = s.config.processes.size();
  return s;
}

struct Timing {
  double median_ms = 0;
  double min_ms = 0;
  size_t nodes = 0;
  size_t edges = 0;
};

// Times Compile (which runs Validate over the whole config first): one
// warm-up run, then `reps` measured runs. Median and minimum rather than the
// mean, because the machine is shared and noisy.
bool TimeCompile(const Shape& shape, int reps, Timing* out) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> ms;
  for (int run = 0; run <= reps; ++run) {
    auto start = Clock::now();
    Result<Plan> plan = Compile(shape.config, shape.stream);
    auto end = Clock::now();
    if (!plan.ok()) {
      std::fprintf(stderr, "compile_bench: shape %s does not compile: %s\n", shape.id.c_str(),
                   plan.status().message().c_str());
      return false;
    }
    if (run == 0) {
      out->nodes = plan->nodes().size();
      out->edges = 0;
      for (const PlanNode& n : plan->nodes()) out->edges += n.downstream.size();
      continue;  // warm-up: caches and the allocator, not measured
    }
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  out->min_ms = ms.front();
  out->median_ms = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  return true;
}

int Usage() {
  std::fprintf(stderr, "usage: compile_bench [--json] [--reps N] [--shapes a,b,c]\n");
  return 2;
}

int Main(int argc, char** argv) {
  bool json = false;
  int reps = 7;
  std::string shapes = "a,b,c";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
      if (reps < 1) return Usage();
    } else if (arg == "--shapes" && i + 1 < argc) {
      shapes = argv[++i];
    } else {
      return Usage();
    }
  }

  if (json) std::printf("[");
  else std::printf("%-5s %-62s %9s %9s %11s %9s %9s\n", "shape", "description", "processes", "nodes", "median ms", "min ms", "runs");
  bool first = true;
  for (char id : shapes) {
    if (id == ',') continue;
    Shape shape;
    if (id == 'a') shape = Levels();
    else if (id == 'b') shape = Chain();
    else if (id == 'c') shape = CrossStream();
    else return Usage();
    Timing t;
    if (!TimeCompile(shape, reps, &t)) return 1;
    if (json) {
      std::printf("%s\n  {\"shape\": \"%s\", \"description\": \"%s\", \"processes\": %zu, \"plan_nodes\": %zu, "
                  "\"plan_edges\": %zu, \"stream\": \"%s\", \"median_ms\": %.3f, \"min_ms\": %.3f, \"runs\": %d}",
                  first ? "" : ",", shape.id.c_str(), shape.description.c_str(), shape.processes, t.nodes, t.edges,
                  shape.stream.c_str(), t.median_ms, t.min_ms, reps);
    } else {
      std::printf("%-5s %-62s %9zu %9zu %11.1f %9.1f %9d\n", shape.id.c_str(), shape.description.c_str(),
                  shape.processes, t.nodes, t.median_ms, t.min_ms, reps);
    }
    std::fflush(stdout);
    first = false;
  }
  if (json) std::printf("\n]\n");
  return 0;
}

}  // namespace
}  // namespace ctlflow

int main(int argc, char** argv) { return ctlflow::Main(argc, argv); }

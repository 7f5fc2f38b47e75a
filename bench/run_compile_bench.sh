#!/usr/bin/env bash
# run_compile_bench.sh: measures "compiling 100,000 processes takes well under
# a second" next to a peer, GNU make planning the same graphs, in one run.
#
# Builds bench/compile_bench in its own Release build dir (build-bench, so it
# never touches a developer's build/), runs it and bench/compile_peer.sh,
# prints a markdown table and writes it into docs/benchmarks.md under
# "## Compiling control tables" (only that section is replaced).
#
# Usage: bench/run_compile_bench.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-bench
doc=$root/docs/benchmarks.md
ctlflow_runs=7
make_runs=5
make_timeout_s=60

# -j1: the machine has two cores and is shared; a parallel build would slow
# whoever else is working on it.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j1 compile_bench >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run_compile_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "ctlflow: compile_bench (1 warm-up + $ctlflow_runs runs per shape)..." >&2
"$build/bench/compile_bench" --json --reps "$ctlflow_runs" >"$tmp/ctlflow.json"
jq -r '.[] | [.shape, .processes, .plan_nodes, .median_ms, .min_ms, .description] | @tsv' \
  "$tmp/ctlflow.json" >"$tmp/ctlflow.tsv"

echo "make: compile_peer.sh (1 warm-up + $make_runs runs per shape, ${make_timeout_s} s limit)..." >&2
bash "$root/bench/compile_peer.sh" --runs "$make_runs" --timeout "$make_timeout_s" >"$tmp/make.tsv"

# 100000 -> 100,000 without relying on the locale.
awk_commas='
  function commas(n,   s) {
    s = sprintf("%d", n)
    while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
    return s
  }'
commas() { awk "$awk_commas"' { print commas($1) }' <<<"$1"; }

# One table row per shape, joined on the shape id; a make failure is shown as
# what happened, never as a number.
awk -F'\t' -v limit="$make_timeout_s" "$awk_commas"'
  NR == FNR { med[$1] = $3; st[$1] = $5; next }
  {
    shape = $1; ct = $4
    if (st[shape] == "ok") {
      mk = sprintf("%.0f", med[shape]); ratio = sprintf("%.1f×", med[shape] / ct)
    } else {
      if (st[shape] == "timeout") mk = "timed out (> " limit " s)"
      else if (st[shape] == "exit 139") mk = "crashed (SIGSEGV)"
      else if (st[shape] == "") mk = "not run"
      else mk = "failed (" st[shape] ")"
      ratio = "–"
    }
    printf "| %s: %s | %s | %.1f | %s | %s |\n", shape, $6, commas($2), ct, mk, ratio
  }' "$tmp/make.tsv" "$tmp/ctlflow.tsv" >"$tmp/rows.md"

# Notes that depend on this run's results.
awk -F'\t' -v stack_kb="$(ulimit -s)" '
  $5 == "exit 139" { printf "- Shape %s: `make -n` crashed with SIGSEGV (exit 139); make resolves prerequisites recursively, and a graph this deep overflows its stack (`ulimit -s` here: %s KB).\n", $1, stack_kb }
  $5 == "timeout" { printf "- Shape %s: `make -n` did not finish within the time limit, so it was stopped and not repeated.\n", $1 }
  $5 ~ /^exit / && $5 != "exit 139" { printf "- Shape %s: `make -n` failed (%s).\n", $1, $5 }
' "$tmp/make.tsv" >"$tmp/notes.md"

cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

{
  echo "## Compiling control tables"
  echo
  echo "Claim: compiling 100,000 processes takes well under a second."
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit with \`bench/run_compile_bench.sh\`"
  echo "on $(nproc) cores of ${cpu:-an unknown CPU}; $("$cxx" --version | head -n 1), Release build;"
  echo "$(make --version | head -n 1)."
  echo
  echo "| shape | processes | ctlflow median ms | make -n median ms | ratio (make ÷ ctlflow) |"
  echo "|---|---:|---:|---:|---:|"
  cat "$tmp/rows.md"
  echo
  echo "What is timed:"
  echo
  echo "- **ctlflow**: \`Compile(config, stream)\` on a \`ControlConfig\` built in memory"
  echo "  (\`bench/compile_bench.cc\`): it validates every row of the whole config,"
  echo "  checks for dependency cycles across all streams, then builds the plan of one"
  echo "  stream. 1 warm-up, then the median of $ctlflow_runs runs."
  echo "- **make**: \`make -n -f FILE all\` on a generated Makefile with the same"
  echo "  graph (\`bench/compile_peer.sh\`): every target \`.PHONY\` with the recipe \`@:\`,"
  echo "  built-in rules off, so make parses and plans the whole graph and runs"
  echo "  nothing. Wall time of the process, 1 warm-up, then the median of $make_runs runs;"
  echo "  stopped after $make_timeout_s s."
  echo
  echo "Shapes:"
  echo
  echo "- **a**: one stream, 100 groups in sequence, each 10 prir levels of 100"
  echo "  processes. The plan joins consecutive levels through barrier nodes"
  echo "  ($(commas "$(awk -F'\t' '$1 == "a" { print $3 }' "$tmp/ctlflow.tsv")") plan nodes); the Makefile uses one phony barrier"
  echo "  target per level boundary."
  echo "- **b**: one group of 100,000 processes, each with its own prir: a chain"
  echo "  100,000 deep."
  echo "- **c**: 1,000 streams of 100 processes; process i of stream k depends on"
  echo "  process i of stream k-1. ctlflow validates all 100,000 processes and"
  echo "  99,900 cross-stream dependencies, then plans the last stream (100 nodes,"
  echo "  each with an external wait), which is what \`ctlflow run\` does; make plans"
  echo "  all 100,000 targets, which is the closest it has."
  echo
  echo "Why make is slow here (profiled by hand with perf on GNU Make 4.3): most of"
  echo "the time goes to \`initialize_file_variables\` and hash lookups. With \`-n\`"
  echo "make expands each recipe in its target's variable context, which is chained"
  echo "to the context of the target that needed it, so the cost per target grows"
  echo "with the depth of the graph: a 10,000-target chain already takes seconds."
  if [[ -s $tmp/notes.md ]]; then
    echo
    echo "Make's failures in this run:"
    echo
    cat "$tmp/notes.md"
  fi
  echo
} >"$tmp/section.md"

cat "$tmp/section.md"

bash "$(dirname "${BASH_SOURCE[0]}")/write_doc_section.sh" "$doc" "Compiling control tables" "$tmp/section.md"
echo "wrote $doc" >&2

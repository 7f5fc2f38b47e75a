#!/usr/bin/env bash
# orchestration_bench.sh: what does ctlflow cost per task when the tasks do
# nothing? Runs the same three graphs of no-op tasks with ctlflow, GNU make
# and Snakemake, in one run, on the same machine, interleaved, and reports the
# wall time of each.
#
# Shapes (bench/orchestration/graphs.py writes them for each tool):
#   chain   1,000 tasks, each waiting for the one before
#   fanout  one root and 1,000 children that wait only for the root
#   layers  10 layers of 100; every task of layer k waits for all of layer k-1
# Every task runs the program `true`: one process spawned per task by every
# tool.
#
#   ctlflow    `ctlflow --home H apply SHAPE.yaml` (not timed), then timed:
#              `ctlflow --home H run BENCH_<SHAPE> --date 2024-01-01
#              --parallel 2 >/dev/null`, a foreground run to completion with
#              every attempt written to cntl_cfg_log. A fresh home each time.
#   make       `make -r -j2 -f SHAPE.mk` (all targets in one .PHONY rule,
#              recipe `true`, every edge spelled out) in an empty folder.
#   snakemake  `snakemake -s SHAPE.smk -d DIR --cores 2 --quiet`, wildcard
#              rules with touch() outputs and shell "true", in a fresh folder;
#              and again with `--scheduler greedy`, because the default
#              scheduler solves an ILP over the ready jobs in every round.
#
# Each (tool, shape) gets 1 warm-up and then $reps timed runs; the tools take
# turns inside each repetition so that a change in machine load hits them
# all. Any run that fails or exceeds $limit_s stops that (tool, shape) and
# is reported as what happened, not as a number.
#
# After the chain runs it reads `ctlflow log --json` of each timed chain run
# and reports the dependency-to-start latency, start_dt(next) - end_dt(prev).
#
# Builds ctlflow in its own Release build dir (build-bench, never a
# developer's build/), prints a markdown section and writes it into
# docs/benchmarks.md under "## Orchestration overhead" (only that section is
# replaced).
#
# Usage: bench/orchestration_bench.sh [--reps N] [--snakemake-reps N] [--limit SECONDS]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-bench
doc=$root/docs/benchmarks.md
py=/usr/bin/python3
gen=$root/bench/orchestration/graphs.py
analyze=$root/bench/orchestration/analyze.py
reps=5
snake_reps=5
limit_s=600
shapes=(chain fanout layers)
data_dt=2024-01-01

while (($#)); do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --snakemake-reps) snake_reps="$2"; shift 2 ;;
    --limit) limit_s="$2"; shift 2 ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "orchestration_bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

for tool in "$py" make cmake ninja timeout jq; do
  command -v "$tool" >/dev/null || { echo "orchestration_bench.sh: $tool is missing" >&2; exit 1; }
done
if ! command -v snakemake >/dev/null; then
  echo "orchestration_bench.sh: installing snakemake (Debian package)..." >&2
  if ((EUID == 0)); then apt-get install -y snakemake >&2; else sudo apt-get install -y snakemake >&2; fi
fi

# -j1: the machine has two cores and is shared; a parallel build would slow
# whoever else is working on it.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j1 ctlflow >&2
ctl=$build/ctlflow

tmp=$(mktemp -d "${TMPDIR:-/tmp}/orchestration_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bench_start=$EPOCHREALTIME

# Graph files and task counts.
: >"$tmp/tasks.tsv"
for shape in "${shapes[@]}"; do
  "$py" "$gen" yaml "$shape" >"$tmp/$shape.yaml"
  "$py" "$gen" makefile "$shape" >"$tmp/$shape.mk"
  "$py" "$gen" snakefile "$shape" >"$tmp/$shape.smk"
  case $shape in
    chain) label="chain of 1,000" ;;
    fanout) label="fan-out: 1 root, 1,000 children" ;;
    layers) label="10 layers × 100, all-to-all between layers" ;;
  esac
  printf '%s\t%s\t%s\n' "$shape" "$("$py" "$gen" tasks "$shape")" "$label" >>"$tmp/tasks.tsv"
done
"$py" "$gen" chain-names >"$tmp/chain_names.txt"

# ms between two $EPOCHREALTIME values (no fork, microsecond resolution).
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# One timed run of TOOL on SHAPE into folder DIR. Sets run_ms and run_status
# ("ok", "timed out (> N s)" or "failed (...)"); the tool's output is in DIR.
run_ms=0
run_status=ok
launch_epoch=0
exit_epoch=0
run_once() {
  local tool=$1 shape=$2 dir=$3 rc=0 expected
  expected=$(awk -F'\t' -v s="$shape" '$1 == s { print $2 }' "$tmp/tasks.tsv")
  mkdir -p "$dir"
  case $tool in
    ctlflow)
      # Not timed: loading the rows into a fresh home.
      "$ctl" --home "$dir/home" apply "$tmp/$shape.yaml" >"$dir/apply.out" 2>&1 ||
        { run_status="failed (apply: $(tail -n 1 "$dir/apply.out"))"; return; }
      launch_epoch=$EPOCHREALTIME
      timeout "$limit_s" "$ctl" --home "$dir/home" run "BENCH_${shape^^}" --date "$data_dt" \
        --parallel 2 >/dev/null 2>"$dir/err" || rc=$?
      exit_epoch=$EPOCHREALTIME
      ;;
    make)
      launch_epoch=$EPOCHREALTIME
      (cd "$dir" && timeout "$limit_s" make -r -j2 -f "$tmp/$shape.mk" >/dev/null 2>"$dir/err") || rc=$?
      exit_epoch=$EPOCHREALTIME
      ;;
    snakemake|snakemake-greedy)
      local extra=()
      [[ $tool == snakemake-greedy ]] && extra=(--scheduler greedy)
      launch_epoch=$EPOCHREALTIME
      timeout "$limit_s" snakemake -s "$tmp/$shape.smk" -d "$dir" --cores 2 "${extra[@]}" --quiet \
        >/dev/null 2>"$dir/err" || rc=$?
      exit_epoch=$EPOCHREALTIME
      ;;
  esac
  run_ms=$(elapsed_ms "$launch_epoch" "$exit_epoch")
  if ((rc == 124)); then run_status="timed out (> $limit_s s)"; return; fi
  if ((rc != 0)); then run_status="failed (exit $rc: $(tail -n 1 "$dir/err" | cut -c1-80))"; return; fi
  # Check that every task ran (outside the timed part).
  local done_count=$expected
  case $tool in
    ctlflow) done_count=$("$ctl" --home "$dir/home" log --json | jq '[.[] | select(.status == 0)] | length') ;;
    snakemake*) done_count=$(find "$dir/t" -type f | wc -l) ;;
  esac
  if ((done_count != expected)); then
    run_status="failed ($done_count of $expected tasks done)"
    return
  fi
  run_status=ok
}

: >"$tmp/times.tsv"
: >"$tmp/chain_runs.tsv"
declare -A stopped=()
for shape in "${shapes[@]}"; do
  for ((rep = 0; rep <= reps; rep++)); do
    for tool in ctlflow make snakemake snakemake-greedy; do
      [[ -n ${stopped[$tool.$shape]:-} ]] && continue
      if [[ $tool == snakemake* ]] && ((rep > snake_reps)); then continue; fi
      dir=$tmp/run/$tool.$shape.$rep
      run_once "$tool" "$shape" "$dir"
      printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$shape" "$rep" "$run_status" "$run_ms" >>"$tmp/times.tsv"
      printf '%-16s %-6s %s: %s ms %s\n' "$tool" "$shape" \
        "$( ((rep == 0)) && echo warm-up || echo "run $rep")" "$run_ms" "$run_status" >&2
      if [[ $run_status != ok ]]; then
        stopped[$tool.$shape]=1
        cp "$dir/err" "$tmp/err.$tool.$shape" 2>/dev/null || true
      elif [[ $tool == ctlflow && $shape == chain ]] && ((rep > 0)); then
        "$ctl" --home "$dir/home" log --json >"$tmp/chain_log.$rep.json"
        printf '%s\t%s\t%s\t%s\n' "$rep" "$launch_epoch" "$exit_epoch" "$tmp/chain_log.$rep.json" >>"$tmp/chain_runs.tsv"
      fi
      # The folder stays until the end: deleting thousands of files between
      # timed runs makes the next runs' file creation slower on some file
      # systems (ext4 skips recently deleted inodes), which would bias
      # whichever tool comes next.
    done
  done
done

# Does the chain need the raised recursion limit? One untimed run without it.
snake_recursion_note=""
mkdir -p "$tmp/run/recursion"
"$py" "$gen" snakefile chain --default-recursion-limit >"$tmp/chain_default_limit.smk"
if timeout "$limit_s" snakemake -s "$tmp/chain_default_limit.smk" -d "$tmp/run/recursion" --cores 2 \
  >"$tmp/recursion.out" 2>&1; then
  snake_recursion_note="(not needed in this run: the chain also ran with the default limit)"
elif grep -q RecursionError "$tmp/recursion.out"; then
  snake_recursion_note="(without it the chain fails while building the DAG: \`RecursionError: maximum recursion depth exceeded\`, at file $(sed -n 's/^Problematic file pattern: //p' "$tmp/recursion.out" | head -n 1))"
else
  snake_recursion_note="(without it the chain failed: $(tail -n 1 "$tmp/recursion.out" | cut -c1-100))"
fi
rm -rf "$tmp/run/recursion"

"$py" "$analyze" table "$tmp/times.tsv" "$tmp/tasks.tsv" >"$tmp/rows.md"
"$py" "$analyze" greedy "$tmp/times.tsv" "$tmp/tasks.tsv" >"$tmp/greedy.md"
latency_ok=1
"$py" "$analyze" latency "$tmp/chain_names.txt" "$tmp/chain_runs.tsv" >"$tmp/latency.md" 2>"$tmp/latency.err" ||
  latency_ok=0

failures=$(awk -F'\t' '$4 != "ok" { printf "- %s, %s: %s.\n", $1, $2, $4 }' "$tmp/times.tsv")

cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit (with uncommitted changes)"
fi
total_s=$(awk -v a="$bench_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
tmp_fs=$(findmnt -n -o FSTYPE --target "$tmp" 2>/dev/null || echo "unknown file system")

{
  echo "## Orchestration overhead"
  echo
  echo "Question: what does ctlflow cost per task when the tasks do nothing, next to"
  echo "GNU make and Snakemake running the same graphs in the same run?"
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit with \`bench/orchestration_bench.sh\`"
  echo "on $(nproc) cores of ${cpu:-an unknown CPU} (shared and noisy: read the"
  echo "medians and the ratios, not single numbers); $("$cxx" --version | head -n 1), Release build;"
  echo "$(make --version | head -n 1); Snakemake $(snakemake --version 2>/dev/null || echo '?') on Python $("$py" -c 'import platform; print(platform.python_version())')."
  echo "The measurements took ${total_s} s (after the build). Homes and work folders were under"
  echo "\`${TMPDIR:-/tmp}\` ($tmp_fs)."
  echo
  echo "Wall time of one run to completion, median (min) in ms over the timed runs;"
  echo "ms/task = median ÷ tasks. Every task runs \`true\`, so every tool spawns one"
  echo "process per task, at most 2 at a time."
  echo
  echo "| shape | tasks | ctlflow ms | ms/task | make -j2 ms | ms/task | snakemake ms | ms/task | ctlflow ÷ make | ctlflow ÷ snakemake | runs (ctlflow / make / snakemake) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  cat "$tmp/rows.md"
  echo
  echo "What is timed (1 warm-up, then $reps timed runs per tool and shape, $snake_reps for"
  echo "each Snakemake variant; the tools take turns within each repetition; a run is"
  echo "stopped after $limit_s s):"
  echo
  echo "- **ctlflow**: \`ctlflow --home H run BENCH_<SHAPE> --date $data_dt --parallel 2 >/dev/null\`,"
  echo "  a foreground run to completion: it opens the store, compiles the plan,"
  echo "  records every attempt in \`cntl_cfg_log\` (queued, running, success: an"
  echo "  INSERT and two UPDATEs per task in SQLite, WAL mode, written by the engine"
  echo "  loop as multi-row statements, one transaction per loop iteration), registers"
  echo "  and heartbeats in \`cntl_worker\`, writes a log file per attempt, and at the end prints the"
  echo "  run's attempt table. The rows were"
  echo "  applied beforehand, untimed, into a fresh home per run. The shapes are"
  echo "  prcs_typ 3 command processes (\`af_path_nm\` \`true\`, empty \`af_parm\`) in one"
  echo "  group; the edges come from \`prir\`: 1..1,000 for the chain, 1 and 2 for"
  echo "  the fan-out, 1..10 for the layers (the plan joins two levels through one"
  echo "  barrier node rather than 10,000 edges)."
  echo "- **make**: \`make -r -j2 -f SHAPE.mk\` in an empty folder; every target in"
  echo "  one \`.PHONY\` rule, recipe \`true\` (which make runs without a shell), every"
  echo "  edge spelled out (90,000 for the layers). Make keeps no record of what ran."
  echo "- **snakemake**: \`snakemake -s SHAPE.smk -d DIR --cores 2 --quiet\` in a fresh"
  echo "  folder; wildcard rules whose outputs are \`touch()\` files and whose shell"
  echo "  is \`true\` (run through bash). Snakemake keeps per-output metadata in"
  echo "  \`DIR/.snakemake\`. The Snakefile raises Python's recursion limit, because"
  echo "  Snakemake builds its DAG recursively $snake_recursion_note."

  echo
  echo "Graphs: \`bench/orchestration/graphs.py\` writes all three tools' files."
  echo
  echo "Snakemake's default scheduler (\`ilp\`) builds and solves an integer program"
  echo "(PuLP + CBC) over the ready jobs in every scheduling round, which is what"
  echo "makes the wide shapes slow for it. The same Snakefiles with"
  echo "\`--scheduler greedy\`, in the same repetitions:"
  echo
  echo "| shape | snakemake --scheduler greedy ms | ms/task | ctlflow ÷ snakemake greedy |"
  echo "|---|---:|---:|---:|"
  cat "$tmp/greedy.md"
  if [[ -n $failures ]]; then
    echo
    echo "Runs that did not finish as expected (that tool and shape was not repeated):"
    echo
    echo "$failures"
  fi
  echo
  echo "### Dependency-to-start latency in ctlflow"
  echo
  if ((latency_ok)); then
    echo "From \`ctlflow --home H log --json\` after each timed chain run, pooled over"
    echo "the runs: for each consecutive pair of the chain, how long after the"
    echo "previous process's \`end_dt\` the next one's \`start_dt\` was taken. The log"
    echo "has millisecond timestamps, so each sample is a whole ms and may be off by"
    echo "one either way; a p50 of 0 or 1 means \"below the resolution\". Both"
    echo "timestamps are taken by the engine loop (which marks an attempt running"
    echo "before it hands it to a worker), so the hand-off to a worker and the spawn"
    echo "count in the attempt's own span; the chain step is the whole cycle."
    echo
    cat "$tmp/latency.md"
  else
    echo "Not measured in this run: $(tail -n 1 "$tmp/latency.err")"
  fi
  echo
} >"$tmp/section.md"

cat "$tmp/section.md"

bash "$(dirname "${BASH_SOURCE[0]}")/write_doc_section.sh" "$doc" "Orchestration overhead" "$tmp/section.md"
echo "wrote $doc" >&2

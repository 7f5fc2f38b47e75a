#!/usr/bin/env bash
# compile_peer.sh: the peer for compile_bench. GNU make plans the same three
# graphs that compile_bench compiles, and we time `make -n` (parse the
# Makefile, resolve every target, run no recipe).
#
# Shapes (same ids, names and edges as bench/compile_bench.cc):
#   a  100 groups x 10 levels x 100 targets; a phony barrier target joins each
#      pair of consecutive levels, inside a group and across group boundaries,
#      as the compiler's barrier nodes do
#   b  a chain of 100,000 targets
#   c  1,000 streams x 100 targets; target i of stream k needs target i of
#      stream k-1
# Every target is .PHONY with the recipe `@:` and built-in rules are off
# (-r), so make does no file-system lookups or implicit-rule searches: the
# fairest setting for make. .PHONY is written as one rule at the end: one
# `.PHONY: X` rule per target makes make's parsing quadratic, which would
# measure the Makefile writer, not make. `all` needs only the sinks; make
# still has to walk every target to reach them.
#
# Usage: compile_peer.sh [--runs N] [--timeout SECONDS] [SHAPE...]
# Prints one tab-separated line per shape:
#   shape  targets  median_ms  min_ms  status
# where status is "ok", "timeout" or "exit N" (N > 128: killed by signal
# N-128, e.g. 139 = SIGSEGV, typically make's recursion overflowing the
# stack). median_ms and min_ms are "-" unless status is ok.
set -euo pipefail

runs=5
timeout_s=60
shapes=()
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    a|b|c) shapes+=("$1"); shift ;;
    *) echo "compile_peer.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
((${#shapes[@]})) || shapes=(a b c)

work=$(mktemp -d "${TMPDIR:-/tmp}/compile_peer.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Each generator writes a Makefile whose first lines turn off built-in rules.
header() { printf 'MAKEFLAGS += -r\n.DEFAULT_GOAL := all\n'; }

gen_a() {
  header
  awk 'function p(g, l, i) { return sprintf("G%03d_L%02d_P%03d", g, l, i) }
  BEGIN {
    prev = ""   # the barrier the current level waits for, "" for the first
    for (g = 0; g < 100; g++) {
      for (l = 1; l <= 10; l++) {
        if (g > 0 || l > 1) {
          # Barrier after the previous level (previous group for l = 1).
          pg = (l == 1) ? g - 1 : g; pl = (l == 1) ? 10 : l - 1
          b = sprintf("B_G%03d_L%02d", g, l)
          line = b ":"
          for (i = 0; i < 100; i++) line = line " " p(pg, pl, i)
          print line " ; @:"
          prev = b
        }
        for (i = 0; i < 100; i++) printf "%s: %s ; @:\n", p(g, l, i), prev
      }
    }
    printf "all:"
    for (i = 0; i < 100; i++) printf " %s", p(99, 10, i)
    print " ; @:"
    printf ".PHONY: all"
    for (g = 0; g < 100; g++)
      for (l = 1; l <= 10; l++) {
        if (g > 0 || l > 1) printf " B_G%03d_L%02d", g, l
        for (i = 0; i < 100; i++) printf " %s", p(g, l, i)
      }
    print ""
  }'
}

gen_b() {
  header
  awk 'BEGIN {
    for (i = 0; i < 100000; i++) {
      printf "P%06d:", i
      if (i > 0) printf " P%06d", i - 1
      print " ; @:"
    }
    print "all: P099999 ; @:"
    printf ".PHONY: all"
    for (i = 0; i < 100000; i++) printf " P%06d", i
    print ""
  }'
}

gen_c() {
  header
  awk 'BEGIN {
    for (k = 0; k < 1000; k++)
      for (i = 0; i < 100; i++) {
        printf "S%04d_P%03d:", k, i
        if (k > 0) printf " S%04d_P%03d", k - 1, i
        print " ; @:"
      }
    printf "all:"
    for (i = 0; i < 100; i++) printf " S0999_P%03d", i
    print " ; @:"
    printf ".PHONY: all"
    for (k = 0; k < 1000; k++)
      for (i = 0; i < 100; i++) printf " S%04d_P%03d", k, i
    print ""
  }'
}

now_ns() { date +%s%N; }

for shape in "${shapes[@]}"; do
  makefile="$work/$shape.mk"
  "gen_$shape" >"$makefile"
  # Count real targets (recipes `; @:`), not barriers or `all`.
  targets=$(grep -c '^[GPS][0-9A-Z_]*:' "$makefile" || true)

  times=()
  status=ok
  # Run 0 is a warm-up (page cache, first-touch memory), as in compile_bench.
  for ((run = 0; run <= runs; run++)); do
    start=$(now_ns)
    set +e
    timeout "$timeout_s" make -n -f "$makefile" all >/dev/null 2>"$work/err"
    rc=$?
    set -e
    end=$(now_ns)
    if ((rc == 124)); then status=timeout; break; fi
    if ((rc != 0)); then status="exit $rc"; break; fi
    ((run == 0)) || times+=($(((end - start) / 1000)))
  done
  if [[ $status != ok ]]; then
    # Keep make's last words for the report; a SIGSEGV leaves none.
    if [[ -s $work/err ]]; then echo "compile_peer.sh: shape $shape: $(tail -n 1 "$work/err")" >&2; fi
    printf '%s\t%s\t-\t-\t%s\n' "$shape" "$targets" "$status"
    continue
  fi
  # Median and minimum in ms (input in microseconds).
  printf '%s\n' "${times[@]}" | sort -n | awk -v shape="$shape" -v targets="$targets" '
    { t[NR] = $1 }
    END {
      median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "%s\t%s\t%.1f\t%.1f\tok\n", shape, targets, median / 1000, t[1] / 1000
    }'
done

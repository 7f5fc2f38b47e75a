#!/usr/bin/python3
"""analyze.py: statistics for bench/orchestration_bench.sh.

  analyze.py table TIMES_TSV TASKS_TSV
      TIMES_TSV rows: tool  shape  rep  status  ms   (rep 0 is the warm-up
      and is left out; status "ok" or what went wrong). TASKS_TSV rows:
      shape  tasks  label. Prints the markdown table rows, one per shape.

  analyze.py greedy TIMES_TSV TASKS_TSV
      The same for tool "snakemake-greedy" (Snakemake --scheduler greedy),
      with the ratio ctlflow / it.

  analyze.py latency CHAIN_NAMES RUN_TSV
      RUN_TSV rows: rep  launch_epoch_s  exit_epoch_s  log_json_path, one per
      timed ctlflow chain run. For each consecutive pair of the chain it takes
      start_dt(next) - end_dt(previous) from `ctlflow log --json`, pools the
      pairs of all runs and prints a markdown table: p50, p99 and max of that
      dependency-to-start latency, the same for each attempt's own
      end_dt - start_dt, the mean chain step (last end_dt - first start_dt)
      / (n - 1), and the time from launching `ctlflow run` to the first
      start_dt and from the last end_dt to the process's exit.

Percentiles are nearest-rank. Log timestamps are "YYYY-MM-DD HH:MM:SS.mmm"
UTC, so every single difference is a whole number of ms and may be off by
one in either direction.
"""
import json
import math
import statistics
import sys
from datetime import datetime, timezone

TOOLS = ("ctlflow", "make", "snakemake")


def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt_ms(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def cell(samples, failure):
    """(median, min) text for a tool and shape, or what went wrong."""
    if failure:
        return failure, None
    if not samples:
        return "not run", None
    med = statistics.median(samples)
    return f"{fmt_ms(med)} ({fmt_ms(min(samples))})", med


def table(times_path, tasks_path):
    samples, failures, reps = {}, {}, {}
    for tool, shape, rep, status, ms in read_tsv(times_path):
        key = (tool, shape)
        if status != "ok":
            failures.setdefault(key, status)
            continue
        if int(rep) == 0:
            continue
        samples.setdefault(key, []).append(float(ms))
        reps[key] = reps.get(key, 0) + 1
    for shape, ntasks, label in read_tsv(tasks_path):
        n = int(ntasks)
        row = [label, f"{n:,}"]
        med = {}
        for tool in TOOLS:
            text, m = cell(samples.get((tool, shape), []), failures.get((tool, shape)))
            med[tool] = m
            row.append(text)
            row.append(f"{m / n:.2f}" if m is not None else "–")
        for peer in ("make", "snakemake"):
            if med["ctlflow"] is not None and med[peer] is not None:
                row.append(f"{med['ctlflow'] / med[peer]:.2f}×")
            else:
                row.append("–")
        row.append(" / ".join(str(reps.get((tool, shape), 0)) for tool in TOOLS))
        print("| " + " | ".join(row) + " |")


def greedy(times_path, tasks_path):
    """Rows for Snakemake with --scheduler greedy, next to ctlflow."""
    samples, failures = {}, {}
    for tool, shape, rep, status, ms in read_tsv(times_path):
        if status != "ok":
            failures.setdefault((tool, shape), status)
        elif int(rep) > 0:
            samples.setdefault((tool, shape), []).append(float(ms))
    for shape, ntasks, label in read_tsv(tasks_path):
        n = int(ntasks)
        text, m = cell(samples.get(("snakemake-greedy", shape), []), failures.get(("snakemake-greedy", shape)))
        _, c = cell(samples.get(("ctlflow", shape), []), failures.get(("ctlflow", shape)))
        per_task = f"{m / n:.2f}" if m is not None else "–"
        ratio = f"{c / m:.2f}×" if m is not None and c is not None else "–"
        print(f"| {label} | {text} | {per_task} | {ratio} |")


def parse_ts(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


def pct(values, p):
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def latency(names_path, runs_path):
    names = [line.strip() for line in open(names_path) if line.strip()]
    gaps, spans, startup, shutdown, steps = [], [], [], [], []
    for rep, launch, exit_, log_path in read_tsv(runs_path):
        rows = json.load(open(log_path))
        by_name = {}
        for r in rows:
            if r.get("status") != 0:
                raise SystemExit(f"analyze.py: run {rep}: {r.get('prcs_nm')} has status {r.get('status')}")
            by_name[r["prcs_nm"]] = r
        missing = [n for n in names if n not in by_name]
        if missing:
            raise SystemExit(f"analyze.py: run {rep}: {len(missing)} chain processes have no log row, e.g. {missing[0]}")
        start = [parse_ts(by_name[n]["start_dt"]) for n in names]
        end = [parse_ts(by_name[n]["end_dt"]) for n in names]
        gaps += [round((start[i + 1] - end[i]) * 1000) for i in range(len(names) - 1)]
        spans += [round((end[i] - start[i]) * 1000) for i in range(len(names))]
        startup.append((start[0] - float(launch)) * 1000)
        steps.append((end[-1] - start[0]) * 1000 / (len(names) - 1))
        shutdown.append((float(exit_) - end[-1]) * 1000)
    if not gaps:
        raise SystemExit("analyze.py: no chain runs to analyse")
    runs = len(startup)

    def row(label, values, what):
        print(f"| {label} | {len(values):,} | {pct(values, 50):.0f} | {pct(values, 99):.0f} | "
              f"{max(values):.0f} | {what} |")

    print("| interval | samples | p50 ms | p99 ms | max ms | what it covers |")
    print("|---|---:|---:|---:|---:|---|")
    row("dependency to start: start_dt(next) − end_dt(previous)", gaps,
        "on the engine loop's thread, in one iteration: the finished attempt's success (an UPDATE, "
        "written with the iteration's other changes), "
        "releasing the next process (queued INSERT) and marking it running (start_dt), all before "
        "that iteration's transaction commits and before any worker is involved")
    row("attempt: end_dt − start_dt", spans,
        "the rest of that iteration and its COMMIT, handing the attempt to a worker thread, "
        "log-file lines, spawning and waiting for `true`, posting the outcome and waking the loop")
    print(f"| one chain step: (last end_dt − first start_dt) ÷ {len(names) - 1} | {runs} | "
          f"{statistics.median(steps):.3f} | – | {max(steps):.3f} | "
          "the sum of the two rows above, averaged over the chain (median over runs) |")
    print(f"| launch to first start_dt | {runs} | {statistics.median(startup):.0f} | – | "
          f"{max(startup):.0f} | process start, open the store, compile, create the run (median over runs) |")
    print(f"| last end_dt to exit | {runs} | {statistics.median(shutdown):.0f} | – | "
          f"{max(shutdown):.0f} | finish the run row, read and print the attempt table, stop the threads, exit (median over runs) |")


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    if argv[1] == "table" and len(argv) == 4:
        table(argv[2], argv[3])
    elif argv[1] == "greedy" and len(argv) == 4:
        greedy(argv[2], argv[3])
    elif argv[1] == "latency" and len(argv) == 4:
        latency(argv[2], argv[3])
    else:
        raise SystemExit("analyze.py: usage: see analyze.py --help")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""graphs.py: writes the orchestration benchmark's three task graphs for each
tool (used by bench/orchestration_bench.sh).

Shapes (every task is a no-op that runs the program `true`):
  chain   1,000 tasks; task i waits for task i-1
  fanout  one root and 1,000 children; each child waits for the root only
          (1,001 tasks)
  layers  10 layers of 100 tasks; every task of layer k waits for every task
          of layer k-1 (1,000 tasks, 99 x 100 x 9 = 90,000 edges for peers
          that spell them out)

Outputs:
  tasks SHAPE           the number of tasks
  yaml SHAPE            ctlflow control-table rows (apply with `ctlflow apply`):
                        stream BENCH_<SHAPE>, one group, prcs_typ 3 command
                        `true`; the edges come from prir levels (a higher prir
                        waits for the whole level below), as a user would write
                        them
  makefile SHAPE        GNU make: one target per task, recipe `true`, every
                        edge spelled out, one .PHONY rule listing all targets
  snakefile SHAPE [--default-recursion-limit]
                        Snakemake: wildcard rules whose outputs are touch()
                        files in the working directory and whose shell is
                        "true". Snakemake builds its DAG recursively; with
                        Python's default recursion limit (1,000) the 1,000-deep
                        chain fails with RecursionError, so the Snakefile raises
                        the limit unless --default-recursion-limit is given.
  chain-names           the chain's process names in order, one a line (for
                        the latency analysis)
"""
import sys

SHAPES = ("chain", "fanout", "layers")
CHAIN_N = 1000
FANOUT_N = 1000
LAYERS, LAYER_W = 10, 100


def chain_name(i):
    return f"C{i:04d}"


def fan_root():
    return "F_ROOT"


def fan_child(i):
    return f"F{i:04d}"


def layer_name(k, i):
    return f"L{k:02d}_{i:03d}"


def levels(shape):
    """The graph as prir levels: a list of levels, each a list of task names.
    Every task of level j waits for every task of level j-1; that is exactly
    the three shapes."""
    if shape == "chain":
        return [[chain_name(i)] for i in range(1, CHAIN_N + 1)]
    if shape == "fanout":
        return [[fan_root()], [fan_child(i) for i in range(1, FANOUT_N + 1)]]
    if shape == "layers":
        return [[layer_name(k, i) for i in range(1, LAYER_W + 1)] for k in range(1, LAYERS + 1)]
    raise SystemExit(f"graphs.py: unknown shape '{shape}' (want one of {', '.join(SHAPES)})")


def tasks(shape):
    return sum(len(level) for level in levels(shape))


def yaml(shape):
    stream = f"BENCH_{shape.upper()}"
    group = f"G_{shape.upper()}"
    out = [
        f"# ctlflow orchestration benchmark, shape {shape}: {tasks(shape)} no-op command processes.",
        "cntl_cfg_strem:",
        f"  - strem_nm: {stream}",
        "    act_f: 1",
        "    descr: orchestration benchmark",
        "cntl_cfg_prcs_grp:",
        f"  - prcs_grp: {group}",
        f"    strem_nm: {stream}",
        "    prir: 1",
        "    act_f: 1",
        "cntl_cfg_prcs:",
    ]
    for prir, level in enumerate(levels(shape), start=1):
        for name in level:
            out += [
                f"  - prcs_nm: {name}",
                f"    prcs_grp: {group}",
                f"    prir: {prir}",
                "    prcs_typ: 3",
                "    af_path_nm: \"true\"",
                "    af_parm: \"\"",
                "    act_f: 1",
            ]
    return "\n".join(out) + "\n"


def makefile(shape):
    lv = levels(shape)
    out = [f"# orchestration benchmark, shape {shape}: {tasks(shape)} tasks, recipe `true`.",
           ".DEFAULT_GOAL := all",
           "all: " + " ".join(lv[-1])]
    prev = []
    for level in lv:
        deps = " ".join(prev)
        for name in level:
            out.append(f"{name}:{' ' + deps if deps else ''}")
            out.append("\ttrue")
        prev = level
    # One .PHONY rule for every target (one rule per target makes make's
    # parsing quadratic).
    out.append(".PHONY: all " + " ".join(name for level in lv for name in level))
    return "\n".join(out) + "\n"


def snakefile(shape, raise_limit=True):
    out = [f"# orchestration benchmark, shape {shape}: {tasks(shape)} tasks, shell `true`, touch() outputs."]
    if raise_limit:
        out += ["import sys", "sys.setrecursionlimit(100000)  # the DAG of a 1,000-deep chain is built recursively"]
    if shape == "chain":
        out += [
            "rule all:",
            f'    input: "t/{chain_name(CHAIN_N)}"',
            "rule task:",
            '    output: touch("t/C{i}")',
            "    input: lambda wc: [] if int(wc.i) == 1 else [f\"t/C{int(wc.i) - 1:04d}\"]",
            '    wildcard_constraints: i="[0-9]{4}"',
            '    shell: "true"',
        ]
    elif shape == "fanout":
        out += [
            "rule all:",
            f'    input: expand("t/F{{i:04d}}", i=range(1, {FANOUT_N + 1}))',
            "rule root:",
            f'    output: touch("t/{fan_root()}")',
            '    shell: "true"',
            "rule child:",
            '    output: touch("t/F{i}")',
            f'    input: "t/{fan_root()}"',
            '    wildcard_constraints: i="[0-9]{4}"',
            '    shell: "true"',
        ]
    elif shape == "layers":
        out += [
            "rule all:",
            f'    input: expand("t/L{LAYERS:02d}_{{i:03d}}", i=range(1, {LAYER_W + 1}))',
            "rule task:",
            '    output: touch("t/L{k}_{i}")',
            "    input: lambda wc: [] if int(wc.k) == 1 else "
            f"[f\"t/L{{int(wc.k) - 1:02d}}_{{j:03d}}\" for j in range(1, {LAYER_W + 1})]",
            '    wildcard_constraints: k="[0-9]{2}", i="[0-9]{3}"',
            '    shell: "true"',
        ]
    else:
        levels(shape)  # reports the unknown shape
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    cmd, args = argv[1], argv[2:]
    if cmd == "chain-names":
        sys.stdout.write("".join(chain_name(i) + "\n" for i in range(1, CHAIN_N + 1)))
        return 0
    if not args:
        raise SystemExit(f"graphs.py {cmd}: give a shape ({', '.join(SHAPES)})")
    shape = args[0]
    if cmd == "tasks":
        print(tasks(shape))
    elif cmd == "yaml":
        sys.stdout.write(yaml(shape))
    elif cmd == "makefile":
        sys.stdout.write(makefile(shape))
    elif cmd == "snakefile":
        sys.stdout.write(snakefile(shape, raise_limit="--default-recursion-limit" not in args[1:]))
    else:
        raise SystemExit(f"graphs.py: unknown command '{cmd}'")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

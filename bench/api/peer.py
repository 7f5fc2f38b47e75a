#!/usr/bin/env python3
"""The API bench's peer: the least database work behind each page, done by
Python's sqlite3 module in-process on the same store file (no HTTP, no JSON
building, no config validation). What the API takes beyond this is ctlflow's
own overhead. Prints one JSON line per page with the median and 95th
percentile in ms.

Usage: peer.py DB REPS
"""
import json
import sqlite3
import sys
import time

db, reps = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)


def streams_page(offset):
    # The server keeps the control tables in memory until they change, so the
    # least work is the page of names and the last 10 runs of each.
    names = [r[0] for r in con.execute("SELECT strem_nm FROM cntl_cfg_strem ORDER BY strem_nm LIMIT 50 OFFSET ?", (offset,))]
    for n in names:
        con.execute("SELECT run_id, data_dt, status FROM cntl_strem_run WHERE strem_nm = ? ORDER BY run_id DESC LIMIT 10",
                    (n,)).fetchall()


def grid():
    runs = con.execute("SELECT * FROM cntl_strem_run WHERE strem_nm = 'ST0500' ORDER BY run_id DESC LIMIT 25").fetchall()
    for r in runs:
        con.execute("SELECT * FROM cntl_cfg_log WHERE run_id = ?", (r[0],)).fetchall()


pages = [
    ("streams, page 1 of 20", lambda: streams_page(0)),
    ("streams, page 20 of 20", lambda: streams_page(950)),
    ("stream grid (25 runs)", grid),
    ("runs, newest 50", lambda: con.execute("SELECT * FROM cntl_strem_run ORDER BY run_id DESC LIMIT 50").fetchall()),
    ("runs, page 100", lambda: con.execute("SELECT * FROM cntl_strem_run ORDER BY run_id DESC LIMIT 50 OFFSET 4950").fetchall()),
    ("failed runs", lambda: con.execute("SELECT * FROM cntl_strem_run WHERE status = 99 ORDER BY run_id DESC LIMIT 50").fetchall()),
    ("log, newest 100", lambda: con.execute("SELECT * FROM cntl_cfg_log ORDER BY rowid DESC LIMIT 100").fetchall()),
    ("log, search", lambda: con.execute(
        "SELECT * FROM cntl_cfg_log WHERE LOWER(prcs_nm) LIKE ? OR LOWER(message) LIKE ? ORDER BY rowid DESC LIMIT 100",
        ("%exit code%", "%exit code%")).fetchall()),
    ("control table, 100 of 5,000 processes", lambda: (
        con.execute("SELECT COUNT(*) FROM cntl_cfg_prcs").fetchall(),
        con.execute("SELECT * FROM cntl_cfg_prcs ORDER BY prcs_nm LIMIT 100").fetchall())),
]
for name, fn in pages:
    times = []
    for i in range(reps + 3):
        t0 = time.perf_counter()
        fn()
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(json.dumps({"name": name, "median_ms": q(0.5), "p95_ms": q(0.95)}))

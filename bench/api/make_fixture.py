#!/usr/bin/env python3
"""The API bench's fixture: 1,000 streams (one group of five processes in a
chain, a daily schedule each) as a YAML document for `ctlflow apply`, and the
SQL that fills the store with 10,000 finished runs (10 per stream) and their
50,000 attempts, as the scheduler would have written them.

Usage: make_fixture.py STREAMS RUNS_PER_STREAM OUT_YAML OUT_SQL
"""
import sys

streams, per_stream, yaml_path, sql_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(yaml_path, "w") as y:
    y.write("cntl_cfg_strem:\n")
    for s in range(streams):
        y.write(f"  - {{strem_nm: ST{s:04d}, descr: 'bench stream {s}'}}\n")
    y.write("cntl_cfg_prcs_grp:\n")
    for s in range(streams):
        y.write(f"  - {{prcs_grp: G{s:04d}, strem_nm: ST{s:04d}}}\n")
    y.write("cntl_cfg_prcs:\n")
    for s in range(streams):
        for p in range(5):
            y.write(f"  - {{prcs_nm: P{s:04d}_{p}, prcs_grp: G{s:04d}, prir: {p + 1}, prcs_typ: 3, af_path_nm: /bin/true}}\n")
    y.write("cntl_cfg_schedule:\n")
    for s in range(streams):
        y.write(f"  - {{prcs_nm: ST{s:04d}, minutes: '{s % 60}', hours: '6', day_month: '*', months: '*', tz: Europe/Berlin}}\n")

runs = streams * per_stream
with open(sql_path, "w") as q:
    q.write("BEGIN;\n")
    # Run i: stream i / per_stream, data date 2024-11-01 + (i % per_stream);
    # every 17th failed.
    q.write(f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {runs - 1})
INSERT INTO cntl_strem_run (strem_nm, data_dt, status, run_typ, params, queued_dt, start_dt, end_dt, message)
SELECT printf('ST%04d', i / {per_stream}), date('2024-11-01', '+' || (i % {per_stream}) || ' days'),
       CASE WHEN i % 17 = 0 THEN 99 ELSE 0 END, 'scheduled', '{{}}',
       datetime('2024-11-02 05:00:00', '+' || (i % {per_stream}) || ' days'),
       datetime('2024-11-02 05:00:01', '+' || (i % {per_stream}) || ' days'),
       datetime('2024-11-02 05:00:09', '+' || (i % {per_stream}) || ' days'),
       CASE WHEN i % 17 = 0 THEN '1 of 5 processes failed' ELSE NULL END
FROM n;
""")
    q.write("""INSERT INTO cntl_cfg_log (prcs_nm, data_dt, start_dt, end_dt, status, message, source_row, target_row,
                         run_id, attempt, strem_nm, log_path, worker_nm, queued_dt)
SELECT p.prcs_nm, r.data_dt, r.start_dt, r.end_dt,
       CASE WHEN r.status = 99 AND p.prir = 3 THEN 99 ELSE 0 END,
       CASE WHEN r.status = 99 AND p.prir = 3 THEN 'exit code 3' ELSE NULL END,
       1000 + p.prir, 1000 + p.prir, r.run_id, 1, r.strem_nm, '/dev/null', 'bench', r.queued_dt
FROM cntl_strem_run r JOIN cntl_cfg_prcs_grp g ON g.strem_nm = r.strem_nm JOIN cntl_cfg_prcs p ON p.prcs_grp = g.prcs_grp;
COMMIT;
""")

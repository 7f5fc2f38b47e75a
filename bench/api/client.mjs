// Times the REST API pages the UI loads, against a running `ctlflow server`.
// Each request is made `reps` times after 3 warm-ups, one at a time over a
// kept-alive connection; prints one JSON line per endpoint with the median
// and 95th percentile in ms and the response size.
//
// Usage: node client.mjs URL TOKEN REPS
const [base, token, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 30);
const endpoints = [
  ['health (HTTP floor)', '/api/v1/health'],
  ['streams, page 1 of 20', '/api/v1/streams?limit=50'],
  ['streams, page 20 of 20', '/api/v1/streams?limit=50&offset=950'],
  ['streams, filtered', '/api/v1/streams?q=ST09'],
  ['one stream', '/api/v1/streams/ST0500'],
  ['stream grid (25 runs)', '/api/v1/streams/ST0500/grid?runs=25'],
  ['stream graph', '/api/v1/streams/ST0500/graph'],
  ['runs, newest 50', '/api/v1/runs?limit=50'],
  ['runs, page 100', '/api/v1/runs?limit=50&offset=4950'],
  ['runs of a stream', '/api/v1/runs?stream=ST0500'],
  ['failed runs', '/api/v1/runs?status=99&limit=50'],
  ['one run', '/api/v1/runs/5000'],
  ['attempts of a run', '/api/v1/runs/5000/attempts'],
  ['log, newest 100', '/api/v1/attempts?limit=100'],
  ['log, search', '/api/v1/attempts?q=exit%20code&limit=100'],
  ['control table, 100 of 5,000 processes', '/api/v1/tables/cntl_cfg_prcs?limit=100'],
  ['control table, search', '/api/v1/tables/cntl_cfg_prcs?q=P0500_&limit=100'],
];

const headers = { Authorization: `Bearer ${token}` };
for (const [name, path] of endpoints) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < reps + 3; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(base + path, { headers });
    const body = await res.arrayBuffer();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${Buffer.from(body).toString()}`);
    bytes = body.byteLength;
    if (i >= 3) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(JSON.stringify({ name, path, median_ms: q(0.5), p95_ms: q(0.95), bytes }));
}

// The peer of bench/lakehouse_bench.sh (here beside node_modules): DuckDB (through @duckdb/node-api)
// on the same taxi CSV, timed inside this process.
//
//   node duckdb_peer.mjs parquet CSV OUT.parquet THREADS
//     loads the CSV into a table with the ingest schema's types (not timed),
//     then times COPY table TO OUT.parquet (zstd) and a full read of it
//     (CREATE TABLE AS SELECT * FROM read_parquet(...)).
//   node duckdb_peer.mjs ingest CSV OUT.parquet THREADS
//     times COPY (SELECT * FROM read_csv(CSV, typed columns)) TO OUT.parquet.
// Prints one JSON line.
import { statSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'

const [mode, csv, out, threads] = process.argv.slice(2)
const columns = `{'VendorID': 'INTEGER', 'tpep_pickup_datetime': 'TIMESTAMP', 'tpep_dropoff_datetime': 'TIMESTAMP',
  'passenger_count': 'INTEGER', 'trip_distance': 'DOUBLE', 'RatecodeID': 'INTEGER', 'store_and_fwd_flag': 'VARCHAR',
  'PULocationID': 'INTEGER', 'DOLocationID': 'INTEGER', 'payment_type': 'INTEGER', 'fare_amount': 'DECIMAL(10,2)',
  'extra': 'DECIMAL(10,2)', 'mta_tax': 'DECIMAL(10,2)', 'tip_amount': 'DECIMAL(10,2)', 'tolls_amount': 'DECIMAL(10,2)',
  'improvement_surcharge': 'DECIMAL(10,2)', 'total_amount': 'DECIMAL(10,2)', 'congestion_surcharge': 'DECIMAL(10,2)'}`
const readCsv = `read_csv('${csv}', header = true, columns = ${columns}, ignore_errors = true)`
const instance = await DuckDBInstance.create(':memory:')
const conn = await instance.connect()
await conn.run(`SET threads = ${Number(threads) || 1}`)
const now = () => Number(process.hrtime.bigint()) / 1e9
const result = {}
if (mode === 'parquet') {
  await conn.run(`CREATE TABLE t AS SELECT * FROM ${readCsv}`)
  let t0 = now()
  await conn.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION zstd)`)
  result.write_s = now() - t0
  t0 = now()
  await conn.run(`CREATE TABLE r AS SELECT * FROM read_parquet('${out}')`)
  result.read_s = now() - t0
  const rows = await conn.runAndReadAll('SELECT count(*) FROM r')
  result.rows = Number(rows.getRows()[0][0])
} else {
  const t0 = now()
  await conn.run(`COPY (SELECT * FROM ${readCsv}) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`)
  result.ingest_s = now() - t0
  const rows = await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${out}')`)
  result.rows = Number(rows.getRows()[0][0])
}
result.bytes = statSync(out).size
process.stdout.write(JSON.stringify(result) + '\n')

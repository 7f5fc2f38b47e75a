// Prints, for every column chunk of a Parquet file, the statistics its
// footer holds (as DuckDB's parquet_metadata() decodes them) next to the
// min, max and null count DuckDB computes from the chunk's own rows, for
// the C++ parquet tests: a JSON array of
//   {row_group, column, stats_min, stats_max, stats_nulls, min, max, nulls}.
//   node parquet_stats.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: node parquet_stats.mjs FILE');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run("SET TimeZone = 'UTC'");
const file = `'${path.replaceAll("'", "''")}'`;
const chunks = (await conn.runAndReadAll(
  `SELECT row_group_id, row_group_num_rows, path_in_schema, stats_min_value, stats_max_value, stats_null_count
   FROM parquet_metadata(${file}) ORDER BY row_group_id, column_id`)).getRowObjectsJson();
const out = [];
let first = 0;
let group = -1;
let groupRows = 0;
for (const c of chunks) {
  if (Number(c.row_group_id) !== group) {
    first += groupRows;
    group = Number(c.row_group_id);
    groupRows = Number(c.row_group_num_rows);
  }
  const col = `"${String(c.path_in_schema).replaceAll('"', '""')}"`;
  const [actual] = (await conn.runAndReadAll(
    `SELECT min(${col})::VARCHAR AS min, max(${col})::VARCHAR AS max, (count(*) - count(${col}))::VARCHAR AS nulls
     FROM read_parquet(${file}, file_row_number = true)
     WHERE file_row_number >= ${first} AND file_row_number < ${first + groupRows}`)).getRowObjectsJson();
  out.push({
    row_group: group,
    column: c.path_in_schema,
    stats_min: c.stats_min_value,
    stats_max: c.stats_max_value,
    stats_nulls: c.stats_null_count === null ? null : String(c.stats_null_count),
    min: actual.min,
    max: actual.max,
    nulls: actual.nulls,
  });
}
process.stdout.write(JSON.stringify(out) + '\n');

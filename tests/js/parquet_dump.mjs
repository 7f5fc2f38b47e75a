// Prints a Parquet file as DuckDB reads it, for the C++ parquet tests:
// line 1 is a JSON array of DuckDB column types, then one JSON array per
// row whose values are strings (or null) in a canonical form: timestamps as
// µs since the epoch, dates as ISO, decimals and ints as DuckDB prints them,
// booleans as true/false; doubles as JavaScript's shortest round-trip form.
//   node parquet_dump.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: node parquet_dump.mjs FILE');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const file = `read_parquet('${path.replaceAll("'", "''")}')`;
const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${file}`)).getRowObjectsJson();
const exprs = described.map(({ column_name: name, column_type: type }) => {
  const quoted = `"${String(name).replaceAll('"', '""')}"`;
  if (String(type).startsWith('TIMESTAMP')) return `epoch_us(${quoted})::VARCHAR`;
  if (type === 'DOUBLE' || type === 'FLOAT') return `${quoted}::DOUBLE`;
  return `${quoted}::VARCHAR`;
});
const result = await conn.runAndReadAll(`SELECT ${exprs.join(', ')} FROM ${file}`);
const lines = [JSON.stringify(described.map((c) => c.column_type))];
for (const row of result.getRows()) {
  lines.push(JSON.stringify(row.map((v) => (v === null ? null : String(v)))));
}
process.stdout.write(lines.join('\n') + '\n');

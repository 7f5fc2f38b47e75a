// Prints how a Parquet file is laid out, as DuckDB decodes its footer, for
// the C++ parquet tests to check that a file has the shape a test claims:
//   {"created_by", "schema": [{name, type, type_length, repetition_type,
//    converted_type, logical_type, precision, scale}, ...] (root first),
//    "chunks": [{row_group, column, type, encodings}, ...]}
// with every value a string or null.
//   node parquet_layout.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: node parquet_layout.mjs FILE');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const file = `'${path.replaceAll("'", "''")}'`;
const rows = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
const text = (v) => (v === null || v === undefined ? null : String(v));

const [meta] = await rows(`SELECT created_by FROM parquet_file_metadata(${file})`);
const schema = (await rows(
  `SELECT name, type, type_length, repetition_type, converted_type, logical_type, precision, scale
   FROM parquet_schema(${file})`)).map((e) => Object.fromEntries(
  Object.entries(e).map(([k, v]) => [k, text(v)])));
const chunks = (await rows(
  `SELECT row_group_id, path_in_schema, type, encodings FROM parquet_metadata(${file})
   ORDER BY row_group_id, column_id`)).map((c) => ({
  row_group: text(c.row_group_id),
  column: text(c.path_in_schema),
  type: text(c.type),
  encodings: text(c.encodings),
}));
process.stdout.write(JSON.stringify({ created_by: text(meta.created_by), schema, chunks }) + '\n');

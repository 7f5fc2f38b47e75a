// Has DuckDB write a Parquet file, for the C++ parquet tests:
//   node parquet_make.mjs OUT_FILE 'SELECT ...' ['COMPRESSION zstd, ROW_GROUP_SIZE 1000']
// The third argument is appended to COPY's options after FORMAT parquet.
import { DuckDBInstance } from '@duckdb/node-api';

const [out, sql, options] = process.argv.slice(2);
if (!out || !sql) {
  console.error('usage: node parquet_make.mjs OUT_FILE SQL [COPY_OPTIONS]');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const target = out.replaceAll("'", "''");
await conn.run(`COPY (${sql}) TO '${target}' (FORMAT parquet${options ? `, ${options}` : ''})`);

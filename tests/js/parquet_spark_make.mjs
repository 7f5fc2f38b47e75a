// Writes a Parquet file shaped the way Spark writes one with its defaults
// and spark.sql.parquet.writeLegacyFormat=true, for the C++ parquet tests:
//   node parquet_spark_make.mjs OUT_FILE SPEC_JSON_FILE
// That shape, which DuckDB never writes, is: a root named "spark_schema";
// only ConvertedType annotations (no LogicalType); timestamps as INT96
// (Julian day + nanoseconds of the day); every decimal as a big-endian
// FIXED_LEN_BYTE_ARRAY of Spark's minimal width for its precision; DATE and
// UTF8 as converted types; Spark's footer key-value metadata and created_by.
//
// SPEC_JSON_FILE: {"rowGroupSize": N, "codec": "SNAPPY", "columns": [{"name",
// "type", "nullable", "precision", "scale", "values": [string | null, ...]}]}
// where type is one of int32 int64 double boolean string date timestamp
// decimal, and each value is the column's value as text: µs since the epoch
// (UTC) for timestamps, days since the epoch for dates, the unscaled integer
// for decimals, 0/1 for booleans. rowGroupSize (default 1000) and codec
// (default SNAPPY, as Spark's) may be left out.
//
// hyparquet-writer writes everything; it has no INT96 type, so a timestamp
// column is written as FIXED_LEN_BYTE_ARRAY(12) holding the INT96 bytes (PLAIN
// and dictionary pages of the two are byte for byte the same) and retyped to
// INT96 in the schema and column metadata before the footer is written.
import fs from 'node:fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

const [out, specPath] = process.argv.slice(2);
if (!out || !specPath) {
  console.error('usage: node parquet_spark_make.mjs OUT_FILE SPEC_JSON_FILE');
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));

const MICROS_PER_DAY = 86_400_000_000n;
const JULIAN_DAY_OF_UNIX_EPOCH = 2_440_588n;

// Spark's Decimal.minBytesForPrecision: the fewest bytes whose two's
// complement range holds 10^precision - 1.
function minBytesForPrecision(precision) {
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) < 10n ** BigInt(precision)) ++bytes;
  return bytes;
}

// INT96 as Spark writes it: nanoseconds of the day (int64 LE), then the
// Julian day (int32 LE).
function int96(micros) {
  let days = micros / MICROS_PER_DAY;
  if (days * MICROS_PER_DAY > micros) days -= 1n;  // floor for times before 1970
  const nanos = (micros - days * MICROS_PER_DAY) * 1000n;
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, nanos, true);
  view.setInt32(8, Number(days + JULIAN_DAY_OF_UNIX_EPOCH), true);
  return bytes;
}

// The schema element, the Spark SQL type name and the value conversion.
function describe(column) {
  const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED';
  const name = column.name;
  switch (column.type) {
    case 'int32':
      return [{ name, repetition_type, type: 'INT32' }, 'integer', Number];
    case 'int64':
      return [{ name, repetition_type, type: 'INT64' }, 'long', BigInt];
    case 'double':
      return [{ name, repetition_type, type: 'DOUBLE' }, 'double', Number];
    case 'boolean':
      return [{ name, repetition_type, type: 'BOOLEAN' }, 'boolean', (v) => v === '1'];
    case 'string':
      return [{ name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8' }, 'string',
        (v) => v];
    case 'date':
      return [{ name, repetition_type, type: 'INT32', converted_type: 'DATE' }, 'date', Number];
    case 'timestamp':
      // Retyped to INT96 before the footer is written; see the header.
      return [{ name, repetition_type, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12 },
        'timestamp', (v) => int96(BigInt(v))];
    case 'decimal': {
      const { precision, scale } = column;
      return [{
        name, repetition_type, type: 'FIXED_LEN_BYTE_ARRAY',
        type_length: minBytesForPrecision(precision), converted_type: 'DECIMAL', precision, scale,
      }, `decimal(${precision},${scale})`, BigInt];
    }
    default:
      throw new Error(`column ${name}: unknown type ${column.type}`);
  }
}

const schema = [{ name: 'spark_schema', num_children: spec.columns.length }];
const sparkFields = [];
const columnData = [];
const int96Columns = new Set();
for (const column of spec.columns) {
  const [element, sparkType, convert] = describe(column);
  schema.push(element);
  sparkFields.push({ name: column.name, type: sparkType, nullable: column.nullable, metadata: {} });
  if (column.type === 'timestamp') int96Columns.add(column.name);
  columnData.push({
    name: column.name,
    data: column.values.map((v) => (v === null ? null : convert(v))),
    // Byte-wise bounds of the INT96 bytes would be wrong; parquet-mr writes
    // none for INT96 either.
    statistics: column.type !== 'timestamp',
  });
}

const writer = new ByteWriter();
const parquet = new ParquetWriter({
  writer,
  schema,
  codec: spec.codec ?? 'SNAPPY',
  createdBy: 'parquet-mr version 1.13.1 (build db4183109d5b734ec5930d870cdae161e408ddba)',
  kvMetadata: [
    { key: 'org.apache.spark.version', value: '3.5.1' },
    {
      key: 'org.apache.spark.sql.parquet.row.metadata',
      value: JSON.stringify({ type: 'struct', fields: sparkFields }),
    },
  ],
});
parquet.write({ columnData, rowGroupSize: spec.rowGroupSize ?? 1000 });
for (const element of schema) {
  if (!int96Columns.has(element.name)) continue;
  element.type = 'INT96';
  delete element.type_length;
}
for (const group of parquet.row_groups) {
  for (const chunk of group.columns) {
    if (int96Columns.has(chunk.meta_data.path_in_schema[0])) chunk.meta_data.type = 'INT96';
  }
}
parquet.finish();
fs.writeFileSync(out, writer.getBytes());

// parquet_bench: times ctlflow's Parquet writer and reader on the example's
// taxi rows. The rows are generated and typed first (not timed), exactly as
// the ingest types them; then timed: writing them as one zstd Parquet file
// (dictionary on, 64 MiB row groups), and reading every column of every row
// group back. Prints one JSON line: rows, bytes, write_s, read_s.
//
//   parquet_bench ROWS OUT.parquet [CSV_OUT]
// With CSV_OUT the generated CSV is also written there, for the peer.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/csv.h"
#include "examples/example_files.h"
#include "examples/taxi_data.h"
#include "lakehouse/row_codec.h"
#include "objstore/object_store.h"
#include "processes/ingest_schema.h"

using namespace ctlflow;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::cerr << what << ": " << r.status().message() << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::cerr << what << ": " << st.message() << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: parquet_bench ROWS OUT.parquet [CSV_OUT]\n";
    return 2;
  }
  const int64_t rows = std::stoll(argv[1]);
  const std::string out_path = argv[2];
  std::string schema_text;
  for (const auto& f : ExampleFiles()) {
    if (std::string(f.path) == "lakehouse/config/ride.json") schema_text = f.content;
  }
  IngestSchema schema = Check(ParseIngestSchema(schema_text, "ride.json"), "schema");
  ParquetSchema pq;
  for (const auto& c : schema.columns) {
    WarehouseType t = c.StorageType();
    pq.columns.push_back({c.name, ParquetTypeFor(t.kind), c.nullable, t.precision, t.scale});
  }

  std::stringstream csv;
  WriteTaxiCsv(csv, rows);
  if (argc > 3) {
    std::ofstream(argv[3], std::ios::binary) << csv.str();
  }
  // Type the rows as the ingest does; the generator's bad lines are skipped.
  std::vector<RecordBatch> batches;
  {
    CsvReader reader(csv, "taxi.csv", ',');
    CsvRecord rec;
    BatchBuilder builder(pq);
    std::vector<Value> values(schema.columns.size());
    bool header = true;
    while (Check(reader.Next(&rec), "csv")) {
      if (header) {
        header = false;
        continue;
      }
      if (rec.fields.size() != schema.columns.size()) continue;
      bool ok = true;
      for (size_t i = 0; i < values.size() && ok; ++i) {
        if (rec.fields[i].text.empty()) {
          values[i] = std::monostate();
          ok = schema.columns[i].nullable;
          continue;
        }
        auto v = ConvertField(schema.columns[i], rec.fields[i].text);
        ok = v.ok();
        if (ok) values[i] = std::move(*v);
      }
      if (!ok || !builder.Append(values).ok()) continue;
      if (builder.rows() == 65536) batches.push_back(builder.Take());
    }
    if (builder.rows() > 0) batches.push_back(builder.Take());
  }
  int64_t typed = 0;
  for (const auto& b : batches) typed += b.rows;

  const size_t slash = out_path.find_last_of('/');
  auto store = Check(OpenObjectStore(slash == std::string::npos ? "." : out_path.substr(0, slash)), "store");
  const std::string key = slash == std::string::npos ? out_path : out_path.substr(slash + 1);

  auto start = std::chrono::steady_clock::now();
  auto sink = Check(store->OpenWrite(key), "open");
  ParquetWriterOptions options;
  auto writer = Check(ParquetWriter::Open(pq, options, sink.get()), "writer");
  for (const auto& b : batches) Check(writer->Write(b), "write");
  ParquetFileSummary summary = Check(writer->Finish(), "finish");
  Check(sink->Close(), "close");
  const double write_s = Seconds(start);

  start = std::chrono::steady_clock::now();
  auto reader = Check(ParquetReader::Open(Check(store->OpenRead(key), "open")), "reader");
  int64_t read_rows = 0;
  for (int g = 0; g < reader->num_row_groups(); ++g) read_rows += Check(reader->ReadRowGroup(g), "read").rows;
  const double read_s = Seconds(start);
  if (read_rows != typed) {
    std::cerr << "read " << read_rows << " rows, wrote " << typed << "\n";
    return 1;
  }
  std::cout << "{\"rows\": " << typed << ", \"bytes\": " << summary.bytes << ", \"write_s\": " << write_s
            << ", \"read_s\": " << read_s << "}\n";
  return 0;
}

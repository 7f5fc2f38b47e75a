#include "lakehouse/table_writer.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "iceberg/table.h"
#include "lakehouse/row_codec.h"

namespace ctlflow {

namespace {

std::string IcebergType(const WarehouseType& t) {
  using K = WarehouseType::Kind;
  switch (t.kind) {
    case K::kText: return "string";
    case K::kInteger: return "int";
    case K::kBigint: return "long";
    case K::kDouble: return "double";
    case K::kDecimal: return "decimal(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
    case K::kBoolean: return "boolean";
    case K::kDate: return "date";
    case K::kTimestamp: return "timestamptz";
  }
  return "string";
}

// The spec's single-value serialization of a Parquet column's bound.
std::optional<std::string> Bound(const ParquetColumn& c, const ColumnStats& s, bool upper) {
  if (!s.has_bounds) return std::nullopt;
  const int64_t i = upper ? s.max_int : s.min_int;
  switch (c.type) {
    case ParquetType::kInt32:
    case ParquetType::kDate: return SingleValueInt(static_cast<int32_t>(i));
    case ParquetType::kInt64:
    case ParquetType::kTimestamp: return SingleValueLong(i);
    case ParquetType::kDecimal: return SingleValueDecimal(i);
    case ParquetType::kBoolean: return std::string(1, static_cast<char>(i ? 1 : 0));
    case ParquetType::kDouble: return SingleValueDouble(upper ? s.max_double : s.min_double);
    case ParquetType::kString: {
      const std::string& v = upper ? s.max_string : s.min_string;
      // Long strings would bloat the manifests; a missing bound only costs pruning.
      if (v.size() > 64) return std::nullopt;
      return v;
    }
  }
  return std::nullopt;
}

// Typing rows into columns (BatchBuilder) and encoding and compressing them
// (ParquetWriter::Write) run on a thread of their own while the caller
// parses the next rows, so a long ingest keeps two cores busy. At most one
// chunk of rows waits, so memory stays bounded. The consumer's first error
// stops it and is returned to the caller by the next Push or by Close.
template <typename Item>
class BatchPipeline {
 public:
  explicit BatchPipeline(std::function<Status(Item)> consume) : consume_(std::move(consume)) {}
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;
  ~BatchPipeline() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      waiting_.reset();
      closing_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Status Push(Item item) {
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !waiting_ || !error_.ok(); });
    if (!error_.ok()) return error_;
    waiting_ = std::move(item);
    cv_.notify_all();
    return Status::Ok();
  }

  // Waits until every pushed batch is consumed.
  Status Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return error_;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return waiting_.has_value() || closing_; });
      if (!waiting_) return;
      Item item = std::move(*waiting_);
      waiting_.reset();
      cv_.notify_all();
      lock.unlock();
      Status st = consume_(std::move(item));
      lock.lock();
      if (!st.ok()) {
        error_ = st;
        waiting_.reset();
        cv_.notify_all();
        return;
      }
    }
  }

  std::function<Status(Item)> consume_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Item> waiting_;
  bool closing_ = false;
  Status error_;
  std::thread thread_;
};

class IcebergTableWriter final : public TableWriter {
 public:
  IcebergTableWriter(Lakehouse* lake, IcebergTable table, ParquetSchema schema, TableWriterOptions options,
                     nlohmann::json partition, std::string partition_name, std::string describe)
      : lake_(lake),
        table_(std::move(table)),
        schema_(std::move(schema)),
        options_(std::move(options)),
        partition_(std::move(partition)),
        partition_name_(std::move(partition_name)),
        describe_(std::move(describe)),
        builder_(schema_) {}

  ~IcebergTableWriter() override {
    pipeline_.reset();  // the encoder thread stops before its files go
    if (committed_) return;
    // Nothing references these files: remove them rather than leave orphans.
    writer_.reset();
    sink_.reset();
    for (const auto& f : files_) {
      auto key = table_.KeyOf(f.path);
      if (key.ok()) (void)lake_->store->Delete(*key);
    }
  }

  Status Add(const std::vector<Value>& values) override {
    if (values.size() != schema_.columns.size()) {
      return Status::Internal("a row of " + std::to_string(values.size()) + " values for " +
                              std::to_string(schema_.columns.size()) + " columns");
    }
    pending_.insert(pending_.end(), values.begin(), values.end());
    if (pending_.size() < kHandOffRows * schema_.columns.size()) return Status::Ok();
    std::vector<Value> chunk;
    chunk.swap(pending_);
    pending_.reserve(chunk.size());
    return pipeline_->Push(std::move(chunk));
  }

  Result<int64_t> Finish() override {
    if (!pending_.empty()) {
      std::vector<Value> chunk;
      chunk.swap(pending_);
      CTL_RETURN_IF_ERROR(pipeline_->Push(std::move(chunk)));
    }
    CTL_RETURN_IF_ERROR(pipeline_->Close());
    CTL_RETURN_IF_ERROR(Flush());
    CTL_RETURN_IF_ERROR(CloseFile());
    return rows_;
  }

  Result<TableCommit> Commit() override {
    Result<CommitResult> r = partition_.is_null() ? table_.Append(files_)
                                                  : table_.OverwritePartition(partition_, files_);
    CTL_RETURN_IF_ERROR(r.status());
    committed_ = true;
    TableCommit c;
    c.snapshot_id = r->snapshot_id;
    c.files_added = r->added_files;
    c.rows_added = r->added_records;
    for (const auto& f : files_) c.bytes_added += f.file_size;
    c.files_removed = r->removed_files;
    c.rows_removed = r->removed_records;
    c.metadata_location = r->metadata_location;
    return c;
  }

  std::string Describe() const override { return describe_; }

 private:
  // On the pipeline's thread: everything below touches only its own state
  // until Finish() has closed the pipeline. `rows` holds whole rows, a value
  // per column each.
  Status Build(std::vector<Value> rows) {
    const size_t width = schema_.columns.size();
    for (size_t at = 0; at < rows.size(); at += width) {
      Status st = builder_.Append(std::span<const Value>(rows.data() + at, width));
      if (!st.ok()) return st.WithContext("row " + std::to_string(rows_ + builder_.rows() + 1));
      if (builder_.rows() >= 65536 || builder_.buffered_bytes() >= (32 << 20)) CTL_RETURN_IF_ERROR(Flush());
    }
    return Status::Ok();
  }

  Status Flush() {
    if (builder_.rows() == 0) return Status::Ok();
    return Encode(builder_.Take());
  }

  Status Encode(const RecordBatch& batch) {
    if (writer_ == nullptr) CTL_RETURN_IF_ERROR(OpenFile());
    CTL_RETURN_IF_ERROR(writer_->Write(batch));
    rows_ += batch.rows;
    file_rows_ += batch.rows;
    if (options_.progress && rows_ / kProgressRows != (rows_ - batch.rows) / kProgressRows) {
      int64_t bytes = writer_->EstimatedBytes();
      for (const auto& f : files_) bytes += f.file_size;
      options_.progress(std::to_string(rows_) + " rows, " + std::to_string(bytes) + " bytes written so far (" +
                        std::to_string(files_.size() + 1) + (files_.empty() ? " file" : " files") + ")");
    }
    if (writer_->EstimatedBytes() >= options_.target_file_bytes) CTL_RETURN_IF_ERROR(CloseFile());
    return Status::Ok();
  }

  Status OpenFile() {
    CTL_ASSIGN_OR_RETURN(std::string table_key, table_.KeyOf(table_.metadata().location));
    std::string folder = table_key + "/data/";
    if (!partition_.is_null()) folder += partition_name_ + "=" + options_.partition_value + "/";
    key_ = folder + NewUuid() + "-" + std::to_string(files_.size()) + ".parquet";
    CTL_ASSIGN_OR_RETURN(sink_, lake_->store->OpenWrite(key_));
    CTL_ASSIGN_OR_RETURN(writer_, ParquetWriter::Open(schema_, options_.parquet, sink_.get()));
    file_rows_ = 0;
    return Status::Ok();
  }

  Status CloseFile() {
    if (writer_ == nullptr) return Status::Ok();
    CTL_ASSIGN_OR_RETURN(ParquetFileSummary summary, writer_->Finish());
    CTL_RETURN_IF_ERROR(sink_->Close());
    writer_.reset();
    sink_.reset();
    DataFile f;
    f.path = lake_->store->Url(key_);
    if (!partition_.is_null()) f.partition = {partition_};
    f.record_count = summary.rows;
    f.file_size = summary.bytes;
    for (size_t i = 0; i < schema_.columns.size() && i < summary.columns.size(); ++i) {
      const ColumnStats& s = summary.columns[i];
      ColumnMetrics m;
      m.column_size = s.compressed_bytes;
      m.value_count = s.value_count;
      m.null_count = s.null_count;
      m.lower = Bound(schema_.columns[i], s, false);
      m.upper = Bound(schema_.columns[i], s, true);
      f.metrics[schema_.columns[i].field_id] = std::move(m);
    }
    files_.push_back(f);
    if (options_.progress) {
      options_.progress("wrote " + f.path + " (" + std::to_string(f.record_count) + " rows, " +
                        std::to_string(f.file_size) + " bytes; " + std::to_string(rows_) + " rows in " +
                        std::to_string(files_.size()) + " files so far)");
    }
    return Status::Ok();
  }

  Lakehouse* lake_;
  IcebergTable table_;
  ParquetSchema schema_;
  TableWriterOptions options_;
  nlohmann::json partition_;  // null: unpartitioned, append
  std::string partition_name_;  // the spec's field name: data_dt, data_dt_day
  std::string describe_;
  BatchBuilder builder_;
  std::unique_ptr<ByteSink> sink_;
  std::unique_ptr<ParquetWriter> writer_;
  std::string key_;
  std::vector<DataFile> files_;
  static constexpr int64_t kProgressRows = 100000;  // a progress line each time rows_ passes a multiple
  int64_t rows_ = 0, file_rows_ = 0;
  bool committed_ = false;
  static constexpr size_t kHandOffRows = 8192;  // rows per chunk handed to the pipeline
  std::vector<Value> pending_;  // rows not handed off yet, flat
  std::unique_ptr<BatchPipeline<std::vector<Value>>> pipeline_ = std::make_unique<BatchPipeline<std::vector<Value>>>(
      [this](std::vector<Value> rows) { return Build(std::move(rows)); });
};

}  // namespace

Result<std::unique_ptr<TableWriter>> TableWriter::Open(Lakehouse* lake, const TableIdent& ident,
                                                       const std::vector<TableColumn>& columns,
                                                       const TableWriterOptions& options) {
  std::vector<IcebergField> fields;
  for (const auto& c : columns) fields.push_back({0, c.name, IcebergType(c.type), !c.nullable, ""});
  const std::string shown = lake->name + ":" + ident.ToString();
  std::string describe;
  auto loaded = IcebergTable::Load(lake->store.get(), lake->catalog.get(), ident);
  if (!loaded.ok() && loaded.status().code() != ErrorCode::kNotFound) return loaded.status();
  std::optional<IcebergTable> table;
  if (loaded.ok()) {
    table.emplace(std::move(*loaded));
    // Columns the table lacks are added; a changed type is refused.
    const size_t before = table->metadata().CurrentSchema().fields.size();
    CTL_ASSIGN_OR_RETURN(IcebergSchema evolved, table->AddColumns(fields));
    const size_t added = evolved.fields.size() - before;
    describe = shown + (added ? " (" + std::to_string(added) + " columns added)" : "");
  } else {
    std::vector<std::pair<std::string, std::string>> partition_by;
    if (!options.partition_column.empty()) partition_by.emplace_back(options.partition_column, options.partition_transform);
    CTL_ASSIGN_OR_RETURN(IcebergTable created,
                         IcebergTable::Create(lake->store.get(), lake->catalog.get(), ident, Lakehouse::TableKey(ident),
                                              fields, partition_by));
    table.emplace(std::move(created));
    describe = shown + " (created at " + table->metadata().location + ")";
  }
  const IcebergSchema& schema = table->metadata().CurrentSchema();
  ParquetSchema pq;
  for (const auto& c : columns) {
    const IcebergField* f = schema.Find(c.name);
    if (f == nullptr) return Status::Internal(shown + ": column " + c.name + " missing after schema evolution");
    pq.columns.push_back({f->name, ParquetTypeFor(c.type.kind), !f->required, c.type.precision, c.type.scale, f->id});
  }

  nlohmann::json partition;  // null: append to an unpartitioned table
  std::string partition_name;
  if (!options.partition_column.empty()) {
    const PartitionSpec& spec = table->metadata().DefaultSpec();
    const IcebergField* source = schema.Find(options.partition_column);
    if (spec.fields.size() != 1 || source == nullptr || spec.fields[0].source_id != source->id ||
        (spec.fields[0].transform != "identity" && !(spec.fields[0].transform == "day" && source->type == "date"))) {
      return Status::Invalid(shown + " is not partitioned by identity(" + options.partition_column + ") or day(" +
                             options.partition_column + "), so a run cannot replace its " + options.partition_column +
                             "; its partition spec is " + SpecFieldsToJson(spec).dump());
    }
    partition_name = spec.fields[0].name;
    // day(date) and identity(date) both hold days since 1970-01-01.
    if (source->type == "date") {
      CTL_ASSIGN_OR_RETURN(int64_t days, ParseIsoDate(options.partition_value));
      partition = days;
    } else if (source->type == "int" || source->type == "long") {
      partition = std::stoll(options.partition_value);
    } else {
      partition = options.partition_value;
    }
  }
  return std::unique_ptr<TableWriter>(std::make_unique<IcebergTableWriter>(lake, std::move(*table), std::move(pq), options,
                                                                           std::move(partition), std::move(partition_name),
                                                                           describe));
}

}  // namespace ctlflow

#include "lakehouse/table_reader.h"

#include <regex>

#include "common/strings.h"
#include "iceberg/table.h"
#include "lakehouse/row_codec.h"

namespace ctlflow {

namespace {

Result<TableColumn> ColumnFor(const IcebergField& f) {
  using K = WarehouseType::Kind;
  static const std::regex kDecimal(R"(decimal\(\s*(\d+)\s*,\s*(\d+)\s*\))");
  std::smatch m;
  TableColumn c{f.name, {K::kText}, !f.required};
  if (f.type == "string") c.type = {K::kText};
  else if (f.type == "int") c.type = {K::kInteger};
  else if (f.type == "long") c.type = {K::kBigint};
  else if (f.type == "double" || f.type == "float") c.type = {K::kDouble};
  else if (f.type == "boolean") c.type = {K::kBoolean};
  else if (f.type == "date") c.type = {K::kDate};
  else if (f.type == "timestamptz" || f.type == "timestamp") c.type = {K::kTimestamp};
  else if (std::regex_match(f.type, m, kDecimal)) c.type = {K::kDecimal, std::stoi(m[1]), std::stoi(m[2])};
  else return Status::Invalid("column " + f.name + ": type " + f.type + " is not supported");
  return c;
}

// A column of `rows` nulls.
ColumnData NullColumn(const ParquetColumn& c, int64_t rows) {
  ColumnData d;
  const size_t n = static_cast<size_t>(rows);
  d.valid.assign(n, 0);
  if (c.type == ParquetType::kString) d.strings.resize(n);
  else if (c.type == ParquetType::kDouble) d.doubles.resize(n);
  else d.ints.resize(n);
  return d;
}

class IcebergTableReader final : public TableReader {
 public:
  IcebergTableReader(Lakehouse* lake, IcebergTable table, int64_t snapshot_id, std::vector<TableColumn> columns,
                     ParquetSchema schema, std::vector<int> field_ids, std::vector<DataFile> files)
      : lake_(lake),
        table_(std::move(table)),
        snapshot_id_(snapshot_id),
        columns_(std::move(columns)),
        schema_(std::move(schema)),
        field_ids_(std::move(field_ids)),
        files_(std::move(files)) {}

  const std::vector<TableColumn>& columns() const override { return columns_; }
  const ParquetSchema& parquet_schema() const override { return schema_; }
  int64_t snapshot_id() const override { return snapshot_id_; }
  int64_t file_count() const override { return static_cast<int64_t>(files_.size()); }
  int64_t record_count() const override {
    int64_t n = 0;
    for (const auto& f : files_) n += f.record_count;
    return n;
  }

  Status Read(const std::function<Status(const RecordBatch&)>& fn) override {
    for (const auto& file : files_) {
      CTL_ASSIGN_OR_RETURN(std::string key, table_.KeyOf(file.path));
      CTL_ASSIGN_OR_RETURN(auto source, lake_->store->OpenRead(key));
      CTL_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(std::move(source)));
      // Table columns to file columns: by field id, else by name (files
      // written without ids); a column added later is absent (null).
      std::vector<int> wanted;
      std::vector<int> position(columns_.size(), -1);
      const ParquetSchema& fs = reader->schema();
      for (size_t c = 0; c < columns_.size(); ++c) {
        int found = -1;
        for (size_t i = 0; i < fs.columns.size() && found < 0; ++i) {
          if (fs.columns[i].field_id == field_ids_[c]) found = static_cast<int>(i);
        }
        for (size_t i = 0; i < fs.columns.size() && found < 0; ++i) {
          if (fs.columns[i].field_id < 0 && Lower(fs.columns[i].name) == Lower(columns_[c].name)) found = static_cast<int>(i);
        }
        if (found >= 0) {
          if (fs.columns[found].type != schema_.columns[c].type) {
            return Status::Invalid(file.path + ": column " + columns_[c].name +
                                   " has another type in this file than in the table's schema");
          }
          position[c] = static_cast<int>(wanted.size());
          wanted.push_back(found);
        }
      }
      if (reader->num_rows() != file.record_count) {
        return Status::Invalid(file.path + ": holds " + std::to_string(reader->num_rows()) +
                               " rows but the manifest says " + std::to_string(file.record_count));
      }
      for (int g = 0; g < reader->num_row_groups(); ++g) {
        CTL_ASSIGN_OR_RETURN(RecordBatch got, reader->ReadRowGroup(g, wanted));
        RecordBatch out;
        out.rows = got.rows;
        for (size_t c = 0; c < columns_.size(); ++c) {
          out.columns.push_back(position[c] >= 0 ? std::move(got.columns[position[c]])
                                                 : NullColumn(schema_.columns[c], got.rows));
        }
        CTL_RETURN_IF_ERROR(fn(out));
      }
    }
    return Status::Ok();
  }

 private:
  Lakehouse* lake_;
  IcebergTable table_;
  int64_t snapshot_id_;
  std::vector<TableColumn> columns_;
  ParquetSchema schema_;
  std::vector<int> field_ids_;
  std::vector<DataFile> files_;
};

}  // namespace

Result<std::unique_ptr<TableReader>> TableReader::Open(Lakehouse* lake, const TableIdent& ident,
                                                       const TableScanOptions& options) {
  const std::string shown = lake->name + ":" + ident.ToString();
  CTL_ASSIGN_OR_RETURN(IcebergTable table, IcebergTable::Load(lake->store.get(), lake->catalog.get(), ident));
  const TableMetadata& m = table.metadata();
  const Snapshot* snap = m.CurrentSnapshot();
  if (options.snapshot_id) {
    snap = m.FindSnapshot(*options.snapshot_id);
    if (snap == nullptr) return Status::NotFound(shown + " has no snapshot " + std::to_string(*options.snapshot_id));
  } else if (options.as_of_ms) {
    snap = m.SnapshotAsOf(*options.as_of_ms);
    if (snap == nullptr) return Status::NotFound(shown + " had no snapshot yet at that time");
  }
  // A snapshot is read with the schema it was written with.
  const IcebergSchema* schema = &m.CurrentSchema();
  if (snap != nullptr && snap->schema_id && (options.snapshot_id || options.as_of_ms)) {
    for (const auto& s : m.schemas) {
      if (s.schema_id == *snap->schema_id) schema = &s;
    }
  }
  std::vector<TableColumn> columns;
  ParquetSchema pq;
  std::vector<int> ids;
  for (const auto& f : schema->fields) {
    auto c = ColumnFor(f);
    if (!c.ok()) return c.status().WithContext(shown);
    pq.columns.push_back({f.name, ParquetTypeFor(c->type.kind), !f.required, c->type.precision, c->type.scale, f.id});
    columns.push_back(std::move(*c));
    ids.push_back(f.id);
  }
  std::vector<DataFile> files;
  if (snap != nullptr) {
    CTL_ASSIGN_OR_RETURN(files, table.LiveFiles(snap->snapshot_id));
  }
  if (!options.partition_column.empty()) {
    const PartitionSpec& spec = m.DefaultSpec();
    const IcebergField* source = schema->Find(options.partition_column);
    int index = -1;
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      if (source != nullptr && spec.fields[i].source_id == source->id && spec.fields[i].transform == "identity") {
        index = static_cast<int>(i);
      }
    }
    if (index >= 0) {
      nlohmann::json value = options.partition_value;
      if (source->type == "date") {
        CTL_ASSIGN_OR_RETURN(int64_t days, ParseIsoDate(options.partition_value));
        value = days;
      }
      std::vector<DataFile> in;
      for (auto& f : files) {
        if (static_cast<int>(f.partition.size()) > index && f.partition[index] == value) in.push_back(std::move(f));
      }
      files = std::move(in);
    }
  }
  return std::unique_ptr<TableReader>(std::make_unique<IcebergTableReader>(
      lake, std::move(table), snap ? snap->snapshot_id : 0, std::move(columns), std::move(pq), std::move(ids),
      std::move(files)));
}

}  // namespace ctlflow

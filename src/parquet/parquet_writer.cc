// ParquetWriter: buffers each column chunk's encoded pages in memory and
// writes a row group when the buffered size passes row_group_bytes, because
// a chunk's dictionary page must precede its data pages but is only complete
// at the end of the chunk.
#include <cmath>
#include <cstring>
#include <limits>

#include "parquet/compression.h"
#include "parquet/dictionary.h"
#include "parquet/encoding.h"
#include "parquet/parquet.h"
#include "parquet/thrift_metadata.h"

namespace ctlflow {

namespace {

constexpr std::string_view kMagic = "PAR1";
// Rows appended to every column before sizes are checked: small enough for
// pages and row groups to land near their targets, large enough to keep the
// per-check overhead out of the profile.
constexpr size_t kSliceRows = 4096;

enum class Kind { kInt32, kInt64, kDouble, kBoolean, kString };

Kind KindOf(ParquetType type) {
  switch (type) {
    case ParquetType::kInt32:
    case ParquetType::kDate:
      return Kind::kInt32;
    case ParquetType::kInt64:
    case ParquetType::kTimestamp:
    case ParquetType::kDecimal:
      return Kind::kInt64;
    case ParquetType::kDouble:
      return Kind::kDouble;
    case ParquetType::kBoolean:
      return Kind::kBoolean;
    case ParquetType::kString:
      return Kind::kString;
  }
  return Kind::kString;
}

int32_t PhysicalOf(Kind kind) {
  switch (kind) {
    case Kind::kInt32:
      return kPhysInt32;
    case Kind::kInt64:
      return kPhysInt64;
    case Kind::kDouble:
      return kPhysDouble;
    case Kind::kBoolean:
      return kPhysBoolean;
    case Kind::kString:
      return kPhysByteArray;
  }
  return kPhysByteArray;
}

ThriftSchemaElement LeafElement(const ParquetColumn& c) {
  ThriftSchemaElement e;
  e.name = c.name;
  e.type = PhysicalOf(KindOf(c.type));
  e.repetition = c.nullable ? kRepOptional : kRepRequired;
  if (c.field_id >= 0) e.field_id = c.field_id;
  switch (c.type) {
    case ParquetType::kString:
      e.converted_type = kConvUtf8;
      e.logical.kind = kLogicalString;
      break;
    case ParquetType::kDate:
      e.converted_type = kConvDate;
      e.logical.kind = kLogicalDate;
      break;
    case ParquetType::kTimestamp:
      e.converted_type = kConvTimestampMicros;
      e.logical.kind = kLogicalTimestamp;
      e.logical.adjusted_to_utc = true;
      e.logical.unit = kUnitMicros;
      break;
    case ParquetType::kDecimal:
      e.converted_type = kConvDecimal;
      e.scale = c.scale;
      e.precision = c.precision;
      e.logical.kind = kLogicalDecimal;
      e.logical.scale = c.scale;
      e.logical.precision = c.precision;
      break;
    default:
      break;
  }
  return e;
}

void AppendLe32(uint32_t v, std::string* out) {
  char b[4];
  std::memcpy(b, &v, 4);  // Parquet is little-endian, as is every target we build for
  out->append(b, 4);
}

template <typename T>
void AppendPlain(T v, std::string* out) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

void AppendPlainString(std::string_view s, std::string* out) {
  AppendLe32(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

// One column's chunk in the current row group: its pages so far, the page
// being filled, its dictionary and its statistics.
class ColumnChunkWriter {
 public:
  ColumnChunkWriter(const ParquetColumn& column, const ParquetWriterOptions& options,
                    PageCompressor* compressor)
      : column_(column), options_(options), kind_(KindOf(column.type)), compressor_(compressor) {
    ResetChunk();
  }

  void Append(const ColumnData& data, size_t begin, size_t end);
  int64_t BufferedBytes() const {
    return static_cast<int64_t>(chunk_.size() + PageEstimate() + dict_plain_.size());
  }
  Status MaybeFlushPage() {
    if (dict_active_ && static_cast<int64_t>(dict_plain_.size()) > options_.dictionary_bytes) {
      // The dictionary stopped paying off: keep it for the pages already
      // written and encode the rest of the chunk PLAIN.
      CTL_RETURN_IF_ERROR(FlushPage());
      dict_active_ = false;
    }
    if (static_cast<int64_t>(PageEstimate()) >= options_.page_bytes || page_rows_ >= options_.page_rows) {
      return FlushPage();
    }
    return Status::Ok();
  }
  // Writes the chunk at the sink's position (file offset `offset`).
  Status WriteChunk(ByteSink* sink, int64_t offset, ThriftColumnChunk* out,
                    ColumnStats* file_stats);

 private:
  size_t PageEstimate() const {
    size_t values = dict_active_
                        ? indices_.size() * static_cast<size_t>(BitWidthOf(dict_size())) / 8
                        : plain_.size();
    if (kind_ == Kind::kBoolean) values /= 8;
    return values + def_levels_.size() / 8;
  }
  size_t dict_size() const {
    return kind_ == Kind::kString ? dict_strings_.size() : dict_ints_.size();
  }
  void ResetChunk();
  Status FlushPage();
  void UpdateIntStats(int64_t v) {
    if (!has_bounds_) {
      min_int_ = max_int_ = v;
      has_bounds_ = true;
    } else {
      min_int_ = std::min(min_int_, v);
      max_int_ = std::max(max_int_, v);
    }
  }
  template <typename T>
  void AppendFixed(T v, uint64_t key);
  void AppendString(std::string_view v);

  const ParquetColumn& column_;
  const ParquetWriterOptions& options_;
  Kind kind_;
  PageCompressor* compressor_;

  // Current page.
  std::vector<uint8_t> def_levels_;
  std::string plain_;
  std::vector<uint32_t> indices_;
  int64_t page_rows_ = 0;
  // Current chunk.
  std::string chunk_;
  int64_t chunk_rows_ = 0, chunk_nulls_ = 0, uncompressed_bytes_ = 0;
  bool dict_active_ = false, wrote_dict_pages_ = false, wrote_plain_pages_ = false;
  DictionaryIndex<uint64_t> dict_ints_;
  DictionaryIndex<std::string_view> dict_strings_;
  StringArena arena_;
  std::string dict_plain_;
  bool has_bounds_ = false;
  int64_t min_int_ = 0, max_int_ = 0;
  double min_double_ = 0, max_double_ = 0;
  std::string min_string_, max_string_;
  // Scratch buffers reused across pages.
  std::string body_, levels_, compressed_;
};

void ColumnChunkWriter::ResetChunk() {
  chunk_.clear();
  chunk_rows_ = chunk_nulls_ = uncompressed_bytes_ = 0;
  dict_active_ = options_.dictionary && kind_ != Kind::kBoolean;
  wrote_dict_pages_ = wrote_plain_pages_ = false;
  dict_ints_.Clear();
  dict_strings_.Clear();
  arena_.Clear();
  dict_plain_.clear();
  has_bounds_ = false;
  min_string_.clear();
  max_string_.clear();
}

template <typename T>
void ColumnChunkWriter::AppendFixed(T v, uint64_t key) {
  if (dict_active_) {
    bool inserted = false;
    const uint32_t id = dict_ints_.FindOrInsert(
        key, [](uint64_t k) { return k; }, &inserted);
    if (inserted) AppendPlain(v, &dict_plain_);
    indices_.push_back(id);
  } else {
    AppendPlain(v, &plain_);
  }
}

void ColumnChunkWriter::AppendString(std::string_view v) {
  if (!has_bounds_) {
    min_string_ = max_string_ = v;
    has_bounds_ = true;
  } else if (v < std::string_view(min_string_)) {
    min_string_ = v;
  } else if (v > std::string_view(max_string_)) {
    max_string_ = v;
  }
  if (dict_active_) {
    bool inserted = false;
    const uint32_t id = dict_strings_.FindOrInsert(
        v, [this](std::string_view k) { return arena_.Add(k); }, &inserted);
    if (inserted) AppendPlainString(v, &dict_plain_);
    indices_.push_back(id);
  } else {
    AppendPlainString(v, &plain_);
  }
}

void ColumnChunkWriter::Append(const ColumnData& data, size_t begin, size_t end) {
  const bool has_valid = !data.valid.empty();
  if (column_.nullable) {
    if (has_valid) {
      for (size_t i = begin; i < end; ++i) def_levels_.push_back(data.valid[i] != 0);
    } else {
      def_levels_.insert(def_levels_.end(), end - begin, 1);
    }
  }
  page_rows_ += static_cast<int64_t>(end - begin);
  chunk_rows_ += static_cast<int64_t>(end - begin);
  if (kind_ == Kind::kString) plain_.reserve(plain_.size() + (end - begin) * 8);
  for (size_t i = begin; i < end; ++i) {
    if (has_valid && data.valid[i] == 0) {
      ++chunk_nulls_;
      continue;
    }
    switch (kind_) {
      case Kind::kInt32: {
        const int32_t v = static_cast<int32_t>(data.ints[i]);
        UpdateIntStats(v);
        AppendFixed(v, static_cast<uint64_t>(static_cast<int64_t>(v)));
        break;
      }
      case Kind::kInt64: {
        const int64_t v = data.ints[i];
        UpdateIntStats(v);
        AppendFixed(v, static_cast<uint64_t>(v));
        break;
      }
      case Kind::kDouble: {
        const double v = data.doubles[i];
        if (!std::isnan(v)) {  // NaN has no place in an order, so bounds skip it
          if (!has_bounds_) {
            min_double_ = max_double_ = v;
            has_bounds_ = true;
          } else {
            min_double_ = std::min(min_double_, v);
            max_double_ = std::max(max_double_, v);
          }
        }
        uint64_t bits;
        std::memcpy(&bits, &v, 8);
        AppendFixed(v, bits);
        break;
      }
      case Kind::kBoolean: {
        const bool v = data.ints[i] != 0;
        UpdateIntStats(v ? 1 : 0);
        plain_.push_back(v ? 1 : 0);
        break;
      }
      case Kind::kString:
        AppendString(data.strings[i]);
        break;
    }
  }
}

Status ColumnChunkWriter::FlushPage() {
  if (page_rows_ == 0) return Status::Ok();
  body_.clear();
  if (column_.nullable) {
    levels_.clear();
    EncodeRleBitPacked(def_levels_.data(), def_levels_.size(), 1, &levels_);
    AppendLe32(static_cast<uint32_t>(levels_.size()), &body_);
    body_.append(levels_);
  }
  int32_t encoding = kEncPlain;
  if (dict_active_ && !indices_.empty()) {
    encoding = kEncRleDictionary;
    const int width = std::max(1, BitWidthOf(dict_size() - 1));
    body_.push_back(static_cast<char>(width));
    EncodeRleBitPacked(indices_.data(), indices_.size(), width, &body_);
    wrote_dict_pages_ = true;
  } else if (kind_ == Kind::kBoolean) {
    const size_t start = body_.size();
    body_.resize(start + (plain_.size() + 7) / 8, 0);
    for (size_t i = 0; i < plain_.size(); ++i) {
      if (plain_[i])
        body_[start + i / 8] = static_cast<char>(body_[start + i / 8] | (1 << (i % 8)));
    }
    wrote_plain_pages_ = true;
  } else {
    body_.append(plain_);
    wrote_plain_pages_ = true;
  }
  if (body_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::Invalid("parquet: a page of column '" + column_.name + "' exceeds 2 GiB");
  }
  CTL_RETURN_IF_ERROR(compressor_->Compress(body_, &compressed_));
  ThriftPageHeader header;
  header.type = kPageData;
  header.uncompressed_page_size = static_cast<int32_t>(body_.size());
  header.compressed_page_size = static_cast<int32_t>(compressed_.size());
  header.data_page =
      ThriftPageHeader::DataPage{static_cast<int32_t>(page_rows_), encoding, kEncRle, kEncRle};
  const std::string header_bytes = SerializePageHeader(header);
  chunk_.append(header_bytes);
  chunk_.append(compressed_);
  uncompressed_bytes_ += static_cast<int64_t>(header_bytes.size() + body_.size());
  def_levels_.clear();
  plain_.clear();
  indices_.clear();
  page_rows_ = 0;
  return Status::Ok();
}

std::string EncodeBound(Kind kind, int64_t i, double d, const std::string& s) {
  std::string out;
  switch (kind) {
    case Kind::kInt32:
      AppendPlain(static_cast<int32_t>(i), &out);
      break;
    case Kind::kInt64:
      AppendPlain(i, &out);
      break;
    case Kind::kDouble:
      AppendPlain(d, &out);
      break;
    case Kind::kBoolean:
      out.push_back(static_cast<char>(i != 0));
      break;
    case Kind::kString:
      out = s;
      break;
  }
  return out;
}

Status ColumnChunkWriter::WriteChunk(ByteSink* sink, int64_t offset, ThriftColumnChunk* out,
                                     ColumnStats* file_stats) {
  CTL_RETURN_IF_ERROR(FlushPage());
  ThriftColumnMetaData m;
  m.type = PhysicalOf(kind_);
  m.path_in_schema = {column_.name};
  m.codec = CodecId(options_.codec);
  m.num_values = chunk_rows_;
  int64_t written = 0;
  if (wrote_dict_pages_) {
    CTL_RETURN_IF_ERROR(compressor_->Compress(dict_plain_, &compressed_));
    ThriftPageHeader header;
    header.type = kPageDictionary;
    header.uncompressed_page_size = static_cast<int32_t>(dict_plain_.size());
    header.compressed_page_size = static_cast<int32_t>(compressed_.size());
    header.dictionary_page =
        ThriftPageHeader::DictionaryPage{static_cast<int32_t>(dict_size()), kEncPlain};
    const std::string header_bytes = SerializePageHeader(header);
    CTL_RETURN_IF_ERROR(sink->Write(header_bytes));
    CTL_RETURN_IF_ERROR(sink->Write(compressed_));
    written = static_cast<int64_t>(header_bytes.size() + compressed_.size());
    uncompressed_bytes_ += static_cast<int64_t>(header_bytes.size() + dict_plain_.size());
    m.dictionary_page_offset = offset;
    m.encodings = {kEncPlain, kEncRle, kEncRleDictionary};
  } else {
    m.encodings = {kEncPlain, kEncRle};
  }
  m.data_page_offset = offset + written;
  CTL_RETURN_IF_ERROR(sink->Write(chunk_));
  written += static_cast<int64_t>(chunk_.size());
  m.total_compressed_size = written;
  m.total_uncompressed_size = uncompressed_bytes_;

  ThriftStatistics stats;
  stats.null_count = chunk_nulls_;
  if (has_bounds_) {
    // Parquet asks for -0.0 as a minimum and +0.0 as a maximum of zero, so
    // readers that prune on bounds never skip a zero of the other sign.
    const double min_d = min_double_ == 0 ? -0.0 : min_double_;
    const double max_d = max_double_ == 0 ? 0.0 : max_double_;
    stats.min_value = EncodeBound(kind_, min_int_, min_d, min_string_);
    stats.max_value = EncodeBound(kind_, max_int_, max_d, max_string_);
  }
  m.statistics = stats;
  out->file_offset = offset;
  out->meta_data = std::move(m);

  file_stats->value_count += chunk_rows_;
  file_stats->null_count += chunk_nulls_;
  file_stats->compressed_bytes += written;
  if (has_bounds_) {
    if (!file_stats->has_bounds) {
      file_stats->min_int = min_int_;
      file_stats->max_int = max_int_;
      file_stats->min_double = min_double_;
      file_stats->max_double = max_double_;
      file_stats->min_string = min_string_;
      file_stats->max_string = max_string_;
      file_stats->has_bounds = true;
    } else {
      file_stats->min_int = std::min(file_stats->min_int, min_int_);
      file_stats->max_int = std::max(file_stats->max_int, max_int_);
      file_stats->min_double = std::min(file_stats->min_double, min_double_);
      file_stats->max_double = std::max(file_stats->max_double, max_double_);
      if (min_string_ < file_stats->min_string) file_stats->min_string = min_string_;
      if (max_string_ > file_stats->max_string) file_stats->max_string = max_string_;
    }
  }
  ResetChunk();
  return Status::Ok();
}

class ParquetWriterImpl final : public ParquetWriter {
 public:
  ParquetWriterImpl(const ParquetSchema& schema, const ParquetWriterOptions& options,
                    ByteSink* sink)
      : schema_(schema),
        options_(options),
        sink_(sink),
        base_(sink->Tell()),
        compressor_(options.codec, options.zstd_level) {
    for (const ParquetColumn& c : schema_.columns) {
      columns_.push_back(std::make_unique<ColumnChunkWriter>(c, options_, &compressor_));
    }
    summary_.columns.resize(schema_.columns.size());
  }

  Status Write(const RecordBatch& batch) override;
  Result<ParquetFileSummary> Finish() override;
  int64_t EstimatedBytes() const override {
    int64_t bytes = sink_->Tell() - base_;
    for (const auto& c : columns_) bytes += c->BufferedBytes();
    return bytes;
  }

 private:
  Status Validate(const RecordBatch& batch) const;
  Status FlushRowGroup();

  ParquetSchema schema_;
  ParquetWriterOptions options_;
  ByteSink* sink_;
  int64_t base_;
  PageCompressor compressor_;
  std::vector<std::unique_ptr<ColumnChunkWriter>> columns_;
  ThriftFileMetaData meta_;
  ParquetFileSummary summary_;
  int64_t group_rows_ = 0;
  bool finished_ = false;
};

Status ParquetWriterImpl::Validate(const RecordBatch& batch) const {
  if (batch.columns.size() != schema_.columns.size()) {
    return Status::Invalid("parquet: batch has " + std::to_string(batch.columns.size()) +
                           " columns, the schema " + std::to_string(schema_.columns.size()));
  }
  if (batch.rows < 0) return Status::Invalid("parquet: batch has a negative row count");
  const size_t rows = static_cast<size_t>(batch.rows);
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    const ParquetColumn& column = schema_.columns[c];
    const ColumnData& data = batch.columns[c];
    const Kind kind = KindOf(column.type);
    const char* vector_name = kind == Kind::kDouble   ? "doubles"
                              : kind == Kind::kString ? "strings"
                                                      : "ints";
    const size_t size = kind == Kind::kDouble   ? data.doubles.size()
                        : kind == Kind::kString ? data.strings.size()
                                                : data.ints.size();
    if (size != rows) {
      return Status::Invalid("parquet: column '" + column.name + "' has " + std::to_string(size) +
                             " " + vector_name + " for " + std::to_string(rows) + " rows");
    }
    if (!data.valid.empty() && data.valid.size() != rows) {
      return Status::Invalid("parquet: column '" + column.name + "' has " +
                             std::to_string(data.valid.size()) + " validity entries for " +
                             std::to_string(rows) + " rows");
    }
    if (!column.nullable && !data.valid.empty()) {
      for (size_t r = 0; r < rows; ++r) {
        if (data.valid[r] == 0) {
          return Status::Invalid("parquet: column '" + column.name + "' is required but row " +
                                 std::to_string(r) + " is null");
        }
      }
    }
    if (kind == Kind::kInt32) {
      for (size_t r = 0; r < rows; ++r) {
        const int64_t v = data.ints[r];
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
          if (data.IsNull(r)) continue;
          return Status::Invalid("parquet: column '" + column.name + "' row " + std::to_string(r) +
                                 ": " + std::to_string(v) + " does not fit in 32 bits");
        }
      }
    }
  }
  return Status::Ok();
}

Status ParquetWriterImpl::Write(const RecordBatch& batch) {
  if (finished_) return Status::Invalid("parquet: Write after Finish");
  CTL_RETURN_IF_ERROR(Validate(batch));
  const size_t rows = static_cast<size_t>(batch.rows);
  for (size_t begin = 0; begin < rows; begin += kSliceRows) {
    const size_t end = std::min(rows, begin + kSliceRows);
    int64_t buffered = 0;
    for (size_t c = 0; c < columns_.size(); ++c) {
      columns_[c]->Append(batch.columns[c], begin, end);
      CTL_RETURN_IF_ERROR(columns_[c]->MaybeFlushPage());
      buffered += columns_[c]->BufferedBytes();
    }
    group_rows_ += static_cast<int64_t>(end - begin);
    if (buffered >= options_.row_group_bytes) CTL_RETURN_IF_ERROR(FlushRowGroup());
  }
  return Status::Ok();
}

Status ParquetWriterImpl::FlushRowGroup() {
  if (group_rows_ == 0) return Status::Ok();
  ThriftRowGroup group;
  const int64_t start = sink_->Tell() - base_;
  group.file_offset = start;
  group.num_rows = group_rows_;
  group.ordinal = static_cast<int16_t>(meta_.row_groups.size());
  group.columns.resize(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    CTL_RETURN_IF_ERROR(columns_[c]->WriteChunk(sink_, sink_->Tell() - base_, &group.columns[c],
                                                &summary_.columns[c]));
    group.total_byte_size += group.columns[c].meta_data->total_uncompressed_size;
  }
  group.total_compressed_size = sink_->Tell() - base_ - start;
  meta_.num_rows += group_rows_;
  meta_.row_groups.push_back(std::move(group));
  group_rows_ = 0;
  return Status::Ok();
}

Result<ParquetFileSummary> ParquetWriterImpl::Finish() {
  if (finished_) return Status::Invalid("parquet: Finish called twice");
  finished_ = true;
  CTL_RETURN_IF_ERROR(FlushRowGroup());
  meta_.version = 1;
  ThriftSchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema_.columns.size());
  meta_.schema.push_back(root);
  for (const ParquetColumn& c : schema_.columns) meta_.schema.push_back(LeafElement(c));
  meta_.created_by = options_.created_by;
  meta_.type_defined_orders = static_cast<int32_t>(schema_.columns.size());
  std::string footer = SerializeFileMetaData(meta_);
  AppendLe32(static_cast<uint32_t>(footer.size()), &footer);
  footer.append(kMagic);
  CTL_RETURN_IF_ERROR(sink_->Write(footer));
  summary_.rows = meta_.num_rows;
  summary_.row_groups = static_cast<int64_t>(meta_.row_groups.size());
  summary_.bytes = sink_->Tell() - base_;
  return summary_;
}

Status ValidateSchema(const ParquetSchema& schema, const ParquetWriterOptions& options) {
  if (schema.columns.empty()) return Status::Invalid("parquet: a schema needs at least one column");
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ParquetColumn& c = schema.columns[i];
    if (c.name.empty())
      return Status::Invalid("parquet: column " + std::to_string(i) + " has no name");
    for (size_t j = 0; j < i; ++j) {
      if (schema.columns[j].name == c.name) {
        return Status::Invalid("parquet: column name '" + c.name + "' appears twice");
      }
    }
    if (c.type == ParquetType::kDecimal &&
        (c.precision < 1 || c.precision > 18 || c.scale < 0 || c.scale > c.precision)) {
      return Status::Invalid("parquet: column '" + c.name + "': decimal(" +
                             std::to_string(c.precision) + "," + std::to_string(c.scale) +
                             ") is not supported (precision 1..18, 0 <= scale <= precision)");
    }
  }
  if (options.page_bytes <= 0 || options.row_group_bytes <= 0 || options.page_rows <= 0 || options.dictionary_bytes < 0) {
    return Status::Invalid("parquet: page_bytes, page_rows and row_group_bytes must be positive");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(const ParquetSchema& schema,
                                                           const ParquetWriterOptions& options,
                                                           ByteSink* sink) {
  CTL_RETURN_IF_ERROR(ValidateSchema(schema, options));
  auto writer = std::make_unique<ParquetWriterImpl>(schema, options, sink);
  CTL_RETURN_IF_ERROR(sink->Write(kMagic));
  return std::unique_ptr<ParquetWriter>(std::move(writer));
}

}  // namespace ctlflow

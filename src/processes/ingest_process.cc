#include "processes/ingest_process.h"

#include <glob.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "common/csv.h"
#include "common/shell_words.h"
#include "lakehouse/lakehouse.h"
#include "lakehouse/table_writer.h"
#include "processes/ingest_schema.h"
#include "warehouse/connections.h"

namespace ctlflow {

namespace {

namespace fs = std::filesystem;

struct IngestOptions {
  std::string schema, source, format, encoding = "utf-8", reject_path;
  std::string lakehouse;  // the connection holding the raw files
  char delimiter = ',';
  bool header = true;
  int64_t max_rejects = 0;
  std::string partition;  // a new Iceberg table's transform of data_dt (identity when unset)
};

Result<IngestOptions> ParseOptions(const ProcessContext& ctx) {
  IngestOptions o;
  CTL_ASSIGN_OR_RETURN(std::vector<std::string> words, SplitShellWords(ctx.process->af_parm));
  for (const auto& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return Status::Invalid("af_parm: '" + word + "' is not key=value");
    }
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "schema") o.schema = value;
    else if (key == "source") o.source = value;
    else if (key == "format") {
      if (value != "csv" && value != "jsonl") return Status::Invalid("af_parm: format must be csv or jsonl, not '" + value + "'");
      o.format = value;
    } else if (key == "delimiter") {
      if (value == "\\t" || value == "tab") value = "\t";
      if (value.size() != 1) return Status::Invalid("af_parm: delimiter must be one character, not '" + value + "'");
      o.delimiter = value[0];
    } else if (key == "header") {
      if (value != "0" && value != "1") return Status::Invalid("af_parm: header must be 1 or 0, not '" + value + "'");
      o.header = value == "1";
    } else if (key == "quote") {
      if (value != "\"") return Status::Invalid("af_parm: only quote=\" is supported, not '" + value + "'");
    } else if (key == "encoding") {
      std::string v = Lower(value);
      if (v == "utf8") v = "utf-8";
      if (v == "iso-8859-1" || v == "latin-1") v = "latin1";
      if (v != "utf-8" && v != "latin1") return Status::Invalid("af_parm: encoding must be utf-8 or latin1, not '" + value + "'");
      o.encoding = v;
    } else if (key == "max_rejects") {
      try {
        size_t used = 0;
        o.max_rejects = std::stoll(value, &used);
        if (used != value.size() || o.max_rejects < 0) throw std::invalid_argument(value);
      } catch (const std::exception&) {
        return Status::Invalid("af_parm: max_rejects must be a number >= 0, not '" + value + "'");
      }
    } else if (key == "reject_path") {
      o.reject_path = value;
    } else if (key == "lakehouse") {
      o.lakehouse = value;
    } else if (key == "partition") {
      if (value != "identity" && value != "day") {
        return Status::Invalid("af_parm: partition must be identity or day (how a new Iceberg table is partitioned by data_dt), not '" + value + "'");
      }
      o.partition = value;
    } else {
      return Status::Invalid("af_parm: unknown key '" + key +
                             "'; known: schema, source, format, delimiter, header, quote, encoding, "
                             "max_rejects, reject_path, lakehouse, partition");
    }
  }
  if (o.schema.empty()) return Status::Invalid("af_parm: schema=PATH (the JSON schema file) is required");
  return o;
}

std::string Resolve(const std::string& lakehouse, const std::string& path) {
  fs::path p = path;
  return p.is_relative() ? (fs::path(lakehouse) / p).string() : p.string();
}

Result<std::vector<std::string>> ExpandSource(const std::string& pattern) {
  glob_t g{};
  int rc = glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      if (fs::is_regular_file(g.gl_pathv[i])) files.emplace_back(g.gl_pathv[i]);
    }
  }
  globfree(&g);
  if (files.empty()) return Status::NotFound("no source file matches " + pattern);
  return files;
}

// Collects bad rows; the file is only written when there is one.
class Rejects {
 public:
  explicit Rejects(std::string path) : path_(std::move(path)) {}
  Status Add(const std::string& file, int64_t line, const std::string& reason, const std::string& raw) {
    if (count_ == 0) {
      std::error_code ec;
      if (fs::path(path_).has_parent_path()) fs::create_directories(fs::path(path_).parent_path(), ec);
      out_.open(path_, std::ios::trunc);
      if (!out_) return Status::Io("cannot write the reject file " + path_);
      out_ << "file,line,reason,raw\n";
      first_reason_ = file + ":" + std::to_string(line) + ": " + reason;
    }
    ++count_;
    out_ << CsvQuote(file) << ',' << line << ',' << CsvQuote(reason) << ',' << CsvQuote(raw) << '\n';
    return Status::Ok();
  }
  int64_t count() const { return count_; }
  const std::string& first_reason() const { return first_reason_; }
  const std::string& path() const { return path_; }
  void Close() {
    if (out_.is_open()) out_.close();
  }

 private:
  std::string path_;
  std::ofstream out_;
  int64_t count_ = 0;
  std::string first_reason_;
};

// Rolls back unless committed.
struct TransactionGuard {
  WarehouseConnection* conn;
  bool open = false;
  ~TransactionGuard() {
    if (open) (void)conn->Rollback();
  }
};

class Ingester {
 public:
  Ingester(const ProcessContext& ctx, const IngestOptions& opts, const IngestSchema& schema,
           BulkInsert& insert, Rejects& rejects, std::function<bool()> stop)
      : ctx_(ctx), opts_(opts), schema_(schema), insert_(insert), rejects_(rejects), stop_(std::move(stop)) {}

  Status File(const std::string& path, const std::string& display) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::Io("cannot read the source file " + path);
    file_ = display;
    std::string format = opts_.format;
    if (format.empty()) {
      std::string ext = Lower(fs::path(path).extension().string());
      format = (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") ? "jsonl" : "csv";
    }
    return format == "jsonl" ? Jsonl(in) : Csv(in, path);
  }

  int64_t read() const { return read_; }
  int64_t inserted() const { return inserted_; }
  bool stopped() const { return stopped_; }

 private:
  std::string Text(const std::string& s) const {
    return opts_.encoding == "latin1" ? Latin1ToUtf8(s) : s;
  }

  // The record as it stood in the file: fields re-quoted where they were quoted.
  std::string RecordText(const CsvRecord& rec) const {
    std::string text;
    for (size_t i = 0; i < rec.fields.size(); ++i) {
      if (i) text += opts_.delimiter;
      if (!rec.fields[i].quoted) {
        text += rec.fields[i].text;
        continue;
      }
      text += '"';
      for (char c : rec.fields[i].text) text += c == '"' ? std::string("\"\"") : std::string(1, c);
      text += '"';
    }
    return text;
  }

  // Converts `raw` (nullopt = NULL) for every column and inserts, or
  // rejects; raw_text() gives the line as the reject file shows it, built
  // only for a rejected row.
  template <typename RawText>
  Status Row(int64_t line, const std::vector<const std::string*>& raw, const RawText& raw_text) {
    values_.clear();
    for (size_t i = 0; i < schema_.columns.size(); ++i) {
      const IngestColumn& c = schema_.columns[i];
      if (!raw[i] || (raw[i]->empty() && c.type != IngestType::kString)) {
        if (!c.nullable) return rejects_.Add(file_, line, "column " + c.name + ": null in a non-null column", raw_text());
        values_.emplace_back();
        continue;
      }
      auto v = ConvertField(c, *raw[i]);
      if (!v.ok()) return rejects_.Add(file_, line, "column " + c.name + ": " + v.status().message(), raw_text());
      values_.push_back(std::move(*v));
    }
    values_.emplace_back(ctx_.data_dt);
    values_.emplace_back(ctx_.run_id);
    values_.emplace_back(file_);
    Status st = insert_.Add(values_);
    if (!st.ok()) return st.WithContext(file_ + ":" + std::to_string(line));
    ++inserted_;
    return Status::Ok();
  }

  bool Tick() {
    ++read_;
    if (read_ % 100000 == 0) {
      AppendLogLine(ctx_.log_path, std::to_string(read_) + " rows read, " + std::to_string(inserted_) +
                                       " inserted, " + std::to_string(rejects_.count()) + " rejected");
    }
    if (read_ % 1000 == 0 && stop_()) stopped_ = true;
    return !stopped_;
  }

  Status Csv(std::istream& in, const std::string& path) {
    CsvReader reader(in, file_, opts_.delimiter);
    CsvRecord rec;
    std::vector<int> map(schema_.columns.size());  // schema column -> field index
    for (size_t i = 0; i < map.size(); ++i) map[i] = static_cast<int>(i);
    size_t expected = schema_.columns.size();
    bool first = true;
    // Each column's text (nullptr: NULL) points into the record, or into
    // `converted` for latin1 input: no copy per field.
    std::vector<const std::string*> raw(schema_.columns.size());
    std::vector<std::string> converted(schema_.columns.size());
    const bool latin1 = opts_.encoding == "latin1";
    while (true) {
      auto more = reader.Next(&rec);
      if (!more.ok()) {
        // The reader cannot resync after a broken quote: the rest of the file is unusable.
        return Status::Invalid(more.status().message() + " (the rest of " + path + " cannot be read)");
      }
      if (!*more) break;
      auto raw_text = [&] { return Text(RecordText(rec)); };
      if (first && opts_.header) {
        first = false;
        expected = rec.fields.size();
        std::vector<std::string> names;
        for (const auto& f : rec.fields) names.push_back(Lower(Text(f.text)));
        for (size_t i = 0; i < schema_.columns.size(); ++i) {
          auto it = std::find(names.begin(), names.end(), Lower(schema_.columns[i].name));
          if (it == names.end()) {
            return Status::Invalid(file_ + ":" + std::to_string(rec.line) + ": the header has no column " +
                                   schema_.columns[i].name + " of the schema");
          }
          map[i] = static_cast<int>(it - names.begin());
        }
        for (const auto& n : names) {
          bool known = std::any_of(schema_.columns.begin(), schema_.columns.end(),
                                   [&](const IngestColumn& c) { return Lower(c.name) == n; });
          if (!known) {
            return Status::Invalid(file_ + ":" + std::to_string(rec.line) + ": header column '" + n +
                                   "' is not in the schema; add it to the schema file");
          }
        }
        continue;
      }
      first = false;
      if (!Tick()) return Status::Ok();
      if (rec.fields.size() != expected) {
        CTL_RETURN_IF_ERROR(rejects_.Add(file_, rec.line,
                                         "expected " + std::to_string(expected) + " fields, found " +
                                             std::to_string(rec.fields.size()),
                                         raw_text()));
        continue;
      }
      for (size_t i = 0; i < map.size(); ++i) {
        const CsvField& f = rec.fields[map[i]];
        if (f.text.empty() && !f.quoted) {
          raw[i] = nullptr;
        } else if (latin1) {
          converted[i] = Latin1ToUtf8(f.text);
          raw[i] = &converted[i];
        } else {
          raw[i] = &f.text;
        }
      }
      CTL_RETURN_IF_ERROR(Row(rec.line, raw, raw_text));
    }
    return Status::Ok();
  }

  Status Jsonl(std::istream& in) {
    std::string line;
    int64_t number = 0;
    std::vector<const std::string*> raw(schema_.columns.size());
    std::vector<std::string> held(schema_.columns.size());  // what raw points to
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      line = Text(line);
      if (!Tick()) return Status::Ok();
      nlohmann::json obj;
      try {
        obj = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        CTL_RETURN_IF_ERROR(rejects_.Add(file_, number, std::string("not valid JSON: ") + e.what(), line));
        continue;
      }
      if (!obj.is_object()) {
        CTL_RETURN_IF_ERROR(rejects_.Add(file_, number, "expected a JSON object", line));
        continue;
      }
      std::string unknown;
      for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool known = std::any_of(schema_.columns.begin(), schema_.columns.end(),
                                 [&](const IngestColumn& c) { return c.name == it.key(); });
        if (!known) {
          unknown = it.key();
          break;
        }
      }
      if (!unknown.empty()) {
        CTL_RETURN_IF_ERROR(rejects_.Add(file_, number, "field '" + unknown + "' is not in the schema", line));
        continue;
      }
      bool bad = false;
      for (size_t i = 0; i < schema_.columns.size() && !bad; ++i) {
        const IngestColumn& c = schema_.columns[i];
        auto it = obj.find(c.name);
        raw[i] = &held[i];
        if (it == obj.end() || it->is_null()) raw[i] = nullptr;
        else if (it->is_string()) held[i] = it->get<std::string>();
        else if (it->is_boolean()) held[i] = it->get<bool>() ? "true" : "false";
        else if (it->is_number()) held[i] = it->dump();
        else {
          CTL_RETURN_IF_ERROR(rejects_.Add(file_, number, "column " + c.name + ": expected a scalar value", line));
          bad = true;
        }
      }
      if (bad) continue;
      CTL_RETURN_IF_ERROR(Row(number, raw, [&] { return line; }));
    }
    return Status::Ok();
  }

  const ProcessContext& ctx_;
  const IngestOptions& opts_;
  const IngestSchema& schema_;
  BulkInsert& insert_;
  Rejects& rejects_;
  std::function<bool()> stop_;
  std::string file_;
  std::vector<Value> values_;
  int64_t read_ = 0, inserted_ = 0;
  bool stopped_ = false;
};


// The raw side of one attempt, in a lakehouse: the schema file, and the
// source files as local paths: a file:// lakehouse's own files, or an s3://
// lakehouse's objects copied next to the attempt's log (removed when the
// attempt ends, so memory and the home stay flat).
class RawLakehouse {
 public:
  ~RawLakehouse() {
    std::error_code ec;
    for (const auto& f : spooled_) fs::remove(f, ec);
  }
  Status Open(const ProcessContext& ctx, const std::string& lake_conn) {
    CTL_ASSIGN_OR_RETURN(ConnectionDef def, ctx.connections->Find(lake_conn));
    if (def.conn_typ != "lakehouse") {
      return Status::Invalid("lakehouse=" + lake_conn + " is a " + def.conn_typ + " connection, not a lakehouse");
    }
    CTL_ASSIGN_OR_RETURN(LakehouseLocation loc, ResolveLakehouse(def, ctx.home));
    if (loc.root.rfind("file://", 0) == 0) {
      root_ = loc.root.substr(7);
      return Status::Ok();
    }
    CTL_ASSIGN_OR_RETURN(store_, OpenLakehouseStore(def, ctx.home));
    return Status::Ok();
  }

  // A schema file: a path relative to the lakehouse (a key on s3://), or
  // an absolute local path.
  Result<IngestSchema> Schema(const std::string& path) {
    if (store_ == nullptr || fs::path(path).is_absolute()) return ReadIngestSchema(Resolve(root_, path));
    CTL_ASSIGN_OR_RETURN(std::string text, store_->Get(path));
    return ParseIngestSchema(text, store_->Url(path));
  }

  Status Match(const ProcessContext& ctx, const std::string& pattern) {
    if (store_ == nullptr) {
      CTL_ASSIGN_OR_RETURN(paths_, ExpandSource(Resolve(root_, pattern)));
      for (const auto& path : paths_) {
        std::string shown = fs::path(path).lexically_relative(root_).string();
        names_.push_back(shown.empty() || shown.rfind("..", 0) == 0 ? path : shown);
      }
      return Status::Ok();
    }
    if (fs::path(pattern).is_absolute()) {
      return Status::Invalid(pattern + " is absolute; on an s3:// lakehouse give a key pattern");
    }
    CTL_ASSIGN_OR_RETURN(auto objects, MatchObjects(*store_, pattern));
    for (size_t i = 0; i < objects.size(); ++i) {
      std::string local = ctx.log_path + ".source-" + std::to_string(i);
      spooled_.push_back(local);
      CTL_RETURN_IF_ERROR(DownloadObject(*store_, objects[i].key, local));
      AppendLogLine(ctx.log_path, "fetched " + store_->Url(objects[i].key) + " (" +
                                      std::to_string(objects[i].size) + " bytes)");
      paths_.push_back(local);
      names_.push_back(objects[i].key);
    }
    return Status::Ok();
  }
  const std::string& root() const { return root_; }  // a file:// lakehouse's folder
  const std::vector<std::string>& paths() const { return paths_; }
  const std::vector<std::string>& names() const { return names_; }  // for messages and src_file

 private:
  std::string root_;
  std::unique_ptr<ObjectStore> store_;
  std::vector<std::string> paths_, names_, spooled_;
};

// What both targets share once the rows are in: the outcome, or why not.
struct IngestRun {
  Status load;
  int64_t read = 0, inserted = 0, rejected = 0;
};

IngestRun ReadAll(const ProcessContext& ctx, const IngestOptions& opts, const IngestSchema& schema,
                  const RawLakehouse& files, BulkInsert& insert, Rejects& rejects,
                  const std::function<bool()>& stop) {
  Ingester ingester(ctx, opts, schema, insert, rejects, stop);
  IngestRun run;
  for (size_t i = 0; i < files.paths().size(); ++i) {
    run.load = ingester.File(files.paths()[i], files.names()[i]);
    if (!run.load.ok() || ingester.stopped() || stop()) break;
    AppendLogLine(ctx.log_path, "read " + files.names()[i]);
  }
  rejects.Close();
  run.read = ingester.read();
  run.inserted = ingester.inserted();
  run.rejected = rejects.count();
  return run;
}

// Turns a finished read into a failure message, or "" when it may commit.
std::string CheckRun(const Process& p, const ProcessContext& ctx, const IngestOptions& opts,
                     StopCheck& stopper, const IngestRun& run, const Rejects& rejects, ProcessOutcome* out) {
  if (stopper.timed_out()) {
    out->status = AttemptStatus::kTimedOut;
    return TimeoutMessage(p, "nothing was loaded");
  }
  if (stopper.cancelled()) return CancelMessage(ctx, "nothing was loaded");
  if (!run.load.ok()) return run.load.message() + "; nothing was loaded";
  if (run.rejected > opts.max_rejects) {
    return std::to_string(run.rejected) + " rejected row" + (run.rejected == 1 ? "" : "s") +
           " (max_rejects = " + std::to_string(opts.max_rejects) + "), see " + rejects.path() +
           "; first: " + rejects.first_reason() + "; nothing was loaded";
  }
  return "";
}

std::string Summary(const IngestRun& run, const std::string& target_name, const Rejects& rejects) {
  std::string m = std::to_string(run.inserted) + " rows loaded into " + target_name + " from " +
                  std::to_string(run.read) + " read";
  if (run.rejected) m += ", " + std::to_string(run.rejected) + " rejected (see " + rejects.path() + ")";
  return m;
}

std::string FileCount(size_t n) { return std::to_string(n) + " file" + (n == 1 ? "" : "s"); }

}  // namespace

ProcessOutcome RunIngestProcess(const ProcessContext& ctx) {
  const Process& p = *ctx.process;
  ProcessOutcome out;
  out.status = AttemptStatus::kFailed;
  auto fail = [&](const std::string& message) {
    out.message = message;
    AppendLogLine(ctx.log_path, "failed: " + message);
    return out;
  };

  auto opts = ParseOptions(ctx);
  if (!opts.ok()) return fail(opts.status().message());
  if (p.tgt_tbl.empty()) return fail("tgt_tbl is empty; name the staging table to load into");
  auto target_def = ctx.connections->Find(p.conn_nm);
  if (!target_def.ok()) return fail("conn_nm: " + target_def.status().message());
  const bool to_lake = target_def->conn_typ == "lakehouse";
  // Raw files come from the lakehouse=NAME of af_parm, else the target
  // lakehouse, else the built-in one.
  const std::string lake_conn = !opts->lakehouse.empty() ? opts->lakehouse : to_lake ? p.conn_nm : "lakehouse";

  RawLakehouse files;
  if (Status st = files.Open(ctx, lake_conn); !st.ok()) return fail(st.message());
  auto schema = files.Schema(opts->schema);
  if (!schema.ok()) return fail("schema: " + schema.status().message());

  std::string source = opts->source;
  if (source.empty()) {
    if (p.src_tbl.empty()) return fail("no source: set source= in af_parm or src_schm_nm/src_tbl");
    source = p.src_schm_nm.empty() ? p.src_tbl : (fs::path(p.src_schm_nm) / p.src_tbl).string();
  }
  if (Status st = files.Match(ctx, source); !st.ok()) return fail("source: " + st.message());

  std::string reject_path = opts->reject_path.empty() ? ctx.log_path + ".rejects.csv"
                                                      : Resolve(files.root().empty() ? ctx.home : files.root(), opts->reject_path);
  std::string target_name = (p.tgt_schm_nm.empty() ? "" : p.tgt_schm_nm + ".") + p.tgt_tbl;
  StopCheck stopper(ctx);
  const std::function<bool()> stop = stopper.AsFunction();
  Rejects rejects(reject_path);

  if (to_lake) {
    // Tier 1 on the lakehouse: an Iceberg table partitioned by data_dt.
    if (p.tgt_schm_nm.empty()) return fail("tgt_schm_nm is empty; an Iceberg table needs a namespace");
    auto lake = OpenLakehouse(*ctx.connections, p.conn_nm);
    if (!lake.ok()) return fail("conn_nm: " + lake.status().message());
    std::vector<TableColumn> columns;
    for (const auto& c : schema->columns) columns.push_back({c.name, c.StorageType(), c.nullable});
    columns.push_back({"data_dt", {WarehouseType::Kind::kDate}, false});
    columns.push_back({"run_id", {WarehouseType::Kind::kBigint}, false});
    columns.push_back({"src_file", {WarehouseType::Kind::kText}, true});
    TableWriterOptions options;
    options.partition_column = "data_dt";
    options.partition_value = ctx.data_dt;
    if (!opts->partition.empty()) options.partition_transform = opts->partition;
    options.progress = [&ctx](const std::string& line) { AppendLogLine(ctx.log_path, line); };
    auto writer = TableWriter::Open(&*lake, {p.tgt_schm_nm, p.tgt_tbl}, columns, options);
    if (!writer.ok()) return fail(target_name + ": " + writer.status().message());
    target_name = lake->name + ":" + target_name;
    AppendLogLine(ctx.log_path, "ingesting " + FileCount(files.paths().size()) + " into Iceberg table " +
                                    (*writer)->Describe() + " for data_dt " + ctx.data_dt);
    IngestRun run = ReadAll(ctx, *opts, *schema, files, **writer, rejects, stop);
    out.source_row = run.read;
    std::string why = CheckRun(p, ctx, *opts, stopper, run, rejects, &out);
    if (!why.empty()) return fail(why);
    auto written = (*writer)->Finish();
    if (!written.ok()) return fail("writing " + target_name + ": " + written.status().message() + "; nothing was loaded");
    auto commit = (*writer)->Commit();
    if (!commit.ok()) return fail("committing " + target_name + ": " + commit.status().message() + "; nothing was loaded");
    out.status = AttemptStatus::kSuccess;
    out.target_row = run.inserted;
    out.message = Summary(run, target_name, rejects) + "; snapshot " + std::to_string(commit->snapshot_id) +
                  " (" + FileCount(static_cast<size_t>(commit->files_added)) + ", " +
                  std::to_string(commit->bytes_added) + " bytes" +
                  (commit->rows_removed ? ", replacing " + std::to_string(commit->rows_removed) + " rows" : "") + ")";
    AppendLogLine(ctx.log_path, out.message);
    return out;
  }

  if (!opts->partition.empty()) {
    return fail("af_parm: partition= applies to an Iceberg target only; " + p.conn_nm +
                " is a warehouse, whose staging table is replaced per data_dt by a DELETE");
  }
  auto conn = ctx.connections->Open(p.conn_nm);
  if (!conn.ok()) return fail("conn_nm: " + conn.status().message());
  WarehouseConnection& wh = **conn;
  const std::string target = wh.QualifiedName(p.tgt_schm_nm, p.tgt_tbl);

  // Create the table, or add the columns it lacks (additive changes only).
  std::vector<std::pair<std::string, std::string>> wanted;
  for (const auto& c : schema->columns) wanted.emplace_back(c.name, wh.TypeName(c.StorageType()));
  wanted.emplace_back("data_dt", wh.TypeName({WarehouseType::Kind::kText}));
  wanted.emplace_back("run_id", wh.TypeName({WarehouseType::Kind::kBigint}));
  wanted.emplace_back("src_file", wh.TypeName({WarehouseType::Kind::kText}));
  auto existing = wh.DescribeTable(p.tgt_schm_nm, p.tgt_tbl);
  if (!existing.ok()) return fail(target_name + ": " + existing.status().message());
  if (!*existing) {
    std::string ddl = "CREATE TABLE " + target + " (";
    for (size_t i = 0; i < wanted.size(); ++i) {
      ddl += (i ? ", " : "") + wh.QuoteName(wanted[i].first) + " " + wanted[i].second;
    }
    auto r = wh.Execute(ddl + ")");
    if (!r.ok()) return fail("creating " + target_name + ": " + r.status().message());
    AppendLogLine(ctx.log_path, "created table " + target_name);
  } else {
    std::set<std::string> have;
    for (const auto& c : **existing) have.insert(Lower(c.name));
    for (const auto& [name, type] : wanted) {
      if (have.count(Lower(name))) continue;
      auto r = wh.Execute("ALTER TABLE " + target + " ADD COLUMN " + wh.QuoteName(name) + " " + type);
      if (!r.ok()) return fail("adding column " + name + " to " + target_name + ": " + r.status().message());
      AppendLogLine(ctx.log_path, "added column " + name + " to " + target_name);
    }
  }

  wh.SetStop(stop);
  TransactionGuard tx{&wh};
  Status st = wh.Begin();
  if (!st.ok()) return fail(st.message());
  tx.open = true;
  auto deleted = wh.Execute("DELETE FROM " + target + " WHERE data_dt = :data_dt", {{"data_dt", ctx.data_dt}});
  if (!deleted.ok() && !stop()) return fail("clearing " + target_name + " for " + ctx.data_dt + ": " + deleted.status().message());
  std::vector<std::string> column_names;
  for (const auto& w : wanted) column_names.push_back(w.first);
  auto insert = wh.BeginBulkInsert(p.tgt_schm_nm, p.tgt_tbl, column_names);
  if (!insert.ok()) return fail("starting the insert into " + target_name + ": " + insert.status().message());

  AppendLogLine(ctx.log_path, "ingesting " + FileCount(files.paths().size()) + " into " + target_name +
                                  " for data_dt " + ctx.data_dt +
                                  (deleted.ok() && deleted->changes
                                       ? " (replacing " + std::to_string(deleted->changes) + " rows)"
                                       : ""));
  IngestRun run = ReadAll(ctx, *opts, *schema, files, **insert, rejects, stop);
  out.source_row = run.read;
  std::string why = CheckRun(p, ctx, *opts, stopper, run, rejects, &out);
  if (!why.empty()) return fail(why);
  auto written = (*insert)->Finish();
  if (!written.ok()) return fail("writing into " + target_name + ": " + written.status().message() + "; nothing was loaded");
  insert->reset();
  st = wh.Commit();
  if (!st.ok()) return fail("commit: " + st.message());
  tx.open = false;
  wh.SetStop(nullptr);
  out.status = AttemptStatus::kSuccess;
  out.target_row = run.inserted;
  out.message = Summary(run, target_name, rejects);
  AppendLogLine(ctx.log_path, out.message);
  return out;
}

}  // namespace ctlflow

#include "processes/load_process.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/strings.h"
#include "common/shell_words.h"
#include "lakehouse/row_codec.h"
#include "lakehouse/table_reader.h"

namespace ctlflow {

namespace {

const char* const kOpenEnd = "9999-12-31";

struct TargetColumn {
  std::string name, expr, type;
};

struct TransactionGuard {
  WarehouseConnection* conn;
  bool open = false;
  ~TransactionGuard() {
    if (open) (void)conn->Rollback();
  }
};

// Audit and history columns the load owns; never copied from the source.
bool IsReserved(const std::string& name) {
  static const std::set<std::string> kReserved{"data_dt", "run_id", "src_file", "valid_from", "valid_to",
                                               "is_current"};
  return kReserved.count(Lower(name)) > 0;
}

// Copies the data_dt partition of an Iceberg source table (or the whole
// table when it has no data_dt) into a temporary table of the warehouse
// session, so the load's SQL reads it like any source. Returns its columns.
Result<std::vector<WarehouseColumn>> MaterializeIceberg(const ProcessContext& ctx, WarehouseConnection& wh,
                                                        const std::string& lake_conn, const TableIdent& ident,
                                                        const std::string& temp_name) {
  CTL_ASSIGN_OR_RETURN(Lakehouse lake, OpenLakehouse(*ctx.connections, lake_conn));
  const std::string shown = lake_conn + ":" + ident.ToString();
  // Pruned to the data_dt partition when the table is partitioned by it;
  // a table without that partition is read whole and filtered by the SQL.
  TableScanOptions scan;
  scan.partition_column = "data_dt";
  scan.partition_value = ctx.data_dt;
  auto opened = TableReader::Open(&lake, ident, scan);
  if (!opened.ok()) return opened.status().WithContext("source " + shown);
  std::unique_ptr<TableReader> reader = std::move(*opened);
  bool has_dt = false;
  for (const auto& c : reader->columns()) has_dt |= Lower(c.name) == "data_dt";
  std::vector<WarehouseColumn> columns;
  std::string ddl = "CREATE TEMP TABLE " + wh.TempTable(temp_name) + " (";
  std::vector<std::string> names;
  for (const auto& c : reader->columns()) {
    // data_dt stays text, as the warehouse's staging tables keep it.
    std::string type = Lower(c.name) == "data_dt" ? wh.TypeName({WarehouseType::Kind::kText}) : wh.TypeName(c.type);
    ddl += (names.empty() ? "" : ", ") + wh.QuoteName(c.name) + " " + type;
    names.push_back(c.name);
    columns.push_back({c.name, type});
  }
  CTL_ASSIGN_OR_RETURN(QueryResult dropped, wh.Execute("DROP TABLE IF EXISTS " + wh.TempTable(temp_name)));
  (void)dropped;
  CTL_ASSIGN_OR_RETURN(QueryResult created, wh.Execute(ddl + ")"));
  (void)created;
  CTL_ASSIGN_OR_RETURN(auto insert, wh.BeginBulkInsert(wh.TempSchema(), temp_name, names));
  const ParquetSchema& schema = reader->parquet_schema();
  std::vector<Value> row(names.size());
  int64_t rows = 0;
  CTL_RETURN_IF_ERROR(reader->Read([&](const RecordBatch& batch) -> Status {
    for (int64_t r = 0; r < batch.rows; ++r) {
      for (size_t c = 0; c < row.size(); ++c) row[c] = CellValue(schema.columns[c], batch.columns[c], r);
      CTL_RETURN_IF_ERROR(insert->Add(row));
    }
    rows += batch.rows;
    return Status::Ok();
  }));
  CTL_ASSIGN_OR_RETURN(int64_t written, insert->Finish());
  (void)written;
  AppendLogLine(ctx.log_path, "read " + std::to_string(rows) + " rows of Iceberg table " + shown + " (snapshot " +
                                  std::to_string(reader->snapshot_id()) + ", " +
                                  std::to_string(reader->file_count()) + " files" +
                                  (has_dt ? ", data_dt " + ctx.data_dt : "") + ")");
  return columns;
}

}  // namespace

ProcessOutcome RunLoadProcess(const ProcessContext& ctx) {
  const Process& p = *ctx.process;
  ProcessOutcome out;
  out.status = AttemptStatus::kFailed;
  auto fail = [&](const std::string& message) {
    out.message = message;
    AppendLogLine(ctx.log_path, "failed: " + message);
    return out;
  };

  const std::string mode = Lower(Trim(p.load_mode));
  if (mode.empty()) return fail("load_mode is empty; set it to append, overwrite, merge or scd2");
  if (mode != "append" && mode != "overwrite" && mode != "merge" && mode != "scd2") {
    return fail("load_mode '" + p.load_mode + "' is unknown; use append, overwrite, merge or scd2");
  }
  std::vector<std::string> keys;
  {
    std::string rest = p.key_cols;
    size_t pos = 0;
    while (pos <= rest.size()) {
      size_t comma = rest.find(',', pos);
      std::string k = Trim(rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      if (!k.empty()) keys.push_back(k);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if ((mode == "merge" || mode == "scd2") && keys.empty()) {
    return fail("key_cols is empty; load_mode " + mode + " needs the key columns, comma-separated");
  }
  if (p.src_tbl.empty()) return fail("src_tbl is empty; name the source table");
  if (p.tgt_tbl.empty()) return fail("tgt_tbl is empty; name the target table");
  const std::string source_name = (p.src_schm_nm.empty() ? "" : p.src_schm_nm + ".") + p.src_tbl;
  const std::string target_name = (p.tgt_schm_nm.empty() ? "" : p.tgt_schm_nm + ".") + p.tgt_tbl;

  // af_parm: target_col=EXPR mappings, and source_conn=LAKEHOUSE to read
  // src_schm_nm.src_tbl as an Iceberg table of that lakehouse.
  auto words = SplitShellWords(p.af_parm);
  if (!words.ok()) return fail("af_parm: " + words.status().message());
  std::string source_conn;
  std::vector<std::string> mappings;
  for (const auto& w : *words) {
    if (w.rfind("source_conn=", 0) == 0) source_conn = w.substr(12);
    else mappings.push_back(w);
  }

  auto conn = ctx.connections->Open(p.conn_nm);
  if (!conn.ok()) return fail("conn_nm: " + conn.status().message());
  WarehouseConnection& wh = **conn;
  std::string source = wh.QualifiedName(p.src_schm_nm, p.src_tbl);
  const std::string target = wh.QualifiedName(p.tgt_schm_nm, p.tgt_tbl);
  const std::string work = wh.TempTable("ctlflow_load_src");
  auto quote = [&](const std::string& n) { return wh.QuoteName(n); };
  auto type = [&](WarehouseType::Kind kind) { return wh.TypeName({kind}); };

  Result<std::optional<std::vector<WarehouseColumn>>> src_cols = std::optional<std::vector<WarehouseColumn>>();
  if (source_conn.empty()) {
    src_cols = wh.DescribeTable(p.src_schm_nm, p.src_tbl);
    if (!src_cols.ok()) return fail(source_name + ": " + src_cols.status().message());
    if (!*src_cols) return fail("source table " + source_name + " does not exist");
  } else {
    if (p.src_schm_nm.empty()) return fail("src_schm_nm is empty; an Iceberg source table needs its namespace");
    auto cols = MaterializeIceberg(ctx, wh, source_conn, {p.src_schm_nm, p.src_tbl}, "ctlflow_iceberg_src");
    if (!cols.ok()) return fail(cols.status().message());
    src_cols = std::optional<std::vector<WarehouseColumn>>(std::move(*cols));
    source = wh.TempTable("ctlflow_iceberg_src");
  }
  bool source_has_dt = false;
  for (const auto& c : **src_cols) source_has_dt |= Lower(c.name) == "data_dt";

  // Target columns: the af_parm mapping, or every non-audit source column.
  std::vector<TargetColumn> columns;
  for (const auto& w : mappings) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("af_parm: '" + w + "' is not target_col=EXPR");
    }
    std::string name = w.substr(0, eq);
    if (IsReserved(name)) return fail("af_parm: column " + name + " is filled by the load itself");
    columns.push_back({name, w.substr(eq + 1), ""});
  }
  if (columns.empty()) {
    for (const auto& c : **src_cols) {
      if (!IsReserved(c.name)) columns.push_back({c.name, quote(c.name), c.type});
    }
  }
  auto has_column = [&](const std::string& name) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const TargetColumn& c) { return Lower(c.name) == Lower(name); });
  };
  for (const auto& k : keys) {
    if (!has_column(k)) return fail("key_cols: column " + k + " is not a target column of " + target_name);
  }
  std::vector<std::string> attributes;
  for (const auto& c : columns) {
    bool is_key = std::any_of(keys.begin(), keys.end(), [&](const std::string& k) { return Lower(k) == Lower(c.name); });
    if (!is_key) attributes.push_back(c.name);
  }

  // Create the target, or add what it lacks (additive changes only).
  std::vector<std::pair<std::string, std::string>> wanted;
  for (const auto& c : columns) wanted.emplace_back(c.name, c.type);
  wanted.emplace_back("data_dt", type(WarehouseType::Kind::kText));
  if (mode == "scd2") {
    wanted.emplace_back("valid_from", type(WarehouseType::Kind::kText));
    wanted.emplace_back("valid_to", type(WarehouseType::Kind::kText));
    wanted.emplace_back("is_current", type(WarehouseType::Kind::kInteger));
  }
  std::string key_list;
  for (const auto& k : keys) key_list += (key_list.empty() ? "" : ", ") + quote(k);
  SqlParams params{{"data_dt", ctx.data_dt}, {"run_id", ctx.run_id}, {"open_end", std::string(kOpenEnd)}};
  std::string mapped;  // the source columns as target columns
  for (size_t i = 0; i < columns.size(); ++i) {
    mapped += (i ? ", " : "") + columns[i].expr + " AS " + quote(columns[i].name);
  }
  auto existing = wh.DescribeTable(p.tgt_schm_nm, p.tgt_tbl);
  if (!existing.ok()) return fail(target_name + ": " + existing.status().message());
  if (!*existing) {
    bool typed = std::all_of(columns.begin(), columns.end(), [](const TargetColumn& c) { return !c.type.empty(); });
    // Mapped expressions have no declared type: the engine infers it.
    std::string ddl = "CREATE TABLE " + target;
    if (typed) {
      ddl += " (";
      for (size_t i = 0; i < wanted.size(); ++i) ddl += (i ? ", " : "") + quote(wanted[i].first) + " " + wanted[i].second;
      ddl += ")";
    } else {
      ddl += " AS SELECT " + mapped + " FROM " + source + " LIMIT 0";
    }
    auto r = wh.Execute(ddl, params);
    if (!r.ok()) return fail("creating " + target_name + ": " + r.status().message());
    AppendLogLine(ctx.log_path, "created table " + target_name);
    existing = wh.DescribeTable(p.tgt_schm_nm, p.tgt_tbl);
    if (!existing.ok() || !*existing) return fail(target_name + ": cannot read the table just created");
  }
  std::set<std::string> have;
  for (const auto& c : **existing) have.insert(Lower(c.name));
  for (const auto& [column, column_type] : wanted) {
    if (have.count(Lower(column))) continue;
    auto r = wh.Execute("ALTER TABLE " + target + " ADD COLUMN " + quote(column) +
                        (column_type.empty() ? "" : " " + column_type));
    if (!r.ok()) return fail("adding column " + column + " to " + target_name + ": " + r.status().message());
    AppendLogLine(ctx.log_path, "added column " + column + " to " + target_name);
  }
  if (mode == "merge" || mode == "scd2") {
    // merge: INSERT ... ON CONFLICT needs a unique index on the keys.
    // scd2: one version per key and valid_from.
    auto r = wh.Execute(wh.UniqueIndexSql(p.tgt_schm_nm, p.tgt_tbl, p.tgt_tbl + (mode == "merge" ? "_key" : "_scd2_key"),
                                          key_list + (mode == "scd2" ? ", " + quote("valid_from") : "")));
    if (!r.ok()) {
      return fail("creating a unique index on key_cols (" + p.key_cols + ") of " + target_name + ": " +
                  r.status().message());
    }
  }

  StopCheck stopper(ctx);
  const std::function<bool()> stop = stopper.AsFunction();
  wh.SetStop(stop);
  TransactionGuard tx{&wh};
  int64_t source_rows = 0, written = 0;
  auto run = [&]() -> Status {
    CTL_RETURN_IF_ERROR(wh.Begin());
    tx.open = true;
    auto exec = [&](const std::string& what, const std::string& sql) -> Result<int64_t> {
      auto r = wh.Execute(sql, params);
      if (!r.ok()) return r.status().WithContext(what);
      return r->changes;
    };
    // The source rows of this date, mapped to target columns, once.
    // ctlflow_seq: the order rows were read, so the last row of a key wins.
    std::string select = "SELECT " + mapped + ", ROW_NUMBER() OVER () AS ctlflow_seq FROM " + source +
                         (source_has_dt ? " WHERE data_dt = :data_dt" : "");
    CTL_ASSIGN_OR_RETURN(int64_t ignored, exec("dropping the work table", "DROP TABLE IF EXISTS " + work));
    (void)ignored;
    CTL_ASSIGN_OR_RETURN(ignored, exec("reading " + source_name, "CREATE TEMP TABLE " + work + " AS " + select));
    auto count = wh.Execute("SELECT count(*) FROM " + work);
    if (!count.ok()) return count.status();
    source_rows = std::get<int64_t>(count->rows[0][0]);
    AppendLogLine(ctx.log_path, std::to_string(source_rows) + " source rows in " + source_name +
                                    (source_has_dt ? " for data_dt " + ctx.data_dt : ""));
    if (!keys.empty()) {
      // One source row per key, as merge and scd2 need (PostgreSQL refuses
      // to update a row twice in one statement).
      CTL_ASSIGN_OR_RETURN(int64_t repeated,
                           exec("removing repeated keys", "DELETE FROM " + work + " WHERE ctlflow_seq NOT IN "
                                "(SELECT max(ctlflow_seq) FROM " + work + " GROUP BY " + key_list + ")"));
      if (repeated) {
        AppendLogLine(ctx.log_path, std::to_string(repeated) + " source rows repeat a key; the last of each key is used");
      }
    }

    std::string col_list;
    for (const auto& c : columns) col_list += (col_list.empty() ? "" : ", ") + quote(c.name);
    auto differs = [&](const std::string& a, const std::string& b) {
      std::string cond;
      for (const auto& attr : attributes) {
        cond += (cond.empty() ? "" : " OR ") + a + "." + quote(attr) + " IS DISTINCT FROM " + b + "." + quote(attr);
      }
      return cond.empty() ? std::string("false") : "(" + cond + ")";
    };
    auto key_match = [&](const std::string& a, const std::string& b) {
      std::string cond;
      for (const auto& k : keys) {
        cond += (cond.empty() ? "" : " AND ") + a + "." + quote(k) + " IS NOT DISTINCT FROM " + b + "." + quote(k);
      }
      return cond;
    };
    if (mode == "append" || mode == "overwrite") {
      CTL_ASSIGN_OR_RETURN(int64_t removed, exec("clearing " + target_name + " for " + ctx.data_dt,
                                                 "DELETE FROM " + target + " WHERE " + quote("data_dt") + " = :data_dt"));
      if (removed) AppendLogLine(ctx.log_path, "replaced " + std::to_string(removed) + " rows of data_dt " + ctx.data_dt);
      CTL_ASSIGN_OR_RETURN(written, exec("inserting into " + target_name,
                                         "INSERT INTO " + target + " (" + col_list + ", " + quote("data_dt") + ") SELECT " + col_list +
                                             ", :data_dt FROM " + work));
      AppendLogLine(ctx.log_path, std::to_string(written) + " rows inserted into " + target_name);
    } else if (mode == "merge") {
      std::string set;
      for (const auto& attr : attributes) set += quote(attr) + " = excluded." + quote(attr) + ", ";
      set += quote("data_dt") + " = excluded." + quote("data_dt");
      CTL_ASSIGN_OR_RETURN(written, exec("merging into " + target_name,
                                         "INSERT INTO " + target + " AS t (" + col_list + ", " + quote("data_dt") +
                                             ") SELECT " + col_list + ", :data_dt FROM " + work + " WHERE true " +
                                             "ON CONFLICT (" + key_list + ") DO UPDATE SET " + set + " WHERE " +
                                             differs("t", "excluded")));
      AppendLogLine(ctx.log_path, std::to_string(written) + " rows inserted or updated in " + target_name);
    } else {
      // scd2. A current version opened at this very date (a re-run) is
      // corrected in place; an older one is closed and a new one opened.
      std::string set;
      for (const auto& attr : attributes) {
        set += quote(attr) + " = (SELECT s." + quote(attr) + " FROM " + work + " s WHERE " +
               key_match("s", "t") + " LIMIT 1), ";
      }
      int64_t fixed = 0, closed = 0, opened = 0;
      if (!attributes.empty()) {
        CTL_ASSIGN_OR_RETURN(fixed, exec("correcting versions opened at " + ctx.data_dt,
                                         "UPDATE " + target + " AS t SET " + set + "data_dt = :data_dt "
                                         "WHERE t.is_current = 1 AND t.valid_from = :data_dt AND EXISTS (SELECT 1 FROM " +
                                         work + " s WHERE " + key_match("s", "t") + " AND " +
                                         differs("s", "t") + ")"));
        CTL_ASSIGN_OR_RETURN(closed, exec("closing changed versions",
                                          "UPDATE " + target + " AS t SET valid_to = :data_dt, is_current = 0 "
                                          "WHERE t.is_current = 1 AND t.valid_from < :data_dt AND EXISTS (SELECT 1 FROM " +
                                          work + " s WHERE " + key_match("s", "t") + " AND " +
                                          differs("s", "t") + ")"));
      }
      CTL_ASSIGN_OR_RETURN(opened, exec("opening new versions",
                                        "INSERT INTO " + target + " (" + col_list +
                                            ", data_dt, valid_from, valid_to, is_current) SELECT " + col_list +
                                            ", :data_dt, :data_dt, :open_end, 1 FROM " + work + " s "
                                            "WHERE NOT EXISTS (SELECT 1 FROM " + target + " t WHERE t.is_current = 1 AND " +
                                            key_match("s", "t") + ")"));
      written = fixed + closed + opened;
      AppendLogLine(ctx.log_path, "scd2 on " + target_name + ": " + std::to_string(opened) + " versions opened, " +
                                      std::to_string(closed) + " closed, " + std::to_string(fixed) +
                                      " corrected (re-run of " + ctx.data_dt + ")");
    }
    CTL_ASSIGN_OR_RETURN(ignored, exec("dropping the work table", "DROP TABLE " + work));
    CTL_RETURN_IF_ERROR(wh.Commit());
    tx.open = false;
    return Status::Ok();
  };
  Status st = run();
  wh.SetStop(nullptr);
  if (stopper.timed_out()) {
    out.status = AttemptStatus::kTimedOut;
    return fail(TimeoutMessage(p, "the load was rolled back"));
  }
  if (stopper.cancelled()) return fail(CancelMessage(ctx, "the load was rolled back"));
  if (!st.ok()) return fail(st.message() + "; the load was rolled back");
  out.status = AttemptStatus::kSuccess;
  out.source_row = source_rows;
  out.target_row = written;
  out.message = mode + " of " + std::to_string(source_rows) + " source rows into " + target_name + ": " +
                std::to_string(written) + " rows written";
  AppendLogLine(ctx.log_path, out.message);
  return out;
}

}  // namespace ctlflow

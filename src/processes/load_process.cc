#include "processes/load_process.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/strings.h"
#include "common/shell_words.h"

namespace ctlflow {

namespace {

const char* const kOpenEnd = "9999-12-31";

std::string Qualified(const std::string& schema, const std::string& table) {
  return (schema.empty() ? "" : QuoteIdent(schema) + ".") + QuoteIdent(table);
}

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
  const std::string source = Qualified(p.src_schm_nm, p.src_tbl);
  const std::string target = Qualified(p.tgt_schm_nm, p.tgt_tbl);
  const std::string source_name = (p.src_schm_nm.empty() ? "" : p.src_schm_nm + ".") + p.src_tbl;
  const std::string target_name = (p.tgt_schm_nm.empty() ? "" : p.tgt_schm_nm + ".") + p.tgt_tbl;

  auto conn = ctx.connections->Open(p.conn_nm);
  if (!conn.ok()) return fail("conn_nm: " + conn.status().message());
  WarehouseConnection& wh = **conn;

  auto src_cols = wh.DescribeTable(p.src_schm_nm, p.src_tbl);
  if (!src_cols.ok()) return fail(source_name + ": " + src_cols.status().message());
  if (!*src_cols) return fail("source table " + source_name + " does not exist");
  bool source_has_dt = false;
  for (const auto& c : **src_cols) source_has_dt |= Lower(c.name) == "data_dt";

  // Target columns: the af_parm mapping, or every non-audit source column.
  std::vector<TargetColumn> columns;
  auto words = SplitShellWords(p.af_parm);
  if (!words.ok()) return fail("af_parm: " + words.status().message());
  for (const auto& w : *words) {
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
      if (!IsReserved(c.name)) columns.push_back({c.name, QuoteIdent(c.name), c.type});
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
  wanted.emplace_back("data_dt", "TEXT");
  if (mode == "scd2") {
    wanted.emplace_back("valid_from", "TEXT");
    wanted.emplace_back("valid_to", "TEXT");
    wanted.emplace_back("is_current", "INTEGER");
  }
  std::string key_list;
  for (const auto& k : keys) key_list += (key_list.empty() ? "" : ", ") + QuoteIdent(k);
  auto existing = wh.DescribeTable(p.tgt_schm_nm, p.tgt_tbl);
  if (!existing.ok()) return fail(target_name + ": " + existing.status().message());
  const std::string index_name = (p.tgt_schm_nm.empty() ? "" : QuoteIdent(p.tgt_schm_nm) + ".") +
                                 QuoteIdent(p.tgt_tbl + (mode == "merge" ? "_key" : "_scd2_key"));
  if (!*existing) {
    std::string ddl = "CREATE TABLE " + target + " (";
    for (size_t i = 0; i < wanted.size(); ++i) {
      ddl += (i ? ", " : "") + QuoteIdent(wanted[i].first) + (wanted[i].second.empty() ? "" : " " + wanted[i].second);
    }
    auto r = wh.Execute(ddl + ")");
    if (!r.ok()) return fail("creating " + target_name + ": " + r.status().message());
    AppendLogLine(ctx.log_path, "created table " + target_name);
  } else {
    std::set<std::string> have;
    for (const auto& c : **existing) have.insert(Lower(c.name));
    for (const auto& [name, type] : wanted) {
      if (have.count(Lower(name))) continue;
      auto r = wh.Execute("ALTER TABLE " + target + " ADD COLUMN " + QuoteIdent(name) +
                          (type.empty() ? "" : " " + type));
      if (!r.ok()) return fail("adding column " + name + " to " + target_name + ": " + r.status().message());
      AppendLogLine(ctx.log_path, "added column " + name + " to " + target_name);
    }
  }
  if (mode == "merge" || mode == "scd2") {
    // merge: INSERT ... ON CONFLICT needs a unique index on the keys.
    // scd2: one current version per key, enforced by a partial unique index.
    std::string ddl = "CREATE UNIQUE INDEX IF NOT EXISTS " + index_name + " ON " + QuoteIdent(p.tgt_tbl) +
                      " (" + key_list + (mode == "scd2" ? ", valid_from)" : ")");
    auto r = wh.Execute(ddl);
    if (!r.ok()) {
      return fail("creating a unique index on key_cols (" + p.key_cols + ") of " + target_name + ": " +
                  r.status().message());
    }
  }

  StopCheck stopper(ctx);
  const std::function<bool()> stop = stopper.AsFunction();
  wh.SetStop(stop);
  SqlParams params{{"data_dt", ctx.data_dt}, {"run_id", ctx.run_id}, {"open_end", std::string(kOpenEnd)}};

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
    std::string select = "SELECT ";
    for (size_t i = 0; i < columns.size(); ++i) {
      select += (i ? ", " : "") + columns[i].expr + " AS " + QuoteIdent(columns[i].name);
    }
    select += " FROM " + source + (source_has_dt ? " WHERE data_dt = :data_dt" : "");
    CTL_ASSIGN_OR_RETURN(int64_t ignored, exec("dropping the work table", "DROP TABLE IF EXISTS temp.ctlflow_load_src"));
    (void)ignored;
    CTL_ASSIGN_OR_RETURN(ignored, exec("reading " + source_name, "CREATE TEMP TABLE ctlflow_load_src AS " + select));
    auto count = wh.Execute("SELECT count(*) FROM temp.ctlflow_load_src");
    if (!count.ok()) return count.status();
    source_rows = std::get<int64_t>(count->rows[0][0]);
    AppendLogLine(ctx.log_path, std::to_string(source_rows) + " source rows in " + source_name +
                                    (source_has_dt ? " for data_dt " + ctx.data_dt : ""));

    std::string col_list;
    for (const auto& c : columns) col_list += (col_list.empty() ? "" : ", ") + QuoteIdent(c.name);
    auto differs = [&](const std::string& a, const std::string& b) {
      std::string cond;
      for (const auto& attr : attributes) {
        cond += (cond.empty() ? "" : " OR ") + a + "." + QuoteIdent(attr) + " IS NOT " + b + "." + QuoteIdent(attr);
      }
      return cond.empty() ? std::string("0") : "(" + cond + ")";
    };
    auto key_match = [&](const std::string& a, const std::string& b) {
      std::string cond;
      for (const auto& k : keys) cond += (cond.empty() ? "" : " AND ") + a + "." + QuoteIdent(k) + " IS " + b + "." + QuoteIdent(k);
      return cond;
    };
    if (mode == "append" || mode == "overwrite") {
      CTL_ASSIGN_OR_RETURN(int64_t removed, exec("clearing " + target_name + " for " + ctx.data_dt,
                                                 "DELETE FROM " + target + " WHERE data_dt = :data_dt"));
      if (removed) AppendLogLine(ctx.log_path, "replaced " + std::to_string(removed) + " rows of data_dt " + ctx.data_dt);
      CTL_ASSIGN_OR_RETURN(written, exec("inserting into " + target_name,
                                         "INSERT INTO " + target + " (" + col_list + ", data_dt) SELECT " + col_list +
                                             ", :data_dt FROM temp.ctlflow_load_src"));
      AppendLogLine(ctx.log_path, std::to_string(written) + " rows inserted into " + target_name);
    } else if (mode == "merge") {
      std::string set;
      for (const auto& attr : attributes) set += QuoteIdent(attr) + " = excluded." + QuoteIdent(attr) + ", ";
      set += "data_dt = excluded.data_dt";
      CTL_ASSIGN_OR_RETURN(written, exec("merging into " + target_name,
                                         "INSERT INTO " + target + " AS t (" + col_list + ", data_dt) SELECT " +
                                             col_list + ", :data_dt FROM temp.ctlflow_load_src WHERE true " +
                                             "ON CONFLICT (" + key_list + ") DO UPDATE SET " + set + " WHERE " +
                                             differs("t", "excluded")));
      AppendLogLine(ctx.log_path, std::to_string(written) + " rows inserted or updated in " + target_name);
    } else {
      // scd2. A current version opened at this very date (a re-run) is
      // corrected in place; an older one is closed and a new one opened.
      std::string set;
      for (const auto& attr : attributes) {
        set += QuoteIdent(attr) + " = (SELECT s." + QuoteIdent(attr) + " FROM temp.ctlflow_load_src s WHERE " +
               key_match("s", "t") + " LIMIT 1), ";
      }
      int64_t fixed = 0, closed = 0, opened = 0;
      if (!attributes.empty()) {
        CTL_ASSIGN_OR_RETURN(fixed, exec("correcting versions opened at " + ctx.data_dt,
                                         "UPDATE " + target + " AS t SET " + set + "data_dt = :data_dt "
                                         "WHERE t.is_current = 1 AND t.valid_from = :data_dt AND EXISTS (SELECT 1 FROM "
                                         "temp.ctlflow_load_src s WHERE " + key_match("s", "t") + " AND " +
                                         differs("s", "t") + ")"));
        CTL_ASSIGN_OR_RETURN(closed, exec("closing changed versions",
                                          "UPDATE " + target + " AS t SET valid_to = :data_dt, is_current = 0 "
                                          "WHERE t.is_current = 1 AND t.valid_from < :data_dt AND EXISTS (SELECT 1 FROM "
                                          "temp.ctlflow_load_src s WHERE " + key_match("s", "t") + " AND " +
                                          differs("s", "t") + ")"));
      }
      CTL_ASSIGN_OR_RETURN(opened, exec("opening new versions",
                                        "INSERT INTO " + target + " (" + col_list +
                                            ", data_dt, valid_from, valid_to, is_current) SELECT " + col_list +
                                            ", :data_dt, :data_dt, :open_end, 1 FROM temp.ctlflow_load_src s "
                                            "WHERE NOT EXISTS (SELECT 1 FROM " + target + " t WHERE t.is_current = 1 AND " +
                                            key_match("s", "t") + ")"));
      written = fixed + closed + opened;
      AppendLogLine(ctx.log_path, "scd2 on " + target_name + ": " + std::to_string(opened) + " versions opened, " +
                                      std::to_string(closed) + " closed, " + std::to_string(fixed) +
                                      " corrected (re-run of " + ctx.data_dt + ")");
    }
    CTL_ASSIGN_OR_RETURN(ignored, exec("dropping the work table", "DROP TABLE temp.ctlflow_load_src"));
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

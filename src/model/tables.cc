#include "model/tables.h"

#include <algorithm>
#include <charconv>

namespace ctlflow {

namespace {

ColumnDef Seed(std::string name, ColumnType type, bool nullable = true,
               std::string default_sql = "") {
  return ColumnDef{std::move(name), type, nullable, std::move(default_sql), true};
}
ColumnDef Ext(std::string name, ColumnType type, bool nullable = true,
              std::string default_sql = "") {
  return ColumnDef{std::move(name), type, nullable, std::move(default_sql), false};
}

constexpr ColumnType kText = ColumnType::kText;
constexpr ColumnType kInt = ColumnType::kInteger;

std::vector<TableDef> BuildDefs() {
  std::vector<TableDef> defs;
  defs.push_back(TableDef{
      kStreamTable,
      {Seed("strem_nm", kText, false), Seed("upt_dt", kText, true, "CURRENT_TIMESTAMP"),
       Seed("act_f", kInt, false, "1"), Seed("owner", kText),
       Ext("descr", kText), Ext("max_active_runs", kInt, false, "1")},
      {"strem_nm"},
      true});
  defs.push_back(TableDef{
      kGroupTable,
      {Seed("prcs_grp", kText, false), Seed("strem_nm", kText, false),
       Seed("prir", kInt, false, "1"), Seed("act_f", kInt, false, "1"),
       Seed("upt_dt", kText, true, "CURRENT_TIMESTAMP")},
      {"prcs_grp"},
      true});
  defs.push_back(TableDef{
      kProcessTable,
      {Seed("prcs_nm", kText, false), Seed("prcs_grp", kText, false),
       Seed("prir", kInt, false, "1"), Seed("src_schm_nm", kText), Seed("src_tbl", kText),
       Seed("tgt_schm_nm", kText), Seed("tgt_tbl", kText), Seed("prcs_typ", kInt, false),
       Seed("af_path_nm", kText), Seed("af_parm", kText), Seed("act_f", kInt, false, "1"),
       Seed("upt_dt", kText, true, "CURRENT_TIMESTAMP"),
       Ext("conn_nm", kText, false, "'warehouse'"), Ext("retries", kInt, false, "0"),
       Ext("retry_delay_s", kInt, false, "60"), Ext("timeout_s", kInt),
       Ext("load_mode", kText), Ext("key_cols", kText), Ext("queue", kText)},
      {"prcs_nm"},
      true});
  defs.push_back(TableDef{
      kDependencyTable,
      {Seed("prcs_nm", kText, false), Seed("dpnd_prcs_nm", kText, false),
       Seed("act_f", kInt, false, "1"), Seed("upt_dt", kText, true, "CURRENT_TIMESTAMP"),
       Ext("depn_mode", kText, false, "'wait'"), Ext("wait_timeout_s", kInt, false, "3600")},
      {"prcs_nm", "dpnd_prcs_nm"},
      true});
  defs.push_back(TableDef{
      kScheduleTable,
      {Seed("prcs_nm", kText, false), Seed("minutes", kText, false), Seed("hours", kText, false),
       Seed("day_month", kText, false), Seed("months", kText, false), Seed("day_week", kText),
       Seed("upt_dt", kText, true, "CURRENT_TIMESTAMP"), Ext("tz", kText, false, "'UTC'"),
       Ext("catchup", kInt, false, "0"), Ext("start_dt", kText), Ext("end_dt", kText),
       Ext("act_f", kInt, false, "1")},
      {"prcs_nm"},
      true});
  defs.push_back(TableDef{
      kLogTable,
      {Seed("prcs_nm", kText, false), Seed("data_dt", kText), Seed("start_dt", kText),
       Seed("end_dt", kText), Seed("status", kInt, false), Seed("message", kText),
       Seed("source_row", kInt), Seed("target_row", kInt), Ext("run_id", kInt),
       Ext("attempt", kInt), Ext("strem_nm", kText), Ext("log_path", kText),
       Ext("worker_nm", kText), Ext("queued_dt", kText)},
      {},
      false});
  return defs;
}

}  // namespace

int TableDef::ColumnIndex(const std::string& column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return static_cast<int>(i);
  }
  return -1;
}

std::vector<int> TableDef::KeyIndexes() const {
  std::vector<int> out;
  for (const auto& k : key) out.push_back(ColumnIndex(k));
  return out;
}

bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

std::string ValueToString(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    // Shortest text that reads back as the same double.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), *d);
    return std::string(buf, res.ptr);
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

const std::vector<TableDef>& ControlTableDefs() {
  static const std::vector<TableDef> defs = BuildDefs();
  return defs;
}

const TableDef* FindControlTable(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower.rfind("cntl_af.", 0) == 0) lower = lower.substr(8);
  for (const auto& def : ControlTableDefs()) {
    if (def.name == lower) return &def;
  }
  return nullptr;
}

std::string RowKeyText(const TableDef& table, const Row& row) {
  std::string out;
  for (int idx : table.KeyIndexes()) {
    if (!out.empty()) out += "/";
    out += idx >= 0 && static_cast<size_t>(idx) < row.values.size()
               ? ValueToString(row.values[idx])
               : "";
  }
  return out;
}

}  // namespace ctlflow

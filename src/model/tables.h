// The control tables as data: one TableDef per table, with the seed's columns
// first and ctlflow's nullable/defaulted extension columns after them.
//
// Everything that handles rows generically (DDL in the store, `apply`,
// `export`, `sql --json`) is driven by these definitions, so a column is
// declared exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ctlflow {

enum class ColumnType { kText, kInteger };

struct ColumnDef {
  std::string name;
  ColumnType type;
  bool nullable;
  // SQL text of the DEFAULT clause, e.g. "1" or "'warehouse'"; empty = none.
  std::string default_sql;
  bool seed;  // true for the seed's own columns, false for extensions
};

struct TableDef {
  std::string name;                 // e.g. "cntl_cfg_prcs"
  std::vector<ColumnDef> columns;   // in DDL order
  std::vector<std::string> key;     // primary (or unique) key columns
  bool config;                      // edited by apply/export (false: the log)

  int ColumnIndex(const std::string& column) const;  // -1 if absent
  std::vector<int> KeyIndexes() const;
};

// A cell value: NULL, integer, real or text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

bool IsNull(const Value& v);
std::string ValueToString(const Value& v);  // "" for NULL

// One row of a table, values aligned with TableDef::columns.
struct Row {
  std::vector<Value> values;
};

// All tables, in dependency order: streams, groups, processes, dependencies,
// schedules, log.
const std::vector<TableDef>& ControlTableDefs();
const TableDef* FindControlTable(const std::string& name);

inline constexpr const char* kStreamTable = "cntl_cfg_strem";
inline constexpr const char* kGroupTable = "cntl_cfg_prcs_grp";
inline constexpr const char* kProcessTable = "cntl_cfg_prcs";
inline constexpr const char* kDependencyTable = "cntl_cfg_prcs_depn";
inline constexpr const char* kScheduleTable = "cntl_cfg_schedule";
inline constexpr const char* kLogTable = "cntl_cfg_log";

// The key of a row as shown to users: "PRCS_A" or "PRCS_A/PRCS_B".
std::string RowKeyText(const TableDef& table, const Row& row);

}  // namespace ctlflow

// Typed control-table entities, read from generic rows (tables.h).
//
// The compiler works on these; the store and the config I/O work on rows.
// Conversion reports the table, row key and column of every bad value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"

namespace ctlflow {

struct Stream {
  std::string strem_nm;
  bool active = true;
  std::string owner;
  std::string descr;
  int64_t max_active_runs = 1;
};

struct ProcessGroup {
  std::string prcs_grp;
  std::string strem_nm;
  int64_t prir = 1;
  bool active = true;
};

// prcs_typ values.
enum class ProcessType : int64_t {
  kNotebook = 1,
  kSql = 2,
  kCommand = 3,
  kIngest = 4,
  kLoad = 5,
};
const char* ProcessTypeName(int64_t prcs_typ);  // nullptr if unknown
bool IsKnownProcessType(int64_t prcs_typ);

struct Process {
  std::string prcs_nm;
  std::string prcs_grp;
  int64_t prir = 1;
  std::string src_schm_nm, src_tbl, tgt_schm_nm, tgt_tbl;
  int64_t prcs_typ = 0;
  std::string af_path_nm;
  std::string af_parm;
  bool active = true;
  std::string conn_nm = "warehouse";
  int64_t retries = 0;
  int64_t retry_delay_s = 60;
  std::optional<int64_t> timeout_s;
  std::string load_mode;
  std::string key_cols;
  // Workers serving this queue run the process ("" = the default queue).
  std::string queue;
};

enum class DependencyMode { kWait, kTrigger };

struct Dependency {
  std::string prcs_nm;       // the dependant
  std::string dpnd_prcs_nm;  // what it depends on
  bool active = true;
  DependencyMode mode = DependencyMode::kWait;
  int64_t wait_timeout_s = 3600;
};

struct Schedule {
  std::string strem_nm;  // stored in the seed's column prcs_nm
  std::string minutes, hours, day_month, months, day_week;  // day_week "" = '*'
  std::string tz = "UTC";
  bool catchup = false;
  std::string start_dt, end_dt;
  bool active = true;
};

// Everything the compiler needs, as read from the store in one snapshot.
struct ControlConfig {
  std::vector<Stream> streams;
  std::vector<ProcessGroup> groups;
  std::vector<Process> processes;
  std::vector<Dependency> dependencies;
  std::vector<Schedule> schedules;
};

// Rows of each config table, in ControlTableDefs() order (log excluded).
struct TableRows {
  const TableDef* table = nullptr;
  std::vector<Row> rows;
};

// Converts generic rows into typed entities. Each error names table, key and
// column; all errors are collected, one per line.
Result<ControlConfig> ConfigFromRows(const std::vector<TableRows>& tables);

}  // namespace ctlflow

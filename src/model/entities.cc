#include "model/entities.h"

#include <sstream>

namespace ctlflow {

const char* ProcessTypeName(int64_t prcs_typ) {
  switch (prcs_typ) {
    case 1: return "notebook";
    case 2: return "sql";
    case 3: return "command";
    case 4: return "ingest";
    case 5: return "load";
    default: return nullptr;
  }
}

bool IsKnownProcessType(int64_t prcs_typ) { return ProcessTypeName(prcs_typ) != nullptr; }

namespace {

// Reads typed cells of one row by column name, collecting errors.
class CellReader {
 public:
  CellReader(const TableDef& table, const Row& row, std::vector<std::string>* errors)
      : table_(table), row_(row), errors_(errors) {}

  std::string Text(const char* column) {
    const Value* v = Cell(column);
    if (v == nullptr || IsNull(*v)) return "";
    if (const auto* s = std::get_if<std::string>(v)) return *s;
    return ValueToString(*v);
  }

  std::optional<int64_t> OptionalInt(const char* column) {
    const Value* v = Cell(column);
    if (v == nullptr || IsNull(*v)) return std::nullopt;
    if (const auto* i = std::get_if<int64_t>(v)) return *i;
    if (const auto* s = std::get_if<std::string>(v)) {
      try {
        size_t used = 0;
        int64_t parsed = std::stoll(*s, &used);
        if (used == s->size()) return parsed;
      } catch (...) {
      }
    }
    Error(column, "expected an integer, got '" + ValueToString(*v) + "'");
    return std::nullopt;
  }

  int64_t Int(const char* column, int64_t fallback) {
    return OptionalInt(column).value_or(fallback);
  }

  bool Flag(const char* column, bool fallback) {
    auto v = OptionalInt(column);
    if (!v) return fallback;
    if (*v != 0 && *v != 1) {
      Error(column, "expected 0 or 1, got " + std::to_string(*v));
      return fallback;
    }
    return *v == 1;
  }

  void Error(const char* column, const std::string& what) {
    errors_->push_back("table " + table_.name + " row " + RowKeyText(table_, row_) +
                       " column " + column + ": " + what);
  }

 private:
  const Value* Cell(const char* column) {
    int idx = table_.ColumnIndex(column);
    if (idx < 0 || static_cast<size_t>(idx) >= row_.values.size()) return nullptr;
    return &row_.values[idx];
  }

  const TableDef& table_;
  const Row& row_;
  std::vector<std::string>* errors_;
};

}  // namespace

Result<ControlConfig> ConfigFromRows(const std::vector<TableRows>& tables) {
  ControlConfig config;
  std::vector<std::string> errors;
  for (const auto& t : tables) {
    if (t.table == nullptr) continue;
    const std::string& name = t.table->name;
    for (const auto& row : t.rows) {
      CellReader c(*t.table, row, &errors);
      if (name == kStreamTable) {
        Stream s;
        s.strem_nm = c.Text("strem_nm");
        s.active = c.Flag("act_f", true);
        s.owner = c.Text("owner");
        s.descr = c.Text("descr");
        s.max_active_runs = c.Int("max_active_runs", 1);
        config.streams.push_back(std::move(s));
      } else if (name == kGroupTable) {
        ProcessGroup g;
        g.prcs_grp = c.Text("prcs_grp");
        g.strem_nm = c.Text("strem_nm");
        g.prir = c.Int("prir", 1);
        g.active = c.Flag("act_f", true);
        config.groups.push_back(std::move(g));
      } else if (name == kProcessTable) {
        Process p;
        p.prcs_nm = c.Text("prcs_nm");
        p.prcs_grp = c.Text("prcs_grp");
        p.prir = c.Int("prir", 1);
        p.src_schm_nm = c.Text("src_schm_nm");
        p.src_tbl = c.Text("src_tbl");
        p.tgt_schm_nm = c.Text("tgt_schm_nm");
        p.tgt_tbl = c.Text("tgt_tbl");
        p.prcs_typ = c.Int("prcs_typ", 0);
        p.af_path_nm = c.Text("af_path_nm");
        p.af_parm = c.Text("af_parm");
        p.active = c.Flag("act_f", true);
        p.conn_nm = c.Text("conn_nm");
        if (p.conn_nm.empty()) p.conn_nm = "warehouse";
        p.retries = c.Int("retries", 0);
        p.retry_delay_s = c.Int("retry_delay_s", 60);
        p.timeout_s = c.OptionalInt("timeout_s");
        p.load_mode = c.Text("load_mode");
        p.key_cols = c.Text("key_cols");
        p.queue = c.Text("queue");
        config.processes.push_back(std::move(p));
      } else if (name == kDependencyTable) {
        Dependency d;
        d.prcs_nm = c.Text("prcs_nm");
        d.dpnd_prcs_nm = c.Text("dpnd_prcs_nm");
        d.active = c.Flag("act_f", true);
        std::string mode = c.Text("depn_mode");
        if (mode.empty() || mode == "wait") {
          d.mode = DependencyMode::kWait;
        } else if (mode == "trigger") {
          d.mode = DependencyMode::kTrigger;
        } else {
          c.Error("depn_mode", "expected 'wait' or 'trigger', got '" + mode + "'");
        }
        d.wait_timeout_s = c.Int("wait_timeout_s", 3600);
        config.dependencies.push_back(std::move(d));
      } else if (name == kScheduleTable) {
        Schedule s;
        s.strem_nm = c.Text("prcs_nm");
        s.minutes = c.Text("minutes");
        s.hours = c.Text("hours");
        s.day_month = c.Text("day_month");
        s.months = c.Text("months");
        s.day_week = c.Text("day_week");
        s.tz = c.Text("tz");
        if (s.tz.empty()) s.tz = "UTC";
        s.catchup = c.Flag("catchup", false);
        s.start_dt = c.Text("start_dt");
        s.end_dt = c.Text("end_dt");
        s.active = c.Flag("act_f", true);
        config.schedules.push_back(std::move(s));
      }
    }
  }
  if (!errors.empty()) {
    std::ostringstream out;
    for (size_t i = 0; i < errors.size(); ++i) out << (i ? "\n" : "") << errors[i];
    return Status::Invalid(out.str());
  }
  return config;
}

}  // namespace ctlflow

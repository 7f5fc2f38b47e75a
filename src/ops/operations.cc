#include "ops/operations.h"

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "warehouse/connections.h"

namespace ctlflow {

namespace {

// Where each row of the input came from, to point validation errors at it.
using Locations = std::map<std::pair<std::string, std::string>, std::string>;

// Puts "file:line: " in front of every message line that names a row
// ("table T row K ...") the input gave.
Status WithLocations(const Status& status, const Locations& locations) {
  if (status.ok() || locations.empty()) return status;
  static const std::regex kRow(R"(^table (\S+) row (\S+))");
  std::istringstream in(status.message());
  std::string line, text;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRow)) {
      auto it = locations.find({m[1].str(), m[2].str()});
      if (it != locations.end()) line = it->second + ": " + line;
    }
    text += (text.empty() ? "" : "\n") + line;
  }
  return Status::Error(status.code(), text);
}

Result<std::vector<TableChangeSummary>> ApplyWithLocations(MetadataStore& store,
                                                           const std::vector<TableChange>& changes,
                                                           const Locations& locations, bool dry_run) {
  auto result = store.ApplyChanges(changes, ValidateRows, dry_run);
  if (!result.ok()) return WithLocations(result.status(), locations);
  return result;
}

// Parses a cell given as text (command line, CSV, form) for a column's
// type. An empty text is NULL.
Result<Value> ParseCell(const TableDef& table, const ColumnDef& column, const std::string& text) {
  if (text.empty()) {
    if (!column.nullable) {
      return Status::Invalid("table " + table.name + " column " + column.name + " may not be null");
    }
    return Value();
  }
  if (column.type == ColumnType::kText) return Value(text);
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size()) return Value(static_cast<int64_t>(v));
  } catch (...) {
  }
  return Status::Invalid("table " + table.name + " column " + column.name +
                         ": expected an integer, got '" + text + "'");
}

}  // namespace

Result<ControlConfig> LoadConfig(MetadataStore& store) {
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> rows, store.ReadConfigTables());
  return ConfigFromRows(rows);
}

Status RequireStream(MetadataStore& store, const std::string& stream) {
  CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(store));
  for (const auto& s : config.streams)
    if (s.strem_nm == stream) return Status::Ok();
  return Status::NotFound("unknown stream '" + stream + "' in cntl_cfg_strem");
}

std::string UtcNow(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

std::string TodayUtc() { return UtcNow("%Y-%m-%d"); }

Status CheckDate(const std::string& text, const std::string& field) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
               std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3;
  if (shape) {
    auto ymd = std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(m)} /
               std::chrono::day{static_cast<unsigned>(d)};
    if (ymd.ok()) return Status::Ok();
  }
  return Status::Invalid(field + ": '" + text + "' is not a date; expected YYYY-MM-DD, e.g. 2024-11-16");
}

Status CheckParamNames(const std::map<std::string, std::string>& params, const std::string& field) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  for (const auto& [key, value] : params) {
    if (!std::regex_match(key, kName)) {
      return Status::Invalid(field + ": '" + key + "' is not a parameter name; use letters, digits and _");
    }
  }
  return Status::Ok();
}

Result<std::map<std::string, std::string>> ParseParams(const std::vector<std::string>& params) {
  std::map<std::string, std::string> out;
  for (const auto& kv : params) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return Status::Invalid("--param '" + kv + "': expected name=value with a name of letters, digits and _");
    }
    std::map<std::string, std::string> one{{kv.substr(0, eq), kv.substr(eq + 1)}};
    if (!CheckParamNames(one, "--param").ok()) {
      return Status::Invalid("--param '" + kv + "': expected name=value with a name of letters, digits and _");
    }
    out.insert(one.begin(), one.end());
  }
  return out;
}

Result<TriggerResult> TriggerRun(MetadataStore& store, const std::string& stream, const std::string& date,
                                 const std::map<std::string, std::string>& params,
                                 const std::string& date_field) {
  TriggerResult out{0, stream, date.empty() ? TodayUtc() : date};
  CTL_RETURN_IF_ERROR(CheckDate(out.data_dt, date_field));
  CTL_RETURN_IF_ERROR(RequireStream(store, stream));
  RunRecord run;
  run.strem_nm = stream;
  run.data_dt = out.data_dt;
  run.status = static_cast<int64_t>(RunStatus::kQueued);
  run.run_typ = "manual";
  run.params_json = nlohmann::json(params).dump();
  CTL_ASSIGN_OR_RETURN(out.run_id, store.CreateRun(run));
  return out;
}

Status PauseStream(MetadataStore& store, const std::string& stream, bool paused) {
  CTL_RETURN_IF_ERROR(RequireStream(store, stream));
  return store.SetPaused(stream, paused);
}

Result<std::vector<RunClear>> ClearsFor(MetadataStore& store, const RunRecord& run, bool failed_only,
                                        const std::set<std::string>& only) {
  LogFilter filter;
  filter.run_id = run.run_id;
  CTL_ASSIGN_OR_RETURN(auto attempts, store.QueryLog(filter));
  std::map<std::string, const AttemptRecord*> latest;
  for (const auto& a : attempts) {
    auto it = latest.find(a.prcs_nm);
    if (it == latest.end() || it->second->attempt < a.attempt) latest[a.prcs_nm] = &a;
  }
  std::vector<RunClear> clears;
  for (const auto& [name, a] : latest) {
    bool ok = a->status == static_cast<int64_t>(AttemptStatus::kSuccess) ||
              a->status == static_cast<int64_t>(AttemptStatus::kSkipped);
    if (failed_only && ok) continue;
    if (!only.empty() && !only.count(name)) continue;
    clears.push_back({name, a->attempt});
  }
  return clears;
}

Result<ClearResult> ClearStreamRun(MetadataStore& store, const std::string& stream, const std::string& date,
                                   bool failed_only, const std::vector<std::string>& processes,
                                   const std::string& date_field, const std::string& processes_field) {
  CTL_RETURN_IF_ERROR(CheckDate(date, date_field));
  CTL_RETURN_IF_ERROR(RequireStream(store, stream));
  RunFilter filter;
  filter.stream = stream;
  filter.data_dt = date;
  CTL_ASSIGN_OR_RETURN(auto runs, store.ListRuns(filter));
  if (runs.empty()) return Status::NotFound("stream " + stream + " has no run for " + date);
  const RunRecord& run = runs.back();
  std::set<std::string> only(processes.begin(), processes.end());
  if (!only.empty()) {
    // A cleared process takes everything downstream of it along.
    CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(store));
    CTL_ASSIGN_OR_RETURN(Plan plan, Compile(config, stream));
    std::vector<int> stack;
    for (const auto& p : processes) {
      int node = plan.FindProcess(p);
      if (node < 0) return Status::NotFound(processes_field + ": stream " + stream + " has no process '" + p + "'");
      stack.push_back(node);
    }
    while (!stack.empty()) {
      int n = stack.back();
      stack.pop_back();
      if (plan.nodes()[n].kind == PlanNode::Kind::kProcess) only.insert(plan.nodes()[n].name);
      for (int d : plan.nodes()[n].downstream) stack.push_back(d);
    }
  }
  ClearResult out;
  out.run_id = run.run_id;
  CTL_ASSIGN_OR_RETURN(out.clears, ClearsFor(store, run, failed_only, only));
  if (out.clears.empty()) return out;
  CTL_RETURN_IF_ERROR(store.ClearRun(run.run_id, static_cast<RunStatus>(run.status), out.clears));
  return out;
}

Result<std::string> CancelRun(MetadataStore& store, int64_t run_id, const std::string& reason) {
  CTL_ASSIGN_OR_RETURN(RunStatus before, store.RequestCancel(run_id, reason));
  switch (before) {
    case RunStatus::kQueued:
      return "run " + std::to_string(run_id) + " cancelled";
    case RunStatus::kRunning:
      return "run " + std::to_string(run_id) +
             ": cancel requested; the process running it stops it within a second";
    default:
      return Status::Invalid("run " + std::to_string(run_id) + " has already finished (" +
                             RunStatusName(static_cast<int64_t>(before)) + ")");
  }
}

Result<std::vector<TableChangeSummary>> ApplyDocument(MetadataStore& store, const ConfigDocument& doc,
                                                      bool prune, bool dry_run) {
  std::vector<TableChange> changes;
  Locations locations;
  for (const auto& t : doc.tables) {
    TableChange change;
    change.table = t.table;
    change.prune = prune;
    for (const auto& r : t.rows) {
      change.upserts.push_back(UpsertRow{r.row, r.present});
      if (!r.where.file.empty()) locations[{t.table->name, RowKeyText(*t.table, r.row)}] = r.where.ToString();
    }
    changes.push_back(std::move(change));
  }
  return ApplyWithLocations(store, changes, locations, dry_run);
}

Result<std::vector<TableChangeSummary>> DeleteRows(MetadataStore& store, const TableDef& table,
                                                   const std::vector<std::string>& keys, bool dry_run) {
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> tables, store.ReadConfigTables());
  const TableRows* rows = nullptr;
  for (const auto& t : tables)
    if (t.table->name == table.name) rows = &t;
  if (!rows) return Status::Invalid("table " + table.name + " is not a control table that can be edited");
  std::set<std::string> wanted(keys.begin(), keys.end());
  TableChange change;
  change.table = &table;
  change.prune = true;
  for (const auto& r : rows->rows) {
    std::string key = RowKeyText(table, r);
    if (wanted.erase(key)) continue;
    change.upserts.push_back(UpsertRow{r, std::vector<bool>(table.columns.size(), true)});
  }
  if (!wanted.empty()) return Status::NotFound("table " + table.name + " has no row " + *wanted.begin());
  return ApplyWithLocations(store, {change}, {}, dry_run);
}

Result<std::vector<TableChangeSummary>> StampProcesses(MetadataStore& store, const std::vector<ProcessStamp>& stamps,
                                                       bool dry_run) {
  const TableDef& table = *FindControlTable(kProcessTable);
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> tables, store.ReadConfigTables());
  std::map<std::string, Row> existing;
  for (const auto& t : tables) {
    if (t.table->name != kProcessTable) continue;
    for (const auto& r : t.rows) existing[ValueToString(r.values[0])] = r;
  }
  const int name_idx = table.ColumnIndex("prcs_nm");
  const int upt_idx = table.ColumnIndex("upt_dt");
  TableChange change;
  change.table = &table;
  Locations locations;
  std::set<std::string> new_names;
  for (const auto& s : stamps) {
    auto fail = [&](const std::string& what) { return Status::Invalid(s.where + ": " + what); };
    if (s.name.empty()) return fail("the new process needs a name (prcs_nm)");
    if (s.like.empty()) return fail("say which process to copy (like)");
    if (existing.count(s.name)) {
      return fail("process " + s.name + " already exists in cntl_cfg_prcs; change it with apply or sql");
    }
    if (!new_names.insert(s.name).second) return fail("process " + s.name + " is stamped twice");
    auto base = existing.find(s.like);
    if (base == existing.end()) return fail("like: unknown process '" + s.like + "' in cntl_cfg_prcs");
    UpsertRow up{base->second, std::vector<bool>(table.columns.size(), true)};
    up.row.values[name_idx] = s.name;
    up.present[upt_idx] = false;  // a new row gets a new timestamp
    for (const auto& [col, value] : s.sets) {
      int idx = table.ColumnIndex(col);
      if (idx < 0) return fail("unknown column '" + col + "' in cntl_cfg_prcs");
      if (idx == name_idx) return fail("prcs_nm is the new name; do not set it");
      auto parsed = ParseCell(table, table.columns[idx], value);
      if (!parsed.ok()) return fail(parsed.status().message());
      up.row.values[idx] = *parsed;
    }
    locations[{kProcessTable, s.name}] = s.where;
    change.upserts.push_back(std::move(up));
  }
  return ApplyWithLocations(store, {change}, locations, dry_run);
}

Result<ConnectionDef> FindConnection(MetadataStore& store, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(auto stored, store.ListConnections());
  for (const auto& d : EffectiveConnections(stored)) {
    if (d.conn_nm == name) return d;
  }
  return Status::NotFound("no connection named '" + name + "'; see ctlflow connection list");
}

Result<ConnectionDef> SaveConnection(MetadataStore& store, const ConnectionDef& input) {
  ConnectionDef def = input;
  if (!def.password_file.empty()) {
    def.password_file = std::filesystem::absolute(def.password_file).lexically_normal().string();
  }
  CTL_RETURN_IF_ERROR(ValidateConnection(def));
  CTL_RETURN_IF_ERROR(store.UpsertConnection(def));
  return def;
}

Status RemoveUnusedConnection(MetadataStore& store, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(store));
  std::string users;
  for (const auto& p : config.processes) {
    if (p.conn_nm == name) users += (users.empty() ? "" : ", ") + p.prcs_nm;
  }
  if (!users.empty()) {
    return Status::Invalid("connection " + name + " is used by cntl_cfg_prcs.conn_nm of " + users +
                           "; change those rows first");
  }
  return store.RemoveConnection(name);
}

std::string FormatSummary(const std::vector<TableChangeSummary>& summaries, bool dry_run) {
  std::ostringstream out;
  for (const auto& s : summaries) {
    out << s.table << ": " << s.inserted.size() << " inserted, " << s.updated.size() << " updated, "
        << s.unchanged << " unchanged, " << s.deleted.size() << " deleted\n";
    for (const auto& k : s.inserted) out << "  + " << k << "\n";
    for (const auto& k : s.updated) out << "  ~ " << k << "\n";
    for (const auto& k : s.deleted) out << "  - " << k << "\n";
  }
  if (dry_run) out << "dry run: nothing was changed\n";
  return out.str();
}

}  // namespace ctlflow

// Subcommands that edit or show the control tables: apply, export, validate,
// sql, process new.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/csv.h"
#include "config/documents.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace fs = std::filesystem;

namespace {

// Where each row of the input came from, to point validation errors at it.
using Locations = std::map<std::pair<std::string, std::string>, std::string>;

// Puts "file:line: " in front of every message line that names a row
// ("table T row K ...") the input gave.
Status WithLocations(const Status& status, const Locations& locations) {
  if (status.ok()) return status;
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

void PrintSummary(std::ostream& out, const std::vector<TableChangeSummary>& summaries, bool dry_run) {
  for (const auto& s : summaries) {
    out << s.table << ": " << s.inserted.size() << " inserted, " << s.updated.size() << " updated, "
        << s.unchanged << " unchanged, " << s.deleted.size() << " deleted\n";
    for (const auto& k : s.inserted) out << "  + " << k << "\n";
    for (const auto& k : s.updated) out << "  ~ " << k << "\n";
    for (const auto& k : s.deleted) out << "  - " << k << "\n";
  }
  if (dry_run) out << "dry run: nothing was changed\n";
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
      locations[{t.table->name, RowKeyText(*t.table, r.row)}] = r.where.ToString();
    }
    changes.push_back(std::move(change));
  }
  return ApplyWithLocations(store, changes, locations, dry_run);
}

// Parses a cell given on the command line or in a CSV for a column's type.
// An empty text is NULL.
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

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Io("cannot write " + tmp);
    out << content;
    if (!out.flush()) return Status::Io("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Io("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Status CmdApply(const Home& home, const std::string& path, bool dry_run, bool prune) {
  CTL_ASSIGN_OR_RETURN(ConfigDocument doc, ReadConfigPath(path));
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(auto summaries, ApplyDocument(*store, doc, prune, dry_run));
  PrintSummary(std::cout, summaries, dry_run);
  return Status::Ok();
}

Status CmdValidate(const Home& home, const std::string& path) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  if (path.empty()) {
    CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(*store));
    CTL_RETURN_IF_ERROR(ValidationStatus(Validate(config)));
    std::cout << "valid: " << config.streams.size() << " streams, " << config.groups.size()
              << " groups, " << config.processes.size() << " processes, "
              << config.dependencies.size() << " dependencies, " << config.schedules.size()
              << " schedules\n";
    return Status::Ok();
  }
  CTL_ASSIGN_OR_RETURN(ConfigDocument doc, ReadConfigPath(path));
  CTL_ASSIGN_OR_RETURN(auto summaries, ApplyDocument(*store, doc, /*prune=*/false, /*dry_run=*/true));
  size_t rows = 0;
  for (const auto& t : doc.tables) rows += t.rows.size();
  std::cout << "valid: " << path << " (" << rows << " rows in " << doc.tables.size()
            << " tables), together with the rows already in the store\n";
  return Status::Ok();
}

Status CmdExport(const Home& home, const std::string& format, const std::string& path) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> tables, store->ReadConfigTables());
  if (format == "csv") {
    if (path.empty()) return Status::Invalid("export --format csv needs a folder: ctlflow export --format csv DIR");
    CTL_RETURN_IF_ERROR(WriteCsvDir(path, tables));
    std::cerr << "exported " << tables.size() << " tables to " << path << "\n";
    return Status::Ok();
  }
  if (format != "yaml") return Status::Invalid("--format: expected yaml or csv, got '" + format + "'");
  std::ostringstream out;
  CTL_RETURN_IF_ERROR(WriteYaml(out, tables));
  if (path.empty() || path == "-") {
    std::cout << out.str();
    return Status::Ok();
  }
  return WriteFileAtomically(path, out.str());
}

Status CmdSql(const Home& home, const std::string& conn, const std::string& sql_arg, bool json,
              const std::vector<std::string>& params) {
  std::string sql = sql_arg;
  if (sql == "-") {
    std::ostringstream in;
    in << std::cin.rdbuf();
    sql = in.str();
  }
  CTL_ASSIGN_OR_RETURN(auto values, ParseParams(params));
  if (conn.empty()) {
    if (!values.empty()) return Status::Invalid("--param binds values on a connection; add --conn NAME");
    CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
    CTL_ASSIGN_OR_RETURN(QueryResult result, store->ExecuteSql(sql));
    PrintQueryResult(std::cout, result, json);
    return Status::Ok();
  }
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  ConnectionRegistry registry(home.path, store.get());
  CTL_ASSIGN_OR_RETURN(auto connection, registry.Open(conn));
  SqlParams bound;
  for (const auto& [k, v] : values) bound[k] = v;
  CTL_ASSIGN_OR_RETURN(ScriptResult result, connection->RunScript(sql, bound, nullptr));
  PrintQueryResult(std::cout, result.last, json);
  return Status::Ok();
}

Status CmdProcessNew(const Home& home, const std::string& name, const std::string& like,
                     const std::vector<std::string>& sets, const std::string& from_csv, bool dry_run) {
  const TableDef& table = *FindControlTable(kProcessTable);
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> tables, store->ReadConfigTables());
  std::map<std::string, Row> existing;
  for (const auto& t : tables) {
    if (t.table->name != kProcessTable) continue;
    for (const auto& r : t.rows) existing[ValueToString(r.values[0])] = r;
  }
  const int name_idx = table.ColumnIndex("prcs_nm");
  const int upt_idx = table.ColumnIndex("upt_dt");

  struct Stamp {
    std::string name, like;
    std::vector<std::pair<std::string, std::string>> sets;
    std::string where;  // "file:line" or "command line"
  };
  std::vector<Stamp> stamps;
  if (!from_csv.empty()) {
    std::ifstream in(from_csv);
    if (!in) return Status::Io("cannot read " + from_csv);
    CsvReader reader(in, from_csv);
    CsvRecord header, record;
    CTL_ASSIGN_OR_RETURN(bool has_header, reader.Next(&header));
    if (!has_header) return Status::Invalid(from_csv + ": empty file; expected a header with prcs_nm");
    std::vector<std::string> columns;
    for (const auto& f : header.fields) columns.push_back(f.text);
    if (std::find(columns.begin(), columns.end(), "prcs_nm") == columns.end()) {
      return Status::Invalid(from_csv + ":" + std::to_string(header.line) +
                             ": the header needs a prcs_nm column (and optionally like)");
    }
    while (true) {
      CTL_ASSIGN_OR_RETURN(bool more, reader.Next(&record));
      if (!more) break;
      std::string where = from_csv + ":" + std::to_string(record.line);
      if (record.fields.size() != columns.size()) {
        return Status::Invalid(where + ": " + std::to_string(record.fields.size()) +
                               " fields, but the header has " + std::to_string(columns.size()));
      }
      Stamp s;
      s.like = like;
      s.where = where;
      for (size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == "prcs_nm") s.name = record.fields[i].text;
        else if (columns[i] == "like") { if (!record.fields[i].text.empty()) s.like = record.fields[i].text; }
        else s.sets.emplace_back(columns[i], record.fields[i].text);
      }
      stamps.push_back(std::move(s));
    }
  } else {
    Stamp s{name, like, {}, "command line"};
    for (const auto& set : sets) {
      size_t eq = set.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Status::Invalid("--set '" + set + "': expected column=value");
      }
      s.sets.emplace_back(set.substr(0, eq), set.substr(eq + 1));
    }
    stamps.push_back(std::move(s));
  }

  TableChange change;
  change.table = &table;
  Locations locations;
  std::set<std::string> new_names;
  for (const auto& s : stamps) {
    auto fail = [&](const std::string& what) { return Status::Invalid(s.where + ": " + what); };
    if (s.name.empty()) return fail("the new process needs a name (prcs_nm)");
    if (s.like.empty()) return fail("say which process to copy: --like EXISTING");
    if (existing.count(s.name)) return fail("process " + s.name + " already exists in cntl_cfg_prcs; change it with apply or sql");
    if (!new_names.insert(s.name).second) return fail("process " + s.name + " is stamped twice");
    auto base = existing.find(s.like);
    if (base == existing.end()) return fail("--like: unknown process '" + s.like + "' in cntl_cfg_prcs");
    UpsertRow up{base->second, std::vector<bool>(table.columns.size(), true)};
    up.row.values[name_idx] = s.name;
    up.present[upt_idx] = false;  // a new row gets a new timestamp
    for (const auto& [col, value] : s.sets) {
      int idx = table.ColumnIndex(col);
      if (idx < 0) return fail("unknown column '" + col + "' in cntl_cfg_prcs");
      if (idx == name_idx) return fail("prcs_nm is the new name; do not --set it");
      auto parsed = ParseCell(table, table.columns[idx], value);
      if (!parsed.ok()) return fail(parsed.status().message());
      up.row.values[idx] = *parsed;
    }
    locations[{kProcessTable, s.name}] = s.where;
    change.upserts.push_back(std::move(up));
  }
  CTL_ASSIGN_OR_RETURN(auto summaries, ApplyWithLocations(*store, {change}, locations, dry_run));
  PrintSummary(std::cout, summaries, dry_run);
  return Status::Ok();
}

}  // namespace ctlflow

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
  std::cout << FormatSummary(summaries, dry_run);
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
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  std::vector<ProcessStamp> stamps;
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
      ProcessStamp s;
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
    ProcessStamp s{name, like, {}, "command line"};
    for (const auto& set : sets) {
      size_t eq = set.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Status::Invalid("--set '" + set + "': expected column=value");
      }
      s.sets.emplace_back(set.substr(0, eq), set.substr(eq + 1));
    }
    stamps.push_back(std::move(s));
  }

  CTL_ASSIGN_OR_RETURN(auto summaries, StampProcesses(*store, stamps, dry_run));
  std::cout << FormatSummary(summaries, dry_run);
  return Status::Ok();
}

}  // namespace ctlflow

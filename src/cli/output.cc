#include "cli/output.h"

#include <algorithm>
#include <ostream>

namespace ctlflow {

void PrintTable(std::ostream& out, const std::vector<std::string>& columns,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) width[c] = columns[c].size();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], std::min<size_t>(row[c].size(), 60));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < columns.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      std::replace(cell.begin(), cell.end(), '\n', ' ');
      if (c + 1 < columns.size()) {
        if (cell.size() > 60) cell = cell.substr(0, 57) + "...";
        cell.resize(std::max(cell.size(), width[c]), ' ');
        text += cell + "  ";
      } else {
        text += cell;
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(columns);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
}

void PrintQueryResult(std::ostream& out, const QueryResult& result, bool json) {
  if (json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& row : result.rows) {
      nlohmann::ordered_json obj = nlohmann::ordered_json::object();
      for (size_t c = 0; c < result.columns.size(); ++c) obj[result.columns[c]] = ValueToJson(row[c]);
      rows.push_back(std::move(obj));
    }
    out << rows.dump(2) << "\n";
    return;
  }
  if (result.columns.empty()) {
    out << result.changes << " row" << (result.changes == 1 ? "" : "s") << " changed\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : result.rows) {
    std::vector<std::string> cells;
    for (const auto& v : row) cells.push_back(IsNull(v) ? "NULL" : ValueToString(v));
    rows.push_back(std::move(cells));
  }
  PrintTable(out, result.columns, rows);
  out << "(" << result.rows.size() << " row" << (result.rows.size() == 1 ? "" : "s") << ")\n";
}

namespace {
std::string OptIntText(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : ""; }
}  // namespace

void PrintAttempts(std::ostream& out, const std::vector<AttemptRecord>& attempts, bool json) {
  if (json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& a : attempts) rows.push_back(AttemptToJson(a));
    out << rows.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : attempts) {
    rows.push_back({std::to_string(a.run_id), a.prcs_nm, a.data_dt, std::to_string(a.attempt),
                    std::to_string(a.status) + " " + AttemptStatusName(a.status), a.start_dt,
                    a.end_dt, OptIntText(a.source_row), OptIntText(a.target_row), a.message});
  }
  PrintTable(out,
             {"run_id", "prcs_nm", "data_dt", "attempt", "status", "start_dt", "end_dt",
              "source_row", "target_row", "message"},
             rows);
}

void PrintRuns(std::ostream& out, const std::vector<RunRecord>& runs, bool json) {
  if (json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& r : runs) rows.push_back(RunToJson(r));
    out << rows.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({std::to_string(r.run_id), r.strem_nm, r.data_dt,
                    std::to_string(r.status) + " " + RunStatusName(r.status), r.run_typ,
                    r.start_dt, r.end_dt, r.message});
  }
  PrintTable(out, {"run_id", "strem_nm", "data_dt", "status", "run_typ", "start_dt", "end_dt", "message"},
             rows);
}

}  // namespace ctlflow

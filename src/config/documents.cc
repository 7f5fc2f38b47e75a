#include "config/documents.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <compare>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "common/csv.h"

namespace ctlflow {

namespace fs = std::filesystem;

std::string SourceLocation::ToString() const { return file + ":" + std::to_string(line); }

namespace {

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string ValidTableNames() {
  std::vector<std::string> names;
  for (const auto& def : ControlTableDefs()) {
    if (def.config) names.push_back(def.name);
  }
  return Join(names, ", ");
}

std::string ValidColumnNames(const TableDef& table) {
  std::vector<std::string> names;
  for (const auto& c : table.columns) names.push_back(c.name);
  return Join(names, ", ");
}

// Columns are SQL identifiers, so spreadsheets exported with upper-case
// headers are accepted as they are.
int FindColumn(const TableDef& table, const std::string& name) {
  return table.ColumnIndex(Lower(name));
}

bool IsKeyColumn(const TableDef& table, int column) {
  for (const auto& k : table.key) {
    if (table.ColumnIndex(k) == column) return true;
  }
  return false;
}

// Whole numbers as YAML's core schema writes them ([-+]?[0-9]+), so "1.5",
// "1e3", "0x10" and " 1" are rejected rather than guessed at.
std::optional<int64_t> ParseInteger(std::string_view text) {
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// One cell as the input wrote it, before it is checked against its column.
struct Cell {
  enum class Kind { kNull, kScalar, kNested };
  int column = -1;
  int line = 0;
  Kind kind = Kind::kNull;
  std::string text;    // kScalar: the scalar text; kNested: "a mapping"/"a sequence"
  bool quoted = false;  // in YAML quotes make a scalar text, never a number
};

// A problem in one row, reported once the row's key is known so that every
// message can name the row.
struct RowProblem {
  int line = 0;
  std::string column;  // empty: about the row as a whole
  std::string what;
};

// Collects the rows of every input file, and every problem found in them.
class DocumentBuilder {
 public:
  DocumentBuilder() : inputs_(ControlTableDefs().size()), appeared_(inputs_.size(), false) {}

  void Error(const SourceLocation& where, const std::string& what) {
    errors_.push_back(where.ToString() + ": " + what);
  }
  void Error(const std::string& message) { errors_.push_back(message); }

  // The table an input names, or nullptr after reporting why it cannot be used.
  const TableDef* ResolveTable(const std::string& name, const SourceLocation& where,
                               const std::string& hint) {
    const TableDef* table = FindControlTable(name);
    if (table == nullptr) {
      Error(where, "unknown table '" + name + "'" + hint + "; valid tables are: " +
                       ValidTableNames());
      return nullptr;
    }
    if (!table->config) {
      Error(where, "table " + table->name +
                       " is written by ctlflow and cannot be applied; remove it from the input");
      return nullptr;
    }
    return table;
  }

  void MarkAppeared(const TableDef& table) { appeared_[IndexOf(table)] = true; }

  // Checks one row's cells against the table and keeps it. In CSV quotes are
  // only syntax, so a quoted "5" is still a fine integer there.
  void AddRow(const TableDef& table, const SourceLocation& where, int row_number,
              const std::vector<Cell>& cells, std::vector<RowProblem> problems,
              bool quotes_mean_text) {
    const size_t n = table.columns.size();
    LocatedRow located;
    located.row.values.assign(n, Value{});
    located.present.assign(n, false);
    located.where = where;
    std::vector<int> given_at(n, 0);

    for (const Cell& cell : cells) {
      const ColumnDef& column = table.columns[cell.column];
      if (located.present[cell.column]) {
        problems.push_back({cell.line, column.name,
                            "given twice in this row (first at line " +
                                std::to_string(given_at[cell.column]) + "); keep one"});
        continue;
      }
      located.present[cell.column] = true;
      given_at[cell.column] = cell.line;
      std::optional<std::string> problem = CellValue(table, cell, quotes_mean_text,
                                                     &located.row.values[cell.column]);
      if (problem) problems.push_back({cell.line, column.name, *problem});
    }

    bool key_usable = true;
    for (int k : table.KeyIndexes()) {
      if (!located.present[k]) {
        problems.push_back({where.line, table.columns[k].name,
                            "key column is missing; every row needs a value for it"});
      }
      if (IsNull(located.row.values[k])) key_usable = false;
    }
    const std::string label =
        key_usable ? RowKeyText(table, located.row) : "#" + std::to_string(row_number);
    for (const auto& p : problems) {
      std::string message = "table " + table.name + " row " + label;
      if (!p.column.empty()) message += " column " + p.column;
      Error(SourceLocation{where.file, p.line}, message + ": " + p.what);
    }

    if (key_usable) {
      std::vector<std::string> key;
      for (int k : table.KeyIndexes()) key.push_back(ValueToString(located.row.values[k]));
      auto [it, inserted] = keys_.emplace(std::make_pair(&table, std::move(key)), where);
      if (!inserted) {
        Error(where, "table " + table.name + " row " + label + ": duplicate key, first given at " +
                         it->second.ToString() + "; each row may appear only once in the input");
      }
    }
    inputs_[IndexOf(table)].rows.push_back(std::move(located));
  }

  Result<ConfigDocument> Finish() {
    if (!errors_.empty()) return Status::Invalid(Join(errors_, "\n"));
    ConfigDocument doc;
    const auto& defs = ControlTableDefs();
    for (size_t i = 0; i < defs.size(); ++i) {
      if (!appeared_[i]) continue;
      inputs_[i].table = &defs[i];
      doc.tables.push_back(std::move(inputs_[i]));
    }
    return doc;
  }

 private:
  static size_t IndexOf(const TableDef& table) {
    return static_cast<size_t>(&table - ControlTableDefs().data());
  }

  // Converts a cell into *value; returns what is wrong with it, if anything.
  static std::optional<std::string> CellValue(const TableDef& table, const Cell& cell,
                                              bool quotes_mean_text, Value* value) {
    const ColumnDef& column = table.columns[cell.column];
    switch (cell.kind) {
      case Cell::Kind::kNested:
        return "expected a single value, got " + cell.text + "; write it as a quoted string";
      case Cell::Kind::kNull:
        if (IsKeyColumn(table, cell.column)) return "key column may not be null; give a value";
        if (column.nullable) return std::nullopt;
        if (column.default_sql.empty()) return "may not be null; give a value";
        return "may not be null; omit it to use the default " + column.default_sql;
      case Cell::Kind::kScalar:
        break;
    }
    if (column.type == ColumnType::kText) {
      *value = cell.text;
      return std::nullopt;
    }
    if (cell.quoted && quotes_mean_text) {
      return "expected an integer, got the quoted text '" + cell.text +
             "'; write the number without quotes";
    }
    std::optional<int64_t> number = ParseInteger(cell.text);
    if (!number) return "expected an integer, got '" + cell.text + "'";
    *value = *number;
    return std::nullopt;
  }

  std::vector<TableInput> inputs_;  // indexed like ControlTableDefs()
  std::vector<bool> appeared_;
  std::map<std::pair<const TableDef*, std::vector<std::string>>, SourceLocation> keys_;
  std::vector<std::string> errors_;
};

// ---- YAML ----

int LineOf(const YAML::Mark& mark) { return mark.line < 0 ? 1 : mark.line + 1; }
int LineOf(const YAML::Node& node) { return LineOf(node.Mark()); }

std::string KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

Cell YamlCell(const YAML::Node& node) {
  static const char kNullTag[] = "tag:yaml.org,2002:null";
  static const char kStrTag[] = "tag:yaml.org,2002:str";
  Cell cell;
  if (node.IsNull() || (node.IsScalar() && node.Tag() == kNullTag)) {
    cell.kind = Cell::Kind::kNull;
  } else if (node.IsScalar()) {
    cell.kind = Cell::Kind::kScalar;
    cell.text = node.Scalar();
    // yaml-cpp tags quoted scalars "!" and plain ones "?".
    cell.quoted = node.Tag() == "!" || node.Tag() == kStrTag;
  } else {
    cell.kind = Cell::Kind::kNested;
    cell.text = KindOf(node);
  }
  return cell;
}

void ReadYamlRows(const TableDef& table, const YAML::Node& rows, const std::string& file,
                  DocumentBuilder* builder) {
  int row_number = 0;
  for (const YAML::Node& item : rows) {
    ++row_number;
    SourceLocation where{file, LineOf(item)};
    if (!item.IsMap()) {
      builder->Error(where, "table " + table.name + " row #" + std::to_string(row_number) +
                                ": expected a mapping of column names to values, got " +
                                KindOf(item));
      continue;
    }
    std::vector<Cell> cells;
    std::vector<RowProblem> problems;
    for (const auto& entry : item) {
      const int line = LineOf(entry.first);
      if (!entry.first.IsScalar()) {
        problems.push_back({line, "", "expected a column name, got " + KindOf(entry.first)});
        continue;
      }
      const std::string& name = entry.first.Scalar();
      int column = FindColumn(table, name);
      if (column < 0) {
        problems.push_back(
            {line, name, "unknown column; valid columns are: " + ValidColumnNames(table)});
        continue;
      }
      Cell cell = YamlCell(entry.second);
      cell.column = column;
      // The key's line: a null value's mark points past the key, at the next line.
      cell.line = line;
      cells.push_back(std::move(cell));
    }
    builder->AddRow(table, where, row_number, cells, std::move(problems), true);
  }
}

void ReadYamlDocument(const YAML::Node& doc, const std::string& file, DocumentBuilder* builder) {
  if (doc.IsNull()) return;  // an empty file names no tables
  if (!doc.IsMap()) {
    builder->Error(SourceLocation{file, LineOf(doc)},
                   "expected a mapping from table names to lists of rows, got " + KindOf(doc));
    return;
  }
  std::map<const TableDef*, int> first_line;
  for (const auto& entry : doc) {
    SourceLocation where{file, LineOf(entry.first)};
    if (!entry.first.IsScalar()) {
      builder->Error(where, "expected a table name, got " + KindOf(entry.first));
      continue;
    }
    const TableDef* table = builder->ResolveTable(entry.first.Scalar(), where, "");
    if (table == nullptr) continue;
    auto [it, inserted] = first_line.emplace(table, where.line);
    if (!inserted) {
      builder->Error(where, "table " + table->name + " is given twice in this file (first at line " +
                                std::to_string(it->second) + "); put all its rows under one key");
      continue;
    }
    builder->MarkAppeared(*table);
    if (!entry.second.IsSequence()) {
      builder->Error(where, "table " + table->name +
                                ": expected a list of rows (use [] for none), got " +
                                KindOf(entry.second));
      continue;
    }
    ReadYamlRows(*table, entry.second, file, builder);
  }
}

void ReadYamlInto(std::istream& in, const std::string& file, DocumentBuilder* builder) {
  // yaml-cpp reports syntax errors (and misuse) by throwing; its mark gives the line.
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(in);
    if (docs.empty()) return;
    ReadYamlDocument(docs[0], file, builder);
    if (docs.size() > 1) {
      builder->Error(SourceLocation{file, LineOf(docs[1])},
                     "found a second YAML document; put all tables in one document");
    }
  } catch (const YAML::Exception& e) {
    builder->Error(SourceLocation{file, LineOf(e.mark)}, "invalid YAML: " + e.msg);
  }
}

// ---- CSV ----

void ReadCsvInto(std::istream& in, const std::string& file, const std::string& table_name,
                 DocumentBuilder* builder) {
  const TableDef* table =
      builder->ResolveTable(table_name, SourceLocation{file, 1},
                            " (taken from the file name; name a CSV file after its table, "
                            "e.g. cntl_cfg_prcs.csv)");
  if (table == nullptr) return;

  CsvReader reader(in, file);
  CsvRecord header;
  Result<bool> more = reader.Next(&header);
  if (!more.ok()) return builder->Error(more.status().message());
  if (!*more) {
    return builder->Error(SourceLocation{file, 1},
                          "table " + table->name +
                              ": the file is empty; expected a header row naming the columns");
  }
  builder->MarkAppeared(*table);

  // Header problems would repeat on every row, so they are reported once and
  // the rows are not read.
  const SourceLocation header_at{file, header.line};
  const std::string prefix = "table " + table->name + " column ";
  std::vector<int> columns;
  std::vector<bool> seen(table->columns.size(), false);
  bool header_ok = true;
  for (const CsvField& field : header.fields) {
    int column = FindColumn(*table, field.text);
    if (column < 0) {
      builder->Error(header_at, prefix + field.text + ": unknown column in the header; valid "
                                                      "columns are: " + ValidColumnNames(*table));
      header_ok = false;
    } else if (seen[column]) {
      builder->Error(header_at, prefix + table->columns[column].name +
                                    ": given twice in the header; keep one");
      header_ok = false;
    } else {
      seen[column] = true;
    }
    columns.push_back(column);
  }
  for (int k : table->KeyIndexes()) {
    if (!seen[k]) {
      builder->Error(header_at, prefix + table->columns[k].name +
                                    ": key column is missing from the header; every row needs "
                                    "a value for it");
      header_ok = false;
    }
  }
  if (!header_ok) return;

  int row_number = 0;
  CsvRecord record;
  for (;;) {
    more = reader.Next(&record);
    if (!more.ok()) return builder->Error(more.status().message());
    if (!*more) return;
    ++row_number;
    const SourceLocation where{file, record.line};
    if (record.fields.size() != columns.size()) {
      builder->Error(where, "table " + table->name + " row #" + std::to_string(row_number) +
                                ": has " + std::to_string(record.fields.size()) +
                                " fields but the header has " + std::to_string(columns.size()) +
                                "; quote values that contain the delimiter");
      continue;
    }
    std::vector<Cell> cells;
    for (size_t i = 0; i < columns.size(); ++i) {
      CsvField& field = record.fields[i];
      Cell cell;
      cell.column = columns[i];
      cell.line = record.line;
      // Only an unquoted empty field is NULL; "" is an empty string.
      cell.kind = !field.quoted && field.text.empty() ? Cell::Kind::kNull : Cell::Kind::kScalar;
      cell.text = std::move(field.text);
      cell.quoted = field.quoted;
      cells.push_back(std::move(cell));
    }
    builder->AddRow(*table, where, row_number, cells, {}, false);
  }
}

// ---- files ----

enum class FileKind { kOther, kYaml, kCsv };

FileKind KindOfFile(const fs::path& path) {
  const std::string ext = Lower(path.extension().string());
  if (ext == ".yaml" || ext == ".yml") return FileKind::kYaml;
  if (ext == ".csv") return FileKind::kCsv;
  return FileKind::kOther;
}

Status ReadFileInto(const fs::path& path, DocumentBuilder* builder) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(file + ": cannot open: " + std::strerror(errno));
  if (KindOfFile(path) == FileKind::kYaml) {
    ReadYamlInto(in, file, builder);
  } else {
    ReadCsvInto(in, file, path.stem().string(), builder);
  }
  if (in.bad()) return Status::Io(file + ": read error");
  return Status::Ok();
}

// ---- writing ----

// How a cell is exported. A value whose type does not fit its column (only
// possible after editing the store by hand) is written as text, so that
// `apply` points at it instead of the export quietly changing it.
struct ExportCell {
  enum class Kind { kNull, kInteger, kText };
  Kind kind = Kind::kNull;
  std::string text;
  auto operator<=>(const ExportCell&) const = default;
};

// Shortest text that reads back as the same double.
std::string DoubleText(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(d);
}

ExportCell ToExportCell(const ColumnDef& column, const Value& value) {
  using Kind = ExportCell::Kind;
  if (IsNull(value)) return {Kind::kNull, ""};
  if (column.type == ColumnType::kInteger) {
    if (const auto* i = std::get_if<int64_t>(&value)) return {Kind::kInteger, std::to_string(*i)};
    if (const auto* d = std::get_if<double>(&value)) {
      // 2^63 is exact as a double; the range check keeps the cast defined.
      if (std::trunc(*d) == *d && *d >= -9223372036854775808.0 && *d < 9223372036854775808.0) {
        return {Kind::kInteger, std::to_string(static_cast<int64_t>(*d))};
      }
      return {Kind::kText, DoubleText(*d)};
    }
    const auto& s = std::get<std::string>(value);
    if (auto parsed = ParseInteger(s)) return {Kind::kInteger, std::to_string(*parsed)};
    return {Kind::kText, s};
  }
  if (const auto* d = std::get_if<double>(&value)) return {Kind::kText, DoubleText(*d)};
  return {Kind::kText, ValueToString(value)};
}

struct ExportTable {
  const TableDef* table;
  std::vector<std::vector<ExportCell>> rows;  // sorted by key
};

// The config tables to export in ControlTableDefs() order, rows sorted by
// key text (then by the whole row, so even duplicate keys come out stable).
Result<std::vector<ExportTable>> PrepareExport(const std::vector<TableRows>& tables) {
  const auto& defs = ControlTableDefs();
  std::vector<std::pair<size_t, const TableRows*>> order;
  for (const auto& t : tables) {
    if (t.table == nullptr) return Status::Internal("export: rows without a table definition");
    const TableDef* def = FindControlTable(t.table->name);
    if (def == nullptr) return Status::Internal("export: unknown table " + t.table->name);
    if (!t.table->config) continue;
    order.emplace_back(static_cast<size_t>(def - defs.data()), &t);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  std::vector<ExportTable> out;
  for (size_t i = 0; i < order.size(); ++i) {
    const TableDef& table = *order[i].second->table;
    if (i > 0 && order[i - 1].first == order[i].first) {
      return Status::Internal("export: table " + table.name + " given twice");
    }
    const std::vector<int> key = table.KeyIndexes();
    std::vector<std::pair<std::vector<std::string>, std::vector<ExportCell>>> rows;
    for (const Row& row : order[i].second->rows) {
      if (row.values.size() != table.columns.size()) {
        return Status::Internal("export: table " + table.name + " row " +
                                RowKeyText(table, row) + " has " +
                                std::to_string(row.values.size()) + " values for " +
                                std::to_string(table.columns.size()) + " columns");
      }
      std::vector<std::string> key_text;
      for (int k : key) key_text.push_back(ValueToString(row.values[k]));
      std::vector<ExportCell> cells;
      for (size_t c = 0; c < table.columns.size(); ++c) {
        cells.push_back(ToExportCell(table.columns[c], row.values[c]));
      }
      rows.emplace_back(std::move(key_text), std::move(cells));
    }
    std::sort(rows.begin(), rows.end());
    ExportTable et{&table, {}};
    for (auto& r : rows) et.rows.push_back(std::move(r.second));
    out.push_back(std::move(et));
  }
  return out;
}

void AppendHex4(unsigned code, std::string* out) {
  static const char kHex[] = "0123456789ABCDEF";
  *out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) *out += kHex[(code >> shift) & 0xf];
}

// A YAML double-quoted scalar using only escapes JSON also has. Besides
// ASCII controls, the C1 controls, U+2028/U+2029 (line breaks to YAML 1.1
// readers) and U+FEFF are escaped so no reader can fold or drop them.
std::string YamlQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    auto next = [&](size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
    };
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      AppendHex4(c, &out);
    } else if (c == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) {
      AppendHex4(next(1), &out);
      i += 1;
    } else if (c == 0xE2 && next(1) == 0x80 && (next(2) == 0xA8 || next(2) == 0xA9)) {
      AppendHex4(next(2) == 0xA8 ? 0x2028 : 0x2029, &out);
      i += 2;
    } else if (c == 0xEF && next(1) == 0xBB && next(2) == 0xBF) {
      AppendHex4(0xFEFF, &out);
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

}  // namespace

Result<ConfigDocument> ReadConfigYaml(std::istream& in, const std::string& source_name) {
  DocumentBuilder builder;
  ReadYamlInto(in, source_name, &builder);
  return builder.Finish();
}

Result<ConfigDocument> ReadConfigPath(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return Status::NotFound(path + ": no such file or directory");

  DocumentBuilder builder;
  if (!fs::is_directory(status)) {
    if (KindOfFile(path) == FileKind::kOther) {
      return Status::Invalid(path +
                             ": expected a .yaml, .yml or .csv file, or a directory of them");
    }
    CTL_RETURN_IF_ERROR(ReadFileInto(path, &builder));
    return builder.Finish();
  }

  std::vector<fs::path> files;
  fs::directory_iterator it(path, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    // Hidden files are editor and VCS leftovers, not configuration.
    if (name.empty() || name[0] == '.' || KindOfFile(p) == FileKind::kOther) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    files.push_back(p);
  }
  if (ec) return Status::Io(path + ": cannot list the directory: " + ec.message());
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  for (const auto& f : files) CTL_RETURN_IF_ERROR(ReadFileInto(f, &builder));
  return builder.Finish();
}

Status WriteYaml(std::ostream& out, const std::vector<TableRows>& tables) {
  CTL_ASSIGN_OR_RETURN(std::vector<ExportTable> prepared, PrepareExport(tables));
  std::string text;
  for (const ExportTable& t : prepared) {
    text += t.table->name;
    if (t.rows.empty()) {
      text += ": []\n";
      continue;
    }
    text += ":\n";
    for (const auto& cells : t.rows) {
      for (size_t c = 0; c < cells.size(); ++c) {
        text += c == 0 ? "  - " : "    ";
        text += t.table->columns[c].name;
        text += ": ";
        switch (cells[c].kind) {
          case ExportCell::Kind::kNull: text += "null"; break;
          case ExportCell::Kind::kInteger: text += cells[c].text; break;
          case ExportCell::Kind::kText: text += YamlQuote(cells[c].text); break;
        }
        text += '\n';
      }
    }
  }
  out << text;
  out.flush();
  if (!out) return Status::Io("writing YAML failed");
  return Status::Ok();
}

Status WriteCsvDir(const std::string& dir, const std::vector<TableRows>& tables) {
  CTL_ASSIGN_OR_RETURN(std::vector<ExportTable> prepared, PrepareExport(tables));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Io(dir + ": cannot create the directory: " + ec.message());
  for (const ExportTable& t : prepared) {
    std::string text;
    for (size_t c = 0; c < t.table->columns.size(); ++c) {
      if (c > 0) text += ',';
      text += CsvQuote(t.table->columns[c].name);
    }
    text += '\n';
    for (const auto& cells : t.rows) {
      for (size_t c = 0; c < cells.size(); ++c) {
        if (c > 0) text += ',';
        switch (cells[c].kind) {
          case ExportCell::Kind::kNull: break;
          case ExportCell::Kind::kInteger: text += cells[c].text; break;
          case ExportCell::Kind::kText: text += CsvQuote(cells[c].text); break;
        }
      }
      text += '\n';
    }
    const fs::path file = fs::path(dir) / (t.table->name + ".csv");
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Io(file.string() + ": cannot create: " + std::strerror(errno));
    out << text;
    out.close();
    if (!out) return Status::Io(file.string() + ": write failed");
  }
  return Status::Ok();
}

}  // namespace ctlflow

// Control-table documents: the YAML and CSV files users edit and `ctlflow
// export` writes, read into rows of the control tables (tables.h).
//
// Reading validates everything that can be judged from the input alone
// (tables, columns, types, nulls, duplicate keys) and reports all problems at
// once, each with file:line, so one run of `apply` shows every mistake.
// Checks that need the stored rows (references between tables, required
// columns on insert) belong to the caller.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/entities.h"
#include "model/tables.h"

namespace ctlflow {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based
  std::string ToString() const;  // "file:line"
};

struct LocatedRow {
  Row row;                    // values aligned with table->columns; columns not given are NULL
  std::vector<bool> present;  // which columns the input gave: a missing column keeps the
                              // stored value on update, or the DDL default on insert
  SourceLocation where;
};

struct TableInput {
  const TableDef* table = nullptr;
  std::vector<LocatedRow> rows;  // in input order
};

// Ordered as ControlTableDefs(); only tables that appear in the input (a
// table given as an empty list appears, with no rows).
struct ConfigDocument {
  std::vector<TableInput> tables;
};

// PATH is one of:
//  - a YAML file (.yaml/.yml) whose top-level keys are control table names
//    (case-insensitive, optionally prefixed "cntl_af."), each a sequence of
//    mappings column -> scalar;
//  - a CSV file named after a table (cntl_cfg_prcs.csv), header row = columns;
//  - a directory of such files (not recursive, processed in name order,
//    other extensions and hidden files ignored).
// Column names are matched case-insensitively, like SQL identifiers.
//
// NULL is a YAML null (null, ~, or nothing) or an unquoted empty CSV field;
// an empty string is a quoted empty scalar or field. INTEGER columns take a
// YAML plain scalar or any CSV field whose text is a whole number; TEXT
// columns take the scalar text exactly as written.
//
// On invalid input returns Status::Invalid with one line per problem:
// "file:line: table <t> row <key> column <c>: what is wrong; what would be
// right". A row whose key is unusable is named by its position, "row #3".
Result<ConfigDocument> ReadConfigPath(const std::string& path);
Result<ConfigDocument> ReadConfigYaml(std::istream& in, const std::string& source_name);

// Writers for `ctlflow export`. Output is byte-stable and round-trips: reading
// it back gives the same rows and writing those again gives identical bytes.
// Tables come in ControlTableDefs() order (those with config == false are
// skipped), rows sorted by their key values, every column in DDL order.
//
// YAML: integers plain, NULL as `null`, text always double-quoted with
// JSON-compatible escapes; a table without rows is written as `name: []`.
Status WriteYaml(std::ostream& out, const std::vector<TableRows>& tables);

// One <table>.csv per table in dir (created if missing), LF line ends: a
// header row of column names, NULL as an empty unquoted field, an empty
// string as "", other values quoted only when needed (CsvQuote).
Status WriteCsvDir(const std::string& dir, const std::vector<TableRows>& tables);

}  // namespace ctlflow

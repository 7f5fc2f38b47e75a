// SQL scripts, engine-neutral: splitting a script into statements with the
// line each starts on (so errors can name "statement 3 (line 12)"), finding
// named parameters, and recording what each statement did. Both warehouses
// (SQLite and PostgreSQL) run scripts through these pieces.
//
// SQLite scripts are split with sqlite3_complete (it knows CREATE TRIGGER
// ... END blocks); PostgreSQL scripts with our own scanner, which also knows
// dollar-quoted bodies ($$ ... $$) and nested /* */ comments.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
#include "store/sqlite.h"  // QueryResult

namespace ctlflow {

enum class SqlDialect { kSqlite, kPostgres };

struct SqlStatement {
  std::string text;  // without the trailing ';'
  int line = 1;      // 1-based line of its first non-blank character
  int number = 1;    // 1-based position in the script
  std::string Keyword() const;   // first word, upper-cased ("INSERT", "WITH", ...)
  std::string Excerpt() const;   // first line, at most 80 characters
  std::string Where() const;     // "statement 3 (line 12: INSERT INTO ...)"
};

std::vector<SqlStatement> SplitSqlScript(const std::string& script,
                                         SqlDialect dialect = SqlDialect::kSqlite);

// BEGIN, COMMIT, ...: a script that has one manages its own transactions.
bool IsTransactionControl(const std::string& keyword);
// Keywords of statements whose changed-row count is the script's target_row.
bool IsDml(const std::string& keyword);

// A statement with :name / @name / $name parameters rewritten to $1..$n for
// PostgreSQL, and the values in that order. Quotes, comments, dollar-quoted
// bodies and ::casts are left alone; the values are never spliced into the
// text. A name used twice gets one number.
struct PositionalSql {
  std::string sql;
  std::vector<Value> values;
};
// Unknown names fail, listing the available ones; positional $1 fails too.
Result<PositionalSql> ToPositionalParameters(const std::string& sql,
                                             const std::map<std::string, Value>& params);

// Adds one finished statement to a script's result and log: its changed
// rows become target_row (for DML), and a single-row result with columns
// named source_row / target_row reports the counts itself.
struct ScriptResult;
void RecordStatement(const SqlStatement& statement, QueryResult rows, bool dml, int64_t millis,
                     ScriptResult* result, const std::function<void(const std::string&)>& log);

}  // namespace ctlflow

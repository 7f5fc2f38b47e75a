// Splitting a SQL script into statements, with the line each starts on, so
// errors can name "statement 3 (line 12)". Engine-neutral: it understands
// quotes, comments and CREATE TRIGGER ... END blocks via sqlite3_complete.
#pragma once

#include <string>
#include <vector>

namespace ctlflow {

struct SqlStatement {
  std::string text;  // without the trailing ';'
  int line = 1;      // 1-based line of its first non-blank character
  int number = 1;    // 1-based position in the script
  std::string Keyword() const;   // first word, upper-cased ("INSERT", "WITH", ...)
  std::string Excerpt() const;   // first line, at most 80 characters
};

std::vector<SqlStatement> SplitSqlScript(const std::string& script);

}  // namespace ctlflow

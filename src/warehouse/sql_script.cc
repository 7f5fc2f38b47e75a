#include "warehouse/sql_script.h"

#include <sqlite3.h>

#include <cctype>

#include "common/strings.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace {

bool IsIdentifierStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

int LineAt(const std::string& s, size_t pos, size_t from, int line_at_from) {
  int line = line_at_from;
  for (size_t i = from; i < pos && i < s.size(); ++i)
    if (s[i] == '\n') ++line;
  return line;
}

// The end of a quoted text starting at `i` (s[i] is the quote); a doubled
// quote stays inside, and so does a backslash-escaped one when `backslash`.
size_t SkipQuoted(const std::string& s, size_t i, char quote, bool backslash) {
  for (++i; i < s.size(); ++i) {
    if (backslash && s[i] == '\\') {
      ++i;
    } else if (s[i] == quote) {
      if (i + 1 < s.size() && s[i + 1] == quote) {
        ++i;
      } else {
        return i + 1;
      }
    }
  }
  return s.size();
}

// The tag of a PostgreSQL dollar quote at `i` ("$$" or "$body$"), or "".
std::string DollarTag(const std::string& s, size_t i) {
  if (s[i] != '$' || (i > 0 && IsIdentifierChar(s[i - 1]))) return "";
  size_t j = i + 1;
  if (j < s.size() && IsIdentifierStart(s[j])) {
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
  }
  if (j >= s.size() || s[j] != '$') return "";
  return s.substr(i, j + 1 - i);
}

// When a string, quoted identifier, comment or dollar-quoted body starts at
// `i`, the index just after it; otherwise `i`. PostgreSQL rules: E'..' has
// backslash escapes and block comments nest.
size_t SkipLiteral(const std::string& s, size_t i) {
  char c = s[i];
  if (c == '\'') {
    bool escape = i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E') && (i < 2 || !IsIdentifierChar(s[i - 2]));
    return SkipQuoted(s, i, '\'', escape);
  }
  if (c == '"') return SkipQuoted(s, i, '"', false);
  if (s.compare(i, 2, "--") == 0) {
    size_t end = s.find('\n', i);
    return end == std::string::npos ? s.size() : end + 1;
  }
  if (s.compare(i, 2, "/*") == 0) {
    int depth = 0;
    for (size_t j = i; j + 1 < s.size(); ++j) {
      if (s.compare(j, 2, "/*") == 0) {
        ++depth;
        ++j;
      } else if (s.compare(j, 2, "*/") == 0) {
        ++j;
        if (--depth == 0) return j + 1;
      }
    }
    return s.size();
  }
  std::string tag = DollarTag(s, i);
  if (!tag.empty()) {
    size_t end = s.find(tag, i + tag.size());
    return end == std::string::npos ? s.size() : end + tag.size();
  }
  return i;
}

// Skips blanks and comments; returns the index of the first real character.
// PostgreSQL block comments nest; SQLite's do not.
size_t SkipBlankAndComments(const std::string& s, size_t i, SqlDialect dialect = SqlDialect::kSqlite) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (s.compare(i, 2, "/*") == 0 && dialect == SqlDialect::kPostgres) {
      i = SkipLiteral(s, i);
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      i = end == std::string::npos ? s.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

// The next ';' outside literals at or after `from`, or npos.
size_t NextTerminator(const std::string& script, size_t from, SqlDialect dialect) {
  if (dialect == SqlDialect::kSqlite) {
    size_t search = from;
    while (true) {
      size_t semi = script.find(';', search);
      if (semi == std::string::npos) return semi;
      std::string candidate = script.substr(from, semi + 1 - from);
      if (sqlite3_complete(candidate.c_str())) return semi;
      search = semi + 1;
    }
  }
  for (size_t i = from; i < script.size();) {
    size_t after = SkipLiteral(script, i);
    if (after != i) {
      i = after;
    } else if (script[i] == ';') {
      return i;
    } else {
      ++i;
    }
  }
  return std::string::npos;
}

}  // namespace

std::string SqlStatement::Keyword() const {
  size_t i = SkipBlankAndComments(text, 0);
  std::string word;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    ++i;
  }
  return word;
}

std::string SqlStatement::Excerpt() const {
  size_t start = SkipBlankAndComments(text, 0);
  size_t end = text.find('\n', start);
  std::string first = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (first.size() > 80) first = first.substr(0, 77) + "...";
  return first;
}

std::string SqlStatement::Where() const {
  return "statement " + std::to_string(number) + " (line " + std::to_string(line) + ": " + Excerpt() + ")";
}

std::vector<SqlStatement> SplitSqlScript(const std::string& script, SqlDialect dialect) {
  std::vector<SqlStatement> out;
  size_t start = 0;
  int start_line = 1;
  while (start < script.size()) {
    size_t semi = NextTerminator(script, start, dialect);
    size_t body = SkipBlankAndComments(script, start, dialect);
    size_t end = semi == std::string::npos ? script.size() : semi;
    if (body < end) {
      SqlStatement st;
      st.text = script.substr(body, end - body);
      st.line = LineAt(script, body, start, start_line);
      st.number = static_cast<int>(out.size()) + 1;
      out.push_back(std::move(st));
    }
    if (semi == std::string::npos) break;
    start_line = LineAt(script, semi + 1, start, start_line);
    start = semi + 1;
  }
  return out;
}

bool IsTransactionControl(const std::string& keyword) {
  return keyword == "BEGIN" || keyword == "COMMIT" || keyword == "END" || keyword == "ROLLBACK" ||
         keyword == "SAVEPOINT" || keyword == "RELEASE" || keyword == "START";
}

bool IsDml(const std::string& keyword) {
  return keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" ||
         keyword == "REPLACE" || keyword == "WITH" || keyword == "MERGE";
}

Result<PositionalSql> ToPositionalParameters(const std::string& sql,
                                             const std::map<std::string, Value>& params) {
  PositionalSql out;
  std::map<std::string, int> numbers;
  size_t i = 0;
  while (i < sql.size()) {
    size_t after = SkipLiteral(sql, i);
    if (after != i) {
      out.sql.append(sql, i, after - i);
      i = after;
      continue;
    }
    char c = sql[i];
    if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {  // a ::cast
      out.sql += "::";
      i += 2;
      continue;
    }
    bool marker = c == ':' || c == '@' || c == '$';
    bool follows_word = i > 0 && IsIdentifierChar(sql[i - 1]);
    if (marker && !follows_word && c == '$' && i + 1 < sql.size() &&
        std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      return Status::Invalid("positional parameter '$" + std::string(1, sql[i + 1]) +
                             "' is not supported; use :name");
    }
    if (!marker || follows_word || i + 1 >= sql.size() || !IsIdentifierStart(sql[i + 1])) {
      out.sql += c;
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_')) ++end;
    std::string name = sql.substr(i + 1, end - i - 1);
    auto it = params.find(name);
    if (it == params.end()) {
      std::string known;
      for (const auto& [k, v] : params) known += (known.empty() ? ":" : ", :") + k;
      return Status::Invalid("unknown parameter " + sql.substr(i, end - i) + "; available: " + known);
    }
    auto [slot, added] = numbers.emplace(name, static_cast<int>(out.values.size()) + 1);
    if (added) out.values.push_back(it->second);
    out.sql += "$" + std::to_string(slot->second);
    i = end;
  }
  return out;
}

void RecordStatement(const SqlStatement& st, QueryResult rows, bool dml, int64_t millis,
                     ScriptResult* result, const std::function<void(const std::string&)>& log) {
  if (dml) result->target_row = rows.changes;
  ++result->statements;
  if (log) {
    std::string line = "statement " + std::to_string(st.number) + " (line " + std::to_string(st.line) +
                       "): " + st.Keyword();
    if (dml) line += ", " + std::to_string(rows.changes) + " rows changed";
    if (!rows.columns.empty()) line += ", " + std::to_string(rows.rows.size()) + " rows returned";
    log(line + ", " + std::to_string(millis) + " ms");
  }
  if (!rows.columns.empty()) {
    // A final SELECT may report the counts itself.
    if (rows.rows.size() == 1) {
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        const Value& v = rows.rows[0][c];
        if (!std::holds_alternative<int64_t>(v)) continue;
        if (Lower(rows.columns[c]) == "source_row") result->source_row = std::get<int64_t>(v);
        if (Lower(rows.columns[c]) == "target_row") result->target_row = std::get<int64_t>(v);
      }
    }
    result->last = std::move(rows);
  } else if (dml) {
    result->last = std::move(rows);
  }
}

}  // namespace ctlflow

#include "warehouse/sql_script.h"

#include <sqlite3.h>

#include <cctype>

namespace ctlflow {

namespace {

// Skips blanks and comments; returns the index of the first real character.
size_t SkipBlankAndComments(const std::string& s, size_t i) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      i = end == std::string::npos ? s.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

int LineAt(const std::string& s, size_t pos, size_t from, int line_at_from) {
  int line = line_at_from;
  for (size_t i = from; i < pos && i < s.size(); ++i)
    if (s[i] == '\n') ++line;
  return line;
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

std::vector<SqlStatement> SplitSqlScript(const std::string& script) {
  std::vector<SqlStatement> out;
  size_t start = 0;
  int start_line = 1;
  size_t search = 0;
  while (start < script.size()) {
    size_t semi = script.find(';', search);
    std::string candidate =
        script.substr(start, semi == std::string::npos ? std::string::npos : semi + 1 - start);
    bool complete = semi == std::string::npos || sqlite3_complete(candidate.c_str());
    if (!complete) {
      search = semi + 1;
      continue;
    }
    size_t body = SkipBlankAndComments(script, start);
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
    search = start;
  }
  return out;
}

}  // namespace ctlflow

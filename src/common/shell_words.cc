#include "common/shell_words.h"

#include <cstddef>
#include <utility>

namespace ctlflow {
namespace {

bool IsWordSeparator(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Characters that neither SplitShellWords nor a POSIX shell treats specially,
// so a word made only of them needs no quotes. '~' is excluded because a shell
// expands it at the start of a word. '=' is kept for readable --flag=value;
// only a real shell's first word could read it as an assignment.
bool IsPlainChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_': case '-': case '.': case '/': case ',': case ':':
    case '@': case '%': case '+': case '=':
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::vector<std::string>> SplitShellWords(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  // A word exists once any part of it was seen, even an empty quoted one, so
  // that "" yields an empty word while plain whitespace yields none.
  bool in_word = false;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const char c = text[i];
    if (IsWordSeparator(c)) {
      if (in_word) {
        words.push_back(std::move(current));
        current.clear();
        in_word = false;
      }
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= n) {
        // A shell would wait for another line here; treating it as a literal
        // backslash would hide a truncated command line.
        return Status::Invalid("trailing backslash at offset " + std::to_string(i));
      }
      if (text[i + 1] != '\n') {
        current.push_back(text[i + 1]);
        in_word = true;
      }
      // Backslash-newline only continues the line; it does not start a word.
      i += 2;
    } else if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return Status::Invalid("unterminated single quote starting at offset " +
                               std::to_string(i));
      }
      current.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      const size_t open = i;
      ++i;
      bool closed = false;
      while (i < n) {
        const char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < n) {
          const char e = text[i + 1];
          if (e == '"' || e == '\\' || e == '$' || e == '`') {
            current.push_back(e);
            i += 2;
            continue;
          }
          if (e == '\n') {
            i += 2;
            continue;
          }
        }
        current.push_back(d);
        ++i;
      }
      if (!closed) {
        return Status::Invalid("unterminated double quote starting at offset " +
                               std::to_string(open));
      }
      in_word = true;
    } else {
      current.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(current));
  return words;
}

std::string QuoteShellWord(std::string_view word) {
  bool plain = !word.empty();
  for (char c : word) {
    if (!IsPlainChar(c)) {
      plain = false;
      break;
    }
  }
  if (plain) return std::string(word);
  // Single quotes keep everything literal; a single quote itself has to leave
  // the quotes, be escaped, and re-enter: ' -> '\''
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

}  // namespace ctlflow

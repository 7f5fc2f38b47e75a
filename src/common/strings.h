// Small string helpers used across subsystems.
#pragma once

#include <string>
#include <string_view>

namespace ctlflow {

// ASCII lower case (SQL keywords, identifiers, flags).
inline std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// `s` without leading and trailing characters from `blanks`, as a view
// into `s` (for hot paths that must not allocate), or as a string.
inline std::string_view TrimView(std::string_view s, std::string_view blanks = " \t") {
  size_t b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(blanks) - b + 1);
}
inline std::string Trim(std::string_view s, std::string_view blanks = " \t") {
  return std::string(TrimView(s, blanks));
}

// A SQL identifier in double quotes, with embedded quotes doubled.
inline std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// `text` with every occurrence of `secret` replaced by ****, for messages
// from drivers that may echo a password.
inline std::string MaskSecrets(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 4)) {
    text.replace(pos, secret.size(), "****");
  }
  return text;
}

}  // namespace ctlflow

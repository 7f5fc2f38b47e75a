#include "common/csv.h"

#include <utility>

namespace ctlflow {

namespace {

constexpr int kEof = -1;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Shows an offending byte readably in an error message.
std::string Printable(int c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  static const char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[(c >> 4) & 0xf] + kHex[c & 0xf];
}

}  // namespace

CsvReader::CsvReader(std::istream& in, std::string source_name, char delimiter)
    : buf_(in.rdbuf()), source_name_(std::move(source_name)), delimiter_(delimiter) {}

int CsvReader::Get() {
  if (!pushback_.empty()) {
    int c = static_cast<unsigned char>(pushback_.front());
    pushback_.erase(0, 1);
    return c;
  }
  if (buf_ == nullptr) return kEof;
  auto c = buf_->sbumpc();
  return c == std::char_traits<char>::eof() ? kEof : static_cast<unsigned char>(c);
}

int CsvReader::Peek() {
  if (!pushback_.empty()) return static_cast<unsigned char>(pushback_.front());
  if (buf_ == nullptr) return kEof;
  auto c = buf_->sgetc();
  return c == std::char_traits<char>::eof() ? kEof : static_cast<unsigned char>(c);
}

void CsvReader::SkipLfAfterCr() {
  if (Peek() == '\n') Get();
}

Status CsvReader::Fail(int line, const std::string& what) {
  error_ = Status::Invalid(source_name_ + ":" + std::to_string(line) + ": " + what);
  return error_;
}

Result<bool> CsvReader::Next(CsvRecord* record) {
  if (!error_.ok()) return error_;
  if (!started_) {
    started_ = true;
    // Excel writes a BOM; bytes that only start like one are data and go
    // back in front of the stream.
    static const char kBom[] = "\xEF\xBB\xBF";
    std::string seen;
    while (seen.size() < 3 && Peek() == static_cast<unsigned char>(kBom[seen.size()])) {
      seen += static_cast<char>(Get());
    }
    if (seen.size() < 3) pushback_ = seen;
  }

  record->fields.clear();
  const int delim = static_cast<unsigned char>(delimiter_);
  for (;;) {  // blank lines carry no record
    int c = Peek();
    if (c == kEof) return false;
    if (c != '\n' && c != '\r') break;
    Get();
    if (c == '\r') SkipLfAfterCr();
    ++line_;
  }
  record->line = line_;

  for (;;) {
    CsvField field;
    if (Peek() == '"') {
      Get();
      field.quoted = true;
      const int quote_line = line_;
      for (;;) {
        int c = Get();
        if (c == kEof) {
          return Fail(quote_line,
                      "unterminated quoted field: the closing quote is missing (a quote inside "
                      "a quoted field must be doubled as \"\")");
        }
        if (c == '"') {
          if (Peek() != '"') break;
          Get();
        } else if (c == '\n' || (c == '\r' && Peek() != '\n')) {
          ++line_;
        }
        field.text += static_cast<char>(c);
      }
      int after = Peek();
      if (after != kEof && after != delim && after != '\r' && after != '\n') {
        return Fail(line_, "unexpected " + Printable(after) +
                               " after the closing quote of a field; a quote inside a quoted "
                               "field must be doubled as \"\"");
      }
    } else {
      for (int c = Peek(); c != kEof && c != delim && c != '\r' && c != '\n'; c = Peek()) {
        field.text += static_cast<char>(Get());
      }
    }
    record->fields.push_back(std::move(field));

    int end = Get();
    if (end == delim) continue;
    if (end == '\r') SkipLfAfterCr();
    if (end != kEof) ++line_;
    return true;
  }
}

std::string CsvQuote(std::string_view text, char delimiter) {
  bool needed = text.empty() || IsBlank(text.front()) || IsBlank(text.back()) ||
                text.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != std::string_view::npos;
  if (!needed) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace ctlflow

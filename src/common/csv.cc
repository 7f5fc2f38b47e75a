#include "common/csv.h"

#include <algorithm>
#include <utility>

namespace ctlflow {

namespace {

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

bool CsvReader::Fill() {
  if (pos_ < block_.size()) return true;
  if (buf_ == nullptr) return false;
  constexpr std::streamsize kBlock = 256 << 10;
  block_.resize(static_cast<size_t>(kBlock));
  const std::streamsize got = buf_->sgetn(block_.data(), kBlock);
  block_.resize(static_cast<size_t>(std::max<std::streamsize>(got, 0)));
  pos_ = 0;
  return !block_.empty();
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
    // Excel writes a BOM; bytes that only start like one are data.
    char head[3];
    while (buf_ != nullptr && block_.size() < 3) {
      const std::streamsize got = buf_->sgetn(head, static_cast<std::streamsize>(3 - block_.size()));
      if (got <= 0) break;
      block_.append(head, static_cast<size_t>(got));
    }
    if (block_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  }

  size_t used = 0;  // fields of this record so far; record->fields beyond are spare
  const int delim = static_cast<unsigned char>(delimiter_);
  for (;;) {  // blank lines carry no record
    int c = Peek();
    if (c == -1) {
      record->fields.clear();
      return false;
    }
    if (c != '\n' && c != '\r') break;
    Get();
    if (c == '\r') SkipLfAfterCr();
    ++line_;
  }
  record->line = line_;

  for (;;) {
    if (used == record->fields.size()) record->fields.emplace_back();
    CsvField& field = record->fields[used++];
    field.text.clear();
    field.quoted = false;
    if (Peek() == '"') {
      Get();
      field.quoted = true;
      const int quote_line = line_;
      for (;;) {
        int c = Get();
        if (c == -1) {
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
      if (after != -1 && after != delim && after != '\r' && after != '\n') {
        return Fail(line_, "unexpected " + Printable(after) +
                               " after the closing quote of a field; a quote inside a quoted "
                               "field must be doubled as \"\"");
      }
    } else {
      // An unquoted field: copy whole spans of the block up to its end.
      while (Fill()) {
        const char* begin = block_.data() + pos_;
        const char* stop = begin;
        const char* limit = block_.data() + block_.size();
        while (stop < limit && *stop != delimiter_ && *stop != '\r' && *stop != '\n') ++stop;
        field.text.append(begin, static_cast<size_t>(stop - begin));
        pos_ += static_cast<size_t>(stop - begin);
        if (stop < limit) break;
      }
    }

    int end = Get();
    if (end == delim) continue;
    if (end == '\r') SkipLfAfterCr();
    if (end != -1) ++line_;
    record->fields.resize(used);
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

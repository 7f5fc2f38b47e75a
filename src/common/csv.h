// RFC-4180 CSV: a streaming record reader and the quoting rule for writers.
//
// Control tables can be edited as spreadsheets, so CSV files may come from
// Excel (BOM, CRLF), from hand editing (LF, no final newline) or from our own
// exporter. The reader keeps whether each field was quoted because an
// unquoted empty field means NULL while a quoted one ("") is an empty string.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctlflow {

struct CsvField {
  std::string text;
  bool quoted = false;
};

struct CsvRecord {
  std::vector<CsvField> fields;
  int line = 0;  // 1-based line where the record starts
};

// Reads one record at a time so large inputs are never held in memory: the
// input is read in blocks of 256 KiB, and a record's field strings are
// reused by the next record passed in, so steady-state reading allocates
// nothing. Blank lines are skipped; a UTF-8 BOM at the very start is
// dropped. A bare CR, LF or CRLF ends a record; inside quotes line breaks
// are kept verbatim.
class CsvReader {
 public:
  CsvReader(std::istream& in, std::string source_name, char delimiter = ',');

  // Returns false at end of input. Errors (unterminated quote, garbage after
  // a closing quote) are Status::Invalid("<source>:<line>: ...") and repeat
  // on every later call: the position in the input is no longer trustworthy.
  Result<bool> Next(CsvRecord* record);

 private:
  // Makes at least one unread byte available; false at end of input.
  bool Fill();
  int Get() { return pos_ < block_.size() || Fill() ? static_cast<unsigned char>(block_[pos_++]) : -1; }
  int Peek() { return pos_ < block_.size() || Fill() ? static_cast<unsigned char>(block_[pos_]) : -1; }
  // Consumes an LF that follows a CR just read, so CRLF counts as one break.
  void SkipLfAfterCr();
  Status Fail(int line, const std::string& what);

  std::streambuf* buf_;
  std::string source_name_;
  char delimiter_;
  int line_ = 1;  // line of the next unread byte
  bool started_ = false;
  std::string block_;  // bytes read from buf_; [pos_, size) are unread
  size_t pos_ = 0;
  Status error_;
};

// Quotes a field only when needed: it contains the delimiter, a quote, CR or
// LF, starts or ends with a space or tab (spreadsheets trim those), or is
// empty (so it reads back as "" rather than NULL).
std::string CsvQuote(std::string_view text, char delimiter = ',');

}  // namespace ctlflow

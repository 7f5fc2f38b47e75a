// Status and Result<T>: errors as values at subsystem boundaries.
//
// Every function that can fail because of user input, I/O or a server returns
// a Status (no value) or a Result<T> (a value or an error). Exceptions may be
// used inside a subsystem but never cross its public functions. The message of
// a user error names what is wrong and where (table/row/column or file:line).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ctlflow {

enum class ErrorCode {
  kOk = 0,
  kInvalid,     // bad user input: a row, a file, a flag
  kNotFound,    // a named thing does not exist
  kConflict,    // state changed under us (lost a race, wrong previous state)
  kIo,          // file system, subprocess or network
  kDatabase,    // an error reported by a database engine
  kTimeout,
  kInternal,    // a bug in ctlflow
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(ErrorCode code, std::string message) {
    return Status(code, std::move(message));
  }
  static Status Invalid(std::string m) { return Error(ErrorCode::kInvalid, std::move(m)); }
  static Status NotFound(std::string m) { return Error(ErrorCode::kNotFound, std::move(m)); }
  static Status Conflict(std::string m) { return Error(ErrorCode::kConflict, std::move(m)); }
  static Status Io(std::string m) { return Error(ErrorCode::kIo, std::move(m)); }
  static Status Database(std::string m) { return Error(ErrorCode::kDatabase, std::move(m)); }
  static Status Timeout(std::string m) { return Error(ErrorCode::kTimeout, std::move(m)); }
  static Status Internal(std::string m) { return Error(ErrorCode::kInternal, std::move(m)); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Adds context in front of the message: "reading x.yaml: <message>".
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "a Result holds a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace ctlflow

// Early return for Status-returning expressions.
#define CTL_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::ctlflow::Status _st = (expr);            \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define CTL_CONCAT_INNER(a, b) a##b
#define CTL_CONCAT(a, b) CTL_CONCAT_INNER(a, b)
// CTL_ASSIGN_OR_RETURN(auto x, ResultExpr()): unwraps or returns the error.
#define CTL_ASSIGN_OR_RETURN(lhs, expr)                          \
  auto CTL_CONCAT(_res_, __LINE__) = (expr);                     \
  if (!CTL_CONCAT(_res_, __LINE__).ok())                         \
    return CTL_CONCAT(_res_, __LINE__).status();                 \
  lhs = std::move(CTL_CONCAT(_res_, __LINE__)).value()

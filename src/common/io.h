// Byte streams shared by the file formats and the object stores.
//
// A format (Parquet, Avro) writes to a ByteSink and reads from a
// RandomAccessSource; an object store (file://, s3://) provides both. So the
// formats never know where their bytes live, and the stores never know what
// the bytes mean.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ctlflow {

// Append-only output. Nothing is visible to readers until Close() returns
// Ok; a sink destroyed without Close() leaves nothing behind (an abandoned
// multipart upload is aborted, a temporary file removed).
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
  virtual int64_t Tell() const = 0;  // bytes written so far
  virtual Status Close() = 0;        // publishes the object
};

// Positional reads of an immutable object or file.
class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  virtual int64_t Size() const = 0;
  // Exactly `length` bytes at `offset`, or an error naming the object when
  // fewer exist (a truncated file is an error, never a short read).
  virtual Result<std::string> ReadAt(int64_t offset, int64_t length) = 0;
  virtual const std::string& Name() const = 0;  // for messages: path or URL
};

// A sink that collects bytes in memory (tests, small metadata files).
class StringSink final : public ByteSink {
 public:
  Status Write(std::string_view bytes) override {
    data_.append(bytes);
    return Status::Ok();
  }
  int64_t Tell() const override { return static_cast<int64_t>(data_.size()); }
  Status Close() override { return Status::Ok(); }
  const std::string& data() const { return data_; }
  std::string& data() { return data_; }

 private:
  std::string data_;
};

// A source over bytes in memory.
class StringSource final : public RandomAccessSource {
 public:
  StringSource(std::string data, std::string name) : data_(std::move(data)), name_(std::move(name)) {}
  int64_t Size() const override { return static_cast<int64_t>(data_.size()); }
  Result<std::string> ReadAt(int64_t offset, int64_t length) override {
    if (offset < 0 || length < 0 || offset + length > Size()) {
      return Status::Invalid(name_ + ": read of " + std::to_string(length) + " bytes at offset " +
                             std::to_string(offset) + " is past its end (" + std::to_string(Size()) +
                             " bytes); the file is truncated");
    }
    return data_.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
  }
  const std::string& Name() const override { return name_; }

 private:
  std::string data_, name_;
};

}  // namespace ctlflow

// An injectable clock, so retry and scheduling logic can be tested with a
// fake clock instead of sleep() (as RocksDB's MockTimeEnv and LevelDB's Env).
#pragma once

#include <chrono>

namespace ctlflow {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Wall-clock time, seconds since the Unix epoch (UTC): what cron fires on.
  virtual int64_t UnixNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t UnixNow() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace ctlflow

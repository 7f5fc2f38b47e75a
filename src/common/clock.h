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
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace ctlflow

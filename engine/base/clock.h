// Time, injectable: the real clock for runs, a virtual one for tests of backoff and timeouts
// (leveldb's Env idea, for time only).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "engine/base/cancel.h"

namespace ferry::engine {

using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and backoff.
  virtual Millis now() = 0;
  // Wall-clock time in ms since the Unix epoch, for the journal and the log.
  virtual int64_t unix_ms() = 0;
  // Sleeps until now() >= until, or until `cancel` fires: false if it fired.
  virtual bool sleep_until(Millis until, const CancelToken& cancel) = 0;
};

// The process's clocks (steady and system).
Clock& real_clock();

// Virtual time for tests: sleeping advances time at once (unless cancelled first), and every
// sleep is recorded so a test can assert the backoff schedule.
class FakeClock : public Clock {
 public:
  Millis now() override;
  int64_t unix_ms() override;
  bool sleep_until(Millis until, const CancelToken& cancel) override;
  void advance(Millis by);
  // The length of every sleep so far, in order.
  std::vector<Millis> sleeps();

 private:
  std::mutex mu_;
  Millis now_{0};
  std::vector<Millis> sleeps_;
};

}  // namespace ferry::engine

// One attempt loop for steps and compensations alike: retries with the step's policy and
// backoff, a deadline per attempt from the step's timeout, cancellation. And the watchdog that
// enforces the deadlines, of attempts and of the run.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "dsl/ir.h"
#include "engine/base/cancel.h"
#include "engine/base/clock.h"
#include "engine/base/status.h"
#include "engine/run/step.h"

namespace ferry::engine {

// Cancels each watched token once the clock passes its deadline (class timeout). It looks every
// 20 ms of real time, comparing the deadlines with the run's clock, so a test's fake clock
// drives it as the real one does.
class Watchdog {
 public:
  explicit Watchdog(Clock& clock) : clock_(clock) {}
  ~Watchdog() { stop(); }
  void start();
  void stop();
  // Watches `token` under `key` (a step id, or the run) until unwatched; `reason` is the cancel's.
  void watch(const std::string& key, Millis deadline, const CancelToken& token, const std::string& reason);
  void unwatch(const std::string& key);

 private:
  struct Watched {
    Millis deadline;
    CancelToken token;
    std::string reason;
  };
  void loop();
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::map<std::string, Watched> watched_;
  std::thread thread_;
};

// What the attempt loop calls around each attempt.
struct AttemptHooks {
  // Before attempt N (1-based) starts, before its deadline does: e.g. journal that it started.
  // A failure ends the loop with it.
  std::function<Status(int attempt)> start = [](int) { return Status::Ok(); };
  // The attempt itself; its status.
  std::function<Status()> act;
  // After failed attempt N, once the policy says it is retried after `wait`: false stops.
  std::function<bool(int attempt, const Status&, Millis wait)> before_retry = [](int, const Status&, Millis) {
    return true;
  };
};

class Attempts {
 public:
  // `seed` seeds the backoff's jitter (0: a random one).
  Attempts(Clock& clock, Watchdog& watchdog, uint64_t seed);
  // Runs attempts of `step` until one succeeds, the failure's class is not one the step's retry
  // policy retries, the attempts run out or `cancel` fires. Each attempt gets a child of
  // `cancel` in ctx.cancel and, with the step's timeout, a deadline the watchdog enforces.
  // Returns the last attempt's status, or the cancellation's.
  Status run(const dsl::IrStep& step, StepContext& ctx, const CancelToken& cancel, const AttemptHooks& hooks);

 private:
  Clock& clock_;
  Watchdog& watchdog_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

// A timeout of the step's own `timeout` says so, once ("timed out after 5m (the step's
// timeout): ..."); other statuses are returned as they are.
Status timeout_in_words(const dsl::IrStep& step, Status s);

}  // namespace ferry::engine

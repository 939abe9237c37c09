// A step's retry policy as the IR spells it ({"attempts", "backoff", "jitter", "on"}), and the
// delay before each retry: exponential (initial doubling up to max) or constant, with
// "equal jitter" (half the delay fixed, half random) so parallel retries spread out.
#pragma once

#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/base/clock.h"
#include "engine/base/status.h"

namespace ferry::engine {

struct RetryPolicy {
  int attempts = 1;
  bool exponential = true;
  Millis initial{1000};
  Millis max{30000};
  bool jitter = true;
  std::set<ErrorClass> on = {ErrorClass::kTransient, ErrorClass::kTimeout};

  static RetryPolicy from_ir(const nlohmann::json& retry);
  bool retries(ErrorClass c) const { return on.count(c) != 0; }
  // The wait after failed attempt `attempt` (1-based), before the next one.
  Millis delay(int attempt, std::mt19937_64& rng) const;
};

}  // namespace ferry::engine

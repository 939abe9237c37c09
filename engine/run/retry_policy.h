// How the executor applies a step's retry policy (parsed with the IR: dsl/retry.h): which
// failures it retries, and the delay before each retry: exponential (initial doubling up to max)
// or constant, with "equal jitter" (half the delay fixed, half random) so parallel retries
// spread out.
#pragma once

#include <random>

#include "dsl/retry.h"
#include "engine/base/clock.h"
#include "engine/base/status.h"

namespace ferry::engine {

bool retries(const dsl::RetryPolicy& policy, ErrorClass c);
// The wait after failed attempt `attempt` (1-based), before the next one.
Millis retry_delay(const dsl::RetryPolicy& policy, int attempt, std::mt19937_64& rng);

}  // namespace ferry::engine

#include "engine/run/retry_policy.h"

#include <algorithm>

namespace ferry::engine {

bool retries(const dsl::RetryPolicy& policy, ErrorClass c) { return policy.retries(error_class_name(c)); }

Millis retry_delay(const dsl::RetryPolicy& policy, int attempt, std::mt19937_64& rng) {
  Millis d(policy.initial_ms);
  const Millis max(policy.max_ms);
  if (policy.exponential) {
    for (int i = 1; i < attempt && d < max; ++i) d *= 2;
    d = std::min(d, max);
  }
  if (!policy.jitter || d.count() < 2) return d;
  std::uniform_int_distribution<int64_t> half(0, d.count() / 2);
  return Millis(d.count() - d.count() / 2 + half(rng));
}

}  // namespace ferry::engine

// A step's retry policy: the JSON the IR spells it with ({"attempts", "backoff", "jitter",
// "on"}), which the IR's hash covers, and the same parsed once, when the IR is made or read, so
// the executor never parses a duration.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/types.h"

namespace ferry::dsl {

struct RetryPolicy {
  int attempts = 1;  // in all, the first included; at least 1
  bool exponential = true;  // else constant: initial_ms == max_ms, the interval
  int64_t initial_ms = 1000;
  int64_t max_ms = 30000;
  bool jitter = true;
  std::vector<std::string> on = {"transient", "timeout"};  // error classes worth another attempt

  bool retries(std::string_view error_class) const;
};

// The policy a retry value spells (missing fields take the defaults above); std::nullopt and
// *error when a field has the wrong type or a duration does not parse.
std::optional<RetryPolicy> parse_retry_policy(const json& retry, std::string* error);

// The JSON and its parsed policy, immutable and shared by copies: in a large plan nearly every
// step carries the plan's one default, and a copy per step was a dozen allocations each.
class SharedRetry {
 public:
  SharedRetry() = default;  // null JSON, the default policy
  // std::nullopt and *error when the JSON is not a policy.
  static std::optional<SharedRetry> parse(json value, std::string* error);
  // For a value the compiler has checked against retry_type(): failing is a bug in ferry
  // (std::logic_error, reported by main), not in the plan.
  static SharedRetry checked(json value);

  const json& get() const { return value_ ? value_->json_form : null_value(); }
  operator const json&() const { return get(); }
  const RetryPolicy& policy() const { return value_ ? value_->policy : default_policy(); }

 private:
  struct Value {
    json json_form;
    RetryPolicy policy;
  };
  static const json& null_value();
  static const RetryPolicy& default_policy();
  std::shared_ptr<const Value> value_;
};

}  // namespace ferry::dsl

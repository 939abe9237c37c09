#include "dsl/retry.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace ferry::dsl {
namespace {

bool duration_field(const json& backoff, const char* key, int64_t* ms, std::string* error) {
  if (!backoff.contains(key)) return true;
  const json& v = backoff[key];
  std::optional<int64_t> parsed = v.is_string() ? parse_duration(v.get<std::string>()) : std::nullopt;
  if (!parsed) {
    *error = std::string("retry backoff ") + key + " " + v.dump() + " is not a duration";
    return false;
  }
  *ms = *parsed;
  return true;
}

}  // namespace

bool RetryPolicy::retries(std::string_view error_class) const {
  return std::find(on.begin(), on.end(), error_class) != on.end();
}

std::optional<RetryPolicy> parse_retry_policy(const json& retry, std::string* error) {
  RetryPolicy p;
  if (retry.is_null()) return p;
  if (!retry.is_object()) {
    *error = "retry " + retry.dump() + " is not a policy";
    return std::nullopt;
  }
  if (retry.contains("attempts")) {
    if (!retry["attempts"].is_number_integer()) {
      *error = "retry attempts " + retry["attempts"].dump() + " is not an integer";
      return std::nullopt;
    }
    p.attempts = static_cast<int>(std::clamp<int64_t>(retry["attempts"].get<int64_t>(), 1, std::numeric_limits<int>::max()));
  }
  if (retry.contains("jitter")) {
    if (!retry["jitter"].is_boolean()) {
      *error = "retry jitter " + retry["jitter"].dump() + " is not a bool";
      return std::nullopt;
    }
    p.jitter = retry["jitter"].get<bool>();
  }
  if (retry.contains("backoff")) {
    const json& backoff = retry["backoff"];
    std::string kind = backoff.is_object() && backoff.value("kind", json()).is_string()
                           ? backoff["kind"].get<std::string>()
                           : "";
    if (kind != "exponential" && kind != "constant") {
      *error = "retry backoff " + backoff.dump() + " is neither exponential nor constant";
      return std::nullopt;
    }
    p.exponential = kind == "exponential";
    if (p.exponential) {
      if (!duration_field(backoff, "initial", &p.initial_ms, error) || !duration_field(backoff, "max", &p.max_ms, error))
        return std::nullopt;
    } else {
      if (!duration_field(backoff, "interval", &p.initial_ms, error)) return std::nullopt;
      p.max_ms = p.initial_ms;
    }
  }
  if (retry.contains("on")) {
    const json& on = retry["on"];
    bool strings = on.is_array() && std::all_of(on.begin(), on.end(), [](const json& c) { return c.is_string(); });
    if (!strings) {
      *error = "retry on " + on.dump() + " is not a list of error classes";
      return std::nullopt;
    }
    p.on = on.get<std::vector<std::string>>();
  }
  return p;
}

std::optional<SharedRetry> SharedRetry::parse(json value, std::string* error) {
  std::optional<RetryPolicy> policy = parse_retry_policy(value, error);
  if (!policy) return std::nullopt;
  SharedRetry shared;
  shared.value_ = std::make_shared<const Value>(Value{std::move(value), std::move(*policy)});
  return shared;
}

SharedRetry SharedRetry::checked(json value) {
  std::string error;
  if (auto shared = parse(std::move(value), &error)) return *shared;
  throw std::logic_error("a checked " + error);
}

const json& SharedRetry::null_value() {
  static const json null;
  return null;
}

const RetryPolicy& SharedRetry::default_policy() {
  static const RetryPolicy policy;
  return policy;
}

}  // namespace ferry::dsl

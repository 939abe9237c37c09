#include "engine/run/retry_policy.h"

#include <algorithm>

#include "dsl/types.h"

namespace ferry::engine {
namespace {

Millis duration(const nlohmann::json& j, const char* key, Millis fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return fallback;
  auto ms = dsl::parse_duration(j[key].get<std::string>());
  return ms ? Millis(*ms) : fallback;
}

}  // namespace

RetryPolicy RetryPolicy::from_ir(const nlohmann::json& retry) {
  RetryPolicy p;
  if (!retry.is_object()) return p;
  p.attempts = std::max<int>(1, retry.value("attempts", 1));
  p.jitter = retry.value("jitter", true);
  const nlohmann::json backoff = retry.value("backoff", nlohmann::json::object());
  p.exponential = backoff.value("kind", "exponential") != "constant";
  if (p.exponential) {
    p.initial = duration(backoff, "initial", p.initial);
    p.max = duration(backoff, "max", p.max);
  } else {
    p.initial = p.max = duration(backoff, "interval", p.initial);
  }
  if (retry.contains("on")) {
    p.on.clear();
    for (const auto& name : retry["on"]) {
      if (auto c = error_class_from_name(name.get<std::string>())) p.on.insert(*c);
    }
  }
  return p;
}

Millis RetryPolicy::delay(int attempt, std::mt19937_64& rng) const {
  Millis d = initial;
  if (exponential) {
    for (int i = 1; i < attempt && d < max; ++i) d *= 2;
    d = std::min(d, max);
  }
  if (!jitter || d.count() < 2) return d;
  std::uniform_int_distribution<int64_t> half(0, d.count() / 2);
  return Millis(d.count() - d.count() / 2 + half(rng));
}

}  // namespace ferry::engine

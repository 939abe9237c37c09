#include "engine/run/redactor.h"

#include <algorithm>

namespace ferry::engine {

void Redactor::add(std::string_view secret) {
  if (secret.empty()) return;
  std::lock_guard lock(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::lock_guard lock(mu_);
  std::string out(text);
  for (const std::string& s : secrets_) {
    for (size_t at = out.find(s); at != std::string::npos; at = out.find(s, at + kRedacted.size())) {
      out.replace(at, s.size(), kRedacted);
    }
  }
  return out;
}

nlohmann::json Redactor::redact_json(const nlohmann::json& value) const {
  if (empty()) return value;
  if (value.is_string()) return redact(std::string_view(value.get_ref<const std::string&>()));
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : value) out.push_back(redact_json(v));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : value.items()) out[redact(k)] = redact_json(v);
    return out;
  }
  return value;
}

bool Redactor::empty() const {
  std::lock_guard lock(mu_);
  return secrets_.empty();
}

}  // namespace ferry::engine

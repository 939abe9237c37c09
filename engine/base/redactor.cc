#include "engine/base/redactor.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace ferry::engine {
namespace {

// A character of a query parameter's value: unreserved, percent-encoded, or base64.
bool value_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '%' || c == '-' || c == '_' || c == '.' || c == '~' ||
         c == '+' || c == '/' || c == '=';
}

size_t find_nocase(std::string_view text, std::string_view needle, size_t from) {
  auto it = std::search(text.begin() + from, text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it == text.end() ? std::string_view::npos : it - text.begin();
}

// Where the access key of an X-Amz-Credential value ends: at its first '/' (or "%2F").
size_t credential_key_end(std::string_view text, size_t from, size_t end) {
  for (size_t i = from; i < end; ++i) {
    if (text[i] == '/') return i;
    if (text[i] == '%' && i + 2 < end && text[i + 1] == '2' && (text[i + 2] == 'F' || text[i + 2] == 'f')) return i;
  }
  return end;
}

}  // namespace

std::string redact_url_secrets(std::string_view text) {
  if (text.find('=') == std::string_view::npos) return std::string(text);
  struct Param {
    std::string_view name;
    bool key_only;  // X-Amz-Credential: only the access key id is redacted
  };
  static constexpr std::array<Param, 3> kParams{{
      {"signature=", false},  // X-Amz-Signature= and SigV2's Signature=
      {"x-amz-security-token=", false},
      {"x-amz-credential=", true},
  }};
  std::string out(text);
  for (const Param& p : kParams) {
    for (size_t at = find_nocase(out, p.name, 0); at != std::string::npos; at = find_nocase(out, p.name, at)) {
      size_t begin = at + p.name.size();
      size_t end = begin;
      while (end < out.size() && value_char(out[end])) ++end;
      if (p.key_only) end = credential_key_end(out, begin, end);
      if (end > begin && out.compare(begin, end - begin, kRedacted) != 0) out.replace(begin, end - begin, kRedacted);
      at = begin;
    }
  }
  return out;
}

void Redactor::add(std::string_view secret) {
  if (secret.empty()) return;
  std::lock_guard lock(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  {
    std::lock_guard lock(mu_);
    for (const std::string& s : secrets_) {
      for (size_t at = out.find(s); at != std::string::npos; at = out.find(s, at + kRedacted.size())) {
        out.replace(at, s.size(), kRedacted);
      }
    }
  }
  return redact_url_secrets(out);
}

nlohmann::json Redactor::redact_json(const nlohmann::json& value) const {
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

}  // namespace ferry::engine

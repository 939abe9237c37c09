// Keeps secrets out of everything ferry prints or writes. Values are tainted at their source
// (a `secret` param, a credential, a presigned URL, a Secret's data); every value made from a
// tainted one (an interpolated string, an argv) is registered too, so redaction follows the
// data instead of guessing at patterns. Every sink (stdout, the log, the journal, the dry run,
// error messages) passes its text through redact().
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::engine {

inline constexpr std::string_view kRedacted = "<redacted>";

class Redactor {
 public:
  // Registers a secret value; empty values are ignored (they would match everywhere).
  void add(std::string_view secret);
  // `text` with every registered secret replaced by <redacted>.
  std::string redact(std::string_view text) const;
  // The same for every string (and object key) inside `value`.
  nlohmann::json redact_json(const nlohmann::json& value) const;
  bool empty() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;  // longest first, so a secret inside another goes whole
};

}  // namespace ferry::engine

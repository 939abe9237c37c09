// Keeps secrets out of everything ferry prints or writes. Values are tainted at their source
// (a `secret` param, a credential, a presigned URL, a Secret's data); every value made from a
// tainted one (an interpolated string, an argv) is registered too, so redaction follows the
// data instead of guessing at patterns. Every sink (stdout, the log, the journal, the dry run,
// error messages) passes its text through redact().
//
// A second line of defence needs no registration: the secret parts of presigned URLs
// (`X-Amz-Signature=`, `Signature=`, `X-Amz-Security-Token=`, the access key of
// `X-Amz-Credential=`) are redacted wherever they appear, so a URL made by an earlier process
// of the run (and read back from a cluster) is caught even though this process never saw it.
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
  // `text` with every registered secret, and every presigned-URL secret part, replaced by
  // <redacted>.
  std::string redact(std::string_view text) const;
  // The same for every string (and object key) inside `value`.
  nlohmann::json redact_json(const nlohmann::json& value) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;  // longest first, so a secret inside another goes whole
};

// `text` with the values of presigned-URL query parameters that grant access replaced by
// <redacted> (case-insensitive names): `...Signature=` (SigV4's X-Amz-Signature and SigV2's
// Signature), `X-Amz-Security-Token=`, and the access key id of `X-Amz-Credential=` (its
// date/region/service scope is kept). Part of Redactor::redact; exposed for its tests.
std::string redact_url_secrets(std::string_view text);

}  // namespace ferry::engine

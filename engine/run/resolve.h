// Turns a step's compiled arguments into concrete values when the step is about to run: the
// symbolic parts of the IR (dsl/symbolic.h) are evaluated against the outputs of the steps that
// ran and the secret values given for the run.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "dsl/ir.h"
#include "engine/base/redactor.h"
#include "engine/base/status.h"

namespace ferry::engine {

using json = nlohmann::json;

struct ResolveScope {
  const dsl::Ir* ir = nullptr;
  // The outputs of step `id`, or nullptr if it has not run (or was skipped).
  std::function<const json*(const std::string& id)> outputs;
  // The value of secret param `name`, or nullopt if none was given.
  std::function<std::optional<std::string>(const std::string& name)> secret;
  // Values made from secrets are registered here, so redaction follows them.
  Redactor* redactor = nullptr;
  // Dry run: what is not known yet becomes a placeholder ("<snap[etcd-0].path>") instead of
  // an error, and secrets are "<redacted>".
  bool placeholders = false;
};

// `value` with every symbolic part evaluated. An error (class invalid) names what is missing.
Status resolve_value(const json& value, const ResolveScope& scope, json* out);

}  // namespace ferry::engine

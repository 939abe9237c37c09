// The schema registry: every step type's fields, outputs and traits, in one table. The type
// checker, both surfaces, `docs/steps.md` and the engine's implementations all read it,
// so a field exists in exactly one place.
#pragma once

#include <string>
#include <vector>

#include "dsl/types.h"

namespace ferry::dsl {

struct OutputSchema {
  std::string name;
  Type type;
  bool secret = false;  // e.g. a presigned URL: redacted wherever it is shown
  std::string doc;
};

struct StepSchema {
  std::string name;
  std::string summary;
  bool needs_cluster = false;  // runs against a cluster: `cluster` is required
  bool has_inverse = false;    // `rollback = auto` is available
  bool idempotent = false;     // a half-done attempt may simply be run again
  bool destructive = false;    // removes or stops something (`scale` is destructive at 0 replicas)
  std::vector<StructField> fields;  // the type's own fields
  std::vector<std::vector<std::string>> exactly_one_of;  // groups of which exactly one is set
  std::vector<OutputSchema> outputs;
  std::string default_output;  // what `from = snap` means; "" if the step has none
  std::vector<std::vector<std::string>> at_most_one_of = {};  // groups of which at most one is set
};

// All step types, in the order the docs list them.
const std::vector<StepSchema>& step_schemas();
// The schema named `name`, or nullptr.
const StepSchema* find_step_schema(const std::string& name);
std::vector<std::string> step_type_names();

// Fields every step may have (cluster, after, when, retry, timeout, rollback, description, pool).
const std::vector<StructField>& common_step_fields();
// The `retry { ... }` block, shared by steps and the plan-wide default.
const Type& retry_type();
// Error classes a retry policy may name in `on`.
const std::vector<std::string>& error_classes();

// Settings of a plan (description, on_failure, timeout, retry), a phase and a cluster.
const std::vector<StructField>& plan_settings();
const std::vector<StructField>& phase_settings();
const std::vector<StructField>& cluster_fields();

}  // namespace ferry::dsl

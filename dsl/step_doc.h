// How the schema registry is shown to people: a trait in words, a field found by its dotted
// path, and an example step generated from the schema. One home for these, read by
// `ferry explain`, docs/steps.md (tests/tools/gen_steps_doc.cc) and the test that compiles the
// examples.
#pragma once

#include <string>
#include <vector>

#include "dsl/step_types.h"

namespace ferry::dsl {

// "yes", "at 0 replicas" (scale) or "": whether a step of this type removes or stops something.
std::string destructive_text(const StepSchema& schema);

// A field's default as plans write it (`"5m"`, `[0]`), or "" when it has none.
std::string default_text(const StructField& field);

// The fields inside a field of this type: a block's, or each element's of a list of blocks;
// nullptr for any other type.
const std::vector<StructField>* sub_fields(const Type& type);

// A field by name among the type's own and then those every step has; nullptr if neither.
const StructField* find_step_field(const StepSchema& schema, const std::string& name);

// The name of the cluster the examples use (example_plan declares it).
inline constexpr const char* kExampleCluster = "source";

// A step of type `schema` in the .ferry language: its required fields, and the first of each
// exactly-one-of group, set to a placeholder of their type (a string "<field>", 1, true, "5m",
// an enum's first value); `cluster = source` if the type needs a cluster.
std::string example_step(const StepSchema& schema);
// example_step in the smallest plan it compiles in: one phase, and the cluster it names.
std::string example_plan(const StepSchema& schema);

}  // namespace ferry::dsl

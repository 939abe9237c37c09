// Rules about a step that read its type's schema and its arguments: one home for each, beside
// the schema registry (step_types.h), for the graph, the dry run and the diff alike.
#pragma once

#include "dsl/ir.h"

namespace ferry::dsl {

// True if running `step` removes or stops something: its type is destructive in the schema
// registry, except `scale`, which is destructive only to 0 replicas (or to a count known only at
// run time: it may be 0).
bool is_destructive(const IrStep& step);

}  // namespace ferry::dsl

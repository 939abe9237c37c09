// The risk rules: what makes the new plan more dangerous than the old one. Each rule is one
// function in risk.cc, and each risk kind is documented in docs/diff.md.
#pragma once

#include <vector>

#include "engine/diff/plan_diff.h"

namespace ferry::diff {

// A step present in both plans (under the same id or renamed).
struct StepPair {
  const dsl::IrStep* old_step;
  const dsl::IrStep* new_step;
};

// The risks of going from `old_ir` to `new_ir`, given the rest of their diff; in rule order,
// then by step id.
std::vector<Risk> assess_risks(const dsl::Ir& old_ir, const dsl::Ir& new_ir, const std::vector<StepPair>& pairs,
                               const PlanDiff& diff);

}  // namespace ferry::diff

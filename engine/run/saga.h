// The saga's order: what a rollback undoes, and in which order. The executor journals and runs
// the compensations (executor.cc, compensate_all); the rules of what and when are here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/run/run_state.h"

namespace ferry::engine {

// The steps to compensate, last completed first: those that succeeded, or failed after
// journaling undo data (they may have acted), and are not compensated (or skipped) yet.
std::vector<std::string> compensation_order(const dsl::Ir& ir, const RunState& state);

// The steps of `step`'s rollback block in an order that respects their dependencies among
// themselves; nullopt if they form a cycle.
std::optional<std::vector<const dsl::IrStep*>> rollback_block_order(const dsl::IrStep& step);

}  // namespace ferry::engine

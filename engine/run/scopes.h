// Failure scopes (docs/language.md §17, `isolated`): which steps a scope holds, and which ones
// its failure stops. The executor, resume, rollback and `status` ask these, so the rules live
// here once.
#pragma once

#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/run/run_state.h"

namespace ferry::engine {

// The scopes the plan declares, sorted.
std::vector<std::string> scope_names(const dsl::Ir& ir);

// The ids of the steps of `scope`, sorted.
std::vector<std::string> scope_steps(const dsl::Ir& ir, const std::string& scope);

// The steps a failed `scope` stops: its own, and every step that depends on one of them,
// directly or not, in any phase. Sorted.
std::vector<std::string> stopped_by_scope(const dsl::Ir& ir, const std::string& scope);

// The reason journaled with each step a failed scope skips; a retry of the scope finds them by it.
std::string scope_skip_reason(const std::string& scope);

// A scope's state as `ferry status` names it: a failed one's (failed, rolled_back,
// rollback_failed), else "skipped" when every one of its steps was skipped (it depends on a
// scope that failed), "succeeded" once each is done, "unfinished" before.
std::string scope_state(const dsl::Ir& ir, const RunState& state, const std::string& scope);
// The same from the scope's steps (scope_steps), for a caller that keeps them.
std::string scope_state(const RunState& state, const std::string& scope, const std::vector<std::string>& steps);
// Whether a scope in that state has ended: all its steps done, or its compensation ended.
bool scope_ended(const std::string& scope_state);

// Whether step `id` belongs to a scope the journal says failed (and no retry reopened).
bool in_failed_scope(const dsl::Ir& ir, const RunState& state, const std::string& id);

}  // namespace ferry::engine

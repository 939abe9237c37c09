// What runs before a destructive step: the backups, restores, waits and approvals that make it
// safe. A step runs after every step it reaches through `deps` (directly or not) and after every
// step of an earlier phase, since phases run in order.
#pragma once

#include <string>
#include <vector>

#include "engine/diff/plan_diff.h"

namespace ferry::diff {

// "backup", "restore", "wait" or "approval" for a step type that guards destructive steps;
// "" for any other type.
std::string guard_kind(const std::string& step_type);

// The guard steps that run before step `id` of `ir`, sorted by id.
// REQUIRES: `id` is a step of `ir`.
std::vector<Guard> guards_before(const dsl::Ir& ir, const std::string& id);

}  // namespace ferry::diff

#include "engine/run/holds.h"

#include <algorithm>

#include "engine/run/scopes.h"

namespace ferry::engine {
namespace {

void add_holds(const dsl::IrStep& step, std::vector<Hold>* out) {
  for (const std::string& thing : step.holds) out->push_back({step.cluster, thing});
  for (const dsl::IrStep& undo : step.rollback_steps) add_holds(undo, out);
}

}  // namespace

std::vector<Hold> plan_holds(const dsl::Ir& ir) {
  std::vector<Hold> holds;
  for (const auto& [id, step] : ir.steps) add_holds(step, &holds);
  std::sort(holds.begin(), holds.end());
  holds.erase(std::unique(holds.begin(), holds.end()), holds.end());
  return holds;
}

HoldUse::HoldUse(const dsl::Ir& ir) {
  for (const auto& [id, step] : ir.steps) {
    if (!step.scope.empty()) scope_steps_[step.scope].push_back(id);
    std::vector<Hold> holds;
    add_holds(step, &holds);
    for (const Hold& h : holds) scopes_[h].insert(step.scope);
  }
}

bool HoldUse::scope_ended(const RunState& state, const std::string& scope) const {
  auto steps = scope_steps_.find(scope);
  return steps != scope_steps_.end() && engine::scope_ended(scope_state(state, scope, steps->second));
}

std::vector<Hold> HoldUse::done_with(const RunState& state, const std::vector<Hold>& holds) const {
  std::vector<Hold> done;
  for (const Hold& h : holds) {
    auto it = scopes_.find(h);
    if (it == scopes_.end()) continue;
    if (std::all_of(it->second.begin(), it->second.end(),
                    [&](const std::string& scope) { return !scope.empty() && scope_ended(state, scope); })) {
      done.push_back(h);
    }
  }
  return done;
}

}  // namespace ferry::engine

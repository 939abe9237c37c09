#include "engine/run/holds.h"

#include <algorithm>
#include <tuple>

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
  if (auto failed = state.scopes.find(scope); failed != state.scopes.end()) {
    return failed->second.state != ScopeState::kFailed;  // its compensation ended
  }
  auto steps = scope_steps_.find(scope);
  if (steps == scope_steps_.end()) return false;
  return std::all_of(steps->second.begin(), steps->second.end(), [&](const std::string& id) { return is_done(state, id); });
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

#include "engine/run/scopes.h"

#include <algorithm>
#include <map>
#include <set>

namespace ferry::engine {

std::vector<std::string> scope_names(const dsl::Ir& ir) {
  std::set<std::string> names;
  for (const auto& [id, step] : ir.steps) {
    if (!step.scope.empty()) names.insert(step.scope);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> scope_steps(const dsl::Ir& ir, const std::string& scope) {
  std::vector<std::string> ids;
  for (const auto& [id, step] : ir.steps) {
    if (!scope.empty() && step.scope == scope) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> stopped_by_scope(const dsl::Ir& ir, const std::string& scope) {
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& [id, step] : ir.steps) {
    for (const std::string& d : step.deps) dependents[d].push_back(id);
  }
  std::vector<std::string> todo = scope_steps(ir, scope);
  std::set<std::string> stopped(todo.begin(), todo.end());
  while (!todo.empty()) {
    std::string id = std::move(todo.back());
    todo.pop_back();
    for (const std::string& d : dependents[id]) {
      if (stopped.insert(d).second) todo.push_back(d);
    }
  }
  return {stopped.begin(), stopped.end()};
}

std::string scope_state(const dsl::Ir& ir, const RunState& state, const std::string& scope) {
  return scope_state(state, scope, scope_steps(ir, scope));
}

std::string scope_state(const RunState& state, const std::string& scope, const std::vector<std::string>& steps) {
  if (auto it = state.scopes.find(scope); it != state.scopes.end()) return std::string(scope_state_name(it->second.state));
  bool all_skipped = true;
  for (const std::string& id : steps) {
    if (!is_done(state, id)) return "unfinished";
    auto it = state.steps.find(id);
    all_skipped = all_skipped && it != state.steps.end() && it->second.state == StepState::kSkipped;
  }
  return all_skipped ? "skipped" : "succeeded";
}

bool scope_ended(const std::string& scope_state) {
  return scope_state != "failed" && scope_state != "unfinished";
}

std::string scope_skip_reason(const std::string& scope) { return "scope " + scope + " failed"; }

bool in_failed_scope(const dsl::Ir& ir, const RunState& state, const std::string& id) {
  const dsl::IrStep* step = ir.find(id);
  return step && !step->scope.empty() && state.scopes.count(step->scope);
}

}  // namespace ferry::engine

#include "engine/run/dry_run_util.h"

#include <set>

#include "dsl/step_rules.h"

namespace ferry::engine {

std::string rollback_words(const PlannedStep& p) {
  if (p.rollback == dsl::RollbackMode::kAuto) return "automatic (restores what the step changed)";
  if (p.rollback == dsl::RollbackMode::kSteps) {
    std::string list;
    for (const auto& s : p.rollback_steps) list += (list.empty() ? "" : ", ") + s;
    return "runs " + list;
  }
  return "none";
}

Totals totals_of(const PlanReport& r) {
  Totals t;
  std::set<std::string> scopes;
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    if (!step.scope.empty()) scopes.insert(step.scope);
    ++t.steps;
    t.destructive += dsl::is_destructive(step);
    t.with_rollback += step.rollback != dsl::RollbackMode::kNone;
    t.approvals += step.type == "approve";
    t.unplannable += !p.error.empty();
  }
  t.scopes = scopes.size();
  return t;
}

std::string scopes_words(const Totals& t) {
  if (t.scopes == 0) return "";
  return ", " + std::to_string(t.scopes) + " failure scope" + (t.scopes == 1 ? "" : "s");
}

std::string short_hash(const std::string& h) { return h.substr(0, 12); }

}  // namespace ferry::engine

#include "engine/diff/risk.h"

#include <algorithm>
#include <cstdint>

#include "dsl/step_rules.h"
#include "dsl/types.h"
#include "engine/diff/guards.h"

namespace ferry::diff {
namespace {

using dsl::Ir;
using dsl::IrStep;

std::string quoted(const std::string& id) { return "'" + id + "'"; }

// A destructive step as risks name it: "'removed.deployments' (scale to 0, from template
// hypershift.teardown)" (a destructive scale is one to 0).
std::string describe(const IrStep& step) {
  std::string what = step.type == "scale" ? "scale to 0" : step.type;
  if (!step.template_name.empty()) what += ", from template " + step.template_name;
  return quoted(step.id) + " (" + what + ")";
}

// A timeout in ms; none is longer than any.
int64_t timeout_ms(const std::optional<int64_t>& timeout) { return timeout.value_or(INT64_MAX); }

std::string timeout_text(const std::string& timeout) { return timeout.empty() ? "none" : timeout; }

void destructive_added(const PlanDiff& diff, const Ir& new_ir, std::vector<Risk>* out) {
  for (const StepRef& s : diff.added) {
    if (s.destructive)
      out->push_back({"destructive_added", s.id, "new destructive step " + describe(new_ir.steps.at(s.id))});
  }
}

void became_destructive(const std::vector<StepPair>& pairs, std::vector<Risk>* out) {
  for (const StepPair& p : pairs) {
    if (!dsl::is_destructive(*p.old_step) && dsl::is_destructive(*p.new_step)) {
      out->push_back({"became_destructive", p.new_step->id, describe(*p.new_step) + " is now destructive"});
    }
  }
}

void rollback_weakened(const std::vector<StepPair>& pairs, std::vector<Risk>* out) {
  for (const StepPair& p : pairs) {
    const IrStep& o = *p.old_step;
    const IrStep& n = *p.new_step;
    if (o.rollback != dsl::RollbackMode::kNone && n.rollback == dsl::RollbackMode::kNone) {
      std::string before(dsl::rollback_mode_name(o.rollback));
      out->push_back(
          {"rollback_removed", n.id, quoted(n.id) + " no longer rolls back (rollback " + before + " \u2192 none)"});
    } else if (o.rollback == dsl::RollbackMode::kSteps && n.rollback == dsl::RollbackMode::kSteps &&
               n.rollback_steps.size() < o.rollback_steps.size()) {
      out->push_back({"rollback_weakened", n.id,
                      quoted(n.id) + " has fewer rollback steps (" + std::to_string(o.rollback_steps.size()) +
                          " \u2192 " + std::to_string(n.rollback_steps.size()) + ")"});
    }
  }
}

// A phase that rolled back on failure and now stops: a failure leaves what ran half done.
void on_failure_weakened(const Ir& old_ir, const Ir& new_ir, std::vector<Risk>* out) {
  for (const dsl::IrPhase& n : new_ir.phases) {
    auto o = std::find_if(old_ir.phases.begin(), old_ir.phases.end(),
                          [&](const dsl::IrPhase& p) { return p.name == n.name; });
    if (o == old_ir.phases.end()) continue;
    dsl::OnFailure before = o->on_failure == dsl::OnFailure::kInherit ? old_ir.on_failure : o->on_failure;
    dsl::OnFailure after = n.on_failure == dsl::OnFailure::kInherit ? new_ir.on_failure : n.on_failure;
    if (before == dsl::OnFailure::kRollback && after != dsl::OnFailure::kRollback) {
      out->push_back({"rollback_removed", "",
                      "phase '" + n.name + "' no longer rolls back on failure (on_failure " +
                          std::string(dsl::on_failure_name(before)) + " \u2192 " +
                          std::string(dsl::on_failure_name(after)) + ")"});
    }
  }
}

std::string guard_text(const Guard& g) { return g.kind + " " + quoted(g.id) + " (" + g.type + ")"; }

// A destructive step that lost a backup, wait, restore or approval before it. When no backup at
// all is left before it, that is said once, as its own kind, instead of backup by backup.
void guards_lost(const PlanDiff& diff, const Ir& new_ir, std::vector<Risk>* out) {
  for (const OrderChange& c : diff.order) {
    const IrStep& step = new_ir.steps.at(c.step);
    std::vector<Guard> now = guards_before(new_ir, c.step);
    bool backup_left = std::any_of(now.begin(), now.end(), [](const Guard& g) { return g.kind == "backup"; });
    std::string lost_backups;
    for (const Guard& g : c.lost) {
      if (g.kind == "backup" && !backup_left) {
        lost_backups += (lost_backups.empty() ? "" : ", ") + quoted(g.id);
        continue;
      }
      out->push_back({"guard_removed", c.step, describe(step) + " no longer runs after " + guard_text(g)});
    }
    if (!lost_backups.empty()) {
      out->push_back({"backup_dependency_lost", c.step,
                      describe(step) + " no longer depends on any backup (it ran after " + lost_backups + ")"});
    }
  }
}

void fewer_retries(const Ir& old_ir, const Ir& new_ir, const std::vector<StepPair>& pairs, std::vector<Risk>* out) {
  if (new_ir.retry.policy().attempts < old_ir.retry.policy().attempts) {
    out->push_back({"fewer_retries", "",
                    "the plan's default retry attempts go down (" + std::to_string(old_ir.retry.policy().attempts) +
                        " \u2192 " + std::to_string(new_ir.retry.policy().attempts) + ")"});
  }
  for (const StepPair& p : pairs) {
    // A step that follows the plan's default on both sides was reported with the plan.
    if (p.old_step->retry.get() == old_ir.retry.get() && p.new_step->retry.get() == new_ir.retry.get()) continue;
    int before = p.old_step->retry.policy().attempts, after = p.new_step->retry.policy().attempts;
    if (after < before) {
      out->push_back({"fewer_retries", p.new_step->id,
                      quoted(p.new_step->id) + " is tried fewer times (retry attempts " + std::to_string(before) +
                          " \u2192 " + std::to_string(after) + ")"});
    }
  }
}

void shorter_timeout(const Ir& old_ir, const Ir& new_ir, const std::vector<StepPair>& pairs, std::vector<Risk>* out) {
  if (timeout_ms(new_ir.timeout_ms) < timeout_ms(old_ir.timeout_ms)) {
    out->push_back(
        {"shorter_timeout", "",
         "the plan's timeout is shorter (" + timeout_text(old_ir.timeout) + " \u2192 " + new_ir.timeout + ")"});
  }
  for (const StepPair& p : pairs) {
    if (timeout_ms(p.new_step->timeout_ms) < timeout_ms(p.old_step->timeout_ms)) {
      out->push_back({"shorter_timeout", p.new_step->id,
                      quoted(p.new_step->id) + " has a shorter timeout (" + timeout_text(p.old_step->timeout) +
                          " \u2192 " + p.new_step->timeout + ")"});
    }
  }
}

}  // namespace

std::vector<Risk> assess_risks(const Ir& old_ir, const Ir& new_ir, const std::vector<StepPair>& pairs,
                               const PlanDiff& diff) {
  std::vector<Risk> risks;
  destructive_added(diff, new_ir, &risks);
  became_destructive(pairs, &risks);
  rollback_weakened(pairs, &risks);
  on_failure_weakened(old_ir, new_ir, &risks);
  guards_lost(diff, new_ir, &risks);
  fewer_retries(old_ir, new_ir, pairs, &risks);
  shorter_timeout(old_ir, new_ir, pairs, &risks);
  return risks;
}

}  // namespace ferry::diff

// `ferry plan --output json`, for machines: every planned step whole (the schema is in
// docs/cli.md).
#include "dsl/step_rules.h"
#include "engine/run/dry_run.h"
#include "engine/run/dry_run_util.h"
#include "engine/run/holds.h"

namespace ferry::engine {

json plan_json(const PlanReport& r) {
  json steps = json::array();
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    json actions = json::array();
    for (const Action& a : p.actions) actions.push_back(a.to_json());
    json rollback_actions = json::array();
    for (const Action& a : p.rollback_actions) rollback_actions.push_back(a.to_json());
    json j = {{"id", p.id},
              {"type", step.type},
              {"phase", step.phase},
              {"wave", p.wave},
              {"args", p.args},
              {"actions", actions},
              {"destructive", dsl::is_destructive(step)},
              {"rollback",
               {{"mode", std::string(dsl::rollback_mode_name(p.rollback))},
                {"actions", rollback_actions},
                {"steps", p.rollback_steps}}}};
    if (!step.cluster.empty()) j["cluster"] = step.cluster;
    if (!step.scope.empty()) j["scope"] = step.scope;
    if (!step.when.is_null()) j["when"] = step.when;
    if (!p.error.empty()) j["error"] = p.error;
    steps.push_back(j);
  }
  Totals t = totals_of(r);
  json out = {{"plan", r.ir->plan},
              {"ir_hash", r.hash},
              {"steps", steps},
              {"totals",
               {{"steps", t.steps}, {"destructive", t.destructive}, {"with_rollback", t.with_rollback},
                {"approvals", t.approvals}, {"cannot_run", t.unplannable}, {"scopes", t.scopes}}}};
  // The Leases the run takes before its first step (docs/fleet.md); no key when it takes none.
  for (const Hold& h : plan_holds(*r.ir)) out["holds"].push_back({{"cluster", h.cluster}, {"thing", h.thing}});
  return out;
}

}  // namespace ferry::engine

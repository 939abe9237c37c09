#include "engine/steps/preflight.h"

#include <set>

#include "engine/kube/kubeconfig.h"
#include "engine/run/resolve.h"
#include "engine/steps/registry.h"

namespace ferry::engine {
namespace {

// The steps that may run: those not done yet, or for a rollback the blocks of completed steps.
std::vector<const dsl::IrStep*> steps_to_check(const dsl::Ir& ir, const RunState& prior, bool rollback) {
  std::vector<const dsl::IrStep*> out;
  for (const auto& [id, step] : ir.steps) {
    if (!rollback) {
      if (!is_done(prior, id)) out.push_back(&step);
      continue;
    }
    auto it = prior.steps.find(id);
    if (it == prior.steps.end() || it->second.completed_seq == 0) continue;
    if (step.rollback != dsl::RollbackMode::kSteps) continue;
    for (const dsl::IrStep& r : step.rollback_steps) {
      if (!is_done(prior, r.id)) out.push_back(&r);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> preflight(const dsl::Ir& ir, const RunState& prior, const Services& services,
                                   const std::map<std::string, std::string>& secrets, Redactor& redactor,
                                   bool rollback) {
  ResolveScope scope;
  scope.ir = &ir;
  scope.redactor = &redactor;
  scope.placeholders = true;  // outputs of steps still to run are not known yet
  scope.outputs = [&prior](const std::string& id) -> const json* {
    auto it = prior.steps.find(id);
    return it != prior.steps.end() && it->second.state == StepState::kSucceeded ? &it->second.outputs : nullptr;
  };
  scope.secret = [&secrets](const std::string& name) -> std::optional<std::string> {
    auto it = secrets.find(name);
    return it == secrets.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::vector<std::string> problems;
  std::set<std::string> checked_clusters;
  for (const dsl::IrStep* step : steps_to_check(ir, prior, rollback)) {
    json when;
    if (!step->when.is_null() && resolve_value(step->when, scope, &when).ok() && when == json(false)) continue;
    StepContext ctx;
    ctx.step = step;
    auto c = ir.clusters.find(step->cluster);
    ctx.cluster = c == ir.clusters.end() ? nullptr : &c->second;
    ctx.services = &services;
    ctx.redactor = &redactor;
    ctx.taint = [&redactor](const std::string& value) { redactor.add(value); };
    ctx.log = [](const std::string&) {};
    if (!resolve_value(dsl::step_args(*step), scope, &ctx.args).ok()) continue;  // the run reports it
    if (ctx.cluster && checked_clusters.insert(ctx.cluster->name).second) {
      if (std::string kubeconfig = ctx.cluster->fields.value("kubeconfig", ""); !kubeconfig.empty()) {
        Status s = kube::check_kubeconfig(kubeconfig, ctx.cluster->fields.value("context", ""));
        if (!s.ok()) problems.push_back(redactor.redact("cluster " + ctx.cluster->name + ": " + s.message()));
      }
    }
    const StepImpl* impl = find_step_impl(step->type);
    if (!impl || !impl->preflight) continue;
    if (Status s = impl->preflight(ctx); !s.ok()) problems.push_back(redactor.redact("step " + step->id + ": " + s.message()));
  }
  return problems;
}

}  // namespace ferry::engine

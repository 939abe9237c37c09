// Before a run's first step: what every step that may still run needs here and can be checked
// without acting, so a missing terminal, kubeconfig or AWS credential is an environment error
// (exit 2) before the source is touched, not a failure (and a rollback) halfway through. Per
// step: its cluster's kubeconfig (engine/kube/kubeconfig.h) and its type's own preflight
// (StepImpl::preflight). A step whose `when` is already known to be false is left out; one
// whose `when` reads outputs of earlier steps may run, so it counts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/base/redactor.h"
#include "engine/run/run_state.h"
#include "engine/steps/services.h"

namespace ferry::engine {

// Each problem as "step ID: what is missing" (or "cluster NAME: ..." once per cluster), redacted; empty when every check passes.
// `rollback`: the steps to check are the rollback blocks of the run's completed steps, not the
// steps still to run.
std::vector<std::string> preflight(const dsl::Ir& ir, const RunState& prior, const Services& services,
                                   const std::map<std::string, std::string>& secrets, Redactor& redactor,
                                   bool rollback);

}  // namespace ferry::engine

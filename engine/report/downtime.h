// Finding the control plane's downtime window (report_model.h, DowntimeWindow) from the plan and
// the run's timeline.
#pragma once

#include <map>
#include <string>

#include "dsl/ir.h"
#include "engine/report/report_model.h"

namespace ferry::report {

// The stop: a `scale` to 0 replicas whose `names` include kube-apiserver (the first one the run
// started, when the plan has several). The end: the first wait for condition Available on a
// `hostedclusters/NAME` object that runs after the stop in every run (a later phase, or the stop
// among its dependencies) to succeed; when none did but the stop was undone by a rollback, the
// end of that compensation. `steps` are the run's, by id.
DowntimeWindow find_downtime(const dsl::Ir& ir, const std::map<std::string, StepTimeline>& steps);

}  // namespace ferry::report

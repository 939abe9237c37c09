// One line per failure scope of a run, for `ferry status` of a plan with many of them (a fleet
// plan's hosted clusters): where each one is, how long it has run, and how long its control plane
// has been down. From the plan, the replayed state and the journal's times.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/report/report_model.h"
#include "engine/run/run_state.h"

namespace ferry::report {

struct ScopeSummary {
  std::string scope;
  std::string phase;        // the phase its steps are in
  std::string state;        // engine::scope_state: succeeded, unfinished, failed, rolled_back, ...
  std::string at;           // the step of the scope running now (the last started), else the last one
                            // the run started (not one it skipped); "" when it started none
  int64_t elapsed_ms = 0;   // from its first attempt's start to its last attempt's or compensation's
                            // end, or to `now_ms` while one of its steps runs; 0 before it started
  DowntimeWindow downtime;  // the control plane's, found among the scope's steps (downtime.h)
};

// The scopes of `ir`, sorted by name. `steps`: the journal's timeline (timeline.h). `now_ms` is
// where what is still open ends: a running step, a control plane still down.
std::vector<ScopeSummary> summarize_scopes(const dsl::Ir& ir, const engine::RunState& state,
                                           const std::map<std::string, StepTimeline>& steps, int64_t now_ms);

}  // namespace ferry::report

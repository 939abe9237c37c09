#include "engine/report/scope_summary.h"

#include <algorithm>

#include "engine/report/downtime.h"
#include "engine/run/scopes.h"

namespace ferry::report {
namespace {

// The plan cut down to one scope's steps, so the downtime rule sees that hosted cluster's alone.
dsl::Ir scope_plan(const dsl::Ir& ir, const std::vector<std::string>& ids) {
  dsl::Ir sub;
  sub.plan = ir.plan;
  sub.phases = ir.phases;
  for (const std::string& id : ids) sub.steps.emplace(id, ir.steps.at(id));
  return sub;
}

}  // namespace

std::vector<ScopeSummary> summarize_scopes(const dsl::Ir& ir, const engine::RunState& state,
                                           const std::map<std::string, StepTimeline>& steps, int64_t now_ms) {
  std::vector<ScopeSummary> out;
  for (const std::string& scope : engine::scope_names(ir)) {
    const std::vector<std::string> ids = engine::scope_steps(ir, scope);
    ScopeSummary s;
    s.scope = scope;
    s.phase = ir.steps.at(ids.front()).phase;
    s.state = engine::scope_state(ir, state, scope);
    int64_t first = 0, last = 0, reached = 0, running_since = 0;
    bool running = false;
    for (const std::string& id : ids) {
      auto r = state.steps.find(id);
      if (r != state.steps.end()) {
        if (r->second.state == engine::StepState::kRunning && r->second.started_ms >= running_since) {
          running = true;
          running_since = r->second.started_ms;
          s.at = id;
        }
        if (!running && r->second.attempts > 0 && r->second.reached_seq > reached) {
          reached = r->second.reached_seq;
          s.at = id;
        }
      }
      auto t = steps.find(id);
      if (t == steps.end()) continue;
      for (const Attempt& a : t->second.attempts) {
        if (!first || a.start_ms < first) first = a.start_ms;
        last = std::max(last, a.end_ms);
      }
      for (const Compensation& c : t->second.compensations) last = std::max(last, c.end_ms);
    }
    if (first) s.elapsed_ms = (running ? now_ms : last) - first;
    s.downtime = find_downtime(scope_plan(ir, ids), steps);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ferry::report

// The journal's events folded into when things happened: each step's attempts, skips and
// compensations, the commands that ran the run, its rollbacks. The states themselves are
// replay()'s (engine/run/run_state.h); this adds the times it does not keep.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/report/report_model.h"

namespace ferry::report {

struct Timeline {
  std::map<std::string, StepTimeline> steps;  // by id: the steps the journal names (only id and times set)
  std::vector<Invocation> invocations;
  std::vector<RollbackStart> rollbacks;
  std::vector<std::string> not_undone;  // the last run_ended's
  int64_t first_ms = 0;                 // the first event's time
  int64_t last_ms = 0;                  // the last event's
};

// Events this ferry does not know, and fields of the wrong type, are ignored, as replay() does.
Timeline fold_timeline(const std::vector<json>& events);

}  // namespace ferry::report

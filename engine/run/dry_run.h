// `ferry plan`: the executor's own scheduler with a runner that records what each step would
// do instead of doing it, and the report made from that record (text, JSON, Markdown).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/run/executor.h"

namespace ferry::engine {

struct PlannedStep {
  std::string id;
  int wave = 0;            // steps of a phase with the same wave can run together
  json args;               // resolved; later outputs as <step.output>, secrets as <redacted>
  std::vector<Action> actions;
  dsl::RollbackMode rollback = dsl::RollbackMode::kNone;
  std::vector<Action> rollback_actions;
  std::vector<std::string> rollback_steps;
  std::string error;       // why the step could not even be planned (e.g. a missing secret)
};

class DryRunner : public StepRunner {
 public:
  StepResult attempt(const StepImpl& impl, StepContext& ctx) override;
  Status compensate(const StepImpl&, StepContext&, const json&) override { return Status::Ok(); }
  bool makes_outputs() const override { return false; }
  // Recording is local: every step runs on the scheduler's thread, so its rounds are the waves.
  bool runs_inline(const StepImpl*) const override { return true; }
  std::map<std::string, PlannedStep>& steps() { return steps_; }

 private:
  std::map<std::string, PlannedStep> steps_;
};

struct PlanReport {
  const dsl::Ir* ir = nullptr;
  std::string hash;
  std::vector<PlannedStep> steps;  // in the order the scheduler started them
};

// Dry-runs `ir` (whose dsl::ir_hash is `hash`) with `options`; secrets are never read: they
// show as <redacted>.
PlanReport dry_run(const dsl::Ir& ir, const std::string& hash, const RunOptions& options, const Services& services);

std::string plan_text(const PlanReport& report, bool color);
std::string plan_markdown(const PlanReport& report);
json plan_json(const PlanReport& report);

}  // namespace ferry::engine

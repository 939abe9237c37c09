// `ferry plan --output markdown`, for a pull-request comment: totals, a table per phase, and the
// commands folded away.
#include <sstream>

#include "dsl/step_rules.h"
#include "engine/run/dry_run.h"
#include "engine/run/dry_run_util.h"

namespace ferry::engine {

std::string plan_markdown(const PlanReport& r) {
  std::ostringstream out;
  Totals t = totals_of(r);
  out << "## ferry plan `" << r.ir->plan << "`\n\n"
      << t.steps << " steps, " << t.destructive << " destructive, " << t.with_rollback << " with rollback, "
      << t.approvals << " approval gates. IR `" << short_hash(r.hash) << "`.\n";
  std::string phase;
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    if (step.phase != phase) {
      phase = step.phase;
      out << "\n### phase `" << phase << "`\n\n| wave | step | type | cluster | rollback |\n|---|---|---|---|---|\n";
    }
    out << "| " << p.wave << " | `" << p.id << "`" << (dsl::is_destructive(step) ? " ⚠️" : "") << " | " << step.type << " | "
        << step.cluster << " | " << rollback_words(p) << " |\n";
  }
  out << "\n<details><summary>Commands</summary>\n\n";
  for (const PlannedStep& p : r.steps) {
    if (p.actions.empty()) continue;
    out << "- `" << p.id << "`\n";
    for (const Action& a : p.actions) out << "  ```\n  " << a.text() << "\n  ```\n";
  }
  out << "\n</details>\n";
  return out.str();
}

}  // namespace ferry::engine

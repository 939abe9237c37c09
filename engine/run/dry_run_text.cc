// `ferry plan`'s text report: each phase, its steps in the order apply would start them grouped
// into the sets that can run together, and for each step its arguments, commands and rollback.
#include <sstream>

#include "dsl/step_rules.h"
#include "engine/run/dry_run.h"
#include "engine/run/dry_run_util.h"

namespace ferry::engine {
namespace {

struct Style {
  bool color;
  std::string bold(const std::string& s) const { return color ? "\033[1m" + s + "\033[0m" : s; }
  std::string dim(const std::string& s) const { return color ? "\033[2m" + s + "\033[0m" : s; }
  std::string red(const std::string& s) const { return color ? "\033[31m" + s + "\033[0m" : s; }
};

}  // namespace

std::string plan_text(const PlanReport& r, bool color) {
  Style st{color};
  std::ostringstream out;
  out << st.bold("plan '" + r.ir->plan + "'") << " (ir " << short_hash(r.hash) << ")\n";
  std::string phase;
  int wave = -1;
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    if (step.phase != phase) {
      phase = step.phase;
      wave = -1;
      std::string description;
      for (const auto& ph : r.ir->phases) {
        if (ph.name == phase) description = ph.description;
      }
      out << "\n" << st.bold("phase " + phase) << (description.empty() ? "" : st.dim("  # " + description)) << "\n";
    }
    if (p.wave != wave) {
      wave = p.wave;
      out << "  " << st.dim("-- together:") << "\n";
    }
    std::string head = "    " + st.bold(p.id) + " = " + step.type;
    if (!step.cluster.empty()) head += " on " + step.cluster;
    if (dsl::is_destructive(step)) head += "  " + st.red("[destructive]");
    out << head << "\n";
    if (!step.description.empty()) out << "      " << st.dim(step.description) << "\n";
    if (!step.when.is_null()) out << "      when " << step.when.dump() << "\n";
    if (!p.args.empty()) {
      // The arguments on one line; the JSON output has them whole.
      std::string args = p.args.dump();
      if (args.size() > 160) args = args.substr(0, 157) + "...";
      out << "      " << st.dim("args " + args) << "\n";
    }
    for (const Action& a : p.actions) out << "      $ " << a.text() << "\n";
    if (!p.error.empty()) out << "      " << st.red("error: " + p.error) << "\n";
    out << "      rollback: " << rollback_words(p) << "\n";
    for (const Action& a : p.rollback_actions) out << "        $ " << a.text() << "\n";
  }
  Totals t = totals_of(r);
  out << "\n" << t.steps << " steps, " << t.destructive << " destructive, " << t.with_rollback << " with rollback, "
      << t.approvals << " approval gate" << (t.approvals == 1 ? "" : "s");
  if (t.unplannable) out << ", " << st.red(std::to_string(t.unplannable) + " that cannot run");
  out << "\n";
  return out.str();
}

}  // namespace ferry::engine

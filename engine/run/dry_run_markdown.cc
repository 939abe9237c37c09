// `ferry plan --output markdown`, for a pull-request comment: totals; per phase a table of its
// steps and every step's args (long lists and objects folded); the commands folded away.
#include <set>
#include <span>
#include <sstream>

#include "dsl/step_rules.h"
#include "engine/base/markdown.h"
#include "engine/base/markup.h"
#include "engine/run/dry_run.h"
#include "engine/run/dry_run_util.h"

namespace ferry::engine {
namespace {

// A list or object whose JSON is longer than this folds into a <details> block; anything
// shorter, and every single value however long (a URL reads best on its line), stays inline.
constexpr size_t kInlineMax = 80;

void phase_table(std::ostringstream& out, const PlanReport& r, std::span<const PlannedStep> steps) {
  out << "\n### phase " << markdown_code(r.ir->steps.at(steps.front().id).phase) << "\n\n"
      << "| wave | step | type | cluster | rollback |\n|---|---|---|---|---|\n";
  for (const PlannedStep& p : steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    out << "| " << p.wave << " | " << markdown_table_code(p.id) << (dsl::is_destructive(step) ? " ⚠️" : "") << " | "
        << step.type << " | " << step.cluster << " | " << rollback_words(p) << " |\n";
  }
  std::set<std::string> scopes;
  for (const PlannedStep& p : steps) {
    if (const std::string& scope = r.ir->steps.at(p.id).scope; !scope.empty()) scopes.insert(scope);
  }
  if (scopes.empty()) return;
  out << "\nFailure scopes (a failure in one undoes it alone, the run goes on):";
  for (const std::string& scope : scopes) out << " " << markdown_code(scope);
  out << "\n";
}

std::string size_words(const json& value) {
  std::string n = std::to_string(value.size());
  if (value.is_array()) return n + (value.size() == 1 ? " item" : " items");
  return n + (value.size() == 1 ? " key" : " keys");
}

// Every arg of a step, whole: the short ones as a list, then each long list or object (a
// restore's objects, a patch body) pretty-printed in a block of its own that opens on a click.
void step_args(std::ostringstream& out, const PlannedStep& p) {
  if (!p.args.is_object() || p.args.empty()) return;
  std::string inline_args, folded_args;
  for (const auto& [key, value] : p.args.items()) {
    std::string compact = value.dump();
    if (value.is_structured() && compact.size() > kInlineMax) {
      folded_args += "\n<details><summary><code>" + xml_escape(key) + "</code> (" + size_words(value) +
                     ")</summary>\n\n" + markdown_block(value.dump(2), "json") + "\n</details>\n";
    } else {
      inline_args += "- " + markdown_code(key) + ": " + markdown_code(compact) + "\n";
    }
  }
  out << "\n#### " << markdown_code(p.id) << "\n";
  if (!inline_args.empty()) out << "\n" << inline_args;
  out << folded_args;
}

}  // namespace

std::string plan_markdown(const PlanReport& r) {
  std::ostringstream out;
  Totals t = totals_of(r);
  out << "## ferry plan `" << r.ir->plan << "`\n\n"
      << t.steps << " steps, " << t.destructive << " destructive, " << t.with_rollback << " with rollback, "
      << t.approvals << " approval gates" << scopes_words(t) << ". IR `" << short_hash(r.hash) << "`.\n";
  // The steps are in the order apply starts them, so each phase's steps come together.
  std::span<const PlannedStep> rest(r.steps);
  while (!rest.empty()) {
    const std::string& phase = r.ir->steps.at(rest.front().id).phase;
    size_t n = 1;
    while (n < rest.size() && r.ir->steps.at(rest[n].id).phase == phase) ++n;
    phase_table(out, r, rest.first(n));
    for (const PlannedStep& p : rest.first(n)) step_args(out, p);
    rest = rest.subspan(n);
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

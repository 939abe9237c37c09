// `ferry plan`'s text report: each phase, its steps in the order apply would start them grouped
// into the sets that can run together, and for each step its arguments, commands and rollback.
#include <sstream>
#include <string>
#include <vector>

#include "dsl/step_rules.h"
#include "engine/run/dry_run.h"
#include "engine/run/dry_run_util.h"
#include "engine/run/holds.h"

namespace ferry::engine {
namespace {

struct Style {
  bool color;
  std::string bold(const std::string& s) const { return color ? "\033[1m" + s + "\033[0m" : s; }
  std::string dim(const std::string& s) const { return color ? "\033[2m" + s + "\033[0m" : s; }
  std::string red(const std::string& s) const { return color ? "\033[31m" + s + "\033[0m" : s; }
};

// The report's lines are at most this wide, args included (other lines are short, or commands
// that are copied and pasted and so never wrapped).
constexpr size_t kLineWidth = 100;
// A step's args start with "      args "; their continuation lines are indented as deep.
const std::string kArgsIndent(11, ' ');

bool starts_character(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }  // in UTF-8

// `text`, compact JSON, in lines of at most `width` characters, nothing cut or added: a line
// ends after the last comma between values, or the last space inside a string, that fits; only
// a run with neither (a long URL) breaks at the width, never inside a UTF-8 character or
// between a backslash and the character it escapes.
std::vector<std::string> wrap_json(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  size_t start = 0;       // of the line being filled
  size_t columns = 0;     // characters in it so far
  size_t line_end = 0;    // after its last comma or space where it may end; 0 for none yet
  bool in_string = false, escaping = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (starts_character(c)) {
      if (columns == width) {
        size_t end = line_end > start ? line_end : escaping ? i - 1 : i;
        lines.push_back(text.substr(start, end - start));
        columns = 0;
        for (size_t j = end; j < i; ++j) columns += starts_character(text[j]);
        start = end;
      }
      ++columns;
    }
    if (escaping) {
      escaping = false;
    } else if (in_string) {
      if (c == '\\') escaping = true;
      if (c == '"') in_string = false;
      if (c == ' ') line_end = i + 1;
    } else {
      if (c == '"') in_string = true;
      if (c == ',') line_end = i + 1;
    }
  }
  lines.push_back(text.substr(start));
  return lines;
}

}  // namespace

std::string plan_text(const PlanReport& r, bool color) {
  Style st{color};
  std::ostringstream out;
  out << st.bold("plan '" + r.ir->plan + "'") << " (ir " << short_hash(r.hash) << ")\n";
  std::vector<Hold> holds = plan_holds(*r.ir);
  if (!holds.empty()) out << "\nholds (a Lease each, taken before the first step):\n";
  for (const Hold& h : holds) out << "  " << h.thing << " on " << h.cluster << "\n";
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
    if (!step.scope.empty()) head += "  " + st.dim("[scope " + step.scope + "]");
    if (dsl::is_destructive(step)) head += "  " + st.red("[destructive]");
    out << head << "\n";
    if (!step.description.empty()) out << "      " << st.dim(step.description) << "\n";
    if (!step.when.is_null()) out << "      when " << step.when.dump() << "\n";
    if (!p.args.empty()) {
      // Whole, however long: a reviewer must see every value a step sends (the snapshot URL a
      // restore sets, a patch body), so long args wrap instead of being cut.
      std::vector<std::string> lines = wrap_json(p.args.dump(), kLineWidth - kArgsIndent.size());
      out << "      " << st.dim("args " + lines[0]) << "\n";
      for (size_t i = 1; i < lines.size(); ++i) out << kArgsIndent << st.dim(lines[i]) << "\n";
    }
    for (const Action& a : p.actions) out << "      $ " << a.text() << "\n";
    if (!p.error.empty()) out << "      " << st.red("error: " + p.error) << "\n";
    out << "      rollback: " << rollback_words(p) << "\n";
    for (const Action& a : p.rollback_actions) out << "        $ " << a.text() << "\n";
  }
  Totals t = totals_of(r);
  out << "\n" << t.steps << " steps, " << t.destructive << " destructive, " << t.with_rollback << " with rollback, "
      << t.approvals << " approval gate" << (t.approvals == 1 ? "" : "s") << scopes_words(t);
  if (t.unplannable) out << ", " << st.red(std::to_string(t.unplannable) + " that cannot run");
  out << "\n";
  return out.str();
}

}  // namespace ferry::engine

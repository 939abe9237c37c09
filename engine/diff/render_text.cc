// The text face: risk first, then each kind of change under a heading, one line per change,
// `+` added, `-` removed, `~` changed, `=` renamed; colored when options.color is set.
#include <sstream>

#include "engine/diff/render.h"
#include "engine/diff/render_util.h"

namespace ferry::diff {
namespace {

class Printer {
 public:
  explicit Printer(bool color) : color_(color) {}

  std::string paint(const std::string& text, const char* code) const {
    return color_ ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  }
  void heading(const std::string& title, const char* code = "1") { out_ << "\n" << paint(title, code) << "\n"; }
  // `mark` is one of + - ~ = !, colored by what it means.
  void line(char mark, const std::string& text, int indent = 2) {
    const char* code = mark == '+' ? "32" : mark == '-' ? "31" : mark == '!' ? "1;31" : mark == '=' ? "36" : "33";
    out_ << std::string(indent, ' ') << paint(std::string(1, mark), code) << " " << text << "\n";
  }
  void detail(const std::string& text) { out_ << "      " << text << "\n"; }
  void changes(const std::vector<FieldChange>& fields) {
    for (const FieldChange& f : fields) detail(f.path + ": " + change_text(f));
  }
  std::ostringstream& raw() { return out_; }
  std::string str() const { return out_.str(); }

 private:
  bool color_;
  std::ostringstream out_;
};

void named(Printer& p, const std::string& title, const std::vector<NamedChange>& list, bool is_param) {
  if (list.empty()) return;
  p.heading(title);
  for (const NamedChange& c : list) {
    if (c.kind == NamedChange::Kind::Added) p.line('+', c.name + ": " + named_text(c, is_param));
    if (c.kind == NamedChange::Kind::Removed) p.line('-', c.name + ": " + named_text(c, is_param));
    if (c.kind == NamedChange::Kind::Changed) {
      p.line('~', c.name);
      p.changes(c.fields);
    }
  }
}

// "7 steps now run after it: a, b, ...", under an added or removed step that has dependents.
void dependents(Printer& p, const StepRef& s, bool added) {
  if (!s.dependents.empty()) p.detail(dependents_text(s, added) + ": " + join(s.dependents));
}

void steps(Printer& p, const PlanDiff& diff) {
  if (diff.added.empty() && diff.removed.empty() && diff.renamed.empty() && diff.changed.empty()) return;
  p.heading("Steps");
  for (const StepRef& s : diff.added) {
    p.line('+', s.id + " (" + step_text(s) + ")" + (s.deps.empty() ? "" : " after " + join(s.deps)));
    dependents(p, s, true);
  }
  for (const StepRef& s : diff.removed) {
    p.line('-', s.id + " (" + step_text(s) + ")");
    dependents(p, s, false);
  }
  for (const StepRename& r : diff.renamed) {
    p.line('=', r.old_id + " \u2192 " + r.new_id + " (renamed" +
                    (r.template_name.empty() ? "" : ", from template " + r.template_name) + ")");
  }
  for (const StepChange& c : diff.changed) {
    std::string what = c.type + (c.template_name.empty() ? "" : ", from template " + c.template_name);
    p.line('~', c.id + " (" + what + ")");
    p.changes(c.fields);
  }
}

void order(Printer& p, const PlanDiff& diff) {
  if (diff.edges_added.empty() && diff.edges_removed.empty() && diff.moved.empty() && diff.order.empty()) return;
  p.heading("Order");
  for (const Edge& e : diff.edges_added) p.line('+', e.to + " now runs after " + e.from);
  for (const Edge& e : diff.edges_removed) p.line('-', e.to + " no longer runs after " + e.from);
  for (const PhaseMove& m : diff.moved) p.line('~', m.step + " moved from phase " + m.old_phase + " to " + m.new_phase);
  for (const OrderChange& c : diff.order) {
    p.line('~', "destructive step " + c.step + " (" + type_text(c.type, true) + ")");
    for (const Guard& g : c.lost) p.detail("no longer after " + g.kind + " " + g.id + " (" + g.type + ")");
    for (const Guard& g : c.gained) p.detail("now after " + g.kind + " " + g.id + " (" + g.type + ")");
  }
}

}  // namespace

std::string render_text(const PlanDiff& diff, const RenderOptions& options) {
  Printer p(options.color);
  std::string title = "ferry diff " + options.old_label + " \u2192 " + options.new_label;
  if (diff.empty()) return title + ": no semantic difference\n";
  p.raw() << p.paint(title, "1") << ": " << summary_text(diff) << "\n";
  if (std::string templates = templates_text(diff); !templates.empty())
    p.raw() << "from templates: " << templates << "\n";
  if (!diff.risks.empty()) {
    p.heading("Risk: the new plan is more dangerous", "1;31");
    for (const Risk& r : diff.risks) p.line('!', r.message);
  }
  if (!diff.plan.empty()) {
    p.heading("Plan");
    for (const FieldChange& f : diff.plan) p.line('~', f.path + ": " + change_text(f));
  }
  named(p, "Phases", diff.phases, false);
  named(p, "Params", diff.params, true);
  named(p, "Clusters", diff.clusters, false);
  steps(p, diff);
  order(p, diff);
  return p.str();
}

}  // namespace ferry::diff

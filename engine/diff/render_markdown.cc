// The Markdown face, for a pull-request comment: the risks and a summary stay visible, the
// field-by-field details fold into a <details> section.
#include <sstream>

#include "engine/base/markdown.h"
#include "engine/diff/render.h"
#include "engine/diff/render_util.h"

namespace ferry::diff {
namespace {

// Every code span here may sit in a table cell, so each escapes `|`.
constexpr auto code = &engine::markdown_table_code;

// Text outside code spans: characters Markdown would take as markup are escaped (not `_`,
// which GitHub does not take as emphasis inside a word like release_dns).
std::string plain(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string("\\`*[]<>|#").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// A risk message, whose step ids are in single quotes, with those ids as code spans.
std::string sentence(const std::string& message) {
  std::string out;
  size_t begin = 0;
  for (bool quoted = false;; quoted = !quoted) {
    size_t end = message.find('\'', begin);
    std::string part = message.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    out += quoted && end != std::string::npos ? code(part) : plain(quoted ? "'" + part : part);
    if (end == std::string::npos) return out;
    begin = end + 1;
  }
}

std::string codes(const std::vector<std::string>& items) {
  std::vector<std::string> spans;
  for (const std::string& item : items) spans.push_back(code(item));
  return join(spans);
}

std::string cell(const FieldChange& f, bool old_side) {
  bool has = old_side ? f.has_old : f.has_new;
  return has ? code(value_text(old_side ? f.old_value : f.new_value)) : "";
}

void field_table(std::ostringstream& out, const std::vector<FieldChange>& fields) {
  out << "| field | old | new |\n|---|---|---|\n";
  for (const FieldChange& f : fields)
    out << "| " << code(f.path) << " | " << cell(f, true) << " | " << cell(f, false) << " |\n";
  out << "\n";
}

// "`approve` (7 steps now run after it), `notify`": added or removed steps, and how many steps of
// both plans each reorders, in sight before the details are opened.
std::string step_list(const std::vector<StepRef>& steps, bool added) {
  std::vector<std::string> items;
  for (const StepRef& s : steps) {
    std::string dependents = dependents_text(s, added);
    items.push_back(code(s.id) + (dependents.empty() ? "" : " (" + dependents + ")"));
  }
  return join(items);
}

void summary(std::ostringstream& out, const PlanDiff& diff) {
  auto ids = [](const auto& list, auto id) {
    std::vector<std::string> names;
    for (const auto& item : list) names.push_back(id(item));
    return codes(names);
  };
  if (!diff.added.empty()) out << "- **Steps added:** " << step_list(diff.added, true) << "\n";
  if (!diff.removed.empty()) out << "- **Steps removed:** " << step_list(diff.removed, false) << "\n";
  if (!diff.renamed.empty()) {
    out << "- **Steps renamed:** "
        << ids(diff.renamed, [](const StepRename& r) { return r.old_id + " \u2192 " + r.new_id; }) << "\n";
  }
  if (!diff.changed.empty())
    out << "- **Steps changed:** " << ids(diff.changed, [](const StepChange& c) { return c.id; }) << "\n";
  if (!diff.moved.empty()) {
    out << "- **Moved to another phase:** "
        << ids(diff.moved, [](const PhaseMove& m) { return m.step + ": " + m.old_phase + " \u2192 " + m.new_phase; })
        << "\n";
  }
  if (!diff.phases.empty())
    out << "- **Phases:** " << ids(diff.phases, [](const NamedChange& c) { return c.name; }) << "\n";
  if (!diff.params.empty())
    out << "- **Params:** " << ids(diff.params, [](const NamedChange& c) { return c.name; }) << "\n";
  if (!diff.clusters.empty())
    out << "- **Clusters:** " << ids(diff.clusters, [](const NamedChange& c) { return c.name; }) << "\n";
  if (!diff.plan.empty())
    out << "- **Plan settings:** " << ids(diff.plan, [](const FieldChange& f) { return f.path; }) << "\n";
  size_t edges = diff.edges_added.size() + diff.edges_removed.size();
  if (edges) out << "- **Dependencies:** " << edges << " changed\n";
  if (!diff.order.empty()) {
    out << "- **Destructive steps reordered:** " << ids(diff.order, [](const OrderChange& c) { return c.step; })
        << "\n";
  }
}

void named(std::ostringstream& out, const std::string& title, const std::vector<NamedChange>& list, bool is_param) {
  if (list.empty()) return;
  out << "#### " << title << "\n\n";
  for (const NamedChange& c : list) {
    if (c.kind == NamedChange::Kind::Added)
      out << "- added " << code(c.name) << ": " << code(named_text(c, is_param)) << "\n";
    if (c.kind == NamedChange::Kind::Removed)
      out << "- removed " << code(c.name) << ": " << code(named_text(c, is_param)) << "\n";
  }
  bool any_added_or_removed = false;
  for (const NamedChange& c : list) any_added_or_removed |= c.kind != NamedChange::Kind::Changed;
  if (any_added_or_removed) out << "\n";
  for (const NamedChange& c : list) {
    if (c.kind != NamedChange::Kind::Changed) continue;
    out << "Changed " << code(c.name) << ":\n\n";
    field_table(out, c.fields);
  }
}

void steps(std::ostringstream& out, const PlanDiff& diff) {
  if (!diff.added.empty() || !diff.removed.empty()) {
    out << "#### Steps added and removed\n\n"
        << "| | step | type | phase | template | after | waited on by |\n|---|---|---|---|---|---|---|\n";
    for (const StepRef& s : diff.added) {
      out << "| + | " << code(s.id) << " | " << s.type << " | " << s.phase << " | "
          << (s.template_name.empty() ? "" : code(s.template_name)) << " | " << codes(s.deps) << " | "
          << codes(s.dependents) << " |\n";
    }
    for (const StepRef& s : diff.removed) {
      out << "| \u2212 | " << code(s.id) << " | " << s.type << " | " << s.phase << " | "
          << (s.template_name.empty() ? "" : code(s.template_name)) << " | | " << codes(s.dependents)
          << " |\n";
    }
    out << "\n";
  }
  for (const StepChange& c : diff.changed) {
    out << "#### Step " << code(c.id) << " (" << c.type
        << (c.template_name.empty() ? "" : ", from template " + code(c.template_name)) << ")\n\n";
    field_table(out, c.fields);
  }
}

void order(std::ostringstream& out, const PlanDiff& diff) {
  if (diff.edges_added.empty() && diff.edges_removed.empty() && diff.moved.empty() && diff.order.empty()) return;
  out << "#### Order\n\n";
  for (const Edge& e : diff.edges_added) out << "- " << code(e.to) << " now runs after " << code(e.from) << "\n";
  for (const Edge& e : diff.edges_removed)
    out << "- " << code(e.to) << " no longer runs after " << code(e.from) << "\n";
  for (const PhaseMove& m : diff.moved) {
    out << "- " << code(m.step) << " moved from phase " << m.old_phase << " to " << m.new_phase << "\n";
  }
  for (const OrderChange& c : diff.order) {
    for (const Guard& g : c.lost) {
      out << "- destructive " << code(c.step) << " no longer runs after " << g.kind << " " << code(g.id) << "\n";
    }
    for (const Guard& g : c.gained)
      out << "- destructive " << code(c.step) << " now runs after " << g.kind << " " << code(g.id) << "\n";
  }
  out << "\n";
}

}  // namespace

std::string render_markdown(const PlanDiff& diff, const RenderOptions& options) {
  std::ostringstream out;
  out << "### ferry diff " << code(options.old_label) << " \u2192 " << code(options.new_label) << "\n\n";
  if (diff.empty()) {
    out << "No semantic difference: both plans compile to the same run.\n";
    return out.str();
  }
  if (!diff.risks.empty()) {
    out << "**Risk: the new plan is more dangerous**\n\n";
    for (const Risk& r : diff.risks) out << "- :warning: " << sentence(r.message) << "\n";
    out << "\n";
  }
  out << "**Summary:** " << summary_text(diff) << "\n\n";
  if (std::string templates = templates_text(diff); !templates.empty())
    out << "**From templates:** " << templates << "\n\n";
  summary(out, diff);
  out << "\n<details>\n<summary>Details</summary>\n\n";
  if (!diff.plan.empty()) {
    out << "#### Plan settings\n\n";
    field_table(out, diff.plan);
  }
  named(out, "Phases", diff.phases, false);
  named(out, "Params", diff.params, true);
  named(out, "Clusters", diff.clusters, false);
  steps(out, diff);
  order(out, diff);
  out << "</details>\n";
  return out.str();
}

}  // namespace ferry::diff

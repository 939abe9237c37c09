#include "engine/diff/render_util.h"

#include <map>

namespace ferry::diff {
namespace {

std::string count(size_t n, const std::string& what, const std::string& plural = "") {
  return std::to_string(n) + " " + (n == 1 ? what : plural.empty() ? what + "s" : plural);
}

}  // namespace

std::string value_text(const json& value) {
  // A whole step or object added at once would bury the other lines; JSON output has it all.
  constexpr size_t kMax = 160;
  std::string text = value.dump();
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return text.substr(0, cut) + "\u2026 (" + std::to_string(text.size() - cut) + " more characters)";
}

std::string type_text(const std::string& type, bool destructive) {
  return type == "scale" && destructive ? "scale to 0" : type;
}

std::string change_text(const FieldChange& change) {
  if (!change.has_old) return "added: " + value_text(change.new_value);
  if (!change.has_new) return "removed (was " + value_text(change.old_value) + ")";
  return value_text(change.old_value) + " \u2192 " + value_text(change.new_value);
}

std::string step_text(const StepRef& step) {
  std::string out = type_text(step.type, step.destructive) + ", phase " + step.phase;
  if (!step.template_name.empty()) out += ", from template " + step.template_name;
  return out;
}

std::string dependents_text(const StepRef& step, bool added) {
  size_t n = step.dependents.size();
  if (n == 0) return "";
  return count(n, "step") + (added ? " now run" : " no longer run") + (n == 1 ? "s" : "") + " after it";
}

std::string named_text(const NamedChange& change, bool is_param) {
  const json& v = change.value;
  if (!is_param) return value_text(v);
  std::string out = v.value("type", "");
  if (v.value("secret", false)) return out + ", secret";
  if (v.contains("default")) out += " = " + value_text(v["default"]);
  if (!v.contains("default") || v["default"] != v["value"]) out += " (value " + value_text(v["value"]) + ")";
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::string summary_text(const PlanDiff& diff) {
  std::vector<std::string> parts;
  if (!diff.risks.empty()) parts.push_back(count(diff.risks.size(), "risk"));
  if (!diff.added.empty()) parts.push_back(count(diff.added.size(), "step") + " added");
  if (!diff.removed.empty()) parts.push_back(count(diff.removed.size(), "step") + " removed");
  if (!diff.renamed.empty()) parts.push_back(count(diff.renamed.size(), "step") + " renamed");
  if (!diff.changed.empty()) parts.push_back(count(diff.changed.size(), "step") + " changed");
  if (!diff.moved.empty()) parts.push_back(count(diff.moved.size(), "step") + " moved to another phase");
  size_t edges = diff.edges_added.size() + diff.edges_removed.size();
  if (edges) parts.push_back(count(edges, "dependency", "dependencies") + " changed");
  if (!diff.order.empty()) parts.push_back(count(diff.order.size(), "destructive step") + " reordered");
  if (!diff.phases.empty())
    parts.push_back(count(diff.phases.size(), "phase") + " differ" + (diff.phases.size() == 1 ? "s" : ""));
  if (!diff.params.empty())
    parts.push_back(count(diff.params.size(), "param") + " differ" + (diff.params.size() == 1 ? "s" : ""));
  if (!diff.clusters.empty())
    parts.push_back(count(diff.clusters.size(), "cluster") + " differ" + (diff.clusters.size() == 1 ? "s" : ""));
  if (!diff.plan.empty())
    parts.push_back(count(diff.plan.size(), "plan setting") + " differ" + (diff.plan.size() == 1 ? "s" : ""));
  return join(parts);
}

std::string templates_text(const PlanDiff& diff) {
  std::map<std::string, size_t> steps;
  for (const StepRef& s : diff.added) steps[s.template_name]++;
  for (const StepRef& s : diff.removed) steps[s.template_name]++;
  for (const StepRename& r : diff.renamed) steps[r.template_name]++;
  for (const StepChange& c : diff.changed) steps[c.template_name]++;
  steps.erase("");
  std::vector<std::string> parts;
  for (const auto& [name, n] : steps) parts.push_back(name + " (" + count(n, "step") + ")");
  return join(parts);
}

}  // namespace ferry::diff

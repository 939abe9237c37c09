#include "dsl/graph.h"

#include <cctype>
#include <map>
#include <vector>

#include "dsl/step_rules.h"
#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Mermaid node ids allow only word characters; step ids have [ ] . / - in them, so those are
// spelled as _XX (their hex code), which keeps ids unique and stable.
std::string mermaid_id(const std::string& id) {
  static const char* hex = "0123456789abcdef";
  std::string out = "s_";
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      out += '_';
      out += hex[(c >> 4) & 15];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string mermaid_label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"') out += "#quot;";
    else out += c;
  }
  return out;
}

// A phase's steps in no scope, in the phase's order, then each failure scope's, by scope name:
// a scope is drawn as a box of its own inside its phase's.
struct PhaseSteps {
  std::vector<std::string> unscoped;
  std::map<std::string, std::vector<std::string>> scopes;
};

PhaseSteps phase_steps(const Ir& ir, const IrPhase& phase) {
  PhaseSteps out;
  for (const std::string& id : phase.steps) {
    const std::string& scope = ir.steps.at(id).scope;
    (scope.empty() ? out.unscoped : out.scopes[scope]).push_back(id);
  }
  return out;
}

}  // namespace

std::string graph_dot(const Ir& ir) {
  std::string out = "digraph " + dot_quote(ir.plan) + " {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  for (size_t i = 0; i < ir.phases.size(); ++i) {
    const IrPhase& phase = ir.phases[i];
    out += "  subgraph " + dot_quote("cluster_" + std::to_string(i)) + " {\n    label=" + dot_quote(phase.name) + ";\n";
    auto node = [&](const std::string& id, const std::string& indent) {
      const IrStep& step = ir.steps.at(id);
      out += indent + dot_quote(id) + " [label=" + dot_quote(id + "\n" + step.type) +
             (is_destructive(step) ? ", color=red" : "") + "];\n";
    };
    PhaseSteps steps = phase_steps(ir, phase);
    for (const std::string& id : steps.unscoped) node(id, "    ");
    for (const auto& [scope, ids] : steps.scopes) {
      // dot draws a subgraph as a box only if its name starts with "cluster".
      out += "    subgraph " + dot_quote("cluster_" + std::to_string(i) + "_" + scope) +
             " {\n      label=" + dot_quote("scope " + scope) + ";\n      style=dashed;\n";
      for (const std::string& id : ids) node(id, "      ");
      out += "    }\n";
    }
    out += "  }\n";
  }
  for (const auto& [id, step] : ir.steps) {
    for (const std::string& dep : step.deps) out += "  " + dot_quote(dep) + " -> " + dot_quote(id) + ";\n";
  }
  return out + "}\n";
}

std::string graph_mermaid(const Ir& ir) {
  std::string out = "flowchart LR\n";
  for (const IrPhase& phase : ir.phases) {
    out += "  subgraph " + mermaid_id("phase " + phase.name) + " [\"" + mermaid_label(phase.name) + "\"]\n";
    auto node = [&](const std::string& id, const std::string& indent) {
      out += indent + mermaid_id(id) + "[\"" + mermaid_label(id) + "<br/>" + ir.steps.at(id).type + "\"]\n";
    };
    PhaseSteps steps = phase_steps(ir, phase);
    for (const std::string& id : steps.unscoped) node(id, "    ");
    for (const auto& [scope, ids] : steps.scopes) {
      out += "    subgraph " + mermaid_id("scope " + scope) + " [\"scope " + mermaid_label(scope) + "\"]\n";
      for (const std::string& id : ids) node(id, "      ");
      out += "    end\n";
    }
    out += "  end\n";
  }
  for (const auto& [id, step] : ir.steps) {
    for (const std::string& dep : step.deps) out += "  " + mermaid_id(dep) + " --> " + mermaid_id(id) + "\n";
  }
  for (const auto& [id, step] : ir.steps) {
    if (is_destructive(step)) out += "  style " + mermaid_id(id) + " stroke:#c00,stroke-width:2px\n";
  }
  return out;
}

}  // namespace ferry::dsl

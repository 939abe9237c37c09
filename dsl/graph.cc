#include "dsl/graph.h"

#include <cctype>

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

}  // namespace

std::string graph_dot(const Ir& ir) {
  std::string out = "digraph " + dot_quote(ir.plan) + " {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  for (size_t i = 0; i < ir.phases.size(); ++i) {
    const IrPhase& phase = ir.phases[i];
    out += "  subgraph " + dot_quote("cluster_" + std::to_string(i)) + " {\n    label=" + dot_quote(phase.name) + ";\n";
    for (const std::string& id : phase.steps) {
      const IrStep& step = ir.steps.at(id);
      out += "    " + dot_quote(id) + " [label=" + dot_quote(id + "\n" + step.type) +
             (is_destructive(step) ? ", color=red" : "") + "];\n";
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
    for (const std::string& id : phase.steps) {
      const IrStep& step = ir.steps.at(id);
      out += "    " + mermaid_id(id) + "[\"" + mermaid_label(id) + "<br/>" + step.type + "\"]\n";
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

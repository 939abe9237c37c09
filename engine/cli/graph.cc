// `ferry graph`: the compiled DAG as Graphviz dot or Mermaid.
#include <iostream>

#include "dsl/graph.h"
#include "engine/cli/command.h"
#include "engine/cli/plan_input.h"

namespace ferry::cli {
namespace {

int run_graph(const Args& args) {
  std::string format = args.get("--format", "dot");
  if (format != "dot" && format != "mermaid") {
    std::cerr << "ferry graph: error: --format must be 'dot' or 'mermaid', not '" << format << "'\n";
    return kExitUsage;
  }
  int status = kExitOk;
  auto plan = compile_from_args(args, &status);
  if (!plan) return status;
  std::cout << (format == "dot" ? dsl::graph_dot(plan->ir) : dsl::graph_mermaid(plan->ir));
  return kExitOk;
}

}  // namespace

Command graph_command() {
  auto options = plan_input_options();
  options.push_back({"--format", true, "dot (default) or mermaid", "FORMAT"});
  Command c{"graph",
          "print the plan's step graph (dot or mermaid)",
          "ferry graph PLAN [--format dot|mermaid] [--var NAME=VALUE]... [--vars-file FILE]...",
          "Prints the compiled DAG: one node per step, an edge per dependency, phases as clusters\n"
          "(dot) or subgraphs (mermaid), each failure scope (an isolated instance) as one inside its\n"
          "phase's; destructive steps are outlined in red.\n"
          "Render with e.g. `ferry graph plan.ferry | dot -Tsvg > plan.svg`.",
          options,
          run_graph};
  c.exit_1 = "the plan has errors";
  return c;
}

}  // namespace ferry::cli

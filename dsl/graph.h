// The compiled DAG as a picture: Graphviz dot or Mermaid, phases as clusters/subgraphs, and in
// them each failure scope (an isolated instance) as a dashed cluster / a nested subgraph.
#pragma once

#include <string>

#include "dsl/ir.h"

namespace ferry::dsl {

std::string graph_dot(const Ir& ir);
std::string graph_mermaid(const Ir& ir);

}  // namespace ferry::dsl

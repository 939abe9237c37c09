#include "engine/run/holds.h"

#include <algorithm>
#include <tuple>

namespace ferry::engine {
namespace {

void add_holds(const dsl::IrStep& step, std::vector<Hold>* out) {
  for (const std::string& thing : step.holds) out->push_back({step.cluster, thing});
  for (const dsl::IrStep& undo : step.rollback_steps) add_holds(undo, out);
}

}  // namespace

std::vector<Hold> plan_holds(const dsl::Ir& ir) {
  std::vector<Hold> holds;
  for (const auto& [id, step] : ir.steps) add_holds(step, &holds);
  auto key = [](const Hold& h) { return std::tie(h.cluster, h.thing); };
  std::sort(holds.begin(), holds.end(), [&](const Hold& a, const Hold& b) { return key(a) < key(b); });
  holds.erase(std::unique(holds.begin(), holds.end()), holds.end());
  return holds;
}

}  // namespace ferry::engine

#include "engine/run/saga.h"

#include <algorithm>
#include <set>
#include <utility>

namespace ferry::engine {

std::vector<std::string> compensation_order(const dsl::Ir& ir, const RunState& state) {
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& [id, r] : state.steps) {
    if (!ir.find(id) || r.completed_seq == 0) continue;
    bool changed = r.state == StepState::kSucceeded || (r.state == StepState::kFailed && r.undo);
    if (changed && r.undo_state != UndoState::kDone && r.undo_state != UndoState::kSkipped) {
      order.emplace_back(r.completed_seq, id);
    }
  }
  std::sort(order.rbegin(), order.rend());
  std::vector<std::string> ids;
  for (auto& [seq, id] : order) ids.push_back(std::move(id));
  return ids;
}

std::optional<std::vector<const dsl::IrStep*>> rollback_block_order(const dsl::IrStep& step) {
  const auto& block = step.rollback_steps;
  auto in_block = [&](const std::string& id) {
    return std::any_of(block.begin(), block.end(), [&](const dsl::IrStep& o) { return o.id == id; });
  };
  std::vector<const dsl::IrStep*> order;
  std::set<std::string> placed;
  while (order.size() < block.size()) {
    size_t before = order.size();
    for (const dsl::IrStep& s : block) {
      if (placed.count(s.id)) continue;
      bool ready = std::all_of(s.deps.begin(), s.deps.end(),
                               [&](const std::string& d) { return placed.count(d) || !in_block(d); });
      if (ready) {
        order.push_back(&s);
        placed.insert(s.id);
      }
    }
    if (order.size() == before) return std::nullopt;
  }
  return order;
}

}  // namespace ferry::engine

#include "engine/run/saga.h"

#include <algorithm>
#include <set>
#include <utility>

#include "engine/base/identity.h"
#include "engine/run/executor.h"
#include "engine/run/test_faults.h"

namespace ferry::engine {

namespace {

// The compensations of `order`, one at a time, each once its compensation_started is journaled;
// the first failure stops them (roll_back's contract). The steps not undone go to `not_undone`.
bool undo_in_order(const dsl::Ir& ir, const std::vector<std::string>& order, const SagaSteps& saga, json* not_undone) {
  bool all_ok = true;
  for (const std::string& id : order) {
    if (!all_ok) {
      not_undone->push_back(id);
      continue;
    }
    const dsl::IrStep& step = ir.steps.at(id);
    if (step.rollback == dsl::RollbackMode::kNone) {
      all_ok = saga.journal(Event::kCompensationSkipped, {{"step", id}, {"reason", "rollback = none"}});
      continue;
    }
    json left = json::array();
    std::optional<json> undo = saga.undo_of(id, order, &left);
    json started = {{"step", id}};
    if (!left.empty()) started["left"] = left;
    if (!saga.journal(Event::kCompensationStarted, started)) {
      all_ok = false;
      not_undone->push_back(id);
      continue;
    }
    maybe_crash("undo:" + id + ":before");
    Status s = saga.compensate(step, undo);
    maybe_crash("undo:" + id + ":after");
    std::string journal_error = saga.journal_error();
    if (s.ok() && journal_error.empty()) {
      all_ok = saga.journal(Event::kCompensationSucceeded, {{"step", id}});
    } else {
      all_ok = false;
      if (s.ok()) s = Status::Error(ErrorClass::kFailed, journal_error);  // a rollback block's step could not journal
      saga.journal(Event::kCompensationFailed,
                   {{"step", id}, {"class", error_class_name(s.error_class())}, {"message", s.message()}});
    }
  }
  return all_ok;
}

}  // namespace

RunResult roll_back(const dsl::Ir& ir, const std::vector<std::string>& order, const std::string& reason,
                    const SagaSteps& saga) {
  if (!saga.journal(Event::kRollbackStarted, {{"reason", reason}, {"user", user_name()}, {"host", host_name()}})) {
    return RunResult::kRollbackFailed;
  }
  json not_undone = json::array();
  RunResult result = undo_in_order(ir, order, saga, &not_undone) ? RunResult::kRolledBack : RunResult::kRollbackFailed;
  json ended = {{"result", run_result_name(result)}};
  if (!not_undone.empty()) ended["not_undone"] = not_undone;
  saga.journal(Event::kRunEnded, ended);
  return result;
}

RunResult roll_back_scope(const dsl::Ir& ir, const std::string& scope, const std::vector<std::string>& order,
                          const SagaSteps& saga) {
  json not_undone = json::array();
  RunResult result = undo_in_order(ir, order, saga, &not_undone) ? RunResult::kRolledBack : RunResult::kRollbackFailed;
  json ended = {{"scope", scope}, {"result", run_result_name(result)}};
  if (!not_undone.empty()) ended["not_undone"] = not_undone;
  if (!saga.journal(Event::kScopeCompensated, ended)) return RunResult::kRollbackFailed;
  return result;
}

std::vector<std::string> compensation_order(const dsl::Ir& ir, const RunState& state) {
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& [id, r] : state.steps) {
    if (!ir.find(id) || r.completed_seq == 0) continue;
    // It acted if it succeeded, or journaled undo data (a failure, or one a resume set back to
    // pending, may have changed something before it stopped).
    bool changed = r.state == StepState::kSucceeded || r.undo.has_value();
    if (changed && r.undo_state != UndoState::kDone && r.undo_state != UndoState::kSkipped) {
      order.emplace_back(r.completed_seq, id);
    }
  }
  std::sort(order.rbegin(), order.rend());
  std::vector<std::string> ids;
  for (auto& [seq, id] : order) ids.push_back(std::move(id));
  return ids;
}

std::vector<std::string> scope_compensation_order(const dsl::Ir& ir, const RunState& state, const std::string& scope) {
  std::vector<std::string> ids = compensation_order(ir, state);
  std::erase_if(ids, [&](const std::string& id) { return ir.steps.at(id).scope != scope; });
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

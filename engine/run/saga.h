// The saga: what a rollback undoes, in which order, and the journal contract it keeps. The
// executor hands it the journal and the compensation of one step (SagaSteps); the rules of what
// and when are here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/base/status.h"
#include "engine/run/events.h"
#include "engine/run/run_state.h"

namespace ferry::engine {

enum class RunResult;

// What the saga needs of the run.
struct SagaSteps {
  // Journals an event (and applies it to the run's state): false once the journal has failed.
  std::function<bool(Event, json fields)> journal;
  // What the step's compensation is given: the undo data it journaled, if any, without the objects
  // other steps still use (shared_objects.h; `rollback`: every step this rollback undoes); those
  // go to `*left` ({"kind", "name", "namespace"?, "used_by"} each), which compensation_started
  // records.
  std::function<std::optional<json>(const std::string& id, const std::vector<std::string>& rollback, json* left)>
      undo_of;
  // Runs one step's compensation: its inverse, or its rollback block.
  std::function<Status(const dsl::IrStep&, const std::optional<json>& undo)> compensate;
  // Why the journal failed ("" while it has not): a rollback block's step may have hit it.
  std::function<std::string()> journal_error;
};

// Compensates the steps of `order` (compensation_order's) one at a time, each only once its
// compensation_started is journaled (docs/journal.md). A failed compensation or journal write
// stops the rollback: what comes after it in reverse order was done before it, and undoing it
// now may be unsafe (the stock plans unpause the source only after the destination is known to
// be inert); `ferry rollback DIR` goes on from there. Journals rollback_started first and
// run_ended last (with the steps not undone).
RunResult roll_back(const dsl::Ir& ir, const std::vector<std::string>& order, const std::string& reason,
                    const SagaSteps& saga);

// The compensation of one failed failure scope: `order` (scope_compensation_order's) undone as
// roll_back undoes a run's, after the scope's scope_failed (journaled already: it says the
// compensation is coming) and before its scope_compensated (with the steps not undone). The
// rest of the run is not touched.
RunResult roll_back_scope(const dsl::Ir& ir, const std::string& scope, const std::vector<std::string>& order,
                          const SagaSteps& saga);

// The steps to compensate, last completed first: those that succeeded, or journaled undo data
// (a failed step, or one a resume set back to pending: they may have acted), and are not
// compensated (or skipped) yet.
std::vector<std::string> compensation_order(const dsl::Ir& ir, const RunState& state);

// compensation_order's steps of one failure scope.
std::vector<std::string> scope_compensation_order(const dsl::Ir& ir, const RunState& state, const std::string& scope);

// The steps of `step`'s rollback block in an order that respects their dependencies among
// themselves; nullopt if they form a cycle.
std::optional<std::vector<const dsl::IrStep*>> rollback_block_order(const dsl::IrStep& step);

}  // namespace ferry::engine

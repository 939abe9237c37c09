// Objects several steps use. A step's undo data may list the objects it `created` and those it
// `found` already there (the kube create and restore steps do). Compensating a step never deletes
// an object that another step, still done, created or found: in a fleet, the namespace the first
// hosted cluster's restore created on the destination is the one the others' restores found, and
// undoing the first one's failed migration must not take the others' apart with it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/run/run_state.h"

namespace ferry::engine {

struct ObjectInUse {
  nlohmann::json ref;  // as the undo data has it: apiVersion, kind, metadata.name/namespace
  std::string by;      // the step that still uses it
};

// `undo` (step `id`'s) without the `created` objects another step of `state` still uses: one that
// succeeded, or still runs and has journaled its undo data, whose compensation has not run (a
// compensation skipped or failed leaves its objects in use) and is not to come in the same
// rollback (`rollback`: the steps it undoes; a step that found the object and is undone with it
// does not keep it). `kept` gets what was left out and why.
// (A step that has checked what exists but not yet journaled it is not seen: a compensation at
// that moment may delete what it found, and it fails on its own.)
nlohmann::json without_objects_in_use(const RunState& state, const std::string& id, const nlohmann::json& undo,
                                      const std::vector<std::string>& rollback, std::vector<ObjectInUse>* kept);

}  // namespace ferry::engine

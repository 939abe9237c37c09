#include "engine/run/shared_objects.h"

#include <algorithm>

namespace ferry::engine {

using json = nlohmann::json;

namespace {

bool lists(const json& undo, const char* field, const json& ref) {
  if (!undo.is_object() || !undo.contains(field) || !undo[field].is_array()) return false;
  return std::find(undo[field].begin(), undo[field].end(), ref) != undo[field].end();
}

}  // namespace

json without_objects_in_use(const RunState& state, const std::string& id, const json& undo,
                            const std::vector<std::string>& rollback, std::vector<ObjectInUse>* kept) {
  if (!undo.is_object() || !undo.contains("created") || !undo["created"].is_array()) return undo;
  json out = undo;
  json created = json::array();
  for (const json& ref : undo["created"]) {
    std::string user;
    for (const auto& [other, r] : state.steps) {
      // Done, or running with its undo data journaled (it found the object and goes on using it).
      const bool uses = r.state == StepState::kSucceeded || r.state == StepState::kRunning;
      if (other == id || !uses || r.undo_state == UndoState::kDone || !r.undo) continue;
      if (std::find(rollback.begin(), rollback.end(), other) != rollback.end()) continue;
      if (lists(*r.undo, "found", ref) || lists(*r.undo, "created", ref)) {
        user = other;
        break;
      }
    }
    if (user.empty()) {
      created.push_back(ref);
    } else {
      kept->push_back({ref, user});
    }
  }
  out["created"] = created;
  return out;
}

}  // namespace ferry::engine

#include "engine/diff/guards.h"

#include <map>
#include <set>

namespace ferry::diff {

std::string guard_kind(const std::string& step_type) {
  static const std::map<std::string, std::string> kinds = {
      {"backup", "backup"}, {"snapshot", "backup"}, {"upload", "backup"},    {"restore", "restore"},
      {"wait", "wait"},     {"dns_wait", "wait"},   {"approve", "approval"},
  };
  auto it = kinds.find(step_type);
  return it == kinds.end() ? "" : it->second;
}

std::vector<Guard> guards_before(const dsl::Ir& ir, const std::string& id) {
  std::set<std::string> before;
  // Every step of the phases before this step's own.
  const std::string& phase = ir.steps.at(id).phase;
  for (const dsl::IrPhase& p : ir.phases) {
    if (p.name == phase) break;
    before.insert(p.steps.begin(), p.steps.end());
  }
  // And what the step reaches through its dependencies.
  std::vector<std::string> stack = {id};
  std::set<std::string> seen = {id};
  while (!stack.empty()) {
    const dsl::IrStep* step = ir.find(stack.back());
    stack.pop_back();
    if (!step) continue;
    for (const std::string& dep : step->deps) {
      if (!seen.insert(dep).second) continue;
      before.insert(dep);
      stack.push_back(dep);
    }
  }
  std::vector<Guard> guards;
  for (const std::string& b : before) {
    const dsl::IrStep* step = ir.find(b);
    if (!step) continue;
    std::string kind = guard_kind(step->type);
    if (!kind.empty()) guards.push_back({b, step->type, kind});
  }
  return guards;
}

}  // namespace ferry::diff

#include "engine/report/downtime.h"

#include <algorithm>
#include <set>
#include <vector>

namespace ferry::report {
namespace {

const std::string kApiServer = "kube-apiserver";

bool stops_api_server(const dsl::IrStep& step) {
  if (step.type != "scale") return false;
  auto replicas = step.args.find("replicas");
  if (replicas == step.args.end() || !replicas->is_number_integer() || *replicas != 0) return false;
  auto names = step.args.find("names");
  return names != step.args.end() && names->is_array() &&
         std::any_of(names->begin(), names->end(), [](const json& n) { return n == kApiServer; });
}

// `hostedclusters/NAME`, or with the resource's group: `hostedclusters.hypershift.openshift.io/NAME`.
bool is_hostedcluster(const json& object) {
  if (!object.is_string()) return false;
  const std::string& o = object.get_ref<const std::string&>();
  return o.rfind("hostedclusters/", 0) == 0 || o.rfind("hostedclusters.", 0) == 0;
}

bool waits_for_available(const dsl::IrStep& step) {
  if (step.type != "wait") return false;
  auto condition = step.args.find("condition");
  auto object = step.args.find("object");
  return condition != step.args.end() && *condition == "Available" && object != step.args.end() &&
         is_hostedcluster(*object);
}

// Whether `later` runs after `earlier` in every run: in a later phase, or `earlier` is among its
// dependencies, direct or not.
bool runs_after(const dsl::Ir& ir, const dsl::IrStep& later, const dsl::IrStep& earlier) {
  auto phase_index = [&](const std::string& name) {
    auto it = std::find_if(ir.phases.begin(), ir.phases.end(), [&](const dsl::IrPhase& p) { return p.name == name; });
    return it - ir.phases.begin();
  };
  if (phase_index(later.phase) != phase_index(earlier.phase)) return phase_index(later.phase) > phase_index(earlier.phase);
  std::vector<const dsl::IrStep*> todo = {&later};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const dsl::IrStep* step = todo.back();
    todo.pop_back();
    for (const std::string& dep : step->deps) {
      if (dep == earlier.id) return true;
      const dsl::IrStep* d = ir.find(dep);
      if (d && seen.insert(dep).second) todo.push_back(d);
    }
  }
  return false;
}

const StepTimeline* timeline_of(const std::map<std::string, StepTimeline>& steps, const std::string& id) {
  auto it = steps.find(id);
  return it == steps.end() ? nullptr : &it->second;
}

bool started(const StepTimeline* s) { return s && !s->attempts.empty(); }
bool succeeded(const StepTimeline* s) {
  return started(s) && s->attempts.back().end == AttemptEnd::kSucceeded;
}

}  // namespace

DowntimeWindow find_downtime(const dsl::Ir& ir, const std::map<std::string, StepTimeline>& steps) {
  DowntimeWindow w;
  std::vector<const dsl::IrStep*> stops;
  for (const auto& [id, step] : ir.steps) {
    if (stops_api_server(step)) stops.push_back(&step);
  }
  if (stops.empty()) {
    w.absent = "the plan has no step that stops the control plane (a scale of kube-apiserver to 0 replicas)";
    return w;
  }
  const dsl::IrStep* stop = nullptr;
  for (const dsl::IrStep* s : stops) {
    const StepTimeline* t = timeline_of(steps, s->id);
    if (started(t) && (!stop || t->attempts.front().start_ms < timeline_of(steps, stop->id)->attempts.front().start_ms)) {
      stop = s;
    }
  }
  if (!stop) {
    w.absent = "the control plane was not stopped: the run did not reach " + stops.front()->id;
    return w;
  }
  std::vector<const dsl::IrStep*> ends;
  for (const auto& [id, step] : ir.steps) {
    if (waits_for_available(step) && runs_after(ir, step, *stop)) ends.push_back(&step);
  }
  if (ends.empty()) {
    w.absent = "the plan has no wait for condition Available on a HostedCluster after " + stop->id +
               ", so when the control plane came back is not known";
    return w;
  }
  w.found = true;
  w.start_step = stop->id;
  w.start_ms = timeline_of(steps, stop->id)->attempts.front().start_ms;
  w.end_step = ends.front()->id;
  for (const dsl::IrStep* end : ends) {
    const StepTimeline* t = timeline_of(steps, end->id);
    if (succeeded(t) && (!w.end_ms || t->attempts.back().end_ms < w.end_ms)) {
      w.end_step = end->id;
      w.end_ms = t->attempts.back().end_ms;
      w.ended_by = "available";
    }
  }
  if (w.end_ms) return w;
  // Not available on the destination: the rollback may have brought it back on the source.
  for (const Compensation& c : timeline_of(steps, stop->id)->compensations) {
    if (c.result == "succeeded") {
      w.end_ms = c.end_ms;
      w.ended_by = "rollback";
    }
  }
  return w;
}

}  // namespace ferry::report

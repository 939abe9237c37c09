// `restore`: the objects of backup steps, created on (usually another) cluster in kind order,
// after the plan's transforms: a namespace override, paths to `set` and to `remove` (e.g. the
// HostedCluster's restoreSnapshotURL set and pausedUntil dropped). `on_exists` says what an
// object that already exists gets: `skip`, `fail` (unless it is what this step restores, so a
// re-run after a crash goes on), or `replace` (server-side apply, forced).
//
// Owner references, finalizers and server-set metadata never carry over (kube_step::
// drop_foreign_metadata). Before creating anything the step journals which objects do not exist
// yet; the inverse deletes those and only those, each without its finalizers and only if no
// controller put one back meanwhile (kube_step::delete_without_finalizers). The restored objects are copies: the cloud
// resources they name (instances, load balancers, DNS) still belong to the source, and a
// controller on the destination acting on their deletion would tear those down.
#include <algorithm>
#include <ctime>

#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::label;
using kube_step::str;

void transform(const StepContext& ctx, json* o) {
  kube_step::drop_foreign_metadata(o);  // a backup from before that rule, or one made by hand
  if (std::string ns = str(ctx, "namespace"); !ns.empty()) (*o)["metadata"]["namespace"] = ns;
  const json set = ctx.arg("set", json::object());  // items() of a temporary would dangle
  for (const auto& [path, value] : set.items()) (*o)[kube_step::dotted_path(path)] = value;
  for (const json& path : ctx.arg("remove", json::array())) {
    json::json_pointer p = kube_step::dotted_path(path.get<std::string>());
    if (!p.empty() && o->contains(p)) o->at(p.parent_pointer()).erase(p.back());
  }
}

// Now, as the API server writes times: what a later step compares a heartbeat with.
std::string utc_now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Kinds in `kind_order` first, in that order; the rest after, as they came.
void order(const StepContext& ctx, std::vector<json>* objects) {
  std::vector<std::string> kinds = ctx.arg("kind_order", json::array()).get<std::vector<std::string>>();
  auto rank = [&](const json& o) {
    auto it = std::find(kinds.begin(), kinds.end(), o.value("kind", ""));
    return it - kinds.begin();
  };
  std::stable_sort(objects->begin(), objects->end(), [&](const json& a, const json& b) { return rank(a) < rank(b); });
}

std::vector<Action> render(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  const std::string on_exists = str(ctx, "on_exists");
  Action a = on_exists == "replace"
                 ? k.action({"apply", "--server-side", "--field-manager=ferry", "--force-conflicts", "-f", "-"},
                            "the backed-up objects, transformed, as one JSON List")
                 : k.action({"create", "-f", "-"}, "the backed-up objects not there yet, transformed, as one JSON List");
  a.note = "in kind order; an existing object: " + (on_exists.empty() ? std::string("fail") : on_exists);
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  std::vector<json> objects;
  if (r.status = kube_step::read_backup_objects(ctx, ctx.arg("from", json::array()), &objects); !r.status.ok()) {
    r.status = Status::Error(r.status.error_class(), "restore: " + r.status.message());
    return r;
  }
  const std::string restored_at = utc_now_rfc3339();
  for (json& o : objects) transform(ctx, &o);
  order(ctx, &objects);
  const std::string on_exists = str(ctx, "on_exists").empty() ? "fail" : str(ctx, "on_exists");
  kube_step::CreateObjects how{.verb = "restore",
                               .given_by = "the backup",
                               .advice = "(on_exists = fail)",
                               .as_given = "as restored",
                               .replace = on_exists == "replace",
                               .skip_existing = on_exists == "skip"};
  json applied;
  if (r.status = kube_step::create_objects(ctx, k, objects, how, &applied); !r.status.ok()) return r;
  r.outputs["applied"] = applied;
  r.outputs["restored_at"] = restored_at;
  return r;
}

Status inverse(StepContext& ctx, const json& undo) { return kube_step::delete_created(ctx, undo, true); }

std::vector<Action> render_inverse(const StepContext& ctx) { return kube_step::render_delete_created(ctx, true); }

}  // namespace

StepImpl restore_step() {
  StepImpl impl;
  impl.type = "restore";
  impl.render = render;
  impl.run = run;
  impl.inverse = inverse;
  impl.render_inverse = render_inverse;
  return impl;
}

}  // namespace ferry::engine

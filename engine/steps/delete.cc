// `delete`: objects of one kind by names, a label selector, or all in the namespace. The step
// first lists what it will delete (so `deleted` names exactly those, and a selector or `all`
// cannot catch an object created meanwhile), then deletes and waits until the objects are gone.
// With `strip_finalizers` (the procedure's teardown, whose controllers are stopped), each object
// that has finalizers goes through kube_step::delete_without_finalizers: no controller that
// still runs ever sees it being deleted with its finalizer on, so none runs its delete path.
// Against a controller that runs and re-adds its finalizer at once (the HyperShift operator,
// never stopped), that never wins; then the order is the other one (controllers.md §3): take off
// first only the finalizers whose action must not run (`remove_finalizers_before`), delete, take
// off those nothing will act on (`remove_finalizers_after`), and let the controllers finish.
#include <optional>

#include "engine/kube/api.h"
#include "engine/kube/api_write.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

std::vector<std::string> strings(const StepContext& ctx, const std::string& name) {
  json v = ctx.arg(name, json::array());
  return v.is_array() ? v.get<std::vector<std::string>>() : std::vector<std::string>{};
}

bool flag(const StepContext& ctx, const std::string& name, bool fallback) {
  json v = ctx.arg(name, fallback);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

std::vector<std::string> list_args(const StepContext& ctx) {
  std::vector<std::string> args = {"get", str(ctx, "kind")};
  if (std::string sel = str(ctx, "selector"); !sel.empty()) {
    args.insert(args.end(), {"-l", sel});
  } else if (!flag(ctx, "all", false)) {
    for (const std::string& n : strings(ctx, "names")) args.push_back(n);
    if (flag(ctx, "ignore_not_found", false)) args.push_back("--ignore-not-found");
  }
  return args;
}

bool removes_named(const StepContext& ctx) {
  return !strings(ctx, "remove_finalizers_before").empty() || !strings(ctx, "remove_finalizers_after").empty();
}

// `kubectl delete`, waiting for the objects to go unless `wait` is off or named finalizers are
// removed around the delete (the wait is then a `kubectl wait` after that).
std::vector<std::string> delete_args(const StepContext& ctx, const std::vector<std::string>& names) {
  std::vector<std::string> args = {"delete", str(ctx, "kind")};
  args.insert(args.end(), names.begin(), names.end());
  args.push_back("--ignore-not-found");  // listed a moment ago: gone since is what we want
  if (flag(ctx, "wait", true) && !removes_named(ctx)) {
    args.insert(args.end(), {"--wait=true", "--timeout=" + str(ctx, "wait_timeout")});
  } else {
    args.push_back("--wait=false");
  }
  return args;
}

std::vector<std::string> wait_gone_args(const StepContext& ctx, const std::vector<std::string>& names) {
  std::vector<std::string> args = {"wait", "--for=delete", "--timeout=" + str(ctx, "wait_timeout")};
  for (const std::string& n : names) args.push_back(str(ctx, "kind") + "/" + n);
  return args;
}

bool waits_after_removing(const StepContext& ctx) { return flag(ctx, "wait", true) && removes_named(ctx); }

std::vector<Action> render(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  std::vector<std::string> list = list_args(ctx);
  list.insert(list.end(), {"-o", "json"});
  Action read = k.action(list);
  read.note = "lists the objects to delete";
  std::vector<Action> actions = {read};
  if (flag(ctx, "strip_finalizers", false)) {
    for (Action& a : kube_step::render_delete_without_finalizers("each listed object with finalizers")) {
      actions.push_back(std::move(a));
    }
  }
  if (auto before = strings(ctx, "remove_finalizers_before"); !before.empty()) {
    actions.push_back(kube_step::render_remove_finalizers(before, "each listed object, before the delete"));
    Action a = kube::Api::action("DELETE", "<API path of each listed object>", "DeleteOptions");
    a.note = "a DeleteOptions whose preconditions are the patched object's uid and resourceVersion: a finalizer put "
             "back in between makes it fail, and both are done again";
    actions.push_back(a);
  } else {
    actions.push_back(k.action(delete_args(ctx, {"<each listed object>"})));
  }
  if (auto after = strings(ctx, "remove_finalizers_after"); !after.empty()) {
    actions.push_back(kube_step::render_remove_finalizers(after, "each listed object, once it is being deleted"));
  }
  if (waits_after_removing(ctx)) actions.push_back(k.action(wait_gone_args(ctx, {"<each listed object>"})));
  return actions;
}

// An object as listed, with its uid: a later object of the same name is not it.
json listed_ref(const kube::Kubectl& k, const json& o) {
  json ref = kube_step::ref_of(o, k.target().ns);
  ref["metadata"]["uid"] = o["metadata"].value("uid", "");
  return ref;
}

// Takes `finalizers` off each of `objects` (kube_step::remove_finalizers).
Status remove_from_each(const kube::Kubectl& k, const std::vector<json>& objects, const std::vector<std::string>& finalizers,
                        const CancelToken& cancel) {
  if (finalizers.empty()) return Status::Ok();
  for (const json& o : objects) {
    if (Status s = kube_step::remove_finalizers(k, listed_ref(k, o), finalizers, cancel); !s.ok()) return s;
  }
  return Status::Ok();
}

// Deletes each of `objects` once `before` is off it, only if nothing changed it in between
// (kube_step::delete_without); with no `before`, one `kubectl delete` of them all.
Status delete_each(const StepContext& ctx, const kube::Kubectl& k, const std::vector<json>& objects,
                   const std::vector<std::string>& names) {
  const std::vector<std::string> before = strings(ctx, "remove_finalizers_before");
  if (before.empty()) {
    const std::string what = "delete " + std::to_string(names.size()) + " " + str(ctx, "kind") + k.where();
    std::optional<Millis> wait;
    if (flag(ctx, "wait", true) && !removes_named(ctx)) {
      wait = Millis(dsl::parse_duration(str(ctx, "wait_timeout")).value_or(300'000));
    }
    // Through the proxy where the kind is certain (no process per step, and the wait is a watch).
    if (Status s; kube::delete_through_api(k, str(ctx, "kind"), names, wait, ctx.cancel, what, &s)) return s;
    return k.run(delete_args(ctx, names), ctx.cancel, what).status;
  }
  for (const json& o : objects) {
    if (Status s = kube_step::delete_without(k, listed_ref(k, o), before, ctx.cancel); !s.ok()) return s;
  }
  return Status::Ok();
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  const std::string kind = str(ctx, "kind");
  json listed;
  r.status = k.run_json(list_args(ctx), ctx.cancel, "list the " + kind + " to delete" + k.where(), &listed);
  if (!r.status.ok()) return r;
  std::vector<std::string> names;
  json deleted = json::array();
  const std::vector<json> objects = kube::items_of(listed);
  for (const json& o : objects) {
    const std::string name = o["metadata"].value("name", "");
    names.push_back(name);
    deleted.push_back(kind + "/" + name);
    if (!flag(ctx, "strip_finalizers", false) || o["metadata"].value("finalizers", json::array()).empty()) continue;
    if (r.status = kube_step::delete_without_finalizers(k, kube_step::ref_of(o, k.target().ns), ctx.cancel);
        !r.status.ok()) {
      return r;
    }
  }
  r.outputs["deleted"] = deleted;
  if (names.empty()) {
    ctx.log("no " + kind + " to delete" + k.where());
    return r;
  }
  r.status = delete_each(ctx, k, objects, names);
  if (r.status.ok()) r.status = remove_from_each(k, objects, strings(ctx, "remove_finalizers_after"), ctx.cancel);
  if (r.status.ok() && waits_after_removing(ctx)) {
    r.status = k.run(wait_gone_args(ctx, names), ctx.cancel, "wait until the " + kind + " are gone" + k.where()).status;
  }
  if (r.status.error_class() == ErrorClass::kTimeout) {
    r.status = Status::Timeout(r.status.message() + " (still there after wait_timeout " + str(ctx, "wait_timeout") +
                               "; do finalizers hold them? see strip_finalizers and remove_finalizers_after)");
  }
  return r;
}

}  // namespace

StepImpl delete_step() {
  StepImpl impl;
  impl.type = "delete";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine

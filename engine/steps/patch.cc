// `patch`: a merge or JSON patch on one object. Before it patches it reads the object and
// journals the prior value of every path the patch touches (absent ones as absent), so the
// inverse puts back exactly those and leaves fields others changed since alone. Its output is
// those paths' values after the patch, never the whole object read back: the rest of the object
// may hold what an earlier process of the run made secret (a HostedCluster's
// restoreSnapshotURL), which this process's redactor may not know. With `ignore_not_found`, a
// missing object is nothing to do (a rollback that pauses what may be gone).
#include "engine/kube/api_write.h"
#include "engine/kube/patch_undo.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

struct PatchArgs {
  std::string object;  // "hostedclusters/jdoe-hosted"
  std::string type;    // "merge" or "json"
  json body;
};

PatchArgs args_of(const StepContext& ctx) {
  PatchArgs a;
  a.object = str(ctx, "object");
  if (ctx.args.contains("json") && !ctx.args["json"].is_null()) {
    a.type = "json";
    a.body = ctx.args["json"];
  } else {
    a.type = "merge";
    a.body = ctx.arg("merge", json::object());
  }
  return a;
}

std::vector<std::string> patch_args(const std::string& object, const std::string& type, const json& body) {
  return {"patch", object, "--type", type, "-p", body.dump()};
}

std::vector<Action> render(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  PatchArgs a = args_of(ctx);
  Action read = k.action({"get", a.object, "-o", "json"});
  read.note = "reads the prior values of the paths the patch touches (for the rollback)";
  return {read, k.action(patch_args(a.object, a.type, a.body))};
}

// Through kubectl, the server drops fields a CRD does not declare with only a warning (kubectl
// patch cannot ask for strict validation; the proxy's PATCH does): a patch that lost a field
// almost always has a typo in it.
Status unknown_fields(const std::string& err, const std::string& what) {
  std::string fields;
  size_t at = 0;
  while ((at = err.find("Warning: unknown field ", at)) != std::string::npos) {
    size_t end = err.find('\n', at);
    fields += (fields.empty() ? "" : ", ") + err.substr(at + 23, end - at - 23);
    at = end;
  }
  if (fields.empty()) return Status::Ok();
  return Status::Invalid(what + ": the server does not know the field(s) " + fields +
                         " and dropped them (is the patch's path spelled as in the schema?)");
}

// Patches `object` and reads it back as patched: through the proxy where the API takes it as it
// is (api_write.h), else with `kubectl patch`.
Status patch(const kube::Kubectl& k, const std::string& object, const std::string& type, const json& body,
             const CancelToken& cancel, const std::string& what, json* after) {
  if (Status s; kube::patch_through_api(k, object, type, body, cancel, what, after, &s)) return s;
  std::vector<std::string> args = patch_args(object, type, body);
  args.insert(args.end(), {"-o", "json"});
  kube::CallResult c = k.run(args, cancel, what);
  if (!c.status.ok()) return c.status;
  if (Status s = unknown_fields(c.err, what); !s.ok()) return s;
  *after = json::parse(c.out, nullptr, false);
  if (after->is_discarded()) return Status::Invalid(what + ": kubectl's output is not JSON");
  return Status::Ok();
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  PatchArgs a = args_of(ctx);
  const std::string what = "patch " + a.object + k.where();
  // With ignore_not_found, an object gone before the read or between the read and the patch (a
  // controller finishing its deletion) leaves nothing to patch.
  auto gone = [&](const Status& s) {
    if (s.error_class() != ErrorClass::kNotFound || ctx.arg("ignore_not_found", false) != json(true)) return false;
    ctx.log(a.object + k.where() + " is not there: nothing to patch (ignore_not_found)");
    r.status = Status::Ok();
    r.outputs["patched"] = json::object();
    return true;
  };
  json prior;
  r.status = k.run_json({"get", a.object}, ctx.cancel, "read " + a.object + k.where(), &prior);
  if (gone(r.status)) return r;
  if (!r.status.ok()) return r;
  json paths = kube::touched_paths(prior, a.type == "merge" ? a.body : json(), a.type == "json" ? a.body : json());
  ctx.save_undo({{"object", a.object}, {"paths", paths}});
  json after;
  if (Status s = patch(k, a.object, a.type, a.body, ctx.cancel, what, &after); gone(s)) {
    return r;
  } else if (!s.ok()) {
    r.status = s;
    return r;
  }
  r.outputs["patched"] = kube::values_at(after, paths);
  return r;
}

Status inverse(StepContext& ctx, const json& undo) {
  if (!undo.is_object() || !undo.contains("paths")) {
    return Status::Invalid("the journal holds no prior values for this patch (it never read the object)");
  }
  kube::Kubectl k = kubectl_for(ctx);
  const std::string object = undo.value("object", str(ctx, "object"));
  json current;
  if (Status s = k.run_json({"get", object}, ctx.cancel, "read " + object + k.where(), &current); !s.ok()) return s;
  json restore = kube::restore_patch(current, undo["paths"]);
  if (restore.empty()) {
    ctx.log(object + " already has its prior values");
    return Status::Ok();
  }
  ctx.log("restoring " + std::to_string(restore.size()) + " field(s) of " + object);
  json after;
  return patch(k, object, "json", restore, ctx.cancel, "restore " + object + k.where(), &after);
}

std::vector<Action> render_inverse(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  const std::string object = str(ctx, "object");
  Action a = k.action({"patch", object, "--type", "json", "-p", "<the prior values>"});
  a.note = "a JSON patch that restores the prior values of the paths the patch touched";
  return {a};
}

}  // namespace

StepImpl patch_step() {
  StepImpl impl;
  impl.type = "patch";
  impl.render = render;
  impl.run = run;
  impl.inverse = inverse;
  impl.render_inverse = render_inverse;
  return impl;
}

}  // namespace ferry::engine

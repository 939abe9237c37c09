// `assert`: one look at one object, no polling: it exists or not, or a JSONPath of it equals a
// value, differs from one, or is empty or not. A failed assertion is the plan's `message` (what
// to fix) with what was found; it is not retried. The preflight of the stock plans is made of
// these: it changes nothing, so a failure there leaves every cluster as it was.
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

std::string as_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::vector<std::string> get_args(const StepContext& ctx) {
  std::vector<std::string> args = {"get", str(ctx, "object"), "--ignore-not-found"};
  if (!str(ctx, "jsonpath").empty()) {
    args.push_back("-o=jsonpath=" + kube_step::braced_jsonpath(str(ctx, "jsonpath")));
  } else {
    args.insert(args.end(), {"-o", "name"});
  }
  return args;
}

// What must hold, for messages and the dry run.
std::string claim(const StepContext& ctx) {
  const std::string object = str(ctx, "object");
  if (str(ctx, "jsonpath").empty()) return object + (ctx.arg("exists", true) == json(false) ? " does not exist" : " exists");
  const std::string at = object + " " + str(ctx, "jsonpath");
  if (!ctx.arg("equals").is_null()) return at + " is '" + as_text(ctx.arg("equals")) + "'";
  if (!ctx.arg("not_equals").is_null()) return at + " is not '" + as_text(ctx.arg("not_equals")) + "'";
  return at + (ctx.arg("empty", false) == json(true) ? " is empty" : " is set");
}

// Whether the claim holds for kubectl's answer; `found` says what was there.
bool holds(const StepContext& ctx, const std::string& out, std::string* found) {
  const bool absent = out.find_first_not_of(" \n") == std::string::npos;
  if (str(ctx, "jsonpath").empty()) {
    *found = absent ? "it does not exist" : "it exists";
    return absent == (ctx.arg("exists", true) == json(false));
  }
  *found = out.empty() ? "nothing there" : "'" + out + "'";
  if (!ctx.arg("equals").is_null()) return out == as_text(ctx.arg("equals"));
  if (!ctx.arg("not_equals").is_null()) return out != as_text(ctx.arg("not_equals"));
  return absent == (ctx.arg("empty", false) == json(true));
}

std::vector<Action> render(const StepContext& ctx) {
  Action a = kubectl_for(ctx).action(get_args(ctx));
  a.note = "once; fails unless " + claim(ctx);
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  // `exists` without a JSONPath and the rest with one (the schema keeps `exists` from `jsonpath`).
  if (str(ctx, "jsonpath").empty() && ctx.arg("exists").is_null()) {
    r.status = Status::Invalid("assert on " + str(ctx, "object") +
                               ": `equals`, `not_equals` and `empty` check a `jsonpath`, and none is given");
    return r;
  }
  kube::Kubectl k = kubectl_for(ctx);
  kube::CallResult c = k.run(get_args(ctx), ctx.cancel, "check that " + claim(ctx) + k.where());
  if (!c.status.ok()) {
    r.status = c.status;
    return r;
  }
  std::string found;
  if (!holds(ctx, c.out, &found)) {
    r.status = Status::Failed(str(ctx, "message") + " (expected " + claim(ctx) + k.where() + "; found " + found + ")");
  }
  return r;
}

}  // namespace

StepImpl assert_step() {
  StepImpl impl;
  impl.type = "assert";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine

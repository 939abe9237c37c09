// Finalizers and deletion against controllers that may still run (controllers.md §3): remove
// them all then delete only an unchanged object, or remove only the named ones from the version
// just read. Both retry a few rounds when something changed the object meanwhile. A teardown
// does this for every object, so the requests go through the cluster's `kubectl proxy`
// (kube::Api), not a kubectl process each.
#include <algorithm>

#include "engine/kube/api.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine::kube_step {
namespace {

constexpr const char* kStripFinalizers = R"({"metadata":{"finalizers":null}})";
// A controller that re-adds its finalizer (or otherwise changes the object) reacts within its own
// latency; each round is a new chance to be quicker, and losing them all fails safe (nothing was
// deleted with a finalizer on, no finalizer was removed from a version nobody read).
constexpr int kRounds = 10;

// Deletes `object` (as read or patched, at `path`) on the precondition that its uid and
// resourceVersion are still those: Conflict if anything changed it since. Gone is fine.
Status delete_unless_changed(const kube::Api& api, const std::string& path, const json& object, const std::string& what,
                             const CancelToken& cancel) {
  const json md = object.value("metadata", json::object());
  const json options = {{"kind", "DeleteOptions"},
                        {"apiVersion", "v1"},
                        {"preconditions", {{"uid", md.value("uid", "")}, {"resourceVersion", md.value("resourceVersion", "")}}}};
  Status s = api.call("DELETE", path, options, "application/json", cancel, "delete " + what + " unless it changed");
  return s.error_class() == ErrorClass::kNotFound ? Status::Ok() : s;
}

}  // namespace

Status delete_without_finalizers(const kube::Kubectl& k, const json& ref, const CancelToken& cancel) {
  const std::string what = label(ref) + k.where();
  const kube::Api api(k);
  std::string path;
  if (Status s = api.object_path(ref, cancel, &path); !s.ok()) return s;
  for (int round = 1; round <= kRounds; ++round) {
    json stripped;
    Status s = api.call("PATCH", path, json::parse(kStripFinalizers), kube::kMergePatch, cancel,
                        "remove the finalizers of " + what, &stripped);
    if (s.error_class() == ErrorClass::kNotFound) return Status::Ok();
    if (!s.ok()) return s;
    s = delete_unless_changed(api, path, stripped, what, cancel);
    if (s.error_class() != ErrorClass::kConflict) return s;
  }
  return Status::Error(ErrorClass::kConflict,
                       what + " changed between removing its finalizers and deleting it, " +
                           std::to_string(kRounds) +
                           " times: a controller still acts on it (it puts a finalizer back); stop that controller "
                           "(scale its Deployment to 0 and wait until its pods are gone), then run again");
}

std::vector<Action> render_delete_without_finalizers(const std::string& what) {
  Action strip = kube::Api::action("PATCH", "<API path of " + what + ">", kStripFinalizers);
  strip.note = "a merge patch";
  Action del = kube::Api::action("DELETE", "<API path of " + what + ">", "DeleteOptions");
  del.note = "its preconditions are the stripped object's uid and resourceVersion: a controller that put a finalizer "
             "back makes it fail, and both are done again";
  return {strip, del};
}

namespace {

// One read of the object `ref` names and, if it has any of `names`, one merge patch without them
// that carries the resourceVersion read (a compare-and-swap: Conflict if it changed in between).
// *after: the object as it is now, or null if it is gone (or if `ref` has a uid and the object of
// that name now has another: the one listed is gone).
Status take_off_once(const kube::Api& api, const std::string& path, const json& ref, const std::string& what,
                     const std::vector<std::string>& names, const CancelToken& cancel, json* after) {
  *after = nullptr;
  json now;
  Status s = api.call("GET", path, nullptr, "", cancel, "read the finalizers of " + what, &now);
  if (s.error_class() == ErrorClass::kNotFound) return Status::Ok();
  if (!s.ok()) return s;
  const json md = now.value("metadata", json::object());
  const std::string listed_uid = ref.value("metadata", json::object()).value("uid", "");
  if (!listed_uid.empty() && md.value("uid", "") != listed_uid) return Status::Ok();
  const json had = md.value("finalizers", json::array());
  json kept = json::array();
  for (const json& f : had) {
    if (std::find(names.begin(), names.end(), f.is_string() ? f.get<std::string>() : "") == names.end()) {
      kept.push_back(f);
    }
  }
  if (kept.size() == had.size()) {
    *after = std::move(now);
    return Status::Ok();
  }
  const json patch = {{"metadata", {{"resourceVersion", md.value("resourceVersion", "")}, {"finalizers", kept}}}};
  s = api.call("PATCH", path, patch, kube::kMergePatch, cancel, "remove finalizer(s) " + json(names).dump() + " of " + what,
               after);
  if (s.error_class() == ErrorClass::kNotFound) {
    *after = nullptr;
    return Status::Ok();
  }
  return s;
}

}  // namespace

Status remove_finalizers(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                         const CancelToken& cancel) {
  const std::string what = label(ref) + k.where();
  const kube::Api api(k);
  std::string path;
  if (Status s = api.object_path(ref, cancel, &path); !s.ok()) return s;
  for (int round = 1; round <= kRounds; ++round) {
    json after;
    Status s = take_off_once(api, path, ref, what, names, cancel, &after);
    if (s.error_class() != ErrorClass::kConflict) return s;
  }
  return Status::Error(ErrorClass::kConflict, what + " changed each time between reading and "
                                              "patching its finalizers, " + std::to_string(kRounds) +
                                              " times: something keeps writing to it");
}

Status delete_without(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                      const CancelToken& cancel) {
  const std::string what = label(ref) + k.where();
  const kube::Api api(k);
  std::string path;
  if (Status s = api.object_path(ref, cancel, &path); !s.ok()) return s;
  for (int round = 1; round <= kRounds; ++round) {
    json after;
    Status s = take_off_once(api, path, ref, what, names, cancel, &after);
    if (s.error_class() == ErrorClass::kConflict) continue;
    if (!s.ok() || after.is_null()) return s;
    s = delete_unless_changed(api, path, after, what, cancel);
    if (s.error_class() != ErrorClass::kConflict) return s;
  }
  return Status::Error(ErrorClass::kConflict,
                       what + " changed between removing finalizer(s) " + json(names).dump() + " and deleting it, " +
                           std::to_string(kRounds) + " times: a controller still writes to it (does it put one back?)");
}

Action render_remove_finalizers(const std::vector<std::string>& names, const std::string& what) {
  Action a = kube::Api::action("PATCH", "<API path of " + what + ">", "<finalizers without " + json(names).dump() + ">");
  a.note = "a merge patch of the finalizers just read less those named, with their resourceVersion (changed meanwhile: "
           "read and patch again); the others stay for their controllers";
  return a;
}

}  // namespace ferry::engine::kube_step

// Finalizers and deletion against controllers that may still run (controllers.md §3): remove
// them all then delete only an unchanged object, or remove only the named ones from the version
// just read. Both retry a few rounds when something changed the object meanwhile.
#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>

#include "engine/steps/kube_steps.h"

namespace ferry::engine::kube_step {
namespace {

constexpr const char* kStripFinalizers = R"({"metadata":{"finalizers":null}})";
// A controller that re-adds its finalizer (or otherwise changes the object) reacts within its own
// latency; each round is a new chance to be quicker, and losing them all fails safe (nothing was
// deleted with a finalizer on, no finalizer was removed from a version nobody read).
constexpr int kRounds = 10;

// `kubectl api-resources` of one API group, asked once per cluster and group (a teardown asked it
// again for every object, a process each); `fresh` asks again, for a kind the answer kept lacks
// (a CRD installed since).
Status api_resources(const kube::Kubectl& k, const std::string& group, const CancelToken& cancel,
                     const std::string& what, bool fresh, std::string* out) {
  static std::mutex mu;
  static std::map<std::vector<std::string>, std::string> answers;
  const std::vector<std::string> args = {"api-resources", "--api-group=" + group, "--no-headers"};
  const std::vector<std::string> key = k.in_namespace("").argv(args);
  if (!fresh) {
    std::lock_guard lock(mu);
    if (auto it = answers.find(key); it != answers.end()) {
      *out = it->second;
      return Status::Ok();
    }
  }
  kube::CallResult c = k.run(args, cancel, what);
  if (!c.status.ok()) return c.status;
  std::lock_guard lock(mu);
  *out = answers[key] = c.out;
  return Status::Ok();
}

// The API path of the object `ref` names (`/apis/G/V/namespaces/NS/PLURAL/NAME`): the plural
// comes from the cluster's discovery (`kubectl api-resources`), as kubectl finds it itself.
Status api_path_of(const kube::Kubectl& k, const json& ref, const CancelToken& cancel, std::string* path) {
  const std::string api_version = ref.value("apiVersion", "");
  const std::string kind = ref.value("kind", "");
  const size_t slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  for (bool fresh : {false, true}) {
    std::string resources;
    if (Status s = api_resources(k, group, cancel, "look up the resource of kind " + kind + k.where(), fresh, &resources);
        !s.ok()) {
      return s;
    }
    std::istringstream lines(resources);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::vector<std::string> w{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
      // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND; the object's own version goes in the path
      // (any version the server serves will do, and it may not be the preferred one listed).
      if (w.size() < 4 || w.back() != kind || w[w.size() - 3].substr(0, w[w.size() - 3].rfind('/') + 1) !=
                                                   api_version.substr(0, api_version.rfind('/') + 1)) {
        continue;
      }
      const json md = ref.value("metadata", json::object());
      *path = (group.empty() ? "/api/" : "/apis/") + api_version;
      if (w[w.size() - 2] == "true") *path += "/namespaces/" + md.value("namespace", k.target().ns);
      *path += "/" + w.front() + "/" + md.value("name", "");
      return Status::Ok();
    }
  }
  return Status::NotFound("the cluster serves no " + kind + " in API group " + (group.empty() ? "core" : group) + k.where());
}

// Deletes `object` (as read or patched, the object `ref` names) on the precondition that its uid
// and resourceVersion are still those: Conflict if anything changed it since. Gone is fine.
// *path caches the object's API path between calls.
Status delete_unless_changed(const kube::Kubectl& k, const json& ref, const json& object, const CancelToken& cancel,
                             std::string* path) {
  if (path->empty()) {
    if (Status s = api_path_of(k, ref, cancel, path); !s.ok()) return s;
  }
  const json md = object.value("metadata", json::object());
  const json options = {{"kind", "DeleteOptions"},
                        {"apiVersion", "v1"},
                        {"preconditions", {{"uid", md.value("uid", "")}, {"resourceVersion", md.value("resourceVersion", "")}}}};
  Status s = k.run({"delete", "--raw", *path, "-f", "-"}, cancel, "delete " + label(ref) + k.where() + " unless it changed",
                   options.dump())
                 .status;
  return s.error_class() == ErrorClass::kNotFound ? Status::Ok() : s;
}

}  // namespace

Status delete_without_finalizers(const kube::Kubectl& k, const json& ref, const CancelToken& cancel) {
  const std::string what = label(ref) + k.where();
  std::string path;
  for (int round = 1; round <= kRounds; ++round) {
    json stripped;
    Status s = k.run_json({"patch", "-f", "-", "--type", "merge", "-p", kStripFinalizers, "-o", "json"}, cancel,
                          "remove the finalizers of " + what, &stripped, ref.dump());
    if (s.error_class() == ErrorClass::kNotFound) return Status::Ok();
    if (!s.ok()) return s;
    s = delete_unless_changed(k, ref, stripped, cancel, &path);
    if (s.error_class() != ErrorClass::kConflict) return s;
  }
  return Status::Error(ErrorClass::kConflict,
                       what + " changed between removing its finalizers and deleting it, " +
                           std::to_string(kRounds) +
                           " times: a controller still acts on it (it puts a finalizer back); stop that controller "
                           "(scale its Deployment to 0 and wait until its pods are gone), then run again");
}

Action render_delete_without_finalizers(const kube::Kubectl& k, const std::string& what) {
  Action a = k.action({"delete", "--raw", "<API path>", "-f", "-"}, what);
  a.note = "after `patch --type merge -p " + std::string(kStripFinalizers) +
           "`, a DeleteOptions whose preconditions are the stripped object's uid and resourceVersion: a controller "
           "that put a finalizer back makes it fail, and both are done again";
  return a;
}

namespace {

// One read of the object `ref` names and, if it has any of `names`, one merge patch without them
// that carries the resourceVersion read (a compare-and-swap: Conflict if it changed in between).
// *after: the object as it is now, or null if it is gone (or if `ref` has a uid and the object of
// that name now has another: the one listed is gone).
Status take_off_once(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                     const CancelToken& cancel, json* after) {
  const std::string what = label(ref) + k.where();
  *after = nullptr;
  json answer;  // `get -f -` answers a List, even of one
  Status s = k.run_json({"get", "-f", "-", "-o", "json"}, cancel, "read the finalizers of " + what, &answer, ref.dump());
  if (s.error_class() == ErrorClass::kNotFound) return Status::Ok();
  if (!s.ok()) return s;
  const std::vector<json> items = kube::items_of(answer);
  if (items.empty()) return Status::Ok();
  const json md = items.front().value("metadata", json::object());
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
    *after = items.front();
    return Status::Ok();
  }
  const json patch = {{"metadata", {{"resourceVersion", md.value("resourceVersion", "")}, {"finalizers", kept}}}};
  s = k.run_json({"patch", "-f", "-", "--type", "merge", "-p", patch.dump(), "-o", "json"}, cancel,
                 "remove finalizer(s) " + json(names).dump() + " of " + what, after, ref.dump());
  if (s.error_class() == ErrorClass::kNotFound) {
    *after = nullptr;
    return Status::Ok();
  }
  return s;
}

}  // namespace

Status remove_finalizers(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                         const CancelToken& cancel) {
  for (int round = 1; round <= kRounds; ++round) {
    json after;
    Status s = take_off_once(k, ref, names, cancel, &after);
    if (s.error_class() != ErrorClass::kConflict) return s;
  }
  return Status::Error(ErrorClass::kConflict, label(ref) + k.where() + " changed each time between reading and "
                                              "patching its finalizers, " + std::to_string(kRounds) +
                                              " times: something keeps writing to it");
}

Status delete_without(const kube::Kubectl& k, const json& ref, const std::vector<std::string>& names,
                      const CancelToken& cancel) {
  const std::string what = label(ref) + k.where();
  std::string path;
  for (int round = 1; round <= kRounds; ++round) {
    json after;
    Status s = take_off_once(k, ref, names, cancel, &after);
    if (s.error_class() == ErrorClass::kConflict) continue;
    if (!s.ok() || after.is_null()) return s;
    s = delete_unless_changed(k, ref, after, cancel, &path);
    if (s.error_class() != ErrorClass::kConflict) return s;
  }
  return Status::Error(ErrorClass::kConflict,
                       what + " changed between removing finalizer(s) " + json(names).dump() + " and deleting it, " +
                           std::to_string(kRounds) + " times: a controller still writes to it (does it put one back?)");
}

Action render_remove_finalizers(const kube::Kubectl& k, const std::vector<std::string>& names, const std::string& what) {
  Action a = k.action({"patch", "-f", "-", "--type", "merge", "-p", "<finalizers without " + json(names).dump() + ">"}, what);
  a.note = "a merge patch of the finalizers just read less those named, with their resourceVersion (changed meanwhile: "
           "read and patch again); the others stay for their controllers";
  return a;
}

}  // namespace ferry::engine::kube_step

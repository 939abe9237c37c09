#include "engine/kube/api_write.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "engine/kube/api_watch.h"

namespace ferry::engine::kube {
namespace {

// Whether `kind` is exactly one resource of the cluster (*r), in a namespace the request can
// name, and each of `names` a plain path segment: else kubectl's own rules must decide.
bool certain(const Api& api, const Kubectl& k, const std::string& kind, const std::vector<std::string>& names,
             const CancelToken& cancel, Resource* r) {
  bool found = false;
  if (!api.resource(kind, cancel, r, &found).ok() || !found) return false;
  if (r->namespaced && !plain_path_segment(k.target().ns)) return false;
  return std::all_of(names.begin(), names.end(), [](const std::string& n) { return plain_path_segment(n); });
}

}  // namespace

bool create_through_api(const Kubectl& k, const std::vector<json>& objects, const CancelToken& cancel,
                        const std::string& what, Status* status) {
  const Api api(k);
  const std::string& ns = k.target().ns;
  std::vector<std::string> collections;
  for (const json& o : objects) {
    if (!o.is_object() || !o.contains("metadata") || !o["metadata"].is_object()) return false;
    const std::string own_ns = o["metadata"].value("namespace", "");
    if (!own_ns.empty() && !ns.empty() && own_ns != ns) return false;  // kubectl refuses it, in its words
    std::string path;
    if (!api.object_path(o, cancel, &path).ok()) return false;
    collections.push_back(path.substr(0, path.rfind('/')));
  }
  *status = Status::Ok();
  for (size_t i = 0; i < objects.size(); ++i) {
    // As `kubectl create` asks: the server checks every field (kubectl's default --validate=strict).
    Status s = api.call("POST", collections[i] + "?fieldManager=ferry&fieldValidation=Strict", objects[i],
                        "application/json", cancel, what);
    if (!s.ok() && status->ok()) *status = s;
    if (cancel.cancelled()) break;
  }
  return true;
}

bool scale_through_api(const Kubectl& k, const std::string& kind, const std::vector<std::string>& names,
                       int64_t replicas, const CancelToken& cancel, const std::string& what, Status* status) {
  const Api api(k);
  const std::string& ns = k.target().ns;
  Resource r;
  if (!certain(api, k, kind, names, cancel, &r)) return false;
  *status = Status::Ok();
  for (const std::string& name : names) {
    *status = api.call("PATCH", r.collection_path(ns) + "/" + name + "/scale", {{"spec", {{"replicas", replicas}}}},
                       kMergePatch, cancel, what);
    if (!status->ok()) break;
  }
  return true;
}

bool patch_through_api(const Kubectl& k, const std::string& object, const std::string& type, const json& body,
                       const CancelToken& cancel, const std::string& what, json* after, Status* status) {
  const Api api(k);
  const std::string& ns = k.target().ns;
  const size_t slash = object.find('/');
  if (slash == std::string::npos || (type != "merge" && type != "json")) return false;
  const std::string name = object.substr(slash + 1);
  Resource r;
  if (!certain(api, k, object.substr(0, slash), {name}, cancel, &r)) return false;
  *status = api.call("PATCH", r.collection_path(ns) + "/" + name + "?fieldValidation=Strict", body,
                     type == "merge" ? kMergePatch : "application/json-patch+json", cancel, what, after);
  return true;
}

bool delete_through_api(const Kubectl& k, const std::string& kind, const std::vector<std::string>& names,
                        std::optional<Millis> wait, const CancelToken& cancel, const std::string& what, Status* status) {
  const Api api(k);
  const std::string& ns = k.target().ns;
  Resource r;
  if (!certain(api, k, kind, names, cancel, &r)) return false;
  std::optional<ObjectWatch> watch = ObjectWatch::open(k, kind, "", "", cancel, status);
  if (!watch) return false;
  // Their uids before the delete: what the wait waits to see gone.
  json before;
  if (*status = watch->mark(cancel, what, &before); !status->ok()) return true;
  const std::set<std::string> asked(names.begin(), names.end());
  std::map<std::string, std::string> uids;  // name -> uid
  for (const json& o : before.value("items", json::array())) {
    const json md = o.value("metadata", json::object());
    if (asked.count(md.value("name", ""))) uids[md.value("name", "")] = md.value("uid", "");
  }
  const json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  for (const auto& [name, uid] : uids) {
    *status = api.call("DELETE", r.collection_path(ns) + "/" + name, options, "application/json", cancel, what);
    if (status->error_class() == ErrorClass::kNotFound) *status = Status::Ok();  // --ignore-not-found
    if (!status->ok()) return true;
  }
  if (!wait) return true;
  const auto deadline = std::chrono::steady_clock::now() + *wait;
  for (json now = before;;) {
    size_t left = 0;
    for (const json& o : now.value("items", json::array())) {
      const json md = o.value("metadata", json::object());
      auto it = uids.find(md.value("name", ""));
      if (it != uids.end() && it->second == md.value("uid", "")) ++left;
    }
    if (left == 0) return true;
    const auto remaining = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (remaining <= Millis(0)) {
      *status = Status::Timeout(what + ": " + std::to_string(left) + " of them still there");
      return true;
    }
    bool changed = false;
    if (*status = watch->changed(std::min(remaining, Millis(30'000)), cancel, what, &changed); !status->ok()) return true;
    if (*status = watch->mark(cancel, what, &now); !status->ok()) return true;
  }
}

}  // namespace ferry::engine::kube

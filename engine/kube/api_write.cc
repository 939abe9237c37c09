#include "engine/kube/api_write.h"

namespace ferry::engine::kube {

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
  bool found = false;
  if (!api.resource(kind, cancel, &r, &found).ok() || !found) return false;
  if (r.namespaced && !plain_path_segment(ns)) return false;
  for (const std::string& name : names) {
    if (!plain_path_segment(name)) return false;
  }
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
  bool found = false;
  if (!api.resource(object.substr(0, slash), cancel, &r, &found).ok() || !found) return false;
  if ((r.namespaced && !plain_path_segment(ns)) || !plain_path_segment(name)) return false;
  *status = api.call("PATCH", r.collection_path(ns) + "/" + name + "?fieldValidation=Strict", body,
                     type == "merge" ? kMergePatch : "application/json-patch+json", cancel, what, after);
  return true;
}

}  // namespace ferry::engine::kube

#include "engine/kube/api_watch.h"

#include <algorithm>
#include <chrono>

#include "engine/aws/uri.h"

namespace ferry::engine::kube {

std::optional<ObjectWatch> ObjectWatch::open(const Kubectl& k, const std::string& kind, const std::string& name,
                                             const std::string& selector, const CancelToken& cancel, Status* status) {
  Resource r;
  bool found = false;
  *status = Api(k).resource(kind, cancel, &r, &found);
  const std::string& ns = k.target().ns;
  if (!status->ok() || !found || (r.namespaced && !plain_path_segment(ns)) ||
      (!name.empty() && !plain_path_segment(name))) {
    return std::nullopt;
  }
  std::string query;
  if (!name.empty()) query = "fieldSelector=" + aws::uri_encode("metadata.name=" + name);
  if (!selector.empty()) query += (query.empty() ? "" : "&") + ("labelSelector=" + aws::uri_encode(selector));
  return ObjectWatch(k, r.collection_path(ns), query);
}

Status ObjectWatch::mark(const CancelToken& cancel, const std::string& what, json* objects) {
  json list;
  if (Status s = api_.call("GET", collection_ + (query_.empty() ? "" : "?" + query_), nullptr, "", cancel, what, &list);
      !s.ok()) {
    return s;
  }
  resource_version_ = list.value("metadata", json::object()).value("resourceVersion", "");
  if (objects) *objects = std::move(list);
  return Status::Ok();
}

Status ObjectWatch::changed(Millis timeout, const CancelToken& cancel, const std::string& what, bool* changed) const {
  if (resource_version_.empty()) {
    // A list without a version (no real API server answers so): a watch from "" would replay
    // every object at once, so read again in a second instead.
    *changed = true;
    if (cancel.wait_until(std::chrono::steady_clock::now() + std::min(timeout, Millis(1000)))) return cancel.status();
    return Status::Ok();
  }
  return api_.watch(collection_, query_, resource_version_, timeout, cancel, what, changed);
}

}  // namespace ferry::engine::kube

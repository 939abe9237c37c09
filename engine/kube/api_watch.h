// Changes to the objects a `get` names (`KIND/NAME`, or `KIND [-l SELECTOR]`), watched through
// the cluster's `kubectl proxy` (api.h): what the `wait` step waits on between two reads of its
// goal, instead of a `kubectl wait` process each time. The step marks the version, reads and
// judges, then waits for a change since the mark: a change between the read and the watch is
// seen, and the step's own read, not the watch, decides whether the goal holds.
#pragma once

#include <optional>
#include <string>

#include "engine/kube/api.h"

namespace ferry::engine::kube {

class ObjectWatch {
 public:
  // A watch of `kind`'s objects named `name` ("" for all) matching `selector` ("" for any), in
  // k's namespace. nullopt when the answer would not be certain (the kind is not exactly one
  // resource of the cluster, a namespaced kind with no namespace given, a name that is not a
  // plain path segment): the caller watches with kubectl. An error reading discovery is *status.
  static std::optional<ObjectWatch> open(const Kubectl& k, const std::string& kind, const std::string& name,
                                         const std::string& selector, const CancelToken& cancel, Status* status);

  // Remembers the objects' current version: changed() waits for a change after it. *objects
  // (when given): the List read, as the API server answers it.
  Status mark(const CancelToken& cancel, const std::string& what, json* objects = nullptr);
  // Until one of the objects is added, modified or deleted since the mark (*changed), or
  // `timeout` passes (not changed), or `cancel`.
  Status changed(Millis timeout, const CancelToken& cancel, const std::string& what, bool* changed) const;

 private:
  ObjectWatch(const Kubectl& k, std::string collection, std::string query)
      : api_(k), collection_(std::move(collection)), query_(std::move(query)) {}

  Api api_;
  std::string collection_;        // the resource's collection path in the namespace
  std::string query_;             // fieldSelector / labelSelector, URL-encoded
  std::string resource_version_;  // from mark()
};

}  // namespace ferry::engine::kube

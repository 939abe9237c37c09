// Requests to a cluster's API server through its `kubectl proxy` (api_proxy.h): for what a
// migration does many times (the teardown's read, patch and delete of each object, the lists
// its steps read), without a kubectl process each. Answers fail as kubectl's do: the Status
// object's reason becomes the engine's error class, and messages start with `what`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/base/action.h"
#include "engine/base/clock.h"
#include "engine/base/cancel.h"
#include "engine/base/status.h"
#include "engine/kube/kubectl.h"

namespace ferry::aws {
struct HttpRequest;
struct HttpResponse;
}  // namespace ferry::aws

namespace ferry::engine::kube {

// A resource as the cluster's discovery lists it.
struct Resource {
  std::string group_version;  // "v1", "apps/v1"
  std::string plural;
  std::string kind;
  bool namespaced = false;
  // "/api/v1[/namespaces/NS]/PLURAL" (`ns` is ignored for a cluster-scoped resource).
  std::string collection_path(const std::string& ns) const;
};

// Whether a name or namespace can go into a URL path as it is: what the API server accepts in
// one (DNS labels and subdomains, `system:` names). Anything else (a `/`, `..`, `?`) must never
// make a request to another path.
bool plain_path_segment(const std::string& s);

// Content types of a PATCH body.
inline constexpr const char* kMergePatch = "application/merge-patch+json";

class Api {
 public:
  // The cluster `k` talks to (its namespace is the default for objects that name none), and
  // its log: every request that is not a GET is logged as `$ METHOD PATH` before it is sent.
  explicit Api(const Kubectl& k);

  // Sends `method` to `path` ("/apis/G/V/namespaces/NS/PLURAL/NAME") with `body` (null: none)
  // as `content_type`; *out is the answer's JSON.
  Status call(const std::string& method, const std::string& path, const json& body, const std::string& content_type,
              const CancelToken& cancel, const std::string& what, json* out = nullptr) const;

  // Watches the collection at `path` (`query`: its label or field selector, URL-encoded) from
  // `resource_version` (a list's, read before the objects were judged, so no change after that
  // read is missed) until the first event, `timeout`, or `cancel`. *changed: an event came (the
  // caller reads again and decides); false when the time ran out. As `kubectl wait` does, but
  // with no process.
  Status watch(const std::string& path, const std::string& query, const std::string& resource_version, Millis timeout,
               const CancelToken& cancel, const std::string& what, bool* changed) const;

  // The path of the object `ref` names (apiVersion, kind, metadata.name and .namespace; the
  // target's namespace when it has none), from the cluster's discovery, asked once per API
  // group and version (and again for a kind the answer kept lacks: a CRD installed since).
  Status object_path(const json& ref, const CancelToken& cancel, std::string* path) const;

  // The resource a kubectl resource argument names ("deployments", "deploy", "Deployment",
  // "deployments.apps", "deployments.v1.apps"), as kubectl would find it, when exactly one
  // resource of the cluster answers to it; *found is false when none or several do (kubectl's
  // own rules then decide, and its message says what is wrong).
  Status resource(const std::string& arg, const CancelToken& cancel, Resource* out, bool* found) const;

  // How the dry run shows a request of this API.
  static Action action(const std::string& method, const std::string& path, const std::string& input = "");

 private:
  // Sends `req` (its url a path) through the proxy, starting another proxy once if the last one
  // died; a transport failure is a Status, an HTTP answer of any code is ok here.
  Status send(aws::HttpRequest& req, const CancelToken& cancel, const std::string& what, aws::HttpResponse* resp) const;
  // A discovery document (cached per cluster and path; `fresh` asks again).
  Status discover(const std::string& path, bool fresh, const CancelToken& cancel, json* answer) const;
  // The resources of `group_version` (cached per cluster; `fresh` asks again).
  Status resources_of(const std::string& group_version, bool fresh, const CancelToken& cancel, json* list) const;
  // Every group's preferred version, the core one first (cached per cluster).
  Status group_versions(bool fresh, const CancelToken& cancel, std::vector<std::string>* out) const;

  Target target_;
  std::function<void(const std::string&)> log_;
};

}  // namespace ferry::engine::kube

// Writes a step makes often, sent through the cluster's `kubectl proxy` (api.h) instead of a
// kubectl process each, with what kubectl would send: the steps decide which to use, and fall
// back to kubectl (whose own rules and messages then apply) for any form these do not take.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/kube/api.h"

namespace ferry::engine::kube {

// `kubectl create -f -` of `objects`: each POSTed to its collection in order, every one tried
// as kubectl does (it continues after an error), the first error the answer. False, with nothing
// sent, when an object's kind is not one the cluster serves by that apiVersion, or its name or
// namespace is not a plain path segment, or it names another namespace than k's: kubectl then
// says what is wrong.
bool create_through_api(const Kubectl& k, const std::vector<json>& objects, const CancelToken& cancel,
                        const std::string& what, Status* status);

// `kubectl scale KIND NAMES... --replicas=N`: a merge patch of each one's scale subresource, as
// kubectl's scaler sends without preconditions. False, with nothing sent, when the kind is not
// exactly one resource of the cluster, has no namespace, or a name is not a plain path segment.
bool scale_through_api(const Kubectl& k, const std::string& kind, const std::vector<std::string>& names,
                       int64_t replicas, const CancelToken& cancel, const std::string& what, Status* status);

// `kubectl patch KIND/NAME --type merge|json -p BODY -o json`: a PATCH of the object, *after the
// object as patched. The server refuses a field it does not know (fieldValidation=Strict), where
// kubectl's patch would have it dropped with a warning. False, with nothing sent, when `object`
// is not KIND/NAME of exactly one resource of the cluster with a plain name and namespace.
bool patch_through_api(const Kubectl& k, const std::string& object, const std::string& type, const json& body,
                       const CancelToken& cancel, const std::string& what, json* after, Status* status);

// `kubectl delete KIND NAMES... --ignore-not-found`, then with `wait` `--wait=true
// --timeout=WAIT`: a DELETE of each (background propagation, as kubectl's default cascade; one
// already gone is fine), then, watched through the proxy, until none of them is left (one made
// again under the same name is not it: its uid differs). kTimeout when some are still there after
// `wait`. False, with nothing sent, under the same conditions as scale_through_api.
bool delete_through_api(const Kubectl& k, const std::string& kind, const std::vector<std::string>& names,
                        std::optional<Millis> wait, const CancelToken& cancel, const std::string& what, Status* status);

}  // namespace ferry::engine::kube

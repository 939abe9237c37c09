// `kubectl get ... -o json` answered through the cluster's `kubectl proxy` (api.h) instead of a
// kubectl process: the reads a migration makes most (backups, the lists a delete or scale
// starts from, the objects a create looks for). Only the forms whose answer is certain are
// taken: a kind that resolves to exactly one resource, names or a label selector, objects on
// stdin (`-f -`), `--ignore-not-found`. The answer is what kubectl would print: a List whose
// items carry apiVersion and kind, or the one object asked for by name.
#pragma once

#include <string>
#include <vector>

#include "engine/kube/api.h"

namespace ferry::engine::kube {

// Reads what `get_args` (kubectl's args after the global flags, "-o json" optional) asks for
// into *out. False when the form is not one of those above (the caller runs kubectl); then
// *status is untouched.
bool read_through_api(const Kubectl& k, const std::vector<std::string>& get_args, const std::string& stdin_text,
                      const CancelToken& cancel, const std::string& what, json* out, Status* status);

}  // namespace ferry::engine::kube

// What can be known about a cluster's kubeconfig without calling the cluster: the file exists,
// is readable, and names a server and the context to use. A light reading of the YAML (lines
// with `server:`, `current-context:`, `name:`; or the same keys of a kubeconfig written as
// JSON), enough to refuse a run before its first step
// instead of failing it halfway through.
#pragma once

#include <string>

#include "engine/base/status.h"

namespace ferry::engine::kube {

// Ok, or an error (class invalid) saying what is missing from `path`. `context` is the plan's
// choice (the cluster's `context` field), "" for the file's current-context.
Status check_kubeconfig(const std::string& path, const std::string& context);

}  // namespace ferry::engine::kube

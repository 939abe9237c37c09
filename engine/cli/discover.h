// discover() in a plan (dsl/evaluate_discover.cc), answered by the cluster it names when `ferry
// plan` or `ferry apply` makes a run's plan.
#pragma once

#include <functional>
#include <string>

#include "dsl/compiler.h"

namespace ferry::cli {

// Reads `kubectl get KIND -n NAMESPACE -l SELECTOR` on the query's cluster with `kubectl` and
// says on stderr what it found, so whoever makes the plan sees the set it froze.
std::function<dsl::DiscoverAnswer(const dsl::DiscoverQuery&)> cluster_discoverer(const std::string& kubectl);

}  // namespace ferry::cli

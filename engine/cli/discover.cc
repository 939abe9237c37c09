#include "engine/cli/discover.h"

#include <iostream>

#include "engine/base/cancel.h"
#include "engine/kube/kubectl.h"

namespace ferry::cli {

std::function<dsl::DiscoverAnswer(const dsl::DiscoverQuery&)> cluster_discoverer(const std::string& kubectl) {
  return [kubectl](const dsl::DiscoverQuery& q) {
    engine::kube::Kubectl cluster({kubectl, q.kubeconfig, q.context, q.namespace_});
    const std::string what = "get " + q.kind + " -l " + q.selector + cluster.where();
    engine::kube::json answer;
    dsl::DiscoverAnswer result;
    engine::Status status = cluster.run_json({"get", q.kind, "-l", q.selector}, engine::CancelToken(), what, &answer);
    if (!status.ok()) {
      result.error = status.message();
      return result;
    }
    for (const engine::kube::json& item : engine::kube::items_of(answer)) {
      const auto name = item.value("/metadata/name"_json_pointer, std::string());
      if (!name.empty()) result.names.push_back(name);
    }
    std::string found;
    for (const std::string& name : result.names) found += (found.empty() ? "" : ", ") + name;
    std::cerr << "ferry: discover(" << q.cluster << ", " << q.kind << ", " << q.namespace_ << ", " << q.selector
              << "): " << result.names.size() << " found" << (found.empty() ? "" : ": " + found) << "\n";
    return result;
  };
}

}  // namespace ferry::cli

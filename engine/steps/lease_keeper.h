// The run's holds as coordination.k8s.io/v1 Leases (docs/fleet.md): a Lease per hold on its
// cluster, taken before the first step, renewed by one LeaseRenewer per cluster, released when the
// run is done with it or at the end.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/kube/lease.h"
#include "engine/kube/lease_renewer.h"
#include "engine/run/holds.h"
#include "engine/steps/services.h"

namespace ferry::engine {

struct LeaseSettings {
  std::chrono::seconds duration{60};  // valid this long past each renewal (--lease-duration)
  Millis wait{0};                     // how long to wait for a Lease another run holds (--wait-for-lease)
  std::string ns = kube::kDefaultLeaseNamespace;
};

class LeaseKeeper : public HoldKeeper {
 public:
  // Leases of the clusters of `ir`, reached with `services`' kubectl, held by `holder`. `log` gets a
  // line for each Lease taken and released, and for a release that failed. REQUIRES: `ir` and
  // `services` outlive the keeper.
  LeaseKeeper(const dsl::Ir& ir, const Services& services, kube::LeaseHolder holder, LeaseSettings settings,
              std::function<void(const std::string&)> log);
  ~LeaseKeeper() override;  // release()

  Status take(const std::vector<Hold>& holds, const CancelToken& cancel, LostFn lost) override;
  void release() override;
  void release(const std::vector<Hold>& holds) override;

 private:
  struct Cluster {
    std::unique_ptr<kube::LeaseClient> client;
    std::unique_ptr<kube::LeaseRenewer> renewer;  // declared after the client it uses: destroyed first
    std::vector<std::string> held;                // the things taken, in order
  };
  Cluster& cluster(const std::string& name, const LostFn& lost);
  // Stops renewing the Lease of `thing` on cluster `name` and deletes it (if still this run's).
  void let_go(const std::string& name, Cluster& c, const std::string& thing);

  const dsl::Ir& ir_;
  const Services& services_;
  kube::LeaseHolder holder_;
  LeaseSettings settings_;
  std::function<void(const std::string&)> log_;
  std::map<std::string, Cluster> clusters_;
};

}  // namespace ferry::engine

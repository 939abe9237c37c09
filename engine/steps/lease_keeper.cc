#include "engine/steps/lease_keeper.h"

#include <algorithm>

namespace ferry::engine {

LeaseKeeper::LeaseKeeper(const dsl::Ir& ir, const Services& services, kube::LeaseHolder holder,
                         LeaseSettings settings, std::function<void(const std::string&)> log)
    : ir_(ir), services_(services), holder_(std::move(holder)), settings_(std::move(settings)), log_(std::move(log)) {}

LeaseKeeper::~LeaseKeeper() { release(); }

LeaseKeeper::Cluster& LeaseKeeper::cluster(const std::string& name, const LostFn& lost) {
  auto [it, added] = clusters_.try_emplace(name);
  Cluster& c = it->second;
  if (!added) return c;
  kube::Target target;
  if (!services_.kubectl.empty()) target.kubectl = services_.kubectl;
  if (auto found = ir_.clusters.find(name); found != ir_.clusters.end()) {
    target.kubeconfig = found->second.fields.value("kubeconfig", "");
    target.context = found->second.fields.value("context", "");
  }
  c.client = std::make_unique<kube::LeaseClient>(kube::Kubectl(std::move(target)), settings_.ns);
  c.renewer = std::make_unique<kube::LeaseRenewer>(*c.client, [name, lost](const kube::Lease&, const Status& why) {
    lost(Status::Error(why.error_class(), "cluster " + name + ": " + why.message()));
  });
  return c;
}

Status LeaseKeeper::take(const std::vector<Hold>& holds, const CancelToken& cancel, LostFn lost) {
  std::vector<Hold> taken;
  for (const Hold& hold : holds) {
    Cluster& c = cluster(hold.cluster, lost);
    kube::Lease lease;
    Status s = c.client->acquire_waiting(hold.thing, holder_, settings_.duration, settings_.wait, cancel, &lease);
    if (!s.ok()) {
      release(taken);  // all or none of these; those taken before this call stay
      return Status::Error(s.error_class(), "cluster " + hold.cluster + ": " + s.message());
    }
    c.renewer->add(lease);
    c.held.push_back(hold.thing);
    taken.push_back(hold);
    if (log_) log_("holds " + hold.thing + " on cluster " + hold.cluster + " (" + lease.label() + ")");
  }
  return Status::Ok();
}

void LeaseKeeper::let_go(const std::string& name, Cluster& c, const std::string& thing) {
  std::optional<kube::Lease> lease = c.renewer->remove(thing);
  if (!lease) return;  // lost: it is no longer this run's to release
  // A token of its own: the run's may be cancelled (Ctrl-C), and the Lease is still to be let go.
  Status s = c.client->release(*lease, CancelToken());
  if (log_) {
    log_(s.ok() ? "released " + thing + " on cluster " + name
                : "could not release " + thing + " on cluster " + name + " (" + s.message() + "); it expires " +
                      std::to_string(lease->duration_s) + " s after its last renewal");
  }
}

void LeaseKeeper::release(const std::vector<Hold>& holds) {
  for (const Hold& hold : holds) {
    auto it = clusters_.find(hold.cluster);
    if (it == clusters_.end()) continue;
    auto& held = it->second.held;
    auto at = std::find(held.begin(), held.end(), hold.thing);
    if (at == held.end()) continue;
    held.erase(at);
    let_go(hold.cluster, it->second, hold.thing);
  }
}

void LeaseKeeper::release() {
  for (auto& [name, c] : clusters_) {
    c.renewer->stop();
    for (const std::string& thing : c.held) let_go(name, c, thing);
  }
  clusters_.clear();
}

}  // namespace ferry::engine

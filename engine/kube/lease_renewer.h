// Keeps a run's Leases: a thread that renews each one every third of its duration (so two
// renewals in a row can fail before it expires), and says when one is lost.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/base/cancel.h"
#include "engine/base/status.h"
#include "engine/kube/lease.h"

namespace ferry::engine::kube {

class LeaseRenewer {
 public:
  // Called on the renewer's thread, once per Lease, when it is lost: `why` is kLeaseHeld (another
  // run took it over), kNotFound (deleted), or the last renewal's failure once the Lease has expired
  // without one succeeding (the API server unreachable for its whole duration). The Lease is no
  // longer renewed; the run should stop touching what it held.
  using LostFn = std::function<void(const Lease& lease, const Status& why)>;

  // Times come from the client's clock, which must be a real one: sleeping on it is how the renewer
  // waits. REQUIRES: `client` outlives the renewer.
  LeaseRenewer(const LeaseClient& client, LostFn on_lost);
  ~LeaseRenewer();  // stop()
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  // Renews `lease` (as acquire returned it) from now on, first a third of its duration from now.
  void add(const Lease& lease);
  // Stops renewing the Lease of `hold` (after a renewal under way) and returns it as last renewed,
  // which is what LeaseClient::release needs; nullopt if it was not added or was lost.
  std::optional<Lease> remove(const std::string& hold);
  // Ends the thread (a renewal under way is cancelled). The Leases stay for remove().
  void stop();

 private:
  struct Entry {
    Lease lease;
    Millis due{0};
  };
  void loop();
  // One renewal of `e` (a copy, renewed without the lock held), its outcome stored back.
  void renew(Entry e);

  const LeaseClient& client_;
  LostFn on_lost_;
  Clock& clock_;

  std::mutex mu_;
  std::condition_variable idle_;  // a renewal ended (remove waits for its hold's)
  std::map<std::string, Entry> entries_;  // by hold
  std::string renewing_;                  // the hold being renewed now, "" for none
  CancelToken wake_;                      // cancelled to wake the thread early; a new one each round
  CancelToken stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ferry::engine::kube

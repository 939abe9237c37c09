// Leases: two ferry runs never move the same hosted cluster at once. A run takes a
// coordination.k8s.io/v1 Lease for each shared thing it holds ("hostedcluster/clusters/jdoe-hosted"),
// renews it while it works (lease_renewer.h) and releases it at the end. Every write is a
// compare-and-swap, sent through the cluster's kubectl proxy (api.h): a POST (AlreadyExists when
// someone has it), a PUT with the resourceVersion read (Conflict when someone wrote in between),
// and a DELETE whose preconditions are the uid and resourceVersion last written. docs/fleet.md is
// the user's side of it.
#pragma once

#include <chrono>
#include <string>

#include "engine/base/cancel.h"
#include "engine/base/clock.h"
#include "engine/base/status.h"
#include "engine/kube/kubectl.h"
#include "engine/kube/lease_record.h"

namespace ferry::engine::kube {

class LeaseClient {
 public:
  // Leases of the cluster `kubectl` talks to, in namespace `ns` (the one of `kubectl`'s target is
  // ignored); times from `clock` (its unix_ms: the Lease's times are wall-clock times other
  // machines compare with theirs). REQUIRES: `clock` outlives the client.
  LeaseClient(const Kubectl& kubectl, std::string ns = kDefaultLeaseNamespace, Clock& clock = real_clock());

  // Takes the Lease for `hold` for `holder`, valid for `duration` past each renewal (at least 1 s).
  // - free (no Lease): creates it;
  // - held by the same run (LeaseHolder::same_run; a resume after a crash): takes it back, renewed;
  // - held by another but not renewed within its duration (a crashed run): takes it over;
  // - held by another and valid: ErrorClass::kLeaseHeld, saying who holds it, since when and until
  //   when, and what to do.
  // A write another run won in between (AlreadyExists, Conflict) means reading it again and deciding
  // again. *out: the Lease as written (what renew and release need).
  Status acquire(const std::string& hold, const LeaseHolder& holder, std::chrono::seconds duration,
                 const CancelToken& cancel, Lease* out) const;
  // acquire, again every tenth of `duration` (at least 1 s, at most 5 s) while another holds it, for
  // up to `wait_for`; then the last kLeaseHeld. Any other failure, or `cancel`, ends it at once.
  Status acquire_waiting(const std::string& hold, const LeaseHolder& holder, std::chrono::seconds duration,
                         Millis wait_for, const CancelToken& cancel, Lease* out) const;
  // Sets renewTime to now on the version of `*lease` last written, and updates *lease. A change by
  // someone else that left it ours (a label) is read and renewed over; kLeaseHeld if another holder
  // took it over, kNotFound if it was deleted: either way this run no longer holds it.
  Status renew(Lease* lease, const CancelToken& cancel) const;
  // Deletes the Lease if it is still `lease` as last written or renewed (preconditions on its uid
  // and resourceVersion), or still ours at a later version. Ok too when it is gone or another holder
  // has it (theirs is left alone).
  Status release(const Lease& lease, const CancelToken& cancel) const;
  // The Lease for `hold` as it is (*found false when there is none).
  Status read(const std::string& hold, const CancelToken& cancel, Lease* out, bool* found) const;

  const std::string& ns() const { return ns_; }
  Clock& clock() const { return *clock_; }

 private:
  Status write(const std::string& verb, const std::string& hold, const json& object, const std::string& what,
               const CancelToken& cancel, Lease* out) const;

  Kubectl kubectl_;
  std::string ns_;
  Clock* clock_;
};

}  // namespace ferry::engine::kube

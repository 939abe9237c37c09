// A coordination.k8s.io/v1 Lease as ferry writes and reads it: the name a held thing maps to,
// who holds it (spec.holderIdentity), and its times. Values only; the calls that take, renew and
// release Leases are in lease.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ferry::engine::kube {

using json = nlohmann::json;

// Where Leases live unless the caller says otherwise: `default` exists on every cluster and cannot
// be deleted, so a Lease there outlives a teardown that deletes the held object's namespace, and a
// restore can take one before it creates that namespace on the destination.
inline constexpr const char* kDefaultLeaseNamespace = "default";
// On every Lease ferry makes: `kubectl get leases -A -l app.kubernetes.io/managed-by=ferry`.
inline constexpr const char* kLeaseLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kLeaseLabelValue = "ferry";
// The annotation with the hold string the Lease stands for, in full.
inline constexpr const char* kHoldAnnotation = "ferry.dev/hold";

// The Lease name for a hold string ("hostedcluster/clusters/jdoe-hosted" ->
// "ferry-hostedcluster-clusters-jdoe-hosted-20094133"): "ferry-", the hold lowercased with every
// run of other characters than [a-z0-9] made one '-', cut so the whole fits 63 characters, then
// '-' and 8 hex digits of a hash of the exact hold string. The readable part alone would merge
// distinct holds ("a-b/c" and "a/b-c", "X" and "x"); the hash keeps them apart. A valid DNS-1123
// label (so also a valid label value), the same on every machine and ferry version.
std::string lease_name(std::string_view hold);

// Who holds a Lease: a ferry run, named by who started it, where, its run directory and the ferry
// that ran it. Written to spec.holderIdentity as compact JSON
// ({"host":..,"runDir":..,"user":..,"version":..}) so `kubectl get lease -o yaml` shows it whole.
struct LeaseHolder {
  std::string user;
  std::string host;
  std::string run_dir;
  std::string version;

  // This process's user and host, for the run in `run_dir`.
  static LeaseHolder here(std::string run_dir, std::string version);
  // The holder a holderIdentity names; one that is not ferry's JSON gives a holder whose `user` is
  // the whole text (so messages still say who).
  static LeaseHolder parse(std::string_view identity);

  std::string identity() const;
  // The same run: same user, host and run directory (a resume by a newer ferry is still the run).
  bool same_run(const LeaseHolder& other) const;
  // "jdoe on bastion-1, run /home/jdoe/.ferry/runs/X, ferry 0.9.0", for messages.
  std::string describe() const;
};

// A Lease as read from (or written to) the cluster.
struct Lease {
  std::string hold;  // the held thing ("hostedcluster/clusters/jdoe-hosted")
  std::string name;
  std::string ns;
  std::string uid;
  std::string resource_version;
  LeaseHolder holder;      // holder.user empty: no one (spec.holderIdentity unset or empty)
  int64_t duration_s = 0;  // spec.leaseDurationSeconds
  std::optional<int64_t> acquire_ms;  // spec.acquireTime, ms since the Unix epoch
  std::optional<int64_t> renew_ms;    // spec.renewTime
  int64_t transitions = 0;            // spec.leaseTransitions
  json object;                        // the whole object, for a replace that keeps the rest

  // When it stops being valid unless renewed: renewTime (else acquireTime) + leaseDurationSeconds;
  // nullopt when it has neither time (nothing keeps it).
  std::optional<int64_t> valid_until_ms() const;
  // Free for anyone at `now_ms`: no holder, or not renewed within its duration.
  bool expired(int64_t now_ms) const;
  // "Lease ferry-x in namespace default", for messages.
  std::string label() const;
};

// The Lease `object` (kubectl's JSON). False, with *error saying why, for an object that is not a
// Lease or whose times do not parse.
bool lease_from_object(const json& object, Lease* out, std::string* error);
// The object to create for `hold`, held by `holder` from `now_ms` for `duration_s`.
json new_lease_object(const std::string& hold, const std::string& ns, const LeaseHolder& holder, int64_t duration_s,
                      int64_t now_ms);

// metav1.MicroTime: "2026-11-26T12:00:00.250000Z" (RFC 3339, UTC, exactly six fraction digits; the
// API server refuses any other number of digits).
std::string format_micro_time(int64_t unix_ms);
// The time of a MicroTime (or any RFC 3339 time: fraction of any length, Z or +hh:mm), ms since the
// Unix epoch.
std::optional<int64_t> parse_micro_time(std::string_view text);
// "2026-11-26T12:00:00Z", for messages.
std::string format_utc_seconds(int64_t unix_ms);

}  // namespace ferry::engine::kube

#include "engine/kube/lease.h"

#include <algorithm>

#include "engine/kube/api.h"

namespace ferry::engine::kube {
namespace {

// Writes in a row lost to other writers (each one read again and decided again) before giving up:
// two runs racing settle in one or two; more means something keeps rewriting the Lease.
constexpr int kRounds = 10;
// acquire_waiting asks again every tenth of the Lease's duration, within these: an expiry is seen
// soon after it happens, a release (a delete, which a Lease's times do not announce) within 5 s.
constexpr Millis kMinPoll{1000};
constexpr Millis kMaxPoll{5000};

// The Leases of namespace `ns`, as an API path (lease names and namespaces are DNS labels: see
// lease_name and the --lease-namespace check).
std::string leases_path(const std::string& ns) { return "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases"; }

std::string where(const std::string& name, const std::string& ns) { return "Lease " + name + " in namespace " + ns; }

std::string seconds_text(Millis ms) { return std::to_string((ms.count() + 999) / 1000) + " s"; }

// Who holds `l`, since and until when, and what the user can do about it.
std::string held_message(const std::string& hold, const Lease& l) {
  std::string m = hold + " is held by another ferry run: " + l.holder.describe();
  if (l.acquire_ms) m += ", since " + format_utc_seconds(*l.acquire_ms);
  if (l.renew_ms) m += ", last renewed " + format_utc_seconds(*l.renew_ms);
  if (std::optional<int64_t> until = l.valid_until_ms()) m += ", valid until " + format_utc_seconds(*until);
  m += " (" + l.label() + "). Wait for that run to end (--wait-for-lease DURATION waits for it); if it crashed, " +
       "`ferry resume` of its run directory takes its Leases back, and once it is no longer renewed anyone may " +
       "take it over";
  return m;
}

std::string lost_message(const std::string& hold, const Lease& l) {
  return "lost the Lease of " + hold + ": " + l.label() + " was taken over by another ferry run (" +
         l.holder.describe() + (l.acquire_ms ? ", at " + format_utc_seconds(*l.acquire_ms) : "") +
         "), so this run no longer holds " + hold + " (it was not renewed within its duration?)";
}

std::string gone_message(const std::string& hold, const std::string& label) {
  return "lost the Lease of " + hold + ": " + label + " was deleted while this run held it (by hand?)";
}

}  // namespace

LeaseClient::LeaseClient(const Kubectl& kubectl, std::string ns, Clock& clock)
    : kubectl_(kubectl.in_namespace(ns)), ns_(std::move(ns)), clock_(&clock) {}

Status LeaseClient::read(const std::string& hold, const CancelToken& cancel, Lease* out, bool* found) const {
  *found = false;
  const std::string what = "read " + where(lease_name(hold), ns_) + " for " + hold;
  json answer;
  Status s = kubectl_.run_json({"get", "leases.coordination.k8s.io", lease_name(hold)}, cancel, what, &answer);
  if (s.error_class() == ErrorClass::kNotFound) return Status::Ok();
  if (!s.ok()) return s;
  std::string error;
  if (!lease_from_object(answer, out, &error)) return Status::Invalid(what + ": " + error);
  out->hold = hold;  // the caller's, even if someone edited the annotation
  *found = true;
  return Status::Ok();
}

Status LeaseClient::write(const std::string& verb, const std::string& hold, const json& object,
                          const std::string& what, const CancelToken& cancel, Lease* out) const {
  // POST to create (AlreadyExists when someone has it), PUT to replace (Conflict when the
  // resourceVersion in `object` is no longer the Lease's).
  const std::string collection = leases_path(ns_);
  const bool create = verb == "create";
  const std::string name = object["metadata"].value("name", "");
  if (!plain_path_segment(ns_) || !plain_path_segment(name)) return Status::Invalid(what + ": not a Lease's name or namespace");
  json answer;
  Status s = Api(kubectl_).call(create ? "POST" : "PUT",
                                create ? collection : collection + "/" + name, object,
                                "application/json", cancel, what, &answer);
  if (!s.ok()) return s;
  std::string error;
  if (!lease_from_object(answer, out, &error)) return Status::Invalid(what + ": " + error);
  out->hold = hold;
  return Status::Ok();
}

Status LeaseClient::acquire(const std::string& hold, const LeaseHolder& holder, std::chrono::seconds duration,
                            const CancelToken& cancel, Lease* out) const {
  const std::string what = where(lease_name(hold), ns_) + " for " + hold;
  if (duration.count() < 1) {
    return Status::Invalid("take " + what + ": a Lease lasts at least 1 s, not " + std::to_string(duration.count()));
  }
  for (int round = 0; round < kRounds; ++round) {
    Status s = write("create", hold, new_lease_object(hold, ns_, holder, duration.count(), clock_->unix_ms()),
                     "take " + what, cancel, out);
    if (s.error_class() != ErrorClass::kAlreadyExists) return s;

    Lease current;
    bool found = false;
    if (s = read(hold, cancel, &current, &found); !s.ok()) return s;
    if (!found) continue;  // released since: create it again
    const int64_t now = clock_->unix_ms();
    const bool ours = current.holder.same_run(holder);
    if (!ours && !current.expired(now)) return Status::Error(ErrorClass::kLeaseHeld, held_message(hold, current));

    // Ours (a resume) or abandoned: write ourselves over the version read. If another run took it
    // meanwhile the resourceVersion no longer matches and the server refuses (Conflict).
    json object = current.object;
    json& spec = object["spec"];
    spec["holderIdentity"] = holder.identity();
    spec["leaseDurationSeconds"] = duration.count();
    spec["renewTime"] = format_micro_time(now);
    if (!ours || !current.acquire_ms) spec["acquireTime"] = format_micro_time(now);
    if (!ours) spec["leaseTransitions"] = current.transitions + 1;
    object["metadata"]["labels"][kLeaseLabel] = kLeaseLabelValue;
    object["metadata"]["annotations"][kHoldAnnotation] = hold;
    s = write("replace", hold, object, (ours ? "take back " : "take over ") + what, cancel, out);
    if (s.error_class() != ErrorClass::kConflict && s.error_class() != ErrorClass::kNotFound) return s;
  }
  return Status::Conflict("take " + what + ": another writer changed it each of " + std::to_string(kRounds) +
                          " times this run tried; try again");
}

Status LeaseClient::acquire_waiting(const std::string& hold, const LeaseHolder& holder, std::chrono::seconds duration,
                                    Millis wait_for, const CancelToken& cancel, Lease* out) const {
  const Millis start = clock_->now();
  const Millis poll = std::clamp<Millis>(std::chrono::duration_cast<Millis>(duration) / 10, kMinPoll, kMaxPoll);
  for (;;) {
    Status s = acquire(hold, holder, duration, cancel, out);
    if (s.error_class() != ErrorClass::kLeaseHeld) return s;
    const Millis now = clock_->now();
    if (now - start >= wait_for) {
      return Status::Error(ErrorClass::kLeaseHeld, s.message() + " (waited " + seconds_text(now - start) + ")");
    }
    if (!clock_->sleep_until(std::min(now + poll, start + wait_for), cancel)) {
      Status why = cancel.status();
      return Status::Error(why.ok() ? ErrorClass::kCancelled : why.error_class(),
                           "stopped waiting for the Lease of " + hold + ": " + why.message());
    }
  }
}

Status LeaseClient::renew(Lease* lease, const CancelToken& cancel) const {
  const std::string what = "renew " + lease->label() + " for " + lease->hold;
  for (int round = 0; round < kRounds; ++round) {
    json object = lease->object;
    object["spec"]["renewTime"] = format_micro_time(clock_->unix_ms());
    Lease written;
    Status s = write("replace", lease->hold, object, what, cancel, &written);
    if (s.ok()) {
      *lease = std::move(written);
      return s;
    }
    if (s.error_class() == ErrorClass::kNotFound) return Status::NotFound(gone_message(lease->hold, lease->label()));
    if (s.error_class() != ErrorClass::kConflict) return s;

    Lease current;
    bool found = false;
    if (s = read(lease->hold, cancel, &current, &found); !s.ok()) return s;
    if (!found) return Status::NotFound(gone_message(lease->hold, lease->label()));
    if (!current.holder.same_run(lease->holder)) {
      return Status::Error(ErrorClass::kLeaseHeld, lost_message(lease->hold, current));
    }
    *lease = std::move(current);  // still ours, changed by someone (a label, an annotation): renew that
  }
  return Status::Conflict(what + ": another writer changed it each of " + std::to_string(kRounds) +
                          " times this run tried");
}

Status LeaseClient::release(const Lease& lease, const CancelToken& cancel) const {
  // One DELETE whose preconditions are the uid and resourceVersion this run last wrote: the server
  // deletes it only if nobody wrote it since, in one step. Replacing it (holder cleared) and then
  // deleting would leave a gap in which another run could take it over, and the delete would then
  // remove that run's Lease. Deleting, rather than leaving it with no holder, keeps `kubectl get
  // leases` to the ones in use.
  const std::string path = leases_path(ns_) + "/" + lease.name;
  const std::string what = "release " + lease.label() + " for " + lease.hold;
  if (!plain_path_segment(ns_) || !plain_path_segment(lease.name)) return Status::Invalid(what + ": not a Lease's name or namespace");
  Lease mine = lease;
  for (int round = 0; round < kRounds; ++round) {
    const json options = {{"kind", "DeleteOptions"},
                          {"apiVersion", "v1"},
                          {"preconditions", {{"uid", mine.uid}, {"resourceVersion", mine.resource_version}}}};
    Status s = Api(kubectl_).call("DELETE", path, options, "application/json", cancel, what);
    if (s.ok() || s.error_class() == ErrorClass::kNotFound) return Status::Ok();
    if (s.error_class() != ErrorClass::kConflict) return s;

    Lease current;
    bool found = false;
    if (s = read(lease.hold, cancel, &current, &found); !s.ok()) return s;
    if (!found || !current.holder.same_run(lease.holder)) return Status::Ok();  // gone, or theirs now
    mine = std::move(current);  // still ours at a later version (renewed meanwhile): delete that one
  }
  return Status::Conflict(what + ": another writer changed it each of " + std::to_string(kRounds) +
                          " times this run tried");
}

}  // namespace ferry::engine::kube

#include "engine/kube/lease_renewer.h"

#include <algorithm>

namespace ferry::engine::kube {
namespace {

// How soon a renewal that failed without losing the Lease (the API server did not answer) is tried
// again, at most: well inside the third of the duration the renewal period leaves.
constexpr Millis kRetry{1000};
// How long the thread sleeps with nothing to renew (add and stop wake it anyway).
constexpr Millis kIdle{60'000};

Millis period_of(const Lease& l) { return Millis(std::max<int64_t>(l.duration_s, 1) * 1000 / 3); }

}  // namespace

LeaseRenewer::LeaseRenewer(const LeaseClient& client, LostFn on_lost)
    : client_(client), on_lost_(std::move(on_lost)), clock_(client.clock()) {
  thread_ = std::thread([this] { loop(); });
}

LeaseRenewer::~LeaseRenewer() { stop(); }

void LeaseRenewer::add(const Lease& lease) {
  std::lock_guard lock(mu_);
  entries_[lease.hold] = Entry{lease, clock_.now() + period_of(lease)};
  wake_.cancel(ErrorClass::kCancelled, "a Lease was added");
}

std::optional<Lease> LeaseRenewer::remove(const std::string& hold) {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return renewing_ != hold; });
  auto it = entries_.find(hold);
  if (it == entries_.end()) return std::nullopt;
  Lease l = std::move(it->second.lease);
  entries_.erase(it);
  return l;
}

void LeaseRenewer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.cancel(ErrorClass::kCancelled, "the renewer stops");
  }
  stop_.cancel(ErrorClass::kCancelled, "the renewer stops");
  if (thread_.joinable()) thread_.join();
}

void LeaseRenewer::loop() {
  for (;;) {
    CancelToken wake;
    Millis due = clock_.now() + kIdle;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      wake_ = CancelToken();
      wake = wake_;
      for (const auto& [hold, e] : entries_) due = std::min(due, e.due);
    }
    clock_.sleep_until(due, wake);

    std::optional<Entry> next;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      const Millis now = clock_.now();
      for (const auto& [hold, e] : entries_) {
        if (e.due <= now && (!next || e.due < next->due)) next = e;
      }
      if (!next) continue;
      renewing_ = next->lease.hold;
    }
    renew(std::move(*next));
  }
}

void LeaseRenewer::renew(Entry e) {
  Lease l = e.lease;
  Status s = client_.renew(&l, stop_);
  const bool lost_for_good = s.error_class() == ErrorClass::kLeaseHeld || s.error_class() == ErrorClass::kNotFound;
  std::optional<int64_t> until = e.lease.valid_until_ms();
  const bool expired = !s.ok() && until && *until < clock_.unix_ms();
  const bool lost = !stop_.cancelled() && (lost_for_good || expired);
  {
    std::lock_guard lock(mu_);
    renewing_.clear();
    auto it = entries_.find(e.lease.hold);
    if (it != entries_.end()) {
      if (s.ok()) {
        it->second = Entry{l, clock_.now() + period_of(l)};
      } else if (lost) {
        entries_.erase(it);
      } else {
        it->second.due = clock_.now() + std::min(kRetry, period_of(e.lease));
      }
    }
  }
  idle_.notify_all();
  if (!lost) return;
  if (lost_for_good) {
    on_lost_(e.lease, s);
  } else {
    on_lost_(e.lease, Status::Error(s.error_class(), "lost the Lease of " + e.lease.hold + ": it expired at " +
                                                         format_utc_seconds(*until) +
                                                         " without a renewal succeeding, so another run may take "
                                                         "it; the last attempt: " + s.message()));
  }
}

}  // namespace ferry::engine::kube

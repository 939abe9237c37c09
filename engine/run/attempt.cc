#include "engine/run/attempt.h"

#include "engine/run/retry_policy.h"

namespace ferry::engine {

void Watchdog::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Watchdog::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::watch(const std::string& key, Millis deadline, const CancelToken& token, const std::string& reason) {
  std::lock_guard lock(mu_);
  watched_.insert_or_assign(key, Watched{deadline, token, reason});
}

void Watchdog::unwatch(const std::string& key) {
  std::lock_guard lock(mu_);
  watched_.erase(key);
}

void Watchdog::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Millis now = clock_.now();
    for (auto& [key, w] : watched_) {
      if (now >= w.deadline) w.token.cancel(ErrorClass::kTimeout, w.reason);
    }
    stop_cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
  }
}

Attempts::Attempts(Clock& clock, Watchdog& watchdog, uint64_t seed)
    : clock_(clock), watchdog_(watchdog), rng_(seed ? seed : std::random_device{}()) {}

Status Attempts::run(const dsl::IrStep& step, StepContext& ctx, const CancelToken& cancel, const AttemptHooks& hooks) {
  const dsl::RetryPolicy& policy = step.retry.policy();
  const std::optional<int64_t>& timeout = step.timeout_ms;
  for (int attempt = 1;; ++attempt) {
    ctx.attempt = attempt;
    if (Status s = hooks.start(attempt); !s.ok()) return s;
    ctx.cancel = cancel.child();
    // The deadline starts once the attempt is journaled: the journal's sync is not the step's time.
    ctx.deadline = timeout ? clock_.now() + Millis(*timeout) : Millis(0);
    if (ctx.deadline.count()) watchdog_.watch(step.id, ctx.deadline, ctx.cancel, "timed out");
    Status s = hooks.act();
    watchdog_.unwatch(step.id);
    if (s.ok() || cancel.cancelled() || attempt >= policy.attempts || !retries(policy, s.error_class())) return s;
    Millis wait;
    {
      std::lock_guard lock(rng_mu_);
      wait = retry_delay(policy, attempt, rng_);
    }
    if (!hooks.before_retry(attempt, s, wait)) return s;
    if (!clock_.sleep_until(clock_.now() + wait, cancel)) return cancel.status();
  }
}

Status timeout_in_words(const dsl::IrStep& step, Status s) {
  if (s.error_class() != ErrorClass::kTimeout || !step.timeout_ms) return s;
  std::string detail = s.message().starts_with("timed out") ? s.message().substr(9) : s.message();
  while (!detail.empty() && (detail[0] == ':' || detail[0] == ' ')) detail.erase(0, 1);
  if (detail.starts_with("(") && detail.ends_with(")")) detail = detail.substr(1, detail.size() - 2);
  return Status::Timeout("timed out after " + step.timeout + " (the step's timeout)" +
                         (detail.empty() ? "" : ": " + detail));
}

}  // namespace ferry::engine

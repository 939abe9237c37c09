#include "engine/base/clock.h"

namespace ferry::engine {
namespace {

class RealClock : public Clock {
 public:
  Millis now() override {
    return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
  }
  int64_t unix_ms() override {
    return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  bool sleep_until(Millis until, const CancelToken& cancel) override {
    return !cancel.wait_until(std::chrono::steady_clock::time_point(until));
  }
};

}  // namespace

Clock& real_clock() {
  static RealClock clock;
  return clock;
}

Millis FakeClock::now() {
  std::lock_guard lock(mu_);
  return now_;
}

int64_t FakeClock::unix_ms() {
  std::lock_guard lock(mu_);
  return 1'700'000'000'000 + now_.count();
}

bool FakeClock::sleep_until(Millis until, const CancelToken& cancel) {
  if (cancel.cancelled()) return false;
  std::lock_guard lock(mu_);
  sleeps_.push_back(until > now_ ? until - now_ : Millis(0));
  if (until > now_) now_ = until;
  return true;
}

void FakeClock::advance(Millis by) {
  std::lock_guard lock(mu_);
  now_ += by;
}

std::vector<Millis> FakeClock::sleeps() {
  std::lock_guard lock(mu_);
  return sleeps_;
}

}  // namespace ferry::engine

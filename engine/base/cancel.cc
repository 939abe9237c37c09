#include "engine/base/cancel.h"

namespace ferry::engine {

CancelToken::CancelToken() : state_(std::make_shared<State>()) {}

CancelToken CancelToken::child() const {
  auto kid = std::make_shared<State>();
  std::lock_guard lock(state_->mu);
  if (state_->cancelled) {
    kid->cancelled = true;
    kid->why = state_->why;
  } else {
    // Drop children that are gone so a long run does not accumulate them.
    std::erase_if(state_->children, [](const std::weak_ptr<State>& w) { return w.expired(); });
    state_->children.push_back(kid);
  }
  return CancelToken(kid);
}

void CancelToken::cancel_state(const std::shared_ptr<State>& s, ErrorClass why, const std::string& reason) {
  std::vector<std::weak_ptr<State>> children;
  {
    std::lock_guard lock(s->mu);
    if (s->cancelled) return;
    s->cancelled = true;
    s->why = Status::Error(why, reason);
    children.swap(s->children);
  }
  s->cv.notify_all();
  for (auto& w : children) {
    if (auto kid = w.lock()) cancel_state(kid, why, reason);
  }
}

void CancelToken::cancel(ErrorClass why, const std::string& reason) const { cancel_state(state_, why, reason); }

bool CancelToken::cancelled() const {
  std::lock_guard lock(state_->mu);
  return state_->cancelled;
}

Status CancelToken::status() const {
  std::lock_guard lock(state_->mu);
  return state_->why;
}

bool CancelToken::wait_until(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_until(lock, deadline, [&] { return state_->cancelled; });
}

}  // namespace ferry::engine

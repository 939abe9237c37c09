#include "engine/run/scheduler.h"

#include <algorithm>

namespace ferry::engine {

PhaseSchedule::PhaseSchedule(const dsl::Ir& ir, const std::vector<Step>& pending,
                             const std::function<bool(const std::string&)>& done,
                             std::function<int(const std::string&)> depth, int parallelism)
    : depth_(std::move(depth)), parallelism_(std::max(1, parallelism)) {
  for (const Step& step : pending) {
    pools_[step.id] = step.pools;
    int unfinished = 0;
    for (const std::string& d : ir.steps.at(step.id).deps) {
      if (!done(d)) {
        ++unfinished;
        dependents_[d].push_back(step.id);
      }
    }
    if (unfinished) {
      waiting_[step.id] = unfinished;
    } else {
      ready_.insert(step.id);
    }
  }
}

std::vector<std::string> PhaseSchedule::take_startable() {
  std::vector<std::string> out;
  for (auto it = ready_.begin(); it != ready_.end() && running_.size() < parallelism_;) {
    const auto& pools = pools_[*it];
    bool free = std::all_of(pools.begin(), pools.end(), [&](const std::string& p) { return pool_use_[p] < depth_(p); });
    if (!free) {
      ++it;
      continue;
    }
    for (const std::string& p : pools) ++pool_use_[p];
    running_.insert(*it);
    out.push_back(*it);
    it = ready_.erase(it);
  }
  return out;
}

void PhaseSchedule::finished(const std::string& id, bool succeeded) {
  running_.erase(id);
  for (const std::string& p : pools_[id]) --pool_use_[p];
  if (!succeeded) return;
  for (const std::string& d : dependents_[id]) {
    auto w = waiting_.find(d);
    if (w == waiting_.end()) continue;  // dropped
    if (--w->second == 0) {
      waiting_.erase(w);
      ready_.insert(d);
    }
  }
}

void PhaseSchedule::drop(const std::string& id) {
  ready_.erase(id);
  waiting_.erase(id);
}

Workers::Workers(int count, std::function<void(const std::string&)> run)
    : run_(std::move(run)), count_(static_cast<size_t>(std::max(1, count))) {}

Workers::~Workers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  task_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Workers::submit(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(id);
    // A thread per step handed over, up to `count`: a run whose steps all run inline (a dry
    // run) starts none.
    if (threads_.size() < count_) threads_.emplace_back([this] { loop(); });
  }
  task_cv_.notify_one();
}

std::vector<std::string> Workers::ended(bool wait) {
  std::unique_lock lock(mu_);
  if (wait) ended_cv_.wait(lock, [this] { return !ended_.empty(); });
  std::vector<std::string> out(ended_.begin(), ended_.end());
  ended_.clear();
  return out;
}

void Workers::loop() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mu_);
      task_cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      id = tasks_.front();
      tasks_.pop_front();
    }
    run_(id);
    {
      std::lock_guard lock(mu_);
      ended_.push_back(id);
    }
    ended_cv_.notify_one();
  }
}

}  // namespace ferry::engine

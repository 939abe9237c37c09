// Scheduling one phase: which steps may start now (their dependencies done, a free slot of the
// run's parallelism and of each pool they count against), and the workers that run them.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dsl/ir.h"

namespace ferry::engine {

// The ready set of one phase. Each pending step waits for a count of unfinished dependencies; a
// finished step counts down its dependents', so scheduling costs O(edges), not a scan of the
// phase per step. Not thread-safe: the scheduler's thread owns it.
class PhaseSchedule {
 public:
  struct Step {
    std::string id;
    std::vector<std::string> pools;  // the pools it counts against (its own, its type's implicit one)
  };
  // `pending`: the phase's steps still to run; `done(id)`: whether a dependency is finished (in
  // this phase or an earlier one). `depth(pool)`: how many of a pool's steps run at once.
  PhaseSchedule(const dsl::Ir& ir, const std::vector<Step>& pending, const std::function<bool(const std::string&)>& done,
                std::function<int(const std::string& pool)> depth, int parallelism);
  // Takes the ready steps that fit now, in id order (deterministic ties), and counts them running.
  std::vector<std::string> take_startable();
  // A running step ended; if it `succeeded`, its dependents may become ready.
  void finished(const std::string& id, bool succeeded);
  // A pending step will not run (a failed scope stopped it): it leaves the ready set for good.
  void drop(const std::string& id);
  size_t running() const { return running_.size(); }
  bool is_running(const std::string& id) const { return running_.count(id) != 0; }

 private:
  std::set<std::string> ready_;  // ordered: ties start in id order
  std::map<std::string, int> waiting_;
  std::map<std::string, std::vector<std::string>> dependents_;
  std::map<std::string, std::vector<std::string>> pools_;
  std::map<std::string, int> pool_use_;
  std::set<std::string> running_;
  std::function<int(const std::string&)> depth_;
  size_t parallelism_;
};

// Threads that run steps handed to them (at most `count` at once), and the queue of those that
// ended.
class Workers {
 public:
  Workers(int count, std::function<void(const std::string& id)> run);
  ~Workers();  // waits for the running steps
  void submit(const std::string& id);
  // The steps that ended since the last call; with `wait`, blocks until there is one.
  std::vector<std::string> ended(bool wait);

 private:
  void loop();
  std::function<void(const std::string&)> run_;
  std::mutex mu_;
  std::condition_variable task_cv_, ended_cv_;
  std::deque<std::string> tasks_, ended_;
  size_t count_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::engine

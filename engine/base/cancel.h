// Cancellation that a step can wait on: Ctrl-C cancels the run's token, a step's timeout
// cancels that step's token, and a step's token is a child of the run's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace ferry::engine {

class CancelToken {
 public:
  CancelToken();

  // A token cancelled when this one is (and on its own); cancelling it leaves this one alone.
  CancelToken child() const;

  // The first call wins: its class (kCancelled, kTimeout) and reason are what cancelled() reports.
  void cancel(ErrorClass why, const std::string& reason) const;
  bool cancelled() const;
  // Status::Cancelled/Timeout with the reason, or ok.
  Status status() const;

  // Blocks until `deadline` (steady clock) or cancellation; true if cancelled.
  bool wait_until(std::chrono::steady_clock::time_point deadline) const;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool cancelled = false;
    Status why;
    std::vector<std::weak_ptr<State>> children;
  };
  explicit CancelToken(std::shared_ptr<State> state) : state_(std::move(state)) {}
  static void cancel_state(const std::shared_ptr<State>& s, ErrorClass why, const std::string& reason);

  std::shared_ptr<State> state_;
};

}  // namespace ferry::engine

// The run directory's lock: every command that appends to a run's journal (apply, resume,
// rollback) holds an exclusive flock(2) on DIR/lock while it reads and runs, so two of them
// never interleave events. The file (0600) says who holds it: "pid PID on HOST". The kernel
// drops the lock when the holder exits, even on kill -9, so a stale file locks nothing.
#pragma once

#include <memory>
#include <string>

namespace ferry::engine {

class RunLock {
 public:
  // The lock of run directory `dir`, or nullptr with *error naming the holder's pid and host.
  static std::unique_ptr<RunLock> acquire(const std::string& dir, std::string* error);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ferry::engine

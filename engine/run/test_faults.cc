#include "engine/run/test_faults.h"

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace ferry::engine {

void maybe_crash(const std::string& where) {
  static const char* spec = std::getenv("FERRY_TEST_CRASH");
  if (!spec || where != spec) return;
  if (where.ends_with(":during")) {
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      raise(SIGKILL);
    }).detach();
    return;
  }
  raise(SIGKILL);
}

Status maybe_fail(const std::string& id, Status s) {
  static const char* spec = std::getenv("FERRY_TEST_FAIL");
  if (!spec || id != spec || !s.ok()) return s;
  return Status::Failed("injected failure (FERRY_TEST_FAIL=" + id + ")");
}

}  // namespace ferry::engine

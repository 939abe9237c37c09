#include "engine/run/step.h"

namespace ferry::engine {

Status StepContext::sleep_for(Millis ms) {
  Millis until = clock->now() + ms;
  // Past the deadline the sleep ends there, timed out: with a virtual clock no watchdog would
  // notice in time, and with the real one this saves waking up just to be cancelled.
  if (deadline.count() > 0 && until >= deadline) {
    if (!clock->sleep_until(deadline, cancel)) return cancel.status();
    cancel.cancel(ErrorClass::kTimeout, "timed out");
    return cancel.status();
  }
  if (!clock->sleep_until(until, cancel)) return cancel.status();
  return Status::Ok();
}

}  // namespace ferry::engine

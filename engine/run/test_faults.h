// Test-only fault hooks, read from the environment, never set outside tests: they let the crash
// and e2e tests stop or fail a real ferry process exactly where they want.
#pragma once

#include <string>

#include "engine/base/status.h"

namespace ferry::engine {

// FERRY_TEST_CRASH="STEP:POINT" kills ferry with SIGKILL at that point of that step. POINT:
// before (step_started is journaled, nothing ran), during (300 ms into the attempt), after (the
// attempt returned, its outcome is not journaled), done (journaled); "undo:STEP:before|after"
// around a compensation; "scope:SCOPE:failed" (scope_failed and the skips it made are
// journaled, nothing is compensated) and "scope:SCOPE:compensated" (scope_compensated is).
void maybe_crash(const std::string& where);

// FERRY_TEST_FAIL="STEP" makes STEP's attempt fail for good once it has run (it took effect, as
// the worst real failure does), so the e2e tests can fail a migration at any step and check what
// the rollback leaves. Returns `s` otherwise.
Status maybe_fail(const std::string& id, Status s);

}  // namespace ferry::engine

// libFuzzer target for the saved-plan reader (engine/run/saved_plan.cc): what `apply FILE`,
// `resume` and `rollback` read, including the IR reader (dsl/ir_read.cc). Properties: no crash,
// no exception, no sanitizer report; a plan refused says why (a message, and damaged, too new
// or edited for its caller's advice); a plan read without error writes back as a saved plan
// with the same hash (what the run directory keeps).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/run/saved_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::engine;
  std::string error, hash;
  SavedPlanProblem problem;
  auto ir = parse_saved_plan(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json", &error, &hash,
                             &problem);
  if (!ir) {
    if (problem == SavedPlanProblem::kNone || problem == SavedPlanProblem::kUnreadable || error.empty()) {
      std::fprintf(stderr, "\n==== saved_plan_fuzz: a refused plan without its problem or message\n");
      __builtin_trap();
    }
    return 0;
  }
  SavedPlanText again = saved_plan_text(*ir, "fuzz.json");
  if (again.hash != hash) {
    std::fprintf(stderr, "\n==== saved_plan_fuzz: the plan read writes back with another hash\n");
    __builtin_trap();
  }
  return 0;
}

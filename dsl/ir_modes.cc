// The names of the IR's modes: what its JSON writes and reads, what plans write and what
// `--on-failure` takes. The one place they are spelled.
#include "dsl/ir.h"

namespace ferry::dsl {

std::string_view rollback_mode_name(RollbackMode mode) {
  switch (mode) {
    case RollbackMode::kAuto: return "auto";
    case RollbackMode::kNone: return "none";
    case RollbackMode::kSteps: return "steps";
  }
  return "none";
}

std::optional<RollbackMode> rollback_mode_from_name(std::string_view name) {
  for (RollbackMode mode : {RollbackMode::kAuto, RollbackMode::kNone, RollbackMode::kSteps}) {
    if (rollback_mode_name(mode) == name) return mode;
  }
  return std::nullopt;
}

std::string_view on_failure_name(OnFailure on_failure) {
  switch (on_failure) {
    case OnFailure::kInherit: return "";
    case OnFailure::kRollback: return "rollback";
    case OnFailure::kStop: return "stop";
  }
  return "";
}

std::optional<OnFailure> on_failure_from_name(std::string_view name) {
  for (OnFailure mode : {OnFailure::kInherit, OnFailure::kRollback, OnFailure::kStop}) {
    if (on_failure_name(mode) == name) return mode;
  }
  return std::nullopt;
}

}  // namespace ferry::dsl

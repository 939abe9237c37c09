#include "engine/base/status.h"

#include <array>
#include <utility>

namespace ferry::engine {
namespace {

constexpr std::array<std::pair<ErrorClass, std::string_view>, 12> kNames = {{
    {ErrorClass::kNone, "ok"},
    {ErrorClass::kTransient, "transient"},
    {ErrorClass::kTimeout, "timeout"},
    {ErrorClass::kConflict, "conflict"},
    {ErrorClass::kNotFound, "not_found"},
    {ErrorClass::kAlreadyExists, "already_exists"},
    {ErrorClass::kForbidden, "forbidden"},
    {ErrorClass::kUnauthorized, "unauthorized"},
    {ErrorClass::kInvalid, "invalid"},
    {ErrorClass::kLeaseHeld, "lease_held"},
    {ErrorClass::kCancelled, "cancelled"},
    {ErrorClass::kFailed, "failed"},
}};

}  // namespace

std::string_view error_class_name(ErrorClass c) {
  for (const auto& [cls, name] : kNames) {
    if (cls == c) return name;
  }
  return "failed";
}

std::optional<ErrorClass> error_class_from_name(std::string_view name) {
  for (const auto& [cls, n] : kNames) {
    if (n == name) return cls;
  }
  return std::nullopt;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(error_class_name(class_)) + ": " + message_;
}

}  // namespace ferry::engine

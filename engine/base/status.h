// The result of anything the engine does that can fail: ok, or an error with a class and a
// message (leveldb's Status, with classes instead of codes). Retry policies name the classes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::engine {

// The classes a plan's `retry { on = [...] }` may name, plus `cancelled` and `failed`.
enum class ErrorClass {
  kNone,           // ok
  kTransient,      // connection refused or reset, 429, 5xx, SlowDown: worth another attempt
  kTimeout,        // the step's or a request's deadline passed
  kConflict,       // 409 Conflict: a stale resourceVersion, a concurrent writer
  kNotFound,
  kAlreadyExists,
  kForbidden,
  kUnauthorized,
  kInvalid,        // the request is wrong: 422, a bad argument, a malformed answer
  kLeaseHeld,      // another run holds a Lease this one needs (or took over one this one held)
  kCancelled,      // Ctrl-C, SIGTERM, or the run was stopped
  kFailed,         // anything else: a command exited with an unaccepted status
};

// "not_found", ...: the names plans and the journal use.
std::string_view error_class_name(ErrorClass c);
std::optional<ErrorClass> error_class_from_name(std::string_view name);

class Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Error(ErrorClass c, std::string message) { return Status(c, std::move(message)); }
  static Status Transient(std::string m) { return Status(ErrorClass::kTransient, std::move(m)); }
  static Status Timeout(std::string m) { return Status(ErrorClass::kTimeout, std::move(m)); }
  static Status Conflict(std::string m) { return Status(ErrorClass::kConflict, std::move(m)); }
  static Status NotFound(std::string m) { return Status(ErrorClass::kNotFound, std::move(m)); }
  static Status Invalid(std::string m) { return Status(ErrorClass::kInvalid, std::move(m)); }
  static Status Cancelled(std::string m) { return Status(ErrorClass::kCancelled, std::move(m)); }
  static Status Failed(std::string m) { return Status(ErrorClass::kFailed, std::move(m)); }

  bool ok() const { return class_ == ErrorClass::kNone; }
  ErrorClass error_class() const { return class_; }
  const std::string& message() const { return message_; }
  // "ok", or "not_found: hostedclusters "x" not found".
  std::string ToString() const;

 private:
  Status(ErrorClass c, std::string m) : class_(c), message_(std::move(m)) {}
  ErrorClass class_ = ErrorClass::kNone;
  std::string message_;
};

}  // namespace ferry::engine

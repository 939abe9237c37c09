// The result of an AWS call: ok, or an error with a class (the same classes as the engine's
// ErrorClass, so steps map one to one), AWS's own code ("SlowDown", "NoSuchKey") and message.
#pragma once

#include <string>

namespace ferry::aws {

enum class AwsErrorKind {
  kNone,
  kTransient,     // 5xx, SlowDown, RequestTimeout, a reset or refused connection: retried
  kTimeout,
  kConflict,
  kNotFound,      // NoSuchKey, NoSuchBucket, NoSuchUpload, NoSuchHostedZone
  kForbidden,     // AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId
  kUnauthorized,
  kInvalid,       // any other 4xx, a malformed answer, a bad argument
  kCancelled,
  kFailed,
};

struct AwsError {
  AwsErrorKind kind = AwsErrorKind::kNone;
  std::string code;     // AWS's error code, or a transport error ("connection reset")
  std::string message;  // a sentence for a person (never a secret)
  long http_status = 0;
  std::string request_id;

  bool ok() const { return kind == AwsErrorKind::kNone; }
  bool retryable() const { return kind == AwsErrorKind::kTransient || kind == AwsErrorKind::kTimeout; }
  // "SignatureDoesNotMatch (HTTP 403): The request signature we calculated does not match ..."
  std::string text() const;

  static AwsError Ok() { return {}; }
  static AwsError Make(AwsErrorKind k, std::string code, std::string message) {
    AwsError e;
    e.kind = k;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
  }
};

const char* kind_name(AwsErrorKind k);  // "transient", "not_found", ...

// The error for an HTTP answer that is not 2xx: its XML <Error> body (S3) or <ErrorResponse>
// (Route53) parsed, classified by status and code. `body` may be empty (HEAD).
AwsError error_from_response(long http_status, const std::string& body, const std::string& request_id);

}  // namespace ferry::aws

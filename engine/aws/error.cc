#include "engine/aws/error.h"

#include "engine/aws/xml.h"

namespace ferry::aws {

const char* kind_name(AwsErrorKind k) {
  switch (k) {
    case AwsErrorKind::kNone: return "ok";
    case AwsErrorKind::kTransient: return "transient";
    case AwsErrorKind::kTimeout: return "timeout";
    case AwsErrorKind::kConflict: return "conflict";
    case AwsErrorKind::kNotFound: return "not_found";
    case AwsErrorKind::kForbidden: return "forbidden";
    case AwsErrorKind::kUnauthorized: return "unauthorized";
    case AwsErrorKind::kInvalid: return "invalid";
    case AwsErrorKind::kCancelled: return "cancelled";
    case AwsErrorKind::kFailed: return "failed";
  }
  return "failed";
}

std::string AwsError::text() const {
  std::string out = code.empty() ? std::string(kind_name(kind)) : code;
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  if (!request_id.empty()) out += " [request id " + request_id + "]";
  return out;
}

AwsError error_from_response(long status, const std::string& body, const std::string& request_id) {
  AwsError e;
  e.http_status = status;
  e.request_id = request_id;
  XmlNode root;
  std::string xml_error;
  if (!body.empty() && parse_xml(body, &root, &xml_error)) {
    // S3: <Error><Code/><Message/></Error>; Route53: <ErrorResponse><Error>...</Error></ErrorResponse>.
    const XmlNode* err = root.name == "Error" ? &root : root.child("Error");
    if (err != nullptr) {
      e.code = err->child_text("Code");
      e.message = err->child_text("Message");
      if (e.request_id.empty()) e.request_id = root.child_text("RequestId");
      if (e.request_id.empty()) e.request_id = err->child_text("RequestId");
    }
  }
  if (e.code.empty()) {
    // HEAD answers have no body: name the status as S3 would.
    switch (status) {
      case 400: e.code = "BadRequest"; break;
      case 403: e.code = "Forbidden"; break;
      case 404: e.code = "NotFound"; break;
      case 409: e.code = "Conflict"; break;
      case 503: e.code = "ServiceUnavailable"; break;
      default: e.code = status >= 500 ? "InternalError" : "HTTP" + std::to_string(status);
    }
  }
  if (status >= 500 || status == 429 || e.code == "SlowDown" || e.code == "RequestTimeout" ||
      e.code == "InternalError" || e.code == "ServiceUnavailable" || e.code == "Throttling" ||
      e.code == "ThrottlingException" || e.code == "PriorRequestNotComplete") {
    e.kind = AwsErrorKind::kTransient;
  } else if (status == 404 || e.code.rfind("NoSuch", 0) == 0) {
    e.kind = AwsErrorKind::kNotFound;
  } else if (status == 403) {
    e.kind = AwsErrorKind::kForbidden;
  } else if (status == 401) {
    e.kind = AwsErrorKind::kUnauthorized;
  } else if (status == 409) {
    e.kind = AwsErrorKind::kConflict;
  } else {
    e.kind = AwsErrorKind::kInvalid;
  }
  if (e.code == "SignatureDoesNotMatch") {
    e.message += " (check the secret access key for this access key id)";
  } else if (e.code == "RequestTimeTooSkewed") {
    e.message += " (the local clock is off; fix it with NTP)";
  }
  return e;
}

}  // namespace ferry::aws

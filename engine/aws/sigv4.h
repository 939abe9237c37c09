// AWS Signature Version 4, done here with OpenSSL rather than by libcurl (7.88's
// CURLOPT_AWS_SIGV4 signs unsorted query strings and `?uploads` wrongly). The signer is pure:
// a request and a time in, the canonical request, string to sign, signature and the headers or
// query parameters to add out, so every stage can be compared with the AWS test suite.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/aws/uri.h"

namespace ferry::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret: never logged
  std::string session_token;      // secret; empty when the credentials are long-term
};

using Headers = std::vector<std::pair<std::string, std::string>>;  // name, value; order kept

// What is signed. `path` is the path as it goes on the wire (percent-encoded, e.g. the S3 key
// through uri_encode(key, true)); `query` holds decoded parameters.
struct SignableRequest {
  std::string method;
  std::string path = "/";
  QueryParams query;
  Headers headers;  // must include "host"; every header given is signed
  // The hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
};

struct SigningConfig {
  std::string region;
  std::string service;
  int64_t unix_time = 0;  // the signing time, seconds since the epoch
  // S3's rules: the wire path is signed as it is. Every other service: the path is normalized
  // (dot segments, "//") and URI-encoded once more ("double-encoded").
  bool normalize_path = true;
  bool double_encode_path = true;
  // Header auth: add x-amz-content-sha256 with the payload hash (S3 requires it).
  bool add_content_sha256_header = false;
  // STS's odd case in the suite: the token is sent but not signed.
  bool omit_session_token_from_signature = false;
  // Presigned URLs: seconds the URL stays valid (1..604800).
  int64_t expires_seconds = 3600;
};

inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // hex; a secret in a presigned URL (it grants access)
  // Header auth: the headers to send besides the request's own (X-Amz-Date, X-Amz-Security-Token,
  // X-Amz-Content-Sha256, Authorization), in that order.
  Headers headers_to_add;
  // Query auth: the parameters to append to the request's own, in botocore's order, the
  // signature last.
  QueryParams query_to_add;
};

// "20150830T123600Z" for `unix_time`.
std::string amz_date(int64_t unix_time);
// The canonical path for `cfg` (see SigningConfig).
std::string canonical_path(const std::string& wire_path, const SigningConfig& cfg);

Signature sign_headers(const SignableRequest& req, const Credentials& creds, const SigningConfig& cfg);
Signature sign_query(const SignableRequest& req, const Credentials& creds, const SigningConfig& cfg);

// The query string of a presigned URL: the request's parameters then `sig.query_to_add`,
// each encoded as SigV4 encodes them.
std::string presigned_query_string(const QueryParams& request_query, const Signature& sig);

}  // namespace ferry::aws

// Where an S3 request goes: `s3://bucket/key` parsed, and the URL of a bucket or object for
// AWS itself (virtual-hosted: bucket.s3.REGION.amazonaws.com) or for an S3-compatible store
// at a custom endpoint (path-style: ENDPOINT/bucket/key).
#pragma once

#include <string>

namespace ferry::aws {

struct S3Location {
  std::string bucket;
  std::string key;  // may be empty (a bucket or a prefix)
};

// "s3://bucket/some/key" -> {bucket, "some/key"}; false with *error for anything else.
bool parse_s3_url(const std::string& text, S3Location* out, std::string* error);
std::string s3_url(const S3Location& loc);  // "s3://bucket/key"

struct S3Endpoint {
  std::string region = "us-east-1";
  std::string endpoint_url;  // "" for AWS; else "http://127.0.0.1:9000" (a path prefix is kept)
  bool path_style = false;   // forced on for a custom endpoint unless virtual_hosted is asked for
};

struct S3Target {
  std::string scheme;  // "https"
  std::string host;    // with ":port" when not the default
  std::string path;    // the wire path, percent-encoded: "/bucket/key" or "/key"
  std::string base() const { return scheme + "://" + host; }
};

// The target of `loc` (the key encoded once, '/' kept: S3 signs and serves it as sent).
// false with *error when the endpoint URL is malformed.
bool s3_target(const S3Endpoint& ep, const S3Location& loc, S3Target* out, std::string* error);

}  // namespace ferry::aws

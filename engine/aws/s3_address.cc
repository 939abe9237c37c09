#include "engine/aws/s3_address.h"

#include "engine/aws/uri.h"

namespace ferry::aws {
namespace {

// Virtual-hosted addressing needs a bucket name that is a valid DNS label sequence without
// dots (a dotted name breaks TLS wildcard matching); otherwise AWS clients use path-style.
bool dns_compatible(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

}  // namespace

bool parse_s3_url(const std::string& text, S3Location* out, std::string* error) {
  if (text.rfind("s3://", 0) != 0) {
    *error = "'" + text + "' is not an S3 URL (expected s3://BUCKET/KEY)";
    return false;
  }
  std::string rest = text.substr(5);
  size_t slash = rest.find('/');
  out->bucket = rest.substr(0, slash);
  out->key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (out->bucket.empty()) {
    *error = "'" + text + "' names no bucket (expected s3://BUCKET/KEY)";
    return false;
  }
  return true;
}

std::string s3_url(const S3Location& loc) { return "s3://" + loc.bucket + "/" + loc.key; }

bool s3_target(const S3Endpoint& ep, const S3Location& loc, S3Target* out, std::string* error) {
  // A bucket-level request (no key) goes to "/bucket" path-style, "/" virtual-hosted.
  const std::string key_path = loc.key.empty() ? "" : "/" + uri_encode(loc.key, /*keep_slash=*/true);
  if (!ep.endpoint_url.empty()) {
    Url url;
    if (!parse_url(ep.endpoint_url, &url, error)) {
      *error = "endpoint URL: " + *error;
      return false;
    }
    std::string prefix = url.path == "/" ? "" : url.path;
    if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    out->scheme = url.scheme;
    if (ep.path_style || loc.bucket.empty()) {
      out->host = url.host;
      out->path = prefix + "/" + loc.bucket + (loc.bucket.empty() ? "" : key_path);
    } else {
      out->host = loc.bucket + "." + url.host;
      out->path = prefix + (key_path.empty() ? "/" : key_path);
    }
    return true;
  }
  out->scheme = "https";
  // us-east-1 keeps the global name, as botocore does.
  std::string s3host = ep.region == "us-east-1" || ep.region.empty() ? "s3.amazonaws.com"
                                                                     : "s3." + ep.region + ".amazonaws.com";
  if (!ep.path_style && dns_compatible(loc.bucket)) {
    out->host = loc.bucket + "." + s3host;
    out->path = key_path.empty() ? "/" : key_path;
  } else {
    out->host = s3host;
    out->path = "/" + loc.bucket + key_path;
  }
  return true;
}

}  // namespace ferry::aws

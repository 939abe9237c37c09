// Presigned S3 URLs (SigV4 query auth): a GET for HyperShift's restoreSnapshotURL, a PUT or
// an UploadPart for a `curl` that must not see credentials.
#pragma once

#include <cstdint>
#include <string>

#include "engine/aws/s3_address.h"
#include "engine/aws/sigv4.h"

namespace ferry::aws {

inline constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;  // SigV4's limit: one week
// What today's HostedCluster accepts for spec.etcd.managed.storage.restoreSnapshotURL.
inline constexpr size_t kRestoreSnapshotUrlMax = 1024;

struct PresignRequest {
  std::string method = "GET";  // GET, PUT, HEAD
  S3Location location;
  int64_t expires_seconds = 3600;
  int64_t unix_time = 0;  // when it is signed; it is valid from then for expires_seconds
  QueryParams query;      // e.g. {{"partNumber","3"},{"uploadId",id}} for UploadPart
};

// The URL, or "" with *error (bad endpoint, expiry out of 1..604800 s). The URL's signature
// and any session token in it are secrets: the caller must taint the whole URL.
std::string presign_s3(const S3Endpoint& ep, const Credentials& creds, const PresignRequest& req,
                       std::string* error);

// S3's SigV4 settings: no path normalization, the path signed as it is sent.
SigningConfig s3_signing_config(const std::string& region, int64_t unix_time);

}  // namespace ferry::aws

// An S3 client: each call is one S3 operation, signed with SigV4 here, sent over libcurl, retried
// with backoff on transient failures (5xx, SlowDown, RequestTimeout, resets), and its XML error
// parsed into an AwsError. Safe to use from several threads at once (multipart parts do).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aws/credentials.h"
#include "engine/aws/error.h"
#include "engine/aws/http.h"
#include "engine/aws/s3_address.h"
#include "engine/aws/s3_presign.h"

namespace ferry::aws {

struct RetryPolicy {
  int max_attempts = 8;
  int64_t base_delay_ms = 100;   // the first retry waits up to this (full jitter), doubling
  int64_t max_delay_ms = 10000;
  // Sleeps `ms`; returns false if the wait was cancelled. Default: a real sleep.
  std::function<bool(int64_t ms)> sleep;
};

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string last_modified;
  std::string version_id;
  std::string checksum_sha256;  // base64, when S3 has one
};

struct CompletedPart {
  int number = 0;
  std::string etag;
  std::string checksum_sha256;  // base64
};

struct S3ClientOptions {
  AwsConfig config;
  RetryPolicy retry;
  HttpOptions http;  // ca_bundle is taken from config when empty here
  std::function<int64_t()> now;  // Unix seconds for signing; default: the system clock
  // A retried request, in a sentence (for the log); never holds a secret.
  std::function<void(const std::string&)> on_retry;
};

class S3Client {
 public:
  explicit S3Client(S3ClientOptions options);
  ~S3Client();

  const AwsConfig& config() const { return options_.config; }

  // One PUT. `sha256` is the body's raw SHA-256 (signed as the payload hash, so S3 rejects a
  // body that changed on the way, and stored as the object's checksum).
  AwsError put_object(const S3Location& loc, std::string_view body, const std::string& sha256, ObjectInfo* out,
                      const std::function<void(uint64_t)>& on_sent = nullptr);
  AwsError head_object(const S3Location& loc, ObjectInfo* out);
  // Writes the object to `path` (created 0600, truncated again if a retry restarts it).
  AwsError get_object(const S3Location& loc, const std::string& path, ObjectInfo* out);
  // Every object under `prefix` (all pages), at most `max_keys` when > 0; `page_size` asks
  // for pages of that many keys (S3's default is 1000).
  AwsError list_objects(const std::string& bucket, const std::string& prefix, std::vector<ObjectInfo>* out,
                        size_t max_keys = 0, size_t page_size = 0);

  AwsError create_multipart_upload(const S3Location& loc, std::string* upload_id);
  AwsError upload_part(const S3Location& loc, const std::string& upload_id, int part_number, std::string_view body,
                       const std::string& sha256, CompletedPart* out,
                       const std::function<void(uint64_t)>& on_sent = nullptr,
                       const std::atomic<bool>* abort = nullptr);
  AwsError complete_multipart_upload(const S3Location& loc, const std::string& upload_id,
                                     const std::vector<CompletedPart>& parts, ObjectInfo* out);
  AwsError abort_multipart_upload(const S3Location& loc, const std::string& upload_id);
  // Unfinished multipart uploads of keys starting with `prefix`: {key, upload id}. Stores
  // that do not implement it answer NotImplemented (kind invalid).
  AwsError list_multipart_uploads(const std::string& bucket, const std::string& prefix,
                                  std::vector<std::pair<std::string, std::string>>* out);

  // A presigned URL signed now. The URL is a secret.
  std::string presign(const std::string& method, const S3Location& loc, int64_t expires_seconds,
                      const QueryParams& query, std::string* error);

 private:
  struct Call {
    std::string method{};
    S3Location loc{};
    QueryParams query{};
    Headers headers{};
    std::string_view body{};
    std::string payload_hash{};  // hex
    std::function<bool(const char*, size_t)> on_body{};
    std::function<void()> before_attempt{};  // e.g. truncate the download file
    std::function<void(uint64_t)> on_sent{};
    const std::atomic<bool>* abort = nullptr;
  };
  // Signs and sends `call`, retrying per the policy. ok() only for a 2xx answer.
  AwsError send(const Call& call, HttpResponse* resp);
  std::unique_ptr<HttpClient> checkout();
  void checkin(std::unique_ptr<HttpClient> client);
  int64_t now() const;

  S3ClientOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpClient>> idle_;  // kept for connection reuse
};

// The delay before retry `attempt` (1-based) under `policy`: full jitter over an exponential
// ceiling, as AWS's SDKs do.
int64_t backoff_ms(const RetryPolicy& policy, int attempt);

}  // namespace ferry::aws

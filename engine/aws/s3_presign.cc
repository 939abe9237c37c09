#include "engine/aws/s3_presign.h"

namespace ferry::aws {

SigningConfig s3_signing_config(const std::string& region, int64_t unix_time) {
  SigningConfig cfg;
  cfg.region = region.empty() ? "us-east-1" : region;
  cfg.service = "s3";
  cfg.unix_time = unix_time;
  cfg.normalize_path = false;
  cfg.double_encode_path = false;
  cfg.add_content_sha256_header = true;
  return cfg;
}

std::string presign_s3(const S3Endpoint& ep, const Credentials& creds, const PresignRequest& req,
                       std::string* error) {
  if (req.expires_seconds < 1 || req.expires_seconds > kMaxPresignSeconds) {
    *error = "a presigned URL expires after 1 second to 7 days (604800 s); got " +
             std::to_string(req.expires_seconds) + " s";
    return "";
  }
  S3Target target;
  if (!s3_target(ep, req.location, &target, error)) return "";
  SignableRequest sreq;
  sreq.method = req.method;
  sreq.path = target.path;
  sreq.query = req.query;
  sreq.headers = {{"host", target.host}};
  sreq.payload_hash = kUnsignedPayload;
  SigningConfig cfg = s3_signing_config(ep.region, req.unix_time);
  cfg.expires_seconds = req.expires_seconds;
  Signature sig = sign_query(sreq, creds, cfg);
  return target.base() + target.path + "?" + presigned_query_string(req.query, sig);
}

}  // namespace ferry::aws

// `s3_check`: what a later `presign` for a HostedCluster's restoreSnapshotURL needs, checked
// before anything changes: the credentials resolve and are long-lived (a URL presigned with
// session credentials dies with the session, whatever `expires` says, and its
// X-Amz-Security-Token pushes it past 1024 characters), the bucket answers in the stated region
// (one ListObjectsV2 of at most one key), and a URL presigned for `url` fits in
// `max_url_length`. Nothing is written, and the URL it presigns to measure is never shown.
#include "engine/aws/s3_presign.h"
#include "engine/steps/aws_steps.h"

namespace ferry::engine {
namespace {

std::string url_arg(const StepContext& ctx) { return ctx.arg("url", "").get<std::string>(); }

std::vector<Action> render(const StepContext& ctx) {
  Action a;
  a.method = "GET";
  a.url = url_arg(ctx) + " (ListObjectsV2, max-keys 1)";
  a.note = "fails unless the credentials are long-lived, the bucket answers in its region, and a URL presigned for " +
           ctx.arg("expires", "1h").get<std::string>() + " is at most " +
           std::to_string(ctx.arg("max_url_length", 0).get<int64_t>()) + " characters (0: any length)";
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  aws::S3Location loc;
  std::string error;
  if (!aws::parse_s3_url(url_arg(ctx), &loc, &error) || loc.key.empty()) {
    r.status = Status::Invalid("url: " + (error.empty() ? "the URL names no key (s3://BUCKET/KEY)" : error));
    return r;
  }
  auto expires_ms = dsl::parse_duration(ctx.arg("expires", "1h").get<std::string>());
  if (!expires_ms || *expires_ms < 1000) {
    r.status = Status::Invalid("expires: expected a duration of at least 1s, like \"6h\"");
    return r;
  }
  aws::AwsConfig config;
  if (r.status = aws_step::resolve_config(ctx, &config); !r.status.ok()) return r;
  if (!config.credentials.session_token.empty()) {
    r.status = Status::Failed(
        "the AWS credentials (" + config.credentials_source +
        ") are temporary session credentials: a URL presigned with them stops working when the session ends, "
        "whatever `expires` says, and its X-Amz-Security-Token makes it too long for restoreSnapshotURL; presign "
        "with long-lived keys (a profile with aws_access_key_id and aws_secret_access_key, --aws-profile NAME)");
    return r;
  }
  aws::S3Client client(aws_step::s3_options(ctx, config));
  std::vector<aws::ObjectInfo> found;
  if (aws::AwsError e = client.list_objects(loc.bucket, loc.key, &found, 1, 1); !e.ok()) {
    r.status = aws_step::to_status(e, "reach bucket " + loc.bucket + " in region " + config.region);
    return r;
  }
  const int64_t max_length = ctx.arg("max_url_length", 0).get<int64_t>();
  if (max_length > 0) {
    std::string url = client.presign("GET", loc, *expires_ms / 1000, {}, &error);
    if (ctx.taint) ctx.taint(url);
    if (url.empty()) {
      r.status = Status::Invalid("presign " + aws::s3_url(loc) + ": " + error);
      return r;
    }
    if (static_cast<int64_t>(url.size()) > max_length) {
      r.status = Status::Failed("a URL presigned for " + aws::s3_url(loc) + " would be " + std::to_string(url.size()) +
                                " characters, over max_url_length " + std::to_string(max_length) +
                                " (a shorter bucket name or key, or long-lived credentials, make it shorter)");
      return r;
    }
  }
  ctx.log("s3 ok: " + loc.bucket + " answers in " + config.region + " with long-lived credentials from " +
          config.credentials_source);
  return r;
}

}  // namespace

StepImpl s3_check_step() {
  StepImpl impl;
  impl.type = "s3_check";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine

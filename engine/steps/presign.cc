// `presign`: a presigned S3 URL (GET for HyperShift's restoreSnapshotURL, or PUT). The URL grants
// access until it expires, so it is tainted: the executor keeps it out of the journal and every
// printed line. A GET URL is only made for an object that exists, so a missing snapshot fails
// here rather than in the restore.
#include <chrono>

#include "engine/aws/s3_presign.h"
#include "engine/steps/aws_steps.h"

namespace ferry::engine {
namespace {

std::vector<Action> render(const StepContext& ctx) {
  const std::string method = ctx.arg("method", "GET").get<std::string>();
  Action a;
  if (method == "GET") {
    a.method = "HEAD";
    a.url = ctx.arg("url", "").get<std::string>();
    a.note = "checks the object exists, then presigns a GET URL valid for " +
             ctx.arg("expires", "1h").get<std::string>() + " (the URL is a secret)";
  } else {
    a.note = "presigns a " + method + " URL for " + ctx.arg("url", "").get<std::string>() + " valid for " +
             ctx.arg("expires", "1h").get<std::string>() + " (the URL is a secret)";
  }
  return {a};
}

struct PresignArgs {
  aws::S3Location loc;
  std::string method;
  int64_t expires_seconds = 0;
};

Status args_of(const StepContext& ctx, PresignArgs* out) {
  std::string error;
  if (!aws::parse_s3_url(ctx.arg("url", "").get<std::string>(), &out->loc, &error) || out->loc.key.empty()) {
    return Status::Invalid("url: " + (error.empty() ? "the URL names no key (s3://BUCKET/KEY)" : error));
  }
  auto expires_ms = dsl::parse_duration(ctx.arg("expires", "1h").get<std::string>());
  if (!expires_ms || *expires_ms < 1000) return Status::Invalid("expires: expected a duration of at least 1s, like \"1h\"");
  out->expires_seconds = *expires_ms / 1000;
  out->method = ctx.arg("method", "GET").get<std::string>();
  return Status::Ok();
}

// The URL signed at `unix_time`, tainted: the same arguments, credentials and time sign the same URL.
Status sign(StepContext& ctx, const PresignArgs& a, const aws::AwsConfig& config, int64_t unix_time, std::string* url) {
  aws::PresignRequest req;
  req.method = a.method;
  req.location = a.loc;
  req.expires_seconds = a.expires_seconds;
  req.unix_time = unix_time;
  std::string error;
  *url = aws::presign_s3(config.s3, config.credentials, req, &error);
  if (url->empty()) return Status::Invalid("presign " + aws::s3_url(a.loc) + ": " + error);
  if (ctx.taint) ctx.taint(*url);
  return Status::Ok();
}

StepResult run(StepContext& ctx) {
  StepResult r;
  PresignArgs a;
  if (r.status = args_of(ctx, &a); !r.status.ok()) return r;
  aws::AwsConfig config;
  if (r.status = aws_step::resolve_config(ctx, &config); !r.status.ok()) return r;
  if (a.method == "GET") {
    aws::S3Client client(aws_step::s3_options(ctx, config));
    aws::ObjectInfo info;
    aws::AwsError e = client.head_object(a.loc, &info);
    if (!e.ok()) {
      r.status = aws_step::to_status(e, "presign " + aws::s3_url(a.loc));
      return r;
    }
  }
  // Signatures carry the wall-clock time the server checks.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::string url;
  if (r.status = sign(ctx, a, config, now, &url); !r.status.ok()) return r;
  if (const int64_t max = ctx.arg("max_length", 0).get<int64_t>(); max > 0 && static_cast<int64_t>(url.size()) > max) {
    r.status = Status::Failed("the presigned URL for " + aws::s3_url(a.loc) + " is " + std::to_string(url.size()) +
                              " characters, over max_length " + std::to_string(max) +
                              (config.credentials.session_token.empty()
                                   ? std::string()
                                   : " (the session token makes it long: presign with long-lived credentials)"));
    return r;
  }
  if (url.size() > aws::kRestoreSnapshotUrlMax) {
    ctx.log("warning: the presigned URL for " + aws::s3_url(a.loc) + " is " + std::to_string(url.size()) +
            " characters; a HostedCluster's restoreSnapshotURL takes at most 1024" +
            (config.credentials.session_token.empty() ? "" : " (the session token makes it long: presign with "
                                                             "long-term credentials)"));
  }
  r.outputs = {{"url", url}, {"signed_at", now}};
  return r;
}

// An earlier process made the URL (and a cluster may hold it now): sign it again at the same
// time, to know it. Credentials rotated since sign another; the redactor's URL patterns still
// catch its signature.
Status retaint(StepContext& ctx, const json& outputs) {
  if (!outputs.contains("signed_at") || !outputs["signed_at"].is_number_integer()) return Status::Ok();
  PresignArgs a;
  if (Status s = args_of(ctx, &a); !s.ok()) return s;
  aws::AwsConfig config;
  if (Status s = aws_step::resolve_config(ctx, &config); !s.ok()) return s;
  std::string url;
  return sign(ctx, a, config, outputs["signed_at"].get<int64_t>(), &url);
}

}  // namespace

StepImpl presign_step() {
  StepImpl impl;
  impl.type = "presign";
  impl.render = render;
  impl.run = run;
  impl.preflight = aws_step::preflight;
  impl.retaint = retaint;
  return impl;
}

}  // namespace ferry::engine

// `presign`: a presigned S3 URL (GET for HyperShift's restoreSnapshotURL, or PUT). The URL grants
// access until it expires, so it is tainted: the executor keeps it out of the journal and every
// printed line. A GET URL is only made for an object that exists, so a missing snapshot fails
// here rather than in the restore.
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

StepResult run(StepContext& ctx) {
  StepResult r;
  aws::S3Location loc;
  std::string error;
  if (!aws::parse_s3_url(ctx.arg("url", "").get<std::string>(), &loc, &error) || loc.key.empty()) {
    r.status = Status::Invalid("url: " + (error.empty() ? "the URL names no key (s3://BUCKET/KEY)" : error));
    return r;
  }
  auto expires_ms = dsl::parse_duration(ctx.arg("expires", "1h").get<std::string>());
  if (!expires_ms || *expires_ms < 1000) {
    r.status = Status::Invalid("expires: expected a duration of at least 1s, like \"1h\"");
    return r;
  }
  const std::string method = ctx.arg("method", "GET").get<std::string>();
  aws::AwsConfig config;
  if (r.status = aws_step::resolve_config(ctx, &config); !r.status.ok()) return r;
  aws::S3Client client(aws_step::s3_options(ctx, config));
  if (method == "GET") {
    aws::ObjectInfo info;
    aws::AwsError e = client.head_object(loc, &info);
    if (!e.ok()) {
      r.status = aws_step::to_status(e, "presign " + aws::s3_url(loc));
      return r;
    }
  }
  std::string url = client.presign(method, loc, *expires_ms / 1000, {}, &error);
  if (url.empty()) {
    r.status = Status::Invalid("presign " + aws::s3_url(loc) + ": " + error);
    return r;
  }
  if (ctx.taint) ctx.taint(url);
  if (url.size() > aws::kRestoreSnapshotUrlMax) {
    ctx.log("warning: the presigned URL for " + aws::s3_url(loc) + " is " + std::to_string(url.size()) +
            " characters; a HostedCluster's restoreSnapshotURL takes at most 1024" +
            (config.credentials.session_token.empty() ? "" : " (the session token makes it long: presign with "
                                                             "long-term credentials)"));
  }
  r.outputs = {{"url", url}};
  return r;
}

}  // namespace

StepImpl presign_step() {
  StepImpl impl;
  impl.type = "presign";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine

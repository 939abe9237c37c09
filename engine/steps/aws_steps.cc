#include "engine/steps/aws_steps.h"

#include <chrono>
#include <utility>

namespace ferry::engine::aws_step {

Status resolve_config(StepContext& ctx, aws::AwsConfig* out) {
  aws::AwsSettings s = ctx.services ? ctx.services->aws : aws::AwsSettings{};
  // A step's own fields win over the run's settings.
  if (std::string v = ctx.arg("profile", "").get<std::string>(); !v.empty()) s.profile = v;
  if (std::string v = ctx.arg("region", "").get<std::string>(); !v.empty()) s.region = v;
  if (std::string v = ctx.arg("endpoint", "").get<std::string>(); !v.empty()) s.endpoint_url = v;
  aws::EnvLookup env = ctx.services && ctx.services->aws_env ? ctx.services->aws_env : aws::process_env();
  std::string error;
  if (!aws::resolve_aws_config(s, env, out, &error)) return Status::Error(ErrorClass::kUnauthorized, error);
  if (ctx.taint) {
    ctx.taint(out->credentials.secret_access_key);
    ctx.taint(out->credentials.session_token);
  }
  return Status::Ok();
}

Status preflight(StepContext& ctx) {
  aws::AwsConfig config;
  return resolve_config(ctx, &config);
}

namespace {

// AWS error kinds and engine error classes: the same classes, one to one.
constexpr std::pair<aws::AwsErrorKind, ErrorClass> kTable[] = {
    {aws::AwsErrorKind::kTransient, ErrorClass::kTransient},
    {aws::AwsErrorKind::kTimeout, ErrorClass::kTimeout},
    {aws::AwsErrorKind::kConflict, ErrorClass::kConflict},
    {aws::AwsErrorKind::kNotFound, ErrorClass::kNotFound},
    {aws::AwsErrorKind::kForbidden, ErrorClass::kForbidden},
    {aws::AwsErrorKind::kUnauthorized, ErrorClass::kUnauthorized},
    {aws::AwsErrorKind::kInvalid, ErrorClass::kInvalid},
    {aws::AwsErrorKind::kCancelled, ErrorClass::kCancelled},
    {aws::AwsErrorKind::kFailed, ErrorClass::kFailed},
};

}  // namespace

Status to_status(const aws::AwsError& e, const std::string& what) {
  if (e.ok()) return Status::Ok();
  ErrorClass c = ErrorClass::kFailed;
  for (const auto& [kind, cls] : kTable) {
    if (kind == e.kind) c = cls;
  }
  return Status::Error(c, what + ": " + e.text());
}

aws::AwsErrorKind to_aws_kind(ErrorClass c) {
  if (c == ErrorClass::kNone) return aws::AwsErrorKind::kNone;
  for (const auto& [kind, cls] : kTable) {
    if (cls == c) return kind;
  }
  return aws::AwsErrorKind::kFailed;  // already_exists has no AWS kind of its own
}

aws::RetryPolicy retry_policy(StepContext& ctx) {
  aws::RetryPolicy p;
  Clock* clock = ctx.clock ? ctx.clock : &real_clock();
  CancelToken token = ctx.cancel;
  p.sleep = [clock, token](int64_t ms) { return clock->sleep_until(clock->now() + Millis(ms), token); };
  return p;
}

aws::S3ClientOptions s3_options(StepContext& ctx, const aws::AwsConfig& config) {
  aws::S3ClientOptions o;
  o.config = config;
  o.retry = retry_policy(ctx);
  // Signatures carry the wall-clock time the server checks, whatever clock the run sleeps on.
  auto log = ctx.log;
  if (log) o.on_retry = [log](const std::string& line) { log(line); };
  return o;
}

CancelFlag::CancelFlag(const CancelToken& token) : token_(token) {
  watcher_ = std::thread([this] {
    while (!done_.load()) {
      if (token_.wait_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(100))) {
        flag_ = true;
        return;
      }
    }
  });
}

CancelFlag::~CancelFlag() {
  done_ = true;
  watcher_.join();
}

}  // namespace ferry::engine::aws_step

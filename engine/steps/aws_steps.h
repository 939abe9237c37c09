// Step types over the AWS backend (engine/aws): `upload`, `presign`, `dns_wait`, `s3_check`, and what they
// share: settings from the run and the step, credentials tainted as secrets, AWS errors as the
// engine's error classes, retries that sleep on the run's clock and stop on its cancel token.
#pragma once

#include <atomic>
#include <thread>

#include "engine/aws/credentials.h"
#include "engine/aws/error.h"
#include "engine/aws/s3_client.h"
#include "engine/run/step.h"
#include "engine/steps/services.h"

namespace ferry::engine {

StepImpl upload_step();    // upload.cc
StepImpl presign_step();   // presign.cc
StepImpl dns_wait_step();  // dns_wait.cc
StepImpl s3_check_step();  // s3_check.cc

namespace aws_step {

// The run's AWS settings (Services::aws) with the step's `profile`, `region` and `endpoint`
// on top, resolved to credentials; the secret key and session token are tainted at once.
Status resolve_config(StepContext& ctx, aws::AwsConfig* out);
// The preflight of every AWS step: its credentials resolve (resolve_config), before the run's
// first step rather than when it is reached.
Status preflight(StepContext& ctx);
// The engine's status for an AWS error, with `what` ("upload to s3://b/k") in front.
Status to_status(const aws::AwsError& e, const std::string& what);
// The AWS error kind of an engine error class (a kube call inside an AWS operation).
aws::AwsErrorKind to_aws_kind(ErrorClass c);
// Retries that sleep on the step's clock and give up when its token is cancelled.
aws::RetryPolicy retry_policy(StepContext& ctx);
// S3 client options for this step: config, retries on the run's clock, each retry logged.
// (Signing uses the wall clock: the server checks it.)
aws::S3ClientOptions s3_options(StepContext& ctx, const aws::AwsConfig& config);

// Turns the step's CancelToken into the flag the AWS code polls, while it lives.
class CancelFlag {
 public:
  explicit CancelFlag(const CancelToken& token);
  ~CancelFlag();
  const std::atomic<bool>* get() const { return &flag_; }

 private:
  CancelToken token_;
  std::atomic<bool> flag_{false};
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace aws_step
}  // namespace ferry::engine

// `upload` of a file in a pod, the two ways the issue of credentials allows: none enter the pod.
//
//   stream  `kubectl exec POD -- cat PATH` and ferry uploads stdout as it comes (multipart, parts
//           in flight, SHA-256 on the way). The pod needs only `cat`; the bytes cross the API
//           server once.
//   in-pod  ferry creates the multipart upload and presigns one UploadPart URL per part; `curl`
//           in the pod sends each part (aws/in_pod_upload.h). The bytes go from the pod straight
//           to S3, as the published procedure's own `curl` does.
//
// Either way the size comes from `stat` in the pod first, so a missing pod or file fails before
// anything is created in S3; a file whose size changes while it is read is not completed.
#include <cctype>

#include "engine/aws/in_pod_upload.h"
#include "engine/steps/kube_steps.h"
#include "engine/steps/upload_job.h"

namespace ferry::engine::upload_modes {
namespace {

using kube_step::kubectl_for;
using kube_step::pod_exec_args;
using kube_step::str;

std::string in_pod(const StepContext& ctx) { return "pod " + str(ctx, "pod") + kubectl_for(ctx).where(); }

// The file's size in bytes, from `stat` in the pod.
Status pod_file_size(const UploadJob& job, uint64_t* size) {
  const std::string what = "stat " + job.path + " in " + in_pod(job.ctx);
  kube::CallResult c = kubectl_for(job.ctx).run(pod_exec_args(job.ctx, {"stat", "-c", "%s", job.path}), job.ctx.cancel, what);
  if (!c.status.ok()) return c.status;
  std::string digits;
  for (char ch : c.out) {
    if (std::isdigit(static_cast<unsigned char>(ch))) digits.push_back(ch);
    else if (!digits.empty()) break;
  }
  if (digits.empty() || digits.size() > 18) {
    return Status::Invalid(what + ": stat printed no size: " + c.out.substr(0, 200));
  }
  *size = std::stoull(digits);
  return Status::Ok();
}

}  // namespace

Status upload_streamed(const UploadJob& job, aws::UploadResult* out) {
  uint64_t size = 0;
  if (Status s = pod_file_size(job, &size); !s.ok()) return s;
  const kube::Kubectl k = kubectl_for(job.ctx);
  const std::vector<std::string> argv = k.argv(pod_exec_args(job.ctx, {"cat", job.path}));
  job.ctx.log("streaming " + job.path + " (" + std::to_string(size) + " bytes) out of " + in_pod(job.ctx) + " to " +
              aws::s3_url(job.to));
  aws::AwsError e = aws::upload_command_output(job.client, job.to, argv, size, job.upload_options(), out);
  return aws_step::to_status(e, "upload of " + job.path + " in " + in_pod(job.ctx) + " to " + aws::s3_url(job.to));
}

Status upload_from_pod(const UploadJob& job, aws::UploadResult* out) {
  // Each part's exec carries a presigned URL in its argv: these calls are not logged one by one
  // (a 8 GiB snapshot is a thousand parts); progress lines say how it goes.
  kube::Kubectl quiet(kubectl_for(job.ctx).target());
  StepContext& ctx = job.ctx;
  aws::PodExec exec = [&](const std::vector<std::string>& command, std::string* stdout_text) {
    const std::string what = command.front() + " in " + in_pod(ctx);
    kube::CallResult c = quiet.run(pod_exec_args(ctx, command), ctx.cancel, what);
    *stdout_text = c.out;
    if (c.status.ok()) return aws::AwsError::Ok();
    return aws::AwsError::Make(aws_step::to_aws_kind(c.status.error_class()), "PodExec", c.status.message());
  };
  aws::InPodOptions o;
  o.part_size = job.part_size;
  o.parallelism = job.parallelism;
  o.cancel = job.cancel;
  o.on_presigned = [&ctx](const std::string& url) {
    if (ctx.taint) ctx.taint(url);
  };
  o.on_multipart_created = [&job](const std::string& id) { job.record_upload_id(id); };
  o.on_progress = job.progress_logger();
  uint64_t size = 0;
  if (Status s = pod_file_size(job, &size); !s.ok()) return s;
  ctx.log("sending " + job.path + " (" + std::to_string(size) + " bytes) from " + in_pod(ctx) + " to " +
          aws::s3_url(job.to) + " with curl in the pod, " + std::to_string(job.parallelism) + " parts at once");
  aws::AwsError e = aws::upload_in_pod(job.client, job.to, job.path, exec, o, out);
  return aws_step::to_status(e, "upload of " + job.path + " in " + in_pod(ctx) + " to " + aws::s3_url(job.to));
}

std::vector<Action> render_from_pod(const StepContext& ctx, const std::string& path, const std::string& to) {
  const kube::Kubectl k = kubectl_for(ctx);
  std::vector<Action> actions = {k.action(pod_exec_args(ctx, {"stat", "-c", "%s", path}))};
  const std::string parts = std::to_string(ctx.arg("parallelism", 4).get<int>()) + " parts in flight";
  if (str(ctx, "mode") == "in-pod") {
    actions.push_back(k.action(pod_exec_args(ctx, {"sha256sum", path})));
    Action create;
    create.method = "POST";
    create.url = to + "?uploads";
    create.note = "CreateMultipartUpload";
    Action part = k.action(pod_exec_args(ctx, {"sh", "-c", aws::in_pod_part_script(), "sh", path, "<part>",
                                           "<MiB to skip>", "<MiB to send>", "<presigned UploadPart URL>"}));
    part.note = "once per part, " + parts + "; each part's MD5 checked against its ETag";
    Action complete;
    complete.method = "POST";
    complete.url = to + "?uploadId=<id>";
    complete.note = "CompleteMultipartUpload; aborted instead if a part fails";
    actions.insert(actions.end(), {create, part, complete});
    return actions;
  }
  Action cat = k.action(pod_exec_args(ctx, {"cat", path}));
  cat.note = "stdout uploaded to " + to + " as it comes: a multipart upload with " + parts +
             ", SHA-256 per part and for the whole object";
  actions.push_back(cat);
  return actions;
}

}  // namespace ferry::engine::upload_modes

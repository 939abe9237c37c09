// One run of the `upload` step, shared by its three ways of reading the file: a local file
// (upload.cc), a pod's file streamed out through `kubectl exec` and a pod's file sent by `curl`
// in the pod to presigned URLs (upload_pod.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/aws/upload.h"
#include "engine/steps/aws_steps.h"

namespace ferry::engine::upload_modes {

struct UploadJob {
  StepContext& ctx;
  aws::S3Client& client;
  aws::S3Location to;
  std::string path;        // the file; in the pod when `pod` is set
  uint64_t part_size = 0;
  int parallelism = 0;
  std::string marker;      // where the id of a multipart upload in flight is kept ("" for none)
  const std::atomic<bool>* cancel = nullptr;

  // Keeps `upload_id` in the run directory until the upload completes or is aborted, so a
  // re-run after a crash can abort it.
  void record_upload_id(const std::string& upload_id) const;
  // Options for aws::upload from this job (the callbacks refer to it: it must outlive the upload).
  aws::UploadOptions upload_options() const;
  // Bytes sent, total and rate: to the live status line (ctx.progress) at every report, to the
  // log every 10 s.
  std::function<void(const aws::UploadProgress&)> progress_logger() const;
};

// "stream" or "in-pod": the file is in `pod`.
Status upload_streamed(const UploadJob& job, aws::UploadResult* out);
Status upload_from_pod(const UploadJob& job, aws::UploadResult* out);
std::vector<Action> render_from_pod(const StepContext& ctx, const std::string& path, const std::string& to);

}  // namespace ferry::engine::upload_modes

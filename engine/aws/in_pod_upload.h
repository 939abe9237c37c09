// The `in-pod` upload mode: the file stays in the pod and no credentials enter it. ferry creates
// the multipart upload and presigns one UploadPart URL per part; `curl` inside the pod sends
// each part (cut out with `dd`); ferry completes the upload with the ETags curl saw. The pod's
// own `sha256sum` gives the object's SHA-256, and each part's MD5 (from `md5sum` in the pod) is
// checked against the ETag S3 answered.
//
// The pod is reached through a callback, so this file knows nothing of Kubernetes: the kube
// backend's exec (or, in tests, a local shell) runs the argv.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/aws/s3_client.h"
#include "engine/aws/upload.h"

namespace ferry::aws {

// Runs `argv` in the pod and returns its stdout; an error when it cannot run or exits non-zero.
// The argv holds presigned URLs: the callback must treat it as secret (never log it unredacted).
using PodExec = std::function<AwsError(const std::vector<std::string>& argv, std::string* out)>;

struct InPodOptions {
  uint64_t part_size = kDefaultPartSize;  // rounded up to whole MiB (dd counts MiB blocks)
  int parallelism = 4;                    // execs in flight
  int64_t url_expires_seconds = 3600;     // each part's URL; a part that takes longer fails
  int max_attempts = 4;                   // per part (a fresh URL each time)
  // Every presigned URL made, before it is used: the caller taints it.
  std::function<void(const std::string& url)> on_presigned;
  std::function<void(const std::string& upload_id)> on_multipart_created;
  // After each part S3 acknowledged; never called concurrently.
  std::function<void(const UploadProgress&)> on_progress;
  const std::atomic<bool>* cancel = nullptr;
};

// The `sh -c` script run in the pod for each part, with the file, the part number, the MiB to skip,
// the MiB to send and the presigned URL as $1..$5 (for the dry run to show).
const char* in_pod_part_script();

// Uploads `pod_path` (a file in the pod) to `to`. out->sha256_hex is the pod's sha256sum.
AwsError upload_in_pod(S3Client& client, const S3Location& to, const std::string& pod_path, const PodExec& exec,
                       const InPodOptions& options, UploadResult* out);

}  // namespace ferry::aws

// Uploading a stream of bytes to S3: one PUT when it fits in a part, else a multipart upload
// with a bounded number of parts in flight. Memory stays at part size x (parts in flight + 1)
// whatever the size; the whole object's SHA-256 is computed while parts are on the wire, and
// each part carries its own SHA-256 (the signed payload hash and x-amz-checksum-sha256), so S3
// rejects a part that changed on the way. A failure aborts the multipart upload.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/aws/s3_client.h"

namespace ferry::aws {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kMinPartSize = 5 * kMiB;               // S3: every part but the last
inline constexpr uint64_t kMaxPartSize = 5ull * 1024 * kMiB;     // S3: 5 GiB
inline constexpr int kMaxParts = 10000;                          // S3
inline constexpr uint64_t kDefaultPartSize = 8 * kMiB;

// Bytes read in order: a local file, or a pipe (a pod's `cat` through the kube backend).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to n bytes; 0 at the end; -1 with *error on failure.
  virtual ssize_t read(char* buf, size_t n, std::string* error) = 0;
  // The total, when known before reading (a file); chooses the part size.
  virtual std::optional<uint64_t> size() const = 0;
};

// nullptr with *error ("cannot open PATH: No such file or directory") on failure.
std::unique_ptr<ByteSource> open_file_source(const std::string& path, std::string* error);
// Reads `fd` (a pipe) to its end; takes ownership of fd.
std::unique_ptr<ByteSource> fd_source(int fd, std::optional<uint64_t> size = std::nullopt);

struct UploadProgress {
  uint64_t bytes_sent = 0;   // acknowledged parts plus bytes of parts still on the wire
  uint64_t total = 0;        // 0 when unknown
  double bytes_per_second = 0;
};

struct UploadOptions {
  uint64_t part_size = kDefaultPartSize;  // raised to fit 10,000 parts, at least 5 MiB
  int parallelism = 4;                    // parts in flight
  // Called at most every 200 ms, from any thread, never concurrently.
  std::function<void(const UploadProgress&)> on_progress;
  const std::atomic<bool>* cancel = nullptr;  // set: stop, abort the multipart upload
  // Called with the id right after CreateMultipartUpload, so a crash leaves a record of it
  // (a re-run aborts the dangling upload).
  std::function<void(const std::string& upload_id)> on_multipart_created;
};

struct UploadResult {
  S3Location location;
  uint64_t size = 0;
  std::string sha256_hex;  // of the whole object
  std::string etag;
  std::string version_id;
  int parts = 0;  // 0: a single PUT
};

// The part size for an object of `size` bytes (or unknown): `requested`, at least 5 MiB,
// raised to a whole MiB so the object fits in 10,000 parts.
uint64_t choose_part_size(std::optional<uint64_t> size, uint64_t requested);

AwsError upload(S3Client& client, const S3Location& to, ByteSource& source, const UploadOptions& options,
                UploadResult* out);

}  // namespace ferry::aws

namespace ferry::aws {

// The `stream` mode: runs `argv` (e.g. `kubectl exec -n NS POD -- cat PATH`) and uploads what it
// writes to stdout, in parts as it comes. The command's exit status is checked before the upload
// is completed: a command that fails midway aborts the upload even if its output ended cleanly.
// `size` (when known, e.g. from `stat` in the pod) chooses the part size.
AwsError upload_command_output(S3Client& client, const S3Location& to, const std::vector<std::string>& argv,
                               std::optional<uint64_t> size, const UploadOptions& options, UploadResult* out);

}  // namespace ferry::aws

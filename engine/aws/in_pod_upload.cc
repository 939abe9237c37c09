#include "engine/aws/in_pod_upload.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace ferry::aws {
namespace {

// The per-part script, run by `sh -c` in the pod with the values as positional parameters (no
// quoting of paths or URLs into the script). It cuts the part out next to the file, prints its
// MD5, PUTs it with curl (Content-Length known, no form content type) and prints the answer's
// headers; the part file is removed whatever happens.
constexpr const char* kPartScript =
    "set -e; p=\"$1.ferry-part-$2\"; trap 'rm -f \"$p\"' EXIT; "
    "dd if=\"$1\" of=\"$p\" bs=1048576 skip=\"$3\" count=\"$4\" status=none; "
    "md5sum \"$p\" | cut -c1-32; "
    "curl -sS -f -D - -o /dev/null -H 'Content-Type:' -T \"$p\" \"$5\"";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The ETag header of curl's dumped response headers, without quotes.
std::string etag_of(const std::string& headers) {
  size_t pos = 0;
  std::string etag;
  while (pos < headers.size()) {
    size_t nl = headers.find('\n', pos);
    std::string line = headers.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? headers.size() : nl + 1;
    if (line.size() > 5 && strncasecmp(line.c_str(), "etag:", 5) == 0) etag = trim(line.substr(5));
  }
  if (etag.size() >= 2 && etag.front() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool is_md5_hex(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

const char* in_pod_part_script() { return kPartScript; }

AwsError upload_in_pod(S3Client& client, const S3Location& to, const std::string& pod_path, const PodExec& exec,
                       const InPodOptions& options, UploadResult* out) {
  *out = UploadResult{};
  out->location = to;
  std::string text;
  AwsError e = exec({"stat", "-c", "%s", pod_path}, &text);
  if (!e.ok()) return e;
  const uint64_t size = std::strtoull(trim(text).c_str(), nullptr, 10);
  e = exec({"sha256sum", pod_path}, &text);
  if (!e.ok()) return e;
  out->sha256_hex = trim(text).substr(0, 64);
  out->size = size;

  uint64_t part_size = choose_part_size(size, options.part_size);
  part_size = (part_size + kMiB - 1) / kMiB * kMiB;
  const int parts = size == 0 ? 1 : static_cast<int>((size + part_size - 1) / part_size);
  const uint64_t mib_per_part = part_size / kMiB;

  std::string upload_id;
  e = client.create_multipart_upload(to, &upload_id);
  if (!e.ok()) return e;
  if (options.on_multipart_created) options.on_multipart_created(upload_id);

  std::mutex mu;
  int next = 1;
  UploadProgress progress;
  progress.total = size;
  const auto started = std::chrono::steady_clock::now();
  auto part_done = [&](int n) {
    std::lock_guard lock(mu);
    progress.bytes_sent += std::min<uint64_t>(part_size, size - static_cast<uint64_t>(n - 1) * part_size);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.bytes_per_second = seconds > 0 ? static_cast<double>(progress.bytes_sent) / seconds : 0;
    if (options.on_progress) options.on_progress(progress);
  };
  AwsError first_error;
  std::vector<CompletedPart> done(static_cast<size_t>(parts));
  auto failed = [&] {
    std::lock_guard lock(mu);
    return !first_error.ok() || (options.cancel && options.cancel->load());
  };
  auto fail = [&](AwsError err) {
    std::lock_guard lock(mu);
    if (first_error.ok()) first_error = std::move(err);
  };
  auto work = [&] {
    for (;;) {
      int n;
      {
        std::lock_guard lock(mu);
        if (next > parts || !first_error.ok()) return;
        n = next++;
      }
      AwsError last;
      for (int attempt = 1; attempt <= options.max_attempts && !failed(); ++attempt) {
        std::string error;
        std::string url = client.presign("PUT", to, options.url_expires_seconds,
                                         {{"partNumber", std::to_string(n)}, {"uploadId", upload_id}}, &error);
        if (url.empty()) {
          last = AwsError::Make(AwsErrorKind::kInvalid, "Presign", error);
          break;
        }
        if (options.on_presigned) options.on_presigned(url);
        std::string answer;
        last = exec({"sh", "-c", kPartScript, "sh", pod_path, std::to_string(n),
                     std::to_string(static_cast<uint64_t>(n - 1) * mib_per_part), std::to_string(mib_per_part), url},
                    &answer);
        // curl -f failed (a 5xx, a reset): a fresh URL, again. Not when the pod or the file is
        // gone, or access is refused: another try would only say so again.
        if (!last.ok() && (last.kind == AwsErrorKind::kNotFound || last.kind == AwsErrorKind::kForbidden ||
                           last.kind == AwsErrorKind::kUnauthorized || last.kind == AwsErrorKind::kCancelled)) {
          break;
        }
        if (!last.ok()) continue;
        std::string md5 = trim(answer.substr(0, answer.find('\n')));
        std::string etag = etag_of(answer);
        if (etag.empty()) {
          last = AwsError::Make(AwsErrorKind::kInvalid, "MalformedResponse", "no ETag in the answer to part " +
                                                                                 std::to_string(n));
          continue;
        }
        // A plain (unencrypted or SSE-S3) part's ETag is its MD5: compare with the pod's.
        if (is_md5_hex(etag) && is_md5_hex(md5) && etag != md5) {
          last = AwsError::Make(AwsErrorKind::kTransient, "PartChecksumMismatch",
                                "part " + std::to_string(n) + ": S3 has MD5 " + etag + ", the pod sent " + md5);
          continue;
        }
        done[static_cast<size_t>(n - 1)] = CompletedPart{n, etag, ""};
        part_done(n);
        break;
      }
      if (done[static_cast<size_t>(n - 1)].number == 0) {
        if (last.ok()) last = AwsError::Make(AwsErrorKind::kCancelled, "Cancelled", "the upload was cancelled");
        last.message = "part " + std::to_string(n) + ": " + last.message;
        fail(last);
        return;
      }
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, std::min(options.parallelism, parts)); ++w) workers.emplace_back(work);
  for (auto& t : workers) t.join();

  if (first_error.ok() && options.cancel && options.cancel->load()) {
    first_error = AwsError::Make(AwsErrorKind::kCancelled, "Cancelled", "the upload was cancelled");
  }
  if (first_error.ok()) {
    // The parts were cut while the upload ran: a file that changed meanwhile is not completed.
    e = exec({"stat", "-c", "%s", pod_path}, &text);
    if (!e.ok()) {
      first_error = e;
    } else if (std::strtoull(trim(text).c_str(), nullptr, 10) != size) {
      first_error = AwsError::Make(AwsErrorKind::kFailed, "SizeChanged",
                                   pod_path + " had " + std::to_string(size) + " bytes when the upload started and " +
                                       trim(text) + " at its end: it changed while it was sent");
    }
  }
  if (!first_error.ok()) {
    AwsError a = client.abort_multipart_upload(to, upload_id);
    if (!a.ok()) first_error.message += " (and aborting upload " + upload_id + " failed: " + a.text() + ")";
    return first_error;
  }
  ObjectInfo info;
  e = client.complete_multipart_upload(to, upload_id, done, &info);
  if (!e.ok()) {
    client.abort_multipart_upload(to, upload_id);
    return e;
  }
  out->etag = info.etag;
  out->version_id = info.version_id;
  out->parts = parts;
  return AwsError::Ok();
}

}  // namespace ferry::aws

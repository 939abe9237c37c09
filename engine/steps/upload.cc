// `upload`: a local file to S3 (one PUT, or a multipart upload with parts in flight), the whole
// object's SHA-256 computed on the way and recorded as an output. Idempotent: a re-run puts the
// object again, and first aborts the multipart upload an interrupted attempt left behind (its
// id is kept in the run directory from the moment S3 hands it out).
//
// Not here yet: a file inside a pod (the `stream` and `in-pod` modes) needs the kube backend's
// exec and schema fields (`pod`, `namespace`, `mode`) the step type does not declare yet.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "engine/aws/upload.h"
#include "engine/steps/aws_steps.h"

namespace ferry::engine {
namespace {

// A local path: `from` as given, or the `path` output of the step it names.
std::string source_path(const StepContext& ctx) {
  json from = ctx.arg("from", "");
  if (from.is_object()) from = from.value("path", json(""));
  return from.is_string() ? from.get<std::string>() : "";
}

std::string marker_path(const StepContext& ctx) {
  if (ctx.run_dir.empty() || ctx.step == nullptr) return "";
  std::string id;
  for (char c : ctx.step->id) id.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  return ctx.run_dir + "/upload-" + id + ".multipart.json";
}

// Aborts the multipart upload a previous attempt recorded, if any.
void abort_dangling(StepContext& ctx, aws::S3Client& client, const std::string& marker) {
  std::ifstream in(marker);
  if (!in) return;
  json m = json::parse(in, nullptr, false);
  if (m.is_object() && m.contains("upload_id")) {
    aws::S3Location loc{m.value("bucket", ""), m.value("key", "")};
    std::string id = m["upload_id"];
    aws::AwsError e = client.abort_multipart_upload(loc, id);
    ctx.log(e.ok() ? "aborted multipart upload " + id + " of " + aws::s3_url(loc) + " left by an earlier attempt"
                   : "could not abort multipart upload " + id + " left by an earlier attempt: " + e.text());
  }
  std::remove(marker.c_str());
}

std::vector<Action> render(const StepContext& ctx) {
  Action a;
  a.method = "PUT";
  a.url = ctx.arg("to", "").get<std::string>();
  a.input = "the file " + source_path(ctx);
  const int64_t part = ctx.arg("part_size", 8 * 1024 * 1024).get<int64_t>();
  a.note = "one PUT up to " + std::to_string(part / (1024 * 1024)) + " MiB, else a multipart upload with " +
           std::to_string(ctx.arg("parallelism", 4).get<int>()) +
           " parts in flight; SHA-256 per part and for the whole object";
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  aws::S3Location to;
  std::string error;
  if (!aws::parse_s3_url(ctx.arg("to", "").get<std::string>(), &to, &error) || to.key.empty()) {
    r.status = Status::Invalid("to: " + (error.empty() ? "the URL names no key (s3://BUCKET/KEY)" : error));
    return r;
  }
  const std::string path = source_path(ctx);
  if (path.empty()) {
    r.status = Status::Invalid("from: expected a local file path (uploading from a pod is not built yet)");
    return r;
  }
  aws::AwsConfig config;
  if (r.status = aws_step::resolve_config(ctx, &config); !r.status.ok()) return r;
  aws::S3Client client(aws_step::s3_options(ctx, config));

  const std::string marker = marker_path(ctx);
  if (!marker.empty()) abort_dangling(ctx, client, marker);

  auto source = aws::open_file_source(path, &error);
  if (!source) {
    r.status = Status::NotFound("from: " + error);
    return r;
  }
  aws::UploadOptions o;
  const int64_t part_size = ctx.arg("part_size", 8 * 1024 * 1024).get<int64_t>();
  const int parallelism = ctx.arg("parallelism", 4).get<int>();
  if (part_size <= 0 || parallelism < 1 || parallelism > 64) {
    r.status = Status::Invalid("part_size must be positive and parallelism 1 to 64");
    return r;
  }
  o.part_size = static_cast<uint64_t>(part_size);
  o.parallelism = parallelism;
  aws_step::CancelFlag cancel(ctx.cancel);
  o.cancel = cancel.get();
  o.on_multipart_created = [&](const std::string& id) {
    if (marker.empty()) return;
    std::ofstream(marker) << json{{"bucket", to.bucket}, {"key", to.key}, {"upload_id", id}}.dump() << "\n";
    ::chmod(marker.c_str(), 0600);
  };
  // The step interface has no progress channel yet: a log line every 10 s stands in for it.
  auto last = std::chrono::steady_clock::now();
  std::mutex mu;
  o.on_progress = [&](const aws::UploadProgress& p) {
    std::lock_guard lock(mu);
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(10)) return;
    last = now;
    ctx.log("sent " + std::to_string(p.bytes_sent >> 20) + " of " + std::to_string(p.total >> 20) + " MiB (" +
            std::to_string(static_cast<int64_t>(p.bytes_per_second / (1 << 20))) + " MiB/s)");
  };
  aws::UploadResult u;
  aws::AwsError e = aws::upload(client, to, *source, o, &u);
  if (!marker.empty()) std::remove(marker.c_str());  // completed, or aborted by upload()
  if (!e.ok()) {
    r.status = aws_step::to_status(e, "upload of " + path + " to " + aws::s3_url(to));
    return r;
  }
  r.outputs = {{"url", aws::s3_url(to)}, {"bucket", to.bucket}, {"key", to.key},
               {"size", u.size},          {"sha256", u.sha256_hex}, {"etag", u.etag},
               {"version_id", u.version_id}, {"parts", u.parts}};
  return r;
}

}  // namespace

StepImpl upload_step() {
  StepImpl impl;
  impl.type = "upload";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine

// `upload`: a file to S3, the whole object's SHA-256 computed on the way and recorded as an
// output. A local file goes up as one PUT or a multipart upload with parts in flight; a file in
// a pod goes through upload_pod.cc (`stream` or `in-pod`). Idempotent: a re-run puts the object
// again, and first aborts the multipart upload an interrupted attempt left behind (its id is kept
// in the run directory from the moment S3 hands it out).

#include <cstdio>
#include <fstream>
#include <mutex>

#include "engine/base/durable_file.h"
#include "engine/steps/kube_steps.h"
#include "engine/steps/upload_job.h"

namespace ferry::engine {
namespace {

using kube_step::str;
using upload_modes::UploadJob;

constexpr int64_t kDefaultPartSize = 8 * 1024 * 1024;

// The file: `from` as given, or the `path` output of the step it names.
std::string source_path(const StepContext& ctx) {
  json from = ctx.arg("from", "");
  if (from.is_object()) from = from.value("path", json(""));
  return from.is_string() ? from.get<std::string>() : "";
}

bool from_pod(const StepContext& ctx) { return !str(ctx, "pod").empty(); }

std::string marker_path(const StepContext& ctx) {
  if (ctx.run_dir.empty() || ctx.step == nullptr) return "";
  return ctx.run_dir + "/upload-" + kube_step::file_safe(ctx.step->id) + ".multipart.json";
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

// What is wrong with the step's fields, or "" (checked before anything is sent).
std::string invalid_fields(const StepContext& ctx, aws::S3Location* to) {
  std::string error;
  if (!aws::parse_s3_url(ctx.arg("to", "").get<std::string>(), to, &error) || to->key.empty()) {
    return "to: " + (error.empty() ? "the URL names no key (s3://BUCKET/KEY)" : error);
  }
  if (source_path(ctx).empty()) return "from: expected a file path, or a step whose output is one";
  const int64_t part_size = ctx.arg("part_size", kDefaultPartSize).get<int64_t>();
  const int64_t parallelism = ctx.arg("parallelism", 4).get<int64_t>();
  if (part_size <= 0 || parallelism < 1 || parallelism > 64) return "part_size must be positive and parallelism 1 to 64";
  if (!from_pod(ctx) && str(ctx, "mode") == "in-pod") return "mode = \"in-pod\" needs `pod`, the pod the file is in";
  if (from_pod(ctx) && ctx.cluster == nullptr) {
    return "the file is in pod " + str(ctx, "pod") + ": set `cluster`, the cluster the pod runs on";
  }
  return "";
}

Status upload_local(const UploadJob& job, aws::UploadResult* out) {
  std::string error;
  auto source = aws::open_file_source(job.path, &error);
  if (!source) return Status::NotFound("from: " + error);
  return aws_step::to_status(aws::upload(job.client, job.to, *source, job.upload_options(), out),
                             "upload of " + job.path + " to " + aws::s3_url(job.to));
}

std::vector<Action> render(const StepContext& ctx) {
  const std::string to = ctx.arg("to", "").get<std::string>();
  if (from_pod(ctx)) return upload_modes::render_from_pod(ctx, source_path(ctx), to);
  Action a;
  a.method = "PUT";
  a.url = to;
  a.input = "the file " + source_path(ctx);
  const int64_t part = ctx.arg("part_size", kDefaultPartSize).get<int64_t>();
  a.note = "one PUT up to " + std::to_string(part / (1024 * 1024)) + " MiB, else a multipart upload with " +
           std::to_string(ctx.arg("parallelism", 4).get<int>()) +
           " parts in flight; SHA-256 per part and for the whole object";
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  aws::S3Location to;
  if (std::string invalid = invalid_fields(ctx, &to); !invalid.empty()) {
    r.status = Status::Invalid(invalid);
    return r;
  }
  aws::AwsConfig config;
  if (r.status = aws_step::resolve_config(ctx, &config); !r.status.ok()) return r;
  aws::S3Client client(aws_step::s3_options(ctx, config));

  const std::string marker = marker_path(ctx);
  if (!marker.empty()) abort_dangling(ctx, client, marker);

  aws_step::CancelFlag cancel(ctx.cancel);
  UploadJob job{ctx,
                client,
                to,
                source_path(ctx),
                static_cast<uint64_t>(ctx.arg("part_size", kDefaultPartSize).get<int64_t>()),
                ctx.arg("parallelism", 4).get<int>(),
                marker,
                cancel.get()};
  aws::UploadResult u;
  if (!from_pod(ctx)) {
    r.status = upload_local(job, &u);
  } else if (str(ctx, "mode") == "in-pod") {
    r.status = upload_modes::upload_from_pod(job, &u);
  } else {
    r.status = upload_modes::upload_streamed(job, &u);
  }
  if (!marker.empty()) std::remove(marker.c_str());  // completed, or aborted on the way out
  // Stopped by the step's timeout or a Ctrl-C: say which, so the executor journals (and retries)
  // it as that rather than as the upload's own "cancelled".
  if (!r.status.ok() && ctx.cancel.cancelled()) r.status = ctx.cancel.status();
  if (!r.status.ok()) return r;
  r.outputs = {{"url", aws::s3_url(to)}, {"bucket", to.bucket}, {"key", to.key},
               {"size", u.size},          {"sha256", u.sha256_hex}, {"etag", u.etag},
               {"version_id", u.version_id}, {"parts", u.parts}};
  ctx.log("uploaded " + std::to_string(u.size) + " bytes to " + aws::s3_url(to) + " (sha256 " + u.sha256_hex + ")");
  return r;
}

}  // namespace

namespace upload_modes {

void UploadJob::record_upload_id(const std::string& upload_id) const {
  if (marker.empty()) return;
  std::string error;  // without the marker, a crash leaves the upload for S3's lifecycle rules to clean
  write_file_durably(marker, json{{"bucket", to.bucket}, {"key", to.key}, {"upload_id", upload_id}}.dump() + "\n", &error);
}

aws::UploadOptions UploadJob::upload_options() const {
  aws::UploadOptions o;
  o.part_size = part_size;
  o.parallelism = parallelism;
  o.cancel = cancel;
  o.on_multipart_created = [this](const std::string& id) { record_upload_id(id); };
  o.on_progress = progress_logger();
  return o;
}

std::function<void(const aws::UploadProgress&)> UploadJob::progress_logger() const {
  // Every report goes to the live status line; a log line every 10 s keeps a record in the log.
  struct State {
    std::mutex mu;
    std::chrono::steady_clock::time_point last_logged = std::chrono::steady_clock::now();
  };
  auto state = std::make_shared<State>();
  auto log = ctx.log;
  auto progress = ctx.progress;
  return [state, log, progress](const aws::UploadProgress& p) {
    const std::string status = std::to_string(p.bytes_sent >> 20) +
                               (p.total ? " of " + std::to_string(p.total >> 20) : "") + " MiB, " +
                               std::to_string(static_cast<int64_t>(p.bytes_per_second / (1 << 20))) + " MiB/s";
    if (progress) progress(status);
    std::lock_guard lock(state->mu);
    auto now = std::chrono::steady_clock::now();
    if (!log || now - state->last_logged < std::chrono::seconds(10)) return;
    state->last_logged = now;
    log("sent " + status);
  };
}

}  // namespace upload_modes

StepImpl upload_step() {
  StepImpl impl;
  impl.type = "upload";
  impl.render = render;
  impl.run = run;
  impl.preflight = aws_step::preflight;
  return impl;
}

}  // namespace ferry::engine

#include "engine/aws/s3_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "engine/aws/crypto.h"
#include "engine/aws/xml.h"
#include "engine/base/markup.h"

namespace ferry::aws {
namespace {

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  if (s.size() >= 12 && s.rfind("&quot;", 0) == 0) return s.substr(6, s.size() - 12);
  return s;
}

AwsError malformed(const std::string& what, const std::string& detail) {
  return AwsError::Make(AwsErrorKind::kInvalid, "MalformedResponse", what + ": " + detail);
}

ObjectInfo info_from_headers(const S3Location& loc, const HttpResponse& r) {
  ObjectInfo o;
  o.key = loc.key;
  std::string len = r.header("content-length");
  o.size = len.empty() ? 0 : std::stoull(len);
  o.etag = unquote(r.header("etag"));
  o.last_modified = r.header("last-modified");
  o.version_id = r.header("x-amz-version-id");
  o.checksum_sha256 = r.header("x-amz-checksum-sha256");
  return o;
}

}  // namespace

int64_t backoff_ms(const RetryPolicy& policy, int attempt) {
  int64_t ceiling = policy.base_delay_ms;
  for (int i = 1; i < attempt && ceiling < policy.max_delay_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_delay_ms);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_int_distribution<int64_t>(ceiling / 2, ceiling)(rng);
}

S3Client::S3Client(S3ClientOptions options) : options_(std::move(options)) {
  if (options_.http.ca_bundle.empty()) options_.http.ca_bundle = options_.config.ca_bundle;
  if (!options_.retry.sleep) {
    options_.retry.sleep = [](int64_t ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return true;
    };
  }
}

S3Client::~S3Client() = default;

int64_t S3Client::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<HttpClient> S3Client::checkout() {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return std::make_unique<HttpClient>(options_.http);
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void S3Client::checkin(std::unique_ptr<HttpClient> client) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(client));
}

AwsError S3Client::send(const Call& call, HttpResponse* resp) {
  S3Target target;
  std::string err;
  if (!s3_target(options_.config.s3, call.loc, &target, &err)) {
    return AwsError::Make(AwsErrorKind::kInvalid, "BadEndpoint", err);
  }
  std::string url = target.base() + target.path;
  if (!call.query.empty()) {
    url += "?";
    for (size_t i = 0; i < call.query.size(); ++i) {
      url += (i ? "&" : "") + uri_encode(call.query[i].first);
      // `?uploads` goes as a bare key, as S3's documentation writes it; it signs as "uploads=".
      if (!call.query[i].second.empty()) url += "=" + uri_encode(call.query[i].second);
    }
  }
  auto client = checkout();
  AwsError last;
  for (int attempt = 1;; ++attempt) {
    if (call.before_attempt) call.before_attempt();
    SignableRequest sreq;
    sreq.method = call.method;
    sreq.path = target.path;
    sreq.query = call.query;
    sreq.headers = call.headers;
    sreq.headers.emplace_back("host", target.host);
    sreq.payload_hash = call.payload_hash.empty() ? std::string(kEmptySha256Hex) : call.payload_hash;
    Signature sig = sign_headers(sreq, options_.config.credentials, s3_signing_config(options_.config.s3.region, now()));
    HttpRequest hreq;
    hreq.method = call.method;
    hreq.url = url;
    hreq.headers = call.headers;
    hreq.headers.insert(hreq.headers.end(), sig.headers_to_add.begin(), sig.headers_to_add.end());
    hreq.body = call.body;
    hreq.on_body = call.on_body;
    hreq.on_sent = call.on_sent;
    hreq.abort = call.abort;
    last = client->send(hreq, resp);
    if (last.ok()) {
      if (resp->status >= 200 && resp->status < 300) {
        checkin(std::move(client));
        return AwsError::Ok();
      }
      last = error_from_response(resp->status, resp->body, resp->header("x-amz-request-id"));
    } else if (last.kind != AwsErrorKind::kCancelled) {
      // A connection that failed mid-transfer is not reused.
      client = std::make_unique<HttpClient>(options_.http);
    }
    if (!last.retryable() || attempt >= options_.retry.max_attempts ||
        (call.abort != nullptr && call.abort->load())) {
      if (last.retryable() && attempt > 1) last.message += " (after " + std::to_string(attempt) + " attempts)";
      if (last.ok() == false && last.kind != AwsErrorKind::kCancelled) checkin(std::move(client));
      return last;
    }
    int64_t delay = backoff_ms(options_.retry, attempt);
    if (options_.on_retry) {
      options_.on_retry(call.method + " " + s3_url(call.loc) + ": " + last.text() + "; retry " +
                        std::to_string(attempt) + " in " + std::to_string(delay) + " ms");
    }
    if (!options_.retry.sleep(delay)) return AwsError::Make(AwsErrorKind::kCancelled, "Cancelled", "cancelled");
  }
}

AwsError S3Client::put_object(const S3Location& loc, std::string_view body, const std::string& sha256,
                              ObjectInfo* out, const std::function<void(uint64_t)>& on_sent) {
  Call c{"PUT", loc, {}, {{"x-amz-checksum-sha256", base64(sha256)}}, body, to_hex(sha256)};
  c.on_sent = on_sent;
  HttpResponse r;
  AwsError e = send(c, &r);
  if (!e.ok()) return e;
  *out = info_from_headers(loc, r);
  out->size = body.size();
  return e;
}

AwsError S3Client::head_object(const S3Location& loc, ObjectInfo* out) {
  HttpResponse r;
  AwsError e = send(Call{"HEAD", loc}, &r);
  if (!e.ok()) {
    if (e.kind == AwsErrorKind::kNotFound) e.message = s3_url(loc) + " does not exist";
    return e;
  }
  *out = info_from_headers(loc, r);
  return e;
}

AwsError S3Client::get_object(const S3Location& loc, const std::string& path, ObjectInfo* out) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return AwsError::Make(AwsErrorKind::kInvalid, "LocalFile", "cannot write " + path);
  Call c{"GET", loc};
  c.before_attempt = [fd] {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
      // Nothing better to do: the next write fails and the call reports it.
    }
  };
  c.on_body = [fd](const char* data, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd, data, n);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  HttpResponse r;
  AwsError e = send(c, &r);
  if (::close(fd) != 0 && e.ok()) e = AwsError::Make(AwsErrorKind::kFailed, "LocalFile", "cannot close " + path);
  if (!e.ok()) return e;
  *out = info_from_headers(loc, r);
  return e;
}

AwsError S3Client::list_objects(const std::string& bucket, const std::string& prefix, std::vector<ObjectInfo>* out,
                                size_t max_keys, size_t page_size) {
  std::string token;
  for (;;) {
    Call c{"GET", S3Location{bucket, ""}, {{"list-type", "2"}}};
    if (!prefix.empty()) c.query.emplace_back("prefix", prefix);
    if (page_size > 0) c.query.emplace_back("max-keys", std::to_string(page_size));
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    HttpResponse r;
    AwsError e = send(c, &r);
    if (!e.ok()) return e;
    XmlNode root;
    std::string err;
    if (!parse_xml(r.body, &root, &err)) return malformed("ListObjectsV2 of s3://" + bucket, err);
    for (const XmlNode* item : root.children_named("Contents")) {
      ObjectInfo o;
      o.key = item->child_text("Key");
      o.size = std::strtoull(item->child_text("Size").c_str(), nullptr, 10);
      o.etag = unquote(item->child_text("ETag"));
      o.last_modified = item->child_text("LastModified");
      out->push_back(std::move(o));
      if (max_keys > 0 && out->size() >= max_keys) return AwsError::Ok();
    }
    token = root.child_text("NextContinuationToken");
    if (root.child_text("IsTruncated") != "true" || token.empty()) return AwsError::Ok();
  }
}

AwsError S3Client::create_multipart_upload(const S3Location& loc, std::string* upload_id) {
  Call c{"POST", loc, {{"uploads", ""}}, {{"x-amz-checksum-algorithm", "SHA256"}}};
  HttpResponse r;
  AwsError e = send(c, &r);
  if (!e.ok()) return e;
  XmlNode root;
  std::string err;
  if (!parse_xml(r.body, &root, &err)) return malformed("CreateMultipartUpload", err);
  *upload_id = root.child_text("UploadId");
  if (upload_id->empty()) return malformed("CreateMultipartUpload", "no UploadId in the answer");
  return e;
}

AwsError S3Client::upload_part(const S3Location& loc, const std::string& upload_id, int part_number,
                               std::string_view body, const std::string& sha256, CompletedPart* out,
                               const std::function<void(uint64_t)>& on_sent, const std::atomic<bool>* abort) {
  Call c{"PUT", loc, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
         {{"x-amz-checksum-sha256", base64(sha256)}}, body, to_hex(sha256)};
  c.on_sent = on_sent;
  c.abort = abort;
  HttpResponse r;
  AwsError e = send(c, &r);
  if (!e.ok()) return e;
  out->number = part_number;
  out->etag = unquote(r.header("etag"));
  out->checksum_sha256 = base64(sha256);
  if (out->etag.empty()) return malformed("UploadPart " + std::to_string(part_number), "no ETag header");
  return e;
}

AwsError S3Client::complete_multipart_upload(const S3Location& loc, const std::string& upload_id,
                                             const std::vector<CompletedPart>& parts, ObjectInfo* out) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const CompletedPart& p : parts) {
    body += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>\"" + engine::xml_escape(p.etag) +
            "\"</ETag>";
    if (!p.checksum_sha256.empty()) body += "<ChecksumSHA256>" + p.checksum_sha256 + "</ChecksumSHA256>";
    body += "</Part>";
  }
  body += "</CompleteMultipartUpload>";
  Call c{"POST", loc, {{"uploadId", upload_id}}, {{"content-type", "application/xml"}}, body, sha256_hex(body)};
  HttpResponse r;
  AwsError e = send(c, &r);
  if (!e.ok()) return e;
  // S3 may answer 200 and put an <Error> in the body when completion fails late.
  XmlNode root;
  std::string err;
  if (!parse_xml(r.body, &root, &err)) return malformed("CompleteMultipartUpload", err);
  if (root.name == "Error") {
    AwsError late = error_from_response(500, r.body, r.header("x-amz-request-id"));
    late.http_status = 200;
    return late;
  }
  out->key = loc.key;
  out->etag = unquote(root.child_text("ETag"));
  out->version_id = r.header("x-amz-version-id");
  out->checksum_sha256 = root.child_text("ChecksumSHA256");
  return e;
}

AwsError S3Client::abort_multipart_upload(const S3Location& loc, const std::string& upload_id) {
  HttpResponse r;
  AwsError e = send(Call{"DELETE", loc, {{"uploadId", upload_id}}}, &r);
  // An upload that is already gone is what we wanted.
  if (e.kind == AwsErrorKind::kNotFound) return AwsError::Ok();
  return e;
}

AwsError S3Client::list_multipart_uploads(const std::string& bucket, const std::string& prefix,
                                          std::vector<std::pair<std::string, std::string>>* out) {
  Call c{"GET", S3Location{bucket, ""}, {{"uploads", ""}}};
  if (!prefix.empty()) c.query.emplace_back("prefix", prefix);
  HttpResponse r;
  AwsError e = send(c, &r);
  if (!e.ok()) return e;
  XmlNode root;
  std::string err;
  if (!parse_xml(r.body, &root, &err)) return malformed("ListMultipartUploads", err);
  for (const XmlNode* u : root.children_named("Upload")) out->emplace_back(u->child_text("Key"), u->child_text("UploadId"));
  return e;
}

std::string S3Client::presign(const std::string& method, const S3Location& loc, int64_t expires_seconds,
                              const QueryParams& query, std::string* error) {
  PresignRequest req;
  req.method = method;
  req.location = loc;
  req.expires_seconds = expires_seconds;
  req.unix_time = now();
  req.query = query;
  return presign_s3(options_.config.s3, options_.config.credentials, req, error);
}

}  // namespace ferry::aws

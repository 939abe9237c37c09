// `ferry s3 cp|presign|head|ls`: the S3 client ferry's steps use, as small commands named and
// optioned as the AWS CLI's, for checking a migration by hand (is the snapshot there, how big,
// what does its presigned URL look like) with the same credentials and endpoint lookup.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/aws/credentials.h"
#include "engine/aws/s3_client.h"
#include "engine/aws/upload.h"
#include "engine/cli/command.h"

namespace ferry::cli {
namespace {

using aws::AwsError;
using nlohmann::json;

constexpr int kExitAwsError = 1;  // the request failed (not found, denied, ...)

int usage_error(const std::string& verb, const std::string& message) {
  std::cerr << "ferry s3" << (verb.empty() ? "" : " " + verb) << ": error: " << message
            << "\nusage: ferry s3 cp|presign|head|ls ARGS... (see ferry s3 --help)\n";
  return kExitUsage;
}

int aws_error(const std::string& verb, const AwsError& e) {
  std::cerr << "ferry s3 " << verb << ": error: " << e.text() << "\n";
  return e.kind == aws::AwsErrorKind::kCancelled ? 130 : kExitAwsError;
}

std::unique_ptr<aws::S3Client> open_client(const Args& args, const std::string& verb, int* status) {
  aws::AwsSettings s;
  s.profile = args.get("--profile");
  s.region = args.get("--region");
  s.endpoint_url = args.get("--endpoint-url");
  s.ca_bundle = args.get("--ca-bundle");
  if (args.has("--path-style")) s.path_style = true;
  aws::S3ClientOptions o;
  std::string error;
  if (!aws::resolve_aws_config(s, aws::process_env(), &o.config, &error)) {
    *status = usage_error(verb, error);
    return nullptr;
  }
  if (args.has("--debug")) {
    o.on_retry = [](const std::string& line) { std::cerr << "ferry s3: " << line << "\n"; };
  }
  return std::make_unique<aws::S3Client>(std::move(o));
}

bool parse_location(const std::string& text, aws::S3Location* loc, const std::string& verb, int* status) {
  std::string error;
  if (!aws::parse_s3_url(text, loc, &error)) {
    *status = usage_error(verb, error);
    return false;
  }
  return true;
}

std::string human_size(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

bool parse_positive(const std::string& text, int64_t* out) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v <= 0) return false;
  *out = v;
  return true;
}

int run_cp(const Args& args) {
  const auto& p = args.positionals;
  if (p.size() != 3) return usage_error("cp", "cp takes a source and a destination: ferry s3 cp SRC DST");
  const bool up = p[2].rfind("s3://", 0) == 0, down = p[1].rfind("s3://", 0) == 0;
  if (up == down) return usage_error("cp", "one of SRC and DST must be s3://BUCKET/KEY and the other a local path");
  int status = kExitOk;
  auto client = open_client(args, "cp", &status);
  if (!client) return status;
  if (down) {
    aws::S3Location loc;
    if (!parse_location(p[1], &loc, "cp", &status)) return status;
    aws::ObjectInfo info;
    AwsError e = client->get_object(loc, p[2], &info);
    if (!e.ok()) return aws_error("cp", e);
    std::cout << "download: " << p[1] << " to " << p[2] << " (" << human_size(static_cast<double>(info.size)) << ")\n";
    return kExitOk;
  }
  aws::S3Location loc;
  if (!parse_location(p[2], &loc, "cp", &status)) return status;
  if (!loc.key.empty() && loc.key.back() == '/') {
    loc.key += p[1] == "-" ? "stdin" : p[1].substr(p[1].find_last_of('/') + 1);  // like `aws s3 cp f s3://b/dir/`
  }
  std::string error;
  std::unique_ptr<aws::ByteSource> src =
      p[1] == "-" ? aws::fd_source(dup(STDIN_FILENO)) : aws::open_file_source(p[1], &error);
  if (!src) return usage_error("cp", error);
  aws::UploadOptions o;
  int64_t n = 0;
  if (args.has("--part-size")) {
    if (!parse_positive(args.get("--part-size"), &n)) return usage_error("cp", "--part-size must be a byte count");
    o.part_size = static_cast<uint64_t>(n);
  }
  if (args.has("--parallelism")) {
    if (!parse_positive(args.get("--parallelism"), &n) || n > 64) {
      return usage_error("cp", "--parallelism must be 1 to 64");
    }
    o.parallelism = static_cast<int>(n);
  }
  const bool tty = isatty(STDERR_FILENO) && !args.has("--no-progress");
  if (tty) {
    o.on_progress = [](const aws::UploadProgress& pr) {
      std::cerr << "\r" << human_size(static_cast<double>(pr.bytes_sent))
                << (pr.total ? " / " + human_size(static_cast<double>(pr.total)) : "") << "  "
                << human_size(pr.bytes_per_second) << "/s   " << std::flush;
    };
  }
  aws::UploadResult r;
  AwsError e = aws::upload(*client, loc, *src, o, &r);
  if (tty) std::cerr << "\r\033[K";
  if (!e.ok()) return aws_error("cp", e);
  if (args.get("--output") == "json") {
    std::cout << json{{"bucket", loc.bucket}, {"key", loc.key},    {"size", r.size},
                      {"sha256", r.sha256_hex}, {"etag", r.etag},  {"version_id", r.version_id},
                      {"parts", r.parts}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "upload: " << p[1] << " to " << aws::s3_url(loc) << " (" << human_size(static_cast<double>(r.size))
              << ", " << (r.parts ? std::to_string(r.parts) + " parts" : "one PUT") << ", sha256 " << r.sha256_hex
              << ")\n";
  }
  return kExitOk;
}

int run_presign(const Args& args) {
  const auto& p = args.positionals;
  if (p.size() != 2) return usage_error("presign", "presign takes one s3://BUCKET/KEY");
  int status = kExitOk;
  aws::S3Location loc;
  if (!parse_location(p[1], &loc, "presign", &status)) return status;
  int64_t expires = 3600;
  if (args.has("--expires-in") && !parse_positive(args.get("--expires-in"), &expires)) {
    return usage_error("presign", "--expires-in must be a number of seconds");
  }
  std::string method = args.get("--method", "GET");
  if (method != "GET" && method != "PUT" && method != "HEAD") {
    return usage_error("presign", "--method must be GET, PUT or HEAD");
  }
  auto client = open_client(args, "presign", &status);
  if (!client) return status;
  std::string error;
  std::string url = client->presign(method, loc, expires, {}, &error);
  if (url.empty()) return usage_error("presign", error);
  if (url.size() > aws::kRestoreSnapshotUrlMax) {
    std::cerr << "ferry s3 presign: warning: the URL is " << url.size() << " characters; a HostedCluster's "
              << "restoreSnapshotURL takes at most " << aws::kRestoreSnapshotUrlMax
              << (client->config().credentials.session_token.empty() ? "" : " (the session token makes it long)")
              << "\n";
  }
  std::cout << url << "\n";
  return kExitOk;
}

int run_head(const Args& args) {
  const auto& p = args.positionals;
  if (p.size() != 2) return usage_error("head", "head takes one s3://BUCKET/KEY");
  int status = kExitOk;
  aws::S3Location loc;
  if (!parse_location(p[1], &loc, "head", &status)) return status;
  auto client = open_client(args, "head", &status);
  if (!client) return status;
  aws::ObjectInfo info;
  AwsError e = client->head_object(loc, &info);
  if (!e.ok()) return aws_error("head", e);
  json j{{"bucket", loc.bucket},   {"key", loc.key},
         {"size", info.size},      {"etag", info.etag},
         {"last_modified", info.last_modified}, {"version_id", info.version_id},
         {"checksum_sha256", info.checksum_sha256}};
  if (args.get("--output") == "json") {
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "s3://" << loc.bucket << "/" << loc.key << "\n  size           " << info.size << " ("
              << human_size(static_cast<double>(info.size)) << ")\n  etag           " << info.etag
              << "\n  last modified  " << info.last_modified << "\n";
    if (!info.version_id.empty()) std::cout << "  version id     " << info.version_id << "\n";
    if (!info.checksum_sha256.empty()) std::cout << "  sha256 (b64)   " << info.checksum_sha256 << "\n";
  }
  return kExitOk;
}

int run_ls(const Args& args) {
  const auto& p = args.positionals;
  if (p.size() != 2) return usage_error("ls", "ls takes one s3://BUCKET[/PREFIX]");
  int status = kExitOk;
  aws::S3Location loc;
  if (!parse_location(p[1], &loc, "ls", &status)) return status;
  auto client = open_client(args, "ls", &status);
  if (!client) return status;
  std::vector<aws::ObjectInfo> objects;
  AwsError e = client->list_objects(loc.bucket, loc.key, &objects);
  if (!e.ok()) return aws_error("ls", e);
  if (args.get("--output") == "json") {
    json list = json::array();
    for (const auto& o : objects) {
      list.push_back({{"key", o.key}, {"size", o.size}, {"etag", o.etag}, {"last_modified", o.last_modified}});
    }
    std::cout << list.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& o : objects) {
    std::string when = o.last_modified.substr(0, 19);
    if (when.size() > 10) when[10] = ' ';
    char size[32];
    std::snprintf(size, sizeof size, "%12" PRIu64, o.size);
    std::cout << when << " " << size << " " << o.key << "\n";
  }
  return kExitOk;
}

int run_s3(const Args& args) {
  static const std::map<std::string, int (*)(const Args&)> verbs = {
      {"cp", run_cp}, {"presign", run_presign}, {"head", run_head}, {"ls", run_ls}};
  auto it = verbs.find(args.positionals.at(0));
  if (it == verbs.end()) {
    return usage_error("", "unknown s3 command '" + args.positionals[0] + "' (cp, presign, head or ls)");
  }
  return it->second(args);
}

}  // namespace

Command s3_command() {
  Command c{"s3",
          "S3 by hand: cp, presign, head, ls (the client the steps use)",
          "ferry s3 cp SRC DST | presign s3://BUCKET/KEY | head s3://BUCKET/KEY | ls s3://BUCKET[/PREFIX] [options]",
          "The S3 client ferry's upload and presign steps use, as small commands named like the AWS CLI's:\n"
          "  cp FILE s3://BUCKET/KEY   upload (multipart above one part, SHA-256 checked per part); FILE '-' is stdin\n"
          "  cp s3://BUCKET/KEY FILE   download\n"
          "  presign s3://BUCKET/KEY   print a presigned URL (GET, or --method PUT for an upload)\n"
          "  head s3://BUCKET/KEY      size, ETag, last modified, version id\n"
          "  ls s3://BUCKET[/PREFIX]   the objects under a prefix\n"
          "Credentials and settings are looked up as the AWS CLI does: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n"
          "(+ AWS_SESSION_TOKEN), else the profile (--profile, AWS_PROFILE, default) in ~/.aws/credentials\n"
          "and ~/.aws/config; see docs/aws.md. Missing credentials are an environment problem (exit status 2).",
          {{"--endpoint-url", true, "an S3-compatible store, e.g. http://127.0.0.1:9000 (path-style)", "URL"},
           {"--region", true, "the bucket's region (default: AWS_REGION, the profile's, us-east-1)", "REGION"},
           {"--profile", true, "a profile of the credentials/config files", "NAME"},
           {"--ca-bundle", true, "PEM file of the CAs to trust for the endpoint", "FILE"},
           {"--path-style", false, "path-style addressing on AWS too (bucket in the path)"},
           {"--expires-in", true, "presign: seconds the URL is valid (default 3600, at most 604800)", "SECONDS"},
           {"--method", true, "presign: GET (default), PUT or HEAD", "METHOD"},
           {"--part-size", true, "cp: multipart part size in bytes (default 8 MiB)", "BYTES"},
           {"--parallelism", true, "cp: parts in flight (default 4)", "N"},
           {"--no-progress", false, "cp: no progress line on a terminal"},
           {"--debug", false, "print each retried request to stderr"},
           {"--output", true, "text or json", "FORMAT"}},
          run_s3,
          1,
          3};
  c.exit_1 = "the request failed (not found, denied, ...)";
  c.operands = Operands::kWords;
  c.operand_words = {"cp", "presign", "head", "ls"};
  return c;
}

}  // namespace ferry::cli

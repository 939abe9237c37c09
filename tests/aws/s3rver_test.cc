// The S3 client against a real SigV4-verifying server (@20minutes/s3rver), started by
// tests/s3/with_s3rver.py, directly and through the fault-injecting proxy. Run by ctest as
// `aws_s3rver`; the environment (FERRY_S3_*) comes from with_s3rver.py.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "engine/aws/crypto.h"
#include "engine/aws/in_pod_upload.h"
#include "engine/aws/s3_client.h"
#include "engine/aws/upload.h"

namespace ferry::aws {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw std::runtime_error(std::string(name) + " is not set: run under tests/s3/with_s3rver.py");
  return v;
}

// Runs a shell command; its stdout, and its exit status in *status.
std::string sh(const std::string& cmd, int* status = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

// sha256sum's answer for a file: an independent check on ours.
std::string sha256sum(const fs::path& p) { return sh("sha256sum '" + p.string() + "'").substr(0, 64); }

class S3rverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-s3test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    bucket_ = env("FERRY_S3_BUCKET");
    set_faults(0);
    sh("curl -s -X DELETE '" + env("FERRY_S3_PROXY") + "/__proxy/log'");
  }
  void TearDown() override {
    set_faults(0);
    fs::remove_all(dir_);
  }

  std::unique_ptr<S3Client> client(bool via_proxy, const std::string& secret = "S3RVER", int attempts = 8) {
    S3ClientOptions o;
    AwsSettings s;
    s.endpoint_url = env(via_proxy ? "FERRY_S3_PROXY" : "FERRY_S3_ENDPOINT");
    s.region = "us-east-1";
    std::string error;
    EXPECT_TRUE(resolve_aws_config(s, process_env(), &o.config, &error)) << error;
    o.config.credentials.secret_access_key = secret;
    o.retry.max_attempts = attempts;
    o.retry.base_delay_ms = 5;  // the proxy's faults are instant: keep the test quick
    o.retry.max_delay_ms = 50;
    o.on_retry = [this](const std::string& line) { retries_.push_back(line); };
    return std::make_unique<S3Client>(o);
  }

  fs::path random_file(const std::string& name, uint64_t size, uint32_t seed) {
    fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    std::mt19937 rng(seed);
    std::vector<uint32_t> block(64 * 1024);
    for (uint64_t left = size; left > 0;) {
      for (auto& w : block) w = rng();
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size() * 4));
      out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
      left -= n;
    }
    return p;
  }

  void set_faults(double rate) {
    sh("curl -s -X POST '" + env("FERRY_S3_PROXY") + "/__proxy/faults?rate=" + std::to_string(rate) + "'");
  }
  std::string proxy_log() { return sh("curl -s '" + env("FERRY_S3_PROXY") + "/__proxy/log'"); }

  AwsError upload_file(S3Client& c, const fs::path& p, const std::string& key, UploadOptions o, UploadResult* r) {
    std::string error;
    auto src = open_file_source(p.string(), &error);
    EXPECT_NE(src, nullptr) << error;
    return upload(c, S3Location{bucket_, key}, *src, o, r);
  }

  // Downloads `key` and returns sha256sum's digest of what came back.
  std::string download_sha(S3Client& c, const std::string& key, ObjectInfo* info = nullptr) {
    ObjectInfo tmp;
    fs::path out = dir_ / "download";
    AwsError e = c.get_object(S3Location{bucket_, key}, out.string(), info ? info : &tmp);
    EXPECT_TRUE(e.ok()) << e.text();
    return sha256sum(out);
  }

  fs::path dir_;
  std::string bucket_;
  std::vector<std::string> retries_;
};

TEST_F(S3rverTest, PutHeadGetListSmallObject) {
  auto c = client(false);
  fs::path f = random_file("small", 300 * 1024 + 7, 1);
  UploadResult r;
  AwsError e = upload_file(*c, f, "small/with space+plus=eq~.db", {}, &r);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(r.parts, 0);  // one PUT
  EXPECT_EQ(r.size, fs::file_size(f));
  EXPECT_EQ(r.sha256_hex, sha256sum(f));
  EXPECT_FALSE(r.etag.empty());

  ObjectInfo head;
  e = c->head_object(S3Location{bucket_, "small/with space+plus=eq~.db"}, &head);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(head.size, fs::file_size(f));
  EXPECT_EQ(head.etag, r.etag);
  EXPECT_EQ(download_sha(*c, "small/with space+plus=eq~.db"), sha256sum(f));

  std::vector<ObjectInfo> listed;
  e = c->list_objects(bucket_, "small/", &listed);
  ASSERT_TRUE(e.ok()) << e.text();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "small/with space+plus=eq~.db");
  EXPECT_EQ(listed[0].size, fs::file_size(f));
}

TEST_F(S3rverTest, HeadOfMissingObjectIsNotFound) {
  auto c = client(false);
  ObjectInfo head;
  AwsError e = c->head_object(S3Location{bucket_, "no/such/key"}, &head);
  EXPECT_EQ(e.kind, AwsErrorKind::kNotFound) << e.text();
  EXPECT_NE(e.message.find("s3://" + bucket_ + "/no/such/key does not exist"), std::string::npos) << e.text();
}

TEST_F(S3rverTest, ListPagesThroughManyKeys) {
  auto c = client(false);
  for (int i = 0; i < 7; ++i) {
    std::string body = "object " + std::to_string(i);
    ObjectInfo info;
    ASSERT_TRUE(c->put_object(S3Location{bucket_, "list/" + std::to_string(i)}, body, sha256(body), &info).ok());
  }
  std::vector<ObjectInfo> all;
  AwsError e = c->list_objects(bucket_, "list/", &all, 0, /*page_size=*/3);
  ASSERT_TRUE(e.ok()) << e.text();
  ASSERT_EQ(all.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(all[static_cast<size_t>(i)].key, "list/" + std::to_string(i));
  // A cap stops the listing early.
  std::vector<ObjectInfo> capped;
  ASSERT_TRUE(c->list_objects(bucket_, "list/", &capped, 4, 3).ok());
  EXPECT_EQ(capped.size(), 4u);
}

TEST_F(S3rverTest, MultipartOfManyPartsWithBoundedParallelism) {
  auto c = client(false);
  // 12 parts of 5 MiB and a short last one.
  fs::path f = random_file("big", 11 * kMinPartSize + 1234567, 2);
  UploadOptions o;
  o.part_size = kMinPartSize;
  o.parallelism = 3;
  std::vector<UploadProgress> seen;
  std::mutex mu;
  o.on_progress = [&](const UploadProgress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
  };
  std::string created;
  o.on_multipart_created = [&](const std::string& id) { created = id; };
  UploadResult r;
  AwsError e = upload_file(*c, f, "multi/etcd-0-snapshot.db", o, &r);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(r.parts, 12);
  EXPECT_FALSE(created.empty());
  EXPECT_EQ(r.size, fs::file_size(f));
  EXPECT_EQ(r.sha256_hex, sha256sum(f));
  ObjectInfo info;
  EXPECT_EQ(download_sha(*c, "multi/etcd-0-snapshot.db", &info), sha256sum(f));
  // s3rver's multipart ETag is the MD5 of the whole object; what matters is that it is the
  // one CompleteMultipartUpload reported.
  EXPECT_EQ(info.etag, r.etag);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().bytes_sent, fs::file_size(f));
  EXPECT_EQ(seen.back().total, fs::file_size(f));
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i].bytes_sent, seen.back().total);
}

TEST_F(S3rverTest, WrongSecretIsSignatureDoesNotMatch) {
  auto c = client(false, "not-the-secret-4b2f");
  std::string body = "x";
  ObjectInfo info;
  AwsError e = c->put_object(S3Location{bucket_, "denied"}, body, sha256(body), &info);
  EXPECT_EQ(e.kind, AwsErrorKind::kForbidden) << e.text();
  EXPECT_EQ(e.code, "SignatureDoesNotMatch") << e.text();
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.text().find("not-the-secret-4b2f"), std::string::npos);
  EXPECT_TRUE(retries_.empty());  // a signature error is not retried
}

TEST_F(S3rverTest, PresignedPutAndGetWithCurl) {
  auto c = client(false);
  fs::path f = random_file("presigned", 2 * kMiB + 3, 3);
  std::string error;
  const S3Location loc{bucket_, "presigned/a b+c.db"};
  std::string put = c->presign("PUT", loc, 600, {}, &error);
  ASSERT_FALSE(put.empty()) << error;
  int status = 0;
  sh("curl -sS -f -o /dev/null -T '" + f.string() + "' '" + put + "'", &status);
  ASSERT_EQ(status, 0) << "curl -T with the presigned PUT failed";
  std::string get = c->presign("GET", loc, 600, {}, &error);
  sh("curl -sS -f -o '" + (dir_ / "via-curl").string() + "' '" + get + "'", &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(sha256sum(dir_ / "via-curl"), sha256sum(f));
  // A tampered signature is refused: the server really checks it.
  std::string bad = get.substr(0, get.size() - 4) + "0000";
  if (bad == get) bad = get.substr(0, get.size() - 4) + "1111";
  std::string answer = sh("curl -sS '" + bad + "'");
  EXPECT_NE(answer.find("SignatureDoesNotMatch"), std::string::npos) << answer;
}

TEST_F(S3rverTest, PresignedUploadPartsWithCurlThenComplete) {
  // What the in-pod mode does: ferry creates the upload and presigns each UploadPart; curl
  // sends the bytes without credentials; ferry completes with the ETags curl saw.
  auto c = client(false);
  fs::path f = random_file("inpod", 2 * kMinPartSize + 99, 4);
  const S3Location loc{bucket_, "inpod/etcd-1-snapshot.db"};
  std::string id;
  ASSERT_TRUE(c->create_multipart_upload(loc, &id).ok());
  std::vector<CompletedPart> parts;
  const uint64_t size = fs::file_size(f);
  for (int n = 1; static_cast<uint64_t>(n - 1) * kMinPartSize < size; ++n) {
    std::string error;
    std::string url =
        c->presign("PUT", loc, 600, {{"partNumber", std::to_string(n)}, {"uploadId", id}}, &error);
    ASSERT_FALSE(url.empty()) << error;
    fs::path part = dir_ / ("part" + std::to_string(n));
    sh("dd if='" + f.string() + "' of='" + part.string() + "' bs=1M skip=" + std::to_string((n - 1) * 5) +
       " count=5 status=none");
    std::string headers = sh("curl -sS -f -D - -o /dev/null -T '" + part.string() + "' '" + url + "'");
    size_t at = headers.find("ETag: ");
    if (at == std::string::npos) at = headers.find("etag: ");
    ASSERT_NE(at, std::string::npos) << headers;
    std::string etag = headers.substr(at + 6, headers.find('\r', at) - at - 6);
    if (etag.size() >= 2 && etag.front() == '"') etag = etag.substr(1, etag.size() - 2);
    parts.push_back(CompletedPart{n, etag, ""});
  }
  ASSERT_EQ(parts.size(), 3u);
  ObjectInfo info;
  AwsError e = c->complete_multipart_upload(loc, id, parts, &info);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(download_sha(*c, loc.key), sha256sum(f));
}

// A source that fails after `good` bytes, as a pod's exec stream that breaks would.
class BreakingSource : public ByteSource {
 public:
  explicit BreakingSource(uint64_t good) : left_(good) {}
  ssize_t read(char* buf, size_t n, std::string* error) override {
    if (left_ == 0) {
      *error = "the stream broke";
      return -1;
    }
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, left_));
    std::memset(buf, 'x', k);
    left_ -= k;
    return static_cast<ssize_t>(k);
  }
  std::optional<uint64_t> size() const override { return std::nullopt; }

 private:
  uint64_t left_;
};

TEST_F(S3rverTest, FailureAbortsTheMultipartUpload) {
  auto c = client(true);  // through the proxy, which records every request
  BreakingSource src(2 * kMinPartSize + 10);
  UploadOptions o;
  o.part_size = kMinPartSize;
  o.parallelism = 2;
  std::string id;
  o.on_multipart_created = [&](const std::string& u) { id = u; };
  UploadResult r;
  AwsError e = upload(*c, S3Location{bucket_, "broken/object"}, src, o, &r);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code, "ReadFailed") << e.text();
  EXPECT_NE(e.message.find("the stream broke"), std::string::npos) << e.text();
  ASSERT_FALSE(id.empty());
  // The abort went out: DELETE ?uploadId=ID. (s3rver does not implement AbortMultipartUpload
  // and answers 405, which the error then mentions; real S3 answers 204.)
  std::string log = proxy_log();
  EXPECT_NE(log.find("DELETE /" + bucket_ + "/broken/object?uploadId=" + id), std::string::npos) << log;
  EXPECT_EQ(log.find("POST /" + bucket_ + "/broken/object?uploadId="), std::string::npos)
      << "a failed upload must not be completed:\n" << log;
  ObjectInfo info;
  EXPECT_EQ(c->head_object(S3Location{bucket_, "broken/object"}, &info).kind, AwsErrorKind::kNotFound);
}

// Sets `cancel` once `after` bytes were read: a Ctrl-C in the middle of an upload.
class CancellingSource : public ByteSource {
 public:
  CancellingSource(uint64_t after, std::atomic<bool>* cancel) : left_(after), cancel_(cancel) {}
  ssize_t read(char* buf, size_t n, std::string*) override {
    if (left_ == 0) {
      *cancel_ = true;
      std::memset(buf, 'y', n);
      return static_cast<ssize_t>(n);  // it would go on forever
    }
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, left_));
    std::memset(buf, 'y', k);
    left_ -= k;
    return static_cast<ssize_t>(k);
  }
  std::optional<uint64_t> size() const override { return std::nullopt; }

 private:
  uint64_t left_;
  std::atomic<bool>* cancel_;
};

TEST_F(S3rverTest, CancelStopsAndAborts) {
  auto c = client(true);
  std::atomic<bool> cancel{false};
  CancellingSource src(3 * kMinPartSize, &cancel);
  UploadOptions o;
  o.part_size = kMinPartSize;
  o.parallelism = 2;
  o.cancel = &cancel;
  UploadResult r;
  AwsError e = upload(*c, S3Location{bucket_, "cancelled/object"}, src, o, &r);
  EXPECT_EQ(e.kind, AwsErrorKind::kCancelled) << e.text();
  std::string log = proxy_log();
  EXPECT_NE(log.find("DELETE /" + bucket_ + "/cancelled/object?uploadId="), std::string::npos) << log;
  EXPECT_EQ(log.find("POST /" + bucket_ + "/cancelled/object?uploadId="), std::string::npos) << log;
}

TEST_F(S3rverTest, RecoversFromInjectedFaults) {
  auto c = client(true, "S3RVER", /*attempts=*/20);
  set_faults(0.3);
  fs::path f = random_file("faulty", 8 * kMinPartSize + 4321, 6);
  UploadOptions o;
  o.part_size = kMinPartSize;
  o.parallelism = 3;
  UploadResult r;
  AwsError e = upload_file(*c, f, "faulty/etcd-2-snapshot.db", o, &r);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(r.sha256_hex, sha256sum(f));
  // Small objects and reads go through the same faults.
  fs::path small = random_file("faulty-small", 4096, 7);
  UploadResult rs;
  ASSERT_TRUE(upload_file(*c, small, "faulty/small", {}, &rs).ok());
  ObjectInfo info;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->head_object(S3Location{bucket_, "faulty/small"}, &info).ok());
  EXPECT_EQ(download_sha(*c, "faulty/etcd-2-snapshot.db"), sha256sum(f));
  set_faults(0);
  // The faults really happened and were retried.
  std::string log = proxy_log();
  EXPECT_NE(log.find("fault:"), std::string::npos) << log;
  EXPECT_FALSE(retries_.empty()) << log;
  // And the object is intact on the server itself, not only through the proxy.
  auto direct = client(false);
  EXPECT_EQ(download_sha(*direct, "faulty/etcd-2-snapshot.db"), sha256sum(f));
}

TEST_F(S3rverTest, GivesUpAfterTheLastAttempt) {
  auto c = client(true, "S3RVER", /*attempts=*/3);
  set_faults(1.0);
  ObjectInfo info;
  AwsError e = c->head_object(S3Location{bucket_, "anything"}, &info);
  EXPECT_TRUE(e.retryable()) << e.text();
  EXPECT_EQ(retries_.size(), 2u);
  EXPECT_NE(e.message.find("after 3 attempts"), std::string::npos) << e.text();
}

// Stands in for the kube backend's exec: runs argv here, as the pod would, and returns stdout.
AwsError local_exec(const std::vector<std::string>& argv, std::string* out) {
  int fds[2];
  if (pipe(fds) != 0) return AwsError::Make(AwsErrorKind::kFailed, "Exec", "pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  out->clear();
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return AwsError::Make(AwsErrorKind::kFailed, "ExecFailed", argv[0] + " exited " + std::to_string(WEXITSTATUS(status)));
  }
  return AwsError::Ok();
}

TEST_F(S3rverTest, InPodUploadWithPresignedPartsAndCurl) {
  auto c = client(false);
  fs::path f = random_file("in-pod-snapshot.db", 3 * kMinPartSize + 777, 8);
  std::vector<std::string> urls;
  std::mutex mu;
  InPodOptions o;
  o.part_size = kMinPartSize;
  o.parallelism = 2;
  o.on_presigned = [&](const std::string& u) {
    std::lock_guard lock(mu);
    urls.push_back(u);
  };
  std::vector<std::vector<std::string>> commands;
  PodExec exec = [&](const std::vector<std::string>& argv, std::string* out) {
    {
      std::lock_guard lock(mu);
      commands.push_back(argv);
    }
    return local_exec(argv, out);
  };
  UploadResult r;
  AwsError e = upload_in_pod(*c, S3Location{bucket_, "inpod/etcd-0.db"}, f.string(), exec, o, &r);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(r.parts, 4);
  EXPECT_EQ(r.size, fs::file_size(f));
  EXPECT_EQ(r.sha256_hex, sha256sum(f));  // the pod's own sha256sum
  EXPECT_EQ(download_sha(*c, "inpod/etcd-0.db"), sha256sum(f));
  EXPECT_EQ(urls.size(), 4u);  // one presigned URL per part, each reported for tainting
  // No part files are left next to the snapshot.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".ferry-part-"), std::string::npos) << entry.path();
  }
  // What ran "in the pod": stat, sha256sum, then one sh -c per part; no secret key in any argv.
  ASSERT_GE(commands.size(), 6u);
  EXPECT_EQ(commands[0][0], "stat");
  EXPECT_EQ(commands[1][0], "sha256sum");
  for (const auto& argv : commands) {
    for (const auto& a : argv) EXPECT_EQ(a.find("aws_secret_access_key"), std::string::npos);
  }
}

TEST_F(S3rverTest, InPodUploadRecoversFromFaults) {
  auto c = client(true);
  set_faults(0.3);
  fs::path f = random_file("in-pod-faulty.db", 4 * kMinPartSize + 1, 9);
  InPodOptions o;
  o.part_size = kMinPartSize;
  o.max_attempts = 12;
  UploadResult r;
  AwsError e = upload_in_pod(*c, S3Location{bucket_, "inpod/faulty.db"}, f.string(), local_exec, o, &r);
  set_faults(0);
  ASSERT_TRUE(e.ok()) << e.text() << "\n" << proxy_log();
  auto direct = client(false);
  EXPECT_EQ(download_sha(*direct, "inpod/faulty.db"), sha256sum(f));
}

TEST_F(S3rverTest, InPodUploadOfAFileThatGrowsIsNotCompleted) {
  auto c = client(false);
  fs::path f = random_file("in-pod-grows.db", 2 * kMinPartSize, 14);
  InPodOptions o;
  o.part_size = kMinPartSize;
  o.parallelism = 1;
  bool grown = false;
  // The file grows while the first part is cut (etcd still writing, say).
  PodExec exec = [&](const std::vector<std::string>& argv, std::string* out) {
    if (argv[0] == "sh" && !grown) {
      std::ofstream(f, std::ios::app) << "more";
      grown = true;
    }
    return local_exec(argv, out);
  };
  UploadResult r;
  AwsError e = upload_in_pod(*c, S3Location{bucket_, "inpod/grows.db"}, f.string(), exec, o, &r);
  EXPECT_EQ(e.code, "SizeChanged") << e.text();
  ObjectInfo info;
  EXPECT_EQ(c->head_object(S3Location{bucket_, "inpod/grows.db"}, &info).kind, AwsErrorKind::kNotFound);
}

TEST_F(S3rverTest, InPodUploadOfAMissingFileFailsCleanly) {
  auto c = client(false);
  UploadResult r;
  AwsError e = upload_in_pod(*c, S3Location{bucket_, "inpod/none"}, (dir_ / "absent").string(), local_exec, {}, &r);
  EXPECT_FALSE(e.ok());
  EXPECT_NE(e.text().find("stat exited"), std::string::npos) << e.text();
}

TEST_F(S3rverTest, StreamModeUploadsACommandsOutput) {
  auto c = client(false);
  fs::path f = random_file("streamed.db", 2 * kMinPartSize + 4242, 10);
  UploadOptions o;
  o.part_size = kMinPartSize;
  UploadResult r;
  // `cat` stands in for `kubectl exec POD -- cat PATH`.
  AwsError e = upload_command_output(*c, S3Location{bucket_, "stream/etcd-0.db"}, {"cat", f.string()},
                                     std::nullopt, o, &r);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(r.parts, 3);
  EXPECT_EQ(r.sha256_hex, sha256sum(f));
  EXPECT_EQ(download_sha(*c, "stream/etcd-0.db"), sha256sum(f));
}

TEST_F(S3rverTest, AFileThatChangesSizeWhileReadIsNotCompleted) {
  auto c = client(false);
  fs::path f = random_file("shrinks.db", 2 * kMinPartSize + 10, 12);
  UploadOptions o;
  o.part_size = kMinPartSize;
  UploadResult r;
  // `stat` said one size; the bytes that came were fewer.
  AwsError e = upload_command_output(*c, S3Location{bucket_, "stream/shrinks.db"},
                                     {"head", "-c", std::to_string(kMinPartSize + 5), f.string()},
                                     fs::file_size(f), o, &r);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code, "SizeChanged") << e.text();
  ObjectInfo info;
  EXPECT_EQ(c->head_object(S3Location{bucket_, "stream/shrinks.db"}, &info).kind, AwsErrorKind::kNotFound);
}

TEST_F(S3rverTest, OnePartExactlyIsReadToTheEndBeforeItIsPut) {
  auto c = client(false);
  fs::path f = random_file("exact.db", kMinPartSize + 10, 13);
  UploadOptions o;
  o.part_size = kMinPartSize;
  UploadResult r;
  const std::string part = std::to_string(kMinPartSize);
  // Announced as one part, but more comes: not put as a truncated object.
  AwsError e = upload_command_output(*c, S3Location{bucket_, "stream/exact.db"}, {"cat", f.string()}, kMinPartSize, o,
                                     &r);
  EXPECT_EQ(e.code, "SizeChanged") << e.text();
  // Exactly one part, then the command fails: its status counts.
  e = upload_command_output(*c, S3Location{bucket_, "stream/exact.db"},
                            {"sh", "-c", "head -c " + part + " '" + f.string() + "'; exit 4"}, kMinPartSize, o, &r);
  EXPECT_NE(e.message.find("exited with status 4"), std::string::npos) << e.text();
  ObjectInfo info;
  EXPECT_EQ(c->head_object(S3Location{bucket_, "stream/exact.db"}, &info).kind, AwsErrorKind::kNotFound);
  // Exactly one part, and that is all: one PUT.
  e = upload_command_output(*c, S3Location{bucket_, "stream/exact.db"}, {"head", "-c", part, f.string()},
                            kMinPartSize, o, &r);
  ASSERT_TRUE(e.ok()) << e.text();
  EXPECT_EQ(r.parts, 0);
  EXPECT_EQ(r.size, kMinPartSize);
}

TEST_F(S3rverTest, AStalledStreamStopsWhenCancelled) {
  auto c = client(false);
  std::atomic<bool> cancel{false};
  UploadOptions o;
  o.cancel = &cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  UploadResult r;
  // An exec that never sends a byte (a half-open connection).
  AwsError e = upload_command_output(*c, S3Location{bucket_, "stream/stalled.db"}, {"sleep", "30"}, std::nullopt, o, &r);
  stopper.join();
  EXPECT_FALSE(e.ok());
  // Not a speed assertion: only that the 30 s command did not run to its end.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(S3rverTest, StreamModeAbortsWhenTheCommandFails) {
  auto c = client(true);
  fs::path f = random_file("half.db", 3 * kMinPartSize, 11);
  UploadOptions o;
  o.part_size = kMinPartSize;
  UploadResult r;
  // The bytes stop cleanly after two parts, but the command says it failed.
  AwsError e = upload_command_output(
      *c, S3Location{bucket_, "stream/half.db"},
      {"sh", "-c", "head -c " + std::to_string(2 * kMinPartSize) + " '" + f.string() + "'; echo 'read error' >&2; exit 3"},
      std::nullopt, o, &r);
  ASSERT_FALSE(e.ok());
  // The command's exit status and what it said on stderr.
  EXPECT_NE(e.message.find("'sh' exited with status 3: read error"), std::string::npos) << e.text();
  std::string log = proxy_log();
  EXPECT_NE(log.find("DELETE /" + bucket_ + "/stream/half.db?uploadId="), std::string::npos) << log;
  ObjectInfo info;
  EXPECT_EQ(c->head_object(S3Location{bucket_, "stream/half.db"}, &info).kind, AwsErrorKind::kNotFound);
}

}  // namespace
}  // namespace ferry::aws

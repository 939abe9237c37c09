// `upload` of a file in a pod, both modes, through the real kubectl against the sandbox's API
// simulator (whose pods run commands as local processes under their own directories) and to
// s3rver (tests/s3/with_s3rver.py starts it, and a fault-injecting proxy in front of it). The
// object that arrives is downloaded and compared with the file by sha256sum.
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "engine/aws/s3_client.h"
#include "engine/steps/aws_steps.h"
#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using testing::Sim;
using testing::StepHarness;

constexpr const char* kNamespace = "clusters-jdoe-hosted";
constexpr uint64_t kMiB = 1024 * 1024;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw std::runtime_error(std::string(name) + " is not set: run under tests/s3/with_s3rver.py");
  return v;
}

std::string sha256sum(const fs::path& p) {
  std::string out(64, '\0');
  FILE* f = popen(("sha256sum '" + p.string() + "'").c_str(), "r");
  out.resize(fread(out.data(), 1, 64, f));
  pclose(f);
  return out;
}

std::optional<std::string> s3rver_env(const std::string& name) {
  if (name == "AWS_ACCESS_KEY_ID" || name == "AWS_SECRET_ACCESS_KEY") return "S3RVER";
  return std::nullopt;
}

class UploadFromPodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::require_kubectl());
    ASSERT_TRUE(sim_.up());
    set_faults(0);
  }
  void TearDown() override { set_faults(0); }

  // `name` of `size` random bytes in etcd-0's /var/lib/data; its path on this machine.
  fs::path file_in_pod(const std::string& name, uint64_t size) {
    fs::path dir = fs::path(sim_.dir()) / "state/pods" / kNamespace / "etcd-0/var/lib/data";
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary);
    std::mt19937 rng(static_cast<unsigned>(size));
    for (uint64_t i = 0; i < size; i += 4) {
      uint32_t w = rng();
      out.write(reinterpret_cast<const char*>(&w), static_cast<std::streamsize>(std::min<uint64_t>(4, size - i)));
    }
    return dir / name;
  }

  json args(const std::string& name, const std::string& mode) {
    return {{"namespace", kNamespace}, {"pod", "etcd-0"}, {"container", "etcd"},
            {"from", "/var/lib/data/" + name}, {"to", "s3://" + env("FERRY_S3_BUCKET") + "/pods/" + name},
            {"mode", mode}, {"part_size", 5 * kMiB}, {"parallelism", 3}};
  }

  StepResult run(StepHarness& h, const std::string& endpoint_var = "FERRY_S3_ENDPOINT") {
    h.services.aws.endpoint_url = env(endpoint_var.c_str());
    h.services.aws.region = "us-east-1";
    h.services.aws_env = s3rver_env;
    return h.run();
  }

  // sha256sum of the object `key` as s3rver serves it.
  std::string object_sha(const std::string& key) {
    aws::S3ClientOptions o;
    aws::AwsSettings s;
    s.endpoint_url = env("FERRY_S3_ENDPOINT");
    s.region = "us-east-1";
    std::string error;
    EXPECT_TRUE(aws::resolve_aws_config(s, s3rver_env, &o.config, &error)) << error;
    aws::S3Client client(o);
    aws::ObjectInfo info;
    const fs::path out = fs::path(sim_.dir()) / "downloaded";
    aws::AwsError e = client.get_object(aws::S3Location{env("FERRY_S3_BUCKET"), key}, out.string(), &info);
    EXPECT_TRUE(e.ok()) << e.text();
    return sha256sum(out);
  }

  static void set_faults(double rate) {
    std::system(("curl -s -X POST '" + env("FERRY_S3_PROXY") + "/__proxy/faults?rate=" + std::to_string(rate) +
                 "' >/dev/null")
                    .c_str());
  }

  Sim sim_;
};

void expect_uploaded(const StepResult& r, const fs::path& file, int parts) {
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["size"], fs::file_size(file));
  EXPECT_EQ(r.outputs["sha256"], sha256sum(file));
  EXPECT_EQ(r.outputs["parts"], parts);
  EXPECT_FALSE(r.outputs["etag"].get<std::string>().empty());
}

TEST_F(UploadFromPodTest, StreamSendsThePodsFileThroughKubectlExec) {
  const fs::path file = file_in_pod("streamed.db", 12 * kMiB + 3);
  StepHarness h(sim_, "upload", args("streamed.db", "stream"));
  StepResult r = run(h);
  expect_uploaded(r, file, 3);
  EXPECT_EQ(r.outputs["url"], "s3://" + env("FERRY_S3_BUCKET") + "/pods/streamed.db");
  EXPECT_EQ(object_sha("pods/streamed.db"), sha256sum(file));
  EXPECT_TRUE(h.tainted.size() >= 1);  // the secret key
  EXPECT_FALSE(fs::exists(h.run_dir + "/upload-upload-under-test.multipart.json"));
}

TEST_F(UploadFromPodTest, InPodSendsPartsWithCurlToPresignedUrls) {
  const fs::path file = file_in_pod("inpod.db", 11 * kMiB);
  StepHarness h(sim_, "upload", args("inpod.db", "in-pod"));
  StepResult r = run(h);
  expect_uploaded(r, file, 3);
  EXPECT_EQ(object_sha("pods/inpod.db"), sha256sum(file));
  // Every part's URL was tainted before it was used, and none reached a log line.
  size_t urls = 0;
  for (const std::string& t : h.tainted) {
    if (t.find("X-Amz-Signature=") == std::string::npos) continue;
    ++urls;
    for (const std::string& line : h.logs) EXPECT_EQ(line.find(t), std::string::npos) << line;
  }
  EXPECT_EQ(urls, 3u);
  // The pod is left as it was: no part files beside the snapshot.
  for (const auto& entry : fs::directory_iterator(file.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".ferry-part-"), std::string::npos) << entry.path();
  }
}

TEST_F(UploadFromPodTest, BothModesRecoverFromServerFaults) {
  // In-pod, curl's failed part is sent again with a fresh URL; streamed, the S3 client retries.
  for (const std::string mode : {"stream", "in-pod"}) {
    const std::string name = "faulty-" + mode + ".db";
    const fs::path file = file_in_pod(name, 16 * kMiB);
    // Each part has 4 tries in-pod: at 15% a part fails all of them once in ~2,000 runs.
    set_faults(0.15);
    StepHarness h(sim_, "upload", args(name, mode));
    StepResult r = run(h, "FERRY_S3_PROXY");
    set_faults(0);
    expect_uploaded(r, file, 4);
    EXPECT_EQ(object_sha("pods/" + name), sha256sum(file)) << mode;
  }
}

TEST_F(UploadFromPodTest, AMissingFileFailsBeforeAnyUploadStarts) {
  for (const char* mode : {"stream", "in-pod"}) {
    StepHarness h(sim_, "upload", args("absent.db", mode));
    StepResult r = run(h);
    ASSERT_FALSE(r.status.ok()) << mode;
    EXPECT_NE(r.status.message().find("stat /var/lib/data/absent.db in pod etcd-0"), std::string::npos)
        << r.status.message();
    for (const std::string& line : h.logs) EXPECT_EQ(line.find("multipart"), std::string::npos) << line;
  }
}

TEST_F(UploadFromPodTest, AMissingPodIsNotFound) {
  json a = args("streamed.db", "stream");
  a["pod"] = "etcd-9";
  StepHarness h(sim_, "upload", a);
  StepResult r = run(h);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
}

TEST_F(UploadFromPodTest, APodWithoutAClusterIsRefused) {
  StepHarness h(sim_, "upload", args("streamed.db", "stream"));
  StepContext ctx = h.context();
  ctx.cluster = nullptr;
  StepResult r = h.impl().run(ctx);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("set `cluster`"), std::string::npos) << r.status.message();
}

TEST_F(UploadFromPodTest, TheDryRunShowsTheCommandsOfEachMode) {
  StepHarness h(sim_, "upload", args("x.db", "stream"));
  std::vector<Action> stream = h.impl().render(h.context());
  ASSERT_EQ(stream.size(), 2u);
  EXPECT_NE(stream[1].text().find("exec etcd-0 -c etcd -- cat /var/lib/data/x.db"), std::string::npos)
      << stream[1].text();
  h.step.args["mode"] = "in-pod";
  std::vector<Action> in_pod = h.impl().render(h.context());
  ASSERT_EQ(in_pod.size(), 5u);
  EXPECT_NE(in_pod[1].text().find("sha256sum /var/lib/data/x.db"), std::string::npos) << in_pod[1].text();
  EXPECT_EQ(in_pod[2].url, h.step.args["to"].get<std::string>() + "?uploads");
  EXPECT_NE(in_pod[3].text().find("<presigned UploadPart URL>"), std::string::npos) << in_pod[3].text();
}

}  // namespace
}  // namespace ferry::engine

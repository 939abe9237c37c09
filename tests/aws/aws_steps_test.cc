// The `upload`, `presign` and `dns_wait` steps through the engine's step interface, against
// s3rver (started by tests/s3/with_s3rver.py) and a SigV4-verifying Route53 stand-in
// (fake_route53.py, started here). Secrets must come back through taint(), never in a log line.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include <gtest/gtest.h>

#include "engine/run/step.h"
#include "engine/steps/registry.h"
#include "engine/steps/aws_steps.h"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw std::runtime_error(std::string(name) + " is not set: run under tests/s3/with_s3rver.py");
  return v;
}

std::string sh(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

class AwsStepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-awssteps-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    vars_ = {{"AWS_ACCESS_KEY_ID", "S3RVER"}, {"AWS_SECRET_ACCESS_KEY", "S3RVER"}, {"HOME", dir_.string()}};
    services_.aws.endpoint_url = env("FERRY_S3_ENDPOINT");
    services_.aws_env = [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars_.find(n);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    step_.id = "put[etcd-0]";
  }
  void TearDown() override { fs::remove_all(dir_); }

  StepContext context(json args) {
    StepContext ctx;
    ctx.step = &step_;
    ctx.args = std::move(args);
    ctx.run_dir = dir_.string();
    ctx.clock = &clock_;
    ctx.services = &services_;
    // log, taint and progress may come from the upload's threads.
    ctx.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      logs_.push_back(line);
    };
    ctx.taint = [this](const std::string& s) {
      std::lock_guard lock(mu_);
      if (!s.empty()) tainted_.push_back(s);
    };
    ctx.progress = [this](const std::string& status) {
      std::lock_guard lock(mu_);
      progress_.push_back(status);
    };
    return ctx;
  }
  StepResult run(const std::string& type, json args) {
    const StepImpl* impl = find_step_impl(type);
    EXPECT_NE(impl, nullptr);
    StepContext ctx = context(std::move(args));
    return impl->run(ctx);
  }
  fs::path random_file(const std::string& name, size_t size) {
    fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    std::mt19937 rng(static_cast<unsigned>(size));
    for (size_t i = 0; i < size; ++i) out.put(static_cast<char>(rng()));
    return p;
  }
  bool tainted(const std::string& s) const {
    return std::find(tainted_.begin(), tainted_.end(), s) != tainted_.end();
  }
  void expect_logs_free_of(const std::string& secret) {
    for (const auto& l : logs_) EXPECT_EQ(l.find(secret), std::string::npos) << l;
  }

  fs::path dir_;
  std::map<std::string, std::string> vars_;
  Services services_;
  dsl::IrStep step_;
  FakeClock clock_;
  std::vector<std::string> logs_, tainted_;
  std::mutex mu_;
  std::vector<std::string> progress_;
};

TEST_F(AwsStepsTest, UploadRecordsSizeShaAndEtag) {
  fs::path f = random_file("snapshot.db", 6 * 1024 * 1024 + 5);
  StepResult r = run("upload", {{"from", f.string()},
                                {"to", "s3://" + env("FERRY_S3_BUCKET") + "/steps/jdoe-hosted-etcd-0-snapshot.db"},
                                {"part_size", 5 * 1024 * 1024},
                                {"parallelism", 2}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["url"], "s3://" + env("FERRY_S3_BUCKET") + "/steps/jdoe-hosted-etcd-0-snapshot.db");
  EXPECT_EQ(r.outputs["bucket"], env("FERRY_S3_BUCKET"));
  EXPECT_EQ(r.outputs["key"], "steps/jdoe-hosted-etcd-0-snapshot.db");
  EXPECT_EQ(r.outputs["size"], fs::file_size(f));
  EXPECT_EQ(r.outputs["sha256"], sh("sha256sum '" + f.string() + "'").substr(0, 64));
  EXPECT_EQ(r.outputs["parts"], 2);
  EXPECT_FALSE(r.outputs["etag"].get<std::string>().empty());
  EXPECT_TRUE(tainted("S3RVER"));  // the secret key was tainted at its source
  EXPECT_FALSE(fs::exists(dir_ / "upload-put_etcd-0_.multipart.json"));  // no dangling record
  // The live view heard where it was; the last report is the whole file.
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back().rfind("6 of 6 MiB, ", 0), 0u) << progress_.back();
  // Idempotent: the same step again replaces the object.
  StepResult again = run("upload", {{"from", f.string()},
                                    {"to", "s3://" + env("FERRY_S3_BUCKET") + "/steps/jdoe-hosted-etcd-0-snapshot.db"}});
  ASSERT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.outputs["sha256"], r.outputs["sha256"]);
}

TEST_F(AwsStepsTest, UploadAbortsTheUploadAnEarlierAttemptLeft) {
  // What a crash mid-upload leaves in the run directory.
  std::ofstream(dir_ / "upload-put_etcd-0_.multipart.json")
      << json{{"bucket", env("FERRY_S3_BUCKET")}, {"key", "steps/left"}, {"upload_id", "0123abcd"}}.dump();
  fs::path f = random_file("small.db", 1000);
  StepResult r = run("upload", {{"from", f.string()}, {"to", "s3://" + env("FERRY_S3_BUCKET") + "/steps/left"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  bool mentioned = false;
  for (const auto& l : logs_) mentioned |= l.find("0123abcd") != std::string::npos;
  EXPECT_TRUE(mentioned) << "the dangling upload's abort is logged";
  EXPECT_FALSE(fs::exists(dir_ / "upload-put_etcd-0_.multipart.json"));
}

TEST_F(AwsStepsTest, UploadErrorsHaveClasses) {
  StepResult r = run("upload", {{"from", (dir_ / "missing").string()}, {"to", "s3://b/k"}});
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
  EXPECT_NE(r.status.message().find("cannot open"), std::string::npos);
  r = run("upload", {{"from", "/etc/hostname"}, {"to", "https://not-s3/k"}});
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid) << r.status.ToString();
  vars_["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-77aa";
  fs::path f = random_file("x", 10);
  r = run("upload", {{"from", f.string()}, {"to", "s3://" + env("FERRY_S3_BUCKET") + "/steps/denied"}});
  EXPECT_EQ(r.status.error_class(), ErrorClass::kForbidden) << r.status.ToString();
  EXPECT_NE(r.status.message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(r.status.message().find("wrong-secret-77aa"), std::string::npos);
  EXPECT_TRUE(tainted("wrong-secret-77aa"));
  vars_.erase("AWS_SECRET_ACCESS_KEY");
  vars_.erase("AWS_ACCESS_KEY_ID");
  r = run("upload", {{"from", f.string()}, {"to", "s3://b/k"}});
  EXPECT_EQ(r.status.error_class(), ErrorClass::kUnauthorized) << r.status.ToString();
  EXPECT_NE(r.status.message().find("no AWS credentials found"), std::string::npos);
}

TEST_F(AwsStepsTest, PresignGetIsTaintedAndWorks) {
  fs::path f = random_file("obj", 4096);
  const std::string to = "s3://" + env("FERRY_S3_BUCKET") + "/steps/presign me.db";
  ASSERT_TRUE(run("upload", {{"from", f.string()}, {"to", to}}).status.ok());
  StepResult r = run("presign", {{"url", to}, {"expires", "2h"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  std::string url = r.outputs["url"];
  EXPECT_TRUE(tainted(url));
  EXPECT_NE(url.find("X-Amz-Expires=7200"), std::string::npos) << url;
  sh("curl -sS -f -o '" + (dir_ / "back").string() + "' '" + url + "'");
  EXPECT_EQ(sh("sha256sum < '" + (dir_ / "back").string() + "'"), sh("sha256sum < '" + f.string() + "'"));
  for (const auto& l : logs_) EXPECT_EQ(l.find(url), std::string::npos);
}

TEST_F(AwsStepsTest, PresignOfAMissingObjectFails) {
  StepResult r = run("presign", {{"url", "s3://" + env("FERRY_S3_BUCKET") + "/steps/never-uploaded"}});
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
}

TEST_F(AwsStepsTest, PresignWarnsWhenASessionTokenMakesItTooLong) {
  vars_["AWS_SESSION_TOKEN"] = std::string(900, 'T');
  StepResult r = run("presign", {{"url", "s3://" + env("FERRY_S3_BUCKET") + "/k"}, {"method", "PUT"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_GT(r.outputs["url"].get<std::string>().size(), 1024u);
  EXPECT_TRUE(tainted(std::string(900, 'T')));
  bool warned = false;
  for (const auto& l : logs_) warned |= l.find("restoreSnapshotURL takes at most 1024") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(AwsStepsTest, PresignRetaintSignsTheSameUrlAgain) {
  const json args = {{"url", "s3://" + env("FERRY_S3_BUCKET") + "/k"}, {"method", "PUT"}, {"expires", "2h"}};
  StepResult r = run("presign", args);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const std::string url = r.outputs["url"];
  json journaled = r.outputs;  // what a later process reads: the secret output left out
  journaled.erase("url");
  ASSERT_TRUE(journaled["signed_at"].is_number_integer());
  tainted_.clear();
  StepContext ctx = context(args);
  Status s = find_step_impl("presign")->retaint(ctx, journaled);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(tainted(url)) << "a later process does not know the URL an earlier one made";
}

// Starts fake_route53.py; stops it when destroyed.
class FakeRoute53 {
 public:
  FakeRoute53(const std::string& args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      std::string cmd = "exec python3 '" FERRY_FAKE_ROUTE53 "' " + args;
      execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(fds[0]);
    port_ = std::atoi(line.c_str());
    if (port_ == 0) throw std::runtime_error("fake_route53.py did not start");
  }
  ~FakeRoute53() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

const char* kRecords =
    "jdoe.example.com/A,api.jdoe.example.com/A,*.apps.jdoe.example.com/CNAME,oauth.jdoe.example.com/A,"
    "konnectivity.jdoe.example.com/A,ignition.jdoe.example.com/A,other.example.com/A,zzz.example.com/TXT";

TEST_F(AwsStepsTest, DnsWaitPollsUntilFewEnoughRecords) {
  FakeRoute53 r53(std::string("Z07342811SH9AA102K1AC jdoe.example.com '") + kRecords + "' --keep 2 --drain-every 1");
  vars_["AWS_SECRET_ACCESS_KEY"] = "route53-test-secret";
  vars_["AWS_ENDPOINT_URL_ROUTE_53"] = r53.url();
  StepResult r = run("dns_wait", {{"zone_id", "/hostedzone/Z07342811SH9AA102K1AC"},
                                  {"name", "jdoe.example.com"},
                                  {"max_records", 2},
                                  {"interval", "10s"}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["count"], 2);
  // Six records drain one per listing: it slept between polls on the run's clock.
  auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 4u);
  for (auto s : sleeps) EXPECT_EQ(s, Millis(10'000));
  ASSERT_FALSE(logs_.empty());
  EXPECT_NE(logs_[0].find("6 records remain under jdoe.example.com"), std::string::npos) << logs_[0];
}

TEST_F(AwsStepsTest, DnsWaitTimesOutWithTheCount) {
  FakeRoute53 r53(std::string("Z1 jdoe.example.com '") + kRecords + "' --keep 5 --drain-every 1000");
  vars_["AWS_SECRET_ACCESS_KEY"] = "route53-test-secret";
  vars_["AWS_ENDPOINT_URL_ROUTE_53"] = r53.url();
  const StepImpl* impl = find_step_impl("dns_wait");
  StepContext ctx = context({{"zone_id", "Z1"}, {"name", "jdoe.example.com."}, {"max_records", 2}, {"interval", "10s"}});
  ctx.deadline = clock_.now() + Millis(400'000);  // 40 tries of 10 s, as the procedure waits
  StepResult r = impl->run(ctx);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  EXPECT_NE(r.status.message().find("6 records still under jdoe.example.com."), std::string::npos)
      << r.status.message();
}

TEST_F(AwsStepsTest, DnsWaitWithWrongCredentialsIsForbidden) {
  FakeRoute53 r53(std::string("Z1 jdoe.example.com '") + kRecords + "'");
  vars_["AWS_SECRET_ACCESS_KEY"] = "not-the-route53-secret";
  vars_["AWS_ENDPOINT_URL_ROUTE_53"] = r53.url();
  StepResult r = run("dns_wait", {{"zone_id", "Z1"}, {"name", "jdoe.example.com"}});
  EXPECT_EQ(r.status.error_class(), ErrorClass::kForbidden) << r.status.ToString();
  EXPECT_NE(r.status.message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(r.status.message().find("not-the-route53-secret"), std::string::npos);
}

TEST_F(AwsStepsTest, DryRunRendersWithoutCredentials) {
  vars_.clear();
  StepContext ctx = context({{"from", "<snap[etcd-0].path>"}, {"to", "s3://b/k.db"}, {"part_size", 8388608},
                             {"parallelism", 4}});
  auto actions = find_step_impl("upload")->render(ctx);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].method, "PUT");
  EXPECT_EQ(actions[0].url, "s3://b/k.db");
  EXPECT_NE(actions[0].input.find("<snap[etcd-0].path>"), std::string::npos);
  StepContext p = context({{"url", "s3://b/k.db"}, {"expires", "1h"}});
  EXPECT_NE(find_step_impl("presign")->render(p)[0].note.find("secret"), std::string::npos);
  StepContext d = context({{"zone_id", "Z1"}, {"name", "d.example.com"}, {"max_records", 2}, {"interval", "10s"}});
  EXPECT_NE(find_step_impl("dns_wait")->render(d)[0].note.find("at most 2 records"), std::string::npos);
}

}  // namespace
}  // namespace ferry::engine

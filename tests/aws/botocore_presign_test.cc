// ferry's presigned S3 URLs must be exactly the ones botocore (the AWS CLI's library, installed
// with the machine's Python) makes for the same credentials, time, endpoint and key, for keys
// that trip naive encoders: spaces, '+', '~', '=', "//", "./", "..", UTF-8, '%', '?', '#'.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/aws/s3_presign.h"

namespace ferry::aws {
namespace {

using nlohmann::json;

struct PresignSetup {
  std::string region;
  std::string endpoint_url;
  std::string addressing_style;  // botocore's: "virtual" for AWS (regional hosts), "path" for a custom endpoint
  std::string bucket;
  std::string token;
  std::string method;
  int64_t expires;
};

const std::vector<std::string> kKeys = {
    "snapshot.db",   "with space.db", "plus+sign.db",  "tilde~.db",       "eq=ual.db",  "double//slash.db",
    "./dot-slash.db", "a/./b.db",     "a/../b.db",     "ሴ/ünïcödé.db",    "100%.db",    "what?#.db",
    "trailing/",     "/leading.db",   "(paren)*!'.db", "semi;colon,comma&amp$.db", "etcd-0-snapshot.db"};

const std::vector<PresignSetup> kSetups = {
    {"us-east-1", "", "virtual", "examplebucket", "", "GET", 3600},
    {"us-west-1", "", "virtual", "jdoe-hosted-us-west-1", "", "GET", 604800},
    {"eu-central-1", "", "virtual", "examplebucket", "FwoGZXIvYXdzEJr//////////+session/token==", "GET", 900},
    {"us-east-1", "", "path", "examplebucket", "", "PUT", 3600},
    {"us-west-2", "http://127.0.0.1:9000", "path", "local", "", "PUT", 60},
    {"us-east-1", "https://minio.example.com:9443/base", "path", "local", "tok", "GET", 7200},
};

std::string run_python(const std::string& script, const std::string& input_file) {
  std::string cmd = "python3 '" + script + "' '" + input_file + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) ADD_FAILURE() << "botocore script failed: " << out;
  return out;
}

TEST(BotocorePresign, SameUrlsAsBotocore) {
  const Credentials base{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  const int64_t t = 1764158400;  // 2025-11-26T12:00:00Z
  json cases = json::array();
  std::vector<std::string> ours;
  for (const PresignSetup& s : kSetups) {
    for (const std::string& key : kKeys) {
      cases.push_back({{"access_key", base.access_key_id},
                       {"secret_key", base.secret_access_key},
                       {"token", s.token},
                       {"region", s.region},
                       {"endpoint_url", s.endpoint_url},
                       {"addressing_style", s.addressing_style},
                       {"bucket", s.bucket},
                       {"key", key},
                       {"method", s.method},
                       {"expires", s.expires},
                       {"unix_time", t}});
      S3Endpoint ep{s.region, s.endpoint_url, s.addressing_style == "path"};
      Credentials creds = base;
      creds.session_token = s.token;
      PresignRequest req;
      req.method = s.method;
      req.location = {s.bucket, key};
      req.expires_seconds = s.expires;
      req.unix_time = t;
      std::string error;
      ours.push_back(presign_s3(ep, creds, req, &error));
      EXPECT_EQ(error, "");
    }
  }
  char path[] = "/tmp/ferry-botocore-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << cases.dump();
  std::string out = run_python(FERRY_BOTOCORE_SCRIPT, path);
  unlink(path);
  json theirs = json::parse(out, nullptr, false);
  ASSERT_TRUE(theirs.is_array()) << out;
  ASSERT_EQ(theirs.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i], theirs[i].get<std::string>()) << "case " << cases[i].dump();
  }
}

TEST(Presign, RejectsExpiryBeyondAWeek) {
  std::string error;
  PresignRequest req;
  req.location = {"b", "k"};
  req.expires_seconds = kMaxPresignSeconds + 1;
  EXPECT_EQ(presign_s3(S3Endpoint{}, Credentials{"AK", "SK", ""}, req, &error), "");
  EXPECT_NE(error.find("7 days"), std::string::npos) << error;
}

}  // namespace
}  // namespace ferry::aws

// Credentials and settings lookup: the order (settings, environment, credentials file, config
// file), profiles, regions and endpoints, and errors that say where they looked without
// printing a secret.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/aws/credentials.h"

namespace ferry::aws {
namespace {

namespace fs = std::filesystem;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-creds-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    fs::create_directories(home_ / ".aws");
    vars_["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(home_); }

  void write(const std::string& rel, const std::string& text) { std::ofstream(home_ / rel) << text; }
  EnvLookup env() {
    return [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars_.find(n);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  bool resolve(const AwsSettings& s = {}) {
    error_.clear();
    return resolve_aws_config(s, env(), &cfg_, &error_);
  }

  fs::path home_;
  std::map<std::string, std::string> vars_;
  AwsConfig cfg_;
  std::string error_;
};

TEST_F(CredentialsTest, EnvironmentComesFirst) {
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  vars_["AWS_SESSION_TOKEN"] = "envtoken";
  ASSERT_TRUE(resolve()) << error_;
  EXPECT_EQ(cfg_.credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(cfg_.credentials.secret_access_key, "envsecret");
  EXPECT_EQ(cfg_.credentials.session_token, "envtoken");
  EXPECT_NE(cfg_.credentials_source.find("environment"), std::string::npos);
}

TEST_F(CredentialsTest, ExplicitProfileIgnoresEnvironmentKeys) {
  write(".aws/credentials",
        "# comment\n[default]\naws_access_key_id = D\naws_secret_access_key = d\n\n"
        "[jdoe]\naws_access_key_id = JKEY\naws_secret_access_key = jsecret\naws_session_token = jtok\n");
  vars_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  AwsSettings s;
  s.profile = "jdoe";
  ASSERT_TRUE(resolve(s)) << error_;
  EXPECT_EQ(cfg_.credentials.access_key_id, "JKEY");
  EXPECT_EQ(cfg_.credentials.session_token, "jtok");
  EXPECT_EQ(cfg_.credentials_source, "profile 'jdoe' in " + (home_ / ".aws/credentials").string());
}

TEST_F(CredentialsTest, AwsProfileAndFileOverrides) {
  write("creds", "[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = cisecret\n");
  write("conf", "[profile ci]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:9000\n");
  vars_["AWS_PROFILE"] = "ci";
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = (home_ / "creds").string();
  vars_["AWS_CONFIG_FILE"] = (home_ / "conf").string();
  ASSERT_TRUE(resolve()) << error_;
  EXPECT_EQ(cfg_.credentials.access_key_id, "CIKEY");
  EXPECT_EQ(cfg_.region, "eu-west-3");
  EXPECT_EQ(cfg_.s3.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_TRUE(cfg_.s3.path_style);  // a custom endpoint means path-style unless told otherwise
}

TEST_F(CredentialsTest, KeysInTheConfigFile) {
  write(".aws/config", "[default]\naws_access_key_id = CK\naws_secret_access_key = cs\nregion = ap-south-1\n"
                       "s3 =\n  addressing_style = path\n");
  ASSERT_TRUE(resolve()) << error_;
  EXPECT_EQ(cfg_.credentials.access_key_id, "CK");
  EXPECT_EQ(cfg_.region, "ap-south-1");
  EXPECT_TRUE(cfg_.s3.path_style);
  EXPECT_EQ(cfg_.s3.endpoint_url, "");
}

TEST_F(CredentialsTest, RegionOrder) {
  write(".aws/credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = s\n");
  write(".aws/config", "[default]\nregion = from-config\n");
  ASSERT_TRUE(resolve());
  EXPECT_EQ(cfg_.region, "from-config");
  vars_["AWS_DEFAULT_REGION"] = "from-default";
  ASSERT_TRUE(resolve());
  EXPECT_EQ(cfg_.region, "from-default");
  vars_["AWS_REGION"] = "from-region";
  ASSERT_TRUE(resolve());
  EXPECT_EQ(cfg_.region, "from-region");
  AwsSettings s;
  s.region = "from-settings";
  ASSERT_TRUE(resolve(s));
  EXPECT_EQ(cfg_.region, "from-settings");
  EXPECT_EQ(cfg_.s3.region, "from-settings");
  EXPECT_FALSE(cfg_.s3.path_style);  // AWS itself: virtual-hosted
}

TEST_F(CredentialsTest, NothingFoundSaysWhereItLooked) {
  EXPECT_FALSE(resolve());
  EXPECT_NE(error_.find("no AWS credentials found"), std::string::npos) << error_;
  EXPECT_NE(error_.find((home_ / ".aws/credentials").string() + " does not exist"), std::string::npos) << error_;
  EXPECT_NE(error_.find("AWS_ACCESS_KEY_ID"), std::string::npos) << error_;
}

TEST_F(CredentialsTest, MissingProfileIsNamed) {
  write(".aws/credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = topsecret\n");
  AwsSettings s;
  s.profile = "prod";
  EXPECT_FALSE(resolve(s));
  EXPECT_NE(error_.find("has no profile 'prod'"), std::string::npos) << error_;
  EXPECT_EQ(error_.find("topsecret"), std::string::npos) << error_;
}

TEST_F(CredentialsTest, HalfAPairIsAnErrorWithoutTheSecret) {
  vars_["AWS_SECRET_ACCESS_KEY"] = "hunter2secret";
  EXPECT_FALSE(resolve());
  EXPECT_NE(error_.find("AWS_SECRET_ACCESS_KEY but not AWS_ACCESS_KEY_ID"), std::string::npos) << error_;
  EXPECT_EQ(error_.find("hunter2secret"), std::string::npos);
  vars_.erase("AWS_SECRET_ACCESS_KEY");
  write(".aws/credentials", "[default]\naws_secret_access_key = hunter2secret\n");
  EXPECT_FALSE(resolve());
  EXPECT_NE(error_.find("has aws_secret_access_key but no aws_access_key_id"), std::string::npos) << error_;
  EXPECT_EQ(error_.find("hunter2secret"), std::string::npos);
}

TEST_F(CredentialsTest, MalformedFileGivesFileAndLine) {
  write(".aws/credentials", "[default]\naws_access_key_id = K\nthis line is wrong\n");
  EXPECT_FALSE(resolve());
  EXPECT_NE(error_.find(".aws/credentials:3: expected 'key = value'"), std::string::npos) << error_;
}

TEST_F(CredentialsTest, EndpointAndCaBundleFromEnvironment) {
  vars_["AWS_ACCESS_KEY_ID"] = "K";
  vars_["AWS_SECRET_ACCESS_KEY"] = "s";
  vars_["AWS_ENDPOINT_URL_S3"] = "https://minio.local:9000";
  vars_["AWS_ENDPOINT_URL_ROUTE_53"] = "http://127.0.0.1:8053";
  vars_["AWS_CA_BUNDLE"] = "/etc/ca.pem";
  ASSERT_TRUE(resolve());
  EXPECT_EQ(cfg_.s3.endpoint_url, "https://minio.local:9000");
  EXPECT_EQ(cfg_.service_endpoints["route53"], "http://127.0.0.1:8053");
  EXPECT_EQ(cfg_.ca_bundle, "/etc/ca.pem");
  AwsSettings s;
  s.endpoint_url = "http://127.0.0.1:1";
  s.path_style = false;
  s.ca_bundle = "/other.pem";
  ASSERT_TRUE(resolve(s));
  EXPECT_EQ(cfg_.s3.endpoint_url, "http://127.0.0.1:1");
  EXPECT_FALSE(cfg_.s3.path_style);
  EXPECT_EQ(cfg_.ca_bundle, "/other.pem");
}

}  // namespace
}  // namespace ferry::aws

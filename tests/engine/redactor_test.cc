// The redactor: registered secrets, and the presigned-URL secret parts it recognises without
// being told (what an earlier process of a run made, read back from a cluster).
#include "engine/base/redactor.h"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

TEST(Redactor, RegisteredSecretsLongestFirst) {
  Redactor r;
  r.add("abc");
  r.add("xabcx");
  r.add("");
  EXPECT_EQ(r.redact("1 xabcx 2 abc"), "1 <redacted> 2 <redacted>");
}

TEST(Redactor, SigV4PresignedUrlUnregistered) {
  Redactor r;  // knows nothing
  std::string url =
      "https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261126%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20261126T120000Z&X-Amz-Expires=3600"
      "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2BAAAA%3D%3D"
      "&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef0123456789abcdef";
  std::string got = r.redact(url);
  EXPECT_EQ(got,
            "https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=<redacted>%2F20261126%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20261126T120000Z&X-Amz-Expires=3600"
            "&X-Amz-Security-Token=<redacted>"
            "&X-Amz-SignedHeaders=host&X-Amz-Signature=<redacted>");
}

TEST(Redactor, SigV2SignatureAndUnencodedCredentialAnyCase) {
  EXPECT_EQ(redact_url_secrets("GET https://b/k?AWSAccessKeyId=AK&Expires=1&Signature=a%2Bb%3D done"),
            "GET https://b/k?AWSAccessKeyId=AK&Expires=1&Signature=<redacted> done");
  EXPECT_EQ(redact_url_secrets("x-amz-credential=AKID/20261126/r/s3/aws4_request x-amz-signature=ff"),
            "x-amz-credential=<redacted>/20261126/r/s3/aws4_request x-amz-signature=<redacted>");
}

TEST(Redactor, InsideJsonStringsAndKeys) {
  Redactor r;
  nlohmann::json object = {{"spec", {{"restoreSnapshotURL", "https://b/k?X-Amz-Signature=beef&a=1"}}},
                           {"https://b/k?Signature=cafe", 1}};
  nlohmann::json got = r.redact_json(object);
  EXPECT_EQ(got["spec"]["restoreSnapshotURL"], "https://b/k?X-Amz-Signature=<redacted>&a=1");
  EXPECT_TRUE(got.contains("https://b/k?Signature=<redacted>"));
  EXPECT_EQ(got.dump().find("beef"), std::string::npos);
}

TEST(Redactor, TextWithoutUrlSecretsIsUnchanged) {
  for (const char* text : {"", "no equals sign", "a=b&c=d", "Signature= (empty)", "signature of the snapshot"}) {
    EXPECT_EQ(redact_url_secrets(text), text);
  }
}

}  // namespace
}  // namespace ferry::engine

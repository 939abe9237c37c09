// The XML reader, S3/Route53 error bodies into error classes, and the part-size rule.
#include <gtest/gtest.h>

#include "engine/aws/error.h"
#include "engine/aws/s3_client.h"
#include "engine/aws/upload.h"
#include "engine/aws/xml.h"

namespace ferry::aws {
namespace {

TEST(Xml, ParsesS3Answers) {
  XmlNode root;
  std::string error;
  ASSERT_TRUE(parse_xml("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->"
                        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "<Contents><Key>a &amp; b &lt;c&gt; &#x1234;&#65;</Key><Size>12</Size></Contents>"
                        "<Contents><Key><![CDATA[<raw>]]></Key></Contents><Empty/>"
                        "<IsTruncated>true</IsTruncated></ListBucketResult>",
                        &root, &error))
      << error;
  EXPECT_EQ(root.name, "ListBucketResult");
  auto items = root.children_named("Contents");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]->child_text("Key"), "a & b <c> \xE1\x88\xB4" "A");
  EXPECT_EQ(items[1]->child_text("Key"), "<raw>");
  EXPECT_EQ(root.child_text("IsTruncated"), "true");
  EXPECT_NE(root.child("Empty"), nullptr);
  EXPECT_EQ(root.child("Missing"), nullptr);
}

TEST(Xml, NamespacePrefixesAreDropped) {
  XmlNode root;
  std::string error;
  ASSERT_TRUE(parse_xml("<a:Root xmlns:a=\"x\"><a:Item attr='1>2'>v</a:Item></a:Root>", &root, &error)) << error;
  EXPECT_EQ(root.name, "Root");
  EXPECT_EQ(root.child_text("Item"), "v");
}

TEST(Xml, RejectsBrokenDocuments) {
  XmlNode root;
  std::string error;
  EXPECT_FALSE(parse_xml("<a><b></a>", &root, &error));
  EXPECT_NE(error.find("</a> closes <b>"), std::string::npos) << error;
  EXPECT_FALSE(parse_xml("<a>\n<b>truncated", &root, &error));
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_FALSE(parse_xml("<a>&bogus;</a>", &root, &error));
  EXPECT_NE(error.find("unknown entity"), std::string::npos) << error;
  EXPECT_FALSE(parse_xml("<a/>trailing", &root, &error));
  EXPECT_FALSE(parse_xml("", &root, &error));
}

TEST(AwsErrors, S3ErrorBodyGivesCodeAndClass) {
  AwsError e = error_from_response(
      403, "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match"
           "</Message><RequestId>R1</RequestId></Error>",
      "");
  EXPECT_EQ(e.kind, AwsErrorKind::kForbidden);
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.request_id, "R1");
  EXPECT_NE(e.text().find("SignatureDoesNotMatch (HTTP 403): The request signature"), std::string::npos);
  EXPECT_NE(e.text().find("check the secret access key"), std::string::npos);
}

TEST(AwsErrors, Route53ErrorResponse) {
  AwsError e = error_from_response(
      404, "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found"
           "</Message></Error><RequestId>abc</RequestId></ErrorResponse>",
      "");
  EXPECT_EQ(e.kind, AwsErrorKind::kNotFound);
  EXPECT_EQ(e.code, "NoSuchHostedZone");
  EXPECT_EQ(e.request_id, "abc");
}

TEST(AwsErrors, Classification) {
  EXPECT_EQ(error_from_response(503, "<Error><Code>SlowDown</Code></Error>", "").kind, AwsErrorKind::kTransient);
  EXPECT_EQ(error_from_response(400, "<Error><Code>RequestTimeout</Code></Error>", "").kind,
            AwsErrorKind::kTransient);
  EXPECT_EQ(error_from_response(500, "", "").kind, AwsErrorKind::kTransient);
  EXPECT_EQ(error_from_response(429, "", "").kind, AwsErrorKind::kTransient);
  EXPECT_EQ(error_from_response(404, "", "").kind, AwsErrorKind::kNotFound);  // HEAD: no body
  EXPECT_EQ(error_from_response(404, "", "").code, "NotFound");
  EXPECT_EQ(error_from_response(409, "", "").kind, AwsErrorKind::kConflict);
  EXPECT_EQ(error_from_response(400, "<Error><Code>EntityTooSmall</Code></Error>", "").kind, AwsErrorKind::kInvalid);
  EXPECT_EQ(error_from_response(400, "not xml at all", "").code, "BadRequest");
}

TEST(PartSize, RespectsS3Limits) {
  EXPECT_EQ(choose_part_size(std::nullopt, 1), kMinPartSize);            // at least 5 MiB
  EXPECT_EQ(choose_part_size(100 * kMiB, 8 * kMiB), 8 * kMiB);            // as asked when it fits
  const uint64_t tib = 1024ull * 1024 * kMiB;
  uint64_t ps = choose_part_size(tib, 8 * kMiB);                          // 1 TiB: raised
  EXPECT_LE((tib + ps - 1) / ps, static_cast<uint64_t>(kMaxParts));
  EXPECT_EQ(ps % kMiB, 0u);
  EXPECT_EQ(choose_part_size(5 * tib, 8 * kMiB), 525 * kMiB);
  EXPECT_EQ(choose_part_size(100 * tib, 8 * kMiB), kMaxPartSize);         // capped at 5 GiB
}

TEST(Backoff, GrowsAndStaysBounded) {
  RetryPolicy p;
  p.base_delay_ms = 100;
  p.max_delay_ms = 1000;
  for (int attempt = 1; attempt < 12; ++attempt) {
    int64_t ceiling = std::min<int64_t>(100LL << (attempt - 1), 1000);
    for (int i = 0; i < 20; ++i) {
      int64_t d = backoff_ms(p, attempt);
      EXPECT_GE(d, ceiling / 2);
      EXPECT_LE(d, ceiling);
    }
  }
}

}  // namespace
}  // namespace ferry::aws

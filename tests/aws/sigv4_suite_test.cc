// The AWS Signature Version 4 test suite (aws-c-auth's v4 cases, read from shared/testdata):
// for each case, header auth and query auth, the canonical request, the string to sign and the
// signature must equal the expected files byte for byte.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/aws/crypto.h"
#include "engine/aws/sigv4.h"

namespace ferry::aws {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t parse_iso8601(const std::string& s) {
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return static_cast<int64_t>(timegm(&tm));
}

// request.txt: "METHOD PATH HTTP/1.1", header lines (a line starting with whitespace continues
// the previous value), a blank line, the body. Paths may hold raw spaces and UTF-8.
struct SuiteRequest {
  SignableRequest req;
  std::string body;
};

SuiteRequest parse_request(const std::string& text) {
  SuiteRequest out;
  std::vector<std::string> lines;
  size_t pos = 0;
  size_t body_at = std::string::npos;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() && !lines.empty()) {
      body_at = nl == std::string::npos ? text.size() : nl + 1;
      break;
    }
    lines.push_back(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  if (body_at != std::string::npos) out.body = text.substr(body_at);
  const std::string& first = lines.at(0);
  size_t sp = first.find(' ');
  size_t http = first.rfind(" HTTP/");
  out.req.method = first.substr(0, sp);
  std::string target = first.substr(sp + 1, http - sp - 1);
  size_t q = target.find('?');
  out.req.path = target.substr(0, q);
  if (q != std::string::npos) out.req.query = parse_query(target.substr(q + 1));
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if ((l[0] == ' ' || l[0] == '\t') && !out.req.headers.empty()) {
      out.req.headers.back().second += "\n" + l;
      continue;
    }
    size_t colon = l.find(':');
    out.req.headers.emplace_back(l.substr(0, colon), l.substr(colon + 1));
  }
  return out;
}

struct Case {
  std::string name;
  fs::path dir;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& e : fs::directory_iterator(FERRY_SIGV4_SUITE)) {
    if (e.is_directory()) out.push_back({e.path().filename().string(), e.path()});
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return out;
}

class SigV4Suite : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const fs::path& dir = GetParam().dir;
    auto ctx = nlohmann::json::parse(read(dir / "context.json"));
    creds_.access_key_id = ctx["credentials"]["access_key_id"];
    creds_.secret_access_key = ctx["credentials"]["secret_access_key"];
    creds_.session_token = ctx["credentials"].value("token", "");
    cfg_.region = ctx["region"];
    cfg_.service = ctx["service"];
    cfg_.unix_time = parse_iso8601(ctx["timestamp"]);
    cfg_.normalize_path = ctx["normalize"];
    cfg_.double_encode_path = true;  // the suite signs paths as a non-S3 service does
    cfg_.add_content_sha256_header = ctx["sign_body"];
    cfg_.omit_session_token_from_signature = ctx.value("omit_session_token", false);
    cfg_.expires_seconds = ctx["expiration_in_seconds"];
    SuiteRequest r = parse_request(read(dir / "request.txt"));
    req_ = r.req;
    req_.payload_hash = sha256_hex(r.body);
  }
  std::string expected(const std::string& file) { return read(GetParam().dir / file); }

  Credentials creds_;
  SigningConfig cfg_;
  SignableRequest req_;
};

TEST_P(SigV4Suite, HeaderAuth) {
  Signature sig = sign_headers(req_, creds_, cfg_);
  EXPECT_EQ(sig.canonical_request, expected("header-canonical-request.txt"));
  EXPECT_EQ(sig.string_to_sign, expected("header-string-to-sign.txt"));
  EXPECT_EQ(sig.signature, expected("header-signature.txt"));
  // The Authorization header we would send is the one in the signed request.
  std::string auth;
  for (const auto& [k, v] : sig.headers_to_add) {
    if (k == "Authorization") auth = "Authorization:" + v;
  }
  EXPECT_NE(expected("header-signed-request.txt").find(auth + "\n"), std::string::npos) << auth;
}

TEST_P(SigV4Suite, QueryAuth) {
  Signature sig = sign_query(req_, creds_, cfg_);
  EXPECT_EQ(sig.canonical_request, expected("query-canonical-request.txt"));
  EXPECT_EQ(sig.string_to_sign, expected("query-string-to-sign.txt"));
  EXPECT_EQ(sig.signature, expected("query-signature.txt"));
  // Every parameter of the signed URL we would build appears in the expected one.
  std::string signed_request = expected("query-signed-request.txt");
  for (const auto& [k, v] : sig.query_to_add) {
    std::string param = uri_encode(k) + "=" + uri_encode(v);
    EXPECT_NE(signed_request.find(param), std::string::npos) << param;
  }
}

TEST(SigV4SuiteFiles, AllThirtyEightCasesArePresent) { EXPECT_EQ(cases().size(), 38u); }

INSTANTIATE_TEST_SUITE_P(Aws, SigV4Suite, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string n = info.param.name;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
});

}  // namespace
}  // namespace ferry::aws

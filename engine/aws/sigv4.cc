#include "engine/aws/sigv4.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "engine/aws/crypto.h"

namespace ferry::aws {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Trims the value and folds every run of whitespace (folded continuation lines included)
// into one space, as the SigV4 spec says.
std::string canonical_header_value(const std::string& v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;   // "name:value\n" lines
  std::string signed_names;  // "host;x-amz-date"
};

// Duplicate names are joined with ',' in the order given; names sort by their lower case.
CanonicalHeaders canonical_headers(const Headers& headers) {
  std::map<std::string, std::string> merged;
  for (const auto& [name, value] : headers) {
    std::string key = lower(name);
    auto [it, inserted] = merged.emplace(key, canonical_header_value(value));
    if (!inserted) it->second += "," + canonical_header_value(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block += name + ":" + value + "\n";
    if (!out.signed_names.empty()) out.signed_names.push_back(';');
    out.signed_names += name;
  }
  return out;
}

std::string date_of(const std::string& amzdate) { return amzdate.substr(0, 8); }

std::string scope(const std::string& amzdate, const SigningConfig& cfg) {
  return date_of(amzdate) + "/" + cfg.region + "/" + cfg.service + "/aws4_request";
}

std::string canonical_request(const SignableRequest& req, const QueryParams& query, const CanonicalHeaders& headers,
                              const SigningConfig& cfg) {
  return req.method + "\n" + canonical_path(req.path, cfg) + "\n" + canonical_query(query) + "\n" + headers.block +
         "\n" + headers.signed_names + "\n" + req.payload_hash;
}

std::string signing_key(const Credentials& creds, const std::string& amzdate, const SigningConfig& cfg) {
  std::string k = hmac_sha256("AWS4" + creds.secret_access_key, date_of(amzdate));
  k = hmac_sha256(k, cfg.region);
  k = hmac_sha256(k, cfg.service);
  return hmac_sha256(k, "aws4_request");
}

void finish(Signature* sig, const Credentials& creds, const std::string& amzdate, const SigningConfig& cfg) {
  sig->string_to_sign =
      "AWS4-HMAC-SHA256\n" + amzdate + "\n" + scope(amzdate, cfg) + "\n" + sha256_hex(sig->canonical_request);
  sig->signature = to_hex(hmac_sha256(signing_key(creds, amzdate, cfg), sig->string_to_sign));
}

}  // namespace

std::string amz_date(int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_path(const std::string& wire_path, const SigningConfig& cfg) {
  std::string path = wire_path.empty() ? "/" : wire_path;
  if (cfg.normalize_path) path = normalize_path(path);
  if (cfg.double_encode_path) path = uri_encode(path, /*keep_slash=*/true);
  return path;
}

Signature sign_headers(const SignableRequest& req, const Credentials& creds, const SigningConfig& cfg) {
  const std::string amzdate = amz_date(cfg.unix_time);
  Signature sig;
  Headers all = req.headers;
  sig.headers_to_add.emplace_back("X-Amz-Date", amzdate);
  if (!creds.session_token.empty()) sig.headers_to_add.emplace_back("X-Amz-Security-Token", creds.session_token);
  if (cfg.add_content_sha256_header) sig.headers_to_add.emplace_back("X-Amz-Content-Sha256", req.payload_hash);
  for (const auto& h : sig.headers_to_add) {
    if (h.first == "X-Amz-Security-Token" && cfg.omit_session_token_from_signature) continue;
    all.push_back(h);
  }
  CanonicalHeaders ch = canonical_headers(all);
  sig.canonical_request = canonical_request(req, req.query, ch, cfg);
  finish(&sig, creds, amzdate, cfg);
  sig.headers_to_add.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" +
                                                       scope(amzdate, cfg) + ", SignedHeaders=" + ch.signed_names +
                                                       ", Signature=" + sig.signature);
  return sig;
}

Signature sign_query(const SignableRequest& req, const Credentials& creds, const SigningConfig& cfg) {
  const std::string amzdate = amz_date(cfg.unix_time);
  Signature sig;
  CanonicalHeaders ch = canonical_headers(req.headers);
  // botocore's order; the canonical form sorts them anyway.
  sig.query_to_add = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                      {"X-Amz-Credential", creds.access_key_id + "/" + scope(amzdate, cfg)},
                      {"X-Amz-Date", amzdate},
                      {"X-Amz-Expires", std::to_string(cfg.expires_seconds)},
                      {"X-Amz-SignedHeaders", ch.signed_names}};
  QueryParams signed_query = req.query;
  signed_query.insert(signed_query.end(), sig.query_to_add.begin(), sig.query_to_add.end());
  if (!creds.session_token.empty()) {
    sig.query_to_add.emplace_back("X-Amz-Security-Token", creds.session_token);
    if (!cfg.omit_session_token_from_signature) signed_query.push_back(sig.query_to_add.back());
  }
  sig.canonical_request = canonical_request(req, signed_query, ch, cfg);
  finish(&sig, creds, amzdate, cfg);
  sig.query_to_add.emplace_back("X-Amz-Signature", sig.signature);
  return sig;
}

std::string presigned_query_string(const QueryParams& request_query, const Signature& sig) {
  std::string out;
  auto append = [&](const QueryParams& params) {
    for (const auto& [k, v] : params) {
      if (!out.empty()) out.push_back('&');
      out += uri_encode(k) + "=" + uri_encode(v);
    }
  };
  append(request_query);
  append(sig.query_to_add);
  return out;
}

}  // namespace ferry::aws

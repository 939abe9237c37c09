#include "engine/aws/route53.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/aws/xml.h"

namespace ferry::aws {
namespace {

constexpr const char* kDefaultEndpoint = "https://route53.amazonaws.com";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Route53 writes names with a trailing dot and escapes '*' (and other odd bytes) as \NNN octal.
std::string plain_name(const std::string& listed) {
  std::string out;
  for (size_t i = 0; i < listed.size(); ++i) {
    if (listed[i] == '\\' && i + 3 < listed.size() && std::isdigit(static_cast<unsigned char>(listed[i + 1]))) {
      out.push_back(static_cast<char>(std::stoi(listed.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(listed[i]);
    }
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool under(const std::string& name, const std::string& domain) {
  std::string n = lower(name), d = lower(domain);
  return n == d || (n.size() > d.size() && n.ends_with("." + d));
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One signed GET, retried per the policy.
AwsError get(const Route53Options& o, HttpClient& http, const Url& base, const std::string& path,
             const QueryParams& query, HttpResponse* resp) {
  for (int attempt = 1;; ++attempt) {
    SignableRequest req;
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.headers = {{"host", base.host}};
    SigningConfig cfg;
    cfg.region = "us-east-1";  // Route53 is global and signs in us-east-1
    cfg.service = "route53";
    cfg.unix_time = o.now ? o.now() : unix_now();
    Signature sig = sign_headers(req, o.config.credentials, cfg);
    HttpRequest h;
    h.method = "GET";
    h.url = base.scheme + "://" + base.host + path;
    for (size_t i = 0; i < query.size(); ++i) {
      h.url += (i ? "&" : "?") + uri_encode(query[i].first) + "=" + uri_encode(query[i].second);
    }
    h.headers = sig.headers_to_add;
    AwsError e = http.send(h, resp);
    if (e.ok()) {
      if (resp->status >= 200 && resp->status < 300) return e;
      e = error_from_response(resp->status, resp->body, resp->header("x-amzn-requestid"));
    }
    if (!e.retryable() || attempt >= o.retry.max_attempts) return e;
    int64_t delay = backoff_ms(o.retry, attempt);
    if (o.on_retry) o.on_retry("Route53 " + path + ": " + e.text() + "; retry in " + std::to_string(delay) + " ms");
    bool go_on = o.retry.sleep ? o.retry.sleep(delay)
                               : (std::this_thread::sleep_for(std::chrono::milliseconds(delay)), true);
    if (!go_on) return AwsError::Make(AwsErrorKind::kCancelled, "Cancelled", "cancelled");
  }
}

}  // namespace

AwsError list_domain_records(const Route53Options& o, const std::string& zone_id, const std::string& domain,
                             std::vector<DnsRecord>* out) {
  std::string zone = zone_id;
  if (zone.rfind("/hostedzone/", 0) == 0) zone = zone.substr(12);
  std::string d = domain;
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (zone.empty() || d.empty()) {
    return AwsError::Make(AwsErrorKind::kInvalid, "InvalidInput", "a hosted zone id and a domain are required");
  }
  auto it = o.config.service_endpoints.find("route53");
  std::string endpoint = it == o.config.service_endpoints.end() ? kDefaultEndpoint : it->second;
  Url base;
  std::string err;
  if (!parse_url(endpoint, &base, &err)) return AwsError::Make(AwsErrorKind::kInvalid, "BadEndpoint", err);
  HttpOptions ho;
  ho.ca_bundle = o.config.ca_bundle;
  HttpClient http(ho);
  const std::string path = "/2013-04-01/hostedzone/" + uri_encode(zone) + "/rrset";
  // Listing starts at `domain`: Route53 sorts names by reversed labels, so every name under the
  // domain follows it, and the first name that is not under it ends the search.
  std::string next_name = d + ".", next_type, next_id;
  for (;;) {
    QueryParams q{{"name", next_name}};
    if (!next_type.empty()) q.emplace_back("type", next_type);
    if (!next_id.empty()) q.emplace_back("identifier", next_id);
    if (o.page_size > 0) q.emplace_back("maxitems", std::to_string(o.page_size));
    HttpResponse resp;
    AwsError e = get(o, http, base, path, q, &resp);
    if (!e.ok()) return e;
    XmlNode root;
    if (!parse_xml(resp.body, &root, &err)) {
      return AwsError::Make(AwsErrorKind::kInvalid, "MalformedResponse", "ListResourceRecordSets: " + err);
    }
    const XmlNode* sets = root.child("ResourceRecordSets");
    if (sets != nullptr) {
      for (const XmlNode* rr : sets->children_named("ResourceRecordSet")) {
        std::string name = plain_name(rr->child_text("Name"));
        if (!under(name, d)) return AwsError::Ok();
        out->push_back(DnsRecord{name, rr->child_text("Type")});
      }
    }
    if (root.child_text("IsTruncated") != "true") return AwsError::Ok();
    next_name = root.child_text("NextRecordName");
    next_type = root.child_text("NextRecordType");
    next_id = root.child_text("NextRecordIdentifier");
    if (next_name.empty()) return AwsError::Ok();
  }
}

}  // namespace ferry::aws

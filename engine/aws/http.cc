#include "engine/aws/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace ferry::aws {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* req;
  HttpResponse* resp;
  size_t sent = 0;
  bool body_aborted = false;
};

size_t read_body(char* buf, size_t size, size_t nitems, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t n = std::min(size * nitems, t->req->body.size() - t->sent);
  std::memcpy(buf, t->req->body.data() + t->sent, n);
  t->sent += n;
  return n;
}

size_t write_body(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t n = size * nmemb;
  // Only a 2xx body goes to the caller's sink; an error body is kept for its XML.
  if (t->req->on_body && t->resp->status >= 200 && t->resp->status < 300) {
    if (!t->req->on_body(data, n)) {
      t->body_aborted = true;
      return 0;
    }
    return n;
  }
  t->resp->body.append(data, n);
  return n;
}

size_t write_header(char* data, size_t size, size_t nitems, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t n = size * nitems;
  std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a 100 Continue or a redirect): forget the previous one's headers.
    t->resp->headers.clear();
    size_t sp = line.find(' ');
    t->resp->status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t b = line.find_first_not_of(" \t", colon + 1);
  size_t e = line.find_last_not_of(" \t\r\n");
  t->resp->headers[name] = b == std::string::npos || e < b ? "" : line.substr(b, e - b + 1);
  return n;
}

int progress(void* userp, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(userp);
  if (t->req->on_sent) t->req->on_sent(static_cast<uint64_t>(ulnow));
  if (t->req->stop && t->req->stop()) return 1;
  return t->req->abort != nullptr && t->req->abort->load() ? 1 : 0;
}

AwsError transport_error(CURLcode code, const char* detail) {
  AwsErrorKind kind = AwsErrorKind::kTransient;
  std::string name;
  switch (code) {
    case CURLE_COULDNT_CONNECT: name = "ConnectionRefused"; break;
    case CURLE_COULDNT_RESOLVE_HOST: name = "DnsFailure"; break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: name = "ConnectionReset"; break;
    case CURLE_GOT_NOTHING: name = "EmptyReply"; break;
    case CURLE_PARTIAL_FILE: name = "TruncatedReply"; break;
    case CURLE_OPERATION_TIMEDOUT: name = "Timeout"; kind = AwsErrorKind::kTimeout; break;
    case CURLE_ABORTED_BY_CALLBACK: name = "Aborted"; kind = AwsErrorKind::kCancelled; break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      name = "TlsVerification";
      kind = AwsErrorKind::kInvalid;
      break;
    case CURLE_URL_MALFORMAT: name = "BadUrl"; kind = AwsErrorKind::kInvalid; break;
    default: name = "TransportError";
  }
  std::string msg = detail && *detail ? detail : curl_easy_strerror(code);
  if (name == "TlsVerification") msg += " (give the store's CA with --ca-bundle or AWS_CA_BUNDLE)";
  return AwsError::Make(kind, name, msg);
}

}  // namespace

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  global_init();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

AwsError HttpClient::send(const HttpRequest& req, HttpResponse* resp) {
  CURL* c = static_cast<CURL*>(curl_);
  if (c == nullptr) return AwsError::Make(AwsErrorKind::kFailed, "CurlInit", "libcurl could not make a handle");
  curl_easy_reset(c);
  *resp = HttpResponse{};
  Transfer t{&req, resp};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!options_.unix_socket.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, options_.unix_socket.c_str());
  // A bigger upload buffer than curl's 64 KiB means fewer read callbacks; 2 MiB measured no
  // faster against a local server and costs memory per part in flight.
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);

  const bool has_body = !req.body.empty() || req.method == "PUT" || req.method == "POST";
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    // UPLOAD with an explicit size sends Content-Length and no form-encoding content type.
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    if (req.method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) {
    if (k == "host" || k == "Host") continue;  // curl sends Host from the URL, as signed
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  }
  // No "Expect: 100-continue" round trip before each part, and no default Accept to confuse.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc == CURLE_WRITE_ERROR && t.body_aborted) {
    return AwsError::Make(AwsErrorKind::kFailed, "WriteFailed", "could not write the response body");
  }
  if (rc != CURLE_OK) {
    resp->status = 0;
    return transport_error(rc, errbuf);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  resp->status = status;
  return AwsError::Ok();
}

}  // namespace ferry::aws

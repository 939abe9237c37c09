// One HTTP exchange over libcurl, with the request already signed by the caller (ferry signs
// SigV4 itself). An HttpClient keeps one curl handle, so connections are reused; it is not
// thread-safe: each thread that sends uses its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "engine/aws/error.h"
#include "engine/aws/sigv4.h"

namespace ferry::aws {

struct HttpOptions {
  std::string ca_bundle;         // PEM file; "" = the system's CAs
  long connect_timeout_ms = 10000;
  // A transfer slower than 1 KiB/s for this long is abandoned (and retried by the caller).
  long low_speed_time_s = 60;
  // Connect to this Unix socket instead of the URL's host and port (a `kubectl proxy`'s).
  std::string unix_socket;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string_view body;  // not owned; sent with Content-Length
  // When set, the response body goes here (GetObject to a file) instead of HttpResponse::body;
  // returning false aborts the transfer.
  std::function<bool(const char* data, size_t n)> on_body;
  // Bytes of the request body sent so far, as they go (for the live view).
  std::function<void(uint64_t sent)> on_sent;
  // Checked while the transfer runs; true aborts it (Ctrl-C, a failed sibling part).
  const std::atomic<bool>* abort = nullptr;
  // Also checked while the transfer runs (a CancelToken's cancelled()); true aborts it.
  std::function<bool()> stop;
};

struct HttpResponse {
  long status = 0;  // 0 when the transfer failed
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `req`. A transport failure (refused, reset, timed out, TLS) is an AwsError with code
  // naming it and kind transient (or invalid for TLS verification problems); an HTTP answer of
  // any status is ok() here: the caller reads the status.
  AwsError send(const HttpRequest& req, HttpResponse* resp);

 private:
  HttpOptions options_;
  void* curl_ = nullptr;
};

}  // namespace ferry::aws

#include "engine/kube/api.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <tuple>

#include "engine/aws/http.h"
#include "engine/aws/uri.h"
#include "engine/kube/api_proxy.h"

namespace ferry::engine::kube {
namespace {

// The class of an HTTP answer with no Status object in it (the proxy's own 502 when the API
// server is unreachable), by its code.
ErrorClass class_of_code(long code) {
  if (code == 404) return ErrorClass::kNotFound;
  if (code == 409) return ErrorClass::kConflict;
  if (code == 401) return ErrorClass::kUnauthorized;
  if (code == 403) return ErrorClass::kForbidden;
  if (code == 400 || code == 405 || code == 413 || code == 415 || code == 422) return ErrorClass::kInvalid;
  if (code == 429 || code >= 500) return ErrorClass::kTransient;
  return ErrorClass::kFailed;
}

Status answer(const aws::HttpResponse& resp, const std::string& what, json* out) {
  json body = json::parse(resp.body, nullptr, false);
  if (resp.status >= 200 && resp.status < 300) {
    if (body.is_discarded()) return Status::Invalid(what + ": the API server's answer is not JSON: " + resp.body.substr(0, 200));
    if (out) *out = std::move(body);
    return Status::Ok();
  }
  if (body.is_object() && body.value("kind", "") == "Status") {
    ErrorClass c = class_of_reason(body.value("reason", ""));
    if (c == ErrorClass::kFailed) c = class_of_code(resp.status);
    // Worded as kubectl prints it (cmd/util/helpers.go), so a message reads the same whichever
    // way the request went: an Invalid one as the server's message alone.
    const std::string reason = body.value("reason", "");
    const std::string message = body.value("message", "HTTP " + std::to_string(resp.status));
    return Status::Error(c, what + ": " + (reason.empty() || reason == "Invalid" ? message
                                                                               : "Error from server (" + reason + "): " + message));
  }
  std::string text = resp.body.substr(0, 500);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return Status::Error(class_of_code(resp.status), what + ": HTTP " + std::to_string(resp.status) +
                                                       (text.empty() ? "" : ": " + text));
}

// The cluster's discovery answers (/apis, /apis/G/V, /api/v1), per cluster and path.
struct Discovery {
  std::mutex mu;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, json> answers;
};

// The API path of a group version: the core group's is under /api, the others under /apis.
std::string group_version_path(const std::string& group_version) {
  return (group_version.find('/') == std::string::npos ? "/api/" : "/apis/") + group_version;
}

Discovery& discovery() {
  static Discovery* d = new Discovery;
  return *d;
}

}  // namespace

bool plain_path_segment(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' && c != ':') return false;
  }
  return true;
}

Api::Api(const Kubectl& k) : target_(k.target()), log_(k.log()) {}

Action Api::action(const std::string& method, const std::string& path, const std::string& input) {
  Action a;
  a.method = method;
  a.url = path;
  a.input = input;
  return a;
}

Status Api::send(aws::HttpRequest& req, const CancelToken& cancel, const std::string& what,
                 aws::HttpResponse* resp) const {
  std::string socket;
  req.url = "http://localhost" + req.url;  // the proxy checks the host is local
  std::function<bool()> also_stop = std::move(req.stop);
  req.stop = [&] { return cancel.cancelled() || (also_stop && also_stop()); };
  for (int attempt = 1;; ++attempt) {
    if (Status s = api_proxy_socket(target_, cancel, attempt > 1, &socket); !s.ok()) return s;
    aws::HttpOptions options;
    options.unix_socket = socket;
    aws::HttpClient http(options);
    aws::AwsError e = http.send(req, resp);
    // Refused: the proxy is gone (nothing was sent); start another, once.
    if (e.code == "ConnectionRefused" && attempt == 1) continue;
    if (e.ok()) return Status::Ok();
    if (cancel.cancelled()) return cancel.status();
    const ErrorClass c = e.kind == aws::AwsErrorKind::kTimeout   ? ErrorClass::kTimeout
                         : e.kind == aws::AwsErrorKind::kInvalid ? ErrorClass::kInvalid
                                                                 : ErrorClass::kTransient;
    return Status::Error(c, what + ": " + e.text() + " (through kubectl proxy)");
  }
}

Status Api::call(const std::string& method, const std::string& path, const json& body, const std::string& content_type,
                 const CancelToken& cancel, const std::string& what, json* out) const {
  const std::string payload = body.is_null() ? "" : body.dump();
  if (log_ && method != "GET") {
    log_("$ " + action(method, path, payload.empty() ? "" : std::to_string(payload.size()) + " bytes of JSON").text() +
         "  # through kubectl proxy");
  }
  aws::HttpRequest req;
  req.method = method;
  req.url = path;
  req.headers = {{"Accept", "application/json"}};
  if (!payload.empty()) {
    req.headers.emplace_back("Content-Type", content_type);
    req.body = payload;
  }
  aws::HttpResponse resp;
  if (Status s = send(req, cancel, what, &resp); !s.ok()) return s;
  return answer(resp, what, out);
}

Status Api::watch(const std::string& path, const std::string& query, const std::string& resource_version,
                  Millis timeout, const CancelToken& cancel, const std::string& what, bool* changed) const {
  *changed = false;
  // The server ends the watch after timeoutSeconds (whole seconds); the client stops it at the
  // exact time, so a step's deadline is kept to the millisecond.
  const auto until = std::chrono::steady_clock::now() + timeout;
  const int64_t seconds = std::max<int64_t>(1, (timeout.count() + 999) / 1000);
  aws::HttpRequest req;
  req.url = path + "?watch=1&resourceVersion=" + aws::uri_encode(resource_version) +
            "&timeoutSeconds=" + std::to_string(seconds) + (query.empty() ? "" : "&" + query);
  req.headers = {{"Accept", "application/json"}};
  // The first bytes of an event are enough: the caller reads the objects again and decides. An
  // ERROR event (410 Gone: the server no longer keeps that version) is one too: the next read
  // starts afresh.
  req.on_body = [changed](const char*, size_t) {
    *changed = true;
    return false;
  };
  req.stop = [until] { return std::chrono::steady_clock::now() >= until; };
  aws::HttpResponse resp;
  const Status s = send(req, cancel, what, &resp);
  if (*changed || (!s.ok() && !cancel.cancelled() && std::chrono::steady_clock::now() >= until)) return Status::Ok();
  if (!s.ok()) return s;
  // A 2xx answer ended by the server (its timeoutSeconds) without an event: nothing changed.
  return resp.status >= 200 && resp.status < 300 ? Status::Ok() : answer(resp, what, nullptr);
}

std::string Resource::collection_path(const std::string& ns) const {
  std::string path = group_version_path(group_version);
  if (namespaced) path += "/namespaces/" + ns;
  return path + "/" + plural;
}

Status Api::discover(const std::string& path, bool fresh, const CancelToken& cancel, json* answer) const {
  const auto key = std::make_tuple(target_.kubeconfig, target_.context, target_.kubectl, path);
  Discovery& d = discovery();
  if (!fresh) {
    std::lock_guard lock(d.mu);
    if (auto it = d.answers.find(key); it != d.answers.end()) {
      *answer = it->second;
      return Status::Ok();
    }
  }
  if (Status s = call("GET", path, nullptr, "", cancel, "ask the cluster's discovery (" + path + ")", answer); !s.ok()) {
    return s;
  }
  std::lock_guard lock(d.mu);
  d.answers[key] = *answer;
  return Status::Ok();
}

Status Api::resources_of(const std::string& group_version, bool fresh, const CancelToken& cancel, json* list) const {
  return discover(group_version_path(group_version), fresh, cancel, list);
}

Status Api::group_versions(bool fresh, const CancelToken& cancel, std::vector<std::string>* out) const {
  json groups;
  if (Status s = discover("/apis", fresh, cancel, &groups); !s.ok()) return s;
  out->assign({"v1"});
  for (const json& g : groups.value("groups", json::array())) {
    const std::string gv = g.value("preferredVersion", json::object()).value("groupVersion", "");
    if (!gv.empty()) out->push_back(gv);
  }
  return Status::Ok();
}

Status Api::resource(const std::string& arg, const CancelToken& cancel, Resource* out, bool* found) const {
  *found = false;
  std::string name = arg;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t dot = name.find('.');
  const std::string res = name.substr(0, dot);
  const std::string rest = dot == std::string::npos ? "" : name.substr(dot + 1);
  for (bool fresh : {false, true}) {
    std::vector<std::string> all;
    if (Status s = group_versions(fresh, cancel, &all); !s.ok()) return s;
    std::vector<Resource> matches;
    for (const std::string& gv : all) {
      const size_t slash = gv.find('/');
      const std::string group = slash == std::string::npos ? "" : gv.substr(0, slash);
      // "res.group" or "res.version.group"; the latter names a version the group may not prefer.
      std::string wanted = gv;
      if (!rest.empty()) {
        if (rest == group) {
          wanted = gv;
        } else if (!group.empty() && rest.size() > group.size() && rest.compare(rest.size() - group.size(), group.size(), group) == 0 &&
                   rest[rest.size() - group.size() - 1] == '.') {
          wanted = group + "/" + rest.substr(0, rest.size() - group.size() - 1);
        } else {
          continue;
        }
      }
      json list;
      Status s = resources_of(wanted, fresh, cancel, &list);
      if (s.error_class() == ErrorClass::kNotFound) continue;  // a version the group does not serve
      if (!s.ok()) return s;
      for (const json& r : list.value("resources", json::array())) {
        const std::string plural = r.value("name", "");
        if (plural.find('/') != std::string::npos) continue;  // a subresource
        std::string kind = r.value("kind", "");
        std::string lower_kind = kind;
        for (char& c : lower_kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const json shorts = r.value("shortNames", json::array());
        if (plural == res || r.value("singularName", "") == res || lower_kind == res ||
            std::find(shorts.begin(), shorts.end(), res) != shorts.end()) {
          matches.push_back({wanted, plural, kind, r.value("namespaced", false)});
        }
      }
    }
    if (matches.size() == 1) {
      *out = matches.front();
      *found = true;
      return Status::Ok();
    }
    if (matches.size() > 1) return Status::Ok();  // several: kubectl's priorities decide
  }
  return Status::Ok();
}

Status Api::object_path(const json& ref, const CancelToken& cancel, std::string* path) const {
  const std::string api_version = ref.value("apiVersion", "");
  const std::string kind = ref.value("kind", "");
  const json md = ref.value("metadata", json::object());
  const size_t slash = api_version.find('/');
  if (!plain_path_segment(api_version.substr(0, slash)) ||
      (slash != std::string::npos && !plain_path_segment(api_version.substr(slash + 1)))) {
    return Status::Invalid(kind + ": \"" + api_version + "\" is not an apiVersion");
  }
  const std::string prefix = group_version_path(api_version);
  for (bool fresh : {false, true}) {
    json list;
    Status s = resources_of(api_version, fresh, cancel, &list);
    if (s.error_class() == ErrorClass::kNotFound) {
      return Status::Invalid("the cluster serves no API " + api_version + " (for kind " + kind + ")");
    }
    if (!s.ok()) return s;
    for (const json& r : list.value("resources", json::array())) {
      const std::string plural = r.value("name", "");
      if (r.value("kind", "") != kind || plural.find('/') != std::string::npos) continue;  // not a subresource
      const std::string name = md.value("name", "");
      if (!plain_path_segment(name)) return Status::Invalid(kind + " name \"" + name + "\" is not a valid object name");
      *path = prefix;
      if (r.value("namespaced", false)) {
        const std::string ns = md.value("namespace", target_.ns);
        if (!plain_path_segment(ns)) return Status::Invalid(kind + " " + name + ": no valid namespace (\"" + ns + "\")");
        *path += "/namespaces/" + ns;
      }
      *path += "/" + plural + "/" + name;
      return Status::Ok();
    }
  }
  return Status::Invalid("the cluster serves no " + kind + " in " + api_version);
}

}  // namespace ferry::engine::kube

#include "engine/kube/kubectl.h"

#include <cctype>
#include <utility>

#include "engine/base/subprocess.h"
#include "engine/kube/api_read.h"

namespace ferry::engine::kube {
namespace {

// The reason in `Error from server (Reason): ...` (the Status object's reason, as kubectl
// prints it: cmd/util/helpers.go) to the engine's class.
const std::pair<std::string_view, ErrorClass> kReasons[] = {
    {"NotFound", ErrorClass::kNotFound},
    {"AlreadyExists", ErrorClass::kAlreadyExists},
    {"Conflict", ErrorClass::kConflict},
    {"Invalid", ErrorClass::kInvalid},
    {"BadRequest", ErrorClass::kInvalid},
    {"MethodNotAllowed", ErrorClass::kInvalid},
    {"UnsupportedMediaType", ErrorClass::kInvalid},
    {"RequestEntityTooLarge", ErrorClass::kInvalid},
    {"Forbidden", ErrorClass::kForbidden},
    {"Unauthorized", ErrorClass::kUnauthorized},
    {"TooManyRequests", ErrorClass::kTransient},
    {"InternalError", ErrorClass::kTransient},
    {"ServiceUnavailable", ErrorClass::kTransient},
    {"Timeout", ErrorClass::kTransient},        // 504 Gateway Timeout
    {"ServerTimeout", ErrorClass::kTransient},  // the server could not finish in time
    {"Expired", ErrorClass::kTransient},        // a watch's resourceVersion is too old: list again
    {"Gone", ErrorClass::kTransient},
};

// Texts of failures that never reached the API server's Status (client-side), by substring.
// Order matters: the first match wins.
const std::pair<std::string_view, ErrorClass> kClientTexts[] = {
    {"You must be logged in to the server", ErrorClass::kUnauthorized},
    {"Unauthorized", ErrorClass::kUnauthorized},
    {"was refused - did you specify the right host or port", ErrorClass::kTransient},
    {"connection refused", ErrorClass::kTransient},
    {"connection reset by peer", ErrorClass::kTransient},
    {"i/o timeout", ErrorClass::kTransient},
    {"TLS handshake timeout", ErrorClass::kTransient},
    {"Client.Timeout exceeded", ErrorClass::kTransient},
    {"context deadline exceeded", ErrorClass::kTransient},
    {"Unable to connect to the server", ErrorClass::kTransient},
    {"http2: server sent GOAWAY", ErrorClass::kTransient},
    {"unexpected EOF", ErrorClass::kTransient},
    {"the server is currently unable to handle the request", ErrorClass::kTransient},
    {"timed out waiting for the condition", ErrorClass::kTimeout},  // delete --wait, wait --timeout
    {"the server doesn't have a resource type", ErrorClass::kInvalid},
    {"unknown flag:", ErrorClass::kInvalid},
};

bool is_klog_line(std::string_view line) {
  // "E1126 13:08:34.752570     457 memcache.go:265] ..."
  return line.size() > 6 && std::string_view("IWEF").find(line[0]) != std::string_view::npos &&
         std::isdigit(static_cast<unsigned char>(line[1])) && std::isdigit(static_cast<unsigned char>(line[4])) &&
         line[5] == ' ';
}

bool is_info_line(std::string_view line) {
  return line.rfind("Defaulted container ", 0) == 0 || line.rfind("Warning: ", 0) == 0;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

ErrorClass class_of_line(std::string_view line) {
  constexpr std::string_view kPrefix = "Error from server (";
  if (line.rfind(kPrefix, 0) == 0) {
    size_t close = line.find(')', kPrefix.size());
    return class_of_reason(line.substr(kPrefix.size(), close - kPrefix.size()));
  }
  // A 422 is printed without the prefix: `The HostedCluster "x" is invalid: spec...`.
  if (line.find(" is invalid: ") != std::string_view::npos) return ErrorClass::kInvalid;
  for (const auto& [text, c] : kClientTexts) {
    if (line.find(text) != std::string_view::npos) return c;
  }
  return ErrorClass::kNone;
}

}  // namespace

ErrorClass class_of_reason(std::string_view reason) {
  for (const auto& [name, c] : kReasons) {
    if (reason == name) return c;
  }
  return ErrorClass::kFailed;
}

std::string error_text(std::string_view err) {
  std::string text;
  for (std::string_view line : lines_of(err)) {
    if (is_klog_line(line) || is_info_line(line)) continue;
    if (!text.empty()) text += '\n';
    text += line;
  }
  // Every klog line may be all there is (kubectl gave up before printing its summary).
  if (text.empty()) {
    for (std::string_view line : lines_of(err)) text = line;
  }
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

Status classify(int exit_code, std::string_view err, const std::string& what) {
  if (exit_code == 0) return Status::Ok();
  // kubectl's own summary lines first; klog lines (client-go's retries) only if they are all
  // there is, since they can say "context deadline exceeded" about a wait that simply ended.
  ErrorClass c = ErrorClass::kNone;
  for (bool klog : {false, true}) {
    for (std::string_view line : lines_of(err)) {
      if (is_info_line(line) || is_klog_line(line) != klog) continue;
      c = class_of_line(line);
      if (c != ErrorClass::kNone) break;
    }
    if (c != ErrorClass::kNone) break;
  }
  if (c == ErrorClass::kNone) c = ErrorClass::kFailed;
  std::string text = error_text(err);
  std::string message = what + ": " + (text.empty() ? "kubectl exited with status " + std::to_string(exit_code) : text);
  return Status::Error(c, message);
}

Kubectl Kubectl::in_namespace(const std::string& ns) const {
  Target t = target_;
  t.ns = ns;
  Kubectl k(std::move(t));
  k.log_ = log_;
  return k;
}

std::vector<std::string> Kubectl::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> v = {target_.kubectl};
  if (!target_.kubeconfig.empty()) v.insert(v.end(), {"--kubeconfig", target_.kubeconfig});
  if (!target_.context.empty()) v.insert(v.end(), {"--context", target_.context});
  if (!target_.ns.empty()) v.insert(v.end(), {"-n", target_.ns});
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

Action Kubectl::action(const std::vector<std::string>& args, const std::string& input) const {
  Action a;
  a.argv = argv(args);
  a.input = input;
  return a;
}

std::string Kubectl::where() const { return target_.ns.empty() ? "" : " in namespace " + target_.ns; }

CallResult Kubectl::run(const std::vector<std::string>& args, const CancelToken& cancel, const std::string& what,
                        const std::string& stdin_text, size_t max_stdout) const {
  if (log_ && !args.empty() && args[0] != "get" && args[0] != "wait") {
    log_("$ " + action(args, stdin_text.empty() ? "" : std::to_string(stdin_text.size()) + " bytes of JSON").text());
  }
  // `get -o jsonpath=...` (wait's and assert's polls) through the cluster's kubectl proxy, with
  // the text kubectl would print; a failed read fails as run_json's does.
  if (std::string text; stdin_text.empty() && !args.empty() && args[0] == "get") {
    if (Status read; read_jsonpath_through_api(*this, args, cancel, what, max_stdout, &text, &read)) {
      CallResult r;
      r.exit_code = read.ok() ? 0 : 1;
      r.out = std::move(text);
      // stderr as kubectl's would end: the message without `what`.
      const std::string prefix = what + ": ";
      r.err = read.message().rfind(prefix, 0) == 0 ? read.message().substr(prefix.size()) : read.message();
      r.status = std::move(read);
      return r;
    }
  }
  ProcessSpec spec;
  spec.argv = argv(args);
  spec.stdin_text = stdin_text;
  spec.max_stdout = max_stdout;
  ProcessResult p = run_process(spec, cancel);
  CallResult r;
  r.exit_code = p.exit_code;
  r.out = std::move(p.out);
  r.err = std::move(p.err);
  if (!p.status.ok()) {
    // Did not run to an exit status: not installed, cancelled, timed out, too much output.
    r.status = Status::Error(p.status.error_class(), what + ": " + p.status.message());
    return r;
  }
  r.status = classify(r.exit_code, r.err, what);
  return r;
}

Status Kubectl::run_json(const std::vector<std::string>& args, const CancelToken& cancel, const std::string& what,
                         json* out, const std::string& stdin_text) const {
  if (Status read; read_through_api(*this, args, stdin_text, cancel, what, out, &read)) return read;
  std::vector<std::string> full = args;
  full.insert(full.end(), {"-o", "json"});
  CallResult r = run(full, cancel, what, stdin_text);
  if (!r.status.ok()) return r.status;
  if (r.out.find_first_not_of(" \n") == std::string::npos) {
    // `--ignore-not-found` with nothing found prints nothing at all.
    *out = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", json::array()}};
    return Status::Ok();
  }
  *out = json::parse(r.out, nullptr, false);
  if (out->is_discarded()) {
    return Status::Invalid(what + ": kubectl's output is not JSON: " + r.out.substr(0, 200));
  }
  return Status::Ok();
}

std::vector<json> items_of(const json& answer) {
  if (answer.is_object() && answer.contains("items") && answer["items"].is_array()) {
    return answer["items"].get<std::vector<json>>();
  }
  if (answer.is_object() && !answer.empty()) return {answer};
  return {};
}

}  // namespace ferry::engine::kube

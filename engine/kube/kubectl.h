// The kube backend: kubectl (or oc) as a subprocess. Every call is an argv (never a shell line)
// that the dry run can print and a user can paste; object bodies go on stdin as JSON; results
// are read from `-o json`; failures become the engine's error classes from the exit status and
// kubectl's `Error from server (Reason): ...` lines, so retry policies can name them.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/action.h"
#include "engine/base/cancel.h"
#include "engine/base/status.h"

namespace ferry::engine::kube {

using json = nlohmann::json;

// Where calls go: `kubectl --kubeconfig K [--context C] [-n NS] ...`.
struct Target {
  std::string kubectl = "kubectl";
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "" for cluster-scoped objects (or to leave it to the kubeconfig)
};

struct CallResult {
  Status status;      // ok, or the classified failure with `what` and kubectl's message
  int exit_code = -1;
  std::string out;
  std::string err;    // all of stderr (warnings included), for callers that look further
};

// The class of a failed kubectl call from its exit status and stderr (ok when exit_code is 0).
// The message is `what` followed by kubectl's error lines (klog noise dropped).
Status classify(int exit_code, std::string_view err, const std::string& what);

// The class of a Status object's reason ("NotFound", "Conflict", ...): kFailed for one it does
// not know.
ErrorClass class_of_reason(std::string_view reason);

// The error lines of kubectl's stderr: without klog lines ("E1126 13:08:34.75 ... memcache.go")
// and informational ones ("Defaulted container ..."), at most ~2000 characters from the end.
std::string error_text(std::string_view err);

class Kubectl {
 public:
  explicit Kubectl(Target target) : target_(std::move(target)) {}
  const Target& target() const { return target_; }
  // The same cluster, another namespace ("" for none).
  Kubectl in_namespace(const std::string& ns) const;
  // Every call that is not a read (`get`, `wait`) is logged as its command line before it runs, so a
  // run's log shows what was done to the cluster, as the dry run showed what would be.
  void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }
  const std::function<void(const std::string&)>& log() const { return log_; }

  // The full argv of `kubectl [global flags] args...`.
  std::vector<std::string> argv(const std::vector<std::string>& args) const;
  // The call as the dry run shows it; `input` says what goes on stdin ("" for nothing).
  Action action(const std::vector<std::string>& args, const std::string& input = "") const;

  // Runs `args` (with `stdin_text` on stdin); `what` names the call in errors
  // ("get hostedclusters/jdoe-hosted in namespace clusters"). A `get` with `-o jsonpath=...`
  // is answered through the cluster's kubectl proxy when it can be (api_read.h), with the
  // output kubectl would print and no process.
  CallResult run(const std::vector<std::string>& args, const CancelToken& cancel, const std::string& what,
                 const std::string& stdin_text = "", size_t max_stdout = 64 << 20) const;
  // Runs `args` plus `-o json` and parses stdout into `out` (an empty List when kubectl printed
  // nothing, as `get --ignore-not-found` does when nothing is found). A plain `get` of a kind or
  // of objects is read through the cluster's kubectl proxy instead (api_read.h), with the same
  // answer and no process.
  Status run_json(const std::vector<std::string>& args, const CancelToken& cancel, const std::string& what,
                  json* out, const std::string& stdin_text = "") const;

  // "in namespace X" or "" (for messages).
  std::string where() const;

 private:
  Target target_;
  std::function<void(const std::string&)> log_;
};

// The objects of a `get -o json` answer: a List's items, or the one object.
std::vector<json> items_of(const json& answer);

}  // namespace ferry::engine::kube
